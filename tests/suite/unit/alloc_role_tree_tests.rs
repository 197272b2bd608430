//! Hierarchical roles as Mesos' DRF sorter orders them (issue 24 point 7(c)), pinned to
//! the expectations of Mesos' own `src/tests/sorter_tests.cpp` (`DRFSorterTest.*`, named
//! at each case), and quota on a role tree as Mesos' allocator counts it
//! (`__generateOffers` in `src/master/allocator/mesos/hierarchical.cpp`).
//!
//! A sorter client is a role with one framework: `add` + `activate` is `add_framework`,
//! `allocated` is `add_allocated` (one allocation each), `unallocated` and `update` are
//! `recover`, `deactivate` / `activate` are SUPPRESS / REVIVE, `remove` is
//! `remove_framework`, `updateWeight` is `set_weight`, and a new agent total is
//! `add_agent` on the one agent. Memory is in units of 0.1 of upstream's so that
//! `mem:3.5` is whole; shares are unchanged. Where upstream removes a client, schedlab
//! keeps its role (and its allocation count): every case below has distinct shares
//! where that could matter.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use schedlab::actor::{Time, SEC};
use schedlab::alloc::hierarchical::HierarchicalAllocator;
use schedlab::alloc::{Allocator, AllocatorConfig, FrameworkId, Policy};
use schedlab::resources::Resources;
use std::collections::BTreeMap;

/// One step of a sorter test.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// A client (a role with one framework) is added and activated.
    Add(&'static str),
    /// `allocated(client, cpus, mem)`.
    Alloc(&'static str, f64, f64),
    /// `unallocated(client, cpus, mem)`.
    Unalloc(&'static str, f64, f64),
    Remove(&'static str),
    Deactivate(&'static str),
    Activate(&'static str),
    Weight(&'static str, f64),
    /// The cluster total becomes (cpus, mem).
    Total(f64, f64),
    /// `sort()` returns these clients.
    Expect(&'static [&'static str]),
}
use Step::*;

fn res(cpus: f64, mem: f64) -> Resources {
    Resources::new(cpus, (mem * 10.0).round() as u64)
}

/// Runs `steps` on a fresh allocator with one agent of <100 CPU, 100 mem>, checking the
/// invariants after every step. `name` is the upstream test.
fn run(name: &str, steps: &[Step]) {
    let mut a = HierarchicalAllocator::new(&AllocatorConfig::new(Policy::DRF));
    a.add_agent(0, res(100.0, 100.0));
    let mut fws: BTreeMap<&str, FrameworkId> = BTreeMap::new();
    let mut next: FrameworkId = 0;
    for (i, step) in steps.iter().enumerate() {
        match *step {
            Add(role) => {
                a.add_framework(next, role);
                fws.insert(role, next);
                next += 1;
            }
            Alloc(role, c, m) => a.add_allocated(0, fws[role], res(c, m)),
            Unalloc(role, c, m) => a.recover(0, fws[role], res(c, m)),
            Remove(role) => a.remove_framework(fws.remove(role).expect("added")),
            Deactivate(role) => a.suppress(fws[role], true),
            Activate(role) => a.suppress(fws[role], false),
            Weight(role, w) => a.set_weight(role, w),
            Total(c, m) => a.add_agent(0, res(c, m)),
            Expect(order) => assert_eq!(a.role_order(), order, "{name}, step {i}"),
        }
        if let Err(e) = a.check_invariants() {
            panic!("{name}, step {i} ({step:?}): {e}");
        }
    }
}

/// `DRFSorterTest.DRF`, with the client names of `ShallowHierarchy` (`x` -> `x/x`) and
/// `DeepHierarchy` (each name repeated to its own depth): nesting every client in a
/// branch of its own changes no order.
fn drf_sequence(n: fn(&'static str) -> &'static str) -> Vec<Step> {
    let [a, b, c, d, e, f] = ["a", "b", "c", "d", "e", "f"].map(n);
    let order = |xs: &[&'static str]| -> &'static [&'static str] {
        Box::leak(
            xs.iter()
                .map(|x| n(x))
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        )
    };
    vec![
        Add(a),
        Alloc(a, 5.0, 5.0),
        Add(b),
        Alloc(b, 6.0, 6.0),
        Expect(order(&["a", "b"])),
        Add(c),
        Alloc(c, 1.0, 1.0),
        Add(d),
        Alloc(d, 3.0, 1.0),
        Expect(order(&["c", "d", "a", "b"])),
        Remove(a),
        Unalloc(b, 4.0, 4.0),
        Expect(order(&["c", "b", "d"])),
        Add(e),
        Alloc(e, 1.0, 5.0),
        Total(50.0, 100.0),
        Expect(order(&["c", "b", "e", "d"])),
        Total(50.0, 200.0),
        Add(f),
        Alloc(f, 5.0, 1.0),
        Alloc(c, 0.0, 15.0),
        Expect(order(&["e", "b", "d", "c", "f"])),
        Deactivate(d),
        Expect(order(&["e", "b", "c", "f"])),
        Activate(d),
        Expect(order(&["e", "b", "d", "c", "f"])),
    ]
}

#[test]
fn drf_sorter_orders_of_flat_shallow_and_deep_names() {
    run("DRFSorterTest.DRF", &drf_sequence(|x| x));
    run(
        "DRFSorterTest.ShallowHierarchy",
        &drf_sequence(|x| match x {
            "a" => "a/a",
            "b" => "b/b",
            "c" => "c/c",
            "d" => "d/d",
            "e" => "e/e",
            _ => "f/f",
        }),
    );
    run(
        "DRFSorterTest.DeepHierarchy",
        &drf_sequence(|x| match x {
            "a" => "a/a/a/a/a",
            "b" => "b/b/b/b",
            "c" => "c/c/c",
            "d" => "d/d",
            "e" => "e/e/e/e/e/e",
            _ => "f/f",
        }),
    );
}

/// `DRFSorterTest.HierarchicalAllocation`: a subtree competes by the sum of its
/// clients' allocations; clients added, removed and updated inside it move it.
#[test]
fn hierarchical_allocation() {
    run(
        "DRFSorterTest.HierarchicalAllocation",
        &[
            Add("a"),
            Add("b/c"),
            Add("b/d"),
            Expect(&["a", "b/c", "b/d"]),
            Alloc("a", 6.0, 6.0),
            Expect(&["b/c", "b/d", "a"]),
            Alloc("b/c", 4.0, 4.0),
            Alloc("b/d", 3.0, 3.0),
            // b = 0.07 > a = 0.06.
            Expect(&["a", "b/d", "b/c"]),
            Alloc("a", 2.0, 2.0),
            Expect(&["b/d", "b/c", "a"]),
            Add("b/e/f"),
            Expect(&["b/e/f", "b/d", "b/c", "a"]),
            Alloc("b/e/f", 3.5, 3.5),
            Expect(&["a", "b/d", "b/e/f", "b/c"]),
            Remove("b/e/f"),
            Expect(&["b/d", "b/c", "a"]),
            // `update("b/c", cpus:4 -> cpus:1)`.
            Unalloc("b/c", 3.0, 3.0),
            Expect(&["b/c", "b/d", "a"]),
            Add("b/e/f"),
            Alloc("b/e/f", 3.5, 3.5),
            Expect(&["b/c", "b/d", "b/e/f", "a"]),
        ],
    );
}

/// `DRFSorterTest.HierarchicalIterationOrder`: depth first, and a role with child roles
/// (`d` beside `d/e`) competes with them from its virtual leaf `d/.`, which ties
/// before `d/e` by path.
#[test]
fn hierarchical_iteration_order() {
    run(
        "DRFSorterTest.HierarchicalIterationOrder",
        &[
            Add("a/b"),
            Add("c"),
            Add("d"),
            Add("d/e"),
            Expect(&["a/b", "c", "d", "d/e"]),
            Alloc("c", 8.0, 8.0),
            Expect(&["a/b", "d", "d/e", "c"]),
            Alloc("d", 3.0, 3.0),
            Alloc("d/e", 2.0, 2.0),
            Expect(&["a/b", "d/e", "d", "c"]),
            Alloc("a/b", 6.0, 6.0),
            Expect(&["d/e", "d", "a/b", "c"]),
            // Beyond upstream: the subtree d (0.09) now goes after c (0.08) although
            // its leaf d/. (0.03) is the lowest of all (flat names would put d first).
            Alloc("d/e", 4.0, 4.0),
            Expect(&["a/b", "c", "d", "d/e"]),
        ],
    );
}

/// `DRFSorterTest.AddChildToLeaf`, `AddChildToInternal`, `AddChildToInactiveLeaf`: a
/// role that gets a child role keeps its allocation in its virtual leaf, and a role
/// named after an internal node gets one; an inactive role's allocation still counts
/// for its subtree.
#[test]
fn adding_child_roles() {
    run(
        "DRFSorterTest.AddChildToLeaf",
        &[
            Add("a"),
            Alloc("a", 10.0, 10.0),
            Add("b"),
            Alloc("b", 6.0, 6.0),
            Expect(&["b", "a"]),
            Add("a/c"),
            Alloc("a/c", 5.0, 5.0),
            Expect(&["b", "a/c", "a"]),
            Remove("a"),
            Expect(&["a/c", "b"]),
            Add("a"),
            Alloc("a", 10.0, 10.0),
            Expect(&["b", "a/c", "a"]),
        ],
    );
    run(
        "DRFSorterTest.AddChildToInternal",
        &[
            Add("x/a"),
            Alloc("x/a", 10.0, 10.0),
            Add("x/b"),
            Alloc("x/b", 6.0, 6.0),
            Expect(&["x/b", "x/a"]),
            Add("x"),
            Alloc("x", 7.0, 7.0),
            Expect(&["x/b", "x", "x/a"]),
            Add("z"),
            Alloc("z", 20.0, 20.0),
            Expect(&["z", "x/b", "x", "x/a"]),
            Remove("x"),
            Expect(&["x/b", "x/a", "z"]),
        ],
    );
    run(
        "DRFSorterTest.AddChildToInactiveLeaf",
        &[
            Add("a"),
            Alloc("a", 10.0, 10.0),
            Add("b"),
            Alloc("b", 6.0, 6.0),
            Deactivate("a"),
            Expect(&["b"]),
            Add("a/c"),
            Alloc("a/c", 5.0, 5.0),
            Expect(&["b", "a/c"]),
        ],
    );
}

/// Weights per node (`DRFSorterTest.AddChildToLeaf`, its second half; docs/weights.md):
/// the virtual leaf `a/.` has weight 1 against `a/c`; a weight for `a` weighs the
/// subtree `a` against `b`, not `a` against its own child.
#[test]
fn a_weight_applies_to_its_node_among_its_siblings() {
    let setup = [
        Add("a"),
        Alloc("a", 10.0, 10.0),
        Add("b"),
        Alloc("b", 6.0, 6.0),
        Add("a/c"),
        Alloc("a/c", 5.0, 5.0),
        Expect(&["b", "a/c", "a"]),
    ];
    let weights = [
        Weight("a/c", 0.2),
        // a/c: 0.05 / 0.2 = 0.25 > a/.: 0.10 (weight 1).
        Expect(&["b", "a", "a/c"]),
        Weight("a", 3.0),
        // Subtree a: 0.15 / 3 = 0.05 < b: 0.06; inside a, nothing changes.
        Expect(&["a", "a/c", "b"]),
        Weight("a/c", 1.0),
        Expect(&["a/c", "a", "b"]),
    ];
    run(
        "DRFSorterTest.AddChildToLeaf",
        &[&setup[..], &weights].concat(),
    );
    // A weight set while `a` is still a leaf stays with the node `a` when `a/c` comes:
    // the new virtual leaf `a/.` has weight 1 (`getWeight` of the path `a/.`).
    run(
        "DRFSorterTest.AddChildToLeaf, weight first",
        &[
            Add("a"),
            Alloc("a", 10.0, 10.0),
            Add("b"),
            Alloc("b", 6.0, 6.0),
            Weight("a", 3.0),
            Expect(&["a", "b"]),
            Add("a/c"),
            Alloc("a/c", 5.0, 5.0),
            // Subtree a: 0.15 / 3 < b: 0.06; inside a, a/c 0.05 < a/. 0.10 / 1.
            Expect(&["a/c", "a", "b"]),
        ],
    );
    // `DRFSorterTest.WDRF` (flat): weights still order flat roles as before.
    run(
        "DRFSorterTest.WDRF",
        &[
            Add("a"),
            Alloc("a", 5.0, 5.0),
            Add("b"),
            Weight("b", 2.0),
            Alloc("b", 6.0, 6.0),
            Expect(&["b", "a"]),
            Add("c"),
            Alloc("c", 4.0, 4.0),
            Expect(&["b", "c", "a"]),
            Add("d"),
            Weight("d", 10.0),
            Alloc("d", 10.0, 20.0),
            Expect(&["d", "b", "c", "a"]),
            Remove("b"),
            Expect(&["d", "c", "a"]),
            Alloc("d", 10.0, 25.0),
            Expect(&["c", "d", "a"]),
            Add("e"),
            Weight("e", 0.1),
            Alloc("e", 1.0, 1.0),
            Expect(&["c", "d", "a", "e"]),
        ],
    );
}

fn cpus(c: f64) -> Resources {
    Resources::new(c, 0)
}

/// One framework per role (`fw` in order), greedy: every offer keeps one task of
/// <1 CPU, 1 MiB> and gives back the rest, rounds repeat until nothing is offered.
/// Returns the tasks per framework.
fn fill(a: &mut HierarchicalAllocator, fws: usize) -> Vec<u64> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut tasks = vec![0u64; fws];
    let task = Resources::new(1.0, 1);
    let mut now: Time = 0;
    loop {
        let offers = a.allocate(now, &mut rng);
        if offers.is_empty() {
            return tasks;
        }
        for o in offers {
            if o.resources.contains(&task) {
                tasks[o.framework as usize] += 1;
                a.recover(o.agent, o.framework, o.resources - task);
            } else {
                a.recover(o.agent, o.framework, o.resources);
                a.filter(o.framework, o.agent, Time::MAX);
            }
        }
        a.check_invariants().unwrap();
        now += SEC;
    }
}

/// DRF at each level, through allocation rounds: `eng/web`, `eng/db` and `ops` on 16
/// one-CPU agents get 4, 4 and 8 (the subtree `eng` shares with `ops`, then its two
/// children share `eng`'s half); flat names of the same three roles get a third each.
#[test]
fn rounds_share_by_subtree_then_within_it() {
    let run = |roles: [&str; 3]| {
        let mut a = HierarchicalAllocator::new(&AllocatorConfig::new(Policy::DRF));
        for i in 0..16 {
            a.add_agent(i, Resources::new(1.0, 1024));
        }
        for (fw, role) in roles.iter().enumerate() {
            a.add_framework(fw as FrameworkId, role);
        }
        fill(&mut a, 3)
    };
    assert_eq!(run(["eng/web", "eng/db", "ops"]), vec![4, 4, 8]);
    let flat = run(["web", "db", "ops"]);
    assert!(flat.iter().all(|&t| (5..=6).contains(&t)), "{flat:?}");
}

/// Quota on a role tree as Mesos' allocator counts it: only a top-level role has quota,
/// and what counts toward it is its whole subtree's allocation (`quotaOfferedOrConsumed`
/// of the role tree node, `__generateOffers` in `hierarchical.cpp`). The limit of `q`
/// caps what `q`'s own frameworks are offered by what its subtree holds; a child role
/// has no quota of its own and is not cut by its parent's limit (Mesos' known
/// over-allocation of nested roles, MESOS-7402, which is why it refuses nested quota).
#[test]
fn a_top_level_quota_counts_its_subtree() {
    // 16 agents of <1 CPU, 1 GiB>; q limited to <6 CPU, 6 GiB>; q/child holds 5 agents
    // before q's framework registers.
    let mut a = HierarchicalAllocator::new(&AllocatorConfig::new(Policy::DRF));
    for i in 0..16 {
        a.add_agent(i, Resources::new(1.0, 1024));
    }
    a.set_quota_limit("q", Resources::new(6.0, 6 * 1024));
    a.add_framework(0, "q/child");
    for agent in 0..5 {
        a.add_allocated(agent, 0, Resources::new(1.0, 1024));
    }
    a.add_framework(1, "q");
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let offers = a.allocate(0, &mut rng);
    a.check_invariants().unwrap();
    let to = |fw: FrameworkId| offers.iter().filter(|o| o.framework == fw).count();
    // q's own framework: 6 - 5 = one agent of room.
    assert_eq!(to(1), 1, "{offers:?}");
    assert_eq!(a.allocated(1).cpus, cpus(1.0).cpus);
    // The child is not cut by its parent's limit: it takes every other agent.
    assert_eq!(to(0), 10, "{offers:?}");
    // With the subtree over the limit, q's own framework gets nothing more, whatever
    // is free.
    for o in &offers {
        a.recover(o.agent, o.framework, o.resources);
    }
    a.remove_framework(0);
    a.add_framework(2, "q/child");
    for agent in 0..7 {
        a.add_allocated(agent, 2, Resources::new(1.0, 1024));
    }
    let offers = a.allocate(SEC, &mut rng);
    assert!(offers.iter().all(|o| o.framework == 2), "{offers:?}");
    assert_eq!(a.allocated(1), Resources::ZERO);

    // A guarantee is met by the subtree: q guaranteed 4 CPUs, q/child holds 4, so q's
    // own framework is not served first (stage 1) and nothing is held back for q: a
    // framework of another role with the lower share takes every free agent.
    let mut a = HierarchicalAllocator::new(&AllocatorConfig::new(Policy::DRF));
    for i in 0..8 {
        a.add_agent(i, Resources::new(1.0, 1024));
    }
    a.set_quota("q", Resources::new(4.0, 0));
    a.add_framework(0, "q/child");
    for agent in 0..4 {
        a.add_allocated(agent, 0, Resources::new(1.0, 1024));
    }
    a.suppress(0, true);
    a.add_framework(1, "q");
    a.suppress(1, true);
    a.add_framework(2, "other");
    let offers = a.allocate(0, &mut rng);
    assert_eq!(offers.len(), 4, "{offers:?}");
    assert!(offers.iter().all(|o| o.framework == 2), "{offers:?}");
    // Without the child's allocation, q's guarantee holds 4 agents back from "other".
    let mut b = HierarchicalAllocator::new(&AllocatorConfig::new(Policy::DRF));
    for i in 0..8 {
        b.add_agent(i, Resources::new(1.0, 1024));
    }
    b.set_quota("q", Resources::new(4.0, 0));
    b.add_framework(2, "other");
    assert_eq!(b.allocate(0, &mut rng).len(), 4);
}

/// The allocator API refuses quota on a nested role, as Mesos' quota handler does.
#[test]
#[should_panic(expected = "quota on nested role 'q/child' is not supported")]
fn the_allocator_api_refuses_nested_quota() {
    let mut a = HierarchicalAllocator::new(&AllocatorConfig::new(Policy::DRF));
    a.set_quota("q/child", cpus(1.0));
}
