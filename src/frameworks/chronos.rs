//! Chronos-like: jobs on ISO 8601 repeating schedules, and dependent jobs forming a DAG.
//!
//! What it models (Chronos README and API docs, "Job Configuration"):
//! - A scheduled job has `schedule = "R[n]/<start>/<period>"` ([`super::iso8601`]);
//!   scenario time 0 is the instant `epoch`. Occurrences before the epoch are skipped.
//! - A dependent job has `parents` instead: run k of the child starts once every parent
//!   has succeeded in its run k (the same period). The jobs must form a DAG.
//! - A failed attempt is retried at once, up to `retries` times (Chronos' default 2);
//!   a run whose attempts all failed is failed, and its children do not run for that
//!   period.
//! - `epsilon` (Chronos' default 60 s): a scheduled run that has not been launched
//!   within epsilon of its time is skipped (missed), as Chronos skips late runs.
//! - Each attempt's run time is drawn from `duration` (any latency distribution:
//!   constant, uniform, normal, log_normal, exponential); it fails with probability
//!   `failure_rate`, and the first `fail_attempts` attempts of every run fail (a
//!   deterministic failure model for tests and teaching).

use super::core::{Common, Core, Live, Progress, Scheduler, Slot};
use super::iso8601::{Instant, Schedule};
use super::timer::TimerTag;
use super::FrameworkKind;
use crate::actor::{Ctx, Time, SEC};
use crate::proto::{FrameworkTimer, Timer};
use crate::proto::{Mesos, TaskId, TaskInfo, TaskRun, TaskState, TaskStatus};
use crate::resources::Resources;
use crate::sim::latency::Latency;
use crate::units::NonNeg;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The kind-specific keys of a `kind = "chronos"` framework.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChronosSpec {
    /// The UTC instant of scenario time 0.
    #[serde(default = "default_epoch")]
    pub epoch: String,
    pub jobs: Vec<JobSpec>,
}

fn default_epoch() -> String {
    "2026-01-01T00:00:00Z".into()
}

/// One Chronos job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    pub name: String,
    /// `R[n]/<start>/<period>`; absent for a dependent job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Jobs that must all succeed (in the same period) before this one runs.
    #[serde(default)]
    pub parents: Vec<String>,
    pub cpus: NonNeg,
    pub mem: NonNeg,
    /// Run time of one attempt.
    pub duration: Latency,
    #[serde(default)]
    pub failure_rate: f64,
    #[serde(default)]
    pub fail_attempts: u32,
    #[serde(default = "two")]
    pub retries: u32,
    #[serde(default = "minute", with = "crate::units::duration")]
    pub epsilon: Time,
}

fn two() -> u32 {
    2
}
fn minute() -> Time {
    60 * SEC
}

/// `kind = "chronos"`.
impl FrameworkKind for ChronosSpec {
    const NAME: &'static str = "chronos";
    type Scheduler = Chronos;

    /// Checks schedules, parents and acyclicity; returns (key, message).
    fn validate(&self) -> Result<(), (String, String)> {
        Instant::parse(&self.epoch).map_err(|m| ("epoch".to_string(), m))?;
        let names: BTreeMap<&str, usize> = self
            .jobs
            .iter()
            .enumerate()
            .map(|(i, j)| (j.name.as_str(), i))
            .collect();
        if names.len() != self.jobs.len() {
            return Err(("name".into(), "two jobs have the same name".into()));
        }
        for j in &self.jobs {
            match (&j.schedule, j.parents.is_empty()) {
                (Some(s), true) => {
                    Schedule::parse(s).map_err(|m| ("schedule".to_string(), m))?;
                }
                (None, false) => {}
                _ => {
                    return Err((
                        "schedule".into(),
                        format!(
                            "job `{}` needs either a schedule or parents (not both)",
                            j.name
                        ),
                    ))
                }
            }
            if let Some(p) = j.parents.iter().find(|p| !names.contains_key(p.as_str())) {
                return Err((
                    "parents".into(),
                    format!("job `{}` has unknown parent `{p}`", j.name),
                ));
            }
            super::core::unit_interval("failure_rate", j.failure_rate)?;
            j.duration
                .validate()
                .map_err(|m| ("duration".to_string(), m))?;
        }
        // Kahn's algorithm: what is left unsorted lies on a cycle.
        let mut indeg: Vec<usize> = self.jobs.iter().map(|j| j.parents.len()).collect();
        let mut ready: Vec<usize> = (0..self.jobs.len()).filter(|&i| indeg[i] == 0).collect();
        let mut seen = 0;
        while let Some(i) = ready.pop() {
            seen += 1;
            for (c, j) in self.jobs.iter().enumerate() {
                for p in &j.parents {
                    if names[p.as_str()] == i {
                        indeg[c] -= 1;
                        if indeg[c] == 0 {
                            ready.push(c);
                        }
                    }
                }
            }
        }
        if seen != self.jobs.len() {
            let on_cycle: Vec<&str> = (0..self.jobs.len())
                .filter(|&i| indeg[i] > 0)
                .map(|i| self.jobs[i].name.as_str())
                .collect();
            return Err((
                "parents".into(),
                format!("the job dependencies have a cycle through {on_cycle:?}"),
            ));
        }
        Ok(())
    }

    fn build(&self, _common: &Common, _seed: u64) -> Chronos {
        Chronos::new(self.clone())
    }
}

/// What became of one run (one period) of a job.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Pending,
    Running,
    Succeeded,
    Failed,
    /// Not launched within epsilon of its time.
    Missed,
}

/// One run: job, period, attempts and times.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub job: usize,
    pub period: u32,
    pub state: RunState,
    /// Attempts launched so far.
    pub attempts: u32,
    pub due: Time,
    /// When the last attempt started RUNNING and when the run ended.
    pub started: Option<Time>,
    pub ended: Option<Time>,
    deadline: Time,
}

/// The Chronos-like scheduler.
pub struct Chronos {
    jobs: Vec<JobSpec>,
    schedules: Vec<Option<Schedule>>,
    children: Vec<Vec<usize>>,
    parents: Vec<Vec<usize>>,
    epoch: Instant,
    /// Every run, by (job, period).
    pub runs: BTreeMap<(usize, u32), Run>,
    pending: BTreeSet<(Time, usize, u32)>,
    /// Scheduled jobs with occurrences still to come.
    schedules_left: usize,
    now: Time,
    /// The first dependent run launched before all its parents' runs of the same
    /// period succeeded ([`Scheduler::invariant`]).
    early_child: Option<String>,
}

/// Chronos's timers: a job's run `k` is due; the epsilon after which a run not yet
/// started counts as missed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChronosTimer {
    Due { job: u32, run: u32 },
    Epsilon { job: u32, run: u32 },
}

/// Carried as a [`FrameworkTimer`] of kinds 1, 2 (the numbering the fingerprints were taken with).
impl TimerTag for ChronosTimer {
    fn to_timer(&self) -> Timer {
        let (kind, a, b) = match *self {
            ChronosTimer::Due { job, run } => (1, job, run),
            ChronosTimer::Epsilon { job, run } => (2, job, run),
        };
        Timer::Framework(FrameworkTimer::new(kind, a, b))
    }
    fn from_timer(t: &Timer) -> Option<ChronosTimer> {
        let Timer::Framework(FrameworkTimer { kind, a, b }) = *t else {
            return None;
        };
        Some(match kind {
            1 => ChronosTimer::Due { job: a, run: b },
            2 => ChronosTimer::Epsilon { job: a, run: b },
            _ => return None,
        })
    }
}

impl Chronos {
    pub fn new(spec: ChronosSpec) -> Chronos {
        let index: BTreeMap<&str, usize> = spec
            .jobs
            .iter()
            .enumerate()
            .map(|(i, j)| (j.name.as_str(), i))
            .collect();
        let parents: Vec<Vec<usize>> = spec
            .jobs
            .iter()
            .map(|j| j.parents.iter().map(|p| index[p.as_str()]).collect())
            .collect();
        let mut children = vec![Vec::new(); spec.jobs.len()];
        for (c, ps) in parents.iter().enumerate() {
            for &p in ps {
                children[p].push(c);
            }
        }
        let schedules: Vec<Option<Schedule>> = spec
            .jobs
            .iter()
            .map(|j| {
                j.schedule
                    .as_ref()
                    .map(|s| Schedule::parse(s).expect("validated"))
            })
            .collect();
        Chronos {
            epoch: Instant::parse(&spec.epoch).expect("validated"),
            schedules_left: schedules.iter().flatten().count(),
            schedules,
            children,
            parents,
            jobs: spec.jobs,
            runs: BTreeMap::new(),
            pending: BTreeSet::new(),
            now: 0,
            early_child: None,
        }
    }

    /// The index of job `name`.
    pub fn job(&self, name: &str) -> Option<usize> {
        self.jobs.iter().position(|j| j.name == name)
    }

    /// The runs of job `name`, in period order.
    pub fn runs_of(&self, name: &str) -> Vec<&Run> {
        let Some(j) = self.job(name) else {
            return Vec::new();
        };
        self.runs
            .range((j, 0)..(j + 1, 0))
            .map(|(_, r)| r)
            .collect()
    }

    /// Arms the timer of occurrence `k` of scheduled job `j`, if there is one.
    fn arm(&mut self, core: &Core, ctx: &mut Ctx<Mesos>, j: usize, k: u64) {
        let s = self.schedules[j].as_ref().expect("scheduled");
        if s.repeats.is_some_and(|n| k >= n) || k > u32::MAX as u64 {
            self.schedules_left -= 1;
            return;
        }
        let at = s.nth(k).0 - self.epoch.0;
        core.timer(
            ctx,
            (at.max(0) as Time).saturating_sub(self.now),
            ChronosTimer::Due {
                job: j as u32,
                run: k as u32,
            },
        );
    }

    fn enqueue(&mut self, core: &Core, ctx: &mut Ctx<Mesos>, j: usize, period: u32, epsilon: bool) {
        if self.runs.contains_key(&(j, period)) {
            return;
        }
        let deadline = if epsilon {
            self.now + self.jobs[j].epsilon
        } else {
            Time::MAX
        };
        self.runs.insert(
            (j, period),
            Run {
                job: j,
                period,
                state: RunState::Pending,
                attempts: 0,
                due: self.now,
                started: None,
                ended: None,
                deadline,
            },
        );
        self.pending.insert((self.now, j, period));
        if epsilon {
            core.timer(
                ctx,
                self.jobs[j].epsilon + 1,
                ChronosTimer::Epsilon {
                    job: j as u32,
                    run: period,
                },
            );
        }
    }

    fn run_ended(&mut self, core: &Core, ctx: &mut Ctx<Mesos>, j: usize, period: u32, ok: bool) {
        let now = self.now;
        let run = self.runs.get_mut(&(j, period)).expect("run exists");
        run.ended = Some(now);
        run.state = if ok {
            RunState::Succeeded
        } else {
            RunState::Failed
        };
        if !ok {
            return;
        }
        for c in self.children[j].clone() {
            let all = self.parents[c].iter().all(|&p| {
                self.runs
                    .get(&(p, period))
                    .is_some_and(|r| r.state == RunState::Succeeded)
            });
            if all {
                self.enqueue(core, ctx, c, period, false);
            }
        }
    }
}

impl Chronos {
    /// Runs taken on, and runs that succeeded (a run is one task).
    fn progress_now(&self) -> Progress {
        let succeeded = self
            .runs
            .values()
            .filter(|r| r.state == RunState::Succeeded)
            .count();
        Progress {
            jobs_submitted: self.runs.len() as u64,
            tasks_finished: succeeded as u64,
        }
    }
}

impl Scheduler for Chronos {
    type Timer = ChronosTimer;

    fn registered(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>) {
        self.now = ctx.now();
        for j in 0..self.jobs.len() {
            if let Some(s) = &self.schedules[j] {
                // The first occurrence not older than epsilon (one due at time 0 still
                // runs although the framework registers a moment later).
                let since = self.now.saturating_sub(self.jobs[j].epsilon) as i128;
                let first = (0..)
                    .take_while(|&k| s.repeats.is_none_or(|n| k < n))
                    .find(|&k| s.nth(k).0 - self.epoch.0 >= since)
                    .unwrap_or(u64::MAX);
                self.arm(core, ctx, j, first);
            }
        }
    }

    fn offers(&mut self, _core: &mut Core, ctx: &mut Ctx<Mesos>, slots: &mut [Slot]) {
        self.now = ctx.now();
        let queue: Vec<(Time, usize, u32)> = self.pending.iter().copied().collect();
        for (due, j, period) in queue {
            let spec = &self.jobs[j];
            let run = self.runs.get_mut(&(j, period)).expect("pending run");
            let r = Resources::new(spec.cpus.0, spec.mem.0.round() as u64);
            let Some(slot) = slots.iter_mut().find(|s| s.fits(&r)) else {
                continue;
            };
            let attempt = run.attempts;
            let rng = ctx.rng();
            let fails = attempt < spec.fail_attempts
                || (spec.failure_rate > 0.0 && rng.gen::<f64>() < spec.failure_rate);
            let duration = spec.duration.sampler().sample(rng);
            slot.take(TaskInfo {
                id: TaskId {
                    job: j as u64,
                    index: period,
                    attempt,
                },
                resources: r,
                run: TaskRun {
                    duration,
                    succeeds: !fails,
                },
                submitted: run.due,
                job_tasks: 1,
            });
            run.attempts += 1;
            run.state = RunState::Running;
            self.pending.remove(&(due, j, period));
            // Chronos' dependency rule, checked at the launch itself: run k of a child
            // only after run k of every parent succeeded.
            let waiting = self.parents[j].iter().find(|&&p| {
                self.runs
                    .get(&(p, period))
                    .is_none_or(|r| r.state != RunState::Succeeded)
            });
            if let (Some(&p), None) = (waiting, &self.early_child) {
                self.early_child = Some(format!(
                    "chronos job {} run {period} launched before its parent {}'s run {period} succeeded",
                    self.jobs[j].name, self.jobs[p].name
                ));
            }
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
        let (j, period) = (task.info.id.job as usize, task.info.id.index);
        if status.state == TaskState::Running {
            if let Some(r) = self.runs.get_mut(&(j, period)) {
                r.started = Some(self.now);
            }
            return;
        }
        if !ended {
            return;
        }
        if status.state == TaskState::Finished {
            self.run_ended(core, ctx, j, period, true);
            return;
        }
        let retries = self.jobs[j].retries;
        let run = self.runs.get_mut(&(j, period)).expect("run exists");
        if run.attempts <= retries {
            run.state = RunState::Pending;
            self.pending.insert((run.due, j, period));
        } else {
            self.run_ended(core, ctx, j, period, false);
        }
    }

    fn timer(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, t: ChronosTimer) {
        self.now = ctx.now();
        match t {
            ChronosTimer::Due { job, run: k } => {
                let j = job as usize;
                self.enqueue(core, ctx, j, k, true);
                self.arm(core, ctx, j, k as u64 + 1);
            }
            ChronosTimer::Epsilon { job, run: k } => {
                let j = job as usize;
                if let Some(r) = self.runs.get_mut(&(j, k)) {
                    if r.state == RunState::Pending && r.attempts == 0 && self.now > r.deadline {
                        r.state = RunState::Missed;
                        r.ended = Some(self.now);
                        self.pending.remove(&(r.due, j, k));
                    }
                }
            }
        }
    }

    fn wants_offers(&self, _core: &Core) -> bool {
        !self.pending.is_empty()
    }

    fn pending(&self) -> usize {
        self.pending.len()
    }

    fn done(&self, core: &Core) -> bool {
        self.schedules_left == 0 && self.pending.is_empty() && core.tasks.is_empty()
    }

    fn invariant(&self) -> Option<String> {
        self.early_child.clone()
    }

    fn stats(&self) -> Option<serde_json::Value> {
        let count = |s: RunState| self.runs.values().filter(|r| r.state == s).count();
        let p = self.progress_now();
        Some(serde_json::json!({
            "jobs_submitted": p.jobs_submitted,
            "tasks_finished": p.tasks_finished,
            "runs_succeeded": count(RunState::Succeeded),
            "runs_failed": count(RunState::Failed),
            "runs_missed": count(RunState::Missed),
            "attempts": self.runs.values().map(|r| r.attempts as u64).sum::<u64>(),
        }))
    }

    fn progress(&self, _core: &Core) -> Progress {
        self.progress_now()
    }
}
