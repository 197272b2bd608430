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
use std::cell::{Cell, RefCell};
use std::panic::AssertUnwindSafe;
use std::sync::Once;

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
    /// An agent panics when it takes its master for lost: a seed that crashes the
    /// simulator, which the fuzzer reports and survives.
    AgentPanicsOnMasterLoss,
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
            Sabotage::AgentPanicsOnMasterLoss => BuildHooks {
                agent: Some(|cfg| cfg.panic_on_master_lost_sabotage = true),
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
    /// The first invariant violated, or why the seed failed otherwise (it panicked,
    /// its scenario did not build, it executed no event).
    pub violation: Option<String>,
    /// The seed panicked (the message, with where, is in `violation`).
    pub panicked: bool,
}

thread_local! {
    /// Set while this thread runs a seed: its panics are recorded, not printed.
    static IN_SEED: Cell<bool> = const { Cell::new(false) };
    /// The last panic of a seed on this thread, as the panic hook formats it.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that records the panics of seeds instead of printing
/// them, and leaves every other panic to the hook that was there.
fn record_seed_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_SEED.with(Cell::get) {
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(info.to_string()));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs one seed with every invariant checked after every event. A panic is this
/// seed's failure, not the caller's: it is caught and reported with its message.
pub fn run_seed(seed: u64, sabotage: Sabotage) -> SeedResult {
    record_seed_panics();
    IN_SEED.with(|s| s.set(true));
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let scn = scenario(seed);
        let mut c = match Cluster::build_with(&scn, seed, SimConfig::default(), sabotage) {
            Ok(c) => c,
            Err(e) => return (0, 0, Some(format!("its scenario does not build: {e}"))),
        };
        let violation = crate::check::run_checked(&mut c, scn.run.stop)
            .or_else(|| (c.sim.events() == 0).then(|| "it executed no event".to_string()));
        (c.sim.events(), c.sim.fingerprint(), violation)
    }));
    IN_SEED.with(|s| s.set(false));
    match outcome {
        Ok((events, fingerprint, violation)) => SeedResult {
            seed,
            events,
            fingerprint,
            violation,
            panicked: false,
        },
        Err(payload) => {
            let recorded = LAST_PANIC.with(|p| p.borrow_mut().take());
            let message = recorded.unwrap_or_else(|| match payload.downcast_ref::<&str>() {
                Some(s) => s.to_string(),
                None => payload
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| "a panic without a message".into()),
            });
            SeedResult {
                seed,
                events: 0,
                fingerprint: 0,
                violation: Some(message.replace('\n', " ")),
                panicked: true,
            }
        }
    }
}

/// Runs `count` seeds from `start` in parallel; results in seed order.
/// `count` seeds that would run past `u64::MAX` are cut there.
pub fn run_many(start: u64, count: u64, sabotage: Sabotage) -> Vec<SeedResult> {
    if count == 0 {
        return Vec::new();
    }
    let last = start.saturating_add(count - 1);
    (start..=last)
        .into_par_iter()
        .map(|s| run_seed(s, sabotage))
        .collect()
}

/// The scenario of `seed` as TOML that `run`, `check` and `validate` accept.
///
/// Through a JSON tree because TOML has no null: absent optional keys are left out,
/// as a scenario file leaves them out.
pub fn dump(seed: u64) -> String {
    fn strip_nulls(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|_, x| !x.is_null());
                m.values_mut().for_each(strip_nulls);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip_nulls),
            _ => {}
        }
    }
    let mut tree = serde_json::to_value(scenario(seed)).expect("a scenario serializes");
    strip_nulls(&mut tree);
    toml::to_string(&tree).expect("a JSON tree without nulls is TOML")
}

#[cfg(test)]
mod dump_tests {
    use crate::scenario::Scenario;

    /// `--dump` writes what `run` reads back as the same scenario.
    #[test]
    fn dumped_scenarios_parse_back_to_themselves() {
        for seed in 1..=40 {
            let text = super::dump(seed);
            let mut back = Scenario::parse(&text, "dump")
                .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
            let want = super::scenario(seed);
            back.source.clone_from(&want.source); // the file name it was read from
            assert_eq!(back, want, "seed {seed}");
        }
    }
}
