//! The wire vocabulary of the coordination service: client operations and their
//! results, watch events, the messages between clients and servers and among servers,
//! and the timers servers and clients set.
//!
//! Names follow ZooKeeper's (`create`/`delete`/`setData`/`getData`/`exists`/
//! `getChildren`; `NodeCreated`/`NodeDeleted`/`NodeDataChanged`/`NodeChildrenChanged`;
//! `NoNode`, `NodeExists`, `NotEmpty`, `BadVersion`, `NoChildrenForEphemerals`,
//! `ConnectionLoss`, `SessionExpired`) and Zab's (`FOLLOWERINFO`, `NEWEPOCH`,
//! `ACKEPOCH`, `NEWLEADER`, `PROPOSAL`, `ACK`, `COMMIT`), so a reader who knows the
//! real system finds their way.

use super::log::Entry;
use super::vote::{PeerState, Vote};
use crate::actor::{ActorId, Time};
use serde::{Deserialize, Serialize};

/// A session, as granted by the ensemble leader (the zxid of its `CreateSession`
/// transaction, so it is unique across leaders without any coordination).
pub type SessionId = u64;
/// A client-chosen request number, unique within one [`super::CoordClient`].
pub type ReqId = u64;
/// ZooKeeper transaction id: epoch in the high 32 bits, counter in the low 32.
pub type Zxid = u64;

/// Builds a zxid from its epoch and its counter within the epoch.
pub fn zxid(epoch: u32, counter: u32) -> Zxid {
    ((epoch as u64) << 32) | counter as u64
}

/// The epoch half of a zxid.
pub fn epoch_of(z: Zxid) -> u32 {
    (z >> 32) as u32
}

/// What a client asks of the znode tree.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Op {
    /// `sequential` appends the parent's 10-digit, zero-padded child counter to the
    /// name; `ephemeral` ties the node's life to the session.
    Create {
        path: String,
        data: Vec<u8>,
        ephemeral: bool,
        sequential: bool,
    },
    /// `version: None` deletes whatever the version (ZooKeeper's -1).
    Delete { path: String, version: Option<u32> },
    SetData {
        path: String,
        data: Vec<u8>,
        version: Option<u32>,
    },
    /// With `watch`, a one-shot data watch (changed or deleted).
    GetData { path: String, watch: bool },
    /// With `watch`, a one-shot watch: created (if absent), changed or deleted.
    Exists { path: String, watch: bool },
    /// With `watch`, a one-shot child watch (a child created or deleted, or the node deleted).
    GetChildren { path: String, watch: bool },
}

impl Op {
    /// Writes go through the ensemble leader and the replicated log; reads are answered
    /// by the server the client is connected to, from its own copy.
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Op::Create { .. } | Op::Delete { .. } | Op::SetData { .. }
        )
    }

    pub fn path(&self) -> &str {
        match self {
            Op::Create { path, .. }
            | Op::Delete { path, .. }
            | Op::SetData { path, .. }
            | Op::GetData { path, .. }
            | Op::Exists { path, .. }
            | Op::GetChildren { path, .. } => path,
        }
    }
}

/// A znode's metadata (ZooKeeper's `Stat`, minus the times).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Stat {
    /// Zxid of the transaction that created the node.
    pub czxid: Zxid,
    /// Zxid of the last change of the node's data.
    pub mzxid: Zxid,
    /// Zxid of the last change of the node's children.
    pub pzxid: Zxid,
    /// Number of data changes.
    pub version: u32,
    /// Number of child changes (creations and deletions); also the next sequence number.
    pub cversion: u32,
    /// The owning session of an ephemeral node.
    pub ephemeral_owner: Option<SessionId>,
    pub num_children: u32,
}

/// The answer to an [`Op`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OpResult {
    /// The created node's actual path (with the sequence suffix if sequential).
    Created(String),
    Deleted,
    Set(Stat),
    Data(Vec<u8>, Stat),
    Exists(Option<Stat>),
    /// Child names (not paths), sorted.
    Children(Vec<String>),
}

/// Why an operation failed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CoordError {
    NoNode,
    NodeExists,
    NotEmpty,
    BadVersion,
    NoChildrenForEphemerals,
    /// A malformed path (must start with `/`, no empty component, no trailing `/`).
    BadArguments,
    /// The connection to the server was lost before the answer came: a write may or
    /// may not have been applied (as in ZooKeeper).
    ConnectionLoss,
    SessionExpired,
}

/// What fired a watch.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WatchKind {
    NodeCreated,
    NodeDeleted,
    NodeDataChanged,
    NodeChildrenChanged,
}

/// A watch notification: what happened to which path (not the new data: the client
/// reads it again, as in ZooKeeper).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WatchEvent {
    pub kind: WatchKind,
    pub path: String,
}

/// The three watch tables of a ZooKeeper server: data watches (set by `getData`, or
/// `exists` on an existing node), exist watches (`exists` on an absent node) and child
/// watches (`getChildren`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WatchType {
    Data,
    Exist,
    Child,
}

/// A client request as relayed by a follower to the ensemble leader.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Forwarded {
    Connect {
        session: Option<SessionId>,
        timeout: Time,
        sent_at: Time,
    },
    /// A ping: keeps the session alive at the leader, which alone decides expiry.
    Touch {
        session: SessionId,
        sent_at: Time,
    },
    Write {
        session: SessionId,
        req: ReqId,
        op: Op,
    },
    Close {
        session: SessionId,
    },
}

/// Messages of the coordination protocol (client <-> server, server <-> server).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CoordMsg {
    // ---- client -> server ----
    /// Opens a new session (`session: None`) or resumes one on another server.
    /// `last_zxid` is the newest state the client has seen: a server that is behind it
    /// refuses the connection, so a client never goes back in time.
    Connect {
        session: Option<SessionId>,
        timeout: Time,
        last_zxid: Zxid,
        sent_at: Time,
    },
    Ping {
        session: SessionId,
        sent_at: Time,
    },
    Request {
        session: SessionId,
        req: ReqId,
        op: Box<Op>,
    },
    /// Re-registers the client's watches after a reconnect; those whose node changed
    /// after `last_zxid` fire at once (ZooKeeper's `SetWatches`).
    SetWatches {
        session: SessionId,
        last_zxid: Zxid,
        watches: Vec<(WatchType, String)>,
    },
    /// Ends the session now (its ephemerals go at once).
    Close {
        session: SessionId,
    },

    // ---- server -> client ----
    /// `sent_at` echoes the `Connect`: the session is guaranteed alive at the ensemble
    /// until `sent_at + timeout` (see [`super::session`]).
    ConnectOk {
        session: SessionId,
        timeout: Time,
        sent_at: Time,
        zxid: Zxid,
    },
    /// Echoes a `Ping`: same guarantee as `ConnectOk`.
    Pong {
        sent_at: Time,
    },
    Reply {
        req: ReqId,
        result: Box<Result<OpResult, CoordError>>,
        zxid: Zxid,
    },
    Watch {
        event: WatchEvent,
        zxid: Zxid,
    },
    SessionExpired {
        session: SessionId,
    },
    /// The server is not part of an active quorum (electing, syncing, behind the
    /// client): try another.
    NotServing,

    // ---- server <-> server: leader election ----
    Notification {
        round: u64,
        vote: Vote,
        state: PeerState,
    },

    // ---- server <-> server: Zab ----
    FollowerInfo {
        accepted_epoch: u32,
        current_epoch: u32,
        last_zxid: Zxid,
    },
    NewEpoch {
        epoch: u32,
    },
    AckEpoch {
        epoch: u32,
        current_epoch: u32,
        last_zxid: Zxid,
    },
    /// Zab's NEWLEADER with the history: `base: Some(z)` appends `entries` after the
    /// follower's `z` (DIFF), `None` replaces the follower's whole log (SNAP).
    Sync {
        epoch: u32,
        base: Option<Zxid>,
        entries: Box<[Entry]>,
        sent_at: Time,
    },
    AckSync {
        epoch: u32,
        last_zxid: Zxid,
        sent_at: Time,
    },
    Propose {
        epoch: u32,
        entry: Box<Entry>,
    },
    /// Cumulative: the follower's log holds everything up to `zxid`.
    Ack {
        epoch: u32,
        zxid: Zxid,
    },
    /// Everything up to `zxid` is committed.
    Commit {
        epoch: u32,
        zxid: Zxid,
    },
    Heartbeat {
        epoch: u32,
        commit: Zxid,
        sent_at: Time,
    },
    HeartbeatAck {
        epoch: u32,
        last_zxid: Zxid,
        sent_at: Time,
    },
    /// Follower -> leader: a client's request.
    Forward {
        client: ActorId,
        req: Box<Forwarded>,
    },
    /// Leader -> follower: relay `msg` to `client`.
    ToClient {
        client: ActorId,
        msg: Box<CoordMsg>,
    },
    /// Follower -> leader: the pings its clients sent since its last tick, as
    /// (client, session, ping send time), in arrival order. ZooKeeper's followers
    /// likewise report their sessions' activity to the leader in bulk (with their PING
    /// replies) rather than relaying each client ping: with 12,500 agents' sessions, a
    /// relay per ping was a sixth of a Borg-size cell's messages.
    Touches(Vec<(ActorId, SessionId, Time)>),
    /// Leader -> follower: the answers to one `Touches`, (client, answer), to relay.
    ToClients(Vec<(ActorId, CoordMsg)>),
}

impl CoordMsg {
    /// Short, stable name of the variant, for logs and sequence views.
    pub fn kind(&self) -> &'static str {
        match self {
            CoordMsg::Connect { .. } => "coord_connect",
            CoordMsg::Ping { .. } => "coord_ping",
            CoordMsg::Request { .. } => "coord_request",
            CoordMsg::SetWatches { .. } => "coord_set_watches",
            CoordMsg::Close { .. } => "coord_close",
            CoordMsg::ConnectOk { .. } => "coord_connect_ok",
            CoordMsg::Pong { .. } => "coord_pong",
            CoordMsg::Reply { .. } => "coord_reply",
            CoordMsg::Watch { .. } => "coord_watch",
            CoordMsg::SessionExpired { .. } => "coord_session_expired",
            CoordMsg::NotServing => "coord_not_serving",
            CoordMsg::Notification { .. } => "zab_notification",
            CoordMsg::FollowerInfo { .. } => "zab_follower_info",
            CoordMsg::NewEpoch { .. } => "zab_new_epoch",
            CoordMsg::AckEpoch { .. } => "zab_ack_epoch",
            CoordMsg::Sync { .. } => "zab_sync",
            CoordMsg::AckSync { .. } => "zab_ack_sync",
            CoordMsg::Propose { .. } => "zab_propose",
            CoordMsg::Ack { .. } => "zab_ack",
            CoordMsg::Commit { .. } => "zab_commit",
            CoordMsg::Heartbeat { .. } => "zab_heartbeat",
            CoordMsg::HeartbeatAck { .. } => "zab_heartbeat_ack",
            CoordMsg::Forward { .. } => "coord_forward",
            CoordMsg::ToClient { .. } => "coord_to_client",
            CoordMsg::Touches(_) => "coord_touches",
            CoordMsg::ToClients(_) => "coord_to_clients",
        }
    }
}

/// Timers of coordination servers and clients.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CoordTimer {
    Server(ServerTimer),
    Client(ClientTimer),
    /// A recipe's local session timer ([`super::group::LocalExpiry`]): the session it
    /// was armed for, which it gives up if still cut off when this fires.
    Group(SessionId),
}

/// A server's timers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ServerTimer {
    /// Every half tick: heartbeats, failure detection, session expiry, retransmission.
    Tick,
    /// End of the election's finalize wait for `round`.
    Finalize { round: u64 },
}

/// A client's timers (a replaced timer is cancelled, so a firing one is current).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClientTimer {
    /// Every third of the session timeout: ping, and notice a silent server.
    Ping,
    /// Give up on a server that did not answer a `Connect`, or wait before retrying.
    Connect,
}
