//! Unit tests of `src/bench/offers.rs` (moved out of the library: see `unit.rs`).

use schedlab::bench::offers::*;

/// The protocol runs: offers are made and tasks launched from them.
#[test]
fn offers_launch_tasks() {
    let b = offers_point(4, 2, 30).unwrap();
    assert!(b.offers > 0 && b.tasks > 0, "{b:?}");
    assert!(b.events > b.offers, "{b:?}");
}
