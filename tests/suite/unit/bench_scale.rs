//! Unit tests of `src/bench/scale.rs` (moved out of the library: see `unit.rs`).

use schedlab::bench::scale::*;

#[test]
fn scaled_scenario_keeps_the_load_per_agent() {
    let s = scaled_scenario(12_500, "1h").unwrap();
    assert_eq!(s.agents[0].count, 12_500);
    assert_eq!(s.run.stop, 3600 * schedlab::actor::SEC);
    let text = format!("{:?}", s.frameworks[1]);
    assert!(text.contains("max_jobs: Some(2000)"), "{text}");
    assert!(peak_rss_mb() > 0.0);
}
