//! `schedlab validate-paper`: runs the validation experiments and prints their tables
//! (the commands quoted in `results/validation/README.md`).

use super::borg::{self, BorgConfig};
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
    /// Borg EuroSys'15 cell compaction: segregation, rounding and per-user cells.
    Borg {
        /// Experiment file (default: scenarios/validation/borg-compaction.toml, compiled in).
        file: Option<PathBuf>,
        /// Trials per configuration (default: the file's `trials`).
        #[arg(long)]
        trials: Option<u32>,
        /// Seed of the trials' machine and task orders (default: the file's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Write borg.csv (the comparisons) and borg-trials.csv (every compacted size) here.
        #[arg(long)]
        out: Option<PathBuf>,
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
        ValidateCmd::Borg {
            file,
            trials,
            seed,
            out,
        } => {
            let cfg = match &file {
                Some(f) => BorgConfig::load(f),
                None => Ok(BorgConfig::default_config()),
            };
            let mut cfg = match cfg {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            if let Some(n) = trials {
                if n == 0 {
                    eprintln!("error: --trials must be at least 1");
                    return ExitCode::from(2);
                }
                cfg.trials = n;
            }
            if let Some(s) = seed {
                cfg.seed = s;
            }
            let (tasks, runs) = match borg::run_trials(&cfg) {
                Ok(r) => r,
                Err(e) => {
                    let f = file.as_ref().map_or(borg::DEFAULT_CONFIG_PATH.into(), |f| {
                        f.display().to_string()
                    });
                    eprintln!("error: {f}: {e}");
                    return ExitCode::from(2);
                }
            };
            let rows = borg::compare(&runs);
            println!("{}\n", borg::describe(&tasks, &cfg));
            print!("{}", borg::table(&rows, runs.len()));
            println!();
            print!("{}", borg::sizes_table(&runs));
            if let Some(dir) = out {
                let write = |name: &str, text: String| {
                    let path = dir.join(name);
                    std::fs::create_dir_all(&dir)
                        .and_then(|_| std::fs::write(&path, text))
                        .map_err(|e| format!("{}: {e}", path.display()))
                };
                if let Err(e) = write("borg.csv", borg::csv(&rows))
                    .and_then(|_| write("borg-trials.csv", borg::trials_csv(&runs)))
                {
                    eprintln!("error: {e}");
                    return ExitCode::from(1);
                }
            }
            ExitCode::SUCCESS
        }
    }
}
