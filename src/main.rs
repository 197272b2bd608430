//! The `schedlab` command line: parsing only; the work is in the library.

use clap::{Parser, Subcommand};
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
    /// Benchmarks; each prints one JSON object per line.
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
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
            }
        },
    }
    ExitCode::SUCCESS
}
