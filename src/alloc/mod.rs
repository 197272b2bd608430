//! The allocator: which framework is offered which agent's free resources.
//!
//! This is the first level of Mesos' two-level scheduling (NSDI'11, section 3). The
//! master feeds the allocator every change (frameworks and agents coming and going,
//! resources handed out and given back, decline filters) and periodically, every
//! `allocation_interval` (default 1 s), and after events, asks it for offers. The
//! policies are pure state machines over this interface: no engine, no clock, no
//! messages; they can be unit-tested and benchmarked alone.

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
    /// Current dominant share of each framework (by the allocator's own accounting), in
    /// framework order.
    fn shares(&self) -> Vec<(FrameworkId, f64)>;
}
mod stub;
pub use stub::{build, jain_index, AllocatorConfig};
