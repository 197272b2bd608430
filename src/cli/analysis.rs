//! `schedlab compare`, `schedlab plot` and `schedlab report`: argument parsing and
//! exit codes (2 for bad input, 1 for a failure to write); the work is in
//! [`crate::analysis::compare`], [`crate::plot`] and [`crate::report`].

use super::fail;
use crate::analysis::compare::{compare_groups, render, Format, Pairs};
use crate::analysis::{load_inputs, AnalysisError, METRICS};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `schedlab compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Sets of runs: run directories or trees of them (A is the baseline), or one
    /// sweep directory with --by.
    #[arg(required = true)]
    pub sets: Vec<PathBuf>,
    /// Group the sweep's runs by this parameter column of sweep.csv.
    #[arg(long, value_name = "KEY")]
    pub by: Option<String>,
    /// Groups to compare: each against the first, or all pairs.
    #[arg(long, value_enum, default_value_t = Pairs::First)]
    pub pairs: Pairs,
    /// Metrics (names or dotted summary.json paths), comma separated; default: all
    /// headline metrics.
    #[arg(long, value_delimiter = ',')]
    pub metrics: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The metric list of a command line: the given ones, or all headline metrics.
pub fn metric_list(given: &[String]) -> Vec<String> {
    if given.is_empty() {
        METRICS.iter().map(|(n, _)| n.to_string()).collect()
    } else {
        given.to_vec()
    }
}

/// Writes `text` to `out` or stdout (ignoring a closed pipe).
pub fn emit(text: &str, out: Option<&PathBuf>) -> Result<(), String> {
    match out {
        Some(p) => std::fs::write(p, text).map_err(|e| format!("{}: {e}", p.display())),
        None => {
            use std::io::Write;
            let _ = std::io::stdout().write_all(text.as_bytes());
            Ok(())
        }
    }
}

fn bad(e: AnalysisError) -> ExitCode {
    fail(2, e)
}

/// Runs `schedlab compare`.
pub fn compare_main(a: CompareArgs) -> ExitCode {
    let sets = match load_inputs(&a.sets, a.by.as_deref()) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let comps = match compare_groups(&sets, &metric_list(&a.metrics), a.pairs) {
        Ok(c) => c,
        Err(e) => return bad(e),
    };
    match emit(&render(&comps, a.format), a.out.as_ref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, e),
    }
}

/// Arguments of `schedlab plot`.
#[derive(Args, Debug)]
pub struct PlotArgs {
    /// Run directories, trees of runs, a sweep directory (with --by), or an Omega
    /// sweep CSV (`validate-paper omega --csv`).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output directory (default: `plots/` inside the first input; for a CSV, its
    /// directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Group the sweep's runs by this parameter column of sweep.csv.
    #[arg(long, value_name = "KEY")]
    pub by: Option<String>,
}

/// Runs `schedlab plot`.
pub fn plot_main(a: PlotArgs) -> ExitCode {
    let first = &a.inputs[0];
    if first.is_file() {
        if a.inputs.len() != 1 || !crate::plot::omega::is_omega_csv(first) {
            eprintln!(
                "error: {}: a file input must be one Omega sweep CSV (header `{}...`)",
                first.display(),
                crate::plot::omega::HEADER_START
            );
            return ExitCode::from(2);
        }
        let fig = match crate::plot::omega::figure_of_file(first) {
            Ok(f) => f,
            Err(e) => return bad(e),
        };
        let dir = a.out.clone().unwrap_or_else(|| {
            first
                .parent()
                .map_or_else(|| PathBuf::from("."), |p| p.to_path_buf())
        });
        return match crate::plot::save(&fig, &dir, "omega") {
            Ok(files) => {
                for f in files {
                    println!("{}", f.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(1, e),
        };
    }
    let sets = match load_inputs(&a.inputs, a.by.as_deref()) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let dir = a.out.clone().unwrap_or_else(|| first.join("plots"));
    match crate::plot::write_all(&sets, &dir) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(crate::plot::PlotError::Input(e)) => bad(e),
        Err(e) => fail(1, e),
    }
}

/// Arguments of `schedlab report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Run directories, trees of runs, or a sweep directory (with --by).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The HTML file (default: report.html inside the first input).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Group the sweep's runs by this parameter column of sweep.csv.
    #[arg(long, value_name = "KEY")]
    pub by: Option<String>,
    #[arg(long, value_enum, default_value_t = Pairs::First)]
    pub pairs: Pairs,
    /// Metrics compared, comma separated (default: all headline metrics).
    #[arg(long, value_delimiter = ',')]
    pub metrics: Vec<String>,
    /// Start of the sequence view of a single run's events.jsonl (e.g. 60s; default:
    /// the first failover, else 0).
    #[arg(long, value_name = "TIME")]
    pub events_at: Option<String>,
    /// Length of the sequence view's window.
    #[arg(long, value_name = "D", default_value = "2s")]
    pub window: String,
}

fn seconds(flag: &str, s: &str) -> Result<f64, String> {
    crate::units::parse_duration(s)
        .map(|t| t as f64 / 1e9)
        .map_err(|e| format!("{flag} `{s}`: {e}"))
}

/// Runs `schedlab report`.
pub fn report_main(a: ReportArgs) -> ExitCode {
    let at = match a
        .events_at
        .as_deref()
        .map(|s| seconds("--events-at", s))
        .transpose()
    {
        Ok(t) => t,
        Err(e) => return bad(AnalysisError(e)),
    };
    let window = match seconds("--window", &a.window) {
        Ok(w) => w,
        Err(e) => return bad(AnalysisError(e)),
    };
    let sets = match load_inputs(&a.inputs, a.by.as_deref()) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| a.inputs[0].join("report.html"));
    let command: Vec<String> = std::env::args()
        .enumerate()
        .map(|(i, s)| if i == 0 { "schedlab".to_string() } else { s })
        .collect();
    let opts = crate::report::ReportOptions {
        metrics: metric_list(&a.metrics),
        pairs: a.pairs,
        events_at: at,
        window,
        command: command.join(" "),
    };
    match crate::report::write(&sets, &opts, &out) {
        Ok(()) => {
            println!("{}", out.display());
            ExitCode::SUCCESS
        }
        Err(crate::plot::PlotError::Input(e)) => bad(e),
        Err(e) => fail(1, e),
    }
}
