//! The deterministic discrete-event engine.
//!
//! One queue ordered by (virtual time in ns, sequence number), one thread, one run.
//! Every source of randomness is a ChaCha stream derived from the run seed: one per
//! actor (stream = actor id + 1) and one for the network (stream 0). Every delivered
//! event (message, timer, fault) is folded into a running 64-bit fingerprint, so two
//! runs agree bit for bit exactly when their fingerprints agree.
//!
//! Faults (see [`fault`]) are data scheduled into the same queue. A crashed actor is
//! dropped; messages sent to it, and timers it set, never reach it, including after a
//! restart (each incarnation has its own epoch, as a new process has new connections).
//! On restart the actor is rebuilt by its factory and started with only its
//! [`Durable`] store.
//!
//! Parallelism belongs across runs (seeds, parameter points), never inside one.

mod cache;
pub mod fault;
mod kernel;
pub mod latency;
pub mod net;
pub mod queue;

use crate::actor::{Actor, ActorId, Ctx, Durable, LogRecord, Message, Protocol, Time, TimerId};
use fault::{Fault, FaultAction};
use kernel::Ev;
pub(crate) use kernel::Kernel;
use net::{GroupId, Network};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHasher;
use serde::Serialize;
use std::hash::{Hash, Hasher};

/// Engine settings for one run.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub seed: u64,
    /// Keep a structured log of what actors report (`Ctx::log`).
    pub record_log: bool,
    /// Keep a record of every delivered event (for event logs and teaching views).
    pub record_events: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            record_log: false,
            record_events: false,
        }
    }
}

/// When to end a run. The run always ends when the queue is empty.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stop {
    /// Deliver events up to and including this time, then stop with the clock here.
    pub at: Option<Time>,
    /// Stop after this many delivered events.
    pub max_events: Option<u64>,
}

impl Stop {
    pub fn at(t: Time) -> Stop {
        Stop {
            at: Some(t),
            max_events: None,
        }
    }
    pub fn events(n: u64) -> Stop {
        Stop {
            at: None,
            max_events: Some(n),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    QueueEmpty,
    TimeLimit,
    EventLimit,
    /// An actor asked for the run to end (`Ctx::stop_run`).
    Requested,
    /// The driver saw every workload complete.
    WorkloadDone,
}

/// Counters of what the network did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NetStats {
    pub sent: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub partitioned: u64,
    /// Messages whose destination was down, or restarted, when they arrived.
    pub to_dead: u64,
}

/// What a run (or a segment of one) did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub events: u64,
    pub end_time: Time,
    pub fingerprint: u64,
    pub stop: StopReason,
    pub net: NetStats,
}

/// A delivered event, as recorded with `record_events`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventRecord {
    pub time: Time,
    pub from: Option<u32>,
    pub to: u32,
    pub kind: &'static str,
    pub detail: String,
}

/// Which actors the last [`Sim::step`] may have changed: lets a driver that follows
/// some actors' state (which master leads) look again only when one of them ran,
/// instead of inspecting them all after every event.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Touched {
    /// Nothing ran (a cancelled timer, an event for a dead incarnation).
    None,
    Actor(ActorId),
    /// A fault: any number of actors may have crashed or restarted.
    All,
}

/// Watches deliveries as they happen (metrics recorders, invariant checkers, tracers).
pub trait Observer<P: Protocol> {
    fn on_message(&mut self, time: Time, from: ActorId, to: ActorId, msg: &P::Msg);
}

type Factory<P> = Box<dyn FnMut() -> Box<dyn Actor<P>>>;

/// What the engine knows of an actor besides its live instance (cold data).
struct Slot<P: Protocol> {
    factory: Factory<P>,
    name: String,
    /// When the actor's first `on_start` runs.
    start: Time,
}

/// A simulation: actors, their network, their faults, and the clock.
pub struct Sim<P: Protocol> {
    /// What effects act on (queue, network, epochs), lent to each handler's `Ctx`.
    k: Kernel<P>,
    slots: Vec<Slot<P>>,
    // Per-actor state kept outside the actor object, indexed by actor id. Hot fields
    // live in dense vectors of their own (the live instances apart from the cold
    // factories and names), so a delivery touches few cache lines.
    actors: Vec<Option<Box<dyn Actor<P>>>>,
    rngs: Vec<ChaCha8Rng>,
    durable: Vec<Durable>,
    alive: Vec<bool>,
    seed: u64,
    hasher: FxHasher,
    events: u64,
    log: Option<Vec<LogRecord>>,
    records: Option<Vec<EventRecord>>,
    faults: Vec<FaultAction>,
    next_cut: u32,
    observer: Option<Box<dyn Observer<P>>>,
    touched: Touched,
}

impl<P: Protocol> Sim<P> {
    pub fn new(cfg: SimConfig) -> Self {
        let mut net_rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        net_rng.set_stream(0);
        Sim {
            k: Kernel::new(net_rng),
            slots: Vec::new(),
            actors: Vec::new(),
            rngs: Vec::new(),
            durable: Vec::new(),
            alive: Vec::new(),
            seed: cfg.seed,
            hasher: FxHasher::default(),
            events: 0,
            log: cfg.record_log.then(Vec::new),
            records: cfg.record_events.then(Vec::new),
            faults: Vec::new(),
            next_cut: 0,
            observer: None,
            touched: Touched::None,
        }
    }

    pub fn net_mut(&mut self) -> &mut Network {
        &mut self.k.net
    }

    pub fn net(&self) -> &Network {
        &self.k.net
    }

    pub fn set_observer(&mut self, obs: Box<dyn Observer<P>>) {
        self.observer = Some(obs);
    }

    pub fn take_observer(&mut self) -> Option<Box<dyn Observer<P>>> {
        self.observer.take()
    }

    /// Adds an actor that starts at time 0. `factory` builds a fresh instance at start
    /// and at every restart: whatever it captures is the actor's configuration, not its
    /// state.
    pub fn add_actor<A, F>(&mut self, name: &str, group: GroupId, factory: F) -> ActorId
    where
        A: Actor<P> + 'static,
        F: FnMut() -> A + 'static,
    {
        self.add_actor_at(name, group, 0, factory)
    }

    /// Adds an actor whose `on_start` runs at time `start`.
    pub fn add_actor_at<A, F>(
        &mut self,
        name: &str,
        group: GroupId,
        start: Time,
        mut factory: F,
    ) -> ActorId
    where
        A: Actor<P> + 'static,
        F: FnMut() -> A + 'static,
    {
        let id = ActorId(self.slots.len() as u32);
        self.actors.push(None);
        self.slots.push(Slot {
            factory: Box::new(move || Box::new(factory())),
            name: name.to_string(),
            start,
        });
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(id.0 as u64 + 1);
        self.rngs.push(rng);
        self.durable.push(Durable::default());
        self.k.epoch.push(0);
        self.k.links.push(Vec::new());
        self.alive.push(false);
        self.k.net.register_actor(group);
        self.k.queue.push(start.max(self.k.now), Ev::Start(id));
        id
    }

    pub fn actor_count(&self) -> usize {
        self.slots.len()
    }

    pub fn name(&self, id: ActorId) -> &str {
        &self.slots[id.index()].name
    }

    pub fn find(&self, name: &str) -> Option<ActorId> {
        self.slots
            .iter()
            .position(|s| s.name == name)
            .map(|i| ActorId(i as u32))
    }

    /// A fresh instance of actor `id` from its factory, outside the engine: how the
    /// real-network runtime hosts the very actors a scenario builds here.
    pub fn instantiate(&mut self, id: ActorId) -> Box<dyn Actor<P>> {
        (self.slots[id.index()].factory)()
    }

    /// When actor `id` first starts (its `add_actor_at` time).
    pub fn start_time(&self, id: ActorId) -> Time {
        self.slots[id.index()].start
    }

    /// The live instance of an actor, whatever its type.
    pub fn live(&self, id: ActorId) -> Option<&dyn Actor<P>> {
        self.actors[id.index()].as_deref()
    }

    pub fn is_alive(&self, id: ActorId) -> bool {
        self.alive[id.index()]
    }

    /// The live instance of an actor, as its concrete type (for tests and checkers).
    pub fn actor<A: 'static>(&self, id: ActorId) -> Option<&A> {
        self.actors[id.index()]
            .as_ref()
            .and_then(|a| a.as_any().downcast_ref::<A>())
    }

    pub fn durable(&self, id: ActorId) -> &Durable {
        &self.durable[id.index()]
    }

    pub fn now(&self) -> Time {
        self.k.now
    }

    pub fn events(&self) -> u64 {
        self.events
    }

    /// Which actors the last step may have changed.
    pub fn touched(&self) -> Touched {
        self.touched
    }

    /// Time of the next event, if any (for drivers that sample state between events).
    pub fn peek_time(&self) -> Option<Time> {
        self.k.queue.peek_time()
    }

    /// True once an actor has asked for the run to end.
    pub fn stop_requested(&self) -> bool {
        self.k.stop_requested
    }

    /// Moves the clock forward to `t` without delivering anything (end of a run).
    pub fn advance_to(&mut self, t: Time) {
        self.k.now = self.k.now.max(t);
    }

    pub fn fingerprint(&self) -> u64 {
        self.hasher.finish()
    }

    pub fn net_stats(&self) -> NetStats {
        self.k.stats
    }

    pub fn log(&self) -> &[LogRecord] {
        self.log.as_deref().unwrap_or(&[])
    }

    pub fn take_log(&mut self) -> Vec<LogRecord> {
        self.log.as_mut().map(std::mem::take).unwrap_or_default()
    }

    pub fn records(&self) -> &[EventRecord] {
        self.records.as_deref().unwrap_or(&[])
    }

    /// Injects a message from outside the actors (a test driver), sent now.
    pub fn inject(&mut self, from: ActorId, to: ActorId, msg: P::Msg) {
        self.k.send(from, to, msg);
    }

    /// Resolves target names (actor name, group name, or `prefix*`) to actor indices.
    pub fn resolve(&self, targets: &[String]) -> Result<Vec<u32>, String> {
        let mut out = Vec::new();
        for t in targets {
            let before = out.len();
            if let Some(prefix) = t.strip_suffix('*') {
                out.extend(
                    (0..self.slots.len() as u32)
                        .filter(|&i| self.slots[i as usize].name.starts_with(prefix)),
                );
            } else if let Some(i) = self.find(t) {
                out.push(i.0);
            } else if let Some(g) = self.k.net.find_group(t) {
                out.extend(
                    (0..self.slots.len() as u32).filter(|&i| self.k.net.group_of(ActorId(i)) == g),
                );
            }
            if out.len() == before {
                return Err(format!("fault target `{t}` matches no actor or group"));
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    fn sides(&self, a: &[String], b: &[String]) -> Result<Vec<u8>, String> {
        let mut sides = vec![0u8; self.slots.len()];
        for i in self.resolve(a)? {
            sides[i as usize] = 1;
        }
        if b.is_empty() {
            for s in sides.iter_mut().filter(|s| **s == 0) {
                *s = 2;
            }
        } else {
            for i in self.resolve(b)? {
                if sides[i as usize] == 1 {
                    return Err(format!(
                        "actor `{}` is on both sides of a cut",
                        self.slots[i as usize].name
                    ));
                }
                sides[i as usize] = 2;
            }
        }
        Ok(sides)
    }

    /// Schedules a fault. Call after the actors it names have been added.
    pub fn schedule_fault(&mut self, fault: &Fault) -> Result<(), String> {
        let mut plan: Vec<(Time, FaultAction)> = Vec::new();
        match fault {
            Fault::Crash {
                at,
                target,
                restart_after,
            } => {
                let ids = self.resolve(target)?;
                if let Some(d) = restart_after {
                    plan.push((at + d, FaultAction::Restart(ids.clone())));
                }
                plan.insert(0, (*at, FaultAction::Crash(ids)));
            }
            Fault::Restart { at, target } => {
                plan.push((*at, FaultAction::Restart(self.resolve(target)?)));
            }
            Fault::Partition { at, until, a, b } => {
                let id = self.next_cut;
                self.next_cut += 1;
                plan.push((
                    *at,
                    FaultAction::CutStart {
                        id,
                        sides: self.sides(a, b)?,
                    },
                ));
                if let Some(u) = until {
                    plan.push((*u, FaultAction::CutEnd(id)));
                }
            }
            Fault::Link {
                at,
                until,
                a,
                b,
                link,
            } => {
                link.validate()?;
                let id = self.next_cut;
                self.next_cut += 1;
                plan.push((
                    *at,
                    FaultAction::LinkStart {
                        id,
                        sides: self.sides(a, b)?,
                        link: link.clone(),
                    },
                ));
                if let Some(u) = until {
                    plan.push((*u, FaultAction::LinkEnd(id)));
                }
            }
            // An operator call: its names are checked here, the cluster's operator
            // actor makes it (see `run::Cluster`).
            Fault::MarkGone { target, .. } => {
                self.resolve(target)?;
            }
        }
        for (t, action) in plan {
            let idx = self.faults.len() as u32;
            self.faults.push(action);
            self.k.queue.push(t.max(self.k.now), Ev::Fault(idx));
        }
        Ok(())
    }

    /// Runs until a stop condition holds.
    pub fn run(&mut self, stop: Stop) -> RunReport {
        let max_events = stop.max_events.unwrap_or(u64::MAX);
        let reason = loop {
            if self.k.stop_requested {
                break StopReason::Requested;
            }
            if self.events >= max_events {
                break StopReason::EventLimit;
            }
            if let Some(until) = stop.at {
                match self.k.queue.peek_time() {
                    Some(t) if t > until => {
                        self.k.now = self.k.now.max(until);
                        break StopReason::TimeLimit;
                    }
                    _ => {}
                }
            }
            if !self.step() {
                break StopReason::QueueEmpty;
            }
        };
        self.report(reason)
    }

    pub fn report(&self, stop: StopReason) -> RunReport {
        RunReport {
            events: self.events,
            end_time: self.k.now,
            fingerprint: self.fingerprint(),
            stop,
            net: self.k.stats,
        }
    }

    /// Delivers the next event. Returns false when the queue is empty.
    #[inline]
    pub fn step(&mut self) -> bool {
        let Some((time, handle, ev)) = self.k.queue.pop_handle() else {
            return false;
        };
        self.k.now = time;
        self.touched = Touched::None;
        // The next event's payload was prefetched by the last pop: start loading the
        // actor it goes to while this one is handled.
        if let Some(Ev::Msg { to, .. } | Ev::Timer { to, .. }) = self.k.queue.peek_next() {
            if let Some(a) = self.actors[to.index()].as_deref() {
                cache::prefetch(a);
            }
        }
        match ev {
            Ev::Msg {
                from,
                to,
                epoch,
                msg,
            } => self.deliver(time, from, to, epoch, msg),
            Ev::Timer { to, epoch, timer } => {
                self.fire(time, to, epoch, TimerId(handle.to_bits()), timer)
            }
            Ev::Cancelled => {}
            Ev::Start(id) => self.start(id),
            Ev::Fault(idx) => self.fault(idx),
        }
        true
    }

    #[inline]
    fn deliver(&mut self, time: Time, from: ActorId, to: ActorId, epoch: u32, msg: P::Msg) {
        let i = to.index();
        if !self.alive[i] || self.k.epoch[i] != epoch {
            self.k.stats.to_dead += 1;
            return;
        }
        if self.k.net.partitioned(from, to) {
            self.k.stats.partitioned += 1;
            return;
        }
        self.touched = Touched::Actor(to);
        self.events += 1;
        let h = &mut self.hasher;
        h.write_u64(time);
        h.write_u32(from.0);
        h.write_u32(to.0);
        msg.hash(h);
        if let Some(r) = self.records.as_mut() {
            r.push(EventRecord {
                time,
                from: Some(from.0),
                to: to.0,
                kind: msg.kind(),
                detail: format!("{msg:?}"),
            });
        }
        if let Some(o) = self.observer.as_mut() {
            o.on_message(time, from, to, &msg);
        }
        let actor = self.actors[i].as_mut().expect("alive actor");
        let mut ctx = Ctx::engine(
            &mut self.k,
            to,
            &mut self.rngs[i],
            &mut self.durable[i],
            self.log.as_mut(),
        );
        actor.on_message(&mut ctx, from, msg);
    }

    fn fire(&mut self, time: Time, to: ActorId, epoch: u32, id: TimerId, timer: P::Timer) {
        let i = to.index();
        if !self.alive[i] || self.k.epoch[i] != epoch {
            return; // set by an earlier incarnation
        }
        self.touched = Touched::Actor(to);
        self.events += 1;
        let h = &mut self.hasher;
        h.write_u64(time);
        h.write_u32(u32::MAX);
        h.write_u32(to.0);
        timer.hash(h);
        if let Some(r) = self.records.as_mut() {
            r.push(EventRecord {
                time,
                from: None,
                to: to.0,
                kind: "timer",
                detail: format!("{timer:?}"),
            });
        }
        let actor = self.actors[i].as_mut().expect("alive actor");
        let mut ctx = Ctx::engine(
            &mut self.k,
            to,
            &mut self.rngs[i],
            &mut self.durable[i],
            self.log.as_mut(),
        );
        actor.on_timer(&mut ctx, id, timer);
    }

    fn start(&mut self, id: ActorId) {
        let i = id.index();
        if self.alive[i] {
            return;
        }
        self.alive[i] = true;
        if self.touched == Touched::None {
            self.touched = Touched::Actor(id);
        }
        self.events += 1;
        self.hasher.write_u64(self.k.now);
        self.hasher.write_u32(u32::MAX - 1);
        self.hasher.write_u32(id.0);
        let mut actor = (self.slots[i].factory)();
        let mut ctx = Ctx::engine(
            &mut self.k,
            id,
            &mut self.rngs[i],
            &mut self.durable[i],
            self.log.as_mut(),
        );
        actor.on_start(&mut ctx);
        self.actors[i] = Some(actor);
    }

    fn fault(&mut self, idx: u32) {
        self.touched = Touched::All;
        self.events += 1;
        self.hasher.write_u64(self.k.now);
        self.hasher.write_u32(u32::MAX - 2);
        self.hasher.write_u32(idx);
        if let Some(r) = self.records.as_mut() {
            r.push(EventRecord {
                time: self.k.now,
                from: None,
                to: u32::MAX,
                kind: "fault",
                detail: format!("{:?}", self.faults[idx as usize]),
            });
        }
        match self.faults[idx as usize].clone() {
            FaultAction::Crash(ids) => {
                for i in ids {
                    let i = i as usize;
                    if self.alive[i] {
                        self.alive[i] = false;
                        self.k.epoch[i] += 1;
                        self.actors[i] = None;
                        self.k.notify_exited(ActorId(i as u32));
                    }
                }
            }
            FaultAction::Restart(ids) => {
                for i in ids {
                    if !self.alive[i as usize] {
                        self.k.epoch[i as usize] += 1;
                        self.start(ActorId(i));
                    }
                }
            }
            FaultAction::CutStart { id, sides } => self.k.net.start_cut(id, sides),
            FaultAction::CutEnd(id) => self.k.net.end_cut(id),
            FaultAction::LinkStart { id, sides, link } => self.k.net.start_change(id, sides, &link),
            FaultAction::LinkEnd(id) => self.k.net.end_change(id),
        }
    }
}
