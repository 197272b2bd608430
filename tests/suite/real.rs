//! Real-network mode on 127.0.0.1: parity with the simulator, a multi-process
//! cluster surviving the death of its leading master and of an agent, and bad input
//! thrown at a node's port. Loopback TCP only; ports are picked by binding port 0.
//! The tests of this file run one at a time (they share two cores with everything).

use schedlab::real::ctl::request;
use schedlab::real::frame::{encode, CtlRequest, Frame};
use schedlab::real::up::{spawn_cluster, up, Children, UpOptions};
use schedlab::real::NetConfig;
use schedlab::run::{execute, RunOptions};
use schedlab::scenario::Scenario;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use crate::common;
use crate::common::{leader, wait_for};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
const SECRET: &[u8] = b"real-test-secret";
const EXE: &str = env!("CARGO_BIN_EXE_schedlab");

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("schedlab-real-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// As `wait_for`, naming what was last seen when it times out.
fn wait_for_or<T>(
    secs: u64,
    what: &str,
    seen: &std::cell::RefCell<String>,
    f: impl FnMut() -> Option<T>,
) -> T {
    common::poll(secs, f, || {
        format!(
            "timed out after {secs} s waiting for {what}; last seen: {}",
            seen.borrow()
        )
    })
}

/// What every live master says of itself: leading, agents, running tasks.
fn leaders_seen(kids: &Children) -> String {
    let mut out = String::new();
    for (i, r) in kids.roles.iter().enumerate() {
        if *r != schedlab::real::Role::Master || kids.procs[i].is_none() {
            continue;
        }
        match status(kids.addrs[i]) {
            Some(v) => {
                let st = &v["state"];
                let agents = st["agents"].as_array().map(|a| a.len());
                let tasks: Vec<String> = st["tasks"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| format!("{}@{}:{}", t["id"], t["agent_name"], t["state"]))
                    .collect();
                out.push_str(&format!(
                    "{} leading={} agents={agents:?} tasks={tasks:?}; ",
                    kids.names[i], v["leading"]
                ));
            }
            None => out.push_str(&format!("{}: no answer; ", kids.names[i])),
        }
    }
    out
}

const SMALL: &str = r#"
name = "small"
seed = 1
[run]
stop = "10min"
stop_when_done = true
sample_interval = "5s"
[[agents]]
name = "agent"
count = 4
cpus = 4
mem = 8192
[[frameworks]]
name = "a"
role = "a"
[frameworks.workload]
kind = "jobs"
jobs = [{ at = "0s", tasks = 12, cpus = 1, mem = 512, duration = "20s" }, { at = "5s", tasks = 8, cpus = 1, mem = 512, duration = "10s" }]
[[frameworks]]
name = "b"
role = "b"
[frameworks.workload]
kind = "jobs"
jobs = [{ at = "0s", tasks = 10, cpus = 0.5, mem = 2048, duration = "15s" }]
"#;

fn csv_rows(path: &std::path::Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The must-show parity: the same scenario simulated and over real TCP (20x time)
/// ends in the same state: every task finished, the same count per framework, none
/// lost; DRF held in the simulation (the largest share gap while both frameworks were
/// backlogged is at most one task's dominant share, 1/16), and the frameworks' mean
/// dominant shares agree within 0.15 (timings differ: wall-clock jitter moves the
/// samples).
#[test]
fn simulated_and_real_runs_reach_the_same_final_state() {
    let _g = serial();
    let scn = Scenario::parse(SMALL, "small").unwrap();
    let dir = temp_dir("parity");
    let sim = execute(
        &scn,
        &RunOptions {
            out: Some(dir.join("sim")),
            ..Default::default()
        },
    )
    .unwrap();
    let mut net = NetConfig::new(SECRET.to_vec(), 20.0);
    net.verbose = false;
    let real = up(
        &scn,
        &UpOptions {
            seed: None,
            out: Some(dir.join("real")),
            net,
            quiet: true,
            max_wall: Some(Duration::from_secs(60)),
        },
    )
    .unwrap();
    assert_eq!(
        real.stop_reason, "workload_done",
        "the real run finished its workload"
    );
    assert_eq!(real.fingerprint, "real");
    for s in [&sim, &real] {
        assert_eq!(
            (s.tasks.finished, s.tasks.lost, s.tasks.duplicated),
            (30, 0, 0)
        );
    }
    let per_fw = |s: &schedlab::metrics::Summary| -> Vec<(String, u64)> {
        s.frameworks
            .iter()
            .map(|f| (f.name.clone(), f.tasks_finished))
            .collect()
    };
    assert_eq!(per_fw(&sim), per_fw(&real));
    assert_eq!(
        per_fw(&real),
        [("a".to_string(), 20), ("b".to_string(), 10)]
    );
    let tol = 1.0 / 16.0 + 1e-9;
    assert!(
        sim.fairness.max_share_gap <= tol,
        "sim gap {}",
        sim.fairness.max_share_gap
    );
    // Not the real run's largest gap: its samples fall at wall-clock instants, and one
    // that falls while a framework holds offers for the whole cluster (they count as
    // allocated, as in Mesos; given-back resources wait for the next 1 s round since
    // issue 24) shows a gap of 1 under a loaded machine. Its mean shares are compared
    // below.
    for (a, b) in sim.frameworks.iter().zip(&real.frameworks) {
        let d = (a.mean_dominant_share - b.mean_dominant_share).abs();
        assert!(
            d <= 0.15,
            "{}: sim {} real {}",
            a.name,
            a.mean_dominant_share,
            b.mean_dominant_share
        );
    }
    // The same output contract: the same files, the same columns, one row per task.
    for f in ["summary.json", "tasks.csv", "timeseries.csv"] {
        assert!(dir.join("real").join(f).exists(), "{f} written");
    }
    let (st, rt) = (
        csv_rows(&dir.join("sim/tasks.csv")),
        csv_rows(&dir.join("real/tasks.csv")),
    );
    assert_eq!(st.len(), 30);
    assert_eq!(rt.len(), 30);
    let key = |rows: &[Vec<String>]| {
        let mut k: Vec<(String, String, String, String)> = rows
            .iter()
            .map(|r| (r[0].clone(), r[1].clone(), r[3].clone(), r[11].clone()))
            .collect();
        k.sort();
        k
    };
    assert_eq!(
        key(&st),
        key(&rt),
        "same tasks (job, task, framework, state)"
    );
    let head = |p: &str| {
        std::fs::read_to_string(dir.join(p))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(head("sim/timeseries.csv"), head("real/timeseries.csv"));
    assert!(csv_rows(&dir.join("real/timeseries.csv")).len() >= 3);
    let _ = std::fs::remove_dir_all(&dir);
}

/// What real mode cannot honour is refused before any node starts (no port is bound),
/// with the scenario file and each key named: faults and a modelled network would
/// otherwise be silently ignored. The same scenario simulates.
#[test]
fn real_mode_refuses_faults_and_network_models_by_key() {
    let text = format!(
        "{SMALL}\n[network.default]\nloss = 0.01\n[[faults]]\nkind = \"crash\"\nat = \"5s\"\ntarget = [\"agent-0\"]\n"
    );
    let scn = Scenario::parse(&text, "faulty.toml").unwrap();
    let opts = UpOptions {
        seed: None,
        out: None,
        net: NetConfig::new(SECRET.to_vec(), 20.0),
        quiet: true,
        max_wall: Some(Duration::from_secs(5)),
    };
    let e = up(&scn, &opts).unwrap_err();
    assert_eq!(e.code, 2, "{}", e.message);
    assert!(
        e.message
            .contains("faulty.toml: real mode cannot honour these keys:"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("`network.default.loss`"),
        "{}",
        e.message
    );
    assert!(
        e.message
            .contains("`faults.0`: real mode schedules no faults"),
        "{}",
        e.message
    );
    let exe = std::path::Path::new(EXE);
    let e = spawn_cluster(
        exe,
        "faulty.toml".as_ref(),
        &[],
        &scn,
        None,
        &opts.net,
        None,
    )
    .err()
    .expect("up --processes refuses it too");
    assert!(e.message.contains("`faults.0`"), "{}", e.message);
    assert!(execute(&scn, &RunOptions::default()).is_ok());
}

fn status(addr: SocketAddr) -> Option<Value> {
    request(addr, SECRET, CtlRequest::Status).ok()
}

/// (task id, agent name) of every RUNNING task the leader knows.
fn running(state: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = state["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] == "TASK_RUNNING")
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                t["agent_name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn active_agents(state: &Value) -> usize {
    state["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["active"] == Value::Bool(true))
        .count()
}

const HA: &str = r#"
name = "real-ha"
seed = 1
[run]
stop = "10h"
stop_when_done = false
[masters]
count = 3
[coord]
servers = 3
session_timeout = "20s"
[[agents]]
name = "agent"
count = 5
cpus = 2
mem = 4096
[[frameworks]]
name = "service"
failover_timeout = "1h"
[frameworks.workload]
kind = "jobs"
jobs = [{ at = "0s", tasks = 6, cpus = 1, mem = 512, duration = "5h" }]
"#;

/// The must-show failover, as 12 processes on 127.0.0.1 at 50x time: 3 coordination
/// servers, 3 masters, 5 agents and a service framework. Killing the leading master's
/// process elects another and loses no task (the same 6 tasks run, none relaunched);
/// killing an agent's process gets its tasks relaunched elsewhere (attempt 1) once the
/// health checks time out (5 x 15 s = 75 s virtual, 1.5 s of wall time).
#[test]
fn killing_the_leader_and_an_agent_process_loses_no_task() {
    let _g = serial();
    let dir = temp_dir("ha");
    let path = dir.join("ha.toml");
    std::fs::write(&path, HA).unwrap();
    let scn = Scenario::parse(HA, "ha").unwrap();
    let net = NetConfig::new(SECRET.to_vec(), 50.0);
    let (mut kids, _) =
        spawn_cluster(EXE.as_ref(), &path, &[], &scn, None, &net, Some(&dir)).unwrap();
    assert_eq!(kids.names.len(), 12);

    let (first, before) = wait_for(90, "a leader with 5 agents and 6 running tasks", || {
        let (name, _, st) = leader(&kids, SECRET)?;
        (active_agents(&st) == 5 && running(&st).len() == 6).then_some((name, st))
    });
    let tasks_before: Vec<String> = running(&before).into_iter().map(|(t, _)| t).collect();
    assert!(
        tasks_before.iter().all(|t| t.ends_with(".0")),
        "first attempts: {tasks_before:?}"
    );

    assert!(kids.kill(&first));
    let seen = std::cell::RefCell::new(String::new());
    let (second, after) = wait_for_or(90, "a new leader that knows the 6 tasks", &seen, || {
        *seen.borrow_mut() = leaders_seen(&kids);
        let (name, _, st) = leader(&kids, SECRET)?;
        (name != first && running(&st).len() == 6).then_some((name, st))
    });
    let tasks_after: Vec<String> = running(&after).into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        tasks_after, tasks_before,
        "no task lost or relaunched by the failover"
    );
    assert_ne!(second, first);

    // Kill an agent that runs something.
    let (_, victim) = running(&after).into_iter().next().unwrap();
    let on_victim: Vec<String> = running(&after)
        .into_iter()
        .filter(|(_, a)| *a == victim)
        .map(|(t, _)| t)
        .collect();
    assert!(kids.kill(&victim));
    let st = wait_for(90, "the killed agent's tasks relaunched elsewhere", || {
        let (_, _, st) = leader(&kids, SECRET)?;
        let run = running(&st);
        (run.len() == 6 && run.iter().all(|(_, a)| *a != victim)).then_some(st)
    });
    assert_eq!(active_agents(&st), 4, "the dead agent was removed");
    let relaunched: Vec<String> = running(&st)
        .into_iter()
        .map(|(t, _)| t)
        .filter(|t| !tasks_before.contains(t))
        .collect();
    assert_eq!(
        relaunched.len(),
        on_victim.len(),
        "one new attempt per task of the dead agent"
    );
    assert!(
        relaunched.iter().all(|t| t.ends_with(".1")),
        "{relaunched:?}"
    );
    drop(kids);
    let _ = std::fs::remove_dir_all(&dir);
}

const PAIR: &str = r#"
name = "pair"
frameworks = []
[run]
stop = "10h"
stop_when_done = false
[[agents]]
name = "agent"
count = 1
cpus = 2
mem = 2048
"#;

/// A connection that sends `bytes` and closes (its answer, if any, is read away).
fn throw(addr: SocketAddr, bytes: &[u8]) {
    if let Ok(mut s) = TcpStream::connect(addr) {
        let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
        let _ = s.write_all(bytes);
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    }
}

/// The must-show robustness: 300 connections of random bytes, oversized, truncated,
/// garbage and unknown-kind frames (a deterministic ChaCha stream) thrown at a master
/// process; it never stops serving: its agent stays registered (pings go on) and
/// `ctl` still gets answers; each bad frame was counted as rejected, and a peer with
/// the wrong secret is refused.
#[test]
fn bad_frames_and_wrong_secrets_are_rejected_and_the_node_serves_on() {
    use rand::{Rng, SeedableRng};
    let _g = serial();
    let dir = temp_dir("fuzz");
    let path = dir.join("pair.toml");
    std::fs::write(&path, PAIR).unwrap();
    let scn = Scenario::parse(PAIR, "pair").unwrap();
    let net = NetConfig::new(SECRET.to_vec(), 50.0);
    let (kids, _) = spawn_cluster(EXE.as_ref(), &path, &[], &scn, None, &net, Some(&dir)).unwrap();
    let master = kids.addr("master").unwrap();
    let st = wait_for(60, "the agent registered", || {
        let v = status(master)?;
        (v["state"]["agents"].as_array()?.len() == 1).then_some(v)
    });
    let base_rejected = st["counters"]["frames_rejected"].as_u64().unwrap();
    let base_refused = st["counters"]["peers_refused"].as_u64().unwrap();

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let (mut refused, mut rejected) = (0u64, 0u64);
    let hello = encode(&Frame::Hello {
        name: "agent-0".into(),
        nonce: [1; 16],
    });
    for i in 0..300 {
        let mut bytes = Vec::new();
        match i % 6 {
            0 => {
                // Random bytes (never an HTTP method by chance: first byte below 'A').
                let n = rng.gen_range(4..64);
                bytes = (0..n).map(|_| rng.gen()).collect();
                bytes[0] = rng.gen_range(0..0x40);
                refused += 1;
            }
            1 => {
                // Oversized length prefix.
                bytes.extend_from_slice(&(rng.gen_range(1u32 << 21..1 << 30)).to_be_bytes());
                bytes.extend_from_slice(b"xxxx");
                refused += 1;
            }
            2 => {
                // Truncated hello.
                bytes.extend_from_slice(&hello[..rng.gen_range(5..hello.len())]);
                refused += 1;
            }
            3 => {
                // A well-framed message of an unknown kind, before any handshake.
                let body = br#"{"msg":{"from":1,"to":0,"msg":"Teleport"}}"#;
                bytes.extend_from_slice(&(body.len() as u32).to_be_bytes());
                bytes.extend_from_slice(body);
                refused += 1;
            }
            4 => {
                // Hello from a name the cluster does not have.
                bytes = encode(&Frame::Hello {
                    name: "intruder".into(),
                    nonce: [2; 16],
                });
                refused += 1;
            }
            _ => {
                // An authenticated peer (ctl) that then sends garbage or an unknown kind.
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let garbage: Vec<u8> = if rng.gen_bool(0.5) {
                    let body = br#"{"ctl":"format_disk"}"#.to_vec();
                    let mut b = (body.len() as u32).to_be_bytes().to_vec();
                    b.extend_from_slice(&body);
                    b
                } else {
                    let mut b = 8u32.to_be_bytes().to_vec();
                    b.extend((0..8).map(|_| rng.gen::<u8>()));
                    b
                };
                rt.block_on(async {
                    use tokio::io::AsyncWriteExt;
                    let (mut s, name) =
                        schedlab::real::net::connect(master, "ctl", None, SECRET, 1 << 20)
                            .await
                            .unwrap();
                    assert_eq!(name, "master");
                    s.write_all(&garbage).await.unwrap();
                    let _ = s.shutdown().await;
                    let mut sink = Vec::new();
                    use tokio::io::AsyncReadExt;
                    let _ = tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut sink))
                        .await;
                });
                rejected += 1;
            }
        }
        if !bytes.is_empty() {
            throw(master, &bytes);
        }
    }
    // A peer with the wrong secret: refused (the master also fails its own check).
    let wrong = request(master, b"not-the-secret", CtlRequest::Status);
    assert!(wrong.is_err(), "wrong secret accepted: {wrong:?}");
    refused += 1;

    let v = wait_for(30, "the counters to settle", || {
        let v = status(master)?;
        let c = &v["counters"];
        (c["peers_refused"].as_u64()? - base_refused >= refused
            && c["frames_rejected"].as_u64()? - base_rejected >= rejected)
            .then_some(v)
    });
    assert_eq!(
        v["counters"]["peers_refused"].as_u64().unwrap() - base_refused,
        refused
    );
    assert_eq!(
        v["counters"]["frames_rejected"].as_u64().unwrap() - base_rejected,
        rejected
    );
    // Still serving its good peer: the agent is registered and active, and pinged on.
    let pongs = v["counters"]["delivered"].as_u64().unwrap();
    let v = wait_for(30, "more messages from the agent", || {
        let v = status(master)?;
        (v["counters"]["delivered"].as_u64()? > pongs + 2).then_some(v)
    });
    let agents = v["state"]["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0]["active"], Value::Bool(true));
    drop(kids);
    let _ = std::fs::remove_dir_all(&dir);
}
