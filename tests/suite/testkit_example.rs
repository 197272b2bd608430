//! How to test your own Mesos framework with `schedlab::testkit`: copy this file.
//!
//! The framework under test here is a small scheduler written against
//! `schedlab::frameworks::core::Scheduler` (the same plumbing schedlab's Marathon-,
//! Chronos-, Aurora- and YARN-like frameworks use): it keeps `copies` workers running,
//! at most one per host. The test starts a simulated cluster around it, steps virtual
//! time, injects faults and asserts on what the agents really run. Every protocol
//! invariant (no over-committed agent, no offer used twice, no task running twice) is
//! checked after every event; a violation panics with the seed that replays it.

use schedlab::actor::{Ctx, SEC};
use schedlab::frameworks::core::{Common, Core, Live, Progress, Scheduler, Slot};
use schedlab::frameworks::FrameworkKind;
use schedlab::proto::{Mesos, TaskId, TaskInfo, TaskRun, TaskState, TaskStatus};
use schedlab::resources::Resources;
use schedlab::scenario::Scenario;
use schedlab::testkit::ClusterBuilder;
use std::collections::BTreeSet;

/// Keeps `copies` one-CPU workers running, one per host.
struct Spread {
    copies: usize,
    /// Hosts of the workers it believes live.
    hosts: BTreeSet<String>,
    next: u32,
}

impl Scheduler for Spread {
    type Timer = (); // no timers of its own

    fn registered(&mut self, _core: &mut Core, _ctx: &mut Ctx<Mesos>) {}

    fn offers(&mut self, _core: &mut Core, ctx: &mut Ctx<Mesos>, slots: &mut [Slot]) {
        for slot in slots {
            let need = Resources::new(1.0, 512);
            if self.hosts.len() < self.copies
                && !self.hosts.contains(&slot.offer.hostname)
                && slot.fits(&need)
            {
                self.next += 1;
                slot.take(TaskInfo {
                    id: TaskId {
                        job: 0,
                        index: self.next,
                        attempt: 0,
                    },
                    resources: need,
                    run: TaskRun {
                        duration: u64::MAX,
                        succeeds: false,
                    }, // a service
                    submitted: ctx.now(),
                    job_tasks: self.copies as u32,
                });
                self.hosts.insert(slot.offer.hostname.clone());
            }
        }
    }

    fn status(
        &mut self,
        _: &mut Core,
        _: &mut Ctx<Mesos>,
        task: &Live,
        _: &TaskStatus,
        ended: bool,
    ) {
        if ended {
            self.hosts.remove(&task.hostname); // lost or failed: launch a replacement
        }
    }

    fn timer(&mut self, _: &mut Core, _: &mut Ctx<Mesos>, _: ()) {}

    fn wants_offers(&self, _core: &Core) -> bool {
        self.hosts.len() < self.copies
    }

    fn pending(&self) -> usize {
        self.copies - self.hosts.len()
    }

    fn progress(&self, _core: &Core) -> Progress {
        Progress::default() // a service: no jobs, no task meant to finish
    }

    fn stats(&self) -> Option<serde_json::Value> {
        None
    }
}

#[test]
fn my_framework_survives_agent_crash_and_partition() {
    let mut tc = ClusterBuilder::new()
        .seed(42)
        .agents(5, 2.0, 4096.0)
        .scheduler(Common::named("spread"), || Spread {
            copies: 3,
            hosts: BTreeSet::new(),
            next: 0,
        })
        .build()
        .unwrap();

    // Step time until the workers run: three, on three different agents.
    assert!(tc.run_until(30 * SEC, |tc| tc.running("spread").len() == 3));
    assert!(tc.per_host("spread").values().all(|&n| n == 1));

    // Crash one of their agents: the master removes it after 75 s (5 missed pings),
    // the task is reported LOST and the framework replaces it elsewhere.
    let victim = tc.running("spread")[0].host.clone();
    tc.kill_agent(&victim);
    tc.run_for(60 * SEC);
    assert_eq!(tc.running("spread").len(), 2, "not yet removed");
    assert!(tc.run_until(60 * SEC, |tc| tc.running("spread").len() == 3));
    assert!(!tc.per_host("spread").contains_key(&victim));

    // Cut another worker's agent off for 2 minutes: it is removed, its task
    // replaced; when it returns it is shut down, so the task never runs twice.
    let cut = tc.running("spread")[0].host.clone();
    tc.partition_agent(&cut, 120 * SEC);
    tc.run_for(5 * 60 * SEC);
    assert_eq!(tc.running("spread").len(), 3);
    assert!(tc.per_host("spread").values().all(|&n| n == 1));

    // The crashed agent comes back as a new agent; nothing changes for the framework.
    tc.restart_agent(&victim);
    tc.run_for(60 * SEC);
    assert_eq!(tc.running("spread").len(), 3);

    // Master failover needs several masters (see the next test).
    assert!(tc.master_failover().is_err());
    tc.finish(); // end-of-run invariants: every launched task accounted for
}

/// The name of the master acting as leader, if one is.
fn leader(tc: &schedlab::testkit::TestCluster) -> Option<String> {
    let c = &tc.cluster;
    c.live_masters()
        .find(|(_, m)| m.is_leading())
        .map(|(id, _)| c.sim.name(id).to_string())
}

#[test]
fn my_framework_survives_a_master_failover() {
    // Three masters elect a leader through a three-server coordination ensemble.
    let mut tc = ClusterBuilder::new()
        .seed(7)
        .masters(3)
        .agents(5, 2.0, 4096.0)
        .scheduler(Common::named("spread"), || Spread {
            copies: 3,
            hosts: BTreeSet::new(),
            next: 0,
        })
        .build()
        .unwrap();
    assert!(tc.run_until(60 * SEC, |tc| tc.running("spread").len() == 3));
    let before: Vec<_> = tc.running("spread").iter().map(|t| t.task).collect();
    let old = leader(&tc).expect("a leader after startup");

    // Crash the leader: its znode lives until its session expires (10 s), then its
    // successor reads the registry and leads; agents and the framework re-register.
    tc.master_failover().unwrap();
    assert!(tc.run_until(60 * SEC, |tc| leader(tc).is_some_and(|l| l != old)));
    tc.run_for(60 * SEC);

    // The same three tasks still run: nothing was lost or relaunched.
    let after: Vec<_> = tc.running("spread").iter().map(|t| t.task).collect();
    assert_eq!(before, after);
    tc.finish();
}

/// A framework kind of your own: `tasks` one-CPU tasks of `duration` each, run once.
/// Its settings are the keys of its `[[frameworks]]` table besides the common ones.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Tiny {
    tasks: u32,
    #[serde(with = "schedlab::units::duration")]
    duration: schedlab::actor::Time,
}

/// `kind = "tiny"`: how the kind is built (the table's reading, writing and checking
/// keep their defaults).
impl FrameworkKind for Tiny {
    const NAME: &'static str = "tiny";
    type Scheduler = TinyScheduler;

    fn validate(&self) -> Result<(), (String, String)> {
        match self.tasks {
            0 => Err(("tasks".into(), "must be at least 1".into())),
            _ => Ok(()),
        }
    }

    fn build(&self, _common: &Common, _seed: u64) -> TinyScheduler {
        TinyScheduler {
            spec: self.clone(),
            launched: 0,
            finished: 0,
        }
    }
}

/// Launches the tasks on whatever offers fit, relaunches none.
struct TinyScheduler {
    spec: Tiny,
    launched: u32,
    finished: u32,
}

impl Scheduler for TinyScheduler {
    type Timer = ();

    fn registered(&mut self, _: &mut Core, _: &mut Ctx<Mesos>) {}

    fn offers(&mut self, _: &mut Core, ctx: &mut Ctx<Mesos>, slots: &mut [Slot]) {
        let need = Resources::new(1.0, 256);
        for slot in slots {
            while self.launched < self.spec.tasks && slot.fits(&need) {
                slot.take(TaskInfo {
                    id: TaskId {
                        job: 0,
                        index: self.launched,
                        attempt: 0,
                    },
                    resources: need,
                    run: TaskRun {
                        duration: self.spec.duration,
                        succeeds: true,
                    },
                    submitted: ctx.now(),
                    job_tasks: self.spec.tasks,
                });
                self.launched += 1;
            }
        }
    }

    fn status(&mut self, _: &mut Core, _: &mut Ctx<Mesos>, _: &Live, s: &TaskStatus, ended: bool) {
        if ended && s.state == TaskState::Finished {
            self.finished += 1;
        }
    }

    fn timer(&mut self, _: &mut Core, _: &mut Ctx<Mesos>, _: ()) {}

    fn wants_offers(&self, _: &Core) -> bool {
        self.launched < self.spec.tasks
    }

    fn pending(&self) -> usize {
        (self.spec.tasks - self.launched) as usize
    }

    fn done(&self, core: &Core) -> bool {
        self.launched == self.spec.tasks && core.tasks.is_empty()
    }

    fn progress(&self, _: &Core) -> Progress {
        Progress {
            jobs_submitted: 1,
            tasks_finished: self.finished as u64,
        }
    }

    fn stats(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({ "launched": self.launched }))
    }
}

const TINY_SCENARIO: &str = r#"
name = "tiny"
[[agents]]
name = "agent"
count = 2
cpus = 2
mem = 2048
[[frameworks]]
kind = "tiny"
name = "mine"
tasks = 6
duration = "10s"
"#;

#[test]
fn a_framework_kind_of_your_own_runs_from_a_scenario() {
    // One line makes `kind = "tiny"` readable in any scenario.
    schedlab::frameworks::register_kind::<Tiny>();
    let scn = Scenario::parse(TINY_SCENARIO, "tiny.toml").unwrap();
    assert_eq!(scn.frameworks[0].kind(), "tiny");
    assert_eq!(scn.frameworks[0].settings::<Tiny>().unwrap().tasks, 6);

    // Through the master to completion: 4 CPUs run 4 tasks, then the other 2.
    let mut tc = ClusterBuilder::from_scenario(scn.clone()).build().unwrap();
    assert!(tc.run_until(120 * SEC, |tc| tc.status("mine").is_some_and(|s| s.done())));
    let s = tc.status("mine").unwrap();
    assert_eq!(
        s.progress(),
        Progress {
            jobs_submitted: 1,
            tasks_finished: 6
        }
    );
    assert_eq!(tc.scheduler::<TinyScheduler>("mine").unwrap().launched, 6);
    assert!(tc.now() >= 20 * SEC, "two rounds of 10 s tasks");
    tc.finish();

    // The driver reads it like any kind: its counters and its own stats.
    let summary = schedlab::run::execute(&scn, &Default::default()).unwrap();
    let f = &summary.frameworks[0];
    assert_eq!((f.kind, f.jobs_submitted, f.tasks_finished), ("tiny", 1, 6));
    let stats = f.stats.as_ref().unwrap();
    assert_eq!(
        (stats["launched"].as_u64(), stats["tasks_launched"].as_u64()),
        (Some(6), Some(6))
    );

    // Its keys are checked like a built-in kind's: path, line and the nearest key.
    let bad = TINY_SCENARIO.replace("tasks = 6", "taks = 6");
    let e = Scenario::parse(&bad, "tiny.toml").unwrap_err().to_string();
    assert!(
        e.contains(
            "tiny.toml:11: key `frameworks.0.taks`: unknown key `taks`; did you mean `tasks`?"
        ),
        "{e}"
    );
    let zero = TINY_SCENARIO.replace("tasks = 6", "tasks = 0");
    let e = Scenario::parse(&zero, "tiny.toml").unwrap_err().to_string();
    assert!(e.contains("must be at least 1"), "{e}");
}

/// A kind can also be given to the test kit directly, without a scenario.
#[test]
fn a_framework_kind_of_your_own_from_the_builder() {
    let mut tc = ClusterBuilder::new()
        .agents(1, 3.0, 4096.0)
        .kind(
            Common::named("mine"),
            Tiny {
                tasks: 3,
                duration: 5 * SEC,
            },
        )
        .build()
        .unwrap();
    assert!(tc.run_until(60 * SEC, |tc| tc.status("mine").is_some_and(|s| s.done())));
    assert_eq!(tc.status("mine").unwrap().progress().tasks_finished, 3);
    tc.finish();
}
