//! The Mesos master: framework and agent registry, offers, launches, status updates.
//!
//! What it models (Mesos 1.x `master.cpp`, NSDI'11 section 3):
//! - Offers come from the allocator every `allocation_interval` (Mesos flag, default
//!   1 s) and after the events on which Mesos' allocator allocates at once (a framework
//!   added or re-activated, an agent added, a framework reviving: the `allocate(`
//!   call sites of `src/master/allocator/mesos/hierarchical.cpp`). Resources given
//!   back (a decline, the unused part of an accept, a rescinded offer, a task's end)
//!   wait for the next batch allocation, as Mesos' `recoverResources` does not
//!   allocate (MESOS-3078).
//! - ACCEPT must name outstanding offers of the caller on one agent. If any offer is
//!   no longer valid (rescinded, already used) the whole call is refused and its tasks
//!   are reported LOST, so no offer is ever used twice. A task larger than what is left
//!   of its offers is TASK_ERROR. The unused part goes back to the allocator with the
//!   call's filter (`refuse_seconds`, default 5 s).
//! - Offers are rescinded after `offer_timeout` when one is set (no default in Mesos).
//! - Status updates from agents are forwarded to the framework; its acknowledgement is
//!   forwarded back to the agent, which retries until then.
//! - Reconciliation answers from the master's view, without acknowledgement, and LOST
//!   for tasks it does not know.
//! - Agent health checks, removal and what a removed agent meets when it returns are in
//!   [`super::health`].

use super::ha::{Admission, Record};
use super::health::Standing;
use super::pings::PingSchedule;
use crate::actor::{Actor, ActorId, ByActor, Ctx, Time, TimerId};
use crate::alloc::{self, AgentId, Allocator, AllocatorConfig, FrameworkId};
use crate::keymap::KeyMap;
use crate::proto::{
    AgentInfo, AgentRegistration, AgentReregistration, FrameworkInfo, Mesos, Msg, Offer, OfferId,
    Reason, TaskId, TaskInfo, TaskState, TaskStatus, Term, Timer,
};
use crate::resources::Resources;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The master's flags.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MasterConfig {
    /// Mesos `--allocation_interval` (default 1 s).
    #[serde(with = "crate::units::duration")]
    pub allocation_interval: Time,
    /// Mesos `--offer_timeout` (default: none).
    #[serde(
        with = "crate::units::duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub offer_timeout: Option<Time>,
    /// Mesos `--agent_ping_timeout` (default 15 s): period of the health-check pings.
    #[serde(with = "crate::units::duration")]
    pub agent_ping_timeout: Time,
    /// Mesos `--max_agent_ping_timeouts` (default 5): missed pongs before removal.
    pub max_agent_ping_timeouts: u32,
    /// What a removed (unreachable) agent meets when it comes back.
    pub agent_return: AgentReturn,
    /// Mesos `--agent_reregister_timeout` (default 10 min): how long a new leader waits
    /// for the agents of the registry to re-register before it removes them.
    #[serde(with = "crate::units::duration")]
    pub agent_reregister_timeout: Time,
    /// Mesos `--registry_gc_interval` (default 15 min): how often unreachable agents
    /// are pruned from the registry.
    #[serde(with = "crate::units::duration")]
    pub registry_gc_interval: Time,
    /// Mesos `--registry_max_agent_age` (default 2 weeks): an unreachable agent older
    /// than this is pruned at the next collection.
    #[serde(with = "crate::units::duration")]
    pub registry_max_agent_age: Time,
    /// Mesos `--registry_max_agent_count` (default 102,400): at most this many
    /// unreachable agents are kept (the oldest go first).
    pub registry_max_agent_count: u64,
}

/// What happens when a removed agent reconnects. Mesos changed this in 1.5; schedlab
/// offers both so they can be compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AgentReturn {
    /// Before Mesos 1.5: the agent is told to shut down, its tasks are killed by the
    /// master (they were reported LOST), and it registers again as a new agent.
    #[default]
    Shutdown,
    /// Mesos 1.5+ (MESOS-7215): the agent re-registers under its id and keeps every
    /// task, for every framework, partition-aware (which saw UNREACHABLE) or not
    /// (which saw LOST); each framework is told the task's state again with reason
    /// REASON_SLAVE_REREGISTERED. The master kills nothing.
    Reregister,
}

impl Default for MasterConfig {
    fn default() -> Self {
        MasterConfig {
            allocation_interval: crate::actor::SEC,
            offer_timeout: None,
            agent_ping_timeout: 15 * crate::actor::SEC,
            max_agent_ping_timeouts: 5,
            agent_return: AgentReturn::Shutdown,
            agent_reregister_timeout: 600 * crate::actor::SEC,
            registry_gc_interval: 900 * crate::actor::SEC,
            registry_max_agent_age: 14 * 86_400 * crate::actor::SEC,
            registry_max_agent_count: 100 * 1024,
        }
    }
}

/// A framework as the master knows it.
#[derive(Clone, Debug)]
pub struct FrameworkEntry {
    pub actor: ActorId,
    pub name: String,
    pub role: String,
    pub active: bool,
    /// The scheduler is connected (false after its process died, or after a master
    /// failover until it re-registers): no offers meanwhile.
    pub connected: bool,
    /// When the scheduler's connection broke (its `failover_timeout` runs from here).
    pub disconnected_at: Option<Time>,
    pub partition_aware: bool,
    pub weight_milli: u64,
    pub failover_timeout: Time,
    pub offers: BTreeSet<OfferId>,
    /// Mesos' REVOCABLE_RESOURCES capability.
    pub revocable: bool,
}

/// An agent as the master knows it.
#[derive(Clone, Debug)]
pub struct AgentEntry {
    pub actor: ActorId,
    pub hostname: String,
    pub total: Resources,
    /// Resources of the tasks the master believes run there.
    pub used: Resources,
    pub tasks: BTreeSet<(FrameworkId, TaskId)>,
    pub reserved: Vec<(String, Resources)>,
    /// Mesos `--attributes` of the agent, passed on in its offers.
    pub attributes: crate::proto::Attributes,
    pub(super) incarnation: u64,
    /// Removed after missing `max_agent_ping_timeouts` pongs.
    pub removed: bool,
    pub(super) awaiting_pong: bool,
    pub(super) missed_pongs: u32,
    /// When its next ping is due: its entry in [`Master::pings`] at any other time is
    /// stale (it was removed or re-armed since).
    pub(super) next_ping: Time,
    /// Known from the registry after a failover, not yet re-registered.
    pub(super) recovering: bool,
    /// Its revocable total, as it last reported it (`mesos::oversubscription`); not
    /// part of `total`, which is what it registered with.
    pub oversubscribed: Resources,
    /// Marked unreachable at this time (in the registry's unreachable list).
    pub unreachable_since: Option<Time>,
    /// Marked gone by the operator: shut down, never admitted again.
    pub gone: bool,
    /// Pruned from the registry by its garbage collection: the master no longer knows
    /// the agent (reconciliation of its tasks answers UNKNOWN); it may re-register.
    pub forgotten: bool,
}

impl AgentEntry {
    /// An agent as the master first learns of it: from its registration, or from the
    /// registry after a failover (`recovering` until it re-registers). Removed from
    /// the allocator until admitted.
    pub(super) fn new(
        actor: ActorId,
        incarnation: u64,
        info: AgentInfo,
        recovering: bool,
    ) -> AgentEntry {
        let AgentInfo {
            hostname,
            resources,
            reserved,
            attributes,
        } = info;
        AgentEntry {
            actor,
            hostname,
            total: resources,
            used: Resources::ZERO,
            tasks: BTreeSet::new(),
            reserved,
            attributes,
            incarnation,
            removed: true,
            awaiting_pong: false,
            missed_pongs: 0,
            next_ping: 0,
            recovering,
            oversubscribed: Resources::ZERO,
            unreachable_since: None,
            gone: false,
            forgotten: false,
        }
    }

    /// Takes what the agent says of itself on a (re-)registration the master accepts.
    pub(super) fn set_info(&mut self, info: AgentInfo) {
        self.hostname = info.hostname;
        self.total = info.resources;
        self.reserved = info.reserved;
        self.attributes = info.attributes;
    }
}

/// An outstanding offer.
#[derive(Clone, Debug)]
pub struct OfferEntry {
    pub framework: FrameworkId,
    pub agent: AgentId,
    pub resources: Resources,
    timer: Option<TimerId>,
}

/// A task whose terminal update its framework has not acknowledged yet
/// (`Master::ended_unacked`).
#[derive(Clone, Copy, Debug)]
pub(super) struct EndedTask {
    /// The agent that sent the terminal update: an acknowledgement names it.
    pub agent: AgentId,
    /// The terminal update's uuid: only its acknowledgement releases the id.
    pub uuid: u64,
    /// The terminal state, which reconciliation answers until then.
    pub state: TaskState,
}

impl EndedTask {
    fn acked_by(&self, agent: AgentId, uuid: u64) -> bool {
        self.agent == agent && self.uuid == uuid
    }
}

/// A task as the master knows it.
#[derive(Clone, Debug)]
pub struct TaskEntry {
    pub agent: AgentId,
    pub resources: Resources,
    pub state: TaskState,
}

/// Counters the master keeps, serialized under Mesos' `/metrics/snapshot` names (so a
/// run's `summary.json` can be set beside a real master's), and under `schedlab/`
/// where Mesos has no such metric. Summed over the live masters of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MasterCounters {
    /// Agents admitted by a (new) registration.
    #[serde(rename = "master/slave_registrations")]
    pub agent_registrations: u64,
    /// Agents that re-registered (after a failover, a master they lost, or being
    /// unreachable).
    #[serde(rename = "master/slave_reregistrations")]
    pub agents_reregistered: u64,
    /// Agents removed, for any reason (the three below, plus the operator's).
    #[serde(rename = "master/slave_removals")]
    pub agents_removed: u64,
    /// ...for failing their health checks.
    #[serde(rename = "master/slave_removals/reason_unhealthy")]
    pub removals_unhealthy: u64,
    /// ...because the operator marked them gone (Mesos counts these as unregistered).
    #[serde(rename = "master/slave_removals/reason_unregistered")]
    pub removals_unregistered: u64,
    /// ...because a new process registered from their address (restarted agent).
    #[serde(rename = "master/slave_removals/reason_registered")]
    pub removals_registered: u64,
    /// Agents marked unreachable (no removal rate limit: each is scheduled and
    /// completed at once, none canceled).
    #[serde(rename = "master/slave_unreachable_scheduled")]
    pub unreachable_scheduled: u64,
    #[serde(rename = "master/slave_unreachable_completed")]
    pub unreachable_completed: u64,
    #[serde(rename = "master/slave_unreachable_canceled")]
    pub unreachable_canceled: u64,
    /// Agents of the registry that did not re-register within
    /// `agent_reregister_timeout` after a failover.
    #[serde(rename = "master/recovery_slave_removals")]
    pub recovery_agent_removals: u64,
    /// Tasks the master saw reach each terminal state (Mesos counts a transition of
    /// a task it tracks, not reconciliation answers).
    #[serde(rename = "master/tasks_finished")]
    pub tasks_finished: u64,
    #[serde(rename = "master/tasks_failed")]
    pub tasks_failed: u64,
    #[serde(rename = "master/tasks_killed")]
    pub tasks_killed: u64,
    #[serde(rename = "master/tasks_lost")]
    pub tasks_lost: u64,
    #[serde(rename = "master/tasks_error")]
    pub tasks_error: u64,
    #[serde(rename = "master/tasks_gone_by_operator")]
    pub tasks_gone_by_operator: u64,
    #[serde(rename = "master/tasks_dropped")]
    pub tasks_dropped: u64,
    /// Gauge: tasks on unreachable agents now (set when the counters are read).
    #[serde(rename = "master/tasks_unreachable")]
    pub tasks_unreachable: u64,
    /// Unreachable agents pruned from the registry by its garbage collection.
    #[serde(rename = "schedlab/registry_gc_removals")]
    pub registry_gc_removals: u64,
    /// Registry operations cut short by a lost coordination connection and done again
    /// (or read back) once reconnected (`mesos/ha.rs`).
    #[serde(rename = "schedlab/registry_retries")]
    pub registry_retries: u64,
    #[serde(rename = "schedlab/elections_won")]
    pub elections_won: u64,
    #[serde(rename = "allocator/mesos/allocation_runs")]
    pub allocation_runs: u64,
    #[serde(rename = "schedlab/offers_sent")]
    pub offers_sent: u64,
    #[serde(rename = "schedlab/offers_declined")]
    pub offers_declined: u64,
    #[serde(rename = "schedlab/offers_accepted")]
    pub offers_accepted: u64,
    #[serde(rename = "schedlab/offers_rescinded")]
    pub offers_rescinded: u64,
    #[serde(rename = "schedlab/tasks_launched")]
    pub tasks_launched: u64,
    #[serde(rename = "schedlab/invalid_accepts")]
    pub invalid_accepts: u64,
    /// Removed agents told to shut down when they came back (Mesos before 1.5).
    #[serde(rename = "schedlab/agents_shutdown")]
    pub agents_shutdown: u64,
    #[serde(rename = "schedlab/frameworks_failed_over")]
    pub frameworks_failed_over: u64,
}

impl MasterCounters {
    /// Counts a task's transition to a terminal state (or UNREACHABLE, a gauge).
    pub(super) fn task_ended(&mut self, state: TaskState) {
        match state {
            TaskState::Finished => self.tasks_finished += 1,
            TaskState::Failed => self.tasks_failed += 1,
            TaskState::Killed => self.tasks_killed += 1,
            TaskState::Lost => self.tasks_lost += 1,
            TaskState::Error => self.tasks_error += 1,
            TaskState::GoneByOperator => self.tasks_gone_by_operator += 1,
            TaskState::Dropped => self.tasks_dropped += 1,
            _ => {}
        }
    }

    /// The sum of two masters' counters, field by field (through their serialized
    /// form, so that a new counter cannot be forgotten here).
    pub fn sum<'a>(all: impl IntoIterator<Item = &'a MasterCounters>) -> BTreeMap<String, u64> {
        let mut out: BTreeMap<String, u64> = BTreeMap::new();
        for c in all {
            let serde_json::Value::Object(m) = serde_json::to_value(c).expect("plain counters")
            else {
                unreachable!("a struct serializes as a map")
            };
            for (k, v) in m {
                *out.entry(k).or_default() += v.as_u64().unwrap_or(0);
            }
        }
        out
    }
}

/// Role weights, quota guarantees and quota limits, as configured (kept to rebuild the
/// allocator).
pub type RoleConfig = (
    Vec<(String, f64)>,
    Vec<(String, Resources)>,
    Vec<(String, Resources)>,
);

pub struct Master {
    pub(super) cfg: MasterConfig,
    pub(super) alloc_cfg: AllocatorConfig,
    pub(super) roles: RoleConfig,
    /// High availability (several masters elected through the coordination service);
    /// `None` for a lone master, which leads from the start.
    pub(super) ha: Option<Box<super::ha::Ha>>,
    /// Acting as the leader: serving frameworks and agents.
    pub(super) leading: bool,
    /// Leadership term: timers set in an earlier term are void.
    pub(super) term: Term,
    /// Test-only defect: ignore the loss of leadership (what the checker must catch).
    pub(crate) keep_leading_sabotage: bool,
    pub(super) alloc: Box<dyn Allocator>,
    pub(crate) frameworks: Vec<FrameworkEntry>,
    pub(super) fw_by_actor: ByActor<FrameworkId>,
    /// Agents and frameworks registered but not yet in the registry: they hear back
    /// (and get offers or tasks) once it has them.
    pub(super) admitting: BTreeSet<ActorId>,
    pub(crate) agents: Vec<AgentEntry>,
    pub(super) agent_by_actor: ByActor<AgentId>,
    pub(crate) offers: BTreeMap<OfferId, OfferEntry>,
    pub(crate) tasks: KeyMap<(FrameworkId, TaskId), TaskEntry>,
    /// Tasks on unreachable agents, of every framework (Mesos 1.5+ policy: each
    /// framework's `unreachableTasks`), until their agent returns or is forgotten.
    pub(super) unreachable: BTreeMap<(FrameworkId, TaskId), TaskEntry>,
    /// Tasks whose terminal update the framework has not acknowledged yet: their
    /// resources are free, but Mesos keeps the task (in `framework->tasks`) until the
    /// acknowledgement, so its id cannot be reused (`validateUniqueTaskID`, "Task has
    /// duplicate ID"), and reconciliation answers its terminal state.
    pub(super) ended_unacked: BTreeMap<(FrameworkId, TaskId), EndedTask>,
    /// How many agents are `recovering` (Mesos' `slaves.recovered`): while any is,
    /// reconciliation keeps quiet about tasks it does not know. A count, so that a
    /// reconciliation does not scan every agent's entry for the flag.
    pub(super) recovering_agents: usize,
    next_offer: OfferId,
    /// An event-triggered allocation is scheduled (a zero-delay timer).
    allocation_pending: bool,
    /// ...over the whole cluster (frameworks came or revived) ...
    full_allocation: bool,
    /// ...or over these agents only (their free resources changed).
    dirty_agents: BTreeSet<AgentId>,
    pub(super) total: Resources,
    pub(super) used: Resources,
    offered: Resources,
    pub(crate) counters: MasterCounters,
    /// The agents' next health-check pings.
    pub(super) pings: PingSchedule,
}

/// What the master knows, for readers outside the crate (tests, tools): the fields are
/// the master's own state, changed only by its handlers.
impl Master {
    /// Every framework that registered, by framework id (removed ones stay, inactive).
    pub fn frameworks(&self) -> &[FrameworkEntry] {
        &self.frameworks
    }
    /// Every agent that registered, by agent id (removed ones stay, marked `removed`).
    pub fn agents(&self) -> &[AgentEntry] {
        &self.agents
    }
    /// Outstanding offers.
    pub fn offers(&self) -> &BTreeMap<OfferId, OfferEntry> {
        &self.offers
    }
    /// Tasks the master believes live.
    pub fn tasks(&self) -> &KeyMap<(FrameworkId, TaskId), TaskEntry> {
        &self.tasks
    }
    /// What the master counted (offers, removals, invalid calls, ...).
    pub fn counters(&self) -> &MasterCounters {
        &self.counters
    }
    /// The master's flags.
    pub fn config(&self) -> &MasterConfig {
        &self.cfg
    }
    /// The counters with the gauges read now (Mesos' `/metrics/snapshot`).
    pub fn metrics(&self) -> MasterCounters {
        MasterCounters {
            tasks_unreachable: self.unreachable.len() as u64,
            ..self.counters.clone()
        }
    }
    /// How many agents of the registry have not re-registered since this master was
    /// elected (nor been removed by `agent_reregister_timeout`).
    pub fn recovering_agents(&self) -> usize {
        self.recovering_agents
    }
}

impl AgentEntry {
    /// Known from the registry after a failover and not re-registered yet (Mesos'
    /// "recovered" agents, removed after `agent_reregister_timeout`).
    pub fn is_recovering(&self) -> bool {
        self.recovering
    }
}

impl Master {
    pub fn new(cfg: MasterConfig, alloc_cfg: &AllocatorConfig) -> Master {
        Master {
            alloc_cfg: alloc_cfg.clone(),
            roles: (Vec::new(), Vec::new(), Vec::new()),
            ha: None,
            leading: true,
            term: 0,
            keep_leading_sabotage: false,
            alloc: alloc::build(alloc_cfg),
            frameworks: Vec::new(),
            fw_by_actor: ByActor::default(),
            admitting: BTreeSet::new(),
            agents: Vec::new(),
            agent_by_actor: ByActor::default(),
            offers: BTreeMap::new(),
            tasks: KeyMap::default(),
            unreachable: BTreeMap::new(),
            ended_unacked: BTreeMap::new(),
            recovering_agents: 0,
            next_offer: 0,
            allocation_pending: false,
            full_allocation: false,
            dirty_agents: BTreeSet::new(),
            total: Resources::ZERO,
            used: Resources::ZERO,
            offered: Resources::ZERO,
            counters: MasterCounters::default(),
            pings: PingSchedule::new(),
            cfg,
        }
    }

    /// The allocator's view, for metrics and checks.
    pub fn allocator(&self) -> &dyn Allocator {
        self.alloc.as_ref()
    }

    /// Sets role weights and quotas (the `[allocator]` section of a scenario).
    pub fn configure_roles(&mut self, weights: &[(String, f64)], quotas: &[(String, Resources)]) {
        self.roles.0 = weights.to_vec();
        self.roles.1 = quotas.to_vec();
        for (role, w) in weights {
            self.alloc.set_weight(role, *w);
        }
        for (role, q) in quotas {
            self.alloc.set_quota(role, *q);
        }
    }

    /// Sets quota limits (Mesos 1.9+; `limit_*` keys of `[allocator.quota.<role>]`): a
    /// kind at `u64::MAX` is unbounded.
    pub fn configure_quota_limits(&mut self, limits: &[(String, Resources)]) {
        self.roles.2 = limits.to_vec();
        for (role, l) in limits {
            self.alloc.set_quota_limit(role, *l);
        }
    }

    /// True if the task sits on an unreachable agent (Mesos 1.5+ policy).
    pub fn is_unreachable(&self, key: &(FrameworkId, TaskId)) -> bool {
        self.unreachable.contains_key(key)
    }

    /// Resources on offer right now (allocated but not used by tasks).
    pub fn offered(&self) -> Resources {
        self.offered
    }

    /// Resources of all registered agents.
    pub fn total(&self) -> Resources {
        self.total
    }

    /// Resources of the tasks the master believes are running.
    pub fn used(&self) -> Resources {
        self.used
    }

    /// Schedules an allocation over the whole cluster, right after the current event.
    pub(super) fn request_allocation(&mut self, ctx: &mut Ctx<Mesos>) {
        self.full_allocation = true;
        self.arm_allocation(ctx);
    }

    /// Schedules an allocation of `agent` alone: its free resources changed.
    pub(super) fn request_agent_allocation(&mut self, ctx: &mut Ctx<Mesos>, agent: AgentId) {
        self.dirty_agents.insert(agent);
        self.arm_allocation(ctx);
    }

    fn arm_allocation(&mut self, ctx: &mut Ctx<Mesos>) {
        if !self.allocation_pending {
            self.allocation_pending = true;
            ctx.set_timer(0, Timer::AllocateNow(self.term));
        }
    }

    fn allocate(&mut self, ctx: &mut Ctx<Mesos>, only: Option<Vec<AgentId>>) {
        self.counters.allocation_runs += 1;
        let now = ctx.now();
        let decisions = match only {
            None => self.alloc.allocate(now, ctx.rng()),
            Some(agents) => self.alloc.allocate_agents(now, ctx.rng(), &agents),
        };
        let mut per_fw: BTreeMap<FrameworkId, Vec<Offer>> = BTreeMap::new();
        for d in decisions {
            let id = self.next_offer;
            self.next_offer += 1;
            let timer = self
                .cfg
                .offer_timeout
                .map(|t| ctx.set_timer(t, Timer::OfferTimeout(id, self.term)));
            self.offered += d.resources;
            self.offers.insert(
                id,
                OfferEntry {
                    framework: d.framework,
                    agent: d.agent,
                    resources: d.resources,
                    timer,
                },
            );
            self.frameworks[d.framework as usize].offers.insert(id);
            let a = &self.agents[d.agent as usize];
            per_fw.entry(d.framework).or_default().push(Offer {
                id,
                agent: d.agent,
                resources: d.resources,
                hostname: a.hostname.clone(),
                attributes: a.attributes.clone(),
            });
        }
        for (fw, offers) in per_fw {
            self.counters.offers_sent += offers.len() as u64;
            ctx.send(self.frameworks[fw as usize].actor, Msg::Offers(offers));
        }
    }

    /// Withdraws an outstanding offer: its resources go back to the allocator and its
    /// framework is told (Mesos' `rescindOffer`).
    pub(super) fn rescind_offer(&mut self, ctx: &mut Ctx<Mesos>, id: OfferId) {
        if let Some(o) = self.offers.get(&id).cloned() {
            let fw = o.framework;
            self.take_offer(ctx, fw, id);
            self.counters.offers_rescinded += 1;
            self.alloc.recover(o.agent, fw, o.resources);
            ctx.send(
                self.frameworks[fw as usize].actor,
                Msg::Rescind { offer: id },
            );
        }
    }

    /// Takes an offer out of circulation; returns it if it belonged to `fw`.
    pub(super) fn take_offer(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        fw: FrameworkId,
        id: OfferId,
    ) -> Option<OfferEntry> {
        if self.offers.get(&id).is_none_or(|o| o.framework != fw) {
            return None;
        }
        let o = self.offers.remove(&id).expect("checked");
        self.offered -= o.resources;
        self.frameworks[fw as usize].offers.remove(&id);
        if let Some(t) = o.timer {
            ctx.cancel_timer(t);
        }
        Some(o)
    }

    pub(super) fn update(&self, ctx: &mut Ctx<Mesos>, fw: FrameworkId, status: TaskStatus) {
        if let Some(f) = self.frameworks.get(fw as usize) {
            ctx.send(f.actor, Msg::Update { status });
        }
    }

    fn known_framework(&self, from: ActorId, fw: FrameworkId) -> bool {
        self.fw_by_actor.get(from) == Some(fw) && {
            let f = &self.frameworks[fw as usize];
            f.active && f.connected
        }
    }

    fn accept(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        fw: FrameworkId,
        offer_ids: Vec<OfferId>,
        tasks: Vec<TaskInfo>,
        refuse: Time,
    ) {
        let taken: Vec<Option<OfferEntry>> = offer_ids
            .iter()
            .map(|&id| self.take_offer(ctx, fw, id))
            .collect();
        let valid: Vec<OfferEntry> = taken.iter().flatten().cloned().collect();
        let one_agent = valid.windows(2).all(|w| w[0].agent == w[1].agent);
        if valid.len() != taken.len() || valid.is_empty() || !one_agent {
            self.counters.invalid_accepts += 1;
            for o in &valid {
                self.alloc.recover(o.agent, fw, o.resources);
            }
            for t in tasks {
                self.update(
                    ctx,
                    fw,
                    TaskStatus::from_master(t.id, TaskState::Lost, None, Reason::InvalidOffers),
                );
            }
            return;
        }
        self.counters.offers_accepted += valid.len() as u64;
        let agent = valid[0].agent;
        let mut left = valid.iter().fold(Resources::ZERO, |a, o| a + o.resources);
        let offer = offer_ids[0];
        for t in tasks {
            // Mesos' `validateUniqueTaskID`: not the id of a live task, of one whose
            // terminal update is unacknowledged, nor of one on an unreachable agent.
            let key = (fw, t.id);
            let duplicate = self.tasks.contains_key(&key)
                || self.ended_unacked.contains_key(&key)
                || self.unreachable.contains_key(&key);
            match left.checked_sub(&t.resources) {
                Some(rest) if !duplicate && !t.resources.is_zero() => {
                    left = rest;
                    self.counters.tasks_launched += 1;
                    self.tasks.insert(
                        (fw, t.id),
                        TaskEntry {
                            agent,
                            resources: t.resources,
                            state: TaskState::Staging,
                        },
                    );
                    self.used += t.resources;
                    let a = &mut self.agents[agent as usize];
                    a.used += t.resources;
                    a.tasks.insert((fw, t.id));
                    ctx.send(
                        a.actor,
                        Msg::RunTask {
                            framework: fw,
                            offer,
                            task: Box::new(t),
                        },
                    );
                }
                _ => {
                    let status = TaskStatus::from_master(
                        t.id,
                        TaskState::Error,
                        Some(agent),
                        Reason::TaskInvalid,
                    );
                    self.update(ctx, fw, status);
                }
            }
        }
        if !left.is_zero() {
            self.alloc.recover(agent, fw, left);
            if refuse > 0 {
                let until = alloc::refuse_until(ctx.now(), refuse, self.cfg.allocation_interval);
                self.alloc.filter(fw, agent, until);
            }
        }
    }

    fn decline(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        fw: FrameworkId,
        offer_ids: Vec<OfferId>,
        refuse: Time,
    ) {
        for id in offer_ids {
            if let Some(o) = self.take_offer(ctx, fw, id) {
                self.counters.offers_declined += 1;
                self.alloc.recover(o.agent, fw, o.resources);
                if refuse > 0 {
                    let interval = self.cfg.allocation_interval;
                    let until = alloc::refuse_until(ctx.now(), refuse, interval);
                    self.alloc.filter(fw, o.agent, until);
                }
            }
        }
    }

    /// A task reached a terminal state: it no longer holds resources. Returns the
    /// agent it ran on, if the master knew the task.
    fn finish_task(&mut self, fw: FrameworkId, task: TaskId) -> Option<AgentId> {
        let t = self.tasks.remove(&(fw, task))?;
        self.used -= t.resources;
        let a = &mut self.agents[t.agent as usize];
        a.used -= t.resources;
        a.tasks.remove(&(fw, task));
        if self.frameworks[fw as usize].active {
            self.alloc.recover(t.agent, fw, t.resources);
        }
        Some(t.agent)
    }

    /// An agent's status update: forwarded to the framework, and applied to the task
    /// only if the task lives on that agent. As Mesos' `Master::statusUpdate` looks the
    /// task up on the sending agent (`slave->getTask`): a task id may be reused once its
    /// task ended, and a late retry of the old task's terminal update (unacknowledged
    /// while its framework was away) must not end the new task elsewhere.
    fn status_update(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        from: AgentId,
        fw: FrameworkId,
        mut status: TaskStatus,
    ) {
        // The agent's choice for a QoS kill (Mesos' `_qosCorrections`: TASK_GONE if
        // the framework is partition-aware, else TASK_LOST), made here because
        // schedlab's RunTask does not carry the FrameworkInfo the agent would read.
        if status.reason == Reason::ContainerPreempted
            && status.state == TaskState::Lost
            && self
                .frameworks
                .get(fw as usize)
                .is_some_and(|f| f.partition_aware)
        {
            status.state = TaskState::Gone;
        }
        let entry = self
            .tasks
            .get_mut(&(fw, status.task))
            .filter(|t| t.agent == from);
        if let Some(t) = entry {
            if t.state != status.state && status.state.is_terminal() {
                self.counters.task_ended(status.state);
            }
            t.state = status.state;
            if status.state.is_terminal() {
                self.finish_task(fw, status.task);
                if let Some(uuid) = status.uuid {
                    let ended = EndedTask {
                        agent: from,
                        uuid: uuid.get(),
                        state: status.state,
                    };
                    self.ended_unacked.insert((fw, status.task), ended);
                }
            }
        }
        if self.frameworks.get(fw as usize).is_some_and(|f| f.active) {
            self.update(ctx, fw, status);
        }
    }

    /// Reconciliation as Mesos 1.x answers it (`Master::_reconcileTasks`). Implicit
    /// (no tasks named): the latest state of every task the master knows of the
    /// framework (a task whose terminal update is unacknowledged is still known: it
    /// answers that terminal state), and of those on unreachable agents. Explicit, per
    /// task: known: its latest state; unknown, its agent (as the framework names it)
    /// recovering after a failover: no answer yet (the framework asks again);
    /// registered: GONE; unreachable: UNREACHABLE with the time; gone:
    /// GONE_BY_OPERATOR; unknown: UNKNOWN. Frameworks that are not partition-aware
    /// hear LOST instead of each of the last four. Answers carry no uuid (they are not
    /// acknowledged) and REASON_RECONCILIATION.
    fn reconcile(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        fw: FrameworkId,
        tasks: Vec<(TaskId, Option<AgentId>)>,
    ) {
        let aware = self.frameworks[fw as usize].partition_aware;
        let known = |t: TaskId, state: TaskState, agent: AgentId| {
            TaskStatus::from_master(t, state, Some(agent), Reason::Reconciliation)
        };
        let unreachable = |m: &Self, t: TaskId, agent: AgentId| {
            let since = m.agents[agent as usize].unreachable_since.unwrap_or(0);
            let state = if aware {
                TaskState::Unreachable
            } else {
                TaskState::Lost
            };
            TaskStatus::from_master(t, state, Some(agent), Reason::Reconciliation)
                .unreachable_since(since)
        };
        let statuses: Vec<TaskStatus> = if tasks.is_empty() {
            let mut out: Vec<TaskStatus> = self
                .framework_tasks(fw)
                .into_iter()
                .map(|(t, e)| known(t, e.state, e.agent))
                .collect();
            out.extend(
                self.ended_unacked
                    .iter()
                    .filter(|((f, _), _)| *f == fw)
                    .map(|((_, t), e)| known(*t, e.state, e.agent)),
            );
            out.extend(
                self.unreachable
                    .iter()
                    .filter(|((f, _), _)| *f == fw)
                    .map(|((_, t), e)| unreachable(self, *t, e.agent)),
            );
            out
        } else {
            // Sized up front: a framework may ask about every task it runs, and a
            // list grown by doubling copies itself several times.
            let mut out = Vec::with_capacity(tasks.len());
            for (t, agent) in tasks {
                if let Some(e) = self.tasks.get(&(fw, t)) {
                    out.push(known(t, e.state, e.agent));
                    continue;
                }
                if let Some(e) = self.ended_unacked.get(&(fw, t)) {
                    out.push(known(t, e.state, e.agent));
                    continue;
                }
                if let Some(e) = self.unreachable.get(&(fw, t)) {
                    out.push(unreachable(self, t, e.agent));
                    continue;
                }
                let (state, agent) = match self.standing(agent) {
                    Standing::Recovering => continue,
                    Standing::Unreachable => {
                        let agent = agent.expect("a standing has an agent");
                        out.push(unreachable(self, t, agent));
                        continue;
                    }
                    Standing::Registered => (TaskState::Gone, agent),
                    Standing::Gone => (TaskState::GoneByOperator, agent),
                    Standing::Unknown => (TaskState::Unknown, agent),
                };
                let state = if aware { state } else { TaskState::Lost };
                out.push(TaskStatus::from_master(
                    t,
                    state,
                    agent,
                    Reason::Reconciliation,
                ));
            }
            out
        };
        for s in statuses {
            self.update(ctx, fw, s);
        }
    }

    /// A framework's tasks in id order (a scan of the whole table: implicit
    /// reconciliation and teardown are rare, task lookups are on every update).
    fn framework_tasks(&self, fw: FrameworkId) -> Vec<(TaskId, &TaskEntry)> {
        self.tasks
            .sorted_where(|(f, _), _| *f == fw)
            .into_iter()
            .map(|((_, t), e)| (*t, e))
            .collect()
    }

    fn teardown(&mut self, ctx: &mut Ctx<Mesos>, fw: FrameworkId) {
        self.ended_unacked.retain(|(f, _), _| *f != fw);
        let offers: Vec<OfferId> = self.frameworks[fw as usize]
            .offers
            .iter()
            .copied()
            .collect();
        for id in offers {
            if let Some(o) = self.take_offer(ctx, fw, id) {
                self.alloc.recover(o.agent, fw, o.resources);
            }
        }
        let tasks: Vec<TaskId> = self
            .framework_tasks(fw)
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        let mut agents = BTreeSet::new();
        for t in tasks {
            if let Some(e) = self.tasks.get(&(fw, t)) {
                agents.insert(e.agent);
            }
            self.finish_task(fw, t);
        }
        for a in agents {
            ctx.send(
                self.agents[a as usize].actor,
                Msg::ShutdownFramework { framework: fw },
            );
        }
        self.frameworks[fw as usize].active = false;
        self.alloc.remove_framework(fw);
        self.persist(ctx, [Record::Framework(fw)], None);
    }

    pub(super) fn add_to_allocator(&mut self, id: FrameworkId) {
        let f = &self.frameworks[id as usize];
        if f.weight_milli != 1000 {
            self.alloc
                .set_weight(&f.role, f.weight_milli as f64 / 1000.0);
        }
        self.alloc.add_framework(id, &f.role);
        if f.revocable {
            self.alloc.set_revocable_capable(id, true);
        }
    }

    /// SUBSCRIBE: a new framework (replied to once the registry has it), or a known one
    /// reconnecting after its scheduler failed over or the master did.
    fn register_framework(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        from: ActorId,
        mut entry: FrameworkEntry,
    ) {
        if self.admitting.contains(&from) {
            return; // a retry while the registry write is in flight
        }
        ctx.link(from);
        let known = self
            .fw_by_actor
            .get(from)
            .filter(|&id| self.frameworks[id as usize].active);
        let Some(id) = known else {
            let id = self.frameworks.len() as FrameworkId;
            entry.connected = false;
            self.frameworks.push(entry);
            self.fw_by_actor.insert(from, id);
            self.admitting.insert(from);
            self.persist(ctx, [Record::Framework(id)], Some(Admission::Framework(id)));
            return;
        };
        let f = &mut self.frameworks[id as usize];
        if !f.connected {
            f.connected = true;
            f.disconnected_at = None;
            self.alloc.suppress(id, false);
        }
        ctx.send(from, Msg::FrameworkRegistered { id });
        self.request_allocation(ctx);
    }

    /// The scheduler's process died: no more offers; its tasks live on for its
    /// `failover_timeout`.
    fn framework_exited(&mut self, ctx: &mut Ctx<Mesos>, from: ActorId) {
        let Some(id) = self.fw_by_actor.get(from) else {
            return;
        };
        let f = &mut self.frameworks[id as usize];
        if !(f.active && f.connected) {
            return;
        }
        f.connected = false;
        f.disconnected_at = Some(ctx.now());
        let timeout = f.failover_timeout;
        let offers: Vec<OfferId> = f.offers.iter().copied().collect();
        for o in offers {
            if let Some(o) = self.take_offer(ctx, id, o) {
                self.alloc.recover(o.agent, id, o.resources);
            }
        }
        self.alloc.suppress(id, true);
        ctx.set_timer(timeout, Timer::FrameworkFailover(id, self.term));
    }

    /// A disconnected framework did not come back within its `failover_timeout`: its
    /// tasks are killed and it is removed.
    pub(super) fn failover_expired(&mut self, ctx: &mut Ctx<Mesos>, fw: FrameworkId) {
        let f = &self.frameworks[fw as usize];
        let expired = f.active
            && !f.connected
            && f.disconnected_at
                .is_some_and(|t| ctx.now() >= t + f.failover_timeout);
        if expired {
            self.counters.frameworks_failed_over += 1;
            self.teardown(ctx, fw);
        }
    }
}

impl Actor<Mesos> for Master {
    fn on_start(&mut self, ctx: &mut Ctx<Mesos>) {
        match self.ha.as_mut() {
            Some(ha) => ha.start(ctx),
            None => self.serve(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Mesos>, from: ActorId, msg: Msg) {
        let msg = match msg {
            Msg::Coord(m) => return self.coord_message(ctx, from, m),
            msg if self.leading => msg,
            _ => return, // a standby master serves no one (Mesos redirects to the leader)
        };
        match msg {
            Msg::RegisterFramework(info) => {
                let FrameworkInfo {
                    name,
                    role,
                    weight_milli,
                    partition_aware,
                    failover_timeout,
                    revocable_resources,
                    ..
                } = *info;
                self.register_framework(
                    ctx,
                    from,
                    FrameworkEntry {
                        actor: from,
                        name,
                        role,
                        active: true,
                        connected: true,
                        disconnected_at: None,
                        partition_aware,
                        weight_milli,
                        failover_timeout,
                        offers: BTreeSet::new(),
                        revocable: revocable_resources,
                    },
                )
            }
            Msg::Exited => self.framework_exited(ctx, from),
            Msg::RegisterAgent(reg) => {
                let AgentRegistration { incarnation, info } = *reg;
                self.register_agent(ctx, from, incarnation, info);
            }
            Msg::ReregisterAgent(reg) => {
                let AgentReregistration { id, info, tasks } = *reg;
                self.reregister_agent(ctx, from, id, info, tasks);
            }
            Msg::Pong => self.pong(from),
            Msg::UpdateAgent { oversubscribed } => {
                self.update_oversubscribed(ctx, from, oversubscribed)
            }
            Msg::Accept {
                framework,
                offers,
                tasks,
                refuse,
            } if self.known_framework(from, framework) => {
                self.accept(ctx, framework, offers.into_vec(), tasks.into_vec(), refuse)
            }
            Msg::Decline {
                framework,
                offers,
                refuse,
            } if self.known_framework(from, framework) => {
                self.decline(ctx, framework, offers, refuse)
            }
            Msg::Acknowledge {
                framework,
                agent,
                task,
                uuid,
            } if self.known_framework(from, framework) => {
                let key = (framework, task);
                if self
                    .ended_unacked
                    .get(&key)
                    .is_some_and(|e| e.acked_by(agent, uuid))
                {
                    self.ended_unacked.remove(&key);
                }
                if let Some(a) = self.agents.get(agent as usize) {
                    ctx.send(
                        a.actor,
                        Msg::StatusAck {
                            framework,
                            task,
                            uuid,
                        },
                    );
                }
            }
            Msg::Kill { framework, task } if self.known_framework(from, framework) => {
                match self.tasks.get(&(framework, task)) {
                    Some(e) => {
                        let agent = self.agents[e.agent as usize].actor;
                        ctx.send(agent, Msg::KillTask { framework, task });
                    }
                    // Mesos: "unknown; performing reconciliation".
                    None => self.reconcile(ctx, framework, vec![(task, None)]),
                }
            }
            Msg::Reconcile { framework, tasks } if self.known_framework(from, framework) => {
                self.reconcile(ctx, framework, tasks)
            }
            Msg::Suppress { framework } if self.known_framework(from, framework) => {
                self.alloc.suppress(framework, true)
            }
            Msg::Revive { framework } if self.known_framework(from, framework) => {
                self.alloc.suppress(framework, false);
                self.request_allocation(ctx);
            }
            Msg::Teardown { framework } if self.known_framework(from, framework) => {
                self.teardown(ctx, framework)
            }
            Msg::MarkAgentGone { hostname } => {
                let ok = self.mark_gone(ctx, &hostname);
                ctx.send(from, Msg::OperatorReply { ok });
            }
            Msg::StatusUpdate { framework, status } => {
                if let Some(agent) = self.live_agent(from) {
                    self.status_update(ctx, agent, framework, status)
                } else {
                    self.refuse_unknown_agent(ctx, from)
                }
            }
            _ => {
                if ctx.logging() {
                    ctx.log(
                        "master_ignored",
                        serde_json::json!({ "from": from.0, "msg": format!("{msg:?}") }),
                    );
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Mesos>, _id: TimerId, timer: Timer) {
        match timer {
            Timer::Coord(t) => self.coord_timer(ctx, t),
            Timer::AllocationTick(term) if self.current(term) => {
                ctx.set_timer(self.cfg.allocation_interval, Timer::AllocationTick(term));
                self.allocate(ctx, None);
            }
            Timer::AllocateNow(term) if self.current(term) => {
                self.allocation_pending = false;
                let dirty = std::mem::take(&mut self.dirty_agents);
                if std::mem::take(&mut self.full_allocation) {
                    self.allocate(ctx, None);
                } else {
                    self.allocate(ctx, Some(dirty.into_iter().collect()));
                }
            }
            Timer::PingSweep(term) if self.current(term) => self.sweep_pings(ctx),
            Timer::ReregisterTimeout(term) if self.current(term) => self.reregister_timeout(ctx),
            Timer::RegistryGc(term) if self.current(term) => self.registry_gc(ctx),
            Timer::FrameworkFailover(fw, term) if self.current(term) => {
                self.failover_expired(ctx, fw)
            }
            Timer::OfferTimeout(id, term) if self.current(term) => self.rescind_offer(ctx, id),
            _ => {}
        }
    }
}
