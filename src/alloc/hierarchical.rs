//! The allocator state: agents, frameworks, roles, filters, quota and reservations, and
//! the bookkeeping that keeps the DRF sorters current as allocations change.
//!
//! This models Mesos' `HierarchicalAllocatorProcess` (`src/master/allocator/mesos/
//! hierarchical.cpp`): a role sorter over the tree of roles (weighted DRF at each level
//! of `a/b/c` names, role weights from `--weights` / the weights API; `role_tree.rs`)
//! and, per role, a framework sorter (plain DRF). Every
//! resource offered and not yet recovered counts as allocated, as in Mesos. The round
//! itself (which agent goes to whom) is in `round.rs`.
//!
//! Keys are maintained incrementally: a framework's and its role's keys are updated on
//! every change of their allocation (`O(log n)`). A change of the cluster total (agent
//! added or removed) changes every share, so it only marks the sorters stale; they are
//! rebuilt once, at the next round.
//!
//! Allocations the allocator learns of for a framework it does not know yet (agents
//! re-registering after a master failover before their frameworks do) are kept on the
//! agent, so nothing is over-committed, and adopted when the framework registers.

use super::drf::{framework_name_key, share_key, weighted_share, DrfKey, ShareKey, Sorter};
use super::role_tree::RoleTree;
use super::{
    AgentId, AllocationPolicy, Allocator, AllocatorConfig, FrameworkId, OfferDecision, Policy,
};
use crate::actor::Time;
use crate::keymap::KeyMap;
use crate::resources::Resources;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Dense role index, assigned in order of first mention.
pub type RoleId = u32;

/// An agent as the allocator sees it.
#[derive(Clone, Debug)]
#[doc(hidden)]
pub struct Agent {
    pub total: Resources,
    /// Sum of `by_fw`.
    pub allocated: Resources,
    /// Offered or used, per framework (including frameworks not registered yet).
    pub by_fw: BTreeMap<FrameworkId, Resources>,
    /// Static reservations, by role id, non-zero.
    pub reserved: Vec<(RoleId, Resources)>,
}

/// A registered framework.
#[derive(Clone, Debug)]
#[doc(hidden)]
pub struct Framework {
    pub role: RoleId,
    /// Sum of its entries in the agents' `by_fw` (the per-agent amounts live only
    /// there: a second per-framework map over every agent would be updated on every
    /// offer and task end, and read only when the framework is removed).
    pub alloc: Resources,
    /// Decline filters: no offer of the agent before the time.
    pub filters: KeyMap<AgentId, Time>,
    pub suppressed: bool,
    /// Allocations made to it (Mesos' sorter `Allocation::count`): every grant counts
    /// one, recovering counts nothing.
    pub count: u64,
    /// DRF key within the role: (share, count, Mesos id string order) (valid when the
    /// allocator is not stale).
    pub key: DrfKey<u64>,
    /// When it was last offered anything (`None`: never since it registered).
    pub last_offer: Option<Time>,
    /// Mesos' `REVOCABLE_RESOURCES` capability: only then is it offered revocable CPUs.
    pub revocable: bool,
}

/// A role: weight, quota and the sorter of its frameworks. Its place among roles is
/// kept in the role tree (`HierarchicalAllocator::tree`).
#[derive(Clone, Debug)]
#[doc(hidden)]
pub struct Role {
    pub name: String,
    /// Its weight among its siblings in the role tree (the tree holds the same value).
    pub weight: f64,
    pub quota: Resources,
    /// Quota limit (Mesos 1.9+): never allocated beyond it; `quota::UNLIMITED` if none.
    pub limit: Resources,
    /// Sum of its frameworks' allocations (its own, without its child roles').
    pub alloc: Resources,
    /// Allocations made to its frameworks (Mesos' sorter `Allocation::count`).
    pub count: u64,
    /// Registered frameworks of the role.
    pub members: BTreeSet<FrameworkId>,
    /// Those not suppressed, by id (FIFO order).
    pub active: BTreeSet<FrameworkId>,
    /// Those not suppressed, in DRF order.
    pub sorter: Sorter<u64>,
}

/// The allocator behind every [`Policy`]: one state machine, the policy decides the
/// order of agents and frameworks in a round.
#[derive(Clone, Debug)]
pub struct HierarchicalAllocator {
    pub(crate) policy: Policy,
    /// The policy's decisions (shared: policies are stateless).
    pub(crate) rules: Arc<dyn AllocationPolicy>,
    pub(crate) min_allocatable: Resources,
    pub(crate) agents: Vec<Option<Agent>>,
    pub(crate) frameworks: Vec<Option<Framework>>,
    /// Allocations of frameworks not registered yet: framework -> agent -> resources.
    pub(crate) orphans: BTreeMap<FrameworkId, BTreeMap<AgentId, Resources>>,
    #[doc(hidden)]
    pub roles: Vec<Role>,
    pub(crate) role_ids: BTreeMap<String, RoleId>,
    /// Roles by `/`-separated name, each level in weighted DRF order; lists the roles
    /// with at least one active framework.
    pub(crate) tree: RoleTree,
    /// All active (registered, not suppressed) frameworks, by id.
    pub(crate) active: BTreeSet<FrameworkId>,
    /// Roles with a non-zero guarantee or a limit.
    pub(crate) quota_roles: BTreeSet<RoleId>,
    pub(crate) total: Resources,
    pub(crate) allocated: Resources,
    /// The cluster total changed since the keys were computed.
    pub(crate) stale: bool,
    /// Which agents a round visits (see [`Visits`]).
    pub(crate) visits: Visits,
}

/// Which agents a round has to visit, kept as allocations and filters change, so that
/// a round costs what it can offer, not the size of the cluster. At 12,500 agents with
/// one allocation per second, visiting every agent is most of a month's replay, and
/// nearly every visit finds an agent that is full or that every framework has declined.
///
/// - `free`: agents whose free resources are allocatable (`--min_allocatable_resources`);
///   a round skips the others before looking at any framework.
/// - `parked`: free agents on which every active framework has a decline filter, with
///   the time the earliest of those filters ends; they are visited again from then on.
///   Anything that can make a parked agent eligible sooner unparks it: a framework
///   becoming active (registration, REVIVE, which also clears its filters), a filter
///   replaced by a shorter one, the agent's filters cleared by an update. Parking is
///   used by the policies whose framework choice draws no randomness (those that do not
///   declare `AllocationPolicy::draws_in_pick`), so that skipping a parked agent changes
///   no RNG draw.
/// - `ready = free \ parked`: what a round visits.
///
/// The agent order is drawn so that any subset of the agents keeps its place in the
/// full shuffle (`policy::shuffle_by_salt`): a round over `ready` makes exactly the
/// offers of a round over every agent (`tests::incremental_matches_reference`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Visits {
    free: AgentSet,
    /// Per agent, the time it is parked until (0: not parked; a filter that holds ends
    /// after `now`, so never at 0).
    parked: Vec<Time>,
    wake: BTreeSet<(Time, AgentId)>,
    ready: AgentSet,
}

impl Visits {
    fn parked_until(&self, agent: AgentId) -> Option<Time> {
        self.parked.get(agent as usize).copied().filter(|&t| t > 0)
    }

    /// Records whether `agent`'s free resources are allocatable (`None`: removed).
    pub(crate) fn set_free(&mut self, agent: AgentId, free: Option<bool>) {
        if free == Some(true) {
            self.free.insert(agent);
            if self.parked_until(agent).is_none() {
                self.ready.insert(agent);
            }
        } else {
            self.free.remove(agent);
            self.ready.remove(agent);
            if free.is_none() {
                self.unpark(agent);
            }
        }
    }

    /// Keeps rounds off `agent` until `until` (or sooner, if parked until earlier).
    pub(crate) fn park(&mut self, agent: AgentId, until: Time) {
        if let Some(old) = self.parked_until(agent) {
            if old <= until {
                return;
            }
            self.wake.remove(&(old, agent));
        }
        if self.parked.len() <= agent as usize {
            self.parked.resize(agent as usize + 1, 0);
        }
        self.parked[agent as usize] = until;
        self.wake.insert((until, agent));
        self.ready.remove(agent);
    }

    /// A filter on `agent` now ends at `until`: a parked agent wakes no later.
    pub(crate) fn filter_set(&mut self, agent: AgentId, until: Time) {
        if self.parked_until(agent).is_some_and(|t| t > until) {
            self.park(agent, until);
        }
    }

    pub(crate) fn unpark(&mut self, agent: AgentId) {
        if let Some(t) = self.parked_until(agent) {
            self.parked[agent as usize] = 0;
            self.wake.remove(&(t, agent));
            if self.free.contains(agent) {
                self.ready.insert(agent);
            }
        }
    }

    pub(crate) fn unpark_all(&mut self) {
        for (_, agent) in std::mem::take(&mut self.wake) {
            self.parked[agent as usize] = 0;
            if self.free.contains(agent) {
                self.ready.insert(agent);
            }
        }
    }

    /// Wakes the agents whose earliest filter has ended by `now`.
    pub(crate) fn wake_until(&mut self, now: Time) {
        while let Some(&(t, agent)) = self.wake.first() {
            if t > now {
                break;
            }
            self.unpark(agent);
        }
    }

    /// The agents a round visits, ascending.
    pub(crate) fn ready(&self) -> impl Iterator<Item = AgentId> + '_ {
        self.ready.iter()
    }

    pub(crate) fn is_ready(&self, agent: AgentId) -> bool {
        self.ready.contains(agent)
    }

    /// For `check_invariants`: `free` as given, `ready = free \ parked`, `wake` mirrors
    /// `parked`.
    fn check(&self, free: impl Iterator<Item = AgentId>) -> Result<(), String> {
        if !self.free.iter().eq(free) {
            return Err("visits: free set out of date".into());
        }
        let ready = self.free.iter().filter(|&a| self.parked_until(a).is_none());
        let parked = self.parked.iter().filter(|&&t| t > 0).count();
        if !ready.eq(self.ready.iter()) || self.wake.len() != parked {
            return Err("visits: ready or wake set out of date".into());
        }
        Ok(())
    }
}

/// A set of agent ids as a bitmap: constant-time updates (a round's offers change
/// thousands of them) and iteration in ascending order.
#[derive(Clone, Debug, Default)]
struct AgentSet {
    words: Vec<u64>,
}

impl AgentSet {
    fn insert(&mut self, a: AgentId) {
        let w = (a / 64) as usize;
        if self.words.len() <= w {
            self.words.resize(w + 1, 0);
        }
        self.words[w] |= 1 << (a % 64);
    }

    fn remove(&mut self, a: AgentId) {
        if let Some(x) = self.words.get_mut((a / 64) as usize) {
            *x &= !(1 << (a % 64));
        }
    }

    fn contains(&self, a: AgentId) -> bool {
        self.words
            .get((a / 64) as usize)
            .is_some_and(|x| x >> (a % 64) & 1 == 1)
    }

    fn iter(&self) -> impl Iterator<Item = AgentId> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut bits = w;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let b = bits.trailing_zeros();
                bits &= bits - 1;
                Some(i as AgentId * 64 + b)
            })
        })
    }
}

/// `fw`'s place in its role's sorter: dominant share, allocation count, and the order
/// of its Mesos id string (`drf::framework_name_key`).
fn fw_key(fw: FrameworkId, f: &Framework, total: &Resources) -> DrfKey<u64> {
    DrfKey {
        share: share_key(&f.alloc, total, 1.0),
        count: f.count,
        name: framework_name_key(fw),
    }
}

impl HierarchicalAllocator {
    pub fn new(cfg: &AllocatorConfig) -> HierarchicalAllocator {
        HierarchicalAllocator {
            policy: cfg.policy.clone(),
            rules: Arc::clone(&cfg.rules),
            min_allocatable: cfg.min_allocatable,
            agents: Vec::new(),
            frameworks: Vec::new(),
            orphans: BTreeMap::new(),
            roles: Vec::new(),
            role_ids: BTreeMap::new(),
            tree: RoleTree::default(),
            active: BTreeSet::new(),
            quota_roles: BTreeSet::new(),
            total: Resources::ZERO,
            allocated: Resources::ZERO,
            stale: false,
            visits: Visits::default(),
        }
    }

    /// Brings `visits` up to date after `agent`'s total or allocation changed.
    fn note_free(&mut self, agent: AgentId) {
        let free = self
            .agent(agent)
            .map(|a| self.allocatable(&a.total.saturating_sub(&a.allocated)));
        self.visits.set_free(agent, free);
    }

    /// Mesos' `--min_allocatable_resources` (default `cpus:0.01|mem:32`): a bundle is
    /// worth offering if it reaches at least one non-zero kind of `min_allocatable`. With
    /// an all-zero minimum, any non-empty bundle is.
    pub fn allocatable(&self, r: &Resources) -> bool {
        let (x, m) = (r.as_array(), self.min_allocatable.as_array());
        if self.min_allocatable.is_zero() {
            return !r.is_zero();
        }
        (0..4).any(|k| m[k] > 0 && x[k] >= m[k])
    }

    /// Keeps `quota_roles` up to date after `r`'s guarantee or limit changed.
    fn note_quota(&mut self, r: RoleId) {
        let role = &self.roles[r as usize];
        if role.quota.is_zero() && role.limit == super::quota::UNLIMITED {
            self.quota_roles.remove(&r);
        } else {
            self.quota_roles.insert(r);
        }
    }

    /// The id of `name`, creating the role (weight 1, no quota) on first mention.
    /// Panics if `name` is not a valid Mesos role name (`roles::validate`).
    pub(crate) fn role_id(&mut self, name: &str) -> RoleId {
        if let Some(&r) = self.role_ids.get(name) {
            return r;
        }
        super::roles::check(name);
        let r = self.roles.len() as RoleId;
        self.roles.push(Role {
            name: name.to_string(),
            weight: 1.0,
            quota: Resources::ZERO,
            limit: super::quota::UNLIMITED,
            alloc: Resources::ZERO,
            count: 0,
            members: BTreeSet::new(),
            active: BTreeSet::new(),
            sorter: Sorter::default(),
        });
        self.role_ids.insert(name.to_string(), r);
        let keys = self.keys();
        self.tree.add_role(r, name, keys.as_ref());
        r
    }

    /// The cluster total if keys are to be kept current, `None` while stale.
    fn keys(&self) -> Option<Resources> {
        (!self.stale).then_some(self.total)
    }

    /// `res` counted as allocated to role `r` in `count` allocations, up the role tree.
    fn role_allocated(&mut self, r: RoleId, res: Resources, count: u64) {
        let role = &mut self.roles[r as usize];
        role.alloc += res;
        role.count += count;
        let keys = self.keys();
        self.tree.allocated(r, res, count, keys.as_ref());
    }

    /// `res` of role `r` given back, up the role tree.
    fn role_unallocated(&mut self, r: RoleId, res: Resources) {
        self.roles[r as usize].alloc -= res;
        let keys = self.keys();
        self.tree.unallocated(r, res, keys.as_ref());
    }

    /// The roles with an active framework in the order a round visits them (the role
    /// tree walked depth first, each level in weighted DRF order).
    pub fn role_order(&mut self) -> Vec<String> {
        if self.stale {
            self.resort();
        }
        self.tree
            .roles()
            .map(|r| self.roles[r as usize].name.clone())
            .collect()
    }

    #[doc(hidden)]
    pub fn fw(&self, fw: FrameworkId) -> Option<&Framework> {
        self.frameworks.get(fw as usize)?.as_ref()
    }

    fn fw_mut(&mut self, fw: FrameworkId) -> Option<&mut Framework> {
        self.frameworks.get_mut(fw as usize)?.as_mut()
    }

    #[doc(hidden)]
    pub fn agent(&self, agent: AgentId) -> Option<&Agent> {
        self.agents.get(agent as usize)?.as_ref()
    }

    fn agent_mut(&mut self, agent: AgentId) -> Option<&mut Agent> {
        self.agents.get_mut(agent as usize)?.as_mut()
    }

    /// Recomputes `fw`'s key and moves it in its role's sorter.
    fn refresh_fw(&mut self, fw: FrameworkId) {
        if self.stale {
            return;
        }
        let total = self.total;
        let f = self.frameworks[fw as usize]
            .as_mut()
            .expect("known framework");
        let new = fw_key(fw, f, &total);
        let old = std::mem::replace(&mut f.key, new);
        if !f.suppressed {
            self.roles[f.role as usize].sorter.update(fw, &old, &f.key);
        }
    }

    /// Rebuilds every key and sorter (after the cluster total changed).
    pub(crate) fn resort(&mut self) {
        let total = self.total;
        for role in &mut self.roles {
            role.sorter.clear();
        }
        for (id, f) in self.frameworks.iter_mut().enumerate() {
            if let Some(f) = f {
                f.key = fw_key(id as FrameworkId, f, &total);
                if !f.suppressed {
                    self.roles[f.role as usize]
                        .sorter
                        .insert(f.key.clone(), id as FrameworkId);
                }
            }
        }
        self.tree.rebuild(&total);
        self.stale = false;
    }

    /// Makes `fw` eligible for offers (registration or REVIVE).
    fn activate(&mut self, fw: FrameworkId) {
        let total = self.total;
        let f = self.frameworks[fw as usize]
            .as_mut()
            .expect("known framework");
        if !f.suppressed {
            return;
        }
        f.suppressed = false;
        let r = f.role;
        self.visits.unpark_all();
        self.active.insert(fw);
        let role = &mut self.roles[r as usize];
        role.active.insert(fw);
        if !self.stale {
            f.key = fw_key(fw, f, &total);
            role.sorter.insert(f.key.clone(), fw);
        }
        if role.active.len() == 1 {
            let keys = self.keys();
            self.tree.set_active(r, true, keys.as_ref());
        }
    }

    /// Takes `fw` out of the sorters (SUPPRESS, removal, role change).
    fn deactivate(&mut self, fw: FrameworkId) {
        let f = self.frameworks[fw as usize]
            .as_mut()
            .expect("known framework");
        if f.suppressed {
            return;
        }
        f.suppressed = true;
        let r = f.role;
        self.active.remove(&fw);
        let role = &mut self.roles[r as usize];
        role.active.remove(&fw);
        if !self.stale {
            role.sorter.remove(&f.key, fw);
        }
        if role.active.is_empty() {
            let keys = self.keys();
            self.tree.set_active(r, false, keys.as_ref());
        }
    }

    /// Counts `res` on `agent` as allocated to `fw` (an offer, or resources found in use).
    pub(crate) fn grant(&mut self, agent: AgentId, fw: FrameworkId, res: Resources) {
        let a = self.agents[agent as usize].as_mut().expect("known agent");
        a.allocated += res;
        *a.by_fw.entry(fw).or_default() += res;
        self.allocated += res;
        self.note_free(agent);
        match self
            .frameworks
            .get_mut(fw as usize)
            .and_then(Option::as_mut)
        {
            Some(f) => {
                f.alloc += res;
                f.count += 1;
                let r = f.role;
                self.refresh_fw(fw);
                self.role_allocated(r, res, 1);
            }
            None => {
                *self
                    .orphans
                    .entry(fw)
                    .or_default()
                    .entry(agent)
                    .or_default() += res;
            }
        }
    }

    /// Gives back `res` of `fw` on `agent`. Panics if `fw` does not hold that much there.
    fn release(&mut self, agent: AgentId, fw: FrameworkId, res: Resources) {
        let a = self.agents[agent as usize].as_mut().expect("known agent");
        let held = a
            .by_fw
            .get_mut(&fw)
            .expect("framework holds resources here");
        let left = held.checked_sub(&res).unwrap_or_else(|| {
            panic!("recover of {res} on agent {agent} by framework {fw}, which holds {held}")
        });
        if left.is_zero() {
            a.by_fw.remove(&fw);
        } else {
            *held = left;
        }
        a.allocated -= res;
        self.allocated -= res;
        self.note_free(agent);
        match self
            .frameworks
            .get_mut(fw as usize)
            .and_then(Option::as_mut)
        {
            Some(f) => {
                f.alloc -= res;
                let r = f.role;
                self.refresh_fw(fw);
                self.role_unallocated(r, res);
            }
            None => {
                let o = self.orphans.get_mut(&fw).expect("orphan allocation");
                let h = o.get_mut(&agent).expect("mirrors agent.by_fw");
                *h -= res;
                if h.is_zero() {
                    o.remove(&agent);
                    if o.is_empty() {
                        self.orphans.remove(&fw);
                    }
                }
            }
        }
    }

    /// Role ids by name, for reports.
    pub fn role_name(&self, r: RoleId) -> &str {
        &self.roles[r as usize].name
    }

    /// Checks every internal invariant; `Err` names the first one broken. For tests and
    /// for debugging a master: allocations sum up on agents, frameworks, roles and the
    /// cluster, no agent is over-committed, keys and sorters are current.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut total = Resources::ZERO;
        let mut allocated = Resources::ZERO;
        let mut fw_sum: BTreeMap<FrameworkId, Resources> = BTreeMap::new();
        for (id, a) in self.agents.iter().enumerate() {
            let Some(a) = a else { continue };
            total += a.total;
            let sum = a.by_fw.values().fold(Resources::ZERO, |s, r| s + *r);
            if sum != a.allocated {
                return Err(format!(
                    "agent {id}: by_fw sums to {sum}, not {}",
                    a.allocated
                ));
            }
            // Revocable CPUs may be over-committed for a while: the agent's estimate can
            // shrink below what runs on them until its QoS controller kills (Mesos'
            // `updateSlave` takes any new estimate).
            if !a
                .total
                .non_revocable()
                .contains(&a.allocated.non_revocable())
            {
                return Err(format!(
                    "agent {id} over-committed: {} > {}",
                    a.allocated, a.total
                ));
            }
            let reserved = a.reserved.iter().fold(Resources::ZERO, |s, (_, r)| s + *r);
            if !a.total.contains(&reserved) {
                return Err(format!("agent {id}: reservations {reserved} exceed total"));
            }
            allocated += a.allocated;
            for (&fw, r) in &a.by_fw {
                if r.is_zero() {
                    return Err(format!("agent {id}: zero entry for framework {fw}"));
                }
                if self.fw(fw).is_none() {
                    let held = self
                        .orphans
                        .get(&fw)
                        .and_then(|o| o.get(&(id as AgentId)).copied());
                    if held != Some(*r) {
                        return Err(format!("agent {id} / framework {fw}: {r} vs {held:?}"));
                    }
                }
                *fw_sum.entry(fw).or_default() += *r;
            }
        }
        if total != self.total || allocated != self.allocated {
            return Err(format!(
                "cluster sums {total} / {allocated} vs {} / {}",
                self.total, self.allocated
            ));
        }
        let mut role_sum = vec![Resources::ZERO; self.roles.len()];
        for (id, f) in self.frameworks.iter().enumerate() {
            let Some(f) = f else { continue };
            let fw = id as FrameworkId;
            if fw_sum.get(&fw).copied().unwrap_or_default() != f.alloc {
                return Err(format!(
                    "framework {fw}: alloc {} not its agents' sum",
                    f.alloc
                ));
            }
            role_sum[f.role as usize] += f.alloc;
            let role = &self.roles[f.role as usize];
            if !role.members.contains(&fw) || role.active.contains(&fw) == f.suppressed {
                return Err(format!("framework {fw}: role membership out of date"));
            }
            if f.suppressed == self.active.contains(&fw) {
                return Err(format!("framework {fw}: active set out of date"));
            }
            if !self.stale {
                if f.key != fw_key(fw, f, &self.total) {
                    return Err(format!("framework {fw}: stale key"));
                }
                if !f.suppressed && !role.sorter.contains(&f.key, fw) {
                    return Err(format!("framework {fw}: missing from its role sorter"));
                }
            }
        }
        for (fw, o) in &self.orphans {
            if self.fw(*fw).is_some() || o.is_empty() {
                return Err(format!("orphan entry for framework {fw} out of date"));
            }
        }
        for (id, role) in self.roles.iter().enumerate() {
            if role.alloc != role_sum[id] {
                return Err(format!("role {}: alloc not its frameworks' sum", role.name));
            }
            if !self.stale && role.sorter.len() != role.active.len() {
                return Err(format!("role {}: sorter size", role.name));
            }
        }
        self.tree.check(&self.total, self.stale, |r| {
            let role = &self.roles[r as usize];
            (role.alloc, role.count, !role.active.is_empty())
        })?;
        self.visits
            .check(self.agents.iter().enumerate().filter_map(|(id, a)| {
                let a = a.as_ref()?;
                self.allocatable(&a.total.saturating_sub(&a.allocated))
                    .then_some(id as AgentId)
            }))?;
        let active_roles = self.roles.iter().filter(|r| !r.active.is_empty()).count();
        if !self.stale && self.tree.roles().count() != active_roles {
            return Err("role tree: roles listed".into());
        }
        Ok(())
    }
}

impl Allocator for HierarchicalAllocator {
    /// Registers `fw` under `role`, active. Re-registering keeps its allocation; a new
    /// role moves the allocation with it. Allocations reported for `fw` before it
    /// registered (`add_allocated`) are adopted.
    fn add_framework(&mut self, fw: FrameworkId, role: &str) {
        let r = self.role_id(role);
        if let Some(f) = self.fw(fw) {
            let (old, alloc, was_active) = (f.role, f.alloc, !f.suppressed);
            if old == r {
                return;
            }
            self.deactivate(fw);
            self.roles[old as usize].members.remove(&fw);
            self.role_unallocated(old, alloc);
            self.roles[r as usize].members.insert(fw);
            self.role_allocated(r, alloc, 0);
            self.fw_mut(fw).expect("known").role = r;
            if was_active {
                self.activate(fw);
            }
            return;
        }
        if self.frameworks.len() <= fw as usize {
            self.frameworks.resize(fw as usize + 1, None);
        }
        let orphaned = self.orphans.remove(&fw).unwrap_or_default();
        let alloc = orphaned.values().fold(Resources::ZERO, |s, x| s + *x);
        // Mesos' `addFramework` tracks the resources it already uses agent by agent, one
        // sorter `allocated()` call (one count) each.
        let count = orphaned.len() as u64;
        self.frameworks[fw as usize] = Some(Framework {
            role: r,
            alloc,
            filters: KeyMap::default(),
            suppressed: true,
            count,
            key: DrfKey {
                share: ShareKey::ZERO,
                count,
                name: framework_name_key(fw),
            },
            last_offer: None,
            revocable: false,
        });
        self.roles[r as usize].members.insert(fw);
        self.role_allocated(r, alloc, count);
        self.activate(fw);
    }

    /// Forgets `fw`: its allocation on every agent is freed, its filters dropped.
    /// Unknown ids are ignored.
    fn remove_framework(&mut self, fw: FrameworkId) {
        if let Some(o) = self.orphans.remove(&fw) {
            for (agent, res) in o {
                let a = self.agents[agent as usize].as_mut().expect("known agent");
                a.by_fw.remove(&fw);
                a.allocated -= res;
                self.allocated -= res;
                self.note_free(agent);
            }
        }
        if self.fw(fw).is_none() {
            return;
        }
        self.deactivate(fw);
        let f = self.frameworks[fw as usize].take().expect("known");
        // Rare (a framework torn down): a scan of the agents, in id order.
        for agent in 0..self.agents.len() {
            let Some(a) = self.agents[agent].as_mut() else {
                continue;
            };
            if let Some(res) = a.by_fw.remove(&fw) {
                a.allocated -= res;
                self.allocated -= res;
                self.note_free(agent as AgentId);
            }
        }
        self.roles[f.role as usize].members.remove(&fw);
        self.role_unallocated(f.role, f.alloc);
    }

    /// Adds `agent`, or updates its total if known (allocations and reservations are
    /// kept; Mesos' `updateSlave` also clears the decline filters for the agent, so this
    /// does). Shrinking an agent below what is allocated on it is not refused, but
    /// nothing more is offered there until enough is recovered, and
    /// `check_invariants` reports it.
    fn add_agent(&mut self, agent: AgentId, total: Resources) {
        if let Some(a) = self.agent_mut(agent) {
            let old = std::mem::replace(&mut a.total, total);
            self.total = self.total - old + total;
            for f in self.frameworks.iter_mut().flatten() {
                f.filters.remove(&agent);
            }
            self.visits.unpark(agent);
        } else {
            if self.agents.len() <= agent as usize {
                self.agents.resize(agent as usize + 1, None);
            }
            self.agents[agent as usize] = Some(Agent {
                total,
                allocated: Resources::ZERO,
                by_fw: BTreeMap::new(),
                reserved: Vec::new(),
            });
            self.total += total;
        }
        self.note_free(agent);
        self.stale = true;
    }

    /// Removes `agent` with everything allocated and reserved on it and every filter
    /// naming it. Unknown ids are ignored.
    fn remove_agent(&mut self, agent: AgentId) {
        let Some(a) = self.agents.get_mut(agent as usize).and_then(Option::take) else {
            return;
        };
        self.total -= a.total;
        self.allocated -= a.allocated;
        self.stale = true;
        self.visits.set_free(agent, None);
        for (fw, res) in a.by_fw {
            match self
                .frameworks
                .get_mut(fw as usize)
                .and_then(Option::as_mut)
            {
                Some(f) => {
                    f.alloc -= res;
                    let r = f.role;
                    self.role_unallocated(r, res);
                }
                None => {
                    let o = self.orphans.get_mut(&fw).expect("orphan allocation");
                    o.remove(&agent);
                    if o.is_empty() {
                        self.orphans.remove(&fw);
                    }
                }
            }
        }
        for f in self.frameworks.iter_mut().flatten() {
            f.filters.remove(&agent);
        }
    }

    /// Panics if `agent` is unknown or the regular part of `res` does not fit in what
    /// is free on it: both are master bookkeeping bugs. Revocable CPUs may exceed the
    /// agent's revocable total: an agent re-registering with revocable tasks sends its
    /// estimate only after the reply (Mesos' `_forwardOversubscribed` on registration).
    /// `fw` need not be registered yet.
    fn add_allocated(&mut self, agent: AgentId, fw: FrameworkId, res: Resources) {
        let a = self
            .agent(agent)
            .unwrap_or_else(|| panic!("add_allocated on unknown agent {agent}"));
        assert!(
            (a.total.non_revocable()).contains(&(a.allocated + res).non_revocable()),
            "add_allocated of {res} over-commits agent {agent} ({} of {} allocated)",
            a.allocated,
            a.total
        );
        if !res.is_zero() {
            self.grant(agent, fw, res);
        }
    }

    /// Ignored if the agent or the framework's holding on it is unknown (the agent or
    /// framework was removed, which already freed it); panics if `res` exceeds what `fw`
    /// holds on `agent`.
    fn recover(&mut self, agent: AgentId, fw: FrameworkId, res: Resources) {
        let holds = self.agent(agent).is_some_and(|a| a.by_fw.contains_key(&fw));
        if holds && !res.is_zero() {
            self.release(agent, fw, res);
        }
    }

    /// Replaces any earlier filter of (`fw`, `agent`). Unknown frameworks are ignored.
    fn filter(&mut self, fw: FrameworkId, agent: AgentId, until: Time) {
        if let Some(f) = self.fw_mut(fw) {
            f.filters.insert(agent, until);
            self.visits.filter_set(agent, until);
        }
    }

    /// SUPPRESS takes `fw` out of the sorters (Mesos deactivates it in its role's
    /// sorter); REVIVE puts it back and clears all its filters, as Mesos' `reviveOffers`.
    fn suppress(&mut self, fw: FrameworkId, suppressed: bool) {
        if self.fw(fw).is_none() {
            return;
        }
        if suppressed {
            self.deactivate(fw);
        } else {
            self.fw_mut(fw).expect("known").filters.clear();
            self.visits.unpark_all();
            self.activate(fw);
        }
    }

    /// Panics unless `weight` is finite and positive (DRF divides shares by it).
    fn set_weight(&mut self, role: &str, weight: f64) {
        assert!(
            weight.is_finite() && weight > 0.0,
            "role {role}: weight must be positive, got {weight}"
        );
        let r = self.role_id(role);
        self.roles[r as usize].weight = weight;
        let keys = self.keys();
        self.tree.set_weight(r, weight, keys.as_ref());
    }

    /// Sets (replaces) the guarantee; `Resources::ZERO` removes it. Panics for a nested
    /// role ([`super::quota::check_top_level`]).
    fn set_quota(&mut self, role: &str, guarantee: Resources) {
        if !guarantee.is_zero() {
            super::quota::check_top_level(role);
        }
        let r = self.role_id(role);
        self.roles[r as usize].quota = guarantee;
        self.note_quota(r);
    }

    /// Sets (replaces) the limit; `quota::UNLIMITED` removes it. Panics for a nested
    /// role ([`super::quota::check_top_level`]).
    fn set_quota_limit(&mut self, role: &str, limit: Resources) {
        if limit != super::quota::UNLIMITED {
            super::quota::check_top_level(role);
        }
        let r = self.role_id(role);
        self.roles[r as usize].limit = limit;
        self.note_quota(r);
    }

    /// Sets (replaces) `role`'s reservation on `agent`; `Resources::ZERO` removes it.
    /// Panics if `agent` is unknown or its reservations would exceed its total.
    fn reserve(&mut self, agent: AgentId, role: &str, res: Resources) {
        let r = self.role_id(role);
        let a = self
            .agent_mut(agent)
            .unwrap_or_else(|| panic!("reserve on unknown agent {agent}"));
        a.reserved.retain(|(x, _)| *x != r);
        if !res.is_zero() {
            a.reserved.push((r, res));
            a.reserved.sort_by_key(|(x, _)| *x);
        }
        let sum = a.reserved.iter().fold(Resources::ZERO, |s, (_, x)| s + *x);
        assert!(
            a.total.contains(&sum),
            "reservations {sum} exceed the total {} of agent {agent}",
            a.total
        );
    }

    fn allocate(&mut self, now: Time, rng: &mut ChaCha8Rng) -> Vec<OfferDecision> {
        self.run_round(now, rng, None)
    }

    fn allocate_agents(
        &mut self,
        now: Time,
        rng: &mut ChaCha8Rng,
        agents: &[AgentId],
    ) -> Vec<OfferDecision> {
        self.run_round(now, rng, Some(agents))
    }

    fn shares(&self) -> Vec<(FrameworkId, f64)> {
        self.frameworks
            .iter()
            .enumerate()
            .filter_map(|(id, f)| {
                let f = f.as_ref()?;
                Some((id as FrameworkId, f.alloc.dominant_share(&self.total)))
            })
            .collect()
    }

    fn total(&self) -> Resources {
        self.total
    }

    fn total_allocated(&self) -> Resources {
        self.allocated
    }

    fn allocated(&self, fw: FrameworkId) -> Resources {
        self.fw(fw).map_or(Resources::ZERO, |f| f.alloc)
    }

    fn agent_total(&self, agent: AgentId) -> Option<Resources> {
        self.agent(agent).map(|a| a.total)
    }

    fn agent_allocated(&self, agent: AgentId) -> Resources {
        self.agent(agent).map_or(Resources::ZERO, |a| a.allocated)
    }

    fn allocation(&self, agent: AgentId, fw: FrameworkId) -> Resources {
        self.agent(agent)
            .and_then(|a| a.by_fw.get(&fw).copied())
            .unwrap_or_default()
    }

    fn role_shares(&self) -> Vec<(String, f64)> {
        self.role_ids
            .iter()
            .map(|(name, &r)| {
                let role = &self.roles[r as usize];
                (
                    name.clone(),
                    weighted_share(&role.alloc, &self.total, role.weight),
                )
            })
            .collect()
    }

    fn set_revocable_capable(&mut self, fw: FrameworkId, capable: bool) {
        if let Some(f) = self.fw_mut(fw) {
            f.revocable = capable;
        }
    }

    fn policy(&self) -> &Policy {
        &self.policy
    }
}
