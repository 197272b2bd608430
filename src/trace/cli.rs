//! The `schedlab trace ...` commands. `main.rs` only parses; this module does the work
//! and returns errors, which `main` prints (naming file and line) with exit code 2.

use super::error::TraceError;
use super::inspect::inspect_source;
use super::synth::SynthConfig;
use super::{read, Format, TraceSource};
use clap::Subcommand;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum TraceCmd {
    /// Counts, time span, arrival rate per hour and resource/duration percentiles.
    Inspect {
        path: PathBuf,
        /// google-2011, google-2019, alibaba-2018, alibaba-2017, alibaba-gpu-2023, swf, normalized.
        #[arg(long)]
        format: Option<Format>,
        /// Skip malformed rows (counted in the report) instead of stopping.
        #[arg(long)]
        skip_bad: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Converts a trace to the normalized CSV (one row per task).
    Convert {
        path: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        format: Option<Format>,
        #[arg(long)]
        skip_bad: bool,
    },
    /// Generates a synthetic workload from a TOML config into the normalized CSV.
    Synth {
        config: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Scale the arrival rate to this many machines (needs `[machines]`).
        #[arg(long)]
        scale_machines: Option<u32>,
        /// Stop after this many tasks.
        #[arg(long)]
        tasks: Option<u64>,
    },
}

fn create(out: &Path) -> Result<BufWriter<File>, TraceError> {
    File::create(out)
        .map(|f| BufWriter::with_capacity(1 << 16, f))
        .map_err(|e| TraceError::file(out, format!("cannot create: {e}")))
}

/// Runs one command; what it prints goes to `stdout`.
pub fn run(cmd: TraceCmd, stdout: &mut dyn Write) -> Result<(), TraceError> {
    let io = |e: std::io::Error| TraceError::file("<stdout>", e.to_string());
    match cmd {
        TraceCmd::Inspect {
            path,
            format,
            skip_bad,
            json,
        } => {
            let mut src = TraceSource::new(path);
            src.format = format;
            src.skip_bad = skip_bad;
            let r = inspect_source(&src)?;
            if json {
                let s = serde_json::to_string_pretty(&r).expect("report serializes");
                writeln!(stdout, "{s}").map_err(io)?;
            } else {
                write!(stdout, "{r}").map_err(io)?;
            }
        }
        TraceCmd::Convert {
            path,
            out,
            format,
            skip_bad,
        } => {
            let mut src = TraceSource::new(path);
            src.format = format;
            src.skip_bad = skip_bad;
            let (jobs, stats) = read(&src)?;
            let n = super::normalized::write(jobs, create(&out)?, &out)?;
            let skipped = stats.borrow().skipped;
            writeln!(
                stdout,
                "wrote {} jobs, {} tasks to {} ({skipped} malformed rows skipped)",
                n.jobs,
                n.tasks,
                out.display()
            )
            .map_err(io)?;
        }
        TraceCmd::Synth {
            config,
            out,
            scale_machines,
            tasks,
        } => {
            let mut cfg = SynthConfig::load(&config)?;
            if let Some(m) = scale_machines {
                cfg.scale_machines(m).map_err(|e| TraceError {
                    file: config.display().to_string(),
                    ..e
                })?;
            }
            if let Some(t) = tasks {
                cfg.max_tasks = Some(t);
            }
            let jobs = super::synth::generate(&cfg).map(|r| {
                r.map_err(|e| TraceError {
                    file: config.display().to_string(),
                    ..e
                })
            });
            let n = super::normalized::write(jobs, create(&out)?, &out)?;
            writeln!(
                stdout,
                "wrote {} jobs, {} tasks to {}",
                n.jobs,
                n.tasks,
                out.display()
            )
            .map_err(io)?;
        }
    }
    Ok(())
}

/// `run` for `main`: errors go to stderr, exit code 2.
pub fn main(cmd: TraceCmd) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match run(cmd, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
