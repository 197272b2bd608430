//! Zab, the ZooKeeper atomic broadcast: how a prospective leader establishes a new
//! epoch and then replicates writes (Junqueira, Reed, Serafini, "Zab: High-performance
//! broadcast for primary-backup systems", DSN 2011; ZooKeeper's `Leader`/`Learner`).
//!
//! Phases of a leader (each a quorum step, the leader counting itself):
//! 1. *Discovery*: followers send `FOLLOWERINFO` with their `acceptedEpoch`; with a
//!    quorum the leader picks `e' = max + 1` and sends `NEWEPOCH(e')`; a follower that
//!    has not promised a higher epoch stores `acceptedEpoch = e'` on disk and answers
//!    `ACKEPOCH` with its `(currentEpoch, last zxid)`. From then on it ignores older
//!    leaders, which is what makes a deposed leader harmless.
//! 2. *Sync*: the leader, holding the most up-to-date history of the quorum (the
//!    election preferred it; if not, it gives up), sends each follower the entries it
//!    lacks (DIFF) or its whole log (SNAP) with `NEWLEADER`; the follower stores them and
//!    `currentEpoch = e'`, and acknowledges. With a quorum of acknowledgements the whole
//!    history is committed and the leader starts serving.
//! 3. *Broadcast*: a write becomes a `PROPOSAL` with the next zxid, logged by the
//!    leader and followers (acknowledged cumulatively), `COMMIT`ted once a quorum has
//!    it, and applied by every server in zxid order.
//!
//! Failure detection as ZooKeeper's `syncLimit`: a follower that hears nothing from
//! its leader for `sync_timeout` starts an election; a leader steps down when no quorum
//! acknowledged, within `sync_timeout`, a heartbeat it sent (its *lease*, which also
//! bounds how long it may vouch for client sessions, see [`super::session`]). The
//! simulated network may reorder or lose messages (ZooKeeper runs over TCP), so a
//! follower buffers out-of-order proposals and the leader resends what a follower has
//! not acknowledged after a tick.

use super::log::{Entry, Origin};
use super::msg::{epoch_of, CoordError, CoordMsg, Forwarded, SessionId, Zxid};
use super::server::Core;
use super::session::SessionTracker;
use super::tree::{DataTree, Txn};
use super::CoordProtocol;
use crate::actor::{ActorId, Ctx, Time};
use std::collections::BTreeMap;

/// What a handler asks of the server: keep its role, or give it up and elect.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Next {
    Stay,
    Elect,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Discovery,
    Sync,
    Active,
}

/// What the leader knows of a synced follower.
#[derive(Clone, Debug)]
pub(super) struct Progress {
    /// Cumulative: the follower's log holds everything up to here.
    acked: Zxid,
    /// Newest send time of a heartbeat (or sync) it acknowledged in this epoch.
    echo: Time,
    /// `acked` at the previous tick: no progress in a whole tick means resend.
    acked_at_tick: Zxid,
}

/// A leader's state, from its election to its stepping down.
pub(super) struct Leader {
    pub phase: Phase,
    pub epoch: Option<u32>,
    since: Time,
    infos: BTreeMap<ActorId, u32>,
    epoch_acks: BTreeMap<ActorId, (u32, Zxid)>,
    followers: BTreeMap<ActorId, Progress>,
    /// The committed tree plus every outstanding proposal, to validate new writes.
    spec: DataTree,
    pub sessions: SessionTracker,
}

impl Leader {
    pub fn new(core: &Core, now: Time) -> Leader {
        let mut infos = BTreeMap::new();
        infos.insert(core.me, core.log.accepted_epoch);
        Leader {
            phase: Phase::Discovery,
            epoch: None,
            since: now,
            infos,
            epoch_acks: BTreeMap::new(),
            followers: BTreeMap::new(),
            spec: DataTree::default(),
            sessions: SessionTracker::default(),
        }
    }

    pub fn follower_count(&self) -> usize {
        self.followers.len()
    }

    pub fn on_follower_info(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<impl CoordProtocol>,
        from: ActorId,
        accepted_epoch: u32,
    ) -> Next {
        match self.epoch {
            None => {
                self.infos.insert(from, accepted_epoch);
                self.progress(core, ctx)
            }
            // A late joiner, or a follower that restarted its sync.
            Some(e) if accepted_epoch <= e => {
                self.followers.remove(&from);
                self.epoch_acks.remove(&from);
                core.send(ctx, from, CoordMsg::NewEpoch { epoch: e });
                Next::Stay
            }
            // It promised a newer leader: it will not follow this one.
            Some(_) => Next::Stay,
        }
    }

    pub fn on_ack_epoch(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<impl CoordProtocol>,
        from: ActorId,
        epoch: u32,
        current_epoch: u32,
        last_zxid: Zxid,
    ) -> Next {
        if self.epoch != Some(epoch) {
            return Next::Stay;
        }
        self.epoch_acks.insert(from, (current_epoch, last_zxid));
        if self.phase == Phase::Discovery {
            self.progress(core, ctx)
        } else {
            self.send_sync(core, ctx, from, last_zxid);
            Next::Stay
        }
    }

    pub fn on_ack_sync(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<impl CoordProtocol>,
        from: ActorId,
        epoch: u32,
        last_zxid: Zxid,
        sent_at: Time,
    ) -> Next {
        if self.epoch != Some(epoch) || self.phase == Phase::Discovery {
            return Next::Stay;
        }
        self.followers.insert(
            from,
            Progress {
                acked: last_zxid,
                echo: sent_at,
                acked_at_tick: last_zxid,
            },
        );
        if self.phase == Phase::Active {
            // Proposals made since its sync was sent, then where the commit stands.
            self.resend(core, ctx, from);
            core.send(
                ctx,
                from,
                CoordMsg::Commit {
                    epoch,
                    zxid: core.log.committed_zxid(),
                },
            );
            Next::Stay
        } else {
            self.progress(core, ctx)
        }
    }

    pub fn on_ack(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<impl CoordProtocol>,
        from: ActorId,
        epoch: u32,
        zxid: Zxid,
    ) {
        if self.epoch != Some(epoch) {
            return;
        }
        if let Some(p) = self.followers.get_mut(&from) {
            p.acked = p.acked.max(zxid);
            self.maybe_commit(core, ctx);
        }
    }

    pub fn on_heartbeat_ack(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<impl CoordProtocol>,
        from: ActorId,
        epoch: u32,
        last_zxid: Zxid,
        sent_at: Time,
    ) {
        if self.epoch != Some(epoch) {
            return;
        }
        if let Some(p) = self.followers.get_mut(&from) {
            p.echo = p.echo.max(sent_at);
            p.acked = p.acked.max(last_zxid);
            self.maybe_commit(core, ctx);
        }
    }

    /// Moves through discovery and sync as quorums form.
    pub fn progress(&mut self, core: &mut Core, ctx: &mut Ctx<impl CoordProtocol>) -> Next {
        let q = core.quorum();
        if self.epoch.is_none() && self.infos.len() >= q {
            let e = self.infos.values().copied().max().unwrap_or(0) + 1;
            core.log.set_accepted_epoch(ctx.durable(), e);
            self.epoch = Some(e);
            let me = core.me;
            self.epoch_acks
                .insert(me, (core.log.current_epoch, core.log.last_zxid()));
            for f in self.infos.keys().filter(|f| **f != me) {
                core.send(ctx, *f, CoordMsg::NewEpoch { epoch: e });
            }
        }
        let Some(e) = self.epoch else {
            return Next::Stay;
        };
        if self.phase == Phase::Discovery && self.epoch_acks.len() >= q {
            let mine = (core.log.current_epoch, core.log.last_zxid());
            if self.epoch_acks.values().any(|h| *h > mine) {
                // The election picked a server missing part of the quorum's history:
                // elect again (votes now see the better history).
                return Next::Elect;
            }
            core.log.set_current_epoch(ctx.durable(), e);
            self.phase = Phase::Sync;
            let acks: Vec<(ActorId, Zxid)> = self
                .epoch_acks
                .iter()
                .filter(|(f, _)| **f != core.me)
                .map(|(f, (_, z))| (*f, *z))
                .collect();
            for (f, z) in acks {
                self.send_sync(core, ctx, f, z);
            }
        }
        if self.phase == Phase::Sync && self.followers.len() + 1 >= q {
            self.activate(core, ctx, e);
        }
        Next::Stay
    }

    /// A quorum holds the leader's history: all of it is committed; start serving.
    fn activate(&mut self, core: &mut Core, ctx: &mut Ctx<impl CoordProtocol>, epoch: u32) {
        self.phase = Phase::Active;
        let closed = core.commit_to(ctx, core.log.len());
        for s in closed {
            self.sessions.remove(s);
        }
        self.spec = core.tree.clone();
        let now = ctx.now();
        self.sessions = SessionTracker::restart(core.tree.sessions(), now, core.cfg.sync_timeout());
        let zxid = core.log.committed_zxid();
        let followers: Vec<ActorId> = self.followers.keys().copied().collect();
        for f in followers {
            core.send(ctx, f, CoordMsg::Commit { epoch, zxid });
        }
        ctx.log(
            "coord_leader_active",
            serde_json::json!({ "epoch": epoch, "zxid": zxid, "sessions": core.tree.sessions().count() }),
        );
    }

    fn send_sync(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<impl CoordProtocol>,
        to: ActorId,
        their_last: Zxid,
    ) {
        let Some(epoch) = self.epoch else { return };
        let (base, entries) = match core.log.end_of(their_last) {
            Some(i) => (Some(their_last), core.log.entries()[i..].to_vec()),
            None => (None, core.log.entries().to_vec()),
        };
        let sent_at = ctx.now();
        core.send(
            ctx,
            to,
            CoordMsg::Sync {
                epoch,
                base,
                entries: entries.into(),
                sent_at,
            },
        );
    }

    /// Resends a follower the proposals after what it acknowledged.
    fn resend(&mut self, core: &mut Core, ctx: &mut Ctx<impl CoordProtocol>, to: ActorId) {
        let (Some(epoch), Some(p)) = (self.epoch, self.followers.get(&to)) else {
            return;
        };
        let from = core.log.end_of(p.acked).unwrap_or(0);
        let entries: Vec<Entry> = core.log.entries()[from..].to_vec();
        for entry in entries {
            core.send(
                ctx,
                to,
                CoordMsg::Propose {
                    epoch,
                    entry: Box::new(entry),
                },
            );
        }
    }

    /// True while a quorum (counting this leader) acknowledged, within `sync_timeout`,
    /// a heartbeat this leader sent.
    pub fn lease_valid(&self, core: &Core, now: Time) -> bool {
        if self.phase != Phase::Active {
            return false;
        }
        let mut echoes: Vec<Time> = self.followers.values().map(|p| p.echo).collect();
        echoes.push(now);
        echoes.sort_unstable_by(|a, b| b.cmp(a));
        let q = core.quorum();
        echoes.len() >= q && now <= echoes[q - 1] + core.cfg.sync_timeout()
    }

    pub fn on_tick(&mut self, core: &mut Core, ctx: &mut Ctx<impl CoordProtocol>) -> Next {
        let now = ctx.now();
        let Some(epoch) = self.epoch.filter(|_| self.phase == Phase::Active) else {
            return if now > self.since + core.cfg.init_timeout() {
                Next::Elect
            } else {
                Next::Stay
            };
        };
        if !self.lease_valid(core, now) {
            ctx.log(
                "coord_leader_lost_quorum",
                serde_json::json!({ "epoch": epoch }),
            );
            return Next::Elect;
        }
        let commit = core.log.committed_zxid();
        let followers: Vec<ActorId> = self.followers.keys().copied().collect();
        for f in &followers {
            core.send(
                ctx,
                *f,
                CoordMsg::Heartbeat {
                    epoch,
                    commit,
                    sent_at: now,
                },
            );
        }
        for f in followers {
            let p = self.followers.get_mut(&f).expect("listed");
            let stalled = p.acked < core.log.last_zxid() && p.acked == p.acked_at_tick;
            p.acked_at_tick = p.acked;
            if stalled {
                self.resend(core, ctx, f);
            }
        }
        for s in self.sessions.take_expired(now) {
            ctx.log("coord_session_expire", serde_json::json!({ "session": s }));
            self.propose(core, ctx, Txn::CloseSession { session: s }, None);
        }
        Next::Stay
    }

    /// Logs a transaction with the next zxid and sends it to the synced followers.
    pub fn propose(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<impl CoordProtocol>,
        txn: Txn,
        origin: Option<Origin>,
    ) -> Zxid {
        let epoch = self.epoch.expect("proposing needs an epoch");
        let zxid = core.log.next_zxid(epoch);
        self.spec.apply(zxid, &txn);
        let entry = Entry { zxid, txn, origin };
        core.log.append(ctx.durable(), entry.clone());
        let followers: Vec<ActorId> = self.followers.keys().copied().collect();
        for f in followers {
            core.send(
                ctx,
                f,
                CoordMsg::Propose {
                    epoch,
                    entry: Box::new(entry.clone()),
                },
            );
        }
        self.maybe_commit(core, ctx);
        zxid
    }

    /// Commits up to the highest zxid of this epoch that a quorum has logged.
    fn maybe_commit(&mut self, core: &mut Core, ctx: &mut Ctx<impl CoordProtocol>) {
        let Some(epoch) = self.epoch.filter(|_| self.phase == Phase::Active) else {
            return;
        };
        let mut acks: Vec<Zxid> = self.followers.values().map(|p| p.acked).collect();
        acks.push(core.log.last_zxid());
        acks.sort_unstable_by(|a, b| b.cmp(a));
        let q = core.quorum();
        if acks.len() < q {
            return;
        }
        let z = acks[q - 1];
        if z <= core.log.committed_zxid() || epoch_of(z) != epoch {
            return;
        }
        let n = core.log.count_upto(z);
        for s in core.commit_to(ctx, n) {
            self.sessions.remove(s);
        }
        let followers: Vec<ActorId> = self.followers.keys().copied().collect();
        for f in followers {
            core.send(ctx, f, CoordMsg::Commit { epoch, zxid: z });
        }
    }

    /// A client's ping sent at `sent_at` reaches the leader `now`: the answer to it,
    /// if any. No answer without the quorum lease (`lease`: [`Self::lease_valid`] now,
    /// see [`super::session`]): the client pings again, or moves to another server.
    fn touch(
        &mut self,
        now: Time,
        lease: bool,
        session: SessionId,
        sent_at: Time,
    ) -> Option<CoordMsg> {
        if !self.sessions.touch(session, now) {
            Some(CoordMsg::SessionExpired { session })
        } else if lease {
            Some(CoordMsg::Pong { sent_at })
        } else {
            None
        }
    }

    /// A follower's batch of its clients' pings: answered in one batch, in order.
    pub fn handle_touches(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<impl CoordProtocol>,
        follower: ActorId,
        touches: Vec<(ActorId, SessionId, Time)>,
    ) {
        let now = ctx.now();
        let active = self.phase == Phase::Active;
        let lease = self.lease_valid(core, now);
        let answers: Vec<(ActorId, CoordMsg)> = touches
            .into_iter()
            .filter_map(|(client, session, sent_at)| {
                let answer = if active {
                    self.touch(now, lease, session, sent_at)
                } else {
                    Some(CoordMsg::NotServing)
                };
                answer.map(|m| (client, m))
            })
            .collect();
        if !answers.is_empty() {
            core.send(ctx, follower, CoordMsg::ToClients(answers));
        }
    }

    /// A client request, arriving at `server` (this leader or a follower).
    pub fn handle_client(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<impl CoordProtocol>,
        server: ActorId,
        client: ActorId,
        req: Forwarded,
    ) {
        let now = ctx.now();
        match req {
            Forwarded::Connect {
                session: None,
                timeout,
                sent_at,
            } => {
                let session: SessionId = core.log.next_zxid(self.epoch.expect("active"));
                self.sessions.add(session, timeout, now);
                let origin = Origin {
                    server,
                    client,
                    req: 0,
                    sent_at,
                };
                self.propose(
                    core,
                    ctx,
                    Txn::CreateSession { session, timeout },
                    Some(origin),
                );
            }
            Forwarded::Connect {
                session: Some(s),
                sent_at,
                ..
            } => {
                let msg = if !self.sessions.is_live(s) {
                    CoordMsg::SessionExpired { session: s }
                } else if self.lease_valid(core, now) {
                    self.sessions.touch(s, now);
                    let timeout = self
                        .spec
                        .sessions()
                        .find(|(id, _)| *id == s)
                        .map_or(0, |(_, t)| t);
                    CoordMsg::ConnectOk {
                        session: s,
                        timeout,
                        sent_at,
                        zxid: 0,
                    }
                } else {
                    CoordMsg::NotServing
                };
                core.reply_via(ctx, server, client, msg);
            }
            Forwarded::Touch { session, sent_at } => {
                let lease = self.lease_valid(core, now);
                if let Some(msg) = self.touch(now, lease, session, sent_at) {
                    core.reply_via(ctx, server, client, msg);
                }
            }
            Forwarded::Write { session, req, op } => {
                if !self.sessions.touch(session, now) {
                    let msg = CoordMsg::Reply {
                        req,
                        result: Box::new(Err(CoordError::SessionExpired)),
                        zxid: 0,
                    };
                    core.reply_via(ctx, server, client, msg);
                    return;
                }
                match self.spec.prepare(session, &op) {
                    Ok(txn) => {
                        let origin = Origin {
                            server,
                            client,
                            req,
                            sent_at: 0,
                        };
                        self.propose(core, ctx, txn, Some(origin));
                    }
                    Err(e) => {
                        let msg = CoordMsg::Reply {
                            req,
                            result: Box::new(Err(e)),
                            zxid: 0,
                        };
                        core.reply_via(ctx, server, client, msg);
                    }
                }
            }
            Forwarded::Close { session } => {
                if self.sessions.close(session) {
                    self.propose(core, ctx, Txn::CloseSession { session }, None);
                }
            }
        }
    }
}

/// A follower's state, from its election to its giving up on the leader.
pub(super) struct Follower {
    pub leader: ActorId,
    epoch: Option<u32>,
    synced: bool,
    /// Synced and the leader is active (it sent a commit or heartbeat): clients welcome.
    pub serving: bool,
    pub last_heard: Time,
    commit_target: Zxid,
    buffer: BTreeMap<Zxid, Entry>,
    /// Clients' pings since the last tick, for the leader in one `Touches`.
    pub touches: Vec<(ActorId, SessionId, Time)>,
}

impl Follower {
    pub fn new(core: &mut Core, ctx: &mut Ctx<impl CoordProtocol>, leader: ActorId) -> Follower {
        let f = Follower {
            leader,
            epoch: None,
            synced: false,
            serving: false,
            last_heard: ctx.now(),
            commit_target: 0,
            buffer: BTreeMap::new(),
            touches: Vec::new(),
        };
        f.send_info(core, ctx);
        f
    }

    /// Holds the leader's history (acknowledged its NEWLEADER).
    pub fn synced(&self) -> bool {
        self.synced
    }

    fn send_info(&self, core: &mut Core, ctx: &mut Ctx<impl CoordProtocol>) {
        let msg = CoordMsg::FollowerInfo {
            accepted_epoch: core.log.accepted_epoch,
            current_epoch: core.log.current_epoch,
            last_zxid: core.log.last_zxid(),
        };
        core.send(ctx, self.leader, msg);
    }

    pub fn on_new_epoch(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<impl CoordProtocol>,
        epoch: u32,
    ) -> Next {
        if epoch < core.log.accepted_epoch {
            return Next::Elect;
        }
        if self.synced && self.epoch == Some(epoch) {
            return Next::Stay;
        }
        if epoch > core.log.accepted_epoch {
            core.log.set_accepted_epoch(ctx.durable(), epoch);
        }
        self.epoch = Some(epoch);
        self.synced = false;
        self.serving = false;
        let msg = CoordMsg::AckEpoch {
            epoch,
            current_epoch: core.log.current_epoch,
            last_zxid: core.log.last_zxid(),
        };
        core.send(ctx, self.leader, msg);
        Next::Stay
    }

    pub fn on_sync(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<impl CoordProtocol>,
        epoch: u32,
        base: Option<Zxid>,
        entries: Vec<Entry>,
        sent_at: Time,
    ) {
        if self.epoch != Some(epoch) {
            return;
        }
        if !self.synced {
            match base {
                Some(z) if z == core.log.last_zxid() => {
                    let keep = core.log.len();
                    core.log.replace_from(ctx.durable(), keep, entries);
                }
                Some(_) => return, // not the state it was computed for: wait for another
                None => {
                    let keep = core
                        .log
                        .entries()
                        .iter()
                        .zip(&entries)
                        .take_while(|(a, b)| a == b)
                        .count();
                    assert!(
                        keep >= core.log.committed(),
                        "Zab safety: a new leader's history lacks a committed transaction"
                    );
                    core.log
                        .replace_from(ctx.durable(), keep, entries[keep..].to_vec());
                }
            }
            core.log.set_current_epoch(ctx.durable(), epoch);
            self.synced = true;
            self.buffer.clear();
        }
        let msg = CoordMsg::AckSync {
            epoch,
            last_zxid: core.log.last_zxid(),
            sent_at,
        };
        core.send(ctx, self.leader, msg);
    }

    pub fn on_propose(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<impl CoordProtocol>,
        epoch: u32,
        entry: Entry,
    ) {
        if self.epoch != Some(epoch) || !self.synced {
            return;
        }
        if entry.zxid > core.log.last_zxid() {
            self.buffer.insert(entry.zxid, entry);
        }
        while let Some(e) = self.buffer.remove(&core.log.next_zxid(epoch)) {
            core.log.append(ctx.durable(), e);
        }
        // Anything left in the buffer below the log's end is a stale duplicate.
        let last = core.log.last_zxid();
        self.buffer.retain(|z, _| *z > last);
        core.send(ctx, self.leader, CoordMsg::Ack { epoch, zxid: last });
        self.apply_commits(core, ctx);
    }

    pub fn on_commit(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<impl CoordProtocol>,
        epoch: u32,
        zxid: Zxid,
    ) {
        if self.epoch != Some(epoch) || !self.synced {
            return;
        }
        self.commit_target = self.commit_target.max(zxid);
        self.serving = true;
        self.apply_commits(core, ctx);
    }

    pub fn on_heartbeat(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<impl CoordProtocol>,
        epoch: u32,
        commit: Zxid,
        sent_at: Time,
    ) {
        if self.epoch != Some(epoch) || !self.synced {
            return;
        }
        self.on_commit(core, ctx, epoch, commit);
        let msg = CoordMsg::HeartbeatAck {
            epoch,
            last_zxid: core.log.last_zxid(),
            sent_at,
        };
        core.send(ctx, self.leader, msg);
    }

    fn apply_commits(&mut self, core: &mut Core, ctx: &mut Ctx<impl CoordProtocol>) {
        let n = core.log.count_upto(self.commit_target);
        core.commit_to(ctx, n);
    }

    pub fn on_tick(&mut self, core: &mut Core, ctx: &mut Ctx<impl CoordProtocol>) -> Next {
        let limit = if self.serving {
            core.cfg.sync_timeout()
        } else {
            core.cfg.init_timeout()
        };
        if ctx.now() > self.last_heard + limit {
            ctx.log(
                "coord_follower_lost_leader",
                serde_json::json!({ "leader": self.leader.0 }),
            );
            return Next::Elect;
        }
        if !self.synced {
            self.send_info(core, ctx); // lost FOLLOWERINFO, NEWEPOCH or sync: ask again
        }
        self.flush_touches(core, ctx);
        Next::Stay
    }

    /// Sends the pings gathered since the last tick to the leader, or, no longer
    /// serving, sends their clients elsewhere. A ping's answer is thus up to half a
    /// tick late, which the client's silence limit (two thirds of a session timeout
    /// of at least two ticks, pinged every third) allows for.
    fn flush_touches(&mut self, core: &mut Core, ctx: &mut Ctx<impl CoordProtocol>) {
        if self.touches.is_empty() {
            return;
        }
        let touches = std::mem::take(&mut self.touches);
        if self.serving {
            core.send(ctx, self.leader, CoordMsg::Touches(touches));
        } else {
            for (client, _, _) in touches {
                core.send(ctx, client, CoordMsg::NotServing);
            }
        }
    }
}
