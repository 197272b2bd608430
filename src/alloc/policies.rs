//! The four built-in allocation policies. They differ only in the order a round visits
//! agents and in how a framework is chosen among the eligible ones (see
//! [`AllocationPolicy`]):
//!
//! - `drf` and `random` shuffle the agents each round with the round's RNG, as Mesos'
//!   hierarchical allocator does (`std::random_shuffle(slaveIds)` in `__allocate`), so
//!   that no agent is systematically offered first. The shuffle is drawn as random sort
//!   keys ([`shuffle_by_salt`]): one salt per round from the RNG, an agent's key a hash
//!   of the salt and its id. That is a uniform permutation like any shuffle, and it has
//!   the property a large cell needs: the order of any subset of the agents is the order
//!   they have in the shuffle of all of them, so a round may visit only the agents that
//!   can be offered something (`round.rs`) and still make exactly the offers of a round
//!   over every agent, with the same RNG draws.
//! - `fifo` visits agents in id order: its point is a fixed, predictable order.
//! - `binpack` visits the fullest agents first (best fit): the agent whose free
//!   resources are the smallest share of the cluster (its free *dominant share*) is
//!   offered before emptier ones, so work is packed onto few agents and whole agents
//!   stay free. Frameworks are still chosen in DRF order, so packing does not cost
//!   fairness.
//!
//! `drf` and `binpack` pick the first eligible framework in hierarchical DRF order,
//! `fifo` the first by id, `random` a uniform one ([`random_pick`]).
//!
//! ```
//! use rand::SeedableRng;
//! use schedlab::alloc::{AgentView, Policy, PolicyParams};
//! use schedlab::resources::Resources;
//!
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
//! let free = |a: u32| Resources::new([8.0, 1.0, 14.0][a as usize], 0);
//! let view = AgentView::new(Resources::new(16.0, 0), &free);
//! let binpack = Policy::BINPACK.build(PolicyParams::default()).unwrap();
//! let mut agents = vec![0, 1, 2];
//! binpack.order_agents(&mut agents, &view, &mut rng);
//! assert_eq!(agents, vec![1, 0, 2]);
//! let fifo = Policy::FIFO.build(PolicyParams::default()).unwrap();
//! let mut agents = vec![2, 0, 1];
//! fifo.order_agents(&mut agents, &view, &mut rng);
//! assert_eq!(agents, vec![0, 1, 2]);
//! ```

use super::policy::{
    shuffle_by_salt, AgentView, AllocationPolicy, Candidates, PolicyConstructor, PolicyParams,
};
use super::{AgentId, FrameworkId};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The built-in policies and their constructors, for the registry.
pub(crate) fn builtins() -> Vec<(String, PolicyConstructor)> {
    vec![
        ("drf".into(), without_params::<Drf>),
        ("fifo".into(), without_params::<Fifo>),
        ("random".into(), without_params::<Random>),
        ("binpack".into(), without_params::<Binpack>),
    ]
}

/// The constructor of a policy that takes no parameters.
fn without_params<P: AllocationPolicy + Default + 'static>(
    params: PolicyParams,
) -> Result<Box<dyn AllocationPolicy>, String> {
    params.finish()?;
    Ok(Box::new(P::default()))
}

/// Hierarchical DRF, Mesos' default: agents shuffled, frameworks by dominant share.
#[derive(Clone, Copy, Debug, Default)]
pub struct Drf;

impl AllocationPolicy for Drf {
    fn order_agents(&self, agents: &mut Vec<AgentId>, _: &AgentView<'_>, rng: &mut ChaCha8Rng) {
        shuffle_by_salt(agents, rng);
    }
    fn pick(&self, c: &mut dyn Candidates, _: &mut ChaCha8Rng) -> Option<FrameworkId> {
        c.first_by_share()
    }
}

/// First come, first served: agents by id, frameworks by registration.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fifo;

impl AllocationPolicy for Fifo {
    fn order_agents(&self, agents: &mut Vec<AgentId>, _: &AgentView<'_>, _: &mut ChaCha8Rng) {
        agents.sort_unstable();
    }
    fn pick(&self, c: &mut dyn Candidates, _: &mut ChaCha8Rng) -> Option<FrameworkId> {
        c.first_by_id()
    }
}

/// Agents shuffled, a uniformly random eligible framework per agent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Random;

impl AllocationPolicy for Random {
    fn order_agents(&self, agents: &mut Vec<AgentId>, _: &AgentView<'_>, rng: &mut ChaCha8Rng) {
        shuffle_by_salt(agents, rng);
    }
    fn pick(&self, c: &mut dyn Candidates, rng: &mut ChaCha8Rng) -> Option<FrameworkId> {
        c.uniform(rng)
    }
    fn draws_in_pick(&self) -> bool {
        true
    }
}

/// Best fit: the fullest agents first (lowest free dominant share, ties by id),
/// frameworks in DRF order.
#[derive(Clone, Copy, Debug, Default)]
pub struct Binpack;

impl AllocationPolicy for Binpack {
    fn order_agents(&self, agents: &mut Vec<AgentId>, view: &AgentView<'_>, _: &mut ChaCha8Rng) {
        agents.sort_by_cached_key(|&a| (view.free_share(a), a));
    }
    fn pick(&self, c: &mut dyn Candidates, _: &mut ChaCha8Rng) -> Option<FrameworkId> {
        c.first_by_share()
    }
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
