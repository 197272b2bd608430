//! schedlab: a deterministic, actor-model simulator and research testbed for
//! Mesos-style cluster scheduling. See `DESIGN.md` and the README.

pub mod actor;
pub mod alloc;
pub mod analysis;
pub mod bench;
pub mod check;
pub mod config;
pub mod coord;
pub mod driver;
pub mod experiment;
pub mod frameworks;
pub mod fuzz;
pub mod keymap;
pub mod mesos;
pub mod metrics;
#[cfg(test)]
mod module_graph;
pub mod plot;
pub mod proto;
pub mod real;
pub mod report;
pub mod resources;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod stats;
pub mod testkit;
pub mod trace;
pub mod units;
pub mod validation;
pub mod workload;
