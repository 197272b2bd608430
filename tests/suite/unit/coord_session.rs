//! Unit tests of `src/coord/session.rs` (moved out of the library: see `unit.rs`).

use schedlab::actor::Time;
use schedlab::coord::msg::SessionId;
use schedlab::coord::session::*;
use std::collections::BTreeMap;
use std::collections::BTreeSet;

#[test]
fn touch_extends_expiry_takes_once() {
    let mut t = SessionTracker::restart([(1, 10), (2, 10)].into_iter(), 0, 5);
    assert_eq!(t.deadline(1), Some(15));
    assert!(t.touch(1, 12));
    assert_eq!(t.deadline(1), Some(22));
    assert!(t.touch(2, 1), "touching early never shortens");
    assert_eq!(t.deadline(2), Some(15));
    assert_eq!(t.take_expired(15), vec![2]);
    assert_eq!(t.take_expired(16), Vec::<SessionId>::new());
    assert!(!t.touch(2, 16), "a closing session is not revived");
    t.remove(2);
    assert!(!t.is_live(2));
}

/// The time-ordered index agrees with a scan of every session, through touches,
/// closes and removals.
#[test]
fn expiry_by_time_matches_a_full_scan() {
    let mut t = SessionTracker::restart((0..50).map(|s| (s, 10 + s % 7)), 0, 0);
    let mut reference: BTreeMap<SessionId, Time> = (0..50).map(|s| (s, 10 + s % 7)).collect();
    let mut closed = BTreeSet::new();
    for now in 0..200u64 {
        let s = (now * 7919) % 60;
        match now % 5 {
            0 | 1 if t.touch(s, now) => {
                let d = reference.get_mut(&s).unwrap();
                *d = (*d).max(now + 10 + s % 7);
            }
            2 if now % 3 == 0 && t.close(s) => {
                closed.insert(s);
            }
            3 if closed.contains(&s) => {
                t.remove(s);
                reference.remove(&s);
                closed.remove(&s);
            }
            _ => {}
        }
        let want: Vec<SessionId> = reference
            .iter()
            .filter(|(s, d)| **d <= now && !closed.contains(s))
            .map(|(s, _)| *s)
            .collect();
        closed.extend(want.iter().copied());
        assert_eq!(t.take_expired(now), want, "at {now}");
    }
}
