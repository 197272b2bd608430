//! Unit tests of `src/plot/mod.rs` (moved out of the library: see `unit.rs`).

use schedlab::plot::*;

#[test]
fn cdf_steps_to_one() {
    let pts = cdf(&[3.0, 1.0, 2.0]);
    assert_eq!(
        pts,
        vec![
            (1.0, 0.0),
            (1.0, 1.0 / 3.0),
            (2.0, 1.0 / 3.0),
            (2.0, 2.0 / 3.0),
            (3.0, 2.0 / 3.0),
            (3.0, 1.0)
        ]
    );
    let big: Vec<f64> = (0..10_000).map(f64::from).collect();
    let pts = cdf(&big);
    assert!(pts.len() <= 2 * CDF_POINTS + 1);
    assert_eq!(*pts.last().unwrap(), (9999.0, 1.0));
}

#[test]
fn natural_order() {
    let mut v = vec!["agent-10", "agent-2", "big-0", "agent-1"];
    v.sort_by_key(|a| natural(a));
    assert_eq!(v, vec!["agent-1", "agent-2", "agent-10", "big-0"]);
}
