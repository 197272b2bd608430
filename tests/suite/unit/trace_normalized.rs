//! Unit tests of `src/trace/normalized.rs` (moved out of the library: see `unit.rs`).

use schedlab::trace::normalized::*;

#[test]
fn milli_round_trips() {
    for v in [0, 1, 999, 1000, 1500, 123_456] {
        assert_eq!(parse_milli(&milli(v)), Some(v));
    }
    assert_eq!(parse_milli("2"), Some(2000));
    assert_eq!(parse_milli("0.25"), Some(250));
    assert_eq!(parse_milli("0.0004"), Some(0));
    assert_eq!(parse_milli("x"), None);
    assert_eq!(parse_milli("-1"), None);
}
