//! Unit tests of `src/real/unsupported.rs` (moved out of the library: see `unit.rs`).

use schedlab::real::unsupported::*;
use schedlab::scenario::Scenario;

const BASE: &str = r#"
name = "t"
[[agents]]
count = 2
cpus = 4
mem = 4096
[[frameworks]]
name = "a"
role = "a"
workload = { kind = "greedy", cpus = 1, mem = 512 }
"#;

fn scn(extra: &str) -> Scenario {
    Scenario::parse(&format!("{BASE}{extra}"), "scenarios/t.toml").unwrap()
}

#[test]
fn a_scenario_without_network_or_faults_runs() {
    assert_eq!(check(&scn("")), Ok(()));
}

#[test]
fn network_models_faults_and_agent_failures_are_refused_by_key() {
    let s = scn(r#"
[network.default]
latency = { dist = "constant", value = "2ms" }
loss = 0.01
fifo = true
[[network.links]]
from = "frameworks"
to = "masters"
latency = { dist = "constant", value = "1ms" }
[[faults]]
kind = "crash"
at = "10s"
target = ["agent-0"]
[[faults]]
kind = "partition"
at = "20s"
a = ["agent-1"]
[agent_failures]
mtbf = "1h"
repair = "5min"
"#);
    let keys: Vec<String> = unsupported(&s).into_iter().map(|u| u.key).collect();
    assert_eq!(
        keys,
        [
            "network.default.latency",
            "network.default.loss",
            "network.links",
            "faults.0",
            "faults.1",
            "agent_failures"
        ]
    );
    let m = check(&s).unwrap_err();
    assert!(
        m.starts_with("scenarios/t.toml: real mode cannot honour these keys:"),
        "{m}"
    );
    assert!(
        m.contains(
            "\n  `faults.0`: real mode schedules no faults; crash a node with `schedlab ctl crash`"
        ),
        "{m}"
    );
    assert!(
        m.contains("\n  `faults.1`: partitions and link faults need the simulated network"),
        "{m}"
    );
    assert!(
        m.contains("\n  `network.links`: real mode sends every message over TCP"),
        "{m}"
    );
}

#[test]
fn the_message_names_the_overrides_and_falls_back_to_the_name() {
    let s = Scenario::parse_with_overrides(
        BASE,
        "scenarios/t.toml",
        &["network.default.fifo=false".into()],
    )
    .unwrap();
    let m = check(&s).unwrap_err();
    assert!(
        m.starts_with("scenarios/t.toml (with --set network.default.fifo=false): "),
        "{m}"
    );
    assert!(m.contains("`network.default.fifo`"), "{m}");
    let unnamed = Scenario { source: None, ..s };
    assert!(check(&unnamed).unwrap_err().starts_with("scenario `t`: "));
}
