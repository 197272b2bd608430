//! Oversubscription: revocable CPUs from the idle part of what tasks were allocated
//! (Mesos `docs/oversubscription.md`, 0.23+).
//!
//! In Mesos an agent's *resource estimator* says how much of what is allocated is not
//! used; the agent polls it every `--oversubscribed_resources_interval` (15 s) and, when
//! the answer changed (and on every (re-)registration), sends the master its revocable
//! *total*: the revocable resources its tasks already use plus the estimator's output
//! (`Slave::_forwardOversubscribed` adds `allocatedResources().revocable()`). The master
//! replaces the agent's revocable total in the allocator (`updateSlave`) and rescinds
//! every outstanding offer of the agent that holds revocable resources, whether the
//! estimate grew or shrank (`Master::updateSlave`: "we only rescind offers containing
//! revocable resources to reduce churn"). The allocator offers revocable resources only
//! to frameworks with the `REVOCABLE_RESOURCES` capability, counts them in DRF shares
//! and never in quota (`alloc::round`). The agent's *QoS controller* watches for
//! interference and kills revocable tasks; the agent applies its corrections at once
//! (`--qos_correction_interval_min`, default 0 s) and reports each killed task
//! TASK_LOST (TASK_GONE to a partition-aware framework) with
//! `REASON_CONTAINER_PREEMPTED`.
//!
//! schedlab has no per-task usage, so the estimator and the controller work from one
//! number per agent group, `usage`: the share of their CPUs that regular tasks use.
//! - Estimator: the idle allocation is `(1 - usage) x` the CPUs of the regular tasks
//!   running on the agent; it offers `offer x idle` minus the revocable CPUs in use.
//!   (Mesos ships only the `fixed` estimator, a constant; an estimator from usage is
//!   what the design expects a real deployment to plug in.)
//! - QoS controller: interference is revocable CPUs in use beyond the idle allocation
//!   (regular tasks ended, so what the revocable tasks borrowed is needed back); on
//!   interference it kills *every* revocable task on the agent, as Mesos' only shipped
//!   controller (`load`: "Set kill correction for all revocable executors") does when the
//!   load passes its threshold.
//! - After a correction the agent forwards its new estimate at once, where Mesos
//!   forwards at the next poll. Without it the master re-offers the killed tasks'
//!   revocable CPUs from the stale estimate for up to `interval`, and a framework that
//!   relaunches at once (schedlab's Aurora does: Aurora's flapping-task back-off, 30 s
//!   and more, is not modelled) is killed again on every launch: thousands of kills in
//!   15 s in the test below, where the real system would see a handful.
//!
//! Only CPUs are made revocable (Mesos recommends compressible resources only; Aurora's
//! revocable tier takes only CPUs revocable, `ResourceType.CPUS.isMesosRevocable`).

use crate::actor::{Time, SEC};
use crate::resources::Resources;
use serde::{Deserialize, Serialize};

/// Mesos' `--oversubscribed_resources_interval` default.
pub const DEFAULT_INTERVAL: Time = 15 * SEC;

/// An agent group's oversubscription (`[agents.oversubscription]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Oversubscription {
    /// Share of their allocated CPUs that regular tasks use; the rest is idle.
    pub usage: f64,
    /// Share of the idle allocation the estimator offers as revocable (below 1: a
    /// safety margin against interference).
    #[serde(default = "one")]
    pub offer: f64,
    /// How often the agent polls its estimator (Mesos
    /// `--oversubscribed_resources_interval`, 15 s).
    #[serde(default = "default_interval", with = "crate::units::duration")]
    pub interval: Time,
}

fn one() -> f64 {
    1.0
}
fn default_interval() -> Time {
    DEFAULT_INTERVAL
}

impl Oversubscription {
    /// `None` if valid, else the key at fault and why.
    pub fn invalid(&self) -> Option<(&'static str, String)> {
        for (key, v) in [("usage", self.usage), ("offer", self.offer)] {
            if !(0.0..=1.0).contains(&v) {
                return Some((key, format!("must be a share in [0, 1], not {v}")));
            }
        }
        (self.interval == 0).then(|| ("interval", "must be positive".to_string()))
    }

    /// The idle part of what the regular tasks were allocated (thousandths of a CPU).
    pub fn idle(&self, regular_cpus: u64) -> u64 {
        (regular_cpus as f64 * (1.0 - self.usage)).floor() as u64
    }

    /// The revocable total the agent reports: what its revocable tasks use plus what
    /// the estimator offers on top (never less than what is in use).
    pub fn reported(&self, used: &Resources) -> Resources {
        let offered = (self.idle(used.cpus) as f64 * self.offer).floor() as u64;
        Resources {
            revocable_cpus: offered.max(used.revocable_cpus),
            ..Resources::ZERO
        }
    }

    /// Does the QoS controller see interference: revocable CPUs in use beyond the
    /// idle allocation?
    pub fn interferes(&self, used: &Resources) -> bool {
        used.revocable_cpus > self.idle(used.cpus)
    }
}

impl super::master::Master {
    /// An agent's new revocable total (Mesos' `Master::updateSlave` with
    /// `oversubscribed_resources`): ignored if unchanged or if the agent is not
    /// admitted; otherwise the allocator takes the agent's new total (which, as Mesos'
    /// `updateSlave`, clears its decline filters), every outstanding offer of the agent
    /// that holds revocable CPUs is rescinded, and the agent is allocated again.
    pub(super) fn update_oversubscribed(
        &mut self,
        ctx: &mut crate::actor::Ctx<crate::proto::Mesos>,
        from: crate::actor::ActorId,
        oversubscribed: Resources,
    ) {
        let Some(id) = self.agent_by_actor.get(from) else {
            return;
        };
        let a = &mut self.agents[id as usize];
        if a.removed || a.oversubscribed == oversubscribed {
            return;
        }
        a.oversubscribed = oversubscribed;
        let total = a.total + oversubscribed;
        self.alloc.add_agent(id, total);
        let revocable: Vec<_> = self
            .offers
            .iter()
            .filter(|(_, o)| o.agent == id && o.resources.revocable_cpus > 0)
            .map(|(&oid, _)| oid)
            .collect();
        for oid in revocable {
            self.rescind_offer(ctx, oid);
        }
        self.request_agent_allocation(ctx, id);
    }
}
