//! Unit tests of `src/report/mod.rs` (moved out of the library: see `unit.rs`).

use schedlab::report::*;

#[test]
fn escapes_markup() {
    assert_eq!(
        escape("<script>alert('x') & \"y\"</script>"),
        "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
    );
}
