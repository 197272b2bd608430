//! Invariants of a Mesos run, checked while it runs (after every event in tests).
//!
//! - No agent is over-committed: what its tasks use never exceeds its resources, in
//!   the agent's own accounting and in the master's.
//! - No offer is used twice: the tasks launched against one offer belong to the
//!   framework it was made to and together fit in it.
//! - Every launched task reaches a terminal state or is still running at the end (or
//!   is still live in the master's view, its agent's failure not yet detected).
//! - At most one master acts as the leader at any time (so at most one per epoch).
//! - No task runs twice: once an agent that was removed reconnects, none of the tasks
//!   reported LOST with it is still running there.

use crate::actor::{ActorId, Time};
use crate::alloc::{AgentId, FrameworkId};
use crate::mesos::agent::Agent;
use crate::mesos::master::AgentReturn;
use crate::proto::Mesos;
use crate::proto::{Msg, OfferId, Reason, TaskId};
use crate::resources::Resources;
use crate::run::Cluster;
use crate::sim::Observer;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

#[derive(Default)]
struct OfferUse {
    framework: FrameworkId,
    offered: Resources,
    launched: Resources,
    tasks: BTreeSet<TaskId>,
}

/// Collects violations; a run is correct when `violations` stays empty.
#[derive(Default)]
pub struct Checker {
    fw_by_actor: BTreeMap<ActorId, FrameworkId>,
    offers: BTreeMap<OfferId, OfferUse>,
    launched: BTreeSet<(FrameworkId, TaskId)>,
    ended: BTreeSet<(FrameworkId, TaskId)>,
    agent_actor: BTreeMap<AgentId, ActorId>,
    /// Tasks reported LOST because their agent was removed, by agent actor.
    lost_with_agent: BTreeMap<ActorId, BTreeSet<(FrameworkId, TaskId)>>,
    /// Agents that reconnected since the last state check.
    reconnected: BTreeSet<ActorId>,
    pub violations: Vec<String>,
}

impl Checker {
    pub fn observe(&mut self, time: Time, _from: ActorId, to: ActorId, msg: &Msg) {
        match msg {
            Msg::FrameworkRegistered { id } => {
                self.fw_by_actor.insert(to, *id);
            }
            Msg::Offers(offers) => {
                let Some(&fw) = self.fw_by_actor.get(&to) else {
                    return;
                };
                for o in offers {
                    self.offers.insert(
                        o.id,
                        OfferUse {
                            framework: fw,
                            offered: o.resources,
                            ..Default::default()
                        },
                    );
                }
            }
            Msg::RunTask {
                framework,
                offer,
                task,
            } => {
                self.launched.insert((*framework, task.id));
                let Some(u) = self.offers.get_mut(offer) else {
                    self.violations.push(format!(
                        "t={time}: task {:?} launched on unknown offer {offer}",
                        task.id
                    ));
                    return;
                };
                if u.framework != *framework {
                    self.violations.push(format!(
                        "t={time}: offer {offer} of framework {} used by framework {framework}",
                        u.framework
                    ));
                }
                if u.tasks.insert(task.id) {
                    u.launched += task.resources;
                    if !u.offered.contains(&u.launched) {
                        self.violations.push(format!(
                            "t={time}: offer {offer} ({}) used for {} (accepted twice?)",
                            u.offered, u.launched
                        ));
                    }
                }
            }
            Msg::StatusUpdate { framework, status } if status.state.is_terminal() => {
                self.ended.insert((*framework, status.task));
            }
            Msg::AgentRegistered { id, .. } => {
                self.agent_actor.insert(*id, to);
                if self.lost_with_agent.contains_key(&to) {
                    self.reconnected.insert(to);
                }
            }
            Msg::Update { status } if status.state.is_terminal() => {
                let Some(&fw) = self.fw_by_actor.get(&to) else {
                    return;
                };
                self.ended.insert((fw, status.task));
                if status.reason == Reason::AgentRemoved {
                    if let Some(&actor) = status.agent.and_then(|a| self.agent_actor.get(&a)) {
                        self.lost_with_agent
                            .entry(actor)
                            .or_default()
                            .insert((fw, status.task));
                    }
                }
            }
            _ => {}
        }
    }

    /// Checks the cluster's state now.
    pub fn check_state(&mut self, c: &Cluster) {
        let now = c.sim.now();
        for &a in &c.agents {
            if let Some(agent) = c.sim.actor::<Agent>(a) {
                if !agent.total().contains(&agent.used) {
                    self.violations.push(format!(
                        "t={now}: agent {} over-committed: uses {} of {}",
                        c.sim.name(a),
                        agent.used,
                        agent.total()
                    ));
                }
                if agent.refused > 0 {
                    self.violations.push(format!(
                        "t={now}: agent {} was sent tasks that do not fit",
                        c.sim.name(a)
                    ));
                }
            }
        }
        // Under Mesos 1.5+'s policy a returning agent keeps every task, those its
        // frameworks were told LOST included (they are told RUNNING again): that is
        // the design, not a task run twice.
        let keeps_tasks = c
            .live_masters()
            .any(|(_, m)| m.config().agent_return == AgentReturn::Reregister);
        for actor in std::mem::take(&mut self.reconnected) {
            let lost = self.lost_with_agent.remove(&actor).unwrap_or_default();
            if keeps_tasks {
                continue;
            }
            if let Some(agent) = c.sim.actor::<Agent>(actor) {
                for t in agent.running().filter(|t| lost.contains(t)) {
                    self.violations.push(format!(
                        "t={now}: task {t:?} was reported LOST but still runs on {} after it reconnected",
                        c.sim.name(actor)
                    ));
                }
            }
        }
        let leaders: Vec<&str> = c
            .live_masters()
            .filter(|(_, m)| m.is_leading())
            .map(|(id, _)| c.sim.name(id))
            .collect();
        if leaders.len() > 1 {
            self.violations.push(format!(
                "t={now}: {} masters act as leader at once: {}",
                leaders.len(),
                leaders.join(", ")
            ));
        }
        for (_, m) in c.live_masters() {
            for ag in &m.agents {
                if !ag.total.contains(&ag.used) {
                    self.violations.push(format!(
                        "t={now}: master over-commits agent {}: {} of {}",
                        ag.hostname, ag.used, ag.total
                    ));
                }
            }
        }
    }

    /// At the end of a run: every launched task ended, or runs on an agent, or the
    /// master still holds it on an agent it cannot currently hear (dead, partitioned or
    /// already removed, whose failure the health checks report in due time). A task the
    /// master believes live on a reachable agent that does not run it is a violation.
    pub fn check_end(&mut self, c: &Cluster) {
        let mut running = BTreeSet::new();
        for &a in &c.agents {
            if let Some(agent) = c.sim.actor::<Agent>(a) {
                running.extend(agent.tracked());
            }
        }
        let Some((leader, m)) = c.live_masters().find(|(_, m)| m.is_leading()) else {
            return;
        };
        for t in &self.launched {
            if self.ended.contains(t) || running.contains(t) {
                continue;
            }
            let Some(task) = m.tasks.get(t) else {
                continue; // the master ended it (its verdict may have been lost on the way)
            };
            let agent = &m.agents[task.agent as usize];
            let reachable = !agent.removed
                && c.sim.is_alive(agent.actor)
                && !c.sim.net().partitioned(leader, agent.actor);
            if reachable {
                self.violations.push(format!(
                    "task {t:?} is {:?} on {} in the master's view, but the agent does not run it",
                    task.state, agent.hostname
                ));
            }
        }
    }
}

/// Feeds a shared checker from the engine's deliveries.
pub struct CheckerTap(pub Rc<RefCell<Checker>>);

impl Observer<Mesos> for CheckerTap {
    fn on_message(&mut self, time: Time, from: ActorId, to: ActorId, msg: &Msg) {
        self.0.borrow_mut().observe(time, from, to, msg);
    }
}

/// Runs `c` until `stop`, checking every invariant after every event. Returns the first
/// violation, if any (the run stops there).
pub fn run_checked(c: &mut Cluster, stop: Time) -> Option<String> {
    let checker = Rc::new(RefCell::new(Checker::default()));
    c.sim.set_observer(Box::new(CheckerTap(checker.clone())));
    while c.sim.peek_time().is_some_and(|t| t <= stop) {
        c.sim.step();
        let mut ch = checker.borrow_mut();
        ch.check_state(c);
        if let Some(v) = ch.violations.first() {
            return Some(v.clone());
        }
    }
    let mut ch = checker.borrow_mut();
    ch.check_end(c);
    ch.violations.first().cloned()
}
