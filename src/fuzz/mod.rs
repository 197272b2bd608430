//! `schedlab fuzz`: many seeds of a randomized scenario, every invariant checked after
//! every event.
//!
//! Each seed draws a cluster, frameworks of every kind and a fault schedule over
//! everything the engine can break ([`generate`]) from its own ChaCha stream, runs it
//! under the [`Checker`](crate::check::Checker), and reports the first violation. A failing seed replays
//! exactly: `schedlab fuzz --seeds 1 --start SEED` (add `--dump` to see its scenario).
//! Seeds run in parallel on rayon; each run is single-threaded and deterministic.

pub mod generate;

use crate::run::{BuildHooks, Cluster};
use crate::scenario::Scenario;
use crate::sim::SimConfig;
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

/// The randomized scenario of one seed (see [`generate`]).
pub fn scenario(seed: u64) -> Scenario {
    generate::generate(seed).scenario
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
    /// What its scenario exercises ([`generate::TAGS`]).
    pub covers: Vec<&'static str>,
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
    let mut covers = Vec::new();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let generated = generate::generate(seed);
        covers = generated.covers;
        let scn = generated.scenario;
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
            covers,
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
                covers,
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
pub fn dump(seed: u64) -> Result<String, String> {
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
    if i64::try_from(seed).is_err() {
        return Err(format!(
            "seed {seed} does not fit a scenario file (a TOML integer is at most {}); \
             replay it with `schedlab fuzz --seeds 1 --start {seed}`",
            i64::MAX
        ));
    }
    let mut tree = serde_json::to_value(scenario(seed)).expect("a scenario serializes");
    strip_nulls(&mut tree);
    Ok(toml::to_string(&tree).expect("a JSON tree without nulls is TOML"))
}
