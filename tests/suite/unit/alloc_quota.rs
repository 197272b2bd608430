//! Unit tests of `src/alloc/quota.rs` (moved out of the library: see `unit.rs`).

use schedlab::alloc::quota::*;
use schedlab::resources::Resources;

fn cpus(c: f64) -> Resources {
    Resources::new(c, 0)
}

#[test]
fn headroom_is_held_for_unmet_guarantees() {
    let mut q = QuotaRound::new([(0, cpus(30.0), cpus(10.0))], cpus(100.0));
    assert_eq!(q.required(), cpus(20.0));
    assert_eq!(q.unsatisfied().collect::<Vec<_>>(), vec![0]);
    assert!(q.may_take(1, &cpus(80.0)));
    assert!(!q.may_take(1, &cpus(80.5)));
    q.on_grant(1, &cpus(50.0));
    assert!(q.may_take(1, &cpus(30.0)));
    assert!(!q.may_take(1, &cpus(31.0)));
    // The quota role is served and its need shrinks.
    q.on_grant(0, &cpus(16.0));
    assert_eq!(q.unmet(0), cpus(4.0));
    assert_eq!(q.required(), cpus(4.0));
    q.on_grant(0, &cpus(16.0));
    assert!(!q.any_unsatisfied());
    assert_eq!(q.unsatisfied().count(), 0);
    // With nothing required, anything goes.
    assert!(q.may_take(1, &cpus(1000.0)));
}

#[test]
fn satisfied_quota_requires_nothing() {
    let q = QuotaRound::new([(3, cpus(8.0), cpus(9.0))], cpus(0.0));
    assert!(!q.any_unsatisfied());
    assert!(q.may_take(1, &cpus(5.0)));
    assert_eq!(QuotaRound::none().unmet(3), Resources::ZERO);
}

#[test]
fn each_kind_is_checked() {
    // 10 CPUs and 100 MiB free, 5 MiB of memory still owed: CPUs alone may go.
    let q = QuotaRound::new(
        [(0, Resources::new(0.0, 5), Resources::ZERO)],
        Resources::new(10.0, 100),
    );
    assert!(q.may_take(1, &Resources::new(10.0, 95)));
    assert!(!q.may_take(1, &Resources::new(0.0, 96)));
}
