//! Unit tests of `src/alloc/drf.rs` (moved out of the library: see `unit.rs`).

use schedlab::alloc::drf::*;
use schedlab::resources::Resources;

#[test]
fn key_order_is_numeric_order() {
    let xs = [0.0, 1e-300, 0.1, 0.5, 2.0 / 3.0, 1.0, 3.5];
    for w in xs.windows(2) {
        assert!(ShareKey::from_share(w[0]) < ShareKey::from_share(w[1]));
    }
    assert_eq!(ShareKey::from_share(-0.0), ShareKey::ZERO);
    assert_eq!(ShareKey::from_share(0.25).share(), 0.25);
}

#[test]
#[should_panic(expected = "non-negative")]
fn negative_share_panics() {
    ShareKey::from_share(-0.5);
}

#[test]
fn drf_paper_users_tie_exactly_and_weight_halves() {
    let total = Resources::new(9.0, 18 * 1024);
    let a = Resources::new(1.0, 4 * 1024).times(3);
    let b = Resources::new(3.0, 1024).times(2);
    assert_eq!(share_key(&a, &total, 1.0), share_key(&b, &total, 1.0));
    assert_eq!(weighted_share(&b, &total, 2.0), 1.0 / 3.0);
    assert_eq!(weighted_share(&Resources::ZERO, &Resources::ZERO, 1.0), 0.0);
}

fn key(share: f64, count: u64, name: u64) -> DrfKey<u64> {
    DrfKey {
        share: ShareKey::from_share(share),
        count,
        name,
    }
}

/// `Node::compareDRF` (`src/master/allocator/mesos/sorter/drf/sorter.hpp`): share,
/// then allocation count, then name.
#[test]
fn sorter_orders_by_share_then_count_then_name() {
    let mut s = Sorter::default();
    s.insert(key(0.5, 2, 1), 1);
    s.insert(key(0.5, 1, 3), 3);
    s.insert(key(0.5, 1, 2), 2);
    s.insert(key(0.1, 9, 7), 7);
    assert_eq!(s.iter().collect::<Vec<_>>(), vec![7, 2, 3, 1]);
    s.update(7, &key(0.1, 9, 7), &key(0.9, 10, 7));
    assert_eq!(s.iter().collect::<Vec<_>>(), vec![2, 3, 1, 7]);
    s.remove(&key(0.5, 1, 2), 2);
    assert_eq!(s.iter().collect::<Vec<_>>(), vec![3, 1, 7]);
    assert!(s.contains(&key(0.9, 10, 7), 7));
    assert_eq!(s.len(), 3);
    assert!(!s.is_empty());
    for (k, id) in [
        (key(0.5, 1, 3), 3),
        (key(0.5, 2, 1), 1),
        (key(0.9, 10, 7), 7),
    ] {
        s.remove(&k, id);
    }
    assert!(s.is_empty() && s.iter().next().is_none());
}

/// Mesos framework ids are `<master>-%04d` strings (`Master::newFrameworkId`,
/// `src/master/master.cpp`), compared as strings by the sorter.
#[test]
fn framework_names_sort_as_mesos_id_strings() {
    let k = framework_name_key;
    assert!(k(0) < k(1) && k(9) < k(10) && k(999) < k(1000) && k(1000) < k(9999));
    // "10000" < "9999", "10000" > "1000" (a prefix), "10000" < "1001".
    assert!(k(10000) < k(9999));
    assert!(k(1000) < k(10000) && k(10000) < k(1001));
    assert!(k(u32::MAX) > k(4294967));
}

#[test]
#[should_panic(expected = "not found")]
fn removing_under_a_stale_key_panics() {
    let mut s = Sorter::default();
    s.insert(key(0.2, 0, 1), 1);
    s.remove(&key(0.3, 0, 1), 1);
}
