//! Mesos 1.x behaviour of the master, pinned against Mesos' own tests and docs (issue
//! 24): health checks from registration, removal and return under both
//! `agent_return` policies, reconciliation answers, operator "mark gone", registry
//! garbage collection, the registry across a failover, Mesos' metric names, and no
//! task before a registration reply. Each test names the upstream source it follows.

use schedlab::actor::{Actor, ActorId, Ctx, Time, TimerId, SEC};
use schedlab::alloc::{AgentId, AllocatorConfig, FrameworkId};
use schedlab::mesos::agent::{Agent, AgentConfig};
use schedlab::mesos::detector::MasterDetector;
use schedlab::mesos::master::{AgentReturn, Master, MasterConfig};
use schedlab::proto::{
    FrameworkInfo, Mesos, Msg, Reason, TaskId, TaskInfo, TaskRun, TaskState, TaskStatus, Timer,
};
use schedlab::resources::Resources;
use schedlab::run::{execute, Cluster, RunOptions};
use schedlab::scenario::Scenario;
use schedlab::sim::fault::Fault;
use schedlab::sim::{Observer, Sim, SimConfig, Stop};
use std::cell::RefCell;
use std::rc::Rc;

/// A framework that launches one long task on its first offer (if `launch`), holds or
/// declines the other offers, acknowledges updates and records all it hears.
struct Probe {
    master: ActorId,
    partition_aware: bool,
    launch: Option<TaskId>,
    hold_offers: bool,
    id: Option<FrameworkId>,
    got: Vec<(Time, Msg)>,
}

impl Probe {
    fn updates(&self) -> Vec<(Time, TaskStatus)> {
        self.got
            .iter()
            .filter_map(|(t, m)| match m {
                Msg::Update { status } => Some((*t, status.clone())),
                _ => None,
            })
            .collect()
    }
    fn agent_lost(&self) -> Vec<AgentId> {
        self.got
            .iter()
            .filter_map(|(_, m)| match m {
                Msg::AgentLost { agent } => Some(*agent),
                _ => None,
            })
            .collect()
    }
}

impl Actor<Mesos> for Probe {
    fn on_start(&mut self, ctx: &mut Ctx<Mesos>) {
        ctx.send(
            self.master,
            Msg::RegisterFramework(Box::new(FrameworkInfo {
                id: None,
                name: "probe".into(),
                role: "*".into(),
                weight_milli: 1000,
                principal: "probe".into(),
                partition_aware: self.partition_aware,
                failover_timeout: 3600 * SEC,
                revocable_resources: false,
            })),
        );
    }
    fn on_message(&mut self, ctx: &mut Ctx<Mesos>, _from: ActorId, msg: Msg) {
        self.got.push((ctx.now(), msg.clone()));
        let fw = self.id;
        match msg {
            Msg::FrameworkRegistered { id } => self.id = Some(id),
            Msg::Offers(offers) if !self.hold_offers => {
                for o in offers {
                    let tasks: Vec<TaskInfo> =
                        self.launch.take().map(long_task).into_iter().collect();
                    ctx.send(
                        self.master,
                        Msg::Accept {
                            framework: fw.unwrap(),
                            offers: vec![o.id].into(),
                            tasks: tasks.into(),
                            refuse: 3600 * SEC,
                        },
                    );
                }
            }
            Msg::Update { status } => {
                if let (Some(uuid), Some(agent)) = (status.uuid, status.agent) {
                    ctx.send(
                        self.master,
                        Msg::Acknowledge {
                            framework: fw.unwrap(),
                            agent,
                            task: status.task,
                            uuid: uuid.get(),
                        },
                    );
                }
            }
            _ => {}
        }
    }
    fn on_timer(&mut self, _: &mut Ctx<Mesos>, _: TimerId, _: Timer) {}
}

fn task_id(job: u64) -> TaskId {
    TaskId {
        job,
        index: 0,
        attempt: 0,
    }
}

fn long_task(id: TaskId) -> TaskInfo {
    TaskInfo {
        id,
        resources: Resources::new(1.0, 1024),
        run: TaskRun {
            duration: Time::MAX,
            succeeds: true,
        },
        submitted: 0,
        job_tasks: 1,
    }
}

/// One master, one agent (`agent-0`) and three probes: 0 is not partition-aware and
/// runs task 1, 1 is partition-aware and runs task 2, 2 holds every offer it gets.
struct World {
    sim: Sim<Mesos>,
    master: ActorId,
    agent: ActorId,
    probes: [ActorId; 3],
}

fn world(flags: MasterConfig) -> World {
    let mut sim: Sim<Mesos> = Sim::new(SimConfig::default());
    let g = sim.net_mut().group("all");
    let master = sim.add_actor("master", g, move || {
        Master::new(flags.clone(), &AllocatorConfig::default())
    });
    let agent = sim.add_actor("agent-0", g, move || {
        Agent::new(AgentConfig::new(
            MasterDetector::standalone(master),
            "agent-0",
            Resources::new(4.0, 8192),
        ))
    });
    let probe = |sim: &mut Sim<Mesos>, name: &str, aware: bool, launch: Option<u64>, hold: bool| {
        sim.add_actor(name, g, move || Probe {
            master,
            partition_aware: aware,
            launch: launch.map(task_id),
            hold_offers: hold,
            id: None,
            got: Vec::new(),
        })
    };
    let probes = [
        probe(&mut sim, "lost-probe", false, Some(1), false),
        probe(&mut sim, "aware-probe", true, Some(2), false),
        probe(&mut sim, "holder", false, None, true),
    ];
    World {
        sim,
        master,
        agent,
        probes,
    }
}

impl World {
    fn probe(&self, i: usize) -> &Probe {
        self.sim.actor::<Probe>(self.probes[i]).unwrap()
    }
    fn fw(&self, i: usize) -> FrameworkId {
        self.probe(i).id.unwrap()
    }
    fn master(&self) -> &Master {
        self.sim.actor::<Master>(self.master).unwrap()
    }
    fn agent(&self) -> &Agent {
        self.sim.actor::<Agent>(self.agent).unwrap()
    }
    fn run_to(&mut self, t: Time) {
        self.sim.run(Stop::at(t));
    }
    /// Steps until `pred` holds; returns the time of the event that made it hold.
    fn step_until(&mut self, limit: Time, pred: impl Fn(&World) -> bool) -> Time {
        while !pred(self) {
            assert!(
                self.sim.peek_time().is_some_and(|t| t <= limit),
                "not by {limit}"
            );
            self.sim.step();
        }
        self.sim.now()
    }
    fn partition_agent(&mut self, at: Time, until: Option<Time>) {
        self.sim
            .schedule_fault(&Fault::partition(at, until, &["agent-0"], &[]))
            .unwrap();
    }
    fn reconcile(&mut self, i: usize, tasks: Vec<(TaskId, Option<AgentId>)>) -> Vec<TaskStatus> {
        let before = self.probe(i).updates().len();
        let framework = self.fw(i);
        self.sim.inject(
            self.probes[i],
            self.master,
            Msg::Reconcile { framework, tasks },
        );
        let t = self.sim.now();
        self.run_to(t + SEC);
        self.probe(i).updates()[before..]
            .iter()
            .map(|(_, s)| s.clone())
            .collect()
    }
}

fn reregister_flags() -> MasterConfig {
    MasterConfig {
        agent_return: AgentReturn::Reregister,
        ..MasterConfig::default()
    }
}

/// Mesos `PartitionTest.ReregisterSlavePartitionAware` (src/tests/partition_tests.cpp):
/// the master pings at registration and every `agent_ping_timeout` after; an agent that
/// never answers is marked unreachable at the 5th timeout, 75 s after registering.
#[test]
fn an_agent_that_never_answers_is_unreachable_75_s_after_it_registered() {
    let mut w = world(MasterConfig::default());
    let admitted = w.step_until(10 * SEC, |w| {
        w.sim
            .actor::<Master>(w.master)
            .is_some_and(|m| m.agents().first().is_some_and(|a| !a.removed))
    });
    // Cut off at once: the first ping (sent at admission) is never answered.
    w.partition_agent(admitted, None);
    let removed = w.step_until(200 * SEC, |w| w.master().agents()[0].removed);
    assert_eq!(removed, admitted + 75 * SEC, "admitted at {admitted}");
    // Pinged at admission and every 15 s: the 5 pings before the removal.
    assert_eq!(w.master().agents()[0].unreachable_since, Some(removed));
}

/// Mesos `Slave::registered` (src/slave/slave.cpp): the agent's ping timer is the
/// `MasterSlaveConnection.total_ping_timeout` of the registration reply, not a flag of
/// its own: with a master at 10 s x 3, an agent cut off takes it for lost 30 s after
/// the last ping.
#[test]
fn the_agent_takes_its_ping_timeout_from_the_registration_reply() {
    let mut w = world(MasterConfig {
        agent_ping_timeout: 10 * SEC,
        max_agent_ping_timeouts: 3,
        ..MasterConfig::default()
    });
    w.run_to(25 * SEC);
    assert!(w.agent().id().is_some());
    w.partition_agent(25 * SEC, None);
    let lost = w.step_until(200 * SEC, |w| w.agent().id().is_none());
    assert_eq!(lost, w.agent().last_ping() + 30 * SEC);
}

/// Mesos 1.5+ (MESOS-7215, `PartitionTest.ReregisterSlavePartitionAware` and
/// `.ReregisterSlaveNotPartitionAware`): removal tells LOST (not partition-aware) or
/// UNREACHABLE (partition-aware), both with REASON_SLAVE_REMOVED and an
/// `unreachable_time`, and every framework gets the agent-lost notice; outstanding
/// offers are rescinded once. On return the master keeps every task, for both
/// frameworks, tells each RUNNING with REASON_SLAVE_REREGISTERED, and kills nothing.
#[test]
fn reregister_policy_keeps_every_task_of_a_returning_agent() {
    let mut w = world(reregister_flags());
    w.run_to(20 * SEC);
    assert_eq!(w.master().tasks().len(), 2);
    let held: usize = w.master().offers().len();
    assert!(held > 0, "the holder holds the rest of the agent");
    w.partition_agent(20 * SEC, Some(200 * SEC));
    let removed = w.step_until(200 * SEC, |w| w.master().agents()[0].removed);
    w.run_to(removed + SEC);
    let verdict = |i: usize| {
        let u = w.probe(i).updates();
        u.into_iter()
            .find(|(_, s)| s.reason == Reason::AgentRemoved)
            .expect("a verdict")
            .1
    };
    let (lost, unreachable) = (verdict(0), verdict(1));
    assert_eq!(
        (lost.state, unreachable.state),
        (TaskState::Lost, TaskState::Unreachable)
    );
    for s in [&lost, &unreachable] {
        assert_eq!(s.unreachable_time.map(|t| t.get()), Some(removed));
        assert_eq!(s.agent, Some(0));
        assert!(s.uuid.is_none(), "from the master: not acknowledged");
    }
    for i in 0..3 {
        assert_eq!(w.probe(i).agent_lost(), vec![0], "probe {i}");
    }
    let rescinds = w
        .probe(2)
        .got
        .iter()
        .filter(|(_, m)| matches!(m, Msg::Rescind { .. }))
        .count();
    assert_eq!(rescinds, held, "each held offer rescinded once");
    assert_eq!(w.master().metrics().tasks_unreachable, 2);

    // Back after the cut: re-admitted under its id with both tasks.
    let back = w.step_until(400 * SEC, |w| !w.master().agents()[0].removed);
    w.run_to(back + SEC);
    for (i, job) in [(0, 1), (1, 2)] {
        let u = w.probe(i).updates();
        let (_, s) = u.last().unwrap();
        assert_eq!(
            (s.task, s.state, s.reason),
            (task_id(job), TaskState::Running, Reason::AgentReregistered),
            "probe {i}"
        );
    }
    let m = w.master();
    assert_eq!(m.agents().len(), 1, "same agent id");
    assert_eq!(m.tasks().len(), 2, "both tasks are the master's again");
    assert_eq!(m.metrics().tasks_unreachable, 0);
    assert_eq!(m.counters().agents_reregistered, 1);
    assert_eq!(m.counters().agents_shutdown, 0);
    assert_eq!(w.agent().running().count(), 2, "the master killed nothing");
    assert_eq!(w.agent().killed_on_shutdown, 0);
}

/// Before Mesos 1.5 (`agent_return = "shutdown"`, schedlab's default): every framework
/// hears LOST, and the returning agent is shut down, its tasks killed by the master.
#[test]
fn shutdown_policy_tells_lost_and_shuts_the_returning_agent_down() {
    let mut w = world(MasterConfig::default());
    w.run_to(20 * SEC);
    w.partition_agent(20 * SEC, Some(200 * SEC));
    w.run_to(400 * SEC);
    for i in 0..2 {
        let u = w.probe(i).updates();
        assert!(u
            .iter()
            .any(|(_, s)| s.state == TaskState::Lost && s.reason == Reason::AgentRemoved));
        assert!(!u.iter().any(|(_, s)| s.state == TaskState::Unreachable));
    }
    let m = w.master();
    assert_eq!(m.counters().agents_shutdown, 1);
    assert_eq!(m.agents().len(), 2, "it came back as a new agent");
    assert_eq!(w.agent().killed_on_shutdown, 2);
    assert_eq!(w.agent().running().count(), 0);
}

/// Mesos `Master::_reconcileTasks` (src/master/master.cpp; `ReconciliationTest`,
/// `PartitionTest.RegistryGcByCount`): known task: its state; unknown task on a
/// registered agent: GONE; on an unreachable one: UNREACHABLE with its time; on a
/// gone one: GONE_BY_OPERATOR; on none the master knows: UNKNOWN. A framework that is
/// not partition-aware hears LOST for each of the last four. Always
/// REASON_RECONCILIATION, no uuid.
#[test]
fn reconciliation_answers_as_mesos_1_x() {
    let mut w = world(reregister_flags());
    w.run_to(20 * SEC);
    let ghost = task_id(99);
    let ask = |w: &mut World, agent: Option<AgentId>| {
        let mut out = Vec::new();
        for i in 0..2 {
            let s = w.reconcile(i, vec![(ghost, agent)]);
            assert_eq!(s.len(), 1, "{s:?}");
            assert_eq!(s[0].reason, Reason::Reconciliation);
            assert!(s[0].uuid.is_none());
            out.push(s[0].state);
        }
        out
    };
    assert_eq!(ask(&mut w, Some(0)), [TaskState::Lost, TaskState::Gone]);
    assert_eq!(ask(&mut w, None), [TaskState::Lost, TaskState::Unknown]);
    assert_eq!(ask(&mut w, Some(7)), [TaskState::Lost, TaskState::Unknown]);
    let known = w.reconcile(1, vec![(task_id(2), Some(0))]);
    assert_eq!(known[0].state, TaskState::Running);

    w.partition_agent(20 * SEC, None);
    let removed = w.step_until(200 * SEC, |w| w.master().agents()[0].removed);
    w.run_to(removed + SEC);
    assert_eq!(
        ask(&mut w, Some(0)),
        [TaskState::Lost, TaskState::Unreachable]
    );
    let s = w.reconcile(1, vec![(task_id(2), Some(0))]);
    assert_eq!(s[0].state, TaskState::Unreachable);
    assert_eq!(s[0].unreachable_time.map(|t| t.get()), Some(removed));
    // Implicit reconciliation includes the unreachable tasks.
    let s = w.reconcile(0, vec![]);
    assert_eq!(s.len(), 1);
    assert_eq!((s[0].task, s[0].state), (task_id(1), TaskState::Lost));

    let from = w.probes[2];
    w.sim.inject(
        from,
        w.master,
        Msg::MarkAgentGone {
            hostname: "agent-0".into(),
        },
    );
    let t = w.sim.now();
    w.run_to(t + SEC);
    assert_eq!(
        ask(&mut w, Some(0)),
        [TaskState::Lost, TaskState::GoneByOperator]
    );
}

/// Mesos `markGone` (MARK_AGENT_GONE, src/master/http.cpp and master.cpp;
/// `MasterTest.MarkAgentGone`-style): the agent is shut down for good, its tasks
/// become GONE_BY_OPERATOR (LOST when not partition-aware) with
/// REASON_SLAVE_REMOVED_BY_OPERATOR, and it is never admitted again.
#[test]
fn an_agent_marked_gone_is_shut_down_and_never_returns() {
    let mut w = world(reregister_flags());
    w.run_to(20 * SEC);
    let from = w.probes[2];
    w.sim.inject(
        from,
        w.master,
        Msg::MarkAgentGone {
            hostname: "agent-0".into(),
        },
    );
    w.run_to(600 * SEC);
    for (i, state) in [(0, TaskState::Lost), (1, TaskState::GoneByOperator)] {
        let u = w.probe(i).updates();
        let (_, s) = u.last().unwrap();
        assert_eq!((s.state, s.reason), (state, Reason::AgentRemovedByOperator));
    }
    assert!(w
        .probe(2)
        .got
        .iter()
        .any(|(_, m)| *m == Msg::OperatorReply { ok: true }));
    assert!(w.agent().is_gone());
    assert_eq!(w.agent().running().count(), 0);
    let m = w.master();
    assert_eq!(m.agents().len(), 1, "never registered again");
    assert!(m.agents()[0].gone && m.agents()[0].removed);
    let c = m.counters();
    assert_eq!((c.agents_removed, c.removals_unregistered), (1, 1));
    assert_eq!(c.tasks_gone_by_operator, 1);
    assert_eq!(c.tasks_lost, 1);
}

/// Mesos `PartitionTest.RegistryGcByCount` / `.RegistryGcByAge`: at each
/// `registry_gc_interval` the registry forgets unreachable agents beyond
/// `registry_max_agent_count` (oldest first) or older than `registry_max_agent_age`;
/// reconciliation of their tasks then answers UNKNOWN (LOST when not partition-aware).
#[test]
fn registry_gc_forgets_old_unreachable_agents() {
    let mut w = world(MasterConfig {
        registry_gc_interval: 60 * SEC,
        registry_max_agent_age: 120 * SEC,
        ..reregister_flags()
    });
    w.run_to(20 * SEC);
    w.partition_agent(20 * SEC, None);
    let removed = w.step_until(200 * SEC, |w| w.master().agents()[0].removed);
    // GC at every whole minute: the first after removed + 120 s forgets it.
    let forgotten = w.step_until(600 * SEC, |w| w.master().agents()[0].forgotten);
    assert!(forgotten > removed + 120 * SEC && forgotten <= removed + 180 * SEC);
    assert_eq!(forgotten % (60 * SEC), 0, "at a GC tick");
    let s = w.reconcile(1, vec![(task_id(2), Some(0))]);
    assert_eq!(s[0].state, TaskState::Unknown);
    let s = w.reconcile(0, vec![(task_id(1), Some(0))]);
    assert_eq!(s[0].state, TaskState::Lost);
    assert_eq!(w.master().counters().registry_gc_removals, 1);

    // By count: none may be kept, so the first tick after the removal forgets it.
    let mut w = world(MasterConfig {
        registry_gc_interval: 60 * SEC,
        registry_max_agent_count: 0,
        ..reregister_flags()
    });
    w.run_to(20 * SEC);
    w.partition_agent(20 * SEC, None);
    let removed = w.step_until(200 * SEC, |w| w.master().agents()[0].removed);
    let forgotten = w.step_until(600 * SEC, |w| w.master().agents()[0].forgotten);
    assert_eq!(forgotten, removed.div_ceil(60 * SEC) * 60 * SEC);
}

/// Messages seen by the engine, for scenario runs.
#[derive(Default)]
struct Seen(Vec<(Time, ActorId, ActorId, Msg)>);
struct Tap(Rc<RefCell<Seen>>);
impl Observer<Mesos> for Tap {
    fn on_message(&mut self, t: Time, from: ActorId, to: ActorId, msg: &Msg) {
        if matches!(
            msg,
            Msg::Update { .. }
                | Msg::AgentLost { .. }
                | Msg::Offers(_)
                | Msg::AgentRegistered { .. }
        ) {
            self.0.borrow_mut().0.push((t, from, to, msg.clone()));
        }
    }
}

fn failover_scenario(sets: &[&str]) -> Scenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/failover.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Scenario::parse_with_overrides(&text, path, &sets).unwrap()
}

/// The agent running the most tasks now: (its actor name, its agent id, tasks).
fn busiest_agent(c: &Cluster) -> (String, AgentId, usize) {
    let mut best = None;
    for &a in &c.agents {
        let agent = c.sim.actor::<Agent>(a).unwrap();
        let n = agent.running().count();
        if best.as_ref().is_none_or(|(_, _, m)| n > *m) {
            best = Some((c.sim.name(a).to_string(), agent.id().unwrap(), n));
        }
    }
    best.unwrap()
}

fn tasks_of(c: &Cluster, name: &str) -> usize {
    let a = c.sim.find(name).unwrap();
    c.sim.actor::<Agent>(a).unwrap().running().count()
}

/// Mesos' registry keeps the unreachable list across a failover (`Registry.unreachable`,
/// src/master/registry.proto): a new leader re-admits an agent that was unreachable
/// before the failover, with its tasks (they count as running; none is lost).
#[test]
fn a_new_leader_readmits_an_agent_unreachable_before_the_failover() {
    let mut scn = failover_scenario(&["masters.agent_return=reregister", "run.stop=400s"]);
    scn.faults = vec![Fault::crash(150 * SEC, "master-0", None)];
    let mut c = Cluster::build(&scn, scn.seed, SimConfig::default()).unwrap();
    c.sim.run(Stop::at(20 * SEC));
    let (name, id, on_it) = busiest_agent(&c);
    assert!(on_it > 0);
    c.sim
        .schedule_fault(&Fault::partition(20 * SEC, Some(250 * SEC), &[&name], &[]))
        .unwrap();
    c.sim.run(Stop::at(140 * SEC));
    assert!(
        c.master().agents()[id as usize].unreachable_since.is_some(),
        "removed by master-0"
    );
    // After the failover and the cut, it re-registers with the new leader.
    let agent = c.sim.find(&name).unwrap();
    while c.sim.actor::<Agent>(agent).unwrap().id().is_none() || c.sim.now() < 250 * SEC {
        assert!(c.sim.now() < 400 * SEC, "{name} never re-registered");
        c.sim.step();
    }
    let m = c.leader().expect("a leader");
    assert!(m.elected_at().first().is_some_and(|&t| t > 150 * SEC));
    assert!(!m.agents()[id as usize].removed);
    let kept = m
        .tasks()
        .count_where(|_, t| t.agent == id && t.state == TaskState::Running);
    assert_eq!(kept, on_it, "its tasks count as running");
    assert_eq!(tasks_of(&c, &name), on_it, "none lost");
}

/// Mesos `Master::recoveredSlavesTimeout`: agents of the registry that do not
/// re-register within `agent_reregister_timeout` of a failover become unreachable
/// silently (no task update: the new leader never knew their tasks); reconciliation
/// then answers LOST with REASON_RECONCILIATION; when the agent comes back its tasks
/// are RUNNING again (REASON_SLAVE_REREGISTERED) and its resources are offered.
#[test]
fn agents_missing_after_a_failover_become_unreachable_silently() {
    let mut scn = failover_scenario(&["masters.agent_return=reregister", "run.stop=1500s"]);
    scn.faults = vec![Fault::crash(60 * SEC, "master-0", None)];
    let mut c = Cluster::build(&scn, scn.seed, SimConfig::default()).unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    c.sim.set_observer(Box::new(Tap(seen.clone())));
    c.sim.run(Stop::at(50 * SEC));
    let (name, id, on_it) = busiest_agent(&c);
    assert!(on_it > 0);
    c.sim
        .schedule_fault(&Fault::partition(50 * SEC, Some(1300 * SEC), &[&name], &[]))
        .unwrap();
    c.sim.run(Stop::at(1500 * SEC));
    let m = c.leader().expect("a leader");
    let elected = m.elected_at()[0];
    assert_eq!(m.counters().recovery_agent_removals, 1);
    let seen = seen.borrow();
    let marked = elected + 600 * SEC;
    let any = |pred: &dyn Fn(Time, &Msg) -> bool| seen.0.iter().any(|(t, _, _, m)| pred(*t, m));
    // No verdict on its tasks when it was marked unreachable...
    assert!(!any(&|_, m| matches!(m,
        Msg::Update { status } if status.reason == Reason::AgentRemoved)));
    assert!(any(
        &|t, m| t >= marked && *m == Msg::AgentLost { agent: id }
    ));
    // ...reconciliation (the framework's periodic one, every 10 min) says LOST...
    assert!(any(&|t, m| t > marked
        && matches!(m,
        Msg::Update { status } if status.state == TaskState::Lost
            && status.reason == Reason::Reconciliation && status.agent == Some(id))));
    // ...and after the cut it is back, tasks RUNNING, resources offered.
    assert!(any(&|t, m| t > 1300 * SEC
        && matches!(m,
        Msg::Update { status } if status.state == TaskState::Running
            && status.reason == Reason::AgentReregistered && status.agent == Some(id))));
    // (The framework, with nothing pending, suppresses offers: the allocator has the
    // agent back, to offer as soon as a framework wants it.)
    assert!(!m.agents()[id as usize].removed);
    assert_eq!(
        m.allocator().agent_total(id),
        Some(m.agents()[id as usize].total)
    );
}

/// The bug of issue 24 point 4: a new leader offered a re-registering agent and
/// launched tasks on it before its registration reply; the agent's updates then never
/// got acknowledged and its tasks stayed STARTING. Mesos adds an agent to the
/// allocator only once its (re-)registration is complete. Over failovers with
/// returning agents, no agent receives a task before its registration reply.
#[test]
fn no_task_reaches_an_agent_before_its_registration_reply() {
    for seed in 1..=6 {
        let mut scn = failover_scenario(&[
            "masters.agent_return=reregister",
            "run.stop=500s",
            "network.default.fifo=true",
        ]);
        scn.seed = seed;
        scn.faults = vec![
            Fault::partition(20 * SEC, Some(200 * SEC), &["agent-*"], &["masters"]),
            Fault::crash(150 * SEC, "master-0", Some(30 * SEC)),
        ];
        let mut c = Cluster::build(&scn, seed, SimConfig::default()).unwrap();
        c.sim.run(Stop::at(500 * SEC));
        for &a in &c.agents {
            let agent = c.sim.actor::<Agent>(a).unwrap();
            assert_eq!(agent.run_before_registered, 0, "seed {seed}");
        }
        let m = c.leader().expect("a leader");
        let stuck = m.tasks().count_where(|_, t| t.state == TaskState::Starting);
        assert_eq!(stuck, 0, "seed {seed}: tasks stuck STARTING");
    }
}

/// Mesos' metric names in `summary.json` (`/metrics/snapshot`: `master/slave_removals`,
/// `.../reason_unhealthy`, `master/tasks_lost`, ...), from a scenario with a removal
/// and an operator's `mark_gone`.
#[test]
fn summary_counts_under_mesos_metric_names() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/partition.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let mut scn = Scenario::parse(&text, path).unwrap();
    scn.faults.push(Fault::MarkGone {
        at: 300 * SEC,
        target: vec!["agent-1".into()],
    });
    let s = execute(&scn, &RunOptions::default()).unwrap();
    let m = &s.master_metrics;
    assert_eq!(m["master/slave_removals"], 2);
    assert_eq!(m["master/slave_removals/reason_unhealthy"], 1);
    assert_eq!(m["master/slave_removals/reason_unregistered"], 1);
    assert_eq!(m["master/slave_unreachable_completed"], 1);
    assert!(m["master/tasks_lost"] >= 4, "2 or more per removed agent");
    assert_eq!(m["master/tasks_unreachable"], 0);
    assert!(m.contains_key("master/recovery_slave_removals"));
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["master_metrics"]["master/slave_removals"], 2);
}

/// Mesos `Master::reconcileKnownSlave` and `Slave::reregistered`
/// (`src/master/master.cpp`, `src/slave/slave.cpp`): a launch the agent never received
/// (here dropped by a partition) leaves the task STAGING in the master; when the agent
/// re-registers, the master sends the tasks it holds there that the agent did not
/// report, and the agent answers TASK_LOST (TASK_DROPPED to a partition-aware
/// framework) with REASON_RECONCILIATION, through its acknowledged update stream.
#[test]
fn a_launch_the_agent_never_got_is_reconciled_lost_when_it_reregisters() {
    let mut w = world(MasterConfig::default());
    w.run_to(10 * SEC);
    let holder = w.fw(2);
    let offer = w
        .probe(2)
        .got
        .iter()
        .rev()
        .find_map(|(_, m)| match m {
            Msg::Offers(o) => o.iter().find(|o| o.agent == 0).map(|o| o.id),
            _ => None,
        })
        .expect("the holder holds an offer of agent-0");
    // Cut off until just after the agent takes the master for lost (75 s of silence)
    // and before the master's health checks remove it (five missed pings).
    let last_ping = w.agent().last_ping();
    w.partition_agent(10 * SEC, Some(last_ping + 75 * SEC + SEC / 2));
    w.run_to(11 * SEC);
    let lost_task = task_id(9);
    w.sim.inject(
        w.probes[2],
        w.master,
        Msg::Accept {
            framework: holder,
            offers: vec![offer].into(),
            tasks: vec![long_task(lost_task)].into(),
            refuse: 3600 * SEC,
        },
    );
    w.run_to(12 * SEC);
    assert!(w.master().tasks().get(&(holder, lost_task)).is_some());
    w.run_to(last_ping + 100 * SEC);
    assert!(w.agent().id().is_some(), "re-registered");
    assert_eq!(w.master().counters().agents_removed, 0, "never removed");
    let told: Vec<TaskStatus> = w
        .probe(2)
        .updates()
        .into_iter()
        .map(|(_, s)| s)
        .filter(|s| s.task == lost_task)
        .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        (told[0].state, told[0].reason, told[0].agent),
        (TaskState::Lost, Reason::Reconciliation, Some(0))
    );
    assert!(told[0].uuid.is_some(), "sent by the agent, acknowledged");
    assert!(w.master().tasks().get(&(holder, lost_task)).is_none());
    assert!(
        w.agent().pending_update(holder, lost_task).is_none(),
        "acknowledged"
    );
    // The tasks the agent does run are untouched.
    assert_eq!(w.agent().running().count(), 2);
}

/// Launches task 7 (1 s long) on every offer while it has none running, and withholds
/// the acknowledgement of its terminal update until it has seen one launch refused.
struct Reuser {
    master: ActorId,
    id: Option<FrameworkId>,
    running: bool,
    /// The terminal update it has not acknowledged yet: (agent, uuid).
    unacked: Option<(AgentId, u64)>,
    /// Whether it asks the master about the task (explicitly and implicitly) while
    /// the terminal update is unacknowledged.
    reconcile: bool,
    got: Vec<TaskStatus>,
}

impl Actor<Mesos> for Reuser {
    fn on_start(&mut self, ctx: &mut Ctx<Mesos>) {
        ctx.send(
            self.master,
            Msg::RegisterFramework(Box::new(FrameworkInfo {
                id: None,
                name: "reuser".into(),
                role: "*".into(),
                weight_milli: 1000,
                principal: "reuser".into(),
                partition_aware: false,
                failover_timeout: 0,
                revocable_resources: false,
            })),
        );
    }
    fn on_message(&mut self, ctx: &mut Ctx<Mesos>, _from: ActorId, msg: Msg) {
        match msg {
            Msg::FrameworkRegistered { id } => self.id = Some(id),
            Msg::Offers(offers) => {
                let fw = self.id.unwrap();
                for o in offers {
                    let mut tasks = Vec::new();
                    if !self.running {
                        let mut t = long_task(task_id(7));
                        t.run.duration = SEC;
                        tasks.push(t);
                        self.running = true;
                    }
                    ctx.send(
                        self.master,
                        Msg::Accept {
                            framework: fw,
                            offers: vec![o.id].into(),
                            tasks: tasks.into(),
                            refuse: 0,
                        },
                    );
                }
            }
            Msg::Update { status } => {
                let fw = self.id.unwrap();
                let ack = |ctx: &mut Ctx<Mesos>, agent: AgentId, uuid: u64| {
                    ctx.send(
                        self.master,
                        Msg::Acknowledge {
                            framework: fw,
                            agent,
                            task: status.task,
                            uuid,
                        },
                    )
                };
                if status.state.is_terminal() {
                    self.running = false;
                }
                match (status.state, status.uuid, status.agent) {
                    // The first FINISHED waits; a refused launch releases it.
                    (TaskState::Finished, Some(u), Some(a)) if self.got.is_empty() => {
                        self.unacked = Some((a, u.get()));
                        if self.reconcile {
                            for tasks in [vec![(status.task, None)], vec![]] {
                                let framework = fw;
                                ctx.send(self.master, Msg::Reconcile { framework, tasks });
                            }
                        }
                    }
                    (TaskState::Error, _, _) => {
                        if let Some((a, u)) = self.unacked.take() {
                            ack(ctx, a, u);
                        }
                    }
                    (_, Some(u), Some(a)) => ack(ctx, a, u.get()),
                    _ => {}
                }
                if status.state.is_terminal() {
                    self.got.push(status.clone());
                }
            }
            _ => {}
        }
    }
    fn on_timer(&mut self, _: &mut Ctx<Mesos>, _: TimerId, _: Timer) {}
}

/// Mesos' `validateUniqueTaskID` (master/validation.cpp; `TaskValidationTest`,
/// master_validation_tests.cpp): a launch that reuses the id of a task the master still
/// holds is TASK_ERROR / REASON_TASK_INVALID ("Task has duplicate ID"). The master holds
/// a finished task until its terminal update is acknowledged, so the id is free again
/// only then: FINISHED (unacknowledged), the relaunch refused, the acknowledgement, and
/// the next relaunch runs.
#[test]
fn a_task_id_is_reusable_only_once_its_terminal_update_is_acknowledged() {
    let got = run_reuser(false);
    let states: Vec<(TaskState, Reason)> =
        got.iter().take(3).map(|s| (s.state, s.reason)).collect();
    assert_eq!(
        states,
        [
            (TaskState::Finished, Reason::None),
            (TaskState::Error, Reason::TaskInvalid),
            (TaskState::Finished, Reason::None),
        ],
        "{got:#?}"
    );
}

/// Mesos' `Master::_reconcileTasks`: a task whose terminal update is unacknowledged is
/// still in `framework->tasks`, so explicit and implicit reconciliation both answer its
/// terminal state ("Task is known: send the latest status update state"), not GONE
/// (LOST for a framework that is not partition-aware) as for a task the master forgot.
#[test]
fn reconciliation_answers_the_terminal_state_of_an_unacknowledged_task() {
    let got = run_reuser(true);
    let answers: Vec<TaskState> = got
        .iter()
        .filter(|s| s.reason == Reason::Reconciliation)
        .map(|s| s.state)
        .collect();
    assert_eq!(answers, [TaskState::Finished; 2], "{got:#?}");
}

/// The terminal updates `Reuser` hears in 30 s on a one-agent cell.
fn run_reuser(reconcile: bool) -> Vec<TaskStatus> {
    let mut sim: Sim<Mesos> = Sim::new(SimConfig::default());
    let g = sim.net_mut().group("all");
    let master = sim.add_actor("master", g, || {
        Master::new(MasterConfig::default(), &AllocatorConfig::default())
    });
    sim.add_actor("agent-0", g, move || {
        Agent::new(AgentConfig::new(
            MasterDetector::standalone(master),
            "agent-0",
            Resources::new(4.0, 8192),
        ))
    });
    let reuser = sim.add_actor("reuser", g, move || Reuser {
        master,
        id: None,
        running: false,
        unacked: None,
        reconcile,
        got: Vec::new(),
    });
    sim.run(Stop::at(30 * SEC));
    sim.actor::<Reuser>(reuser).unwrap().got.clone()
}
