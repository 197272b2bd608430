//! The command line as a user meets it: the two commands, determinism, bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

fn schedlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_schedlab"))
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("schedlab-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run_quickstart(out: &Path, extra: &[&str]) -> serde_json::Value {
    let st = schedlab()
        .args(["run", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    for f in ["summary.json", "tasks.csv", "timeseries.csv"] {
        assert!(out.join(f).exists(), "{f} written");
    }
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn quickstart_is_byte_identical_per_seed() {
    let d = scratch("det");
    let (a, b, c) = (d.join("a"), d.join("b"), d.join("c"));
    let sa = run_quickstart(&a, &[]);
    let sb = run_quickstart(&b, &[]);
    let sc = run_quickstart(&c, &["--seed", "2"]);
    for f in ["tasks.csv", "timeseries.csv"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between two runs of one seed"
        );
    }
    assert_eq!(sa["fingerprint"], sb["fingerprint"]);
    assert_ne!(
        sa["fingerprint"], sc["fingerprint"],
        "seed 2 is another run"
    );
    assert_ne!(
        std::fs::read(a.join("tasks.csv")).unwrap(),
        std::fs::read(c.join("tasks.csv")).unwrap()
    );
    assert_eq!(sa["tasks"]["duplicated"], 0);
    assert!(sa["tasks"]["finished"].as_u64().unwrap() > 1000);
}

#[test]
fn events_flag_writes_the_protocol_log() {
    let d = scratch("events");
    run_quickstart(
        &d,
        &[
            "--events",
            "--set",
            "frameworks.0.workload.jobs=5",
            "--set",
            "frameworks.1.workload.jobs=5",
        ],
    );
    let log = std::fs::read_to_string(d.join("events.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert!(first["kind"].is_string() && first["t"].is_string());
    for kind in [
        "\"offers\"",
        "\"accept\"",
        "\"run_task\"",
        "\"status_update\"",
        "\"acknowledge\"",
    ] {
        assert!(log.contains(kind), "events.jsonl has {kind}");
    }
}

fn expect_error(args: &[&str], file: &Path, needles: &[&str]) {
    let out = schedlab().args(args).arg(file).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit code 2 for {}",
        file.display()
    );
    let err = String::from_utf8_lossy(&out.stderr);
    for n in needles {
        assert!(err.contains(n), "stderr `{err}` should contain `{n}`");
    }
}

const GOOD_TAIL: &str = r#"
[[frameworks]]
name = "a"
workload = { kind = "greedy", cpus = 1, mem = 1 }
"#;

#[test]
fn malformed_scenarios_exit_2_naming_file_line_and_key() {
    let d = scratch("bad");
    let unknown = d.join("unknown.toml");
    std::fs::write(
        &unknown,
        format!("name = \"x\"\n[[agents]]\ncount = 1\ncpus = 4\nmem = 100\nbogus = 1\n{GOOD_TAIL}"),
    )
    .unwrap();
    expect_error(
        &["validate"],
        &unknown,
        &[
            "unknown.toml:6",
            "key `agents.0.bogus`",
            "unknown key `bogus`",
        ],
    );
    expect_error(&["run"], &unknown, &["unknown.toml:6", "bogus"]);

    let negative = d.join("negative.toml");
    std::fs::write(
        &negative,
        format!("name = \"x\"\n[[agents]]\ncount = 1\ncpus = -4\nmem = 100\n{GOOD_TAIL}"),
    )
    .unwrap();
    expect_error(
        &["validate"],
        &negative,
        &["negative.toml:4", "cpus", "non-negative"],
    );

    let missing = d.join("no-such-file.toml");
    expect_error(&["run"], &missing, &["no-such-file.toml", "cannot read"]);

    let bad_type = d.join("type.toml");
    std::fs::write(
        &bad_type,
        format!("name = \"x\"\n[allocator]\npolicy = \"best\"\n[[agents]]\ncount = 1\ncpus = 4\nmem = 100\n{GOOD_TAIL}"),
    )
    .unwrap();
    expect_error(&["validate"], &bad_type, &["type.toml:3", "policy"]);
}

/// Issue 25 point 4: what only `run` used to find (or found by exhausting memory or
/// panicking) `validate` now refuses with file, line and key, and `run` the same way.
#[test]
fn validate_refuses_what_run_would_choke_on() {
    let d = scratch("limits");
    let head = "name = \"x\"\n[[agents]]\ncount = 1\ncpus = 4\nmem = 100\n";
    let cases = [
        (
            "dup.toml",
            "[[agents]]\ncount = 1\ncpus = 1\nmem = 1\n",
            "dup.toml:6",
            "both named",
        ),
        (
            "target.toml",
            "[[faults]]\nkind = \"crash\"\nat = \"1s\"\ntarget = [\"agent-9\"]\n",
            "target.toml:9",
            "`agent-9` matches no actor",
        ),
        ("mem.toml", "", "mem.toml:5", "mem = 1e300"),
        ("agents.toml", "", "agents.toml:2", "limits.agents"),
        (
            "sample.toml",
            "[run]\nsample_interval = \"1ns\"\n",
            "sample.toml:7",
            "limits.min_interval",
        ),
    ];
    for (name, tail, at, what) in cases {
        let text = match name {
            "mem.toml" => head.replace("mem = 100", "mem = 1e300"),
            "agents.toml" => head.replace("count = 1", "count = 10000000"),
            _ => head.to_string(),
        } + tail
            + GOOD_TAIL;
        let f = d.join(name);
        std::fs::write(&f, text).unwrap();
        expect_error(&["validate"], &f, &[at, what]);
        expect_error(&["run"], &f, &[at, what]);
    }
}

#[test]
fn bad_set_override_is_refused() {
    let out = schedlab()
        .args(["run", "--set", "allocator.policy=nonsense"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("policy"));
}

#[test]
fn validate_accepts_every_shipped_scenario() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let out = schedlab().arg("validate").arg(&p).output().unwrap();
            assert!(
                out.status.success(),
                "{}: {}",
                p.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            n += 1;
        }
    }
    assert!(n >= 3, "quickstart, drf-paper and policies are shipped");
}

/// `fuzz` exit codes: 0 every invariant held, 1 a seed failed (each listed with its
/// replay command, panics included), 2 bad usage (an empty, wrapping or oversized seed
/// range); `--dump` writes a scenario that `check` runs.
#[test]
fn fuzz_exit_codes_seed_ranges_and_dump() {
    let code = |args: &[&str]| {
        let o = schedlab().arg("fuzz").args(args).output().unwrap();
        let text =
            String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        (o.status.code(), text)
    };
    assert_eq!(code(&["--seeds", "2"]).0, Some(0));
    let (c, text) = code(&["--seeds", "12", "--sabotage", "agent-panics"]);
    assert_eq!(c, Some(1), "{text}");
    assert!(
        text.contains("panicked") && text.contains("replay: schedlab fuzz --seeds 1 --start"),
        "{text}"
    );
    for bad in [
        &["--seeds", "0"][..],
        &["--seeds", "18446744073709551615"],
        &["--start", "18446744073709551615", "--seeds", "2"],
        &["--seeds", "nine"],
    ] {
        let (c, text) = code(bad);
        assert_eq!(c, Some(2), "{bad:?}: {text}");
        assert!(!text.contains("panicked at"), "{bad:?}: {text}");
    }
    let d = scratch("fuzz-dump");
    let (c, text) = code(&["--seeds", "1", "--start", "7", "--dump"]);
    assert_eq!(c, Some(0), "{text}");
    let file = d.join("seed7.toml");
    std::fs::write(&file, text).unwrap();
    let o = schedlab().arg("check").arg(&file).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // A seed beyond TOML's integers runs, but cannot be written as a scenario file.
    let (c, text) = code(&["--seeds", "1", "--start", "18446744073709551615", "--dump"]);
    assert_eq!(c, Some(2), "{text}");
    assert!(text.contains("does not fit a scenario file"), "{text}");
}
