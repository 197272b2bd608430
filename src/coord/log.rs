//! A server's transaction log on its "disk" ([`Durable`]): what a ZooKeeper server
//! fsyncs before acknowledging a proposal, plus the epochs Zab keeps on disk
//! (`acceptedEpoch`, `currentEpoch`) and how far the log is known committed.
//!
//! Entries are stored one key each (`coord/log/<index>`) so an append writes one
//! entry, not the whole log. A restarted server rebuilds its tree by replaying the
//! committed prefix; the uncommitted suffix waits for the next leader's sync, which
//! keeps it (DIFF) or replaces it (SNAP). There is no snapshotting or compaction yet:
//! the log grows with the number of writes, which is small for leader election.

use super::msg::{epoch_of, Zxid};
use super::tree::Txn;
use crate::actor::{ActorId, Durable, Time};
use serde::{Deserialize, Serialize};

/// Who asked for a transaction, so that the server the client is connected to can
/// answer once it has applied it (ZooKeeper's request header: session and cxid).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Origin {
    pub server: ActorId,
    pub client: ActorId,
    pub req: u64,
    /// For a `CreateSession`: the client's `Connect` time, echoed in `ConnectOk`.
    pub sent_at: Time,
}

/// One log entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    pub zxid: Zxid,
    pub txn: Txn,
    pub origin: Option<Origin>,
}

const ACCEPTED: &str = "coord/accepted_epoch";
const CURRENT: &str = "coord/current_epoch";
const LEN: &str = "coord/log_len";
const COMMITTED: &str = "coord/committed";

fn key(i: usize) -> String {
    format!("coord/log/{i}")
}

/// The log and the durable epochs, mirrored in memory.
#[derive(Clone, Debug, Default)]
pub struct TxnLog {
    entries: Vec<Entry>,
    committed: usize,
    /// Zab's `acceptedEpoch`: the highest NEWEPOCH this server promised to follow.
    pub accepted_epoch: u32,
    /// Zab's `currentEpoch`: the epoch of the last leader whose history it adopted.
    pub current_epoch: u32,
}

impl TxnLog {
    /// Reads the log back after a (re)start.
    pub fn load(d: &Durable) -> TxnLog {
        let len: usize = d.get(LEN).unwrap_or(0);
        let entries: Vec<Entry> = (0..len)
            .map(|i| d.get(&key(i)).expect("log entries below log_len exist"))
            .collect();
        TxnLog {
            committed: d.get::<usize>(COMMITTED).unwrap_or(0).min(len),
            entries,
            accepted_epoch: d.get(ACCEPTED).unwrap_or(0),
            current_epoch: d.get(CURRENT).unwrap_or(0),
        }
    }

    pub fn set_accepted_epoch(&mut self, d: &mut Durable, e: u32) {
        self.accepted_epoch = e;
        d.put(ACCEPTED, &e);
    }

    pub fn set_current_epoch(&mut self, d: &mut Durable, e: u32) {
        self.current_epoch = e;
        d.put(CURRENT, &e);
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn last_zxid(&self) -> Zxid {
        self.entries.last().map_or(0, |e| e.zxid)
    }

    /// Number of entries known committed (a prefix).
    pub fn committed(&self) -> usize {
        self.committed
    }

    pub fn committed_zxid(&self) -> Zxid {
        if self.committed == 0 {
            0
        } else {
            self.entries[self.committed - 1].zxid
        }
    }

    /// Index just after the entry with this zxid (0 for zxid 0), if the log has it.
    pub fn end_of(&self, z: Zxid) -> Option<usize> {
        if z == 0 {
            return Some(0);
        }
        self.entries
            .binary_search_by_key(&z, |e| e.zxid)
            .ok()
            .map(|i| i + 1)
    }

    /// The zxid that must come next after the log's end, in `epoch`.
    pub fn next_zxid(&self, epoch: u32) -> Zxid {
        let last = self.last_zxid();
        if epoch_of(last) == epoch {
            last + 1
        } else {
            super::msg::zxid(epoch, 1)
        }
    }

    pub fn append(&mut self, d: &mut Durable, e: Entry) {
        debug_assert!(e.zxid > self.last_zxid(), "log zxids increase");
        d.put(&key(self.entries.len()), &e);
        self.entries.push(e);
        d.put(LEN, &self.entries.len());
    }

    /// Replaces everything after index `keep` with `tail` (a leader's DIFF after the
    /// follower's last entry, or a SNAP with `keep = 0`).
    pub fn replace_from(&mut self, d: &mut Durable, keep: usize, tail: Vec<Entry>) {
        debug_assert!(keep >= self.committed, "never rewrite committed entries");
        self.entries.truncate(keep);
        for e in tail {
            d.put(&key(self.entries.len()), &e);
            self.entries.push(e);
        }
        d.put(LEN, &self.entries.len());
    }

    /// Marks the first `n` entries committed; returns the newly committed ones' range.
    pub fn commit_to(&mut self, d: &mut Durable, n: usize) -> std::ops::Range<usize> {
        let n = n.min(self.entries.len());
        if n <= self.committed {
            return self.committed..self.committed;
        }
        let r = self.committed..n;
        self.committed = n;
        d.put(COMMITTED, &n);
        r
    }

    /// Number of entries with zxid <= `z`.
    pub fn count_upto(&self, z: Zxid) -> usize {
        self.entries.partition_point(|e| e.zxid <= z)
    }
}
