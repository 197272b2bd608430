//! A real-mode cluster in one process as the driver's [`Runtime`]: every node is live
//! in this process, so the driver can read the leader and the frameworks from their
//! actors while they talk over loopback TCP, on the scaled wall clock.

use super::clock::Clock;
use super::node::Shared;
use crate::actor::{ActorId, Time};
use crate::driver::{agent_events_of, Advanced, Ended, Runtime};
use crate::frameworks::FrameworkStatus;
use crate::mesos::agent::Agent;
use crate::mesos::master::Master;
use crate::sim::{NetStats, StopReason};
use std::rc::Rc;
use std::time::Duration;

/// The nodes of a cluster hosted in this process, and the clock they share.
pub(crate) struct InProcess {
    pub nodes: Vec<Rc<Shared>>,
    pub masters: Vec<ActorId>,
    pub frameworks: Vec<crate::frameworks::FrameworkActor>,
    pub agents: Vec<ActorId>,
    pub clock: Clock,
    pub stop_at: Time,
    /// When the run started and how long it may take at most, in wall time.
    #[allow(clippy::disallowed_types)] // real-network mode: wall clock by design
    pub wall: std::time::Instant,
    pub max_wall: Option<Duration>,
    /// The clock's reading after the last wait: what the driver samples up to.
    pub now: Time,
}

impl InProcess {
    /// Calls `f` with every node's live actor (`None`: not started yet, or crashed).
    fn with_actors<R>(
        &self,
        f: impl for<'g> FnOnce(&'g dyn Fn(ActorId) -> Option<&'g dyn std::any::Any>) -> R,
    ) -> R {
        let guards: Vec<_> = self.nodes.iter().map(|n| n.actor.borrow()).collect();
        let any = |id: ActorId| guards[id.index()].as_deref().map(|a| a.as_any());
        f(&any)
    }

    /// The masters alive among `any`'s actors, in id order.
    fn live_masters<'g>(
        &self,
        any: &'g dyn Fn(ActorId) -> Option<&'g dyn std::any::Any>,
    ) -> Vec<(ActorId, &'g Master)> {
        self.masters
            .iter()
            .filter_map(|&id| any(id)?.downcast_ref::<Master>().map(|m| (id, m)))
            .collect()
    }
}

impl Runtime for InProcess {
    fn now(&self) -> Time {
        self.now
    }

    fn settled_until(&self) -> Option<Time> {
        Some(self.now.saturating_add(1))
    }

    #[allow(clippy::disallowed_methods)] // real-network mode: wall clock by design
    async fn advance(&mut self, stop_at: Time, next_sample: Time) -> Advanced {
        if self.now >= stop_at || self.max_wall.is_some_and(|w| self.wall.elapsed() >= w) {
            return Advanced::PastStop;
        }
        let nap = self
            .clock
            .wall(next_sample.saturating_sub(self.now))
            .min(Duration::from_millis(10));
        tokio::time::sleep(nap.max(Duration::from_millis(1))).await;
        self.now = self.clock.now();
        // Anything may have happened while this task slept.
        Advanced::Ran {
            leader_may_change: true,
        }
    }

    fn leader(&self) -> Option<&str> {
        let leading = self.with_actors(|any| {
            let live = self.live_masters(any);
            live.iter().find(|(_, m)| m.is_leading()).map(|(id, _)| *id)
        });
        leading.map(|id| self.nodes[id.index()].name.as_str())
    }

    fn all_done(&self) -> bool {
        self.with_view(|_, st| st.iter().all(|s| s.is_some_and(|s| s.done())))
    }

    fn stop_requested(&self) -> bool {
        self.nodes.iter().any(|n| n.stop_requested.get())
    }

    fn with_view<R>(
        &self,
        f: impl FnOnce(Option<&Master>, &[Option<&dyn FrameworkStatus>]) -> R,
    ) -> R {
        self.with_actors(|any| {
            let live = self.live_masters(any);
            let view = live
                .iter()
                .find(|(_, m)| m.is_leading())
                .or(live.first())
                .map(|(_, m)| *m);
            let st: Vec<Option<&dyn FrameworkStatus>> = self
                .frameworks
                .iter()
                .map(|f| any(f.id).and_then(|a| f.status(a)))
                .collect();
            f(view, &st)
        })
    }

    fn finish(&mut self, _reason: StopReason) -> Ended {
        let end = self.clock.now().min(self.stop_at);
        // Stop every node before reading the final state.
        for n in &self.nodes {
            let _ = n.shutdown.send(true);
        }
        let agents = self.with_actors(|any| {
            let ms: Vec<&Master> = self.live_masters(any).into_iter().map(|(_, m)| m).collect();
            let ags = self
                .agents
                .iter()
                .filter_map(|&id| any(id)?.downcast_ref::<Agent>());
            agent_events_of(&ms, ags)
        });
        let counters: Vec<_> = self
            .nodes
            .iter()
            .map(|n| n.counters.borrow().clone())
            .collect();
        Ended {
            end,
            fingerprint: "real".to_string(),
            events: counters.iter().map(|c| c.delivered).sum(),
            agents,
            network: NetStats {
                sent: counters.iter().map(|c| c.frames_sent).sum(),
                lost: counters.iter().map(|c| c.sends_dropped).sum(),
                ..Default::default()
            },
        }
    }
}
