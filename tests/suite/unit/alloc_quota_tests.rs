//! Quota as Mesos 1.9+: a guarantee and a limit per role (issue 24 point 7(d)).
//!
//! Upstream: `HierarchicalAllocatorProcess::__allocate` in
//! `src/master/allocator/mesos/hierarchical.cpp` (stage 1 for roles below their
//! guarantee, stage 2 for the rest, offers cut to `limit - consumed` by
//! `shrinkResources`), docs/quota.md ("guarantees" and "limits"), and the allocator tests
//! in `src/tests/hierarchical_allocator_tests.cpp` named at each test.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use schedlab::actor::SEC;
use schedlab::alloc::hierarchical::HierarchicalAllocator;
use schedlab::alloc::quota::UNLIMITED;
use schedlab::alloc::{Allocator, AllocatorConfig, FrameworkId, Policy};
use schedlab::resources::Resources;

const GIB: u64 = 1024;

fn res(cpus: f64, mem_gib: u64) -> Resources {
    Resources::new(cpus, mem_gib * GIB)
}

fn alloc() -> HierarchicalAllocator {
    HierarchicalAllocator::new(&AllocatorConfig::new(Policy::DRF))
}

fn rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(24)
}

fn check(a: &HierarchicalAllocator) {
    if let Err(e) = a.check_invariants() {
        panic!("invariant broken: {e}");
    }
}

/// A limit on CPUs only, and one on memory only.
fn cpus_limit(c: f64) -> Resources {
    Resources {
        cpus: Resources::new(c, 0).cpus,
        ..UNLIMITED
    }
}
fn mem_limit(gib: u64) -> Resources {
    Resources {
        mem: gib * GIB,
        ..UNLIMITED
    }
}

/// The role's allocation (what its frameworks hold, offers included).
fn role_alloc(a: &HierarchicalAllocator, fws: &[FrameworkId]) -> Resources {
    fws.iter()
        .fold(Resources::ZERO, |acc, &f| acc + a.allocated(f))
}

/// Mesos 1.9+ limits (docs/quota.md "limits"; `__allocate` cuts each offer with
/// `shrinkResources` to `limit - consumed`; upstream `QuotaLimit`-style tests): a role
/// is never offered beyond its limit, CPUs and memory cut separately, and gets no offer
/// once what is left is below the minimum allocatable.
#[test]
fn limit_caps_offers_kind_by_kind() {
    // CPUs: 3 agents <10 CPU, 10 GiB>, role "l" limited to 12 CPUs, memory unbounded.
    let mut a = alloc();
    for i in 0..3 {
        a.add_agent(i, res(10.0, 10));
    }
    a.set_quota_limit("l", cpus_limit(12.0));
    a.add_framework(0, "l");
    let o = a.allocate(0, &mut rng());
    check(&a);
    assert_eq!(a.allocated(0).cpus, res(12.0, 0).cpus, "{o:?}");
    // 10 CPUs, the 2 left of its limit, then memory alone: memory has no limit.
    assert_eq!(o.len(), 3, "{o:?}");
    assert_eq!(o[1].resources, res(2.0, 10));
    assert_eq!(o[2].resources, res(0.0, 10));
    // At its limit, nothing more, whatever is free.
    assert!(a.allocate(SEC, &mut rng()).is_empty());
    // Another role takes what "l" may not.
    a.add_framework(1, "other");
    let o = a.allocate(2 * SEC, &mut rng());
    assert!(o.iter().all(|o| o.framework == 1));
    assert_eq!(a.allocated(1), res(18.0, 0));
    check(&a);

    // Memory: a limit of 15 GiB, CPUs unbounded.
    let mut a = alloc();
    for i in 0..3 {
        a.add_agent(i, res(10.0, 10));
    }
    a.set_quota_limit("l", mem_limit(15));
    a.add_framework(0, "l");
    a.add_framework(1, "l");
    let o = a.allocate(0, &mut rng());
    check(&a);
    assert_eq!(role_alloc(&a, &[0, 1]).mem, 15 * GIB, "{o:?}");
    // CPUs are not cut: the third agent's 10 CPUs go without memory.
    assert_eq!(role_alloc(&a, &[0, 1]).cpus, res(30.0, 0).cpus, "{o:?}");
    // Given back, an offer is cut again to the room left.
    a.recover(o[0].agent, o[0].framework, o[0].resources);
    let o = a.allocate(SEC, &mut rng());
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].resources, res(10.0, 10));
    assert!(role_alloc(&a, &[0, 1]).mem <= 15 * GIB);
    check(&a);
}

/// Below the minimum allocatable, no offer: a limit leaving 0.005 CPUs and no memory.
#[test]
fn limit_leaving_less_than_min_allocatable_makes_no_offer() {
    let mut a = alloc();
    a.add_agent(0, res(10.0, 10));
    a.set_quota_limit(
        "l",
        Resources {
            cpus: 5,
            mem: 0,
            ..UNLIMITED
        },
    );
    a.add_framework(0, "l");
    assert!(a.allocate(0, &mut rng()).is_empty());
    assert_eq!(a.allocated(0), Resources::ZERO);
}

/// Mesos 1.9+ stage 1 (`__allocate`: a role below its guarantee is allocated the part of
/// the agent meeting its guarantee, plus up to its limit within the surplus headroom;
/// what is left of the agent goes on to stage 2 in the same round; upstream
/// `QuotaProvidesGuarantee`, `QuotaAbsentFramework`): one agent split between two roles.
#[test]
fn quota_role_gets_its_part_of_an_agent_and_another_role_the_rest() {
    // One agent <100 CPU, 100 GiB>. "q" is guaranteed <30 CPU, 30 GiB>, limited to
    // <40 CPU, 40 GiB>; "other" has no quota and a lower share (it goes first by DRF).
    let mut a = alloc();
    a.add_agent(0, res(100.0, 100));
    a.set_quota("q", res(30.0, 30));
    a.set_quota_limit("q", res(40.0, 40));
    a.add_framework(0, "other");
    a.add_framework(1, "q");
    let o = a.allocate(0, &mut rng());
    check(&a);
    assert_eq!(o.len(), 2, "{o:?}");
    // Stage 1 first: q's guarantee plus 10 more of surplus, within its limit.
    assert_eq!((o[0].framework, o[0].resources), (1, res(40.0, 40)));
    // Stage 2, same round, same agent: the rest to "other".
    assert_eq!((o[1].framework, o[1].resources), (0, res(60.0, 60)));

    // Without a limit, the surplus headroom bounds stage 1: two agents <50, 50>, q
    // guaranteed 30 of each kind (surplus 70): q gets all of the first agent (30 + 20
    // of surplus), its guarantee is met, and "other" gets the second in stage 2.
    let mut a = alloc();
    a.add_agent(0, res(50.0, 50));
    a.add_agent(1, res(50.0, 50));
    a.set_quota("q", res(30.0, 30));
    a.add_framework(0, "other");
    a.add_framework(1, "q");
    let o = a.allocate(0, &mut rng());
    check(&a);
    assert_eq!(a.allocated(1), res(50.0, 50), "{o:?}");
    assert_eq!(a.allocated(0), res(50.0, 50), "{o:?}");

    // With a guarantee larger than the surplus, the agent is split without a limit
    // too: one agent <100, 100>, q guaranteed 30, a second quota role "p" guaranteed
    // 60 and absent (upstream `QuotaAbsentFramework`): q gets its 30 plus the 10 of
    // surplus (100 - 30 - 60), 60 stay for "p", "other" gets nothing.
    let mut a = alloc();
    a.add_agent(0, res(100.0, 100));
    a.set_quota("q", res(30.0, 30));
    a.set_quota("p", res(60.0, 60));
    a.add_framework(0, "other");
    a.add_framework(1, "q");
    let o = a.allocate(0, &mut rng());
    check(&a);
    assert_eq!(o.len(), 1, "{o:?}");
    assert_eq!((o[0].framework, o[0].resources), (1, res(40.0, 40)));
}

/// A framework given parts of one agent in both stages gets one offer.
#[test]
fn both_stages_to_one_framework_make_one_offer() {
    let mut a = alloc();
    a.add_agent(0, res(100.0, 100));
    a.set_quota("q", res(30.0, 30));
    a.set_quota_limit("q", res(40.0, 40));
    a.add_framework(1, "q");
    let o = a.allocate(0, &mut rng());
    check(&a);
    // Stage 1: 40; stage 2 may give q nothing more (its limit).
    assert_eq!(o.len(), 1, "{o:?}");
    assert_eq!(o[0].resources, res(40.0, 40));
    // No limit: stage 1 takes all (surplus 70), one offer.
    let mut a = alloc();
    a.add_agent(0, res(100.0, 100));
    a.set_quota("q", res(30.0, 30));
    a.add_framework(1, "q");
    let o = a.allocate(0, &mut rng());
    assert_eq!(o.len(), 1, "{o:?}");
    assert_eq!(o[0].resources, res(100.0, 100));
}
