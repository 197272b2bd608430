//! Unit tests of `src/trace/sort.rs` (moved out of the library: see `unit.rs`).

use schedlab::trace::sort::*;

#[test]
fn spills_and_merges_in_order() {
    let mut s: Sorter<u64, u64> = Sorter::new("test", |x| *x, |_| 1, 10);
    let mut x = 12345u64;
    let mut want = Vec::new();
    for _ in 0..1000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let v = x >> 20;
        want.push(v);
        s.push(v).unwrap();
    }
    assert!(s.spilled_runs > 50);
    want.sort();
    let mut got = Vec::new();
    while let Some(v) = s.pop_below(None).unwrap() {
        got.push(v);
    }
    assert_eq!(got, want);
}

#[test]
fn watermark_releases_early() {
    let mut s: Sorter<u64, u64> = Sorter::new("test", |x| *x, |_| 1, 3);
    for v in [5, 1, 9, 3, 7] {
        s.push(v).unwrap();
    }
    assert_eq!(s.pop_below(Some(&4)).unwrap(), Some(1));
    assert_eq!(s.pop_below(Some(&4)).unwrap(), Some(3));
    assert_eq!(s.pop_below(Some(&4)).unwrap(), None);
    s.push(4).unwrap();
    let rest: Vec<u64> = std::iter::from_fn(|| s.pop_below(None).unwrap()).collect();
    assert_eq!(rest, vec![4, 5, 7, 9]);
}
