//! Agent failures: health checks, removal, LOST tasks relaunched elsewhere, and what a
//! removed agent meets when it comes back (scenarios/partition.toml).

use schedlab::actor::{ActorId, Time, SEC};
use schedlab::check::Checker;
use schedlab::mesos::agent::Agent;
use schedlab::proto::{Mesos, Msg, Reason, TaskState};
use schedlab::run::Cluster;
use schedlab::scenario::Scenario;
use schedlab::sim::{Observer, SimConfig};
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Default)]
struct Watch {
    checker: Checker,
    /// (time, state, agent actor) of master verdicts on tasks of removed agents.
    verdicts: Vec<(Time, TaskState)>,
}

struct Tap(Rc<RefCell<Watch>>);
impl Observer<Mesos> for Tap {
    fn on_message(&mut self, t: Time, from: ActorId, to: ActorId, msg: &Msg) {
        let mut w = self.0.borrow_mut();
        w.checker.observe(t, from, to, msg);
        if let Msg::Update { status } = msg {
            if status.reason == Reason::AgentRemoved {
                w.verdicts.push((t, status.state));
            }
        }
    }
}

fn partition_scenario(sets: &[&str]) -> Scenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/partition.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Scenario::parse_with_overrides(&text, path, &sets).unwrap()
}

fn run(scn: &Scenario) -> (Cluster, Rc<RefCell<Watch>>) {
    run_tolerating(scn, |_| false)
}

/// Issue 24, point 4 (still present): a status update an agent generates while it has
/// no id (re-registering) names no agent and is never acknowledged. The fix makes the
/// tests that tolerate it strict again.
fn point4(v: &str) -> bool {
    v.contains("names no agent") && v.contains("still unacknowledged")
}

/// As `run`, with violations for which `known` holds let through.
fn run_tolerating(scn: &Scenario, known: fn(&str) -> bool) -> (Cluster, Rc<RefCell<Watch>>) {
    let mut c = Cluster::build(scn, scn.seed, SimConfig::default()).unwrap();
    let w = Rc::new(RefCell::new(Watch::default()));
    c.sim.set_observer(Box::new(Tap(w.clone())));
    while c.sim.peek_time().is_some_and(|t| t <= scn.run.stop) {
        c.sim.step();
        let mut w = w.borrow_mut();
        w.checker.check_state(&c);
        w.checker.violations.retain(|v| !known(v));
        assert!(
            w.checker.violations.is_empty(),
            "{:?}",
            w.checker.violations
        );
    }
    w.borrow_mut().checker.check_end(&c);
    w.borrow_mut().checker.violations.retain(|v| !known(v));
    assert!(
        w.borrow().checker.violations.is_empty(),
        "{:?}",
        w.borrow().checker.violations
    );
    (c, w)
}

fn tasks_on(c: &Cluster, agent: &str) -> usize {
    let id = c.sim.find(agent).unwrap();
    c.sim.actor::<Agent>(id).unwrap().running().count()
}

#[test]
fn partitioned_agent_is_removed_after_75s_and_shut_down_when_it_returns() {
    let scn = partition_scenario(&[]);
    let (c, w) = run(&scn);
    let w = w.borrow();
    // Removed at 100 s + 5 x 15 s, within one ping interval.
    assert_eq!(w.verdicts.len(), 2, "agent-0's 2 tasks are reported");
    for (t, state) in &w.verdicts {
        assert_eq!(*state, TaskState::Lost);
        assert!(*t >= 160 * SEC && *t <= 190 * SEC, "removed at {t}");
    }
    let m = c.master();
    assert_eq!(m.counters().agents_removed, 1);
    assert_eq!(
        m.counters().agents_shutdown,
        1,
        "told to shut down on return"
    );
    // The framework relaunched the 4 tasks elsewhere: 20 run, none on agent-0's old self.
    assert_eq!(m.tasks().len(), 20);
    let ev = c.agent_events();
    assert_eq!(ev.tasks_killed_on_shutdown, 2, "its old tasks were killed");
    assert_eq!(tasks_on(&c, "agent-0"), 0);
    // ... and it came back as a new agent.
    assert_eq!(m.agents().len(), 11);
    assert!(!m.agents()[10].removed && m.agents()[10].hostname == "agent-0");
}

#[test]
fn mesos_1_5_policy_lets_the_agent_reregister() {
    let scn = partition_scenario(&[
        "masters.agent_return=reregister",
        "frameworks.0.partition_aware=true",
    ]);
    let (c, w) = run(&scn);
    let w = w.borrow();
    assert_eq!(w.verdicts.len(), 2);
    assert!(w.verdicts.iter().all(|(_, s)| *s == TaskState::Unreachable));
    let m = c.master();
    assert_eq!(
        (
            m.counters().agents_reregistered,
            m.counters().agents_shutdown
        ),
        (1, 0)
    );
    assert_eq!(m.agents().len(), 10, "same agent id");
    assert!(!m.agents()[0].removed);
    // The framework had replaced the tasks, so it killed the returning ones.
    assert_eq!(tasks_on(&c, "agent-0"), 0);
    assert_eq!(m.tasks().len(), 20);
}

#[test]
fn reregister_policy_kills_tasks_of_frameworks_that_were_told_lost() {
    let scn = partition_scenario(&["masters.agent_return=reregister"]);
    // The master kills those tasks before its re-registration reply: their KILLED
    // updates name no agent (issue 24, point 4; the liveness checks report it).
    let (c, w) = run_tolerating(&scn, point4);
    assert!(w
        .borrow()
        .verdicts
        .iter()
        .all(|(_, s)| *s == TaskState::Lost));
    let m = c.master();
    assert_eq!(m.counters().agents_reregistered, 1);
    assert_eq!(
        tasks_on(&c, "agent-0"),
        0,
        "LOST tasks are killed on re-registration"
    );
}

#[test]
fn crashed_agent_is_removed_and_its_tasks_relaunched() {
    let mut scn = partition_scenario(&[]);
    scn.faults = vec![schedlab::sim::fault::Fault::crash(
        100 * SEC,
        "agent-0",
        None,
    )];
    let (c, w) = run(&scn);
    assert_eq!(w.borrow().verdicts.len(), 2);
    let m = c.master();
    assert_eq!(m.tasks().len(), 20, "all 20 run again on the other agents");
    assert!(m.tasks().sorted().iter().all(|(_, t)| t.agent != 0));
}
