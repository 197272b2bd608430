//! Unit tests of `src/alloc/bench.rs` (moved out of the library: see `unit.rs`).

use schedlab::alloc::bench::*;
use schedlab::alloc::Policy;

#[test]
fn every_agent_is_offered_once() {
    for policy in schedlab::alloc::policy_names() {
        let (ms, offers) = bench_round(200, 30, policy.clone());
        assert_eq!(offers, 200, "{policy:?}");
        assert!(ms >= 0.0);
    }
    assert_eq!(bench_round(10, 0, Policy::DRF).1, 0);
}
