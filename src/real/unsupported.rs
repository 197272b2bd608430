//! What real mode cannot honour of a scenario, refused before anything starts.
//!
//! Real mode hosts the same actors as the engine, but not the engine: messages go over
//! TCP (no modelled latency, loss, duplication or reordering) and nothing schedules
//! faults (nodes die through `schedlab ctl crash` or by killing their process). A
//! scenario that sets those would run as if they were not there and its results would
//! silently answer another question, so `up`, `up --processes` and `node` refuse it
//! and name each key.

use crate::scenario::{NetworkSection, Scenario};
use crate::sim::fault::Fault;

/// One scenario key real mode would ignore, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    /// The key as `--set` spells it (`network.default.latency`, `faults.0`).
    pub key: String,
    pub why: String,
}

/// The keys of `scn` real mode cannot honour, in file order (empty: it can run it).
pub fn unsupported(scn: &Scenario) -> Vec<Unsupported> {
    let mut out = Vec::new();
    let mut refuse = |key: String, why: &str| {
        out.push(Unsupported {
            key,
            why: why.to_string(),
        })
    };
    const TCP: &str = "real mode sends every message over TCP and cannot model the network; \
                       remove it, or simulate the scenario with `schedlab run`";
    let plain = NetworkSection::default().default;
    let d = &scn.network.default;
    if d.latency != plain.latency {
        refuse("network.default.latency".into(), TCP);
    }
    if d.loss != plain.loss {
        refuse("network.default.loss".into(), TCP);
    }
    if d.duplicate != plain.duplicate {
        refuse("network.default.duplicate".into(), TCP);
    }
    if d.fifo != plain.fifo {
        refuse("network.default.fifo".into(), TCP);
    }
    if !scn.network.links.is_empty() {
        refuse("network.links".into(), TCP);
    }
    for (i, f) in scn.faults.iter().enumerate() {
        let why = match f {
            Fault::Crash { .. } | Fault::Restart { .. } => {
                "real mode schedules no faults; crash a node with `schedlab ctl crash` \
                 (or kill its process under `up --processes`)"
            }
            Fault::Partition { .. } | Fault::Link { .. } => {
                "partitions and link faults need the simulated network; \
                 simulate the scenario with `schedlab run`"
            }
            Fault::MarkGone { .. } => {
                "real mode schedules no operator calls; mark an agent gone with \
                 `schedlab ctl <master> mark-gone <agent>`"
            }
        };
        refuse(format!("faults.{i}"), why);
    }
    if scn.agent_failures.is_some() {
        refuse(
            "agent_failures".into(),
            "real mode schedules no faults; simulate the scenario with `schedlab run`",
        );
    }
    out
}

/// Refuses `scn` if real mode cannot honour all of it: the message names the scenario
/// file and every key, one per line.
pub fn check(scn: &Scenario) -> Result<(), String> {
    let keys = unsupported(scn);
    if keys.is_empty() {
        return Ok(());
    }
    let file = match &scn.source {
        Some(f) => f.clone(),
        None => format!("scenario `{}`", scn.name),
    };
    let mut m = format!("{file}: real mode cannot honour these keys:");
    for k in keys {
        m.push_str(&format!("\n  `{}`: {}", k.key, k.why));
    }
    Err(m)
}
