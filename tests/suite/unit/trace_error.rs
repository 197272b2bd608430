//! Unit tests of `src/trace/error.rs` (moved out of the library: see `unit.rs`).

use schedlab::trace::error::*;

#[test]
fn display_names_file_line_and_field() {
    let e = TraceError::field(
        "a/task_events.csv.gz",
        17,
        "CPU request",
        "not a number: `x`",
    );
    assert_eq!(
        e.to_string(),
        "a/task_events.csv.gz:17: field `CPU request`: not a number: `x`"
    );
    assert_eq!(TraceError::file("f", "gone").to_string(), "f: gone");
}
