//! The live page of a real-mode cluster in headless Chromium: it shows the agents and
//! the leader; after the leader's process is killed, the page (opened at a standby,
//! which redirects to the new leader) shows the new one. Skipped when
//! /usr/bin/chromium is missing, unless SCHEDLAB_BROWSER=1 (as `.ci/real-browser.sh`
//! sets after installing it), where a missing browser fails.

use schedlab::real::up::spawn_cluster;
use schedlab::real::{NetConfig, Role};
use schedlab::scenario::Scenario;
use std::path::Path;
use std::time::Duration;

use crate::common::{leader, wait_for};

const SECRET: &[u8] = b"browser-test-secret";
const CHROMIUM: &str = "/usr/bin/chromium";

const SCN: &str = r#"
name = "real-page"
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
count = 3
cpus = 2
mem = 4096
[[frameworks]]
name = "service"
failover_timeout = "1h"
[frameworks.workload]
kind = "jobs"
jobs = [{ at = "0s", tasks = 2, cpus = 1, mem = 512, duration = "5h" }]
"#;

/// Chromium's DOM of `url` after its scripts ran (5 s of virtual time).
#[allow(clippy::disallowed_types, clippy::disallowed_methods)] // bounding a browser process
fn dump_dom(url: &str, profile: &Path) -> String {
    let mut child = std::process::Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--virtual-time-budget=5000", "--dump-dom", url])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut s);
        s
    });
    let t0 = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().unwrap()
}

#[test]
fn live_page_shows_agents_and_follows_the_leader() {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var("SCHEDLAB_BROWSER").is_err(),
            "SCHEDLAB_BROWSER is set but {CHROMIUM} is missing"
        );
        eprintln!("skipped: no {CHROMIUM} (run .ci/real-browser.sh)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("schedlab-real-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("profile")).unwrap();
    let path = dir.join("page.toml");
    std::fs::write(&path, SCN).unwrap();
    let scn = Scenario::parse(SCN, "page").unwrap();
    let net = NetConfig::new(SECRET.to_vec(), 50.0);
    let exe = env!("CARGO_BIN_EXE_schedlab");
    let (mut kids, _) =
        spawn_cluster(exe.as_ref(), &path, &[], &scn, None, &net, Some(&dir)).unwrap();
    let (first, addr, _) = wait_for(90, "a leader with 3 agents and 2 running tasks", || {
        let (n, a, st) = leader(&kids, SECRET)?;
        let agents = st["agents"].as_array()?.len();
        let running = st["tasks"]
            .as_array()?
            .iter()
            .filter(|t| t["state"] == "TASK_RUNNING")
            .count();
        (agents == 3 && running == 2).then_some((n, a, st))
    });
    let dom = dump_dom(&format!("http://{addr}/"), &dir.join("profile"));
    assert!(dom.contains("schedlab cluster"), "page served: {dom}");
    for a in ["agent-0", "agent-1", "agent-2"] {
        assert!(dom.contains(&format!("<td>{a}</td>")), "{a} shown: {dom}");
    }
    assert!(
        dom.contains(&format!("id=\"leader\">{first}<")),
        "leader {first} shown: {dom}"
    );
    assert!(dom.contains("TASK_RUNNING"), "tasks shown");

    assert!(kids.kill(&first));
    let (second, _, _) = wait_for(90, "a new leader", || {
        let (n, a, st) = leader(&kids, SECRET)?;
        (n != first && st["agents"].as_array()?.len() == 3).then_some((n, a, st))
    });
    // Open the page at the master that does not lead: it redirects to the new leader.
    let standby = kids
        .names
        .iter()
        .zip(&kids.roles)
        .position(|(n, r)| *r == Role::Master && *n != first && *n != second)
        .unwrap();
    let url = format!("http://{}/", kids.addrs[standby]);
    let dom = dump_dom(&url, &dir.join("profile"));
    assert!(
        dom.contains(&format!("id=\"leader\">{second}<")),
        "new leader {second} shown: {dom}"
    );
    assert!(dom.contains("<td>agent-0</td>"));
    drop(kids);
    let _ = std::fs::remove_dir_all(&dir);
}
