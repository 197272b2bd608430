//! Analysis of finished runs: the sets of runs that `schedlab compare`, `plot` and
//! `report` read back from results directories (docs/design.md, Output contract).
//!
//! A *set of runs* is one of:
//! - a single run directory (it holds `summary.json`);
//! - a directory tree: every `summary.json` below it, in sorted path order, is one run
//!   (e.g. `results/drf-s1 ... results/drf-s10` under `results/`);
//! - a sweep directory (`sweep.csv` + `runs/<id>/`, written by `schedlab sweep`) split
//!   into groups by the value of one parameter column (`--by allocator.policy`), in the
//!   order the values first appear in `sweep.csv`.
//!
//! ```no_run
//! use schedlab::analysis::{load_set, metric_values, METRICS};
//! let drf = load_set(std::path::Path::new("results/drf")).unwrap();
//! let jain = metric_values(&drf, "jain").unwrap();
//! println!("{} runs, mean Jain {}", jain.len(), schedlab::stats::mean(&jain));
//! # let _ = METRICS;
//! ```

pub mod compare;

use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};

/// Bad or missing input, with the file (and line or field) it concerns: exit code 2.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisError(pub String);

impl fmt::Display for AnalysisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AnalysisError {}

fn err<T>(msg: impl Into<String>) -> Result<T, AnalysisError> {
    Err(AnalysisError(msg.into()))
}

/// One finished run: its directory and its parsed `summary.json`.
#[derive(Clone, Debug)]
pub struct Run {
    pub dir: PathBuf,
    /// How the run is named in tables and legends (its path relative to the set root,
    /// or the sweep's run id).
    pub label: String,
    pub summary: Value,
}

/// A named set of runs, one side of a comparison or one line of a plot.
#[derive(Clone, Debug)]
pub struct RunSet {
    pub label: String,
    pub runs: Vec<Run>,
}

/// A metric of `summary.json`: its short name and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub name: String,
    /// Path of the field in `summary.json`, dot separated.
    pub path: String,
}

/// The headline metrics compared by default, in table order: (name, path in
/// `summary.json`). Times are in seconds, utilization and fairness are fractions.
pub const METRICS: &[(&str, &str)] = &[
    ("makespan", "makespan_s"),
    ("jct_mean", "job_completion_s.mean"),
    ("jct_p50", "job_completion_s.p50"),
    ("jct_p90", "job_completion_s.p90"),
    ("jct_p99", "job_completion_s.p99"),
    ("wait_mean", "task_wait_s.mean"),
    ("wait_p50", "task_wait_s.p50"),
    ("wait_p90", "task_wait_s.p90"),
    ("wait_p99", "task_wait_s.p99"),
    ("util_cpus", "utilization.cpus"),
    ("util_mem", "utilization.mem"),
    ("jain", "fairness.jain_index"),
    ("share_gap", "fairness.mean_share_gap"),
    ("tasks_lost", "tasks.lost"),
];

/// Resolves a metric name: one of [`METRICS`] (by name or path) or any dotted path of
/// a numeric field of `summary.json` (e.g. `fairness.max_share_gap`).
pub fn metric(name: &str) -> Metric {
    let (n, p) = METRICS
        .iter()
        .find(|(n, p)| *n == name || *p == name)
        .copied()
        .unwrap_or((name, name));
    Metric {
        name: n.to_string(),
        path: p.to_string(),
    }
}

/// The value at a dotted path of a JSON document.
pub fn field<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| match v {
        Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => v.get(k),
    })
}

/// The value of metric `name` in every run of `set`, or an error naming the run's
/// `summary.json` and the field when one is missing or not a number.
pub fn metric_values(set: &RunSet, name: &str) -> Result<Vec<f64>, AnalysisError> {
    let m = metric(name);
    set.runs
        .iter()
        .map(
            |r| match field(&r.summary, &m.path).and_then(Value::as_f64) {
                Some(x) => Ok(x),
                None => err(format!(
                    "{}: field `{}` (metric `{}`) is missing or not a number",
                    r.dir.join("summary.json").display(),
                    m.path,
                    m.name
                )),
            },
        )
        .collect()
}

/// Reads and parses one run directory's `summary.json`.
pub fn load_run(dir: &Path, label: String) -> Result<Run, AnalysisError> {
    let path = dir.join("summary.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => return err(format!("{}: cannot read: {e}", path.display())),
    };
    let summary: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return err(format!(
                "{}:{}: not valid JSON: {e}",
                path.display(),
                e.line()
            ))
        }
    };
    if !summary.is_object() {
        return err(format!("{}: not a JSON object", path.display()));
    }
    Ok(Run {
        dir: dir.to_path_buf(),
        label,
        summary,
    })
}

/// Every directory under `root` (itself included) that holds a `summary.json`, in
/// sorted path order.
pub fn find_run_dirs(root: &Path) -> Result<Vec<PathBuf>, AnalysisError> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if dir.join("summary.json").is_file() {
            out.push(dir.clone());
        }
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => return err(format!("{}: cannot read directory: {e}", dir.display())),
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Loads a set of runs from a run directory or a tree of them (see the module doc).
pub fn load_set(path: &Path) -> Result<RunSet, AnalysisError> {
    if !path.is_dir() {
        return err(format!(
            "{}: not a directory (expected a run directory or a tree of them)",
            path.display()
        ));
    }
    let dirs = find_run_dirs(path)?;
    if dirs.is_empty() {
        return err(format!("{}: no summary.json found below", path.display()));
    }
    let runs = dirs
        .iter()
        .map(|d| {
            let rel = d.strip_prefix(path).unwrap_or(d);
            let label = if rel.as_os_str().is_empty() {
                d.file_name()
                    .map_or_else(|| d.display().to_string(), |n| n.to_string_lossy().into())
            } else {
                rel.display().to_string()
            };
            load_run(d, label)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RunSet {
        label: path.display().to_string(),
        runs,
    })
}

/// Whether `dir` is a sweep directory (holds `sweep.csv`).
pub fn is_sweep(dir: &Path) -> bool {
    dir.join("sweep.csv").is_file()
}

/// Splits a sweep directory's runs into groups by the value of column `key` of
/// `sweep.csv`, in first-appearance order; each group is labelled `key=value`.
pub fn load_groups(sweep: &Path, key: &str) -> Result<Vec<RunSet>, AnalysisError> {
    let csv_path = sweep.join("sweep.csv");
    let mut rd = match csv::Reader::from_path(&csv_path) {
        Ok(r) => r,
        Err(e) => return err(format!("{}: cannot read: {e}", csv_path.display())),
    };
    let headers = match rd.headers() {
        Ok(h) => h.clone(),
        Err(e) => return err(format!("{}:1: bad header: {e}", csv_path.display())),
    };
    let col = |name: &str| headers.iter().position(|h| h == name);
    let Some(dir_col) = col("dir") else {
        return err(format!("{}:1: no column `dir`", csv_path.display()));
    };
    let Some(key_col) = col(key) else {
        let cols: Vec<&str> = headers.iter().collect();
        return err(format!(
            "{}:1: no column `{key}` to group by (columns: {})",
            csv_path.display(),
            cols.join(", ")
        ));
    };
    let run_col = col("run");
    let mut groups: Vec<RunSet> = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => return err(format!("{}:{line}: {e}", csv_path.display())),
        };
        let (Some(dir), Some(value)) = (rec.get(dir_col), rec.get(key_col)) else {
            return err(format!(
                "{}:{line}: missing field `dir` or `{key}`",
                csv_path.display()
            ));
        };
        let label = run_col.and_then(|c| rec.get(c)).unwrap_or(dir).to_string();
        let run = load_run(&sweep.join(dir), label).map_err(|e| {
            AnalysisError(format!(
                "{}:{line}: field `dir`: {}",
                csv_path.display(),
                e.0
            ))
        })?;
        let glabel = format!("{key}={value}");
        match groups.iter_mut().find(|g| g.label == glabel) {
            Some(g) => g.runs.push(run),
            None => groups.push(RunSet {
                label: glabel,
                runs: vec![run],
            }),
        }
    }
    if groups.is_empty() {
        return err(format!("{}: no runs", csv_path.display()));
    }
    Ok(groups)
}

/// The sets named on a command line: with `by`, the groups of the sweep `paths[0]`;
/// otherwise one set per path (a sweep without `by` is the tree of its runs).
pub fn load_inputs(paths: &[PathBuf], by: Option<&str>) -> Result<Vec<RunSet>, AnalysisError> {
    match by {
        Some(key) => {
            if paths.len() != 1 {
                return err("--by groups the runs of one sweep directory: give exactly one");
            }
            if !is_sweep(&paths[0]) {
                return err(format!(
                    "{}: --by needs a sweep directory (no sweep.csv there)",
                    paths[0].display()
                ));
            }
            load_groups(&paths[0], key)
        }
        None => paths.iter().map(|p| load_set(p)).collect(),
    }
}
