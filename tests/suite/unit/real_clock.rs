//! Unit tests of `src/real/clock.rs` (moved out of the library: see `unit.rs`).

use schedlab::actor::Time;
use schedlab::real::clock::*;
use std::time::Duration;

#[test]
fn scales_virtual_to_wall() {
    let c = Clock::start(100.0);
    assert_eq!(
        c.wall(75 * schedlab::actor::SEC),
        Duration::from_millis(750)
    );
    assert_eq!(c.wall(Time::MAX), MAX_WALL);
    let a = c.now();
    assert!(c.now() >= a, "monotonic");
    assert_eq!(
        Clock::start(-3.0).scale(),
        1.0,
        "a bad scale falls back to 1"
    );
}
