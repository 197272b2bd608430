//! Unit tests of `src/mesos/pings.rs` (moved out of the library: see `unit.rs`).

use schedlab::actor::SEC;
use schedlab::mesos::pings::*;

#[test]
fn one_sweep_takes_every_timeout_due_by_then_and_none_is_late() {
    let mut s = PingSchedule::new();
    s.push(SEC / 3, 0);
    s.push(SEC / 3, 1);
    assert_eq!(s.next_sweep(), Some(SEC / 3), "exactly when due");
    s.push(SEC / 2, 2);
    assert_eq!(s.next_sweep(), None, "a sweep is pending");
    assert_eq!(s.take_due(SEC / 3), vec![(SEC / 3, 0), (SEC / 3, 1)]);
    assert_eq!(s.next_sweep(), Some(SEC / 2));
    assert_eq!(s.take_due(SEC / 2), vec![(SEC / 2, 2)]);
    assert_eq!(s.next_sweep(), None, "nothing left");
}
