//! Unit tests of `src/trace/alibaba.rs` (moved out of the library: see `unit.rs`).

use schedlab::trace::alibaba::*;

#[test]
fn dag_names() {
    assert_eq!(dag("M1"), Some((1, vec![])));
    assert_eq!(dag("M5_3_4"), Some((5, vec![3, 4])));
    assert_eq!(dag("R4_2"), Some((4, vec![2])));
    assert_eq!(dag("task_Nzg3ODAwNDgzMTAwNTc2NTQ2Mw=="), None);
}

#[test]
fn ids() {
    assert_eq!(numeric_id("j_1234"), 1234);
    assert_eq!(numeric_id("openb-pod-0042"), 42);
    assert_eq!(numeric_id("c_x"), numeric_id("c_x"));
    assert!(numeric_id("c_x") < 1 << 48);
}
