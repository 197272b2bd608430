//! Unit tests of `src/alloc/reference.rs` (moved out of the library: see `unit.rs`).

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use schedlab::alloc::policies::{Drf, Random};
use schedlab::alloc::policy::AgentView;
use schedlab::alloc::policy::AllocationPolicy;
use schedlab::alloc::policy::Candidates;
use schedlab::alloc::policy::Policy;
use schedlab::alloc::reference::*;
use schedlab::alloc::AgentId;
use schedlab::alloc::AllocatorConfig;
use schedlab::alloc::FrameworkId;
use std::sync::Arc;

fn config(rules: impl AllocationPolicy + 'static) -> AllocatorConfig {
    let mut cfg = AllocatorConfig::new(Policy::DRF);
    cfg.rules = Arc::new(rules);
    cfg
}

/// `random`'s picks draw from the RNG; without saying so, the allocator parks agents
/// every framework has declined, skips their draws, and the check says so.
#[derive(Debug)]
struct UndeclaredRandom;
impl AllocationPolicy for UndeclaredRandom {
    fn order_agents(&self, a: &mut Vec<AgentId>, v: &AgentView<'_>, rng: &mut ChaCha8Rng) {
        Random.order_agents(a, v, rng)
    }
    fn pick(&self, c: &mut dyn Candidates, rng: &mut ChaCha8Rng) -> Option<FrameworkId> {
        Random.pick(c, rng)
    }
}

/// A plain shuffle draws once per agent: a round over the agents that can be offered
/// something draws differently from a round over all of them.
#[derive(Debug)]
struct PlainShuffle;
impl AllocationPolicy for PlainShuffle {
    fn order_agents(&self, a: &mut Vec<AgentId>, _: &AgentView<'_>, rng: &mut ChaCha8Rng) {
        a.sort_unstable();
        a.shuffle(rng);
    }
    fn pick(&self, c: &mut dyn Candidates, rng: &mut ChaCha8Rng) -> Option<FrameworkId> {
        Drf.pick(c, rng)
    }
}

#[test]
fn a_policy_breaking_the_contract_is_caught() {
    for (name, cfg) in [
        ("undeclared draws", config(UndeclaredRandom)),
        ("plain shuffle", config(PlainShuffle)),
    ] {
        let e = check_config_against_reference(&cfg, 0..24).err();
        assert!(e.is_some(), "{name}: not caught");
    }
    check_config_against_reference(&config(Random), 0..24).unwrap();
}
