//! The role tree: the order in which a round visits roles, as Mesos' hierarchical DRF
//! sorter keeps it (`src/master/allocator/mesos/sorter/drf/sorter.{hpp,cpp}`).
//!
//! Role names `a/b/c` form a tree by `/` (docs/roles.md, "Hierarchical Roles"). Every
//! node stands for a subtree of roles: its allocation is the sum of its subtree's, its
//! allocation count the number of allocations made in its subtree, its weight the one
//! configured for its path (`DRFSorter::getWeight`: the weight is looked up by the node's
//! full path, so a weight for `a` weighs `a`'s subtree against `a`'s siblings, not `a`
//! against its own children). The children of a node are kept in DRF order
//! ([`DrfKey`]: weighted dominant share against the cluster total, then allocation
//! count, then path), and the roles are listed depth first (`DRFSorter::sort`).
//!
//! A role that has children of its own (`a` beside `a/b`) keeps its own allocation in a
//! virtual leaf `a/.` that competes with `a/b` under `a` (`DRFSorter::add`, case (b)):
//! its path is `a/.` (so it ties with siblings by that string), its weight is 1 (no
//! weight is ever configured for the path `a/.`), and it starts with the allocation and
//! count `a` had as a leaf. A tree of flat names has one level and orders roles exactly
//! as the flat sorter did.
//!
//! Only subtrees holding a role with an active framework are kept in their parent's
//! sorter: Mesos also sorts the others, but they list no role, and leaving them out
//! changes nobody's place. Updates walk from a role's leaf to the root, one sorter move
//! per level (`O(depth x log siblings)`; `O(log roles)` for flat names).
//!
//! schedlab never forgets a role once named (its weight, quota and counts live on), so
//! nodes are only added. Mesos removes a role from its sorter when its last framework
//! leaves and starts it again at count 0; here its count carries on, as it already did
//! for flat roles.
//!
//! ```
//! use schedlab::alloc::{Allocator, AllocatorConfig, HierarchicalAllocator};
//! use schedlab::resources::Resources;
//!
//! // Upstream `DRFSorterTest.HierarchicalIterationOrder`: d/e (0.02) before d's own
//! // allocation d/. (0.03) inside d (0.05 in all), and a/b (0) first.
//! let mut alloc = HierarchicalAllocator::new(&AllocatorConfig::default());
//! alloc.add_agent(0, Resources::new(100.0, 100));
//! for (fw, role) in [(0, "a/b"), (1, "c"), (2, "d"), (3, "d/e")] {
//!     alloc.add_framework(fw, role);
//! }
//! alloc.add_allocated(0, 1, Resources::new(8.0, 8));
//! alloc.add_allocated(0, 2, Resources::new(3.0, 3));
//! alloc.add_allocated(0, 3, Resources::new(2.0, 2));
//! assert_eq!(alloc.role_order(), vec!["a/b", "d/e", "d", "c"]);
//! ```

use super::drf::{share_key, DrfKey, Sorter, SorterIter};
use super::hierarchical::RoleId;
use crate::resources::Resources;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Index of a node in the tree; 0 is the root.
pub(crate) type NodeId = u32;
const ROOT: NodeId = 0;

/// A node: a subtree of roles (Mesos' `DRFSorter::Node`).
#[derive(Clone, Debug)]
struct Node {
    /// Mesos' node path: the role path, `<role>/.` for a virtual leaf, "" for the root.
    path: Arc<str>,
    parent: NodeId,
    weight: f64,
    /// The subtree's allocation.
    alloc: Resources,
    /// Allocations made in the subtree (Mesos counts an `allocated()` call at every node
    /// on the way up, and subtracts nothing).
    count: u64,
    /// Roles with an active framework in the subtree; a node is in its parent's sorter
    /// exactly while this is not zero.
    active: u32,
    /// (weighted share, count, path), current while the allocator is not stale.
    key: DrfKey<Arc<str>>,
    /// Children with an active role below, in DRF order.
    children: Sorter<Arc<str>>,
    /// Children by path component (the virtual leaf is not among them).
    named: BTreeMap<Box<str>, NodeId>,
    /// For a leaf: the role whose own frameworks it holds.
    role: Option<RoleId>,
}

impl Node {
    fn new(path: Arc<str>, parent: NodeId) -> Node {
        Node {
            key: DrfKey {
                share: Default::default(),
                count: 0,
                name: Arc::clone(&path),
            },
            path,
            parent,
            weight: 1.0,
            alloc: Resources::ZERO,
            count: 0,
            active: 0,
            children: Sorter::default(),
            named: BTreeMap::new(),
            role: None,
        }
    }

    fn compute_key(&self, total: &Resources) -> DrfKey<Arc<str>> {
        DrfKey {
            share: share_key(&self.alloc, total, self.weight),
            count: self.count,
            name: Arc::clone(&self.path),
        }
    }
}

/// The tree of roles (see the module doc). `keys: Option<&Resources>` on the updating
/// methods is the cluster total when keys and sorters are to be kept current, `None`
/// while the allocator is stale (they are rebuilt by [`RoleTree::rebuild`]).
#[derive(Clone, Debug)]
pub(crate) struct RoleTree {
    nodes: Vec<Node>,
    /// Per role: the node of its path and the leaf holding its own allocation (the same
    /// node unless it has children).
    of_role: Vec<(NodeId, NodeId)>,
}

impl Default for RoleTree {
    fn default() -> RoleTree {
        RoleTree {
            nodes: vec![Node::new(Arc::from(""), ROOT)],
            of_role: Vec::new(),
        }
    }
}

impl RoleTree {
    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        (self.nodes.len() - 1) as NodeId
    }

    /// Adds role `r` (the next dense id) named `name`, with the nodes of its ancestors.
    pub(crate) fn add_role(&mut self, r: RoleId, name: &str, keys: Option<&Resources>) {
        assert_eq!(r as usize, self.of_role.len(), "role ids are dense");
        let mut cur = ROOT;
        for comp in name.split('/') {
            if let Some(&n) = self.nodes[cur as usize].named.get(comp) {
                cur = n;
                continue;
            }
            if let Some(owner) = self.nodes[cur as usize].role {
                self.split(cur, owner, keys);
            }
            let path: Arc<str> = match cur {
                ROOT => Arc::from(comp),
                _ => Arc::from(format!("{}/{comp}", self.nodes[cur as usize].path)),
            };
            let n = self.push(Node::new(path, cur));
            self.nodes[cur as usize].named.insert(comp.into(), n);
            cur = n;
        }
        let leaf = if self.nodes[cur as usize].named.is_empty() {
            cur
        } else {
            // An internal node becomes a role too (Mesos' `add`, case (a)).
            let path = Arc::from(format!("{}/.", self.nodes[cur as usize].path));
            self.push(Node::new(path, cur))
        };
        self.nodes[leaf as usize].role = Some(r);
        self.of_role.push((cur, leaf));
    }

    /// `n`, a leaf of role `owner`, gets a child: its allocation moves to a virtual leaf
    /// `<path>/.` under it (Mesos' `add`, case (b)); `n` keeps its key.
    fn split(&mut self, n: NodeId, owner: RoleId, keys: Option<&Resources>) {
        let old = &self.nodes[n as usize];
        let mut v = Node::new(Arc::from(format!("{}/.", old.path)), n);
        (v.alloc, v.count, v.active) = (old.alloc, old.count, old.active);
        v.role = Some(owner);
        if let Some(total) = keys {
            v.key = v.compute_key(total);
        }
        let (key, active) = (v.key.clone(), v.active > 0);
        let v = self.push(v);
        self.nodes[n as usize].role = None;
        self.of_role[owner as usize].1 = v;
        if active && keys.is_some() {
            self.nodes[n as usize].children.insert(key, v);
        }
    }

    /// Recomputes `n`'s key and moves it in its parent's sorter.
    fn refresh(&mut self, n: NodeId, total: &Resources) {
        let node = &mut self.nodes[n as usize];
        let new = node.compute_key(total);
        if new == node.key {
            return;
        }
        let old = std::mem::replace(&mut node.key, new);
        if node.active > 0 {
            let p = node.parent as usize;
            // The parent's sorter is lent out so that the key can be read in place.
            let mut sorter = std::mem::take(&mut self.nodes[p].children);
            sorter.update(n, &old, &self.nodes[n as usize].key);
            self.nodes[p].children = sorter;
        }
    }

    /// Applies `f` to every node from `r`'s leaf up to the root's child, refreshing keys.
    fn walk(&mut self, r: RoleId, keys: Option<&Resources>, f: impl Fn(&mut Node)) {
        let mut n = self.of_role[r as usize].1;
        while n != ROOT {
            f(&mut self.nodes[n as usize]);
            if let Some(total) = keys {
                self.refresh(n, total);
            }
            n = self.nodes[n as usize].parent;
        }
    }

    /// `res` allocated to role `r` in `count` allocations (Mesos' `allocated`).
    pub(crate) fn allocated(
        &mut self,
        r: RoleId,
        res: Resources,
        count: u64,
        keys: Option<&Resources>,
    ) {
        self.walk(r, keys, |n| {
            n.alloc += res;
            n.count += count;
        });
    }

    /// `res` of role `r` given back (Mesos' `unallocated`; counts are kept).
    pub(crate) fn unallocated(&mut self, r: RoleId, res: Resources, keys: Option<&Resources>) {
        self.walk(r, keys, |n| n.alloc -= res);
    }

    /// The weight configured for `r`'s path (Mesos' `updateWeight`: a role with a virtual
    /// leaf weighs its internal node; the leaf `<role>/.` keeps weight 1).
    pub(crate) fn set_weight(&mut self, r: RoleId, weight: f64, keys: Option<&Resources>) {
        let n = self.of_role[r as usize].0;
        self.nodes[n as usize].weight = weight;
        if let Some(total) = keys {
            self.refresh(n, total);
        }
    }

    /// Role `r` got its first active framework (`true`) or lost its last (`false`).
    pub(crate) fn set_active(&mut self, r: RoleId, on: bool, keys: Option<&Resources>) {
        let mut n = self.of_role[r as usize].1;
        while n != ROOT {
            let p = self.nodes[n as usize].parent;
            let node = &mut self.nodes[n as usize];
            if on {
                node.active += 1;
            } else {
                node.active -= 1;
            }
            if let (Some(total), true) = (keys, node.active == u32::from(on)) {
                if on {
                    node.key = node.compute_key(total);
                    let key = node.key.clone();
                    self.nodes[p as usize].children.insert(key, n);
                } else {
                    let key = node.key.clone();
                    self.nodes[p as usize].children.remove(&key, n);
                }
            }
            n = p;
        }
    }

    /// Recomputes every key and sorter (after the cluster total changed).
    pub(crate) fn rebuild(&mut self, total: &Resources) {
        for node in &mut self.nodes {
            node.children.clear();
            node.key = node.compute_key(total);
        }
        for n in 1..self.nodes.len() {
            if self.nodes[n].active > 0 {
                let (p, key) = (self.nodes[n].parent, self.nodes[n].key.clone());
                self.nodes[p as usize].children.insert(key, n as NodeId);
            }
        }
    }

    /// The roles with an active framework, in Mesos' order: depth first, the children of
    /// each node in DRF order (`DRFSorter::sort`).
    pub(crate) fn roles(&self) -> Roles<'_> {
        Roles {
            tree: self,
            top: self.nodes[ROOT as usize].children.iter(),
            deeper: Vec::new(),
        }
    }

    /// The key of `r`'s own node among its siblings (for a top-level role, its place
    /// among the top-level subtrees).
    pub(crate) fn key(&self, r: RoleId) -> &DrfKey<Arc<str>> {
        &self.nodes[self.of_role[r as usize].0 as usize].key
    }

    /// What `r`'s subtree holds (its own and its descendants' allocations).
    pub(crate) fn subtree_alloc(&self, r: RoleId) -> Resources {
        self.nodes[self.of_role[r as usize].0 as usize].alloc
    }

    /// Checks every node against the roles' own allocations, counts and activity: sums,
    /// active counts, and (unless `stale`) keys and sorter membership.
    pub(crate) fn check(
        &self,
        total: &Resources,
        stale: bool,
        role: impl Fn(RoleId) -> (Resources, u64, bool),
    ) -> Result<(), String> {
        let n = self.nodes.len();
        let (mut alloc, mut count, mut active) = (vec![Resources::ZERO; n], vec![0; n], vec![0; n]);
        let mut listed = vec![0usize; n];
        // Children come after their parents: sum bottom-up.
        for i in (1..n).rev() {
            let node = &self.nodes[i];
            if let Some(r) = node.role {
                if !node.named.is_empty() || self.of_role[r as usize].1 != i as NodeId {
                    return Err(format!("role tree: leaf {} out of place", node.path));
                }
                let (a, c, on) = role(r);
                alloc[i] += a;
                count[i] += c;
                active[i] += u32::from(on);
            }
            if (alloc[i], count[i], active[i]) != (node.alloc, node.count, node.active) {
                return Err(format!(
                    "role tree: node {} holds {:?}, its subtree {:?}",
                    node.path,
                    (node.alloc, node.count, node.active),
                    (alloc[i], count[i], active[i])
                ));
            }
            let p = node.parent as usize;
            let (a, c, on) = (alloc[i], count[i], active[i]);
            alloc[p] += a;
            count[p] += c;
            active[p] += on;
            listed[p] += usize::from(node.active > 0);
            if stale {
                continue;
            }
            if node.key != node.compute_key(total) {
                return Err(format!("role tree: node {} has a stale key", node.path));
            }
            if self.nodes[p].children.contains(&node.key, i as NodeId) != (node.active > 0) {
                return Err(format!("role tree: node {} sorter membership", node.path));
            }
        }
        for (node, listed) in self.nodes.iter().zip(listed) {
            if !stale && node.children.len() != listed {
                return Err(format!("role tree: node {:?} sorter size", node.path));
            }
        }
        Ok(())
    }
}

/// Iterator of [`RoleTree::roles`]: a stack of sorter walks, one per level entered
/// (none below the top for flat names, so a flat walk allocates nothing).
pub(crate) struct Roles<'a> {
    tree: &'a RoleTree,
    top: SorterIter<'a, Arc<str>>,
    deeper: Vec<SorterIter<'a, Arc<str>>>,
}

impl Iterator for Roles<'_> {
    type Item = RoleId;

    fn next(&mut self) -> Option<RoleId> {
        loop {
            let next = match self.deeper.last_mut() {
                Some(it) => it.next(),
                None => Some(self.top.next()?),
            };
            let Some(n) = next else {
                self.deeper.pop();
                continue;
            };
            let node = &self.tree.nodes[n as usize];
            match node.role {
                Some(r) => return Some(r),
                None => self.deeper.push(node.children.iter()),
            }
        }
    }
}
