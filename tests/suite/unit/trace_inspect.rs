//! Unit tests of `src/trace/inspect.rs` (moved out of the library: see `unit.rs`).

use schedlab::trace::inspect::*;

#[test]
fn exact_then_log_quantiles() {
    let mut h = Hist::new();
    for v in 1..=100 {
        h.add(v as f64, 1);
    }
    assert_eq!(h.quantile(0.5), 50.0);
    assert_eq!(h.quantile(0.99), 99.0);
    let mut h = Hist::new();
    for v in 1..=100_000 {
        h.add(v as f64, 1);
    }
    let p = h.quantile(0.9);
    assert!((p / 90_000.0 - 1.0).abs() < 0.01, "{p}");
    assert!((h.summary().mean - 50_000.5).abs() < 1e-6);
}
