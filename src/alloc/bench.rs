//! `bench_round`: the wall time of one allocation round at scale.
//!
//! The figure to beat comes from Mesos' own allocator benchmark
//! (`src/tests/hierarchical_allocator_benchmarks.cpp`): one DRF round at 10,000 agents x
//! 1,000 frameworks, making 10,000 offers, takes about 1.06 s in Mesos' C++; schedlab's
//! target is 10 ms.
//!
//! The cluster: `agents` agents of 16 CPUs / 64 GiB, all free; `frameworks` frameworks
//! spread round-robin over `min(frameworks, 10)` roles, none suppressed or filtered.
//! Only `allocate()` is timed, setup is not. The first round also pays the one-off
//! resort after the agents were added, as a master's first round would.

use super::{build, AgentId, AllocatorConfig, FrameworkId, Policy};
use crate::resources::Resources;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Roles the frameworks are spread over (at most).
pub const BENCH_ROLES: usize = 10;

/// Builds the cluster, runs one `allocate()` and returns (wall milliseconds of that
/// round, number of offers it made).
// Wall clock is the point of a benchmark; it is read outside any simulated run.
#[allow(clippy::disallowed_methods, clippy::disallowed_types)]
pub fn bench_round(agents: usize, frameworks: usize, policy: Policy) -> (f64, usize) {
    let mut alloc = build(&AllocatorConfig::new(policy));
    for a in 0..agents {
        alloc.add_agent(a as AgentId, Resources::new(16.0, 64 * 1024));
    }
    let roles = frameworks.clamp(1, BENCH_ROLES);
    for f in 0..frameworks {
        alloc.add_framework(f as FrameworkId, &format!("role{}", f % roles));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let start = std::time::Instant::now();
    let offers = alloc.allocate(0, &mut rng);
    let ms = start.elapsed().as_secs_f64() * 1e3;
    (ms, offers.len())
}
