//! The output contract of a run, whatever runtime hosts it (docs/output.md): which
//! files a results folder holds, how they are opened, and the summary built from the
//! recorder, the sampler and what the runtime reports at the end.

use super::sampler::Sampler;
use crate::actor::{ActorId, Time};
use crate::frameworks::FrameworkStatus;
use crate::mesos::agent::Agent;
use crate::mesos::master::Master;
use crate::metrics::{
    Dist, FrameworkSummary, OutputFormat, Recorder, Summary, TaskSink, Utilization,
};
use crate::scenario::Scenario;
use std::io::Write;
use std::path::Path;

/// A failed run: what went wrong; exit code 2 for bad input, 1 otherwise.
#[derive(Debug)]
pub struct RunError {
    pub message: String,
    pub code: u8,
}

fn io_err(path: &Path, e: std::io::Error) -> RunError {
    RunError {
        message: format!("{}: {e}", path.display()),
        code: 1,
    }
}

/// A buffered file at `path`, created or truncated.
fn create(path: &Path) -> Result<Box<dyn Write>, RunError> {
    let f = std::fs::File::create(path).map_err(|e| io_err(path, e))?;
    Ok(Box::new(std::io::BufWriter::new(f)))
}

/// The files of a results folder that are written while the run goes on (the summary
/// comes last, from [`write_summary`]): `tasks.csv` or `tasks.parquet`,
/// `timeseries.csv`, and `events.jsonl` if asked for. All `None` without a folder.
#[derive(Default)]
pub struct Outputs {
    pub tasks: Option<TaskSink>,
    pub events: Option<Box<dyn Write>>,
    pub timeseries: Option<csv::Writer<Box<dyn Write>>>,
}

impl Outputs {
    /// Creates `dir` and the files of the contract in it (none when `dir` is `None`).
    pub fn open(
        dir: Option<&Path>,
        events: bool,
        format: OutputFormat,
    ) -> Result<Outputs, RunError> {
        let Some(dir) = dir else {
            return Ok(Outputs::default());
        };
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let events = if events {
            Some(create(&dir.join("events.jsonl"))?)
        } else {
            None
        };
        let timeseries = csv::Writer::from_writer(create(&dir.join("timeseries.csv"))?);
        let tasks = match format {
            OutputFormat::Csv => TaskSink::Csv(Box::new(csv::Writer::from_writer(create(
                &dir.join("tasks.csv"),
            )?))),
            OutputFormat::Parquet => {
                let path = dir.join("tasks.parquet");
                let f = std::fs::File::create(&path).map_err(|e| io_err(&path, e))?;
                let p = crate::metrics::parquet::ParquetTasks::new(f).map_err(|m| RunError {
                    message: format!("{}: {m}", path.display()),
                    code: 1,
                })?;
                TaskSink::Parquet(Box::new(p))
            }
        };
        Ok(Outputs {
            tasks: Some(tasks),
            events,
            timeseries: Some(timeseries),
        })
    }

    /// The recorder of a run whose actors are `names` (by id) and whose masters are
    /// `masters`, writing task rows and events into these files; the timeseries writer
    /// stays here, for the [`Sampler`].
    pub fn recorder(&mut self, masters: Vec<ActorId>, names: Vec<String>) -> Recorder {
        Recorder::with_sink(masters, self.tasks.take(), self.events.take(), names)
    }
}

pub(super) fn csv_err(e: impl std::fmt::Display) -> RunError {
    RunError {
        message: e.to_string(),
        code: 1,
    }
}

/// Removals, shutdowns and re-registrations of agents, from the live masters and
/// agents (whatever runtime hosts them).
pub fn agent_events_of<'a>(
    masters: &[&Master],
    agents: impl Iterator<Item = &'a Agent>,
) -> crate::metrics::AgentEvents {
    // Summed over the live masters: a crashed master's counters died with it.
    let sum = |f: fn(&crate::mesos::master::MasterCounters) -> u64| -> u64 {
        masters.iter().map(|m| f(&m.counters)).sum()
    };
    crate::metrics::AgentEvents {
        removed: sum(|c| c.agents_removed) + sum(|c| c.recovery_agent_removals),
        shutdown: sum(|c| c.agents_shutdown),
        reregistered: sum(|c| c.agents_reregistered),
        tasks_killed_on_shutdown: agents.map(|a| a.killed_on_shutdown).sum(),
        master_metrics: crate::mesos::master::MasterCounters::sum(
            masters
                .iter()
                .map(|m| m.metrics())
                .collect::<Vec<_>>()
                .iter(),
        ),
    }
}

/// What a runtime knows of a finished run besides the recorder and the sampler.
pub struct RunFacts {
    pub seed: u64,
    pub fingerprint: String,
    /// Virtual time at the end.
    pub end: Time,
    pub wall_time_s: f64,
    pub events: u64,
    pub stop_reason: String,
    pub agents: crate::metrics::AgentEvents,
    pub failovers: Vec<crate::metrics::Failover>,
    pub network: crate::sim::NetStats,
}

/// Ends the recording and builds the summary (the output contract's `summary.json`).
pub fn summarize(
    scn: &Scenario,
    r: &mut Recorder,
    mut sampler: Sampler,
    statuses: &[Option<&dyn FrameworkStatus>],
    facts: RunFacts,
) -> Result<Summary, RunError> {
    if let Some(w) = sampler.ts.as_mut() {
        w.flush().map_err(csv_err)?;
    }
    let end = facts.end;
    r.finish(end);
    if let Some(e) = r.io_error.take() {
        return Err(RunError {
            message: format!("writing results: {e}"),
            code: 1,
        });
    }
    let util = r.utilization(end);
    let samples = sampler.samples;
    let means: Vec<f64> = sampler
        .share_sums
        .iter()
        .map(|s| {
            if samples == 0 {
                0.0
            } else {
                s / samples as f64
            }
        })
        .collect();
    let frameworks = (0..statuses.len())
        .map(|i| {
            let f = &scn.frameworks[i];
            let st = statuses[i];
            FrameworkSummary {
                name: f.name().to_string(),
                role: f.role().to_string(),
                kind: f.kind(),
                mean_dominant_share: round6(means[i]),
                jobs_submitted: st.map_or(0, |s| s.progress().jobs_submitted),
                tasks_finished: st.map_or(0, |s| s.progress().tasks_finished),
                stats: st.and_then(|s| s.stats()),
            }
        })
        .collect();
    Ok(Summary {
        scenario: scn.name.clone(),
        seed: facts.seed,
        schedlab_version: env!("CARGO_PKG_VERSION"),
        fingerprint: facts.fingerprint,
        sim_time_s: end as f64 / 1e9,
        wall_time_s: facts.wall_time_s,
        events: facts.events,
        stop_reason: facts.stop_reason,
        makespan_s: match (r.first_submit, r.last_end) {
            (Some(a), Some(b)) => b.saturating_sub(a) as f64 / 1e9,
            _ => 0.0,
        },
        job_completion_s: Dist::of_ns(&mut r.completions),
        task_wait_s: Dist::of_ns(&mut r.waits),
        utilization: Utilization {
            cpus: round6(util[0]),
            mem: round6(util[1]),
            disk: round6(util[2]),
            gpus: round6(util[3]),
        },
        fairness: sampler.contention.summary(),
        tasks: r.counts.clone(),
        master_metrics: facts.agents.master_metrics.clone(),
        agents: facts.agents,
        failovers: facts.failovers,
        frameworks,
        network: facts.network,
    })
}

/// Writes `summary.json` into `dir`, last and atomically (temporary file + rename): a
/// results folder with a summary.json is complete, which is what `schedlab sweep`
/// resumes on.
pub fn write_summary(dir: &Path, summary: &Summary) -> Result<(), RunError> {
    let path = dir.join("summary.json");
    let text = serde_json::to_string_pretty(summary).expect("serializable") + "\n";
    let tmp = dir.join("summary.json.tmp");
    std::fs::write(&tmp, text).map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io_err(&path, e))
}

pub(super) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
