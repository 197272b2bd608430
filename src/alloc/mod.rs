//! The allocator: which framework is offered which agent's free resources.
//!
//! This is the first level of Mesos' two-level scheduling (NSDI'11, section 3). The
//! master feeds the allocator every change (frameworks and agents coming and going,
//! resources handed out and given back, decline filters) and periodically, every
//! `allocation_interval` (default 1 s), and after events, asks it for offers. The
//! policies are pure state machines over this interface: no engine, no clock, no
//! messages; they can be unit-tested and benchmarked alone.
//!
//! All four policies are one state machine, [`hierarchical::HierarchicalAllocator`]
//! (agents, frameworks, roles with weights, quota and static reservations, decline
//! filters, suppression), built by [`build`]; the policy only decides the order in which
//! a round visits agents and picks frameworks:
//!
//! | module          | job                                                          |
//! |-----------------|--------------------------------------------------------------|
//! | `drf`           | DRF share keys and the ordered sorter                        |
//! | `hierarchical`  | allocator state and the `Allocator` impl                      |
//! | `round`         | one allocation round (reservations, quota stages, offers)    |
//! | `quota`         | quota headroom within a round                                |
//! | `policies`      | agent visiting order per policy, uniform random pick          |
//! | `fairness`      | Jain's index, max share gap                                  |
//! | `bench`         | `bench_round`: time one round at scale                       |
//!
//! ```
//! use rand::SeedableRng;
//! use schedlab::alloc::{build, AllocatorConfig, Policy};
//! use schedlab::resources::Resources;
//!
//! let mut alloc = build(&AllocatorConfig::new(Policy::Drf));
//! alloc.add_agent(0, Resources::new(16.0, 64 * 1024));
//! alloc.add_agent(1, Resources::new(16.0, 64 * 1024));
//! alloc.add_framework(0, "batch");
//! alloc.add_framework(1, "service");
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
//! let offers = alloc.allocate(0, &mut rng);
//! // One agent each: the second agent goes to whoever has the lower share.
//! assert_eq!(offers.len(), 2);
//! assert_ne!(offers[0].framework, offers[1].framework);
//! assert_eq!(alloc.shares(), vec![(0, 0.5), (1, 0.5)]);
//! ```

pub mod bench;
pub mod drf;
pub mod fairness;
pub mod hierarchical;
pub mod policies;
pub mod quota;
#[cfg(test)]
mod reference;
mod round;
#[cfg(test)]
mod tests;

pub use fairness::jain_index;
pub use hierarchical::HierarchicalAllocator;

use crate::actor::Time;
use crate::resources::Resources;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Dense framework index, assigned by the master.
pub type FrameworkId = u32;
/// Dense agent index, assigned by the master.
pub type AgentId = u32;

/// One offer the allocator decided: all of `resources` on `agent` to `framework`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OfferDecision {
    pub framework: FrameworkId,
    pub agent: AgentId,
    pub resources: Resources,
}

/// The allocation policies schedlab implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Hierarchical dominant resource fairness (roles, then frameworks in a role), the
    /// Mesos default.
    Drf,
    /// Frameworks in registration order: the first takes what it wants.
    Fifo,
    /// A uniformly random eligible framework per agent.
    Random,
    /// Best-fit bin packing: the fullest agents are offered first.
    Binpack,
}

impl Policy {
    pub const ALL: [Policy; 4] = [Policy::Drf, Policy::Fifo, Policy::Random, Policy::Binpack];

    pub fn name(self) -> &'static str {
        match self {
            Policy::Drf => "drf",
            Policy::Fifo => "fifo",
            Policy::Random => "random",
            Policy::Binpack => "binpack",
        }
    }
}

/// What the master tells the allocator and asks of it. All methods are deterministic
/// functions of the calls made so far (and of `rng` where a policy randomizes).
pub trait Allocator {
    /// A framework registered (or re-registered) under `role`.
    fn add_framework(&mut self, fw: FrameworkId, role: &str);
    /// A framework is gone; its allocation is forgotten.
    fn remove_framework(&mut self, fw: FrameworkId);
    /// An agent joined with `total` resources.
    fn add_agent(&mut self, agent: AgentId, total: Resources);
    /// An agent left; whatever was allocated on it is forgotten.
    fn remove_agent(&mut self, agent: AgentId);
    /// Resources on `agent` already held by `fw` when the allocator learns of them
    /// (tasks that survive a master failover).
    fn add_allocated(&mut self, agent: AgentId, fw: FrameworkId, res: Resources);
    /// `fw` gives back `res` on `agent` (declined part of an offer, rescinded offer,
    /// finished task).
    fn recover(&mut self, agent: AgentId, fw: FrameworkId, res: Resources);
    /// Do not offer `agent` to `fw` before `until` (a decline filter).
    fn filter(&mut self, fw: FrameworkId, agent: AgentId, until: Time);
    /// `fw` wants no offers (SUPPRESS) / wants them again (REVIVE, clears its filters).
    fn suppress(&mut self, fw: FrameworkId, suppressed: bool);
    /// Relative weight of a role (default 1).
    fn set_weight(&mut self, role: &str, weight: f64);
    /// Guaranteed minimum for a role: set aside even while the role has no framework.
    fn set_quota(&mut self, role: &str, guarantee: Resources);
    /// Statically reserve `res` of `agent` for `role`.
    fn reserve(&mut self, agent: AgentId, role: &str, res: Resources);
    /// One allocation round at time `now`: the offers to make. Each offered bundle is
    /// counted as allocated to its framework until `recover`ed.
    fn allocate(&mut self, now: Time, rng: &mut ChaCha8Rng) -> Vec<OfferDecision>;
    /// A round over `agents` only: what Mesos runs when an event changes what one agent
    /// can offer (`allocate(slaveId)`), so an event costs O(changed agents), not
    /// O(cluster).
    fn allocate_agents(
        &mut self,
        now: Time,
        rng: &mut ChaCha8Rng,
        agents: &[AgentId],
    ) -> Vec<OfferDecision>;
    /// Current dominant share of each framework (by the allocator's own accounting), in
    /// framework order.
    fn shares(&self) -> Vec<(FrameworkId, f64)>;

    // Read accessors for the master and the metrics recorder (added with the allocator
    // family; all cheap, none changes state).

    /// Sum of the totals of all agents: the denominator of every share.
    fn total(&self) -> Resources;
    /// Everything allocated (offered or in use) on all agents.
    fn total_allocated(&self) -> Resources;
    /// What `fw` holds over all agents (zero if unknown).
    fn allocated(&self, fw: FrameworkId) -> Resources;
    /// The total of `agent`, `None` if unknown.
    fn agent_total(&self, agent: AgentId) -> Option<Resources>;
    /// What is allocated on `agent` (zero if unknown).
    fn agent_allocated(&self, agent: AgentId) -> Resources;
    /// What `fw` holds on `agent`: the most the master may `recover` there.
    fn allocation(&self, agent: AgentId, fw: FrameworkId) -> Resources;
    /// Weighted dominant share of every role known, in role-name order.
    fn role_shares(&self) -> Vec<(String, f64)>;
    /// The policy this allocator runs.
    fn policy(&self) -> Policy;
}

/// Mesos' default `--min_allocatable_resources=cpus:0.01|mem:32`: an offer must carry at
/// least 0.01 CPU or at least 32 MiB of memory.
pub const MESOS_MIN_ALLOCATABLE: Resources = Resources {
    cpus: 10,
    mem: 32,
    disk: 0,
    gpus: 0,
};

/// How to build an allocator. Role weights, quotas and reservations are not part of it:
/// the master applies them with `set_weight`, `set_quota` and `reserve`, which also lets
/// them change during a run (Mesos' weights and quota APIs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AllocatorConfig {
    pub policy: Policy,
    /// Mesos `--min_allocatable_resources`: a bundle is offered only if it reaches at
    /// least one non-zero kind of this (an OR, as in Mesos' `cpus:0.01|mem:32`); all
    /// zero means any non-empty bundle. Default [`MESOS_MIN_ALLOCATABLE`].
    pub min_allocatable: Resources,
}

impl Default for AllocatorConfig {
    fn default() -> AllocatorConfig {
        AllocatorConfig::new(Policy::Drf)
    }
}

impl AllocatorConfig {
    /// `policy` with Mesos' defaults for everything else.
    pub fn new(policy: Policy) -> AllocatorConfig {
        AllocatorConfig {
            policy,
            min_allocatable: MESOS_MIN_ALLOCATABLE,
        }
    }
}

/// The allocator for `cfg`: every policy is a [`HierarchicalAllocator`].
pub fn build(cfg: &AllocatorConfig) -> Box<dyn Allocator> {
    Box::new(HierarchicalAllocator::new(cfg))
}
