//! Leader election among the servers: a small Fast Leader Election (ZooKeeper's
//! `FastLeaderElection`).
//!
//! A server that lost its leader (or just started) is LOOKING: it votes for itself with
//! its `(currentEpoch, last zxid, id)`, sends the vote to every peer, and adopts any
//! better vote it receives in the same round, forwarding it. Once a quorum's votes agree
//! with its own, it waits `finalize_wait` for a better one (ZooKeeper's 200 ms
//! `finalizeWait`), then follows or leads. Preferring the highest `(epoch, zxid)`
//! elects a server whose history holds every committed transaction; ties go to the
//! highest id. Servers already FOLLOWING or LEADING answer a LOOKING peer with their
//! state, which lets a restarted server join the running leader.
//!
//! The election only picks a *prospective* leader: Zab's discovery phase (new epoch
//! acknowledged by a quorum) is what makes two leaders harmless, see [`super::server`].

use super::msg::Zxid;
use crate::actor::ActorId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A vote; the derived order is the election's order: epoch, then zxid, then id.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Vote {
    pub epoch: u32,
    pub zxid: Zxid,
    pub leader: ActorId,
}

/// The state a server reports with its vote.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PeerState {
    Looking,
    Following,
    Leading,
}

/// What a received vote did to this server's election.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Received {
    /// This server's vote or round changed: send it to everyone.
    Changed,
    /// Counted; nothing to send.
    Counted,
    /// The sender is in an older round: send it this server's vote.
    Stale,
}

/// One server's view of an election in progress.
#[derive(Clone, Debug)]
pub struct Fle {
    pub round: u64,
    pub vote: Vote,
    own: Vote,
    me: ActorId,
    votes: BTreeMap<ActorId, Vote>,
}

impl Fle {
    /// Starts a new round voting for ourselves (`own.leader` is this server).
    pub fn new(round: u64, own: Vote) -> Fle {
        let mut votes = BTreeMap::new();
        votes.insert(own.leader, own);
        Fle {
            round,
            vote: own,
            own,
            me: own.leader,
            votes,
        }
    }

    pub fn receive(&mut self, from: ActorId, round: u64, vote: Vote) -> Received {
        if round < self.round {
            return Received::Stale;
        }
        let mut changed = false;
        if round > self.round {
            self.round = round;
            self.votes.clear();
            self.vote = self.own.max(vote);
            changed = true;
        } else if vote > self.vote {
            self.vote = vote;
            changed = true;
        }
        self.votes.insert(self.me, self.vote);
        // Within a round a server's vote only improves; keeping the best one received
        // makes a late, reordered notification harmless.
        let v = self.votes.entry(from).or_insert(vote);
        *v = (*v).max(vote);
        if changed {
            Received::Changed
        } else {
            Received::Counted
        }
    }

    /// True when a quorum of an ensemble of `n` agrees with this server's vote.
    pub fn has_quorum(&self, n: usize) -> bool {
        self.votes.values().filter(|v| **v == self.vote).count() > n / 2
    }
}
