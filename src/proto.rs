//! The messages of the Mesos protocols: scheduler <-> master <-> agent.
//!
//! Modelled on the Mesos v1 scheduler API (`SUBSCRIBE`, `ACCEPT`, `DECLINE`,
//! `ACKNOWLEDGE`, `KILL`, `RECONCILE`, `SUPPRESS`, `REVIVE`, `TEARDOWN` calls; `OFFERS`,
//! `RESCIND`, `UPDATE` events) and on the master/agent internal protocol (register,
//! run task, kill task, status update with acknowledgement). Every message is a plain
//! value: serde-able for the real-network mode, hashable for the run fingerprint.

use crate::actor::{ActorId, Message, Protocol, Time};
use crate::alloc::{AgentId, FrameworkId};
use crate::resources::Resources;
use serde::{Deserialize, Serialize};
use std::num::NonZeroU64;

/// Master-assigned offer id, unique within a run.
pub type OfferId = u64;

/// A framework-chosen task id: (job, task index, attempt), unique within the framework.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub struct TaskId {
    pub job: u64,
    pub index: u32,
    pub attempt: u32,
}

/// Mesos task states (`mesos.proto` TaskState). `Staging` is the master's view between
/// launch and the agent's first update.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskState {
    Staging,
    Starting,
    Running,
    Finished,
    Failed,
    Killed,
    Lost,
    /// The task description was invalid (e.g. larger than its offers).
    Error,
    /// The agent is unreachable (Mesos 1.1+); sent to partition-aware frameworks
    /// (others see LOST). Not terminal: the task may come back.
    Unreachable,
    /// Reconciliation of a task its registered agent does not know (partition-aware
    /// frameworks; others see LOST). Terminal.
    Gone,
    /// The operator marked the task's agent gone (partition-aware frameworks; others
    /// see LOST). Terminal.
    GoneByOperator,
    /// Reconciliation of a task on an agent the master does not know, or no longer
    /// does (its record was garbage-collected): partition-aware frameworks; others see
    /// LOST. Not terminal: the master cannot tell.
    Unknown,
    /// The agent never had the task: its answer, on re-registration, to a task the
    /// master holds there but the agent did not report (partition-aware frameworks;
    /// others see LOST). Terminal.
    Dropped,
}

impl TaskState {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::Finished
                | TaskState::Failed
                | TaskState::Killed
                | TaskState::Lost
                | TaskState::Error
                | TaskState::Gone
                | TaskState::GoneByOperator
                | TaskState::Dropped
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            TaskState::Staging => "TASK_STAGING",
            TaskState::Starting => "TASK_STARTING",
            TaskState::Running => "TASK_RUNNING",
            TaskState::Finished => "TASK_FINISHED",
            TaskState::Failed => "TASK_FAILED",
            TaskState::Killed => "TASK_KILLED",
            TaskState::Lost => "TASK_LOST",
            TaskState::Error => "TASK_ERROR",
            TaskState::Unreachable => "TASK_UNREACHABLE",
            TaskState::Gone => "TASK_GONE",
            TaskState::GoneByOperator => "TASK_GONE_BY_OPERATOR",
            TaskState::Unknown => "TASK_UNKNOWN",
            TaskState::Dropped => "TASK_DROPPED",
        }
    }
}

/// Why an update was sent (a subset of Mesos' `TaskStatus.Reason`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    None,
    Reconciliation,
    InvalidOffers,
    TaskInvalid,
    KilledByFramework,
    FrameworkRemoved,
    /// Mesos `REASON_SLAVE_REMOVED`: the agent failed its health checks.
    AgentRemoved,
    /// Mesos `REASON_SLAVE_REMOVED_BY_OPERATOR`: the operator marked the agent gone.
    AgentRemovedByOperator,
    /// Mesos `REASON_SLAVE_REREGISTERED`: an unreachable agent came back; the update
    /// carries the task's state as the agent reported it.
    AgentReregistered,
    /// Mesos `REASON_SLAVE_RESTARTED`: the agent's process started over without its
    /// tasks (a new registration from the address of a registered agent).
    AgentRestarted,
    /// The master told a removed agent to shut down (Mesos before 1.5), which killed
    /// the task: a kill by the master, not by the framework.
    AgentShutdown,
    CommandFailed,
    /// Mesos `REASON_CONTAINER_PREEMPTED` (`REASON_EXECUTOR_PREEMPTED` before 0.26):
    /// the agent's QoS controller killed a revocable task to give its resources back.
    ContainerPreempted,
}

impl Reason {
    /// The snake_case name, as serde writes it (events.jsonl) and the task table shows it.
    pub fn name(self) -> &'static str {
        match self {
            Reason::None => "none",
            Reason::Reconciliation => "reconciliation",
            Reason::InvalidOffers => "invalid_offers",
            Reason::TaskInvalid => "task_invalid",
            Reason::KilledByFramework => "killed_by_framework",
            Reason::FrameworkRemoved => "framework_removed",
            Reason::AgentRemoved => "agent_removed",
            Reason::AgentRemovedByOperator => "agent_removed_by_operator",
            Reason::AgentReregistered => "agent_reregistered",
            Reason::AgentRestarted => "agent_restarted",
            Reason::AgentShutdown => "agent_shutdown",
            Reason::CommandFailed => "command_failed",
            Reason::ContainerPreempted => "container_preempted",
        }
    }
}

/// How a simulated task behaves once running: the stand-in for the real command.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaskRun {
    /// Run time once RUNNING; `Time::MAX` for a service that runs until killed.
    pub duration: Time,
    /// Exit status at the end of `duration`: success (FINISHED) or failure (FAILED).
    pub succeeds: bool,
}

/// What the framework launches (`TaskInfo`), with the bookkeeping labels metrics need.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaskInfo {
    pub id: TaskId,
    pub resources: Resources,
    pub run: TaskRun,
    /// Label: when the framework received the task's job (for wait and completion times).
    pub submitted: Time,
    /// Label: how many tasks the job has (to tell when a job completed).
    pub job_tasks: u32,
}

/// A task status update. `uuid` is set when the update must be acknowledged (those from
/// the agent); reconciliation answers from the master carry none, as in Mesos.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaskStatus {
    pub task: TaskId,
    pub state: TaskState,
    pub agent: Option<AgentId>,
    pub reason: Reason,
    /// Numbered from 1, so that `None` costs no space (every message stays small).
    pub uuid: Option<NonZeroU64>,
    /// Mesos `TaskStatus.unreachable_time`: when the master marked the task's agent
    /// unreachable (updates and reconciliation answers about such tasks carry it).
    pub unreachable_time: Option<NonZeroU64>,
}

impl TaskStatus {
    /// An update from the master (no uuid: not acknowledged, as in Mesos).
    pub fn from_master(
        task: TaskId,
        state: TaskState,
        agent: Option<AgentId>,
        reason: Reason,
    ) -> TaskStatus {
        TaskStatus {
            task,
            state,
            agent,
            reason,
            uuid: None,
            unreachable_time: None,
        }
    }

    /// The same, saying since when the agent has been unreachable.
    pub fn unreachable_since(mut self, at: Time) -> TaskStatus {
        self.unreachable_time = NonZeroU64::new(at.max(1));
        self
    }
}

/// An offer as the framework sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Offer {
    pub id: OfferId,
    pub agent: AgentId,
    pub resources: Resources,
    /// The agent's hostname and attributes (Mesos `Offer.hostname`, `Offer.attributes`):
    /// what placement constraints (Marathon's UNIQUE, CLUSTER, GROUP_BY, LIKE) look at.
    pub hostname: String,
    pub attributes: Attributes,
}

/// Agent attributes (`--attributes=rack:r1;zone:a`), name -> value.
pub type Attributes = std::collections::BTreeMap<String, String>;

/// SUBSCRIBE's `FrameworkInfo`. `id` is set when re-registering after a failover.
///
/// The payloads of rare, large messages are boxed (here and below) so that every
/// message, and so every queued event, stays small: a month-long Borg-size run moves
/// a billion of them through the event queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkInfo {
    pub id: Option<FrameworkId>,
    pub name: String,
    pub role: String,
    /// Weight of the framework's role (Mesos sets weights per role; the last
    /// registration of a role wins).
    pub weight_milli: u64,
    pub principal: String,
    /// Mesos' PARTITION_AWARE capability: sees UNREACHABLE instead of LOST.
    pub partition_aware: bool,
    /// `FrameworkInfo.failover_timeout`: how long the master keeps the framework's
    /// tasks after its scheduler disconnected (default 0: killed at once).
    pub failover_timeout: Time,
    /// Mesos' REVOCABLE_RESOURCES capability: offered revocable (oversubscribed) CPUs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revocable_resources: bool,
}

/// Hashes the capability only when set, so that every run made before it existed
/// keeps its golden fingerprint.
impl std::hash::Hash for FrameworkInfo {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.id.hash(h);
        self.name.hash(h);
        self.role.hash(h);
        self.weight_milli.hash(h);
        self.principal.hash(h);
        self.partition_aware.hash(h);
        self.failover_timeout.hash(h);
        if self.revocable_resources {
            true.hash(h);
        }
    }
}

/// What an agent says of itself when it (re-)registers (Mesos' `SlaveInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AgentInfo {
    pub hostname: String,
    pub resources: Resources,
    /// Static reservations (role, resources) configured on the agent.
    pub reserved: Vec<(String, Resources)>,
    pub attributes: Attributes,
}

/// An agent's first registration (Mesos' `RegisterSlaveMessage`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AgentRegistration {
    /// Differs on every start of the agent process: tells a retried registration
    /// from a restarted agent.
    pub incarnation: u64,
    pub info: AgentInfo,
}

/// Re-registration of a known agent with the tasks it runs (Mesos'
/// `ReregisterSlaveMessage`): after a master failover, or of an unreachable agent
/// under the Mesos 1.5+ policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AgentReregistration {
    pub id: AgentId,
    pub info: AgentInfo,
    /// The tasks it runs, with their latest state.
    pub tasks: Vec<(FrameworkId, TaskInfo, TaskState)>,
}

/// Every message of the system.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Msg {
    // ---- scheduler -> master (v1 scheduler calls) ----
    /// SUBSCRIBE.
    RegisterFramework(Box<FrameworkInfo>),
    Accept {
        framework: FrameworkId,
        offers: Box<[OfferId]>,
        tasks: Box<[TaskInfo]>,
        /// Filter on the unused part (Mesos `Filters.refuse_seconds`, default 5 s).
        refuse: Time,
    },
    Decline {
        framework: FrameworkId,
        offers: Vec<OfferId>,
        refuse: Time,
    },
    Acknowledge {
        framework: FrameworkId,
        agent: AgentId,
        task: TaskId,
        uuid: u64,
    },
    Kill {
        framework: FrameworkId,
        task: TaskId,
    },
    /// Explicit reconciliation of these tasks (with the agent the framework last knew
    /// each on, Mesos' `TaskStatus.slave_id`), or implicit (all) when empty.
    Reconcile {
        framework: FrameworkId,
        tasks: Vec<(TaskId, Option<AgentId>)>,
    },
    Suppress {
        framework: FrameworkId,
    },
    Revive {
        framework: FrameworkId,
    },
    Teardown {
        framework: FrameworkId,
    },

    // ---- master -> scheduler (v1 scheduler events) ----
    FrameworkRegistered {
        id: FrameworkId,
    },
    Offers(Vec<Offer>),
    Rescind {
        offer: OfferId,
    },
    Update {
        status: TaskStatus,
    },
    /// Mesos' `LostSlaveMessage` (the v1 FAILURE event): the agent was removed.
    AgentLost {
        agent: AgentId,
    },

    // ---- operator -> master (v1 operator API) ----
    /// MARK_AGENT_GONE of the agent with this hostname: it is shut down and may
    /// never come back.
    MarkAgentGone {
        hostname: Box<str>,
    },
    /// The master's answer to an operator call (true: done).
    OperatorReply {
        ok: bool,
    },

    // ---- agent <-> master ----
    RegisterAgent(Box<AgentRegistration>),
    /// Mesos' `SlaveRegisteredMessage` / `SlaveReregisteredMessage`, with the
    /// `MasterSlaveConnection.total_ping_timeout` the agent waits before it takes the
    /// master for lost (`agent_ping_timeout x max_agent_ping_timeouts`).
    AgentRegistered {
        id: AgentId,
        ping_timeout: Time,
        /// Tasks the master holds on the agent that its re-registration did not
        /// report, with whether their framework is partition-aware: Mesos'
        /// `SlaveReregisteredMessage.reconciliations` (`Master::reconcileKnownSlave`).
        /// The agent answers LOST (DROPPED to partition-aware frameworks) for those it
        /// does not know; one still on its way (a launch that raced with the
        /// re-registration) arrived before this reply, on the same link.
        reconcile: Vec<(FrameworkId, TaskId, bool)>,
    },
    RunTask {
        framework: FrameworkId,
        /// The scheduler actor to which updates are ultimately addressed (for logs).
        offer: OfferId,
        task: Box<TaskInfo>,
    },
    KillTask {
        framework: FrameworkId,
        task: TaskId,
    },
    /// Agent -> master: an update to forward to the framework; retried until acked.
    StatusUpdate {
        framework: FrameworkId,
        status: TaskStatus,
    },
    /// Master -> agent: the framework acknowledged `uuid` of `task`.
    StatusAck {
        framework: FrameworkId,
        task: TaskId,
        uuid: u64,
    },
    /// Master -> agent: kill all tasks of a framework that was torn down.
    ShutdownFramework {
        framework: FrameworkId,
    },
    /// Master -> agent health check (every `agent_ping_timeout`).
    Ping,
    /// Agent -> master: answer to `Ping`.
    Pong,
    /// Master -> agent: you were removed; kill every task and register anew (Mesos
    /// before 1.5, and the default here).
    ShutdownAgent,
    /// Master -> agent: the operator marked you gone; kill every task and stop for
    /// good (Mesos' `ShutdownMessage` to a gone agent).
    AgentGone,
    /// Agent -> master: see [`AgentReregistration`].
    ReregisterAgent(Box<AgentReregistration>),

    // ---- coordination service (ZooKeeper-like) ----
    Coord(crate::coord::CoordMsg),

    /// The engine's notice that a linked peer died (libprocess' `exited`: its TCP
    /// connection broke). Sent "from" the dead actor.
    Exited,
    /// Agent -> master (Mesos' `UpdateSlaveMessage` with `oversubscribed_resources`):
    /// the agent's revocable total, in use plus what its resource estimator offers.
    UpdateAgent {
        oversubscribed: Resources,
    },
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::RegisterFramework(_) => "register_framework",
            Msg::Accept { .. } => "accept",
            Msg::Decline { .. } => "decline",
            Msg::Acknowledge { .. } => "acknowledge",
            Msg::Kill { .. } => "kill",
            Msg::Reconcile { .. } => "reconcile",
            Msg::Suppress { .. } => "suppress",
            Msg::Revive { .. } => "revive",
            Msg::Teardown { .. } => "teardown",
            Msg::FrameworkRegistered { .. } => "framework_registered",
            Msg::Offers(_) => "offers",
            Msg::Rescind { .. } => "rescind",
            Msg::Update { .. } => "update",
            Msg::AgentLost { .. } => "agent_lost",
            Msg::MarkAgentGone { .. } => "mark_agent_gone",
            Msg::OperatorReply { .. } => "operator_reply",
            Msg::RegisterAgent(_) => "register_agent",
            Msg::AgentRegistered { .. } => "agent_registered",
            Msg::RunTask { .. } => "run_task",
            Msg::KillTask { .. } => "kill_task",
            Msg::StatusUpdate { .. } => "status_update",
            Msg::StatusAck { .. } => "status_ack",
            Msg::ShutdownFramework { .. } => "shutdown_framework",
            Msg::Ping => "ping",
            Msg::Pong => "pong",
            Msg::ShutdownAgent => "shutdown_agent",
            Msg::AgentGone => "agent_gone",
            Msg::ReregisterAgent(_) => "reregister_agent",
            Msg::Coord(m) => m.kind(),
            Msg::Exited => "exited",
            Msg::UpdateAgent { .. } => "update_agent",
        }
    }
}

/// Timers of every actor kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Timer {
    // master; each carries the leadership term that set it, so that what a master set
    // while leading is void once it steps down (a term of 0 is the lone master's)
    AllocationTick(Term),
    AllocateNow(Term),
    OfferTimeout(OfferId, Term),
    /// Pings every agent whose health check is due ([`crate::mesos::pings`]).
    PingSweep(Term),
    /// End of `agent_reregister_timeout` after a failover.
    ReregisterTimeout(Term),
    /// Mesos `--registry_gc_interval`: prune unreachable agents from the registry.
    RegistryGc(Term),
    /// End of a disconnected framework's `failover_timeout`.
    FrameworkFailover(FrameworkId, Term),
    // agent
    RegisterRetry,
    /// The agent checks that the master still pings it.
    MasterCheck,
    TaskStarted(TaskId, FrameworkId),
    TaskEnded(TaskId, FrameworkId),
    UpdateRetry(TaskId, FrameworkId, u64),
    /// The operator's next call (or retry), of this generation.
    OperatorCall(u32),
    // frameworks
    FrameworkRegisterRetry,
    NextJob,
    Reconcile,
    /// A framework's own timer; what it is for is the framework's (each kind reads it
    /// back as its own typed tag: `frameworks::core::TimerTag`).
    Framework(FrameworkTimer),
    // coordination servers and clients
    Coord(crate::coord::CoordTimer),
    /// The agent polls its resource estimator (Mesos
    /// `--oversubscribed_resources_interval`).
    Oversubscription,
}

/// A framework's own timer: what it is for (`kind`, the framework's own numbering) and
/// two full-width numbers saying which app, job, task or agent it concerns.
///
/// It hashes into the run fingerprint as the 64-bit word `kind << 56 ^ a << 32 ^ b`,
/// which for `a` below 2^24 is the packed tag the timer used to be, so the fingerprints
/// of every run made before it became a struct stay the same; a larger `a` only mixes
/// into the word (the fingerprint needs equal runs to hash equally, not the reverse).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkTimer {
    pub kind: u8,
    pub a: u32,
    pub b: u32,
}

impl FrameworkTimer {
    pub fn new(kind: u8, a: u32, b: u32) -> FrameworkTimer {
        FrameworkTimer { kind, a, b }
    }
}

impl std::hash::Hash for FrameworkTimer {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u64(((self.kind as u64) << 56) ^ ((self.a as u64) << 32) ^ self.b as u64);
    }
}

/// The Mesos protocol family, as one engine type.
pub struct Mesos;

/// A master's leadership term (1, 2, ... for each time it is elected).
pub type Term = u32;

impl Protocol for Mesos {
    type Msg = Msg;
    type Timer = Timer;
    fn exited(_peer: ActorId) -> Option<Msg> {
        Some(Msg::Exited)
    }
}

/// The coordination service travels inside the Mesos protocol.
impl crate::coord::CoordProtocol for Mesos {
    fn wrap_msg(m: crate::coord::CoordMsg) -> Msg {
        Msg::Coord(m)
    }
    fn unwrap_msg(m: Msg) -> Option<crate::coord::CoordMsg> {
        match m {
            Msg::Coord(m) => Some(m),
            _ => None,
        }
    }
    fn wrap_timer(t: crate::coord::CoordTimer) -> Timer {
        Timer::Coord(t)
    }
    fn unwrap_timer(t: Timer) -> Option<crate::coord::CoordTimer> {
        match t {
            Timer::Coord(t) => Some(t),
            _ => None,
        }
    }
}
