//! `KeyMap`: a hash map that can be looked up but not iterated.
//!
//! Hash iteration order is the determinism hazard (`clippy.toml` bans `HashMap`), not
//! hashing itself: a map used only by key is as deterministic as a `BTreeMap` and, for
//! the big lookup-only tables of a month-long run (every live task, every link's last
//! arrival), several times cheaper than one (no log-n chain of key comparisons, one
//! cache line instead of one per tree level). This type offers no iteration in hash
//! order: [`KeyMap::sorted`] and [`KeyMap::into_sorted`] hand the entries out in key
//! order, at the price of a sort.

use std::borrow::Borrow;
use std::collections::hash_map::Entry;
use std::hash::Hash;

#[allow(clippy::disallowed_types)] // the one wrapper: no iteration is exposed
type Inner<K, V> = std::collections::HashMap<K, V, rustc_hash::FxBuildHasher>;

/// A lookup-only map (FxHash).
#[derive(Clone, Debug)]
pub struct KeyMap<K, V> {
    map: Inner<K, V>,
}

impl<K, V> Default for KeyMap<K, V> {
    fn default() -> Self {
        KeyMap {
            map: Inner::default(),
        }
    }
}

impl<K: Hash + Eq, V> KeyMap<K, V> {
    pub fn get<Q>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get(k)
    }

    pub fn get_mut<Q>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get_mut(k)
    }

    pub fn contains_key<Q>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.contains_key(k)
    }

    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        self.map.insert(k, v)
    }

    pub fn remove<Q>(&mut self, k: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.remove(k)
    }

    pub fn entry(&mut self, k: K) -> Entry<'_, K, V> {
        self.map.entry(k)
    }

    pub fn clear(&mut self) {
        self.map.clear()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The entries in key order, borrowed: for the rare views of a whole table (a
    /// status page, a test). Costs a sort.
    pub fn sorted(&self) -> Vec<(&K, &V)>
    where
        K: Ord,
    {
        self.sorted_where(|_, _| true)
    }

    /// The entries that `keep` selects, in key order: one framework's tasks for an
    /// implicit reconciliation sorts those alone.
    pub fn sorted_where(&self, mut keep: impl FnMut(&K, &V) -> bool) -> Vec<(&K, &V)>
    where
        K: Ord,
    {
        // At most every entry: sized for that rather than grown by doubling.
        let mut v: Vec<(&K, &V)> = Vec::with_capacity(self.map.len());
        v.extend(self.map.iter().filter(|(k, v)| keep(k, v)));
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        v
    }

    /// How many entries `keep` selects (a count has no order to leak).
    pub fn count_where(&self, mut keep: impl FnMut(&K, &V) -> bool) -> usize {
        self.map.iter().filter(|(k, v)| keep(k, v)).count()
    }

    /// The entries in key order, owned (with `sorted`, the only ways to see them all,
    /// so that no caller can depend on the hash order).
    pub fn into_sorted(self) -> Vec<(K, V)>
    where
        K: Ord,
    {
        let mut v: Vec<(K, V)> = self.map.into_iter().collect();
        v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        v
    }
}
