//! Bounds on the sizes a scenario asks for (`[limits]`), so that a typo such as
//! `count = 10000000` or `sample_interval = "1ns"` is refused with its file, line and
//! key before a run allocates memory, disk or time in proportion to it.
//!
//! The bounds are far above what a real study needs (Google's 2011 trace has 12.5k
//! machines; Alibaba's 2018 one 4k) and overridable in the scenario's `[limits]` table
//! (or `--set limits.agents=2000000`) where a study needs more. The per-agent resource
//! bounds are not overridable: they keep the sum over a cluster of `limits.agents`
//! agents within the `u64` the allocator counts in.

use crate::actor::{Time, MS};
use serde::{Deserialize, Serialize};

/// The overridable bounds (`[limits]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Agents in the cluster, over every group.
    pub agents: u64,
    /// Tasks in one job (a `jobs` entry's `tasks`, a synthetic workload's `tasks_max`).
    pub tasks_per_job: u64,
    /// Rows of `timeseries.csv`: `run.stop / run.sample_interval`.
    pub samples: u64,
    /// Shortest `run.sample_interval` and `masters.allocation_interval`.
    #[serde(with = "crate::units::duration")]
    pub min_interval: Time,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            agents: 1_000_000,
            tasks_per_job: 1_000_000,
            samples: 10_000_000,
            min_interval: MS,
        }
    }
}

impl Limits {
    /// For `skip_serializing_if`: a scenario without `[limits]` writes none back.
    pub fn is_default(&self) -> bool {
        *self == Limits::default()
    }

    /// `value` must be at most `bound` (`limits.<name>`): the message says both and
    /// how to raise it.
    pub fn at_most(what: &str, value: u64, bound: u64, name: &str) -> Result<(), String> {
        match value <= bound {
            true => Ok(()),
            false => Err(format!(
                "{what} is {value}, above the bound of {bound} (raise it with `limits.{name}` if a study needs more)"
            )),
        }
    }
}

/// The largest agent, kind by kind (not overridable): 100,000 CPUs, 1 PiB of memory
/// and of disk (in MiB), 10,000 GPUs. Far beyond any machine, and small enough that a
/// cluster of a billion such agents still sums within `u64` (CPUs are counted in
/// thousandths).
pub const AGENT_MAX: [(&str, f64); 4] = [
    ("cpus", 100_000.0),
    ("mem", (1u64 << 30) as f64),
    ("disk", (1u64 << 30) as f64),
    ("gpus", 10_000.0),
];

/// Each kind of an agent `[cpus, mem, disk, gpus]` within [`AGENT_MAX`]: the first
/// kind above it, as (key, message).
pub fn check_agent_size(size: [f64; 4]) -> Result<(), (&'static str, String)> {
    for ((key, max), v) in AGENT_MAX.into_iter().zip(size) {
        if v > max {
            return Err((
                key,
                format!(
                    "{key} = {} is above the largest agent schedlab models ({key} <= {max})",
                    short(v)
                ),
            ));
        }
    }
    Ok(())
}

/// `v` as written, or in exponent form when it is too long to read (`1e300`).
fn short(v: f64) -> String {
    match v.abs() < 1e15 {
        true => v.to_string(),
        false => format!("{v:e}"),
    }
}
