//! What an actor's effects act on: the event queue, the network and the epochs.
//!
//! Kept apart from the actors and their per-actor state so that a handler's [`Ctx`]
//! can hold it mutably next to the actor's own random stream and durable store, and
//! apply each `send`, `set_timer` or `cancel_timer` the moment it is made. (Buffering
//! effects and applying them after the handler returns moved every message twice; the
//! outcome is the same either way, because a handler cannot observe the engine between
//! two of its own effects.)
//!
//! [`Ctx`]: crate::actor::Ctx

use super::net::{Network, Route};
use super::queue::{EventQueue, Handle};
use super::NetStats;
use crate::actor::{ActorId, Protocol, Time, TimerId};
use rand_chacha::ChaCha8Rng;

/// An event in the queue.
pub(crate) enum Ev<P: Protocol> {
    /// A message; `epoch` is the incarnation of `to` it was sent to.
    Msg {
        from: ActorId,
        to: ActorId,
        epoch: u32,
        msg: P::Msg,
    },
    /// A timer of incarnation `epoch` of `to`; its [`TimerId`] is its queue handle.
    Timer {
        to: ActorId,
        epoch: u32,
        timer: P::Timer,
    },
    /// A timer cancelled while queued: popped and dropped unseen.
    Cancelled,
    Start(ActorId),
    Fault(u32),
}

/// The engine state that handlers' effects change.
pub(crate) struct Kernel<P: Protocol> {
    pub(crate) now: Time,
    pub(crate) queue: EventQueue<Ev<P>>,
    pub(crate) net: Network,
    pub(crate) net_rng: ChaCha8Rng,
    /// Incarnation of each actor: bumped at a crash and at a restart, so that what was
    /// addressed to an earlier incarnation (messages, timers) never reaches a later one.
    pub(crate) epoch: Vec<u32>,
    pub(crate) stats: NetStats,
    pub(crate) stop_requested: bool,
    /// Per watched actor: who linked to it, with the watcher's epoch at the time.
    pub(crate) links: Vec<Vec<(ActorId, u32)>>,
}

impl<P: Protocol> Kernel<P> {
    pub(crate) fn new(net_rng: ChaCha8Rng) -> Self {
        Kernel {
            now: 0,
            queue: EventQueue::new(),
            net: Network::default(),
            net_rng,
            epoch: Vec::new(),
            stats: NetStats::default(),
            stop_requested: false,
            links: Vec::new(),
        }
    }

    pub(crate) fn link(&mut self, me: ActorId, peer: ActorId) {
        let epoch = self.epoch[me.index()];
        let watchers = &mut self.links[peer.index()];
        if !watchers.contains(&(me, epoch)) {
            watchers.push((me, epoch));
        }
    }

    /// `dead` crashed: every watcher still in the incarnation that linked hears of it.
    pub(crate) fn notify_exited(&mut self, dead: ActorId) {
        let Some(msg) = P::exited(dead) else {
            return;
        };
        for (w, epoch) in std::mem::take(&mut self.links[dead.index()]) {
            if self.epoch[w.index()] == epoch {
                self.send(dead, w, msg.clone());
            }
        }
    }

    /// Sends `msg` now: the network decides whether, when and how often it arrives.
    #[inline]
    pub(crate) fn send(&mut self, from: ActorId, to: ActorId, msg: P::Msg) {
        self.stats.sent += 1;
        let epoch = self.epoch[to.index()];
        match self.net.route(self.now, from, to, &mut self.net_rng) {
            Route::Deliver(at) => {
                self.queue.push(
                    at,
                    Ev::Msg {
                        from,
                        to,
                        epoch,
                        msg,
                    },
                );
            }
            Route::Duplicated(a, b) => {
                self.stats.duplicated += 1;
                let copy = msg.clone();
                self.queue.push(
                    a,
                    Ev::Msg {
                        from,
                        to,
                        epoch,
                        msg: copy,
                    },
                );
                self.queue.push(
                    b,
                    Ev::Msg {
                        from,
                        to,
                        epoch,
                        msg,
                    },
                );
            }
            Route::Dropped => self.stats.lost += 1,
            Route::Partitioned => self.stats.partitioned += 1,
        }
    }

    #[inline]
    pub(crate) fn set_timer(&mut self, me: ActorId, after: Time, timer: P::Timer) -> TimerId {
        let epoch = self.epoch[me.index()];
        let h = self.queue.push(
            self.now.saturating_add(after),
            Ev::Timer {
                to: me,
                epoch,
                timer,
            },
        );
        TimerId(h.to_bits())
    }

    /// Cancels `id` if it is a pending timer of `me`; anything else is a no-op.
    #[inline]
    pub(crate) fn cancel_timer(&mut self, me: ActorId, id: TimerId) {
        if let Some(ev) = self.queue.get_mut(Handle::from_bits(id.0)) {
            if matches!(ev, Ev::Timer { to, .. } if *to == me) {
                *ev = Ev::Cancelled;
            }
        }
    }
}

impl<P: Protocol> crate::actor::EffectSink<P> for Kernel<P> {
    #[inline]
    fn now(&self) -> Time {
        self.now
    }
    #[inline]
    fn send(&mut self, from: ActorId, to: ActorId, msg: P::Msg) {
        Kernel::send(self, from, to, msg)
    }
    #[inline]
    fn set_timer(&mut self, me: ActorId, after: Time, timer: P::Timer) -> TimerId {
        Kernel::set_timer(self, me, after, timer)
    }
    #[inline]
    fn cancel_timer(&mut self, me: ActorId, id: TimerId) {
        Kernel::cancel_timer(self, me, id)
    }
    #[inline]
    fn link(&mut self, me: ActorId, peer: ActorId) {
        Kernel::link(self, me, peer)
    }
    #[inline]
    fn request_stop(&mut self) {
        self.stop_requested = true;
    }
}
