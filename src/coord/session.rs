//! Session liveness at the ensemble leader, and what an answered ping proves.
//!
//! As in ZooKeeper, only the leader expires sessions (its `SessionTracker`), by
//! proposing a `CloseSession` transaction; followers relay their clients' pings to it,
//! gathered into one `Touches` message per half tick (the leader answers them in one
//! `ToClients`). Batching delays when the leader learns of a ping, never what the ping
//! proves: the leader still receives it after its send time `s`.
//! Deadlines are in-memory: a new leader restarts the countdown of every session, as
//! ZooKeeper does, so a leader change never expires a session early.
//!
//! What an answered ping proves (a client that wanted "no two leaders at once" would
//! have to stop acting on its ephemeral nodes *before* the ensemble can delete them;
//! Mesos' recipes do not, they follow `zookeeper::Group`'s local timer, see
//! [`super::group`], and neither do schedlab's). The client
//! timestamps each ping with its send time `s`; the leader answers it only while it
//! holds a quorum lease, and then the session's deadline at that leader is at least
//! `s + timeout` (the leader received the ping after `s`). A newer leader could have
//! taken over meanwhile; it sets every deadline to at least `T2 + timeout + sync_timeout`
//! where `T2` is when it was established. The old leader answers pings only while a
//! quorum acknowledged, within `sync_timeout`, a heartbeat it sent; any quorum includes a
//! server that switched to the new epoch before `T2`, so that heartbeat was sent before
//! `T2` and every answered ping has `s < T2 + sync_timeout`. Hence the client may treat
//! its session as alive until `s + timeout` for the newest answered `s`, and no server
//! expires it before then. A single virtual clock makes this exact; real systems need
//! a clock-drift margin.

use super::msg::SessionId;
use crate::actor::Time;
use std::collections::{BTreeMap, BTreeSet};

/// The leader's session deadlines, also ordered by time so that a tick finds the
/// expired sessions without looking at the live ones (12,500 agents' sessions at a
/// Borg-size cell).
///
/// The time order is kept lazily: a touch only moves the session's deadline, and the
/// session's entry in `due` stays at its older, earlier time until it comes up; it is
/// then filed again at the deadline it has by then. Every open session has one entry in
/// `due` at or before its deadline, so none expires late, and a touch costs one map
/// update instead of three (entries of closed sessions are dropped as they come up).
#[derive(Clone, Debug, Default)]
pub struct SessionTracker {
    deadline: BTreeMap<SessionId, (Time, Time)>,
    /// `(time, session)`: the session is due no earlier than `time`.
    due: BTreeSet<(Time, SessionId)>,
    closing: BTreeSet<SessionId>,
}

impl SessionTracker {
    /// A new leader's tracker: every open session gets a full timeout plus
    /// `grace` from `now`.
    pub fn restart(
        sessions: impl Iterator<Item = (SessionId, Time)>,
        now: Time,
        grace: Time,
    ) -> Self {
        let mut t = SessionTracker::default();
        for (s, timeout) in sessions {
            t.add_at(s, now + timeout + grace, timeout);
        }
        t
    }

    fn add_at(&mut self, s: SessionId, deadline: Time, timeout: Time) {
        if let Some((old, _)) = self.deadline.insert(s, (deadline, timeout)) {
            self.due.remove(&(old, s));
        }
        if !self.closing.contains(&s) {
            self.due.insert((deadline, s));
        }
    }

    /// A session being created (its deadline runs from now).
    pub fn add(&mut self, s: SessionId, timeout: Time, now: Time) {
        self.add_at(s, now + timeout, timeout);
    }

    /// Pushes a live session's deadline to `now + timeout`. False if the session is
    /// unknown or already being closed: the client must be told it expired.
    pub fn touch(&mut self, s: SessionId, now: Time) -> bool {
        if self.closing.contains(&s) {
            return false;
        }
        match self.deadline.get_mut(&s) {
            Some((d, timeout)) => {
                *d = (*d).max(now + *timeout);
                true
            }
            None => false,
        }
    }

    pub fn is_live(&self, s: SessionId) -> bool {
        self.deadline.contains_key(&s) && !self.closing.contains(&s)
    }

    /// Sessions past their deadline, now marked closing (to be proposed once), by id.
    pub fn take_expired(&mut self, now: Time) -> Vec<SessionId> {
        let mut due = Vec::new();
        while let Some(&(t, s)) = self.due.first() {
            if t > now {
                break;
            }
            self.due.pop_first();
            match self.deadline.get(&s) {
                Some(_) if self.closing.contains(&s) => {}
                Some(&(d, _)) if d > now => {
                    self.due.insert((d, s)); // touched since it was filed
                }
                Some(_) => {
                    self.closing.insert(s);
                    due.push(s);
                }
                None => {} // removed
            }
        }
        due.sort_unstable();
        due
    }

    /// Marks a session closing on its client's request.
    /// Its entry in `due` is dropped when it comes up.
    pub fn close(&mut self, s: SessionId) -> bool {
        self.deadline.contains_key(&s) && self.closing.insert(s)
    }

    /// The `CloseSession` committed: forget the session (its entry in `due`, if
    /// still there, is dropped when it comes up).
    pub fn remove(&mut self, s: SessionId) {
        self.deadline.remove(&s);
        self.closing.remove(&s);
    }

    pub fn deadline(&self, s: SessionId) -> Option<Time> {
        self.deadline.get(&s).map(|(d, _)| *d)
    }
}
