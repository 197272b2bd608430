//! One schedlab actor hosted in one actix actor.
//!
//! [`Node`] hands the actor a buffering [`Ctx`] and applies what it recorded, as the
//! engine would: `send` becomes a frame on the link to the peer ([`super::net`]),
//! `set_timer` actix's `run_later` with the virtual delay scaled to wall time,
//! `cancel_timer` cancels that future, `link` watches the peer's connection (its
//! break is delivered as [`Protocol::exited`], libprocess' `exited`), `stop_run` is
//! reported to whoever runs the cluster. The durable store lives in memory with the
//! node. Nothing of the actor's code differs from a simulated run.

use super::clock::Clock;
use super::frame::Frame;
use super::topology::Role;
use super::NetConfig;
use crate::actor::{
    Actor as SchedActor, ActorId, Ctx, Durable, Effect, LogRecord, Protocol, Time, TimerId,
};
use crate::proto::{Mesos, Msg};
use actix::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::rc::Rc;
use tokio::sync::{mpsc, watch};

/// Called with every message a node delivers (time, from, to, message): how an
/// in-process cluster feeds the metrics recorder.
pub type Tap = Rc<dyn Fn(Time, ActorId, ActorId, &Msg)>;

/// Traffic counters of one node (shown by `ctl status` and `/metrics/snapshot`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counters {
    pub delivered: u64,
    pub frames_sent: u64,
    /// Sends dropped because the peer was unreachable (as lost packets).
    pub sends_dropped: u64,
    /// Frames rejected: oversized, truncated, garbage, unknown kind, misaddressed.
    pub frames_rejected: u64,
    /// Connections refused in the handshake (wrong secret, unknown name).
    pub peers_refused: u64,
    pub connections_accepted: u64,
    pub reconnects: u64,
}

/// What a node's connection tasks share with it.
pub struct Shared {
    pub id: ActorId,
    pub name: String,
    pub role: Role,
    pub cfg: NetConfig,
    pub clock: Clock,
    /// Every node's name and role, by id.
    pub names: Rc<Vec<String>>,
    pub roles: Rc<Vec<Role>>,
    /// Where every node listens, by id.
    pub peers: Rc<BTreeMap<ActorId, SocketAddr>>,
    /// The hosted actor; `None` before its start and after a crash.
    pub actor: RefCell<Option<Box<dyn SchedActor<Mesos>>>>,
    pub counters: RefCell<Counters>,
    /// Set to true when the node dies: every task of it stops.
    pub shutdown: watch::Sender<bool>,
    /// The actor asked for the run to end.
    pub stop_requested: Cell<bool>,
    pub node: RefCell<Option<Addr<Node>>>,
}

impl Shared {
    pub fn find(&self, name: &str) -> Option<ActorId> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| ActorId(i as u32))
    }

    pub fn is_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Logs a network event of this node on stderr.
    pub fn warn(&self, what: &str) {
        eprintln!("[{}] {what}", self.name);
    }
}

/// Delivers `msg` from `from` to the hosted actor.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Deliver {
    pub from: ActorId,
    pub msg: Msg,
}

/// The link to `peer` broke or could not be made.
#[derive(Message)]
#[rtype(result = "()")]
pub struct PeerDown(pub ActorId);

/// The node dies (`ctl crash`): the actor is dropped, every connection closed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Crash;

/// The actix actor hosting one schedlab actor.
pub struct Node {
    sh: Rc<Shared>,
    rng: ChaCha8Rng,
    durable: Durable,
    next_timer: u64,
    timers: BTreeMap<TimerId, SpawnHandle>,
    links: BTreeSet<ActorId>,
    out: BTreeMap<ActorId, mpsc::UnboundedSender<Frame>>,
    tap: Option<Tap>,
    start: Time,
    pending: Option<Box<dyn SchedActor<Mesos>>>,
}

impl Node {
    /// Starts hosting `actor` (node `sh.id`), whose `on_start` runs at virtual `start`,
    /// and serves `listener`. Must run inside an actix system.
    pub fn launch(
        sh: Rc<Shared>,
        actor: Box<dyn SchedActor<Mesos>>,
        start: Time,
        seed: u64,
        listener: std::net::TcpListener,
        tap: Option<Tap>,
    ) -> Result<Addr<Node>, String> {
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("{}: {e}", sh.name))?;
        let listener =
            tokio::net::TcpListener::from_std(listener).map_err(|e| format!("{}: {e}", sh.name))?;
        // The same per-actor stream as under the engine: (seed, actor id).
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(sh.id.0 as u64 + 1);
        let node = Node {
            sh: sh.clone(),
            rng,
            durable: Durable::default(),
            next_timer: 1,
            timers: BTreeMap::new(),
            links: BTreeSet::new(),
            out: BTreeMap::new(),
            tap,
            start,
            pending: Some(actor),
        };
        let addr = node.start();
        *sh.node.borrow_mut() = Some(addr.clone());
        actix::spawn(super::net::serve(listener, sh));
        Ok(addr)
    }

    /// Runs one handler of the actor and applies its effects.
    fn run_handler(
        &mut self,
        ctx: &mut Context<Self>,
        f: impl FnOnce(&mut dyn SchedActor<Mesos>, &mut Ctx<Mesos>),
    ) {
        let mut effects = Vec::new();
        {
            let mut slot = self.sh.actor.borrow_mut();
            let Some(actor) = slot.as_mut() else {
                return;
            };
            let mut log: Option<Vec<LogRecord>> = self.sh.cfg.verbose.then(Vec::new);
            let mut c = Ctx::new(
                self.sh.clock.now(),
                self.sh.id,
                &mut self.rng,
                &mut effects,
                &mut self.next_timer,
                &mut self.durable,
                log.as_mut(),
            );
            f(actor.as_mut(), &mut c);
            for r in log.unwrap_or_default() {
                eprintln!("[{}] {} {} {}", self.sh.name, r.time, r.event, r.fields);
            }
        }
        for e in effects {
            self.apply(ctx, e);
        }
    }

    fn apply(&mut self, ctx: &mut Context<Self>, e: Effect<Mesos>) {
        match e {
            Effect::Send { to, msg } if to == self.sh.id => ctx.notify(Deliver {
                from: self.sh.id,
                msg,
            }),
            Effect::Send { to, msg } => self.send(
                to,
                Frame::Msg {
                    from: self.sh.id.0,
                    to: to.0,
                    msg,
                },
            ),
            Effect::SetTimer { id, after, timer } => {
                let h = ctx.run_later(self.sh.clock.wall(after), move |node, ctx| {
                    node.timers.remove(&id);
                    node.run_handler(ctx, |a, c| a.on_timer(c, id, timer));
                });
                self.timers.insert(id, h);
            }
            Effect::CancelTimer(id) => {
                if let Some(h) = self.timers.remove(&id) {
                    ctx.cancel_future(h);
                }
            }
            Effect::Link(peer) => {
                self.links.insert(peer);
                self.link_to(peer);
            }
            Effect::Stop => self.sh.stop_requested.set(true),
        }
    }

    /// The outbound link to `peer`, made on first use.
    fn link_to(&mut self, peer: ActorId) -> Option<&mpsc::UnboundedSender<Frame>> {
        let live = self.out.get(&peer).is_some_and(|s| !s.is_closed());
        if !live {
            let addr = *self.sh.peers.get(&peer)?;
            let (tx, rx) = mpsc::unbounded_channel();
            let node = self.sh.node.borrow().clone()?;
            actix::spawn(super::net::link(self.sh.clone(), peer, addr, rx, node));
            self.out.insert(peer, tx);
        }
        self.out.get(&peer)
    }

    fn send(&mut self, to: ActorId, frame: Frame) {
        let sent = match self.link_to(to) {
            Some(tx) => tx.send(frame).is_ok(),
            None => false,
        };
        let mut c = self.sh.counters.borrow_mut();
        if sent {
            c.frames_sent += 1;
        } else {
            c.sends_dropped += 1;
        }
    }
}

impl Actor for Node {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let now = self.sh.clock.now();
        let delay = self.sh.clock.wall(self.start.saturating_sub(now));
        ctx.run_later(delay, |node, ctx| {
            let Some(actor) = node.pending.take() else {
                return;
            };
            *node.sh.actor.borrow_mut() = Some(actor);
            node.run_handler(ctx, |a, c| a.on_start(c));
        });
    }
}

impl Handler<Deliver> for Node {
    type Result = ();
    fn handle(&mut self, d: Deliver, ctx: &mut Context<Self>) {
        if self.sh.actor.borrow().is_none() {
            return; // not started yet, or dead: as a message to a down process
        }
        self.sh.counters.borrow_mut().delivered += 1;
        if let Some(tap) = &self.tap {
            tap(self.sh.clock.now(), d.from, self.sh.id, &d.msg);
        }
        let Deliver { from, msg } = d;
        self.run_handler(ctx, |a, c| a.on_message(c, from, msg));
    }
}

impl Handler<PeerDown> for Node {
    type Result = ();
    fn handle(&mut self, PeerDown(peer): PeerDown, ctx: &mut Context<Self>) {
        if !self.links.remove(&peer) {
            return;
        }
        if let Some(msg) = Mesos::exited(peer) {
            ctx.notify(Deliver { from: peer, msg });
        }
    }
}

impl Handler<Crash> for Node {
    type Result = ();
    fn handle(&mut self, _: Crash, ctx: &mut Context<Self>) {
        self.sh.actor.borrow_mut().take();
        self.out.clear();
        let _ = self.sh.shutdown.send(true);
        ctx.stop();
    }
}
