//! One server's watch tables: one-shot watches of the sessions connected to it.
//!
//! As in ZooKeeper, watches live on the server a client is connected to (not on the
//! leader), fire when that server applies the change, and are removed when they fire.
//! A client that moves to another server re-registers its watches there with the last
//! zxid it saw (`SetWatches`); [`Watches::reregister`] fires at once those whose node
//! changed in between, with ZooKeeper's rules (`DataTree.setWatches`).

use super::msg::{SessionId, WatchEvent, WatchKind, WatchType, Zxid};
use super::tree::DataTree;
use std::collections::{BTreeMap, BTreeSet};

type Table = BTreeMap<String, BTreeSet<SessionId>>;

/// Data, exist and child watches by path.
#[derive(Clone, Debug, Default)]
pub struct Watches {
    data: Table,
    exist: Table,
    child: Table,
}

impl Watches {
    fn table(&mut self, t: WatchType) -> &mut Table {
        match t {
            WatchType::Data => &mut self.data,
            WatchType::Exist => &mut self.exist,
            WatchType::Child => &mut self.child,
        }
    }

    pub fn add(&mut self, t: WatchType, path: &str, s: SessionId) {
        self.table(t).entry(path.to_string()).or_default().insert(s);
    }

    /// Removes and returns the sessions a change fires (each once, in id order).
    pub fn trigger(&mut self, ev: &WatchEvent) -> Vec<SessionId> {
        let types: &[WatchType] = match ev.kind {
            WatchKind::NodeCreated | WatchKind::NodeDataChanged => {
                &[WatchType::Data, WatchType::Exist]
            }
            WatchKind::NodeDeleted => &[WatchType::Data, WatchType::Exist, WatchType::Child],
            WatchKind::NodeChildrenChanged => &[WatchType::Child],
        };
        let mut fired = BTreeSet::new();
        for t in types {
            if let Some(s) = self.table(*t).remove(&ev.path) {
                fired.extend(s);
            }
        }
        fired.into_iter().collect()
    }

    /// Forgets a session's watches (it closed, expired or moved to another server).
    pub fn remove_session(&mut self, s: SessionId) {
        for t in [&mut self.data, &mut self.exist, &mut self.child] {
            t.retain(|_, set| {
                set.remove(&s);
                !set.is_empty()
            });
        }
    }

    pub fn clear(&mut self) {
        *self = Watches::default();
    }

    /// Total number of registered watches (for tests and metrics).
    pub fn len(&self) -> usize {
        [&self.data, &self.exist, &self.child]
            .iter()
            .map(|t| t.values().map(|s| s.len()).sum::<usize>())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Re-registers a reconnecting session's watches against `tree`; returns the events
    /// to deliver at once for nodes that changed after `last_zxid`.
    pub fn reregister(
        &mut self,
        tree: &DataTree,
        s: SessionId,
        last_zxid: Zxid,
        watches: &[(WatchType, String)],
    ) -> Vec<WatchEvent> {
        let mut fire = Vec::new();
        for (t, path) in watches {
            let node = tree.get(path);
            let kind = match (t, node) {
                (WatchType::Data, None) | (WatchType::Child, None) => Some(WatchKind::NodeDeleted),
                (WatchType::Data, Some(n)) if n.stat.mzxid > last_zxid => {
                    Some(WatchKind::NodeDataChanged)
                }
                (WatchType::Exist, Some(_)) => Some(WatchKind::NodeCreated),
                (WatchType::Child, Some(n)) if n.stat.pzxid > last_zxid => {
                    Some(WatchKind::NodeChildrenChanged)
                }
                _ => None,
            };
            match kind {
                Some(kind) => fire.push(WatchEvent {
                    kind,
                    path: path.clone(),
                }),
                None => self.add(*t, path, s),
            }
        }
        fire.sort();
        fire.dedup();
        fire
    }
}
