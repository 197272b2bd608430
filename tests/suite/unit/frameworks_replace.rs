//! Unit tests of `src/frameworks/replace.rs`: Marathon's `TaskReplaceActor`, against
//! the expectations of Marathon's own `TaskReplaceActorTest.scala` (1.10), under the
//! names it gives them, and `computeRestartStrategy`'s floating-point rounding.

use schedlab::frameworks::replace::*;
use schedlab::proto::TaskId;

fn id(i: u32) -> TaskId {
    TaskId {
        job: 0,
        index: i,
        attempt: 0,
    }
}

/// Drives a replacement as the Marathon test does: `old` healthy old instances (ids
/// 0..), the kill service confirming each kill at once (the old instance ends and
/// `launchInstances` runs), and new instances (ids 100..) becoming healthy one by one.
/// Returns the number of old instances killed after the start and after each new
/// instance turned healthy, and every `launchQueue.add` count (0s left out).
struct Run {
    kills: Vec<usize>,
    queued: Vec<usize>,
    finished: bool,
}

fn run(n: u32, min: f64, over: f64, old: u32, new_running: u32) -> Run {
    let seen: Vec<Seen> = (0..old)
        .map(|i| Seen {
            id: id(i),
            new: false,
            goal_running: true,
            healthy: true,
        })
        .chain((0..new_running).map(|i| Seen {
            id: id(100 + i),
            new: true,
            goal_running: true,
            healthy: true,
        }))
        .collect();
    let (mut r, first) = Replace::start(n, min, over, &seen);
    let mut killed = 0;
    let mut queued = Vec::new();
    let launch = |r: &mut Replace, queued: &mut Vec<usize>| {
        let q = r.launch();
        if q > 0 {
            queued.push(q);
        }
    };
    launch(&mut r, &mut queued);
    let mut confirm = |r: &mut Replace, kills: Vec<TaskId>, queued: &mut Vec<usize>| {
        for k in kills {
            killed += 1;
            r.old_ended(k);
            launch(r, queued);
        }
        killed
    };
    let mut kills = vec![confirm(&mut r, first, &mut queued)];
    for i in new_running..n {
        let k = r.became_healthy(id(100 + i));
        kills.push(confirm(&mut r, k.into_iter().collect(), &mut queued));
    }
    Run {
        kills,
        queued,
        finished: r.finished(),
    }
}

#[test]
fn replace_with_minimum_running_tasks() {
    // 3 instances, minimumHealthCapacity 0.5: ceil(1.5) = 2 stay, 1 killed at once,
    // all 3 new queued directly; each of the first two new healthy kills one more.
    let r = run(3, 0.5, 1.0, 3, 0);
    assert_eq!(r.kills, [1, 2, 3, 3]);
    assert_eq!(r.queued, [3]);
    assert!(r.finished);
}

#[test]
fn replace_with_rolling_upgrade_without_over_capacity() {
    // (0.5, 0.0): one killed at once, then one queued per confirmed kill.
    let r = run(3, 0.5, 0.0, 3, 0);
    assert_eq!(r.kills, [1, 2, 3, 3]);
    assert_eq!(r.queued, [1, 1, 1]);
    assert!(r.finished);
}

#[test]
fn replace_with_rolling_upgrade_with_minimal_over_capacity() {
    // (1.0, 0.0): "1 task over-capacity is ok": nothing killed at once, one queued,
    // each new healthy instance kills one old and lets one more start.
    let r = run(3, 1.0, 0.0, 3, 0);
    assert_eq!(r.kills, [0, 1, 2, 3]);
    assert_eq!(r.queued, [1, 1, 1]);
    assert!(r.finished);
}

#[test]
fn replace_with_rolling_upgrade_with_2_3_over_capacity() {
    // (1.0, 0.7): floor(3 x 1.7) = 5: two queued directly, one more after the first kill.
    let r = run(3, 1.0, 0.7, 3, 0);
    assert_eq!(r.kills, [0, 1, 2, 3]);
    assert_eq!(r.queued, [2, 1]);
}

#[test]
fn downscale_with_rolling_upgrade_with_1_over_capacity() {
    // 4 old, 3 new wanted, (1.0, 0.3): floor(3 x 1.3) = floor(3.9000000000000004) = 3 =
    // minHealthy <= 4 healthy, so capacity 4; one killed at once (the excess), then one
    // queued per kill, three times.
    let r = run(3, 1.0, 0.3, 4, 0);
    assert_eq!(r.kills, [1, 2, 3, 4]);
    assert_eq!(r.queued, [1, 1, 1]);
    assert!(r.finished);
}

#[test]
fn replace_without_health_checks() {
    // minimumHealthCapacity 0: both old killed at once, all 5 new queued.
    let r = run(5, 0.0, 1.0, 2, 0);
    assert_eq!(r.kills[0], 2);
    assert_eq!(r.queued, [5]);
    assert!(r.finished);
}

#[test]
fn new_and_already_started_tasks_should_not_be_killed() {
    // One old, one new already running: only the old one is killed, 4 more queued.
    let r = run(5, 0.0, 1.0, 1, 1);
    assert_eq!(r.kills[0], 1);
    assert_eq!(r.queued, [4]);
    assert!(r.finished);
}

/// `computeRestartStrategy` computes in floating point without any tolerance:
/// `(n * min).ceil` and `(n * (1 + over)).toInt`.
#[test]
fn restart_strategy_rounds_as_marathon() {
    // (n, min, over, healthy, current) -> (minHealthy, maxCapacity, killNow)
    let rows = [
        ((3, 0.5, 1.0, 3, 3), (2, 6, 1)),
        ((10, 0.7, 0.2, 10, 10), (7, 12, 3)),
        // 25 x 0.28 = 7.000000000000001: 8 must stay healthy.
        ((25, 0.28, 0.0, 25, 25), (8, 25, 17)),
        // 25 x 1.16 = 28.999999999999996: at most 28.
        ((25, 1.0, 0.16, 25, 25), (25, 28, 0)),
        // 100 % / 0 %: one over capacity, nothing killed at once.
        ((4, 1.0, 0.0, 4, 4), (4, 5, 0)),
        // ... but only when the healthy ones fill the capacity.
        ((4, 1.0, 0.0, 3, 3), (4, 4, 0)),
        // Scaling 6 down to 2 during an upgrade: the 4 in excess go at once.
        ((2, 1.0, 0.0, 6, 6), (2, 3, 4)),
        // Unhealthy instances count in the excess, not in healthy.
        ((2, 0.5, 1.0, 1, 5), (1, 4, 3)),
    ];
    for ((n, min, over, healthy, current), (m, c, k)) in rows {
        let s = restart_strategy(n, min, over, healthy, current);
        assert_eq!(
            (s.min_healthy, s.max_capacity, s.kill_now),
            (m, c, k),
            "n {n} min {min} over {over} healthy {healthy} current {current}"
        );
    }
}

/// The kill queue is fixed at the start with the unhealthy old instances first; an old
/// instance that ends on its own keeps its turn, which is then spent on nothing (Marathon
/// finds it gone from the instance tracker and kills no other).
#[test]
fn old_instances_are_killed_unhealthy_first_and_a_spent_turn_kills_nothing() {
    let seen = [
        Seen {
            id: id(0),
            new: false,
            goal_running: true,
            healthy: true,
        },
        Seen {
            id: id(1),
            new: false,
            goal_running: true,
            healthy: false,
        },
        Seen {
            id: id(2),
            new: false,
            goal_running: true,
            healthy: true,
        },
    ];
    // minHealthy ceil(1.5) = 2 of 2 healthy: nothing killed at once; capacity 6.
    let (mut r, kills) = Replace::start(3, 0.5, 1.0, &seen);
    assert!(kills.is_empty());
    assert_eq!(r.launch(), 3);
    assert_eq!(
        r.became_healthy(id(100)),
        Some(id(1)),
        "the unhealthy one first"
    );
    assert_eq!(r.became_healthy(id(100)), None, "once per new instance");
    r.old_ended(id(1));
    r.old_ended(id(0)); // fails on its own
    assert_eq!(r.launch(), 0, "all three new ones were queued");
    assert_eq!(r.became_healthy(id(101)), None, "id 0's turn, spent");
    assert_eq!(r.became_healthy(id(102)), Some(id(2)));
    assert!(!r.finished());
    r.old_ended(id(2));
    assert!(r.finished());
}
