//! The DRF sorter: clients (roles or frameworks) kept in increasing order of weighted
//! dominant share.
//!
//! DRF (Ghodsi et al., NSDI'11, section 4) repeatedly offers to the user with the lowest
//! dominant share `s_i = max_j u_ij / r_j`; weighted DRF (section 4.3 / 5.1) divides it
//! by the user's weight `w_i`. Mesos keeps one such sorter for roles and one per role for
//! its frameworks (`src/master/allocator/sorter/drf/sorter.cpp`), and re-sorts a client
//! when its allocation changes.
//!
//! Here the sorter is only the ordered set: the caller owns each client's allocation,
//! weight and current key, and tells the sorter when a key changes. An offer therefore
//! costs one removal and one insertion (`O(log n)`), never a re-sort of all clients,
//! which is what keeps one round at 10,000 agents x 1,000 frameworks in milliseconds.
//!
//! ```
//! use schedlab::alloc::drf::{share_key, Sorter};
//! use schedlab::resources::Resources;
//!
//! let total = Resources::new(9.0, 18 * 1024);
//! let mut s = Sorter::default();
//! let a = share_key(&Resources::new(1.0, 4 * 1024), &total, 1.0); // 4/18
//! let b = share_key(&Resources::new(3.0, 1024), &total, 1.0); // 3/9
//! s.insert(a, 0);
//! s.insert(b, 1);
//! assert_eq!(s.iter().collect::<Vec<_>>(), vec![0, 1]);
//! ```

use crate::resources::Resources;
use std::collections::BTreeSet;

/// A weighted dominant share as a totally ordered key: the bit pattern of a
/// non-negative `f64`, whose integer order is its numeric order.
///
/// Equal allocations give bit-identical keys (IEEE division is deterministic), so ties
/// are exact and broken by client id; shares that are mathematically equal but computed
/// from different fractions may differ in the last bit, as they do in Mesos' doubles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShareKey(u64);

impl ShareKey {
    pub const ZERO: ShareKey = ShareKey(0);

    /// The key of a share `s >= 0` (negative or NaN inputs are a bug and panic).
    pub fn from_share(s: f64) -> ShareKey {
        assert!(s >= 0.0, "share must be non-negative, got {s}");
        // -0.0 >= 0.0 holds but has the sign bit set; normalise it.
        ShareKey((s + 0.0).to_bits())
    }

    pub fn share(self) -> f64 {
        f64::from_bits(self.0)
    }
}

/// Weighted dominant share of `alloc` in a cluster of `total`: `max_j alloc_j / total_j`
/// divided by `weight` (DRF paper, section 4; kinds absent from the cluster count 0).
#[inline]
pub fn weighted_share(alloc: &Resources, total: &Resources, weight: f64) -> f64 {
    let s = alloc.dominant_share(total);
    if weight == 1.0 {
        s
    } else {
        s / weight
    }
}

/// [`weighted_share`] as a sorter key.
#[inline]
pub fn share_key(alloc: &Resources, total: &Resources, weight: f64) -> ShareKey {
    ShareKey::from_share(weighted_share(alloc, total, weight))
}

/// Clients ordered by (key, id): lowest weighted dominant share first, ties to the
/// lowest id so that the order is a function of the allocation alone.
#[derive(Clone, Debug, Default)]
pub struct Sorter {
    set: BTreeSet<(ShareKey, u32)>,
}

impl Sorter {
    /// Adds `id` with `key`. Panics if it is already there with that key (a caller bug).
    pub fn insert(&mut self, key: ShareKey, id: u32) {
        let fresh = self.set.insert((key, id));
        assert!(fresh, "sorter: client {id} inserted twice");
    }

    /// Removes `id` stored under `key`. Panics if absent: the caller's key is stale.
    pub fn remove(&mut self, key: ShareKey, id: u32) {
        let was = self.set.remove(&(key, id));
        assert!(was, "sorter: client {id} not found under its key");
    }

    /// Moves `id` from key `old` to key `new`.
    #[inline]
    pub fn update(&mut self, id: u32, old: ShareKey, new: ShareKey) {
        if old != new {
            self.remove(old, id);
            self.insert(new, id);
        }
    }

    /// Client ids, lowest share first.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.set.iter().map(|&(_, id)| id)
    }

    /// (key, id) pairs, lowest share first.
    pub fn entries(&self) -> impl Iterator<Item = (ShareKey, u32)> + '_ {
        self.set.iter().copied()
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    pub fn contains(&self, key: ShareKey, id: u32) -> bool {
        self.set.contains(&(key, id))
    }

    pub fn clear(&mut self) {
        self.set.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_is_numeric_order() {
        let xs = [0.0, 1e-300, 0.1, 0.5, 2.0 / 3.0, 1.0, 3.5];
        for w in xs.windows(2) {
            assert!(ShareKey::from_share(w[0]) < ShareKey::from_share(w[1]));
        }
        assert_eq!(ShareKey::from_share(-0.0), ShareKey::ZERO);
        assert_eq!(ShareKey::from_share(0.25).share(), 0.25);
    }

    #[test]
    #[should_panic(expected = "non-negative")]
    fn negative_share_panics() {
        ShareKey::from_share(-0.5);
    }

    #[test]
    fn drf_paper_users_tie_exactly_and_weight_halves() {
        let total = Resources::new(9.0, 18 * 1024);
        let a = Resources::new(1.0, 4 * 1024).times(3);
        let b = Resources::new(3.0, 1024).times(2);
        assert_eq!(share_key(&a, &total, 1.0), share_key(&b, &total, 1.0));
        assert_eq!(weighted_share(&b, &total, 2.0), 1.0 / 3.0);
        assert_eq!(weighted_share(&Resources::ZERO, &Resources::ZERO, 1.0), 0.0);
    }

    #[test]
    fn sorter_orders_by_share_then_id_and_updates() {
        let mut s = Sorter::default();
        let k = |x: f64| ShareKey::from_share(x);
        s.insert(k(0.5), 3);
        s.insert(k(0.5), 1);
        s.insert(k(0.1), 7);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![7, 1, 3]);
        s.update(7, k(0.1), k(0.9));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![1, 3, 7]);
        s.remove(k(0.5), 1);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![3, 7]);
        assert!(s.contains(k(0.9), 7));
        assert_eq!(s.len(), 2);
    }

    #[test]
    #[should_panic(expected = "not found")]
    fn removing_under_a_stale_key_panics() {
        let mut s = Sorter::default();
        s.insert(ShareKey::from_share(0.2), 1);
        s.remove(ShareKey::from_share(0.3), 1);
    }
}
