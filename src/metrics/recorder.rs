//! The recorder: watches the protocol messages as the master sees them and turns them
//! into task rows, wait and completion times, and exactly integrated utilization.
//!
//! Times are those at which the master learns of a change (it receives the agent's
//! update), which is the view a Mesos operator has in `/master/state`. Task rows are
//! written as soon as a task attempt ends, so memory holds only live tasks.

use crate::actor::{ActorId, ByActor, Time};
use crate::alloc::{AgentId, FrameworkId};
use crate::keymap::KeyMap;
use crate::proto::{Msg, Reason, TaskId, TaskState};
use crate::resources::Resources;
use std::collections::BTreeMap;
use std::io::Write;

/// Formats integer nanoseconds as exact decimal seconds (`12.000500000`).
pub fn secs(t: Time) -> String {
    format!("{}.{:09}", t / 1_000_000_000, t % 1_000_000_000)
}

/// One row of the task table (`tasks.csv`, `tasks.parquet`): a task attempt as it ended
/// (or as it stood when the run stopped).
#[derive(Clone, Debug, PartialEq)]
pub struct TaskRecord<'a> {
    pub job: u64,
    pub task: u32,
    pub attempt: u32,
    pub framework: &'a str,
    pub role: &'a str,
    pub agent: &'a str,
    pub cpus: f64,
    pub mem: u64,
    /// Nanoseconds.
    pub submit: Time,
    pub start: Option<Time>,
    pub end: Option<Time>,
    pub state: &'static str,
    pub reason: &'static str,
}

/// Where task rows go: CSV (the default) or Parquet, both streamed as attempts end.
pub enum TaskSink {
    Csv(Box<csv::Writer<Box<dyn Write>>>),
    Parquet(Box<super::parquet::ParquetTasks>),
}

impl TaskSink {
    fn header(&mut self) -> Result<(), String> {
        match self {
            TaskSink::Csv(w) => w.write_record(TASK_HEADER).map_err(|e| e.to_string()),
            TaskSink::Parquet(_) => Ok(()),
        }
    }

    fn write(&mut self, r: &TaskRecord) -> Result<(), String> {
        match self {
            TaskSink::Csv(w) => w
                .write_record([
                    r.job.to_string().as_str(),
                    &r.task.to_string(),
                    &r.attempt.to_string(),
                    r.framework,
                    r.role,
                    r.agent,
                    &r.cpus.to_string(),
                    &r.mem.to_string(),
                    &secs(r.submit),
                    &r.start.map(secs).unwrap_or_default(),
                    &r.end.map(secs).unwrap_or_default(),
                    r.state,
                    r.reason,
                ])
                .map_err(|e| e.to_string()),
            TaskSink::Parquet(p) => p.push(r),
        }
    }

    fn finish(self) -> Result<(), String> {
        match self {
            TaskSink::Csv(mut w) => w.flush().map_err(|e| e.to_string()),
            TaskSink::Parquet(p) => p.finish(),
        }
    }
}

#[derive(Clone, Debug)]
struct TaskRow {
    agent: Option<AgentId>,
    resources: Resources,
    submit: Time,
    job_tasks: u32,
    start: Option<Time>,
    state: TaskState,
}

#[derive(Clone, Debug, Default)]
struct JobProgress {
    submitted: Time,
    finished: u32,
}

/// Counts of task attempts by final state.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TaskCounts {
    pub launched: u64,
    pub finished: u64,
    pub failed: u64,
    pub killed: u64,
    /// LOST, or its partition-aware names (DROPPED, GONE, GONE_BY_OPERATOR).
    pub lost: u64,
    pub error: u64,
    /// A task reported running on a second agent while still live on the first.
    pub duplicated: u64,
}

/// Framework identity as registered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrameworkName {
    pub name: String,
    pub role: String,
}

pub struct Recorder {
    /// Every master: after a failover the new leader speaks for the cluster.
    masters: Vec<ActorId>,
    pending_fw: BTreeMap<ActorId, FrameworkName>,
    pub frameworks: BTreeMap<FrameworkId, FrameworkName>,
    fw_by_actor: ByActor<FrameworkId>,
    pending_agent: BTreeMap<ActorId, (String, Resources)>,
    agents: BTreeMap<AgentId, String>,
    agent_by_actor: ByActor<AgentId>,
    /// Every live task attempt (looked up on every launch and status update).
    tasks: KeyMap<(FrameworkId, TaskId), TaskRow>,
    /// Jobs with tasks still to finish.
    jobs: KeyMap<(FrameworkId, u64), JobProgress>,
    pub counts: TaskCounts,
    /// Wait of each started attempt (RUNNING - submitted), ns.
    pub waits: Vec<Time>,
    /// Completion time of each completed job (last task FINISHED - submitted), ns.
    pub completions: Vec<Time>,
    pub first_submit: Option<Time>,
    pub last_end: Option<Time>,
    used: Resources,
    total: Resources,
    last_t: Time,
    used_integral: [u128; 4],
    total_integral: [u128; 4],
    tasks_out: Option<TaskSink>,
    events: Option<Box<dyn Write>>,
    actor_names: Vec<String>,
    pub io_error: Option<String>,
}

const TASK_HEADER: [&str; 13] = [
    "job",
    "task",
    "attempt",
    "framework",
    "role",
    "agent",
    "cpus",
    "mem",
    "submit",
    "start",
    "end",
    "state",
    "reason",
];

impl Recorder {
    /// `tasks_csv` receives one row per ended task attempt; `events` (if any) one JSON
    /// line per delivered message.
    pub fn new(
        masters: Vec<ActorId>,
        tasks_csv: Option<Box<dyn Write>>,
        events: Option<Box<dyn Write>>,
        actor_names: Vec<String>,
    ) -> Recorder {
        let sink = tasks_csv.map(|w| TaskSink::Csv(Box::new(csv::Writer::from_writer(w))));
        Recorder::with_sink(masters, sink, events, actor_names)
    }

    /// As `new`, with task rows going to `tasks` (CSV or Parquet).
    pub fn with_sink(
        masters: Vec<ActorId>,
        tasks: Option<TaskSink>,
        events: Option<Box<dyn Write>>,
        actor_names: Vec<String>,
    ) -> Recorder {
        let mut rec = Recorder {
            masters,
            pending_fw: BTreeMap::new(),
            frameworks: BTreeMap::new(),
            fw_by_actor: ByActor::default(),
            pending_agent: BTreeMap::new(),
            agents: BTreeMap::new(),
            agent_by_actor: ByActor::default(),
            tasks: KeyMap::default(),
            jobs: KeyMap::default(),
            counts: TaskCounts::default(),
            waits: Vec::new(),
            completions: Vec::new(),
            first_submit: None,
            last_end: None,
            used: Resources::ZERO,
            total: Resources::ZERO,
            last_t: 0,
            used_integral: [0; 4],
            total_integral: [0; 4],
            tasks_out: tasks,
            events,
            actor_names,
            io_error: None,
        };
        if let Some(w) = rec.tasks_out.as_mut() {
            if let Err(e) = w.header() {
                rec.io_error = Some(e);
            }
        }
        rec
    }

    fn advance(&mut self, now: Time) {
        if now > self.last_t {
            let dt = (now - self.last_t) as u128;
            let (u, t) = (self.used.as_array(), self.total.as_array());
            for i in 0..4 {
                self.used_integral[i] += u[i] as u128 * dt;
                self.total_integral[i] += t[i] as u128 * dt;
            }
            self.last_t = now;
        }
    }

    /// Time-average of used / total per resource kind over the run so far.
    pub fn utilization(&mut self, now: Time) -> [f64; 4] {
        self.advance(now);
        std::array::from_fn(|i| {
            if self.total_integral[i] == 0 {
                0.0
            } else {
                self.used_integral[i] as f64 / self.total_integral[i] as f64
            }
        })
    }

    pub fn observe(&mut self, time: Time, from: ActorId, to: ActorId, msg: &Msg) {
        if let Some(w) = self.events.as_mut() {
            let line = serde_json::json!({
                "t": secs(time),
                "from": self.actor_names.get(from.index()),
                "to": self.actor_names.get(to.index()),
                "kind": crate::actor::Message::kind(msg),
                "msg": msg,
            });
            if let Err(e) = writeln!(w, "{line}") {
                self.io_error.get_or_insert(e.to_string());
            }
        }
        match msg {
            Msg::RegisterFramework(info) if self.masters.contains(&to) => {
                self.pending_fw.insert(
                    from,
                    FrameworkName {
                        name: info.name.clone(),
                        role: info.role.clone(),
                    },
                );
            }
            Msg::FrameworkRegistered { id } if self.masters.contains(&from) => {
                if let Some(n) = self.pending_fw.remove(&to) {
                    self.frameworks.insert(*id, n);
                    self.fw_by_actor.insert(to, *id);
                }
            }
            Msg::RegisterAgent(reg) if self.masters.contains(&to) => {
                self.pending_agent
                    .insert(from, (reg.info.hostname.clone(), reg.info.resources));
            }
            Msg::AgentRegistered { id, .. } if self.masters.contains(&from) => {
                if let Some((host, res)) = self.pending_agent.remove(&to) {
                    if !self.agent_by_actor.contains(to) {
                        self.advance(time);
                        self.total += res;
                    }
                    self.agents.insert(*id, host);
                    self.agent_by_actor.insert(to, *id);
                }
            }
            Msg::RunTask {
                framework, task, ..
            } if self.masters.contains(&from) => {
                self.advance(time);
                self.used += task.resources;
                self.counts.launched += 1;
                self.first_submit = Some(
                    self.first_submit
                        .map_or(task.submitted, |f| f.min(task.submitted)),
                );
                self.jobs
                    .entry((*framework, task.id.job))
                    .or_insert(JobProgress {
                        submitted: task.submitted,
                        finished: 0,
                    });
                self.tasks.insert(
                    (*framework, task.id),
                    TaskRow {
                        agent: self.agent_by_actor.get(to),
                        resources: task.resources,
                        submit: task.submitted,
                        job_tasks: task.job_tasks,
                        start: None,
                        state: TaskState::Staging,
                    },
                );
            }
            Msg::StatusUpdate { framework, status } if self.masters.contains(&to) => {
                let key = (*framework, status.task);
                let reporter = self.agent_by_actor.get(from);
                let Some(row) = self.tasks.get_mut(&key) else {
                    return;
                };
                if row.agent != reporter && reporter.is_some() {
                    self.counts.duplicated += 1;
                }
                if status.state == row.state {
                    return; // a retried update
                }
                row.state = status.state;
                if status.state == TaskState::Running && row.start.is_none() {
                    row.start = Some(time);
                    self.waits.push(time.saturating_sub(row.submit));
                }
                if status.state.is_terminal() {
                    self.end_task(time, key, status.reason);
                }
            }
            Msg::Update { status } if self.masters.contains(&from) => {
                let Some(fw) = self.fw_by_actor.get(to) else {
                    return;
                };
                let key = (fw, status.task);
                match self.tasks.get_mut(&key) {
                    // The master's own verdicts on live tasks: LOST or UNREACHABLE when
                    // their agent is removed, RUNNING again when it re-registers.
                    Some(row)
                        if matches!(
                            status.reason,
                            Reason::AgentRemoved | Reason::AgentReregistered
                        ) =>
                    {
                        if row.state == status.state {
                            return;
                        }
                        row.state = status.state;
                        if status.state.is_terminal() {
                            self.end_task(time, key, status.reason);
                        }
                    }
                    Some(_) => {}
                    // Tasks the master refused never reached an agent: count them too.
                    None => match status.reason {
                        Reason::InvalidOffers => self.counts.lost += 1,
                        Reason::TaskInvalid => self.counts.error += 1,
                        _ => {}
                    },
                }
            }
            _ => {}
        }
    }

    fn end_task(&mut self, time: Time, key: (FrameworkId, TaskId), reason: Reason) {
        let row = self.tasks.remove(&key).expect("present");
        self.advance(time);
        self.used -= row.resources;
        self.last_end = Some(self.last_end.map_or(time, |l| l.max(time)));
        match row.state {
            TaskState::Finished => {
                self.counts.finished += 1;
                let jk = (key.0, key.1.job);
                if let Some(j) = self.jobs.get_mut(&jk) {
                    j.finished += 1;
                    if j.finished >= row.job_tasks {
                        self.completions.push(time.saturating_sub(j.submitted));
                        self.jobs.remove(&jk);
                    }
                }
            }
            TaskState::Failed => self.counts.failed += 1,
            TaskState::Killed => self.counts.killed += 1,
            // Lost with its agent, whatever name Mesos gives it for the framework.
            TaskState::Lost | TaskState::Dropped | TaskState::Gone | TaskState::GoneByOperator => {
                self.counts.lost += 1
            }
            _ => self.counts.error += 1,
        }
        self.write_row(key, &row, Some(time), reason);
    }

    fn write_row(
        &mut self,
        key: (FrameworkId, TaskId),
        row: &TaskRow,
        end: Option<Time>,
        reason: Reason,
    ) {
        let Some(w) = self.tasks_out.as_mut() else {
            return;
        };
        let fw = self.frameworks.get(&key.0);
        let agent = row.agent.and_then(|a| self.agents.get(&a));
        let rec = TaskRecord {
            job: key.1.job,
            task: key.1.index,
            attempt: key.1.attempt,
            framework: fw.map_or("", |f| &f.name),
            role: fw.map_or("", |f| &f.role),
            agent: agent.map_or("", String::as_str),
            // Every CPU of the task, revocable ones included (an Aurora revocable-tier
            // task's CPUs are all revocable; docs/output.md).
            cpus: row.resources.all_cpus() as f64 / 1000.0,
            mem: row.resources.mem,
            submit: row.submit,
            start: row.start,
            end,
            state: row.state.name(),
            reason: reason.name(),
        };
        if let Err(e) = w.write(&rec) {
            self.io_error.get_or_insert(e);
        }
    }

    /// Writes the rows of tasks still live at the end of the run and flushes.
    pub fn finish(&mut self, now: Time) {
        self.advance(now);
        for (k, r) in std::mem::take(&mut self.tasks).into_sorted() {
            self.write_row(k, &r, None, Reason::None);
        }
        if let Some(w) = self.tasks_out.take() {
            if let Err(e) = w.finish() {
                self.io_error.get_or_insert(e);
            }
        }
        if let Some(w) = self.events.as_mut() {
            if let Err(e) = w.flush() {
                self.io_error.get_or_insert(e.to_string());
            }
        }
    }
}
