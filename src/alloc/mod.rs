//! The allocator: which framework is offered which agent's free resources.
//!
//! This is the first level of Mesos' two-level scheduling (NSDI'11, section 3). The
//! master feeds the allocator every change (frameworks and agents coming and going,
//! resources handed out and given back, decline filters) and periodically, every
//! `allocation_interval` (default 1 s), and after the events on which Mesos allocates
//! at once (not after resources are given back), asks it for offers. The
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
//! | `policy`        | the policy trait, the round's view of it, the name registry   |
//! | `policies`      | the four built-in policies, uniform random pick               |
//! | `reference`     | the slow reference round every policy is checked against      |
//! | `roles`         | role names (Mesos' `roles::validate`) and their ancestors     |
//! | `role_tree`     | the tree of roles, DRF at each level (Mesos' `DRFSorter`)     |
//! | `fairness`      | Jain's index, max share gap                                  |
//! | `bench`         | `bench_round`: time one round at scale                       |
//!
//! ```
//! use rand::SeedableRng;
//! use schedlab::alloc::{build, AllocatorConfig, Policy};
//! use schedlab::resources::Resources;
//!
//! let mut alloc = build(&AllocatorConfig::new(Policy::DRF));
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
pub mod policy;
pub mod quota;
pub mod reference;
pub mod role_tree;
pub mod roles;
mod round;

pub use fairness::jain_index;
pub use hierarchical::HierarchicalAllocator;
pub use policy::{
    policy_names, register_policy, shuffle_by_salt, AgentView, AllocationPolicy, Candidate,
    Candidates, Policy, PolicyConstructor, PolicyParams,
};
pub use reference::{check_policy_against_reference, ReferenceCheck};

use crate::actor::Time;
use crate::resources::Resources;
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

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
    /// Quota limit for a role (Mesos 1.9+): it is never allocated beyond it, kind by
    /// kind (`quota::UNLIMITED`, the default, for none; a kind at `u64::MAX` is
    /// unbounded).
    fn set_quota_limit(&mut self, role: &str, limit: Resources);
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
    /// Whether `fw` has Mesos' `REVOCABLE_RESOURCES` capability: only such frameworks
    /// are offered revocable CPUs (`stripIncapableResources` in `hierarchical.cpp`).
    /// An agent's revocable CPUs are part of its total (`add_agent` with the new total,
    /// as Mesos' `updateSlave` with the oversubscribed estimate).
    fn set_revocable_capable(&mut self, fw: FrameworkId, capable: bool);
    /// The policy this allocator runs.
    fn policy(&self) -> &Policy;
}

/// When a decline filter made at `now` with `refuse_seconds = refuse` ends, under an
/// allocation interval of `allocation_interval`: `now + max(refuse, allocation_interval)`.
///
/// Mesos 1.x (`src/master/allocator/mesos/hierarchical.cpp`, `recoverResources`) expires
/// a refused-offer filter "after both an `allocationInterval` and the `timeout` have
/// elapsed", so that a filter shorter than the interval still holds in the next batch
/// allocation (MESOS-4302; pinned upstream by `HierarchicalAllocatorTest.
/// SmallOfferFilterTimeout` in `src/tests/hierarchical_allocator_tests.cpp`). Since the
/// allocator does not allocate when resources are recovered (MESOS-3078), the next round
/// that can offer the declined agent again is a batch round, and the first batch round
/// after `now` comes within one interval, before the filter ends. A filter made exactly
/// on the batch grid ends at the next batch instant; the round at that instant sees it
/// ended (schedlab checks `until > now`), where in Mesos the order of the two
/// same-instant dispatches decides.
pub fn refuse_until(now: Time, refuse: Time, allocation_interval: Time) -> Time {
    now.saturating_add(refuse.max(allocation_interval))
}

/// Mesos' default `--min_allocatable_resources=cpus:0.01|mem:32`: an offer must carry at
/// least 0.01 CPU or at least 32 MiB of memory.
pub const MESOS_MIN_ALLOCATABLE: Resources = Resources {
    cpus: 10,
    mem: 32,
    disk: 0,
    gpus: 0,
    revocable_cpus: 0,
};

/// How to build an allocator: the policy, built once (policies are stateless, so the
/// allocators of every master share it), and Mesos' minimum offer. Role weights, quotas
/// and reservations are not part of it: the master applies them with `set_weight`,
/// `set_quota` and `reserve`, which also lets them change during a run (Mesos' weights
/// and quota APIs).
#[derive(Clone)]
pub struct AllocatorConfig {
    /// The name `rules` were built from (read with [`AllocatorConfig::policy`]; set only
    /// by the constructors, so the two never disagree).
    pub(crate) policy: Policy,
    /// The policy's decisions, built from the registry with the scenario's parameters.
    #[doc(hidden)]
    pub rules: Arc<dyn AllocationPolicy>,
    /// Mesos `--min_allocatable_resources`: a bundle is offered only if it reaches at
    /// least one non-zero kind of this (an OR, as in Mesos' `cpus:0.01|mem:32`); all
    /// zero means any non-empty bundle. Default [`MESOS_MIN_ALLOCATABLE`].
    pub min_allocatable: Resources,
}

impl std::fmt::Debug for AllocatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AllocatorConfig")
            .field("policy", &self.policy)
            .field("min_allocatable", &self.min_allocatable)
            .finish()
    }
}

impl Default for AllocatorConfig {
    fn default() -> AllocatorConfig {
        AllocatorConfig::new(Policy::DRF)
    }
}

impl AllocatorConfig {
    /// `policy` without parameters, with Mesos' defaults for everything else. A
    /// registered policy must build without parameters (its defaults); one whose
    /// constructor refuses that is a programming error of that policy.
    pub fn new(policy: Policy) -> AllocatorConfig {
        AllocatorConfig::with_params(policy, PolicyParams::default())
            .unwrap_or_else(|e| panic!("{e}: a policy must build with its defaults"))
    }

    /// The policy this config builds.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// `policy` with `params` (refused if the policy does not take them).
    pub fn with_params(policy: Policy, params: PolicyParams) -> Result<AllocatorConfig, String> {
        Ok(AllocatorConfig {
            rules: Arc::from(policy.build(params)?),
            policy,
            min_allocatable: MESOS_MIN_ALLOCATABLE,
        })
    }
}

/// The allocator for `cfg`: every policy is a [`HierarchicalAllocator`].
pub fn build(cfg: &AllocatorConfig) -> Box<dyn Allocator> {
    Box::new(HierarchicalAllocator::new(cfg))
}
