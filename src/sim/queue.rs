//! The event queue: one total order by (time, sequence number).
//!
//! A 4-ary min-heap of small fixed-size keys, with the payloads kept aside in a slab
//! whose slots are reused LIFO (so the hot ones stay in cache). Keys are 24 bytes
//! whatever the message size, which keeps sift operations cheap; the 4-ary shape halves
//! the depth of a binary heap and touches one cache line of children per level.
//! The sequence number makes the order total: two events at the same nanosecond are
//! delivered in the order they were scheduled, on every machine.

use crate::actor::Time;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Key {
    time: Time,
    seq: u64,
    slot: u32,
}

impl Key {
    #[inline(always)]
    fn before(&self, other: &Key) -> bool {
        (self.time, self.seq) < (other.time, other.seq)
    }
}

/// A deterministic priority queue of events.
pub struct EventQueue<T> {
    heap: Vec<Key>,
    slab: Vec<Option<T>>,
    free: Vec<u32>,
    seq: u64,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

const ARITY: usize = 4;

impl<T> EventQueue<T> {
    pub fn new() -> Self {
        EventQueue {
            heap: Vec::new(),
            slab: Vec::new(),
            free: Vec::new(),
            seq: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Time of the earliest event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<Time> {
        self.heap.first().map(|k| k.time)
    }

    #[inline]
    pub fn push(&mut self, time: Time, item: T) {
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
        let key = Key {
            time,
            seq: self.seq,
            slot,
        };
        self.seq += 1;
        self.heap.push(key);
        self.sift_up(self.heap.len() - 1);
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, T)> {
        let n = self.heap.len();
        if n == 0 {
            return None;
        }
        let top = self.heap[0];
        let last = self.heap.pop().expect("non-empty");
        if n > 1 {
            self.sift_down_from_root(last);
        }
        let item = self.slab[top.slot as usize].take().expect("live slot");
        self.free.push(top.slot);
        Some((top.time, item))
    }

    #[inline(always)]
    fn sift_up(&mut self, mut i: usize) {
        let key = self.heap[i];
        while i > 0 {
            let parent = (i - 1) / ARITY;
            let p = self.heap[parent];
            if key.before(&p) {
                self.heap[i] = p;
                i = parent;
            } else {
                break;
            }
        }
        self.heap[i] = key;
    }

    /// Places `key` (the former last element) starting at the root's hole.
    #[inline(always)]
    fn sift_down_from_root(&mut self, key: Key) {
        let n = self.heap.len();
        let mut i = 0;
        loop {
            let first = i * ARITY + 1;
            if first >= n {
                break;
            }
            let end = (first + ARITY).min(n);
            let mut best = first;
            let mut best_key = self.heap[first];
            for c in first + 1..end {
                let ck = self.heap[c];
                if ck.before(&best_key) {
                    best = c;
                    best_key = ck;
                }
            }
            if best_key.before(&key) {
                self.heap[i] = best_key;
                i = best;
            } else {
                break;
            }
        }
        self.heap[i] = key;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

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
}
