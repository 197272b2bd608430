//! Running a sweep: every point x seed through [`crate::run::execute`] on a rayon pool,
//! resumable, and the `sweep.csv` table of one row per run.
//!
//! Layout of the output folder `DIR` (the contract the notebooks, `compare` and `plot`
//! read):
//! - `DIR/runs/<run-id>/`: the results folder of one run, exactly what `schedlab run`
//!   writes; `<run-id>` is `p<point, 3 digits>-s<seed>` (`p002-s7`).
//! - `DIR/sweep.csv`: one row per run sorted by (point, seed); columns `run`, `dir`,
//!   `point`, one per varied key (named by the key), `seed`, then [`METRICS`].
//! - `DIR/sweep-plan.json`: the whole run list and the header, which `sweep merge`
//!   checks shards against.
//!
//! A run is complete when its `summary.json` exists: `execute` writes it last, through
//! a temporary file and a rename, so a run killed half-way has none and is run again,
//! while a complete one is skipped. Rows are always read back from `summary.json`, so a
//! resumed, sharded or fresh sweep writes the same bytes.

use super::shard::Shard;
use super::spec::SweepSpec;
use crate::run::{execute, RunError, RunOptions};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The metric columns of `sweep.csv`, after the parameters and the seed: each is named
/// by its path in `summary.json` and copied from there as written (numbers; the
/// fingerprint as its hex string). No wall time, so that the table is a pure function
/// of the spec.
pub const METRICS: &[&str] = &[
    "makespan_s",
    "sim_time_s",
    "job_completion_s.count",
    "job_completion_s.mean",
    "job_completion_s.p50",
    "job_completion_s.p90",
    "job_completion_s.p99",
    "task_wait_s.mean",
    "task_wait_s.p50",
    "task_wait_s.p90",
    "task_wait_s.p99",
    "utilization.cpus",
    "utilization.mem",
    "utilization.disk",
    "utilization.gpus",
    "fairness.jain_index",
    "fairness.max_share_gap",
    "tasks.launched",
    "tasks.finished",
    "tasks.lost",
    "tasks.killed",
    "fingerprint",
    "events",
];

/// The plan file every sweep (and every shard) writes into its folder.
pub const PLAN_FILE: &str = "sweep-plan.json";

/// One run of the sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunRef {
    /// Position in the whole sweep's run list (point-major, seeds ascending).
    pub index: usize,
    pub point: usize,
    pub seed: u64,
}

impl RunRef {
    /// `p<point, 3 digits>-s<seed>`.
    pub fn id(&self) -> String {
        format!("p{:03}-s{}", self.point, self.seed)
    }
    /// The run's folder, relative to the sweep folder.
    pub fn rel_dir(&self) -> String {
        format!("runs/{}", self.id())
    }
}

/// Every run of the spec, sorted by (point, seed).
pub fn runs(spec: &SweepSpec) -> Vec<RunRef> {
    let mut v = Vec::with_capacity(spec.points.len() * spec.seeds.len());
    for p in &spec.points {
        for &seed in &spec.seeds {
            v.push(RunRef {
                index: v.len(),
                point: p.index,
                seed,
            });
        }
    }
    v
}

/// The header of `sweep.csv`.
pub fn header(spec: &SweepSpec) -> Vec<String> {
    let mut h: Vec<String> = ["run", "dir", "point"].map(String::from).to_vec();
    h.extend(spec.keys.iter().cloned());
    h.push("seed".into());
    h.extend(METRICS.iter().map(|m| m.to_string()));
    h
}

/// The whole sweep, as recorded in `sweep-plan.json`: a folder holds one sweep, so a
/// changed spec (other `[set]` values, other points, an edited base scenario) is
/// refused instead of resuming from runs of another configuration.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Plan {
    pub header: Vec<String>,
    pub runs: Vec<String>,
    pub points: Vec<PlanPoint>,
}

/// One point of a [`Plan`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlanPoint {
    /// Its `--set key=value` overrides, fixed ones first.
    pub sets: Vec<String>,
    /// FNV-1a 64 of the point's effective scenario (as JSON): equal exactly when the
    /// scenario is, whatever comments or layout its file has.
    pub scenario_digest: String,
}

/// FNV-1a, 64 bits: a stable digest (not a security hash) for [`PlanPoint`].
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Plan {
    pub fn of(spec: &SweepSpec) -> Plan {
        Plan {
            header: header(spec),
            runs: runs(spec).iter().map(RunRef::id).collect(),
            points: spec
                .points
                .iter()
                .map(|p| PlanPoint {
                    sets: p.sets.clone(),
                    scenario_digest: format!(
                        "{:016x}",
                        fnv1a(
                            serde_json::to_string(&p.scenario)
                                .expect("serializable")
                                .as_bytes()
                        )
                    ),
                })
                .collect(),
        }
    }

    /// Reads `DIR/sweep-plan.json`.
    pub fn read(dir: &Path) -> Result<Plan, RunError> {
        let path = dir.join(PLAN_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            bad(format!(
                "{}: {e} (not a sweep folder: `schedlab sweep` writes this file)",
                path.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|e| bad(format!("{}: {e}", path.display())))
    }

    fn write(&self, dir: &Path) -> Result<(), RunError> {
        let text = serde_json::to_string_pretty(self).expect("serializable") + "\n";
        write_atomic(&dir.join(PLAN_FILE), text.as_bytes())
    }
}

/// Bad input (exit code 2).
pub(crate) fn bad(message: String) -> RunError {
    RunError { message, code: 2 }
}

fn io(path: &Path, e: impl std::fmt::Display) -> RunError {
    RunError {
        message: format!("{}: {e}", path.display()),
        code: 1,
    }
}

/// Writes `path` through a temporary file in the same folder and a rename, so that a
/// reader sees either nothing or the whole file. The temporary name carries the process
/// id: shards of one sweep on a cluster write the same plan file at the same time.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

/// Writes a `sweep.csv`-shaped table atomically.
pub fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) -> Result<(), RunError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(|e| io(path, e))?;
    for r in rows {
        w.write_record(r).map_err(|e| io(path, e))?;
    }
    let bytes = w.into_inner().map_err(|e| io(path, e))?;
    write_atomic(path, &bytes)
}

/// The parsed `summary.json` of a complete run folder, if it is complete.
pub fn complete_summary(run_dir: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(run_dir.join("summary.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("fingerprint")?.as_str()?;
    Some(v)
}

/// The `sweep.csv` row of run `r`, read from its `summary.json` under `out`.
pub fn row(spec: &SweepSpec, r: &RunRef, out: &Path) -> Result<Vec<String>, RunError> {
    let dir = out.join(r.rel_dir());
    let s = complete_summary(&dir)
        .ok_or_else(|| bad(format!("{}: no complete summary.json", dir.display())))?;
    let mut row = vec![r.id(), r.rel_dir(), r.point.to_string()];
    row.extend(spec.points[r.point].values.iter().map(|(_, v)| v.clone()));
    row.push(r.seed.to_string());
    for m in METRICS {
        let pointer = format!("/{}", m.replace('.', "/"));
        let v = s
            .pointer(&pointer)
            .ok_or_else(|| bad(format!("{}/summary.json: no field `{m}`", dir.display())))?;
        row.push(match v {
            serde_json::Value::String(x) => x.clone(),
            other => other.to_string(),
        });
    }
    Ok(row)
}

/// How to run a sweep.
#[derive(Clone, Debug, Default)]
pub struct SweepOptions {
    /// The sweep folder (`results/sweeps/<spec stem>/` from the CLI).
    pub out: PathBuf,
    /// Threads of the pool: runs at once (0 = one per core).
    pub jobs: usize,
    /// Only this slice of the run list; its table is `sweep-shard-i-of-N.csv`.
    pub shard: Option<Shard>,
    /// A progress bar with ETA on stderr (the CLI sets it when stderr is a terminal).
    pub progress: bool,
}

/// What a sweep did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepOutcome {
    /// Runs in this sweep (or shard).
    pub runs: usize,
    /// Runs executed now.
    pub ran: usize,
    /// Runs skipped because their folder already had a complete summary.json.
    pub skipped: usize,
    /// The table written (`sweep.csv` or the shard's).
    pub csv: PathBuf,
}

/// Runs every run of `spec` (or of the shard) not yet complete and writes the table.
pub fn run(spec: &SweepSpec, opts: &SweepOptions) -> Result<SweepOutcome, RunError> {
    let out = &opts.out;
    std::fs::create_dir_all(out.join("runs")).map_err(|e| io(out, e))?;
    let plan = Plan::of(spec);
    // A folder of another sweep (other points or seeds) would mix tables: refuse it.
    if let Ok(old) = Plan::read(out) {
        if old != plan {
            return Err(bad(format!(
                "{}: holds a different sweep (other points, seeds, keys, [set] values or base scenario; see its {PLAN_FILE}); use another --out",
                out.display()
            )));
        }
    }
    plan.write(out)?;
    let mine: Vec<RunRef> = runs(spec)
        .into_iter()
        .filter(|r| opts.shard.is_none_or(|s| s.contains(r.index)))
        .collect();
    let todo: Vec<&RunRef> = mine
        .iter()
        .filter(|r| complete_summary(&out.join(r.rel_dir())).is_none())
        .collect();
    let skipped = mine.len() - todo.len();

    let bar = match opts.progress {
        true => {
            let b = indicatif::ProgressBar::new(todo.len() as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} runs ({eta} left)",
                )
                .expect("valid template"),
            );
            b
        }
        false => indicatif::ProgressBar::hidden(),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs)
        .build()
        .map_err(|e| RunError {
            message: format!("thread pool: {e}"),
            code: 1,
        })?;
    let failures: Vec<(String, RunError)> = pool.install(|| {
        todo.par_iter()
            .with_max_len(1)
            .filter_map(|r| {
                let dir = out.join(r.rel_dir());
                let scn = &spec.points[r.point].scenario;
                let opts = RunOptions {
                    seed: Some(r.seed),
                    out: Some(dir.clone()),
                    events: false,
                    progress: false,
                };
                let res = execute(scn, &opts);
                bar.inc(1);
                match res {
                    Ok(_) => None,
                    Err(e) => {
                        // A failed run is not complete, even if it wrote a summary.
                        let _ = std::fs::remove_file(dir.join("summary.json"));
                        Some((r.id(), e))
                    }
                }
            })
            .collect()
    });
    bar.finish_and_clear();
    if let Some((id, e)) = failures.first() {
        let ids: Vec<&str> = failures.iter().map(|(i, _)| i.as_str()).collect();
        return Err(RunError {
            message: format!(
                "{} of {} runs failed ({}); first, {id}: {}",
                failures.len(),
                todo.len(),
                ids.join(", "),
                e.message
            ),
            code: e.code,
        });
    }
    let rows = mine
        .iter()
        .map(|r| row(spec, r, out))
        .collect::<Result<Vec<_>, _>>()?;
    let csv = out.join(match opts.shard {
        None => "sweep.csv".to_string(),
        Some(s) => s.csv_name(),
    });
    write_csv(&csv, &plan.header, &rows)?;
    Ok(SweepOutcome {
        runs: mine.len(),
        ran: todo.len(),
        skipped,
        csv,
    })
}
