//! The client library: a session with the ensemble, embedded in an actor.
//!
//! Modelled on ZooKeeper's client: it connects to one server of the list (a random
//! one first), pings every third of the session timeout, and moves to the next server
//! when its server refuses (not in a quorum) or stays silent for two thirds of the
//! timeout, resuming the *same* session there with its watches (`SetWatches`).
//! Operations are asynchronous: each returns a [`ReqId`] and its answer comes back as a
//! [`CoordEvent::Reply`]. Requests in flight when the connection drops fail with
//! `ConnectionLoss` (a write may still have been applied). A request made while
//! disconnected waits only for the connection attempt in progress: it is sent if that
//! attempt succeeds and fails with `ConnectionLoss` when it fails, as ZooKeeper's
//! clients clean up every queued request on a failed attempt (the C client Mesos links,
//! `zookeeper.c` `handle_error` -> `cleanup_bufs(zh, 1, ZCONNECTIONLOSS)`; the Java
//! client's `ClientCnxn.SendThread.cleanup`). Callers retry, as Mesos' `Group` does.
//!
//! The client never decides on its own that its session expired: only the ensemble
//! expires a session, and a client cut off from it learns so when it reconnects
//! ([`CoordEvent::SessionExpired`]). What a recipe on top does while cut off is its
//! own business: Mesos' `zookeeper::Group` starts a local timer of the session timeout
//! on disconnection and gives its memberships up when it fires ([`super::group`]).
//!
//! One actor embeds at most one `CoordClient` (its timers are not tagged further).

use super::msg::{
    ClientTimer, CoordError, CoordMsg, CoordTimer, Op, OpResult, ReqId, SessionId, WatchEvent,
    WatchKind, WatchType, Zxid,
};
use super::CoordProtocol;
use crate::actor::{ActorId, Ctx, Time, TimerId, MS, SEC};
use rand::Rng;
use smallvec::SmallVec;
use std::collections::{BTreeMap, BTreeSet};

/// Session timeout Mesos uses by default (`--zk_session_timeout=10secs`).
pub const DEFAULT_SESSION_TIMEOUT: Time = 10 * SEC;

/// What the client reports to the actor embedding it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CoordEvent {
    /// A session is established: new (`renewed: false`, ephemerals and watches of any
    /// former session are gone) or resumed on a server after a disconnection.
    Connected { session: SessionId, renewed: bool },
    /// The connection to the server was lost; the client is reconnecting and the
    /// session may still be alive (ZooKeeper's `Disconnected`).
    Disconnected,
    /// The ensemble expired the session: its ephemerals are gone. Call
    /// [`CoordClient::start`] for a new one.
    SessionExpired,
    Reply {
        req: ReqId,
        result: Result<OpResult, CoordError>,
    },
    /// A one-shot watch fired.
    Watch(WatchEvent),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    Idle,
    Connecting,
    /// Waiting before the next round of connection attempts.
    Backoff,
    Connected,
    Expired,
    Closed,
}

/// A ZooKeeper-style session, embedded in an actor.
///
/// `repr(C)` keeps the fields in this order: the ones every heartbeat reads (a ping
/// timer, a pong) come first, so that a heartbeat touches one or two cache lines of
/// a client last touched seconds ago, not one per field that the compiler's order
/// happened to scatter.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct CoordClient {
    state: State,
    server: usize,
    session: Option<SessionId>,
    timeout: Time,
    last_heard: Time,
    ping_timer: Option<TimerId>,
    /// Inline up to a five-server ensemble (ZooKeeper's usual sizes are three and
    /// five): a ping reads it, and a separate heap block would be one more miss.
    servers: SmallVec<[ActorId; 5]>,
    requested_timeout: Time,
    attempts: usize,
    last_zxid: Zxid,
    next_req: ReqId,
    pending: BTreeMap<ReqId, Op>,
    queued: Vec<(ReqId, Op)>,
    watches: BTreeSet<(WatchType, String)>,
    connect_timer: Option<TimerId>,
}

impl CoordClient {
    /// A client of the ensemble `servers` asking for `session_timeout` (the servers
    /// clamp it to their bounds, 2 to 20 ticks).
    pub fn new(servers: Vec<ActorId>, session_timeout: Time) -> Self {
        assert!(!servers.is_empty(), "a coordination client needs servers");
        CoordClient {
            servers: SmallVec::from_slice(&servers),
            requested_timeout: session_timeout,
            timeout: session_timeout,
            state: State::Idle,
            session: None,
            server: 0,
            attempts: 0,
            last_zxid: 0,
            last_heard: 0,
            next_req: 1,
            pending: BTreeMap::new(),
            queued: Vec::new(),
            watches: BTreeSet::new(),
            ping_timer: None,
            connect_timer: None,
        }
    }

    /// Opens a new session (no-op while one is open or being opened).
    pub fn start(&mut self, ctx: &mut Ctx<impl CoordProtocol>) {
        if matches!(
            self.state,
            State::Connecting | State::Backoff | State::Connected
        ) {
            return;
        }
        self.session = None;
        self.watches.clear();
        self.timeout = self.requested_timeout;
        self.server = ctx.rng().gen_range(0..self.servers.len());
        self.attempts = 0;
        self.connect(ctx);
        self.arm_ping(ctx);
    }

    /// Ends the session at once (its ephemerals are deleted); the client goes idle.
    pub fn close(&mut self, ctx: &mut Ctx<impl CoordProtocol>) {
        if let (Some(session), State::Connected) = (self.session, self.state) {
            let to = self.servers[self.server];
            super::send(ctx, to, CoordMsg::Close { session });
        }
        self.abandon(ctx);
        self.state = State::Closed;
    }

    /// Drops the session without a word to the ensemble, as a process that exits
    /// does: the ensemble expires it after its timeout, and its ephemerals with it.
    /// [`CoordClient::start`] then opens a new one.
    pub fn abandon(&mut self, ctx: &mut Ctx<impl CoordProtocol>) {
        self.cancel_timers(ctx);
        self.state = State::Idle;
        self.session = None;
        self.pending.clear();
        self.queued.clear();
        self.watches.clear();
    }

    /// The current session, once granted.
    pub fn session(&self) -> Option<SessionId> {
        self.session
    }

    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// The server currently connected to (or being tried).
    pub fn server(&self) -> ActorId {
        self.servers[self.server]
    }

    /// The negotiated session timeout (the requested one before the first connection).
    pub fn session_timeout(&self) -> Time {
        self.timeout
    }

    /// The newest zxid this client has seen.
    pub fn last_zxid(&self) -> Zxid {
        self.last_zxid
    }

    pub fn create(
        &mut self,
        ctx: &mut Ctx<impl CoordProtocol>,
        path: &str,
        data: Vec<u8>,
        ephemeral: bool,
        sequential: bool,
    ) -> ReqId {
        self.request(
            ctx,
            Op::Create {
                path: path.to_string(),
                data,
                ephemeral,
                sequential,
            },
        )
    }

    pub fn delete(
        &mut self,
        ctx: &mut Ctx<impl CoordProtocol>,
        path: &str,
        version: Option<u32>,
    ) -> ReqId {
        self.request(
            ctx,
            Op::Delete {
                path: path.to_string(),
                version,
            },
        )
    }

    pub fn set_data(
        &mut self,
        ctx: &mut Ctx<impl CoordProtocol>,
        path: &str,
        data: Vec<u8>,
        version: Option<u32>,
    ) -> ReqId {
        self.request(
            ctx,
            Op::SetData {
                path: path.to_string(),
                data,
                version,
            },
        )
    }

    pub fn get_data(
        &mut self,
        ctx: &mut Ctx<impl CoordProtocol>,
        path: &str,
        watch: bool,
    ) -> ReqId {
        self.request(
            ctx,
            Op::GetData {
                path: path.to_string(),
                watch,
            },
        )
    }

    pub fn exists(&mut self, ctx: &mut Ctx<impl CoordProtocol>, path: &str, watch: bool) -> ReqId {
        self.request(
            ctx,
            Op::Exists {
                path: path.to_string(),
                watch,
            },
        )
    }

    pub fn get_children(
        &mut self,
        ctx: &mut Ctx<impl CoordProtocol>,
        path: &str,
        watch: bool,
    ) -> ReqId {
        self.request(
            ctx,
            Op::GetChildren {
                path: path.to_string(),
                watch,
            },
        )
    }

    /// Sends `op` now if connected, else if the connection attempt in progress
    /// succeeds (it fails with `ConnectionLoss` if that attempt fails).
    pub fn request(&mut self, ctx: &mut Ctx<impl CoordProtocol>, op: Op) -> ReqId {
        let req = self.next_req;
        self.next_req += 1;
        if self.state == State::Connected {
            self.send_request(ctx, req, op);
        } else {
            self.queued.push((req, op));
        }
        req
    }

    fn send_request(&mut self, ctx: &mut Ctx<impl CoordProtocol>, req: ReqId, op: Op) {
        let session = self.session.expect("connected");
        let to = self.servers[self.server];
        let request = CoordMsg::Request {
            session,
            req,
            op: Box::new(op.clone()),
        };
        super::send(ctx, to, request);
        self.pending.insert(req, op);
    }

    fn timer(&mut self, ctx: &mut Ctx<impl CoordProtocol>, after: Time, t: ClientTimer) -> TimerId {
        super::set_timer(ctx, after, CoordTimer::Client(t))
    }

    fn cancel_timers(&mut self, ctx: &mut Ctx<impl CoordProtocol>) {
        for t in [self.ping_timer.take(), self.connect_timer.take()]
            .into_iter()
            .flatten()
        {
            ctx.cancel_timer(t);
        }
    }

    fn arm_ping(&mut self, ctx: &mut Ctx<impl CoordProtocol>) {
        if let Some(t) = self.ping_timer.take() {
            ctx.cancel_timer(t);
        }
        let every = (self.timeout / 3).max(MS);
        self.ping_timer = Some(self.timer(ctx, every, ClientTimer::Ping));
    }

    /// Sends a `Connect` to the current server and waits a share of the timeout.
    fn connect(&mut self, ctx: &mut Ctx<impl CoordProtocol>) {
        self.state = State::Connecting;
        let to = self.servers[self.server];
        let msg = CoordMsg::Connect {
            session: self.session,
            timeout: self.requested_timeout,
            last_zxid: self.last_zxid,
            sent_at: ctx.now(),
        };
        super::send(ctx, to, msg);
        // ZooKeeper's connect timeout: the session timeout shared among the servers.
        let wait = (self.timeout / self.servers.len() as Time).max(MS);
        self.set_connect_timer(ctx, wait);
    }

    fn set_connect_timer(&mut self, ctx: &mut Ctx<impl CoordProtocol>, after: Time) {
        if let Some(t) = self.connect_timer.take() {
            ctx.cancel_timer(t);
        }
        self.connect_timer = Some(self.timer(ctx, after, ClientTimer::Connect));
    }

    /// The connection attempt (or the connection) failed: every request waiting for
    /// it fails with `ConnectionLoss` (see the module doc). Then moves on to the next
    /// server; after a whole round of refusals, waits a random moment first (ZooKeeper
    /// waits up to a second) so clients do not stampede.
    fn next_server(&mut self, ctx: &mut Ctx<impl CoordProtocol>, events: &mut Vec<CoordEvent>) {
        for (req, _) in std::mem::take(&mut self.queued) {
            events.push(CoordEvent::Reply {
                req,
                result: Err(CoordError::ConnectionLoss),
            });
        }
        self.server = (self.server + 1) % self.servers.len();
        self.attempts += 1;
        if self.attempts.is_multiple_of(self.servers.len()) {
            self.state = State::Backoff;
            let cap = (self.timeout / 10).clamp(MS, SEC);
            let wait = ctx.rng().gen_range(MS..=cap);
            self.set_connect_timer(ctx, wait);
        } else {
            self.connect(ctx);
        }
    }

    /// The connection is gone: fail what is in flight and try the next server.
    fn disconnect(&mut self, ctx: &mut Ctx<impl CoordProtocol>, events: &mut Vec<CoordEvent>) {
        if self.state == State::Connected {
            events.push(CoordEvent::Disconnected);
            for req in std::mem::take(&mut self.pending).into_keys() {
                events.push(CoordEvent::Reply {
                    req,
                    result: Err(CoordError::ConnectionLoss),
                });
            }
        }
        self.next_server(ctx, events);
    }

    fn expired(&mut self, ctx: &mut Ctx<impl CoordProtocol>, events: &mut Vec<CoordEvent>) {
        self.cancel_timers(ctx);
        self.state = State::Expired;
        self.session = None;
        self.watches.clear();
        let failed = std::mem::take(&mut self.pending)
            .into_keys()
            .chain(std::mem::take(&mut self.queued).into_iter().map(|(r, _)| r));
        for req in failed {
            events.push(CoordEvent::Reply {
                req,
                result: Err(CoordError::SessionExpired),
            });
        }
        events.push(CoordEvent::SessionExpired);
    }

    /// Handles a coordination message; returns what the embedding actor must know.
    pub fn on_message(
        &mut self,
        ctx: &mut Ctx<impl CoordProtocol>,
        from: ActorId,
        msg: CoordMsg,
    ) -> Vec<CoordEvent> {
        let mut events = Vec::new();
        if from != self.servers[self.server]
            || matches!(self.state, State::Idle | State::Expired | State::Closed)
        {
            return events;
        }
        let now = ctx.now();
        match msg {
            CoordMsg::ConnectOk {
                session, timeout, ..
            } if self.state == State::Connecting => {
                let renewed = self.session == Some(session);
                if !renewed {
                    self.watches.clear();
                }
                self.session = Some(session);
                self.state = State::Connected;
                self.attempts = 0;
                self.last_heard = now;
                if let Some(t) = self.connect_timer.take() {
                    ctx.cancel_timer(t);
                }
                if timeout != self.timeout {
                    self.timeout = timeout;
                    self.arm_ping(ctx);
                }
                events.push(CoordEvent::Connected { session, renewed });
                if !self.watches.is_empty() {
                    let msg = CoordMsg::SetWatches {
                        session,
                        last_zxid: self.last_zxid,
                        watches: self.watches.iter().cloned().collect(),
                    };
                    super::send(ctx, from, msg);
                }
                for (req, op) in std::mem::take(&mut self.queued) {
                    self.send_request(ctx, req, op);
                }
            }
            CoordMsg::Pong { .. } if self.state == State::Connected => {
                self.last_heard = now;
            }
            CoordMsg::Reply { req, result, zxid } if self.state == State::Connected => {
                self.last_heard = now;
                self.last_zxid = self.last_zxid.max(zxid);
                if let Some(op) = self.pending.remove(&req) {
                    self.note_watch(&op, &result);
                    events.push(CoordEvent::Reply {
                        req,
                        result: *result,
                    });
                }
            }
            CoordMsg::Watch { event, zxid } if self.state == State::Connected => {
                self.last_heard = now;
                self.last_zxid = self.last_zxid.max(zxid);
                let types: &[WatchType] = match event.kind {
                    WatchKind::NodeCreated | WatchKind::NodeDataChanged => {
                        &[WatchType::Data, WatchType::Exist]
                    }
                    WatchKind::NodeDeleted => {
                        &[WatchType::Data, WatchType::Exist, WatchType::Child]
                    }
                    WatchKind::NodeChildrenChanged => &[WatchType::Child],
                };
                for t in types {
                    self.watches.remove(&(*t, event.path.clone()));
                }
                events.push(CoordEvent::Watch(event));
            }
            CoordMsg::SessionExpired { session } if self.session == Some(session) => {
                self.expired(ctx, &mut events);
            }
            CoordMsg::NotServing if matches!(self.state, State::Connecting | State::Connected) => {
                self.disconnect(ctx, &mut events);
            }
            _ => {}
        }
        events
    }

    fn note_watch(&mut self, op: &Op, result: &Result<OpResult, CoordError>) {
        let t = match (op, result) {
            (Op::GetData { watch: true, .. }, Ok(_)) => WatchType::Data,
            (Op::Exists { watch: true, .. }, Ok(OpResult::Exists(Some(_)))) => WatchType::Data,
            (Op::Exists { watch: true, .. }, Ok(OpResult::Exists(None))) => WatchType::Exist,
            (Op::GetChildren { watch: true, .. }, Ok(_)) => WatchType::Child,
            _ => return,
        };
        self.watches.insert((t, op.path().to_string()));
    }

    /// Handles one of the client's timers.
    pub fn on_timer(
        &mut self,
        ctx: &mut Ctx<impl CoordProtocol>,
        t: CoordTimer,
    ) -> Vec<CoordEvent> {
        let mut events = Vec::new();
        let CoordTimer::Client(t) = t else {
            return events;
        };
        let now = ctx.now();
        match t {
            ClientTimer::Ping if self.ping_timer.is_some() => {
                let every = (self.timeout / 3).max(MS);
                self.ping_timer = Some(self.timer(ctx, every, ClientTimer::Ping));
                if self.state == State::Connected {
                    if now.saturating_sub(self.last_heard) >= self.timeout * 2 / 3 {
                        self.disconnect(ctx, &mut events);
                    } else {
                        let session = self.session.expect("connected");
                        let to = self.servers[self.server];
                        let msg = CoordMsg::Ping {
                            session,
                            sent_at: now,
                        };
                        super::send(ctx, to, msg);
                    }
                }
            }
            ClientTimer::Connect if self.connect_timer.is_some() => {
                self.connect_timer = None;
                match self.state {
                    State::Connecting => self.next_server(ctx, &mut events),
                    State::Backoff => self.connect(ctx),
                    _ => {}
                }
            }
            _ => {}
        }
        events
    }
}
