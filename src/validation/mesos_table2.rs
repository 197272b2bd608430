//! Mesos NSDI'11, section 4.2, Table 2: how long a framework waits for the slots it is
//! entitled to, and what that costs elastic and rigid frameworks.
//!
//! The model: a framework F is entitled to `k` slots, each held by a task of another
//! framework whose remaining time is uniform on `[0, T]` (constant task durations) or
//! exponential with mean `T`. Those tasks end and are not replaced (their framework has
//! nothing more to run), so each freed slot goes to F. F's job is `beta * k * T` of
//! work. An *elastic* F runs fine-grained tasks (length `task_fraction * T`) on slots as
//! they come; a *rigid* F (MPI-like) starts only when it holds all `k` slots, holding
//! the offers it gets meanwhile, then runs `k` tasks of `beta * T`.
//!
//! Everything goes through the real stack: one master with the hierarchical DRF
//! allocator, `k` agents of one slot each, the network model, and two framework actors
//! ([`Holder`] for the other framework, [`Table2Framework`] for F). Time is measured
//! from F's registration, in units of `T`.
//!
//! What is compared ([`expectations`]): the paper's closed forms (ramp-up `T` or
//! `T ln k`; completion `(1/2 + beta) T`, `(1 + beta) T`, `(1 + beta) T`,
//! `(ln k + beta) T`; utilization `1, 1, beta / (1/2 + beta)`,
//! `beta / (ln k - 1 + beta)`) are approximations. The exact expectations of the model
//! are: ramp-up `E[max of k]` = `k/(k+1) T` or `H_k T`; rigid completion that plus
//! `beta T`; rigid utilization `beta / (E[max] - E[X] + beta)` (a ratio of expected
//! slot-times); elastic-constant completion `(1/2 + beta) T` (exact once `beta >= 1/2`);
//! elastic-exponential completion `E[t]` with `sum_i (t - X_i)^+ = beta k T`, computed
//! by Monte Carlo at the given `k` (1.843 / 5.997 at k = 100; its `k -> infinity`
//! limit is the root of `t - T(1 - e^(-t/T)) = beta T`, 1.841 / 5.998).
//!
//! Discretization: the master allocates every `allocation_interval` and, as Mesos,
//! not when resources are freed, so a freed slot is re-offered at the next batch
//! allocation; messages take 0.5 ms. The elastic configurations set the interval to
//! 100 ms (a hand-over waits 50 ms on average, 0.5% of a `T / 100` task; Mesos' 1 s
//! would add 5% to the elastic completion); with `T = 1000 s` the rigid hand-overs
//! stay below 1e-3 T, and the elastic tasks (`T / 100` = 10 s) make the
//! last one overshoot the fluid completion by about half a task, 0.005 T. Agents start
//! tasks at once (`launch_delay = 0`): a 100 ms launch delay on each of 500 successive
//! tasks per slot would add 0.05 T to the elastic completion.
//!
//! ```
//! use schedlab::validation::mesos_table2::{expectations, Mode, Remaining};
//! let e = expectations(100, 1.0, Remaining::Exponential, Mode::Rigid);
//! assert!((e.ramp_up - 5.187).abs() < 1e-3);
//! assert!((e.completion - 6.187).abs() < 1e-3);
//! assert!((e.utilization - 0.193).abs() < 1e-3);
//! ```

use super::Estimate;
use crate::actor::{Actor, ActorId, Ctx, Time, TimerId, SEC};
use crate::alloc::{AgentId, FrameworkId};
use crate::mesos::master::MasterConfig;
use crate::proto::{Mesos, Msg, Offer, OfferId, TaskId, TaskInfo, TaskRun, TaskState, Timer};
use crate::resources::Resources;
use crate::run::Cluster;
use crate::scenario::{AgentGroup, NetworkSection, NonNeg, Scenario, ScenarioError};
use crate::sim::SimConfig;
use rand_distr::{Distribution, Exp, Uniform};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Remaining times of the tasks that hold F's slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Remaining {
    /// Constant task durations: remaining times uniform on `[0, T]`.
    Constant,
    /// Exponential task durations with mean `T` (memoryless: remaining is too).
    Exponential,
}

/// How F uses its slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Runs fine-grained tasks on each slot as it comes.
    Elastic,
    /// Starts only once it holds all `k` slots (it holds the offers until then).
    Rigid,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Elastic => "elastic",
            Mode::Rigid => "rigid",
        }
    }
}

impl Remaining {
    pub fn name(self) -> &'static str {
        match self {
            Remaining::Constant => "constant",
            Remaining::Exponential => "exponential",
        }
    }
}

fn default_frameworks() -> Vec<Mode> {
    vec![Mode::Elastic, Mode::Rigid]
}
fn default_task_fraction() -> f64 {
    0.01
}
fn default_seeds() -> u64 {
    200
}
fn one() -> u64 {
    1
}
fn ten_seconds() -> Time {
    10 * SEC
}

/// One Table 2 experiment file (`scenarios/validation/mesos-table2-*.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table2Config {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Slots F is entitled to (one agent of one CPU each).
    pub k: u32,
    /// The time unit `T` of the paper.
    #[serde(rename = "T", with = "crate::units::duration")]
    pub t: Time,
    /// Size of F's job in units of `k * T` slot-time.
    pub betas: Vec<f64>,
    pub remaining: Remaining,
    /// Which frameworks to run (each against the same draws, seed by seed).
    #[serde(default = "default_frameworks")]
    pub frameworks: Vec<Mode>,
    /// Length of an elastic task, as a fraction of `T`.
    #[serde(default = "default_task_fraction")]
    pub task_fraction: f64,
    /// Number of seeds (runs) per point; seeds `first_seed ..`.
    #[serde(default = "default_seeds")]
    pub seeds: u64,
    #[serde(default = "one")]
    pub first_seed: u64,
    /// When F registers; the other framework's tasks are launched before.
    #[serde(default = "ten_seconds", with = "crate::units::duration")]
    pub arrival: Time,
    /// Agents' executor start time (see the module doc for why 0).
    #[serde(default, with = "crate::units::duration")]
    pub launch_delay: Time,
    #[serde(default)]
    pub masters: MasterConfig,
    #[serde(default)]
    pub network: NetworkSection,
}

impl Table2Config {
    /// Values serde cannot check: (key, message).
    pub fn check(&self) -> Result<(), (String, String)> {
        if self.k == 0 {
            return Err(("k".into(), "must be at least 1".into()));
        }
        if self.t == 0 {
            return Err(("T".into(), "must be positive".into()));
        }
        if self.betas.is_empty() || self.betas.iter().any(|b| !(b.is_finite() && *b > 0.0)) {
            return Err((
                "betas".into(),
                format!("must be positive numbers, got {:?}", self.betas),
            ));
        }
        if !(self.task_fraction > 0.0 && self.task_fraction <= 1.0) {
            return Err((
                "task_fraction".into(),
                format!("must be in (0, 1], got {}", self.task_fraction),
            ));
        }
        if self.frameworks.is_empty() {
            return Err(("frameworks".into(), "name at least one".into()));
        }
        if self.seeds == 0 {
            return Err(("seeds".into(), "must be at least 1".into()));
        }
        if self.masters.allocation_interval == 0 {
            return Err(("allocation_interval".into(), "must be positive".into()));
        }
        self.network
            .default
            .validate()
            .map_err(|m| ("default".to_string(), m))
    }

    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Table2Config, ScenarioError> {
        super::load_checked(path, Table2Config::check)
    }

    /// Parses and checks config text (`file` names it in errors).
    pub fn parse(text: &str, file: &str) -> Result<Table2Config, ScenarioError> {
        super::parse_checked(text, file, Table2Config::check)
    }
}

/// The other framework: takes every slot at once with tasks that end at
/// `arrival + X`, `X` drawn from the remaining-time distribution, then suppresses (it
/// has nothing more to run, so the freed slots are not replaced).
pub struct Holder {
    master: ActorId,
    id: Option<FrameworkId>,
    k: u32,
    t: Time,
    arrival: Time,
    remaining: Remaining,
    launched: u32,
}

impl Holder {
    pub fn new(master: ActorId, k: u32, t: Time, arrival: Time, remaining: Remaining) -> Holder {
        Holder {
            master,
            id: None,
            k,
            t,
            arrival,
            remaining,
            launched: 0,
        }
    }
}

fn register(ctx: &mut Ctx<Mesos>, master: ActorId, name: &str) {
    ctx.send(
        master,
        Msg::RegisterFramework(Box::new(crate::proto::FrameworkInfo {
            id: None,
            name: name.into(),
            role: name.into(),
            weight_milli: 1000,
            principal: name.into(),
            partition_aware: false,
            failover_timeout: 0,
            revocable_resources: false,
        })),
    );
}

/// Acknowledges an update that asks for it (otherwise the agent retries it).
fn ack(ctx: &mut Ctx<Mesos>, master: ActorId, fw: FrameworkId, s: &crate::proto::TaskStatus) {
    if let (Some(uuid), Some(agent)) = (s.uuid, s.agent) {
        ctx.send(
            master,
            Msg::Acknowledge {
                framework: fw,
                agent,
                task: s.task,
                uuid: uuid.get(),
            },
        );
    }
}

fn task(index: u32, resources: Resources, duration: Time, now: Time) -> TaskInfo {
    TaskInfo {
        id: TaskId {
            job: 0,
            index,
            attempt: 0,
        },
        resources,
        run: TaskRun {
            duration,
            succeeds: true,
        },
        submitted: now,
        job_tasks: 1,
    }
}

impl Actor<Mesos> for Holder {
    fn on_start(&mut self, ctx: &mut Ctx<Mesos>) {
        register(ctx, self.master, "other");
    }

    fn on_message(&mut self, ctx: &mut Ctx<Mesos>, _from: ActorId, msg: Msg) {
        match msg {
            Msg::FrameworkRegistered { id } => self.id = Some(id),
            Msg::Offers(offers) => {
                let Some(fw) = self.id else { return };
                let t = self.t as f64;
                for o in offers {
                    if self.launched == self.k {
                        ctx.send(
                            self.master,
                            Msg::Decline {
                                framework: fw,
                                offers: vec![o.id],
                                refuse: Time::MAX / 4,
                            },
                        );
                        continue;
                    }
                    let x = match self.remaining {
                        Remaining::Constant => Uniform::new_inclusive(0.0, t).sample(ctx.rng()),
                        Remaining::Exponential => {
                            Exp::new(1.0 / t).expect("T > 0").sample(ctx.rng())
                        }
                    };
                    let now = ctx.now();
                    let end = self.arrival + x.round() as Time;
                    let duration = end.saturating_sub(now).max(1);
                    ctx.send(
                        self.master,
                        Msg::Accept {
                            framework: fw,
                            offers: vec![o.id].into(),
                            tasks: vec![task(self.launched, o.resources, duration, now)].into(),
                            refuse: 0,
                        },
                    );
                    self.launched += 1;
                    if self.launched == self.k {
                        ctx.send(self.master, Msg::Suppress { framework: fw });
                    }
                }
            }
            Msg::Update { status } => {
                if let Some(fw) = self.id {
                    ack(ctx, self.master, fw, &status);
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, _ctx: &mut Ctx<Mesos>, _id: TimerId, _timer: Timer) {}
}

/// What F measured in one run (times in ns from its registration).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Table2Run {
    /// When the last of the `k` slots came to F (was first offered to it).
    pub ramp_up: Option<Time>,
    /// When its last task finished.
    pub completion: Option<Time>,
    /// Slot-time F's tasks ran (ns x slots).
    pub busy: f64,
    /// Slot-time F held (from offer to the end of the task run on it).
    pub allocated: f64,
    pub events: u64,
}

/// The framework under test (F): elastic or rigid, measuring ramp-up, completion and
/// the slot-time it held and used.
pub struct Table2Framework {
    master: ActorId,
    id: Option<FrameworkId>,
    mode: Mode,
    k: u32,
    task_len: Time,
    to_launch: u64,
    to_finish: u64,
    start: Time,
    /// Slots held now: agent -> time the offer arrived.
    held: BTreeMap<AgentId, Time>,
    /// Slots offered to F so far.
    seen: BTreeSet<AgentId>,
    /// Rigid: offers held until all `k` are there.
    waiting: Vec<Offer>,
    /// Task -> (agent, run length).
    running: BTreeMap<TaskId, (AgentId, Time)>,
    next_index: u32,
    pub result: Table2Run,
}

impl Table2Framework {
    /// `beta * k * T` of work: elastic in tasks of `task_len`, rigid in `k` tasks of
    /// `beta * T`.
    pub fn new(master: ActorId, mode: Mode, k: u32, t: Time, beta: f64, task_len: Time) -> Self {
        let (task_len, n) = match mode {
            Mode::Elastic => {
                let work = beta * k as f64 * t as f64;
                (task_len, (work / task_len as f64).round().max(1.0) as u64)
            }
            Mode::Rigid => ((beta * t as f64).round() as Time, k as u64),
        };
        Table2Framework {
            master,
            id: None,
            mode,
            k,
            task_len,
            to_launch: n,
            to_finish: n,
            start: 0,
            held: BTreeMap::new(),
            seen: BTreeSet::new(),
            waiting: Vec::new(),
            running: BTreeMap::new(),
            next_index: 0,
            result: Table2Run::default(),
        }
    }

    /// Ramp-up ends when the last of the `k` slots has come to F: for a rigid F that is
    /// when it holds all `k`; an elastic F may have finished its job before (beta = 1,
    /// exponential), so it keeps counting the slots offered to it after that.
    /// Returns true when that completes the run (the job had finished already).
    fn offered(&mut self, now: Time, agent: AgentId) -> bool {
        self.seen.insert(agent);
        if self.result.ramp_up.is_none() && self.seen.len() == self.k as usize {
            self.result.ramp_up = Some(now - self.start);
            return self.finish_if_done(now);
        }
        false
    }

    fn finish_if_done(&mut self, now: Time) -> bool {
        if self.to_finish == 0 && self.result.completion.is_none() {
            self.result.completion = Some(now - self.start);
        }
        self.result.completion.is_some() && self.result.ramp_up.is_some()
    }

    fn launch(&mut self, ctx: &mut Ctx<Mesos>, fw: FrameworkId, o: &Offer) {
        let now = ctx.now();
        let t = task(self.next_index, o.resources, self.task_len, now);
        self.next_index += 1;
        self.to_launch -= 1;
        self.running.insert(t.id, (o.agent, self.task_len));
        ctx.send(
            self.master,
            Msg::Accept {
                framework: fw,
                offers: vec![o.id].into(),
                tasks: vec![t].into(),
                refuse: 0,
            },
        );
    }

    fn decline(&self, ctx: &mut Ctx<Mesos>, fw: FrameworkId, offers: Vec<OfferId>) {
        ctx.send(
            self.master,
            Msg::Decline {
                framework: fw,
                offers,
                refuse: Time::MAX / 4,
            },
        );
    }
}

impl Actor<Mesos> for Table2Framework {
    fn on_start(&mut self, ctx: &mut Ctx<Mesos>) {
        self.start = ctx.now();
        register(ctx, self.master, "F");
    }

    fn on_message(&mut self, ctx: &mut Ctx<Mesos>, _from: ActorId, msg: Msg) {
        match msg {
            Msg::FrameworkRegistered { id } => self.id = Some(id),
            Msg::Offers(offers) => {
                let Some(fw) = self.id else { return };
                let now = ctx.now();
                let mut extra = Vec::new();
                let mut done = false;
                for o in offers {
                    done |= self.offered(now, o.agent);
                    if self.to_launch == 0 {
                        extra.push(o.id);
                        continue;
                    }
                    self.held.insert(o.agent, now);
                    match self.mode {
                        Mode::Elastic => self.launch(ctx, fw, &o),
                        Mode::Rigid => {
                            self.waiting.push(o);
                            if self.waiting.len() == self.k as usize {
                                for o in std::mem::take(&mut self.waiting) {
                                    self.launch(ctx, fw, &o);
                                }
                            }
                        }
                    }
                }
                if !extra.is_empty() {
                    self.decline(ctx, fw, extra);
                }
                if done {
                    ctx.stop_run();
                }
            }
            Msg::Update { status } => {
                let Some(fw) = self.id else { return };
                ack(ctx, self.master, fw, &status);
                if !status.state.is_terminal() {
                    return;
                }
                let Some((agent, len)) = self.running.remove(&status.task) else {
                    return;
                };
                let now = ctx.now();
                if status.state == TaskState::Finished {
                    self.result.busy += len as f64;
                }
                if let Some(since) = self.held.remove(&agent) {
                    self.result.allocated += (now - since) as f64;
                }
                self.to_finish -= 1;
                if self.finish_if_done(now) {
                    ctx.stop_run();
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, _ctx: &mut Ctx<Mesos>, _id: TimerId, _timer: Timer) {}
}

/// The cluster of one run: `k` one-slot agents, a master, no scenario frameworks.
fn scenario(cfg: &Table2Config) -> Scenario {
    Scenario {
        name: cfg.name.clone(),
        description: None,
        seed: cfg.first_seed,
        run: Default::default(),
        masters: crate::scenario::MastersSection {
            count: 1,
            flags: cfg.masters.clone(),
        },
        coord: Default::default(),
        allocator: Default::default(),
        agents: vec![AgentGroup {
            name: "slot".into(),
            count: cfg.k,
            cpus: NonNeg(1.0),
            mem: NonNeg(1024.0),
            disk: NonNeg(0.0),
            gpus: NonNeg(0.0),
            attributes: Default::default(),
            launch_delay: cfg.launch_delay,
            reserve: Vec::new(),
            oversubscription: None,
        }],
        frameworks: Vec::new(),
        network: cfg.network.clone(),
        faults: Vec::new(),
        agent_failures: None,
        limits: Default::default(),
        source: None,
    }
}

/// One run of one point through the full stack. The other framework's draws depend on
/// the seed only (its actor id and stream are the same for every mode and beta), so
/// elastic and rigid runs of one seed face the same remaining times.
pub fn run_one(cfg: &Table2Config, mode: Mode, beta: f64, seed: u64) -> Result<Table2Run, String> {
    let scn = scenario(cfg);
    let mut c = Cluster::build(&scn, seed, SimConfig::default())?;
    let fg = c
        .sim
        .net()
        .find_group("frameworks")
        .ok_or("no frameworks group")?;
    let (master, k, t, arrival, remaining) =
        (c.masters[0], cfg.k, cfg.t, cfg.arrival, cfg.remaining);
    c.sim.add_actor("other", fg, move || {
        Holder::new(master, k, t, arrival, remaining)
    });
    let task_len = ((cfg.t as f64 * cfg.task_fraction).round() as Time).max(1);
    let f = c.sim.add_actor_at("F", fg, cfg.arrival, move || {
        Table2Framework::new(master, mode, k, t, beta, task_len)
    });
    // Generous horizon: the rigid exponential case ends near (H_k + beta) T.
    let horizon = cfg.arrival + ((30.0 + 2.0 * beta) * cfg.t as f64) as Time;
    let report = c.sim.run(crate::sim::Stop::at(horizon));
    let fw = c
        .sim
        .actor::<Table2Framework>(f)
        .ok_or("framework F is not running")?;
    let mut r = fw.result.clone();
    r.events = report.events;
    if r.completion.is_none() {
        return Err(format!(
            "{} {} beta={beta} seed {seed}: F did not finish by {} s",
            cfg.name,
            mode.name(),
            horizon / SEC
        ));
    }
    Ok(r)
}

/// The model's values for one point, in units of `T`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Expect {
    pub ramp_up: f64,
    pub completion: f64,
    pub utilization: f64,
}

/// `H_k = 1 + 1/2 + ... + 1/k`.
pub fn harmonic(k: u32) -> f64 {
    (1..=k).map(|i| 1.0 / i as f64).sum()
}

/// Root of `t - (1 - e^-t) = beta` (elastic-exponential completion, fluid limit), by
/// bisection on `[beta, beta + 1]` where the left side is increasing.
pub fn elastic_exponential_completion(beta: f64) -> f64 {
    let f = |t: f64| t - (1.0 - (-t).exp()) - beta;
    let (mut lo, mut hi) = (beta, beta + 1.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Expected elastic-exponential completion at finite `k`: `E[t]` where
/// `sum_i (t - X_i)^+ = beta k` with `X_i ~ Exp(1)`, by Monte Carlo over `draws` sets of
/// remaining times (fixed seed; standard error about `0.06 / sqrt(draws / 100)`), no
/// simulator involved. At k = 100 it is 1.843 (beta 1) and 5.997 (beta 5), the
/// issue's "exact" values; the fluid root above is the `k -> infinity` limit.
pub fn elastic_exponential_completion_k(k: u32, beta: f64, draws: u32) -> f64 {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x7ab1e2);
    let exp = Exp::new(1.0).expect("rate 1");
    let target = beta * k as f64;
    let mut sum = 0.0;
    let mut xs = vec![0.0f64; k as usize];
    for _ in 0..draws {
        for x in xs.iter_mut() {
            *x = exp.sample(&mut rng);
        }
        xs.sort_by(f64::total_cmp);
        // With the j smallest freed: sum (t - x_i) over them = j t - prefix = target,
        // valid while t lies between the j-th and (j+1)-th smallest.
        let mut prefix = 0.0;
        let mut t = f64::NAN;
        for j in 1..=xs.len() {
            prefix += xs[j - 1];
            let cand = (target + prefix) / j as f64;
            if j == xs.len() || cand <= xs[j] {
                t = cand;
                break;
            }
        }
        sum += t;
    }
    sum / draws as f64
}

/// The exact expectations of the model (see the module doc), in units of `T`.
pub fn expectations(k: u32, beta: f64, remaining: Remaining, mode: Mode) -> Expect {
    let (max, mean) = match remaining {
        Remaining::Constant => (k as f64 / (k as f64 + 1.0), 0.5),
        Remaining::Exponential => (harmonic(k), 1.0),
    };
    match (mode, remaining) {
        (Mode::Rigid, _) => Expect {
            ramp_up: max,
            completion: max + beta,
            utilization: beta / (max - mean + beta),
        },
        (Mode::Elastic, Remaining::Constant) => Expect {
            ramp_up: max,
            completion: 0.5 + beta,
            utilization: 1.0,
        },
        (Mode::Elastic, Remaining::Exponential) => Expect {
            ramp_up: max,
            completion: elastic_exponential_completion_k(k, beta, 100_000),
            utilization: 1.0,
        },
    }
}

/// The paper's closed forms (Table 2), in units of `T`.
pub fn closed_form(k: u32, beta: f64, remaining: Remaining, mode: Mode) -> Expect {
    let ln_k = (k as f64).ln();
    match (mode, remaining) {
        (Mode::Elastic, Remaining::Constant) => Expect {
            ramp_up: 1.0,
            completion: 0.5 + beta,
            utilization: 1.0,
        },
        (Mode::Elastic, Remaining::Exponential) => Expect {
            ramp_up: ln_k,
            completion: 1.0 + beta,
            utilization: 1.0,
        },
        (Mode::Rigid, Remaining::Constant) => Expect {
            ramp_up: 1.0,
            completion: 1.0 + beta,
            utilization: beta / (0.5 + beta),
        },
        (Mode::Rigid, Remaining::Exponential) => Expect {
            ramp_up: ln_k,
            completion: ln_k + beta,
            utilization: beta / (ln_k - 1.0 + beta),
        },
    }
}

/// The measured values of one point over all seeds, in units of `T`.
#[derive(Clone, Debug, Serialize)]
pub struct PointResult {
    pub remaining: Remaining,
    pub mode: Mode,
    pub beta: f64,
    pub ramp_up: Estimate,
    pub completion: Estimate,
    /// Ratio of summed busy to summed allocated slot-time.
    pub utilization: Estimate,
    pub exact: Expect,
    pub paper: Expect,
    pub events: u64,
}

impl PointResult {
    /// The largest relative distance of a measured mean from the exact expectation.
    pub fn worst_error(&self) -> f64 {
        self.ramp_up
            .rel_error(self.exact.ramp_up)
            .max(self.completion.rel_error(self.exact.completion))
            .max(self.utilization.rel_error(self.exact.utilization))
    }
}

/// Runs every (framework, beta) point of `cfg` over its seeds (in parallel across
/// seeds; each run is deterministic, and the result does not depend on the thread
/// count).
pub fn run(cfg: &Table2Config) -> Result<Vec<PointResult>, String> {
    let mut out = Vec::new();
    let unit = cfg.t as f64;
    for &mode in &cfg.frameworks {
        for &beta in &cfg.betas {
            let runs: Vec<Table2Run> = (cfg.first_seed..cfg.first_seed + cfg.seeds)
                .into_par_iter()
                .map(|s| run_one(cfg, mode, beta, s))
                .collect::<Result<_, _>>()?;
            let col = |f: &dyn Fn(&Table2Run) -> f64| runs.iter().map(f).collect::<Vec<f64>>();
            let ramp = col(&|r| r.ramp_up.unwrap_or(Time::MAX) as f64 / unit);
            let comp = col(&|r| r.completion.unwrap_or(Time::MAX) as f64 / unit);
            let busy = col(&|r| r.busy / unit);
            let alloc = col(&|r| r.allocated / unit);
            out.push(PointResult {
                remaining: cfg.remaining,
                mode,
                beta,
                ramp_up: Estimate::of(&ramp),
                completion: Estimate::of(&comp),
                utilization: Estimate::ratio(&busy, &alloc),
                exact: expectations(cfg.k, beta, cfg.remaining, mode),
                paper: closed_form(cfg.k, beta, cfg.remaining, mode),
                events: runs.iter().map(|r| r.events).sum(),
            });
        }
    }
    Ok(out)
}

/// The results as a Markdown table: measured (95% CI), the exact expectation with the
/// relative distance, and the paper's closed form with the relative distance.
pub fn table(k: u32, results: &[PointResult]) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "| remaining | framework | beta | metric | schedlab (95% CI) | exact (k = {k}) | dist. | paper closed form | dist. | seeds |\n"
    ));
    s.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
    for r in results {
        let rows = [
            ("ramp-up", r.ramp_up, r.exact.ramp_up, r.paper.ramp_up),
            (
                "completion",
                r.completion,
                r.exact.completion,
                r.paper.completion,
            ),
            (
                "utilization",
                r.utilization,
                r.exact.utilization,
                r.paper.utilization,
            ),
        ];
        for (name, m, exact, paper) in rows {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {:.3} | {:.1}% | {:.3} | {:.1}% | {} |\n",
                r.remaining.name(),
                r.mode.name(),
                r.beta,
                name,
                m.show(3),
                exact,
                100.0 * m.rel_error(exact),
                paper,
                100.0 * m.rel_error(paper),
                m.n
            ));
        }
    }
    s
}
