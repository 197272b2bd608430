//! The Standard Workload Format (SWF) of the Parallel Workloads Archive (Feitelson et
//! al., "Experience with using the Parallel Workloads Archive", JPDC 2014; format
//! definition at the archive's `swf.html`).
//!
//! One job per line, 18 whitespace-separated fields, -1 for unknown; header comments
//! start with `;` and carry `Key: value` pairs (`MaxNodes`, `MaxProcs`,
//! `UnixStartTime`, ...), some of them continued on the next `;` line. Jobs are sorted
//! by submit time, so the stream is read in file order (a row out of order is an error).
//!
//! Normalization: a job that got N processors becomes N tasks of 1 CPU each (a rigid
//! parallel job: all N must run together), with the requested memory per processor
//! (field 10, else the used memory, field 7; KB -> MiB, rounded up), run time (field 4)
//! as duration and `u<user id>` as user. Jobs whose run time or processor count is
//! unknown are dropped and counted; partial-execution records (status 2, 3, 4, used for
//! checkpointed jobs) are dropped because the job's summary line (status 0, 1 or 5)
//! covers them.

use super::error::TraceError;
use super::input::{table_parts, BadRows, Line, Lines};
use super::sort::{in_order, Located};
use super::{Machine, TraceJob, TraceJobs, TraceSource, TraceTask};
use crate::actor::{Time, SEC};
use crate::job::JobKind;
use crate::resources::Resources;
use std::collections::BTreeMap;

/// The `; Key: value` header comments. Keys may repeat (`Queue`, `Partition`, `Note`);
/// a comment line that does not start with `Key:` continues the previous key's value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SwfHeader {
    pub fields: BTreeMap<String, Vec<String>>,
}

impl SwfHeader {
    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .get(key)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// A numeric header value.
    pub fn num(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(|v| v.trim().parse().ok())
    }

    /// Feeds one comment line (without the leading `;`).
    pub fn add_comment(&mut self, body: &str, last_key: &mut Option<String>) {
        let trimmed = body.trim();
        if trimmed.is_empty() {
            *last_key = None;
            return;
        }
        // A key is one word right after "; " followed by ':'. A continuation line is
        // indented (";              http://...") and must not be read as key "http".
        let indented = body.starts_with("  ") || body.starts_with('\t');
        let key = trimmed.split_once(':').and_then(|(k, v)| {
            let ok = !indented
                && !k.is_empty()
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            ok.then(|| (k.to_string(), v.trim().to_string()))
        });
        match (key, last_key.as_ref()) {
            (Some((k, v)), _) => {
                self.fields.entry(k.clone()).or_default().push(v);
                *last_key = Some(k);
            }
            (None, Some(k)) => {
                if let Some(last) = self.fields.get_mut(k).and_then(|v| v.last_mut()) {
                    if !last.is_empty() {
                        last.push(' ');
                    }
                    last.push_str(trimmed);
                }
            }
            (None, None) => {}
        }
    }
}

/// One SWF job line, the 18 fields of the standard (-1 = unknown).
#[derive(Clone, Debug, PartialEq)]
pub struct SwfJob {
    pub job_number: i64,
    pub submit_time: f64,
    pub wait_time: f64,
    pub run_time: f64,
    pub allocated_procs: i64,
    pub avg_cpu_time: f64,
    pub used_memory_kb: f64,
    pub requested_procs: i64,
    pub requested_time: f64,
    pub requested_memory_kb: f64,
    pub status: i64,
    pub user_id: i64,
    pub group_id: i64,
    pub executable: i64,
    pub queue: i64,
    pub partition: i64,
    pub preceding_job: i64,
    pub think_time: f64,
}

const FIELDS: [&str; 18] = [
    "Job Number",
    "Submit Time",
    "Wait Time",
    "Run Time",
    "Number of Allocated Processors",
    "Average CPU Time Used",
    "Used Memory",
    "Requested Number of Processors",
    "Requested Time",
    "Requested Memory",
    "Status",
    "User ID",
    "Group ID",
    "Executable Number",
    "Queue Number",
    "Partition Number",
    "Preceding Job Number",
    "Think Time from Preceding Job",
];

/// Parses one job line.
pub fn parse_line(l: &Line) -> Result<SwfJob, TraceError> {
    let f: Vec<&str> = l.text.split_whitespace().collect();
    if f.len() != 18 {
        return Err(TraceError::at(
            &*l.file,
            l.line,
            format!("expected 18 whitespace-separated fields, found {}", f.len()),
        ));
    }
    let mut v = [0f64; 18];
    for (i, s) in f.iter().enumerate() {
        v[i] = s
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| {
                TraceError::field(&*l.file, l.line, FIELDS[i], format!("not a number: `{s}`"))
            })?;
    }
    let i = |k: usize| v[k] as i64;
    Ok(SwfJob {
        job_number: i(0),
        submit_time: v[1],
        wait_time: v[2],
        run_time: v[3],
        allocated_procs: i(4),
        avg_cpu_time: v[5],
        used_memory_kb: v[6],
        requested_procs: i(7),
        requested_time: v[8],
        requested_memory_kb: v[9],
        status: i(10),
        user_id: i(11),
        group_id: i(12),
        executable: i(13),
        queue: i(14),
        partition: i(15),
        preceding_job: i(16),
        think_time: v[17],
    })
}

fn secs(s: f64) -> Time {
    (s.max(0.0) * SEC as f64).round() as Time
}

/// The normalized job of an SWF line, or `None` (with the reason) if it has none.
pub fn to_job(j: &SwfJob) -> Result<TraceJob, &'static str> {
    if (2..=4).contains(&j.status) {
        return Err("partial_records_dropped");
    }
    if j.run_time < 0.0 {
        return Err("unknown_run_time_dropped");
    }
    let procs = if j.allocated_procs > 0 {
        j.allocated_procs
    } else {
        j.requested_procs
    };
    if procs <= 0 {
        return Err("unknown_processors_dropped");
    }
    let mem_kb = if j.requested_memory_kb > 0.0 {
        j.requested_memory_kb
    } else {
        j.used_memory_kb.max(0.0)
    };
    let submit = secs(j.submit_time);
    Ok(TraceJob {
        id: j.job_number.max(0) as u64,
        name: None,
        submit,
        priority: 0,
        sched_class: None,
        kind: JobKind::Batch,
        user: (j.user_id >= 0).then(|| format!("u{}", j.user_id)),
        tasks: vec![TraceTask {
            index: 0,
            count: procs.min(u32::MAX as i64) as u32,
            submit,
            resources: Resources {
                cpus: 1000,
                mem: (mem_kb / 1024.0).ceil() as u64,
                disk: 0,
                gpus: 0,
                revocable_cpus: 0,
            },
            duration: secs(j.run_time),
            name: None,
            constraints: Vec::new(),
        }],
    })
}

/// The jobs of an SWF log (or a folder of `.swf`/`.swf.gz` parts), in file order.
pub fn jobs(src: &TraceSource, bad: BadRows) -> Result<TraceJobs, TraceError> {
    let parts = table_parts(&src.path, "")?;
    let stats = bad.stats.clone();
    let b = bad.clone();
    let items = Lines::new(parts).map(move |l| -> Result<Option<Located>, TraceError> {
        let l = l?;
        let t = l.text.trim_start();
        if t.is_empty() || t.starts_with(';') {
            return Ok(None);
        }
        stats.borrow_mut().rows += 1;
        match parse_line(&l) {
            Err(e) => b.handle(e).map(|()| None),
            Ok(j) => match to_job(&j) {
                Ok(job) => Ok(Some((job, l.file.clone(), l.line))),
                Err(why) => {
                    stats.borrow_mut().bump(why, 1);
                    Ok(None)
                }
            },
        }
    });
    Ok(in_order(items, bad))
}

/// Reads the header comments of an SWF file (stops at the first job line).
pub fn header(path: &std::path::Path) -> Result<SwfHeader, TraceError> {
    let parts = table_parts(path, "")?;
    let mut h = SwfHeader::default();
    let mut last = None;
    for l in Lines::new(parts.into_iter().take(1).collect()) {
        let l = l?;
        match l.text.trim_start().strip_prefix(';') {
            Some(body) => h.add_comment(body, &mut last),
            None if l.text.trim().is_empty() => {}
            None => break,
        }
    }
    Ok(h)
}

/// `MaxNodes` nodes of `MaxProcs / MaxNodes` CPUs each (memory from
/// `machine_capacity`), or `None` if the header does not say.
pub fn machines(src: &TraceSource) -> Result<Option<Vec<Machine>>, TraceError> {
    let h = header(&src.path)?;
    let procs = h.num("MaxProcs").filter(|&p| p > 0);
    let nodes = h.num("MaxNodes").filter(|&n| n > 0).or(procs);
    let (Some(nodes), Some(procs)) = (nodes, procs.or(nodes)) else {
        return Ok(None);
    };
    let per = (procs / nodes).max(1) as u64;
    Ok(Some(
        (0..nodes)
            .map(|i| Machine {
                id: format!("node{i}"),
                capacity: Resources {
                    cpus: per * 1000,
                    mem: src.machine_capacity.mem,
                    disk: src.machine_capacity.disk,
                    gpus: 0,
                    revocable_cpus: 0,
                },
                attributes: BTreeMap::new(),
                add_time: 0,
                remove_time: None,
            })
            .collect(),
    ))
}
