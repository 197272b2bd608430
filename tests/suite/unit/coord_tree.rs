//! Unit tests of `src/coord/tree.rs` (moved out of the library: see `unit.rs`).

use schedlab::coord::msg::CoordError;
use schedlab::coord::msg::Op;
use schedlab::coord::msg::WatchEvent;
use schedlab::coord::msg::WatchKind;
use schedlab::coord::tree::*;

fn create(path: &str, ephemeral: bool, sequential: bool) -> Op {
    Op::Create {
        path: path.into(),
        data: b"x".to_vec(),
        ephemeral,
        sequential,
    }
}

/// Prepares and applies `op` for session 1 as the next zxid.
fn run(t: &mut DataTree, op: Op) -> Result<Txn, CoordError> {
    let txn = t.prepare(1, &op)?;
    let z = t.last_zxid + 1;
    t.apply(z, &txn);
    Ok(txn)
}

fn tree() -> DataTree {
    let mut t = DataTree::default();
    t.apply(
        1,
        &Txn::CreateSession {
            session: 1,
            timeout: 10,
        },
    );
    t
}

#[test]
fn sequential_names_use_parent_cversion_ten_digits() {
    let mut t = tree();
    run(&mut t, create("/e", false, false)).unwrap();
    let a = run(&mut t, create("/e/n_", true, true)).unwrap();
    let b = run(&mut t, create("/e/n_", true, true)).unwrap();
    assert!(matches!(a, Txn::Create { ref path, .. } if path == "/e/n_0000000000"));
    assert!(matches!(b, Txn::Create { ref path, .. } if path == "/e/n_0000000001"));
    // A deletion also bumps cversion, so the next number skips one, as in ZooKeeper.
    run(
        &mut t,
        Op::Delete {
            path: "/e/n_0000000000".into(),
            version: None,
        },
    )
    .unwrap();
    let c = run(&mut t, create("/e/n_", false, true)).unwrap();
    assert!(matches!(c, Txn::Create { ref path, .. } if path == "/e/n_0000000003"));
    assert_eq!(sequence_of("n_0000000003"), Some(3));
    assert_eq!(sequence_of("n_3"), None);
}

#[test]
fn errors_as_zookeeper() {
    let mut t = tree();
    assert_eq!(
        run(&mut t, create("/a/b", false, false)),
        Err(CoordError::NoNode)
    );
    run(&mut t, create("/a", false, false)).unwrap();
    assert_eq!(
        run(&mut t, create("/a", false, false)),
        Err(CoordError::NodeExists)
    );
    run(&mut t, create("/a/b", false, false)).unwrap();
    assert_eq!(
        run(
            &mut t,
            Op::Delete {
                path: "/a".into(),
                version: None
            }
        ),
        Err(CoordError::NotEmpty)
    );
    run(&mut t, create("/eph", true, false)).unwrap();
    assert_eq!(
        run(&mut t, create("/eph/c", false, false)),
        Err(CoordError::NoChildrenForEphemerals)
    );
    assert_eq!(
        run(
            &mut t,
            Op::SetData {
                path: "/a".into(),
                data: vec![],
                version: Some(7)
            }
        ),
        Err(CoordError::BadVersion)
    );
    assert_eq!(
        run(&mut t, create("/bad/", false, false)),
        Err(CoordError::BadArguments)
    );
    assert_eq!(
        t.prepare(99, &create("/z", false, false)),
        Err(CoordError::SessionExpired)
    );
}

#[test]
fn closing_a_session_deletes_its_ephemerals_and_fires_events() {
    let mut t = tree();
    run(&mut t, create("/e", false, false)).unwrap();
    run(&mut t, create("/e/x", true, false)).unwrap();
    run(&mut t, create("/keep", false, false)).unwrap();
    let ev = t.apply(10, &Txn::CloseSession { session: 1 });
    assert_eq!(
        ev,
        vec![
            WatchEvent {
                kind: WatchKind::NodeDeleted,
                path: "/e/x".into()
            },
            WatchEvent {
                kind: WatchKind::NodeChildrenChanged,
                path: "/e".into()
            },
        ]
    );
    assert!(t.get("/e/x").is_none());
    assert!(t.get("/keep").is_some());
    assert!(!t.has_session(1));
}

#[test]
fn paths() {
    assert!(valid_path("/") && valid_path("/a/b"));
    assert!(!valid_path("a") && !valid_path("/a/") && !valid_path("/a//b"));
    assert_eq!(parent_of("/a"), "/");
    assert_eq!(parent_of("/a/b"), "/a");
    assert_eq!(name_of("/a/b"), "b");
    assert_eq!(child_path("/", "a"), "/a");
    assert_eq!(child_path("/a", "b"), "/a/b");
}
