//! Unit tests of `src/frameworks/registry.rs` (moved out of the library: see `unit.rs`).

#[test]
fn the_built_in_kinds_are_registered_in_name_order() {
    let kinds = schedlab::frameworks::registry::kinds();
    for k in ["aurora", "batch", "chronos", "marathon", "yarn"] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    assert!(kinds.windows(2).all(|w| w[0] < w[1]), "{kinds:?}");
    // Registering a name again replaces its reader (here with the same one).
    assert!(schedlab::frameworks::registry::register_kind::<
        schedlab::frameworks::marathon::MarathonSpec,
    >());
}
