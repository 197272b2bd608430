//! Metrics: the recorder that watches a run, and the summary it produces.
//!
//! The output contract (docs/design.md, Output contract): `summary.json`, `tasks.csv`,
//! `timeseries.csv`, and with `--events` `events.jsonl`. Everything except the
//! wall-time field is a pure function of the scenario and the seed.

pub mod parquet;
pub mod recorder;

use crate::sim::NetStats;
use serde::Serialize;

pub use recorder::{secs, Recorder, TaskCounts, TaskRecord, TaskSink};

/// The format of the task table (`schedlab run --format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// `tasks.csv` (the default).
    #[default]
    Csv,
    /// `tasks.parquet`, streamed in row groups (see [`parquet`]).
    Parquet,
}

/// Mean and percentiles of a sample, in seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Dist {
    pub count: usize,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Dist {
    /// Nearest-rank percentiles of integer nanoseconds, reported in seconds.
    pub fn of_ns(xs: &mut [u64]) -> Dist {
        if xs.is_empty() {
            return Dist::default();
        }
        xs.sort_unstable();
        let n = xs.len();
        let rank = |p: f64| xs[((p * n as f64).ceil() as usize).clamp(1, n) - 1] as f64 / 1e9;
        Dist {
            count: n,
            mean: xs.iter().map(|&x| x as f64).sum::<f64>() / n as f64 / 1e9,
            p50: rank(0.5),
            p90: rank(0.9),
            p99: rank(0.99),
            max: xs[n - 1] as f64 / 1e9,
        }
    }
}

/// Time-averaged share of the cluster a framework held.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrameworkSummary {
    pub name: String,
    pub role: String,
    /// `batch`, `marathon`, `chronos`, `aurora`, `yarn`, or the name of a kind registered
    /// with `frameworks::register_kind`.
    pub kind: &'static str,
    pub mean_dominant_share: f64,
    pub jobs_submitted: u64,
    pub tasks_finished: u64,
    /// The kind's own counters (instances, runs, preemptions, YARN containers...),
    /// absent for batch frameworks, whose counters are the fields above.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<serde_json::Value>,
}

/// Fairness of the allocation between frameworks, judged where it matters: at the
/// samples where at least two frameworks are backlogged (have tasks waiting), on their
/// weighted dominant shares (share / role weight), which DRF equalizes. Averaging
/// shares over a whole finite workload would only measure how much work each brought.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fairness {
    /// Mean over contended samples of Jain's index of the backlogged frameworks'
    /// weighted shares (1 = equal).
    pub jain_index: f64,
    /// Mean over contended samples of the largest minus the smallest weighted share.
    pub mean_share_gap: f64,
    /// The largest such gap seen.
    pub max_share_gap: f64,
    /// Samples with at least two backlogged frameworks.
    pub contended_samples: u64,
}

/// Accumulates [`Fairness`] sample by sample.
#[derive(Clone, Debug, Default)]
pub struct Contention {
    samples: u64,
    jain_sum: f64,
    gap_sum: f64,
    gap_max: f64,
}

impl Contention {
    /// One sample: the weighted shares of the frameworks backlogged at that time.
    pub fn add(&mut self, backlogged: &[f64]) {
        if backlogged.len() < 2 {
            return;
        }
        let gap = crate::alloc::fairness::max_gap(backlogged);
        self.samples += 1;
        self.jain_sum += crate::alloc::jain_index(backlogged);
        self.gap_sum += gap;
        self.gap_max = self.gap_max.max(gap);
    }

    pub fn summary(&self) -> Fairness {
        let r = |x: f64| (x * 1e6).round() / 1e6;
        let n = self.samples.max(1) as f64;
        Fairness {
            jain_index: if self.samples == 0 {
                1.0
            } else {
                r(self.jain_sum / n)
            },
            mean_share_gap: r(self.gap_sum / n),
            max_share_gap: r(self.gap_max),
            contended_samples: self.samples,
        }
    }
}

/// Mean used/total per resource, integrated exactly over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Utilization {
    pub cpus: f64,
    pub mem: f64,
    pub disk: f64,
    pub gpus: f64,
}

/// What happened to agents: removals after missed health checks, shutdowns of
/// removed agents that came back (with the tasks that killed), re-registrations.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AgentEvents {
    pub removed: u64,
    pub shutdown: u64,
    pub reregistered: u64,
    pub tasks_killed_on_shutdown: u64,
    /// The live masters' counters under Mesos' metric names (summed), written as
    /// the summary's own `master_metrics` section.
    #[serde(skip)]
    pub master_metrics: std::collections::BTreeMap<String, u64>,
}

/// `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub schedlab_version: &'static str,
    /// Hex of the engine fingerprint: equal exactly when two runs are identical.
    pub fingerprint: String,
    pub sim_time_s: f64,
    /// The only field that differs between identical runs.
    pub wall_time_s: f64,
    pub events: u64,
    pub stop_reason: String,
    pub makespan_s: f64,
    pub job_completion_s: Dist,
    pub task_wait_s: Dist,
    pub utilization: Utilization,
    pub fairness: Fairness,
    pub tasks: TaskCounts,
    pub agents: AgentEvents,
    /// The masters' counters under Mesos' `/metrics/snapshot` names
    /// (`master/slave_removals`, `master/tasks_lost`, ...), summed over the masters
    /// alive at the end, so that a run can be set beside a real master's.
    pub master_metrics: std::collections::BTreeMap<String, u64>,
    /// Leadership changes among the masters (empty for a lone master).
    pub failovers: Vec<Failover>,
    pub frameworks: Vec<FrameworkSummary>,
    pub network: NetStats,
}

/// One master failover: from the moment no master acted as leader to the moment the
/// next one started serving.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Failover {
    /// The master that led before (it crashed, or lost its session and stepped down).
    pub from: String,
    pub to: String,
    pub leaderless_from_s: f64,
    pub elected_at_s: f64,
    /// The failover time: how long no master served.
    pub leaderless_s: f64,
}

/// Follows which master acts as leader, event by event.
#[derive(Clone, Debug, Default)]
pub struct LeaderWatch {
    current: Option<String>,
    last: Option<(String, crate::actor::Time)>,
    pub failovers: Vec<Failover>,
}

impl LeaderWatch {
    /// Call after every event with the acting leader's name, if any.
    pub fn observe(&mut self, now: crate::actor::Time, leader: Option<&str>) {
        if self.current.as_deref() == leader {
            return;
        }
        if let Some(old) = self.current.take() {
            self.last = Some((old, now));
        }
        if let Some(new) = leader {
            if let Some((from, since)) = self.last.take() {
                self.failovers.push(Failover {
                    from,
                    to: new.to_string(),
                    leaderless_from_s: secs_f64(since),
                    elected_at_s: secs_f64(now),
                    leaderless_s: secs_f64(now - since),
                });
            }
            self.current = Some(new.to_string());
        }
    }
}

fn secs_f64(t: crate::actor::Time) -> f64 {
    t as f64 / 1e9
}

impl Summary {
    /// The one-screen human summary printed after a run.
    pub fn human(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "schedlab {} | scenario {} | seed {} | fingerprint {}\n",
            self.schedlab_version, self.scenario, self.seed, self.fingerprint
        ));
        s.push_str(&format!(
            "simulated {:.1} s in {:.2} s wall ({} events, stop: {})\n",
            self.sim_time_s, self.wall_time_s, self.events, self.stop_reason
        ));
        s.push_str(&format!(
            "tasks: {} launched, {} finished, {} failed, {} killed, {} lost, {} duplicated\n",
            self.tasks.launched,
            self.tasks.finished,
            self.tasks.failed,
            self.tasks.killed,
            self.tasks.lost,
            self.tasks.duplicated
        ));
        s.push_str(&format!(
            "makespan {:.1} s | job completion p50 {:.1} s p90 {:.1} s p99 {:.1} s ({} jobs)\n",
            self.makespan_s,
            self.job_completion_s.p50,
            self.job_completion_s.p90,
            self.job_completion_s.p99,
            self.job_completion_s.count
        ));
        s.push_str(&format!(
            "task wait p50 {:.2} s p90 {:.2} s p99 {:.2} s | utilization cpus {:.1}% mem {:.1}%\n",
            self.task_wait_s.p50,
            self.task_wait_s.p90,
            self.task_wait_s.p99,
            self.utilization.cpus * 100.0,
            self.utilization.mem * 100.0
        ));
        if (
            self.agents.removed,
            self.agents.shutdown,
            self.agents.reregistered,
        ) != (0, 0, 0)
        {
            s.push_str(&format!(
                "agents: {} removed, {} shut down on return ({} tasks killed), {} re-registered\n",
                self.agents.removed,
                self.agents.shutdown,
                self.agents.tasks_killed_on_shutdown,
                self.agents.reregistered
            ));
        }
        for f in &self.failovers {
            s.push_str(&format!(
                "failover: {} -> {}: no leader from {:.3} s to {:.3} s ({:.3} s)\n",
                f.from, f.to, f.leaderless_from_s, f.elected_at_s, f.leaderless_s
            ));
        }
        s.push_str(&format!(
            "fairness while contended ({} samples): Jain {:.3}, mean share gap {:.3}, max {:.3}\n",
            self.fairness.contended_samples,
            self.fairness.jain_index,
            self.fairness.mean_share_gap,
            self.fairness.max_share_gap
        ));
        for f in &self.frameworks {
            s.push_str(&format!(
                "  {:<16} role {:<12} mean dominant share {:.3}  jobs {}  tasks finished {}\n",
                f.name, f.role, f.mean_dominant_share, f.jobs_submitted, f.tasks_finished
            ));
        }
        s
    }
}
