//! Aurora-like: jobs of N instances, service or batch, tiers and priorities with
//! preemption, cron jobs, and rolling job updates with rollback.
//!
//! What it models (Apache Aurora docs: "Configuration Reference", "Preemption",
//! "Job Updates", "Cron Jobs"):
//! - A job is `instances` copies of one task. A `service` restarts its instances
//!   whenever they end; a `batch` job runs them to completion, failing an instance
//!   after `max_failures` failures (`max_task_failures`, default 1). LOST is not a
//!   failure: the instance is rescheduled.
//! - Tiers (Aurora's default `tiers.json`): `production` (Aurora's `preferred`: not
//!   preemptible, not revocable), `preemptible` (the default), `revocable`
//!   (preemptible, on revocable CPUs: its tasks take revocable CPUs and regular
//!   memory, `ResourceType.CPUS.isMesosRevocable`; the framework needs
//!   `revocable_resources = true`, Aurora's `-receive_revocable_resources`), and a
//!   `priority`. Pending tasks are placed production first, then by priority. A task
//!   pending longer than `preemption_delay` may preempt (`preemptionFilter`): a
//!   non-preemptible (production) task may preempt preemptible tasks (preemptible or
//!   revocable tier) of any role; tasks of equal preemptibility only within their role
//!   and with a strictly higher priority. Non-production never preempts production.
//!   The victims' agent is then reserved for the preemptor until it is placed.
//!   Aurora preempts among its own scheduler's tasks only (Mesos has no
//!   cross-framework preemption), and so does this model: the victims are this
//!   framework's tasks, found from the agents its tasks run on.
//! - Cron jobs: `cron` is an ISO 8601 repeating interval (see [`super::iso8601`];
//!   Aurora writes cron syntax, the schedule is the same idea); each occurrence kills
//!   the previous run's live instances (Aurora's default `KILL_EXISTING`) and starts
//!   all instances anew.
//! - Updates at given times, as Aurora's updater (`scheduler/updater/`): instances
//!   move to the new configuration in groups the `strategy` picks (`batch`,
//!   `queue`, `variable_batch`: [`UpdateStrategy`]), ascending; an instance is done
//!   once it has run the new version for `watch` (Aurora's `watch_secs`, 45 s); an
//!   updated task ending on its own fails the update, which rolls back every
//!   instance in descending order with the same strategy.

use super::core::{Common, Core, Live, Progress, Scheduler, Slot};
use super::iso8601::{Instant, Schedule};
use super::timer::TimerTag;
use super::FrameworkKind;
use crate::actor::{Ctx, Time, SEC};
use crate::alloc::AgentId;
use crate::proto::{FrameworkTimer, Timer};
use crate::proto::{Mesos, TaskId, TaskInfo, TaskRun, TaskState, TaskStatus};
use crate::resources::Resources;
use crate::sim::latency::Latency;
use crate::units::NonNeg;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The kind-specific keys of a `kind = "aurora"` framework.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuroraSpec {
    pub jobs: Vec<AuroraJob>,
    #[serde(default)]
    pub updates: Vec<JobUpdate>,
    /// How long a task waits before it may preempt (Aurora's default 3 min).
    #[serde(default = "three_minutes", with = "crate::units::duration")]
    pub preemption_delay: Time,
    /// The UTC instant of scenario time 0 (for cron schedules).
    #[serde(default = "default_epoch")]
    pub epoch: String,
}

fn three_minutes() -> Time {
    180 * SEC
}
fn default_epoch() -> String {
    "2026-01-01T00:00:00Z".into()
}

/// Aurora's tiers (`tiers.json`: `preferred`, `preemptible`, `revocable`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Aurora's `preferred`: not preemptible, not revocable.
    Production,
    #[default]
    Preemptible,
    /// Preemptible, and its tasks run on revocable CPUs.
    Revocable,
}

impl Tier {
    /// `TierInfo.isPreemptible`.
    pub fn preemptible(self) -> bool {
        self != Tier::Production
    }

    /// `TierInfo.isRevocable`.
    pub fn revocable(self) -> bool {
        self == Tier::Revocable
    }

    /// A task's resources in this tier: a revocable task takes its CPUs revocable and
    /// the rest regular (Aurora marks only CPUs revocable, `AcceptedOffer.create`).
    pub fn task_resources(self, cpus: f64, mem: u64) -> Resources {
        let r = Resources::new(cpus, mem);
        match self.revocable() {
            true => Resources {
                revocable_cpus: r.cpus,
                cpus: 0,
                ..r
            },
            false => r,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum JobType {
    #[default]
    Service,
    Batch,
}

/// One Aurora job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuroraJob {
    pub name: String,
    /// Aurora role (the user the job runs as); preemption among production is per role.
    #[serde(default = "default_role")]
    pub role: String,
    pub instances: u32,
    pub cpus: NonNeg,
    pub mem: NonNeg,
    #[serde(default)]
    pub tier: Tier,
    #[serde(default)]
    pub priority: i32,
    #[serde(default, rename = "type")]
    pub job_type: JobType,
    #[serde(default = "one")]
    pub max_failures: u32,
    /// Run time of a batch task (services run until killed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Latency>,
    #[serde(default)]
    pub failure_rate: f64,
    /// When the job is submitted.
    #[serde(default, with = "crate::units::duration")]
    pub submit: Time,
    /// A cron job's schedule, `R[n]/<start>/<period>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
}

fn default_role() -> String {
    "www-data".into()
}
fn one() -> u32 {
    1
}

/// A job update at a given time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobUpdate {
    #[serde(with = "crate::units::duration")]
    pub at: Time,
    pub job: String,
    #[serde(default)]
    pub cpus: Option<NonNeg>,
    #[serde(default)]
    pub mem: Option<NonNeg>,
    /// The new version's failure probability (a bad release, to see a rollback).
    #[serde(default)]
    pub failure_rate: Option<f64>,
    /// The new version's tasks exit after this long (a crashing release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Latency>,
    /// Aurora's `update_strategy`: `batch` (`BatchUpdateStrategy`, schedlab's default:
    /// what `batch_size` alone always meant here), `queue` (`QueueUpdateStrategy`) or
    /// `variable_batch` (`VariableBatchUpdateStrategy`, with `batch_sizes`).
    #[serde(default)]
    pub strategy: StrategyKind,
    /// The group size of `batch` and `queue` (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<u32>,
    /// The group sizes of `variable_batch`, in order; the last one repeats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub batch_sizes: Vec<u32>,
    #[serde(default = "watch", with = "crate::units::duration")]
    pub watch: Time,
}

/// The `strategy` key of an update.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StrategyKind {
    #[default]
    Batch,
    Queue,
    VariableBatch,
}

impl JobUpdate {
    /// The update's strategy (validated: sizes positive, the right key for the kind).
    pub fn strategy(&self) -> UpdateStrategy {
        let n = self.batch_size.unwrap_or(1) as usize;
        match self.strategy {
            StrategyKind::Batch => UpdateStrategy::Batch(n),
            StrategyKind::Queue => UpdateStrategy::Queue(n),
            StrategyKind::VariableBatch => UpdateStrategy::VariableBatch(
                self.batch_sizes.iter().map(|&x| x as usize).collect(),
            ),
        }
    }

    fn validate(&self) -> Result<(), (String, String)> {
        let job = &self.job;
        if self.batch_size == Some(0) {
            return Err((
                "batch_size".into(),
                format!("update of job `{job}`: batch_size must be positive"),
            ));
        }
        match self.strategy {
            StrategyKind::VariableBatch => {
                if self.batch_size.is_some() {
                    return Err((
                        "batch_size".into(),
                        format!(
                            "update of job `{job}`: strategy = \"variable_batch\" takes batch_sizes, not batch_size"
                        ),
                    ));
                }
                if self.batch_sizes.is_empty() || self.batch_sizes.contains(&0) {
                    return Err((
                        "batch_sizes".into(),
                        format!(
                            "update of job `{job}`: strategy = \"variable_batch\" needs batch_sizes, a non-empty list of positive sizes, got {:?}",
                            self.batch_sizes
                        ),
                    ));
                }
            }
            StrategyKind::Batch | StrategyKind::Queue if !self.batch_sizes.is_empty() => {
                return Err((
                    "batch_sizes".into(),
                    format!(
                        "update of job `{job}`: batch_sizes is for strategy = \"variable_batch\" (this update's strategy takes batch_size)"
                    ),
                ));
            }
            _ => {}
        }
        if let Some(r) = self.failure_rate {
            super::core::unit_interval("failure_rate", r)?;
        }
        if let Some(d) = &self.duration {
            d.validate().map_err(|m| ("duration".to_string(), m))?;
        }
        Ok(())
    }
}

/// Which instances an update works on next, as Aurora's `UpdateStrategy.getNextGroup(idle,
/// active)` (`src/main/java/org/apache/aurora/scheduler/updater/strategy/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpdateStrategy {
    /// `BatchStrategy`: a new group only once no instance is active; at most n.
    Batch(usize),
    /// `QueueStrategy`: keeps up to n instances active, refilling a freed slot at once.
    Queue(usize),
    /// `VariableBatchStrategy`: like `Batch`, the k-th group of the k-th size, the last
    /// size repeating.
    VariableBatch(Vec<usize>),
}

impl UpdateStrategy {
    /// The instances to start among `idle`, with `active` instances in progress: the
    /// first of `idle` in the update's order (ascending rolling forward, descending
    /// rolling back: `UpdateFactory`'s `updateOrder`). `total` is the number of
    /// instances the update covers (`VariableBatchStrategy.totalModInstanceCount`, the
    /// idle count at its first call).
    pub fn next_group(
        &self,
        idle: &BTreeSet<u32>,
        active: usize,
        total: usize,
        forward: bool,
    ) -> Vec<u32> {
        let limit = match self {
            UpdateStrategy::Batch(n) if active == 0 => *n,
            UpdateStrategy::Queue(n) => n.saturating_sub(active),
            UpdateStrategy::VariableBatch(sizes) if active == 0 => {
                variable_group_size(sizes, total, idle.len(), forward)
            }
            _ => 0,
        };
        if forward {
            idle.iter().take(limit).copied().collect()
        } else {
            idle.iter().rev().take(limit).copied().collect()
        }
    }
}

/// `VariableBatchStrategy.determineCurGroupSize`: rolling forward, the size of the
/// group the `total - remaining` instances already modified have reached (the last
/// size once the list is used up); rolling back, the forward groups undone from the
/// last: `remaining` is what was modified, and the partial group it ends in comes first.
fn variable_group_size(sizes: &[usize], total: usize, remaining: usize, forward: bool) -> usize {
    let last = sizes.last().copied().unwrap_or(1);
    if forward {
        let modified = total.saturating_sub(remaining);
        let mut sum = 0;
        for &g in sizes {
            sum += g;
            if sum > modified {
                return g;
            }
        }
        last
    } else {
        let mut cur = remaining;
        for &g in sizes {
            if cur <= g {
                return cur;
            }
            cur -= g;
        }
        match cur % last {
            0 => last,
            r => r,
        }
    }
}

fn watch() -> Time {
    45 * SEC
}

/// `kind = "aurora"`.
impl FrameworkKind for AuroraSpec {
    const NAME: &'static str = "aurora";
    type Scheduler = Aurora;

    /// Each job's instances and their size.
    fn demands(&self) -> Vec<crate::workload::Demand> {
        self.jobs
            .iter()
            .enumerate()
            .map(|(i, x)| {
                crate::workload::Demand::instances(
                    format!("jobs.{i}"),
                    x.instances,
                    x.cpus.0,
                    x.mem.0,
                )
            })
            .collect()
    }

    fn validate(&self) -> Result<(), (String, String)> {
        Instant::parse(&self.epoch).map_err(|m| ("epoch".to_string(), m))?;
        let mut names = BTreeSet::new();
        for j in &self.jobs {
            if !names.insert(j.name.as_str()) {
                return Err(("name".into(), format!("two jobs are called `{}`", j.name)));
            }
            if let Some(c) = &j.cron {
                Schedule::parse(c).map_err(|m| ("cron".to_string(), m))?;
                if j.job_type != JobType::Batch {
                    return Err((
                        "cron".into(),
                        format!("cron job `{}` must be type = \"batch\"", j.name),
                    ));
                }
            }
            if j.job_type == JobType::Batch && j.duration.is_none() {
                return Err((
                    "duration".into(),
                    format!("batch job `{}` needs a duration", j.name),
                ));
            }
            if let Some(d) = &j.duration {
                d.validate().map_err(|m| ("duration".to_string(), m))?;
            }
            super::core::unit_interval("failure_rate", j.failure_rate)?;
        }
        for u in &self.updates {
            if !names.contains(u.job.as_str()) {
                return Err((
                    "job".into(),
                    format!("update names unknown job `{}`", u.job),
                ));
            }
            u.validate()?;
        }
        Ok(())
    }

    const REVOCABLE: bool = true;

    fn needs_revocable(&self) -> Option<String> {
        let i = self.jobs.iter().position(|j| j.tier.revocable())?;
        Some(format!("jobs.{i}.tier"))
    }

    fn build(&self, _common: &Common, _seed: u64) -> Aurora {
        Aurora::new(self.clone())
    }
}

/// A job's task configuration (one per version).
#[derive(Clone, Debug)]
struct Config {
    resources: Resources,
    failure_rate: f64,
    duration: Option<Latency>,
}

/// Where an instance is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstState {
    Pending,
    /// A task is launched (STAGING or RUNNING).
    Active,
    Finished,
    Failed,
    /// Not submitted yet (cron jobs between runs).
    Idle,
}

#[derive(Clone, Debug)]
pub struct Inst {
    pub state: InstState,
    pub version: u32,
    pub task: Option<TaskId>,
    pub pending_since: Time,
    pub running_since: Option<Time>,
    failures: u32,
    launches: u32,
    /// Being killed on purpose (preemption, update, cron): relaunch without penalty.
    killing: bool,
}

/// A job update in progress, one direction of it (Aurora's `OneWayJobUpdater`): every
/// instance is idle (not started yet), working, succeeded (dropped) or failed.
#[derive(Clone, Debug)]
struct Update {
    /// Rolling forward (else rolling back).
    forward: bool,
    /// The version instances move to.
    target: u32,
    /// The other version (where a rollback returns).
    other: u32,
    strategy: UpdateStrategy,
    watch: Time,
    /// Instances the update covers.
    total: usize,
    idle: BTreeSet<u32>,
    working: BTreeSet<u32>,
    failed: BTreeSet<u32>,
}

/// What an instance of the working set needs (Aurora's `InstanceUpdater.evaluate`, with
/// `max_per_instance_failures` 0).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum InstEval {
    /// Runs the target and has for `watch` (`appearsStable`), or has nothing to run.
    Succeeded,
    /// Runs the target since less than `watch`: look again at this time.
    WatchUntil(Time),
    /// On its way to the target (pending, staging, being killed).
    Await,
    /// On another version: to be replaced (kill, then relaunch at the target).
    Replace,
}

/// A job's live state.
pub struct Job {
    pub spec: AuroraJob,
    configs: Vec<Config>,
    /// The version new launches use.
    pub version: u32,
    pub instances: Vec<Inst>,
    update: Option<Update>,
    /// Outcomes of updates: "rolled_forward", "rolled_back" or "failed" (a rollback
    /// whose instance failed: Aurora's FAILED).
    pub update_results: Vec<&'static str>,
    /// What the updater did to each instance, in order (tests, debugging).
    pub update_log: Vec<UpdateStep>,
}

/// One step of an update on one instance: `event` is "start" (the strategy picked it),
/// "succeeded" (ran the target for `watch`, or needed nothing) or "failed".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateStep {
    pub at: Time,
    /// Rolling forward (else rolling back).
    pub forward: bool,
    pub instance: u32,
    pub event: &'static str,
}

impl Job {
    fn production(&self) -> bool {
        self.spec.tier == Tier::Production
    }
    /// Instances with a running task.
    pub fn running(&self) -> usize {
        self.instances
            .iter()
            .filter(|i| i.state == InstState::Active && i.running_since.is_some())
            .count()
    }
}

/// Counters for the summary.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuroraStats {
    pub preemptions: u64,
    pub tasks_finished: u64,
    pub tasks_failed: u64,
    pub tasks_lost: u64,
    pub cron_runs: u64,
    pub updates_rolled_forward: u64,
    pub updates_rolled_back: u64,
}

/// The Aurora-like scheduler.
pub struct Aurora {
    pub jobs: Vec<Job>,
    updates: Vec<JobUpdate>,
    preemption_delay: Time,
    epoch: Instant,
    /// Agent reserved for a preemptor (job, instance), and until when.
    reserved: BTreeMap<AgentId, (usize, u32, Time)>,
    /// The unused part of the last offer of each agent, and when it came: the agent's
    /// slack for preemption while younger than [`OFFER_HOLD`].
    slack: BTreeMap<AgentId, (Resources, Time)>,
    /// (job, instance) pairs that were preempted, for tests: (victim job, preemptor job).
    pub preempted: Vec<(usize, usize)>,
    now: Time,
    pub stats: AuroraStats,
    /// The first preemption of a production task for a non-production one
    /// ([`Scheduler::invariant`]).
    wrong_victim: Option<String>,
}

/// Aurora's timers: a job's submission, the preemption round, a cron run, the start
/// of an update, the end of an update step's watch of an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuroraTimer {
    Submit(u32),
    Preempt,
    Cron(u32),
    Update(u32),
    Watch { job: u32, instance: u32 },
}

/// Carried as a [`FrameworkTimer`] of kinds 1, 2, 3, 4, 5 (the numbering the fingerprints were taken with).
impl TimerTag for AuroraTimer {
    fn to_timer(&self) -> Timer {
        let (kind, a, b) = match *self {
            AuroraTimer::Submit(job) => (1, job, 0),
            AuroraTimer::Preempt => (2, 0, 0),
            AuroraTimer::Cron(job) => (3, job, 0),
            AuroraTimer::Update(u) => (4, 0, u),
            AuroraTimer::Watch { job, instance } => (5, job, instance),
        };
        Timer::Framework(FrameworkTimer::new(kind, a, b))
    }
    fn from_timer(t: &Timer) -> Option<AuroraTimer> {
        let Timer::Framework(FrameworkTimer { kind, a, b }) = *t else {
            return None;
        };
        Some(match kind {
            1 => AuroraTimer::Submit(a),
            2 => AuroraTimer::Preempt,
            3 => AuroraTimer::Cron(a),
            4 => AuroraTimer::Update(b),
            5 => AuroraTimer::Watch {
                job: a,
                instance: b,
            },
            _ => return None,
        })
    }
}
const PREEMPT_EVERY: Time = 5 * SEC;

/// Whether a task of `p` may preempt a task of `v`, as Aurora's
/// `PreemptionVictimFilter.preemptionFilter`: a non-preemptible task may preempt any
/// preemptible one; two of equal preemptibility only within a role and with a strictly
/// higher priority (so a revocable task may preempt a lower-priority preemptible task
/// of its role, and the reverse).
pub fn may_preempt(p: &AuroraJob, v: &AuroraJob) -> bool {
    let (pp, vp) = (p.tier.preemptible(), v.tier.preemptible());
    if !pp && vp {
        return true;
    }
    pp == vp && p.role == v.role && p.priority > v.priority
}

/// How long the unused part of an offer counts as the agent's slack for preemption:
/// Aurora holds an offer it cannot use at least `min_offer_hold_time` (5 min).
const OFFER_HOLD: Time = 300 * SEC;

/// A running task the preemptor may kill (Aurora's `PreemptionVictim`): its job (tier,
/// role, priority) and its resources.
#[derive(Clone, Debug)]
pub struct Victim<'a> {
    pub task: TaskId,
    pub job: &'a AuroraJob,
    pub resources: Resources,
}

/// The victims on one agent that make room for a task of `pending` needing `need`, as
/// Aurora's `PreemptionVictimFilter.filterPreemptionVictims`: of the candidates it may
/// preempt ([`may_preempt`]), largest first (the resource vectors compared kind by
/// kind, CPU, then RAM, then disk, in `ResourceType` order, descending; equal ones by
/// task id), added one by one until the agent's `slack` (the unused offer Aurora holds
/// for it) plus the victims' resources hold `need`; `None` if all of them do not.
///
/// Revocable CPUs never count toward the fit: the slack is the offer's non-revocable
/// part (`getNonRevocableOfferResources`), and a revocable victim frees its memory but
/// not its CPUs (`bag.filter(IS_MESOS_REVOCABLE.negate())`). Aurora's resource bags
/// know kinds, not revocability, so `need` is compared as quantities (a revocable
/// task needs that many CPUs of any kind).
pub fn preemption_victims(
    pending: &AuroraJob,
    need: &Resources,
    slack: Resources,
    candidates: &[Victim],
) -> Option<Vec<TaskId>> {
    let mut sorted: Vec<&Victim> = candidates
        .iter()
        .filter(|v| may_preempt(pending, v.job))
        .collect();
    sorted.sort_by(|a, b| {
        (b.resources.as_array())
            .cmp(&a.resources.as_array())
            .then(a.task.cmp(&b.task))
    });
    let need = Resources {
        cpus: need.all_cpus(),
        revocable_cpus: 0,
        ..*need
    };
    let mut total = slack.non_revocable();
    let mut chosen = Vec::new();
    for v in sorted {
        // Aurora adds a victim before it checks: even a task the slack alone would
        // hold costs one victim (it would have been placed without preemption).
        chosen.push(v.task);
        total += v.resources.non_revocable();
        if total.contains(&need) {
            return Some(chosen);
        }
    }
    None
}

impl Aurora {
    pub fn new(spec: AuroraSpec) -> Aurora {
        let jobs = spec
            .jobs
            .into_iter()
            .map(|s| Job {
                configs: vec![Config {
                    resources: s.tier.task_resources(s.cpus.0, s.mem.0.round() as u64),
                    failure_rate: s.failure_rate,
                    duration: s.duration.clone(),
                }],
                version: 0,
                instances: (0..s.instances)
                    .map(|_| Inst {
                        state: InstState::Idle,
                        version: 0,
                        task: None,
                        pending_since: 0,
                        running_since: None,
                        failures: 0,
                        launches: 0,
                        killing: false,
                    })
                    .collect(),
                update: None,
                update_results: Vec::new(),
                update_log: Vec::new(),
                spec: s,
            })
            .collect();
        Aurora {
            jobs,
            updates: spec.updates,
            preemption_delay: spec.preemption_delay,
            epoch: Instant::parse(&spec.epoch).expect("validated"),
            reserved: BTreeMap::new(),
            slack: BTreeMap::new(),
            preempted: Vec::new(),
            wrong_victim: None,
            now: 0,
            stats: AuroraStats::default(),
        }
    }

    /// The job called `name`.
    pub fn job(&self, name: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.spec.name == name)
    }

    fn pend(&mut self, j: usize, i: u32) {
        let now = self.now;
        let inst = &mut self.jobs[j].instances[i as usize];
        inst.state = InstState::Pending;
        inst.task = None;
        inst.running_since = None;
        inst.pending_since = now;
        inst.killing = false;
    }

    /// Pending instances in placement order: production first, then priority.
    fn queue(&self) -> Vec<(usize, u32)> {
        let mut q: Vec<(bool, i32, Time, usize, u32)> = Vec::new();
        for (j, job) in self.jobs.iter().enumerate() {
            for (i, inst) in job.instances.iter().enumerate() {
                if inst.state == InstState::Pending {
                    q.push((
                        !job.production(),
                        -job.spec.priority,
                        inst.pending_since,
                        j,
                        i as u32,
                    ));
                }
            }
        }
        q.sort();
        q.into_iter().map(|(.., j, i)| (j, i)).collect()
    }

    fn place(
        &mut self,
        j: usize,
        i: u32,
        slot: &mut Slot,
        rng: &mut rand_chacha::ChaCha8Rng,
    ) -> bool {
        let job = &mut self.jobs[j];
        let inst = &mut job.instances[i as usize];
        // Its own version: a relaunch keeps its configuration; an update sets it.
        let cfg = &job.configs[inst.version as usize];
        if !slot.fits(&cfg.resources) {
            return false;
        }
        let id = TaskId {
            job: j as u64,
            index: i,
            attempt: inst.launches,
        };
        inst.launches += 1;
        inst.state = InstState::Active;
        inst.task = Some(id);
        let fails = cfg.failure_rate > 0.0 && rng.gen::<f64>() < cfg.failure_rate;
        // A batch task runs its duration and exits by its draw; a service runs until
        // killed, unless its configuration gives it a duration (a crashing release) or
        // its draw fails it (it exits FAILED a second after starting).
        let run = match &cfg.duration {
            Some(d) => TaskRun {
                duration: d.sampler().sample(rng).max(1),
                succeeds: job.spec.job_type == JobType::Batch && !fails,
            },
            None => TaskRun {
                duration: if fails { SEC } else { Time::MAX },
                succeeds: false,
            },
        };
        slot.take(TaskInfo {
            id,
            resources: cfg.resources,
            run,
            submitted: inst.pending_since,
            job_tasks: job.spec.instances,
        });
        self.reserved.retain(|_, r| (r.0, r.1) != (j, i));
        true
    }

    /// Looks for victims for the longest-waiting eligible pending task.
    fn preempt(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>) {
        let now = self.now;
        self.reserved.retain(|_, r| r.2 > now);
        for (j, i) in self.queue() {
            let inst = &self.jobs[j].instances[i as usize];
            if now < inst.pending_since + self.preemption_delay
                || self.reserved.values().any(|r| (r.0, r.1) == (j, i))
            {
                continue;
            }
            let need = self.jobs[j].configs[inst.version as usize].resources;
            // Candidate victims per agent: this framework's tasks not being killed, on
            // agents not reserved for another preemptor.
            let mut by_agent: BTreeMap<AgentId, Vec<Victim>> = BTreeMap::new();
            for (t, live) in &core.tasks {
                let v = &self.jobs[t.job as usize];
                if v.instances[t.index as usize].killing || self.reserved.contains_key(&live.agent)
                {
                    continue;
                }
                by_agent.entry(live.agent).or_default().push(Victim {
                    task: *t,
                    job: &v.spec,
                    resources: live.info.resources,
                });
            }
            let found = by_agent.iter().find_map(|(&agent, victims)| {
                let slack = self
                    .slack
                    .get(&agent)
                    .filter(|s| now < s.1.saturating_add(OFFER_HOLD))
                    .map_or(Resources::ZERO, |s| s.0);
                preemption_victims(&self.jobs[j].spec, &need, slack, victims).map(|c| (agent, c))
            });
            if let Some((agent, chosen)) = found {
                self.slack.remove(&agent);
                for t in chosen {
                    let vj = t.job as usize;
                    self.jobs[vj].instances[t.index as usize].killing = true;
                    self.stats.preemptions += 1;
                    self.preempted.push((vj, j));
                    // Aurora's rule, checked on the tiers themselves: a non-production
                    // task never preempts a production one.
                    if self.jobs[vj].spec.tier == Tier::Production
                        && self.jobs[j].spec.tier != Tier::Production
                        && self.wrong_victim.is_none()
                    {
                        self.wrong_victim = Some(format!(
                            "aurora job {} (non-production) preempted production task {t:?} of job {}",
                            self.jobs[j].spec.name, self.jobs[vj].spec.name
                        ));
                    }
                    core.kill(ctx, t);
                }
                self.reserved.insert(agent, (j, i, now + 60 * SEC));
                return; // one preemption per round, as Aurora's preemptor
            }
        }
    }

    fn submit(&mut self, j: usize) {
        for i in 0..self.jobs[j].instances.len() as u32 {
            let inst = &self.jobs[j].instances[i as usize];
            if matches!(
                inst.state,
                InstState::Idle | InstState::Finished | InstState::Failed
            ) {
                self.jobs[j].instances[i as usize].failures = 0;
                self.pend(j, i);
            }
        }
    }

    fn start_update(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, u: usize) {
        let u = self.updates[u].clone();
        let Some(j) = self.jobs.iter().position(|x| x.spec.name == u.job) else {
            return;
        };
        let job = &mut self.jobs[j];
        let old = job.configs[job.version as usize].clone();
        let cfg = Config {
            resources: job.spec.tier.task_resources(
                u.cpus
                    .map_or(old.resources.all_cpus() as f64 / 1000.0, |c| c.0),
                u.mem.map_or(old.resources.mem, |m| m.0.round() as u64),
            ),
            failure_rate: u.failure_rate.unwrap_or(old.failure_rate),
            duration: u.duration.clone().or(old.duration),
        };
        job.configs.push(cfg);
        let from = job.version;
        job.version = job.configs.len() as u32 - 1;
        let n = job.instances.len();
        job.update = Some(Update {
            forward: true,
            target: job.version,
            other: from,
            strategy: u.strategy(),
            watch: u.watch,
            total: n,
            idle: (0..n as u32).collect(),
            working: BTreeSet::new(),
            failed: BTreeSet::new(),
        });
        self.evaluate(core, ctx, j);
    }

    /// Where instance `i` of job `j` stands towards `target` at `now`.
    fn eval_instance(&self, j: usize, i: u32, target: u32, watch: Time) -> InstEval {
        let inst = &self.jobs[j].instances[i as usize];
        match inst.state {
            // Nothing runs: it takes the target's configuration when it next starts.
            InstState::Idle | InstState::Finished | InstState::Failed => InstEval::Succeeded,
            _ if inst.version != target => InstEval::Replace,
            InstState::Active if !inst.killing => match inst.running_since {
                Some(s) if s.saturating_add(watch) <= self.now => InstEval::Succeeded,
                Some(s) => InstEval::WatchUntil(s.saturating_add(watch)),
                None => InstEval::Await,
            },
            _ => InstEval::Await,
        }
    }

    /// One evaluation of job `j`'s update (`OneWayJobUpdater.evaluate`): the working
    /// instances that ran the target for `watch` succeed; a failed one fails the update
    /// (`max_total_failures` 0), which rolls back a forward update; with nothing idle or
    /// working left the update is done; otherwise the strategy may start a group. A
    /// group that needed no action while nothing was working is followed by the next at
    /// once (`startNextInstanceGroup`).
    fn evaluate(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, j: usize) {
        loop {
            let Some(mut up) = self.jobs[j].update.take() else {
                return;
            };
            let done: Vec<u32> = up
                .working
                .iter()
                .copied()
                .filter(|&i| self.eval_instance(j, i, up.target, up.watch) == InstEval::Succeeded)
                .collect();
            let now = self.now;
            let job = &mut self.jobs[j];
            for i in done {
                up.working.remove(&i);
                job.update_log.push(UpdateStep {
                    at: now,
                    forward: up.forward,
                    instance: i,
                    event: "succeeded",
                });
            }
            for &i in &up.failed {
                job.update_log.push(UpdateStep {
                    at: now,
                    forward: up.forward,
                    instance: i,
                    event: "failed",
                });
            }
            if !up.failed.is_empty() {
                if up.forward {
                    // ROLLING_BACK: every instance back to the old version, the
                    // instances in descending order (UpdateFactory), same strategy.
                    job.version = up.other;
                    let n = job.instances.len();
                    job.update = Some(Update {
                        forward: false,
                        target: up.other,
                        other: up.target,
                        strategy: up.strategy,
                        watch: up.watch,
                        total: n,
                        idle: (0..n as u32).collect(),
                        working: BTreeSet::new(),
                        failed: BTreeSet::new(),
                    });
                    continue;
                }
                job.update_results.push("failed");
                return;
            }
            if up.idle.is_empty() && up.working.is_empty() {
                if up.forward {
                    job.update_results.push("rolled_forward");
                    self.stats.updates_rolled_forward += 1;
                } else {
                    job.update_results.push("rolled_back");
                    self.stats.updates_rolled_back += 1;
                }
                return;
            }
            let nothing_working = up.working.is_empty();
            let group = up
                .strategy
                .next_group(&up.idle, up.working.len(), up.total, up.forward);
            let mut acted = false;
            for &i in &group {
                up.idle.remove(&i);
                let ev = self.eval_instance(j, i, up.target, up.watch);
                let log = &mut self.jobs[j].update_log;
                log.push(UpdateStep {
                    at: now,
                    forward: up.forward,
                    instance: i,
                    event: "start",
                });
                match ev {
                    InstEval::Succeeded => {
                        log.push(UpdateStep {
                            at: now,
                            forward: up.forward,
                            instance: i,
                            event: "succeeded",
                        });
                        let inst = &mut self.jobs[j].instances[i as usize];
                        inst.version = up.target;
                    }
                    InstEval::WatchUntil(at) => {
                        up.working.insert(i);
                        acted = true;
                        core.timer(
                            ctx,
                            at - self.now,
                            AuroraTimer::Watch {
                                job: j as u32,
                                instance: i,
                            },
                        );
                    }
                    InstEval::Await => {
                        up.working.insert(i);
                        acted = true;
                    }
                    InstEval::Replace => {
                        up.working.insert(i);
                        acted = true;
                        let inst = &mut self.jobs[j].instances[i as usize];
                        inst.version = up.target;
                        match (inst.state, inst.task) {
                            (InstState::Active, Some(t)) if !inst.killing => {
                                inst.killing = true;
                                core.kill(ctx, t);
                            }
                            (InstState::Pending, _) => inst.pending_since = now,
                            _ => {} // being killed: it relaunches at the target
                        }
                    }
                }
            }
            self.jobs[j].update = Some(up);
            if group.is_empty() || acted || !nothing_working {
                return;
            }
        }
    }
}

impl Scheduler for Aurora {
    type Timer = AuroraTimer;

    fn registered(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>) {
        self.now = ctx.now();
        for (j, job) in self.jobs.iter().enumerate() {
            if let Some(c) = &job.spec.cron {
                let s = Schedule::parse(c).expect("validated");
                let now = self.now;
                let first = s.times(self.epoch).find(|&t| t >= now);
                if let Some(t) = first {
                    core.timer(ctx, t - self.now, AuroraTimer::Cron(j as u32));
                }
            } else {
                core.timer(
                    ctx,
                    job.spec.submit.saturating_sub(self.now),
                    AuroraTimer::Submit(j as u32),
                );
            }
        }
        for (u, up) in self.updates.iter().enumerate() {
            core.timer(
                ctx,
                up.at.saturating_sub(self.now),
                AuroraTimer::Update(u as u32),
            );
        }
        core.timer(ctx, PREEMPT_EVERY, AuroraTimer::Preempt);
    }

    fn offers(&mut self, _core: &mut Core, ctx: &mut Ctx<Mesos>, slots: &mut [Slot]) {
        self.now = ctx.now();
        let queue = self.queue();
        let mut placed = BTreeSet::new();
        for slot in slots.iter_mut() {
            // A preemptor goes first on the agent reserved for it; nothing else does.
            if let Some(&(j, i, _)) = self.reserved.get(&slot.offer.agent) {
                if self.jobs[j].instances[i as usize].state == InstState::Pending
                    && self.place(j, i, slot, ctx.rng())
                {
                    placed.insert((j, i));
                }
                if self.reserved.contains_key(&slot.offer.agent) {
                    continue;
                }
            }
            for &(j, i) in &queue {
                if !placed.contains(&(j, i))
                    && self.jobs[j].instances[i as usize].state == InstState::Pending
                    && self.place(j, i, slot, ctx.rng())
                {
                    placed.insert((j, i));
                }
            }
        }
        // What is left of each agent's offers is its slack for preemption (Aurora would
        // hold these offers; here they are declined and remembered).
        let now = self.now;
        let mut left: BTreeMap<AgentId, Resources> = BTreeMap::new();
        for slot in slots.iter() {
            *left.entry(slot.offer.agent).or_default() += slot.left;
        }
        for (agent, r) in left {
            self.slack.insert(agent, (r, now));
        }
    }

    fn status(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<Mesos>,
        task: &Live,
        status: &TaskStatus,
        ended: bool,
    ) {
        self.now = ctx.now();
        let (j, i) = (task.info.id.job as usize, task.info.id.index);
        let Some(inst) = self
            .jobs
            .get_mut(j)
            .and_then(|x| x.instances.get_mut(i as usize))
        else {
            return;
        };
        if inst.task != Some(task.info.id) {
            return; // an older attempt
        }
        if !ended {
            if status.state == TaskState::Running {
                inst.running_since = Some(self.now);
                let version = inst.version;
                // A working instance of an update runs its target: watch it.
                if let Some(up) = &self.jobs[j].update {
                    if up.working.contains(&i) && version == up.target {
                        let watch = up.watch;
                        core.timer(
                            ctx,
                            watch,
                            AuroraTimer::Watch {
                                job: j as u32,
                                instance: i,
                            },
                        );
                    }
                }
            }
            return;
        }
        let (killing, version) = (inst.killing, inst.version);
        let job = &self.jobs[j];
        let service = job.spec.job_type == JobType::Service;
        let max_failures = job.spec.max_failures;
        // A working instance's task of the target version ended (any terminal state,
        // LOST included: `InstanceUpdater` counts `Tasks.isTerminated`) without the
        // scheduler killing it: the instance fails the update
        // (`max_per_instance_failures` 0). Aurora ignores instances outside the working
        // set.
        let updated = !killing
            && job
                .update
                .as_ref()
                .is_some_and(|u| u.working.contains(&i) && version == u.target);
        let inst = &mut self.jobs[j].instances[i as usize];
        match status.state {
            TaskState::Finished if !service => {
                self.stats.tasks_finished += 1;
                inst.state = InstState::Finished;
                inst.task = None;
            }
            TaskState::Finished | TaskState::Failed => {
                self.stats.tasks_failed += 1;
                inst.failures += 1;
                if !service && inst.failures >= max_failures {
                    inst.state = InstState::Failed;
                    inst.task = None;
                } else {
                    self.pend(j, i);
                }
            }
            _ => {
                if !killing {
                    self.stats.tasks_lost += 1;
                }
                self.pend(j, i);
            }
        }
        if updated {
            if let Some(up) = self.jobs[j].update.as_mut() {
                up.failed.insert(i);
            }
        }
        self.evaluate(core, ctx, j);
    }

    fn timer(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, t: AuroraTimer) {
        self.now = ctx.now();
        match t {
            AuroraTimer::Submit(j) => self.submit(j as usize),
            AuroraTimer::Cron(a) => {
                let j = a as usize;
                self.stats.cron_runs += 1;
                // KILL_EXISTING: the previous run's live instances go.
                for inst in &mut self.jobs[j].instances {
                    if let (InstState::Active, Some(t)) = (inst.state, inst.task) {
                        inst.killing = true;
                        core.kill(ctx, t);
                    }
                }
                self.submit(j);
                let s = Schedule::parse(self.jobs[j].spec.cron.as_ref().expect("cron"))
                    .expect("validated");
                let now = self.now;
                let next = s.times(self.epoch).find(|&t| t > now);
                if let Some(next) = next {
                    core.timer(ctx, next - now, AuroraTimer::Cron(a));
                }
            }
            AuroraTimer::Update(u) => self.start_update(core, ctx, u as usize),
            AuroraTimer::Watch { job, .. } => self.evaluate(core, ctx, job as usize),
            AuroraTimer::Preempt => {
                core.timer(ctx, PREEMPT_EVERY, AuroraTimer::Preempt);
                self.preempt(core, ctx);
            }
        }
    }

    fn wants_offers(&self, _core: &Core) -> bool {
        self.jobs
            .iter()
            .any(|j| j.instances.iter().any(|i| i.state == InstState::Pending))
    }

    fn pending(&self) -> usize {
        self.jobs
            .iter()
            .map(|j| {
                j.instances
                    .iter()
                    .filter(|i| i.state == InstState::Pending)
                    .count()
            })
            .sum()
    }

    fn invariant(&self) -> Option<String> {
        self.wrong_victim.clone()
    }

    fn stats(&self) -> Option<serde_json::Value> {
        let mut v = serde_json::to_value(&self.stats).unwrap_or_default();
        v["jobs_submitted"] = self.jobs.len().into();
        let jobs: serde_json::Map<String, serde_json::Value> = self
            .jobs
            .iter()
            .map(|j| {
                (
                    j.spec.name.clone(),
                    serde_json::json!({ "running": j.running(), "instances": j.instances.len(), "updates": j.update_results }),
                )
            })
            .collect();
        v["jobs"] = jobs.into();
        Some(v)
    }

    fn progress(&self, _core: &Core) -> Progress {
        Progress {
            jobs_submitted: self.jobs.len() as u64,
            tasks_finished: self.stats.tasks_finished,
        }
    }
}
