//! The reference allocator every policy is checked against: the same round as
//! `round.rs`, without quota or reservations, written the slow and obvious way. Before
//! every agent it recomputes every allocation from the agents' holdings and re-sorts
//! every role and framework from scratch (what a full re-sort per offer costs: the
//! shape Mesos' sorter had before it kept its clients sorted), and it visits every agent
//! every round (no parking, no skipping). The policy's own decisions
//! ([`AllocationPolicy`](super::AllocationPolicy)) are the same code in both; what is
//! checked is everything around them: the incremental sorters, the eligibility of each
//! framework, the agents a round may skip, and the policy's promises (an agent order
//! that is stable under subsets, `draws_in_pick`).
//!
//! [`check_policy_against_reference`] drives both on random call sequences and
//! requires exactly the same offers. Every registered policy is checked in the unit
//! tests; a researcher's own policy is checked with one call from a test.

use super::drf::{share_key, ShareKey};
use super::hierarchical::HierarchicalAllocator;
use super::policies::random_pick;
use super::policy::{AgentView, AllocationPolicy, Candidate, Candidates, Policy};
use super::{AgentId, Allocator, AllocatorConfig, FrameworkId, OfferDecision};
use crate::actor::{Time, SEC};
use crate::resources::Resources;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A framework as the reference keeps it.
#[derive(Clone)]
struct Fw {
    role: String,
    suppressed: bool,
    filters: BTreeMap<AgentId, Time>,
    last_offer: Option<Time>,
    /// Allocations made to it (Mesos' sorter count).
    count: u64,
}

/// The raw facts of an allocator, copied out of it: no cached sums, keys or sorters.
pub(crate) struct Reference {
    rules: Arc<dyn AllocationPolicy>,
    min_allocatable: Resources,
    /// agent -> (total, held per framework).
    agents: BTreeMap<AgentId, (Resources, BTreeMap<FrameworkId, Resources>)>,
    frameworks: BTreeMap<FrameworkId, Fw>,
    weights: BTreeMap<String, f64>,
    /// Allocations made to each role's frameworks (Mesos' sorter count).
    role_counts: BTreeMap<String, u64>,
    /// Role names in id order (the dense index a `Candidate` carries).
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
                let fw = Fw {
                    role: a.roles[f.role as usize].name.clone(),
                    suppressed: f.suppressed,
                    filters: f
                        .filters
                        .sorted()
                        .into_iter()
                        .map(|(a, t)| (*a, *t))
                        .collect(),
                    last_offer: f.last_offer,
                    count: f.count,
                };
                frameworks.insert(id as FrameworkId, fw);
            }
        }
        let weights = a.roles.iter().map(|r| (r.name.clone(), r.weight)).collect();
        let role_order = a.roles.iter().map(|r| r.name.clone()).collect();
        let role_counts = a.roles.iter().map(|r| (r.name.clone(), r.count)).collect();
        Reference {
            role_order,
            role_counts,
            rules: Arc::clone(&a.rules),
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

    /// Active (not suppressed) frameworks, by id.
    fn active(&self) -> Vec<FrameworkId> {
        let active = self.frameworks.iter().filter(|(_, f)| !f.suppressed);
        active.map(|(&id, _)| id).collect()
    }

    fn eligible(&self, fw: FrameworkId, agent: AgentId, now: Time) -> bool {
        let f = &self.frameworks[&fw];
        !f.suppressed && f.filters.get(&agent).is_none_or(|&until| until <= now)
    }

    /// A role's weighted dominant share, from its frameworks' holdings now.
    fn role_share(&self, role: &str, total: &Resources) -> ShareKey {
        let alloc = self
            .frameworks
            .iter()
            .filter(|(_, f)| f.role == role)
            .fold(Resources::ZERO, |s, (&fw, _)| s + self.held(fw));
        share_key(&alloc, total, self.weights[role])
    }

    /// Roles with an active framework in Mesos' hierarchical order, from scratch: the
    /// tree of every known role name and its ancestors, each node keyed by its subtree's
    /// weighted share, allocation count and path (`DRFSorter::Node::compareDRF`), a role
    /// with child roles keeping its own frameworks in a leaf `<role>/.` of weight 1
    /// (`DRFSorter::add`, `getWeight`), listed depth first (`DRFSorter::sort`).
    fn role_order(&self, total: &Resources) -> Vec<String> {
        let mut out = Vec::new();
        self.visit("", total, &mut out);
        out
    }

    fn visit(&self, path: &str, total: &Resources, out: &mut Vec<String>) {
        let within =
            |name: &str, p: &str| p.is_empty() || name == p || name.starts_with(&format!("{p}/"));
        let below = |p: &str| -> Vec<&String> {
            let roles = self.role_order.iter();
            roles.filter(|n| n.as_str() != p && within(n, p)).collect()
        };
        // (alloc, count, active) of the roles `pick` selects.
        let sum = |pick: &dyn Fn(&str) -> bool| {
            let mut alloc = Resources::ZERO;
            let mut active = false;
            for (&fw, f) in &self.frameworks {
                if pick(&f.role) {
                    alloc += self.held(fw);
                    active |= !f.suppressed;
                }
            }
            let count: u64 = self
                .role_counts
                .iter()
                .filter(|(r, _)| pick(r))
                .map(|(_, c)| *c)
                .sum();
            (alloc, count, active)
        };
        // (key, child path, its role if it is the virtual leaf of `path`).
        let mut children: Vec<((ShareKey, u64, String), String, bool)> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for name in below(path) {
            let rest = if path.is_empty() {
                name.as_str()
            } else {
                &name[path.len() + 1..]
            };
            let comp = rest.split('/').next().expect("a component");
            let child = if path.is_empty() {
                comp.to_string()
            } else {
                format!("{path}/{comp}")
            };
            if seen.contains(&child) {
                continue;
            }
            seen.push(child.clone());
            let (alloc, count, active) = sum(&|r: &str| within(r, &child));
            if active {
                let w = self.weights.get(&child).copied().unwrap_or(1.0);
                let key = (share_key(&alloc, total, w), count, child.clone());
                children.push((key, child, false));
            }
        }
        if !path.is_empty() && self.weights.contains_key(path) {
            let (alloc, count, active) = sum(&|r: &str| r == path);
            if active {
                let key = (share_key(&alloc, total, 1.0), count, format!("{path}/."));
                children.push((key, path.to_string(), true));
            }
        }
        children.sort();
        for (_, child, virtual_leaf) in children {
            if virtual_leaf || below(&child).is_empty() {
                out.push(child);
            } else {
                self.visit(&child, total, out);
            }
        }
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
        let mut order: Vec<AgentId> = self
            .agents
            .keys()
            .copied()
            .filter(|a| only.is_none_or(|o| o.contains(a)))
            .collect();
        let frees: BTreeMap<AgentId, Resources> =
            order.iter().map(|&a| (a, self.free(a))).collect();
        let free = |a: AgentId| frees[&a];
        let rules = Arc::clone(&self.rules);
        rules.order_agents(&mut order, &AgentView::new(self.total(), &free), rng);
        let mut offers = Vec::new();
        for agent in order {
            let free = self.free(agent);
            if !self.allocatable(&free) {
                continue;
            }
            let mut c = RefCandidates {
                r: self,
                agent,
                now,
            };
            if let Some(fw) = rules.pick(&mut c, rng) {
                let held = &mut self.agents.get_mut(&agent).expect("listed").1;
                *held.entry(fw).or_default() += free;
                let f = self.frameworks.get_mut(&fw).expect("picked");
                f.last_offer = Some(now);
                f.count += 1;
                *self.role_counts.get_mut(&f.role).expect("known role") += 1;
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

/// The frameworks eligible for one agent, everything recomputed on each question.
struct RefCandidates<'a> {
    r: &'a Reference,
    agent: AgentId,
    now: Time,
}

impl RefCandidates<'_> {
    fn eligible_id(&self, fw: FrameworkId) -> bool {
        self.r.eligible(fw, self.agent, self.now)
    }
}

impl Candidates for RefCandidates<'_> {
    fn now(&self) -> Time {
        self.now
    }

    fn agent(&self) -> AgentId {
        self.agent
    }

    fn agent_free(&self) -> Resources {
        self.r.free(self.agent)
    }

    fn first_by_share(&mut self) -> Option<FrameworkId> {
        let r = self.r;
        let total = r.total();
        for role in r.role_order(&total) {
            // Frameworks by (share, count, their Mesos id strings).
            let mut fws: Vec<(ShareKey, u64, String, FrameworkId)> = r
                .frameworks
                .iter()
                .filter(|(_, f)| f.role == role && !f.suppressed)
                .map(|(&fw, f)| {
                    let share = share_key(&r.held(fw), &total, 1.0);
                    (share, f.count, format!("{fw:04}"), fw)
                })
                .collect();
            fws.sort();
            if let Some(&(.., fw)) = fws.iter().find(|(.., fw)| self.eligible_id(*fw)) {
                return Some(fw);
            }
        }
        None
    }

    fn first_by_id(&mut self) -> Option<FrameworkId> {
        self.r.active().into_iter().find(|&fw| self.eligible_id(fw))
    }

    fn uniform(&mut self, rng: &mut ChaCha8Rng) -> Option<FrameworkId> {
        random_pick(&self.r.active(), rng, |fw| self.eligible_id(fw))
    }

    fn eligible(&mut self) -> Vec<Candidate> {
        let r = self.r;
        let total = r.total();
        r.active()
            .into_iter()
            .filter(|&fw| self.eligible_id(fw))
            .map(|fw| {
                let f = &r.frameworks[&fw];
                Candidate {
                    framework: fw,
                    role: r.role_rank(&f.role) as u32,
                    share: share_key(&r.held(fw), &total, 1.0).share(),
                    role_share: r.role_share(&f.role, &total).share(),
                    allocated: r.held(fw),
                    last_offer: f.last_offer,
                }
            })
            .collect()
    }
}

/// What a comparison exercised: rounds run and offers compared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReferenceCheck {
    pub rounds: usize,
    pub offers: usize,
}

/// Runs `policy` in the allocator and in the reference on random call sequences (one per
/// seed): agents and frameworks coming and going, role changes, weights, filters,
/// suppression, allocations of unregistered frameworks, partial recovers, rounds over
/// all agents and over a few (`allocate_agents`). After every call the allocator's
/// invariants must hold; every round must make exactly the reference's offers. The
/// error names the policy, seed and step of the first difference.
pub fn check_policy_against_reference(
    policy: &Policy,
    seeds: std::ops::Range<u64>,
) -> Result<ReferenceCheck, String> {
    check_config_against_reference(&AllocatorConfig::new(policy.clone()), seeds)
}

/// [`check_policy_against_reference`] for a policy built outside the registry.
#[doc(hidden)]
pub fn check_config_against_reference(
    cfg: &AllocatorConfig,
    seeds: std::ops::Range<u64>,
) -> Result<ReferenceCheck, String> {
    let mut seen = ReferenceCheck::default();
    for seed in seeds {
        one_sequence(cfg, seed, &mut seen)?;
    }
    Ok(seen)
}

fn one_sequence(cfg: &AllocatorConfig, seed: u64, seen: &mut ReferenceCheck) -> Result<(), String> {
    let policy = &cfg.policy;
    let mut r = ChaCha8Rng::seed_from_u64(5000 + seed);
    let mut a = HierarchicalAllocator::new(cfg);
    // Flat and nested names: a role with a child role (`a`, `a/x`), and a role under
    // internal nodes that are no role (`b`, `b/y`).
    let roles = ["a", "a/x", "b/y/z", "c"];
    let mut now: Time = 0;
    let agents = r.gen_range(4..40);
    let fws = r.gen_range(2..16);
    for step in 0..400 {
        let agent: AgentId = r.gen_range(0..agents);
        let fw: FrameworkId = r.gen_range(0..fws);
        match r.gen_range(0..100) {
            0..=9 => {
                let total = Resources::new(r.gen_range(1..=16) as f64, r.gen_range(0..=64) * 512);
                if a.agent_total(agent).is_none_or(|t| total.contains(&t)) {
                    a.add_agent(agent, total);
                }
            }
            10..=12 => a.remove_agent(agent),
            13..=24 => a.add_framework(fw, roles[r.gen_range(0..4)]),
            25..=27 => a.remove_framework(fw),
            28..=50 => {
                let held = a.allocation(agent, fw);
                if !held.is_zero() {
                    let part = Resources::from_array(held.as_array().map(|x| r.gen_range(0..=x)));
                    a.recover(agent, fw, part);
                }
            }
            51..=57 => a.filter(fw, agent, now + r.gen_range(0..5) * SEC / 2),
            58..=62 => a.suppress(fw, r.gen_bool(0.5)),
            63..=65 => a.set_weight(roles[r.gen_range(0..4)], r.gen_range(1..5) as f64),
            66..=68 => {
                if let Some(t) = a.agent_total(agent) {
                    let free = t - a.agent_allocated(agent);
                    let part = Resources::from_array(free.as_array().map(|x| r.gen_range(0..=x)));
                    a.add_allocated(agent, fw, part);
                }
            }
            _ => {
                // Now and then a round over a few agents (`allocate_agents`).
                let only: Option<Vec<AgentId>> = r
                    .gen_bool(0.2)
                    .then(|| (0..agents).filter(|_| r.gen_bool(0.3)).collect());
                let mut reference = Reference::of(&a);
                let mut r2 = r.clone();
                let want = reference.round(now, &mut r2, only.as_deref());
                let got = match &only {
                    Some(o) => a.allocate_agents(now, &mut r, o),
                    None => a.allocate(now, &mut r),
                };
                if got != want {
                    return Err(format!(
                        "policy {policy} seed {seed} step {step}: offers differ from the \
                         reference:\n  allocator: {got:?}\n  reference: {want:?}"
                    ));
                }
                if r != r2 {
                    return Err(format!(
                        "policy {policy} seed {seed} step {step}: the round drew a different \
                         number of random values than the reference (an agent order that \
                         depends on the agents visited, or draws in `pick` without \
                         `draws_in_pick`)"
                    ));
                }
                seen.rounds += 1;
                seen.offers += got.len();
                now += SEC;
            }
        }
        a.check_invariants()
            .map_err(|e| format!("policy {policy} seed {seed} step {step}: {e}"))?;
    }
    Ok(())
}
