//! The `schedlab` command line: parsing only; the work is in the library.

use clap::{Parser, Subcommand};
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
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Bench { what } => match what {
            BenchCmd::Engine { events, actors } => {
                for a in actors {
                    let r = schedlab::bench::engine(a, events);
                    println!("{}", serde_json::to_string(&r).expect("serializable"));
                }
            }
        },
        Cmd::Trace { cmd } => return schedlab::trace::cli::main(cmd),
    }
    ExitCode::SUCCESS
}
