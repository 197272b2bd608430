//! Unit tests of `src/coord/watch.rs` (moved out of the library: see `unit.rs`).

use schedlab::coord::msg::SessionId;
use schedlab::coord::msg::WatchEvent;
use schedlab::coord::msg::WatchKind;
use schedlab::coord::msg::WatchType;
use schedlab::coord::watch::*;

#[test]
fn one_shot_and_by_type() {
    let mut w = Watches::default();
    w.add(WatchType::Data, "/a", 1);
    w.add(WatchType::Child, "/a", 2);
    w.add(WatchType::Exist, "/b", 3);
    let changed = WatchEvent {
        kind: WatchKind::NodeChildrenChanged,
        path: "/a".into(),
    };
    assert_eq!(w.trigger(&changed), vec![2]);
    assert_eq!(w.trigger(&changed), Vec::<SessionId>::new(), "one-shot");
    let deleted = WatchEvent {
        kind: WatchKind::NodeDeleted,
        path: "/a".into(),
    };
    assert_eq!(w.trigger(&deleted), vec![1]);
    let created = WatchEvent {
        kind: WatchKind::NodeCreated,
        path: "/b".into(),
    };
    assert_eq!(w.trigger(&created), vec![3]);
    assert!(w.is_empty());
}
