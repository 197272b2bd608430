//! One allocation round: visit the agents in the policy's order and offer each agent's
//! free resources to one framework.
//!
//! Per agent (Mesos `HierarchicalAllocatorProcess::__allocate`, simplified to whole
//! agents as schedlab's offers are):
//! 1. Split what is free into the unreserved part and, per role, the unallocated part
//!    of its static reservation. A framework of role R may be offered the unreserved part
//!    plus R's reserved part; nothing of another role's reservation.
//! 2. Skip the agent if what is free is below the minimum allocatable
//!    (`--min_allocatable_resources`, default `cpus:0.01|mem:32`).
//! 3. Stage 1 (quota, Mesos 1.9+): a role below its guarantee, lowest weighted share
//!    first, is offered the part of the unreserved resources meeting the rest of its
//!    guarantee plus what the surplus headroom allows, within its limit (and its
//!    reservation); what is left of the agent goes on to stage 2 in the same round.
//! 4. Stage 2: the policy picks one framework among the eligible ones: active (not
//!    suppressed), no decline filter on (framework, agent) with `until > now`, and a
//!    bundle for its role that is allocatable. The unreserved part is cut, kind by
//!    kind, to the role's quota limit, and given only if what stays free still covers
//!    every unmet guarantee (quota headroom, `quota.rs`); otherwise only its reserved
//!    part.
//! 5. The chosen framework is offered its whole bundle, which is counted as allocated at
//!    once, so the next agent sees the new shares. Then the unallocated reservations of
//!    the other roles on the agent, which nobody else may take, are offered to their own
//!    roles' first eligible framework. Unreserved resources go to at most two frameworks
//!    per agent per round (one per stage; without quota, one).
//!
//! Revocable CPUs (an agent's oversubscribed estimate) are unreserved and outside quota:
//! they count toward no guarantee, limit or headroom (Mesos counts `nonRevocable()`
//! resources only), and go only to frameworks with the `REVOCABLE_RESOURCES` capability
//! (`stripIncapableResources`): in stage 2 a capable framework's bundle includes them,
//! and if the framework picked is not capable, they go to the policy's pick among the
//! capable ones, in the same order (Mesos' stage-2 loop goes on to the next framework,
//! which is offered what is left: the revocable part).
//!
//! Filters are checked here, at allocation time: a filter whose `until` has passed
//! (`now >= until`) no longer holds and is dropped when met (docs/design.md, Decline filters: a filter shorter
//! than the allocation interval lasts until the next allocation).
//!
//! A round visits only the agents that can be offered something: those with allocatable
//! free resources that not every active framework has filtered (`hierarchical::Visits`).
//! An agent found with nothing to offer because every active framework has filtered it
//! is parked until the first of those filters ends. With no active framework a round
//! visits nothing. None of this changes an offer: see `policies::agent_order`.

use super::drf::{weighted_share, DrfKey};
use super::hierarchical::{Agent, HierarchicalAllocator, RoleId};
use super::policies::random_pick;
use super::policy::{AgentView, Candidate, Candidates};
use super::quota::{QuotaRound, UNLIMITED};
use super::{AgentId, FrameworkId, OfferDecision};
use crate::actor::Time;
use crate::resources::Resources;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Kind-wise minimum. (Spelled out because `x.min(&y)` on a `Resources` value resolves
/// to `Ord::min`, the lexicographic one, before the inherent kind-wise method.)
#[inline]
fn kind_min(a: &Resources, b: &Resources) -> Resources {
    Resources::min(a, b)
}

/// What an agent has free, split by who may take it.
#[derive(Clone, Debug)]
#[doc(hidden)]
pub struct Free {
    /// Everything not allocated.
    pub all: Resources,
    /// The part anyone may take.
    pub unreserved: Resources,
    /// Per role: the unallocated part of its reservation.
    pub reserved: Vec<(RoleId, Resources)>,
}

impl Free {
    fn reserved_for(&self, role: RoleId) -> Resources {
        self.reserved
            .iter()
            .find(|(r, _)| *r == role)
            .map_or(Resources::ZERO, |(_, x)| *x)
    }
}

/// State of a round in progress.
struct Round {
    now: Time,
    quota: QuotaRound,
    /// Active frameworks by id, listed at the first uniform draw of the round.
    active: Option<Vec<FrameworkId>>,
    /// Filters met that had expired, to drop.
    expired: Vec<(FrameworkId, AgentId)>,
    offers: Vec<OfferDecision>,
}

impl HierarchicalAllocator {
    /// One round at `now` (see the module doc).
    pub(crate) fn run_round(
        &mut self,
        now: Time,
        rng: &mut ChaCha8Rng,
        only: Option<&[AgentId]>,
    ) -> Vec<OfferDecision> {
        if self.stale {
            self.resort();
        }
        self.visits.wake_until(now);
        let ids: Vec<AgentId> = if self.active.is_empty() {
            Vec::new()
        } else {
            match only {
                Some(agents) => agents
                    .iter()
                    .copied()
                    .filter(|&a| self.visits.is_ready(a))
                    .collect(),
                None => self.visits.ready().collect(),
            }
        };
        let free = |a: AgentId| {
            let ag = self.agent(a).expect("listed agent");
            ag.total.saturating_sub(&ag.allocated)
        };
        let mut order = ids;
        (self.rules).order_agents(&mut order, &AgentView::new(self.total, &free), rng);
        let mut round = Round {
            now,
            quota: self.quota_round(),
            active: None,
            expired: Vec::new(),
            offers: Vec::with_capacity(order.len()),
        };
        for agent in order {
            self.allocate_agent(agent, &mut round, rng);
        }
        round.offers
    }

    /// What `a` has free: unreserved, and reserved per role. A role's allocation on the
    /// agent is taken from its reservation first, then from the unreserved part (the
    /// offers carry no reservation labels, so this is the accounting that never lets a
    /// role's use eat another role's reservation).
    #[doc(hidden)]
    pub fn free_of(&self, a: &Agent) -> Free {
        let all = a.total.saturating_sub(&a.allocated);
        if a.reserved.is_empty() {
            return Free {
                all,
                unreserved: all,
                reserved: Vec::new(),
            };
        }
        let mut role_alloc = vec![Resources::ZERO; a.reserved.len()];
        let mut unreserved_used = Resources::ZERO;
        for (fw, r) in &a.by_fw {
            let slot = self
                .fw(*fw)
                .and_then(|f| a.reserved.iter().position(|(x, _)| *x == f.role));
            match slot {
                Some(i) => role_alloc[i] += *r,
                None => unreserved_used += *r,
            }
        }
        let mut reserved_sum = Resources::ZERO;
        let mut reserved = Vec::with_capacity(a.reserved.len());
        for ((role, res), used) in a.reserved.iter().zip(&role_alloc) {
            reserved_sum += *res;
            unreserved_used += used.saturating_sub(res);
            let left = kind_min(&res.saturating_sub(used), &all);
            if !left.is_zero() {
                reserved.push((*role, left));
            }
        }
        let unreserved = kind_min(
            &a.total
                .saturating_sub(&reserved_sum)
                .saturating_sub(&unreserved_used),
            &all,
        );
        Free {
            all,
            unreserved,
            reserved,
        }
    }

    /// The quota bookkeeping of a new round (nothing to do without quotas).
    ///
    /// A quota role is top-level (`quota::refuse_nested`) and what counts toward its
    /// quota is its whole subtree's: the allocations of its own and its descendants'
    /// frameworks plus their unallocated reservations (Mesos' `quotaOfferedOrConsumed`
    /// of the role tree node, `__generateOffers` in `hierarchical.cpp`). Within a round,
    /// offers to a descendant's frameworks do not count toward it again, as in Mesos,
    /// where a role without quota of its own charges nobody.
    fn quota_round(&self) -> QuotaRound {
        if self.quota_roles.is_empty() {
            return QuotaRound::none();
        }
        // Each role's top-level ancestor (or itself), if that one has quota.
        let charged: Vec<Option<RoleId>> = self
            .roles
            .iter()
            .map(|role| {
                let top = role.name.split('/').next().expect("a name has a component");
                self.role_ids
                    .get(top)
                    .copied()
                    .filter(|t| self.quota_roles.contains(t))
            })
            .collect();
        let mut headroom = Resources::ZERO;
        let mut unallocated_reserved: BTreeMap<RoleId, Resources> = BTreeMap::new();
        for a in self.agents.iter().flatten() {
            let free = self.free_of(a);
            headroom += free.unreserved.non_revocable();
            for (r, x) in free.reserved {
                if let Some(q) = charged[r as usize] {
                    *unallocated_reserved.entry(q).or_default() += x;
                }
            }
        }
        let consumed = |r: RoleId| {
            let held = unallocated_reserved.get(&r).copied().unwrap_or_default();
            (self.tree.subtree_alloc(r) + held).non_revocable()
        };
        QuotaRound::new(
            self.quota_roles
                .iter()
                .map(|&r| (r, self.roles[r as usize].quota, consumed(r))),
            headroom,
        )
        .with_limits(
            self.quota_roles
                .iter()
                .filter(|&&r| self.roles[r as usize].limit != UNLIMITED)
                .map(|&r| (r, self.roles[r as usize].limit, consumed(r))),
        )
    }

    /// The bundle a framework of `role` would be offered from `free`, and its unreserved
    /// non-revocable part (what counts toward quota); `revocable`: whether the framework
    /// takes revocable CPUs.
    ///
    /// Stage 2: the unreserved part is first cut to the role's limit, kind by kind
    /// (Mesos' `shrinkResources` to `limit - consumed`), then given only if what stays
    /// free still covers every unmet guarantee (`sufficientHeadroom`). Revocable CPUs
    /// are outside quota: given whole to a framework that takes them.
    fn bundle(
        &self,
        role: RoleId,
        free: &Free,
        quota: &QuotaRound,
        revocable: bool,
    ) -> (Resources, Resources) {
        let cut = kind_min(&free.unreserved.non_revocable(), &quota.room(role));
        let mut unreserved = if quota.fits_headroom(&cut) {
            cut
        } else {
            Resources::ZERO
        };
        let counted = unreserved;
        if revocable {
            unreserved.revocable_cpus = free.unreserved.revocable_cpus;
        }
        let bundle = kind_min(&(unreserved + free.reserved_for(role)), &free.all);
        (bundle, kind_min(&counted, &bundle))
    }

    /// Stage 1's bundle for a role below its guarantee (Mesos 1.9+ `__allocate`, stage
    /// 1): of the unreserved part, what meets the rest of its guarantee, plus what more
    /// the surplus headroom allows, both within its limit; and its reservation. The rest
    /// of the agent stays for stage 2.
    fn stage1_bundle(
        &self,
        role: RoleId,
        free: &Free,
        quota: &QuotaRound,
    ) -> (Resources, Resources) {
        let room = quota.room(role);
        let unreserved = free.unreserved.non_revocable();
        let guaranteed = kind_min(&kind_min(&unreserved, &quota.unmet(role)), &room);
        let rest = unreserved.saturating_sub(&guaranteed);
        let more = kind_min(
            &kind_min(&rest, &quota.surplus()),
            &room.saturating_sub(&guaranteed),
        );
        let unreserved = guaranteed + more;
        let bundle = kind_min(&(unreserved + free.reserved_for(role)), &free.all);
        (bundle, kind_min(&unreserved, &bundle))
    }

    /// Does a decline filter keep `fw` from `agent` at `now`? Expired filters met are
    /// noted in `expired` to be dropped.
    fn filtered(
        &self,
        fw: FrameworkId,
        agent: AgentId,
        now: Time,
        expired: &mut Vec<(FrameworkId, AgentId)>,
    ) -> bool {
        let f = self.fw(fw).expect("active framework");
        if f.filters.is_empty() {
            return false;
        }
        match f.filters.get(&agent) {
            Some(&until) if until > now => true,
            Some(_) => {
                expired.push((fw, agent));
                false
            }
            None => false,
        }
    }

    /// If every active framework has a filter on `agent` that holds at `now`, the time
    /// the earliest of them ends: until then nobody can be offered the agent.
    fn filtered_by_all(&self, agent: AgentId, now: Time) -> Option<Time> {
        let mut earliest = Time::MAX;
        for &fw in &self.active {
            match self.fw(fw).expect("active framework").filters.get(&agent) {
                Some(&until) if until > now => earliest = earliest.min(until),
                _ => return None,
            }
        }
        (earliest < Time::MAX).then_some(earliest)
    }

    fn drop_expired(&mut self, round: &mut Round) {
        for (fw, agent) in round.expired.drain(..) {
            let f = self.frameworks[fw as usize].as_mut().expect("known");
            if f.filters.get(&agent).is_some_and(|&u| u <= round.now) {
                f.filters.remove(&agent);
            }
        }
    }

    /// Offers what `agent` has free (see the module doc).
    fn allocate_agent(&mut self, agent: AgentId, round: &mut Round, rng: &mut ChaCha8Rng) {
        let mut free = self.free_of(self.agent(agent).expect("listed agent"));
        if !self.allocatable(&free.all) {
            return;
        }
        let mut served: Vec<RoleId> = Vec::new();
        // Stage 1: a role below its guarantee takes its part of the agent.
        if let Some(fw) = self.pick_quota(agent, &free, round, rng) {
            let role = self.fw(fw).expect("picked").role;
            let (bundle, unreserved) = self.stage1_bundle(role, &free, &round.quota);
            self.offer(agent, fw, role, bundle, unreserved, round);
            served.push(role);
            free = self.free_of(self.agent(agent).expect("listed agent"));
        }
        // Stage 2: the rest to the policy's choice.
        let chosen = match self.allocatable(&free.all) {
            true => self.pick(agent, &free, round, rng),
            false => None,
        };
        self.drop_expired(round);
        if chosen.is_none() && served.is_empty() && !self.rules.draws_in_pick() {
            if let Some(until) = self.filtered_by_all(agent, round.now) {
                self.visits.park(agent, until);
                return;
            }
        }
        if let Some(fw) = chosen {
            let f = self.fw(fw).expect("picked");
            let role = f.role;
            let (bundle, unreserved) = self.bundle(role, &free, &round.quota, f.revocable);
            self.offer(agent, fw, role, bundle, unreserved, round);
            served.push(role);
        }
        self.offer_revocable(agent, &free, round, rng);
        for &(role, res) in &free.reserved {
            if served.contains(&role) || self.roles[role as usize].active.is_empty() {
                continue;
            }
            let a = self.agent(agent).expect("listed agent");
            let res = kind_min(&res, &a.total.saturating_sub(&a.allocated));
            if !self.allocatable(&res) {
                continue;
            }
            let pick = self.pick_in_role(role, agent, &free, round, rng);
            self.drop_expired(round);
            if let Some(fw) = pick {
                self.offer(agent, fw, role, res, Resources::ZERO, round);
            }
        }
    }

    /// Offers the revocable CPUs left on `agent` (those the stage-2 framework did not
    /// take: it is not capable) to the policy's pick among the capable frameworks.
    fn offer_revocable(
        &mut self,
        agent: AgentId,
        free: &Free,
        round: &mut Round,
        rng: &mut ChaCha8Rng,
    ) {
        let a = self.agent(agent).expect("listed agent");
        let left = a
            .total
            .revocable_cpus
            .saturating_sub(a.allocated.revocable_cpus);
        let bundle = Resources {
            revocable_cpus: left,
            ..Resources::ZERO
        };
        let capable = |fw: &FrameworkId| self.fw(*fw).is_some_and(|f| f.revocable);
        if left == 0 || !self.allocatable(&bundle) || !self.active.iter().any(capable) {
            return;
        }
        let mut c = RoundCandidates {
            alloc: self,
            agent,
            free,
            agent_free: bundle,
            round,
            role: None,
            revocable_only: true,
        };
        let pick = self.rules.pick(&mut c, rng);
        self.drop_expired(round);
        if let Some(fw) = pick {
            let role = self.fw(fw).expect("picked").role;
            self.offer(agent, fw, role, bundle, Resources::ZERO, round);
        }
    }

    /// Counts `bundle` as allocated to `fw` and offers it; a framework given parts of
    /// one agent in both stages gets them as one offer (Mesos merges a round's
    /// allocations per framework and agent).
    fn offer(
        &mut self,
        agent: AgentId,
        fw: FrameworkId,
        role: RoleId,
        bundle: Resources,
        unreserved: Resources,
        round: &mut Round,
    ) {
        self.grant(agent, fw, bundle);
        self.frameworks[fw as usize]
            .as_mut()
            .expect("offered framework")
            .last_offer = Some(round.now);
        round.quota.on_grant(role, &unreserved);
        if let Some(o) = round
            .offers
            .iter_mut()
            .rev()
            .take_while(|o| o.agent == agent)
            .find(|o| o.framework == fw)
        {
            o.resources += bundle;
            return;
        }
        round.offers.push(OfferDecision {
            framework: fw,
            agent,
            resources: bundle,
        });
    }

    /// Stage 1: the framework of the role below its guarantee, lowest weighted share
    /// first, that gets its part of `agent`, if any. Quota roles are top-level, so the
    /// order of their nodes' keys is the role tree's order (Mesos walks `roleSorter->
    /// sort()` and skips the roles without a guarantee).
    fn pick_quota(
        &self,
        agent: AgentId,
        free: &Free,
        round: &mut Round,
        rng: &mut ChaCha8Rng,
    ) -> Option<FrameworkId> {
        if !round.quota.any_unsatisfied() {
            return None;
        }
        let mut roles: Vec<(DrfKey<Arc<str>>, RoleId)> = round
            .quota
            .unsatisfied()
            .filter(|&r| !self.roles[r as usize].active.is_empty())
            .map(|r| (self.tree.key(r).clone(), r))
            .collect();
        roles.sort_unstable();
        for (_, r) in roles {
            if !self.allocatable(&self.stage1_bundle(r, free, &round.quota).0) {
                continue;
            }
            if let Some(fw) = self.pick_in_role(r, agent, free, round, rng) {
                return Some(fw);
            }
        }
        None
    }

    /// Stage 2: the framework that gets `agent`'s unreserved resources (plus its role's
    /// reservation), if any is eligible: the policy's choice among everyone eligible.
    fn pick(
        &self,
        agent: AgentId,
        free: &Free,
        round: &mut Round,
        rng: &mut ChaCha8Rng,
    ) -> Option<FrameworkId> {
        let mut c = RoundCandidates {
            alloc: self,
            agent,
            free,
            agent_free: free.all,
            round,
            role: None,
            revocable_only: false,
        };
        self.rules.pick(&mut c, rng)
    }

    /// The framework of `role` the policy picks for `agent` (the quota stage and the
    /// reserved resources of a role), skipping filtered ones.
    fn pick_in_role(
        &self,
        role: RoleId,
        agent: AgentId,
        free: &Free,
        round: &mut Round,
        rng: &mut ChaCha8Rng,
    ) -> Option<FrameworkId> {
        let a = self.agent(agent).expect("listed agent");
        let mut c = RoundCandidates {
            alloc: self,
            agent,
            free,
            agent_free: a.total.saturating_sub(&a.allocated),
            round,
            role: Some(role),
            revocable_only: false,
        };
        self.rules.pick(&mut c, rng)
    }
}

/// The frameworks eligible for one agent in a round, over the allocator's sorters.
/// `role: None` is stage 2 (everyone: active, not filtered, with an allocatable bundle
/// for its role); `Some(r)` a role's own stage (its active frameworks not filtered; the
/// caller has checked the bundle).
struct RoundCandidates<'a> {
    alloc: &'a HierarchicalAllocator,
    agent: AgentId,
    free: &'a Free,
    /// What the agent has free now (less than `free.all` once its unreserved resources
    /// went to someone this round).
    agent_free: Resources,
    round: &'a mut Round,
    role: Option<RoleId>,
    /// The pick of [`HierarchicalAllocator::offer_revocable`]: capable frameworks only.
    revocable_only: bool,
}

impl RoundCandidates<'_> {
    fn filtered(&mut self, fw: FrameworkId) -> bool {
        let (now, agent) = (self.round.now, self.agent);
        self.alloc.filtered(fw, agent, now, &mut self.round.expired)
    }

    /// Can some framework of `role` take something in stage 2 (revocable CPUs
    /// included: a superset of what each framework can take)?
    fn role_can_take(&self, role: RoleId) -> bool {
        let a = self.alloc;
        self.revocable_only || a.allocatable(&a.bundle(role, self.free, &self.round.quota, true).0)
    }

    /// Can `fw` take something in stage 2, given its capability? Only frameworks that
    /// are not capable, on an agent with revocable CPUs free, need the second look.
    fn fw_can_take(&self, fw: FrameworkId) -> bool {
        let a = self.alloc;
        let f = a.fw(fw).expect("active framework");
        if self.revocable_only {
            return f.revocable;
        }
        f.revocable
            || self.free.unreserved.revocable_cpus == 0
            || a.allocatable(&a.bundle(f.role, self.free, &self.round.quota, false).0)
    }

    fn eligible_fw(&mut self, fw: FrameworkId) -> bool {
        if self.role.is_none() {
            let role = self.alloc.fw(fw).expect("active framework").role;
            if !self.role_can_take(role) || !self.fw_can_take(fw) {
                return false;
            }
        }
        !self.filtered(fw)
    }

    /// The active frameworks in scope, by id.
    fn active(&self) -> Vec<FrameworkId> {
        match self.role {
            Some(r) => self.alloc.roles[r as usize]
                .active
                .iter()
                .copied()
                .collect(),
            None => self.alloc.active.iter().copied().collect(),
        }
    }
}

impl Candidates for RoundCandidates<'_> {
    fn now(&self) -> Time {
        self.round.now
    }

    fn agent(&self) -> AgentId {
        self.agent
    }

    fn agent_free(&self) -> Resources {
        self.agent_free
    }

    fn first_by_share(&mut self) -> Option<FrameworkId> {
        let a = self.alloc;
        if let Some(r) = self.role {
            return a.roles[r as usize]
                .sorter
                .iter()
                .find(|&fw| !self.filtered(fw));
        }
        for r in a.tree.roles() {
            if !self.role_can_take(r) {
                continue;
            }
            if let Some(fw) = a.roles[r as usize]
                .sorter
                .iter()
                .find(|&fw| self.fw_can_take(fw) && !self.filtered(fw))
            {
                return Some(fw);
            }
        }
        None
    }

    fn first_by_id(&mut self) -> Option<FrameworkId> {
        let a = self.alloc;
        match self.role {
            Some(r) => a.roles[r as usize]
                .active
                .iter()
                .copied()
                .find(|&fw| !self.filtered(fw)),
            None => a.active.iter().copied().find(|&fw| self.eligible_fw(fw)),
        }
    }

    fn uniform(&mut self, rng: &mut ChaCha8Rng) -> Option<FrameworkId> {
        // The round's list of active frameworks is lent out for the draw, not copied.
        let candidates = match self.role {
            Some(_) => self.active(),
            None => self.round.active.take().unwrap_or_else(|| self.active()),
        };
        let fw = random_pick(&candidates, rng, |fw| self.eligible_fw(fw));
        if self.role.is_none() {
            self.round.active = Some(candidates);
        }
        fw
    }

    fn eligible(&mut self) -> Vec<Candidate> {
        let a = self.alloc;
        let mut out = Vec::new();
        for fw in self.active() {
            if !self.eligible_fw(fw) {
                continue;
            }
            let f = a.fw(fw).expect("active framework");
            let role = &a.roles[f.role as usize];
            out.push(Candidate {
                framework: fw,
                role: f.role,
                share: f.key.share.share(),
                role_share: weighted_share(&role.alloc, &a.total, role.weight),
                allocated: f.alloc,
                last_offer: f.last_offer,
            });
        }
        out
    }
}
