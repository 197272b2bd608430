//! The event queue: one total order by (time, insertion sequence).
//!
//! A discrete-event engine only ever schedules into the future: every pushed time is at
//! or after the time of the last popped event. That monotonicity is what a *radix heap*
//! (Ahuja, Mehlhorn, Orlin & Tarjan, "Faster algorithms for the shortest path problem",
//! JACM 1990) exploits, here with 8-bit digits. Let `last` be the queue's current
//! minimum time. An event at `t > last` lives in bucket (level `l`, digit `d`) where
//! digit `l` (bits `8l..8l+8`) is the highest digit in which `t` differs from `last`
//! and `d` is `t`'s value of that digit; events at exactly `last` live in the `zero`
//! list. Buckets order lexicographically by (level, digit), so the lowest non-empty one
//! (found through bitmaps) holds the minimum. When `zero` runs dry that bucket is
//! emptied: a level-0 bucket holds a single time and simply becomes `zero`; a higher
//! one is scanned for its earliest time, which becomes `last`, and its events are
//! redistributed into strictly lower levels. An event moves at most 8 times, in
//! practice 2 or 3 (a 1 ms delay spans three digits), always through sequential
//! memory; a comparison heap instead pays a cache miss per level of every pop once the
//! queue outgrows the cache.
//!
//! Ties need no sequence number: every bucket's list is kept in insertion order (an
//! event is appended when pushed, and a redistribution only ever fills buckets that are
//! empty, walking its source in order), and `zero` is read front to back. So events at
//! the same nanosecond leave in the order they were scheduled, on every machine.
//! `tests::matches_reference_order` checks this against a map keyed by (time,
//! insertion index).
//!
//! Payloads live aside in a slab whose slots are reused LIFO (the hot ones stay in
//! cache), so the lists move 16-byte entries whatever the message size.

use crate::actor::Time;

#[derive(Copy, Clone, Debug)]
struct Entry {
    time: Time,
    slot: u32,
}

const DIGIT: u32 = 8;
const RADIX: usize = 1 << DIGIT;
const LEVELS: usize = 64 / DIGIT as usize;
const BUCKETS: usize = LEVELS * RADIX;
const WORDS: usize = BUCKETS / 64;

/// A deterministic, monotone priority queue of events.
pub struct EventQueue<T> {
    /// The events at exactly `last`, in insertion order; read from `head`.
    zero: Vec<Entry>,
    head: usize,
    /// Bucket `level * RADIX + digit`, each in insertion order.
    buckets: Vec<Vec<Entry>>,
    /// Bit `i % 64` of word `i / 64` is set iff bucket `i` is non-empty.
    masks: [u64; WORDS],
    /// Bit `w` is set iff `masks[w]` is non-zero.
    summary: u32,
    /// The queue's current minimum: the time of `zero`, and of the last popped event.
    last: Time,
    len: usize,
    slab: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> EventQueue<T> {
    pub fn new() -> Self {
        EventQueue {
            zero: Vec::new(),
            head: 0,
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            masks: [0; WORDS],
            summary: 0,
            last: 0,
            len: 0,
            slab: Vec::new(),
            free: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Earliest time that may still be pushed: the queue's current minimum.
    pub fn floor(&self) -> Time {
        self.last
    }

    /// Bucket of a time strictly after `last`.
    #[inline(always)]
    fn bucket(last: Time, time: Time) -> usize {
        let high = 63 - (time ^ last).leading_zeros();
        let level = high / DIGIT;
        let digit = (time >> (level * DIGIT)) as usize & (RADIX - 1);
        level as usize * RADIX + digit
    }

    #[inline(always)]
    fn file(&mut self, e: Entry) {
        let b = Self::bucket(self.last, e.time);
        self.buckets[b].push(e);
        self.masks[b / 64] |= 1 << (b % 64);
        self.summary |= 1 << (b / 64);
    }

    /// Schedules `item` at `time`, which must not be before the queue's minimum.
    #[inline]
    pub fn push(&mut self, time: Time, item: T) {
        assert!(
            time >= self.last,
            "event scheduled in the past ({time} < {})",
            self.last
        );
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = Some(item);
                s
            }
            None => {
                self.slab.push(Some(item));
                (self.slab.len() - 1) as u32
            }
        };
        self.len += 1;
        let e = Entry { time, slot };
        if time == self.last {
            self.zero.push(e);
        } else {
            self.file(e);
        }
    }

    /// Makes `zero` non-empty unless the whole queue is empty.
    #[inline]
    fn refill(&mut self) {
        if self.head < self.zero.len() {
            return;
        }
        self.zero.clear();
        self.head = 0;
        if self.summary == 0 {
            return;
        }
        self.refill_from_buckets();
    }

    #[inline(never)]
    fn refill_from_buckets(&mut self) {
        let w = self.summary.trailing_zeros() as usize;
        let b = w * 64 + self.masks[w].trailing_zeros() as usize;
        self.masks[w] &= !(1 << (b % 64));
        if self.masks[w] == 0 {
            self.summary &= !(1 << w);
        }
        if b < RADIX {
            // Level 0 holds a single time: the (empty) `zero` list takes its place.
            std::mem::swap(&mut self.zero, &mut self.buckets[b]);
            self.last = self.zero[0].time;
            return;
        }
        let mut src = std::mem::take(&mut self.buckets[b]);
        let min = src.iter().map(|e| e.time).min().expect("non-empty bucket");
        self.last = min;
        for &e in &src {
            if e.time == min {
                self.zero.push(e);
            } else {
                debug_assert!(Self::bucket(min, e.time) < b - b % RADIX, "moves down");
                self.file(e);
            }
        }
        src.clear();
        // Keep the source's capacity for its next fill.
        self.buckets[b] = src;
    }

    /// Time of the earliest event, if any.
    #[inline]
    pub fn peek_time(&mut self) -> Option<Time> {
        self.refill();
        (self.head < self.zero.len()).then_some(self.last)
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, T)> {
        self.refill();
        let e = *self.zero.get(self.head)?;
        self.head += 1;
        self.len -= 1;
        let item = self.slab[e.slot as usize].take().expect("live slot");
        self.free.push(e.slot);
        Some((e.time, item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
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

    #[test]
    #[should_panic(expected = "in the past")]
    fn rejects_the_past() {
        let mut q = EventQueue::new();
        q.push(10, ());
        q.pop();
        q.push(9, ());
    }
}
