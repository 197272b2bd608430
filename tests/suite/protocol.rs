//! The scheduler protocol, driven by a scripted framework: kill, reconciliation,
//! acknowledgements and retries, rescinds, teardown, invalid accepts.

use schedlab::actor::{Actor, ActorId, Ctx, Time, TimerId, SEC};
use schedlab::alloc::{AllocatorConfig, FrameworkId};
use schedlab::mesos::agent::{Agent, AgentConfig};
use schedlab::mesos::detector::MasterDetector;
use schedlab::mesos::master::{Master, MasterConfig};
use schedlab::proto::{
    Mesos, Msg, Reason, TaskId, TaskInfo, TaskRun, TaskState, TaskStatus, Timer,
};
use schedlab::resources::Resources;
use schedlab::sim::{Sim, SimConfig, Stop};

/// A framework that launches `launch` on its first offer, declines the rest for an
/// hour, records everything it receives, and acknowledges updates if `ack`.
struct Probe {
    master: ActorId,
    ack: bool,
    answer_offers: bool,
    launch: Vec<TaskInfo>,
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
}

impl Actor<Mesos> for Probe {
    fn on_start(&mut self, ctx: &mut Ctx<Mesos>) {
        ctx.send(
            self.master,
            Msg::RegisterFramework(Box::new(schedlab::proto::FrameworkInfo {
                id: None,
                name: "probe".into(),
                role: "*".into(),
                weight_milli: 1000,
                principal: "probe".into(),
                partition_aware: false,
                failover_timeout: 0,
                revocable_resources: false,
            })),
        );
    }
    fn on_message(&mut self, ctx: &mut Ctx<Mesos>, _from: ActorId, msg: Msg) {
        self.got.push((ctx.now(), msg.clone()));
        match msg {
            Msg::FrameworkRegistered { id } => self.id = Some(id),
            Msg::Offers(offers) if self.answer_offers => {
                let fw = self.id.unwrap();
                for o in offers {
                    if self.launch.is_empty() {
                        ctx.send(
                            self.master,
                            Msg::Decline {
                                framework: fw,
                                offers: vec![o.id],
                                refuse: 3600 * SEC,
                            },
                        );
                    } else {
                        let tasks = std::mem::take(&mut self.launch);
                        ctx.send(
                            self.master,
                            Msg::Accept {
                                framework: fw,
                                offers: vec![o.id].into(),
                                tasks: tasks.into(),
                                refuse: 3600 * SEC,
                            },
                        );
                    }
                }
            }
            Msg::Update { status } if self.ack => {
                if let (Some(uuid), Some(agent)) = (status.uuid, status.agent) {
                    let framework = self.id.unwrap();
                    ctx.send(
                        self.master,
                        Msg::Acknowledge {
                            framework,
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

fn task(job: u64, duration: Time) -> TaskInfo {
    TaskInfo {
        id: TaskId {
            job,
            index: 0,
            attempt: 0,
        },
        resources: Resources::new(1.0, 1024),
        run: TaskRun {
            duration,
            succeeds: true,
        },
        submitted: 0,
        job_tasks: 1,
    }
}

struct World {
    sim: Sim<Mesos>,
    master: ActorId,
    agent: ActorId,
    probe: ActorId,
}

fn world(ack: bool, answer_offers: bool, launch: Vec<TaskInfo>, flags: MasterConfig) -> World {
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
    let probe = sim.add_actor("probe", g, move || Probe {
        master,
        ack,
        answer_offers,
        launch: launch.clone(),
        id: None,
        got: Vec::new(),
    });
    World {
        sim,
        master,
        agent,
        probe,
    }
}

impl World {
    fn probe(&self) -> &Probe {
        self.sim.actor::<Probe>(self.probe).unwrap()
    }
    fn run_to(&mut self, t: Time) {
        self.sim.run(Stop::at(t));
    }
    fn fw(&self) -> FrameworkId {
        self.probe().id.unwrap()
    }
}

fn states_of(p: &Probe, job: u64) -> Vec<TaskState> {
    p.updates()
        .into_iter()
        .filter(|(_, s)| s.task.job == job)
        .map(|(_, s)| s.state)
        .collect()
}

#[test]
fn a_task_runs_through_its_states_and_finishes() {
    let mut w = world(true, true, vec![task(1, 10 * SEC)], MasterConfig::default());
    w.run_to(30 * SEC);
    assert_eq!(
        states_of(w.probe(), 1),
        [TaskState::Starting, TaskState::Running, TaskState::Finished]
    );
    let m = w.sim.actor::<Master>(w.master).unwrap();
    assert!(m.tasks().is_empty());
    assert_eq!(m.used(), Resources::ZERO);
}

#[test]
fn kill_reconcile_and_teardown() {
    let mut w = world(
        true,
        true,
        vec![task(1, Time::MAX), task(2, Time::MAX)],
        MasterConfig::default(),
    );
    w.run_to(5 * SEC);
    let fw = w.fw();
    let id1 = TaskId {
        job: 1,
        index: 0,
        attempt: 0,
    };
    let unknown = TaskId {
        job: 99,
        index: 0,
        attempt: 0,
    };
    w.sim.inject(
        w.probe,
        w.master,
        Msg::Reconcile {
            framework: fw,
            tasks: vec![(id1, None), (unknown, None)],
        },
    );
    w.run_to(6 * SEC);
    let recon: Vec<_> = w
        .probe()
        .updates()
        .into_iter()
        .filter(|(_, s)| s.reason == Reason::Reconciliation)
        .collect();
    assert_eq!(recon.len(), 2);
    assert_eq!(
        (recon[0].1.task, recon[0].1.state, recon[0].1.uuid),
        (id1, TaskState::Running, None)
    );
    assert_eq!(
        (recon[1].1.task, recon[1].1.state),
        (unknown, TaskState::Lost)
    );

    // Implicit reconciliation answers for every task the master knows.
    w.sim.inject(
        w.probe,
        w.master,
        Msg::Reconcile {
            framework: fw,
            tasks: vec![],
        },
    );
    w.run_to(7 * SEC);
    let n = w
        .probe()
        .updates()
        .iter()
        .filter(|(_, s)| s.reason == Reason::Reconciliation)
        .count();
    assert_eq!(n, 4);

    w.sim.inject(
        w.probe,
        w.master,
        Msg::Kill {
            framework: fw,
            task: id1,
        },
    );
    w.run_to(8 * SEC);
    assert_eq!(*states_of(w.probe(), 1).last().unwrap(), TaskState::Killed);
    assert_eq!(
        w.sim.actor::<Agent>(w.agent).unwrap().used,
        Resources::new(1.0, 1024)
    );

    w.sim
        .inject(w.probe, w.master, Msg::Teardown { framework: fw });
    w.run_to(9 * SEC);
    assert_eq!(
        w.sim.actor::<Agent>(w.agent).unwrap().used,
        Resources::ZERO,
        "agent killed task 2"
    );
    let m = w.sim.actor::<Master>(w.master).unwrap();
    assert!(m.tasks().is_empty() && !m.frameworks()[0].active && m.offers().is_empty());
}

#[test]
fn unacknowledged_updates_are_retried_with_backoff() {
    let mut w = world(
        false,
        true,
        vec![task(1, Time::MAX)],
        MasterConfig::default(),
    );
    w.run_to(40 * SEC);
    // STARTING is the head of the stream and is never acknowledged: sent at ~0.0 s,
    // then retried after 10 s and 20 s more (Mesos' 10 s initial, doubling back-off).
    let times: Vec<f64> = w
        .probe()
        .updates()
        .iter()
        .map(|(t, _)| *t as f64 / 1e9)
        .collect();
    assert_eq!(times.len(), 3, "{times:?}");
    assert!(
        (times[1] - times[0] - 10.0).abs() < 0.01 && (times[2] - times[1] - 20.0).abs() < 0.01,
        "{times:?}"
    );
    assert!(
        w.probe()
            .updates()
            .iter()
            .all(|(_, s)| s.state == TaskState::Starting),
        "RUNNING waits for the ack"
    );
    // Acknowledge the head: the stream moves on to RUNNING.
    let (fw, s) = (w.fw(), w.probe().updates()[0].1.clone());
    w.sim.inject(
        w.probe,
        w.master,
        Msg::Acknowledge {
            framework: fw,
            agent: s.agent.unwrap(),
            task: s.task,
            uuid: s.uuid.unwrap().get(),
        },
    );
    w.run_to(41 * SEC);
    assert_eq!(
        w.probe().updates().last().unwrap().1.state,
        TaskState::Running
    );
}

#[test]
fn offers_are_rescinded_after_offer_timeout() {
    let flags = MasterConfig {
        offer_timeout: Some(30 * SEC),
        ..MasterConfig::default()
    };
    let mut w = world(true, false, vec![], flags);
    w.run_to(35 * SEC);
    let got = &w.probe().got;
    let offer_t = got
        .iter()
        .find(|(_, m)| matches!(m, Msg::Offers(_)))
        .unwrap()
        .0;
    let rescind_t = got
        .iter()
        .find(|(_, m)| matches!(m, Msg::Rescind { .. }))
        .unwrap()
        .0;
    assert!(rescind_t - offer_t >= 30 * SEC && rescind_t - offer_t < 30 * SEC + 10_000_000);
    // The rescinded resources are offered again.
    let rescind_at = got
        .iter()
        .position(|(_, m)| matches!(m, Msg::Rescind { .. }))
        .unwrap();
    assert!(got[rescind_at..]
        .iter()
        .any(|(_, m)| matches!(m, Msg::Offers(_))));
}

#[test]
fn an_offer_cannot_be_used_twice() {
    let mut w = world(true, false, vec![], MasterConfig::default());
    w.run_to(2 * SEC);
    let fw = w.fw();
    let offer = w
        .probe()
        .got
        .iter()
        .find_map(|(_, m)| match m {
            Msg::Offers(o) => Some(o[0].id),
            _ => None,
        })
        .unwrap();
    w.sim.inject(
        w.probe,
        w.master,
        Msg::Accept {
            framework: fw,
            offers: vec![offer].into(),
            tasks: vec![task(1, Time::MAX)].into(),
            refuse: 0,
        },
    );
    w.sim.inject(
        w.probe,
        w.master,
        Msg::Accept {
            framework: fw,
            offers: vec![offer].into(),
            tasks: vec![task(2, Time::MAX)].into(),
            refuse: 0,
        },
    );
    w.run_to(3 * SEC);
    assert_eq!(
        states_of(w.probe(), 1),
        [TaskState::Starting, TaskState::Running]
    );
    let second = w
        .probe()
        .updates()
        .into_iter()
        .find(|(_, s)| s.task.job == 2)
        .unwrap()
        .1;
    assert_eq!(
        (second.state, second.reason),
        (TaskState::Lost, Reason::InvalidOffers)
    );
    let m = w.sim.actor::<Master>(w.master).unwrap();
    assert_eq!(m.tasks().len(), 1);
    assert_eq!(m.counters().invalid_accepts, 1);
}
