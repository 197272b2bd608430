//! The engine's contract, as scenarios: determinism of a randomized run with every kind
//! of fault, the network model's statistics, crash semantics, stop conditions, timers,
//! and golden fingerprints.
//!
//! A failing randomized test prints its seed; `random_run(seed)` replays it alone.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use schedlab::actor::{Actor, ActorId, Ctx, Message, Protocol, Time, TimerId, MS, SEC, US};
use schedlab::sim::fault::Fault;
use schedlab::sim::net::{Latency, LinkModel};
use schedlab::sim::{EventRecord, RunReport, Sim, SimConfig, Stop, StopReason};
use std::collections::{BTreeMap, BTreeSet};

// ---------------------------------------------------------------------------------
// A randomized gossip-and-ping simulation with crashes, partitions and a slow link.
// ---------------------------------------------------------------------------------

#[derive(Clone, Debug, Hash)]
enum Gossip {
    Ping { nonce: u64 },
    Pong { nonce: u64 },
    Rumor { id: u64, hops: u8 },
}

impl Message for Gossip {
    fn kind(&self) -> &'static str {
        match self {
            Gossip::Ping { .. } => "ping",
            Gossip::Pong { .. } => "pong",
            Gossip::Rumor { .. } => "rumor",
        }
    }
}

#[derive(Clone, Debug, Hash)]
enum GossipTimer {
    Tick,
    Timeout { nonce: u64 },
}

struct GossipP;
impl Protocol for GossipP {
    type Msg = Gossip;
    type Timer = GossipTimer;
}

/// Every few ms pings a random peer (with a timeout, cancelled by the pong) or starts a
/// rumor that spreads to two random peers per hop. Counts boots in its durable store.
struct Gossiper {
    n: u32,
    boot: u32,
    known: BTreeSet<u64>,
    pending: BTreeMap<u64, TimerId>,
    next: u64,
}

impl Gossiper {
    fn new(n: u32) -> Self {
        Gossiper {
            n,
            boot: 0,
            known: BTreeSet::new(),
            pending: BTreeMap::new(),
            next: 0,
        }
    }

    fn peer(&self, ctx: &mut Ctx<GossipP>) -> ActorId {
        let me = ctx.me().0;
        let p = ctx.rng().gen_range(0..self.n - 1);
        ActorId(if p >= me { p + 1 } else { p })
    }

    fn nonce(&mut self, ctx: &Ctx<GossipP>) -> u64 {
        self.next += 1;
        (ctx.me().0 as u64) << 40 | (self.boot as u64) << 32 | self.next
    }
}

impl Actor<GossipP> for Gossiper {
    fn on_start(&mut self, ctx: &mut Ctx<GossipP>) {
        self.boot = ctx.durable().get::<u32>("boots").unwrap_or(0) + 1;
        let boot = self.boot;
        ctx.durable().put("boots", &boot);
        let first = ctx.rng().gen_range(1..20) * MS;
        ctx.set_timer(first, GossipTimer::Tick);
    }

    fn on_message(&mut self, ctx: &mut Ctx<GossipP>, from: ActorId, msg: Gossip) {
        match msg {
            Gossip::Ping { nonce } => ctx.send(from, Gossip::Pong { nonce }),
            Gossip::Pong { nonce } => {
                if let Some(t) = self.pending.remove(&nonce) {
                    ctx.cancel_timer(t);
                }
            }
            Gossip::Rumor { id, hops } => {
                if self.known.insert(id) && hops < 3 {
                    for _ in 0..2 {
                        let p = self.peer(ctx);
                        ctx.send(p, Gossip::Rumor { id, hops: hops + 1 });
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<GossipP>, _: TimerId, timer: GossipTimer) {
        match timer {
            GossipTimer::Tick => {
                let peer = self.peer(ctx);
                match ctx.rng().gen_range(0..10) {
                    0..=4 => {
                        let nonce = self.nonce(ctx);
                        ctx.send(peer, Gossip::Ping { nonce });
                        let t = ctx.set_timer(20 * MS, GossipTimer::Timeout { nonce });
                        self.pending.insert(nonce, t);
                    }
                    5..=7 => {
                        let id = self.nonce(ctx);
                        self.known.insert(id);
                        ctx.send(peer, Gossip::Rumor { id, hops: 0 });
                    }
                    _ => {}
                }
                let next = ctx.rng().gen_range(5..30) * MS;
                ctx.set_timer(next, GossipTimer::Tick);
            }
            GossipTimer::Timeout { nonce } => {
                self.pending.remove(&nonce);
                let n = ctx.durable().get::<u64>("timeouts").unwrap_or(0) + 1;
                ctx.durable().put("timeouts", &n);
            }
        }
    }
}

const NODES: u32 = 30;
const CORE: u32 = 10;
const HORIZON: Time = 3 * SEC;

/// Builds the randomized simulation of `seed`: the faults are drawn from the seed too.
fn random_sim(seed: u64, record_events: bool) -> Sim<GossipP> {
    let mut sim: Sim<GossipP> = Sim::new(SimConfig {
        seed,
        record_events,
        ..Default::default()
    });
    let core = sim.net_mut().group("core");
    let edge = sim.net_mut().group("edge");
    sim.net_mut().set_default(LinkModel {
        latency: Latency::LogNormal {
            mean: 2 * MS,
            std: 3 * MS / 2,
        },
        loss: 0.05,
        duplicate: 0.02,
        fifo: false,
    });
    sim.net_mut().set_link(
        core,
        core,
        LinkModel {
            latency: Latency::Normal {
                mean: MS,
                std: 300 * US,
            },
            loss: 0.05,
            duplicate: 0.02,
            fifo: true,
        },
    );
    sim.net_mut().set_link(
        core,
        edge,
        LinkModel {
            latency: Latency::Exponential { mean: 3 * MS },
            loss: 0.05,
            duplicate: 0.0,
            fifo: false,
        },
    );
    for i in 0..NODES {
        let g = if i < CORE { core } else { edge };
        sim.add_actor(&format!("n{i}"), g, move || Gossiper::new(NODES));
    }
    let mut f = ChaCha8Rng::seed_from_u64(seed ^ 0xfa17);
    for _ in 0..5 {
        let at = f.gen_range(200..2500) * MS;
        let who = format!("n{}", f.gen_range(0..NODES));
        let down = f.gen_range(50..400) * MS;
        sim.schedule_fault(&Fault::crash(at, &who, Some(down)))
            .unwrap();
    }
    for _ in 0..3 {
        let at = f.gen_range(100..2500) * MS;
        let until = at + f.gen_range(100..500) * MS;
        let fault = if f.gen_bool(0.5) {
            Fault::partition(at, Some(until), &["core"], &["edge"])
        } else {
            let a: Vec<String> = (0..4)
                .map(|_| format!("n{}", f.gen_range(0..NODES)))
                .collect();
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            Fault::partition(at, Some(until), &a, &[])
        };
        sim.schedule_fault(&fault).unwrap();
    }
    let at = f.gen_range(100..2500) * MS;
    sim.schedule_fault(&Fault::Link {
        at,
        until: Some(at + 300 * MS),
        a: vec!["core".into()],
        b: vec!["edge".into()],
        link: LinkModel {
            latency: Latency::Constant { value: 20 * MS },
            ..Default::default()
        },
    })
    .unwrap();
    sim
}

/// Runs the randomized simulation of `seed` to its horizon.
fn random_run(seed: u64) -> (RunReport, Vec<EventRecord>) {
    let mut sim = random_sim(seed, true);
    let report = sim.run(Stop::at(HORIZON));
    (report, sim.records().to_vec())
}

fn random_fingerprint(seed: u64) -> u64 {
    random_sim(seed, false).run(Stop::at(HORIZON)).fingerprint
}

#[test]
fn random_run_exercises_every_fault() {
    let (r, records) = random_run(1);
    assert_eq!(r.stop, StopReason::TimeLimit);
    assert_eq!(r.end_time, HORIZON);
    assert!(r.events > 20_000, "{r:?}");
    let n = &r.net;
    assert!(n.lost > 500 && n.duplicated > 100, "{n:?}");
    assert!(n.partitioned > 10 && n.to_dead > 10, "{n:?}");
    let kinds: BTreeSet<&str> = records.iter().map(|e| e.kind).collect();
    let expect: BTreeSet<&str> = ["ping", "pong", "rumor", "timer", "fault"].into();
    assert_eq!(kinds, expect);
    // 5 crashes, 5 restarts, 3 partitions and 1 link change, each with an end.
    let faults = records.iter().filter(|e| e.kind == "fault").count();
    assert_eq!(faults, 18);
}

#[test]
fn same_seed_same_run() {
    let (a, log_a) = random_run(7);
    let (b, log_b) = random_run(7);
    assert_eq!(a, b);
    assert_eq!(log_a.len(), log_b.len());
    assert!(log_a == log_b, "event logs differ for seed 7");
    // Recording the event log does not change the run.
    assert_eq!(random_fingerprint(7), a.fingerprint);
}

#[test]
fn other_seed_other_run() {
    let fps: BTreeSet<u64> = (1..=4).map(random_fingerprint).collect();
    assert_eq!(fps.len(), 4, "two seeds gave the same fingerprint");
}

#[test]
fn parallel_runs_match_sequential_runs() {
    let seeds: Vec<u64> = (100..116).collect();
    let sequential: Vec<u64> = seeds.iter().map(|&s| random_fingerprint(s)).collect();
    let parallel: Vec<u64> = seeds.par_iter().map(|&s| random_fingerprint(s)).collect();
    for (i, s) in seeds.iter().enumerate() {
        assert_eq!(
            sequential[i], parallel[i],
            "seed {s}: parallel run differs from sequential"
        );
    }
}

// ---------------------------------------------------------------------------------
// The network model.
// ---------------------------------------------------------------------------------

#[derive(Clone, Debug, Hash)]
struct Probe {
    seq: u64,
    sent: Time,
}

impl Message for Probe {
    fn kind(&self) -> &'static str {
        "probe"
    }
}

struct ProbeP;
impl Protocol for ProbeP {
    type Msg = Probe;
    type Timer = ();
}

/// Does nothing; its messages are injected by the test.
struct Source;
impl Actor<ProbeP> for Source {
    fn on_start(&mut self, _: &mut Ctx<ProbeP>) {}
    fn on_message(&mut self, _: &mut Ctx<ProbeP>, _: ActorId, _: Probe) {}
    fn on_timer(&mut self, _: &mut Ctx<ProbeP>, _: TimerId, _: ()) {}
}

/// Records every arrival: (sender, sequence number, send time, arrival time).
#[derive(Default)]
struct Sink {
    got: Vec<(ActorId, u64, Time, Time)>,
}

impl Actor<ProbeP> for Sink {
    fn on_start(&mut self, _: &mut Ctx<ProbeP>) {}
    fn on_message(&mut self, ctx: &mut Ctx<ProbeP>, from: ActorId, m: Probe) {
        self.got.push((from, m.seq, m.sent, ctx.now()));
    }
    fn on_timer(&mut self, _: &mut Ctx<ProbeP>, _: TimerId, _: ()) {}
}

/// A source and a sink over `link`; `count` probes injected at `gap` intervals.
fn probe_run(seed: u64, link: LinkModel, count: u64, gap: Time) -> Sim<ProbeP> {
    let mut sim: Sim<ProbeP> = Sim::new(SimConfig {
        seed,
        ..Default::default()
    });
    let g = sim.net_mut().group("all");
    sim.net_mut().set_default(link);
    let src = sim.add_actor("src", g, || Source);
    let dst = sim.add_actor("dst", g, Sink::default);
    sim.run(Stop::at(0));
    for seq in 0..count {
        let now = seq * gap;
        if now > sim.now() {
            sim.run(Stop::at(now));
            sim.advance_to(now);
        }
        sim.inject(src, dst, Probe { seq, sent: now });
    }
    let r = sim.run(Stop::default());
    assert_eq!(r.stop, StopReason::QueueEmpty);
    sim
}

fn sink(sim: &Sim<ProbeP>) -> &Sink {
    sim.actor::<Sink>(ActorId(1)).expect("sink is alive")
}

fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, var.sqrt())
}

#[test]
fn latency_means_and_spreads_match_their_distributions() {
    let cases = [
        (Latency::Constant { value: 700 * US }, 0.0),
        (
            Latency::Uniform {
                low: MS,
                high: 3 * MS,
            },
            (2.0 * MS as f64) / 12f64.sqrt(),
        ),
        (
            Latency::Normal {
                mean: 2 * MS,
                std: 400 * US,
            },
            400.0 * US as f64,
        ),
        (
            Latency::LogNormal {
                mean: 2 * MS,
                std: 1500 * US,
            },
            1500.0 * US as f64,
        ),
        (Latency::Exponential { mean: MS }, MS as f64),
    ];
    for (i, (latency, std)) in cases.into_iter().enumerate() {
        let link = LinkModel {
            latency: latency.clone(),
            ..Default::default()
        };
        let sim = probe_run(10 + i as u64, link, 200_000, 0);
        let got = &sink(&sim).got;
        assert_eq!(got.len(), 200_000);
        let lat: Vec<f64> = got.iter().map(|g| (g.3 - g.2) as f64).collect();
        let (m, s) = mean_std(&lat);
        let want = latency.mean();
        assert!(
            (m - want).abs() <= 0.02 * want,
            "{latency:?}: mean {m:.0} ns, want {want:.0} ns"
        );
        assert!(
            (s - std).abs() <= 0.05 * std,
            "{latency:?}: std {s:.0} ns, want {std:.0} ns"
        );
    }
}

#[test]
fn loss_rate_matches_configuration() {
    let link = LinkModel {
        loss: 0.1,
        ..Default::default()
    };
    let n = 500_000;
    let sim = probe_run(3, link, n, 0);
    let stats = sim.net_stats();
    assert_eq!(stats.sent, n);
    let delivered = sink(&sim).got.len() as u64;
    assert_eq!(delivered + stats.lost, n);
    let rate = stats.lost as f64 / n as f64;
    assert!((rate - 0.1).abs() <= 0.02 * 0.1, "loss rate {rate}");
}

#[test]
fn duplication_rate_matches_configuration() {
    let link = LinkModel {
        duplicate: 0.1,
        ..Default::default()
    };
    let n = 500_000;
    let sim = probe_run(4, link, n, 0);
    let stats = sim.net_stats();
    let got = &sink(&sim).got;
    assert_eq!(got.len() as u64, n + stats.duplicated);
    let rate = stats.duplicated as f64 / n as f64;
    assert!((rate - 0.1).abs() <= 0.02 * 0.1, "duplication rate {rate}");
    // Every probe arrives once or twice, never three times.
    let mut seen = vec![0u8; n as usize];
    for g in got {
        seen[g.1 as usize] += 1;
    }
    assert!(seen.iter().all(|&c| c == 1 || c == 2));
}

/// Sequence numbers of the probes, in arrival order.
fn arrival_order(sim: &Sim<ProbeP>) -> Vec<u64> {
    sink(sim).got.iter().map(|g| g.1).collect()
}

fn inversions(seqs: &[u64]) -> usize {
    seqs.windows(2).filter(|w| w[1] < w[0]).count()
}

#[test]
fn fifo_links_never_reorder_and_plain_links_do() {
    let jittery = Latency::LogNormal {
        mean: MS,
        std: 3 * MS,
    };
    let fifo = LinkModel {
        latency: jittery.clone(),
        duplicate: 0.05,
        fifo: true,
        ..Default::default()
    };
    let sim = probe_run(5, fifo, 20_000, 10 * US);
    let order = arrival_order(&sim);
    assert_eq!(order.len() as u64, 20_000 + sim.net_stats().duplicated);
    // Copies arrive after their original, so the order never goes back.
    assert!(
        order.windows(2).all(|w| w[0] <= w[1]),
        "FIFO link reordered"
    );

    let plain = LinkModel {
        latency: jittery,
        ..Default::default()
    };
    let sim = probe_run(5, plain, 20_000, 10 * US);
    let order = arrival_order(&sim);
    assert!(inversions(&order) > 1_000, "a jittery link should reorder");
}

#[test]
fn partitions_block_sends_and_in_flight_messages_until_healed() {
    let mut sim: Sim<ProbeP> = Sim::new(SimConfig::default());
    let a = sim.net_mut().group("a");
    let b = sim.net_mut().group("b");
    sim.net_mut().set_default(LinkModel {
        latency: Latency::Constant { value: 5 * MS },
        ..Default::default()
    });
    let a0 = sim.add_actor("a0", a, Sink::default);
    let a1 = sim.add_actor("a1", a, Sink::default);
    let b0 = sim.add_actor("b0", b, Sink::default);
    sim.schedule_fault(&Fault::partition(30 * MS, Some(60 * MS), &["a"], &["b"]))
        .unwrap();
    for t in 0..100u64 {
        let now = t * MS;
        sim.run(Stop::at(now));
        sim.advance_to(now);
        sim.inject(a0, b0, Probe { seq: t, sent: now });
        sim.inject(b0, a0, Probe { seq: t, sent: now });
        sim.inject(a0, a1, Probe { seq: t, sent: now });
    }
    sim.run(Stop::default());
    let cut = 30 * MS..60 * MS;
    for (who, from) in [(b0, a0), (a0, b0)] {
        let got = &sim.actor::<Sink>(who).unwrap().got;
        let got: Vec<_> = got.iter().filter(|g| g.0 == from).collect();
        // Sent 0..25 ms: delivered. Sent 25..30 ms: in flight at the cut, dropped on
        // arrival. Sent during the cut: dropped. Sent from 60 ms: delivered again.
        let seqs: Vec<u64> = got.iter().map(|g| g.1).collect();
        let want: Vec<u64> = (0..25).chain(60..100).collect();
        assert_eq!(seqs, want, "across the cut to {who:?}");
        assert!(got.iter().all(|g| !cut.contains(&g.3)));
    }
    // Inside one side, nothing is lost.
    let inside = sim.actor::<Sink>(a1).unwrap().got.len();
    assert_eq!(inside, 100);
    // Both directions: 30 dropped at send and 5 at arrival, each.
    assert_eq!(sim.net_stats().partitioned, 70);
}

/// A FIFO link of constant latency keeps send order without per-pair bookkeeping
/// until a link change delays a message; then what follows on the pair queues behind
/// it, also after the change has ended, and the plain latency returns once it arrived.
#[test]
fn fifo_holds_behind_a_slow_link_after_it_ends() {
    let mut sim: Sim<ProbeP> = Sim::new(SimConfig::default());
    let a = sim.net_mut().group("a");
    let b = sim.net_mut().group("b");
    sim.net_mut().set_default(LinkModel {
        latency: Latency::Constant { value: MS },
        fifo: true,
        ..Default::default()
    });
    let a0 = sim.add_actor("a0", a, Sink::default);
    let b0 = sim.add_actor("b0", b, Sink::default);
    let b1 = sim.add_actor("b1", b, Sink::default);
    sim.schedule_fault(&Fault::Link {
        at: 10 * MS,
        until: Some(20 * MS),
        a: vec!["a".into()],
        b: vec!["b0".into()],
        link: LinkModel {
            latency: Latency::Constant { value: 100 * MS },
            fifo: true,
            ..Default::default()
        },
    })
    .unwrap();
    let sends: Vec<u64> = (0..40).chain([150]).collect();
    for &t in &sends {
        let now = t * MS;
        sim.run(Stop::at(now));
        sim.advance_to(now);
        sim.inject(a0, b0, Probe { seq: t, sent: now });
        sim.inject(a0, b1, Probe { seq: t, sent: now });
    }
    sim.run(Stop::default());
    let arrivals = |who| -> Vec<(u64, Time)> {
        let got = &sim.actor::<Sink>(who).unwrap().got;
        got.iter().map(|g| (g.1, g.3)).collect()
    };
    let want: Vec<(u64, Time)> = sends
        .iter()
        .map(|&t| {
            let at = match t {
                0..10 => t + 1,
                10..20 => t + 100,
                20..120 => 119, // behind the last slow one, sent at 19 ms
                _ => t + 1,
            };
            (t, at * MS)
        })
        .collect();
    assert_eq!(arrivals(b0), want, "the slowed pair");
    // The other pair was never slowed: 1 ms throughout.
    let plain: Vec<(u64, Time)> = sends.iter().map(|&t| (t, (t + 1) * MS)).collect();
    assert_eq!(arrivals(b1), plain, "the pair beside it");
}

// ---------------------------------------------------------------------------------
// Crashes and restarts.
// ---------------------------------------------------------------------------------

#[derive(Clone, Debug, Hash)]
enum Note {
    Hello(u64),
}

impl Message for Note {
    fn kind(&self) -> &'static str {
        "hello"
    }
}

struct NoteP;
impl Protocol for NoteP {
    type Msg = Note;
    type Timer = &'static str;
}

/// Counts messages in memory and on disk; on every start sets two timers (100 ms and
/// 250 ms) and writes to disk which timers fired, tagged with the boot number.
struct Counter {
    boot: u32,
    handled: u64,
}

impl Actor<NoteP> for Counter {
    fn on_start(&mut self, ctx: &mut Ctx<NoteP>) {
        self.boot = ctx.durable().get::<u32>("boots").unwrap_or(0) + 1;
        let boot = self.boot;
        ctx.durable().put("boots", &boot);
        ctx.set_timer(100 * MS, "short");
        ctx.set_timer(250 * MS, "long");
    }
    fn on_message(&mut self, ctx: &mut Ctx<NoteP>, _: ActorId, _: Note) {
        self.handled += 1;
        let total = ctx.durable().get::<u64>("total").unwrap_or(0) + 1;
        ctx.durable().put("total", &total);
    }
    fn on_timer(&mut self, ctx: &mut Ctx<NoteP>, _: TimerId, t: &'static str) {
        let mut fired: Vec<(u32, String, Time)> = ctx.durable().get("fired").unwrap_or_default();
        fired.push((self.boot, t.to_string(), ctx.now()));
        ctx.durable().put("fired", &fired);
    }
}

#[test]
fn crashed_actor_receives_nothing_and_restarts_from_disk() {
    let mut sim: Sim<NoteP> = Sim::new(SimConfig::default());
    let g = sim.net_mut().group("all");
    sim.net_mut().set_default(LinkModel {
        latency: Latency::Constant { value: 10 * MS },
        ..Default::default()
    });
    let driver = sim.add_actor("driver", g, || Counter {
        boot: 0,
        handled: 0,
    });
    let victim = sim.add_actor("victim", g, || Counter {
        boot: 0,
        handled: 0,
    });
    // Up 0..50 ms, down 50..200 ms, up again from 200 ms.
    sim.schedule_fault(&Fault::crash(50 * MS, "victim", Some(150 * MS)))
        .unwrap();
    let inject_at = |sim: &mut Sim<NoteP>, t: Time, n: u64| {
        sim.run(Stop::at(t));
        sim.advance_to(t);
        for i in 0..n {
            sim.inject(driver, victim, Note::Hello(i));
        }
    };
    inject_at(&mut sim, 10 * MS, 10); // arrive at 20 ms: handled
    inject_at(&mut sim, 45 * MS, 3); // in flight at the crash: lost
    inject_at(&mut sim, 100 * MS, 4); // sent to a dead actor
    assert!(!sim.is_alive(victim));
    assert!(sim.actor::<Counter>(victim).is_none());
    inject_at(&mut sim, 195 * MS, 5); // to the dead incarnation, arriving after the restart
    inject_at(&mut sim, 300 * MS, 7); // to the new incarnation: handled
    let r = sim.run(Stop::at(SEC));
    assert_eq!(r.net.to_dead, 3 + 4 + 5);

    assert!(sim.is_alive(victim));
    let v = sim.actor::<Counter>(victim).unwrap();
    assert_eq!(v.boot, 2);
    assert_eq!(v.handled, 7, "in-memory state starts over at a restart");
    let disk = sim.durable(victim);
    assert_eq!(disk.get::<u32>("boots"), Some(2));
    assert_eq!(disk.get::<u64>("total"), Some(17), "the disk survives");
    // The first incarnation's timers (100 ms, 250 ms) never fire: not while it is down,
    // not after the restart. Only the second incarnation's (300 ms, 450 ms) do.
    let fired: Vec<(u32, String, Time)> = disk.get("fired").unwrap();
    assert_eq!(
        fired,
        vec![
            (2, "short".to_string(), 300 * MS),
            (2, "long".to_string(), 450 * MS)
        ]
    );
}

// ---------------------------------------------------------------------------------
// Timers.
// ---------------------------------------------------------------------------------

struct TimerP;
impl Protocol for TimerP {
    type Msg = Note;
    type Timer = u32;
}

/// Scripted timer use. Actor 0 sets timers 0 (no delay), 1, 2 (cancelled) and 3, and
/// sends the id of timer 3 to actor 1, which tries to cancel it.
#[derive(Default)]
struct Timers {
    fired: Vec<(u32, Time)>,
    got: Vec<u64>,
    first: Option<TimerId>,
}

impl Actor<TimerP> for Timers {
    fn on_start(&mut self, ctx: &mut Ctx<TimerP>) {
        if ctx.me().0 != 0 {
            return;
        }
        self.first = Some(ctx.set_timer(MS, 1));
        let cancelled = ctx.set_timer(2 * MS, 2);
        let third = ctx.set_timer(3 * MS, 3);
        ctx.cancel_timer(cancelled);
        ctx.cancel_timer(cancelled); // twice: still a no-op
        let zero = ctx.set_timer(0, 0); // fires at once, after this handler
        assert_ne!(zero, cancelled);
        ctx.send(ActorId(1), Note::Hello(third.0));
    }
    fn on_message(&mut self, ctx: &mut Ctx<TimerP>, _: ActorId, Note::Hello(n): Note) {
        if ctx.me().0 == 1 {
            // Another actor's timer id cancels nothing.
            ctx.cancel_timer(TimerId(n));
        } else {
            self.got.push(n);
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx<TimerP>, id: TimerId, t: u32) {
        self.fired.push((t, ctx.now()));
        if t == 1 {
            assert_eq!(Some(id), self.first);
            // The fired timer's queue slot is reused by this send; cancelling the
            // stale id must not cancel the message.
            let me = ctx.me();
            ctx.send(me, Note::Hello(1));
            ctx.cancel_timer(id);
        }
    }
}

fn timers() -> Sim<TimerP> {
    let mut sim: Sim<TimerP> = Sim::new(SimConfig::default());
    let g = sim.net_mut().group("all");
    sim.add_actor("a", g, Timers::default);
    sim.add_actor("b", g, Timers::default);
    sim
}

#[test]
fn timers_fire_once_unless_cancelled_and_stale_ids_cancel_nothing() {
    let mut sim = timers();
    let r = sim.run(Stop::default());
    assert_eq!(r.stop, StopReason::QueueEmpty);
    let a = sim.actor::<Timers>(ActorId(0)).unwrap();
    assert_eq!(a.fired, vec![(0, 0), (1, MS), (3, 3 * MS)]);
    assert_eq!(a.got, vec![1]);
}

// ---------------------------------------------------------------------------------
// Stop conditions.
// ---------------------------------------------------------------------------------

/// Ticks every 10 ms; stops the run at its 20th tick if asked to.
struct Ticker {
    ticks: u32,
    stop_at: Option<u32>,
}

impl Actor<TimerP> for Ticker {
    fn on_start(&mut self, ctx: &mut Ctx<TimerP>) {
        ctx.set_timer(10 * MS, 0);
    }
    fn on_message(&mut self, _: &mut Ctx<TimerP>, _: ActorId, _: Note) {}
    fn on_timer(&mut self, ctx: &mut Ctx<TimerP>, _: TimerId, _: u32) {
        self.ticks += 1;
        if Some(self.ticks) == self.stop_at {
            ctx.stop_run();
        }
        ctx.set_timer(10 * MS, 0);
    }
}

fn ticker(stop_at: Option<u32>) -> Sim<TimerP> {
    let mut sim: Sim<TimerP> = Sim::new(SimConfig {
        record_events: true,
        ..Default::default()
    });
    let g = sim.net_mut().group("all");
    sim.add_actor("t", g, move || Ticker { ticks: 0, stop_at });
    sim
}

#[test]
fn stop_at_time_ends_the_clock_there() {
    let mut sim = ticker(None);
    let r = sim.run(Stop::at(95 * MS));
    assert_eq!(r.stop, StopReason::TimeLimit);
    assert_eq!(r.end_time, 95 * MS);
    assert_eq!(sim.now(), 95 * MS);
    assert_eq!(r.events, 1 + 9, "the start and ticks at 10..=90 ms");
    assert!(sim.records().iter().all(|e| e.time <= 95 * MS));
    // The limit is inclusive: an event at exactly the limit is delivered.
    let r = sim.run(Stop::at(100 * MS));
    assert_eq!(r.events, 11);
    assert_eq!(sim.records().last().unwrap().time, 100 * MS);
    assert_eq!(r.end_time, 100 * MS);
}

#[test]
fn stop_after_n_events_and_resume_is_the_same_run() {
    let mut sim = ticker(None);
    let r = sim.run(Stop::events(50));
    assert_eq!(r.stop, StopReason::EventLimit);
    assert_eq!(r.events, 50);
    assert_eq!(r.end_time, 490 * MS);
    let resumed = sim.run(Stop::events(120));
    let whole = ticker(None).run(Stop::events(120));
    assert_eq!(resumed, whole);
}

#[test]
fn stop_when_the_queue_is_empty() {
    let mut sim = timers();
    let r = sim.run(Stop::at(SEC));
    assert_eq!(r.stop, StopReason::QueueEmpty);
    assert_eq!(r.end_time, 3 * MS, "the clock stays at the last event");
    assert_eq!(r.events, 7, "2 starts, timers 0, 1, 3 and 2 messages");
}

#[test]
fn stop_when_an_actor_asks() {
    let mut sim = ticker(Some(20));
    let r = sim.run(Stop::at(SEC));
    assert_eq!(r.stop, StopReason::Requested);
    assert_eq!(r.end_time, 200 * MS);
    assert_eq!(r.events, 21);
}

// ---------------------------------------------------------------------------------
// Golden fingerprints.
// ---------------------------------------------------------------------------------

// GOLDEN: these pin the exact behaviour of the engine (event order, network sampling,
// RNG streams, fingerprint hashing). A change to either value must be intended, and the
// commit that changes it must say why the run is now different. (Both values are also
// what the first engine, a 4-ary heap keyed by (time, seq) with buffered effects,
// computes for these scenarios.)
const GOLDEN_PING_PONG: u64 = 0xa672_b66f_aad9_22a6;
const GOLDEN_RANDOM_SEED_1: u64 = 0xff06_9904_a776_2827;

#[test]
fn golden_ping_pong() {
    let mut sim = schedlab::bench::ping_pong(10, 42);
    let r = sim.run(Stop::events(10_000));
    assert_eq!(r.events, 10_000);
    assert_eq!(
        r.fingerprint, GOLDEN_PING_PONG,
        "ping-pong fingerprint {:#018x}",
        r.fingerprint
    );
}

#[test]
fn golden_random_run() {
    let fp = random_fingerprint(1);
    assert_eq!(
        fp, GOLDEN_RANDOM_SEED_1,
        "random run (seed 1) fingerprint {fp:#018x}"
    );
}
