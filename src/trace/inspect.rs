//! `inspect`: what a trace holds, in one streaming pass: counts, time span, arrival
//! rate per hour, and percentiles of task resources and durations.
//!
//! Percentiles come from a histogram that is exact while a quantity has at most 4,096
//! distinct values (job sizes, the few request sizes of most traces) and switches to
//! logarithmic buckets 1 % wide beyond that, so the report's memory does not grow with
//! the trace either. Means are exact.

use super::error::TraceError;
use super::input::ReadStats;
use super::{format_of, machines, read, Format, TraceSource};
use crate::actor::{Time, SEC};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

const EXACT_LIMIT: usize = 4096;
const LOG_BASE: f64 = 1.01;
const HOUR: Time = 3600 * SEC;
/// Hourly buckets kept (about 11 years).
const MAX_HOURS: u64 = 100_000;

/// A weighted histogram of non-negative values.
#[derive(Clone, Debug, Default)]
pub struct Hist {
    n: u64,
    sum: f64,
    min: f64,
    max: f64,
    exact: Option<BTreeMap<u64, u64>>,
    zeros: u64,
    log: BTreeMap<i32, u64>,
}

impl Hist {
    pub fn new() -> Hist {
        Hist {
            exact: Some(BTreeMap::new()),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            ..Default::default()
        }
    }

    fn log_add(&mut self, v: f64, w: u64) {
        if v <= 0.0 {
            self.zeros += w;
        } else {
            *self
                .log
                .entry((v.ln() / LOG_BASE.ln()).floor() as i32)
                .or_insert(0) += w;
        }
    }

    pub fn add(&mut self, v: f64, w: u64) {
        if w == 0 || !v.is_finite() {
            return;
        }
        self.n += w;
        self.sum += v * w as f64;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        if let Some(ex) = &mut self.exact {
            *ex.entry(v.max(0.0).to_bits()).or_insert(0) += w;
            if ex.len() > EXACT_LIMIT {
                let ex = self.exact.take().expect("some");
                for (b, c) in ex {
                    self.log_add(f64::from_bits(b), c);
                }
            }
        } else {
            self.log_add(v, w);
        }
    }

    /// The q-quantile (0 < q <= 1): the smallest value with at least q of the weight at
    /// or below it.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let rank = ((q * self.n as f64).ceil() as u64).clamp(1, self.n);
        let mut seen = 0;
        if let Some(ex) = &self.exact {
            for (b, c) in ex {
                seen += c;
                if seen >= rank {
                    return f64::from_bits(*b);
                }
            }
            return self.max;
        }
        seen += self.zeros;
        if seen >= rank {
            return 0.0;
        }
        for (i, c) in &self.log {
            seen += c;
            if seen >= rank {
                // Geometric middle of the bucket, within the observed range.
                return LOG_BASE.powf(f64::from(*i) + 0.5).clamp(self.min, self.max);
            }
        }
        self.max
    }

    pub fn summary(&self) -> Summary {
        Summary {
            count: self.n,
            mean: if self.n == 0 {
                f64::NAN
            } else {
                self.sum / self.n as f64
            },
            p50: self.quantile(0.5),
            p90: self.quantile(0.9),
            p99: self.quantile(0.99),
            min: if self.n == 0 { f64::NAN } else { self.min },
            max: if self.n == 0 { f64::NAN } else { self.max },
        }
    }
}

/// Count, mean and percentiles of one quantity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub min: f64,
    pub max: f64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "mean {:.4}  p50 {:.4}  p90 {:.4}  p99 {:.4}  min {:.4}  max {:.4}  (n = {})",
            self.mean, self.p50, self.p90, self.p99, self.min, self.max, self.count
        )
    }
}

/// What `inspect` found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub path: String,
    pub format: Format,
    pub jobs: u64,
    pub tasks: u64,
    /// Machines in the trace's machine table (or synthesized from `machine_mix`).
    pub machines: Option<u64>,
    pub first_submit_s: Option<f64>,
    pub last_submit_s: Option<f64>,
    /// Job arrivals per second: `(jobs - 1) / (last submit - first submit)`.
    pub job_rate_per_s: Option<f64>,
    pub tasks_per_job: Summary,
    /// Per task, in CPUs.
    pub cpus: Summary,
    pub mem_mib: Summary,
    pub disk_mib: Summary,
    /// Per task, in GPUs.
    pub gpus: Summary,
    /// Per task, seconds; tasks that run until the end (`Time::MAX`) are left out.
    pub duration_s: Summary,
    pub tasks_without_end: u64,
    pub services: u64,
    pub jobs_by_priority: BTreeMap<i32, u64>,
    /// Jobs submitted in each hour since time 0.
    pub arrivals_per_hour: Vec<u64>,
    /// The reader's counters: rows, skipped bad rows, events, dropped tasks.
    pub rows: u64,
    pub skipped_rows: u64,
    pub skipped_examples: Vec<String>,
    pub counts: BTreeMap<String, u64>,
}

/// Inspects the trace at `path` (format detected if `None`), with default options.
pub fn inspect(path: &Path, format: Option<Format>) -> Result<Report, TraceError> {
    let mut src = TraceSource::new(path);
    src.format = format;
    inspect_source(&src)
}

/// Inspects a trace as `src` reads it (capacity, `skip_bad`, ...; the window, speedup
/// and sampling are not applied).
pub fn inspect_source(src: &TraceSource) -> Result<Report, TraceError> {
    let format = format_of(src)?;
    let (jobs, stats) = read(src)?;
    inspect_stream(
        src.path.display().to_string(),
        format,
        jobs,
        machines(src)?.map(|m| m.len() as u64),
        move || stats.borrow().clone(),
    )
}

/// Inspects any stream of trace jobs.
pub fn inspect_stream(
    path: String,
    format: Format,
    jobs: super::TraceJobs,
    machines: Option<u64>,
    stats: impl FnOnce() -> ReadStats,
) -> Result<Report, TraceError> {
    let (mut n_jobs, mut n_tasks, mut services, mut no_end) = (0u64, 0u64, 0u64, 0u64);
    let (mut first, mut last): (Option<Time>, Option<Time>) = (None, None);
    let (mut tpj, mut cpus, mut mem, mut disk, mut gpus, mut dur) = (
        Hist::new(),
        Hist::new(),
        Hist::new(),
        Hist::new(),
        Hist::new(),
        Hist::new(),
    );
    let mut prio = BTreeMap::new();
    let mut hours: Vec<u64> = Vec::new();
    for j in jobs {
        let j = j?;
        n_jobs += 1;
        first.get_or_insert(j.submit);
        last = Some(j.submit);
        let h = j.submit / HOUR;
        if h < MAX_HOURS {
            if hours.len() <= h as usize {
                hours.resize(h as usize + 1, 0);
            }
            hours[h as usize] += 1;
        }
        *prio.entry(j.priority).or_insert(0) += 1;
        if j.kind == crate::job::JobKind::Service {
            services += 1;
        }
        let count = j.task_count();
        n_tasks += count;
        tpj.add(count as f64, 1);
        for t in &j.tasks {
            let w = u64::from(t.count);
            cpus.add(t.resources.cpus as f64 / 1000.0, w);
            mem.add(t.resources.mem as f64, w);
            disk.add(t.resources.disk as f64, w);
            gpus.add(t.resources.gpus as f64 / 1000.0, w);
            if t.duration == Time::MAX {
                no_end += w;
            } else {
                dur.add(t.duration as f64 / SEC as f64, w);
            }
        }
    }
    let s = stats();
    let rate = match (first, last) {
        (Some(a), Some(b)) if b > a && n_jobs > 1 => {
            Some((n_jobs - 1) as f64 / ((b - a) as f64 / SEC as f64))
        }
        _ => None,
    };
    Ok(Report {
        path,
        format,
        jobs: n_jobs,
        tasks: n_tasks,
        machines,
        first_submit_s: first.map(|t| t as f64 / SEC as f64),
        last_submit_s: last.map(|t| t as f64 / SEC as f64),
        job_rate_per_s: rate,
        tasks_per_job: tpj.summary(),
        cpus: cpus.summary(),
        mem_mib: mem.summary(),
        disk_mib: disk.summary(),
        gpus: gpus.summary(),
        duration_s: dur.summary(),
        tasks_without_end: no_end,
        services,
        jobs_by_priority: prio,
        arrivals_per_hour: hours,
        rows: s.rows,
        skipped_rows: s.skipped,
        skipped_examples: s.skipped_examples,
        counts: s.counts,
    })
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        writeln!(f, "trace      {} ({})", self.path, self.format)?;
        writeln!(
            f,
            "rows       {} read, {} skipped as malformed",
            self.rows, self.skipped_rows
        )?;
        for e in &self.skipped_examples {
            writeln!(f, "  skipped: {e}")?;
        }
        let m = self
            .machines
            .map(|m| m.to_string())
            .unwrap_or_else(|| "none in trace".into());
        writeln!(f, "jobs       {}  ({} services)", self.jobs, self.services)?;
        writeln!(
            f,
            "tasks      {}  ({} without an end: services)",
            self.tasks, self.tasks_without_end
        )?;
        writeln!(f, "machines   {m}")?;
        if let (Some(a), Some(b)) = (self.first_submit_s, self.last_submit_s) {
            writeln!(
                f,
                "submits    {a:.3} s .. {b:.3} s  (span {:.3} h)",
                (b - a) / 3600.0
            )?;
        }
        if let Some(r) = self.job_rate_per_s {
            writeln!(f, "job rate   {r:.6} /s")?;
        }
        writeln!(f, "tasks/job  {}", self.tasks_per_job)?;
        writeln!(f, "cpus       {}", self.cpus)?;
        writeln!(f, "mem MiB    {}", self.mem_mib)?;
        writeln!(f, "disk MiB   {}", self.disk_mib)?;
        writeln!(f, "gpus       {}", self.gpus)?;
        writeln!(f, "duration s {}", self.duration_s)?;
        let p: Vec<String> = self
            .jobs_by_priority
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect();
        writeln!(f, "priorities {}", p.join(" "))?;
        let nonzero = self.arrivals_per_hour.iter().filter(|&&c| c > 0).count();
        let peak = self.arrivals_per_hour.iter().max().copied().unwrap_or(0);
        writeln!(
            f,
            "arrivals   {} hours, {} with arrivals, peak {} jobs/h",
            self.arrivals_per_hour.len(),
            nonzero,
            peak
        )?;
        for (i, c) in self.arrivals_per_hour.iter().enumerate().take(48) {
            writeln!(f, "  hour {i:>4}: {c}")?;
        }
        if self.arrivals_per_hour.len() > 48 {
            writeln!(f, "  ... (--json for all hours)")?;
        }
        for (k, v) in &self.counts {
            writeln!(f, "count      {k} = {v}")?;
        }
        Ok(())
    }
}
