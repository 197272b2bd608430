//! Agent registration, health checks, removal, and what a removed agent meets when it
//! comes back: the master's half of failure handling.
//!
//! What it models (Mesos 1.x `master.cpp`: `SlaveObserver`, `markUnreachable`,
//! `removeSlave`, `reregisterSlave`, `markGone`, `doRegistryGc`; flags
//! `--agent_ping_timeout` = 15 s, `--max_agent_ping_timeouts` = 5):
//! - The master pings an agent the moment it is admitted, then every ping timeout
//!   (one sweep timer for all agents: [`super::pings`]). A ping timeout that finds the
//!   previous ping unanswered counts one; at five the agent is marked unreachable. So
//!   an agent that never answers is removed 75 s after its registration, and one that
//!   goes silent within 75 s to 90 s (Mesos' `PartitionTest` pins the first).
//! - Removal rescinds the agent's offers (once each), takes its resources out of the
//!   pool, records it as unreachable (with the time) in the registry, and only then
//!   tells every connected framework: LOST, or UNREACHABLE to partition-aware ones
//!   (under the 1.5+ policy), with REASON_SLAVE_REMOVED and the `unreachable_time`;
//!   and an agent-lost notice (`LostSlaveMessage`).
//! - What a removed agent meets when it comes back is [`AgentReturn`]: shut down
//!   (before 1.5), or re-admitted with every task (1.5+, MESOS-7215), each framework
//!   told the task's state again with REASON_SLAVE_REREGISTERED.
//! - A (re-)registered agent is offered only once its registration reply is sent,
//!   and, where the registry must change first, once that change is durable.
//! - The operator may mark an agent gone: it is shut down for good, its tasks become
//!   GONE_BY_OPERATOR (LOST for frameworks that are not partition-aware).
//! - Every `registry_gc_interval` the registry forgets unreachable agents older than
//!   `registry_max_agent_age`, and the oldest beyond `registry_max_agent_count`.

use super::ha::{Admission, Record};
use super::master::{AgentEntry, AgentReturn, Master, TaskEntry};
use crate::actor::{ActorId, Ctx, Time};
use crate::alloc::{AgentId, FrameworkId};
use crate::proto::{AgentInfo, Mesos, Msg, Reason, TaskId, TaskInfo, TaskState, TaskStatus, Timer};
use crate::resources::Resources;
use std::collections::BTreeSet;

/// Why the master removes an agent; each has its own task states and reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Removal {
    /// It failed its health checks: marked unreachable (`markUnreachable`).
    Unhealthy,
    /// A new agent process registered from its address (`removeSlave`, reason
    /// "registered"): its tasks are gone with the old process.
    Restarted,
    /// The operator marked it gone (`markGone`).
    Operator,
}

/// Where an agent stands, as reconciliation asks (Mesos' `slaves.registered`,
/// `.recovered`, `.unreachable`, `.gone`, or none of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Standing {
    Registered,
    Recovering,
    Unreachable,
    Gone,
    Unknown,
}

/// A task an agent reports when it re-registers: framework, task, latest state.
pub(super) type Reported = (FrameworkId, TaskInfo, TaskState);

impl Master {
    /// The id of the registered, not removed agent run by `actor`.
    pub(super) fn live_agent(&self, actor: ActorId) -> Option<AgentId> {
        self.agent_by_actor
            .get(actor)
            .filter(|&a| !self.agents[a as usize].removed)
    }

    /// Where agent `id` stands; an id the master never gave is unknown.
    pub(super) fn standing(&self, id: Option<AgentId>) -> Standing {
        let Some(a) = id.and_then(|id| self.agents.get(id as usize)) else {
            return Standing::Unknown;
        };
        if a.gone {
            Standing::Gone
        } else if a.recovering {
            Standing::Recovering
        } else if a.unreachable_since.is_some() {
            Standing::Unreachable
        } else if a.removed {
            Standing::Unknown
        } else {
            Standing::Registered
        }
    }

    /// The silence after which an agent takes this master for lost (Mesos'
    /// `MasterSlaveConnection.total_ping_timeout`, sent in the registration reply).
    fn total_ping_timeout(&self) -> Time {
        self.cfg
            .agent_ping_timeout
            .saturating_mul(self.cfg.max_agent_ping_timeouts as Time)
    }

    /// The (re-)registration reply to agent `id`, with the tasks to reconcile through it.
    pub(super) fn registered_reply(
        &self,
        id: AgentId,
        reconcile: Vec<(FrameworkId, TaskId, bool)>,
    ) -> Msg {
        Msg::AgentRegistered {
            id,
            ping_timeout: self.total_ping_timeout(),
            reconcile,
        }
    }

    /// Admits agent `id`: its registration reply goes out first, then it joins the
    /// allocator (the allocation this asks for runs after the current event, so no
    /// offer of it, nor task on it, can precede the reply), and it is pinged at once.
    pub(super) fn activate_agent(&mut self, ctx: &mut Ctx<Mesos>, id: AgentId) {
        let reply = self.registered_reply(id, Vec::new());
        let a = &mut self.agents[id as usize];
        ctx.send(a.actor, reply);
        a.removed = false;
        a.unreachable_since = None;
        a.forgotten = false;
        a.awaiting_pong = false;
        a.missed_pongs = 0;
        // Its revocable total comes anew after the registration reply.
        a.oversubscribed = Resources::ZERO;
        let (total, reserved) = (a.total, a.reserved.clone());
        self.alloc.add_agent(id, total);
        for (role, res) in &reserved {
            self.alloc.reserve(id, role, *res);
        }
        self.total += total;
        self.send_ping(ctx, id);
        self.request_agent_allocation(ctx, id);
    }

    pub(super) fn register_agent(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        from: ActorId,
        incarnation: u64,
        info: AgentInfo,
    ) {
        if self.admitting.contains(&from) {
            return; // a retry while the registry write is in flight
        }
        // A repeated registration (the reply was slow) gets the same id. A new
        // incarnation on the address of a live agent is that agent restarted without
        // its tasks: the old one is removed, as Mesos does when a registration comes
        // from the address of a registered agent.
        if let Some(id) = self.live_agent(from) {
            if self.agents[id as usize].incarnation == incarnation {
                ctx.send(from, self.registered_reply(id, Vec::new()));
                return;
            }
            self.remove_agent(ctx, id, Removal::Restarted);
        }
        let id = self.agents.len() as AgentId;
        self.agents
            .push(AgentEntry::new(from, incarnation, info, false));
        self.agent_by_actor.insert(from, id);
        self.admitting.insert(from);
        self.persist(ctx, [Record::Agent(id)], Some(Admission::Agent(id)));
    }

    pub(super) fn reregister_agent(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        from: ActorId,
        id: AgentId,
        info: AgentInfo,
        tasks: Vec<Reported>,
    ) {
        if self.admitting.contains(&from) {
            return; // a retry while the registry write is in flight
        }
        let known = self
            .agents
            .get(id as usize)
            .is_some_and(|a| a.actor == from);
        if !known {
            // Not an agent this master knows: it must start over.
            self.counters.agents_shutdown += 1;
            ctx.send(from, Msg::ShutdownAgent);
            return;
        }
        let a = &self.agents[id as usize];
        if a.gone {
            ctx.send(from, Msg::AgentGone);
            return;
        }
        if a.recovering {
            // Known from the registry after a failover, which already admits it:
            // welcome back, tasks and all, nothing to write.
            self.recovering_agents -= 1;
            let a = &mut self.agents[id as usize];
            a.recovering = false;
            a.set_info(info);
            self.counters.agents_reregistered += 1;
            self.activate_agent(ctx, id);
            self.adopt(ctx, id, tasks, false);
            return;
        }
        if a.removed {
            if self.cfg.agent_return == AgentReturn::Shutdown {
                self.counters.agents_shutdown += 1;
                ctx.send(from, Msg::ShutdownAgent);
                return;
            }
            // Mesos 1.5+: made reachable in the registry first, then re-admitted.
            self.agents[id as usize].set_info(info);
            self.admitting.insert(from);
            self.persist(
                ctx,
                [Record::Agent(id)],
                Some(Admission::Reachable(id, tasks)),
            );
            return;
        }
        // Registered already (it took this master for lost): proof of life, and the
        // health check starts over. The tasks this master holds there that the agent
        // did not report are reconciled through the agent (`reconcileKnownSlave`).
        let reported: BTreeSet<(FrameworkId, TaskId)> =
            tasks.iter().map(|(fw, t, _)| (*fw, t.id)).collect();
        let reconcile = self.agents[id as usize]
            .tasks
            .iter()
            .filter(|k| !reported.contains(k))
            .map(|&(fw, task)| {
                let aware = self
                    .frameworks
                    .get(fw as usize)
                    .is_some_and(|f| f.partition_aware);
                (fw, task, aware)
            })
            .collect();
        let a = &mut self.agents[id as usize];
        a.set_info(info);
        a.awaiting_pong = false;
        a.missed_pongs = 0;
        ctx.send(from, self.registered_reply(id, reconcile));
        self.adopt(ctx, id, tasks, false);
    }

    /// The registry holds a returning unreachable agent again: it is admitted with
    /// its tasks, each framework told their state (REASON_SLAVE_REREGISTERED).
    pub(super) fn made_reachable(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        id: AgentId,
        tasks: Vec<Reported>,
    ) {
        let actor = self.agents[id as usize].actor;
        self.admitting.remove(&actor);
        self.counters.agents_reregistered += 1;
        self.activate_agent(ctx, id);
        self.adopt(ctx, id, tasks, true);
    }

    /// Takes on the tasks a re-registering agent reports that the master does not
    /// know there: of a framework it knows, the task is the framework's again (told so
    /// when `tell`); of a framework torn down, it is killed.
    fn adopt(&mut self, ctx: &mut Ctx<Mesos>, id: AgentId, tasks: Vec<Reported>, tell: bool) {
        let actor = self.agents[id as usize].actor;
        for (fw, info, state) in tasks {
            let key = (fw, info.id);
            if self.tasks.get(&key).is_some_and(|t| t.agent == id) {
                continue;
            }
            self.unreachable.remove(&key);
            let active = self.frameworks.get(fw as usize).is_some_and(|f| f.active);
            if !active || self.tasks.contains_key(&key) {
                ctx.send(
                    actor,
                    Msg::KillTask {
                        framework: fw,
                        task: info.id,
                    },
                );
                continue;
            }
            self.used += info.resources;
            let a = &mut self.agents[id as usize];
            a.used += info.resources;
            a.tasks.insert(key);
            self.alloc.add_allocated(id, fw, info.resources);
            self.tasks.insert(
                key,
                TaskEntry {
                    agent: id,
                    resources: info.resources,
                    state,
                },
            );
            if tell {
                let status =
                    TaskStatus::from_master(info.id, state, Some(id), Reason::AgentReregistered);
                self.update(ctx, fw, status);
            }
        }
    }

    pub(super) fn pong(&mut self, from: ActorId) {
        if let Some(id) = self.live_agent(from) {
            let a = &mut self.agents[id as usize];
            a.awaiting_pong = false;
            a.missed_pongs = 0;
        }
    }

    /// A message from an agent the master does not (or no longer) know.
    pub(super) fn refuse_unknown_agent(&mut self, ctx: &mut Ctx<Mesos>, from: ActorId) {
        let Some(a) = self.agent_by_actor.get(from) else {
            return;
        };
        let a = &self.agents[a as usize];
        if a.gone {
            ctx.send(from, Msg::AgentGone);
        } else if a.removed && self.cfg.agent_return == AgentReturn::Shutdown {
            self.counters.agents_shutdown += 1;
            ctx.send(from, Msg::ShutdownAgent);
        }
    }

    /// Handles the ping timeouts due now, one timer for all (see [`super::pings`]).
    pub(super) fn sweep_pings(&mut self, ctx: &mut Ctx<Mesos>) {
        for (due, id) in self.pings.take_due(ctx.now()) {
            let a = &self.agents[id as usize];
            if !a.removed && a.next_ping == due {
                self.ping_timeout(ctx, id);
            }
        }
        self.arm_ping_sweep(ctx);
    }

    /// Mesos' `SlaveObserver::timeout`: an unanswered ping counts; at
    /// `max_agent_ping_timeouts` the agent is marked unreachable, else pinged again.
    fn ping_timeout(&mut self, ctx: &mut Ctx<Mesos>, id: AgentId) {
        let max = self.cfg.max_agent_ping_timeouts;
        let a = &mut self.agents[id as usize];
        if a.awaiting_pong {
            a.missed_pongs += 1;
            if a.missed_pongs >= max {
                return self.remove_agent(ctx, id, Removal::Unhealthy);
            }
        }
        self.send_ping(ctx, id);
    }

    /// Mesos' `SlaveObserver::ping`: sends a ping and arms the next timeout.
    fn send_ping(&mut self, ctx: &mut Ctx<Mesos>, id: AgentId) {
        let due = ctx.now().saturating_add(self.cfg.agent_ping_timeout);
        let a = &mut self.agents[id as usize];
        a.awaiting_pong = true;
        a.next_ping = due;
        ctx.send(a.actor, Msg::Ping);
        self.pings.push(due, id);
        self.arm_ping_sweep(ctx);
    }

    fn arm_ping_sweep(&mut self, ctx: &mut Ctx<Mesos>) {
        if let Some(at) = self.pings.next_sweep() {
            ctx.set_timer(at.saturating_sub(ctx.now()), Timer::PingSweep(self.term));
        }
    }

    /// Removes agent `id`: its offers are rescinded, its resources leave the pool,
    /// and, once the registry has the removal, its tasks' frameworks hear the verdict
    /// and every connected framework that the agent is lost. A successor that never
    /// saw the removal so adopts the tasks instead of a framework having relaunched
    /// them.
    pub(super) fn remove_agent(&mut self, ctx: &mut Ctx<Mesos>, id: AgentId, why: Removal) {
        let now = ctx.now();
        self.ended_unacked.retain(|_, e| e.agent != id);
        let c = &mut self.counters;
        c.agents_removed += 1;
        match why {
            Removal::Unhealthy => {
                c.removals_unhealthy += 1;
                c.unreachable_scheduled += 1;
                c.unreachable_completed += 1;
            }
            Removal::Restarted => c.removals_registered += 1,
            Removal::Operator => c.removals_unregistered += 1,
        }
        let offers: Vec<_> = self
            .offers
            .iter()
            .filter(|(_, o)| o.agent == id)
            .map(|(&oid, o)| (oid, o.framework))
            .collect();
        for (oid, fw) in offers {
            self.take_offer(ctx, fw, oid);
            self.counters.offers_rescinded += 1;
            ctx.send(
                self.frameworks[fw as usize].actor,
                Msg::Rescind { offer: oid },
            );
        }
        self.alloc.remove_agent(id);
        let a = &mut self.agents[id as usize];
        a.removed = true;
        match why {
            Removal::Unhealthy => a.unreachable_since = Some(now),
            Removal::Restarted => a.forgotten = true,
            Removal::Operator => a.gone = true,
        }
        let tasks: Vec<(FrameworkId, TaskId)> = std::mem::take(&mut a.tasks).into_iter().collect();
        self.total -= a.total;
        self.used -= a.used;
        a.used = Resources::ZERO;
        let keep = why == Removal::Unhealthy && self.cfg.agent_return == AgentReturn::Reregister;
        let mut verdicts = Vec::new();
        for key in tasks {
            let Some(entry) = self.tasks.remove(&key) else {
                continue;
            };
            let status = self.removal_verdict(key, id, why, now);
            self.counters.task_ended(status.state);
            if keep {
                self.unreachable.insert(key, entry);
            }
            verdicts.push((key.0, status));
        }
        self.persist(
            ctx,
            [Record::Agent(id)],
            Some(Admission::Removed(id, verdicts)),
        );
    }

    /// What a framework hears of its task on an agent removed for `why` (Mesos 1.x:
    /// the partition-aware state, or LOST for frameworks that are not).
    fn removal_verdict(
        &self,
        (fw, task): (FrameworkId, TaskId),
        agent: AgentId,
        why: Removal,
        now: Time,
    ) -> TaskStatus {
        let aware = self.frameworks[fw as usize].partition_aware;
        let (state, reason) = match why {
            // Before 1.5 (the shutdown policy) every framework hears LOST.
            Removal::Unhealthy if aware && self.cfg.agent_return == AgentReturn::Reregister => {
                (TaskState::Unreachable, Reason::AgentRemoved)
            }
            Removal::Unhealthy => (TaskState::Lost, Reason::AgentRemoved),
            Removal::Restarted if aware => (TaskState::Gone, Reason::AgentRestarted),
            Removal::Restarted => (TaskState::Lost, Reason::AgentRestarted),
            Removal::Operator if aware => {
                (TaskState::GoneByOperator, Reason::AgentRemovedByOperator)
            }
            Removal::Operator => (TaskState::Lost, Reason::AgentRemovedByOperator),
        };
        let status = TaskStatus::from_master(task, state, Some(agent), reason);
        if why == Removal::Unhealthy {
            status.unreachable_since(now)
        } else {
            status
        }
    }

    /// Tells the frameworks of a removal once the registry has it: the tasks'
    /// verdicts, and every connected framework that the agent is lost.
    pub(super) fn announce_removal(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        agent: AgentId,
        verdicts: Vec<(FrameworkId, TaskStatus)>,
    ) {
        for (fw, status) in verdicts {
            self.update(ctx, fw, status);
        }
        for f in self.frameworks.iter().filter(|f| f.active && f.connected) {
            ctx.send(f.actor, Msg::AgentLost { agent });
        }
    }

    /// The operator marks the agent with `hostname` gone (Mesos' MARK_AGENT_GONE):
    /// registered, it is removed; unreachable, its tasks' frameworks hear they are
    /// gone; either way it is told to stop and is never admitted again.
    pub(super) fn mark_gone(&mut self, ctx: &mut Ctx<Mesos>, hostname: &str) -> bool {
        let Some(id) = self
            .agents
            .iter()
            .rposition(|a| a.hostname == hostname && !a.gone && !a.forgotten)
            .map(|i| i as AgentId)
        else {
            return false;
        };
        let a = &self.agents[id as usize];
        let actor = a.actor;
        if !a.removed {
            self.remove_agent(ctx, id, Removal::Operator);
        } else {
            if a.recovering {
                self.recovering_agents -= 1;
            }
            let a = &mut self.agents[id as usize];
            a.recovering = false;
            a.gone = true;
            a.unreachable_since = None;
            let now = ctx.now();
            let tasks: Vec<(FrameworkId, TaskId)> = self
                .unreachable
                .iter()
                .filter(|(_, t)| t.agent == id)
                .map(|(k, _)| *k)
                .collect();
            let mut verdicts = Vec::new();
            for key in tasks {
                self.unreachable.remove(&key);
                let status = self.removal_verdict(key, id, Removal::Operator, now);
                self.counters.task_ended(status.state);
                verdicts.push((key.0, status));
            }
            self.persist(
                ctx,
                [Record::Agent(id)],
                Some(Admission::Removed(id, verdicts)),
            );
        }
        ctx.send(actor, Msg::AgentGone);
        true
    }

    /// Mesos' `doRegistryGc`: forgets the unreachable agents older than
    /// `registry_max_agent_age`, then the oldest beyond `registry_max_agent_count`;
    /// their tasks' reconciliation answers UNKNOWN from now on.
    pub(super) fn registry_gc(&mut self, ctx: &mut Ctx<Mesos>) {
        ctx.set_timer(self.cfg.registry_gc_interval, Timer::RegistryGc(self.term));
        let now = ctx.now();
        let mut unreachable: Vec<(Time, AgentId)> = self
            .agents
            .iter()
            .enumerate()
            .filter(|(_, a)| a.removed && !a.gone)
            .filter_map(|(i, a)| a.unreachable_since.map(|t| (t, i as AgentId)))
            .collect();
        unreachable.sort_unstable();
        let count = unreachable.len() as u64;
        let over = count.saturating_sub(self.cfg.registry_max_agent_count) as usize;
        let pruned: Vec<AgentId> = unreachable
            .iter()
            .enumerate()
            .filter(|&(i, &(t, _))| {
                i < over || now.saturating_sub(t) > self.cfg.registry_max_agent_age
            })
            .map(|(_, &(_, id))| id)
            .collect();
        if pruned.is_empty() {
            return;
        }
        for &id in &pruned {
            let a = &mut self.agents[id as usize];
            a.unreachable_since = None;
            a.forgotten = true;
        }
        let gone: std::collections::BTreeSet<AgentId> = pruned.iter().copied().collect();
        self.unreachable.retain(|_, t| !gone.contains(&t.agent));
        self.counters.registry_gc_removals += pruned.len() as u64;
        self.persist(ctx, pruned.into_iter().map(Record::Agent), None);
    }
}
