//! schedlab: a deterministic, actor-model simulator and research testbed for
//! Mesos-style cluster scheduling. See `docs/design.md` and the README.
//!
//! What most programs need is re-exported here: reading a scenario and running it
//! ([`Scenario`], [`execute`], [`RunOptions`], [`Summary`]), adding an allocation
//! policy ([`AllocationPolicy`], [`register_policy`], and the check that holds it to the
//! allocator's contract, [`check_policy_against_reference`]), testing a framework in a
//! simulated cluster ([`ClusterBuilder`]), and the command line itself ([`cli::main`]),
//! for a program that registers its own policies and then runs schedlab's subcommands.

pub mod actor;
pub mod alloc;
pub mod analysis;
pub mod bench;
pub mod check;
pub mod cli;
pub mod config;
pub mod coord;
pub mod driver;
pub mod experiment;
pub mod frameworks;
pub mod fuzz;
pub mod job;
pub mod keymap;
pub mod mesos;
pub mod metrics;
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

pub use actor::{Time, SEC};
pub use alloc::{
    check_policy_against_reference, register_policy, AgentView, AllocationPolicy, Candidate,
    Candidates, Policy, PolicyParams,
};
pub use metrics::Summary;
pub use resources::Resources;
pub use run::{execute, RunError, RunOptions};
pub use scenario::Scenario;
pub use testkit::{ClusterBuilder, TestCluster};
