//! Unit tests of `src/sim/queue.rs` (moved out of the library: see `unit.rs`).

use rand::{Rng, SeedableRng};
use schedlab::actor::Time;
use schedlab::sim::queue::*;
use std::collections::BTreeMap;

#[test]
fn pops_in_time_then_insertion_order() {
    let mut q = EventQueue::new();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut expect = Vec::new();
    for i in 0..10_000u64 {
        let t = rng.gen_range(0..500u64);
        q.push(t, i);
        expect.push((t, i));
    }
    expect.sort(); // (time, insertion index) is the contract
    let mut got = Vec::new();
    while let Some(e) = q.pop() {
        got.push(e);
    }
    assert_eq!(got, expect);
    assert!(q.is_empty());
}

/// Interleaved pushes and pops, many ties (zero delays and a coarse time grid), huge
/// jumps (bit 63) and runs where the queue drains: the pop sequence must be exactly
/// that of a reference ordered map keyed by (time, insertion index).
#[test]
fn matches_reference_order() {
    for seed in 0..20u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut q = EventQueue::new();
        let mut reference: BTreeMap<(Time, u64), u64> = BTreeMap::new();
        let mut now = 0;
        let mut n = 0u64;
        for _ in 0..20_000 {
            if rng.gen_bool(0.55) {
                let delay = match rng.gen_range(0..10) {
                    0..=2 => 0,
                    3..=5 => rng.gen_range(0..4) * 1000,
                    6..=8 => rng.gen_range(0..1_000_000),
                    _ => rng.gen_range(0..(u64::MAX - now).min(1 << 62)),
                };
                q.push(now + delay, n);
                reference.insert((now + delay, n), n);
                n += 1;
            } else {
                let expect = reference.pop_first().map(|((t, _), v)| (t, v));
                assert_eq!(q.peek_time(), expect.map(|e| e.0));
                assert_eq!(q.pop(), expect, "seed {seed}");
                if let Some((t, _)) = expect {
                    now = t;
                }
            }
            assert_eq!(q.len(), reference.len());
        }
    }
}

#[test]
fn interleaved_push_pop_keeps_order() {
    let mut q = EventQueue::new();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
    let mut now = 0;
    for i in 0..1000u64 {
        q.push(rng.gen_range(0..100), i);
    }
    for i in 0..100_000u64 {
        let (t, _) = q.pop().unwrap();
        assert!(t >= now, "time went backwards");
        now = t;
        q.push(now + rng.gen_range(0..100), i);
    }
}

/// The hold model of a busy simulation: a large queue, each pop followed by a push
/// about 1 ms later, with ties on a coarse grid (big redistributions and sorts).
#[test]
fn hold_model_matches_reference() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut q = EventQueue::new();
    let mut reference: BTreeMap<(Time, u64), u64> = BTreeMap::new();
    let mut n = 0u64;
    for _ in 0..5000 {
        let t = rng.gen_range(0..100) * 1000;
        q.push(t, n);
        reference.insert((t, n), n);
        n += 1;
    }
    for _ in 0..200_000 {
        let expect = reference.pop_first().map(|((t, _), v)| (t, v));
        assert_eq!(q.pop(), expect);
        let now = expect.unwrap().0;
        let t = now + 1_000_000 + rng.gen_range(0..100) * 1000;
        q.push(t, n);
        reference.insert((t, n), n);
        n += 1;
    }
}

#[test]
fn handles_reach_queued_events_only() {
    let mut q = EventQueue::new();
    let a = q.push(5, "a");
    let b = q.push(7, "b");
    assert_eq!(q.get_mut(a).map(|x| *x), Some("a"));
    *q.get_mut(b).unwrap() = "B";
    assert_eq!(q.pop(), Some((5, "a")));
    assert_eq!(q.get_mut(a), None, "popped");
    let c = q.push(8, "c"); // reuses a's slot, with a new generation
    assert_ne!(a, c);
    assert_eq!(q.get_mut(a), None, "stale handle");
    assert_eq!(q.pop(), Some((7, "B")));
    assert_eq!(q.pop(), Some((8, "c")));
    assert_eq!(q.pop(), None);
    assert_eq!(q.get_mut(Handle::from_bits(u64::MAX)), None);
}

#[test]
#[should_panic(expected = "in the past")]
fn rejects_the_past() {
    let mut q = EventQueue::new();
    q.push(10, ());
    q.pop();
    q.push(9, ());
}
