//! schedlab's normalized CSV: one row per task, the columns of [`HEADER`]. `trace
//! convert` and `trace synth` write it; every reader's output can be replayed from it,
//! and `inspect` reads it like any trace.
//!
//! Units: `submit_ns` and `duration_ns` in nanoseconds (`duration_ns` of a service that
//! runs until the end is 18446744073709551615, `Time::MAX`); `cpus` and `gpus` in CPUs and
//! GPUs with three decimals (the fixed point of `Resources`); memory and disk in MiB;
//! `kind` is `batch` or `service`; `user` may be empty. A job's rows are consecutive and
//! jobs are in non-decreasing submit time (a job's submit is its earliest task's).

use super::error::TraceError;
use super::input::{table_parts, BadRows, CsvRows, Row};
use super::sort::{in_order, Located};
use super::{TraceJob, TraceJobs, TraceSource, TraceTask};
use crate::actor::Time;
use crate::job::JobKind;
use crate::resources::Resources;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

/// The header row.
pub const HEADER: &str =
    "job_id,task_index,submit_ns,cpus,mem_mib,disk_mib,gpus,duration_ns,priority,kind,user";

/// Thousandths as a decimal: 1500 -> "1.500".
pub fn milli(v: u64) -> String {
    format!("{}.{:03}", v / 1000, v % 1000)
}

/// A decimal with at most three fractional digits to thousandths, exactly.
pub fn parse_milli(s: &str) -> Option<u64> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || int.is_empty() && frac.is_empty() {
        // More digits than the fixed point holds: round through f64.
        let f: f64 = s.parse().ok()?;
        return (f >= 0.0 && f.is_finite()).then(|| (f * 1000.0).round() as u64);
    }
    let i: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut f: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..3 {
        f *= 10;
    }
    i.checked_mul(1000)?.checked_add(f)
}

/// What a conversion wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub jobs: u64,
    pub tasks: u64,
}

/// Writes jobs as normalized CSV rows, one per task, stopping at the first error.
pub fn write<W: Write>(
    jobs: impl Iterator<Item = Result<TraceJob, TraceError>>,
    out: W,
    out_name: &Path,
) -> Result<Written, TraceError> {
    let io = |e: &dyn std::fmt::Display| TraceError::file(out_name, format!("cannot write: {e}"));
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    w.write_record(HEADER.split(',')).map_err(|e| io(&e))?;
    let mut n = Written::default();
    for j in jobs {
        let j = j?;
        n.jobs += 1;
        let kind = match j.kind {
            JobKind::Batch => "batch",
            JobKind::Service => "service",
        };
        let (id, prio, user) = (
            j.id.to_string(),
            j.priority.to_string(),
            j.user.unwrap_or_default(),
        );
        for t in &j.tasks {
            let (submit, cpus, mem, disk, gpus, dur) = (
                t.submit.to_string(),
                milli(t.resources.cpus),
                t.resources.mem.to_string(),
                t.resources.disk.to_string(),
                milli(t.resources.gpus),
                t.duration.to_string(),
            );
            for i in 0..t.count {
                n.tasks += 1;
                let idx = (t.index + i).to_string();
                w.write_record([
                    id.as_str(),
                    &idx,
                    &submit,
                    &cpus,
                    &mem,
                    &disk,
                    &gpus,
                    &dur,
                    &prio,
                    kind,
                    &user,
                ])
                .map_err(|e| io(&e))?;
            }
        }
    }
    w.flush().map_err(|e| io(&e))?;
    Ok(n)
}

struct TaskRow {
    job: u64,
    task: TraceTask,
    priority: i32,
    kind: JobKind,
    user: Option<String>,
}

fn parse_row(row: &Row) -> Result<TaskRow, TraceError> {
    row.expect_len(11)?;
    let m = |i: usize, name: &str| {
        parse_milli(row.str(i)).ok_or_else(|| {
            TraceError::field(
                &*row.file,
                row.line,
                name,
                format!("not a non-negative decimal: `{}`", row.str(i)),
            )
        })
    };
    let kind = match row.str(9) {
        "batch" => JobKind::Batch,
        "service" => JobKind::Service,
        k => {
            return Err(TraceError::field(
                &*row.file,
                row.line,
                "kind",
                format!("expected batch or service, found `{k}`"),
            ))
        }
    };
    let user = Some(row.str(10))
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Ok(TaskRow {
        job: row.parse(0, "job_id")?,
        task: TraceTask {
            index: row.parse(1, "task_index")?,
            count: 1,
            submit: row.parse(2, "submit_ns")?,
            resources: Resources {
                cpus: m(3, "cpus")?,
                mem: row.parse(4, "mem_mib")?,
                disk: row.parse(5, "disk_mib")?,
                gpus: m(6, "gpus")?,
                revocable_cpus: 0,
            },
            duration: row.parse::<Time>(7, "duration_ns")?,
            name: None,
            constraints: Vec::new(),
        },
        priority: row.parse(8, "priority")?,
        kind,
        user,
    })
}

struct Grouper {
    rows: CsvRows,
    bad: BadRows,
    header_seen: Option<Rc<Path>>,
    cur: Option<(TraceJob, Rc<Path>, u64)>,
    done: bool,
}

impl Grouper {
    fn add(j: &mut TraceJob, t: TraceTask) {
        j.submit = j.submit.min(t.submit);
        if let Some(last) = j.tasks.last_mut() {
            if last.index + last.count == t.index
                && last.submit == t.submit
                && last.resources == t.resources
                && last.duration == t.duration
            {
                last.count += 1;
                return;
            }
        }
        j.tasks.push(t);
    }
}

impl Iterator for Grouper {
    type Item = Result<Option<Located>, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            let Some(row) = self.rows.next() else {
                self.done = true;
                return self.cur.take().map(|c| Ok(Some(c)));
            };
            let row = match row {
                Ok(r) => r,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if self.header_seen.as_deref() != Some(&*row.file) {
                self.header_seen = Some(row.file.clone());
                let got: Vec<&str> = row.rec.iter().collect();
                if got.join(",") != HEADER {
                    self.done = true;
                    return Some(Err(TraceError::at(
                        &*row.file,
                        row.line,
                        format!("expected the normalized header `{HEADER}`"),
                    )));
                }
                continue;
            }
            self.bad.stats.borrow_mut().rows += 1;
            let r = match parse_row(&row) {
                Ok(r) => r,
                Err(e) => match self.bad.handle(e) {
                    Ok(()) => continue,
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                },
            };
            match &mut self.cur {
                Some((j, _, _)) if j.id == r.job => Self::add(j, r.task),
                _ => {
                    let job = TraceJob {
                        id: r.job,
                        name: None,
                        submit: r.task.submit,
                        priority: r.priority,
                        sched_class: None,
                        kind: r.kind,
                        user: r.user,
                        tasks: vec![r.task],
                    };
                    let prev = self.cur.replace((job, row.file.clone(), row.line));
                    if let Some(p) = prev {
                        return Some(Ok(Some(p)));
                    }
                }
            }
        }
    }
}

/// Reads a normalized CSV (file or folder of parts).
pub fn jobs(src: &TraceSource, bad: BadRows) -> Result<TraceJobs, TraceError> {
    let parts = table_parts(&src.path, "")?;
    let g = Grouper {
        rows: CsvRows::new(parts, false),
        bad: bad.clone(),
        header_seen: None,
        cur: None,
        done: false,
    };
    Ok(in_order(g, bad))
}
