//! `schedlab bench`: benchmarks, one JSON object per line.

use super::fail;
use super::parse_policy;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum BenchCmd {
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
        /// Policies to run (any registered: drf, fifo, random, binpack, ...).
        #[arg(long, value_delimiter = ',', default_values = ["drf"], value_parser = parse_policy)]
        policy: Vec<crate::alloc::Policy>,
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

/// `schedlab bench ...`.
pub fn bench(what: BenchCmd) -> ExitCode {
    match what {
        BenchCmd::Engine {
            events,
            actors,
            peer,
            rounds,
        } => {
            let rounds = rounds.unwrap_or(if peer.is_some() { 3 } else { 1 });
            let r = crate::bench::engine_cli(&actors, events, peer.as_deref(), rounds);
            if let Err(e) = r {
                return fail(1, e);
            }
            ExitCode::SUCCESS
        }
        BenchCmd::Alloc {
            agents,
            frameworks,
            policy,
            rounds,
        } => {
            crate::bench::alloc::alloc_cli(&agents, &frameworks, &policy, rounds);
            ExitCode::SUCCESS
        }
        BenchCmd::Offers {
            agents,
            frameworks,
            sim_s,
        } => {
            for &a in &agents {
                for &f in &frameworks {
                    match crate::bench::offers::offers_point(a, f, sim_s) {
                        Ok(line) => crate::bench::print_line(&line),
                        Err(e) => return fail(2, e),
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
                Some(n) => crate::bench::scale::scale_point(n, &stop)
                    .map(|line| crate::bench::print_line(&line)),
                None => crate::bench::scale::scale_cli(&agents, &stop),
            };
            match r {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(2, e),
            }
        }
    }
}
