//! The local session timer of Mesos' `zookeeper::Group`, shared by the recipes on top
//! of the client ([`super::Election`], [`super::LeaderDetector`]).
//!
//! A ZooKeeper client cut off from the ensemble cannot learn that its session expired
//! until it reconnects, which may be long after the ensemble expired it and another
//! candidate took over ("a prolonged split-brain", `src/zookeeper/group.cpp`,
//! `GroupProcess::reconnecting`). Mesos' `Group` therefore starts a timer of the
//! negotiated session timeout when the client reports the disconnection, cancels it
//! when the client reconnects (`GroupProcess::connected`), and when it fires with the
//! same session still cut off, expires the session *locally* (`GroupProcess::timedout`
//! -> `expired`): its memberships are gone from its point of view (a contender loses
//! its candidacy, a detector sees no leader until it has read the group again) and it
//! opens a new session with a new client.
//!
//! So a leader cut off from the ensemble steps down one session timeout after its
//! client noticed the disconnection (itself up to two thirds of a timeout after the
//! last answer), not earlier: the ensemble may have expired its session and elected a
//! successor meanwhile, and for that overlap two masters act as leader. Mesos relies on
//! its registry to fence the deposed one; so does schedlab (`mesos/ha.rs`).

use super::client::{CoordClient, CoordEvent};
use super::msg::{CoordTimer, SessionId};
use super::CoordProtocol;
use crate::actor::{Ctx, Time, TimerId};

/// One recipe's local session timer.
#[derive(Clone, Debug, Default)]
pub struct LocalExpiry {
    /// The session cut off, since when, and its timer.
    armed: Option<(SessionId, Time, TimerId)>,
}

impl LocalExpiry {
    /// When the current session was found cut off, while its timer runs.
    pub fn cut_off_since(&self) -> Option<Time> {
        self.armed.map(|(_, t, _)| t)
    }

    /// Follows the client: arms the timer on `Disconnected`, cancels it when the
    /// client reconnects or learns the session's fate from the ensemble.
    pub fn observe(
        &mut self,
        client: &CoordClient,
        ctx: &mut Ctx<impl CoordProtocol>,
        ev: &CoordEvent,
    ) {
        match ev {
            CoordEvent::Disconnected => {
                if let (Some(session), None) = (client.session(), self.armed) {
                    let t =
                        super::set_timer(ctx, client.session_timeout(), CoordTimer::Group(session));
                    self.armed = Some((session, ctx.now(), t));
                }
            }
            CoordEvent::Connected { .. } | CoordEvent::SessionExpired => self.disarm(ctx),
            _ => {}
        }
    }

    /// Forgets the timer (the recipe starts over with a new session).
    pub fn disarm(&mut self, ctx: &mut Ctx<impl CoordProtocol>) {
        if let Some((_, _, t)) = self.armed.take() {
            ctx.cancel_timer(t);
        }
    }

    /// True if `t` is this recipe's timer and the session it was armed for is still
    /// the client's and still cut off: the recipe must expire it locally. The client
    /// is then abandoned and a new session opened, as `GroupProcess::expired` replaces
    /// its ZooKeeper client.
    pub fn fired(
        &mut self,
        client: &mut CoordClient,
        ctx: &mut Ctx<impl CoordProtocol>,
        t: &CoordTimer,
    ) -> bool {
        let CoordTimer::Group(session) = t else {
            return false;
        };
        let Some((armed, _, _)) = self.armed else {
            return false;
        };
        if armed != *session {
            return false;
        }
        self.armed = None;
        if client.session() != Some(armed) || client.is_connected() {
            return false;
        }
        client.abandon(ctx);
        client.start(ctx);
        true
    }
}
