//! What distinguishes the policies: the order agents are visited in a round and, for
//! `Random`, how a framework is drawn.
//!
//! - `Drf` and `Random` shuffle the agents each round with the round's RNG, as Mesos'
//!   hierarchical allocator does (`std::random_shuffle(slaveIds)` in `__allocate`), so
//!   that no agent is systematically offered first. The shuffle is drawn as random sort
//!   keys: one salt per round from the RNG, an agent's key a hash of the salt and its
//!   id. That is a uniform permutation like any shuffle, and it has the property a
//!   large cell needs: the order of any subset of the agents is the order they have in
//!   the shuffle of all of them, so a round may visit only the agents that can be
//!   offered something (`round.rs`) and still make exactly the offers of a round over
//!   every agent, with the same RNG draws.
//! - `Fifo` visits agents in id order: its point is a fixed, predictable order.
//! - `Binpack` visits the fullest agents first (best fit): the agent whose free
//!   resources are the smallest share of the cluster (its free *dominant share*) is
//!   offered before emptier ones, so work is packed onto few agents and whole agents
//!   stay free. Frameworks are still chosen in DRF order, so packing does not cost
//!   fairness.
//!
//! The framework choice for `Drf`, `Fifo` and `Binpack` walks an ordered structure in the
//! allocator (`hierarchical.rs`); `Random` draws with [`random_pick`].
//!
//! ```
//! use rand::SeedableRng;
//! use schedlab::alloc::drf::ShareKey;
//! use schedlab::alloc::policies::agent_order;
//! use schedlab::alloc::Policy;
//!
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
//! let free = |a: u32| ShareKey::from_share([0.5, 0.1, 0.9][a as usize]);
//! assert_eq!(agent_order(Policy::Binpack, vec![0, 1, 2], free, &mut rng), vec![1, 0, 2]);
//! assert_eq!(agent_order(Policy::Fifo, vec![2, 0, 1], free, &mut rng), vec![0, 1, 2]);
//! ```

use super::drf::ShareKey;
use super::{AgentId, FrameworkId, Policy};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The order in which one round visits `agents`. `free_share` gives an agent's free
/// resources as a dominant share of the cluster (used by `Binpack` only).
pub fn agent_order(
    policy: Policy,
    mut agents: Vec<AgentId>,
    free_share: impl Fn(AgentId) -> ShareKey,
    rng: &mut ChaCha8Rng,
) -> Vec<AgentId> {
    match policy {
        Policy::Drf | Policy::Random => {
            let salt: u64 = rng.gen();
            agents.sort_unstable_by_key(|&a| (shuffle_key(salt, a), a));
        }
        Policy::Fifo => agents.sort_unstable(),
        Policy::Binpack => agents.sort_by_cached_key(|&a| (free_share(a), a)),
    }
    agents
}

/// An agent's place in the round's shuffle: SplitMix64's finalizer of the salt and
/// the id, so keys of distinct ids are independent uniform 64-bit values for a random
/// salt (ties, at 2^-64, fall back to the id).
#[inline]
fn shuffle_key(salt: u64, agent: AgentId) -> u64 {
    let mut z = salt.wrapping_add(u64::from(agent).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// How many uniform draws `random_pick` tries before listing the eligible candidates.
const DRAWS: usize = 16;

/// A uniformly random element of `candidates` among those `eligible` accepts, or `None`.
///
/// Rejection sampling first (cheap when most candidates are eligible: one draw), then, if
/// `DRAWS` draws all missed, an exact draw among the eligible ones. Both stages are
/// uniform over the eligible set, so their mixture is too; all randomness comes from
/// `rng`, so the pick is a function of the seed.
pub fn random_pick(
    candidates: &[FrameworkId],
    rng: &mut ChaCha8Rng,
    mut eligible: impl FnMut(FrameworkId) -> bool,
) -> Option<FrameworkId> {
    if candidates.is_empty() {
        return None;
    }
    for _ in 0..DRAWS {
        let c = candidates[rng.gen_range(0..candidates.len())];
        if eligible(c) {
            return Some(c);
        }
    }
    let ok: Vec<FrameworkId> = candidates
        .iter()
        .copied()
        .filter(|&c| eligible(c))
        .collect();
    if ok.is_empty() {
        None
    } else {
        Some(ok[rng.gen_range(0..ok.len())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng(seed: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(seed)
    }

    #[test]
    fn shuffle_is_a_permutation_fixed_by_the_seed() {
        let ids: Vec<AgentId> = (0..50).collect();
        let f = |_| ShareKey::ZERO;
        let a = agent_order(Policy::Drf, ids.clone(), f, &mut rng(7));
        let b = agent_order(Policy::Drf, ids.clone(), f, &mut rng(7));
        let c = agent_order(Policy::Drf, ids.clone(), f, &mut rng(8));
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
        let f = |_| ShareKey::ZERO;
        let full = agent_order(Policy::Drf, ids.clone(), f, &mut rng(9));
        let odd: Vec<AgentId> = ids.iter().copied().filter(|a| a % 3 == 1).collect();
        let mut r = rng(9);
        let part = agent_order(Policy::Drf, odd.iter().rev().copied().collect(), f, &mut r);
        let want: Vec<AgentId> = full.into_iter().filter(|a| a % 3 == 1).collect();
        assert_eq!(part, want);
        let mut r2 = rng(9);
        let _ = agent_order(Policy::Drf, Vec::new(), f, &mut r2);
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
            let o = agent_order(Policy::Random, (0..8).collect(), |_| ShareKey::ZERO, &mut r);
            first[o[0] as usize] += 1;
        }
        for (a, &n) in first.iter().enumerate() {
            // 5,000 expected, sd ~66: allow 5 sd.
            assert!((n as i64 - 5_000).abs() < 330, "agent {a} first {n} times");
        }
    }

    #[test]
    fn binpack_ties_go_to_the_lowest_id() {
        let f = |a: AgentId| ShareKey::from_share(if a == 3 { 0.0 } else { 0.5 });
        assert_eq!(
            agent_order(Policy::Binpack, vec![4, 2, 3, 1], f, &mut rng(0)),
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
}
