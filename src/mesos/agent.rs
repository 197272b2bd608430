//! The Mesos agent: registers its resources, runs tasks, reports their status.
//!
//! What it models (Mesos 1.x `slave.cpp`, `status_update_manager.cpp`):
//! - Registration is retried with back-off until the master answers: 1 s initial,
//!   doubling, capped at 1 min (`--registration_backoff_factor`; docs/design.md, Agent health).
//! - A launched task reports TASK_STARTING at once and TASK_RUNNING once its executor
//!   has started (`launch_delay`), then FINISHED or FAILED when its command ends.
//! - Status updates of one task form a stream: only the oldest unacknowledged update is
//!   in flight, resent with back-off (10 s initial, doubling, max 10 min, Mesos'
//!   `STATUS_UPDATE_RETRY_INTERVAL_{MIN,MAX}`) until the framework's acknowledgement
//!   arrives through the master.
//! - The master pings the agent every `agent_ping_timeout`; an agent that has not been
//!   pinged for the `total_ping_timeout` the master sent in its registration reply
//!   (`agent_ping_timeout x max_agent_ping_timeouts`; counted from registration or the
//!   last ping, to the nanosecond, as Mesos' re-armed `pingTimer` in `slave.cpp`)
//!   considers the master lost and re-registers with the tasks it runs (with
//!   back-off). Told to shut down (it was removed meanwhile, Mesos before 1.5), it
//!   kills every task and registers again as a new agent; marked gone by the operator,
//!   it kills every task and stops for good.
//! - Status updates are sent only while registered: the status update manager is
//!   paused when the master is lost and resumed, resending the oldest unacknowledged
//!   update of every task, once (re-)registered (Mesos' `TaskStatusUpdateManager::
//!   pause`/`resume`). Each update names the agent (the id it re-registers under),
//!   so that its acknowledgement can find its way back.
//! - The agent never runs more than its resources: a task that does not fit (which a
//!   correct master never sends) is refused with TASK_ERROR and counted. Revocable
//!   CPUs are not checked at launch (Mesos does not); with oversubscription on, the
//!   agent reports its revocable total and its QoS controller kills revocable tasks on
//!   interference (`mesos::oversubscription`).

use super::detector::{Inbound, MasterDetector};
use super::oversubscription::Oversubscription;
use crate::actor::{Actor, ActorId, Ctx, Time, TimerId, MS, SEC};
use crate::alloc::{AgentId, FrameworkId};
use crate::proto::{
    AgentInfo, AgentRegistration, AgentReregistration, Mesos, Msg, Reason, TaskId, TaskInfo,
    TaskState, TaskStatus, Timer,
};
use crate::resources::Resources;
use std::collections::{BTreeMap, VecDeque};

/// Registration back-off: first retry after 1 s, doubling, capped at 1 min.
pub const REGISTER_BACKOFF_MIN: Time = SEC;
pub const REGISTER_BACKOFF_MAX: Time = 60 * SEC;
/// Mesos' `DEFAULT_MASTER_PING_TIMEOUT` (15 s x 5): the silence an agent tolerates
/// before a master has told it its own.
pub const DEFAULT_MASTER_PING_TIMEOUT: Time = 75 * SEC;
/// Mesos `STATUS_UPDATE_RETRY_INTERVAL_MIN` / `_MAX`.
pub const UPDATE_RETRY_MIN: Time = 10 * SEC;
pub const UPDATE_RETRY_MAX: Time = 600 * SEC;

/// How an agent is set up.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    pub master: MasterDetector,
    pub hostname: String,
    pub resources: Resources,
    /// Static reservations (role, resources), as `--resources` with roles in Mesos.
    pub reserved: Vec<(String, Resources)>,
    /// Time from RunTask to TASK_RUNNING (fetching and starting the executor).
    pub launch_delay: Time,
    /// Test-only defect: on shutdown, forget the tasks' bookkeeping but leave them
    /// running (what the invariant checker must catch).
    pub keep_tasks_on_shutdown: bool,
    /// Test-only defect: an update generated while the agent has no id (between losing
    /// its master and the re-registration reply) is always sent naming no agent, so
    /// no framework can acknowledge it (the effect of issue 24, point 4, kept as a
    /// switch so that the liveness checks' test outlives the fix).
    pub unstamped_updates_sabotage: bool,
    /// Test-only defect: the agent process panics when it takes its master for lost
    /// (a crash of the simulator, which `fuzz` must survive and name by seed).
    pub panic_on_master_lost_sabotage: bool,
    /// Mesos `--attributes`: reported at registration, carried in offers.
    pub attributes: crate::proto::Attributes,
    /// Resource estimator and QoS controller; `None`: no revocable resources (Mesos'
    /// default `noop` estimator).
    pub oversubscription: Option<Oversubscription>,
}

impl AgentConfig {
    pub fn new(master: MasterDetector, hostname: &str, resources: Resources) -> AgentConfig {
        AgentConfig {
            master,
            hostname: hostname.to_string(),
            resources,
            reserved: Vec::new(),
            launch_delay: 100 * MS,
            keep_tasks_on_shutdown: false,
            unstamped_updates_sabotage: false,
            panic_on_master_lost_sabotage: false,
            attributes: Default::default(),
            oversubscription: None,
        }
    }
}

/// The unacknowledged updates of one task, oldest first, and the current retry interval.
#[derive(Clone, Debug, Default)]
struct Stream {
    updates: VecDeque<TaskStatus>,
    retry: Time,
    /// The pending retry of the front update, cancelled when it is acknowledged (as
    /// nearly every update is, well before the retry): a cancelled timer is dropped
    /// by the engine without reaching the agent.
    timer: Option<TimerId>,
}

#[derive(Clone, Debug)]
pub struct Running {
    pub info: TaskInfo,
    pub state: TaskState,
}

pub struct Agent {
    cfg: AgentConfig,
    master: MasterDetector,
    pub id: Option<AgentId>,
    backoff: Time,
    pub used: Resources,
    pub tasks: BTreeMap<(FrameworkId, TaskId), Running>,
    streams: BTreeMap<(FrameworkId, TaskId), Stream>,
    next_uuid: u64,
    /// Tasks refused because they did not fit (a master bug if ever non-zero).
    pub refused: u64,
    /// Tasks that arrived while the agent had no registration reply (a master that
    /// offers an agent before its reply is sent: the bug of issue 24, point 4).
    pub run_before_registered: u64,
    /// The id this agent had before the master was lost: it re-registers under it.
    reregistering: Option<AgentId>,
    last_ping: Time,
    /// The master's `total_ping_timeout`, from its last registration reply.
    ping_timeout: Time,
    /// The pending check that the master still pings (see `Timer::MasterCheck`).
    check: Option<TimerId>,
    /// Marked gone by the operator: the agent has stopped for good.
    gone: bool,
    /// Tasks killed because the master told this agent to shut down.
    pub killed_on_shutdown: u64,
    incarnation: u64,
    /// Updates generated without an id, under `unstamped_updates_sabotage`.
    unstamped: std::collections::BTreeSet<u64>,
    /// The revocable total last sent to the master (`None`: to be sent at the next
    /// poll or registration).
    oversubscribed: Option<Resources>,
    /// Revocable tasks killed by the QoS controller.
    pub qos_kills: u64,
}

impl Agent {
    pub fn new(cfg: AgentConfig) -> Agent {
        Agent {
            master: cfg.master.clone(),
            cfg,
            id: None,
            backoff: REGISTER_BACKOFF_MIN,
            used: Resources::ZERO,
            tasks: BTreeMap::new(),
            streams: BTreeMap::new(),
            next_uuid: 1,
            refused: 0,
            run_before_registered: 0,
            reregistering: None,
            last_ping: 0,
            ping_timeout: DEFAULT_MASTER_PING_TIMEOUT,
            check: None,
            gone: false,
            killed_on_shutdown: 0,
            incarnation: 0,
            unstamped: Default::default(),
            oversubscribed: None,
            qos_kills: 0,
        }
    }

    /// Sends the master the revocable total if it changed since last sent (Mesos'
    /// `Slave::_forwardOversubscribed`), only while registered.
    fn forward_oversubscribed(&mut self, ctx: &mut Ctx<Mesos>) {
        let Some(o) = &self.cfg.oversubscription else {
            return;
        };
        let total = o.reported(&self.used);
        if self.id.is_some() && self.oversubscribed != Some(total) {
            self.oversubscribed = Some(total);
            self.master.send(
                ctx,
                Msg::UpdateAgent {
                    oversubscribed: total,
                },
            );
        }
    }

    /// The QoS controller, consulted after every change of the tasks (corrections are
    /// applied at once: `--qos_correction_interval_min` is 0): on interference, every
    /// revocable task is killed, TASK_LOST with `REASON_CONTAINER_PREEMPTED`, and the
    /// new estimate is forwarded at once (Mesos waits for the next poll; see
    /// `mesos::oversubscription` for why schedlab does not).
    fn correct_qos(&mut self, ctx: &mut Ctx<Mesos>) {
        let Some(o) = &self.cfg.oversubscription else {
            return;
        };
        if !o.interferes(&self.used) {
            return;
        }
        let victims: Vec<(FrameworkId, TaskId)> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.info.resources.revocable_cpus > 0)
            .map(|(k, _)| *k)
            .collect();
        for (fw, task) in victims {
            self.qos_kills += 1;
            let (state, reason) = (TaskState::Lost, Reason::ContainerPreempted);
            self.stop_task(ctx, fw, task, state, reason);
        }
        self.forward_oversubscribed(ctx);
    }

    pub fn total(&self) -> Resources {
        self.cfg.resources
    }

    /// Do its revocable tasks use more than the idle allocation (what its QoS
    /// controller must never leave standing)?
    pub fn revocable_interference(&self) -> bool {
        match &self.cfg.oversubscription {
            Some(o) => o.interferes(&self.used),
            None => self.used.revocable_cpus > 0,
        }
    }

    /// The id the leading master gave this agent, while the agent counts itself
    /// registered.
    pub fn id(&self) -> Option<AgentId> {
        self.id
    }

    /// When the master last pinged (or registered) this agent: the agent takes the
    /// master for lost `max_agent_ping_timeouts` ping timeouts after it.
    pub fn last_ping(&self) -> Time {
        self.last_ping
    }

    /// Tasks this agent is running (any non-terminal state).
    pub fn running(&self) -> impl Iterator<Item = (FrameworkId, TaskId)> + '_ {
        self.tasks.keys().copied()
    }

    /// The master this agent follows (its detector's leader), registered or not.
    pub fn master(&self) -> Option<ActorId> {
        self.master.leader()
    }

    /// Time from a task's launch to its TASK_RUNNING (the executor's start).
    pub fn launch_delay(&self) -> Time {
        self.cfg.launch_delay
    }

    /// This life's incarnation (drawn at each start): a restarted agent is another.
    pub fn incarnation(&self) -> u64 {
        self.incarnation
    }

    /// The oldest unacknowledged update of a task, if any: its uuid, and the interval
    /// after which it will be sent again (the stream's current back-off).
    pub fn pending_update(&self, fw: FrameworkId, task: TaskId) -> Option<(u64, Time)> {
        let s = self.streams.get(&(fw, task))?;
        Some((s.updates.front()?.uuid?.get(), s.retry))
    }

    /// The oldest unacknowledged update of a task, as sent.
    pub fn pending_status(&self, fw: FrameworkId, task: TaskId) -> Option<&TaskStatus> {
        self.streams.get(&(fw, task))?.updates.front()
    }

    /// Tasks running, or ended with their final update not yet acknowledged.
    pub fn tracked(&self) -> impl Iterator<Item = (FrameworkId, TaskId)> + '_ {
        self.tasks.keys().chain(self.streams.keys()).copied()
    }

    fn register(&mut self, ctx: &mut Ctx<Mesos>) {
        let msg = match self.reregistering {
            Some(id) => Msg::ReregisterAgent(Box::new(AgentReregistration {
                id,
                info: self.info(),
                tasks: self
                    .tasks
                    .iter()
                    .map(|((fw, _), t)| (*fw, t.info.clone(), t.state))
                    .collect(),
            })),
            None => Msg::RegisterAgent(Box::new(AgentRegistration {
                incarnation: self.incarnation,
                info: self.info(),
            })),
        };
        self.master.send(ctx, msg);
        ctx.set_timer(self.backoff, Timer::RegisterRetry);
        self.backoff = (self.backoff * 2).min(REGISTER_BACKOFF_MAX);
    }

    fn info(&self) -> AgentInfo {
        AgentInfo {
            hostname: self.cfg.hostname.clone(),
            resources: self.cfg.resources,
            reserved: self.cfg.reserved.clone(),
            attributes: self.cfg.attributes.clone(),
        }
    }

    /// How long without a ping before the master is taken for lost (Mesos' agent
    /// `masterPingTimeout`: what the master said in its registration reply).
    fn silence(&self) -> Time {
        self.ping_timeout
    }

    /// (Re-)arms the one pending check that the master still pings.
    fn arm_check(&mut self, ctx: &mut Ctx<Mesos>, after: Time) {
        if let Some(t) = self.check.take() {
            ctx.cancel_timer(t);
        }
        self.check = Some(ctx.set_timer(after, Timer::MasterCheck));
    }

    /// The id the agent's updates carry: the one it has, or re-registers under.
    fn known_id(&self) -> Option<AgentId> {
        self.id.or(self.reregistering)
    }

    /// Registered: the status update manager resumes, resending the oldest
    /// unacknowledged update of every task.
    fn resume_updates(&mut self, ctx: &mut Ctx<Mesos>) {
        let keys: Vec<(FrameworkId, TaskId)> = self.streams.keys().copied().collect();
        for (fw, task) in keys {
            let stream = self.streams.get_mut(&(fw, task)).expect("listed");
            if let Some(t) = stream.timer.take() {
                ctx.cancel_timer(t);
            }
            stream.retry = UPDATE_RETRY_MIN;
            self.send_front(ctx, fw, task);
        }
    }

    /// The master has been silent too long: re-register under the same id.
    fn master_lost(&mut self, ctx: &mut Ctx<Mesos>) {
        assert!(
            !self.cfg.panic_on_master_lost_sabotage,
            "sabotage: {} panics on losing its master",
            self.cfg.hostname
        );
        self.reregistering = self.id.take();
        self.backoff = REGISTER_BACKOFF_MIN;
        self.register(ctx);
    }

    /// Told to shut down: every task is killed, and the agent starts over as new, or,
    /// marked gone, stops for good.
    fn shutdown(&mut self, ctx: &mut Ctx<Mesos>, gone: bool) {
        self.killed_on_shutdown += self.tasks.len() as u64;
        if ctx.logging() && !self.tasks.is_empty() {
            // Killed by the master (Mesos' REASON_AGENT_SHUTDOWN-like kill), not by
            // their frameworks, which were told LOST at the removal.
            let killed: Vec<String> = self.tasks.keys().map(|k| format!("{k:?}")).collect();
            ctx.log(
                "agent_shutdown",
                serde_json::json!({ "killed": killed, "reason": Reason::AgentShutdown.name() }),
            );
        }
        if !self.cfg.keep_tasks_on_shutdown {
            self.tasks.clear();
            self.used = Resources::ZERO;
        }
        self.streams.clear();
        self.id = None;
        self.reregistering = None;
        self.gone = gone;
        if !gone {
            self.incarnation = rand::Rng::gen(ctx.rng());
            self.backoff = REGISTER_BACKOFF_MIN;
            self.register(ctx);
        }
    }

    /// True once marked gone: the process has stopped.
    pub fn is_gone(&self) -> bool {
        self.gone
    }

    /// Appends an update to the task's stream; sends it if it is the oldest unacked.
    fn report(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        fw: FrameworkId,
        task: TaskId,
        state: TaskState,
        reason: Reason,
    ) {
        let uuid = self.next_uuid;
        self.next_uuid += 1;
        let status = TaskStatus {
            task,
            state,
            agent: self.known_id(),
            reason,
            uuid: std::num::NonZeroU64::new(uuid),
            unreachable_time: None,
        };
        if self.cfg.unstamped_updates_sabotage && self.id.is_none() {
            self.unstamped.insert(uuid);
        }
        let stream = self.streams.entry((fw, task)).or_default();
        stream.updates.push_back(status);
        if stream.updates.len() == 1 {
            stream.retry = UPDATE_RETRY_MIN;
            self.send_front(ctx, fw, task);
        }
    }

    /// (Re)sends the oldest unacknowledged update of a task and arms its retry; not
    /// while unregistered (the status update manager is paused).
    fn send_front(&mut self, ctx: &mut Ctx<Mesos>, fw: FrameworkId, task: TaskId) {
        if self.id.is_none() {
            return;
        }
        let Some(stream) = self.streams.get_mut(&(fw, task)) else {
            return;
        };
        if let Some(status) = stream.updates.front() {
            let uuid = status.uuid.expect("agent updates carry a uuid").get();
            let mut status = status.clone();
            if self.unstamped.contains(&uuid) {
                status.agent = None; // the sabotage (see AgentConfig)
            }
            self.master.send(
                ctx,
                Msg::StatusUpdate {
                    framework: fw,
                    status,
                },
            );
            stream.timer = Some(ctx.set_timer(stream.retry, Timer::UpdateRetry(task, fw, uuid)));
        }
    }

    fn end_task(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        fw: FrameworkId,
        task: TaskId,
        state: TaskState,
        reason: Reason,
    ) {
        if self.stop_task(ctx, fw, task, state, reason) {
            self.correct_qos(ctx);
        }
    }

    /// Ends a running task and reports it; false if it was not running.
    fn stop_task(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        fw: FrameworkId,
        task: TaskId,
        state: TaskState,
        reason: Reason,
    ) -> bool {
        let Some(t) = self.tasks.remove(&(fw, task)) else {
            return false;
        };
        self.used -= t.info.resources;
        self.report(ctx, fw, task, state, reason);
        true
    }
}

impl Actor<Mesos> for Agent {
    fn on_start(&mut self, ctx: &mut Ctx<Mesos>) {
        self.incarnation = rand::Rng::gen(ctx.rng());
        self.master.start(ctx);
        self.register(ctx);
        self.arm_check(ctx, self.silence());
        if let Some(o) = &self.cfg.oversubscription {
            ctx.set_timer(o.interval, Timer::Oversubscription);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Mesos>, from: ActorId, msg: Msg) {
        if self.gone {
            return;
        }
        let msg = match self.master.on_message(ctx, from, msg) {
            Inbound::Master(msg) => msg,
            Inbound::NewLeader(Some(_)) => {
                // A new leading master: re-register (under the same id) with back-off.
                if self.id.is_some() {
                    self.reregistering = self.id.take();
                }
                self.backoff = REGISTER_BACKOFF_MIN;
                self.register(ctx);
                return;
            }
            _ => return,
        };
        match msg {
            Msg::AgentRegistered {
                id,
                ping_timeout,
                reconcile,
            } => {
                let resumed = self.id.is_none();
                self.id = Some(id);
                self.reregistering = None;
                self.backoff = REGISTER_BACKOFF_MIN;
                self.last_ping = ctx.now();
                if ping_timeout != self.ping_timeout {
                    // Mesos re-arms `pingTimer` with the new `masterPingTimeout`.
                    self.ping_timeout = ping_timeout;
                    self.arm_check(ctx, ping_timeout);
                }
                if resumed {
                    self.resume_updates(ctx);
                }
                // Mesos sends the estimate on every (re-)registration.
                self.oversubscribed = None;
                self.forward_oversubscribed(ctx);
                // Mesos' `Slave::reregistered`: a task the master holds here that this
                // agent does not know (never received, or forgotten) is reported LOST
                // (DROPPED to a partition-aware framework), reliably; a known one
                // needs nothing, its own updates tell.
                for (fw, task, aware) in reconcile {
                    let key = (fw, task);
                    if self.tasks.contains_key(&key) || self.streams.contains_key(&key) {
                        continue;
                    }
                    let state = if aware {
                        TaskState::Dropped
                    } else {
                        TaskState::Lost
                    };
                    self.report(ctx, fw, task, state, Reason::Reconciliation);
                }
            }
            Msg::Ping => {
                self.last_ping = ctx.now();
                self.master.send(ctx, Msg::Pong);
            }
            Msg::ShutdownAgent => self.shutdown(ctx, false),
            Msg::AgentGone => self.shutdown(ctx, true),
            Msg::RunTask {
                framework, task, ..
            } => {
                let key = (framework, task.id);
                if self.tasks.contains_key(&key) {
                    return; // a duplicated delivery of a launch already running
                }
                if self.id.is_none() {
                    self.run_before_registered += 1;
                }
                let fits =
                    (self.cfg.resources).contains(&(self.used + task.resources).non_revocable());
                if !fits {
                    self.refused += 1;
                    self.report(
                        ctx,
                        framework,
                        task.id,
                        TaskState::Error,
                        Reason::TaskInvalid,
                    );
                    return;
                }
                self.used += task.resources;
                self.tasks.insert(
                    key,
                    Running {
                        info: *task,
                        state: TaskState::Starting,
                    },
                );
                self.report(ctx, framework, key.1, TaskState::Starting, Reason::None);
                ctx.set_timer(self.cfg.launch_delay, Timer::TaskStarted(key.1, framework));
                self.correct_qos(ctx);
            }
            Msg::KillTask { framework, task } => self.end_task(
                ctx,
                framework,
                task,
                TaskState::Killed,
                Reason::KilledByFramework,
            ),
            Msg::ShutdownFramework { framework } => {
                let keys: Vec<_> = self
                    .tasks
                    .range((framework, TaskId::default())..)
                    .take_while(|((f, _), _)| *f == framework)
                    .map(|(k, _)| *k)
                    .collect();
                for k in keys {
                    let t = self.tasks.remove(&k).expect("listed");
                    self.used -= t.info.resources;
                    self.streams.remove(&k);
                }
                self.correct_qos(ctx);
            }
            Msg::StatusAck {
                framework,
                task,
                uuid,
            } => {
                let key = (framework, task);
                let Some(stream) = self.streams.get_mut(&key) else {
                    return;
                };
                if stream.updates.front().and_then(|s| s.uuid).map(|u| u.get()) != Some(uuid) {
                    return; // a duplicate or stale acknowledgement
                }
                stream.updates.pop_front();
                stream.retry = UPDATE_RETRY_MIN;
                if let Some(t) = stream.timer.take() {
                    ctx.cancel_timer(t);
                }
                if stream.updates.is_empty() {
                    self.streams.remove(&key);
                } else {
                    self.send_front(ctx, framework, task);
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Mesos>, _id: TimerId, timer: Timer) {
        if self.gone {
            return;
        }
        let Inbound::Timer(timer) = self.master.on_timer(ctx, timer) else {
            return;
        };
        match timer {
            Timer::RegisterRetry if self.id.is_none() => self.register(ctx),
            Timer::Oversubscription => {
                let every = self.cfg.oversubscription.as_ref().map(|o| o.interval);
                if let Some(every) = every {
                    ctx.set_timer(every, Timer::Oversubscription);
                    self.forward_oversubscribed(ctx);
                }
            }
            Timer::MasterCheck => {
                // Mesos re-arms the agent's ping timer at every ping and it fires only
                // after a full silence. Here the one pending check moves itself to the
                // last ping's deadline when it finds it later than now: the same moment
                // of detection, at one timer event per silence instead of per ping.
                let silence = self.silence();
                let due = self.last_ping.saturating_add(silence);
                if due > ctx.now() {
                    self.check = Some(ctx.set_timer(due - ctx.now(), Timer::MasterCheck));
                    return;
                }
                self.check = Some(ctx.set_timer(silence, Timer::MasterCheck));
                if self.id.is_some() {
                    self.master_lost(ctx);
                }
            }
            Timer::TaskStarted(task, fw) => {
                let Some(t) = self.tasks.get_mut(&(fw, task)) else {
                    return;
                };
                t.state = TaskState::Running;
                let run = t.info.run;
                self.report(ctx, fw, task, TaskState::Running, Reason::None);
                if run.duration != Time::MAX {
                    ctx.set_timer(run.duration, Timer::TaskEnded(task, fw));
                }
            }
            Timer::TaskEnded(task, fw) => {
                let Some(t) = self.tasks.get(&(fw, task)) else {
                    return;
                };
                let (state, reason) = if t.info.run.succeeds {
                    (TaskState::Finished, Reason::None)
                } else {
                    (TaskState::Failed, Reason::CommandFailed)
                };
                self.end_task(ctx, fw, task, state, reason);
            }
            Timer::UpdateRetry(task, fw, uuid) => {
                let Some(stream) = self.streams.get_mut(&(fw, task)) else {
                    return;
                };
                if stream.updates.front().and_then(|s| s.uuid).map(|u| u.get()) == Some(uuid) {
                    stream.retry = (stream.retry * 2).min(UPDATE_RETRY_MAX);
                    self.send_front(ctx, fw, task);
                }
            }
            _ => {}
        }
    }
}
