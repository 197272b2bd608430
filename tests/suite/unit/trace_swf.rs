//! Unit tests of `src/trace/swf.rs` (moved out of the library: see `unit.rs`).

use schedlab::trace::swf::*;

#[test]
fn continuation_lines_are_not_keys() {
    let mut h = SwfHeader::default();
    let mut last = None;
    for l in [
        " Information: http://www.pdc.kth.se/",
        "              http://www.cs.huji.ac.il/labs/parallel/workload/",
        " MaxNodes: 100",
        " Queue:  0  interactive",
        " Queue:  1  batch",
        "",
        " Note: a",
        "       b",
    ] {
        h.add_comment(l, &mut last);
    }
    assert!(!h.fields.contains_key("http"));
    assert_eq!(
        h.get("Information"),
        Some("http://www.pdc.kth.se/ http://www.cs.huji.ac.il/labs/parallel/workload/")
    );
    assert_eq!(h.num("MaxNodes"), Some(100));
    assert_eq!(h.fields["Queue"].len(), 2);
    assert_eq!(h.get("Note"), Some("a b"));
}
