//! Unit tests of `src/resources.rs` (moved out of the library: see `unit.rs`).

use schedlab::resources::*;

#[test]
fn dominant_share_of_drf_paper_users() {
    let total = Resources::new(9.0, 18 * 1024);
    // User A: <1 CPU, 4 GB> per task, 3 tasks: dominant resource memory, 12/18.
    let a = Resources::new(1.0, 4 * 1024).times(3);
    // User B: <3 CPU, 1 GB> per task, 2 tasks: dominant resource CPU, 6/9.
    let b = Resources::new(3.0, 1024).times(2);
    assert!((a.dominant_share(&total) - 2.0 / 3.0).abs() < 1e-12);
    assert!((b.dominant_share(&total) - 2.0 / 3.0).abs() < 1e-12);
}

#[test]
fn fixed_point_never_drifts() {
    let tenth = Resources::new(0.1, 1);
    let mut sum = Resources::ZERO;
    for _ in 0..10 {
        sum += tenth;
    }
    assert_eq!(sum.cpus, 1000);
    assert_eq!(sum - tenth.times(10), Resources::ZERO);
}

#[test]
#[should_panic(expected = "resource underflow")]
fn subtracting_what_is_not_there_panics() {
    let _ = Resources::new(1.0, 1) - Resources::new(2.0, 1);
}
