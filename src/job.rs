//! The job, the unit every workload is made of: tasks with resources and durations, an
//! arrival time, a kind. Trace readers produce jobs and frameworks replay them; keeping
//! the type here, below both, is what lets a workload name a trace without the trace
//! readers depending back on workloads (see `workload`).

use crate::actor::Time;
use crate::resources::Resources;
use serde::{Deserialize, Serialize};

/// Batch work runs to completion; a service runs until killed (its `duration` is the
/// time until it is stopped by its owner, or `Time::MAX`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    #[default]
    Batch,
    Service,
}

/// One task of a job: what it asks for and how long it runs once started.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaskSpec {
    /// Index within the job (stable id from the trace where it has one).
    pub index: u32,
    pub resources: Resources,
    /// Run time once started, in ns.
    pub duration: Time,
}

/// A job arriving at `submit`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Job {
    /// Unique within the workload (trace job id where there is one).
    pub id: u64,
    pub submit: Time,
    /// Higher is more important (Google's priority, Aurora's tiers map onto it).
    pub priority: i32,
    pub kind: JobKind,
    /// The submitting user, where the trace says.
    pub user: Option<String>,
    pub tasks: Vec<TaskSpec>,
}

/// A time-ordered, lazily read stream of jobs. Errors carry the file and line.
pub type JobStream = Box<dyn Iterator<Item = Result<Job, String>>>;
