//! Revocable CPUs in the allocator (Mesos oversubscription, issue 26 point 7), as
//! `src/master/allocator/mesos/hierarchical.cpp` treats them: offered only to
//! frameworks with the REVOCABLE_RESOURCES capability (`stripIncapableResources`), in
//! the same offer as the agent's regular resources; counted as CPUs in DRF shares (the
//! sorters strip the revocable flag: "the hierarchical allocator considers
//! oversubscribed resources as regular resources when doing fairness calculations");
//! outside quota (consumed quota and headroom are `nonRevocable()`).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use schedlab::alloc::hierarchical::HierarchicalAllocator;
use schedlab::alloc::quota::UNLIMITED;
use schedlab::alloc::{Allocator, AllocatorConfig, OfferDecision, Policy};
use schedlab::resources::Resources;

const GIB: u64 = 1024;

fn res(cpus: f64, mem_gib: u64) -> Resources {
    Resources::new(cpus, mem_gib * GIB)
}

fn alloc() -> HierarchicalAllocator {
    HierarchicalAllocator::new(&AllocatorConfig::new(Policy::DRF))
}

fn round(a: &mut HierarchicalAllocator) -> Vec<(u32, Resources)> {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let offers = a.allocate(0, &mut rng);
    if let Err(e) = a.check_invariants() {
        panic!("invariant broken: {e}");
    }
    offers
        .into_iter()
        .map(
            |OfferDecision {
                 framework,
                 resources,
                 ..
             }| (framework, resources),
        )
        .collect()
}

#[test]
fn revocable_cpus_go_only_to_capable_frameworks() {
    let mut a = alloc();
    a.add_agent(0, res(4.0, 8) + Resources::revocable(2.0));
    a.add_framework(0, "plain");
    assert_eq!(round(&mut a), vec![(0, res(4.0, 8))], "no revocable CPUs");
    // A capable framework that comes later is offered what is left: the revocable part.
    a.add_framework(1, "capable");
    a.set_revocable_capable(1, true);
    assert_eq!(round(&mut a), vec![(1, Resources::revocable(2.0))]);
    assert_eq!(round(&mut a), vec![], "nothing left");
}

#[test]
fn a_capable_framework_gets_both_kinds_in_one_offer() {
    let mut a = alloc();
    a.add_agent(0, res(4.0, 8) + Resources::revocable(2.0));
    a.add_framework(0, "capable");
    a.set_revocable_capable(0, true);
    assert_eq!(
        round(&mut a),
        vec![(0, res(4.0, 8) + Resources::revocable(2.0))]
    );
}

/// Mesos' stage-2 loop goes on past a framework that took the regular resources: the
/// next capable one in DRF order is offered the revocable rest in the same round.
#[test]
fn the_revocable_rest_goes_to_the_next_capable_framework_in_the_same_round() {
    let mut a = alloc();
    a.add_agent(0, res(4.0, 8) + Resources::revocable(2.0));
    a.add_agent(1, res(1.0, 1));
    a.add_framework(0, "plain");
    a.add_framework(1, "capable");
    a.set_revocable_capable(1, true);
    // The capable framework already holds agent 1: its share is higher, the plain one
    // goes first on agent 0.
    a.add_allocated(1, 1, res(1.0, 1));
    assert_eq!(
        round(&mut a),
        vec![(0, res(4.0, 8)), (1, Resources::revocable(2.0))]
    );
}

/// Shares count revocable CPUs as CPUs, in the total and in the allocation: 4 of 8.
/// (Left out of both the share would be 0; out of the total only, 1.)
#[test]
fn drf_counts_revocable_cpus_as_cpus() {
    let mut a = alloc();
    a.add_agent(0, res(4.0, 0) + Resources::revocable(4.0));
    a.add_framework(0, "capable");
    a.set_revocable_capable(0, true);
    a.add_allocated(0, 0, Resources::revocable(4.0));
    assert_eq!(a.shares(), vec![(0, 0.5)]);
}

/// Quota limits cut regular resources only: a role limited to 1 CPU is still offered
/// every revocable CPU.
#[test]
fn quota_limits_leave_revocable_cpus_alone() {
    let mut a = alloc();
    a.add_agent(0, res(4.0, 8) + Resources::revocable(2.0));
    a.add_framework(0, "q");
    a.set_revocable_capable(0, true);
    a.set_quota_limit(
        "q",
        Resources {
            cpus: 1000,
            revocable_cpus: 0,
            ..UNLIMITED
        },
    );
    assert_eq!(
        round(&mut a),
        vec![(0, res(1.0, 8) + Resources::revocable(2.0))]
    );
}

/// A quota guarantee is met with regular resources only: revocable CPUs the role
/// holds do not count toward it, so its unmet guarantee goes to it in stage 1. (Were
/// they counted, the guarantee would look met and stage 2 would give the agent to the
/// other framework, whose share is lower.)
#[test]
fn revocable_cpus_do_not_count_toward_a_guarantee() {
    let mut a = alloc();
    a.add_agent(0, res(2.0, 0) + Resources::revocable(2.0));
    a.add_framework(0, "q");
    a.set_revocable_capable(0, true);
    a.set_quota("q", res(2.0, 0));
    a.add_allocated(0, 0, Resources::revocable(2.0));
    a.add_framework(1, "other");
    assert_eq!(round(&mut a), vec![(0, res(2.0, 0))]);
}
