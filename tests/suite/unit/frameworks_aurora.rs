//! Unit tests of `src/frameworks/aurora.rs`: the rules Aurora's own tests pin, case by
//! case under the names they give them.
//!
//! - Preemption victims: `src/test/java/org/apache/aurora/scheduler/preemptor/`
//!   `PreemptionVictimFilterTest.java` (the code: `.../scheduler/preemptor/`
//!   `PreemptionVictimFilter.java`).
//! - Update strategies: `src/test/java/org/apache/aurora/scheduler/updater/strategy/`
//!   `BatchStrategyTest.java`, `QueueStrategyTest.java`, `VariableBatchStrategyTest.java`
//!   (the code: `.../scheduler/updater/strategy/{BatchStrategy,QueueStrategy,
//!   VariableBatchStrategy,ActiveLimitedStrategy}.java`).

use schedlab::frameworks::aurora::UpdateStrategy::{self, Batch, Queue, VariableBatch};
use std::collections::BTreeSet;

fn set(xs: &[u32]) -> BTreeSet<u32> {
    xs.iter().copied().collect()
}

/// One `getNextGroup(idle, active)` call and the group Aurora's test expects.
type Step<'a> = (&'a [u32], &'a [u32], &'a [u32]);

/// Runs a test's calls in order on one strategy, as the Java test does on one instance:
/// `total` is the idle count of the first call (`totalModInstanceCount`).
fn check(name: &str, strategy: UpdateStrategy, forward: bool, steps: &[Step]) {
    let total = steps.first().map_or(0, |s| s.0.len());
    for (k, (idle, active, want)) in steps.iter().enumerate() {
        let got = strategy.next_group(&set(idle), active.len(), total, forward);
        assert_eq!(
            set(&got),
            set(want),
            "{name}, call {k}: getNextGroup({idle:?}, {active:?})"
        );
        assert_eq!(got.len(), want.len(), "{name}, call {k}: no instance twice");
    }
}

/// `BatchStrategyTest`: a group only when nothing is active, at most `batch_size`.
#[test]
fn batch_strategy_as_aurora_batch_strategy_test() {
    let e: &[u32] = &[];
    let cases: Vec<(&str, usize, Vec<Step>)> = vec![
        ("testNoWorkToDo", 2, vec![(e, &[0, 1], e), (e, e, e)]),
        (
            "testWaitForBatchCompletion",
            2,
            vec![
                (&[2, 3], &[0, 1], e),
                (&[2, 3], &[1], e),
                (&[2, 3], e, &[2, 3]),
            ],
        ),
        (
            "testBatchesIgnoreInstanceValues",
            2,
            vec![
                (&[0, 1, 2, 3], e, &[0, 1]),
                (&[1, 2, 3], e, &[1, 2]),
                (&[2, 3], e, &[2, 3]),
                (&[3, 8], e, &[3, 8]),
            ],
        ),
        (
            "testExhausted",
            3,
            vec![
                (&[0, 1, 2], e, &[0, 1, 2]),
                (&[0, 1], e, &[0, 1]),
                (&[1], e, &[1]),
            ],
        ),
        ("testActiveTooLarge", 2, vec![(&[0, 1, 2], &[3, 4, 5], e)]),
    ];
    for (name, n, steps) in cases {
        check(name, Batch(n), true, &steps);
    }
}

/// `QueueStrategyTest`: keeps `batch_size` active, a freed slot refilled at once.
#[test]
fn queue_strategy_as_aurora_queue_strategy_test() {
    let e: &[u32] = &[];
    let cases: Vec<(&str, usize, Vec<Step>)> = vec![
        ("testNoWorkToDo", 2, vec![(e, &[0, 1], e), (e, e, e)]),
        (
            "testFillsQueue",
            3,
            vec![
                (&[0, 1, 2, 3, 4, 5], e, &[0, 1, 2]),
                (&[2, 3, 4], &[0, 1], &[2]),
            ],
        ),
        (
            "testNonContiguous",
            3,
            vec![(&[0, 1, 3, 5, 8], e, &[0, 1, 3]), (&[5, 8], &[3], &[5, 8])],
        ),
        (
            "testExhausted",
            3,
            vec![
                (&[0, 1, 2], e, &[0, 1, 2]),
                (&[0, 1], e, &[0, 1]),
                (&[1], e, &[1]),
            ],
        ),
        ("testActiveTooLarge", 2, vec![(&[0, 1, 2], &[3, 4, 5], e)]),
    ];
    for (name, n, steps) in cases {
        check(name, Queue(n), true, &steps);
    }
}

/// `VariableBatchStrategyTest`: batches of the listed sizes, the last repeating; a
/// rollback (descending order, `rollingForward` false) undoes the forward groups from
/// the last.
#[test]
fn variable_batch_strategy_as_aurora_variable_batch_strategy_test() {
    let e: &[u32] = &[];
    let ten: &[u32] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    let cases: Vec<(&str, Vec<usize>, bool, Vec<Step>)> = vec![
        (
            "testNoWorkToDo",
            vec![2],
            true,
            vec![(e, &[0, 1], e), (e, e, e)],
        ),
        (
            "testVariableBatchCompletion",
            vec![2],
            true,
            vec![
                (&[2, 3], &[0, 1], e),
                (&[2, 3], &[1], e),
                (&[2, 3], e, &[2, 3]),
            ],
        ),
        (
            "testBatchesIgnoreInstanceValues",
            vec![2],
            true,
            vec![
                (&[0, 1, 2, 3], e, &[0, 1]),
                (&[1, 2, 3], e, &[1, 2]),
                (&[2, 3], e, &[2, 3]),
                (&[3, 8], e, &[3, 8]),
            ],
        ),
        (
            "testExhausted",
            vec![3],
            true,
            vec![
                (&[0, 1, 2], e, &[0, 1, 2]),
                (&[0, 1], e, &[0, 1]),
                (&[1], e, &[1]),
            ],
        ),
        (
            "testActiveTooLarge",
            vec![2],
            true,
            vec![(&[0, 1, 2], &[3, 4, 5], e)],
        ),
        (
            "testIncreasingGroupSizes",
            vec![1, 2, 3],
            true,
            vec![
                (&[0, 1, 2, 3, 4, 5], e, &[0]),
                (&[1, 2, 3, 4, 5], e, &[1, 2]),
                (&[3, 4, 5], e, &[3, 4, 5]),
            ],
        ),
        (
            "testDecreasingGroupSizes",
            vec![3, 2, 1],
            true,
            vec![
                (&[0, 1, 2, 3, 4, 5], e, &[0, 1, 2]),
                (&[3, 4, 5], e, &[3, 4]),
                (&[5], e, &[5]),
            ],
        ),
        (
            "testSeeSawGroupSizes",
            vec![1, 3, 2, 4],
            true,
            vec![
                (ten, e, &[0]),
                (&ten[1..], e, &[1, 2, 3]),
                (&ten[4..], e, &[4, 5]),
                (&ten[6..], e, &[6, 7, 8, 9]),
            ],
        ),
        (
            "testMoreInstancesThanSumOfGroupSizes",
            vec![1, 2],
            true,
            vec![
                (ten, e, &[0]),
                (&ten[1..], e, &[1, 2]),
                (&ten[3..], e, &[3, 4]),
                (&ten[5..], e, &[5, 6]),
                (&ten[7..], e, &[7, 8]),
                (&ten[9..], e, &[9]),
            ],
        ),
        (
            "testRollback",
            vec![1, 2, 3],
            false,
            vec![
                (&[0, 1, 2, 3, 4, 5], e, &[3, 4, 5]),
                (&[0, 1, 2], e, &[1, 2]),
                (&[0], e, &[0]),
            ],
        ),
        (
            "testRollbackMidWay",
            vec![1, 2, 3],
            false,
            vec![(&[0, 1, 2], e, &[1, 2]), (&[0], e, &[0])],
        ),
        (
            "testRollbackOverflow",
            vec![1, 2],
            false,
            vec![
                (&[0, 1, 2, 3, 4, 5, 6], e, &[5, 6]),
                (&[0, 1, 2, 3, 4], e, &[4, 3]),
                (&[0, 1, 2], e, &[2, 1]),
                (&[0], e, &[0]),
            ],
        ),
    ];
    for (name, sizes, forward, steps) in cases {
        check(name, VariableBatch(sizes), forward, &steps);
    }
}

/// The update order (`UpdateFactory`'s `updateOrder`): ascending instance ids rolling
/// forward, descending rolling back, for every strategy.
#[test]
fn update_order_is_ascending_forward_and_descending_back() {
    let idle = set(&[0, 1, 2, 3, 4, 5]);
    for s in [Batch(2), Queue(2), VariableBatch(vec![2])] {
        assert_eq!(s.next_group(&idle, 0, 6, true), vec![0, 1], "{s:?}");
        assert_eq!(s.next_group(&idle, 0, 6, false), vec![5, 4], "{s:?}");
    }
}

/// Bad strategy keys are refused at validation, naming the key and the job.
#[test]
fn update_strategy_keys_are_validated() {
    use schedlab::frameworks::aurora::AuroraSpec;
    use schedlab::frameworks::FrameworkKind;
    let spec = |keys: &str| -> AuroraSpec {
        toml::from_str(&format!(
            "[[jobs]]\nname = \"web\"\ninstances = 2\ncpus = 1\nmem = 1\n\
             [[updates]]\nat = \"1min\"\njob = \"web\"\n{keys}"
        ))
        .unwrap()
    };
    for (keys, key) in [
        ("batch_size = 0", "batch_size"),
        ("strategy = \"queue\"\nbatch_sizes = [1, 2]", "batch_sizes"),
        ("strategy = \"variable_batch\"", "batch_sizes"),
        (
            "strategy = \"variable_batch\"\nbatch_sizes = [2, 0]",
            "batch_sizes",
        ),
        (
            "strategy = \"variable_batch\"\nbatch_size = 2\nbatch_sizes = [2]",
            "batch_size",
        ),
    ] {
        let (k, msg) = spec(keys).validate().unwrap_err();
        assert_eq!(k, key, "{keys}");
        assert!(msg.contains("`web`"), "{keys}: {msg}");
    }
    for keys in [
        "",
        "batch_size = 3",
        "strategy = \"queue\"\nbatch_size = 3",
        "strategy = \"variable_batch\"\nbatch_sizes = [1, 2, 5]",
    ] {
        spec(keys).validate().unwrap();
    }
    assert!(toml::from_str::<AuroraSpec>(
        "[[jobs]]\nname = \"web\"\ninstances = 2\ncpus = 1\nmem = 1\n\
         [[updates]]\nat = \"1min\"\njob = \"web\"\nstrategy = \"rolling\""
    )
    .is_err());
}

// ---------------------------------------------------------------- preemption victims

use schedlab::frameworks::aurora::{preemption_victims, AuroraJob, Victim};
use schedlab::proto::TaskId;
use schedlab::resources::Resources;

/// A job of `role`, production or not, of `priority`.
fn job(role: &str, production: bool, priority: i32) -> AuroraJob {
    let tier = if production {
        "production"
    } else {
        "preemptible"
    };
    toml::from_str(&format!(
        "name = \"j\"\ninstances = 1\ncpus = 1\nmem = 1\nrole = \"{role}\"\n\
         tier = \"{tier}\"\npriority = {priority}"
    ))
    .unwrap()
}

fn res(cpus: f64, mem: u64) -> Resources {
    Resources::new(cpus, mem)
}

/// A running task in the test: (name, role, production, priority, cpus, mem).
type Running<'a> = (&'a str, &'a str, bool, i32, f64, u64);

/// `PreemptionVictimFilterTest`, case by case: the pending task (role, production,
/// priority, cpus, mem), the slack offer on the host (none: zero), the tasks on the host
/// in the order the test passes them, and the victims it expects (none: `None`). The
/// tests that mock the scheduling filter to accept anything give their tasks no size;
/// here those tasks get one CPU and the pending task one CPU, which the first victim in
/// Aurora's order satisfies, as the mock does.
#[test]
fn preemption_victims_as_aurora_preemption_victim_filter_test() {
    #[allow(clippy::type_complexity)]
    let cases: Vec<(
        &str,
        (&str, bool, i32, f64, u64),
        Resources,
        Vec<Running>,
        Option<Vec<&str>>,
    )> = vec![
        (
            "testPreempted",
            ("A", false, 100, 1.0, 0),
            Resources::ZERO,
            vec![("low", "A", false, 0, 1.0, 0)],
            Some(vec!["low"]),
        ),
        (
            "testLowestPriorityPreempted",
            ("A", false, 100, 1.0, 0),
            Resources::ZERO,
            vec![("lower", "A", false, 1, 1.0, 0)],
            Some(vec!["lower"]),
        ),
        (
            "testOnePreemptableTask",
            ("A", false, 98, 1.0, 0),
            Resources::ZERO,
            vec![
                ("high", "A", false, 100, 1.0, 0),
                ("lower", "A", false, 99, 1.0, 0),
                ("lowest", "A", false, 1, 1.0, 0),
            ],
            Some(vec!["lowest"]),
        ),
        (
            "testHigherPriorityRunning",
            ("A", false, 0, 1.0, 0),
            Resources::ZERO,
            vec![("high", "A", false, 100, 1.0, 0)],
            None,
        ),
        (
            "testProductionPreemptingNonproduction",
            ("A", true, -1000, 1.0, 0),
            Resources::ZERO,
            vec![("a1", "A", false, 100, 1.0, 0)],
            Some(vec!["a1"]),
        ),
        (
            "testProductionPreemptingNonproductionAcrossUsers",
            ("A", true, -1000, 1.0, 0),
            Resources::ZERO,
            vec![("a1", "B", false, 100, 1.0, 0)],
            Some(vec!["a1"]),
        ),
        (
            "testProductionUsersDoNotPreemptEachOther",
            ("A", true, 1000, 1.0, 0),
            Resources::ZERO,
            vec![("a1", "B", true, 0, 1.0, 0)],
            None,
        ),
        (
            "testProductionPreemptingManyNonProduction",
            ("B", true, 0, 2.0, 1024),
            Resources::ZERO,
            vec![
                ("a1", "A", false, 0, 1.0, 512),
                ("b1", "B", false, 0, 1.0, 512),
            ],
            Some(vec!["a1", "b1"]),
        ),
        (
            "testMinimalSetPreempted",
            ("C", true, 0, 2.0, 1024),
            Resources::ZERO,
            vec![
                ("b1", "B", false, 0, 1.0, 512),
                ("b2", "B", false, 0, 1.0, 512),
                ("a1", "A", false, 0, 4.0, 4096),
            ],
            Some(vec!["a1"]),
        ),
        (
            "testProductionJobNeverPreemptsProductionJob",
            ("B", true, 0, 1.0, 512),
            Resources::ZERO,
            vec![("p1", "A", true, 0, 2.0, 1024)],
            None,
        ),
        (
            "testPreemptWithOfferAndTask",
            ("B", true, 0, 2.0, 1024),
            res(1.0, 512).with_disk(1),
            vec![("a1", "A", false, 0, 1.0, 512)],
            Some(vec!["a1"]),
        ),
        (
            "testPreemptWithOfferAndMultipleTasks",
            ("B", true, 0, 4.0, 2048),
            res(2.0, 1024).with_disk(1),
            vec![
                ("a1", "A", false, 0, 1.0, 512),
                ("a2", "A", false, 0, 1.0, 512),
            ],
            Some(vec!["a1", "a2"]),
        ),
        (
            "testNoPreemptionVictims",
            ("A", true, 0, 1.0, 0),
            Resources::ZERO,
            vec![],
            None,
        ),
        // The cases. Largest first: CPU decides, then RAM; the declaration
        // order does not matter, and the minimal prefix of that order is taken.
        (
            "RAM breaks a CPU tie",
            ("C", true, 0, 2.0, 1024),
            res(1.0, 4096),
            vec![
                ("small", "A", false, 0, 1.0, 1024),
                ("large", "A", false, 0, 1.0, 2048),
                ("tiny", "A", false, 0, 1.0, 512),
            ],
            Some(vec!["large"]),
        ),
        (
            "without slack two victims, largest first",
            ("C", true, 0, 2.0, 1024),
            Resources::ZERO,
            vec![
                ("small", "A", false, 0, 1.0, 1024),
                ("large", "A", false, 0, 1.0, 2048),
                ("tiny", "A", false, 0, 1.0, 512),
            ],
            Some(vec!["large", "small"]),
        ),
        (
            "not enough even with every victim",
            ("C", true, 0, 8.0, 1024),
            res(1.0, 0),
            vec![
                ("a", "A", false, 0, 2.0, 512),
                ("b", "A", false, 0, 2.0, 512),
            ],
            None,
        ),
        (
            "same tier: own role, strictly lower priority only",
            ("A", false, 5, 1.0, 0),
            Resources::ZERO,
            vec![
                ("other-role", "B", false, 0, 4.0, 0),
                ("same-prio", "A", false, 5, 4.0, 0),
                ("production", "A", true, 0, 4.0, 0),
                ("lower", "A", false, 4, 1.0, 0),
            ],
            Some(vec!["lower"]),
        ),
    ];
    for (name, (role, prod, prio, cpus, mem), slack, running, want) in cases {
        let jobs: Vec<AuroraJob> = running
            .iter()
            .map(|&(_, r, p, pr, _, _)| job(r, p, pr))
            .collect();
        let victims: Vec<Victim> = running
            .iter()
            .enumerate()
            .map(|(k, &(_, _, _, _, c, m))| Victim {
                task: TaskId {
                    job: k as u64,
                    index: 0,
                    attempt: 0,
                },
                job: &jobs[k],
                resources: res(c, m),
            })
            .collect();
        let got =
            preemption_victims(&job(role, prod, prio), &res(cpus, mem), slack, &victims).map(|v| {
                v.iter()
                    .map(|t| running[t.job as usize].0)
                    .collect::<Vec<_>>()
            });
        assert_eq!(got, want, "{name}");
    }
}

/// A job of `role` in `tier` (`production`, `preemptible` or `revocable`).
fn tier_job(role: &str, tier: &str, priority: i32) -> AuroraJob {
    toml::from_str(&format!(
        "name = \"j\"\ninstances = 1\ncpus = 1\nmem = 1\nrole = \"{role}\"\n\
         tier = \"{tier}\"\npriority = {priority}"
    ))
    .unwrap()
}

/// Aurora's `PreemptionVictimFilter` (issue 26 point 7): the offer slack is its
/// non-revocable part (`getNonRevocableOfferResources`), and a revocable victim frees
/// its RAM but not its CPUs (`bag.filter(IS_MESOS_REVOCABLE.negate())`); the victims
/// are still sorted by their whole size.
#[test]
fn revocable_cpus_never_count_toward_a_preemption() {
    let prod = tier_job("web", "production", 0);
    let spare = tier_job("batch", "revocable", 0);
    let plain = tier_job("batch", "preemptible", 0);
    let id = |k: u64| TaskId {
        job: k,
        index: 0,
        attempt: 0,
    };
    // r: revocable, 2 CPUs (revocable) and 2 GiB; p: preemptible, 1 CPU, 512 MiB.
    let r = spare.tier.task_resources(2.0, 2048);
    assert_eq!((r.cpus, r.revocable_cpus), (0, 2000));
    let victims = vec![
        Victim {
            task: id(0),
            job: &spare,
            resources: r,
        },
        Victim {
            task: id(1),
            job: &plain,
            resources: res(1.0, 512),
        },
    ];
    // Slack of one regular CPU. r is the largest (2 CPUs) and goes first, but its CPUs
    // do not count: 1 + 0 CPUs do not hold 2, so p is needed too. Counting them, r
    // alone would do.
    assert_eq!(
        preemption_victims(&prod, &res(2.0, 1024), res(1.0, 0), &victims),
        Some(vec![id(0), id(1)])
    );
    // Slack of two revocable CPUs only: not counted, and p's one CPU is not enough
    // with r's zero. Counting the revocable slack, p alone would do.
    let revocable_slack = Resources::revocable(2.0);
    assert_eq!(
        preemption_victims(&prod, &res(2.0, 1024), revocable_slack, &victims),
        None
    );
    // A revocable pending task needs CPUs as a quantity: regular ones freed count.
    let pending = tier_job("batch", "revocable", 1);
    let need = pending.tier.task_resources(1.0, 256);
    assert_eq!(
        preemption_victims(&pending, &need, Resources::ZERO, &victims[1..]),
        Some(vec![id(1)])
    );
}

/// `PreemptionVictimFilter.preemptionFilter` over the three default tiers (Aurora's
/// `tiers.json`: preferred, preemptible, revocable): a non-preemptible task preempts
/// any preemptible one; equal preemptibility (preemptible and revocable are both
/// preemptible) needs the same role and a strictly higher priority.
#[test]
fn preemption_rules_over_the_three_tiers() {
    let cases = [
        // (pending tier, role, priority), (victim tier, role, priority), may preempt
        (("production", "a", 0), ("revocable", "b", 9), true),
        (("production", "a", 0), ("preemptible", "b", 9), true),
        (("revocable", "a", 9), ("production", "a", 0), false),
        (("revocable", "a", 2), ("preemptible", "a", 1), true),
        (("preemptible", "a", 2), ("revocable", "a", 1), true),
        (("revocable", "a", 2), ("preemptible", "b", 1), false),
        (("revocable", "a", 1), ("revocable", "a", 1), false),
        (("production", "a", 2), ("production", "a", 1), true),
        (("production", "a", 2), ("production", "b", 1), false),
    ];
    for ((pt, pr, pp), (vt, vr, vp), want) in cases {
        let got =
            schedlab::frameworks::aurora::may_preempt(&tier_job(pr, pt, pp), &tier_job(vr, vt, vp));
        assert_eq!(got, want, "{pt}/{pr}/{pp} over {vt}/{vr}/{vp}");
    }
}
