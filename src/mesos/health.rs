//! Agent registration, health checks, removal, and what a removed agent meets when it
//! comes back: the master's half of failure handling.
//!
//! What it models (Mesos `master.cpp`, flags `--agent_ping_timeout` = 15 s and
//! `--max_agent_ping_timeouts` = 5): the master pings every agent each ping timeout
//! (one sweep timer for all agents, on a 1 s grid: [`super::pings`]);
//! after five pings in a row without a pong the agent is removed (75 s after it went
//! silent, within one ping period), its offers are rescinded, its resources leave the
//! pool, and its tasks are reported LOST (UNREACHABLE to partition-aware frameworks
//! under the Mesos 1.5+ policy). An agent that was removed and comes back is either
//! told to shut down, its tasks killed so that none runs twice (before Mesos 1.5, the
//! default), or allowed to re-register (1.5+), see [`AgentReturn`].

use super::ha::{Admission, Record};
use super::master::{AgentEntry, AgentReturn, Master, TaskEntry};
use crate::actor::{ActorId, Ctx};
use crate::alloc::{AgentId, FrameworkId};
use crate::proto::{AgentInfo, Mesos, Msg, Reason, TaskId, TaskInfo, TaskState, TaskStatus, Timer};
use crate::resources::Resources;

impl Master {
    /// The id of the registered, not removed agent run by `actor`.
    pub(super) fn live_agent(&self, actor: ActorId) -> Option<AgentId> {
        self.agent_by_actor
            .get(actor)
            .filter(|&a| !self.agents[a as usize].removed)
    }

    pub(super) fn activate_agent(&mut self, ctx: &mut Ctx<Mesos>, id: AgentId) {
        let a = &mut self.agents[id as usize];
        a.removed = false;
        a.awaiting_pong = false;
        a.missed_pongs = 0;
        let (total, reserved) = (a.total, a.reserved.clone());
        self.alloc.add_agent(id, total);
        for (role, res) in &reserved {
            self.alloc.reserve(id, role, *res);
        }
        self.total += total;
        self.schedule_ping(ctx, id);
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
        // its tasks: the old one is removed (its tasks LOST), as Mesos does when a
        // registration comes from the address of a registered agent.
        if let Some(id) = self.live_agent(from) {
            if self.agents[id as usize].incarnation == incarnation {
                ctx.send(from, Msg::AgentRegistered { id });
                return;
            }
            self.remove_agent(ctx, id);
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
        tasks: Vec<(FrameworkId, TaskInfo)>,
    ) {
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
        let recovered = self.agents[id as usize].recovering;
        let mut changed = false;
        if recovered {
            // Known from the registry after a failover: welcome back, tasks and all.
            let a = &mut self.agents[id as usize];
            a.recovering = false;
            self.recovering_agents -= 1;
            a.set_info(info);
            self.activate_agent(ctx, id);
        } else if self.agents[id as usize].removed {
            if self.cfg.agent_return == AgentReturn::Shutdown {
                self.counters.agents_shutdown += 1;
                ctx.send(from, Msg::ShutdownAgent);
                return;
            }
            self.agents[id as usize].set_info(info);
            self.activate_agent(ctx, id);
            self.counters.agents_reregistered += 1;
            changed = true;
        } else {
            // Re-registration is proof of life: the health check starts over.
            let a = &mut self.agents[id as usize];
            a.set_info(info);
            a.awaiting_pong = false;
            a.missed_pongs = 0;
        }
        // Reconcile what the agent runs with what the master knows.
        for (fw, info) in tasks {
            let key = (fw, info.id);
            if self.tasks.get(&key).is_some_and(|t| t.agent == id) {
                continue;
            }
            let adopted = recovered.then_some(TaskEntry {
                agent: id,
                resources: info.resources,
                state: TaskState::Running,
            });
            let active = self.frameworks.get(fw as usize).is_some_and(|f| f.active);
            match adopted.or_else(|| self.unreachable.remove(&key)) {
                Some(entry) if active => {
                    self.used += entry.resources;
                    let a = &mut self.agents[id as usize];
                    a.used += entry.resources;
                    a.tasks.insert(key);
                    self.alloc.add_allocated(id, fw, entry.resources);
                    self.tasks.insert(
                        key,
                        TaskEntry {
                            state: TaskState::Running,
                            ..entry
                        },
                    );
                    if !recovered {
                        let status = TaskStatus {
                            task: info.id,
                            state: TaskState::Running,
                            agent: Some(id),
                            reason: Reason::AgentReregistered,
                            uuid: None,
                        };
                        self.update(ctx, fw, status);
                    }
                }
                _ => ctx.send(
                    from,
                    Msg::KillTask {
                        framework: fw,
                        task: info.id,
                    },
                ),
            }
        }
        let reply = Msg::AgentRegistered { id };
        if changed {
            self.persist(
                ctx,
                [Record::Agent(id)],
                Some(Admission::Reply(from, reply)),
            );
        } else {
            ctx.send(from, reply);
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
        let removed = self
            .agent_by_actor
            .get(from)
            .is_some_and(|a| self.agents[a as usize].removed);
        if removed && self.cfg.agent_return == AgentReturn::Shutdown {
            self.counters.agents_shutdown += 1;
            ctx.send(from, Msg::ShutdownAgent);
        }
    }

    /// Sends the pings due now, one timer for all (see [`super::pings`]).
    pub(super) fn sweep_pings(&mut self, ctx: &mut Ctx<Mesos>) {
        for (due, id) in self.pings.take_due(ctx.now()) {
            let a = &self.agents[id as usize];
            if !a.removed && a.next_ping == due {
                self.ping(ctx, id);
            }
        }
        self.arm_ping_sweep(ctx);
    }

    fn ping(&mut self, ctx: &mut Ctx<Mesos>, id: AgentId) {
        let max = self.cfg.max_agent_ping_timeouts;
        let a = &mut self.agents[id as usize];
        if a.awaiting_pong {
            a.missed_pongs += 1;
        }
        if a.missed_pongs >= max {
            self.remove_agent(ctx, id);
            return;
        }
        a.awaiting_pong = true;
        let actor = a.actor;
        ctx.send(actor, Msg::Ping);
        self.schedule_ping(ctx, id);
    }

    /// Arms `id`'s next ping, one ping timeout from now.
    fn schedule_ping(&mut self, ctx: &mut Ctx<Mesos>, id: AgentId) {
        let due = ctx.now().saturating_add(self.cfg.agent_ping_timeout);
        self.agents[id as usize].next_ping = due;
        self.pings.push(due, id);
        self.arm_ping_sweep(ctx);
    }

    fn arm_ping_sweep(&mut self, ctx: &mut Ctx<Mesos>) {
        if let Some(at) = self.pings.next_sweep() {
            ctx.set_timer(at.saturating_sub(ctx.now()), Timer::PingSweep(self.term));
        }
    }

    /// Removes an unreachable agent: its offers are rescinded, its resources leave the
    /// pool, its tasks are LOST (UNREACHABLE for partition-aware frameworks under the
    /// re-register policy), said once the removal is in the registry.
    pub(super) fn remove_agent(&mut self, ctx: &mut Ctx<Mesos>, id: AgentId) {
        self.counters.agents_removed += 1;
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
        let tasks: Vec<(FrameworkId, TaskId)> = std::mem::take(&mut a.tasks).into_iter().collect();
        self.total -= a.total;
        self.used -= a.used;
        a.used = Resources::ZERO;
        let mut verdicts = Vec::new();
        for key in tasks {
            let Some(entry) = self.tasks.remove(&key) else {
                continue;
            };
            let aware = self.frameworks[key.0 as usize].partition_aware
                && self.cfg.agent_return == AgentReturn::Reregister;
            let state = if aware {
                self.unreachable.insert(key, entry);
                TaskState::Unreachable
            } else {
                TaskState::Lost
            };
            let status = TaskStatus {
                task: key.1,
                state,
                agent: Some(id),
                reason: Reason::AgentRemoved,
                uuid: None,
            };
            verdicts.push((key.0, status));
        }
        // As Mesos marks an agent unreachable in the registry before it tells anyone:
        // a successor that never saw the removal adopts the tasks instead of a
        // framework having relaunched them.
        self.persist(
            ctx,
            [Record::Agent(id)],
            Some(Admission::Verdicts(verdicts)),
        );
        self.request_allocation(ctx);
    }
}
