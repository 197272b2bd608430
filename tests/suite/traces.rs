//! Trace readers against the real samples in `../shared/traces/` (facts from each
//! folder's `SOURCE.md`), against small files written here by the published schemas
//! (Google 2019, Alibaba 2018 batch tables: no real sample exists), against corrupt
//! files, and the synthetic generator against its own parameters.

use schedlab::trace::input::CsvRows;
use schedlab::trace::synth::{self, SynthConfig};
use schedlab::trace::{
    self, alibaba, google2011, inspect, swf, Constraint, Format, TraceJob, TraceSource,
};
use schedlab::workload::JobKind;
use std::io::Write;
use std::path::{Path, PathBuf};

const SEC: u64 = 1_000_000_000;

/// A sample under `../shared/traces/`; these are always present on this machine kind,
/// so a missing one is a failure, not a skip.
fn shared(p: &str) -> PathBuf {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/traces/")).join(p);
    assert!(
        path.exists(),
        "trace sample {} is missing (expected beside the crate, see ../shared/traces/README.md)",
        path.display()
    );
    path
}

/// A fresh temporary folder for one test.
fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("schedlab-traces-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn read_all(src: &TraceSource) -> Vec<TraceJob> {
    let (jobs, _) = trace::read(src).unwrap();
    jobs.map(|j| j.unwrap()).collect()
}

fn assert_ordered(jobs: &[TraceJob]) {
    assert!(
        jobs.windows(2).all(|w| w[0].submit <= w[1].submit),
        "not in submit order"
    );
}

// ---------------------------------------------------------------- Google 2011 (real)

#[test]
fn google2011_task_slice_event_counts() {
    let p = shared("google-2011/task_events_part-00000-of-00500.lines277322-307321.csv.gz");
    assert_eq!(trace::detect(&p).unwrap(), Format::Google2011);
    let r = inspect(&p, None).unwrap();
    assert_eq!(r.rows, 30_000);
    // SOURCE.md: event types 0=12,675, 1=9,996, 2=248, 3=157, 4=5,554, 5=1,370.
    for (ev, n) in [
        ("SUBMIT", 12_675),
        ("SCHEDULE", 9_996),
        ("EVICT", 248),
        ("FAIL", 157),
        ("FINISH", 5_554),
        ("KILL", 1_370),
    ] {
        assert_eq!(r.counts[&format!("event:{ev}")], n, "{ev}");
    }
    // First event at 600,026,913 us; all submits inside the slice's time range.
    assert_eq!(r.first_submit_s, Some(600.026913));
    assert!(r.last_submit_s.unwrap() <= 1437.051312);
    // Every task that ran has a duration within the slice.
    assert!(r.duration_s.max <= 1437.051312 - 600.026913 + 1e-6);
    assert!(r.jobs > 0 && r.tasks > 0);
    let jobs = read_all(&TraceSource::new(&p));
    assert_ordered(&jobs);
    // Job IDs above u32 (SOURCE.md: up to 6,252,020,683) survive.
    assert!(jobs.iter().any(|j| j.id > u64::from(u32::MAX)));
}

#[test]
fn google2011_snapshot_is_all_pending_submits() {
    let p = shared("google-2011/task_events_part-00000-of-00500.lines1-20000.csv.gz");
    let r = inspect(&p, Some(Format::Google2011)).unwrap();
    assert_eq!(r.rows, 20_000);
    assert_eq!(r.counts["event:SUBMIT"], 20_000);
    assert_eq!(r.counts.get("event:SCHEDULE"), None);
    // 114 snapshot rows carry missing info 2 (SOURCE.md).
    assert_eq!(r.counts["missing_info:2"], 114);
    // All at time 0, none scheduled in this slice: nothing ran, so no job is emitted.
    assert_eq!(r.counts["pending_at_end"], 20_000);
    assert_eq!(r.jobs, 0);
}

#[test]
fn google2011_job_events_shard() {
    let p = shared("google-2011/job_events_part-00000-of-00500.csv.gz");
    let mut n = 0;
    let mut by_type = [0u64; 9];
    let mut max_id = 0;
    for e in google2011::job_events(&p).unwrap() {
        let e = e.unwrap();
        n += 1;
        by_type[e.event_type as usize] += 1;
        max_id = max_id.max(e.job);
        assert_eq!(
            e.missing_info, None,
            "missing info is empty on every job row"
        );
        assert!(e.user.is_some());
    }
    assert_eq!(n, 10_704);
    assert_eq!(max_id, 6_252_020_683);
    assert_eq!(by_type[..6], [4_900, 4_892, 0, 8, 636, 268]);
}

// ---------------------------------------------------------------- SWF (real)

#[test]
fn swf_kth_and_nasa() {
    let kth = shared("swf/KTH-SP2-1996-2.1-cln.swf.gz");
    assert_eq!(trace::detect(&kth).unwrap(), Format::Swf);
    let h = swf::header(&kth).unwrap();
    assert_eq!(h.num("MaxNodes"), Some(100));
    assert_eq!(h.num("MaxProcs"), Some(100));
    assert_eq!(h.num("MaxJobs"), Some(28_490));
    assert_eq!(h.num("MaxRecords"), Some(28_476));
    assert_eq!(h.num("UnixStartTime"), Some(843_480_031));
    assert!(
        !h.fields.contains_key("http"),
        "continuation line read as a key"
    );
    let r = inspect(&kth, None).unwrap();
    assert_eq!(r.jobs, 27_992);
    assert_eq!(r.machines, Some(100));
    let jobs = read_all(&TraceSource::new(&kth));
    assert_eq!(jobs[0].id, 15);
    assert_eq!(jobs[0].submit, 599_850 * SEC);
    assert_eq!(jobs[0].tasks[0].count, 4);
    assert_eq!(jobs[0].tasks[0].duration, 3_477 * SEC);
    assert_eq!(jobs.last().unwrap().id, 28_490);
    // Status 1 (20,483) and 0 (7,509): count from the raw lines.
    let mut status = [0u64; 2];
    for l in schedlab::trace::input::Lines::new(vec![kth.clone()]) {
        let l = l.unwrap();
        if !l.text.starts_with(';') {
            status[swf::parse_line(&l).unwrap().status as usize] += 1;
        }
    }
    assert_eq!(status, [7_509, 20_483]);

    let nasa = shared("swf/NASA-iPSC-1993-3.1-cln.swf.gz");
    let r = inspect(&nasa, None).unwrap();
    assert_eq!(r.jobs, 18_239);
    assert_eq!(r.tasks, 309_953);
    assert_eq!(r.machines, Some(128));
    let h = swf::header(&nasa).unwrap();
    assert_eq!(h.fields["Queue"].len(), 2);
}

// ---------------------------------------------------------------- Alibaba (real)

#[test]
fn alibaba_2018_machine_tables() {
    let dir = shared("alibaba-2018");
    assert_eq!(trace::detect(&dir).unwrap(), Format::Alibaba2018);
    let src = TraceSource::new(&dir);
    let machines = trace::machines(&src).unwrap().unwrap();
    assert_eq!(machines.len(), 4_034);
    assert_eq!(machines[0].id, "m_1");
    assert!(machines.iter().all(|m| m.capacity.cpus == 96_000));
    assert!(machines
        .iter()
        .all(|m| m.capacity.mem == src.machine_capacity.mem));
    assert_eq!(machines.iter().filter(|m| m.add_time == 0).count(), 3_887);
    let mut rows = 0;
    let mut status = std::collections::BTreeMap::new();
    for r in CsvRows::new(vec![dir.join("machine_meta.csv")], false) {
        let r = r.unwrap();
        rows += 1;
        *status.entry(r.str(6).to_string()).or_insert(0) += 1;
    }
    assert_eq!(rows, 17_592);
    assert_eq!(status["USING"], 17_587);
    assert_eq!(status["IMPORT_INSTALLING"], 5);
    // machine_usage: 20,000 rows, mem_gps and mkpi empty on 15,695, -1 and 101 kept.
    let usage: Vec<_> = alibaba::machine_usage(&dir.join("machine_usage.head20000.csv"))
        .unwrap()
        .map(|u| u.unwrap())
        .collect();
    assert_eq!(usage.len(), 20_000);
    assert_eq!(
        usage
            .iter()
            .filter(|u| u.mem_gps.is_none() && u.mkpi.is_none())
            .count(),
        15_695
    );
    assert!(usage.iter().any(|u| u.disk_io_percent == Some(-1.0)));
    assert!(usage.iter().any(|u| u.disk_io_percent == Some(101.0)));
    // No job tables in this sample: an empty job stream, not an error.
    assert_eq!(inspect(&dir, None).unwrap().jobs, 0);
}

#[test]
fn alibaba_2017_batch_task() {
    let p = shared("alibaba-2017/batch_task.csv.gz");
    assert_eq!(trace::detect(&p).unwrap(), Format::Alibaba2017);
    let r = inspect(&p, None).unwrap();
    assert_eq!(r.rows, 80_553);
    assert_eq!(r.counts["status:Terminated"], 67_013);
    assert_eq!(r.counts["status:Waiting"], 8_847);
    assert_eq!(r.counts["status:Running"], 3_567);
    assert_eq!(r.counts["status:Failed"], 1_126);
    // 9,017 rows with empty requests: the 8,847 Waiting (never ran) + 170 others.
    assert_eq!(r.counts["never_scheduled"], 8_847);
    assert_eq!(r.counts["missing_request"], 170);
    // Negative create times are before the trace: clamped to 0. Max create 60,181 s.
    assert_eq!(r.first_submit_s, Some(0.0));
    assert_eq!(r.last_submit_s, Some(60_181.0));
    // plan_cpu 50 and 100 dominate: 0.5 and 1 CPU.
    assert_eq!(r.cpus.p50, 0.5);
    assert_eq!(r.cpus.p90, 1.0);
    // A small sort buffer forces spills to disk and must give the same stream.
    let mut small = TraceSource::new(&p);
    small.sort_buffer_tasks = 2_000;
    let a = read_all(&TraceSource::new(&p));
    let b = read_all(&small);
    assert_ordered(&a);
    assert_eq!(a, b);
    assert_eq!(a.len() as u64, r.jobs);
}

#[test]
fn alibaba_gpu_2023_openb() {
    let pods = shared("alibaba-gpu-2023/openb_pod_list_default.csv");
    assert_eq!(trace::detect(&pods).unwrap(), Format::AlibabaGpu2023);
    let r = inspect(&pods, None).unwrap();
    assert_eq!(r.rows, 8_152);
    assert_eq!(r.counts["phase:Running"], 5_193);
    assert_eq!(r.counts["phase:Failed"], 1_870);
    assert_eq!(r.counts["phase:Pending"], 897);
    assert_eq!(r.counts["phase:Succeeded"], 192);
    // Pending pods have no scheduled_time: they never ran.
    assert_eq!(r.counts["never_scheduled"], 897);
    assert_eq!(r.jobs, 8_152 - 897);
    assert_eq!(r.last_submit_s, Some(12_901_761.0));
    let jobs = read_all(&TraceSource::new(&pods));
    assert_ordered(&jobs);
    assert_eq!(jobs[0].name.as_deref(), Some("openb-pod-0000"));
    // openb-pod-0001: 6000 milli-CPU, 12288 MiB, 1 GPU shared at 460 milli.
    let p1 = jobs.iter().find(|j| j.id == 1).unwrap();
    assert_eq!(p1.tasks[0].resources.cpus, 6_000);
    assert_eq!(p1.tasks[0].resources.mem, 12_288);
    assert_eq!(p1.tasks[0].resources.gpus, 460);
    // QoS of all pods, from the raw rows: LS 4,647, BE 3,398, Burstable 100, Guaranteed 7.
    let mut qos = std::collections::BTreeMap::new();
    for r in CsvRows::new(vec![pods.clone()], true) {
        *qos.entry(r.unwrap().str(6).to_string()).or_insert(0) += 1;
    }
    assert_eq!(qos["LS"], 4_647);
    assert_eq!(qos["BE"], 3_398);
    assert_eq!(qos["Burstable"], 100);
    assert_eq!(qos["Guaranteed"], 7);

    let nodes = trace::machines(&TraceSource::new(&pods)).unwrap().unwrap();
    assert_eq!(nodes.len(), 1_523);
    let gpus = |n: u64| nodes.iter().filter(|m| m.capacity.gpus == n * 1000).count();
    assert_eq!(
        [gpus(0), gpus(1), gpus(2), gpus(4), gpus(8)],
        [310, 24, 518, 54, 617]
    );
    let model = |s: &str| {
        nodes
            .iter()
            .filter(|m| m.attributes.get("gpu_model").map(String::as_str) == Some(s))
            .count()
    };
    assert_eq!(model("G2"), 549);
    assert_eq!(model("T4"), 404);
    assert_eq!(nodes[0].capacity.cpus, 32_000);
    assert_eq!(nodes[0].capacity.mem, 262_144);
}

// ---------------------------------------------------------------- schema-written files

#[test]
fn google2011_join_semantics_and_machines() {
    let d = tmpdir("g2011");
    std::fs::create_dir_all(d.join("task_events")).unwrap();
    std::fs::create_dir_all(d.join("machine_events")).unwrap();
    // job 7: task 0 runs 600..700 s; task 1 is evicted at 650 s, resubmitted, runs
    // 660..800 s; task 2 is killed while pending. job 9 (priority 10, production):
    // task 0 runs from 900 s to the end (last timestamp 1000 s).
    let rows = "\
0,,7,0,,0,alice,1,4,0.5,0.25,0.001,1
0,,7,1,,0,alice,1,4,0.5,0.25,0.001,0
0,,7,2,,0,alice,1,4,0.5,0.25,0.001,0
600000000,,7,0,11,1,alice,1,4,,,,
610000000,,7,1,12,1,alice,1,4,,,,
650000000,,7,1,12,2,alice,1,4,,,,
655000000,,7,1,,0,alice,1,4,0.5,0.5,0.001,0
660000000,,7,1,13,1,alice,1,4,,,,
661000000,,7,2,,5,alice,1,4,,,,
700000000,,7,0,11,4,alice,1,4,,,,
800000000,,7,1,13,4,alice,1,4,,,,
900000000,,9,0,,0,bob,3,10,0.25,0.125,0,0
900000000,,9,0,14,1,bob,3,10,,,,
1000000000,,7,5,,0,carol,0,0,0.1,0.1,0,0
";
    // Split over two parts, read in name order.
    let (a, b) = rows.split_at(rows.find("660000000").unwrap());
    write(&d.join("task_events/part-00000-of-00002.csv"), a);
    write(&d.join("task_events/part-00001-of-00002.csv"), b);
    write(
        &d.join("machine_events/part-00000-of-00001.csv"),
        "0,11,0,p1,0.5,0.5\n0,12,0,p2,1,1\n700000000,11,1,,,\n800000000,11,0,p1,0.5,0.25\n",
    );
    let src = TraceSource::new(&d);
    assert_eq!(trace::detect(&d).unwrap(), Format::Google2011);
    let (jobs, stats) = trace::read(&src).unwrap();
    let jobs: Vec<TraceJob> = jobs.map(|j| j.unwrap()).collect();
    let s = stats.borrow();
    assert_eq!(s.count("ended_before_schedule"), 1);
    assert_eq!(s.count("reattempts"), 1);
    assert_eq!(s.count("running_at_end"), 1);
    assert_eq!(s.count("pending_at_end"), 1); // job 7 task 5, submitted at 1000 s
    assert_eq!(jobs.len(), 2);
    let j7 = &jobs[0];
    assert_eq!(
        (j7.id, j7.submit, j7.priority, j7.kind),
        (7, 0, 4, JobKind::Batch)
    );
    assert_eq!(j7.user.as_deref(), Some("alice"));
    assert_eq!(j7.sched_class, Some(1));
    assert_eq!(j7.tasks.len(), 2);
    let cap = src.machine_capacity;
    assert_eq!(j7.tasks[0].duration, 100 * SEC);
    assert_eq!(j7.tasks[0].resources.cpus, cap.cpus / 2);
    assert_eq!(j7.tasks[0].constraints, vec![Constraint::DistinctMachines]);
    // The last attempt counts, with the resubmitted request.
    assert_eq!(j7.tasks[1].duration, 140 * SEC);
    assert_eq!(j7.tasks[1].resources.mem, cap.mem / 2);
    let j9 = &jobs[1];
    assert_eq!((j9.submit, j9.kind), (900 * SEC, JobKind::Service));
    assert_eq!(j9.tasks[0].duration, 100 * SEC);

    let m = trace::machines(&src).unwrap().unwrap();
    assert_eq!(m.len(), 3);
    assert_eq!(
        (m[0].id.as_str(), m[0].remove_time),
        ("11", Some(700 * SEC))
    );
    assert_eq!(m[0].attributes["platform"], "p1");
    assert_eq!(
        (m[2].id.as_str(), m[2].add_time, m[2].capacity.mem),
        ("11", 800 * SEC, cap.mem / 4)
    );
    // A task_events file given directly finds machine_events one folder up.
    let f = TraceSource::new(d.join("task_events/part-00000-of-00002.csv"));
    assert_eq!(trace::machines(&f).unwrap().unwrap().len(), 3);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn google2019_from_schema_written_json() {
    let d = tmpdir("g2019");
    // BigQuery JSON export style: INT64 as strings, enums as numbers or names.
    write(
        &d.join("collection_events.json"),
        r#"{"time":"0","type":0,"collection_id":"100","priority":200,"user":"u1","max_per_machine":1,"collection_type":0}
{"time":"0","type":"SUBMIT","collection_id":"200","priority":25,"user":"u2","collection_type":0}
{"time":"0","type":0,"collection_id":"300","priority":25,"user":"u3","collection_type":1}
"#,
    );
    write(
        &d.join("instance_events.json"),
        r#"{"time":"0","type":0,"collection_id":"100","instance_index":0,"priority":200,"scheduling_class":3,"collection_type":0,"resource_request":{"cpus":0.5,"memory":0.25}}
{"time":"0","type":0,"collection_id":"300","instance_index":0,"priority":25,"collection_type":1,"resource_request":{"cpus":0.5,"memory":0.5}}
{"time":"600000000","type":3,"collection_id":"100","instance_index":0,"machine_id":"5","priority":200,"collection_type":0}
{"time":"610000000","type":"SUBMIT","collection_id":"200","instance_index":"3","priority":25,"collection_type":0,"resource_request":{"cpus":0.125,"memory":0.0625},"constraint":[{"name":"abc","value":"2","relation":3}]}
{"time":"620000000","type":3,"collection_id":"200","instance_index":3,"machine_id":"6","priority":25,"collection_type":0}
{"time":"680000000","type":6,"collection_id":"200","instance_index":3,"priority":25,"collection_type":0}

{"time":"9223372036854775807","type":7,"collection_id":"100","instance_index":0,"priority":200,"collection_type":0}
"#,
    );
    write(
        &d.join("machine_events.json"),
        r#"{"time":"0","machine_id":"5","type":1,"capacity":{"cpus":0.5,"memory":0.5},"platform_id":"P","switch_id":"S"}
{"time":"700000000","machine_id":"5","type":"REMOVE"}
"#,
    );
    assert_eq!(trace::detect(&d).unwrap(), Format::Google2019);
    let src = TraceSource::new(&d);
    let (jobs, stats) = trace::read(&src).unwrap();
    let jobs: Vec<TraceJob> = jobs.map(|j| j.unwrap()).collect();
    assert_eq!(stats.borrow().count("alloc_instance_rows_skipped"), 1);
    assert_eq!(jobs.len(), 2);
    let cap = src.machine_capacity;
    let (a, b) = (&jobs[0], &jobs[1]);
    assert_eq!(
        (a.id, a.submit, a.kind, a.sched_class),
        (100, 0, JobKind::Service, Some(3))
    );
    assert_eq!(a.user.as_deref(), Some("u1"));
    assert_eq!(a.tasks[0].constraints, vec![Constraint::DistinctMachines]);
    assert_eq!(a.tasks[0].resources.cpus, cap.cpus / 2);
    // KILL "after the end" (2^63 - 1): ends at the last time seen, 680 s.
    assert_eq!(a.tasks[0].duration, 80 * SEC);
    assert_eq!((b.id, b.submit, b.kind), (200, 610 * SEC, JobKind::Batch));
    assert_eq!(b.user.as_deref(), Some("u2"));
    assert_eq!(b.tasks[0].index, 3);
    assert_eq!(b.tasks[0].duration, 60 * SEC);
    assert_eq!(
        b.tasks[0].constraints,
        vec![Constraint::Attribute {
            name: "abc".into(),
            relation: "GREATER_THAN".into(),
            value: "2".into()
        }]
    );
    let m = trace::machines(&src).unwrap().unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(
        (m[0].remove_time, m[0].capacity.mem),
        (Some(700 * SEC), cap.mem / 2)
    );

    // Out of time order: an error naming file, line and field.
    write(
        &d.join("instance_events.json"),
        "{\"time\":\"5\",\"type\":0,\"collection_id\":\"1\"}\n{\"time\":\"4\",\"type\":0,\"collection_id\":\"2\"}\n",
    );
    let e = trace::read(&src).unwrap().0.find_map(Result::err).unwrap();
    assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("time")));
    assert!(e.msg.contains("ORDER BY time"), "{e}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn alibaba_2018_batch_and_containers_from_schema() {
    let d = tmpdir("ali2018");
    // batch_task: task_name, instance_num, job_name, task_type, status, start, end, plan_cpu, plan_mem
    // Rows of job j_2 are split around j_1 and j_1 starts later: output must be by start.
    write(
        &d.join("batch_task.csv"),
        "M1,2,j_2,1,Terminated,100,160,100,0.5\n\
         R2_1,1,j_1,1,Terminated,300,400,50,1.0\n\
         M2_1,3,j_2,1,Failed,170,200,200,0.25\n\
         M3,1,j_2,1,Waiting,0,0,100,0.5\n\
         M1,1,j_3,1,Running,500,0,100,0.5\n\
         task_Nzg3ODAwNDgzMTAwNTc2NTQ2Mw==,1,j_1,1,Terminated,250,300,100,0.5\n",
    );
    // container_meta: container_id, machine_id, time_stamp, app_du, status, cpu_request, cpu_limit, mem_size
    write(
        &d.join("container_meta.csv"),
        "c_1,m_1,0,app_5,started,400,400,1.5\nc_2,m_2,50,app_5,started,400,400,1.5\nc_1,m_1,90,app_5,started,400,400,1.5\n",
    );
    write(
        &d.join("machine_meta.csv"),
        "m_1,0,1,a,96,100,USING\nm_1,99,1,a,96,100,USING\nm_2,5,2,b,64,50,USING\n",
    );
    assert_eq!(trace::detect(&d).unwrap(), Format::Alibaba2018);
    let mut src = TraceSource::new(&d);
    src.sort_buffer_tasks = 1; // spill every row: the two external-sort passes
    let (jobs, stats) = trace::read(&src).unwrap();
    let jobs: Vec<TraceJob> = jobs.map(|j| j.unwrap()).collect();
    assert_eq!(stats.borrow().count("never_scheduled"), 1);
    let ids: Vec<u64> = jobs.iter().map(|j| j.id).collect();
    assert_eq!(ids, vec![alibaba::SERVICE_ID_BIT | 5, 2, 1, 3]);
    let svc = &jobs[0];
    assert_eq!((svc.kind, svc.tasks.len()), (JobKind::Service, 2));
    assert_eq!(svc.tasks[0].duration, u64::MAX);
    assert_eq!(svc.tasks[0].resources.cpus, 4_000);
    let j2 = &jobs[1];
    assert_eq!(
        (j2.name.as_deref(), j2.submit, j2.task_count()),
        (Some("j_2"), 100 * SEC, 5)
    );
    assert_eq!(j2.tasks[0].resources.cpus, 1_000);
    assert_eq!(j2.tasks[0].resources.mem, src.machine_capacity.mem / 200);
    assert_eq!(j2.tasks[1].index, 2);
    assert_eq!(
        alibaba::dag(j2.tasks[1].name.as_deref().unwrap()),
        Some((2, vec![1]))
    );
    let j1 = &jobs[2];
    // Tasks keep file order; the job's submit is its earliest task's start.
    assert_eq!(
        (j1.submit, j1.tasks[0].duration, j1.tasks[0].resources.cpus),
        (250 * SEC, 100 * SEC, 500)
    );
    assert_eq!(
        (j1.tasks[1].submit, j1.tasks[1].duration),
        (250 * SEC, 50 * SEC)
    );
    // Running task: ends at the last time in the table (500 s), so duration 0 here.
    assert_eq!(jobs[3].tasks[0].duration, 0);
    let m = trace::machines(&src).unwrap().unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(
        (m[1].id.as_str(), m[1].capacity.cpus, m[1].capacity.mem),
        ("m_2", 64_000, src.machine_capacity.mem / 2)
    );
    let _ = std::fs::remove_dir_all(&d);
}

// ---------------------------------------------------------------- corrupt input

#[test]
fn truncated_gzip_names_file_and_line() {
    let d = tmpdir("truncated");
    let bytes = std::fs::read(shared("swf/KTH-SP2-1996-2.1-cln.swf.gz")).unwrap();
    let p = d.join("KTH-cut.swf.gz");
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let mut src = TraceSource::new(&p);
    src.skip_bad = true; // a truncated file is never skippable
    let e = trace::inspect::inspect_source(&src).unwrap_err();
    assert!(e.file.ends_with("KTH-cut.swf.gz"), "{e}");
    assert!(e.line.unwrap() > 1000, "{e}");
    assert!(e.msg.contains("truncated"), "{e}");

    // The same for a CSV table read through the csv crate.
    let g = std::fs::read(shared("alibaba-2017/batch_task.csv.gz")).unwrap();
    let p = d.join("batch_task.csv.gz");
    std::fs::write(&p, &g[..g.len() / 3]).unwrap();
    let e = inspect(&p, Some(Format::Alibaba2017)).unwrap_err();
    assert!(
        e.file.ends_with("batch_task.csv.gz") && e.line.unwrap() > 100,
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn malformed_rows_name_file_line_and_field() {
    let d = tmpdir("malformed");
    let p = d.join("task_events-bad.csv");
    write(
        &p,
        "600000000,,7,0,,0,u,1,4,0.5,0.25,0.001,0\n600000001,,7,0,1,1,u,1,4,,,\n600000002,,7,0,1,4,u,1,4,x,,,\n",
    );
    let e = inspect(&p, Some(Format::Google2011)).unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(e.msg.contains("expected 13 fields, found 12"), "{e}");
    assert!(
        e.to_string().starts_with(&format!("{}:2: ", p.display())),
        "{e}"
    );

    let mut src = TraceSource::new(&p).with_format(Format::Google2011);
    src.skip_bad = true;
    let r = trace::inspect::inspect_source(&src).unwrap();
    assert_eq!(r.skipped_rows, 2);
    assert!(
        r.skipped_examples[1].contains(":3: field `CPU request`: not a valid number: `x`"),
        "{:?}",
        r.skipped_examples
    );

    let s = d.join("bad.swf");
    write(&s, "; MaxNodes: 4\n1 0 0 10 1 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1 -1\n2 5 0 ten 1 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1 -1\n");
    let e = inspect(&s, None).unwrap_err();
    assert_eq!((e.line, e.field.as_deref()), (Some(3), Some("Run Time")));

    // Out of submit order in a file-order format.
    write(&s, "1 10 0 10 1 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1 -1\n2 5 0 10 1 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1 -1\n");
    let e = inspect(&s, None).unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(e.msg.contains("submit-time order"), "{e}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn undetectable_format_is_refused_clearly() {
    let d = tmpdir("detect");
    let p = d.join("mystery.csv");
    write(&p, "a,b\n1,2\n");
    let e = trace::detect(&p).unwrap_err();
    assert!(e.msg.starts_with("cannot detect format of"), "{e}");
    assert!(
        e.msg
            .contains("use --format one of google-2011, google-2019"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

// ---------------------------------------------------------------- replay options

#[test]
fn open_applies_window_speedup_and_sampling() {
    let kth = shared("swf/KTH-SP2-1996-2.1-cln.swf.gz");
    let mut src = TraceSource::new(&kth);
    src.time_window = Some((1_000_000 * SEC, 2_000_000 * SEC));
    src.speedup = 2.0;
    let jobs: Vec<_> = trace::open(&src).unwrap().map(|j| j.unwrap()).collect();
    assert!(!jobs.is_empty());
    assert!(jobs.iter().all(|j| j.submit < 500_000 * SEC));
    assert!(jobs.windows(2).all(|w| w[0].submit <= w[1].submit));
    src.sample = 0.5;
    src.seed = 9;
    let a: Vec<u64> = trace::open(&src).unwrap().map(|j| j.unwrap().id).collect();
    let b: Vec<u64> = trace::open(&src).unwrap().map(|j| j.unwrap().id).collect();
    assert_eq!(a, b);
    let frac = a.len() as f64 / jobs.len() as f64;
    assert!((0.4..0.6).contains(&frac), "{frac}");
    // A Job expands grouped tasks: 4 processors -> 4 TaskSpecs of 1 CPU.
    let first = trace::open(&TraceSource::new(&kth))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(first.tasks.len(), 4);
    assert_eq!(
        first.tasks.iter().map(|t| t.index).collect::<Vec<_>>(),
        vec![0, 1, 2, 3]
    );
    // Machines synthesized from a mix where the trace has none.
    let mut a17 = TraceSource::new(shared("alibaba-2017/batch_task.csv.gz"));
    assert_eq!(trace::machines(&a17).unwrap(), None);
    a17.machine_mix = toml::from_str::<toml::Value>(
        "m = [{ count = 3, capacity = { cpus = 64000, mem = 262144, disk = 0, gpus = 0 } }]",
    )
    .unwrap()["m"]
        .clone()
        .try_into()
        .unwrap();
    assert_eq!(trace::machines(&a17).unwrap().unwrap().len(), 3);
}

#[test]
fn convert_round_trips_through_normalized_csv() {
    let d = tmpdir("convert");
    let out = d.join("openb.csv");
    let mut stdout = Vec::new();
    trace::cli::run(
        trace::cli::TraceCmd::Convert {
            path: shared("alibaba-gpu-2023/openb_pod_list_default.csv"),
            out: out.clone(),
            format: None,
            skip_bad: false,
        },
        &mut stdout,
    )
    .unwrap();
    assert!(String::from_utf8(stdout)
        .unwrap()
        .contains("wrote 7255 jobs, 7255 tasks"));
    assert_eq!(trace::detect(&out).unwrap(), Format::Normalized);
    let orig = read_all(&TraceSource::new(shared(
        "alibaba-gpu-2023/openb_pod_list_default.csv",
    )));
    let back = read_all(&TraceSource::new(&out));
    assert_eq!(orig.len(), back.len());
    for (a, b) in orig.iter().zip(&back) {
        assert_eq!(
            (a.id, a.submit, a.priority, a.kind),
            (b.id, b.submit, b.priority, b.kind)
        );
        assert_eq!(a.tasks[0].resources, b.tasks[0].resources);
        assert_eq!(a.tasks[0].duration, b.tasks[0].duration);
    }
    let _ = std::fs::remove_dir_all(&d);
}

// ---------------------------------------------------------------- synth

fn synth_cfg(text: &str) -> SynthConfig {
    toml::from_str(text).unwrap()
}

#[test]
fn synth_through_inspect_reproduces_parameters() {
    let d = tmpdir("synth");
    let cfg_path = d.join("cfg.toml");
    write(
        &cfg_path,
        r#"
seed = 42
max_jobs = 40000
[arrival]
process = "poisson"
rate_per_s = 5.0
[tasks_per_job]
dist = "geometric"
mean = 4.0
cap = 100000
[duration_s]
dist = "log_normal"
mu = 3.0
sigma = 0.5
[cpus]
dist = "choice"
values = [0.5, 1.0, 2.0]
weights = [2, 1, 1]
[mem_mib]
dist = "uniform"
low = 512
high = 4096
"#,
    );
    let out = d.join("synth.csv");
    trace::cli::run(
        trace::cli::TraceCmd::Synth {
            config: cfg_path.clone(),
            out: out.clone(),
            scale_machines: None,
            tasks: None,
        },
        &mut Vec::new(),
    )
    .unwrap();
    let r = inspect(&out, None).unwrap();
    let cfg = SynthConfig::load(&cfg_path).unwrap();
    let within = |got: f64, want: f64, what: &str| {
        assert!(
            (got / want - 1.0).abs() < 0.05,
            "{what}: got {got}, configured {want}"
        );
    };
    assert_eq!(r.jobs, 40_000);
    within(
        r.job_rate_per_s.unwrap(),
        cfg.arrival.mean_rate(),
        "Poisson rate",
    );
    within(
        r.tasks_per_job.mean,
        cfg.tasks_per_job.mean(),
        "mean tasks per job",
    );
    within(
        r.duration_s.mean,
        cfg.duration_s.mean().unwrap(),
        "mean log-normal duration",
    );
    within(r.duration_s.p50, 3.0f64.exp(), "median log-normal duration");
    within(r.cpus.mean, cfg.cpus.mean().unwrap(), "mean cpus");
    within(r.mem_mib.mean, cfg.mem_mib.mean().unwrap(), "mean memory");
    // The hourly arrival counts of a Poisson(5/s) process: ~18,000 per full hour.
    within(
        r.arrivals_per_hour[0] as f64,
        18_000.0,
        "arrivals in hour 0",
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn synth_diurnal_and_scaling() {
    let mut cfg = synth_cfg(
        r#"
horizon = "4d"
[arrival]
process = "diurnal"
base_per_s = 0.5
amplitude = 0.8
period = "1d"
[machines]
count = 10
cpus = 16
mem_mib = 65536
"#,
    );
    let jobs: Vec<_> = synth::generate(&cfg).map(|j| j.unwrap()).collect();
    let rate = jobs.len() as f64 / (4.0 * 86_400.0);
    assert!((rate / 0.5 - 1.0).abs() < 0.05, "{rate}");
    // Peak quarter-day (around t = period/4) vs trough (3 period/4): ratio (1+a)/(1-a) = 9.
    let in_window = |lo: f64, hi: f64| {
        jobs.iter()
            .filter(|j| {
                let t = (j.submit as f64 / 1e9) % 86_400.0 / 86_400.0;
                t >= lo && t < hi
            })
            .count() as f64
    };
    assert!(in_window(0.2, 0.3) > 5.0 * in_window(0.7, 0.8));
    cfg.scale_machines(40).unwrap();
    assert_eq!(cfg.arrival.mean_rate(), 2.0);
    assert_eq!(cfg.cluster().unwrap().len(), 40);
}

#[test]
fn synth_streams_a_million_tasks() {
    let cfg = synth_cfg(
        r#"
seed = 1
max_tasks = 1000000
[arrival]
process = "poisson"
rate_per_s = 100.0
[tasks_per_job]
dist = "pareto"
scale = 1.0
shape = 1.5
cap = 10000
[duration_s]
dist = "pareto"
scale = 10.0
shape = 2.0
"#,
    );
    // Counting only: nothing is collected.
    let (mut jobs, mut tasks, mut last) = (0u64, 0u64, 0u64);
    for j in synth::generate(&cfg) {
        let j = j.unwrap();
        assert!(j.submit >= last);
        last = j.submit;
        jobs += 1;
        tasks += j.task_count();
    }
    assert_eq!(tasks, 1_000_000);
    assert!(jobs > 100_000, "{jobs}");
}

#[test]
fn shipped_synth_sample_config_loads() {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/traces/synth-small.toml"
    ));
    let cfg = SynthConfig::load(p).unwrap();
    let n = synth::generate(&cfg)
        .map(|j| j.unwrap().task_count())
        .sum::<u64>();
    assert!(n > 0);
    // The shipped CSV was generated from it and reads back.
    let csv = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/traces/synth-small.csv"
    ));
    let r = inspect(csv, None).unwrap();
    assert_eq!(r.format, Format::Normalized);
    assert_eq!(r.tasks, n);
    let mut f = std::io::sink();
    writeln!(f, "{r}").unwrap();
}

// ---------------------------------------------------------------- CLI

#[test]
fn cli_errors_exit_2_naming_file_and_line() {
    let bin = env!("CARGO_BIN_EXE_schedlab");
    let d = tmpdir("cli");
    let p = d.join("bad.swf");
    write(
        &p,
        "; MaxNodes: 4\n1 0 0 10 1 -1 -1 1 -1 -1 1 1 1 -1 -1 -1 -1\n",
    );
    let out = std::process::Command::new(bin)
        .args(["trace", "inspect"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:2: expected 18", p.display())),
        "{err}"
    );
    let out = std::process::Command::new(bin)
        .args(["trace", "inspect", "--skip-bad", "--json"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["skipped_rows"], 1);
    let out = std::process::Command::new(bin)
        .args(["trace", "inspect", "--format", "nope", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2)); // clap's usage error
    let _ = std::fs::remove_dir_all(&d);
}
