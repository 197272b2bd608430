//! A reference allocator for the tests: the same round as `round.rs` for DRF, Binpack
//! and FIFO, without quota or reservations, written the slow and obvious way. Before
//! every agent it recomputes every allocation from the agents' holdings and re-sorts
//! every role and framework from scratch (what a full re-sort per offer costs: the
//! shape Mesos' sorter had before it kept its clients sorted). The incremental
//! allocator must make exactly the same offers; `tests::incremental_matches_reference`
//! checks it on random call sequences.

use super::drf::{share_key, ShareKey};
use super::hierarchical::HierarchicalAllocator;
use super::policies::agent_order;
use super::{AgentId, FrameworkId, OfferDecision, Policy};
use crate::actor::Time;
use crate::resources::Resources;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// The raw facts of an allocator, copied out of it: no cached sums, keys or sorters.
pub(crate) struct Reference {
    policy: Policy,
    min_allocatable: Resources,
    /// agent -> (total, held per framework, registered or not).
    agents: BTreeMap<AgentId, (Resources, BTreeMap<FrameworkId, Resources>)>,
    /// framework -> (role name, suppressed, filters).
    frameworks: BTreeMap<FrameworkId, (String, bool, BTreeMap<AgentId, Time>)>,
    weights: BTreeMap<String, f64>,
    /// Role names in id order (ties between equal shares go to the lower id).
    role_order: Vec<String>,
}

impl Reference {
    /// Snapshot of `a`'s raw state (panics if it has quota or reservations, which the
    /// reference does not model).
    pub(crate) fn of(a: &HierarchicalAllocator) -> Reference {
        assert!(a.quota_roles.is_empty(), "reference: no quota");
        let mut agents = BTreeMap::new();
        for (id, ag) in a.agents.iter().enumerate() {
            if let Some(ag) = ag {
                assert!(ag.reserved.is_empty(), "reference: no reservations");
                agents.insert(id as AgentId, (ag.total, ag.by_fw.clone()));
            }
        }
        let mut frameworks = BTreeMap::new();
        for (id, f) in a.frameworks.iter().enumerate() {
            if let Some(f) = f {
                let role = a.roles[f.role as usize].name.clone();
                let filters = f.filters.sorted().into_iter().map(|(a, t)| (*a, *t));
                frameworks.insert(id as FrameworkId, (role, f.suppressed, filters.collect()));
            }
        }
        let weights = a.roles.iter().map(|r| (r.name.clone(), r.weight)).collect();
        let role_order = a.roles.iter().map(|r| r.name.clone()).collect();
        Reference {
            role_order,
            policy: a.policy,
            min_allocatable: a.min_allocatable,
            agents,
            frameworks,
            weights,
        }
    }

    fn allocatable(&self, r: &Resources) -> bool {
        let (x, m) = (r.as_array(), self.min_allocatable.as_array());
        if self.min_allocatable.is_zero() {
            return !r.is_zero();
        }
        (0..4).any(|k| m[k] > 0 && x[k] >= m[k])
    }

    fn total(&self) -> Resources {
        self.agents
            .values()
            .fold(Resources::ZERO, |s, (t, _)| s + *t)
    }

    /// What `fw` holds, summed over the agents now.
    fn held(&self, fw: FrameworkId) -> Resources {
        self.agents
            .values()
            .filter_map(|(_, by)| by.get(&fw))
            .fold(Resources::ZERO, |s, r| s + *r)
    }

    fn free(&self, agent: AgentId) -> Resources {
        let (total, by) = &self.agents[&agent];
        total.saturating_sub(&by.values().fold(Resources::ZERO, |s, r| s + *r))
    }

    fn eligible(&self, fw: FrameworkId, agent: AgentId, now: Time) -> bool {
        let (_, suppressed, filters) = &self.frameworks[&fw];
        !suppressed && filters.get(&agent).is_none_or(|&until| until <= now)
    }

    /// The framework the policy picks for `agent`, everything sorted afresh.
    fn pick(&self, agent: AgentId, now: Time) -> Option<FrameworkId> {
        if self.policy == Policy::Fifo {
            return self
                .frameworks
                .keys()
                .copied()
                .find(|&fw| self.eligible(fw, agent, now));
        }
        let total = self.total();
        let mut role_alloc: BTreeMap<&str, Resources> = BTreeMap::new();
        for (&fw, (role, _, _)) in &self.frameworks {
            *role_alloc.entry(role.as_str()).or_default() += self.held(fw);
        }
        // Roles with an active framework, by (weighted share, role id = first mention).
        let mut roles: Vec<(ShareKey, usize, &str)> = Vec::new();
        for (role, alloc) in &role_alloc {
            let active = self
                .frameworks
                .values()
                .any(|(r, suppressed, _)| r == role && !suppressed);
            if active {
                let w = self.weights[*role];
                roles.push((share_key(alloc, &total, w), self.role_rank(role), role));
            }
        }
        roles.sort();
        for (_, _, role) in roles {
            let mut fws: Vec<(ShareKey, FrameworkId)> = self
                .frameworks
                .iter()
                .filter(|(_, (r, suppressed, _))| r == role && !suppressed)
                .map(|(&fw, _)| (share_key(&self.held(fw), &total, 1.0), fw))
                .collect();
            fws.sort();
            if let Some(&(_, fw)) = fws.iter().find(|(_, fw)| self.eligible(*fw, agent, now)) {
                return Some(fw);
            }
        }
        None
    }

    /// Role ids are dense in order of first mention; the weights map was filled from
    /// the allocator's role list in that order.
    fn role_rank(&self, role: &str) -> usize {
        self.role_order
            .iter()
            .position(|r| r == role)
            .expect("known role")
    }

    /// One round at `now`, with the same agent order (same `rng` draws) as the real one.
    /// `only`: the agents of an `allocate_agents` call (every agent if `None`).
    pub(crate) fn round(
        &mut self,
        now: Time,
        rng: &mut ChaCha8Rng,
        only: Option<&[AgentId]>,
    ) -> Vec<OfferDecision> {
        let ids: Vec<AgentId> = self
            .agents
            .keys()
            .copied()
            .filter(|a| only.is_none_or(|o| o.contains(a)))
            .collect();
        let total = self.total();
        let frees: BTreeMap<AgentId, Resources> = ids.iter().map(|&a| (a, self.free(a))).collect();
        let free_share = |a: AgentId| ShareKey::from_share(frees[&a].dominant_share(&total));
        let order = agent_order(self.policy, ids, free_share, rng);
        let mut offers = Vec::new();
        for agent in order {
            let free = self.free(agent);
            if !self.allocatable(&free) {
                continue;
            }
            if let Some(fw) = self.pick(agent, now) {
                *self
                    .agents
                    .get_mut(&agent)
                    .expect("listed")
                    .1
                    .entry(fw)
                    .or_default() += free;
                offers.push(OfferDecision {
                    framework: fw,
                    agent,
                    resources: free,
                });
            }
        }
        offers
    }
}
