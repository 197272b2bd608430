//! Unit tests of `src/metrics/mod.rs` (moved out of the library: see `unit.rs`).

use schedlab::metrics::*;

#[test]
fn nearest_rank_percentiles() {
    let mut xs: Vec<u64> = (1..=100).map(|i| i * 1_000_000_000).collect();
    let d = Dist::of_ns(&mut xs);
    assert_eq!(d.p50, 50.0);
    assert_eq!(d.p90, 90.0);
    assert_eq!(d.p99, 99.0);
    assert_eq!(d.mean, 50.5);
    assert_eq!(d.max, 100.0);
}
