//! The `schedlab` command line: the argument definitions and one function per
//! subcommand; the work is in the rest of the library. It lives in the library so that
//! a program of a researcher's own can register its policies and framework kinds and
//! then hand over to the same command line ([`main`]; see `examples/aging_drf.rs`).

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

pub mod analysis;
pub mod bench;
pub mod real;
pub mod simulate;
pub mod sweep;

use crate::scenario::{Scenario, QUICKSTART};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "schedlab",
    version,
    about = "Deterministic simulator for Mesos-style cluster scheduling"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Runs a scenario (the built-in quickstart without one) and writes its results.
    Run(simulate::RunArgs),
    /// Checks a scenario file without running it.
    Validate(simulate::ValidateArgs),
    /// Runs a scenario checking every invariant after every event (no files written).
    Check(simulate::CheckArgs),
    /// Runs N seeds of a randomized scenario with faults, checking every invariant
    /// after every event; prints every failing seed (safety and liveness) and how to replay it.
    Fuzz(simulate::FuzzArgs),
    /// Benchmarks; each prints one JSON object per line.
    Bench {
        #[command(subcommand)]
        what: bench::BenchCmd,
    },
    /// Real workload traces: inspect, convert to the normalized CSV, synthesize.
    Trace {
        #[command(subcommand)]
        cmd: crate::trace::cli::TraceCmd,
    },
    /// Runs a parameter sweep (points x seeds) in parallel, resumable and shardable;
    /// `sweep merge DIR...` joins shards. See docs/analysis.md, "Sweeps".
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Sweep {
        #[command(subcommand)]
        cmd: Option<sweep::SweepCmd>,
        #[command(flatten)]
        args: sweep::SweepArgs,
    },
    /// Compares sets of runs metric by metric (means, 95% CIs, Welch and Mann-Whitney).
    Compare(analysis::CompareArgs),
    /// Draws PNG and SVG figures of runs (CDFs, utilization, shares, Gantt, failovers)
    /// or of an Omega sweep CSV.
    Plot(analysis::PlotArgs),
    /// Writes one self-contained HTML report: summaries, comparisons, figures and a
    /// sequence view of a run's messages.
    Report(analysis::ReportArgs),
    /// Validation against published results (Mesos Table 2, DRF, Omega, Borg).
    ValidatePaper {
        #[command(subcommand)]
        cmd: crate::validation::cli::ValidateCmd,
    },
    /// Starts a whole scenario over real TCP (`--real`), each node on its own loopback
    /// port; prints the nodes and writes the results as `run` does.
    Up(real::UpArgs),
    /// Runs one node (actor) of a scenario over real TCP.
    Node(real::NodeArgs),
    /// Admin client of a real-mode node: status, kill a task, crash the node.
    Ctl(real::CtlArgs),
}

/// Reports `e` as schedlab reports every error (`error: ...` on stderr) and gives the
/// exit code: 2 for bad input, 1 for a failure while working.
pub(crate) fn fail(code: u8, e: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(code)
}

/// Parses the process's arguments and runs the subcommand they name.
pub fn main() -> ExitCode {
    match Cli::parse().cmd {
        Cmd::Run(a) => simulate::run(a),
        Cmd::Validate(a) => simulate::validate(a),
        Cmd::Check(a) => simulate::check(a),
        Cmd::Fuzz(a) => simulate::fuzz(a),
        Cmd::Bench { what } => bench::bench(what),
        Cmd::Trace { cmd } => crate::trace::cli::main(cmd),
        Cmd::ValidatePaper { cmd } => crate::validation::cli::main(cmd),
        Cmd::Sweep { cmd, args } => sweep::sweep(cmd, args),
        Cmd::Compare(a) => analysis::compare_main(a),
        Cmd::Plot(a) => analysis::plot_main(a),
        Cmd::Report(a) => analysis::report_main(a),
        Cmd::Up(a) => real::up(a),
        Cmd::Node(a) => real::node(a),
        Cmd::Ctl(a) => real::ctl(a),
    }
}

/// Prints a finished run's summary and where its results are (simulated `run` and
/// real `up` alike), or its error; the exit code is the run's.
pub(crate) fn report_run(
    result: Result<crate::metrics::Summary, crate::run::RunError>,
    out: &std::path::Path,
) -> ExitCode {
    match result {
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

pub(crate) fn parse_format(s: &str) -> Result<crate::metrics::OutputFormat, String> {
    match s {
        "csv" => Ok(crate::metrics::OutputFormat::Csv),
        "parquet" => Ok(crate::metrics::OutputFormat::Parquet),
        _ => Err(format!("unknown format `{s}` (csv, parquet)")),
    }
}

pub(crate) fn parse_policy(s: &str) -> Result<crate::alloc::Policy, String> {
    crate::alloc::Policy::named(s)
}

pub(crate) fn load(path: Option<&PathBuf>, sets: &[String]) -> Result<Scenario, String> {
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
