//! Unit tests of `src/scenario.rs` (moved out of the library: see `unit.rs`).

use schedlab::alloc::Policy;
use schedlab::scenario::*;

#[test]
fn quickstart_parses() {
    let s = Scenario::parse(QUICKSTART, "quickstart.toml").unwrap();
    assert_eq!(s.name, "quickstart");
    assert!(!s.frameworks.is_empty());
}

#[test]
fn set_overrides_nested_and_array_keys() {
    let s = Scenario::parse_with_overrides(
        QUICKSTART,
        "q",
        &[
            "allocator.policy=fifo".into(),
            "frameworks.0.weight=2".into(),
        ],
    )
    .unwrap();
    assert_eq!(s.allocator.policy, Policy::FIFO);
    assert_eq!(s.frameworks[0].weight(), 2.0);
}
