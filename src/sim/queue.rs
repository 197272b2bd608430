//! The event queue: one total order by (time, insertion sequence).
//!
//! A discrete-event engine only ever schedules into the future: every pushed time is at
//! or after the time of the last popped event. That monotonicity is what a *radix heap*
//! (Ahuja, Mehlhorn, Orlin & Tarjan, "Faster algorithms for the shortest path problem",
//! JACM 1990) exploits, here with 8-bit digits. Let `last` be a reference time no later
//! than any bucketed event. An event at `t > last` lives in bucket (level `l`, digit
//! `d`) where digit `l` (bits `8l..8l+8`) is the highest digit in which `t` differs
//! from `last`, and `d` is `t`'s value of that digit. Buckets order lexicographically by
//! (level, digit), so the lowest non-empty one (found through two bitmap words) holds
//! the earliest events.
//!
//! Events are popped from `run`, a list sorted by time. When it runs dry the lowest
//! bucket is taken: one of at most [`SORT_MAX`] events (or a level-0 one, which holds a
//! single time) is sorted into the run; a larger one is scanned for its earliest time,
//! which becomes `last`, its events at that time form the run and the others are
//! redistributed into strictly lower levels. Taking the minimum of the lowest bucket as
//! `last` leaves every other event in its bucket, which is what makes the structure
//! work. An event is filed once or twice and sorted once, always in sequential memory;
//! a comparison heap instead pays a cache miss per level of every pop once the queue
//! outgrows the cache. A push at or before the run's last time (a small delay) goes to
//! the late events ([`Late`]), merged with the run as it is popped.
//!
//! Ties need no global sequence number: every bucket's list is kept in insertion order
//! (an event is appended when pushed, and a redistribution only ever fills buckets that
//! are empty, walking its source in order), the sort is stable, and a late event goes
//! after the run's events of equal time (they were all pushed before it). So events at the same nanosecond leave in the order they were
//! scheduled, on every machine. `tests::matches_reference_order` checks this against a
//! map keyed by (time, insertion index).
//!
//! Payloads live aside in a slab whose slots are reused LIFO (the hot ones stay in
//! cache), so the lists move 16-byte entries whatever the message size. A slot also
//! carries a generation, so that a [`Handle`] can reach a queued event (to cancel a
//! timer) without a hash map, and a stale handle reaches nothing.

use super::cache::prefetch;
use crate::actor::Time;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

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
/// Buckets up to this size are sorted rather than redistributed.
pub const SORT_MAX: usize = 256;
/// Buckets up to this size are sorted by insertion.
const INSERTION_MAX: usize = 24;

/// Names one queued event; stale once that event is popped or removed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Handle(u64);

impl Handle {
    pub fn to_bits(self) -> u64 {
        self.0
    }
    pub fn from_bits(bits: u64) -> Handle {
        Handle(bits)
    }
}

struct Slot<T> {
    gen: u32,
    item: Option<T>,
}

/// A deterministic, monotone priority queue of events.
pub struct EventQueue<T> {
    /// The next events, latest first: popped from the end.
    run: Vec<Entry>,
    /// Latest time the run was built to cover: later pushes go to the buckets.
    hi: Time,
    /// Events pushed at or before `hi` after the run was built (small delays). They
    /// come after the run's events of equal time, which were all pushed before them.
    /// Invariant: `run` and `late` are both empty only when the whole queue is.
    late: Late,
    /// Bucket `level * RADIX + digit`, each in insertion order.
    buckets: Vec<Vec<Entry>>,
    /// Bit `i % 64` of word `i / 64` is set iff bucket `i` is non-empty.
    masks: [u64; WORDS],
    /// Bit `w` is set iff `masks[w]` is non-zero.
    summary: u32,
    /// The buckets' reference time; no event in a bucket is earlier.
    last: Time,
    /// Time of the last popped event: nothing may be pushed before it.
    floor: Time,
    len: usize,
    slab: Vec<Slot<T>>,
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
            run: Vec::new(),
            hi: 0,
            late: Late::default(),
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            masks: [0; WORDS],
            summary: 0,
            last: 0,
            floor: 0,
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

    /// Bucket of a time strictly after `last`.
    #[inline(always)]
    fn bucket(last: Time, time: Time) -> usize {
        let high = 63 - (time ^ last).leading_zeros();
        let level = high / DIGIT;
        let digit = (time >> (level * DIGIT)) as usize & (RADIX - 1);
        level as usize * RADIX + digit
    }

    #[inline(always)]
    fn file(&mut self, time: Time, slot: u32) {
        let b = Self::bucket(self.last, time);
        self.buckets[b].push(Entry { time, slot });
        self.masks[b / 64] |= 1 << (b % 64);
        self.summary |= 1 << (b / 64);
    }

    /// Schedules `item` at `time`, which must not be before the last popped event.
    /// (A time before `last` is at most `hi`, so it goes into the run, never a bucket.)
    #[inline(always)]
    pub fn push(&mut self, time: Time, item: T) -> Handle {
        assert!(
            time >= self.floor,
            "event scheduled in the past ({time} < {})",
            self.floor
        );
        let (slot, gen) = match self.free.pop() {
            Some(s) => {
                let x = &mut self.slab[s as usize];
                x.gen = x.gen.wrapping_add(1);
                x.item = Some(item);
                (s, x.gen)
            }
            None => {
                self.slab.push(Slot {
                    gen: 0,
                    item: Some(item),
                });
                ((self.slab.len() - 1) as u32, 0)
            }
        };
        self.len += 1;
        if time > self.hi {
            self.file(time, slot);
            if self.run.is_empty() && self.late.is_empty() {
                // The queue was empty: keep the invariant.
                self.refill();
            }
        } else {
            self.late.push(time, slot);
        }
        Handle((gen as u64) << 32 | slot as u64)
    }

    /// The queued event `h` names, if it is still queued.
    #[inline]
    pub fn get_mut(&mut self, h: Handle) -> Option<&mut T> {
        let slot = self.slab.get_mut((h.0 & u32::MAX as u64) as usize)?;
        if slot.gen as u64 != h.0 >> 32 {
            return None;
        }
        slot.item.as_mut()
    }

    /// Refills the drained run from the lowest bucket.
    #[inline(never)]
    fn refill(&mut self) {
        debug_assert!(self.run.is_empty() && self.late.is_empty() && self.summary != 0);
        let w = self.summary.trailing_zeros() as usize;
        let b = w * 64 + self.masks[w].trailing_zeros() as usize;
        self.masks[w] &= !(1 << (b % 64));
        if self.masks[w] == 0 {
            self.summary &= !(1 << w);
        }
        let n = self.buckets[b].len();
        if b < RADIX || n <= SORT_MAX {
            // Latest first, and among equal times the last inserted first: the reverse
            // of the insertion order, stably sorted by time, descending. Copied, not
            // swapped: a swap handed the run's buffer to the bucket, which grew it
            // again when it next filled (a realloc copying cold memory; a quarter of
            // the last-level write misses of a 12,500-agent run), while each buffer
            // kept where it is stays at the size its bucket needs.
            let bucket = &mut self.buckets[b];
            self.run.extend(bucket.iter().rev());
            bucket.clear();
            if b >= RADIX {
                if n <= INSERTION_MAX {
                    insertion_sort_desc(&mut self.run);
                } else {
                    self.run.sort_by_key(|e| Reverse(e.time));
                }
            }
            self.hi = self.run[0].time;
            self.last = self.run[n - 1].time;
            return;
        }
        let mut src = std::mem::take(&mut self.buckets[b]);
        let min = src.iter().map(|e| e.time).min().expect("non-empty bucket");
        self.last = min;
        self.hi = min;
        for e in &src {
            if e.time == min {
                self.run.push(*e);
            } else {
                debug_assert!(Self::bucket(min, e.time) < b - b % RADIX, "moves down");
                self.file(e.time, e.slot);
            }
        }
        self.run.reverse();
        src.clear();
        // Keep the source's capacity for its next fill.
        self.buckets[b] = src;
    }

    /// Time of the earliest event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<Time> {
        match (self.run.last(), self.late.peek()) {
            (Some(e), Some(l)) => Some(e.time.min(l.0)),
            (Some(e), None) => Some(e.time),
            (None, l) => l.map(|l| l.0),
        }
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, T)> {
        self.pop_handle().map(|(t, _, item)| (t, item))
    }

    /// Removes and returns the earliest event with the handle it had while queued.
    #[inline]
    pub fn pop_handle(&mut self) -> Option<(Time, Handle, T)> {
        let (time, slot) = if self.late.is_empty() {
            let e = self.run.pop()?;
            (e.time, e.slot)
        } else {
            self.pop_late_or_run()
        };
        if self.run.is_empty() && self.late.is_empty() && self.summary != 0 {
            self.refill();
        }
        self.len -= 1;
        self.floor = time;
        // The next two events' payloads are most likely cold (a timer set minutes
        // ago): start loading them while this one is handled.
        let n = self.run.len();
        for e in &self.run[n.saturating_sub(2)..] {
            prefetch(&self.slab[e.slot as usize]);
        }
        let s = &mut self.slab[slot as usize];
        let item = s.item.take().expect("live slot");
        let h = Handle((s.gen as u64) << 32 | slot as u64);
        self.free.push(slot);
        Some((time, h, item))
    }

    /// The event most likely popped next (the run's next; a late event may come
    /// first): for prefetching what handling it will touch.
    #[inline]
    pub fn peek_next(&self) -> Option<&T> {
        let e = self.run.last()?;
        self.slab[e.slot as usize].item.as_ref()
    }

    /// The earlier of the run's next event and the earliest late one; the run's on a
    /// tie (pushed first).
    #[cold]
    fn pop_late_or_run(&mut self) -> (Time, u32) {
        let (lt, _, ls) = self.late.peek().expect("late is not empty");
        match self.run.last() {
            Some(e) if e.time <= lt => {
                let e = self.run.pop().expect("checked");
                (e.time, e.slot)
            }
            _ => {
                self.late.pop();
                (lt, ls)
            }
        }
    }
}

/// Late events in (time, push count) order. Nearly all come in that order already
/// (a message one link latency from now, pushed after one sent a little earlier):
/// those are appended to a list and popped from its front. Only the others (a zero
/// delay while later messages wait) go to a heap, so a burst of thousands of
/// messages costs no heap operation (the heap was 5 % of a run's instructions).
/// The earlier of the two fronts is next; push counts are unique, so it is one
/// order whichever structure an event went to.
#[derive(Default)]
struct Late {
    in_order: VecDeque<(Time, u64, u32)>,
    others: BinaryHeap<Reverse<(Time, u64, u32)>>,
    pushed: u64,
}

impl Late {
    #[inline]
    fn is_empty(&self) -> bool {
        self.in_order.is_empty() && self.others.is_empty()
    }

    #[inline]
    fn push(&mut self, time: Time, slot: u32) {
        let e = (time, self.pushed, slot);
        self.pushed += 1;
        if self.in_order.back().is_none_or(|b| b.0 <= time) {
            self.in_order.push_back(e);
        } else {
            self.others.push(Reverse(e));
        }
    }

    /// The earliest (time, push count, slot).
    #[inline]
    fn peek(&self) -> Option<(Time, u64, u32)> {
        match (self.in_order.front(), self.others.peek()) {
            (Some(a), Some(Reverse(b))) => Some(*a.min(b)),
            (a, b) => a.copied().or(b.map(|Reverse(b)| *b)),
        }
    }

    #[inline]
    fn pop(&mut self) {
        let from_others = match (self.in_order.front(), self.others.peek()) {
            (Some(a), Some(Reverse(b))) => b < a,
            (a, _) => a.is_none(),
        };
        if from_others {
            self.others.pop();
        } else {
            self.in_order.pop_front();
        }
    }
}

/// Stable sort by time, descending, of a short list.
#[inline]
fn insertion_sort_desc(v: &mut [Entry]) {
    for i in 1..v.len() {
        let e = v[i];
        let mut j = i;
        while j > 0 && v[j - 1].time < e.time {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = e;
    }
}
