//! Starting real-mode clusters: a whole scenario in one process (`up --real`), one
//! node per process (`node`), or a scenario as child processes (`up --processes`).
//!
//! In one process every node still has its own loopback port and talks to the others
//! over TCP; what one process adds is a view of every actor, which is how `up --real`
//! writes the same output contract as a simulated run (`summary.json`, `tasks.csv`,
//! `timeseries.csv`): the recorder sees every delivered message, the sampler reads the
//! leader and the frameworks every `sample_interval` of (scaled) time, through the same
//! [driver](crate::driver) as a simulated run. Timings are the wall clock's, so they
//! differ from run to run; the fingerprint is `"real"`. A scenario real mode cannot
//! honour (network models, faults) is refused ([`super::unsupported`]).

use super::clock::Clock;
use super::node::{Node, Shared, Tap};
use super::runtime::InProcess;
use super::topology::{Role, Topology};
use super::NetConfig;
use crate::actor::{ActorId, Time};
use crate::driver::{drive, Drive, Files, RunError};
use crate::metrics::Summary;
use crate::proto::Msg;
use crate::scenario::Scenario;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

/// How to run a scenario in real-network mode.
#[derive(Clone, Debug)]
pub struct UpOptions {
    pub seed: Option<u64>,
    /// Results directory (none: no files).
    pub out: Option<PathBuf>,
    pub net: NetConfig,
    /// Do not print the node table.
    pub quiet: bool,
    /// End after this much wall time at most, whatever the scenario says.
    pub max_wall: Option<Duration>,
}

fn bad(m: String) -> RunError {
    RunError {
        message: m,
        code: 2,
    }
}

fn failed(m: String) -> RunError {
    RunError {
        message: m,
        code: 1,
    }
}

/// Binds one loopback listener per node on a port the system picks.
pub fn bind_loopback(n: usize) -> Result<Vec<std::net::TcpListener>, RunError> {
    (0..n)
        .map(|_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .map_err(|e| failed(format!("cannot bind 127.0.0.1:0: {e}")))
        })
        .collect()
}

/// The table of nodes `up` prints.
pub fn table(
    topo: &Topology,
    addrs: &BTreeMap<ActorId, SocketAddr>,
    pids: Option<&[u32]>,
) -> String {
    let mut s = format!(
        "{:<16} {:<10} {:<22}{}\n",
        "NODE",
        "ROLE",
        "ADDRESS",
        if pids.is_some() { " PID" } else { "" }
    );
    for (i, name) in topo.names.iter().enumerate() {
        let id = ActorId(i as u32);
        let addr = addrs.get(&id).map(|a| a.to_string()).unwrap_or_default();
        let pid = pids.map(|p| format!(" {}", p[i])).unwrap_or_default();
        s.push_str(&format!(
            "{:<16} {:<10} {:<22}{pid}\n",
            name,
            topo.role(id).name(),
            addr
        ));
    }
    s
}

/// Runs `scn` with every node in this process, each on its own loopback port, and
/// writes the output contract into `opts.out`: the [driver](crate::driver) samples,
/// watches the leader and stops the run as it does on the engine.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)] // real-network mode: wall clock by design
pub fn up(scn: &Scenario, opts: &UpOptions) -> Result<Summary, RunError> {
    let wall = std::time::Instant::now();
    let seed = opts.seed.unwrap_or(scn.seed);
    let mut topo =
        Topology::build(scn, seed).map_err(|m| bad(format!("scenario `{}`: {m}", scn.name)))?;
    let listeners = bind_loopback(topo.len())?;
    let mut addrs = BTreeMap::new();
    for (i, l) in listeners.iter().enumerate() {
        let a = l.local_addr().map_err(|e| failed(e.to_string()))?;
        addrs.insert(ActorId(i as u32), a);
    }
    if !opts.quiet {
        println!("{}", table(&topo, &addrs, None));
    }
    let files = Files {
        dir: opts.out.as_deref(),
        ..Files::default()
    };
    let d = Drive::open(
        scn,
        seed,
        wall,
        files,
        topo.masters().to_vec(),
        topo.names.clone(),
    )?;
    let rec = d.recorder();
    let names = Rc::new(topo.names.clone());
    let roles = Rc::new(topo.roles.clone());
    let peers = Rc::new(addrs);
    let net = opts.net.clone();

    let sys = actix::System::new();
    sys.block_on(async {
        let clock = Clock::start(net.time_scale);
        let r = rec.clone();
        let tap: Tap = Rc::new(move |t: Time, from: ActorId, to: ActorId, m: &Msg| {
            r.borrow_mut().observe(t, from, to, m)
        });
        let mut nodes = Vec::new();
        for (i, l) in listeners.into_iter().enumerate() {
            let id = ActorId(i as u32);
            let (actor, start) = topo.instantiate(id);
            let sh = Rc::new(Shared {
                id,
                name: names[i].clone(),
                role: roles[i],
                cfg: net.clone(),
                clock,
                names: names.clone(),
                roles: roles.clone(),
                peers: peers.clone(),
                actor: RefCell::new(None),
                counters: RefCell::default(),
                shutdown: tokio::sync::watch::channel(false).0,
                stop_requested: Cell::new(false),
                node: RefCell::new(None),
            });
            Node::launch(sh.clone(), actor, start, seed, l, Some(tap.clone())).map_err(failed)?;
            nodes.push(sh);
        }
        let mut runtime = InProcess {
            nodes,
            masters: topo.cluster.masters.clone(),
            frameworks: topo.cluster.frameworks.clone(),
            agents: topo.cluster.agents.clone(),
            clock,
            stop_at: scn.run.stop,
            wall,
            max_wall: opts.max_wall,
            now: clock.now(),
        };
        let summary = drive(&mut runtime, d).await;
        actix::System::current().stop();
        summary
    })
}

/// Binds `addr`, retrying for a while if the port is still in use (a parent that
/// picked it has just released it, or a previous holder is closing).
fn bind_retry(addr: SocketAddr) -> Result<std::net::TcpListener, RunError> {
    let mut tries = 0;
    loop {
        match std::net::TcpListener::bind(addr) {
            Ok(l) => return Ok(l),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tries < 60 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(failed(format!("cannot listen on {addr}: {e}"))),
        }
    }
}

/// Parses `--peers name=addr,name=addr,...`.
pub fn parse_peers(topo: &Topology, text: &str) -> Result<BTreeMap<ActorId, SocketAddr>, RunError> {
    let mut out = BTreeMap::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, addr) = item
            .split_once('=')
            .ok_or_else(|| bad(format!("--peers: `{item}` is not NAME=ADDR")))?;
        let id = topo
            .find(name)
            .ok_or_else(|| bad(format!("--peers: no node `{name}` in the scenario")))?;
        let addr: SocketAddr = addr
            .parse()
            .map_err(|e| bad(format!("--peers: `{item}`: bad address: {e}")))?;
        out.insert(id, addr);
    }
    Ok(out)
}

/// What `schedlab node` runs: one node of `scn`.
pub struct NodeOptions {
    pub seed: Option<u64>,
    pub name: String,
    pub role: Role,
    pub listen: SocketAddr,
    pub peers: String,
    pub net: NetConfig,
    /// Unix ms of the cluster's virtual time 0 (shared by all its processes).
    pub epoch_ms: Option<u64>,
}

/// Runs one node until it is crashed through `ctl` (or the process is killed).
pub fn run_node(scn: &Scenario, opts: &NodeOptions) -> Result<(), RunError> {
    let seed = opts.seed.unwrap_or(scn.seed);
    let mut topo =
        Topology::build(scn, seed).map_err(|m| bad(format!("scenario `{}`: {m}", scn.name)))?;
    let id = topo.find(&opts.name).ok_or_else(|| {
        bad(format!(
            "--id: no node `{}` in scenario `{}` (nodes: {})",
            opts.name,
            scn.name,
            topo.names.join(", ")
        ))
    })?;
    if topo.role(id) != opts.role {
        return Err(bad(format!(
            "--role: `{}` is a {} node, not a {}",
            opts.name,
            topo.role(id).name(),
            opts.role.name()
        )));
    }
    let mut peers = parse_peers(&topo, &opts.peers)?;
    let listener = bind_retry(opts.listen)?;
    let local = listener.local_addr().map_err(|e| failed(e.to_string()))?;
    peers.insert(id, local);
    println!(
        "node {} ({}) listening on {local}",
        opts.name,
        opts.role.name()
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let (actor, start) = topo.instantiate(id);
    let names = Rc::new(topo.names.clone());
    let roles = Rc::new(topo.roles.clone());
    let net = opts.net.clone();
    let epoch = opts.epoch_ms;
    let sys = actix::System::new();
    sys.block_on(async move {
        let sh = Rc::new(Shared {
            id,
            name: names[id.index()].clone(),
            role: roles[id.index()],
            clock: Clock::with_epoch(net.time_scale, epoch),
            cfg: net,
            names,
            roles,
            peers: Rc::new(peers),
            actor: RefCell::new(None),
            counters: RefCell::default(),
            shutdown: tokio::sync::watch::channel(false).0,
            stop_requested: Cell::new(false),
            node: RefCell::new(None),
        });
        let mut down = sh.shutdown.subscribe();
        Node::launch(sh.clone(), actor, start, seed, listener, None).map_err(failed)?;
        let _ = down.changed().await;
        // Let the crash reply reach the client before the process ends.
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(())
    })
}

/// A cluster of `schedlab node` child processes; killed (and reaped) on drop.
pub struct Children {
    pub names: Vec<String>,
    pub roles: Vec<Role>,
    pub addrs: Vec<SocketAddr>,
    pub procs: Vec<Option<std::process::Child>>,
}

impl Children {
    /// Kills node `name`'s process (as `kill -9` would).
    pub fn kill(&mut self, name: &str) -> bool {
        let Some(i) = self.names.iter().position(|n| n == name) else {
            return false;
        };
        match self.procs[i].take() {
            Some(mut c) => {
                let _ = c.kill();
                let _ = c.wait();
                true
            }
            None => false,
        }
    }

    pub fn addr(&self, name: &str) -> Option<SocketAddr> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.addrs[i])
    }

    pub fn pids(&self) -> Vec<u32> {
        self.procs
            .iter()
            .map(|c| c.as_ref().map_or(0, |c| c.id()))
            .collect()
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for c in self.procs.iter_mut().flatten() {
            let _ = c.kill();
        }
        for c in self.procs.iter_mut().flatten() {
            let _ = c.wait();
        }
    }
}

/// Starts every node of the scenario file `path` (with `--set` overrides `sets`) as a
/// child process of `exe` (the schedlab binary), each on a loopback port picked by
/// binding port 0. Their stderr goes to `log_dir/NAME.log` if given.
pub fn spawn_cluster(
    exe: &Path,
    path: &Path,
    sets: &[String],
    scn: &Scenario,
    seed: Option<u64>,
    net: &NetConfig,
    log_dir: Option<&Path>,
) -> Result<(Children, Topology), RunError> {
    let seed = seed.unwrap_or(scn.seed);
    let topo =
        Topology::build(scn, seed).map_err(|m| bad(format!("scenario `{}`: {m}", scn.name)))?;
    // Ports picked by the system; released just before the children bind them (they
    // retry while a port is still held).
    let addrs: Vec<SocketAddr> = bind_loopback(topo.len())?
        .iter()
        .map(|l| l.local_addr().map_err(|e| failed(e.to_string())))
        .collect::<Result<_, _>>()?;
    let peers: Vec<String> = topo
        .names
        .iter()
        .zip(&addrs)
        .map(|(n, a)| format!("{n}={a}"))
        .collect();
    let peers = peers.join(",");
    let epoch = Clock::unix_ms();
    let mut kids = Children {
        names: topo.names.clone(),
        roles: topo.roles.clone(),
        addrs: addrs.clone(),
        procs: Vec::new(),
    };
    for (i, name) in topo.names.iter().enumerate() {
        let mut cmd = std::process::Command::new(exe);
        cmd.arg("node")
            .arg("--role")
            .arg(topo.roles[i].name())
            .arg("--id")
            .arg(name)
            .arg("--listen")
            .arg(addrs[i].to_string())
            .arg("--peers")
            .arg(&peers)
            .arg("--config")
            .arg(path)
            .arg("--seed")
            .arg(seed.to_string())
            .arg("--time-scale")
            .arg(net.time_scale.to_string())
            .arg("--max-frame")
            .arg(net.max_frame.to_string())
            .arg("--epoch-ms")
            .arg(epoch.to_string());
        for s in sets {
            cmd.arg("--set").arg(s);
        }
        cmd.env(
            "SCHEDLAB_SECRET",
            String::from_utf8_lossy(&net.secret).to_string(),
        )
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null());
        match log_dir {
            Some(d) => {
                let f = std::fs::File::create(d.join(format!("{name}.log")))
                    .map_err(|e| failed(format!("{}: {e}", d.display())))?;
                cmd.stderr(f);
            }
            None => {
                cmd.stderr(std::process::Stdio::null());
            }
        }
        let child = cmd
            .spawn()
            .map_err(|e| failed(format!("cannot start {}: {e}", exe.display())))?;
        kids.procs.push(Some(child));
    }
    Ok((kids, topo))
}

/// A random printable secret (for `up` without `SCHEDLAB_SECRET`).
pub fn random_secret() -> Vec<u8> {
    super::auth::nonce()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .into_bytes()
}
