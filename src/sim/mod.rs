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

pub mod fault;
pub mod net;
pub mod queue;

use crate::actor::{
    Actor, ActorId, Ctx, Durable, Effect, LogRecord, Message, Protocol, Time, TimerId,
};
use fault::{Fault, FaultAction};
use net::{GroupId, Network, Route};
use queue::EventQueue;
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

/// Watches deliveries as they happen (metrics recorders, invariant checkers, tracers).
pub trait Observer<P: Protocol> {
    fn on_message(&mut self, time: Time, from: ActorId, to: ActorId, msg: &P::Msg);
}

enum Ev<P: Protocol> {
    Msg {
        from: ActorId,
        to: ActorId,
        epoch: u32,
        msg: P::Msg,
    },
    Timer {
        to: ActorId,
        epoch: u32,
        id: TimerId,
        timer: P::Timer,
    },
    Start(ActorId),
    Fault(u32),
}

type Factory<P> = Box<dyn FnMut() -> Box<dyn Actor<P>>>;

struct Slot<P: Protocol> {
    actor: Option<Box<dyn Actor<P>>>,
    factory: Factory<P>,
    name: String,
}

/// Per-actor runtime state the engine keeps outside the actor object.
struct Kernel<P: Protocol> {
    now: Time,
    seed: u64,
    queue: EventQueue<Ev<P>>,
    net: Network,
    net_rng: ChaCha8Rng,
    rngs: Vec<ChaCha8Rng>,
    durable: Vec<Durable>,
    epoch: Vec<u32>,
    alive: Vec<bool>,
    #[allow(clippy::disallowed_types)] // membership tests only, never iterated
    pending_timers: std::collections::HashSet<u64, rustc_hash::FxBuildHasher>,
    next_timer: u64,
    out: Vec<Effect<P>>,
    hasher: FxHasher,
    events: u64,
    stats: NetStats,
    stop_requested: bool,
    log: Option<Vec<LogRecord>>,
    records: Option<Vec<EventRecord>>,
    faults: Vec<FaultAction>,
    next_cut: u32,
}

/// A simulation: actors, their network, their faults, and the clock.
pub struct Sim<P: Protocol> {
    slots: Vec<Slot<P>>,
    k: Kernel<P>,
    observer: Option<Box<dyn Observer<P>>>,
}

impl<P: Protocol> Sim<P> {
    pub fn new(cfg: SimConfig) -> Self {
        let mut net_rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        net_rng.set_stream(0);
        Sim {
            slots: Vec::new(),
            k: Kernel {
                now: 0,
                seed: cfg.seed,
                queue: EventQueue::new(),
                net: Network::default(),
                net_rng,
                rngs: Vec::new(),
                durable: Vec::new(),
                epoch: Vec::new(),
                alive: Vec::new(),
                pending_timers: Default::default(),
                next_timer: 0,
                out: Vec::new(),
                hasher: FxHasher::default(),
                events: 0,
                stats: NetStats::default(),
                stop_requested: false,
                log: cfg.record_log.then(Vec::new),
                records: cfg.record_events.then(Vec::new),
                faults: Vec::new(),
                next_cut: 0,
            },
            observer: None,
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
        self.slots.push(Slot {
            actor: None,
            factory: Box::new(move || Box::new(factory())),
            name: name.to_string(),
        });
        let mut rng = ChaCha8Rng::seed_from_u64(self.k.seed);
        rng.set_stream(id.0 as u64 + 1);
        self.k.rngs.push(rng);
        self.k.durable.push(Durable::default());
        self.k.epoch.push(0);
        self.k.alive.push(false);
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

    pub fn is_alive(&self, id: ActorId) -> bool {
        self.k.alive[id.index()]
    }

    /// The live instance of an actor, as its concrete type (for tests and checkers).
    pub fn actor<A: 'static>(&self, id: ActorId) -> Option<&A> {
        self.slots[id.index()]
            .actor
            .as_ref()
            .and_then(|a| a.as_any().downcast_ref::<A>())
    }

    pub fn durable(&self, id: ActorId) -> &Durable {
        &self.k.durable[id.index()]
    }

    pub fn now(&self) -> Time {
        self.k.now
    }

    pub fn events(&self) -> u64 {
        self.k.events
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
        self.k.hasher.finish()
    }

    pub fn net_stats(&self) -> NetStats {
        self.k.stats
    }

    pub fn log(&self) -> &[LogRecord] {
        self.k.log.as_deref().unwrap_or(&[])
    }

    pub fn take_log(&mut self) -> Vec<LogRecord> {
        self.k.log.as_mut().map(std::mem::take).unwrap_or_default()
    }

    pub fn records(&self) -> &[EventRecord] {
        self.k.records.as_deref().unwrap_or(&[])
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
                let id = self.k.next_cut;
                self.k.next_cut += 1;
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
                let id = self.k.next_cut;
                self.k.next_cut += 1;
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
        }
        for (t, action) in plan {
            let idx = self.k.faults.len() as u32;
            self.k.faults.push(action);
            self.k.queue.push(t.max(self.k.now), Ev::Fault(idx));
        }
        Ok(())
    }

    /// Runs until a stop condition holds.
    pub fn run(&mut self, stop: Stop) -> RunReport {
        let reason = loop {
            if self.k.stop_requested {
                break StopReason::Requested;
            }
            if let Some(max) = stop.max_events {
                if self.k.events >= max {
                    break StopReason::EventLimit;
                }
            }
            match self.k.queue.peek_time() {
                None => break StopReason::QueueEmpty,
                Some(t) if stop.at.is_some_and(|at| t > at) => {
                    self.k.now = stop.at.expect("checked");
                    break StopReason::TimeLimit;
                }
                Some(_) => {
                    self.step();
                }
            }
        };
        self.report(reason)
    }

    pub fn report(&self, stop: StopReason) -> RunReport {
        RunReport {
            events: self.k.events,
            end_time: self.k.now,
            fingerprint: self.fingerprint(),
            stop,
            net: self.k.stats,
        }
    }

    /// Delivers the next event. Returns false when the queue is empty.
    pub fn step(&mut self) -> bool {
        let Some((time, ev)) = self.k.queue.pop() else {
            return false;
        };
        self.k.now = time;
        match ev {
            Ev::Msg {
                from,
                to,
                epoch,
                msg,
            } => {
                let i = to.index();
                if !self.k.alive[i] || self.k.epoch[i] != epoch {
                    self.k.stats.to_dead += 1;
                    return true;
                }
                if self.k.net.partitioned(from, to) {
                    self.k.stats.partitioned += 1;
                    return true;
                }
                self.k.events += 1;
                let h = &mut self.k.hasher;
                h.write_u64(time);
                h.write_u32(from.0);
                h.write_u32(to.0);
                msg.hash(h);
                if let Some(r) = self.k.records.as_mut() {
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
                let actor = self.slots[i].actor.as_mut().expect("alive actor");
                let mut ctx = self.k.ctx(to);
                actor.on_message(&mut ctx, from, msg);
                self.k.apply_effects(to);
            }
            Ev::Timer {
                to,
                epoch,
                id,
                timer,
            } => {
                if !self.k.pending_timers.remove(&id.0) {
                    return true; // cancelled
                }
                let i = to.index();
                if !self.k.alive[i] || self.k.epoch[i] != epoch {
                    return true;
                }
                self.k.events += 1;
                let h = &mut self.k.hasher;
                h.write_u64(time);
                h.write_u32(u32::MAX);
                h.write_u32(to.0);
                timer.hash(h);
                if let Some(r) = self.k.records.as_mut() {
                    r.push(EventRecord {
                        time,
                        from: None,
                        to: to.0,
                        kind: "timer",
                        detail: format!("{timer:?}"),
                    });
                }
                let actor = self.slots[i].actor.as_mut().expect("alive actor");
                let mut ctx = self.k.ctx(to);
                actor.on_timer(&mut ctx, id, timer);
                self.k.apply_effects(to);
            }
            Ev::Start(id) => self.start(id),
            Ev::Fault(idx) => self.fault(idx),
        }
        true
    }

    fn start(&mut self, id: ActorId) {
        let i = id.index();
        if self.k.alive[i] {
            return;
        }
        self.k.alive[i] = true;
        self.k.events += 1;
        self.k.hasher.write_u64(self.k.now);
        self.k.hasher.write_u32(u32::MAX - 1);
        self.k.hasher.write_u32(id.0);
        let slot = &mut self.slots[i];
        let mut actor = (slot.factory)();
        let mut ctx = self.k.ctx(id);
        actor.on_start(&mut ctx);
        slot.actor = Some(actor);
        self.k.apply_effects(id);
    }

    fn fault(&mut self, idx: u32) {
        self.k.events += 1;
        self.k.hasher.write_u64(self.k.now);
        self.k.hasher.write_u32(u32::MAX - 2);
        self.k.hasher.write_u32(idx);
        if let Some(r) = self.k.records.as_mut() {
            r.push(EventRecord {
                time: self.k.now,
                from: None,
                to: u32::MAX,
                kind: "fault",
                detail: format!("{:?}", self.k.faults[idx as usize]),
            });
        }
        match self.k.faults[idx as usize].clone() {
            FaultAction::Crash(ids) => {
                for i in ids {
                    let i = i as usize;
                    if self.k.alive[i] {
                        self.k.alive[i] = false;
                        self.k.epoch[i] += 1;
                        self.slots[i].actor = None;
                    }
                }
            }
            FaultAction::Restart(ids) => {
                for i in ids {
                    if !self.k.alive[i as usize] {
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

impl<P: Protocol> Kernel<P> {
    #[inline]
    fn ctx(&mut self, id: ActorId) -> Ctx<'_, P> {
        let i = id.index();
        Ctx::new(
            self.now,
            id,
            &mut self.rngs[i],
            &mut self.out,
            &mut self.next_timer,
            &mut self.durable[i],
            self.log.as_mut(),
        )
    }

    #[inline]
    fn send(&mut self, from: ActorId, to: ActorId, msg: P::Msg) {
        self.stats.sent += 1;
        let epoch = self.epoch[to.index()];
        match self.net.route(self.now, from, to, &mut self.net_rng) {
            Route::Deliver(at) => self.queue.push(
                at,
                Ev::Msg {
                    from,
                    to,
                    epoch,
                    msg,
                },
            ),
            Route::Duplicated(a, b) => {
                self.stats.duplicated += 1;
                self.queue.push(
                    a,
                    Ev::Msg {
                        from,
                        to,
                        epoch,
                        msg: msg.clone(),
                    },
                );
                self.queue.push(
                    b,
                    Ev::Msg {
                        from,
                        to,
                        epoch,
                        msg,
                    },
                );
            }
            Route::Dropped => self.stats.lost += 1,
            Route::Partitioned => self.stats.partitioned += 1,
        }
    }

    #[inline]
    fn apply_effects(&mut self, me: ActorId) {
        if self.out.is_empty() {
            return;
        }
        let mut out = std::mem::take(&mut self.out);
        for e in out.drain(..) {
            match e {
                Effect::Send { to, msg } => self.send(me, to, msg),
                Effect::SetTimer { id, after, timer } => {
                    self.pending_timers.insert(id.0);
                    let epoch = self.epoch[me.index()];
                    self.queue.push(
                        self.now + after,
                        Ev::Timer {
                            to: me,
                            epoch,
                            id,
                            timer,
                        },
                    );
                }
                Effect::CancelTimer(id) => {
                    self.pending_timers.remove(&id.0);
                }
                Effect::Stop => self.stop_requested = true,
            }
        }
        self.out = out;
    }
}
