//! The real-network subcommands: `up --real`, `node`, `ctl`.

use super::fail;
use super::{load, report_run};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of every real-network command.
#[derive(clap::Args)]
pub struct RealArgs {
    /// Virtual seconds per wall second: 100 makes a 75 s timeout take 0.75 s.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// File holding the cluster secret (default: $SCHEDLAB_SECRET; `up` makes one up
    /// and prints it when neither is set).
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// Largest accepted frame in bytes.
    #[arg(long, default_value_t = crate::real::frame::DEFAULT_MAX_FRAME)]
    pub max_frame: usize,
    /// Log connections and the actors' structured logs to stderr.
    #[arg(long)]
    pub verbose: bool,
}

#[derive(Subcommand)]
pub enum CtlCmd {
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
    /// Mark an agent gone through the leading master (Mesos' MARK_AGENT_GONE): it is
    /// shut down for good and its tasks become GONE_BY_OPERATOR.
    MarkGone {
        /// The agent's name (its hostname), as `ctl status` lists it.
        agent: String,
    },
}

impl RealArgs {
    /// The network settings; `make_up` invents a secret when none is given.
    pub fn config(&self, make_up: bool) -> Result<crate::real::NetConfig, String> {
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return Err(format!("--time-scale must be > 0, got {}", self.time_scale));
        }
        if self.max_frame < 1024 {
            return Err(format!(
                "--max-frame must be at least 1024, got {}",
                self.max_frame
            ));
        }
        let secret = match crate::real::secret_from(self.secret_file.as_deref())? {
            Some(s) => s,
            None if make_up => {
                let s = crate::real::up::random_secret();
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
        let mut cfg = crate::real::NetConfig::new(secret, self.time_scale);
        cfg.max_frame = self.max_frame;
        cfg.verbose = self.verbose;
        Ok(cfg)
    }
}

#[derive(clap::Args)]
pub struct UpArgs {
    pub scenario: Option<PathBuf>,
    /// Real-network mode (the only mode of `up`; say it to mean it).
    #[arg(long)]
    pub real: bool,
    /// One child process per node instead of one process for all (no result
    /// files: the parent only supervises).
    #[arg(long)]
    pub processes: bool,
    #[command(flatten)]
    pub net: RealArgs,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Results directory (default: results/<scenario name>-real/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

#[derive(clap::Args)]
pub struct NodeArgs {
    #[arg(long, value_enum)]
    pub role: crate::real::Role,
    /// The node's name in the scenario (master-0, coord-1, agent-3, a framework).
    #[arg(long)]
    pub id: String,
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long)]
    pub listen: std::net::SocketAddr,
    /// Where the other nodes listen: NAME=ADDR,NAME=ADDR,...
    #[arg(long, default_value = "")]
    pub peers: String,
    /// The scenario (the built-in quickstart without one).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Unix milliseconds of the cluster's virtual time 0 (shared by its processes).
    #[arg(long)]
    pub epoch_ms: Option<u64>,
    #[command(flatten)]
    pub net: RealArgs,
}

#[derive(clap::Args)]
pub struct CtlArgs {
    /// The node's address (as `up` prints it).
    pub addr: std::net::SocketAddr,
    #[command(subcommand)]
    pub what: CtlCmd,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
    /// File holding the cluster secret (default: $SCHEDLAB_SECRET).
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
}

/// `schedlab up --real`: a whole scenario over real TCP, on loopback ports.
pub fn up(a: UpArgs) -> ExitCode {
    let UpArgs {
        scenario,
        real,
        processes,
        net,
        seed,
        out,
        sets,
    } = a;
    if !real {
        return fail(
            2,
            "`up` starts real-network clusters only: pass --real (use `run` to simulate)",
        );
    }
    let scn = match load(scenario.as_ref(), &sets) {
        Ok(s) => s,
        Err(e) => return fail(2, e),
    };
    let net = match net.config(true) {
        Ok(n) => n,
        Err(e) => return fail(2, e),
    };
    if processes {
        let Some(path) = scenario else {
            return fail(
                2,
                "--processes needs a scenario file (the children read it)",
            );
        };
        let exe = match std::env::current_exe() {
            Ok(e) => e,
            Err(e) => return fail(2, format!("cannot find the schedlab binary: {e}")),
        };
        let (mut kids, topo) =
            match crate::real::up::spawn_cluster(&exe, &path, &sets, &scn, seed, &net, None) {
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
            .map(|(i, a)| (crate::actor::ActorId(i as u32), *a))
            .collect();
        outln!(
            "{}",
            crate::real::up::table(&topo, &addrs, Some(&kids.pids()))
        );
        let wall = crate::real::Clock::start(net.time_scale).wall(scn.run.stop);
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
    let opts = crate::real::up::UpOptions {
        seed,
        out: Some(out.clone()),
        net,
        quiet: false,
        max_wall: None,
    };
    report_run(crate::real::up::up(&scn, &opts), &out)
}

/// `schedlab node`: one node (actor) of a scenario over real TCP.
pub fn node(a: NodeArgs) -> ExitCode {
    let NodeArgs {
        role,
        id,
        listen,
        peers,
        config,
        sets,
        seed,
        epoch_ms,
        net,
    } = a;
    let scn = match load(config.as_ref(), &sets) {
        Ok(s) => s,
        Err(e) => return fail(2, e),
    };
    let net = match net.config(false) {
        Ok(n) => n,
        Err(e) => return fail(2, e),
    };
    let opts = crate::real::up::NodeOptions {
        seed,
        name: id,
        role,
        listen,
        peers,
        net,
        epoch_ms,
    };
    match crate::real::up::run_node(&scn, &opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// `schedlab ctl`: the admin client of a real-mode node.
pub fn ctl(a: CtlArgs) -> ExitCode {
    let CtlArgs {
        addr,
        what,
        json,
        secret_file,
    } = a;
    use crate::real::frame::CtlRequest;
    let secret = match crate::real::secret_from(secret_file.as_deref()) {
        Ok(Some(s)) => s,
        Ok(None) => {
            eprintln!("error: no cluster secret: set SCHEDLAB_SECRET or pass --secret-file");
            return ExitCode::from(2);
        }
        Err(e) => return fail(2, e),
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
        CtlCmd::MarkGone { agent } => CtlRequest::MarkGone { agent },
    };
    let status = matches!(req, CtlRequest::Status);
    match crate::real::ctl::request(addr, &secret, req) {
        Ok(v) if v.get("error").is_some() => {
            eprintln!("error: {}", v["error"].as_str().unwrap_or("?"));
            ExitCode::from(1)
        }
        Ok(v) if json || !status => {
            outln!("{v}");
            ExitCode::SUCCESS
        }
        Ok(v) => {
            out!("{}", crate::real::ctl::human(&v));
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, e),
    }
}
