//! Chronos-like: jobs on ISO 8601 repeating schedules, and dependent jobs forming a DAG.
//!
//! What it models (Chronos README and API docs, "Job Configuration"; the schedule
//! rules follow Chronos 2.x's scheduler loop, see [`Clock`]):
//! - A scheduled job has `schedule = "R[n]/<start>/<period>"` ([`super::iso8601`]);
//!   scenario time 0 is the instant `epoch`, and Chronos reads the jobs when the
//!   framework registers. `Rn` runs n times (every occurrence counts, run or
//!   skipped), `R` forever, `R0` never. An empty start (`R//PT1H`) is the moment the
//!   job is read less one second: it runs at once. A start more than `epsilon` in
//!   the past is skipped forward: the job runs at the next occurrence (or at once if
//!   the latest one is less than epsilon late), with its count reduced by the
//!   occurrences skipped. After each run the job's schedule is rewritten, one run
//!   fewer and one period on ([`Chronos::schedule_now`]).
//! - `schedule_time_zone` (Chronos' `scheduleTimeZone`) replaces the start's offset
//!   and keeps its wall clock; calendar periods (P1D, P1M) keep the wall clock
//!   across daylight-saving changes.
//! - `disabled = true`: the job never runs (a disabled dependent job is not run when
//!   its parents succeed, so its own children never run either).
//! - A zero period (`PT0S`) with `Rn` launches the n runs at once; with `R` it is
//!   refused (Chronos' scheduler would loop forever at one instant).
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
use super::iso8601::{Instant, Schedule, Zone};
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
    /// Chronos' `scheduleTimeZone`: a tz database name (or a Java ID such as `PST`)
    /// whose wall clock the schedule's start is read in, replacing the string's offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_time_zone: Option<String>,
    /// Chronos' `disabled`: the job never runs (nor, for a dependent job, when its
    /// parents succeed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
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
        let epoch = Instant::parse(&self.epoch).expect("checked above");
        for j in &self.jobs {
            match (&j.schedule, j.parents.is_empty()) {
                (Some(s), true) => {
                    let named =
                        |key: &str, m: String| (key.to_string(), format!("job `{}`: {m}", j.name));
                    if let Some(z) = &j.schedule_time_zone {
                        Zone::java(z).map_err(|m| named("schedule_time_zone", m))?;
                    }
                    let s = Schedule::parse_in(s, j.schedule_time_zone.as_deref())
                        .map_err(|m| named("schedule", m))?;
                    if s.period.is_zero() && s.repeats.is_none() {
                        return Err(named(
                            "schedule",
                            format!(
                                "`{s}` repeats forever with a zero period: Chronos' scheduler would \
                                 launch it forever at one instant (JobScheduler.scheduleStream); \
                                 give a period or a repetition count Rn"
                            ),
                        ));
                    }
                    // Chronos fails to register it (registration is about the epoch).
                    Clock::new(&s, j.epsilon, epoch).map_err(|m| named("schedule", m))?;
                }
                (None, false) => {
                    if j.schedule_time_zone.is_some() {
                        return Err((
                            "schedule_time_zone".into(),
                            format!("job `{}` has parents: only a scheduled job has a schedule_time_zone", j.name),
                        ));
                    }
                }
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

/// A scheduled job's place in its schedule, as Chronos 2.x keeps it: the head of its
/// `ScheduleStream`, which is also the job's `schedule` as Chronos rewrites it after
/// every run (`R3/2026-01-01T02:00:00.000Z/P1D` becomes `R2/2026-01-02T02:00:00.000Z/P1D`).
///
/// Follows `JobUtils.makeScheduleStream`/`skipForward`/`calculateSkips` (a start
/// older than epsilon is skipped forward when the job is registered),
/// `JobScheduler.next` (a run more than epsilon late is skipped; `R0` is finished)
/// and `ScheduleStream.tail` (one run fewer, the start one period on, printed by
/// `Iso8601Expressions.create` and read back with the job's time zone).
#[derive(Clone, Debug)]
pub struct Clock {
    schedule: Schedule,
    epsilon: i128,
    /// Runs left (None: forever), the next occurrence and the zone its text is
    /// printed in. None: the stream has ended (or Chronos filtered the job).
    head: Option<(Option<u64>, Instant, Zone)>,
}

impl Clock {
    /// The stream of a job registered at `now` (`JobUtils.makeScheduleStream`). An
    /// empty start is `now` less one second, in UTC (`Iso8601Expressions.parse`). Err
    /// where Chronos' own registration fails (`calculateSkips` on a start older than
    /// epsilon: Joda cannot turn years into seconds, and a period under a second
    /// divides by zero).
    pub fn new(schedule: &Schedule, epsilon: Time, now: Instant) -> Result<Clock, String> {
        let (start, zone) = match schedule.start {
            Some(s) => (s, schedule.zone.clone()),
            None => (Instant(now.0 - SEC as i128), Zone::UTC),
        };
        let mut c = Clock {
            schedule: schedule.clone(),
            epsilon: epsilon as i128,
            head: Some((schedule.repeats, start, zone)),
        };
        if start.0 + c.epsilon < now.0 {
            c.skip_forward(now)?;
        }
        Ok(c)
    }

    /// `JobUtils.skipForward`: k = the periods between the start and `now` (months:
    /// added one by one until not before now; else whole seconds over the period's
    /// standard seconds, rounded down), the start moved k periods on, k runs fewer
    /// (a count below k: the job is filtered and never runs).
    fn skip_forward(&mut self, now: Instant) -> Result<(), String> {
        let Some((rec, start, zone)) = self.head.take() else {
            return Ok(());
        };
        let p = self.schedule.period;
        let skip: u64 = if p.months >= 1 {
            let (mut d, mut k) = (start, 0u64);
            while d < now {
                let Some(n) = p.add_to(d, &zone) else {
                    return Ok(());
                };
                d = n;
                k += 1;
            }
            k
        } else {
            let secs = p.standard_seconds().ok_or_else(|| {
                format!(
                    "`{}` starts more than epsilon in the past with a period of years: \
                     Chronos fails to register it (Joda's Period.toStandardSeconds throws \
                     in JobUtils.calculateSkips)",
                    self.schedule
                )
            })?;
            if secs == 0 {
                return Err(format!(
                    "`{}` starts more than epsilon in the past with a period under one \
                     second: Chronos fails to register it (division by zero in \
                     JobUtils.calculateSkips)",
                    self.schedule
                ));
            }
            ((now.0 - start.0) / SEC as i128 / secs) as u64
        };
        let Some(n_start) = p.times(skip).and_then(|q| q.add_to(start, &zone)) else {
            return Ok(());
        };
        let rec = match rec {
            None => None,
            Some(r) if r < skip => return Ok(()),
            Some(r) => Some(r - skip),
        };
        self.head = self
            .schedule
            .reread(n_start, &zone)
            .map(|(s, z)| (rec, s, z));
        Ok(())
    }

    /// The occurrence to run next, seen at `now` (`JobScheduler.next`): None once the
    /// count is spent (`R0`); an occurrence more than epsilon before `now` is skipped
    /// (and counts as a run); one less late runs at once; a later one at its time.
    pub fn next_due(&mut self, now: Instant) -> Option<Instant> {
        loop {
            let (rec, start, _) = self.head.as_ref()?;
            if *rec == Some(0) {
                return None;
            }
            if start.0 > now.0 - self.epsilon {
                return Some(*start);
            }
            self.advance();
        }
    }

    /// The head was scheduled (or skipped): the stream moves to its tail.
    pub fn advance(&mut self) {
        let Some((rec, start, zone)) = self.head.take() else {
            return;
        };
        if rec == Some(0) {
            return;
        }
        let Some(next) = self.schedule.period.add_to(start, &zone) else {
            return;
        };
        self.head = self
            .schedule
            .reread(next, &zone)
            .map(|(s, z)| (rec.map(|r| r - 1), s, z));
    }

    /// The job's `schedule` as Chronos has rewritten it; None once the stream ended.
    pub fn text(&self) -> Option<String> {
        let (rec, start, zone) = self.head.as_ref()?;
        Some(self.schedule.create(*rec, *start, zone))
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
    /// Each scheduled job's clock, from registration on.
    clocks: Vec<Option<Clock>>,
    /// Each scheduled job's next run number, and the occurrence its armed timer is for.
    next_run: Vec<u32>,
    due_at: Vec<Option<Instant>>,
    /// Enabled scheduled jobs with occurrences still to come.
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
                j.schedule.as_ref().map(|s| {
                    Schedule::parse_in(s, j.schedule_time_zone.as_deref()).expect("validated")
                })
            })
            .collect();
        Chronos {
            epoch: Instant::parse(&spec.epoch).expect("validated"),
            schedules_left: (0..spec.jobs.len())
                .filter(|&j| schedules[j].is_some() && !spec.jobs[j].disabled)
                .count(),
            clocks: vec![None; spec.jobs.len()],
            next_run: vec![0; spec.jobs.len()],
            due_at: vec![None; spec.jobs.len()],
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

    /// Job `name`'s `schedule` as Chronos has rewritten it so far (one run fewer and
    /// one period on after every run); None for a dependent, disabled or ended job.
    pub fn schedule_now(&self, name: &str) -> Option<String> {
        self.clocks[self.job(name)?].as_ref()?.text()
    }

    fn instant(&self, t: Time) -> Instant {
        Instant(self.epoch.0 + t as i128)
    }

    /// Arms the timer of scheduled job `j`'s next run, if its schedule has one.
    fn arm(&mut self, core: &Core, ctx: &mut Ctx<Mesos>, j: usize) {
        let now = self.instant(self.now);
        let Some(clock) = self.clocks[j].as_mut() else {
            return;
        };
        let Some(due) = clock.next_due(now) else {
            self.schedules_left -= 1;
            return;
        };
        self.due_at[j] = Some(due);
        let delay = (due.0 - now.0).clamp(0, (Time::MAX / 2) as i128) as Time;
        core.timer(
            ctx,
            delay,
            ChronosTimer::Due {
                job: j as u32,
                run: self.next_run[j],
            },
        );
    }

    /// Queues run `period` of job `j`. A scheduled run (`due`: its occurrence, which
    /// may be up to epsilon late) is missed if not launched by its time plus epsilon.
    fn enqueue(
        &mut self,
        core: &Core,
        ctx: &mut Ctx<Mesos>,
        j: usize,
        period: u32,
        due: Option<Instant>,
    ) {
        if self.runs.contains_key(&(j, period)) || self.jobs[j].disabled {
            return;
        }
        let (due_t, deadline) = match due {
            Some(d) => {
                let at = (d.0 - self.epoch.0).clamp(0, Time::MAX as i128) as Time;
                (at, at.saturating_add(self.jobs[j].epsilon))
            }
            None => (self.now, Time::MAX),
        };
        self.runs.insert(
            (j, period),
            Run {
                job: j,
                period,
                state: RunState::Pending,
                attempts: 0,
                due: due_t,
                started: None,
                ended: None,
                deadline,
            },
        );
        self.pending.insert((due_t, j, period));
        if due.is_some() {
            core.timer(
                ctx,
                (deadline + 1).saturating_sub(self.now),
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
                self.enqueue(core, ctx, c, period, None);
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
        let now = self.instant(self.now);
        for j in 0..self.jobs.len() {
            let Some(s) = self.schedules[j]
                .as_ref()
                .filter(|_| !self.jobs[j].disabled)
            else {
                continue;
            };
            // Chronos reads the job now (JobUtils.makeScheduleStream). Registration
            // failures are refused at validation, against the epoch; one that only
            // shows at the (later) registration instant leaves the job without runs.
            match Clock::new(s, self.jobs[j].epsilon, now) {
                Ok(c) => {
                    self.clocks[j] = Some(c);
                    self.arm(core, ctx, j);
                }
                Err(_) => self.schedules_left -= 1,
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
                let due = self.due_at[j].take();
                if let Some(c) = self.clocks[j].as_mut() {
                    c.advance();
                }
                self.next_run[j] = k + 1;
                self.enqueue(core, ctx, j, k, Some(due.unwrap_or(self.instant(self.now))));
                self.arm(core, ctx, j);
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
