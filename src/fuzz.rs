//! `schedlab fuzz`: many seeds of a randomized scenario, every invariant checked after
//! every event.
//!
//! Each seed draws a cluster, a workload and a fault schedule (agent crashes and
//! restarts, partitions that heal, lossy links; for half the seeds three masters on a
//! coordination ensemble, with master and server crashes and masters cut off) from its own ChaCha stream, runs it
//! under the [`Checker`], and reports the first violation. A failing seed replays
//! exactly: `schedlab fuzz --seeds 1 --start SEED` (add `--dump` to see its scenario).
//! Seeds run in parallel on rayon; each run is single-threaded and deterministic.

use crate::actor::{MS, SEC};
use crate::frameworks::batch::BatchConfig;
use crate::run::{BuildHooks, Cluster};
use crate::scenario::{AgentGroup, Scenario};
use crate::sim::fault::Fault;
use crate::sim::net::{Latency, LinkModel};
use crate::sim::SimConfig;
use crate::units::NonNeg;
use crate::workload::{TaskSize, WorkloadSpec};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Test-only ways to break the system, to show that the checker catches them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sabotage {
    #[default]
    None,
    /// Agents told to shut down re-register without killing their tasks.
    KeepTasksOnShutdown,
    /// A leading master that loses its candidacy (its session expired, at the ensemble
    /// or by the group's local timer) goes on leading.
    LeaderIgnoresLostCandidacy,
    /// Agents send the status updates they generate while they have no id (while
    /// re-registering) naming no agent, so they are never acknowledged: the effect of
    /// issue 24, point 4 (caught by the checker's liveness checks).
    UnackableUpdatesWhileReregistering,
}

impl From<Sabotage> for BuildHooks {
    /// The build hooks that plant the defect.
    fn from(s: Sabotage) -> BuildHooks {
        match s {
            Sabotage::None => BuildHooks::default(),
            Sabotage::KeepTasksOnShutdown => BuildHooks {
                agent: Some(|cfg| cfg.keep_tasks_on_shutdown = true),
                ..BuildHooks::default()
            },
            Sabotage::UnackableUpdatesWhileReregistering => BuildHooks {
                agent: Some(|cfg| cfg.unstamped_updates_sabotage = true),
                ..BuildHooks::default()
            },
            Sabotage::LeaderIgnoresLostCandidacy => BuildHooks {
                master: Some(|m| m.keep_leading_sabotage = true),
                ..BuildHooks::default()
            },
        }
    }
}

/// The randomized scenario of one seed.
pub fn scenario(seed: u64) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let agents = rng.gen_range(4..=16u32);
    let stop = rng.gen_range(300..=900u64) * SEC;
    let mut text = crate::scenario::QUICKSTART.to_string();
    text.push('\n');
    let mut scn = Scenario::parse(&text, "fuzz").expect("quickstart parses");
    scn.name = format!("fuzz-{seed}");
    scn.seed = seed;
    scn.run.stop = stop;
    scn.run.stop_when_done = false;
    scn.masters.flags.offer_timeout = Some(rng.gen_range(10..=60) * SEC);
    scn.agents = vec![AgentGroup {
        name: "agent".into(),
        count: agents,
        cpus: NonNeg(rng.gen_range(2..=16) as f64),
        mem: NonNeg((rng.gen_range(4..=64) * 1024) as f64),
        disk: NonNeg(0.0),
        gpus: NonNeg(0.0),
        attributes: Default::default(),
        launch_delay: rng.gen_range(0..=500) * MS,
        reserve: Vec::new(),
    }];
    let frameworks = rng.gen_range(1..=3);
    scn.frameworks = (0..frameworks)
        .map(|i| {
            let mut f: BatchConfig = scn_framework(&format!("fw{i}"));
            f.tasks_per_offer = rng.gen_range(0..=3);
            f.failure_rate = [0.0, 0.05, 0.2][rng.gen_range(0..3)];
            f.partition_aware = rng.gen_bool(0.5);
            f.reconcile_interval = rng.gen_range(30..=120) * SEC;
            f.workload = WorkloadSpec::Synthetic {
                jobs: rng.gen_range(5..=60),
                interarrival: rng.gen_range(1..=20) * SEC,
                tasks_min: 1,
                tasks_max: rng.gen_range(1..=12),
                size: TaskSize {
                    cpus: NonNeg(rng.gen_range(1..=4) as f64 / 2.0),
                    mem: NonNeg((rng.gen_range(1..=8) * 512) as f64),
                    disk: NonNeg(0.0),
                    gpus: NonNeg(0.0),
                },
                duration_mean: rng.gen_range(5..=300) * SEC,
                duration_std: rng.gen_range(1..=100) * SEC,
                start: None,
            };
            crate::frameworks::FrameworkConfig::new(f.common(), f)
        })
        .collect();
    if rng.gen_bool(0.5) {
        scn.masters.flags.agent_return = crate::mesos::master::AgentReturn::Reregister;
    }
    // Masters and agents talk over TCP: delays but no silent loss (a broken connection
    // is a partition). Frameworks may lose messages: retries, offer timeouts and
    // reconciliation must cope.
    scn.network.default = LinkModel {
        latency: Latency::LogNormal {
            mean: rng.gen_range(100..=2000) * 1_000,
            std: rng.gen_range(50..=1000) * 1_000,
        },
        loss: 0.0,
        duplicate: 0.0,
        fifo: true,
    };
    let lossy = LinkModel {
        loss: [0.0, 0.001, 0.01][rng.gen_range(0..3)],
        ..scn.network.default.clone()
    };
    scn.network.links = vec![crate::scenario::LinkEntry {
        from: "frameworks".into(),
        to: "masters".into(),
        both: true,
        model: lossy,
    }];
    let mut faults = Vec::new();
    for _ in 0..rng.gen_range(0..=6) {
        let at = rng.gen_range(0..stop);
        let agent = format!("agent-{}", rng.gen_range(0..agents));
        let dur = rng.gen_range(5..=300) * SEC;
        faults.push(match rng.gen_range(0..3) {
            0 => Fault::crash(at, &agent, Some(dur)),
            1 => Fault::crash(at, &agent, None),
            _ => Fault::partition(at, Some(at + dur), &[&agent], &[]),
        });
    }
    // Half the seeds run three masters on a three-server ensemble, with the masters
    // and servers crashing and restarting and masters cut off from the ensemble.
    if rng.gen_bool(0.5) {
        scn.masters.count = 3;
        scn.coord.servers = 3;
        for _ in 0..rng.gen_range(1..=4) {
            let at = rng.gen_range(0..stop);
            let dur = rng.gen_range(5..=120) * SEC;
            let master = format!("master-{}", rng.gen_range(0..3));
            let server = format!("coord-{}", rng.gen_range(0..3));
            faults.push(match rng.gen_range(0..4) {
                0 | 1 => Fault::crash(at, &master, Some(dur)),
                2 => Fault::partition(at, Some(at + dur), &[&master], &["coord"]),
                _ => Fault::crash(at, &server, Some(dur)),
            });
        }
    }
    scn.faults = faults;
    scn
}

fn scn_framework(name: &str) -> BatchConfig {
    let text = format!(
        "name = \"{name}\"\nrole = \"{name}\"\nworkload = {{ kind = \"greedy\", cpus = 1, mem = 1 }}\n"
    );
    toml::from_str(&text).expect("a framework table")
}

/// What one seed did.
#[derive(Clone, Debug)]
pub struct SeedResult {
    pub seed: u64,
    pub events: u64,
    pub fingerprint: u64,
    pub violation: Option<String>,
}

/// Runs one seed with every invariant checked after every event.
pub fn run_seed(seed: u64, sabotage: Sabotage) -> SeedResult {
    let scn = scenario(seed);
    let mut c = Cluster::build_with(&scn, seed, SimConfig::default(), sabotage)
        .expect("fuzz scenarios build");
    let violation = crate::check::run_checked(&mut c, scn.run.stop);
    SeedResult {
        seed,
        events: c.sim.events(),
        fingerprint: c.sim.fingerprint(),
        violation,
    }
}

/// Runs `count` seeds from `start` in parallel; results in seed order.
pub fn run_many(start: u64, count: u64, sabotage: Sabotage) -> Vec<SeedResult> {
    (start..start + count)
        .into_par_iter()
        .map(|s| run_seed(s, sabotage))
        .collect()
}
