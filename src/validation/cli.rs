//! `schedlab validate-paper`: runs the validation experiments and prints their tables
//! (the commands quoted in `results/validation/README.md`).

use super::mesos_table2::{self, Table2Config};
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
                println!("{}", serde_json::to_string_pretty(&all).expect("serializable"));
            } else {
                print!("{}", mesos_table2::table(k, &all));
            }
            ExitCode::SUCCESS
        }
    }
}
