//! The subcommands that simulate: `run`, `validate`, `check`, `fuzz`.

use super::fail;
use super::{load, parse_format, report_run};
use crate::run::{execute, RunOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct RunArgs {
    /// Scenario TOML file; omit to run the built-in quickstart.
    pub scenario: Option<PathBuf>,
    /// Run seed (default: the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Results directory (default: results/<scenario name>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a scenario value: --set allocator.policy=fifo (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Also write every protocol message to events.jsonl.
    #[arg(long)]
    pub events: bool,
    /// Task table format: csv (tasks.csv) or parquet (tasks.parquet, streamed in
    /// row groups).
    #[arg(long, default_value = "csv", value_parser = parse_format)]
    pub format: crate::metrics::OutputFormat,
}

#[derive(clap::Args)]
pub struct ValidateArgs {
    pub scenario: PathBuf,
}

#[derive(clap::Args)]
pub struct CheckArgs {
    pub scenario: Option<PathBuf>,
    #[arg(long)]
    pub seed: Option<u64>,
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

#[derive(clap::Args)]
pub struct FuzzArgs {
    #[arg(long, default_value_t = 100)]
    pub seeds: u64,
    #[arg(long, default_value_t = 1)]
    pub start: u64,
    /// Print the scenario of each seed (as TOML) instead of running it.
    #[arg(long)]
    pub dump: bool,
    /// Test-only: run with a deliberate defect to show the checker catches it.
    #[arg(long, hide = true, value_enum)]
    pub sabotage: Option<SabotageArg>,
}

/// The deliberate defects `fuzz --sabotage` can switch on.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum SabotageArg {
    /// Agents told to shut down keep their tasks running.
    KeepTasks,
    /// A leader that lost its candidacy goes on leading.
    KeepLeading,
    /// Agents' updates generated while re-registering name no agent (never acked).
    UnackableUpdates,
    /// An agent panics when it takes its master for lost (the fuzzer must survive it).
    AgentPanics,
}

/// How many failing seeds `fuzz` lists before it only counts the rest.
const FUZZ_LISTED_FAILURES: usize = 100;
/// The most seeds one `fuzz` run takes: each keeps its result until the end.
const FUZZ_MAX_SEEDS: u64 = 1_000_000;

/// `schedlab run`: one simulated run of a scenario, its results written.
pub fn run(a: RunArgs) -> ExitCode {
    let RunArgs {
        scenario,
        seed,
        out,
        sets,
        events,
        format,
    } = a;
    let scn = match load(scenario.as_ref(), &sets) {
        Ok(s) => s,
        Err(e) => return fail(2, e),
    };
    let out = out.unwrap_or_else(|| PathBuf::from("results").join(&scn.name));
    let opts = RunOptions {
        seed,
        out: Some(out.clone()),
        events,
        progress: std::io::stderr().is_terminal(),
        format,
    };
    report_run(execute(&scn, &opts), &out)
}

/// `schedlab validate`: parse and check a scenario without running it.
pub fn validate(a: ValidateArgs) -> ExitCode {
    match load(Some(&a.scenario), &[]) {
        Ok(s) => {
            outln!(
                "{}: ok (scenario `{}`: {} agent groups, {} frameworks, {} faults)",
                a.scenario.display(),
                s.name,
                s.agents.len(),
                s.frameworks.len(),
                s.faults.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(2, e),
    }
}

/// `schedlab check`: a run with every invariant checked after every event.
pub fn check(a: CheckArgs) -> ExitCode {
    let CheckArgs {
        scenario,
        seed,
        sets,
    } = a;
    let scn = match load(scenario.as_ref(), &sets) {
        Ok(s) => s,
        Err(e) => return fail(2, e),
    };
    let seed = seed.unwrap_or(scn.seed);
    let mut c = match crate::run::Cluster::build(&scn, seed, Default::default()) {
        Ok(c) => c,
        Err(e) => return fail(2, e),
    };
    match crate::check::run_checked(&mut c, scn.run.stop) {
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

/// `schedlab fuzz`: many seeds of a randomized scenario with faults, every invariant checked.
pub fn fuzz(a: FuzzArgs) -> ExitCode {
    let FuzzArgs {
        seeds,
        start,
        dump,
        sabotage,
    } = a;

    use crate::fuzz::{run_many, Sabotage};
    // Seeds are a range of u64: refuse an empty one or one that would wrap around.
    if seeds == 0 {
        eprintln!("error: --seeds 0: nothing to run (give at least 1)");
        return ExitCode::from(2);
    }
    if seeds > FUZZ_MAX_SEEDS {
        eprintln!(
            "error: --seeds {seeds}: at most {FUZZ_MAX_SEEDS} seeds per run (about 3 h on 2 cores, \
             and every seed's result is kept); split the range with --start"
        );
        return ExitCode::from(2);
    }
    if start.checked_add(seeds - 1).is_none() {
        eprintln!(
            "error: --start {start} --seeds {seeds} runs past the last seed ({}); use at most --seeds {}",
            u64::MAX,
            u64::MAX - start + 1
        );
        return ExitCode::from(2);
    }
    let seed_range = start..=start + (seeds - 1);
    if dump {
        for s in seed_range {
            match crate::fuzz::dump(s) {
                Ok(text) => outln!("# seed {s}\n{text}"),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        return ExitCode::SUCCESS;
    }
    let (sabotage, flag) = match sabotage {
        None => (Sabotage::None, ""),
        Some(SabotageArg::KeepTasks) => (Sabotage::KeepTasksOnShutdown, " --sabotage keep-tasks"),
        Some(SabotageArg::KeepLeading) => (
            Sabotage::LeaderIgnoresLostCandidacy,
            " --sabotage keep-leading",
        ),
        Some(SabotageArg::UnackableUpdates) => (
            Sabotage::UnackableUpdatesWhileReregistering,
            " --sabotage unackable-updates",
        ),
        Some(SabotageArg::AgentPanics) => (
            Sabotage::AgentPanicsOnMasterLoss,
            " --sabotage agent-panics",
        ),
    };
    let results = run_many(start, seeds, sabotage);
    let events: u64 = results.iter().map(|r| r.events).sum();
    print_coverage(&results);
    let failed: Vec<_> = results.iter().filter(|r| r.violation.is_some()).collect();
    match failed.first() {
        None => {
            outln!("fuzz: {seeds} seeds from {start}: no invariant violated ({events} events)");
            ExitCode::SUCCESS
        }
        Some(r) => {
            for f in failed.iter().take(FUZZ_LISTED_FAILURES) {
                let what = if f.panicked {
                    "panicked"
                } else {
                    "violates an invariant"
                };
                outln!(
                    "fuzz: seed {} {what}: {}   (replay: schedlab fuzz --seeds 1 --start {}{flag})",
                    f.seed,
                    f.violation.as_deref().unwrap_or_default(),
                    f.seed
                );
            }
            if failed.len() > FUZZ_LISTED_FAILURES {
                outln!(
                    "fuzz: ... and {} more failing seeds",
                    failed.len() - FUZZ_LISTED_FAILURES
                );
            }
            if failed.len() > 1 {
                outln!(
                    "fuzz: {} of {seeds} seeds violate an invariant",
                    failed.len()
                );
            }
            outln!(
                "replay: schedlab fuzz --seeds 1 --start {}{}   (add --dump for its scenario)",
                r.seed,
                flag
            );
            ExitCode::from(1)
        }
    }
}

/// How many seeds drew each coverage tag (`fuzz::generate::TAGS`), tags no seed drew
/// included (as 0), so that a range that misses a fault kind says so.
fn print_coverage(results: &[crate::fuzz::SeedResult]) {
    let tags = crate::fuzz::generate::TAGS;
    let mut seeds = vec![0u64; tags.len()];
    for r in results {
        for c in &r.covers {
            if let Some(i) = tags.iter().position(|t| t == c) {
                seeds[i] += 1;
            }
        }
    }
    outln!("fuzz: covered (seeds drawing each):");
    for (tag, n) in tags.iter().zip(seeds) {
        outln!("  {n:>8}  {tag}");
    }
}
