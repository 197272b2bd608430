//! Unit tests of `src/keymap.rs` (moved out of the library: see `unit.rs`).

use schedlab::keymap::KeyMap;

#[test]
fn looks_up_and_hands_out_entries_in_key_order() {
    let mut m = KeyMap::default();
    for k in [5u32, 1, 9, 3, 7] {
        m.insert(k, k * 10);
    }
    assert_eq!(m.get(&9), Some(&90));
    assert_eq!(m.remove(&1), Some(10));
    *m.get_mut(&3).unwrap() += 1;
    *m.entry(4).or_insert(0) += 2;
    assert!(m.contains_key(&4) && !m.contains_key(&1));
    assert_eq!(m.len(), 5);
    let keys: Vec<u32> = m.sorted().into_iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, vec![3, 4, 5, 7, 9]);
    assert_eq!(m.count_where(|k, _| k % 2 == 1), 4);
    assert_eq!(
        m.into_sorted(),
        vec![(3, 31), (4, 2), (5, 50), (7, 70), (9, 90)]
    );
}
