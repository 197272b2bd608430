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
        /// Task table format: csv (tasks.csv) or parquet (tasks.parquet, streamed in
        /// row groups).
        #[arg(long, default_value = "csv", value_parser = parse_format)]
        format: schedlab::metrics::OutputFormat,
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
    /// Validation against published results (Mesos Table 2, DRF, Omega, Borg).
    ValidatePaper {
        #[command(subcommand)]
        cmd: schedlab::validation::cli::ValidateCmd,
    },
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
    /// One allocation round over a grid of agents x frameworks (Mesos' allocator
    /// benchmark): prints {"bench":"alloc","agents":N,"frameworks":F,"policy":P,
    /// "round_ms":T,"offers":O} per point.
    Alloc {
        #[arg(long, value_delimiter = ',', default_values_t = [1000usize, 10000, 50000])]
        agents: Vec<usize>,
        #[arg(long, value_delimiter = ',', default_values_t = [10usize, 100, 1000])]
        frameworks: Vec<usize>,
        /// Policies to run (drf, fifo, random, binpack).
        #[arg(long, value_delimiter = ',', default_values = ["drf"], value_parser = parse_policy)]
        policy: Vec<schedlab::alloc::Policy>,
        /// Rounds per point (each on a fresh allocator); the fastest is printed.
        #[arg(long, default_value_t = 3)]
        rounds: u32,
    },
    /// Offers per second of wall time through the full master (greedy frameworks, one
    /// task per offer).
    Offers {
        #[arg(long, value_delimiter = ',', default_values_t = [1000u32, 10000])]
        agents: Vec<u32>,
        #[arg(long, value_delimiter = ',', default_values_t = [10u32, 100])]
        frameworks: Vec<u32>,
        /// Virtual seconds each point runs.
        #[arg(long, default_value_t = 60)]
        sim_s: u64,
    },
    /// The same per-agent load (scenarios/borg-scale-day.toml) at several cluster
    /// sizes for a fixed virtual time, each in a child process: prints agents, events,
    /// wall_s, events_per_sec, peak_rss_mb per size.
    Scale {
        #[arg(long, value_delimiter = ',', default_values_t = [1000u32, 2500, 5000, 12500])]
        agents: Vec<u32>,
        /// Virtual time each size runs.
        #[arg(long, default_value = "2h")]
        stop: String,
        /// Internal: run one size in this process.
        #[arg(long, hide = true)]
        child: Option<u32>,
    },
}

fn parse_format(s: &str) -> Result<schedlab::metrics::OutputFormat, String> {
    match s {
        "csv" => Ok(schedlab::metrics::OutputFormat::Csv),
        "parquet" => Ok(schedlab::metrics::OutputFormat::Parquet),
        _ => Err(format!("unknown format `{s}` (csv, parquet)")),
    }
}

fn parse_policy(s: &str) -> Result<schedlab::alloc::Policy, String> {
    schedlab::alloc::Policy::ALL
        .into_iter()
        .find(|p| p.name() == s)
        .ok_or_else(|| format!("unknown policy `{s}` (drf, fifo, random, binpack)"))
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
            format,
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
                format,
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
            BenchCmd::Alloc {
                agents,
                frameworks,
                policy,
                rounds,
            } => {
                schedlab::bench::alloc::alloc_cli(&agents, &frameworks, &policy, rounds);
                ExitCode::SUCCESS
            }
            BenchCmd::Offers {
                agents,
                frameworks,
                sim_s,
            } => {
                for &a in &agents {
                    for &f in &frameworks {
                        match schedlab::bench::offers::offers_point(a, f, sim_s) {
                            Ok(line) => schedlab::bench::print_line(&line),
                            Err(e) => {
                                eprintln!("error: {e}");
                                return ExitCode::from(2);
                            }
                        }
                    }
                }
                ExitCode::SUCCESS
            }
            BenchCmd::Scale {
                agents,
                stop,
                child,
            } => {
                let r = match child {
                    Some(n) => schedlab::bench::scale::scale_point(n, &stop)
                        .map(|line| schedlab::bench::print_line(&line)),
                    None => schedlab::bench::scale::scale_cli(&agents, &stop),
                };
                match r {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("error: {e}");
                        ExitCode::from(2)
                    }
                }
            }
        },
        Cmd::Trace { cmd } => schedlab::trace::cli::main(cmd),
        Cmd::ValidatePaper { cmd } => schedlab::validation::cli::main(cmd),
    }
}
