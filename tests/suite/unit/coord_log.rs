//! Unit tests of `src/coord/log.rs` (moved out of the library: see `unit.rs`).

use schedlab::actor::Durable;
use schedlab::coord::log::*;
use schedlab::coord::msg::zxid;
use schedlab::coord::msg::Zxid;
use schedlab::coord::tree::Txn;

fn entry(z: Zxid) -> Entry {
    Entry {
        zxid: z,
        txn: Txn::Delete { path: "/x".into() },
        origin: None,
    }
}

#[test]
fn survives_a_reload() {
    let mut d = Durable::default();
    let mut l = TxnLog::default();
    l.set_accepted_epoch(&mut d, 2);
    l.set_current_epoch(&mut d, 1);
    for c in 1..=3 {
        l.append(&mut d, entry(zxid(1, c)));
    }
    l.commit_to(&mut d, 2);
    let r = TxnLog::load(&d);
    assert_eq!(r.len(), 3);
    assert_eq!(r.committed(), 2);
    assert_eq!(r.committed_zxid(), zxid(1, 2));
    assert_eq!((r.accepted_epoch, r.current_epoch), (2, 1));
    assert_eq!(r.end_of(zxid(1, 2)), Some(2));
    assert_eq!(r.end_of(zxid(2, 1)), None);
    assert_eq!(r.next_zxid(1), zxid(1, 4));
    assert_eq!(r.next_zxid(2), zxid(2, 1));
    let mut r = r;
    r.replace_from(&mut d, 2, vec![entry(zxid(2, 1))]);
    let r2 = TxnLog::load(&d);
    assert_eq!(r2.last_zxid(), zxid(2, 1));
    assert_eq!(r2.len(), 3);
}
