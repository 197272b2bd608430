//! A coordination server: one member of the ensemble, an actor.
//!
//! It is LOOKING (electing, [`super::vote`]), FOLLOWING or LEADING ([`super::zab`]).
//! Whatever its role it keeps its log on its durable store and its copy of the tree,
//! and serves the clients connected to it once it is part of an active quorum: reads
//! and watches from its own copy, writes and session liveness through the leader
//! (ZooKeeper's split). A server that leaves the quorum drops its clients
//! (`NotServing`), which reconnect elsewhere.
//!
//! Timing follows ZooKeeper's configuration: `tickTime` (2 s), `initLimit` (10 ticks
//! for a follower to connect and sync), `syncLimit` (5 ticks of silence before a
//! follower gives up on its leader, or a leader on its quorum), session timeouts
//! negotiated into `[2, 20]` ticks.

use super::log::{Entry, TxnLog};
use super::msg::{
    CoordMsg, CoordTimer, Forwarded, OpResult, ServerTimer, SessionId, WatchType, Zxid,
};
use super::tree::{DataTree, Txn};
use super::vote::{Fle, PeerState, Received, Vote};
use super::watch::Watches;
use super::zab::{Follower, Leader, Next, Phase};
use super::CoordProtocol;
use crate::actor::{Actor, ActorId, Ctx, Time, TimerId, MS, SEC};
use crate::sim::net::GroupId;
use crate::sim::Sim;
use std::collections::BTreeMap;

/// Ensemble timing, in ZooKeeper's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// ZooKeeper's `tickTime`: the heartbeat unit (heartbeats go every half tick).
    pub tick: Time,
    /// Ticks a new leader and its followers have to connect and sync (`initLimit`).
    pub init_limit: u32,
    /// Ticks of silence after which a follower drops its leader and a leader its
    /// quorum (`syncLimit`).
    pub sync_limit: u32,
    /// Smallest session timeout granted, in ticks (`minSessionTimeout`, default 2).
    pub min_session_ticks: u32,
    /// Largest session timeout granted, in ticks (`maxSessionTimeout`, default 20).
    pub max_session_ticks: u32,
    /// How long an election waits for a better vote once a quorum agrees (`finalizeWait`).
    pub finalize_wait: Time,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            tick: 2 * SEC,
            init_limit: 10,
            sync_limit: 5,
            min_session_ticks: 2,
            max_session_ticks: 20,
            finalize_wait: 200 * MS,
        }
    }
}

impl ServerConfig {
    pub fn sync_timeout(&self) -> Time {
        self.tick * self.sync_limit as Time
    }
    pub fn init_timeout(&self) -> Time {
        self.tick * self.init_limit as Time
    }
    /// The session timeout the ensemble grants for a requested one.
    pub fn negotiate(&self, requested: Time) -> Time {
        requested.clamp(
            self.tick * self.min_session_ticks as Time,
            self.tick * self.max_session_ticks as Time,
        )
    }
}

/// What every role shares: configuration, identity, log, tree and client connections.
pub(super) struct Core {
    pub cfg: ServerConfig,
    pub peers: Vec<ActorId>,
    pub me: ActorId,
    pub log: TxnLog,
    pub tree: DataTree,
    /// Sessions connected to this server, and their client actors.
    pub conns: BTreeMap<SessionId, ActorId>,
    pub watches: Watches,
}

impl Core {
    pub fn quorum(&self) -> usize {
        self.peers.len() / 2 + 1
    }

    pub fn send(&self, ctx: &mut Ctx<impl CoordProtocol>, to: ActorId, m: CoordMsg) {
        super::send(ctx, to, m);
    }

    fn own_vote(&self) -> Vote {
        Vote {
            epoch: self.log.current_epoch,
            zxid: self.log.last_zxid(),
            leader: self.me,
        }
    }

    /// Sends `msg` to a client connected here, keeping the connection table in step.
    pub fn deliver(
        &mut self,
        ctx: &mut Ctx<impl CoordProtocol>,
        client: ActorId,
        mut msg: CoordMsg,
    ) {
        match &mut msg {
            CoordMsg::ConnectOk { session, zxid, .. } => {
                self.conns.insert(*session, client);
                *zxid = self.tree.last_zxid;
            }
            CoordMsg::SessionExpired { session } => {
                self.conns.remove(session);
                self.watches.remove_session(*session);
            }
            _ => {}
        }
        self.send(ctx, client, msg);
    }

    /// Answers a client through the server it is connected to.
    pub fn reply_via(
        &mut self,
        ctx: &mut Ctx<impl CoordProtocol>,
        server: ActorId,
        client: ActorId,
        msg: CoordMsg,
    ) {
        if server == self.me {
            self.deliver(ctx, client, msg);
        } else {
            let msg = CoordMsg::ToClient {
                client,
                msg: Box::new(msg),
            };
            self.send(ctx, server, msg);
        }
    }

    /// Commits and applies the log's first `n` entries; returns the sessions closed.
    pub fn commit_to(&mut self, ctx: &mut Ctx<impl CoordProtocol>, n: usize) -> Vec<SessionId> {
        let range = self.log.commit_to(ctx.durable(), n);
        let mut closed = Vec::new();
        for i in range {
            let entry = self.log.entries()[i].clone();
            if let Txn::CloseSession { session } = entry.txn {
                closed.push(session);
            }
            self.apply(ctx, entry);
        }
        closed
    }

    fn apply(&mut self, ctx: &mut Ctx<impl CoordProtocol>, entry: Entry) {
        let Entry { zxid, txn, origin } = entry;
        let events = self.tree.apply(zxid, &txn);
        if let Txn::CloseSession { session } = txn {
            self.watches.remove_session(session);
            if let Some(client) = self.conns.remove(&session) {
                self.send(ctx, client, CoordMsg::SessionExpired { session });
            }
        }
        for event in events {
            for s in self.watches.trigger(&event) {
                if let Some(client) = self.conns.get(&s).copied() {
                    let msg = CoordMsg::Watch {
                        event: event.clone(),
                        zxid,
                    };
                    self.send(ctx, client, msg);
                }
            }
        }
        let Some(o) = origin.filter(|o| o.server == self.me) else {
            return;
        };
        let result = match &txn {
            Txn::CreateSession { session, timeout } => {
                let msg = CoordMsg::ConnectOk {
                    session: *session,
                    timeout: *timeout,
                    sent_at: o.sent_at,
                    zxid,
                };
                self.deliver(ctx, o.client, msg);
                return;
            }
            Txn::CloseSession { .. } => return,
            Txn::Create { path, .. } => OpResult::Created(path.clone()),
            Txn::Delete { .. } => OpResult::Deleted,
            Txn::SetData { path, .. } => OpResult::Set(
                self.tree
                    .get(path)
                    .map(|n| n.stat.clone())
                    .unwrap_or_default(),
            ),
        };
        let msg = CoordMsg::Reply {
            req: o.req,
            result: Box::new(Ok(result)),
            zxid,
        };
        self.send(ctx, o.client, msg);
    }

    /// Drops every client connection (the server left the quorum).
    fn drop_clients(&mut self, ctx: &mut Ctx<impl CoordProtocol>) {
        let clients: Vec<ActorId> = self.conns.values().copied().collect();
        for c in clients {
            self.send(ctx, c, CoordMsg::NotServing);
        }
        self.conns.clear();
        self.watches.clear();
    }
}

enum Role {
    /// `outside`: peers already out of the election, and whom they follow.
    Looking {
        fle: Fle,
        finalizing: bool,
        outside: BTreeMap<ActorId, ActorId>,
    },
    Following(Follower),
    Leading(Box<Leader>),
}

/// One server of the ensemble. Build with [`CoordServer::new`] or [`add_ensemble`].
pub struct CoordServer {
    core: Core,
    role: Role,
    round: u64,
    tick_timer: Option<TimerId>,
    /// Elections this incarnation took part in (for tests and metrics).
    pub elections: u64,
}

impl CoordServer {
    /// A server of the ensemble `peers` (every server, itself included, in the same
    /// order for all).
    pub fn new(peers: Vec<ActorId>, cfg: ServerConfig) -> CoordServer {
        CoordServer {
            core: Core {
                cfg,
                peers,
                me: ActorId(u32::MAX),
                log: TxnLog::default(),
                tree: DataTree::default(),
                conns: BTreeMap::new(),
                watches: Watches::default(),
            },
            role: Role::Looking {
                fle: Fle::new(
                    0,
                    Vote {
                        epoch: 0,
                        zxid: 0,
                        leader: ActorId(u32::MAX),
                    },
                ),
                finalizing: false,
                outside: BTreeMap::new(),
            },
            round: 0,
            tick_timer: None,
            elections: 0,
        }
    }

    /// This server's copy of the tree (committed state only).
    pub fn tree(&self) -> &DataTree {
        &self.core.tree
    }

    /// Leading with an established epoch.
    pub fn is_leader(&self) -> bool {
        matches!(&self.role, Role::Leading(l) if l.phase == Phase::Active)
    }

    /// Part of an active quorum: accepts clients.
    pub fn is_serving(&self) -> bool {
        match &self.role {
            Role::Leading(l) => l.phase == Phase::Active,
            Role::Following(f) => f.serving,
            Role::Looking { .. } => false,
        }
    }

    /// `"looking"`, `"following"` or `"leading"`.
    pub fn role(&self) -> &'static str {
        match self.role {
            Role::Looking { .. } => "looking",
            Role::Following(_) => "following",
            Role::Leading(_) => "leading",
        }
    }

    /// Zab's `currentEpoch`.
    pub fn epoch(&self) -> u32 {
        self.core.log.current_epoch
    }

    pub fn committed_zxid(&self) -> Zxid {
        self.core.log.committed_zxid()
    }

    pub fn last_zxid(&self) -> Zxid {
        self.core.log.last_zxid()
    }

    /// Synced followers, if this server leads.
    pub fn followers(&self) -> usize {
        match &self.role {
            Role::Leading(l) => l.follower_count(),
            _ => 0,
        }
    }

    /// The committed prefix of this server's log (to compare replicas in tests).
    pub fn committed_log(&self) -> &[Entry] {
        &self.core.log.entries()[..self.core.log.committed()]
    }

    /// Number of sessions connected to this server.
    pub fn connections(&self) -> usize {
        self.core.conns.len()
    }

    fn broadcast_vote(&self, ctx: &mut Ctx<impl CoordProtocol>) {
        if let Role::Looking { fle, .. } = &self.role {
            for p in self.core.peers.iter().filter(|p| **p != self.core.me) {
                let msg = CoordMsg::Notification {
                    round: fle.round,
                    vote: fle.vote,
                    state: PeerState::Looking,
                };
                self.core.send(ctx, *p, msg);
            }
        }
    }

    /// Gives up any role and starts a new election round.
    fn look(&mut self, ctx: &mut Ctx<impl CoordProtocol>) {
        self.core.drop_clients(ctx);
        self.round += 1;
        self.elections += 1;
        self.role = Role::Looking {
            fle: Fle::new(self.round, self.core.own_vote()),
            finalizing: false,
            outside: BTreeMap::new(),
        };
        ctx.log("coord_looking", serde_json::json!({ "round": self.round }));
        self.broadcast_vote(ctx);
        self.check_quorum(ctx);
    }

    /// Arms the finalize wait once a quorum agrees with this server's vote.
    fn check_quorum(&mut self, ctx: &mut Ctx<impl CoordProtocol>) {
        let n = self.core.peers.len();
        let wait = self.core.cfg.finalize_wait;
        if let Role::Looking {
            fle, finalizing, ..
        } = &mut self.role
        {
            if !*finalizing && fle.has_quorum(n) {
                *finalizing = true;
                let round = fle.round;
                super::set_timer(
                    ctx,
                    wait,
                    CoordTimer::Server(ServerTimer::Finalize { round }),
                );
            }
        }
    }

    fn finalize(&mut self, ctx: &mut Ctx<impl CoordProtocol>, round: u64) {
        let n = self.core.peers.len();
        let Role::Looking {
            fle, finalizing, ..
        } = &mut self.role
        else {
            return;
        };
        if fle.round != round {
            return;
        }
        *finalizing = false;
        if !fle.has_quorum(n) {
            return;
        }
        let leader = fle.vote.leader;
        if leader == self.core.me {
            self.lead(ctx);
        } else {
            self.follow(ctx, leader);
        }
    }

    fn lead(&mut self, ctx: &mut Ctx<impl CoordProtocol>) {
        ctx.log("coord_leading", serde_json::json!({ "round": self.round }));
        let mut l = Box::new(Leader::new(&self.core, ctx.now()));
        let next = l.progress(&mut self.core, ctx);
        self.role = Role::Leading(l);
        self.after(ctx, next);
    }

    fn follow(&mut self, ctx: &mut Ctx<impl CoordProtocol>, leader: ActorId) {
        ctx.log(
            "coord_following",
            serde_json::json!({ "leader": leader.0, "round": self.round }),
        );
        let f = Follower::new(&mut self.core, ctx, leader);
        self.role = Role::Following(f);
    }

    fn after(&mut self, ctx: &mut Ctx<impl CoordProtocol>, next: Next) {
        if next == Next::Elect {
            self.look(ctx);
        }
    }

    fn on_tick(&mut self, ctx: &mut Ctx<impl CoordProtocol>) {
        let next = match &mut self.role {
            Role::Looking { .. } => {
                self.broadcast_vote(ctx);
                Next::Stay
            }
            Role::Following(f) => f.on_tick(&mut self.core, ctx),
            Role::Leading(l) => l.on_tick(&mut self.core, ctx),
        };
        self.after(ctx, next);
    }

    /// The vote a FOLLOWING or LEADING server answers a LOOKING peer with.
    fn notification(core: &Core, round: u64, state: PeerState, leader: ActorId) -> CoordMsg {
        CoordMsg::Notification {
            round,
            vote: Vote {
                leader,
                ..core.own_vote()
            },
            state,
        }
    }

    fn on_notification(
        &mut self,
        ctx: &mut Ctx<impl CoordProtocol>,
        from: ActorId,
        round: u64,
        vote: Vote,
        state: PeerState,
    ) {
        match &mut self.role {
            Role::Looking { fle, .. } => match state {
                PeerState::Looking => {
                    match fle.receive(from, round, vote) {
                        Received::Changed => self.broadcast_vote(ctx),
                        Received::Stale => {
                            let msg = CoordMsg::Notification {
                                round: fle.round,
                                vote: fle.vote,
                                state: PeerState::Looking,
                            };
                            self.core.send(ctx, from, msg);
                        }
                        Received::Counted => {}
                    }
                    self.check_quorum(ctx);
                }
                // The sender leads: join it (Zab's discovery decides if it really can).
                PeerState::Leading if vote.leader == from => self.follow(ctx, from),
                // Peers that already decided on this server (their notification crossed
                // ours, or this server's finalize wait lost a reordered vote): lead when
                // they make a quorum, as ZooKeeper's out-of-election votes do.
                PeerState::Following if vote.leader == self.core.me => {
                    let Role::Looking { outside, .. } = &mut self.role else {
                        unreachable!()
                    };
                    outside.insert(from, vote.leader);
                    let me = self.core.me;
                    if outside.values().filter(|l| **l == me).count() + 1 >= self.core.quorum() {
                        self.lead(ctx);
                    }
                }
                // Ask the leader the sender follows.
                PeerState::Leading | PeerState::Following => {
                    if vote.leader != self.core.me && self.core.peers.contains(&vote.leader) {
                        let msg = CoordMsg::Notification {
                            round: fle.round,
                            vote: fle.vote,
                            state: PeerState::Looking,
                        };
                        self.core.send(ctx, vote.leader, msg);
                    }
                }
            },
            Role::Following(f) => {
                // Our leader is electing: after it served us it has stepped down; before,
                // it has given up on leading only if it votes for someone else.
                let gave_up = from == f.leader
                    && state == PeerState::Looking
                    && (f.synced() || vote.leader != from);
                if gave_up {
                    self.look(ctx);
                } else if state == PeerState::Looking {
                    let msg =
                        Self::notification(&self.core, self.round, PeerState::Following, f.leader);
                    self.core.send(ctx, from, msg);
                }
            }
            Role::Leading(_) => {
                if state == PeerState::Looking {
                    let msg = Self::notification(
                        &self.core,
                        self.round,
                        PeerState::Leading,
                        self.core.me,
                    );
                    self.core.send(ctx, from, msg);
                }
            }
        }
    }

    fn on_peer(&mut self, ctx: &mut Ctx<impl CoordProtocol>, from: ActorId, msg: CoordMsg) {
        if let CoordMsg::Notification { round, vote, state } = msg {
            return self.on_notification(ctx, from, round, vote, state);
        }
        let next = match &mut self.role {
            // Not leading (yet: a peer may have decided on this server before this
            // server's own finalize wait ended); the follower retries, as a ZooKeeper
            // learner retries connecting to its leader.
            Role::Looking { .. } => Next::Stay,
            Role::Following(f) => {
                if from != f.leader {
                    if matches!(msg, CoordMsg::FollowerInfo { .. }) {
                        let reply = Self::notification(
                            &self.core,
                            self.round,
                            PeerState::Following,
                            f.leader,
                        );
                        self.core.send(ctx, from, reply);
                    }
                    return;
                }
                f.last_heard = ctx.now();
                let core = &mut self.core;
                match msg {
                    CoordMsg::NewEpoch { epoch } => f.on_new_epoch(core, ctx, epoch),
                    CoordMsg::Sync {
                        epoch,
                        base,
                        entries,
                        sent_at,
                    } => {
                        f.on_sync(core, ctx, epoch, base, entries.into_vec(), sent_at);
                        Next::Stay
                    }
                    CoordMsg::Propose { epoch, entry } => {
                        f.on_propose(core, ctx, epoch, *entry);
                        Next::Stay
                    }
                    CoordMsg::Commit { epoch, zxid } => {
                        f.on_commit(core, ctx, epoch, zxid);
                        Next::Stay
                    }
                    CoordMsg::Heartbeat {
                        epoch,
                        commit,
                        sent_at,
                    } => {
                        f.on_heartbeat(core, ctx, epoch, commit, sent_at);
                        Next::Stay
                    }
                    CoordMsg::ToClient { client, msg } => {
                        if f.serving {
                            core.deliver(ctx, client, *msg);
                        }
                        Next::Stay
                    }
                    CoordMsg::ToClients(answers) => {
                        if f.serving {
                            for (client, msg) in answers {
                                core.deliver(ctx, client, msg);
                            }
                        }
                        Next::Stay
                    }
                    _ => Next::Stay,
                }
            }
            Role::Leading(l) => {
                let core = &mut self.core;
                match msg {
                    CoordMsg::FollowerInfo { accepted_epoch, .. } => {
                        l.on_follower_info(core, ctx, from, accepted_epoch)
                    }
                    CoordMsg::AckEpoch {
                        epoch,
                        current_epoch,
                        last_zxid,
                    } => l.on_ack_epoch(core, ctx, from, epoch, current_epoch, last_zxid),
                    CoordMsg::AckSync {
                        epoch,
                        last_zxid,
                        sent_at,
                    } => l.on_ack_sync(core, ctx, from, epoch, last_zxid, sent_at),
                    CoordMsg::Ack { epoch, zxid } => {
                        l.on_ack(core, ctx, from, epoch, zxid);
                        Next::Stay
                    }
                    CoordMsg::HeartbeatAck {
                        epoch,
                        last_zxid,
                        sent_at,
                    } => {
                        l.on_heartbeat_ack(core, ctx, from, epoch, last_zxid, sent_at);
                        Next::Stay
                    }
                    CoordMsg::Touches(touches) => {
                        l.handle_touches(core, ctx, from, touches);
                        Next::Stay
                    }
                    CoordMsg::Forward { client, req } => {
                        if l.phase == Phase::Active {
                            l.handle_client(core, ctx, from, client, *req);
                        } else {
                            core.reply_via(ctx, from, client, CoordMsg::NotServing);
                        }
                        Next::Stay
                    }
                    _ => Next::Stay,
                }
            }
        };
        self.after(ctx, next);
    }

    /// Sends a client's request to the leader (or handles it, if this is the leader).
    fn via_leader(&mut self, ctx: &mut Ctx<impl CoordProtocol>, client: ActorId, req: Forwarded) {
        let me = self.core.me;
        match &mut self.role {
            Role::Leading(l) if l.phase == Phase::Active => {
                l.handle_client(&mut self.core, ctx, me, client, req)
            }
            Role::Following(f) if f.serving => {
                let leader = f.leader;
                self.core.send(
                    ctx,
                    leader,
                    CoordMsg::Forward {
                        client,
                        req: Box::new(req),
                    },
                );
            }
            _ => self.core.send(ctx, client, CoordMsg::NotServing),
        }
    }

    fn on_client(&mut self, ctx: &mut Ctx<impl CoordProtocol>, client: ActorId, msg: CoordMsg) {
        if !self.is_serving() {
            if !matches!(msg, CoordMsg::SetWatches { .. }) {
                self.core.send(ctx, client, CoordMsg::NotServing);
            }
            return;
        }
        match msg {
            CoordMsg::Connect {
                session,
                timeout,
                last_zxid,
                sent_at,
            } => {
                if self.core.tree.last_zxid < last_zxid {
                    // This server is behind what the client saw: never go back in time.
                    self.core.send(ctx, client, CoordMsg::NotServing);
                    return;
                }
                let timeout = self.core.cfg.negotiate(timeout);
                let req = Forwarded::Connect {
                    session,
                    timeout,
                    sent_at,
                };
                self.via_leader(ctx, client, req);
            }
            // Everything but `Connect` needs the session connected *here*: a server
            // that restarted (or that the client left) has no connection, as its TCP
            // connection would be gone; the client must reconnect and re-send its
            // watches.
            CoordMsg::Ping { session, .. }
            | CoordMsg::Request { session, .. }
            | CoordMsg::Close { session }
                if self.core.conns.get(&session) != Some(&client) =>
            {
                self.core.send(ctx, client, CoordMsg::NotServing);
            }
            CoordMsg::Ping { session, sent_at } => match &mut self.role {
                Role::Following(f) if f.serving => f.touches.push((client, session, sent_at)),
                _ => self.via_leader(ctx, client, Forwarded::Touch { session, sent_at }),
            },
            CoordMsg::Request { session, req, op } => {
                if op.is_write() {
                    return self.via_leader(
                        ctx,
                        client,
                        Forwarded::Write {
                            session,
                            req,
                            op: *op,
                        },
                    );
                }
                let result = self.core.tree.read(&op);
                let watch = match (&*op, &result) {
                    (super::msg::Op::GetData { watch: true, .. }, Ok(_)) => Some(WatchType::Data),
                    (super::msg::Op::Exists { watch: true, .. }, Ok(OpResult::Exists(Some(_)))) => {
                        Some(WatchType::Data)
                    }
                    (super::msg::Op::Exists { watch: true, .. }, Ok(OpResult::Exists(None))) => {
                        Some(WatchType::Exist)
                    }
                    (super::msg::Op::GetChildren { watch: true, .. }, Ok(_)) => {
                        Some(WatchType::Child)
                    }
                    _ => None,
                };
                if let Some(t) = watch {
                    self.core.watches.add(t, op.path(), session);
                }
                let zxid = self.core.tree.last_zxid;
                self.core.send(
                    ctx,
                    client,
                    CoordMsg::Reply {
                        req,
                        result: Box::new(result),
                        zxid,
                    },
                );
            }
            CoordMsg::SetWatches {
                session,
                last_zxid,
                watches,
            } => {
                if self.core.conns.get(&session) != Some(&client) {
                    return;
                }
                let fire =
                    self.core
                        .watches
                        .reregister(&self.core.tree, session, last_zxid, &watches);
                let zxid = self.core.tree.last_zxid;
                for event in fire {
                    self.core.send(ctx, client, CoordMsg::Watch { event, zxid });
                }
            }
            CoordMsg::Close { session } => {
                self.via_leader(ctx, client, Forwarded::Close { session })
            }
            _ => {}
        }
    }
}

impl<P: CoordProtocol> Actor<P> for CoordServer {
    fn on_start(&mut self, ctx: &mut Ctx<P>) {
        self.core.me = ctx.me();
        self.core.log = TxnLog::load(ctx.durable());
        let mut tree = DataTree::default();
        for e in &self.core.log.entries()[..self.core.log.committed()] {
            tree.apply(e.zxid, &e.txn);
        }
        self.core.tree = tree;
        let half = (self.core.cfg.tick / 2).max(1);
        self.tick_timer = Some(super::set_timer(
            ctx,
            half,
            CoordTimer::Server(ServerTimer::Tick),
        ));
        self.look(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<P>, from: ActorId, msg: P::Msg) {
        let Some(msg) = P::unwrap_msg(msg) else {
            return;
        };
        if self.core.peers.contains(&from) {
            self.on_peer(ctx, from, msg);
        } else {
            self.on_client(ctx, from, msg);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<P>, _id: TimerId, timer: P::Timer) {
        let Some(CoordTimer::Server(t)) = P::unwrap_timer(timer) else {
            return;
        };
        match t {
            ServerTimer::Tick => {
                let half = (self.core.cfg.tick / 2).max(1);
                self.tick_timer = Some(super::set_timer(
                    ctx,
                    half,
                    CoordTimer::Server(ServerTimer::Tick),
                ));
                self.on_tick(ctx);
            }
            ServerTimer::Finalize { round } => self.finalize(ctx, round),
        }
    }
}

/// Adds an ensemble of `n` servers named `"{prefix}{i}"` to `sim`, in `group`; returns
/// their ids (the ensemble's member list).
pub fn add_ensemble<P: CoordProtocol>(
    sim: &mut Sim<P>,
    prefix: &str,
    n: usize,
    group: GroupId,
    cfg: ServerConfig,
) -> Vec<ActorId> {
    let first = sim.actor_count() as u32;
    let peers: Vec<ActorId> = (0..n as u32).map(|i| ActorId(first + i)).collect();
    for i in 0..n {
        let (p, c) = (peers.clone(), cfg.clone());
        let id = sim.add_actor(&format!("{prefix}{i}"), group, move || {
            CoordServer::new(p.clone(), c.clone())
        });
        debug_assert_eq!(id, peers[i]);
    }
    peers
}
