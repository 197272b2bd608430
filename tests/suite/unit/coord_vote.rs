//! Unit tests of `src/coord/vote.rs` (moved out of the library: see `unit.rs`).

use schedlab::actor::ActorId;
use schedlab::coord::msg::Zxid;
use schedlab::coord::vote::*;

fn v(epoch: u32, zxid: Zxid, id: u32) -> Vote {
    Vote {
        epoch,
        zxid,
        leader: ActorId(id),
    }
}

#[test]
fn converges_on_the_most_up_to_date_then_highest_id() {
    let mut a = Fle::new(1, v(1, 5, 0));
    assert_eq!(a.receive(ActorId(1), 1, v(1, 4, 1)), Received::Counted);
    assert!(!a.has_quorum(3));
    assert_eq!(a.receive(ActorId(2), 1, v(1, 5, 2)), Received::Changed);
    assert_eq!(a.vote.leader, ActorId(2));
    // 0 and 2 now agree on 2: a quorum of 3.
    assert!(a.has_quorum(3));
    assert_eq!(a.receive(ActorId(1), 0, v(0, 0, 1)), Received::Stale);
    // A late, older notification of 2 does not undo its vote.
    assert_eq!(a.receive(ActorId(2), 1, v(0, 0, 2)), Received::Counted);
    assert!(a.has_quorum(3));
    // A newer round restarts the count.
    assert_eq!(a.receive(ActorId(1), 2, v(1, 4, 1)), Received::Changed);
    assert_eq!(a.vote, v(1, 5, 0));
    assert!(!a.has_quorum(3));
}
