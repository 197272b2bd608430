//! `schedlab validate-paper`: runs the validation experiments and prints their tables
//! (the commands quoted in `results/validation/README.md`).

use super::mesos_table2::{self, Table2Config};
use super::omega::{self, OmegaConfig};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// The experiments of `schedlab validate-paper`.
#[derive(Subcommand, Debug)]
pub enum ValidateCmd {
    /// Mesos NSDI'11 Table 2 through master, allocator and framework actors.
    MesosTable2 {
        /// Experiment files (scenarios/validation/mesos-table2-*.toml).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Seeds per point (default: the file's `seeds`).
        #[arg(long)]
        seeds: Option<u64>,
        /// Print JSON instead of a Markdown table.
        #[arg(long)]
        json: bool,
    },
    /// Omega EuroSys'13 lightweight simulator: monolithic, two-level, shared state.
    Omega {
        /// Experiment file (scenarios/validation/omega-*.toml).
        file: PathBuf,
        #[arg(long)]
        seeds: Option<u64>,
        /// Also write the sweep as CSV here.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Also draw the paper-style figure (omega.png, omega.svg) into this directory.
        #[arg(long, value_name = "DIR")]
        plot: Option<PathBuf>,
    },
}

/// Runs one validation command: exit 0, 2 for bad input, 1 for a failed run.
pub fn main(cmd: ValidateCmd) -> ExitCode {
    match cmd {
        ValidateCmd::MesosTable2 { files, seeds, json } => {
            let mut all = Vec::new();
            let mut k = 0;
            for f in &files {
                let mut cfg = match Table2Config::load(f) {
                    Ok(c) => c,
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(2);
                    }
                };
                if let Some(n) = seeds {
                    cfg.seeds = n;
                }
                k = cfg.k;
                match mesos_table2::run(&cfg) {
                    Ok(r) => all.extend(r),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(1);
                    }
                }
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&all).expect("serializable")
                );
            } else {
                print!("{}", mesos_table2::table(k, &all));
            }
            ExitCode::SUCCESS
        }
        ValidateCmd::Omega {
            file,
            seeds,
            csv,
            plot,
        } => {
            let mut cfg = match OmegaConfig::load(&file) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            if let Some(n) = seeds {
                cfg.seeds = n;
            }
            let points = omega::sweep(&cfg);
            print!("{}", omega::table(&points));
            if let Some(path) = csv {
                if let Err(e) = std::fs::write(&path, omega::csv(&points)) {
                    eprintln!("error: {}: {e}", path.display());
                    return ExitCode::from(1);
                }
            }
            if let Some(dir) = plot {
                let drawn = crate::plot::omega::figure(&omega::csv(&points), "omega sweep")
                    .map_err(|e| e.to_string())
                    .and_then(|fig| crate::plot::save(&fig, &dir, "omega"));
                if let Err(e) = drawn {
                    eprintln!("error: {e}");
                    return ExitCode::from(1);
                }
            }
            ExitCode::SUCCESS
        }
    }
}
