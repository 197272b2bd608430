//! schedlab's integration tests, as one test binary: each module was once its own file
//! under `tests/`, and each would be linked against the library and every dependency
//! on its own. One binary links once (see README, "Tests").
//!
//! Run one module with `cargo test --release --test suite <module>::`, e.g.
//! `cargo test --release --test suite frameworks::`.

mod analysis;
mod cli;
mod common;
mod coord;
mod engine;
mod failover;
mod failures;
mod frameworks;
mod fuzz;
mod mesos;
mod mesos_fidelity;
mod parquet;
mod policy_extension;
mod protocol;
mod real;
mod real_browser;
mod replay;
mod sweep;
mod testkit_example;
mod traces;
mod unit;
mod validation_borg;
mod validation_drf;
mod validation_mesos;
mod validation_omega;
