//! Omega (Schwarzkopf et al., EuroSys'13, section 4) lightweight-simulator experiment:
//! monolithic, two-level (Mesos offers) and shared-state (Omega) schedulers on one cell.
//!
//! Like the paper's lightweight simulator, this is a compact discrete-event model, not
//! the Mesos actors: a cell of identical machines pre-filled to `prefill` of its CPUs
//! and memory with tasks that never end, and two job streams (Poisson arrivals):
//! batch jobs and service jobs. Scheduling a job takes `t_job + t_task * tasks` of
//! scheduler time (batch: 0.1 s and 5 ms; the service `t_job` is the swept parameter).
//! Tasks are placed first-fit from a random machine. A scheduling attempt that leaves
//! tasks unplaced is a failed attempt and the job is retried; after
//! `max_attempts` (1000) failed attempts the job is abandoned.
//!
//! - **Monolithic**: one scheduler serves both streams in arrival order (multi-path:
//!   each job with its own decision time) and decides on the live cell state.
//! - **Two-level** (Mesos): a batch and a service scheduler. The allocator offers all
//!   unoffered free resources to an idle scheduler that has work (lowest dominant share
//!   first, as DRF does); the scheduler holds the whole offer while it decides, places
//!   only within it, and returns the rest. While the service scheduler ponders a long
//!   decision, the batch scheduler sees only what is freed meanwhile.
//! - **Shared state** (Omega): both schedulers decide on a private snapshot of the whole
//!   cell, then commit optimistically; a task whose machine no longer has room is a
//!   conflict. `incremental` commits the tasks that still fit and retries the rest;
//!   all-or-nothing (gang) retries the whole job on any conflict.
//!
//! Measured per run: each scheduler's busyness (fraction of time deciding), the
//! fraction of transactions with a conflict, jobs abandoned, and the mean batch wait
//! (arrival to fully scheduled).

use super::Estimate;
use crate::actor::{Time, SEC};
use crate::scenario::ScenarioError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::path::Path;

/// The scheduler architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    Monolithic,
    TwoLevel,
    /// Omega with incremental transactions.
    SharedState,
    /// Omega with all-or-nothing (gang) transactions.
    SharedStateGang,
}

impl Arch {
    pub fn name(self) -> &'static str {
        match self {
            Arch::Monolithic => "monolithic",
            Arch::TwoLevel => "two_level",
            Arch::SharedState => "shared_state",
            Arch::SharedStateGang => "shared_state_gang",
        }
    }
}

/// One job stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobClass {
    /// Mean time between arrivals (exponential gaps).
    #[serde(with = "crate::units::duration")]
    pub interarrival: Time,
    /// Mean tasks per job (geometric on 1, 2, ...).
    pub tasks_mean: f64,
    /// Per-task CPUs (thousandths) and memory (MiB).
    pub cpus_milli: u32,
    pub mem_mib: u32,
    /// Mean task run time (exponential).
    #[serde(with = "crate::units::duration")]
    pub duration_mean: Time,
    /// Decision time per job and per task.
    #[serde(with = "crate::units::duration")]
    pub t_job: Time,
    #[serde(with = "crate::units::duration")]
    pub t_task: Time,
}

fn default_attempts() -> u32 {
    1000
}

/// An Omega experiment file (`scenarios/validation/omega-*.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OmegaConfig {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub architectures: Vec<Arch>,
    /// The swept service `t_job` values, in seconds.
    pub service_t_job_s: Vec<f64>,
    pub machines: u32,
    pub machine_cpus_milli: u32,
    pub machine_mem_mib: u32,
    /// Fraction of CPUs and memory taken by never-ending tasks at time 0.
    pub prefill: f64,
    #[serde(with = "crate::units::duration")]
    pub horizon: Time,
    pub batch: JobClass,
    pub service: JobClass,
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    pub seeds: u64,
    #[serde(default)]
    pub first_seed: u64,
}

impl OmegaConfig {
    /// Values serde cannot check: (key, message).
    pub fn check(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, m: String| Err((k.to_string(), m));
        if self.architectures.is_empty() {
            return bad("architectures", "name at least one".into());
        }
        if self.service_t_job_s.is_empty()
            || self
                .service_t_job_s
                .iter()
                .any(|t| !(t.is_finite() && *t >= 0.0))
        {
            return bad(
                "service_t_job_s",
                "non-negative seconds, at least one".into(),
            );
        }
        if self.machines == 0 || self.machine_cpus_milli == 0 || self.machine_mem_mib == 0 {
            return bad(
                "machines",
                "machines and their sizes must be positive".into(),
            );
        }
        if !(0.0..1.0).contains(&self.prefill) {
            return bad(
                "prefill",
                format!("must be in [0, 1), got {}", self.prefill),
            );
        }
        for (k, c) in [("batch", &self.batch), ("service", &self.service)] {
            if c.interarrival == 0 || c.duration_mean == 0 || c.tasks_mean < 1.0 {
                return bad(
                    k,
                    "interarrival and duration_mean must be positive, tasks_mean >= 1".into(),
                );
            }
            if c.cpus_milli > self.machine_cpus_milli || c.mem_mib > self.machine_mem_mib {
                return bad(k, "a task must fit on an empty machine".into());
            }
        }
        if self.seeds == 0 || self.horizon == 0 || self.max_attempts == 0 {
            return bad(
                "seeds",
                "seeds, horizon and max_attempts must be positive".into(),
            );
        }
        Ok(())
    }

    pub fn load(path: &Path) -> Result<OmegaConfig, ScenarioError> {
        super::load_checked(path, OmegaConfig::check)
    }

    pub fn parse(text: &str, file: &str) -> Result<OmegaConfig, ScenarioError> {
        super::parse_checked(text, file, OmegaConfig::check)
    }
}

const BATCH: usize = 0;
const SERVICE: usize = 1;

#[derive(Clone, Debug)]
struct Job {
    class: usize,
    arrival: Time,
    /// Tasks not placed yet.
    left: u32,
    attempts: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Arrive(usize),
    /// A task ends on a machine: (machine, class).
    TaskEnd(u32, usize),
    /// Scheduler s finishes its decision.
    Decided(usize),
}

/// A scheduler's state.
#[derive(Default)]
struct Sched {
    queue: VecDeque<Job>,
    /// The job being decided, its snapshot (shared state) or offer (two-level).
    current: Option<Job>,
    view: Vec<[u32; 2]>,
    busy: Time,
    busy_since: Time,
    transactions: u64,
    conflicted: u64,
    /// Two-level: it holds an offer (the `view` is what it was offered).
    holding: bool,
}

/// What one run measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OmegaRun {
    pub busyness: [f64; 2],
    pub conflict_fraction: [f64; 2],
    pub jobs: [u64; 2],
    pub abandoned: [u64; 2],
    pub batch_wait_s: f64,
}

struct Cell<'a> {
    cfg: &'a OmegaConfig,
    arch: Arch,
    now: Time,
    seq: u64,
    queue: BinaryHeap<Reverse<(Time, u64, Ev)>>,
    free: Vec<[u32; 2]>,
    /// Two-level: resources offered and not yet returned, per machine.
    offered: Vec<[u32; 2]>,
    scheds: Vec<Sched>,
    /// Per class: running tasks (for the DRF order of offers).
    running: [u64; 2],
    rng: ChaCha8Rng,
    gaps: [Exp<f64>; 2],
    durs: [Exp<f64>; 2],
    service_t_job: Time,
    jobs: [u64; 2],
    abandoned: [u64; 2],
    waits: Vec<f64>,
}

fn sub(a: [u32; 2], b: [u32; 2]) -> Option<[u32; 2]> {
    Some([a[0].checked_sub(b[0])?, a[1].checked_sub(b[1])?])
}

impl<'a> Cell<'a> {
    fn new(cfg: &'a OmegaConfig, arch: Arch, service_t_job: Time, seed: u64) -> Cell<'a> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let m = cfg.machines as usize;
        let cap = [cfg.machine_cpus_milli, cfg.machine_mem_mib];
        let fill = |c: u32| ((c as f64) * cfg.prefill).round() as u32;
        // Pre-fill: every machine at `prefill` (plus a little jitter so machines
        // differ, as in a real cell), by never-ending tasks outside both schedulers.
        let free = (0..m)
            .map(|_| {
                let j: f64 = rng.gen_range(-0.1..0.1);
                let f = |c: u32| {
                    let used = (fill(c) as f64 * (1.0 + j)).round() as u32;
                    c - used.min(c)
                };
                [f(cap[0]), f(cap[1])]
            })
            .collect();
        let exp = |t: Time| Exp::new(1.0 / t as f64).expect("positive");
        let n_sched = if arch == Arch::Monolithic { 1 } else { 2 };
        Cell {
            cfg,
            arch,
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            free,
            offered: vec![[0, 0]; m],
            scheds: (0..n_sched).map(|_| Sched::default()).collect(),
            running: [0, 0],
            rng,
            gaps: [exp(cfg.batch.interarrival), exp(cfg.service.interarrival)],
            durs: [exp(cfg.batch.duration_mean), exp(cfg.service.duration_mean)],
            service_t_job,
            jobs: [0, 0],
            abandoned: [0, 0],
            waits: Vec::new(),
        }
    }

    fn class(&self, c: usize) -> &JobClass {
        if c == BATCH {
            &self.cfg.batch
        } else {
            &self.cfg.service
        }
    }

    fn push(&mut self, at: Time, ev: Ev) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, ev)));
    }

    fn sched_of(&self, class: usize) -> usize {
        if self.arch == Arch::Monolithic {
            0
        } else {
            class
        }
    }

    fn decision_time(&self, job: &Job) -> Time {
        let c = self.class(job.class);
        let t_job = if job.class == SERVICE {
            self.service_t_job
        } else {
            c.t_job
        };
        t_job + c.t_task * job.left as Time
    }

    fn task_size(&self, class: usize) -> [u32; 2] {
        let c = self.class(class);
        [c.cpus_milli, c.mem_mib]
    }

    /// Starts deciding on the head job of scheduler `s` if it is idle (two-level: and
    /// holds an offer).
    fn try_start(&mut self, s: usize) {
        let sc = &self.scheds[s];
        if sc.current.is_some() || sc.queue.is_empty() {
            return;
        }
        if self.arch == Arch::TwoLevel && !sc.holding {
            return;
        }
        let job = self.scheds[s].queue.pop_front().expect("non-empty");
        let dt = self.decision_time(&job);
        if matches!(self.arch, Arch::SharedState | Arch::SharedStateGang) {
            self.scheds[s].view = self.free.clone();
        }
        let sc = &mut self.scheds[s];
        sc.current = Some(job);
        sc.busy_since = self.now;
        self.push(self.now + dt, Ev::Decided(s));
    }

    /// Two-level: offer all unoffered free resources to idle schedulers with work,
    /// lowest dominant share (running tasks' CPUs) first.
    fn offer(&mut self) {
        if self.arch != Arch::TwoLevel {
            return;
        }
        let mut order: Vec<usize> = (0..2).collect();
        let share = |c: usize| self.running[c] * self.task_size(c)[0] as u64;
        order.sort_by_key(|&c| (share(c), c));
        for s in order {
            let sc = &self.scheds[s];
            if sc.holding || sc.queue.is_empty() {
                continue;
            }
            let any = self.free.iter().zip(&self.offered).any(|(f, o)| f != o);
            if !any {
                return;
            }
            let view: Vec<[u32; 2]> = self
                .free
                .iter()
                .zip(&self.offered)
                .map(|(f, o)| sub(*f, *o).expect("offered <= free"))
                .collect();
            for (o, v) in self.offered.iter_mut().zip(&view) {
                o[0] += v[0];
                o[1] += v[1];
            }
            let sc = &mut self.scheds[s];
            sc.view = view;
            sc.holding = true;
            self.try_start(s);
        }
    }

    /// Chooses machines for up to `n` tasks of `size` in `view` (first fit from a random
    /// machine), updating `view`. Returns the machines chosen.
    fn choose(&mut self, view: &mut [[u32; 2]], size: [u32; 2], n: u32) -> Vec<u32> {
        let m = view.len();
        let mut out = Vec::new();
        let mut start = self.rng.gen_range(0..m);
        for _ in 0..n {
            let mut placed = false;
            for k in 0..m {
                let i = (start + k) % m;
                if let Some(rest) = sub(view[i], size) {
                    view[i] = rest;
                    out.push(i as u32);
                    start = self.rng.gen_range(0..m);
                    placed = true;
                    break;
                }
            }
            if !placed {
                break;
            }
        }
        out
    }

    fn launch(&mut self, machine: u32, class: usize) {
        let size = self.task_size(class);
        let f = &mut self.free[machine as usize];
        *f = sub(*f, size).expect("checked to fit");
        self.running[class] += 1;
        let d = self.durs[class].sample(&mut self.rng).round() as Time;
        self.push(self.now + d.max(1), Ev::TaskEnd(machine, class));
    }

    fn decided(&mut self, s: usize) {
        let mut job = self.scheds[s].current.take().expect("deciding");
        let since = self.scheds[s].busy_since;
        self.scheds[s].busy += self.now - since;
        let size = self.task_size(job.class);
        match self.arch {
            Arch::Monolithic => {
                let mut view = std::mem::take(&mut self.free);
                let chosen = self.choose(&mut view, size, job.left);
                self.free = view;
                // `choose` already took the resources from `free`; launch re-takes
                // them, so give them back first.
                for &m in &chosen {
                    let f = &mut self.free[m as usize];
                    f[0] += size[0];
                    f[1] += size[1];
                    self.launch(m, job.class);
                }
                job.left -= chosen.len() as u32;
            }
            Arch::TwoLevel => {
                let mut view = std::mem::take(&mut self.scheds[s].view);
                let before = view.clone();
                let chosen = self.choose(&mut view, size, job.left);
                // Return the whole offer, then launch what was chosen.
                for (i, b) in before.iter().enumerate() {
                    let o = &mut self.offered[i];
                    *o = sub(*o, *b).expect("offer was counted");
                }
                for &m in &chosen {
                    self.launch(m, job.class);
                }
                job.left -= chosen.len() as u32;
                self.scheds[s].holding = false;
            }
            Arch::SharedState | Arch::SharedStateGang => {
                let mut view = std::mem::take(&mut self.scheds[s].view);
                let chosen = self.choose(&mut view, size, job.left);
                // Commit against the live state.
                let mut scratch = self.free.clone();
                let mut ok = Vec::new();
                let mut conflict = false;
                for &m in &chosen {
                    match sub(scratch[m as usize], size) {
                        Some(rest) => {
                            scratch[m as usize] = rest;
                            ok.push(m);
                        }
                        None => conflict = true,
                    }
                }
                let sc = &mut self.scheds[s];
                sc.transactions += 1;
                sc.conflicted += conflict as u64;
                if !(conflict && self.arch == Arch::SharedStateGang) {
                    for &m in &ok {
                        self.launch(m, job.class);
                    }
                    job.left -= ok.len() as u32;
                }
            }
        }
        if job.left == 0 {
            if job.class == BATCH {
                self.waits
                    .push((self.now - job.arrival) as f64 / SEC as f64);
            }
        } else {
            job.attempts += 1;
            if job.attempts >= self.cfg.max_attempts {
                self.abandoned[job.class] += 1;
            } else {
                self.scheds[s].queue.push_back(job);
            }
        }
        self.offer();
        self.try_start(s);
    }

    fn arrive(&mut self, class: usize) {
        let c = self.class(class).clone();
        let p = 1.0 / c.tasks_mean;
        let tasks = rand_distr::Geometric::new(p)
            .expect("tasks_mean >= 1")
            .sample(&mut self.rng) as u32
            + 1;
        self.jobs[class] += 1;
        let s = self.sched_of(class);
        self.scheds[s].queue.push_back(Job {
            class,
            arrival: self.now,
            left: tasks,
            attempts: 0,
        });
        let gap = self.gaps[class].sample(&mut self.rng).round() as Time;
        self.push(self.now + gap.max(1), Ev::Arrive(class));
        self.offer();
        self.try_start(s);
    }

    fn run(mut self) -> OmegaRun {
        for c in [BATCH, SERVICE] {
            let gap = self.gaps[c].sample(&mut self.rng).round() as Time;
            self.push(gap, Ev::Arrive(c));
        }
        while let Some(Reverse((t, _, ev))) = self.queue.pop() {
            if t > self.cfg.horizon {
                break;
            }
            self.now = t;
            match ev {
                Ev::Arrive(c) => self.arrive(c),
                Ev::TaskEnd(m, c) => {
                    let size = self.task_size(c);
                    let f = &mut self.free[m as usize];
                    f[0] += size[0];
                    f[1] += size[1];
                    self.running[c] -= 1;
                    self.offer();
                }
                Ev::Decided(s) => self.decided(s),
            }
        }
        let h = self.cfg.horizon as f64;
        let mut r = OmegaRun {
            jobs: self.jobs,
            abandoned: self.abandoned,
            batch_wait_s: if self.waits.is_empty() {
                0.0
            } else {
                self.waits.iter().sum::<f64>() / self.waits.len() as f64
            },
            ..Default::default()
        };
        for c in [BATCH, SERVICE] {
            let sc = &self.scheds[self.sched_of(c)];
            let mut busy = sc.busy;
            if sc.current.is_some() {
                busy += self.cfg.horizon.saturating_sub(sc.busy_since);
            }
            r.busyness[c] = busy as f64 / h;
            r.conflict_fraction[c] = if sc.transactions == 0 {
                0.0
            } else {
                sc.conflicted as f64 / sc.transactions as f64
            };
        }
        r
    }
}

/// One run of one architecture at one service `t_job`.
pub fn run_one(cfg: &OmegaConfig, arch: Arch, service_t_job: Time, seed: u64) -> OmegaRun {
    Cell::new(cfg, arch, service_t_job, seed).run()
}

/// One point of the sweep, over the seeds.
#[derive(Clone, Debug, Serialize)]
pub struct OmegaPoint {
    pub arch: Arch,
    pub service_t_job_s: f64,
    pub batch_busyness: Estimate,
    pub service_busyness: Estimate,
    pub batch_conflict_fraction: Estimate,
    pub service_conflict_fraction: Estimate,
    /// Fraction of batch jobs abandoned.
    pub batch_abandoned: Estimate,
    pub service_abandoned: Estimate,
    pub batch_wait_s: Estimate,
}

/// Runs the whole sweep of `cfg` (parallel across points and seeds; each run is
/// deterministic).
pub fn sweep(cfg: &OmegaConfig) -> Vec<OmegaPoint> {
    let mut points = Vec::new();
    for &arch in &cfg.architectures {
        for &t in &cfg.service_t_job_s {
            points.push((arch, t));
        }
    }
    points
        .into_par_iter()
        .map(|(arch, t)| {
            let tj = (t * SEC as f64).round() as Time;
            let runs: Vec<OmegaRun> = (cfg.first_seed..cfg.first_seed + cfg.seeds)
                .into_par_iter()
                .map(|s| run_one(cfg, arch, tj, s))
                .collect();
            let col = |f: &dyn Fn(&OmegaRun) -> f64| {
                Estimate::of(&runs.iter().map(f).collect::<Vec<_>>())
            };
            let frac = |c: usize| {
                col(&|r: &OmegaRun| {
                    if r.jobs[c] == 0 {
                        0.0
                    } else {
                        r.abandoned[c] as f64 / r.jobs[c] as f64
                    }
                })
            };
            OmegaPoint {
                arch,
                service_t_job_s: t,
                batch_busyness: col(&|r| r.busyness[BATCH]),
                service_busyness: col(&|r| r.busyness[SERVICE]),
                batch_conflict_fraction: col(&|r| r.conflict_fraction[BATCH]),
                service_conflict_fraction: col(&|r| r.conflict_fraction[SERVICE]),
                batch_abandoned: frac(BATCH),
                service_abandoned: frac(SERVICE),
                batch_wait_s: col(&|r| r.batch_wait_s),
            }
        })
        .collect()
}

/// The sweep as a Markdown table.
pub fn table(points: &[OmegaPoint]) -> String {
    let mut s = String::from(
        "| architecture | t_job(service) s | busyness batch | busyness service | conflict fraction batch | conflict fraction service | batch jobs abandoned | batch wait s |\n|---|---|---|---|---|---|---|---|\n",
    );
    for p in points {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            p.arch.name(),
            p.service_t_job_s,
            p.batch_busyness.show(3),
            p.service_busyness.show(3),
            p.batch_conflict_fraction.show(3),
            p.service_conflict_fraction.show(3),
            p.batch_abandoned.show(3),
            p.batch_wait_s.show(1),
        ));
    }
    s
}

/// The sweep as CSV (one row per point: means and 95% half-widths), for plots.
pub fn csv(points: &[OmegaPoint]) -> String {
    let mut s = String::from("architecture,service_t_job_s,busyness_batch,busyness_batch_ci,busyness_service,busyness_service_ci,conflict_batch,conflict_batch_ci,conflict_service,conflict_service_ci,abandoned_batch,abandoned_batch_ci,batch_wait_s,batch_wait_s_ci\n");
    for p in points {
        let e = |e: &Estimate| format!("{:.6},{:.6}", e.mean, e.half_width);
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            p.arch.name(),
            p.service_t_job_s,
            e(&p.batch_busyness),
            e(&p.service_busyness),
            e(&p.batch_conflict_fraction),
            e(&p.service_conflict_fraction),
            e(&p.batch_abandoned),
            e(&p.batch_wait_s),
        ));
    }
    s
}
