//! `schedlab bench alloc`: the cost of one allocation round over a grid of cluster sizes.
//!
//! Mesos benchmarks its hierarchical allocator on such grids
//! (`src/tests/hierarchical_allocator_benchmarks.cpp`, `HierarchicalAllocator_BENCHMARK_
//! Test.DeclineOffers` and friends: agents x frameworks); its C++ allocator takes about
//! 1.06 s for one `allocate()` over 10,000 agents and 1,000 frameworks (10,000 offers).
//! The round itself is [`crate::alloc::bench::bench_round`]; this module runs the grid and
//! prints one JSON line per point.

use crate::alloc::bench::bench_round;
use crate::alloc::Policy;
use serde::Serialize;

/// One line of `schedlab bench alloc`.
#[derive(Clone, Debug, Serialize)]
pub struct AllocBench {
    pub bench: &'static str,
    pub agents: usize,
    pub frameworks: usize,
    pub policy: String,
    /// Wall milliseconds of the best of `rounds` rounds (each on a fresh allocator).
    pub round_ms: f64,
    pub offers: usize,
}

/// Times `rounds` fresh rounds at `agents` x `frameworks` and keeps the fastest (the
/// machine is shared; the minimum is the least disturbed figure).
pub fn alloc_point(agents: usize, frameworks: usize, policy: Policy, rounds: u32) -> AllocBench {
    let mut best: Option<(f64, usize)> = None;
    for _ in 0..rounds.max(1) {
        let (ms, offers) = bench_round(agents, frameworks, policy.clone());
        if best.is_none_or(|(b, _)| ms < b) {
            best = Some((ms, offers));
        }
    }
    let (ms, offers) = best.expect("at least one round");
    AllocBench {
        bench: "alloc",
        agents,
        frameworks,
        policy: policy.name().to_string(),
        round_ms: (ms * 1e3).round() / 1e3,
        offers,
    }
}

/// `schedlab bench alloc`: every (agents, frameworks, policy) point, one JSON line each.
pub fn alloc_cli(agents: &[usize], frameworks: &[usize], policies: &[Policy], rounds: u32) {
    for p in policies {
        for &a in agents {
            for &f in frameworks {
                let line = alloc_point(a, f, p.clone(), rounds);
                crate::bench::print_line(&line);
            }
        }
    }
}
