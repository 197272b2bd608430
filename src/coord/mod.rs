//! A ZooKeeper-like coordination service: an ensemble of server actors replicating a
//! znode tree with Zab, client sessions with timeouts, ephemeral and sequential
//! znodes, one-shot watches, and the leader-election recipe Mesos masters use.
//!
//! What it models, and where the facts come from:
//! - the data model and client API of ZooKeeper (Hunt, Konar, Junqueira, Reed,
//!   "ZooKeeper: Wait-free coordination for Internet-scale systems", USENIX ATC 2010;
//!   the ZooKeeper Programmer's Guide): znodes with data and children, ephemeral nodes
//!   that live as long as their session, sequential nodes named with a 10-digit,
//!   zero-padded counter of the parent, one-shot watches set by reads, a session
//!   timeout negotiated between 2 and 20 ticks, pings every third of the timeout;
//!   writes go through the leader, reads are served by the server a client is
//!   connected to ([`tree`], [`watch`], [`client`]);
//! - Zab for replication (Junqueira, Reed, Serafini, DSN 2011): epochs and zxids,
//!   discovery, sync and broadcast phases, commit by quorum ([`zab`], [`log`]), with
//!   ZooKeeper's fast leader election among the servers ([`vote`]) and its
//!   `tickTime`/`initLimit`/`syncLimit` failure detection ([`server`]);
//! - session expiry by the ensemble leader, the countdown restarted by a new leader
//!   ([`session`]);
//! - the "Leader Election" recipe (ZooKeeper Recipes and Solutions; Mesos'
//!   `LeaderContender`/`LeaderDetector`): smallest sequence number leads, each candidate
//!   watches only its predecessor ([`election`], [`detector`]).
//!
//! On top of the client, the recipes keep Mesos' `zookeeper::Group` local session
//! timer ([`group`]): a leader cut off from the ensemble steps down one session timeout
//! after its client noticed, so it may overlap with its successor for a few seconds,
//! as a Mesos master does.
//!
//! Everything is sans-IO on [`crate::actor::Ctx`], generic over the protocol that
//! carries the service ([`CoordProtocol`]); servers keep their log on the actor's
//! durable store, so a crashed and restarted server recovers.
//!
//! ```
//! use schedlab::actor::{Actor, ActorId, Ctx, TimerId, SEC};
//! use schedlab::coord::{add_ensemble, CoordClient, Election, ElectionEvent, ServerConfig};
//! use schedlab::proto::{Mesos, Msg, Timer};
//! use schedlab::sim::{Sim, SimConfig, Stop};
//!
//! /// A master-like candidate: one client session, one election.
//! struct Candidate { client: CoordClient, election: Election, leading: bool }
//! impl Candidate {
//!     fn feed(&mut self, ctx: &mut Ctx<Mesos>, events: Vec<schedlab::coord::CoordEvent>) {
//!         for ev in events {
//!             for e in self.election.handle(&mut self.client, ctx, &ev) {
//!                 match e {
//!                     ElectionEvent::Elected => self.leading = true,
//!                     ElectionEvent::NotLeader => self.leading = false,
//!                     ElectionEvent::LeaderIs(_) => {}
//!                 }
//!             }
//!         }
//!     }
//! }
//! impl Actor<Mesos> for Candidate {
//!     fn on_start(&mut self, ctx: &mut Ctx<Mesos>) { self.client.start(ctx); }
//!     fn on_message(&mut self, ctx: &mut Ctx<Mesos>, from: ActorId, msg: Msg) {
//!         if let Msg::Coord(m) = msg {
//!             let evs = self.client.on_message(ctx, from, m);
//!             self.feed(ctx, evs);
//!         }
//!     }
//!     fn on_timer(&mut self, ctx: &mut Ctx<Mesos>, _: TimerId, t: Timer) {
//!         if let Timer::Coord(t) = t {
//!             // The recipe's own timer (Mesos' group session timer), else the client's.
//!             let lost = self.election.on_timer(&mut self.client, ctx, &t);
//!             self.leading &= lost.is_empty();
//!             let evs = self.client.on_timer(ctx, t);
//!             self.feed(ctx, evs);
//!         }
//!     }
//! }
//!
//! let mut sim: Sim<Mesos> = Sim::new(SimConfig::default());
//! let g = sim.net_mut().group("zk");
//! let servers = add_ensemble(&mut sim, "zk", 3, g, ServerConfig::default());
//! let m = sim.net_mut().group("masters");
//! let ids: Vec<ActorId> = (0..2)
//!     .map(|i| {
//!         let s = servers.clone();
//!         sim.add_actor(&format!("master{i}"), m, move || Candidate {
//!             client: CoordClient::new(s.clone(), 10 * SEC),
//!             election: Election::new("/mesos", format!("master{i}").into_bytes()),
//!             leading: false,
//!         })
//!     })
//!     .collect();
//! sim.run(Stop::at(20 * SEC));
//! let leaders = ids.iter().filter(|id| sim.actor::<Candidate>(**id).unwrap().leading).count();
//! assert_eq!(leaders, 1);
//! ```

pub mod client;
pub mod detector;
pub mod election;
pub mod group;
pub mod log;
pub mod msg;
pub mod server;
pub mod session;
pub mod tree;
pub mod vote;
pub mod watch;
mod zab;

pub use client::{CoordClient, CoordEvent, DEFAULT_SESSION_TIMEOUT};
pub use detector::LeaderDetector;
pub use election::{Election, ElectionEvent};
pub use msg::{
    ClientTimer, CoordError, CoordMsg, CoordTimer, Op, OpResult, ReqId, ServerTimer, SessionId,
    Stat, WatchEvent, WatchKind, WatchType, Zxid,
};
pub use server::{add_ensemble, CoordServer, ServerConfig};

use crate::actor::{ActorId, Ctx, Protocol, Time, TimerId};

/// A protocol that carries the coordination service: its messages and timers travel
/// wrapped in the protocol's own (`proto::Mesos` wraps them in `Msg::Coord` and
/// `Timer::Coord`). The service is written once, generic over this, so it does not
/// depend on any one protocol that uses it.
pub trait CoordProtocol: Protocol {
    fn wrap_msg(m: CoordMsg) -> Self::Msg;
    /// The coordination message inside `m`, if it is one.
    fn unwrap_msg(m: Self::Msg) -> Option<CoordMsg>;
    fn wrap_timer(t: CoordTimer) -> Self::Timer;
    /// The coordination timer inside `t`, if it is one.
    fn unwrap_timer(t: Self::Timer) -> Option<CoordTimer>;
}

/// Sends `m` to `to`, wrapped in the protocol of `ctx`.
fn send<P: CoordProtocol>(ctx: &mut Ctx<P>, to: ActorId, m: CoordMsg) {
    ctx.send(to, P::wrap_msg(m));
}

/// Sets a timer for `t` after `after`, wrapped in the protocol of `ctx`.
fn set_timer<P: CoordProtocol>(ctx: &mut Ctx<P>, after: Time, t: CoordTimer) -> TimerId {
    ctx.set_timer(after, P::wrap_timer(t))
}
