//! Unit tests of `src/alloc/roles.rs` (moved out of the library: see `unit.rs`).

use schedlab::alloc::roles::*;

/// The rules of Mesos' `roles::validate` (`src/common/roles.cpp`), each broken once.
#[test]
fn mesos_role_names() {
    for ok in [
        "*",
        "foo",
        "foo/bar",
        "a/b/c",
        "eng.backend",
        "x-y",
        "a/b-c",
    ] {
        assert!(validate(ok).is_ok(), "{ok} refused");
    }
    for bad in [
        "", "/", "/a", "a/", "a//b", ".", "..", "a/./b", "a/..", "*/a", "a/*", "-a", "a/-b", "a b",
        "a\tb", "a\nb", "a\x7fb",
    ] {
        assert!(validate(bad).is_err(), "{bad:?} accepted");
    }
    assert_eq!(
        validate("a//b").unwrap_err(),
        "role 'a//b' cannot contain two adjacent slashes"
    );
}

#[test]
fn ancestors_nearest_first() {
    assert_eq!(ancestors("a").count(), 0);
    assert_eq!(ancestors("a/b/c").collect::<Vec<_>>(), vec!["a/b", "a"]);
}

#[test]
#[should_panic(expected = "allocator: role 'a/' cannot end with a slash")]
fn the_allocator_api_refuses_a_malformed_name() {
    use schedlab::alloc::{build, AllocatorConfig};
    build(&AllocatorConfig::default()).add_framework(0, "a/");
}
