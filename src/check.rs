//! Invariants of a Mesos run, checked while it runs (after every event in tests).
//!
//! - No agent is over-committed: what its tasks use never exceeds its resources, in
//!   the agent's own accounting and in the master's.
//! - No offer is used twice: the tasks launched against one offer belong to the
//!   framework it was made to and together fit in it.
//! - Every launched task reaches a terminal state or is still running at the end.

use crate::actor::{ActorId, Time};
use crate::alloc::FrameworkId;
use crate::mesos::agent::Agent;
use crate::proto::{Msg, OfferId, TaskId};
use crate::resources::Resources;
use crate::run::Cluster;
use std::collections::{BTreeMap, BTreeSet};

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
        if let Some(m) = c.sim.actor::<crate::mesos::master::Master>(c.master) {
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

    /// At the end of a run: every launched task ended or is still running on an agent.
    pub fn check_end(&mut self, c: &Cluster) {
        let mut running = BTreeSet::new();
        for &a in &c.agents {
            if let Some(agent) = c.sim.actor::<Agent>(a) {
                running.extend(agent.tracked());
            }
        }
        for t in &self.launched {
            if !self.ended.contains(t) && !running.contains(t) {
                self.violations.push(format!(
                    "task {t:?} of framework {} was launched but neither ended nor is running",
                    t.0
                ));
            }
        }
    }
}
