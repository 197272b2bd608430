//! Unit tests of `src/config/suggest.rs` (moved out of the library: see `unit.rs`).

use schedlab::config::suggest::*;

#[test]
fn distance_counts_edits_and_swaps() {
    assert_eq!(distance("duration_stdev", "duration_std"), 2);
    assert_eq!(distance("trails", "trials"), 1);
    assert_eq!(distance("", "abc"), 3);
    assert_eq!(distance("kitten", "sitting"), 3);
}

#[test]
fn suggests_the_nearest_key_or_lists_them() {
    let valid = ["duration_mean", "duration_std", "start"];
    assert_eq!(
        unknown_key("duration_stdev", Some(&valid)),
        "unknown key `duration_stdev`; did you mean `duration_std`?"
    );
    assert_eq!(
        unknown_key("bogus", Some(&valid)),
        "unknown key `bogus`; valid keys: `duration_mean`, `duration_std`, `start`"
    );
    assert_eq!(nearest("at", &["a", "b"]), Some("a"));
}

#[test]
fn reads_serde_messages_back() {
    use serde::de::Error as _;
    const LISTS: [&[&str]; 4] = [&["a"], &["a", "b"], &["a", "b", "c"], &[]];
    for valid in LISTS {
        let serde_says = serde::de::value::Error::unknown_field("x", valid).to_string();
        assert_eq!(unknown_field_message("x", valid), serde_says);
        assert_eq!(
            unknown_field(&serde_says),
            Some(("x", Some(valid.to_vec())))
        );
    }
    assert_eq!(unknown_field("unknown field `x`"), Some(("x", None)));
    assert_eq!(unknown_field("missing field `x`"), None);
}
