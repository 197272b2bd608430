//! Starting real-mode clusters: a whole scenario in one process (`up --real`), one
//! node per process (`node`), or a scenario as child processes (`up --processes`).
//!
//! In one process every node still has its own loopback port and talks to the others
//! over TCP; what one process adds is a view of every actor, which is how `up --real`
//! writes the same output contract as a simulated run (`summary.json`, `tasks.csv`,
//! `timeseries.csv`): the recorder sees every delivered message, the sampler reads the
//! leader and the frameworks every `sample_interval` of (scaled) time. Timings are the
//! wall clock's, so they differ from run to run; the fingerprint is `"real"`.

use super::clock::Clock;
use super::node::{Node, Shared, Tap};
use super::topology::{Role, Topology};
use super::NetConfig;
use crate::actor::{ActorId, Time};
use crate::frameworks::{FrameworkActor, FrameworkStatus};
use crate::mesos::master::Master;
use crate::metrics::{LeaderWatch, Recorder, Summary};
use crate::proto::Msg;
use crate::run::{RunError, RunFacts, Sampler};
use crate::scenario::Scenario;
use crate::sim::StopReason;
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

/// Reads the leader and the frameworks from the nodes' live actors.
fn with_views<R>(
    nodes: &[Rc<Shared>],
    masters: &[ActorId],
    frameworks: &[FrameworkActor],
    f: impl FnOnce(Option<&Master>, &[Option<&dyn FrameworkStatus>], Option<&str>) -> R,
) -> R {
    let guards: Vec<_> = nodes.iter().map(|n| n.actor.borrow()).collect();
    let any = |id: ActorId| guards[id.index()].as_deref().map(|a| a.as_any());
    let live: Vec<(ActorId, &Master)> = masters
        .iter()
        .filter_map(|&id| any(id)?.downcast_ref::<Master>().map(|m| (id, m)))
        .collect();
    let leader = live.iter().find(|(_, m)| m.is_leading());
    let view = leader.or(live.first()).map(|(_, m)| *m);
    let leader_name = leader.map(|(id, _)| nodes[id.index()].name.as_str());
    let st: Vec<Option<&dyn FrameworkStatus>> = frameworks
        .iter()
        .map(|f| any(f.id).and_then(|a| f.status(a)))
        .collect();
    f(view, &st, leader_name)
}

/// Runs `scn` with every node in this process, each on its own loopback port, and
/// writes the output contract into `opts.out`.
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
    let (tasks_w, ts) = match &opts.out {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| failed(format!("{}: {e}", dir.display())))?;
            let ts = csv::Writer::from_writer(crate::run::create(&dir.join("timeseries.csv"))?);
            (Some(crate::run::create(&dir.join("tasks.csv"))?), Some(ts))
        }
        None => (None, None),
    };
    let rec = Rc::new(RefCell::new(Recorder::new(
        topo.masters().to_vec(),
        tasks_w,
        None,
        topo.names.clone(),
    )));
    let mut sampler = Sampler::new(scn, ts)?;
    let masters = topo.cluster.masters.clone();
    let frameworks = topo.cluster.frameworks.clone();
    let agents = topo.cluster.agents.clone();
    let watch_leader = masters.len() > 1 || !topo.cluster.coord.is_empty();
    let names = Rc::new(topo.names.clone());
    let roles = Rc::new(topo.roles.clone());
    let peers = Rc::new(addrs);
    let stop_at = scn.run.stop;
    let interval = scn.run.sample_interval.max(1);
    let net = opts.net.clone();
    let max_wall = opts.max_wall;

    let sys = actix::System::new();
    let outcome = sys.block_on(async {
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
        let mut next_sample: Time = 0;
        let mut leaders = LeaderWatch::default();
        let reason = loop {
            let now = clock.now();
            while next_sample <= now.min(stop_at) {
                with_views(&nodes, &masters, &frameworks, |m, st, _| {
                    sampler.sample(m, st, next_sample)
                })?;
                next_sample += interval;
            }
            let done = with_views(&nodes, &masters, &frameworks, |_, st, leader| {
                if watch_leader {
                    leaders.observe(now, leader);
                }
                !st.is_empty() && st.iter().all(|s| s.is_some_and(|s| s.done()))
            });
            if nodes.iter().any(|n| n.stop_requested.get()) {
                break StopReason::Requested;
            }
            if scn.run.stop_when_done && done {
                break StopReason::WorkloadDone;
            }
            if now >= stop_at || max_wall.is_some_and(|w| wall.elapsed() >= w) {
                break StopReason::TimeLimit;
            }
            let nap = clock
                .wall(next_sample.saturating_sub(now))
                .min(Duration::from_millis(10));
            tokio::time::sleep(nap.max(Duration::from_millis(1))).await;
        };
        let end = clock.now().min(stop_at);
        // Stop every node before reading the final state.
        for n in &nodes {
            let _ = n.shutdown.send(true);
        }
        let summary = with_views(&nodes, &masters, &frameworks, |_, st, _| {
            let guards: Vec<_> = nodes.iter().map(|n| n.actor.borrow()).collect();
            let any = |id: ActorId| guards[id.index()].as_deref().map(|a| a.as_any());
            let ms: Vec<&Master> = masters
                .iter()
                .filter_map(|&id| any(id)?.downcast_ref::<Master>())
                .collect();
            let ags = agents
                .iter()
                .filter_map(|&id| any(id)?.downcast_ref::<crate::mesos::agent::Agent>());
            let counters: Vec<_> = nodes.iter().map(|n| n.counters.borrow().clone()).collect();
            let facts = RunFacts {
                seed,
                fingerprint: "real".to_string(),
                end,
                wall_time_s: (wall.elapsed().as_secs_f64() * 1e6).round() / 1e6,
                events: counters.iter().map(|c| c.delivered).sum(),
                stop_reason: serde_json::to_value(reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                agents: crate::run::agent_events_of(&ms, ags),
                failovers: std::mem::take(&mut leaders.failovers),
                network: crate::sim::NetStats {
                    sent: counters.iter().map(|c| c.frames_sent).sum(),
                    lost: counters.iter().map(|c| c.sends_dropped).sum(),
                    ..Default::default()
                },
            };
            crate::run::summarize(scn, &mut rec.borrow_mut(), sampler, st, facts)
        })?;
        actix::System::current().stop();
        Ok::<Summary, RunError>(summary)
    })?;
    if let Some(dir) = &opts.out {
        crate::run::write_summary(dir, &outcome)?;
    }
    Ok(outcome)
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
