//! `schedlab bench`: benchmarks that print one JSON object per line.
//!
//! The engine bench is the ping-pong workload of `../shared/bench/peer-bench`: A actors
//! in A/2 pairs, every delivered message answered at once, the network adding
//! 1 ms + U(0, 0.1 ms) of latency. The network model and the fingerprint are on, as in
//! every real run, so the figure is what a user's run pays per event. With `--peer DIR`
//! the same workload also runs on peer engines ([`peer`]) and ratio lines follow.

pub mod alloc;
pub mod offers;
pub mod peer;
pub mod scale;

use crate::actor::{Actor, ActorId, Ctx, Message, Protocol, TimerId, MS};
use crate::sim::net::{Latency, LinkModel};
use crate::sim::{Sim, SimConfig, Stop};
use serde::Serialize;
use std::path::Path;

#[derive(Clone, Debug, Hash)]
pub struct Ping;
impl Message for Ping {
    fn kind(&self) -> &'static str {
        "ping"
    }
}

pub struct PingPong;
impl Protocol for PingPong {
    type Msg = Ping;
    type Timer = ();
}

struct Node {
    peer: ActorId,
}

impl Actor<PingPong> for Node {
    fn on_start(&mut self, ctx: &mut Ctx<PingPong>) {
        ctx.send(self.peer, Ping);
    }
    #[inline]
    fn on_message(&mut self, ctx: &mut Ctx<PingPong>, from: ActorId, _msg: Ping) {
        ctx.send(from, Ping);
    }
    fn on_timer(&mut self, _: &mut Ctx<PingPong>, _: TimerId, _: ()) {}
}

/// One line of `schedlab bench engine`.
#[derive(Debug, Serialize)]
pub struct EngineBench {
    pub bench: &'static str,
    pub actors: usize,
    pub events: u64,
    pub wall_s: f64,
    pub events_per_sec: f64,
    pub fingerprint: String,
}

/// Builds the ping-pong simulation with `actors` actors (rounded up to even).
pub fn ping_pong(actors: usize, seed: u64) -> Sim<PingPong> {
    let mut sim = Sim::new(SimConfig {
        seed,
        ..Default::default()
    });
    let g = sim.net_mut().group("nodes");
    sim.net_mut().set_default(LinkModel {
        latency: Latency::Uniform {
            low: MS,
            high: MS + MS / 10,
        },
        ..Default::default()
    });
    let pairs = actors.div_ceil(2);
    for p in 0..pairs {
        let a = ActorId((2 * p) as u32);
        let b = ActorId((2 * p + 1) as u32);
        sim.add_actor(&format!("n{}", a.0), g, move || Node { peer: b });
        sim.add_actor(&format!("n{}", b.0), g, move || Node { peer: a });
    }
    sim
}

/// Runs the engine ping-pong for `events` message deliveries.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)] // wall time of the bench itself
pub fn engine(actors: usize, events: u64) -> EngineBench {
    let mut sim = ping_pong(actors, 42);
    // Start every actor first (not timed), then time the message deliveries alone.
    sim.run(Stop::events(actors as u64));
    let start = std::time::Instant::now();
    let report = sim.run(Stop::events(actors as u64 + events));
    let wall = start.elapsed().as_secs_f64();
    let delivered = report.events - actors as u64;
    EngineBench {
        bench: "engine",
        actors,
        events: delivered,
        wall_s: (wall * 1e4).round() / 1e4,
        events_per_sec: (delivered as f64 / wall).round(),
        fingerprint: format!("{:016x}", report.fingerprint),
    }
}

/// `schedlab bench engine`: `rounds` rounds of schedlab (and, with `peer`, of the peer
/// engines), keeping the best round of each; prints schedlab's lines, then the peers'
/// lines and one `engine_ratio` line per actor count.
pub fn engine_cli(
    actors: &[usize],
    events: u64,
    peer: Option<&Path>,
    rounds: u32,
) -> Result<(), String> {
    let peers = peer.map(peer::build).transpose()?;
    let mut best: Vec<EngineBench> = Vec::new();
    let mut peer_rounds = Vec::new();
    for _ in 0..rounds.max(1) {
        for &a in actors {
            let r = engine(a, events);
            match best.iter_mut().find(|b| b.actors == a) {
                Some(b) if b.events_per_sec >= r.events_per_sec => {}
                Some(b) => *b = r,
                None => best.push(r),
            }
        }
        if let Some(p) = &peers {
            peer_rounds.push(p.run(events)?);
        }
    }
    for b in &best {
        println!("{}", serde_json::to_string(b).expect("serializable"));
    }
    if peers.is_some() {
        let lines = peer::best_of(peer_rounds);
        for l in &lines {
            println!("{}", l.raw);
        }
        for b in &best {
            if let Some(r) = peer::ratio(b.actors, b.events_per_sec, &lines) {
                println!("{}", serde_json::to_string(&r).expect("serializable"));
            }
        }
    }
    Ok(())
}

/// Prints one benchmark line as JSON on stdout, ignoring a closed pipe
/// (`schedlab bench alloc | head` must not panic).
pub fn print_line<T: Serialize>(line: &T) {
    use std::io::Write;
    let text = serde_json::to_string(line).expect("serializable");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}
