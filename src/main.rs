//! The `schedlab` command line: parsing only; the work is in the library.

use clap::{Parser, Subcommand};

/// Writes to stdout, ignoring a closed pipe (`schedlab run | head` must not panic).
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}
use schedlab::run::{execute, RunOptions};
use schedlab::scenario::{Scenario, QUICKSTART};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "schedlab",
    version,
    about = "Deterministic simulator for Mesos-style cluster scheduling"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Runs a scenario (the built-in quickstart without one) and writes its results.
    Run {
        /// Scenario TOML file; omit to run the built-in quickstart.
        scenario: Option<PathBuf>,
        /// Run seed (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Results directory (default: results/<scenario name>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override a scenario value: --set allocator.policy=fifo (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Also write every protocol message to events.jsonl.
        #[arg(long)]
        events: bool,
    },
    /// Checks a scenario file without running it.
    Validate { scenario: PathBuf },
    /// Runs a scenario checking every invariant after every event (no files written).
    Check {
        scenario: Option<PathBuf>,
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
    /// Runs N seeds of a randomized scenario with faults, checking every invariant
    /// after every event; prints the first failing seed and how to replay it.
    Fuzz {
        #[arg(long, default_value_t = 100)]
        seeds: u64,
        #[arg(long, default_value_t = 1)]
        start: u64,
        /// Print the scenario of each seed (as TOML) instead of running it.
        #[arg(long)]
        dump: bool,
        /// Test-only: run with a deliberate defect to show the checker catches it.
        #[arg(long, hide = true, value_enum)]
        sabotage: Option<SabotageArg>,
    },
    /// Benchmarks; each prints one JSON object per line.
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
    },
    /// Real workload traces: inspect, convert to the normalized CSV, synthesize.
    Trace {
        #[command(subcommand)]
        cmd: schedlab::trace::cli::TraceCmd,
    },
    /// Compares sets of runs metric by metric (means, 95% CIs, Welch and Mann-Whitney).
    Compare(schedlab::analysis::cli::CompareArgs),
    /// Draws PNG and SVG figures of runs (CDFs, utilization, shares, Gantt, failovers)
    /// or of an Omega sweep CSV.
    Plot(schedlab::analysis::cli::PlotArgs),
    /// Writes one self-contained HTML report: summaries, comparisons, figures and a
    /// sequence view of a run's messages.
    Report(schedlab::analysis::cli::ReportArgs),
    /// Runs a parameter sweep (points x seeds) in parallel, resumable and shardable;
    /// `sweep merge DIR...` joins shards. See README "Sweeps".
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Sweep {
        #[command(subcommand)]
        cmd: Option<SweepCmd>,
        #[command(flatten)]
        args: SweepArgs,
    },
    /// Validation against published results (Mesos Table 2, DRF, Omega, Borg).
    ValidatePaper {
        #[command(subcommand)]
        cmd: schedlab::validation::cli::ValidateCmd,
    },
}

#[derive(clap::Args)]
struct SweepArgs {
    /// Sweep spec TOML (base scenario, seeds, [set], [vary]).
    #[arg(required = true)]
    spec: Option<PathBuf>,
    /// Runs at once (threads; default: one per core).
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    jobs: usize,
    /// Sweep folder (default: results/sweeps/<spec file stem>/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Only shard i of N (1-based) of the run list; writes sweep-shard-i-of-N.csv.
    #[arg(long, value_name = "i/N")]
    shard: Option<schedlab::experiment::shard::Shard>,
    /// Write an sbatch job-array script running the sweep as shards (runs nothing).
    #[arg(long, value_name = "FILE")]
    emit_slurm: Option<PathBuf>,
    /// Array tasks (shards) of the Slurm script.
    #[arg(long, default_value_t = 4, value_name = "N")]
    slurm_shards: usize,
    /// Slurm partition (default: the cluster's).
    #[arg(long)]
    slurm_partition: Option<String>,
    /// Time limit per array task, in Slurm's format.
    #[arg(long, default_value = "01:00:00")]
    slurm_time: String,
    /// CPUs per array task (and the shard's --jobs).
    #[arg(long, default_value_t = 1)]
    slurm_cpus: usize,
}

#[derive(Subcommand)]
enum SweepCmd {
    /// Joins shard tables into DIR1/sweep.csv; run folders of DIR2... are moved into DIR1.
    Merge {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
}

fn sweep(cmd: Option<SweepCmd>, a: SweepArgs) -> ExitCode {
    use schedlab::experiment::{shard, slurm, spec::SweepSpec, sweep};
    let fail = |e: schedlab::run::RunError| {
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
            Err(e) => fail(e),
        };
    }
    let path = a.spec.expect("required by clap");
    let spec = match SweepSpec::load(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
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
            .map_err(|e| schedlab::run::RunError {
                message: format!("cannot find the schedlab binary: {e}"),
                code: 1,
            })
            .and_then(|bin| {
                let out = slurm::absolute(&out)?;
                std::fs::create_dir_all(out.join("slurm")).map_err(|e| {
                    schedlab::run::RunError {
                        message: format!("{}: {e}", out.display()),
                        code: 1,
                    }
                })?;
                slurm::script(&bin, &slurm::absolute(&path)?, &out, total, &opts)
            })
            .and_then(|t| {
                std::fs::write(&file, t).map_err(|e| schedlab::run::RunError {
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
            Err(e) => fail(e),
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
        Err(e) => fail(e),
    }
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Ping-pong between pairs of actors through the network model.
    Engine {
        /// Delivered messages per actor count.
        #[arg(long, default_value_t = 5_000_000)]
        events: u64,
        /// Actor counts to run.
        #[arg(long, value_delimiter = ',', default_values_t = [100usize, 1000, 10000])]
        actors: Vec<usize>,
        /// Also build and run the peer engines of this cargo project (e.g.
        /// ../shared/bench/peer-bench) and print schedlab/peer ratios.
        #[arg(long, value_name = "DIR")]
        peer: Option<PathBuf>,
        /// Runs of each engine; the best is kept (default: 3 with --peer, else 1).
        #[arg(long)]
        rounds: Option<u32>,
    },
}

fn load(path: Option<&PathBuf>, sets: &[String]) -> Result<Scenario, String> {
    let (text, file) = match path {
        Some(p) => (
            std::fs::read_to_string(p)
                .map_err(|e| format!("{}: cannot read scenario: {e}", p.display()))?,
            p.display().to_string(),
        ),
        None => (QUICKSTART.to_string(), "quickstart (built in)".to_string()),
    };
    Scenario::parse_with_overrides(&text, &file, sets).map_err(|e| e.to_string())
}

/// The deliberate defects `fuzz --sabotage` can switch on.
#[derive(Clone, Copy, clap::ValueEnum)]
enum SabotageArg {
    /// Agents told to shut down keep their tasks running.
    KeepTasks,
    /// A leader that lost its coordination session goes on leading.
    KeepLeading,
}

fn fuzz(seeds: u64, start: u64, dump: bool, sabotage: Option<SabotageArg>) -> ExitCode {
    use schedlab::fuzz::{run_many, scenario, Sabotage};
    if dump {
        for s in start..start + seeds {
            outln!(
                "# seed {s}\n{}",
                toml::to_string(&scenario(s)).expect("serializable")
            );
        }
        return ExitCode::SUCCESS;
    }
    let (sabotage, flag) = match sabotage {
        None => (Sabotage::None, ""),
        Some(SabotageArg::KeepTasks) => (Sabotage::KeepTasksOnShutdown, " --sabotage keep-tasks"),
        Some(SabotageArg::KeepLeading) => {
            (Sabotage::LeaderIgnoresLeaseLoss, " --sabotage keep-leading")
        }
    };
    let results = run_many(start, seeds, sabotage);
    let events: u64 = results.iter().map(|r| r.events).sum();
    match results.iter().find(|r| r.violation.is_some()) {
        None => {
            outln!("fuzz: {seeds} seeds from {start}: no invariant violated ({events} events)");
            ExitCode::SUCCESS
        }
        Some(r) => {
            outln!(
                "fuzz: seed {} violates an invariant: {}",
                r.seed,
                r.violation.as_deref().unwrap_or_default()
            );
            outln!(
                "replay: schedlab fuzz --seeds 1 --start {}{}   (add --dump for its scenario)",
                r.seed,
                flag
            );
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Run {
            scenario,
            seed,
            out,
            sets,
            events,
        } => {
            let scn = match load(scenario.as_ref(), &sets) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let out = out.unwrap_or_else(|| PathBuf::from("results").join(&scn.name));
            let opts = RunOptions {
                seed,
                out: Some(out.clone()),
                events,
                progress: std::io::stderr().is_terminal(),
            };
            match execute(&scn, &opts) {
                Ok(summary) => {
                    out!("{}", summary.human());
                    outln!("results: {}", out.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {}", e.message);
                    ExitCode::from(e.code)
                }
            }
        }
        Cmd::Validate { scenario } => match load(Some(&scenario), &[]) {
            Ok(s) => {
                outln!(
                    "{}: ok (scenario `{}`: {} agent groups, {} frameworks, {} faults)",
                    scenario.display(),
                    s.name,
                    s.agents.len(),
                    s.frameworks.len(),
                    s.faults.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Cmd::Check {
            scenario,
            seed,
            sets,
        } => {
            let scn = match load(scenario.as_ref(), &sets) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let seed = seed.unwrap_or(scn.seed);
            let mut c = match schedlab::run::Cluster::build(&scn, seed, Default::default()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            match schedlab::check::run_checked(&mut c, scn.run.stop) {
                None => {
                    outln!(
                        "check: scenario `{}` seed {seed}: every invariant held after each of {} events",
                        scn.name,
                        c.sim.events()
                    );
                    ExitCode::SUCCESS
                }
                Some(v) => {
                    outln!("check: scenario `{}` seed {seed}: {v}", scn.name);
                    ExitCode::from(1)
                }
            }
        }
        Cmd::Fuzz {
            seeds,
            start,
            dump,
            sabotage,
        } => fuzz(seeds, start, dump, sabotage),
        Cmd::Bench { what } => match what {
            BenchCmd::Engine {
                events,
                actors,
                peer,
                rounds,
            } => {
                let rounds = rounds.unwrap_or(if peer.is_some() { 3 } else { 1 });
                let r = schedlab::bench::engine_cli(&actors, events, peer.as_deref(), rounds);
                if let Err(e) = r {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
                ExitCode::SUCCESS
            }
        },
        Cmd::Trace { cmd } => schedlab::trace::cli::main(cmd),
        Cmd::ValidatePaper { cmd } => schedlab::validation::cli::main(cmd),
        Cmd::Compare(a) => schedlab::analysis::cli::compare_main(a),
        Cmd::Plot(a) => schedlab::analysis::cli::plot_main(a),
        Cmd::Report(a) => schedlab::analysis::cli::report_main(a),
        Cmd::Sweep { cmd, args } => sweep(cmd, args),
    }
}
