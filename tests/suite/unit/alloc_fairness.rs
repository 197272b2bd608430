//! Unit tests of `src/alloc/fairness.rs` (moved out of the library: see `unit.rs`).

use schedlab::alloc::fairness::*;

#[test]
fn jain_known_values() {
    assert_eq!(jain_index(&[1.0, 1.0, 1.0, 1.0]), 1.0);
    assert_eq!(jain_index(&[1.0, 0.0, 0.0, 0.0]), 0.25);
    assert_eq!(jain_index(&[]), 1.0);
    assert_eq!(jain_index(&[0.0, 0.0]), 1.0);
    // (1 + 2)^2 / (2 * (1 + 4)) = 9/10.
    assert!((jain_index(&[1.0, 2.0]) - 0.9).abs() < 1e-15);
    // Scale invariant.
    assert!((jain_index(&[0.3, 0.6]) - jain_index(&[3.0, 6.0])).abs() < 1e-15);
}

#[test]
fn max_gap_known_values() {
    assert_eq!(max_gap(&[]), 0.0);
    assert_eq!(max_gap(&[0.4]), 0.0);
    assert_eq!(max_gap(&[0.25, 0.75, 0.5]), 0.5);
}
