//! Borg (Verma et al., EuroSys'15, section 5) cell compaction: how many machines a
//! workload needs, and how much a policy costs in machines.
//!
//! The paper's method (section 5.1): given a workload, find the smallest cell it fits in
//! by removing machines until it no longer fits, re-packing the whole workload from
//! scratch each time; repeat with different random seeds and report the distribution
//! over trials (the paper plots min/max and takes the 90th percentile). Policies are then
//! compared by their compacted sizes:
//!
//! - segregating prod and non-prod work into two cells needs 20-30% more machines in
//!   the median cell (Fig. 5);
//! - giving users private cells needs 20-150% more machines (Fig. 6, users above a
//!   threshold get their own cell);
//! - rounding CPU and memory requests up to the next power of two (from 0.5 cores and
//!   1 GiB) needs 30-50% more resources in the median case (Fig. 10).
//!
//! What schedlab does (a model of the method, not Borg's scheduler):
//!
//! - **Cell**: a mix of machine shapes ([`MachineShape`], heterogeneous like a Borg
//!   cell). Each trial shuffles the cell's machines (ChaCha8 from the seed); a cell of
//!   `n` machines is the first `n` of that order, so removing machines removes from the
//!   end. If the workload needs more than the whole cell, further shuffled copies of the
//!   mix are appended.
//! - **Tasks**: a synthetic Borg-like snapshot from the generator of
//!   [`crate::trace::synth`] (priorities, users; every generated task is in the
//!   snapshot). A task is prod if its job's priority is at least `prod_priority`. Each
//!   task has a limit (its request) and a reservation: prod tasks reserve a fraction of
//!   their limit drawn uniformly from `prod_reservation` (Borg's reservation tracks
//!   usage, which is below the limit); non-prod tasks reserve their limit.
//! - **Feasibility** (Borg section 5.5): prod tasks are placed against limits, never
//!   relying on reclaimed resources; non-prod tasks fit into what prod tasks reserve but
//!   do not use. On each machine, for CPU and memory: `sum prod limits <= capacity` and
//!   `sum prod reservations + sum non-prod limits <= capacity`. With reclamation off
//!   (every reservation = limit) both become `sum limits <= capacity`.
//! - **Packing**: prod tasks first, then non-prod (prod may use everything; non-prod
//!   fills in), each group in a random order per trial (or largest first). Each task
//!   goes to the feasible machine with the best score: [`Scoring::BestFit`] (least
//!   leftover, in units of the largest machine) or [`Scoring::Hybrid`] (best fit plus a
//!   penalty for leaving CPU and memory unbalanced, which strands resources: Borg's
//!   scoring is a hybrid that "tries to reduce the amount of stranded resources").
//!   Ties go to the lower machine index. The workload fits if every task is placed.
//! - **Compaction**: a binary search on the machine count between a resource lower
//!   bound and the whole cell, rather than removing one machine at a time. Greedy
//!   packing is not exactly monotone in the machine count, so the result `n` satisfies
//!   "fits on `n`, does not fit on `n - 1`" but a smaller count could, rarely, fit too.
//!
//! ```
//! use schedlab::validation::borg::{compact_one, Scoring, Task};
//! use schedlab::resources::Resources;
//! // Four tasks of half a machine fit in exactly two machines.
//! let half = Resources::new(2.0, 4096);
//! let tasks = vec![Task::plain(half, false); 4];
//! let cell = vec![Resources::new(4.0, 8192); 10];
//! assert_eq!(compact_one(&tasks, &cell, Scoring::BestFit), Some(2));
//! ```

use super::Estimate;
use crate::resources::Resources;
use crate::scenario::ScenarioError;
use crate::trace::synth::{generate, SynthConfig};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::distribution::{Binomial, DiscreteCDF};
use std::collections::BTreeMap;
use std::path::Path;

/// The default experiment file, compiled in: `validate-paper borg` without a file
/// runs exactly this.
pub const DEFAULT_CONFIG: &str = include_str!("../../scenarios/validation/borg-compaction.toml");
/// Its path, for error messages.
pub const DEFAULT_CONFIG_PATH: &str = "scenarios/validation/borg-compaction.toml";

/// How a feasible machine is chosen for a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    /// Least leftover (CPU + memory, each in units of the cell's largest machine).
    BestFit,
    /// Best fit plus a penalty for unbalanced leftover (stranding-aware).
    Hybrid,
}

/// The order in which tasks of one group (prod, then non-prod) are packed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskOrder {
    /// A fresh random order per trial (what the paper's seeds vary).
    Random,
    /// Largest first (dominant share of the largest machine), ties by index.
    LargestFirst,
}

/// A machine shape of the cell and how many machines have it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineShape {
    pub count: u32,
    pub cpus: f64,
    pub mem_mib: u64,
}

/// A Borg compaction experiment (`scenarios/validation/borg-compaction.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BorgConfig {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Trials (different machine and task orders) per configuration.
    pub trials: u32,
    /// Seed of the trials' machine and task orders (the workload has its own seed).
    pub seed: u64,
    pub scoring: Scoring,
    pub task_order: TaskOrder,
    /// Jobs with at least this priority are prod.
    pub prod_priority: i32,
    /// Reservation / limit of prod tasks, uniform in `[low, high]`.
    pub prod_reservation: [f64; 2],
    /// The smallest CPU bucket of the power-of-two rounding (cores).
    pub round_min_cpus: f64,
    /// The smallest memory bucket (MiB).
    pub round_min_mem_mib: u64,
    /// The cell's machine mix.
    pub machines: Vec<MachineShape>,
    /// The synthetic workload: every task generated is in the snapshot.
    pub workload: SynthConfig,
}

impl BorgConfig {
    /// Values serde cannot check: (key, message).
    pub fn check(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, m: String| Err((k.to_string(), m));
        if self.trials == 0 {
            return bad("trials", "must be at least 1".into());
        }
        let [lo, hi] = self.prod_reservation;
        if !(lo > 0.0 && lo <= hi && hi <= 1.0) {
            return bad(
                "prod_reservation",
                format!("needs 0 < low <= high <= 1, got [{lo}, {hi}]"),
            );
        }
        if !(self.round_min_cpus.is_finite() && self.round_min_cpus >= 0.001)
            || self.round_min_mem_mib == 0
        {
            return bad(
                "round_min_cpus",
                "round_min_cpus >= 0.001 and round_min_mem_mib >= 1".into(),
            );
        }
        if self.machines.is_empty()
            || self
                .machines
                .iter()
                .any(|m| m.count == 0 || !(m.cpus.is_finite() && m.cpus >= 0.001) || m.mem_mib == 0)
        {
            return bad(
                "machines",
                "at least one shape, each with count, cpus and mem_mib > 0".into(),
            );
        }
        if self.workload.max_tasks.is_none() && self.workload.max_jobs.is_none() {
            return bad(
                "workload",
                "set max_tasks or max_jobs: the snapshot must be finite".into(),
            );
        }
        Ok(())
    }

    pub fn load(path: &Path) -> Result<BorgConfig, ScenarioError> {
        super::load_checked(path, BorgConfig::check)
    }

    pub fn parse(text: &str, file: &str) -> Result<BorgConfig, ScenarioError> {
        super::parse_checked(text, file, BorgConfig::check)
    }

    /// The compiled-in default experiment.
    pub fn default_config() -> BorgConfig {
        BorgConfig::parse(DEFAULT_CONFIG, DEFAULT_CONFIG_PATH).expect("the default config is valid")
    }

    /// Every machine of the cell, in the file's order.
    pub fn cell(&self) -> Vec<Resources> {
        self.machines
            .iter()
            .flat_map(|m| std::iter::repeat_n(Resources::new(m.cpus, m.mem_mib), m.count as usize))
            .collect()
    }
}

/// One task of the snapshot: CPUs and memory only (disk and GPUs are ignored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Task {
    /// The request: what the task may use.
    pub limit: Resources,
    /// What the scheduler sets aside for it (at most the limit); the rest of a prod
    /// task's limit can be reclaimed for non-prod work.
    pub reservation: Resources,
    pub prod: bool,
    /// Index of its user (0 when the workload has no users).
    pub user: u32,
}

/// The CPU and memory of `r` (disk and GPUs dropped).
fn cpu_mem(r: Resources) -> Resources {
    Resources {
        cpus: r.cpus,
        mem: r.mem,
        ..Resources::ZERO
    }
}

impl Task {
    /// A task that reserves its whole limit.
    pub fn plain(limit: Resources, prod: bool) -> Task {
        let limit = cpu_mem(limit);
        Task {
            limit,
            reservation: limit,
            prod,
            user: 0,
        }
    }

    /// The same task with reservation = limit (no reclamation).
    pub fn without_reclaim(self) -> Task {
        Task {
            reservation: self.limit,
            ..self
        }
    }

    /// The same task with CPU and memory limits rounded up to powers of two times the
    /// smallest buckets; the reservation (usage-based) is unchanged.
    pub fn rounded(self, min_cpus_milli: u64, min_mem_mib: u64) -> Task {
        let up = |x: u64, min: u64| {
            let mut b = min.max(1);
            while b < x {
                b *= 2;
            }
            b
        };
        let mut limit = self.limit;
        limit.cpus = up(limit.cpus, min_cpus_milli);
        limit.mem = up(limit.mem, min_mem_mib);
        Task { limit, ..self }
    }
}

/// The snapshot of `cfg`'s workload, with prod reservations drawn from
/// `cfg.seed`-independent stream of the workload seed. Errors: a bad workload config,
/// or a task larger than every machine shape.
pub fn workload(cfg: &BorgConfig) -> Result<Vec<Task>, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.workload.seed);
    rng.set_stream(1);
    let [lo, hi] = cfg.prod_reservation;
    let mut users: BTreeMap<String, u32> = BTreeMap::new();
    let shapes: Vec<Resources> = cfg
        .machines
        .iter()
        .map(|m| Resources::new(m.cpus, m.mem_mib))
        .collect();
    let mut tasks = Vec::new();
    for job in generate(&cfg.workload) {
        let job = job.map_err(|e| format!("workload: {e}"))?;
        let prod = job.priority >= cfg.prod_priority;
        let next = users.len() as u32;
        let user = job
            .user
            .as_ref()
            .map(|u| *users.entry(u.clone()).or_insert(next))
            .unwrap_or(0);
        for t in &job.tasks {
            let limit = cpu_mem(t.resources);
            if !shapes.iter().any(|m| m.contains(&limit)) {
                return Err(format!(
                    "workload: task {} of job {} ({limit}) fits on no machine shape",
                    t.index, job.id
                ));
            }
            for _ in 0..t.count {
                let reservation = if prod {
                    let f = if hi > lo { rng.gen_range(lo..=hi) } else { lo };
                    Resources {
                        cpus: ((limit.cpus as f64 * f).round() as u64).clamp(1, limit.cpus),
                        mem: ((limit.mem as f64 * f).round() as u64).min(limit.mem),
                        ..limit
                    }
                } else {
                    limit
                };
                tasks.push(Task {
                    limit,
                    reservation,
                    prod,
                    user,
                });
            }
        }
    }
    if tasks.is_empty() {
        return Err("workload: no tasks generated".into());
    }
    Ok(tasks)
}

/// A machine while packing: capacity and the two sums the feasibility rule bounds.
#[derive(Clone, Copy)]
struct Bin {
    cap: Resources,
    /// Sum of prod limits.
    prod_limit: Resources,
    /// Sum of prod reservations plus non-prod limits.
    booked: Resources,
}

impl Bin {
    /// The leftover that bounds `t` after placing it, or None if it does not fit.
    fn after(&self, t: &Task) -> Option<Resources> {
        let booked = self.cap.checked_sub(&(self.booked + t.booked()))?;
        if t.prod {
            let lim = self.cap.checked_sub(&(self.prod_limit + t.limit))?;
            Some(Resources::min(&lim, &booked))
        } else {
            Some(booked)
        }
    }

    fn place(&mut self, t: &Task) {
        if t.prod {
            self.prod_limit += t.limit;
        }
        self.booked += t.booked();
    }
}

impl Task {
    /// What the task adds to a machine's booked sum: its reservation if prod, else its
    /// limit (non-prod tasks are placed against limits).
    fn booked(&self) -> Resources {
        if self.prod {
            self.reservation
        } else {
            self.limit
        }
    }
}

/// Places the tasks `order` (indices into `tasks`) greedily on `machines`; true if
/// every task was placed.
pub fn pack(tasks: &[Task], order: &[usize], machines: &[Resources], scoring: Scoring) -> bool {
    let unit = machines.iter().fold(Resources::ZERO, |a, m| Resources {
        cpus: a.cpus.max(m.cpus),
        mem: a.mem.max(m.mem),
        ..a
    });
    let (uc, um) = (unit.cpus.max(1) as f64, unit.mem.max(1) as f64);
    let mut bins: Vec<Bin> = machines
        .iter()
        .map(|&cap| Bin {
            cap,
            prod_limit: Resources::ZERO,
            booked: Resources::ZERO,
        })
        .collect();
    for &i in order {
        let t = &tasks[i];
        let mut best: Option<(f64, usize)> = None;
        for (j, b) in bins.iter().enumerate() {
            let Some(left) = b.after(t) else { continue };
            let (lc, lm) = (left.cpus as f64 / uc, left.mem as f64 / um);
            let mut score = lc + lm;
            if scoring == Scoring::Hybrid {
                let (fc, fm) = (
                    left.cpus as f64 / b.cap.cpus.max(1) as f64,
                    left.mem as f64 / b.cap.mem.max(1) as f64,
                );
                score += (fc - fm).abs();
            }
            if best.is_none_or(|(s, _)| score < s) {
                best = Some((score, j));
            }
        }
        match best {
            Some((_, j)) => bins[j].place(t),
            None => return false,
        }
    }
    true
}

/// The packing order: prod tasks first, then non-prod; within each group random
/// (from `rng`) or largest first.
pub fn task_order(
    tasks: &[Task],
    order: TaskOrder,
    unit: Resources,
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    let mut groups: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for (i, t) in tasks.iter().enumerate() {
        groups[usize::from(!t.prod)].push(i);
    }
    for g in &mut groups {
        match order {
            TaskOrder::Random => g.shuffle(rng),
            TaskOrder::LargestFirst => {
                let size = |i: usize| {
                    let l = tasks[i].limit;
                    (l.cpus * unit.mem.max(1)).max(l.mem * unit.cpus.max(1))
                };
                g.sort_by_key(|&i| (std::cmp::Reverse(size(i)), i));
            }
        }
    }
    let [mut a, b] = groups;
    a.extend(b);
    a
}

/// The smallest prefix length of `cell` whose total capacity covers the tasks' demand
/// in each resource (both feasibility sums): no packing can use fewer machines.
fn lower_bound(tasks: &[Task], cell: &[Resources]) -> usize {
    let mut prod = Resources::ZERO;
    let mut booked = Resources::ZERO;
    for t in tasks {
        if t.prod {
            prod += t.limit;
        }
        booked += t.booked();
    }
    let mut cap = Resources::ZERO;
    for (n, m) in cell.iter().enumerate() {
        cap += *m;
        if cap.contains(&prod) && cap.contains(&booked) {
            return n + 1;
        }
    }
    cell.len()
}

/// Compacts `tasks` (already in packing order) onto prefixes of `cell`: the smallest
/// `n` found by binary search with "fits on `n`, not on `n - 1`", or None if they do
/// not fit on the whole of `cell`.
pub fn compact_ordered(
    tasks: &[Task],
    order: &[usize],
    cell: &[Resources],
    scoring: Scoring,
) -> Option<usize> {
    if order.is_empty() {
        return Some(0);
    }
    if !pack(tasks, order, cell, scoring) {
        return None;
    }
    let (mut lo, mut hi) = (lower_bound(tasks, cell).max(1), cell.len());
    // Invariant: fits on hi; nothing below lo fits.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pack(tasks, order, &cell[..mid], scoring) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(hi)
}

/// [`compact_ordered`] with prod first and the file order within each group: the
/// deterministic core, for hand instances.
pub fn compact_one(tasks: &[Task], cell: &[Resources], scoring: Scoring) -> Option<usize> {
    let mut order: Vec<usize> = (0..tasks.len()).filter(|&i| tasks[i].prod).collect();
    order.extend((0..tasks.len()).filter(|&i| !tasks[i].prod));
    compact_ordered(tasks, &order, cell, scoring)
}

/// The configurations compacted in every trial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// The whole workload in one cell (reclamation on).
    Shared,
    /// Prod tasks alone.
    ProdOnly,
    /// Non-prod tasks alone.
    NonProdOnly,
    /// The whole workload, no reclamation (reservation = limit).
    SharedNoReclaim,
    /// Requests rounded up to powers of two (reclamation on).
    Rounded,
    /// Rounded, no reclamation.
    RoundedNoReclaim,
    /// Sum over users of each user's own cell (reclamation on).
    PerUser,
}

impl Variant {
    pub const ALL: [Variant; 7] = [
        Variant::Shared,
        Variant::ProdOnly,
        Variant::NonProdOnly,
        Variant::SharedNoReclaim,
        Variant::Rounded,
        Variant::RoundedNoReclaim,
        Variant::PerUser,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Shared => "shared",
            Variant::ProdOnly => "prod_only",
            Variant::NonProdOnly => "non_prod_only",
            Variant::SharedNoReclaim => "shared_no_reclaim",
            Variant::Rounded => "rounded",
            Variant::RoundedNoReclaim => "rounded_no_reclaim",
            Variant::PerUser => "per_user",
        }
    }
}

/// One trial's compacted sizes, by variant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trial {
    pub trial: u32,
    pub machines: BTreeMap<Variant, usize>,
}

impl Trial {
    fn get(&self, v: Variant) -> f64 {
        self.machines[&v] as f64
    }
}

/// The cell of trial `trial`: shuffled copies of `base`, at least `need` machines.
pub fn trial_cell(base: &[Resources], seed: u64, trial: u32, need: usize) -> Vec<Resources> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(u64::from(trial) * 2);
    let mut cell = Vec::new();
    while cell.len() < need.max(base.len()) {
        let mut copy = base.to_vec();
        copy.shuffle(&mut rng);
        cell.extend(copy);
    }
    cell
}

/// Compacts `tasks` in trial `trial`: the packing order comes from stream
/// `(trial, salt)`; the cell grows by copies of the mix until the tasks fit.
fn compact_trial(
    cfg: &BorgConfig,
    tasks: &[Task],
    base: &[Resources],
    trial: u32,
    salt: u64,
) -> Result<usize, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(
        cfg.seed
            .wrapping_add(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
    );
    rng.set_stream(u64::from(trial) * 2 + 1);
    let unit = base.iter().fold(Resources::ZERO, |a, m| Resources {
        cpus: a.cpus.max(m.cpus),
        mem: a.mem.max(m.mem),
        ..a
    });
    let order = task_order(tasks, cfg.task_order, unit, &mut rng);
    let mut need = base.len();
    loop {
        let cell = trial_cell(base, cfg.seed, trial, need);
        if let Some(n) = compact_ordered(tasks, &order, &cell, cfg.scoring) {
            return Ok(n);
        }
        if need > 64 * base.len() + tasks.len() {
            return Err(format!(
                "{} tasks do not fit on {} machines of the mix",
                tasks.len(),
                cell.len()
            ));
        }
        need = cell.len() * 2;
    }
}

/// Runs trial `trial` of every variant.
pub fn run_trial(cfg: &BorgConfig, tasks: &[Task], trial: u32) -> Result<Trial, String> {
    let base = cfg.cell();
    let min_cpus = (cfg.round_min_cpus * 1000.0).round() as u64;
    let plain: Vec<Task> = tasks.iter().map(|t| t.without_reclaim()).collect();
    let rounded: Vec<Task> = tasks
        .iter()
        .map(|t| t.rounded(min_cpus, cfg.round_min_mem_mib))
        .collect();
    let rounded_plain: Vec<Task> = rounded.iter().map(|t| t.without_reclaim()).collect();
    let part = |p: bool| {
        tasks
            .iter()
            .copied()
            .filter(|t| t.prod == p)
            .collect::<Vec<_>>()
    };
    let mut machines = BTreeMap::new();
    for (salt, v) in Variant::ALL.into_iter().enumerate() {
        let salt = salt as u64;
        let n = match v {
            Variant::Shared => compact_trial(cfg, tasks, &base, trial, salt)?,
            Variant::ProdOnly => compact_trial(cfg, &part(true), &base, trial, salt)?,
            Variant::NonProdOnly => compact_trial(cfg, &part(false), &base, trial, salt)?,
            Variant::SharedNoReclaim => compact_trial(cfg, &plain, &base, trial, salt)?,
            Variant::Rounded => compact_trial(cfg, &rounded, &base, trial, salt)?,
            Variant::RoundedNoReclaim => compact_trial(cfg, &rounded_plain, &base, trial, salt)?,
            Variant::PerUser => {
                let mut by_user: BTreeMap<u32, Vec<Task>> = BTreeMap::new();
                for t in tasks {
                    by_user.entry(t.user).or_default().push(*t);
                }
                let mut sum = 0;
                for (u, ts) in &by_user {
                    sum += compact_trial(cfg, ts, &base, trial, salt * 1_000_003 + u64::from(*u))?;
                }
                sum
            }
        };
        machines.insert(v, n);
    }
    Ok(Trial { trial, machines })
}

/// All trials of `cfg` (in parallel across trials; each is deterministic).
pub fn run_trials(cfg: &BorgConfig) -> Result<(Vec<Task>, Vec<Trial>), String> {
    let tasks = workload(cfg)?;
    let trials = (0..cfg.trials)
        .into_par_iter()
        .map(|i| run_trial(cfg, &tasks, i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((tasks, trials))
}

/// A distribution over trials: median with a distribution-free 95% interval (order
/// statistics), the spread, the 90th percentile the paper reports, and the mean with
/// its t interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    /// The interval `[x_(j), x_(n+1-j)]` of the sorted samples with the largest `j`
    /// whose coverage of the median is at least 95%; None below 6 samples.
    pub median_ci: Option<(f64, f64)>,
    pub min: f64,
    pub max: f64,
    /// Nearest-rank 90th percentile.
    pub p90: f64,
    pub mean: Estimate,
}

impl Spread {
    pub fn of(xs: &[f64]) -> Spread {
        let mut s = xs.to_vec();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        assert!(n > 0, "a spread needs samples");
        let median = if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2.0
        };
        // P(X_(j) <= median <= X_(n+1-j)) = 1 - 2 P(B <= j - 1), B ~ Bin(n, 1/2).
        let median_ci = Binomial::new(0.5, n as u64).ok().and_then(|b| {
            (1..=n / 2)
                .rev()
                .find(|&j| 1.0 - 2.0 * b.cdf(j as u64 - 1) >= 0.95)
                .map(|j| (s[j - 1], s[n - j]))
        });
        let p90 = s[((0.9 * n as f64).ceil() as usize).clamp(1, n) - 1];
        Spread {
            median,
            median_ci,
            min: s[0],
            max: s[n - 1],
            p90,
            mean: Estimate::of(xs),
        }
    }
}

/// One comparison: how many more machines a policy needs than the shared cell.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// A short identifier (the CSV's `experiment` column).
    pub id: &'static str,
    pub name: &'static str,
    /// The paper's range of "percent more", and where it comes from.
    pub paper: (f64, f64),
    pub paper_source: &'static str,
    /// Per-trial `100 * (policy / baseline - 1)`.
    pub percent: Spread,
    /// The same from the 90th-percentile sizes, as the paper computes it.
    pub percent_p90: f64,
    pub baseline: &'static str,
}

impl Comparison {
    /// Distance of the median from the paper's range in percentage points (0 inside).
    pub fn distance(&self) -> f64 {
        let m = self.percent.median;
        if m < self.paper.0 {
            m - self.paper.0
        } else if m > self.paper.1 {
            m - self.paper.1
        } else {
            0.0
        }
    }
}

/// The comparisons of the experiment from its trials.
pub fn compare(trials: &[Trial]) -> Vec<Comparison> {
    let per = |policy: &dyn Fn(&Trial) -> f64, base: &dyn Fn(&Trial) -> f64| {
        let xs: Vec<f64> = trials
            .iter()
            .map(|t| 100.0 * (policy(t) / base(t) - 1.0))
            .collect();
        let pol: Vec<f64> = trials.iter().map(policy).collect();
        let bas: Vec<f64> = trials.iter().map(base).collect();
        (
            Spread::of(&xs),
            100.0 * (Spread::of(&pol).p90 / Spread::of(&bas).p90 - 1.0),
        )
    };
    let segregated = |t: &Trial| t.get(Variant::ProdOnly) + t.get(Variant::NonProdOnly);
    type Size = Box<dyn Fn(&Trial) -> f64>;
    type Row = (
        &'static str,
        &'static str,
        (f64, f64),
        &'static str,
        &'static str,
        Size,
        Size,
    );
    let rows: [Row; 5] = [
        (
            "segregation",
            "segregate prod / non-prod",
            (20.0, 30.0),
            "Fig. 5, median cell",
            "shared",
            Box::new(segregated),
            Box::new(|t: &Trial| t.get(Variant::Shared)),
        ),
        (
            "segregation_no_reclaim",
            "segregate prod / non-prod, no reclamation",
            (20.0, 30.0),
            "Fig. 5, median cell",
            "shared_no_reclaim",
            Box::new(segregated),
            Box::new(|t: &Trial| t.get(Variant::SharedNoReclaim)),
        ),
        (
            "rounding",
            "round up to powers of two",
            (30.0, 50.0),
            "Fig. 10, median case (resources)",
            "shared",
            Box::new(|t: &Trial| t.get(Variant::Rounded)),
            Box::new(|t: &Trial| t.get(Variant::Shared)),
        ),
        (
            "rounding_no_reclaim",
            "round up to powers of two, no reclamation",
            (30.0, 50.0),
            "Fig. 10, median case (resources)",
            "shared_no_reclaim",
            Box::new(|t: &Trial| t.get(Variant::RoundedNoReclaim)),
            Box::new(|t: &Trial| t.get(Variant::SharedNoReclaim)),
        ),
        (
            "per_user",
            "a private cell per user",
            (20.0, 150.0),
            "Fig. 6, users above 10-100 TiB get own cells",
            "shared",
            Box::new(|t: &Trial| t.get(Variant::PerUser)),
            Box::new(|t: &Trial| t.get(Variant::Shared)),
        ),
    ];
    rows.into_iter()
        .map(|(id, name, paper, src, baseline, p, b)| {
            let (percent, percent_p90) = per(&*p, &*b);
            Comparison {
                id,
                name,
                paper,
                paper_source: src,
                percent,
                percent_p90,
                baseline,
            }
        })
        .collect()
}

/// The comparisons as a Markdown table.
pub fn table(rows: &[Comparison], trials: usize) -> String {
    let mut s = String::from(
        "| experiment | paper: % more machines | schedlab: median % more (95% CI) | min .. max | from p90 sizes | distance (pts) | baseline | trials |\n|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let ci = match r.percent.median_ci {
            Some((a, b)) => format!("[{a:.1}, {b:.1}]"),
            None => "n/a".into(),
        };
        s.push_str(&format!(
            "| {} | {:.0}-{:.0} ({}) | {:.1} {} | {:.1} .. {:.1} | {:.1} | {:+.1} | {} | {} |\n",
            r.name,
            r.paper.0,
            r.paper.1,
            r.paper_source,
            r.percent.median,
            ci,
            r.percent.min,
            r.percent.max,
            r.percent_p90,
            r.distance(),
            r.baseline,
            trials,
        ));
    }
    s
}

/// The compacted sizes per variant over trials, as a Markdown table.
pub fn sizes_table(trials: &[Trial]) -> String {
    let mut s = String::from("| cell | median machines | min .. max | p90 |\n|---|---|---|---|\n");
    for v in Variant::ALL {
        let xs: Vec<f64> = trials.iter().map(|t| t.get(v)).collect();
        let sp = Spread::of(&xs);
        s.push_str(&format!(
            "| {} | {} | {} .. {} | {} |\n",
            v.name(),
            sp.median,
            sp.min,
            sp.max,
            sp.p90
        ));
    }
    s
}

/// The comparisons as CSV (one row each).
pub fn csv(rows: &[Comparison]) -> String {
    let mut s = String::from("experiment,paper_low,paper_high,median,median_ci_low,median_ci_high,min,max,mean,mean_ci,percent_from_p90,distance,baseline,trials\n");
    for r in rows {
        let (a, b) = r
            .percent
            .median_ci
            .map_or((String::new(), String::new()), |(a, b)| {
                (format!("{a:.3}"), format!("{b:.3}"))
            });
        s.push_str(&format!(
            "{},{},{},{:.3},{},{},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3},{},{}\n",
            r.id,
            r.paper.0,
            r.paper.1,
            r.percent.median,
            a,
            b,
            r.percent.min,
            r.percent.max,
            r.percent.mean.mean,
            r.percent.mean.half_width,
            r.percent_p90,
            r.distance(),
            r.baseline,
            r.percent.mean.n,
        ));
    }
    s
}

/// Every trial's compacted sizes as CSV (one row per trial and variant).
pub fn trials_csv(trials: &[Trial]) -> String {
    let mut s = String::from("trial,cell,machines\n");
    for t in trials {
        for (v, n) in &t.machines {
            s.push_str(&format!("{},{},{}\n", t.trial, v.name(), n));
        }
    }
    s
}

/// A one-line description of the snapshot: tasks, prod share, users, demand.
pub fn describe(tasks: &[Task], cfg: &BorgConfig) -> String {
    let prod = tasks.iter().filter(|t| t.prod).count();
    let total = tasks.iter().fold(Resources::ZERO, |a, t| a + t.limit);
    let users: std::collections::BTreeSet<u32> = tasks.iter().map(|t| t.user).collect();
    format!(
        "{} tasks ({} prod), {} users, limits {:.0} CPUs / {:.0} GiB; cell of {} machines in {} shapes; scoring {:?}, order {:?}",
        tasks.len(),
        prod,
        users.len(),
        total.cpus_f64(),
        total.mem as f64 / 1024.0,
        cfg.cell().len(),
        cfg.machines.len(),
        cfg.scoring,
        cfg.task_order,
    )
}
