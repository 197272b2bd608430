//! Real trace samples replayed through the full stack: every task of the trace shows up
//! in tasks.csv, finished, with the trace's resources.

use schedlab::run::{execute, RunOptions};
use schedlab::scenario::Scenario;
use std::collections::BTreeSet;

const KTH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/traces/swf/KTH-SP2-1996-2.1-cln.swf.gz"
);

fn scenario() -> Scenario {
    let text = format!(
        r#"
name = "kth-replay"
[run]
stop = "30d"
sample_interval = "1h"
[[agents]]
count = 100          # the SP2's 100 nodes
cpus = 1
mem = 1024
[[frameworks]]
name = "kth"
[frameworks.workload]
kind = "trace"
path = "{KTH}"
format = "swf"
time_window = ["7d", "9d"]
"#
    );
    Scenario::parse(&text, "kth").unwrap()
}

#[test]
fn kth_sample_replays_every_task() {
    let scn = scenario();
    let schedlab::workload::WorkloadSpec::Trace(src) =
        &scn.frameworks[0].as_batch().unwrap().workload
    else {
        panic!("a trace workload")
    };
    let mut expected = BTreeSet::new();
    for job in schedlab::trace::open(src).unwrap() {
        let job = job.unwrap();
        for t in &job.tasks {
            expected.insert((job.id, t.index));
        }
    }
    assert!(
        expected.len() > 500,
        "two days of KTH: {} tasks",
        expected.len()
    );

    let out = std::env::temp_dir().join(format!("schedlab-kth-{}", std::process::id()));
    let summary = execute(
        &scn,
        &RunOptions {
            out: Some(out.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(summary.stop_reason, "workload_done");
    let mut rows = csv::Reader::from_path(out.join("tasks.csv")).unwrap();
    let mut finished = BTreeSet::new();
    for r in rows.records() {
        let r = r.unwrap();
        assert_eq!(&r[11], "TASK_FINISHED", "{r:?}");
        assert_eq!(&r[6], "1", "one CPU per SWF processor");
        finished.insert((r[0].parse::<u64>().unwrap(), r[1].parse::<u32>().unwrap()));
    }
    assert_eq!(
        finished, expected,
        "tasks.csv has exactly the trace's tasks"
    );
    assert_eq!(summary.tasks.duplicated, 0);
}

#[test]
fn a_corrupt_trace_fails_the_run_with_exit_2_and_keeps_what_was_written() {
    let dir = std::env::temp_dir().join(format!("schedlab-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("bad.csv");
    // A normalized CSV whose third data row has a non-numeric cpus field.
    std::fs::write(
        &trace,
        "job_id,task_index,submit_ns,cpus,mem_mib,disk_mib,gpus,duration_ns,priority,kind,user\n\
         0,0,0,1,100,0,0,1000000000,0,batch,u\n\
         1,0,5000000000,1,100,0,0,1000000000,0,batch,u\n\
         2,0,90000000000,lots,100,0,0,1000000000,0,batch,u\n",
    )
    .unwrap();
    let scn = dir.join("s.toml");
    std::fs::write(
        &scn,
        format!(
            "name = \"corrupt\"\n[[agents]]\ncount = 1\ncpus = 4\nmem = 4096\n[[frameworks]]\nname = \"r\"\n[frameworks.workload]\nkind = \"trace\"\npath = \"{}\"\nformat = \"normalized\"\n",
            trace.display()
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let res = std::process::Command::new(env!("CARGO_BIN_EXE_schedlab"))
        .arg("run")
        .arg(&scn)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("bad.csv:4") && err.contains("cpus"), "{err}");
    // The jobs read before the bad row ran to completion and their rows were kept.
    let tasks = std::fs::read_to_string(out.join("tasks.csv")).unwrap();
    assert!(tasks.lines().count() >= 2, "{tasks}");
    assert!(
        tasks.lines().nth(1).unwrap().contains("TASK_FINISHED"),
        "{tasks}"
    );
    assert!(out.join("summary.json").exists());
}
