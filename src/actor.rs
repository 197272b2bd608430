//! The `Actor` trait: sans-IO handlers that only record effects on a [`Ctx`].
//!
//! An actor never touches threads, sockets or clocks. It is handed the current virtual
//! time, its own deterministic random stream and an effect buffer; the runtime that
//! hosts it (the discrete-event engine in [`crate::sim`], or the real-network runtime)
//! decides what a `send` or a timer means. That separation is what lets the same master
//! or agent run bit-for-bit reproducibly under simulation and over TCP.
//!
//! Crash semantics follow what a real process has: in-memory state is lost, and only
//! what the actor wrote to its [`Durable`] store (its "disk") survives to the restart.
//!
//! ```
//! use schedlab::actor::{Actor, ActorId, Ctx, Message, Protocol, TimerId};
//! use schedlab::sim::{Sim, SimConfig, Stop};
//!
//! #[derive(Clone, Debug, Hash)]
//! struct Ping(u32);
//! impl Message for Ping {
//!     fn kind(&self) -> &'static str { "ping" }
//! }
//! struct P;
//! impl Protocol for P {
//!     type Msg = Ping;
//!     type Timer = ();
//! }
//!
//! /// Sends `Ping(n+1)` back until n reaches 10.
//! struct Echo { peer: Option<ActorId> }
//! impl Actor<P> for Echo {
//!     fn on_start(&mut self, ctx: &mut Ctx<P>) {
//!         if let Some(p) = self.peer { ctx.send(p, Ping(0)); }
//!     }
//!     fn on_message(&mut self, ctx: &mut Ctx<P>, from: ActorId, msg: Ping) {
//!         if msg.0 < 10 { ctx.send(from, Ping(msg.0 + 1)); }
//!     }
//!     fn on_timer(&mut self, _: &mut Ctx<P>, _: TimerId, _: ()) {}
//! }
//!
//! let mut sim: Sim<P> = Sim::new(SimConfig { seed: 7, ..Default::default() });
//! let g = sim.net_mut().group("nodes");
//! let a = sim.add_actor("a", g, || Echo { peer: None });
//! sim.add_actor("b", g, move || Echo { peer: Some(a) });
//! let report = sim.run(Stop::default());
//! assert_eq!(report.events, 13); // two starts, then Ping(0)..=Ping(10)
//! ```

use rand_chacha::ChaCha8Rng;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::Hash;

/// Virtual time in integer nanoseconds. Never a float, never the wall clock.
pub type Time = u64;
/// One microsecond of virtual time.
pub const US: Time = 1_000;
/// One millisecond of virtual time.
pub const MS: Time = 1_000_000;
/// One second of virtual time.
pub const SEC: Time = 1_000_000_000;

/// Index of an actor in its runtime; stable for the life of a run, across restarts.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub struct ActorId(pub u32);

impl ActorId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A value per actor, found by indexing: actor ids are dense, so a vector replaces a
/// map for the tables every message consults (which agent an actor is, at a master of
/// 12,500 agents: one cache line instead of a tree walk).
#[derive(Clone, Debug)]
pub struct ByActor<T>(Vec<Option<T>>);

impl<T> Default for ByActor<T> {
    fn default() -> Self {
        ByActor(Vec::new())
    }
}

impl<T: Copy> ByActor<T> {
    pub fn get(&self, a: ActorId) -> Option<T> {
        self.0.get(a.index()).copied().flatten()
    }

    pub fn contains(&self, a: ActorId) -> bool {
        self.get(a).is_some()
    }

    pub fn insert(&mut self, a: ActorId, v: T) {
        let i = a.index();
        if i >= self.0.len() {
            self.0.resize(i + 1, None);
        }
        self.0[i] = Some(v);
    }

    pub fn remove(&mut self, a: ActorId) -> Option<T> {
        self.0.get_mut(a.index()).and_then(Option::take)
    }
}

/// Handle of a pending timer, unique within a run; used to cancel it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TimerId(pub u64);

/// A message type: hashed into the run fingerprint, named in logs.
pub trait Message: Clone + Debug + Hash + 'static {
    /// Short, stable name of the variant (e.g. `"resource_offers"`), for logs and sequence views.
    fn kind(&self) -> &'static str;
}

/// Ties a message type and a timer type together, so that heterogeneous actors
/// (masters, agents, frameworks) can share one queue without `dyn Any` downcasts.
pub trait Protocol: 'static {
    type Msg: Message;
    type Timer: Clone + Debug + Hash + 'static;
    /// The message a linked actor receives when `peer` dies (see [`Ctx::link`]); `None`
    /// for protocols that do not use links.
    fn exited(_peer: ActorId) -> Option<Self::Msg> {
        None
    }
}

/// Lets tests and invariant checkers look at an actor's concrete state.
pub trait AsAny {
    fn as_any(&self) -> &dyn Any;
}
impl<T: Any> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A sans-IO actor. Handlers only record effects on `ctx`.
pub trait Actor<P: Protocol>: AsAny {
    /// Called when the actor is first started and after every restart (with only its
    /// durable store surviving).
    fn on_start(&mut self, ctx: &mut Ctx<P>);
    fn on_message(&mut self, ctx: &mut Ctx<P>, from: ActorId, msg: P::Msg);
    fn on_timer(&mut self, ctx: &mut Ctx<P>, id: TimerId, timer: P::Timer);
}

/// What an actor asks a runtime that buffers effects (built with [`Ctx::new`]) to do.
/// The discrete-event engine applies effects directly instead.
#[derive(Debug)]
pub enum Effect<P: Protocol> {
    Send {
        to: ActorId,
        msg: P::Msg,
    },
    SetTimer {
        id: TimerId,
        after: Time,
        timer: P::Timer,
    },
    CancelTimer(TimerId),
    /// Watch `peer`: learn of its death through [`Protocol::exited`].
    Link(ActorId),
    /// Ask the runtime to end the run (e.g. a workload driver that has nothing left).
    Stop,
}

/// One structured log record: what happened, at what time, in which actor.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LogRecord {
    pub time: Time,
    pub actor: ActorId,
    pub event: String,
    pub fields: serde_json::Value,
}

/// An actor's "disk": survives crashes. Values are serialized, as a real process would
/// have to, so that nothing in-memory leaks across a restart by accident.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Durable {
    entries: BTreeMap<String, Vec<u8>>,
}

impl Durable {
    pub fn put<T: Serialize>(&mut self, key: &str, value: &T) {
        let bytes = serde_json::to_vec(value).expect("durable values serialize");
        self.entries.insert(key.to_string(), bytes);
    }
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.entries
            .get(key)
            .and_then(|b| serde_json::from_slice(b).ok())
    }
    pub fn remove(&mut self, key: &str) {
        self.entries.remove(key);
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The context handed to every handler: time, identity, randomness and the effects.
pub struct Ctx<'a, P: Protocol> {
    now: Time,
    me: ActorId,
    rng: &'a mut ChaCha8Rng,
    durable: &'a mut Durable,
    log: Option<&'a mut Vec<LogRecord>>,
    sink: Sink<'a, P>,
}

/// What an engine applies effects on the moment they are made (the discrete-event
/// engine's kernel, `sim::Kernel`). A trait here, so that the actor model does not
/// import the engine that runs it.
pub(crate) trait EffectSink<P: Protocol> {
    fn now(&self) -> Time;
    fn send(&mut self, from: ActorId, to: ActorId, msg: P::Msg);
    fn set_timer(&mut self, me: ActorId, after: Time, timer: P::Timer) -> TimerId;
    fn cancel_timer(&mut self, me: ActorId, id: TimerId);
    fn link(&mut self, me: ActorId, peer: ActorId);
    fn request_stop(&mut self);
}

/// Where effects go.
enum Sink<'a, P: Protocol> {
    /// Recorded for a runtime that applies them after the handler returns.
    Buffer {
        out: &'a mut Vec<Effect<P>>,
        next_timer: &'a mut u64,
    },
    /// Applied at once by the discrete-event engine: no buffer round trip per message.
    Engine(&'a mut dyn EffectSink<P>),
}

impl<'a, P: Protocol> Ctx<'a, P> {
    /// Built by a runtime that collects effects in `out`; actors never construct one.
    pub fn new(
        now: Time,
        me: ActorId,
        rng: &'a mut ChaCha8Rng,
        out: &'a mut Vec<Effect<P>>,
        next_timer: &'a mut u64,
        durable: &'a mut Durable,
        log: Option<&'a mut Vec<LogRecord>>,
    ) -> Self {
        Ctx {
            now,
            me,
            rng,
            durable,
            log,
            sink: Sink::Buffer { out, next_timer },
        }
    }

    /// Built by the discrete-event engine, which applies effects as they are made.
    #[inline]
    pub(crate) fn engine(
        kernel: &'a mut dyn EffectSink<P>,
        me: ActorId,
        rng: &'a mut ChaCha8Rng,
        durable: &'a mut Durable,
        log: Option<&'a mut Vec<LogRecord>>,
    ) -> Self {
        Ctx {
            now: kernel.now(),
            me,
            rng,
            durable,
            log,
            sink: Sink::Engine(kernel),
        }
    }

    #[inline]
    pub fn now(&self) -> Time {
        self.now
    }
    #[inline]
    pub fn me(&self) -> ActorId {
        self.me
    }
    /// This actor's own ChaCha stream, derived from (run seed, actor id).
    #[inline]
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        self.rng
    }
    #[inline]
    pub fn send(&mut self, to: ActorId, msg: P::Msg) {
        match &mut self.sink {
            Sink::Engine(k) => k.send(self.me, to, msg),
            Sink::Buffer { out, .. } => out.push(Effect::Send { to, msg }),
        }
    }
    /// Fires `timer` after `after` ns unless cancelled or the actor crashes first.
    /// The id is unique among pending timers; a stale one cancels nothing.
    #[inline]
    pub fn set_timer(&mut self, after: Time, timer: P::Timer) -> TimerId {
        match &mut self.sink {
            Sink::Engine(k) => k.set_timer(self.me, after, timer),
            Sink::Buffer { out, next_timer } => {
                let id = TimerId(**next_timer);
                **next_timer += 1;
                out.push(Effect::SetTimer { id, after, timer });
                id
            }
        }
    }
    /// Cancels one of this actor's pending timers (a no-op if it already fired).
    #[inline]
    pub fn cancel_timer(&mut self, id: TimerId) {
        match &mut self.sink {
            Sink::Engine(k) => k.cancel_timer(self.me, id),
            Sink::Buffer { out, .. } => out.push(Effect::CancelTimer(id)),
        }
    }
    /// Links this actor to `peer`, as libprocess' `link()` does over a TCP connection:
    /// when `peer` crashes, this actor receives [`Protocol::exited`] from it (after the
    /// network's latency; a partition delays nothing and reports nothing, as a silent
    /// TCP peer is only noticed by timeouts). One notice per link; link again after it.
    pub fn link(&mut self, peer: ActorId) {
        match &mut self.sink {
            Sink::Engine(k) => k.link(self.me, peer),
            Sink::Buffer { out, .. } => out.push(Effect::Link(peer)),
        }
    }
    /// Ends the run after the current handler (e.g. a driver with nothing left to do).
    pub fn stop_run(&mut self) {
        match &mut self.sink {
            Sink::Engine(k) => k.request_stop(),
            Sink::Buffer { out, .. } => out.push(Effect::Stop),
        }
    }
    pub fn durable(&mut self) -> &mut Durable {
        self.durable
    }
    /// True when a structured log is being recorded; check before building costly fields.
    #[inline]
    pub fn logging(&self) -> bool {
        self.log.is_some()
    }
    pub fn log(&mut self, event: &str, fields: serde_json::Value) {
        if let Some(log) = self.log.as_deref_mut() {
            log.push(LogRecord {
                time: self.now,
                actor: self.me,
                event: event.to_string(),
                fields,
            });
        }
    }
}
