//! Alibaba's public cluster traces (GitHub `alibaba/clusterdata`):
//! - `cluster-trace-v2018` (`schema.txt`, `trace_2018.md`): `batch_task` (task_name,
//!   instance_num, job_name, task_type, status, start_time, end_time, plan_cpu,
//!   plan_mem), `container_meta` (container_id, machine_id, time_stamp, app_du, status,
//!   cpu_request, cpu_limit, mem_size), `machine_meta` (machine_id, time_stamp,
//!   failure_domain_1, failure_domain_2, cpu_num, mem_size, status). Seconds since the
//!   start of the 8-day window; 0 means before or after it. CPU in hundredths of a core
//!   ("100 means 1 core"); memory normalized to 0-100 of the largest machine.
//! - `cluster-trace-v2017` (`schema.csv`, `trace_201708.md`): `batch_task`
//!   (create_timestamp, modify_timestamp, job_id, task_id, instance_num, status,
//!   plan_cpu, plan_mem). Zero or negative times are before the trace. Memory is
//!   normalized to 0-1; `plan_cpu` is "not normalized": its values (50, 100, ...) are
//!   read as hundredths of a core, the Fuxi unit that v2018 states explicitly.
//! - `cluster-trace-gpu-v2023` ("openb", `README.md`): node list (sn, cpu_milli,
//!   memory_mib, gpu, model) and pod list (name, cpu_milli, memory_mib, num_gpu,
//!   gpu_milli, gpu_spec, qos, pod_phase, creation_time, deletion_time,
//!   scheduled_time), CSV with header, seconds.
//!
//! Ordering: the batch tables are grouped by job but not sorted by time (in the 2017
//! sample, 12,926 of 12,951 jobs start before some earlier row's job), so they are read
//! in two bounded-memory passes: rows sorted by job (external sort), grouped into jobs,
//! then jobs sorted by submit time (external sort). The first job is only available
//! after the whole table has been read once. openb pods are in creation order and are
//! streamed in file order.

use super::error::TraceError;
use super::input::{table_parts, BadRows, CsvRows, Row};
use super::sort::{in_order, ordered, Feed, Located, Sorter};
use super::{
    mix64, scale, sibling_table, Constraint, Machine, TraceJob, TraceJobs, TraceSource, TraceTask,
};
use crate::actor::{Time, SEC};
use crate::job::JobKind;
use crate::resources::Resources;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Ids of service jobs built from `container_meta` deploy units carry this bit so they
/// cannot collide with batch job numbers.
pub const SERVICE_ID_BIT: u64 = 1 << 62;

/// The dependencies encoded in a v2018 task name: `M5_3_4` is task 5, which runs after
/// tasks 3 and 4. Only the numbers matter (`trace_2018.md` section 2.3). Names of
/// independent tasks (`task_Nzg3...==`) give `None`.
pub fn dag(task_name: &str) -> Option<(u32, Vec<u32>)> {
    let rest = task_name.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let mut nums = rest.split('_').map(|s| s.parse::<u32>());
    let me = nums.next()?.ok()?;
    let deps: Result<Vec<u32>, _> = nums.collect();
    Some((me, deps.ok()?))
}

/// The numeric part of an id like `j_1234` or `openb-pod-0042`; else a 48-bit hash of
/// the whole name (deterministic, platform-independent).
pub fn numeric_id(name: &str) -> u64 {
    let digits: String = name
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    match digits.parse::<u64>() {
        Ok(n) if !digits.is_empty() && digits.len() < 16 => n,
        _ => {
            let mut h = 0xcbf2_9ce4_8422_2325u64;
            for b in name.bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
            mix64(h) & ((1 << 48) - 1)
        }
    }
}

/// One task row on its way to its job (first sort pass).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct TaskRow {
    job: u64,
    job_name: Option<String>,
    /// Orders rows within a job: 0 for batch rows, a hash of the container id for
    /// container rows (so a container's rows are adjacent).
    sub: u64,
    seq: u64,
    kind: JobKind,
    start: Time,
    /// `None`: still running at the end of the trace.
    end: Option<Time>,
    count: u32,
    resources: Resources,
    name: Option<String>,
}

fn row_key(r: &TaskRow) -> (u64, u64, u64) {
    (r.job, r.sub, r.seq)
}

type ParseFn = Box<dyn FnMut(&Row) -> Result<Option<TaskRow>, TraceError>>;

/// Two-pass reader: rows -> sorted by job -> jobs -> (caller's) sort by submit.
struct GroupFeed {
    tables: Vec<(CsvRows, ParseFn)>,
    pass1: Sorter<(u64, u64, u64), TaskRow>,
    seq: u64,
    max_time: Time,
    reading: bool,
    cur: Vec<TaskRow>,
    bad: BadRows,
}

impl GroupFeed {
    fn new(tables: Vec<(CsvRows, ParseFn)>, bad: BadRows, limit: usize) -> GroupFeed {
        GroupFeed {
            tables,
            pass1: Sorter::new(
                "rows by job",
                row_key,
                |r| r.count.min(1000) as usize,
                limit,
            ),
            seq: 0,
            max_time: 0,
            reading: true,
            cur: Vec::new(),
            bad,
        }
    }

    fn make_job(&self, rows: Vec<TaskRow>) -> Option<TraceJob> {
        let first = rows.first()?;
        let (id, job_name, kind) = (first.job, first.job_name.clone(), first.kind);
        let mut tasks: Vec<TraceTask> = Vec::new();
        let mut index = 0u32;
        let mut last_sub = None;
        for r in rows {
            let end = r.end.unwrap_or(self.max_time);
            if kind == JobKind::Service && r.sub != 0 && last_sub == Some(r.sub) {
                // Another row of the same container: it keeps its first appearance.
                continue;
            }
            last_sub = Some(r.sub);
            tasks.push(TraceTask {
                index,
                count: r.count,
                submit: r.start,
                resources: r.resources,
                duration: if kind == JobKind::Service {
                    Time::MAX
                } else {
                    end.saturating_sub(r.start)
                },
                name: r.name,
                constraints: Vec::new(),
            });
            index = index.saturating_add(r.count);
        }
        let submit = tasks.iter().map(|t| t.submit).min()?;
        Some(TraceJob {
            id,
            name: job_name,
            submit,
            priority: 0,
            sched_class: None,
            kind,
            user: None,
            tasks,
        })
    }
}

impl Feed for GroupFeed {
    fn step(&mut self, out: &mut Vec<TraceJob>) -> Result<bool, TraceError> {
        if self.reading {
            for _ in 0..4096 {
                let Some((rows, parse)) = self.tables.first_mut() else {
                    self.reading = false;
                    return Ok(true);
                };
                let Some(row) = rows.next() else {
                    drop(self.tables.remove(0));
                    continue;
                };
                let row = row?;
                self.bad.stats.borrow_mut().rows += 1;
                match parse(&row) {
                    Ok(Some(mut r)) => {
                        r.seq = self.seq;
                        self.seq += 1;
                        self.max_time = self.max_time.max(r.start).max(r.end.unwrap_or(0));
                        self.pass1.push(r)?;
                    }
                    Ok(None) => {}
                    Err(e) => self.bad.handle(e)?,
                }
            }
            return Ok(true);
        }
        // Second pass: group consecutive rows of a job.
        loop {
            match self.pass1.pop_below(None)? {
                Some(r) => {
                    if self.cur.first().is_some_and(|c| c.job != r.job) {
                        let rows = std::mem::take(&mut self.cur);
                        self.cur.push(r);
                        if let Some(j) = self.make_job(rows) {
                            out.push(j);
                            return Ok(true);
                        }
                    } else {
                        self.cur.push(r);
                    }
                }
                None => {
                    let rows = std::mem::take(&mut self.cur);
                    if let Some(j) = self.make_job(rows) {
                        out.push(j);
                    }
                    return Ok(false);
                }
            }
        }
    }

    fn watermark(&self) -> Option<Time> {
        None
    }
}

fn secs(row: &Row, i: usize, name: &str) -> Result<Time, TraceError> {
    let s: f64 = row.parse(i, name)?;
    if !s.is_finite() {
        return Err(TraceError::field(
            &*row.file,
            row.line,
            name,
            format!("not finite: {s}"),
        ));
    }
    Ok((s.max(0.0) * SEC as f64).round() as Time)
}

fn opt_secs(row: &Row, i: usize, name: &str) -> Result<Option<Time>, TraceError> {
    if row.str(i).is_empty() {
        Ok(None)
    } else {
        secs(row, i, name).map(Some)
    }
}

fn count_stat(bad: &BadRows, k: &str) {
    bad.stats.borrow_mut().bump(k, 1);
}

fn batch_task_2018(cap: Resources, bad: BadRows) -> ParseFn {
    Box::new(move |row: &Row| {
        row.expect_len(9)?;
        let task_name = row.str(0).to_string();
        let inst: u32 = row.parse(1, "instance_num")?;
        let job_name = row.str(2).to_string();
        if job_name.is_empty() {
            return Err(TraceError::field(
                &*row.file,
                row.line,
                "job_name",
                "mandatory field is empty",
            ));
        }
        let status = row.str(4).to_string();
        bad.stats.borrow_mut().bump(&format!("status:{status}"), 1);
        let start = secs(row, 5, "start_time")?;
        let end = opt_secs(row, 6, "end_time")?;
        let cpu = row.opt_f64(7, "plan_cpu")?;
        let mem = row.opt_f64(8, "plan_mem")?;
        let ran = matches!(
            status.as_str(),
            "Terminated" | "Failed" | "Interrupted" | "Cancelled" | "Running"
        );
        if !ran || start == 0 && end.unwrap_or(0) == 0 || inst == 0 {
            count_stat(&bad, "never_scheduled");
            return Ok(None);
        }
        if cpu.is_none() || mem.is_none() {
            count_stat(&bad, "missing_request");
        }
        // 0 means outside the window: an end of 0 is after it.
        let end = match (status.as_str(), end) {
            ("Running", _) | (_, None) | (_, Some(0)) => None,
            (_, Some(e)) => Some(e.max(start)),
        };
        Ok(Some(TaskRow {
            job: numeric_id(&job_name),
            job_name: Some(job_name),
            sub: 0,
            seq: 0,
            kind: JobKind::Batch,
            start,
            end,
            count: inst,
            resources: Resources {
                cpus: (cpu.unwrap_or(0.0).max(0.0) * 10.0).round() as u64,
                mem: scale(mem.unwrap_or(0.0) / 100.0, cap.mem),
                disk: 0,
                gpus: 0,
                revocable_cpus: 0,
            },
            name: Some(task_name),
        }))
    })
}

fn container_meta_2018(cap: Resources, bad: BadRows) -> ParseFn {
    Box::new(move |row: &Row| {
        row.expect_len(8)?;
        let container = row.str(0).to_string();
        let t = secs(row, 2, "time_stamp")?;
        let app = row.str(3).to_string();
        let status = row.str(4).to_string();
        bad.stats
            .borrow_mut()
            .bump(&format!("container_status:{status}"), 1);
        let cpu = row.opt_f64(5, "cpu_request")?.unwrap_or(0.0);
        let mem = row.opt_f64(7, "mem_size")?.unwrap_or(0.0);
        if container.is_empty() || app.is_empty() {
            return Err(TraceError::at(
                &*row.file,
                row.line,
                "container_id and app_du are mandatory",
            ));
        }
        Ok(Some(TaskRow {
            job: SERVICE_ID_BIT | numeric_id(&app),
            job_name: Some(app),
            sub: numeric_id(&container) | 1 << 50,
            seq: 0,
            kind: JobKind::Service,
            start: t,
            end: None,
            count: 1,
            resources: Resources {
                cpus: (cpu.max(0.0) * 10.0).round() as u64,
                mem: scale(mem / 100.0, cap.mem),
                disk: 0,
                gpus: 0,
                revocable_cpus: 0,
            },
            name: Some(container),
        }))
    })
}

/// Alibaba v2018: batch jobs from `batch_task` and, when the folder has one, service
/// jobs from `container_meta` (one job per deploy unit `app_du`, one task per container,
/// submitted at the container's first row, running to the end: duration `Time::MAX`).
/// A batch task's submit is its `start_time` (the trace has no submit time), its
/// duration `end_time - start_time`; instances are `count` identical tasks.
pub fn jobs_2018(src: &TraceSource, bad: BadRows) -> Result<TraceJobs, TraceError> {
    let cap = src.machine_capacity;
    let mut tables: Vec<(CsvRows, ParseFn)> = Vec::new();
    let name = file_name(&src.path);
    if src.path.is_file() && name.contains("container_meta") {
        tables.push((
            CsvRows::new(vec![src.path.clone()], false),
            container_meta_2018(cap, bad.clone()),
        ));
    } else {
        let parts = table_parts(&src.path, "batch_task")?;
        if !parts.is_empty() {
            tables.push((
                CsvRows::new(parts, false),
                batch_task_2018(cap, bad.clone()),
            ));
        }
        if src.path.is_dir() {
            if let Some(c) = sibling_table(&src.path, "container_meta")? {
                tables.push((
                    CsvRows::new(c, false),
                    container_meta_2018(cap, bad.clone()),
                ));
            }
        }
        if tables.is_empty() && sibling_table(&src.path, "machine_meta")?.is_none() {
            return Err(TraceError::file(
                &src.path,
                "no batch_task, container_meta or machine_meta files found",
            ));
        }
    }
    let limit = src.sort_buffer_tasks;
    Ok(ordered(GroupFeed::new(tables, bad, limit), limit))
}

fn batch_task_2017(cap: Resources, bad: BadRows) -> ParseFn {
    Box::new(move |row: &Row| {
        row.expect_len(8)?;
        let create: f64 = row.parse(0, "create_timestamp")?;
        let modify: Option<f64> = row.opt_f64(1, "modify_timestamp")?;
        let job: u64 = row.parse(2, "job_id")?;
        let task: u64 = row.parse(3, "task_id")?;
        let inst: u32 = row.parse(4, "instance_num")?;
        let status = row.str(5).to_string();
        bad.stats.borrow_mut().bump(&format!("status:{status}"), 1);
        let cpu = row.opt_f64(6, "plan_cpu")?;
        let mem = row.opt_f64(7, "plan_mem")?;
        let start = (create.max(0.0) * SEC as f64).round() as Time;
        let ran = matches!(
            status.as_str(),
            "Terminated" | "Failed" | "Running" | "Cancelled"
        );
        if !ran || inst == 0 {
            count_stat(&bad, "never_scheduled");
            return Ok(None);
        }
        if cpu.is_none() || mem.is_none() {
            count_stat(&bad, "missing_request");
        }
        let end = match (status.as_str(), modify) {
            ("Running", _) | (_, None) => None,
            (_, Some(m)) => Some(((m.max(0.0) * SEC as f64).round() as Time).max(start)),
        };
        Ok(Some(TaskRow {
            job,
            job_name: None,
            sub: 0,
            seq: 0,
            kind: JobKind::Batch,
            start,
            end,
            count: inst,
            resources: Resources {
                cpus: (cpu.unwrap_or(0.0).max(0.0) * 10.0).round() as u64,
                mem: scale(mem.unwrap_or(0.0), cap.mem),
                disk: 0,
                gpus: 0,
                revocable_cpus: 0,
            },
            name: Some(task.to_string()),
        }))
    })
}

/// Alibaba v2017 `batch_task`: a task's submit is its create time (negative: before
/// the trace, clamped to 0), its duration runs to its last modification time
/// (`Running` tasks: to the last time in the table). `Waiting`/`Ready` tasks never ran
/// and are dropped (counted as `never_scheduled`).
pub fn jobs_2017(src: &TraceSource, bad: BadRows) -> Result<TraceJobs, TraceError> {
    let parts = table_parts(&src.path, "batch_task")?;
    if parts.is_empty() {
        return Err(TraceError::file(&src.path, "no batch_task files found"));
    }
    let tables: Vec<(CsvRows, ParseFn)> = vec![(
        CsvRows::new(parts, false),
        batch_task_2017(src.machine_capacity, bad.clone()),
    )];
    let limit = src.sort_buffer_tasks;
    Ok(ordered(GroupFeed::new(tables, bad, limit), limit))
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

const POD_COLUMNS: [&str; 11] = [
    "name",
    "cpu_milli",
    "memory_mib",
    "num_gpu",
    "gpu_milli",
    "gpu_spec",
    "qos",
    "pod_phase",
    "creation_time",
    "deletion_time",
    "scheduled_time",
];

fn pod_files(path: &Path) -> Result<Vec<PathBuf>, TraceError> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let v = table_parts(path, "openb_pod_list_default")?;
    if !v.is_empty() {
        return Ok(v);
    }
    let v = table_parts(path, "openb_pod_list")?;
    if v.is_empty() {
        return Err(TraceError::file(path, "no openb_pod_list*.csv found"));
    }
    // Several pod lists in one folder are alternative samples, not parts: take one.
    Ok(v.into_iter().take(1).collect())
}

/// openb priorities (schedlab's mapping, higher is more important): Guaranteed 3,
/// LS 2, Burstable 1, BE 0. LS (latency-sensitive) pods are services.
pub fn qos_priority(qos: &str) -> Option<(i32, JobKind)> {
    Some(match qos {
        "Guaranteed" => (3, JobKind::Service),
        "LS" => (2, JobKind::Service),
        "Burstable" => (1, JobKind::Batch),
        "BE" => (0, JobKind::Batch),
        _ => return None,
    })
}

fn pod(row: &Row, bad: &BadRows) -> Result<Option<TraceJob>, TraceError> {
    row.expect_len(11)?;
    let name = row.str(0).to_string();
    let cpu: u64 = row.parse(1, "cpu_milli")?;
    let mem: u64 = row.parse(2, "memory_mib")?;
    let num_gpu: u64 = row.parse(3, "num_gpu")?;
    let gpu_milli: u64 = row.opt(4, "gpu_milli")?.unwrap_or(0);
    let spec = row.str(5);
    let qos = row.str(6);
    let phase = row.str(7).to_string();
    let created = secs(row, 8, "creation_time")?;
    let deleted = opt_secs(row, 9, "deletion_time")?;
    let scheduled = opt_secs(row, 10, "scheduled_time")?;
    let (priority, kind) = qos_priority(qos).ok_or_else(|| {
        TraceError::field(
            &*row.file,
            row.line,
            "qos",
            format!("unknown QoS `{qos}` (expected LS, BE, Burstable, Guaranteed)"),
        )
    })?;
    bad.stats.borrow_mut().bump(&format!("phase:{phase}"), 1);
    let (Some(start), Some(end)) = (scheduled, deleted) else {
        count_stat(bad, "never_scheduled");
        return Ok(None);
    };
    // GPUs in thousandths: a sharing pod (num_gpu = 1) asks gpu_milli of one GPU; a
    // multi-GPU pod asks num_gpu whole GPUs (its gpu_milli is 1000).
    let gpus = if num_gpu == 0 {
        0
    } else if num_gpu == 1 {
        if gpu_milli == 0 {
            1000
        } else {
            gpu_milli
        }
    } else {
        num_gpu * 1000
    };
    let constraints = if spec.is_empty() {
        Vec::new()
    } else {
        vec![Constraint::AttributeIn {
            name: "gpu_model".into(),
            values: spec.split('|').map(str::to_string).collect(),
        }]
    };
    Ok(Some(TraceJob {
        id: numeric_id(&name),
        name: Some(name),
        submit: created,
        priority,
        sched_class: None,
        kind,
        user: None,
        tasks: vec![TraceTask {
            index: 0,
            count: 1,
            submit: created,
            resources: Resources {
                cpus: cpu,
                mem,
                disk: 0,
                gpus,
                revocable_cpus: 0,
            },
            duration: end.saturating_sub(start),
            name: None,
            constraints,
        }],
    }))
}

/// openb pods: one job of one task per pod, submitted at `creation_time`, running from
/// `scheduled_time` to `deletion_time`; Pending pods (no `scheduled_time`) never ran and
/// are dropped (counted as `never_scheduled`).
pub fn jobs_gpu2023(src: &TraceSource, bad: BadRows) -> Result<TraceJobs, TraceError> {
    let files = pod_files(&src.path)?;
    let b = bad.clone();
    let mut header_checked: Option<PathBuf> = None;
    let items =
        CsvRows::new(files.clone(), false).map(move |row| -> Result<Option<Located>, TraceError> {
            let row = row?;
            if header_checked.as_deref() != Some(&*row.file) {
                header_checked = Some(row.file.to_path_buf());
                let got: Vec<&str> = row.rec.iter().map(str::trim).collect();
                if got != POD_COLUMNS {
                    return Err(TraceError::at(
                        &*row.file,
                        row.line,
                        format!(
                            "expected the openb pod header `{}`, found `{}`",
                            POD_COLUMNS.join(","),
                            got.join(",")
                        ),
                    ));
                }
                return Ok(None);
            }
            b.stats.borrow_mut().rows += 1;
            match pod(&row, &b) {
                Ok(Some(j)) => Ok(Some((j, row.file.clone(), row.line))),
                Ok(None) => Ok(None),
                Err(e) => b.handle(e).map(|()| None),
            }
        });
    Ok(in_order(items, bad))
}

/// openb nodes: `cpu_milli`, `memory_mib`, `gpu` whole GPUs (in thousandths), `model`
/// as attribute `gpu_model`; all present for the whole trace.
pub fn read_nodes_gpu2023(files: Vec<PathBuf>) -> Result<Vec<Machine>, TraceError> {
    let mut out = Vec::new();
    for row in CsvRows::new(files, true) {
        let row = row?;
        row.expect_len(5)?;
        let mut attributes = BTreeMap::new();
        if !row.str(4).is_empty() {
            attributes.insert("gpu_model".to_string(), row.str(4).to_string());
        }
        out.push(Machine {
            id: row.str(0).to_string(),
            capacity: Resources {
                cpus: row.parse(1, "cpu_milli")?,
                mem: row.parse(2, "memory_mib")?,
                disk: 0,
                gpus: row.parse::<u64>(3, "gpu")? * 1000,
                revocable_cpus: 0,
            },
            attributes,
            add_time: 0,
            remove_time: None,
        });
    }
    Ok(out)
}

pub fn machines_gpu2023(src: &TraceSource) -> Result<Option<Vec<Machine>>, TraceError> {
    match sibling_table(&src.path, "openb_node_list")? {
        Some(f) => read_nodes_gpu2023(f.into_iter().take(1).collect()).map(Some),
        None => Ok(None),
    }
}

/// v2018 `machine_meta`: one machine per `machine_id` (rows are status snapshots over
/// time), capacity from its first row (`cpu_num` cores; `mem_size` 0-100 of
/// `machine_capacity.mem`), failure domains and last status as attributes. A machine
/// is added at its first row's time (0: before the window).
pub fn read_machine_meta(files: Vec<PathBuf>, cap: &Resources) -> Result<Vec<Machine>, TraceError> {
    let mut by_id: BTreeMap<String, (u64, Machine)> = BTreeMap::new();
    for row in CsvRows::new(files, false) {
        let row = row?;
        row.expect_len(7)?;
        let id = row.str(0).to_string();
        let t = secs(&row, 1, "time_stamp")?;
        let cpus: f64 = row.opt_f64(4, "cpu_num")?.unwrap_or(0.0);
        let mem: f64 = row.opt_f64(5, "mem_size")?.unwrap_or(0.0);
        let status = row.str(6).to_string();
        let n = by_id.len() as u64;
        let e = by_id.entry(id.clone()).or_insert_with(|| {
            let mut attributes = BTreeMap::new();
            attributes.insert("failure_domain_1".into(), row.str(2).to_string());
            attributes.insert("failure_domain_2".into(), row.str(3).to_string());
            (
                n,
                Machine {
                    id,
                    capacity: Resources {
                        cpus: (cpus.max(0.0) * 1000.0).round() as u64,
                        mem: scale(mem / 100.0, cap.mem),
                        disk: cap.disk,
                        gpus: 0,
                        revocable_cpus: 0,
                    },
                    attributes,
                    add_time: t,
                    remove_time: None,
                },
            )
        });
        e.1.add_time = e.1.add_time.min(t);
        e.1.attributes.insert("status".into(), status);
    }
    let mut v: Vec<(u64, Machine)> = by_id.into_values().collect();
    v.sort_by_key(|(n, m)| (m.add_time, *n));
    Ok(v.into_iter().map(|(_, m)| m).collect())
}

pub fn machines_2018(src: &TraceSource) -> Result<Option<Vec<Machine>>, TraceError> {
    let files = if src.path.is_file() && file_name(&src.path).contains("machine_meta") {
        Some(vec![src.path.clone()])
    } else {
        sibling_table(&src.path, "machine_meta")?
    };
    match files {
        Some(f) => read_machine_meta(f, &src.machine_capacity).map(Some),
        None => Ok(None),
    }
}

/// One row of v2018 `machine_usage` (utilization samples; not part of the job stream).
/// Empty fields are `None`; -1 and 101 are the trace's "invalid" markers and are kept.
#[derive(Clone, Debug, PartialEq)]
pub struct MachineUsage {
    pub machine_id: String,
    pub time: f64,
    pub cpu_util_percent: Option<f64>,
    pub mem_util_percent: Option<f64>,
    pub mem_gps: Option<f64>,
    pub mkpi: Option<f64>,
    pub net_in: Option<f64>,
    pub net_out: Option<f64>,
    pub disk_io_percent: Option<f64>,
}

/// Streams `machine_usage` rows (9 columns, `schema.txt` order).
pub fn machine_usage(
    path: &Path,
) -> Result<impl Iterator<Item = Result<MachineUsage, TraceError>>, TraceError> {
    let parts = table_parts(path, "machine_usage")?;
    Ok(CsvRows::new(parts, false).map(|row| {
        let row = row?;
        row.expect_len(9)?;
        Ok(MachineUsage {
            machine_id: row.str(0).to_string(),
            time: row.parse(1, "time_stamp")?,
            cpu_util_percent: row.opt_f64(2, "cpu_util_percent")?,
            mem_util_percent: row.opt_f64(3, "mem_util_percent")?,
            mem_gps: row.opt_f64(4, "mem_gps")?,
            mkpi: row.opt_f64(5, "mkpi")?,
            net_in: row.opt_f64(6, "net_in")?,
            net_out: row.opt_f64(7, "net_out")?,
            disk_io_percent: row.opt_f64(8, "disk_io_percent")?,
        })
    }))
}
