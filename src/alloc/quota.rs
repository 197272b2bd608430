//! Quota headroom for one allocation round.
//!
//! A role's quota is a guarantee (Mesos 1.x `--roles`/quota API, "Quota" in the Mesos
//! docs): while a role holds less than its guarantee, the allocator (1) serves that role
//! before any other allocation and (2) keeps enough unreserved resources unallocated to
//! still satisfy it, even when the role has no framework yet. Mesos does this in
//! `HierarchicalAllocatorProcess::__allocate`: stage 1 offers to quota roles, stage 2
//! offers to everyone else but holds an agent's unreserved resources back when giving
//! them away would leave `availableHeadroom < requiredHeadroom`.
//!
//! What counts toward a guarantee is the role's allocation plus its still unallocated
//! static reservations (those are set aside for it anyway), as in Mesos.
//!
//! Mesos 1.9+ adds a limit per role: the same consumption never goes beyond it. The
//! round cuts each offer's unreserved part to [`QuotaRound::room`], kind by kind, and
//! stage 1 gives a role below its guarantee what meets it plus at most
//! [`QuotaRound::surplus`] more, so the rest of an agent stays for stage 2.
//!
//! ```
//! use schedlab::alloc::quota::QuotaRound;
//! use schedlab::resources::Resources;
//!
//! // Role 0 is guaranteed 30 CPUs and holds nothing; 100 CPUs are free.
//! let q = QuotaRound::new(
//!     [(0, Resources::new(30.0, 0), Resources::ZERO)],
//!     Resources::new(100.0, 0),
//! );
//! assert!(q.may_take(1, &Resources::new(70.0, 0))); // leaves exactly 30
//! assert!(!q.may_take(1, &Resources::new(71.0, 0)));
//! assert!(q.may_take(0, &Resources::new(100.0, 0))); // the quota role itself
//! ```

use super::hierarchical::RoleId;
use crate::resources::Resources;

/// Per-round quota state: what each quota role still lacks and how much unreserved,
/// unallocated capacity is left in the cluster.
#[derive(Clone, Debug, Default)]
pub struct QuotaRound {
    /// (role, guarantee minus what already counts toward it), for roles with a quota.
    unmet: Vec<(RoleId, Resources)>,
    /// Sum of `unmet`: what must stay unallocated for the guarantees.
    required: Resources,
    /// Unreserved resources not yet allocated anywhere in the cluster.
    headroom: Resources,
    /// (role, limit minus what counts toward it), for roles with a limit (Mesos 1.9+).
    room: Vec<(RoleId, Resources)>,
}

/// `Ok` unless `role` is nested: Mesos sets quota on top-level roles only. Its quota
/// handler refuses a nested one ("Updating quota on nested role '...' is not supported
/// yet", `Master::QuotaHandler::update` in `src/master/quota_handler.cpp`, MESOS-7402),
/// and its allocator tracks consumed quota for top-level roles only, each counting its
/// whole subtree (`__generateOffers` in `src/master/allocator/mesos/hierarchical.cpp`).
pub fn refuse_nested(role: &str) -> Result<(), String> {
    if role.contains('/') {
        return Err(format!(
            "quota on nested role '{role}' is not supported: as in Mesos (MESOS-7402), \
             only a top-level role has quota, and it counts its whole subtree"
        ));
    }
    Ok(())
}

/// Panics for a nested role ([`refuse_nested`]): the allocator API refuses what a
/// scenario is refused earlier, with its file and line.
pub(crate) fn check_top_level(role: &str) {
    if let Err(e) = refuse_nested(role) {
        panic!("allocator: {e}");
    }
}

/// No limit: every kind unbounded (Mesos' default quota limit, "no limit").
pub const UNLIMITED: Resources = Resources {
    cpus: u64::MAX,
    mem: u64::MAX,
    disk: u64::MAX,
    gpus: u64::MAX,
    revocable_cpus: u64::MAX,
};

impl QuotaRound {
    /// `quotas`: (role, guarantee, consumed) with consumed = allocation plus unallocated
    /// reservations of the role; `headroom`: unreserved unallocated resources.
    pub fn new(
        quotas: impl IntoIterator<Item = (RoleId, Resources, Resources)>,
        headroom: Resources,
    ) -> QuotaRound {
        let unmet: Vec<_> = quotas
            .into_iter()
            .map(|(r, g, c)| (r, g.saturating_sub(&c)))
            .collect();
        let required = unmet.iter().fold(Resources::ZERO, |acc, (_, u)| acc + *u);
        QuotaRound {
            unmet,
            required,
            headroom,
            room: Vec::new(),
        }
    }

    /// The same with limits: `limits` are (role, limit, consumed), for the roles whose
    /// limit is not [`UNLIMITED`].
    pub fn with_limits(
        mut self,
        limits: impl IntoIterator<Item = (RoleId, Resources, Resources)>,
    ) -> QuotaRound {
        self.room = limits
            .into_iter()
            .map(|(r, l, c)| (r, l.saturating_sub(&c)))
            .collect();
        self
    }

    /// What `role` may still be given before it reaches its limit ([`UNLIMITED`] for
    /// roles without one).
    pub fn room(&self, role: RoleId) -> Resources {
        self.room
            .iter()
            .find(|(r, _)| *r == role)
            .map_or(UNLIMITED, |(_, x)| *x)
    }

    /// Unreserved resources free beyond what the unmet guarantees require (Mesos'
    /// `availableHeadroom - requiredHeadroom`, the surplus headroom of stage 1).
    pub fn surplus(&self) -> Resources {
        self.headroom.saturating_sub(&self.required)
    }

    /// Stage 2's check (Mesos' `sufficientHeadroom`, for every role alike): may
    /// `unreserved` be given away and what stays free still cover every unmet guarantee?
    pub fn fits_headroom(&self, unreserved: &Resources) -> bool {
        self.required.is_zero() || self.headroom.contains(&(*unreserved + self.required))
    }

    /// No quota anywhere: every check passes.
    pub fn none() -> QuotaRound {
        QuotaRound::default()
    }

    /// What `role` still lacks of its guarantee (zero for roles without quota).
    pub fn unmet(&self, role: RoleId) -> Resources {
        self.unmet
            .iter()
            .find(|(r, _)| *r == role)
            .map_or(Resources::ZERO, |(_, u)| *u)
    }

    /// Roles whose guarantee is not met yet, in role id order.
    pub fn unsatisfied(&self) -> impl Iterator<Item = RoleId> + '_ {
        self.unmet
            .iter()
            .filter(|(_, u)| !u.is_zero())
            .map(|(r, _)| *r)
    }

    pub fn any_unsatisfied(&self) -> bool {
        !self.required.is_zero()
    }

    /// Total still required by all guarantees.
    pub fn required(&self) -> Resources {
        self.required
    }

    /// May `role` be given `unreserved`? A role below its guarantee may (it is what the
    /// headroom is for); any other only if what stays free still covers every unmet
    /// guarantee, kind by kind (Mesos' `sufficientHeadroom`).
    pub fn may_take(&self, role: RoleId, unreserved: &Resources) -> bool {
        if self.required.is_zero() || !self.unmet(role).is_zero() {
            return true;
        }
        self.headroom.contains(&(*unreserved + self.required))
    }

    /// `role` was given `unreserved` (the unreserved part of an offer; the reserved part
    /// already counted toward its guarantee and its limit).
    pub fn on_grant(&mut self, role: RoleId, unreserved: &Resources) {
        self.headroom = self.headroom.saturating_sub(unreserved);
        if let Some((_, x)) = self.room.iter_mut().find(|(r, _)| *r == role) {
            *x = x.saturating_sub(unreserved);
        }
        if let Some((_, u)) = self.unmet.iter_mut().find(|(r, _)| *r == role) {
            let before = *u;
            *u = u.saturating_sub(unreserved);
            self.required -= before - *u;
        }
    }
}
