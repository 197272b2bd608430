//! Errors in scenario files: every one names the file, the line of the offending key
//! itself (however deep), the key's full path, and for an unknown key the nearest valid
//! one. Each case is a small file whose line numbers are counted in its comment.

use schedlab::scenario::*;
use schedlab::sim::fault::Fault;
use serde::Deserialize;
use serde::Serialize;
use std::path::Path;

/// Lines 1-5: a name and one agent group.
const HEAD: &str = "name = \"x\"\n[[agents]]\ncount = 1\ncpus = 4\nmem = 1024\n";

/// A framework that needs no other key (three lines).
const GREEDY: &str =
    "[[frameworks]]\nname = \"g\"\nworkload = { kind = \"greedy\", cpus = 1, mem = 1 }";

fn err(text: &str) -> String {
    Scenario::parse(text, "s.toml").unwrap_err().to_string()
}

/// `HEAD`, then `lines` from line 6.
fn file(lines: &[&str]) -> String {
    HEAD.to_string() + &lines.join("\n") + "\n"
}

const SYNTHETIC: [&str; 12] = [
    "[[frameworks]]",         // 6
    "name = \"a\"",           // 7
    "[frameworks.workload]",  // 8
    "kind = \"synthetic\"",   // 9
    "jobs = 1",               // 10
    "interarrival = \"1s\"",  // 11
    "tasks_min = 1",          // 12
    "tasks_max = 1",          // 13
    "cpus = 1",               // 14
    "mem = 1",                // 15
    "duration_mean = \"1s\"", // 16
    "duration_std = \"1s\"",  // 17
];

fn synthetic(from: &str, to: &str) -> String {
    let lines: Vec<String> = SYNTHETIC.iter().map(|l| l.replace(from, to)).collect();
    file(&lines.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn unknown_key_in_a_workload_is_named_at_its_own_line() {
    assert_eq!(
        err(&synthetic("duration_std", "duration_stdev")),
        "s.toml:17: key `frameworks.0.workload.duration_stdev`: \
         unknown key `duration_stdev`; did you mean `duration_std`?"
    );
    // A task size's key beside the workload's own.
    assert_eq!(
        err(&synthetic("mem = 1", "mme = 1")),
        "s.toml:15: key `frameworks.0.workload.mme`: unknown key `mme`; did you mean `mem`?"
    );
    let jobs = file(&[
        "[[frameworks]]",               // 6
        "name = \"a\"",                 // 7
        "[frameworks.workload]",        // 8
        "kind = \"jobs\"",              // 9
        "[[frameworks.workload.jobs]]", // 10
        "at = \"1s\"",                  // 11
        "tasks = 1",                    // 12
        "cpus = 1",                     // 13
        "mem = 1",                      // 14
        "duraton = \"1s\"",             // 15
    ]);
    assert_eq!(
        err(&jobs),
        "s.toml:15: key `frameworks.0.workload.jobs.0.duraton`: \
         unknown key `duraton`; did you mean `duration`?"
    );
    let synth = file(&[
        "[[frameworks]]",
        "name = \"a\"",
        "[frameworks.workload]",
        "kind = \"synth\"",
        "arrival = { process = \"poisson\", rate_per_sec = 1.0 }",
        "max_jobs = 1",
    ]);
    assert_eq!(
        err(&synth),
        "s.toml:10: key `frameworks.0.workload.arrival.rate_per_sec`: \
         unknown key `rate_per_sec`; did you mean `rate_per_s`?"
    );
}

#[test]
fn a_missing_key_is_reported_at_its_table_after_unknown_ones() {
    let text = synthetic("duration_std = \"1s\"", "");
    assert_eq!(
        err(&text),
        "s.toml:8: key `frameworks.0.workload`: missing key `duration_std`"
    );
}

#[test]
fn unknown_kinds_are_named_with_the_nearest_one() {
    assert_eq!(
        err(&synthetic("\"synthetic\"", "\"synthetc\"")),
        "s.toml:9: key `frameworks.0.workload.kind`: \
         unknown kind `synthetc`; did you mean `synthetic`?"
    );
    assert_eq!(
        err(&synthetic("kind = \"synthetic\"", "")),
        "s.toml:8: key `frameworks.0.workload`: \
         missing key `kind` (one of `greedy`, `jobs`, `synthetic`, `trace`, `synth`)"
    );
    let text = file(&["[[frameworks]]", "kind = \"marathn\"", "name = \"m\""]);
    assert_eq!(
        err(&text),
        "s.toml:7: key `frameworks.0.kind`: \
         unknown framework kind `marathn`; did you mean `marathon`?"
    );
}

#[test]
fn unknown_key_in_an_agent_group_and_its_reservation() {
    let text = file(&["launch_dely = \"1s\"", GREEDY]);
    assert_eq!(
        err(&text),
        "s.toml:6: key `agents.0.launch_dely`: unknown key `launch_dely`; did you mean `launch_delay`?"
    );
    let text = file(&[
        "reserve = [{ role = \"r\", cpus = 1, mem = 1, gpu = 1 }]",
        GREEDY,
    ]);
    assert_eq!(
        err(&text),
        "s.toml:6: key `agents.0.reserve.0.gpu`: unknown key `gpu`; did you mean `gpus`?"
    );
}

#[test]
fn unknown_key_in_a_framework_of_each_kind() {
    let cases = [
        // (kind's lines, misspelt key, its line, suggestion)
        (
            "name = \"b\"\ntasks_per_ofer = 1\nworkload = { kind = \"greedy\", cpus = 1, mem = 1 }",
            "tasks_per_ofer",
            8,
            "tasks_per_offer",
        ),
        (
            "kind = \"marathon\"\nname = \"m\"\nrol = \"r\"\napps = []",
            "rol",
            9,
            "role",
        ),
        (
            "kind = \"chronos\"\nname = \"c\"\njob = []",
            "job",
            9,
            "jobs",
        ),
        (
            "kind = \"aurora\"\nname = \"a\"\njobs = []\npreemption_dealy = \"1s\"",
            "preemption_dealy",
            10,
            "preemption_delay",
        ),
        (
            "kind = \"yarn\"\nname = \"y\"\nnm_cpu = 1",
            "nm_cpu",
            9,
            "nm_cpus",
        ),
    ];
    for (body, key, line, near) in cases {
        let text = file(&["[[frameworks]]", body]);
        assert_eq!(
            err(&text),
            format!(
                "s.toml:{line}: key `frameworks.0.{key}`: unknown key `{key}`; did you mean `{near}`?"
            ),
            "{body}"
        );
    }
}

#[test]
fn unknown_key_in_a_marathon_app_and_its_health_check() {
    let app = |extra: &str| {
        file(&[
            "[[frameworks]]",      // 6
            "kind = \"marathon\"", // 7
            "name = \"m\"",        // 8
            "[[frameworks.apps]]", // 9
            "id = \"web\"",        // 10
            extra,                 // 11
            "cpus = 1",
            "mem = 1",
        ])
    };
    assert_eq!(
        err(&app("instnces = 1")),
        "s.toml:11: key `frameworks.0.apps.0.instnces`: \
         unknown key `instnces`; did you mean `instances`?"
    );
    assert_eq!(
        err(&app(
            "instances = 1\nhealth = { grace = \"1s\", intervall = \"1s\" }"
        )),
        "s.toml:12: key `frameworks.0.apps.0.health.intervall`: \
         unknown key `intervall`; did you mean `interval`?"
    );
}

#[test]
fn unknown_key_in_a_fault_or_with_no_near_key_lists_the_keys() {
    let fault = |extra: &str| {
        file(&[
            GREEDY,             // 6-8
            "[[faults]]",       // 9
            "kind = \"crash\"", // 10
            "at = \"1s\"",      // 11
            "target = [\"g\"]", // 12
            extra,              // 13
        ])
    };
    assert_eq!(
        err(&fault("restart_afer = \"1s\"")),
        "s.toml:13: key `faults.0.restart_afer`: \
         unknown key `restart_afer`; did you mean `restart_after`?"
    );
    assert_eq!(
        err(&fault("bogus = 1")),
        "s.toml:13: key `faults.0.bogus`: \
         unknown key `bogus`; valid keys: `at`, `target`, `restart_after`"
    );
    let link = file(&[
        GREEDY,
        "[[faults]]",
        "kind = \"link\"",
        "at = \"1s\"",
        "a = [\"g\"]",
        "link = { latncy = { dist = \"constant\", value = \"1ms\" } }",
    ]);
    assert_eq!(
        err(&link),
        "s.toml:13: key `faults.0.link.latncy`: unknown key `latncy`; did you mean `latency`?"
    );
}

#[test]
fn unknown_key_in_a_network_latency_or_link() {
    let text = file(&[
        GREEDY,
        "[network.default]",
        "latency = { dist = \"normal\", mean = \"1ms\", stdd = \"1ms\" }",
    ]);
    assert_eq!(
        err(&text),
        "s.toml:10: key `network.default.latency.stdd`: unknown key `stdd`; did you mean `std`?"
    );
    let text = file(&[
        GREEDY,
        "[[network.links]]",
        "from = \"agents\"",
        "to = \"masters\"",
        "los = 0.1",
    ]);
    assert_eq!(
        err(&text),
        "s.toml:12: key `network.links.0.los`: unknown key `los`; did you mean `loss`?"
    );
}

#[test]
fn unknown_key_at_the_top_and_in_flattened_master_flags() {
    let text = format!("seedd = 2\n{HEAD}{GREEDY}\n");
    assert_eq!(
        err(&text),
        "s.toml:1: key `seedd`: unknown key `seedd`; did you mean `seed`?"
    );
    let text = file(&[
        GREEDY,
        "[masters]",
        "count = 1",
        "allocation_intervl = \"1s\"",
    ]);
    assert_eq!(
        err(&text),
        "s.toml:11: key `masters.allocation_intervl`: \
         unknown key `allocation_intervl`; did you mean `allocation_interval`?"
    );
}

const NO_UNIT: &str = "has no unit: give one, e.g.";

#[test]
fn durations_without_a_unit_are_refused_where_they_are_written() {
    for stop in ["3", "\"3\""] {
        let text = file(&[GREEDY, "[run]", &format!("stop = {stop}")]);
        assert_eq!(
            err(&text),
            "s.toml:10: key `run.stop`: `3` has no unit: give one, \
             e.g. \"3s\", \"3ms\" or \"3min\" (units: ns, us, ms, s, min, h, d)"
        );
    }
    let text = file(&[
        GREEDY,
        "[[faults]]",
        "kind = \"crash\"",
        "at = 2.5",
        "target = [\"g\"]",
    ]);
    let e = err(&text);
    assert!(
        e.starts_with("s.toml:11: key `faults.0.at`: `2.5` has no unit"),
        "{e}"
    );
    let text = file(&[
        GREEDY,
        "[network.default]",
        "latency = { dist = \"constant\", value = 1 }",
    ]);
    let e = err(&text);
    assert!(
        e.starts_with("s.toml:10: key `network.default.latency.value`: `1` ")
            && e.contains(NO_UNIT),
        "{e}"
    );
    let e = err(&synthetic("duration_mean = \"1s\"", "duration_mean = 60"));
    assert!(
        e.starts_with("s.toml:16: key `frameworks.0.workload.duration_mean`: `60` "),
        "{e}"
    );
}

#[test]
fn a_bad_value_inside_a_tagged_table_names_its_key() {
    let text = file(&[
        GREEDY,
        "[[faults]]",
        "kind = \"crash\"",
        "at = \"soon\"",
        "target = [\"g\"]",
    ]);
    let e = err(&text);
    assert!(
        e.starts_with("s.toml:11: key `faults.0.at`: `soon` is not a duration"),
        "{e}"
    );
}

/// The parts read in two steps (tagged, flattened), as a scenario dump writes them.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Parts {
    masters: MastersSection,
    agents: Vec<AgentGroup>,
    network: NetworkSection,
    faults: Vec<Fault>,
    workloads: Vec<schedlab::workload::WorkloadSpec>,
}

#[test]
fn two_step_parts_of_shipped_scenarios_round_trip_through_toml() {
    for name in [
        "quickstart",
        "marathon",
        "yarn",
        "failover",
        "partition",
        "drf-paper",
    ] {
        let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        let s = Scenario::load(Path::new(&path)).unwrap();
        let parts = Parts {
            masters: s.masters,
            agents: s.agents,
            network: s.network,
            faults: s.faults,
            workloads: s
                .frameworks
                .iter()
                .filter_map(|f| f.as_batch())
                .map(|b| b.workload.clone())
                .collect(),
        };
        let text = toml::to_string(&parts).unwrap();
        assert_eq!(
            parse_toml::<Parts>(&text, name).unwrap(),
            parts,
            "{name}:\n{text}"
        );
    }
}

/// Every shipped input file that takes durations still reads now that a bare number is
/// refused, each with the reader of its kind (`schedlab validate` takes scenarios only).
#[test]
fn every_shipped_input_file_still_parses() {
    use schedlab::validation::{borg::BorgConfig, mesos_table2::Table2Config, omega::OmegaConfig};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for dir in [
        "scenarios",
        "scenarios/sweeps",
        "scenarios/validation",
        "traces",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let r = match dir {
                "scenarios" => Scenario::load(&path).map(drop).map_err(|e| e.to_string()),
                "scenarios/sweeps" => schedlab::experiment::spec::SweepSpec::load(&path)
                    .map(drop)
                    .map_err(|e| e.to_string()),
                "traces" => schedlab::trace::synth::SynthConfig::load(&path)
                    .map(drop)
                    .map_err(|e| e.to_string()),
                _ if name.starts_with("omega") => OmegaConfig::load(&path)
                    .map(drop)
                    .map_err(|e| e.to_string()),
                _ if name.starts_with("borg") => {
                    BorgConfig::load(&path).map(drop).map_err(|e| e.to_string())
                }
                _ => Table2Config::load(&path)
                    .map(drop)
                    .map_err(|e| e.to_string()),
            };
            r.unwrap_or_else(|e| panic!("{e}"));
            seen += 1;
        }
    }
    assert!(seen >= 20, "{seen} files");
}

/// A malformed role name (Mesos' `roles::validate`, `src/common/roles.cpp`) is refused
/// at the line that writes it, wherever a scenario names a role.
#[test]
fn malformed_role_names_are_refused_where_they_are_written() {
    let text = file(&[
        "[[frameworks]]",                                      // 6
        "name = \"g\"",                                        // 7
        "role = \"eng//web\"",                                 // 8
        "workload = { kind = \"greedy\", cpus = 1, mem = 1 }", // 9
    ]);
    assert_eq!(
        err(&text),
        "s.toml:8: key `frameworks.0.role`: role 'eng//web' cannot contain two adjacent slashes"
    );
    let text = file(&[GREEDY, "[allocator.weights]", "\"a/-b\" = 2"]);
    assert_eq!(
        err(&text),
        "s.toml:10: key `allocator.weights.a/-b`: \
         role component '-b' is invalid because it starts with a dash"
    );
    let text = file(&[
        GREEDY,
        "[allocator.quota]",
        "\"a/..\" = { cpus = 1, mem = 1 }",
    ]);
    assert_eq!(
        err(&text),
        "s.toml:10: key `allocator.quota.a/..`: role 'a/..' cannot include '..' as a component"
    );
    // Nested names are fine.
    let text = file(&[
        "[[frameworks]]",
        "name = \"g\"",
        "role = \"eng/web\"",
        "workload = { kind = \"greedy\", cpus = 1, mem = 1 }",
    ]);
    assert!(Scenario::parse(&text, "s.toml").is_ok());
}

/// Quota as Mesos 1.9+: a limit below its guarantee is refused (Mesos' quota config
/// validation), pointing at the key, in the sub-table form and the inline one.
#[test]
fn a_quota_limit_below_its_guarantee_is_refused() {
    let text = file(&[
        GREEDY,
        "[allocator.quota.p]",
        "cpus = 1",
        "mem = 1",
        "limit_mem = 2",
        "[allocator.quota.q]",
        "cpus = 4",
        "mem = 1024",
        "limit_cpus = 8",
        "limit_mem = 512",
    ]);
    // q's table is lines 13-17; p's limit_mem before it is not the one named.
    assert_eq!(
        err(&text),
        "s.toml:17: key `allocator.quota.q.limit_mem`: limit_mem = 512 is below the \
         guarantee mem = 1024 (a quota limit must be at least its guarantee)"
    );
    let text = file(&[
        GREEDY,
        "[allocator.quota]",
        "q = { cpus = 4, mem = 1024, limit_cpus = 3.5 }",
    ]);
    assert_eq!(
        err(&text),
        "s.toml:10: key `allocator.quota.q.limit_cpus`: limit_cpus = 3.5 is below the \
         guarantee cpus = 4 (a quota limit must be at least its guarantee)"
    );
    // At or above the guarantee, or only a limit, is fine.
    for q in [
        "q = { cpus = 4, mem = 1024, limit_cpus = 4, limit_mem = 2048 }",
        "q = { cpus = 0, mem = 0, limit_cpus = 2 }",
        "q = { cpus = 1, mem = 1 }",
    ] {
        let text = file(&[GREEDY, "[allocator.quota]", q]);
        assert!(Scenario::parse(&text, "s.toml").is_ok(), "{q}");
    }
}

/// Quota is for top-level roles only, as in Mesos: its quota handler refuses quota on a
/// nested role (`Master::QuotaHandler::update` in `src/master/quota_handler.cpp`,
/// MESOS-7402), and a top-level role's quota counts its whole subtree. Refused at the
/// line that gives the nested role quota, in the table form and the inline one, even
/// when a framework of that role is written before it.
#[test]
fn quota_on_a_nested_role_is_refused() {
    let message = "quota on nested role 'eng/web' is not supported: as in Mesos \
                   (MESOS-7402), only a top-level role has quota, and it counts its whole \
                   subtree";
    let text = file(&[
        "[[frameworks]]",                                      // 6
        "name = \"g\"",                                        // 7
        "role = \"eng/web\"",                                  // 8
        "workload = { kind = \"greedy\", cpus = 1, mem = 1 }", // 9
        "[allocator.quota]",                                   // 10
        "eng = { cpus = 2, mem = 2 }",                         // 11
        "\"eng/web\" = { cpus = 1, mem = 1 }",                 // 12
    ]);
    assert_eq!(
        err(&text),
        format!("s.toml:12: key `allocator.quota.eng/web`: {message}")
    );
    let text = file(&[
        GREEDY,                          // 6-8
        "[allocator.quota.\"eng/web\"]", // 9
        "cpus = 0",                      // 10
        "mem = 0",                       // 11
        "limit_cpus = 4",                // 12
    ]);
    assert_eq!(
        err(&text),
        format!("s.toml:9: key `allocator.quota.eng/web`: {message}")
    );
    // The top-level role alone is fine, with a framework of a child role.
    let text = file(&[
        "[[frameworks]]",
        "name = \"g\"",
        "role = \"eng/web\"",
        "workload = { kind = \"greedy\", cpus = 1, mem = 1 }",
        "[allocator.quota]",
        "eng = { cpus = 2, mem = 2, limit_cpus = 3 }",
    ]);
    assert!(Scenario::parse(&text, "s.toml").is_ok());
}
