//! The task life cycle shared by Google's 2011 and 2019 traces (Borg): a task is
//! submitted, scheduled, and ends (FINISH, FAIL, KILL, LOST or EVICT), after which it may
//! be submitted again. Both traces give one row per transition, in time order, so a task's
//! run time is only known when its end row arrives; this module joins the rows keeping
//! only the tasks that are open (submitted and not yet ended) and the jobs that have an
//! open task.
//!
//! Normalization (documented in docs/traces.md, "Units and normalization"):
//! - a job's submit is the first SUBMIT of any of its tasks; each task keeps its own;
//! - a task's duration is its last attempt's SCHEDULE -> end; earlier attempts (ended by
//!   EVICT, FAIL, LOST and then resubmitted) are counted in `reattempts`;
//! - tasks still running when the input ends end at the last timestamp seen;
//! - tasks that never ran (killed while pending, or still pending at the end) are
//!   dropped and counted: the trace says nothing about how long they would have run;
//! - a job is emitted once it has had no open task for [`IDLE_RETIRE`] of trace time (a
//!   failed task is usually resubmitted within seconds), or at the end of the input. If
//!   its tasks come back later, they form a new job whose id carries a wave number in
//!   bits 48.. (`id | wave << 48`; Google job ids are below 2^33).

use super::input::Stats;
use super::{Constraint, TraceJob, TraceTask};
use crate::actor::{Time, SEC};
use crate::job::JobKind;
use crate::resources::Resources;
use std::collections::{BTreeMap, BTreeSet};

/// How long a job with no open task waits for one of its tasks to be resubmitted before
/// it is emitted.
pub const IDLE_RETIRE: Time = 3600 * SEC;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ev {
    Submit,
    Schedule,
    /// FINISH, FAIL, KILL, LOST, EVICT.
    End,
    /// UPDATE_PENDING / UPDATE_RUNNING (and QUEUE/ENABLE in 2019): new request values.
    Update,
}

/// One row of a task (instance) event table, already parsed.
pub struct Event {
    /// `None`: after the end of the trace (the schema's 2^63 - 1).
    pub time: Option<Time>,
    pub job: u64,
    pub index: u32,
    pub ev: Ev,
    pub priority: Option<i32>,
    pub class: Option<u8>,
    pub user: Option<String>,
    pub resources: Option<Resources>,
    pub constraints: Option<Vec<Constraint>>,
}

struct Open {
    submit: Time,
    schedule: Option<Time>,
    resources: Resources,
    constraints: Vec<Constraint>,
}

struct JobAcc {
    id: u64,
    submit: Time,
    priority: i32,
    class: Option<u8>,
    user: Option<String>,
    open: u32,
    idle_since: Option<Time>,
    tasks: BTreeMap<u32, TraceTask>,
}

/// The join state. `service_priority`: priorities at or above it are emitted as
/// `JobKind::Service` (Google's production tier).
pub struct Borg {
    open: BTreeMap<(u64, u32), Open>,
    jobs: BTreeMap<u64, JobAcc>,
    by_submit: BTreeSet<(Time, u64)>,
    idle: BTreeSet<(Time, u64)>,
    waves: BTreeMap<u64, u32>,
    now: Time,
    service_priority: i32,
    stats: Stats,
}

impl Borg {
    pub fn new(service_priority: i32, stats: Stats) -> Borg {
        Borg {
            open: BTreeMap::new(),
            jobs: BTreeMap::new(),
            by_submit: BTreeSet::new(),
            idle: BTreeSet::new(),
            waves: BTreeMap::new(),
            now: 0,
            service_priority,
            stats,
        }
    }

    /// The latest timestamp seen.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Lower bound of the submit time of any job not yet emitted.
    pub fn watermark(&self) -> Time {
        self.by_submit
            .first()
            .map(|&(t, _)| t)
            .unwrap_or(self.now)
            .min(self.now)
    }

    fn bump(&self, k: &str) {
        self.stats.borrow_mut().bump(k, 1);
    }

    fn job(&mut self, e: &Event, t: Time) -> &mut JobAcc {
        if !self.jobs.contains_key(&e.job) {
            let wave = self.waves.get(&e.job).copied().unwrap_or(0);
            let id = e.job | (u64::from(wave) << 48);
            self.by_submit.insert((t, e.job));
            self.jobs.insert(
                e.job,
                JobAcc {
                    id,
                    submit: t,
                    priority: e.priority.unwrap_or(0),
                    class: e.class,
                    user: e.user.clone(),
                    open: 0,
                    idle_since: None,
                    tasks: BTreeMap::new(),
                },
            );
        }
        let j = self.jobs.get_mut(&e.job).expect("inserted");
        if j.user.is_none() {
            j.user = e.user.clone();
        }
        if let Some(since) = j.idle_since.take() {
            self.idle.remove(&(since, e.job));
        }
        j
    }

    /// Applies one row; finished jobs are appended to `out`.
    pub fn event(&mut self, e: Event, out: &mut Vec<TraceJob>) {
        let t = match e.time {
            Some(t) => {
                self.now = self.now.max(t);
                t
            }
            None => self.now,
        };
        let key = (e.job, e.index);
        match e.ev {
            Ev::Submit => {
                if let Some(o) = self.open.get_mut(&key) {
                    // Resubmitted while open (missing end row): keep the attempt.
                    if let Some(r) = e.resources {
                        o.resources = r;
                    }
                    self.bump("submit_while_open");
                } else {
                    let res = e.resources.unwrap_or_default();
                    let cons = e.constraints.clone().unwrap_or_default();
                    let j = self.job(&e, t);
                    j.open += 1;
                    self.open.insert(
                        key,
                        Open {
                            submit: t,
                            schedule: None,
                            resources: res,
                            constraints: cons,
                        },
                    );
                }
            }
            Ev::Schedule => {
                if let Some(o) = self.open.get_mut(&key) {
                    o.schedule = Some(t);
                    if let Some(r) = e.resources {
                        o.resources = r;
                    }
                } else {
                    // The slice started after this task's SUBMIT.
                    self.bump("schedule_without_submit");
                    let res = e.resources.unwrap_or_default();
                    let cons = e.constraints.clone().unwrap_or_default();
                    let j = self.job(&e, t);
                    j.open += 1;
                    self.open.insert(
                        key,
                        Open {
                            submit: t,
                            schedule: Some(t),
                            resources: res,
                            constraints: cons,
                        },
                    );
                }
            }
            Ev::Update => {
                if let Some(o) = self.open.get_mut(&key) {
                    if let Some(r) = e.resources {
                        o.resources = r;
                    }
                    if let Some(c) = e.constraints {
                        o.constraints = c;
                    }
                }
            }
            Ev::End => match self.open.remove(&key) {
                None => self.bump("end_without_open_task"),
                Some(o) => {
                    self.close(e.job, e.index, o, t, false);
                }
            },
        }
        self.retire_idle(out);
    }

    fn close(&mut self, job: u64, index: u32, o: Open, end: Time, at_eof: bool) {
        let Some(j) = self.jobs.get_mut(&job) else {
            return;
        };
        j.open -= 1;
        match o.schedule {
            Some(s) => {
                if j.tasks.contains_key(&index) {
                    self.stats.borrow_mut().bump("reattempts", 1);
                }
                j.tasks.insert(
                    index,
                    TraceTask {
                        index,
                        count: 1,
                        submit: o.submit,
                        resources: o.resources,
                        duration: end.saturating_sub(s),
                        name: None,
                        constraints: o.constraints,
                    },
                );
            }
            None if at_eof => self.stats.borrow_mut().bump("pending_at_end", 1),
            None => self.stats.borrow_mut().bump("ended_before_schedule", 1),
        }
        if j.open == 0 {
            j.idle_since = Some(end);
            self.idle.insert((end, job));
        }
    }

    fn retire_idle(&mut self, out: &mut Vec<TraceJob>) {
        while let Some(&(since, job)) = self.idle.first() {
            if since.saturating_add(IDLE_RETIRE) > self.now {
                break;
            }
            self.idle.pop_first();
            self.retire(job, out);
        }
    }

    fn retire(&mut self, job: u64, out: &mut Vec<TraceJob>) {
        let Some(j) = self.jobs.remove(&job) else {
            return;
        };
        self.by_submit.remove(&(j.submit, job));
        *self.waves.entry(job).or_insert(0) += 1;
        if j.tasks.is_empty() {
            self.bump("jobs_that_never_ran");
            return;
        }
        let kind = if j.priority >= self.service_priority {
            JobKind::Service
        } else {
            JobKind::Batch
        };
        out.push(TraceJob {
            id: j.id,
            name: None,
            submit: j.submit,
            priority: j.priority,
            sched_class: j.class,
            kind,
            user: j.user,
            tasks: j.tasks.into_values().collect(),
        });
    }

    /// End of input: running tasks end now, pending ones are dropped, every job is
    /// emitted.
    pub fn finish(&mut self, out: &mut Vec<TraceJob>) {
        let end = self.now;
        let open = std::mem::take(&mut self.open);
        for ((job, index), o) in open {
            if o.schedule.is_some() {
                self.bump("running_at_end");
            }
            self.close(job, index, o, end, true);
        }
        let jobs: Vec<u64> = self.jobs.keys().copied().collect();
        for job in jobs {
            self.retire(job, out);
        }
        self.idle.clear();
    }
}
