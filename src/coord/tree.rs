//! The znode tree and the session table: the replicated state machine.
//!
//! Every server holds one [`DataTree`] and applies committed transactions ([`Txn`]) to
//! it in zxid order, so all copies agree. The ensemble leader turns a client's write
//! into a transaction with [`DataTree::prepare`] against its *speculative* copy (the
//! committed tree plus every outstanding proposal), as ZooKeeper's
//! `PrepRequestProcessor` does: the transaction is fully resolved (the sequential
//! name chosen, the version checked), so applying it can not fail and needs no
//! decision on a follower.
//!
//! ZooKeeper facts modelled: a sequential node's name is its path plus the parent's
//! `cversion` as 10 zero-padded digits (the count of child creations and deletions so
//! far); an ephemeral node can have no children; a node with children can not be
//! deleted; closing (or expiring) a session deletes its ephemeral nodes.

use super::msg::{CoordError, Op, OpResult, SessionId, Stat, WatchEvent, WatchKind, Zxid};
use crate::actor::Time;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A replicated state change, as written in the log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Txn {
    CreateSession {
        session: SessionId,
        timeout: Time,
    },
    /// A session closed by its client or expired by the leader: its ephemerals go.
    CloseSession {
        session: SessionId,
    },
    Create {
        path: String,
        data: Vec<u8>,
        ephemeral_owner: Option<SessionId>,
    },
    Delete {
        path: String,
    },
    SetData {
        path: String,
        data: Vec<u8>,
    },
}

/// One znode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Znode {
    pub data: Vec<u8>,
    pub stat: Stat,
    pub children: BTreeSet<String>,
}

/// The znode tree plus the table of open sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataTree {
    nodes: BTreeMap<String, Znode>,
    sessions: BTreeMap<SessionId, Time>,
    ephemerals: BTreeMap<SessionId, BTreeSet<String>>,
    /// The last transaction applied.
    pub last_zxid: Zxid,
}

impl Default for DataTree {
    fn default() -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert("/".to_string(), Znode::default());
        DataTree {
            nodes,
            sessions: BTreeMap::new(),
            ephemerals: BTreeMap::new(),
            last_zxid: 0,
        }
    }
}

/// Checks a znode path: `/`, or `/a/b` with no empty component and no trailing `/`.
pub fn valid_path(path: &str) -> bool {
    path == "/" || (path.starts_with('/') && !path.ends_with('/') && !path.contains("//"))
}

/// The parent of a valid path other than `/`.
pub fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// The last component of a path.
pub fn name_of(path: &str) -> &str {
    &path[path.rfind('/').map_or(0, |i| i + 1)..]
}

/// Joins a parent path and a child name.
pub fn child_path(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// The sequence number at the end of a sequential node's name, if it has one.
pub fn sequence_of(name: &str) -> Option<u64> {
    let n = name.len();
    if n < 10 {
        return None;
    }
    let tail = &name[n - 10..];
    tail.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| tail.parse().ok())
        .flatten()
}

impl DataTree {
    pub fn get(&self, path: &str) -> Option<&Znode> {
        self.nodes.get(path)
    }

    pub fn has_session(&self, s: SessionId) -> bool {
        self.sessions.contains_key(&s)
    }

    /// Open sessions and their negotiated timeouts.
    pub fn sessions(&self) -> impl Iterator<Item = (SessionId, Time)> + '_ {
        self.sessions.iter().map(|(s, t)| (*s, *t))
    }

    /// Paths of the ephemeral nodes a session owns.
    pub fn ephemerals_of(&self, s: SessionId) -> Vec<String> {
        self.ephemerals
            .get(&s)
            .map(|e| e.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Turns a client's write into a resolved transaction, or says why it fails.
    pub fn prepare(&self, session: SessionId, op: &Op) -> Result<Txn, CoordError> {
        if !self.has_session(session) {
            return Err(CoordError::SessionExpired);
        }
        if !valid_path(op.path()) {
            return Err(CoordError::BadArguments);
        }
        match op {
            Op::Create {
                path,
                data,
                ephemeral,
                sequential,
            } => {
                if path == "/" {
                    return Err(CoordError::NodeExists);
                }
                let parent_path = parent_of(path);
                let parent = self.nodes.get(parent_path).ok_or(CoordError::NoNode)?;
                if parent.stat.ephemeral_owner.is_some() {
                    return Err(CoordError::NoChildrenForEphemerals);
                }
                let path = if *sequential {
                    format!("{path}{:010}", parent.stat.cversion)
                } else {
                    path.clone()
                };
                if self.nodes.contains_key(&path) {
                    return Err(CoordError::NodeExists);
                }
                Ok(Txn::Create {
                    path,
                    data: data.clone(),
                    ephemeral_owner: ephemeral.then_some(session),
                })
            }
            Op::Delete { path, version } => {
                if path == "/" {
                    return Err(CoordError::BadArguments);
                }
                let node = self.nodes.get(path).ok_or(CoordError::NoNode)?;
                if version.is_some_and(|v| v != node.stat.version) {
                    return Err(CoordError::BadVersion);
                }
                if !node.children.is_empty() {
                    return Err(CoordError::NotEmpty);
                }
                Ok(Txn::Delete { path: path.clone() })
            }
            Op::SetData {
                path,
                data,
                version,
            } => {
                let node = self.nodes.get(path).ok_or(CoordError::NoNode)?;
                if version.is_some_and(|v| v != node.stat.version) {
                    return Err(CoordError::BadVersion);
                }
                Ok(Txn::SetData {
                    path: path.clone(),
                    data: data.clone(),
                })
            }
            _ => Err(CoordError::BadArguments),
        }
    }

    /// Answers a read from this copy of the tree.
    pub fn read(&self, op: &Op) -> Result<OpResult, CoordError> {
        if !valid_path(op.path()) {
            return Err(CoordError::BadArguments);
        }
        match op {
            Op::GetData { path, .. } => {
                let n = self.nodes.get(path).ok_or(CoordError::NoNode)?;
                Ok(OpResult::Data(n.data.clone(), n.stat.clone()))
            }
            Op::Exists { path, .. } => Ok(OpResult::Exists(
                self.nodes.get(path).map(|n| n.stat.clone()),
            )),
            Op::GetChildren { path, .. } => {
                let n = self.nodes.get(path).ok_or(CoordError::NoNode)?;
                Ok(OpResult::Children(n.children.iter().cloned().collect()))
            }
            _ => Err(CoordError::BadArguments),
        }
    }

    /// Applies a committed (or, on the leader's speculative copy, proposed) transaction
    /// and returns the watch events it fires, in order.
    pub fn apply(&mut self, zxid: Zxid, txn: &Txn) -> Vec<WatchEvent> {
        self.last_zxid = self.last_zxid.max(zxid);
        let mut events = Vec::new();
        match txn {
            Txn::CreateSession { session, timeout } => {
                self.sessions.insert(*session, *timeout);
            }
            Txn::CloseSession { session } => {
                for path in self.ephemerals_of(*session) {
                    self.delete(zxid, &path, &mut events);
                }
                self.sessions.remove(session);
                self.ephemerals.remove(session);
            }
            Txn::Create {
                path,
                data,
                ephemeral_owner,
            } => {
                let parent_path = parent_of(path);
                let Some(parent) = self.nodes.get_mut(parent_path) else {
                    debug_assert!(false, "create {path}: no parent (txn not prepared)");
                    return events;
                };
                parent.children.insert(name_of(path).to_string());
                parent.stat.cversion += 1;
                parent.stat.pzxid = zxid;
                parent.stat.num_children = parent.children.len() as u32;
                self.nodes.insert(
                    path.clone(),
                    Znode {
                        data: data.clone(),
                        stat: Stat {
                            czxid: zxid,
                            mzxid: zxid,
                            pzxid: zxid,
                            ephemeral_owner: *ephemeral_owner,
                            ..Stat::default()
                        },
                        children: BTreeSet::new(),
                    },
                );
                if let Some(s) = ephemeral_owner {
                    self.ephemerals.entry(*s).or_default().insert(path.clone());
                }
                events.push(WatchEvent {
                    kind: WatchKind::NodeCreated,
                    path: path.clone(),
                });
                events.push(WatchEvent {
                    kind: WatchKind::NodeChildrenChanged,
                    path: parent_path.to_string(),
                });
            }
            Txn::Delete { path } => self.delete(zxid, path, &mut events),
            Txn::SetData { path, data } => {
                if let Some(n) = self.nodes.get_mut(path) {
                    n.data = data.clone();
                    n.stat.version += 1;
                    n.stat.mzxid = zxid;
                    events.push(WatchEvent {
                        kind: WatchKind::NodeDataChanged,
                        path: path.clone(),
                    });
                }
            }
        }
        events
    }

    fn delete(&mut self, zxid: Zxid, path: &str, events: &mut Vec<WatchEvent>) {
        let Some(node) = self.nodes.remove(path) else {
            return;
        };
        debug_assert!(node.children.is_empty(), "deleting {path} with children");
        if let Some(s) = node.stat.ephemeral_owner {
            if let Some(e) = self.ephemerals.get_mut(&s) {
                e.remove(path);
            }
        }
        let parent_path = parent_of(path);
        if let Some(parent) = self.nodes.get_mut(parent_path) {
            parent.children.remove(name_of(path));
            parent.stat.cversion += 1;
            parent.stat.pzxid = zxid;
            parent.stat.num_children = parent.children.len() as u32;
        }
        events.push(WatchEvent {
            kind: WatchKind::NodeDeleted,
            path: path.to_string(),
        });
        events.push(WatchEvent {
            kind: WatchKind::NodeChildrenChanged,
            path: parent_path.to_string(),
        });
    }
}
