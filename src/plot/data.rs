//! Reading a run's `tasks.csv` and `timeseries.csv` back for plots: columns by header
//! name, errors naming the file, line and field.

use crate::analysis::AnalysisError;
use std::collections::BTreeMap;
use std::path::Path;

/// One row of `tasks.csv` (the fields plots use).
#[derive(Clone, Debug, PartialEq)]
pub struct TaskRow {
    pub job: String,
    pub task: String,
    pub framework: String,
    pub agent: String,
    /// Seconds; `start`/`end` are None when empty (never started, or still running).
    pub submit: f64,
    pub start: Option<f64>,
    pub end: Option<f64>,
    pub state: String,
    pub reason: String,
}

fn open(path: &Path) -> Result<csv::Reader<std::fs::File>, AnalysisError> {
    csv::Reader::from_path(path)
        .map_err(|e| AnalysisError(format!("{}: cannot read: {e}", path.display())))
}

/// Column positions of `names` in the header of `path`.
fn columns(
    rd: &mut csv::Reader<std::fs::File>,
    path: &Path,
    names: &[&str],
) -> Result<Vec<usize>, AnalysisError> {
    let h = rd
        .headers()
        .map_err(|e| AnalysisError(format!("{}:1: bad header: {e}", path.display())))?
        .clone();
    names
        .iter()
        .map(|n| {
            h.iter()
                .position(|c| c == *n)
                .ok_or_else(|| AnalysisError(format!("{}:1: no column `{n}`", path.display())))
        })
        .collect()
}

fn number(path: &Path, line: usize, field: &str, s: &str) -> Result<f64, AnalysisError> {
    s.trim().parse::<f64>().map_err(|_| {
        AnalysisError(format!(
            "{}:{line}: field `{field}`: `{s}` is not a number",
            path.display()
        ))
    })
}

/// Reads `tasks.csv`.
pub fn read_tasks(path: &Path) -> Result<Vec<TaskRow>, AnalysisError> {
    let mut rd = open(path)?;
    let names = [
        "job",
        "task",
        "framework",
        "agent",
        "submit",
        "start",
        "end",
        "state",
        "reason",
    ];
    let c = columns(&mut rd, path, &names)?;
    let mut out = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| AnalysisError(format!("{}:{line}: {e}", path.display())))?;
        let get = |k: usize| rec.get(c[k]).unwrap_or("");
        let opt = |k: usize| -> Result<Option<f64>, AnalysisError> {
            let s = get(k);
            if s.is_empty() {
                Ok(None)
            } else {
                number(path, line, names[k], s).map(Some)
            }
        };
        out.push(TaskRow {
            job: get(0).to_string(),
            task: get(1).to_string(),
            framework: get(2).to_string(),
            agent: get(3).to_string(),
            submit: number(path, line, "submit", get(4))?,
            start: opt(5)?,
            end: opt(6)?,
            state: get(7).to_string(),
            reason: get(8).to_string(),
        });
    }
    Ok(out)
}

/// `timeseries.csv` as columns of numbers, by header name.
#[derive(Clone, Debug, Default)]
pub struct TimeSeries {
    pub columns: Vec<String>,
    /// `values[c][row]`.
    pub values: Vec<Vec<f64>>,
}

impl TimeSeries {
    pub fn col(&self, name: &str) -> Option<&[f64]> {
        self.columns
            .iter()
            .position(|c| c == name)
            .map(|i| self.values[i].as_slice())
    }

    /// The `share:<framework>` columns: (framework, values).
    pub fn shares(&self) -> Vec<(&str, &[f64])> {
        self.columns
            .iter()
            .zip(&self.values)
            .filter_map(|(c, v)| c.strip_prefix("share:").map(|n| (n, v.as_slice())))
            .collect()
    }
}

/// Reads `timeseries.csv`.
pub fn read_timeseries(path: &Path) -> Result<TimeSeries, AnalysisError> {
    let mut rd = open(path)?;
    let h = rd
        .headers()
        .map_err(|e| AnalysisError(format!("{}:1: bad header: {e}", path.display())))?
        .clone();
    let columns: Vec<String> = h.iter().map(str::to_string).collect();
    if !columns.iter().any(|c| c == "time") {
        return Err(AnalysisError(format!(
            "{}:1: no column `time`",
            path.display()
        )));
    }
    let mut values = vec![Vec::new(); columns.len()];
    for (i, rec) in rd.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| AnalysisError(format!("{}:{line}: {e}", path.display())))?;
        for (k, v) in rec.iter().enumerate().take(columns.len()) {
            values[k].push(number(path, line, &columns[k], v)?);
        }
    }
    Ok(TimeSeries { columns, values })
}

/// Job completion times (s) from task rows: a job is complete when its last attempt of
/// every task FINISHED; its time is the last end minus the first submit. (`summary.json`
/// computes the same from the master's view during the run.)
pub fn job_completions(tasks: &[TaskRow]) -> Vec<f64> {
    /// First submit, last end, whether each task's last attempt finished.
    type JobState<'a> = (f64, f64, BTreeMap<&'a str, bool>);
    let mut jobs: BTreeMap<(&str, &str), JobState> = BTreeMap::new();
    for t in tasks {
        let e = jobs
            .entry((t.framework.as_str(), t.job.as_str()))
            .or_insert((f64::INFINITY, 0.0, BTreeMap::new()));
        e.0 = e.0.min(t.submit);
        let done = t.state == "TASK_FINISHED";
        if let (true, Some(end)) = (done, t.end) {
            e.1 = e.1.max(end);
        }
        // Rows are attempts in order; the last attempt of a task decides.
        e.2.insert(t.task.as_str(), done);
    }
    jobs.values()
        .filter(|(_, _, tasks)| tasks.values().all(|&d| d))
        .map(|(s, e, _)| e - s)
        .collect()
}

/// Task wait times (s): start minus submit of every attempt that started.
pub fn waits(tasks: &[TaskRow]) -> Vec<f64> {
    tasks
        .iter()
        .filter_map(|t| t.start.map(|s| s - t.submit))
        .collect()
}
