//! The library's unit tests. They were `#[cfg(test)]` modules in `src/`, and the
//! library's own test harness compiled all of the library a second time in release;
//! here they share the suite's one binary (see `[lib]` in Cargo.toml). One file per
//! source module: `alloc_drf` holds the tests of `src/alloc/drf.rs`, `trace` those of
//! `src/trace/mod.rs`, `alloc_tests` the file `src/alloc/tests.rs`, and so on;
//! `module_graph` is the check that the library's top-level modules import each
//! other in no circle.

mod actor;
mod alloc_bench;
mod alloc_drf;
mod alloc_fairness;
mod alloc_policies;
mod alloc_quota;
mod alloc_quota_tests;
mod alloc_reference;
mod alloc_role_tree_tests;
mod alloc_roles;
mod alloc_tests;
mod analysis_compare;
mod bench_offers;
mod bench_peer;
mod bench_scale;
mod config_keypath;
mod config_locate;
mod config_suggest;
mod config_tagged;
mod coord_log;
mod coord_session;
mod coord_tree;
mod coord_vote;
mod coord_watch;
mod frameworks_aurora;
mod frameworks_constraints;
mod frameworks_iso8601;
mod frameworks_registry;
mod frameworks_replace;
mod fuzz;
mod keymap;
mod mesos_pings;
mod metrics;
mod metrics_parquet;
mod module_graph;
mod plot;
mod plot_data;
mod plot_omega;
mod proto;
mod real_auth;
mod real_clock;
mod real_frame;
mod real_unsupported;
mod report;
mod report_sequence;
mod resources;
mod scenario;
mod scenario_check_tests;
mod scenario_error_tests;
mod sim_latency;
mod sim_queue;
mod stats;
mod trace;
mod trace_alibaba;
mod trace_error;
mod trace_inspect;
mod trace_normalized;
mod trace_sort;
mod trace_swf;
mod trace_synth;
mod units;
