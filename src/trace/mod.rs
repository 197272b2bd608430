//! Real workload traces and a synthetic generator, read into one normalized, streaming
//! record.
//!
//! Readers: Google cluster-usage 2011 (`clusterdata-2011-2`) and 2019 (`clusterdata-2019`,
//! format v3), Alibaba `cluster-trace-v2018`, `cluster-trace-v2017` and
//! `cluster-trace-gpu-v2023` ("openb"), the Parallel Workloads Archive's Standard Workload
//! Format (SWF), and schedlab's own normalized CSV. Each reads plain or gzip files, one
//! file or a folder of parts, row by row: memory holds the in-flight state of the format
//! (tasks that have been submitted but have not ended) and a bounded sort buffer, never
//! the whole file. See docs/traces.md for units and normalizations per format.
//!
//! ```
//! use schedlab::trace::{self, synth::SynthConfig, TraceSource};
//! // A synthetic workload streams like a trace does.
//! let cfg: SynthConfig = toml::from_str(r#"
//!     seed = 7
//!     max_jobs = 100
//!     [arrival]
//!     process = "poisson"
//!     rate_per_s = 2.0
//! "#).unwrap();
//! let jobs: Vec<_> = trace::synth::generate(&cfg).map(|j| j.unwrap()).collect();
//! assert_eq!(jobs.len(), 100);
//! assert!(jobs.windows(2).all(|w| w[0].submit <= w[1].submit));
//! # let _ = TraceSource::new("x");
//! ```

pub mod alibaba;
mod borg;
pub mod cli;
pub mod error;
pub mod google2011;
pub mod google2019;
pub mod input;
pub mod inspect;
pub mod normalized;
pub mod sort;
pub mod swf;
pub mod synth;

pub use error::TraceError;
pub use input::{ReadStats, Stats};
pub use inspect::{inspect, Report};

use crate::actor::Time;
use crate::job::{Job, JobKind, JobStream, TaskSpec};
use crate::resources::Resources;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The trace formats schedlab reads. The names are what `--format` and scenario files
/// take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Format {
    /// Google `clusterdata-2011-2`: `task_events` (+ `machine_events`) CSV parts.
    #[serde(rename = "google-2011")]
    Google2011,
    /// Google `clusterdata-2019` (format v3): `instance_events` (+ `collection_events`,
    /// `machine_events`) as JSON lines exported from the public BigQuery tables.
    #[serde(rename = "google-2019")]
    Google2019,
    /// Alibaba `cluster-trace-v2018`: `batch_task` (+ `container_meta`, `machine_meta`).
    #[serde(rename = "alibaba-2018")]
    Alibaba2018,
    /// Alibaba `cluster-trace-v2017`: `batch_task` (a different layout from 2018's).
    #[serde(rename = "alibaba-2017")]
    Alibaba2017,
    /// Alibaba `cluster-trace-gpu-v2023` ("openb"): pod list (+ node list).
    #[serde(rename = "alibaba-gpu-2023")]
    AlibabaGpu2023,
    /// Standard Workload Format of the Parallel Workloads Archive.
    #[serde(rename = "swf")]
    Swf,
    /// schedlab's normalized CSV (what `trace convert` and `trace synth` write).
    #[serde(rename = "normalized")]
    Normalized,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Google2011,
        Format::Google2019,
        Format::Alibaba2018,
        Format::Alibaba2017,
        Format::AlibabaGpu2023,
        Format::Swf,
        Format::Normalized,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Google2011 => "google-2011",
            Format::Google2019 => "google-2019",
            Format::Alibaba2018 => "alibaba-2018",
            Format::Alibaba2017 => "alibaba-2017",
            Format::AlibabaGpu2023 => "alibaba-gpu-2023",
            Format::Swf => "swf",
            Format::Normalized => "normalized",
        }
    }

    /// `google-2011, google-2019, ...` for messages.
    pub fn names() -> String {
        Format::ALL.map(Format::name).join(", ")
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown trace format `{s}`: use one of {}", Format::names()))
    }
}

/// A placement constraint carried by a task, where the format has them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Constraint {
    /// Every task of the job on a different machine (Google 2011 task_events field 13
    /// "different machines restriction"; Google 2019 `max_per_machine = 1`).
    DistinctMachines,
    /// A machine attribute compared with a value (Google 2019 `MachineConstraint`:
    /// `relation` is one of EQUAL, NOT_EQUAL, LESS_THAN, GREATER_THAN, LESS_THAN_EQUAL,
    /// GREATER_THAN_EQUAL, PRESENT, NOT_PRESENT).
    Attribute {
        name: String,
        relation: String,
        value: String,
    },
    /// The machine attribute must be one of `values` (openb `gpu_spec`: allowed GPU models).
    AttributeIn { name: String, values: Vec<String> },
}

/// `count` identical tasks, indices `index .. index + count`, of one job.
///
/// Grouping identical tasks keeps Alibaba's tasks (one row per task, `inst_num` up to
/// tens of thousands of instances) and SWF's parallel jobs (one row, N processors) small.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceTask {
    pub index: u32,
    pub count: u32,
    /// When the task was submitted (tasks of one job may be submitted at different
    /// times in the Google traces; the job's submit is the earliest).
    pub submit: Time,
    pub resources: Resources,
    /// How long it ran in the trace (see each reader for what counts as running).
    pub duration: Time,
    /// The trace's own name for the task, where it has one (Alibaba `task_name`, which
    /// encodes the DAG, see [`alibaba::dag`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<Constraint>,
}

/// A job as a trace describes it: the normalized [`Job`] plus what only some formats
/// have (scheduling class, task names, constraints, the trace's own job name).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceJob {
    pub id: u64,
    /// The trace's own job id where it is not a number (`j_1234`, `openb-pod-0001`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub submit: Time,
    pub priority: i32,
    /// Google's latency sensitivity, 0 (least) to 3 (most).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sched_class: Option<u8>,
    pub kind: JobKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    pub tasks: Vec<TraceTask>,
}

impl TraceJob {
    /// Number of tasks (expanding the groups).
    pub fn task_count(&self) -> u64 {
        self.tasks.iter().map(|t| u64::from(t.count)).sum()
    }

    /// The replay record: one `TaskSpec` per task, groups expanded.
    pub fn into_job(self) -> Job {
        let mut tasks = Vec::with_capacity(self.task_count() as usize);
        for t in &self.tasks {
            for i in 0..t.count {
                tasks.push(TaskSpec {
                    index: t.index + i,
                    resources: t.resources,
                    duration: t.duration,
                });
            }
        }
        Job {
            id: self.id,
            submit: self.submit,
            priority: self.priority,
            kind: self.kind,
            user: self.user,
            tasks,
        }
    }

    /// Sort key of the replay stream: submit time, then id.
    pub fn key(&self) -> (Time, u64) {
        (self.submit, self.id)
    }
}

/// A stream of trace jobs in non-decreasing submit time.
pub type TraceJobs = Box<dyn Iterator<Item = Result<TraceJob, TraceError>>>;

/// A machine of the traced cluster. A machine removed and added again is two entries
/// with the same id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    pub id: String,
    pub capacity: Resources,
    /// Attributes where the format has them (failure domains, platform, GPU model).
    pub attributes: BTreeMap<String, String>,
    pub add_time: Time,
    /// `None`: present until the end of the trace.
    pub remove_time: Option<Time>,
}

/// `count` machines of one shape, to synthesize a cluster where a trace has no machine
/// table (Google 2011 samples without `machine_events`, Alibaba 2017).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineClass {
    pub count: u32,
    pub capacity: Resources,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// Synthesizes machines `m0, m1, ...` from a mix, all present from time 0.
pub fn machines_from_mix(mix: &[MachineClass]) -> Vec<Machine> {
    let mut out = Vec::new();
    for class in mix {
        for _ in 0..class.count {
            out.push(Machine {
                id: format!("m{}", out.len()),
                capacity: class.capacity,
                attributes: class.attributes.clone(),
                add_time: 0,
                remove_time: None,
            });
        }
    }
    out
}

fn one() -> f64 {
    1.0
}

/// The default capacity that normalized requests are scaled by: 32 CPUs, 128 GiB of
/// memory, 1 TiB of disk. Google normalizes each resource "relative to the largest
/// capacity of the resource on any machine in the trace" (2011 schema document), so
/// this is the largest machine's capacity, which Google does not publish.
pub fn default_machine_capacity() -> Resources {
    Resources::new(32.0, 128 * 1024).with_disk(1024 * 1024)
}

fn default_sort_buffer() -> usize {
    250_000
}

/// How a scenario replays a trace. Paths are used as given (the scenario loader makes
/// them relative to the scenario file).
///
/// ```toml
/// path = "../shared/traces/swf/KTH-SP2-1996-2.1-cln.swf.gz"
/// format = "swf"                 # optional: detected from name and contents
/// time_window = ["1d", "2d"]     # keep jobs submitted in [1 d, 2 d), shifted to start at 0
/// speedup = 2.0                  # submit times divided by 2 (twice the arrival rate)
/// sample = 0.1                   # keep 10 % of jobs, chosen by a hash of (seed, job id)
/// seed = 1
/// machine_capacity = { cpus = 32000, mem = 131072, disk = 1048576, gpus = 0 }
/// skip_bad = false
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceSource {
    pub path: PathBuf,
    #[serde(default)]
    pub format: Option<Format>,
    /// `[start, end)` of submit times to keep, as durations with a unit (`"1h"`); the kept
    /// jobs are shifted so that `start` becomes 0.
    #[serde(default, with = "window_serde")]
    pub time_window: Option<(Time, Time)>,
    /// Submit times (after the window shift) are divided by this: 2.0 replays the same
    /// jobs at twice the arrival rate. Durations are not changed.
    #[serde(default = "one")]
    pub speedup: f64,
    /// Fraction of jobs kept, in (0, 1]; which ones is a hash of (`seed`, job id), so the
    /// same seed keeps the same jobs in every run and every reader.
    #[serde(default = "one")]
    pub sample: f64,
    #[serde(default)]
    pub seed: u64,
    /// What 1.0 of a normalized request means (Google 2011/2019 CPU, memory, disk;
    /// Alibaba memory, whose 100 means the largest machine's memory).
    #[serde(default = "default_machine_capacity")]
    pub machine_capacity: Resources,
    /// Skip malformed rows (counted in the report) instead of stopping at the first.
    #[serde(default)]
    pub skip_bad: bool,
    /// The cluster to synthesize where the trace has no machine table.
    #[serde(default)]
    pub machine_mix: Vec<MachineClass>,
    /// Tasks held in memory by a reader's sort buffer before it spills to temporary
    /// files (bounds memory on traces that are not in submit order).
    #[serde(default = "default_sort_buffer")]
    pub sort_buffer_tasks: usize,
}

impl TraceSource {
    /// Defaults for everything but the path.
    pub fn new(path: impl Into<PathBuf>) -> TraceSource {
        TraceSource {
            path: path.into(),
            format: None,
            time_window: None,
            speedup: 1.0,
            sample: 1.0,
            seed: 0,
            machine_capacity: default_machine_capacity(),
            skip_bad: false,
            machine_mix: Vec::new(),
            sort_buffer_tasks: default_sort_buffer(),
        }
    }

    pub fn with_format(mut self, f: Format) -> TraceSource {
        self.format = Some(f);
        self
    }

    /// Checks the numeric options.
    pub fn validate(&self) -> Result<(), TraceError> {
        let bad = |m: String| Err(TraceError::file(&self.path, m));
        if !(self.speedup.is_finite() && self.speedup > 0.0) {
            return bad(format!("speedup must be > 0, got {}", self.speedup));
        }
        if !(self.sample > 0.0 && self.sample <= 1.0) {
            return bad(format!("sample must be in (0, 1], got {}", self.sample));
        }
        if let Some((a, b)) = self.time_window {
            if a >= b {
                return bad(format!("time_window start {a} ns is not before end {b} ns"));
            }
        }
        Ok(())
    }
}

mod window_serde {
    use crate::actor::Time;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Deserialize)]
    struct W(#[serde(with = "crate::units::duration")] Time);

    pub fn serialize<S: Serializer>(w: &Option<(Time, Time)>, s: S) -> Result<S::Ok, S::Error> {
        w.map(|(a, b)| {
            [
                crate::units::format_duration(a),
                crate::units::format_duration(b),
            ]
        })
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<(Time, Time)>, D::Error> {
        let v: Option<[W; 2]> = Option::deserialize(d)?;
        Ok(v.map(|[a, b]| (a.0, b.0)))
    }
}

/// Guesses the format of `path` from file names, then from the first bytes. Refuses
/// clearly rather than guessing wrong.
pub fn detect(path: &Path) -> Result<Format, TraceError> {
    let refuse = || {
        TraceError::file(
            path,
            format!(
                "cannot detect format of {}: use --format one of {}",
                path.display(),
                Format::names()
            ),
        )
    };
    let names: Vec<String> = if path.is_dir() {
        let mut v = Vec::new();
        for e in std::fs::read_dir(path)
            .map_err(|e| TraceError::file(path, format!("cannot list folder: {e}")))?
            .flatten()
        {
            v.push(e.file_name().to_string_lossy().into_owned());
        }
        v.sort();
        v
    } else if path.is_file() {
        vec![path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()]
    } else {
        return Err(TraceError::file(path, "no such file or folder"));
    };
    let has = |s: &str| names.iter().any(|n| n.contains(s));
    if has("task_events") {
        return Ok(Format::Google2011);
    }
    if has("instance_events") {
        return Ok(Format::Google2019);
    }
    if has("openb_pod_list") {
        return Ok(Format::AlibabaGpu2023);
    }
    if names
        .iter()
        .any(|n| n.ends_with(".swf") || n.ends_with(".swf.gz"))
    {
        return Ok(Format::Swf);
    }
    if has("machine_meta") || has("container_meta") {
        return Ok(Format::Alibaba2018);
    }
    // Content: the first file of the folder, or the file.
    let first = if path.is_dir() {
        let pick = names.iter().find(|n| n.contains("batch_task")).or_else(|| {
            names
                .iter()
                .find(|n| !n.starts_with('.') && !n.ends_with(".md"))
        });
        match pick {
            Some(n) => path.join(n),
            None => return Err(refuse()),
        }
    } else {
        path.to_path_buf()
    };
    if !first.is_file() {
        return Err(refuse());
    }
    let head = input::peek(&first, 4096)?;
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if line.starts_with(normalized::HEADER) {
        return Ok(Format::Normalized);
    }
    if line.starts_with(';') {
        return Ok(Format::Swf);
    }
    if line.starts_with("name,cpu_milli") {
        return Ok(Format::AlibabaGpu2023);
    }
    if line.trim_start().starts_with('{') && line.contains("collection_id") {
        return Ok(Format::Google2019);
    }
    let fields: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
    let numeric = |s: &str| s.trim().is_empty() || s.trim().parse::<f64>().is_ok();
    match fields.len() {
        13 if fields.iter().enumerate().all(|(i, f)| i == 6 || numeric(f)) => {
            Ok(Format::Google2011)
        }
        9 if fields[2].starts_with("j_") => Ok(Format::Alibaba2018),
        8 if fields[..5].iter().all(|f| numeric(f))
            && fields[5].chars().all(|c| c.is_ascii_alphabetic()) =>
        {
            Ok(Format::Alibaba2017)
        }
        _ => Err(refuse()),
    }
}

/// The format of `src`: as given, or detected.
pub fn format_of(src: &TraceSource) -> Result<Format, TraceError> {
    match src.format {
        Some(f) => Ok(f),
        None => detect(&src.path),
    }
}

/// Reads a trace into its rich, time-ordered records, with the counters of the read.
pub fn read(src: &TraceSource) -> Result<(TraceJobs, Stats), TraceError> {
    src.validate()?;
    let stats = Stats::default();
    let bad = input::BadRows {
        skip: src.skip_bad,
        stats: stats.clone(),
    };
    let jobs = match format_of(src)? {
        Format::Google2011 => google2011::jobs(src, bad)?,
        Format::Google2019 => google2019::jobs(src, bad)?,
        Format::Alibaba2018 => alibaba::jobs_2018(src, bad)?,
        Format::Alibaba2017 => alibaba::jobs_2017(src, bad)?,
        Format::AlibabaGpu2023 => alibaba::jobs_gpu2023(src, bad)?,
        Format::Swf => swf::jobs(src, bad)?,
        Format::Normalized => normalized::jobs(src, bad)?,
    };
    Ok((jobs, stats))
}

/// 64-bit mix (splitmix64's finalizer): a fixed, platform-independent hash for sampling.
pub fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Whether job `id` is in the `sample` fraction for `seed`.
pub fn sampled(seed: u64, id: u64, sample: f64) -> bool {
    if sample >= 1.0 {
        return true;
    }
    let h = mix64(seed ^ mix64(id));
    (h as f64) < sample * (u64::MAX as f64)
}

/// Applies `time_window`, `speedup` and `sample` to a time-ordered stream.
pub fn apply_replay_options(src: &TraceSource, jobs: TraceJobs) -> TraceJobs {
    let (start, end) = src.time_window.unwrap_or((0, Time::MAX));
    let (speedup, sample, seed) = (src.speedup, src.sample, src.seed);
    let mut done = false;
    Box::new(
        jobs.filter_map(move |r| {
            if done {
                return None;
            }
            match r {
                Err(e) => {
                    done = true;
                    Some(Err(e))
                }
                Ok(mut j) => {
                    if j.submit < start || !sampled(seed, j.id, sample) {
                        return Some(Ok(None));
                    }
                    if j.submit >= end {
                        // The stream is in submit order: nothing later can be in the window.
                        done = true;
                        return None;
                    }
                    let shift = |t: Time| ((t - start) as f64 / speedup).round() as Time;
                    j.submit = shift(j.submit);
                    for t in &mut j.tasks {
                        t.submit = shift(t.submit.max(start));
                    }
                    Some(Ok(Some(j)))
                }
            }
        })
        .filter_map(|r| r.transpose()),
    )
}

/// The replay stream of a trace for a scenario: time-ordered `Job`s, lazily read, after
/// the window, speedup and sampling of `src`.
pub fn open(src: &TraceSource) -> Result<JobStream, TraceError> {
    open_with_stats(src).map(|(jobs, _)| jobs)
}

/// [`open`], plus the reader's counters (rows read, bad rows skipped with `skip_bad`,
/// tasks dropped because they never ran), to be read once the stream is drained.
pub fn open_with_stats(src: &TraceSource) -> Result<(JobStream, Stats), TraceError> {
    let (jobs, stats) = read(src)?;
    let jobs = apply_replay_options(src, jobs);
    let jobs: JobStream = Box::new(jobs.map(|r| r.map(TraceJob::into_job).map_err(String::from)));
    Ok((jobs, stats))
}

/// The traced cluster's machines, where the format has them (Google `machine_events`,
/// Alibaba `machine_meta`, openb node list, SWF `MaxNodes`/`MaxProcs` header); else the
/// `machine_mix` of `src` if it has one; else `None`.
pub fn machines(src: &TraceSource) -> Result<Option<Vec<Machine>>, TraceError> {
    src.validate()?;
    let from_trace = match format_of(src)? {
        Format::Google2011 => google2011::machines(src)?,
        Format::Google2019 => google2019::machines(src)?,
        Format::Alibaba2018 => alibaba::machines_2018(src)?,
        Format::AlibabaGpu2023 => alibaba::machines_gpu2023(src)?,
        Format::Swf => swf::machines(src)?,
        Format::Alibaba2017 | Format::Normalized => None,
    };
    Ok(match from_trace {
        Some(m) => Some(m),
        None if !src.machine_mix.is_empty() => Some(machines_from_mix(&src.machine_mix)),
        None => None,
    })
}

/// Looks for another table of the same trace next to `path`: inside it if it is a
/// folder, else in its folder, or the folder above when the file sits in a per-table
/// folder (`trace/task_events/part-0.csv.gz` -> `trace/machine_events/`).
pub(crate) fn sibling_table(path: &Path, table: &str) -> Result<Option<Vec<PathBuf>>, TraceError> {
    if path.is_dir() {
        return input::optional_table(path, table);
    }
    let Some(dir) = path.parent().filter(|d| d.is_dir()) else {
        return Ok(None);
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Some(v) = input::optional_table(dir, table)? {
        return Ok(Some(v));
    }
    // `trace/task_events/part-0.csv.gz`: the other tables are beside `task_events/`.
    const TABLE_DIRS: [&str; 4] = ["task_events", "instance_events", "job_events", "batch_task"];
    let in_table_dir = dir
        .file_name()
        .is_some_and(|n| TABLE_DIRS.contains(&n.to_string_lossy().as_ref()));
    match dir.parent() {
        Some(up) if in_table_dir && up.is_dir() => input::optional_table(up, table),
        _ => Ok(None),
    }
}

/// Scales a normalized request (fraction of the largest machine) to fixed point.
pub(crate) fn scale(v: f64, cap: u64) -> u64 {
    (v.max(0.0) * cap as f64).round() as u64
}
