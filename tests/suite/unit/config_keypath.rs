//! Unit tests of `src/config/keypath.rs` (moved out of the library: see `unit.rs`).

use schedlab::config::keypath::*;

#[test]
fn paths_print_as_set_keys_and_parse_back() {
    let p = KeyPath(vec![
        Seg::Key("frameworks".into()),
        Seg::Index(0),
        Seg::Key("workload".into()),
        Seg::Key("a.b".into()),
        Seg::Key("7".into()),
    ]);
    assert_eq!(p.to_string(), "frameworks.0.workload.\"a.b\".\"7\"");
    assert_eq!(KeyPath::parse(&p.to_string()), p);
    assert_eq!(KeyPath::parse(""), KeyPath::default());
}

#[test]
fn nested_paths_are_joined_and_split() {
    let inner = at(&KeyPath::parse("apps.1"), "bad");
    let (p, m) = split(&inner);
    assert_eq!((p.to_string().as_str(), m), ("apps.1", "bad"));
    assert_eq!(split("plain"), (KeyPath::default(), "plain"));
}
