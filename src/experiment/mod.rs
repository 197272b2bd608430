//! Experiments over many runs: parameter sweeps (points x seeds) executed in parallel
//! across runs, sliced into shards for clusters (Slurm job arrays) and merged back.
//!
//! What it models is the experimenter's loop of a policy A/B study: one base scenario,
//! a cartesian product of `--set` overrides (the *points*), each run for several seeds,
//! and one table (`sweep.csv`) with one row per run that notebooks and statistics read.
//! Parallelism is only across runs (one run per rayon thread, never threads inside a
//! run: docs/design.md, Engine rules), so every run is the same bytes as `schedlab run`
//! with that seed and those `--set` flags, and `sweep.csv` is the same bytes however it
//! was scheduled.
//!
//! - [`spec`]: the sweep spec file (TOML) and its points.
//! - [`sweep`]: the run list, execution with resume, and the `sweep.csv` contract.
//! - [`shard`]: `--shard i/N` slices and `sweep merge`.
//! - [`slurm`]: the sbatch job-array script of `--emit-slurm`.

pub mod shard;
pub mod slurm;
pub mod spec;
pub mod sweep;
