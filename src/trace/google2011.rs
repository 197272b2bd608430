//! Google cluster-usage trace `clusterdata-2011-2` (29 days of a ~12.5k-machine Borg
//! cell, May 2011).
//!
//! Facts from the trace's `schema.csv` and the "Google cluster-usage traces: format +
//! schema" document (v2.1), as summarized in `../shared/traces/google-2011/SOURCE.md`:
//! - CSV without header; tables are split into parts `part-NNNNN-of-MMMMM.csv.gz`
//!   which are in time order within and across parts;
//! - times are microseconds; 0 means "before the trace window" (which opens at 600 s),
//!   2^63 - 1 means "after it closed";
//! - task event types: 0 SUBMIT, 1 SCHEDULE, 2 EVICT, 3 FAIL, 4 FINISH, 5 KILL, 6 LOST,
//!   7 UPDATE_PENDING, 8 UPDATE_RUNNING; machine events 0 ADD, 1 REMOVE, 2 UPDATE;
//! - CPU, memory and disk requests are normalized to the largest machine's capacity
//!   (schedlab multiplies by `TraceSource::machine_capacity`);
//! - priority 0-11; 9-11 is the production tier, emitted as `JobKind::Service`.
//!
//! The rows are joined into jobs by [`super::borg`]; since `task_events` is in time
//! order, the stream is released in submit order as soon as the oldest open job ends
//! (see [`super::sort`]).

use super::borg::{Borg, Ev, Event};
use super::error::TraceError;
use super::input::{table_parts, BadRows, CsvRows, Row};
use super::sort::{ordered, Feed};
use super::{scale, sibling_table, Constraint, Machine, TraceJob, TraceJobs, TraceSource};
use crate::actor::Time;
use crate::resources::Resources;
use std::collections::BTreeMap;

/// 2^63 - 1: "the event happened after the end of the trace window".
pub const AFTER_END: u64 = i64::MAX as u64;

/// Production tier: priorities 9-11 (`ClusterData2011_2.md`).
pub const SERVICE_PRIORITY: i32 = 9;

/// Task event type names, by code.
pub const TASK_EVENT_NAMES: [&str; 9] = [
    "SUBMIT",
    "SCHEDULE",
    "EVICT",
    "FAIL",
    "FINISH",
    "KILL",
    "LOST",
    "UPDATE_PENDING",
    "UPDATE_RUNNING",
];

/// Trace microseconds to ns; `None` for "after the end".
pub fn time_us(row: &Row, i: usize, name: &str) -> Result<Option<Time>, TraceError> {
    let us: u64 = row.parse(i, name)?;
    if us == AFTER_END {
        return Ok(None);
    }
    us.checked_mul(1000).map(Some).ok_or_else(|| {
        TraceError::field(
            &*row.file,
            row.line,
            name,
            format!("time {us} us is out of range"),
        )
    })
}

fn task_event(row: &Row, cap: &Resources) -> Result<(Event, u8), TraceError> {
    row.expect_len(13)?;
    let time = time_us(row, 0, "time")?;
    let job: u64 = row.parse(2, "job ID")?;
    let index: u32 = row.parse(3, "task index")?;
    let ty: u8 = row.parse(5, "event type")?;
    let ev = match ty {
        0 => Ev::Submit,
        1 => Ev::Schedule,
        2..=6 => Ev::End,
        7 | 8 => Ev::Update,
        _ => {
            return Err(TraceError::field(
                &*row.file,
                row.line,
                "event type",
                format!("unknown task event type {ty} (expected 0-8)"),
            ))
        }
    };
    let user = Some(row.str(6))
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let class: Option<u8> = row.opt(7, "scheduling class")?;
    let priority: i32 = row.parse(8, "priority")?;
    let cpu = row.opt_f64(9, "CPU request")?;
    let mem = row.opt_f64(10, "memory request")?;
    let disk = row.opt_f64(11, "disk space request")?;
    let resources = if cpu.is_none() && mem.is_none() && disk.is_none() {
        None
    } else {
        Some(Resources {
            cpus: scale(cpu.unwrap_or(0.0), cap.cpus),
            mem: scale(mem.unwrap_or(0.0), cap.mem),
            disk: scale(disk.unwrap_or(0.0), cap.disk),
            gpus: 0,
            revocable_cpus: 0,
        })
    };
    let distinct: Option<u8> = row.opt(12, "different machines restriction")?;
    let constraints = distinct.map(|d| {
        if d != 0 {
            vec![Constraint::DistinctMachines]
        } else {
            Vec::new()
        }
    });
    Ok((
        Event {
            time,
            job,
            index,
            ev,
            priority: Some(priority),
            class,
            user,
            resources,
            constraints,
        },
        ty,
    ))
}

struct Feed2011 {
    rows: CsvRows,
    borg: Borg,
    cap: Resources,
    bad: BadRows,
}

impl Feed for Feed2011 {
    fn step(&mut self, out: &mut Vec<TraceJob>) -> Result<bool, TraceError> {
        for _ in 0..4096 {
            let Some(row) = self.rows.next() else {
                self.borg.finish(out);
                return Ok(false);
            };
            let row = row?;
            self.bad.stats.borrow_mut().rows += 1;
            let parsed = task_event(&row, &self.cap).and_then(|(e, ty)| match e.time {
                Some(t) if t < self.borg.now() => Err(TraceError::field(
                    &*row.file,
                    row.line,
                    "time",
                    format!(
                        "rows are not in time order ({t} ns after {} ns); the parts must be read in name order",
                        self.borg.now()
                    ),
                )),
                _ => Ok((e, ty)),
            });
            match parsed {
                Ok((e, ty)) => {
                    if !row.str(1).is_empty() {
                        self.bad
                            .stats
                            .borrow_mut()
                            .bump(&format!("missing_info:{}", row.str(1)), 1);
                    }
                    self.bad
                        .stats
                        .borrow_mut()
                        .bump(&format!("event:{}", TASK_EVENT_NAMES[ty as usize]), 1);
                    self.borg.event(e, out);
                }
                Err(e) => self.bad.handle(e)?,
            }
            if !out.is_empty() {
                break;
            }
        }
        Ok(true)
    }

    fn watermark(&self) -> Option<Time> {
        Some(self.borg.watermark())
    }
}

/// The jobs of a `task_events` table (a file, a folder of parts, or a trace folder
/// with a `task_events/` sub-folder), in submit order.
pub fn jobs(src: &TraceSource, bad: BadRows) -> Result<TraceJobs, TraceError> {
    let parts = table_parts(&src.path, "task_events")?;
    if parts.is_empty() {
        return Err(TraceError::file(&src.path, "no task_events files found"));
    }
    let feed = Feed2011 {
        rows: CsvRows::new(parts, false),
        borg: Borg::new(SERVICE_PRIORITY, bad.stats.clone()),
        cap: src.machine_capacity,
        bad,
    };
    Ok(ordered(feed, src.sort_buffer_tasks))
}

/// One row of `job_events`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobEvent {
    /// ns; `None` = after the end of the trace.
    pub time: Option<Time>,
    pub missing_info: Option<u8>,
    pub job: u64,
    /// Same codes as task events: 0 SUBMIT .. 8 UPDATE_RUNNING.
    pub event_type: u8,
    pub user: Option<String>,
    pub sched_class: Option<u8>,
    pub job_name: Option<String>,
    pub logical_job_name: Option<String>,
}

/// Streams the rows of a `job_events` table (8 columns). The job stream takes user,
/// priority and class from `task_events`, which carries them on every row, so this is
/// for inspection and for tools that want job-level events.
pub fn job_events(
    path: &std::path::Path,
) -> Result<impl Iterator<Item = Result<JobEvent, TraceError>>, TraceError> {
    let parts = table_parts(path, "job_events")?;
    let nonempty = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    Ok(CsvRows::new(parts, false).map(move |row| {
        let row = row?;
        row.expect_len(8)?;
        let ty: u8 = row.parse(3, "event type")?;
        if ty > 8 {
            return Err(TraceError::field(
                &*row.file,
                row.line,
                "event type",
                format!("unknown job event type {ty} (expected 0-8)"),
            ));
        }
        Ok(JobEvent {
            time: time_us(&row, 0, "time")?,
            missing_info: row.opt(1, "missing info")?,
            job: row.parse(2, "job ID")?,
            event_type: ty,
            user: nonempty(row.str(4)),
            sched_class: row.opt(5, "scheduling class")?,
            job_name: nonempty(row.str(6)),
            logical_job_name: nonempty(row.str(7)),
        })
    }))
}

/// Reads a `machine_events` table (6 columns: time, machine ID, event type 0 ADD /
/// 1 REMOVE / 2 UPDATE, platform ID, CPUs, memory) into machine intervals, ordered by
/// add time then id. Machines are few (~12.5k, ~37k rows), so this is a list.
pub fn read_machine_events(
    parts: Vec<std::path::PathBuf>,
    cap: &Resources,
) -> Result<Vec<Machine>, TraceError> {
    let mut live: BTreeMap<u64, Machine> = BTreeMap::new();
    let mut done: Vec<(u64, Machine)> = Vec::new();
    let mut last = 0;
    for row in CsvRows::new(parts, false) {
        let row = row?;
        row.expect_len(6)?;
        let t = time_us(&row, 0, "time")?;
        let id: u64 = row.parse(1, "machine ID")?;
        let ty: u8 = row.parse(2, "event type")?;
        let platform = row.str(3).to_string();
        let cpus = row.opt_f64(4, "CPUs")?;
        let mem = row.opt_f64(5, "Memory")?;
        let t = t.unwrap_or(last);
        last = last.max(t);
        let capacity = Resources {
            cpus: scale(cpus.unwrap_or(0.0), cap.cpus),
            mem: scale(mem.unwrap_or(0.0), cap.mem),
            disk: cap.disk,
            gpus: 0,
            revocable_cpus: 0,
        };
        match ty {
            0 => {
                if let Some(m) = live.remove(&id) {
                    done.push((id, m));
                }
                let mut attributes = BTreeMap::new();
                if !platform.is_empty() {
                    attributes.insert("platform".to_string(), platform);
                }
                live.insert(
                    id,
                    Machine {
                        id: id.to_string(),
                        capacity,
                        attributes,
                        add_time: t,
                        remove_time: None,
                    },
                );
            }
            1 => {
                if let Some(mut m) = live.remove(&id) {
                    m.remove_time = Some(t);
                    done.push((id, m));
                }
            }
            2 => {
                if let Some(m) = live.get_mut(&id) {
                    if cpus.is_some() || mem.is_some() {
                        m.capacity = capacity;
                    }
                }
            }
            _ => {
                return Err(TraceError::field(
                    &*row.file,
                    row.line,
                    "event type",
                    format!("unknown machine event type {ty} (expected 0-2)"),
                ))
            }
        }
    }
    done.extend(live);
    done.sort_by_key(|(id, m)| (m.add_time, *id));
    Ok(done.into_iter().map(|(_, m)| m).collect())
}

/// Machines from `machine_events` next to the task table, if there is one.
pub fn machines(src: &TraceSource) -> Result<Option<Vec<Machine>>, TraceError> {
    match sibling_table(&src.path, "machine_events")? {
        Some(parts) => read_machine_events(parts, &src.machine_capacity).map(Some),
        None => Ok(None),
    }
}
