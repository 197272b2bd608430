//! Google cluster-usage traces v3 (`clusterdata-2019`: eight Borg cells, May 2019).
//!
//! Schema: `google/cluster-data` `clusterdata_trace_format_v3.proto` and the "Google
//! cluster-usage traces v3" document. The data is published as BigQuery tables; schedlab
//! reads them exported as JSON lines (one object per row, field names as in the proto:
//! `time`, `type`, `collection_id`, `instance_index`, `priority`, `scheduling_class`,
//! `collection_type`, `resource_request: {cpus, memory}`, `constraint: [{name, value,
//! relation}]`, ...). BigQuery writes INT64 values as JSON strings, so numbers are
//! accepted as numbers or strings, and enums as numbers or names (`"SUBMIT"`).
//!
//! No real sample of these tables was available to the project: this reader is written
//! from the proto and tested on small files written by that schema.
//!
//! Facts used: times are microseconds since the trace start (0 = before it, 2^63 - 1 =
//! after it); event types 0 SUBMIT, 1 QUEUE, 2 ENABLE, 3 SCHEDULE, 4 EVICT, 5 FAIL,
//! 6 FINISH, 7 KILL, 8 LOST, 9 UPDATE_PENDING, 10 UPDATE_RUNNING; `collection_type`
//! 0 JOB, 1 ALLOC_SET (alloc instances are reservations, not work: skipped and
//! counted); requests are normalized (NCUs and normalized bytes, scaled by
//! `machine_capacity`); priorities >= 120 are the production tier (and >= 360
//! monitoring), emitted as services.
//!
//! The tables must be exported ordered by `time` (`ORDER BY time`): rows are joined in
//! one pass like the 2011 trace (see [`super::borg`]); a row out of order is an error.
//! `collection_events`, if present beside `instance_events`, is read alongside (also in
//! time order) for each job's `user` and `max_per_machine` (1 -> distinct machines).

use super::borg::{Borg, Ev, Event, IDLE_RETIRE};
use super::error::TraceError;
use super::input::{table_parts, BadRows, Line, Lines};
use super::sort::{ordered, Feed};
use super::{scale, sibling_table, Constraint, Machine, TraceJob, TraceJobs, TraceSource};
use crate::actor::Time;
use crate::resources::Resources;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::iter::Peekable;

/// Production tier and above.
pub const SERVICE_PRIORITY: i32 = 120;

pub const EVENT_NAMES: [&str; 11] = [
    "SUBMIT",
    "QUEUE",
    "ENABLE",
    "SCHEDULE",
    "EVICT",
    "FAIL",
    "FINISH",
    "KILL",
    "LOST",
    "UPDATE_PENDING",
    "UPDATE_RUNNING",
];

const RELATIONS: [&str; 8] = [
    "EQUAL",
    "NOT_EQUAL",
    "LESS_THAN",
    "GREATER_THAN",
    "LESS_THAN_EQUAL",
    "GREATER_THAN_EQUAL",
    "PRESENT",
    "NOT_PRESENT",
];

struct Obj<'a> {
    v: &'a Value,
    l: &'a Line,
}

impl<'a> Obj<'a> {
    fn err(&self, field: &str, msg: String) -> TraceError {
        TraceError::field(&*self.l.file, self.l.line, field, msg)
    }

    fn get(&self, f: &str) -> Option<&'a Value> {
        self.v.get(f).filter(|v| !v.is_null())
    }

    fn opt_i64(&self, f: &str) -> Result<Option<i64>, TraceError> {
        Ok(match self.get(f) {
            None => None,
            Some(Value::Number(n)) => Some(
                n.as_i64()
                    .or_else(|| n.as_u64().map(|u| u.min(i64::MAX as u64) as i64))
                    .ok_or_else(|| self.err(f, format!("not an integer: {n}")))?,
            ),
            Some(Value::String(s)) => Some(
                s.trim()
                    .parse()
                    .or_else(|_| {
                        s.trim()
                            .parse::<u64>()
                            .map(|u| u.min(i64::MAX as u64) as i64)
                    })
                    .map_err(|_| self.err(f, format!("not an integer: `{s}`")))?,
            ),
            Some(v) => return Err(self.err(f, format!("not an integer: {v}"))),
        })
    }

    fn i64(&self, f: &str) -> Result<i64, TraceError> {
        self.opt_i64(f)?
            .ok_or_else(|| self.err(f, "mandatory field is missing".into()))
    }

    /// An enum: a number, a numeric string, or one of `names`.
    fn opt_enum(&self, f: &str, names: &[&str]) -> Result<Option<i64>, TraceError> {
        if let Some(Value::String(s)) = self.get(f) {
            if let Some(i) = names.iter().position(|n| *n == s.trim()) {
                return Ok(Some(i as i64));
            }
        }
        self.opt_i64(f)
    }

    fn opt_f64(&self, v: Option<&Value>, f: &str) -> Result<Option<f64>, TraceError> {
        Ok(match v.filter(|v| !v.is_null()) {
            None => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => Some(
                s.trim()
                    .parse()
                    .map_err(|_| self.err(f, format!("not a number: `{s}`")))?,
            ),
            Some(v) => return Err(self.err(f, format!("not a number: {v}"))),
        })
    }

    fn opt_str(&self, f: &str) -> Option<String> {
        match self.get(f)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// `time` in ns; `None` for 2^63 - 1 (after the end).
    fn time(&self) -> Result<Option<Time>, TraceError> {
        let us = self.i64("time")?;
        if us < 0 {
            return Err(self.err("time", format!("negative time {us}")));
        }
        if us == i64::MAX {
            return Ok(None);
        }
        (us as u64)
            .checked_mul(1000)
            .map(Some)
            .ok_or_else(|| self.err("time", format!("time {us} us is out of range")))
    }
}

fn parse_json(l: &Line) -> Result<Value, TraceError> {
    let v: Value = serde_json::from_str(&l.text)
        .map_err(|e| TraceError::at(&*l.file, l.line, format!("not a JSON object: {e}")))?;
    if !v.is_object() {
        return Err(TraceError::at(&*l.file, l.line, "not a JSON object"));
    }
    Ok(v)
}

struct Collection {
    user: Option<String>,
    max_per_machine: Option<i64>,
}

struct CollectionRow {
    time: Time,
    id: u64,
    ty: i64,
    info: Collection,
}

fn collection_row(l: &Line) -> Result<CollectionRow, TraceError> {
    let v = parse_json(l)?;
    let o = Obj { v: &v, l };
    let ty = o
        .opt_enum("type", &EVENT_NAMES)?
        .ok_or_else(|| o.err("type", "mandatory field is missing".into()))?;
    Ok(CollectionRow {
        time: o.time()?.unwrap_or(Time::MAX),
        id: o.i64("collection_id")? as u64,
        ty,
        info: Collection {
            user: o.opt_str("user"),
            max_per_machine: o.opt_i64("max_per_machine")?,
        },
    })
}

struct Feed2019 {
    rows: Lines,
    colls_in: Option<Peekable<Lines>>,
    colls: BTreeMap<u64, Collection>,
    dying: BTreeSet<(Time, u64)>,
    borg: Borg,
    cap: Resources,
    bad: BadRows,
}

impl Feed2019 {
    /// Reads collection events up to time `t`.
    fn advance_collections(&mut self, t: Time) -> Result<(), TraceError> {
        let Some(it) = self.colls_in.as_mut() else {
            return Ok(());
        };
        loop {
            let next_time = match it.peek() {
                None => break,
                Some(Err(_)) => None,
                Some(Ok(l)) if l.text.trim().is_empty() => Some(0),
                Some(Ok(l)) => Some(collection_row(l).map(|r| r.time).unwrap_or(0)),
            };
            if let Some(nt) = next_time {
                if nt > t {
                    break;
                }
            }
            let l = it.next().expect("peeked")?;
            if l.text.trim().is_empty() {
                continue;
            }
            match collection_row(&l) {
                Ok(r) => {
                    self.bad.stats.borrow_mut().bump("collection_rows", 1);
                    if (4..=8).contains(&r.ty) {
                        self.dying.insert((r.time, r.id));
                    }
                    let e = self.colls.entry(r.id).or_insert(Collection {
                        user: None,
                        max_per_machine: None,
                    });
                    if r.info.user.is_some() {
                        e.user = r.info.user;
                    }
                    if r.info.max_per_machine.is_some() {
                        e.max_per_machine = r.info.max_per_machine;
                    }
                }
                Err(e) => self.bad.handle(e)?,
            }
        }
        while let Some(&(since, id)) = self.dying.first() {
            if since.saturating_add(IDLE_RETIRE) > t {
                break;
            }
            self.dying.pop_first();
            self.colls.remove(&id);
        }
        Ok(())
    }

    fn instance(&mut self, l: &Line) -> Result<Option<(Event, usize)>, TraceError> {
        let v = parse_json(l)?;
        let o = Obj { v: &v, l };
        let time = o.time()?;
        if let Some(t) = time {
            if t < self.borg.now() {
                return Err(o.err(
                    "time",
                    format!(
                        "rows are not in time order ({t} ns after {} ns): export the table with ORDER BY time",
                        self.borg.now()
                    ),
                ));
            }
        }
        let ty = o
            .opt_enum("type", &EVENT_NAMES)?
            .ok_or_else(|| o.err("type", "mandatory field is missing".into()))?;
        let ev = match ty {
            0 => Ev::Submit,
            3 => Ev::Schedule,
            4..=8 => Ev::End,
            1 | 2 | 9 | 10 => Ev::Update,
            _ => return Err(o.err("type", format!("unknown event type {ty} (expected 0-10)"))),
        };
        let ctype = o
            .opt_enum("collection_type", &["JOB", "ALLOC_SET"])?
            .unwrap_or(0);
        let job = o.i64("collection_id")? as u64;
        let index = o.opt_i64("instance_index")?.unwrap_or(0);
        let index = u32::try_from(index)
            .map_err(|_| o.err("instance_index", format!("out of range: {index}")))?;
        let priority = o.opt_i64("priority")?.map(|p| p as i32);
        let class = o.opt_enum("scheduling_class", &[])?.map(|c| c as u8);
        let rr = o.get("resource_request");
        let cpus = o.opt_f64(rr.and_then(|r| r.get("cpus")), "resource_request.cpus")?;
        let mem = o.opt_f64(rr.and_then(|r| r.get("memory")), "resource_request.memory")?;
        let resources = (cpus.is_some() || mem.is_some()).then(|| Resources {
            cpus: scale(cpus.unwrap_or(0.0), self.cap.cpus),
            mem: scale(mem.unwrap_or(0.0), self.cap.mem),
            disk: 0,
            gpus: 0,
            revocable_cpus: 0,
        });
        let mut constraints = Vec::new();
        if let Some(Value::Array(cs)) = o.get("constraint") {
            for c in cs {
                let co = Obj { v: c, l };
                let rel = co.opt_enum("relation", &RELATIONS)?.unwrap_or(0);
                constraints.push(Constraint::Attribute {
                    name: co.opt_str("name").unwrap_or_default(),
                    relation: RELATIONS
                        .get(rel as usize)
                        .ok_or_else(|| {
                            o.err("constraint.relation", format!("unknown relation {rel}"))
                        })?
                        .to_string(),
                    value: co.opt_str("value").unwrap_or_default(),
                });
            }
        }
        self.advance_collections(time.unwrap_or(self.borg.now()))?;
        let coll = self.colls.get(&job);
        if coll.and_then(|c| c.max_per_machine) == Some(1) {
            constraints.push(Constraint::DistinctMachines);
        }
        self.bad
            .stats
            .borrow_mut()
            .bump(&format!("event:{}", EVENT_NAMES[ty as usize]), 1);
        if ctype == 1 {
            self.bad
                .stats
                .borrow_mut()
                .bump("alloc_instance_rows_skipped", 1);
            return Ok(None);
        }
        Ok(Some((
            Event {
                time,
                job,
                index,
                ev,
                priority,
                class,
                user: coll.and_then(|c| c.user.clone()),
                resources,
                constraints: Some(constraints),
            },
            ty as usize,
        )))
    }
}

impl Feed for Feed2019 {
    fn step(&mut self, out: &mut Vec<TraceJob>) -> Result<bool, TraceError> {
        for _ in 0..4096 {
            let Some(l) = self.rows.next() else {
                self.borg.finish(out);
                return Ok(false);
            };
            let l = l?;
            if l.text.trim().is_empty() {
                continue;
            }
            self.bad.stats.borrow_mut().rows += 1;
            match self.instance(&l) {
                Ok(Some((e, _))) => self.borg.event(e, out),
                Ok(None) => {}
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

/// The jobs of an `instance_events` export (file or folder), in submit order.
pub fn jobs(src: &TraceSource, bad: BadRows) -> Result<TraceJobs, TraceError> {
    let parts = table_parts(&src.path, "instance_events")?;
    if parts.is_empty() {
        return Err(TraceError::file(
            &src.path,
            "no instance_events files found",
        ));
    }
    let colls = sibling_table(&src.path, "collection_events")?;
    let feed = Feed2019 {
        rows: Lines::new(parts),
        colls_in: colls.map(|c| Lines::new(c).peekable()),
        colls: BTreeMap::new(),
        dying: BTreeSet::new(),
        borg: Borg::new(SERVICE_PRIORITY, bad.stats.clone()),
        cap: src.machine_capacity,
        bad,
    };
    Ok(ordered(feed, src.sort_buffer_tasks))
}

/// `machine_events` (JSON lines: `time`, `machine_id`, `type` 1 ADD / 2 REMOVE /
/// 3 UPDATE, `capacity {cpus, memory}`, `platform_id`, `switch_id`) into machine
/// intervals ordered by add time, then id.
pub fn read_machine_events(
    parts: Vec<std::path::PathBuf>,
    cap: &Resources,
) -> Result<Vec<Machine>, TraceError> {
    let mut live: BTreeMap<u64, Machine> = BTreeMap::new();
    let mut done: Vec<(u64, Machine)> = Vec::new();
    let mut last = 0;
    for l in Lines::new(parts) {
        let l = l?;
        if l.text.trim().is_empty() {
            continue;
        }
        let v = parse_json(&l)?;
        let o = Obj { v: &v, l: &l };
        let t = o.time()?.unwrap_or(last);
        last = last.max(t);
        let id = o.i64("machine_id")? as u64;
        let ty = o
            .opt_enum("type", &["EVENT_TYPE_UNKNOWN", "ADD", "REMOVE", "UPDATE"])?
            .unwrap_or(0);
        let c = o.get("capacity");
        let cpus = o.opt_f64(c.and_then(|c| c.get("cpus")), "capacity.cpus")?;
        let mem = o.opt_f64(c.and_then(|c| c.get("memory")), "capacity.memory")?;
        let capacity = Resources {
            cpus: scale(cpus.unwrap_or(0.0), cap.cpus),
            mem: scale(mem.unwrap_or(0.0), cap.mem),
            disk: cap.disk,
            gpus: 0,
            revocable_cpus: 0,
        };
        match ty {
            1 => {
                if let Some(m) = live.remove(&id) {
                    done.push((id, m));
                }
                let mut attributes = BTreeMap::new();
                for k in ["platform_id", "switch_id"] {
                    if let Some(s) = o.opt_str(k) {
                        attributes.insert(k.to_string(), s);
                    }
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
            2 => {
                if let Some(mut m) = live.remove(&id) {
                    m.remove_time = Some(t);
                    done.push((id, m));
                }
            }
            3 => {
                if let Some(m) = live.get_mut(&id) {
                    if cpus.is_some() || mem.is_some() {
                        m.capacity = capacity;
                    }
                }
            }
            _ => {
                return Err(o.err(
                    "type",
                    format!("unknown machine event type {ty} (expected 1-3)"),
                ))
            }
        }
    }
    done.extend(live);
    done.sort_by_key(|(id, m)| (m.add_time, *id));
    Ok(done.into_iter().map(|(_, m)| m).collect())
}

pub fn machines(src: &TraceSource) -> Result<Option<Vec<Machine>>, TraceError> {
    match sibling_table(&src.path, "machine_events")? {
        Some(p) => read_machine_events(p, &src.machine_capacity).map(Some),
        None => Ok(None),
    }
}
