//! Unit tests of `src/alloc/policies.rs` (moved out of the library: see `unit.rs`).

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use schedlab::alloc::policies::*;
use schedlab::alloc::policy::AgentView;
use schedlab::alloc::policy::Policy;
use schedlab::alloc::policy::PolicyParams;
use schedlab::alloc::AgentId;
use schedlab::alloc::FrameworkId;
use schedlab::resources::Resources;

/// `policy`'s order of `agents`, with `free_cpus` of each free in a 16-CPU cluster.
fn agent_order(
    policy: Policy,
    mut agents: Vec<AgentId>,
    free_cpus: impl Fn(AgentId) -> f64,
    rng: &mut ChaCha8Rng,
) -> Vec<AgentId> {
    let free = |a| Resources::new(free_cpus(a), 0);
    let view = AgentView::new(Resources::new(16.0, 0), &free);
    let p = policy.build(PolicyParams::default()).unwrap();
    p.order_agents(&mut agents, &view, rng);
    agents
}

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

#[test]
fn shuffle_is_a_permutation_fixed_by_the_seed() {
    let ids: Vec<AgentId> = (0..50).collect();
    let f = |_| 0.0;
    let a = agent_order(Policy::DRF, ids.clone(), f, &mut rng(7));
    let b = agent_order(Policy::DRF, ids.clone(), f, &mut rng(7));
    let c = agent_order(Policy::DRF, ids.clone(), f, &mut rng(8));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a, ids);
    let mut sorted = a.clone();
    sorted.sort();
    assert_eq!(sorted, ids);
}

/// What lets a round skip agents: a subset is visited in the order it has in the
/// full shuffle, with the same draws.
#[test]
fn a_subset_keeps_its_order_in_the_full_shuffle() {
    let ids: Vec<AgentId> = (0..200).collect();
    let f = |_| 0.0;
    let full = agent_order(Policy::DRF, ids.clone(), f, &mut rng(9));
    let odd: Vec<AgentId> = ids.iter().copied().filter(|a| a % 3 == 1).collect();
    let mut r = rng(9);
    let part = agent_order(Policy::DRF, odd.iter().rev().copied().collect(), f, &mut r);
    let want: Vec<AgentId> = full.into_iter().filter(|a| a % 3 == 1).collect();
    assert_eq!(part, want);
    let mut r2 = rng(9);
    let _ = agent_order(Policy::DRF, Vec::new(), f, &mut r2);
    assert_eq!(
        r.gen::<u64>(),
        r2.gen::<u64>(),
        "one draw per round, whatever the size"
    );
}

/// Each agent is first equally often: the keys make a uniform shuffle.
#[test]
fn the_shuffle_is_uniform() {
    let mut r = rng(12);
    let mut first = [0u32; 8];
    for _ in 0..40_000 {
        let o = agent_order(Policy::RANDOM, (0..8).collect(), |_| 0.0, &mut r);
        first[o[0] as usize] += 1;
    }
    for (a, &n) in first.iter().enumerate() {
        // 5,000 expected, sd ~66: allow 5 sd.
        assert!((n as i64 - 5_000).abs() < 330, "agent {a} first {n} times");
    }
}

#[test]
fn binpack_ties_go_to_the_lowest_id() {
    let f = |a: AgentId| if a == 3 { 0.0 } else { 8.0 };
    assert_eq!(
        agent_order(Policy::BINPACK, vec![4, 2, 3, 1], f, &mut rng(0)),
        vec![3, 1, 2, 4]
    );
}

#[test]
fn random_pick_only_returns_eligible() {
    let c: Vec<FrameworkId> = (0..100).collect();
    let mut r = rng(3);
    for _ in 0..200 {
        assert_eq!(random_pick(&c, &mut r, |x| x == 42), Some(42));
    }
    assert_eq!(random_pick(&c, &mut r, |_| false), None);
    assert_eq!(random_pick(&[], &mut r, |_| true), None);
}

#[test]
fn random_pick_is_uniform_over_the_eligible() {
    // Even ids among 0..10 are eligible: each of the 5 should get ~1/5 of 50,000.
    let c: Vec<FrameworkId> = (0..10).collect();
    let mut r = rng(11);
    let mut counts = [0u32; 10];
    for _ in 0..50_000 {
        counts[random_pick(&c, &mut r, |x| x % 2 == 0).unwrap() as usize] += 1;
    }
    for (i, &n) in counts.iter().enumerate() {
        if i % 2 == 1 {
            assert_eq!(n, 0);
        } else {
            // sd = sqrt(50000 * 0.2 * 0.8) ~ 89; allow 5 sd.
            assert!((n as i64 - 10_000).abs() < 450, "id {i}: {n}");
        }
    }
}
