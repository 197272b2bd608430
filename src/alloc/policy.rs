//! The allocation policy as an extension point: the trait a policy implements, the view
//! of a round it decides on, and the registry that maps the names scenarios use
//! (`[allocator] policy = "drf"`) to constructors.
//!
//! A policy decides two things in each allocation round of the
//! [`HierarchicalAllocator`](super::HierarchicalAllocator): the order in which the
//! round visits agents ([`AllocationPolicy::order_agents`]) and which of the eligible
//! frameworks gets an agent ([`AllocationPolicy::pick`]). Everything else (roles,
//! weights, quota, static reservations, decline filters, suppression,
//! `--min_allocatable_resources`, which frameworks are eligible at all) is the
//! allocator's and is the same under every policy, as in Mesos, where the sorter is the
//! pluggable part of the hierarchical allocator (`--allocator`, `DRFSorter`).
//!
//! Adding a policy is one file and one line: implement the trait and call
//! [`register_policy`] before the scenario is read (see `examples/aging_drf.rs`).
//! [`check_policy_against_reference`](super::check_policy_against_reference) then checks
//! it against the slow reference allocator on random call sequences, as the built-in
//! policies are checked (docs/policies.md).

use super::drf::ShareKey;
use super::{AgentId, FrameworkId};
use crate::actor::Time;
use crate::resources::Resources;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{OnceLock, RwLock};

/// What a round's allocator lets a policy see of the agents it is about to visit.
pub struct AgentView<'a> {
    /// The sum of every agent's total: the denominator of every share.
    pub cluster_total: Resources,
    free: &'a dyn Fn(AgentId) -> Resources,
}

impl<'a> AgentView<'a> {
    pub fn new(cluster_total: Resources, free: &'a dyn Fn(AgentId) -> Resources) -> Self {
        AgentView {
            cluster_total,
            free: free as _,
        }
    }

    /// What `agent` has free (not offered, not in use).
    pub fn free(&self, agent: AgentId) -> Resources {
        (self.free)(agent)
    }

    /// `agent`'s free resources as a dominant share of the cluster, as a sortable key.
    pub fn free_share(&self, agent: AgentId) -> ShareKey {
        ShareKey::from_share(self.free(agent).dominant_share(&self.cluster_total))
    }
}

/// One eligible framework, with what a policy of its own may weigh. Eligible means: not
/// suppressed, no decline filter on this agent that holds now, and (outside a quota or
/// reservation stage) a bundle on this agent that is allocatable for its role.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    pub framework: FrameworkId,
    /// Its role, as a dense index in order of first mention (frameworks of one role
    /// share it).
    pub role: u32,
    /// Its dominant share of the cluster (what DRF orders frameworks in a role by).
    pub share: f64,
    /// The weighted dominant share of its role (what DRF orders roles by).
    pub role_share: f64,
    /// What it holds, over all agents (offered or in use).
    pub allocated: Resources,
    /// When it was last offered anything; `None` if never (since it registered).
    pub last_offer: Option<Time>,
}

/// The frameworks a policy picks among for one agent. The allocator implements it over
/// its incremental sorters; the test reference implements it the slow way; a policy
/// sees no difference. The `first_*` and `uniform` methods are the orders the built-in
/// policies use, walked lazily (a round at 12,000 agents cannot list every framework per
/// agent); [`eligible`](Candidates::eligible) lists everything for policies of their own.
pub trait Candidates {
    /// The time of the round.
    fn now(&self) -> Time;
    /// The agent being offered.
    fn agent(&self) -> AgentId;
    /// What the agent has free.
    fn agent_free(&self) -> Resources;
    /// The first eligible framework in hierarchical DRF order: roles by weighted dominant
    /// share, then frameworks of a role by dominant share (Mesos' `DRFSorter`; ties by
    /// the number of allocations made, then by name: see `drf::DrfKey`).
    fn first_by_share(&mut self) -> Option<FrameworkId>;
    /// The first eligible framework by id, i.e. in registration order.
    fn first_by_id(&mut self) -> Option<FrameworkId>;
    /// A uniformly random eligible framework, drawn from `rng`.
    fn uniform(&mut self, rng: &mut ChaCha8Rng) -> Option<FrameworkId>;
    /// Every eligible framework, by id.
    fn eligible(&mut self) -> Vec<Candidate>;
}

/// An allocation policy: the order of agents in a round and the framework each agent
/// goes to.
///
/// A policy is a pure function of what it is shown and of the RNG: no state of its own
/// across calls (`&self`), so that the reference allocator can replay it and a run is a
/// function of the seed. Two rules keep the allocator's shortcuts (visiting only the
/// agents that can be offered something) exact, and the reference comparison checks
/// both:
/// - `order_agents` must order any subset of the agents as it orders them within the
///   full set, and draw the same number of values from `rng` whatever the number of
///   agents (e.g. one salt per round, as [`shuffle_by_salt`] does);
/// - a policy whose `pick` draws from `rng` must say so in
///   [`draws_in_pick`](AllocationPolicy::draws_in_pick): the allocator then visits
///   every free agent each round instead of parking those every framework has declined,
///   since skipping a visit would skip its draws.
pub trait AllocationPolicy: Send + Sync + fmt::Debug {
    /// Orders the agents one round visits.
    fn order_agents(&self, agents: &mut Vec<AgentId>, view: &AgentView<'_>, rng: &mut ChaCha8Rng);
    /// The framework `candidates.agent()` is offered to, among the eligible ones; `None`
    /// leaves the agent unoffered this round.
    fn pick(&self, candidates: &mut dyn Candidates, rng: &mut ChaCha8Rng) -> Option<FrameworkId>;
    /// Whether `pick` draws from the RNG (see the trait doc).
    fn draws_in_pick(&self) -> bool {
        false
    }
}

/// Orders `agents` by a uniform random permutation drawn with one value from `rng`,
/// whatever their number, so that any subset keeps its order in the full shuffle: the
/// order Mesos' hierarchical allocator visits agents in (`std::random_shuffle(slaveIds)`
/// in `__allocate`). Each agent's key is SplitMix64's finalizer of the salt and its id:
/// independent uniform 64-bit keys for a random salt (ties, at 2^-64, go to the id).
pub fn shuffle_by_salt(agents: &mut [AgentId], rng: &mut ChaCha8Rng) {
    use rand::Rng;
    let salt: u64 = rng.gen();
    agents.sort_unstable_by_key(|&a| (shuffle_key(salt, a), a));
}

#[inline]
fn shuffle_key(salt: u64, agent: AgentId) -> u64 {
    let mut z = salt.wrapping_add(u64::from(agent).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Parameters of a policy, from `[allocator.params]` in a scenario. A constructor takes
/// the ones it knows with [`PolicyParams::take`] and refuses the rest with
/// [`PolicyParams::finish`], so a misspelt parameter is an error, not a default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolicyParams(BTreeMap<String, f64>);

impl PolicyParams {
    pub fn new(params: BTreeMap<String, f64>) -> PolicyParams {
        PolicyParams(params)
    }

    /// The value of `key`, or `default` when the scenario does not set it.
    pub fn take(&mut self, key: &str, default: f64) -> f64 {
        self.0.remove(key).unwrap_or(default)
    }

    /// Refuses every parameter not taken.
    pub fn finish(self) -> Result<(), String> {
        match self.0.keys().next() {
            None => Ok(()),
            Some(k) => Err(format!("unknown policy parameter `{k}`")),
        }
    }
}

/// Builds a policy from its parameters (or says why it cannot).
pub type PolicyConstructor = fn(PolicyParams) -> Result<Box<dyn AllocationPolicy>, String>;

fn registry() -> &'static RwLock<BTreeMap<String, PolicyConstructor>> {
    static REGISTRY: OnceLock<RwLock<BTreeMap<String, PolicyConstructor>>> = OnceLock::new();
    REGISTRY.get_or_init(|| RwLock::new(super::policies::builtins().into_iter().collect()))
}

/// Makes `name` usable as `[allocator] policy = "name"` in scenarios, sweeps and
/// `--set`, for the rest of the process. Call it before reading a scenario that names
/// the policy. Names are lowercase identifiers; registering a name twice is refused.
pub fn register_policy(name: &str, make: PolicyConstructor) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(format!(
            "policy name `{name}`: use lowercase letters, digits and `_`"
        ));
    }
    let mut r = registry().write().unwrap_or_else(|e| e.into_inner());
    if r.contains_key(name) {
        return Err(format!("policy `{name}` is already registered"));
    }
    r.insert(name.to_string(), make);
    Ok(())
}

/// The registered policy names, sorted.
pub fn policy_names() -> Vec<Policy> {
    let r = registry().read().unwrap_or_else(|e| e.into_inner());
    r.keys().map(|k| Policy(Cow::Owned(k.clone()))).collect()
}

/// The name of a registered allocation policy, as a scenario spells it. It can only be
/// made from a registered name, so a scenario naming an unknown policy is refused when
/// it is read, with the registered names listed.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Policy(Cow<'static, str>);

impl Policy {
    /// Hierarchical dominant resource fairness: roles, then frameworks in a role, the
    /// Mesos default.
    pub const DRF: Policy = Policy(Cow::Borrowed("drf"));
    /// Frameworks in registration order: the first takes what it wants.
    pub const FIFO: Policy = Policy(Cow::Borrowed("fifo"));
    /// A uniformly random eligible framework per agent.
    pub const RANDOM: Policy = Policy(Cow::Borrowed("random"));
    /// Best-fit bin packing: the fullest agents are offered first.
    pub const BINPACK: Policy = Policy(Cow::Borrowed("binpack"));

    /// The registered policy called `name`.
    pub fn named(name: &str) -> Result<Policy, String> {
        let r = registry().read().unwrap_or_else(|e| e.into_inner());
        if r.contains_key(name) {
            Ok(Policy(Cow::Owned(name.to_string())))
        } else {
            let names: Vec<&str> = r.keys().map(String::as_str).collect();
            Err(format!(
                "unknown allocation policy `{name}`; registered: {}",
                names.join(", ")
            ))
        }
    }

    pub fn name(&self) -> &str {
        &self.0
    }

    /// Builds the policy with `params`.
    pub fn build(&self, params: PolicyParams) -> Result<Box<dyn AllocationPolicy>, String> {
        let make = {
            let r = registry().read().unwrap_or_else(|e| e.into_inner());
            *r.get(self.name())
                .ok_or_else(|| format!("policy `{}` is not registered", self.name()))?
        };
        make(params).map_err(|e| format!("policy `{}`: {e}", self.name()))
    }
}

impl TryFrom<String> for Policy {
    type Error = String;
    fn try_from(s: String) -> Result<Policy, String> {
        Policy::named(&s)
    }
}

impl From<Policy> for String {
    fn from(p: Policy) -> String {
        p.0.into_owned()
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
