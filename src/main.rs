//! The `schedlab` command line: parsing only; the work is in the library.

use clap::{Parser, Subcommand};

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
/// mimalloc instead of glibc's malloc: a run allocates and frees millions of small
/// messages and table nodes, where glibc spent ~6 % of a Borg-scale run. Built without
/// transparent huge pages (`no_thp`): with them, every purge and re-touch of an arena
/// zeroed a 2 MiB page, a sixth of a run's time in the kernel.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use schedlab::run::{execute, RunOptions};
use schedlab::scenario::{Scenario, QUICKSTART};
use std::io::IsTerminal;
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
    /// Runs a scenario (the built-in quickstart without one) and writes its results.
    Run {
        /// Scenario TOML file; omit to run the built-in quickstart.
        scenario: Option<PathBuf>,
        /// Run seed (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Results directory (default: results/<scenario name>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override a scenario value: --set allocator.policy=fifo (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Also write every protocol message to events.jsonl.
        #[arg(long)]
        events: bool,
        /// Task table format: csv (tasks.csv) or parquet (tasks.parquet, streamed in
        /// row groups).
        #[arg(long, default_value = "csv", value_parser = parse_format)]
        format: schedlab::metrics::OutputFormat,
    },
    /// Checks a scenario file without running it.
    Validate { scenario: PathBuf },
    /// Runs a scenario checking every invariant after every event (no files written).
    Check {
        scenario: Option<PathBuf>,
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
    /// Runs N seeds of a randomized scenario with faults, checking every invariant
    /// after every event; prints the first failing seed and how to replay it.
    Fuzz {
        #[arg(long, default_value_t = 100)]
        seeds: u64,
        #[arg(long, default_value_t = 1)]
        start: u64,
        /// Print the scenario of each seed (as TOML) instead of running it.
        #[arg(long)]
        dump: bool,
        /// Test-only: run with a deliberate defect to show the checker catches it.
        #[arg(long, hide = true, value_enum)]
        sabotage: Option<SabotageArg>,
    },
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
    /// Runs a parameter sweep (points x seeds) in parallel, resumable and shardable;
    /// `sweep merge DIR...` joins shards. See docs/analysis.md, "Sweeps".
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Sweep {
        #[command(subcommand)]
        cmd: Option<SweepCmd>,
        #[command(flatten)]
        args: SweepArgs,
    },
    /// Compares sets of runs metric by metric (means, 95% CIs, Welch and Mann-Whitney).
    Compare(schedlab::analysis::cli::CompareArgs),
    /// Draws PNG and SVG figures of runs (CDFs, utilization, shares, Gantt, failovers)
    /// or of an Omega sweep CSV.
    Plot(schedlab::analysis::cli::PlotArgs),
    /// Writes one self-contained HTML report: summaries, comparisons, figures and a
    /// sequence view of a run's messages.
    Report(schedlab::analysis::cli::ReportArgs),
    /// Validation against published results (Mesos Table 2, DRF, Omega, Borg).
    ValidatePaper {
        #[command(subcommand)]
        cmd: schedlab::validation::cli::ValidateCmd,
    },
    /// Starts a whole scenario over real TCP (`--real`), each node on its own loopback
    /// port; prints the nodes and writes the results as `run` does.
    Up {
        scenario: Option<PathBuf>,
        /// Real-network mode (the only mode of `up`; say it to mean it).
        #[arg(long)]
        real: bool,
        /// One child process per node instead of one process for all (no result
        /// files: the parent only supervises).
        #[arg(long)]
        processes: bool,
        #[command(flatten)]
        net: RealArgs,
        #[arg(long)]
        seed: Option<u64>,
        /// Results directory (default: results/<scenario name>-real/).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
    /// Runs one node (actor) of a scenario over real TCP.
    Node {
        #[arg(long, value_enum)]
        role: schedlab::real::Role,
        /// The node's name in the scenario (master-0, coord-1, agent-3, a framework).
        #[arg(long)]
        id: String,
        /// Address to listen on (port 0: any free port, printed at start).
        #[arg(long)]
        listen: std::net::SocketAddr,
        /// Where the other nodes listen: NAME=ADDR,NAME=ADDR,...
        #[arg(long, default_value = "")]
        peers: String,
        /// The scenario (the built-in quickstart without one).
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        #[arg(long)]
        seed: Option<u64>,
        /// Unix milliseconds of the cluster's virtual time 0 (shared by its processes).
        #[arg(long)]
        epoch_ms: Option<u64>,
        #[command(flatten)]
        net: RealArgs,
    },
    /// Admin client of a real-mode node: status, kill a task, crash the node.
    Ctl {
        /// The node's address (as `up` prints it).
        addr: std::net::SocketAddr,
        #[command(subcommand)]
        what: CtlCmd,
        /// Print the raw JSON answer.
        #[arg(long)]
        json: bool,
        /// File holding the cluster secret (default: $SCHEDLAB_SECRET).
        #[arg(long)]
        secret_file: Option<PathBuf>,
    },
}

/// Options of every real-network command.
#[derive(clap::Args)]
struct RealArgs {
    /// Virtual seconds per wall second: 100 makes a 75 s timeout take 0.75 s.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// File holding the cluster secret (default: $SCHEDLAB_SECRET; `up` makes one up
    /// and prints it when neither is set).
    #[arg(long)]
    secret_file: Option<PathBuf>,
    /// Largest accepted frame in bytes.
    #[arg(long, default_value_t = schedlab::real::frame::DEFAULT_MAX_FRAME)]
    max_frame: usize,
    /// Log connections and the actors' structured logs to stderr.
    #[arg(long)]
    verbose: bool,
}

#[derive(Subcommand)]
enum CtlCmd {
    /// The node's view (a master: leader, agents, frameworks, tasks).
    Status,
    /// Kill a task through the leading master, as its framework would.
    KillTask {
        framework: u32,
        job: u64,
        index: u32,
        #[arg(default_value_t = 0)]
        attempt: u32,
    },
    /// Crash the node (it stops at once, as if its process died).
    Crash,
}

impl RealArgs {
    /// The network settings; `make_up` invents a secret when none is given.
    fn config(&self, make_up: bool) -> Result<schedlab::real::NetConfig, String> {
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return Err(format!("--time-scale must be > 0, got {}", self.time_scale));
        }
        if self.max_frame < 1024 {
            return Err(format!(
                "--max-frame must be at least 1024, got {}",
                self.max_frame
            ));
        }
        let secret = match schedlab::real::secret_from(self.secret_file.as_deref())? {
            Some(s) => s,
            None if make_up => {
                let s = schedlab::real::up::random_secret();
                eprintln!(
                    "secret (set SCHEDLAB_SECRET to it for `schedlab ctl`): {}",
                    String::from_utf8_lossy(&s)
                );
                s
            }
            None => {
                return Err("no cluster secret: set SCHEDLAB_SECRET or pass --secret-file".into())
            }
        };
        let mut cfg = schedlab::real::NetConfig::new(secret, self.time_scale);
        cfg.max_frame = self.max_frame;
        cfg.verbose = self.verbose;
        Ok(cfg)
    }
}

fn real_up(
    scenario: Option<PathBuf>,
    real: bool,
    processes: bool,
    net: RealArgs,
    seed: Option<u64>,
    out: Option<PathBuf>,
    sets: Vec<String>,
) -> ExitCode {
    let fail = |m: String| {
        eprintln!("error: {m}");
        ExitCode::from(2)
    };
    if !real {
        return fail(
            "`up` starts real-network clusters only: pass --real (use `run` to simulate)".into(),
        );
    }
    let scn = match load(scenario.as_ref(), &sets) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let net = match net.config(true) {
        Ok(n) => n,
        Err(e) => return fail(e),
    };
    if processes {
        let Some(path) = scenario else {
            return fail("--processes needs a scenario file (the children read it)".into());
        };
        let exe = match std::env::current_exe() {
            Ok(e) => e,
            Err(e) => return fail(format!("cannot find the schedlab binary: {e}")),
        };
        let (mut kids, topo) =
            match schedlab::real::up::spawn_cluster(&exe, &path, &sets, &scn, seed, &net, None) {
                Ok(k) => k,
                Err(e) => {
                    eprintln!("error: {}", e.message);
                    return ExitCode::from(e.code);
                }
            };
        let addrs = kids
            .addrs
            .iter()
            .enumerate()
            .map(|(i, a)| (schedlab::actor::ActorId(i as u32), *a))
            .collect();
        outln!(
            "{}",
            schedlab::real::up::table(&topo, &addrs, Some(&kids.pids()))
        );
        let wall = schedlab::real::Clock::start(net.time_scale).wall(scn.run.stop);
        outln!(
            "running for {:.1} s of wall time (scenario stop); Ctrl-C ends it",
            wall.as_secs_f64()
        );
        std::thread::sleep(wall);
        for n in kids.names.clone() {
            kids.kill(&n);
        }
        return ExitCode::SUCCESS;
    }
    let out = out.unwrap_or_else(|| PathBuf::from("results").join(format!("{}-real", scn.name)));
    let opts = schedlab::real::up::UpOptions {
        seed,
        out: Some(out.clone()),
        net,
        quiet: false,
        max_wall: None,
    };
    report_run(schedlab::real::up::up(&scn, &opts), &out)
}

/// Prints a finished run's summary and where its results are (simulated `run` and
/// real `up` alike), or its error; the exit code is the run's.
fn report_run(
    result: Result<schedlab::metrics::Summary, schedlab::run::RunError>,
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

#[derive(clap::Args)]
struct SweepArgs {
    /// Sweep spec TOML (base scenario, seeds, [set], [vary]).
    #[arg(required = true)]
    spec: Option<PathBuf>,
    /// Runs at once (threads; default: one per core).
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    jobs: usize,
    /// Sweep folder (default: results/sweeps/<spec file stem>/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Only shard i of N (1-based) of the run list; writes sweep-shard-i-of-N.csv.
    #[arg(long, value_name = "i/N")]
    shard: Option<schedlab::experiment::shard::Shard>,
    /// Write an sbatch job-array script running the sweep as shards (runs nothing).
    #[arg(long, value_name = "FILE")]
    emit_slurm: Option<PathBuf>,
    /// Array tasks (shards) of the Slurm script.
    #[arg(long, default_value_t = 4, value_name = "N")]
    slurm_shards: usize,
    /// Slurm partition (default: the cluster's).
    #[arg(long)]
    slurm_partition: Option<String>,
    /// Time limit per array task, in Slurm's format.
    #[arg(long, default_value = "01:00:00")]
    slurm_time: String,
    /// CPUs per array task (and the shard's --jobs).
    #[arg(long, default_value_t = 1)]
    slurm_cpus: usize,
}

#[derive(Subcommand)]
enum SweepCmd {
    /// Joins shard tables into DIR1/sweep.csv; run folders of DIR2... are moved into DIR1.
    Merge {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
}

fn sweep(cmd: Option<SweepCmd>, a: SweepArgs) -> ExitCode {
    use schedlab::experiment::{shard, slurm, spec::SweepSpec, sweep};
    let fail = |e: schedlab::run::RunError| {
        eprintln!("error: {}", e.message);
        ExitCode::from(e.code)
    };
    if let Some(SweepCmd::Merge { dirs }) = cmd {
        return match shard::merge(&dirs) {
            Ok(m) => {
                outln!(
                    "sweep merge: {} shards, {} runs ({} run folders moved in): {}",
                    m.shards,
                    m.runs,
                    m.moved,
                    m.csv.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    let path = a.spec.expect("required by clap");
    let spec = match SweepSpec::load(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from("results/sweeps").join(spec.stem()));
    let total = spec.points.len() * spec.seeds.len();
    if let Some(file) = a.emit_slurm {
        let opts = slurm::SlurmOptions {
            shards: a.slurm_shards,
            partition: a.slurm_partition,
            time: a.slurm_time,
            cpus: a.slurm_cpus,
        };
        let text = std::env::current_exe()
            .map_err(|e| schedlab::run::RunError {
                message: format!("cannot find the schedlab binary: {e}"),
                code: 1,
            })
            .and_then(|bin| {
                let out = slurm::absolute(&out)?;
                std::fs::create_dir_all(out.join("slurm")).map_err(|e| {
                    schedlab::run::RunError {
                        message: format!("{}: {e}", out.display()),
                        code: 1,
                    }
                })?;
                slurm::script(&bin, &slurm::absolute(&path)?, &out, total, &opts)
            })
            .and_then(|t| {
                std::fs::write(&file, t).map_err(|e| schedlab::run::RunError {
                    message: format!("{}: {e}", file.display()),
                    code: 1,
                })
            });
        return match text {
            Ok(()) => {
                outln!(
                    "wrote {} ({} runs in {} array tasks); submit with: sbatch {}",
                    file.display(),
                    total,
                    opts.shards,
                    file.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    let opts = sweep::SweepOptions {
        out: out.clone(),
        jobs: a.jobs,
        shard: a.shard,
        progress: std::io::stderr().is_terminal(),
    };
    match sweep::run(&spec, &opts) {
        Ok(o) => {
            let of = match a.shard {
                Some(s) => format!(" (shard {}/{} of {total})", s.i, s.n),
                None => format!(
                    " ({} points x {} seeds)",
                    spec.points.len(),
                    spec.seeds.len()
                ),
            };
            outln!(
                "sweep: {} runs{of}: {} ran, {} skipped (already complete)",
                o.runs,
                o.ran,
                o.skipped
            );
            outln!("table: {}", o.csv.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
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
    /// One allocation round over a grid of agents x frameworks (Mesos' allocator
    /// benchmark): prints {"bench":"alloc","agents":N,"frameworks":F,"policy":P,
    /// "round_ms":T,"offers":O} per point.
    Alloc {
        #[arg(long, value_delimiter = ',', default_values_t = [1000usize, 10000, 50000])]
        agents: Vec<usize>,
        #[arg(long, value_delimiter = ',', default_values_t = [10usize, 100, 1000])]
        frameworks: Vec<usize>,
        /// Policies to run (drf, fifo, random, binpack).
        #[arg(long, value_delimiter = ',', default_values = ["drf"], value_parser = parse_policy)]
        policy: Vec<schedlab::alloc::Policy>,
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

fn parse_format(s: &str) -> Result<schedlab::metrics::OutputFormat, String> {
    match s {
        "csv" => Ok(schedlab::metrics::OutputFormat::Csv),
        "parquet" => Ok(schedlab::metrics::OutputFormat::Parquet),
        _ => Err(format!("unknown format `{s}` (csv, parquet)")),
    }
}

fn parse_policy(s: &str) -> Result<schedlab::alloc::Policy, String> {
    schedlab::alloc::Policy::ALL
        .into_iter()
        .find(|p| p.name() == s)
        .ok_or_else(|| format!("unknown policy `{s}` (drf, fifo, random, binpack)"))
}

fn load(path: Option<&PathBuf>, sets: &[String]) -> Result<Scenario, String> {
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

/// The deliberate defects `fuzz --sabotage` can switch on.
#[derive(Clone, Copy, clap::ValueEnum)]
enum SabotageArg {
    /// Agents told to shut down keep their tasks running.
    KeepTasks,
    /// A leader that lost its coordination session goes on leading.
    KeepLeading,
}

fn fuzz(seeds: u64, start: u64, dump: bool, sabotage: Option<SabotageArg>) -> ExitCode {
    use schedlab::fuzz::{run_many, scenario, Sabotage};
    if dump {
        for s in start..start + seeds {
            outln!(
                "# seed {s}\n{}",
                toml::to_string(&scenario(s)).expect("serializable")
            );
        }
        return ExitCode::SUCCESS;
    }
    let (sabotage, flag) = match sabotage {
        None => (Sabotage::None, ""),
        Some(SabotageArg::KeepTasks) => (Sabotage::KeepTasksOnShutdown, " --sabotage keep-tasks"),
        Some(SabotageArg::KeepLeading) => {
            (Sabotage::LeaderIgnoresLeaseLoss, " --sabotage keep-leading")
        }
    };
    let results = run_many(start, seeds, sabotage);
    let events: u64 = results.iter().map(|r| r.events).sum();
    match results.iter().find(|r| r.violation.is_some()) {
        None => {
            outln!("fuzz: {seeds} seeds from {start}: no invariant violated ({events} events)");
            ExitCode::SUCCESS
        }
        Some(r) => {
            outln!(
                "fuzz: seed {} violates an invariant: {}",
                r.seed,
                r.violation.as_deref().unwrap_or_default()
            );
            outln!(
                "replay: schedlab fuzz --seeds 1 --start {}{}   (add --dump for its scenario)",
                r.seed,
                flag
            );
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Run {
            scenario,
            seed,
            out,
            sets,
            events,
            format,
        } => {
            let scn = match load(scenario.as_ref(), &sets) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
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
        Cmd::Validate { scenario } => match load(Some(&scenario), &[]) {
            Ok(s) => {
                outln!(
                    "{}: ok (scenario `{}`: {} agent groups, {} frameworks, {} faults)",
                    scenario.display(),
                    s.name,
                    s.agents.len(),
                    s.frameworks.len(),
                    s.faults.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Cmd::Check {
            scenario,
            seed,
            sets,
        } => {
            let scn = match load(scenario.as_ref(), &sets) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let seed = seed.unwrap_or(scn.seed);
            let mut c = match schedlab::run::Cluster::build(&scn, seed, Default::default()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            match schedlab::check::run_checked(&mut c, scn.run.stop) {
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
        Cmd::Fuzz {
            seeds,
            start,
            dump,
            sabotage,
        } => fuzz(seeds, start, dump, sabotage),
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
                ExitCode::SUCCESS
            }
            BenchCmd::Alloc {
                agents,
                frameworks,
                policy,
                rounds,
            } => {
                schedlab::bench::alloc::alloc_cli(&agents, &frameworks, &policy, rounds);
                ExitCode::SUCCESS
            }
            BenchCmd::Offers {
                agents,
                frameworks,
                sim_s,
            } => {
                for &a in &agents {
                    for &f in &frameworks {
                        match schedlab::bench::offers::offers_point(a, f, sim_s) {
                            Ok(line) => schedlab::bench::print_line(&line),
                            Err(e) => {
                                eprintln!("error: {e}");
                                return ExitCode::from(2);
                            }
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
                    Some(n) => schedlab::bench::scale::scale_point(n, &stop)
                        .map(|line| schedlab::bench::print_line(&line)),
                    None => schedlab::bench::scale::scale_cli(&agents, &stop),
                };
                match r {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("error: {e}");
                        ExitCode::from(2)
                    }
                }
            }
        },
        Cmd::Trace { cmd } => schedlab::trace::cli::main(cmd),
        Cmd::ValidatePaper { cmd } => schedlab::validation::cli::main(cmd),
        Cmd::Sweep { cmd, args } => sweep(cmd, args),
        Cmd::Compare(a) => schedlab::analysis::cli::compare_main(a),
        Cmd::Plot(a) => schedlab::analysis::cli::plot_main(a),
        Cmd::Report(a) => schedlab::analysis::cli::report_main(a),
        Cmd::Up {
            scenario,
            real,
            processes,
            net,
            seed,
            out,
            sets,
        } => real_up(scenario, real, processes, net, seed, out, sets),
        Cmd::Node {
            role,
            id,
            listen,
            peers,
            config,
            sets,
            seed,
            epoch_ms,
            net,
        } => {
            let scn = match load(config.as_ref(), &sets) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let net = match net.config(false) {
                Ok(n) => n,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let opts = schedlab::real::up::NodeOptions {
                seed,
                name: id,
                role,
                listen,
                peers,
                net,
                epoch_ms,
            };
            match schedlab::real::up::run_node(&scn, &opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {}", e.message);
                    ExitCode::from(e.code)
                }
            }
        }
        Cmd::Ctl {
            addr,
            what,
            json,
            secret_file,
        } => {
            use schedlab::real::frame::CtlRequest;
            let secret = match schedlab::real::secret_from(secret_file.as_deref()) {
                Ok(Some(s)) => s,
                Ok(None) => {
                    eprintln!(
                        "error: no cluster secret: set SCHEDLAB_SECRET or pass --secret-file"
                    );
                    return ExitCode::from(2);
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let req = match what {
                CtlCmd::Status => CtlRequest::Status,
                CtlCmd::KillTask {
                    framework,
                    job,
                    index,
                    attempt,
                } => CtlRequest::KillTask {
                    framework,
                    job,
                    index,
                    attempt,
                },
                CtlCmd::Crash => CtlRequest::Crash,
            };
            let status = matches!(req, CtlRequest::Status);
            match schedlab::real::ctl::request(addr, &secret, req) {
                Ok(v) if v.get("error").is_some() => {
                    eprintln!("error: {}", v["error"].as_str().unwrap_or("?"));
                    ExitCode::from(1)
                }
                Ok(v) if json || !status => {
                    outln!("{v}");
                    ExitCode::SUCCESS
                }
                Ok(v) => {
                    out!("{}", schedlab::real::ctl::human(&v));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}
