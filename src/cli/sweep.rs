//! `schedlab sweep`: a parameter sweep, its shards and their merge.

use super::fail;
use clap::Subcommand;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct SweepArgs {
    /// Sweep spec TOML (base scenario, seeds, [set], [vary]).
    #[arg(required = true)]
    pub spec: Option<PathBuf>,
    /// Runs at once (threads; default: one per core).
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    pub jobs: usize,
    /// Sweep folder (default: results/sweeps/<spec file stem>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Only shard i of N (1-based) of the run list; writes sweep-shard-i-of-N.csv.
    #[arg(long, value_name = "i/N")]
    pub shard: Option<crate::experiment::shard::Shard>,
    /// Write an sbatch job-array script running the sweep as shards (runs nothing).
    #[arg(long, value_name = "FILE")]
    pub emit_slurm: Option<PathBuf>,
    /// Array tasks (shards) of the Slurm script.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub slurm_shards: usize,
    /// Slurm partition (default: the cluster's).
    #[arg(long)]
    pub slurm_partition: Option<String>,
    /// Time limit per array task, in Slurm's format.
    #[arg(long, default_value = "01:00:00")]
    pub slurm_time: String,
    /// CPUs per array task (and the shard's --jobs).
    #[arg(long, default_value_t = 1)]
    pub slurm_cpus: usize,
}

#[derive(Subcommand)]
pub enum SweepCmd {
    /// Joins shard tables into DIR1/sweep.csv; run folders of DIR2... are moved into DIR1.
    Merge {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
}

/// `schedlab sweep` and `sweep merge`.
pub fn sweep(cmd: Option<SweepCmd>, a: SweepArgs) -> ExitCode {
    use crate::experiment::{shard, slurm, spec::SweepSpec, sweep};
    let run_failed = |e: crate::run::RunError| {
        eprintln!("error: {}", e.message);
        ExitCode::from(e.code)
    };
    if let Some(SweepCmd::Merge { dirs }) = cmd {
        return match shard::merge(&dirs) {
            Ok(m) => {
                outln!(
                    "sweep merge: {} shards, {} runs ({} run folders moved in): {}",
                    m.shards,
                    m.runs,
                    m.moved,
                    m.csv.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => run_failed(e),
        };
    }
    let path = a.spec.expect("required by clap");
    let spec = match SweepSpec::load(&path) {
        Ok(s) => s,
        Err(e) => return fail(2, e),
    };
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from("results/sweeps").join(spec.stem()));
    let total = spec.points.len() * spec.seeds.len();
    if let Some(file) = a.emit_slurm {
        let opts = slurm::SlurmOptions {
            shards: a.slurm_shards,
            partition: a.slurm_partition,
            time: a.slurm_time,
            cpus: a.slurm_cpus,
        };
        let text = std::env::current_exe()
            .map_err(|e| crate::run::RunError {
                message: format!("cannot find the schedlab binary: {e}"),
                code: 1,
            })
            .and_then(|bin| {
                let out = slurm::absolute(&out)?;
                std::fs::create_dir_all(out.join("slurm")).map_err(|e| crate::run::RunError {
                    message: format!("{}: {e}", out.display()),
                    code: 1,
                })?;
                slurm::script(&bin, &slurm::absolute(&path)?, &out, total, &opts)
            })
            .and_then(|t| {
                std::fs::write(&file, t).map_err(|e| crate::run::RunError {
                    message: format!("{}: {e}", file.display()),
                    code: 1,
                })
            });
        return match text {
            Ok(()) => {
                outln!(
                    "wrote {} ({} runs in {} array tasks); submit with: sbatch {}",
                    file.display(),
                    total,
                    opts.shards,
                    file.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => run_failed(e),
        };
    }
    let opts = sweep::SweepOptions {
        out: out.clone(),
        jobs: a.jobs,
        shard: a.shard,
        progress: std::io::stderr().is_terminal(),
    };
    match sweep::run(&spec, &opts) {
        Ok(o) => {
            let of = match a.shard {
                Some(s) => format!(" (shard {}/{} of {total})", s.i, s.n),
                None => format!(
                    " ({} points x {} seeds)",
                    spec.points.len(),
                    spec.seeds.len()
                ),
            };
            outln!(
                "sweep: {} runs{of}: {} ran, {} skipped (already complete)",
                o.runs,
                o.ran,
                o.skipped
            );
            outln!("table: {}", o.csv.display());
            ExitCode::SUCCESS
        }
        Err(e) => run_failed(e),
    }
}
