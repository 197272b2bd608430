//! The normalized workload every framework replays: jobs of tasks, with arrival times.
//!
//! Trace readers (Google, Alibaba, SWF) and the synthetic generator all produce a
//! time-ordered stream of [`Job`]s, pulled lazily by the framework that replays it, so
//! that memory does not grow with trace length.

use crate::actor::Time;
pub use crate::job::{Job, JobKind, JobStream, TaskSpec};
use crate::resources::Resources;
use crate::units::duration;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal};
use serde::{Deserialize, Serialize};

/// The size of one task in a scenario file: CPUs (fractional) and MiB. `Default` (all
/// zero) only stands in while the keys beside it are read (see `scenario::flat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSize {
    pub cpus: crate::units::NonNeg,
    pub mem: crate::units::NonNeg,
    #[serde(default)]
    pub disk: crate::units::NonNeg,
    #[serde(default)]
    pub gpus: crate::units::NonNeg,
}

impl TaskSize {
    pub fn resources(&self) -> Resources {
        Resources::new(self.cpus.0, self.mem.0.round() as u64)
            .with_disk(self.disk.0.round() as u64)
            .with_gpus(self.gpus.0)
    }
}

/// One job written out in a scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct JobEntry {
    #[serde(with = "duration")]
    pub at: Time,
    pub tasks: u32,
    /// Its keys beside the job's own (read by `scenario::flat`).
    #[serde(flatten, skip_deserializing)]
    pub size: TaskSize,
    #[serde(with = "duration")]
    pub duration: Time,
    #[serde(default)]
    pub priority: i32,
}
crate::config::flat::flattened!(JobEntry, size);

/// Where a framework's jobs come from. Tagged by `kind` (read and written by
/// `scenario::tagged`, so that an error inside names its key).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
pub enum WorkloadSpec {
    /// Always wants more: an endless supply of identical one-task jobs, all submitted at
    /// time 0 (the DRF paper's users "always wanting more").
    Greedy {
        #[serde(flatten, skip_deserializing)]
        size: TaskSize,
        /// Task run time; absent means the task runs until the end of the run.
        #[serde(default, with = "crate::units::duration_opt")]
        duration: Option<Time>,
    },
    /// The jobs listed in the file.
    Jobs { jobs: Vec<JobEntry> },
    /// Poisson arrivals of jobs with a uniform number of tasks and log-normal task
    /// durations: the small built-in generator for examples.
    Synthetic {
        jobs: u64,
        /// Mean time between job arrivals.
        #[serde(with = "duration")]
        interarrival: Time,
        tasks_min: u32,
        tasks_max: u32,
        #[serde(flatten, skip_deserializing)]
        size: TaskSize,
        #[serde(with = "duration")]
        duration_mean: Time,
        #[serde(with = "duration")]
        duration_std: Time,
        /// Time of the first arrival's clock origin (default 0).
        #[serde(default, with = "crate::units::duration_opt")]
        start: Option<Time>,
    },
    /// A real trace, read lazily (Google 2011/2019, Alibaba, SWF, normalized CSV; see
    /// docs/traces.md). Paths are relative to the working directory.
    Trace(crate::trace::TraceSource),
    /// The full synthetic generator of `schedlab trace synth` (same keys as its TOML).
    Synth(Box<crate::trace::synth::SynthConfig>),
}

impl Serialize for WorkloadSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ser = crate::config::tagged::Internally {
            ser: s,
            tag: "kind",
        };
        WorkloadSpec::serialize(self, ser)
    }
}

impl<'de> Deserialize<'de> for WorkloadSpec {
    /// As `scenario::tagged::deserialize`, but a greedy or synthetic workload also takes
    /// a task size's keys beside its own (`scenario::flat`).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use crate::config::{flat, tagged};
        use serde::de::Error;
        let (kind, mut table) = tagged::open(d, "kind", |d| WorkloadSpec::deserialize(d))?;
        let size = match kind.as_str() {
            "greedy" | "synthetic" => {
                let own = flat::variant_fields(&kind, |d| WorkloadSpec::deserialize(d));
                Some(flat::take(&mut table, own.as_deref(), &[]).map_err(D::Error::custom)?)
            }
            _ => None,
        };
        let mut w = tagged::read(&kind, table, "kind", |d| WorkloadSpec::deserialize(d))
            .map_err(D::Error::custom)?;
        if let (Some(s), WorkloadSpec::Greedy { size, .. } | WorkloadSpec::Synthetic { size, .. }) =
            (size, &mut w)
        {
            *size = s;
        }
        Ok(w)
    }
}

/// What a workload asks for whatever the seed, for the checks made before a run
/// (`scenario::checks`): one task's size, written in the table at `at` (a key path
/// relative to the workload, `""` for the workload's own table), and the key and
/// value of the most tasks one job of that size has, if the file bounds them.
#[derive(Clone, Debug, PartialEq)]
pub struct Demand {
    pub at: String,
    pub size: TaskSize,
    pub tasks: Option<(String, u64)>,
}

impl Demand {
    /// `instances` tasks of `cpus` and `mem` written in the table at `at` (a Marathon
    /// app, an Aurora job): their count is `<at>.instances`.
    pub fn instances(at: String, instances: u32, cpus: f64, mem: f64) -> Demand {
        use crate::units::NonNeg;
        Demand {
            tasks: Some((format!("{at}.instances"), instances.into())),
            at,
            size: TaskSize {
                cpus: NonNeg(cpus),
                mem: NonNeg(mem),
                ..TaskSize::default()
            },
        }
    }
}

impl WorkloadSpec {
    /// Checks values that serde cannot; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            WorkloadSpec::Trace(src) => {
                src.validate().map_err(|e| e.to_string())?;
                // Open it once now, so that a missing or undetectable file is an
                // error before the run rather than in the middle of it.
                crate::trace::open(src).map(drop).map_err(|e| e.to_string())
            }
            WorkloadSpec::Synthetic {
                tasks_min,
                tasks_max,
                interarrival,
                duration_mean,
                ..
            } => {
                if tasks_min > tasks_max || *tasks_min == 0 {
                    return Err(format!(
                        "tasks_min ({tasks_min}) must be at least 1 and at most tasks_max ({tasks_max})"
                    ));
                }
                if *interarrival == 0 || *duration_mean == 0 {
                    return Err("interarrival and duration_mean must be positive".into());
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The job sizes the file itself writes (traces and the full generator draw
    /// theirs while the run reads them: none here).
    pub fn demands(&self) -> Vec<Demand> {
        match self {
            WorkloadSpec::Greedy { size, .. } => vec![Demand {
                at: String::new(),
                size: *size,
                tasks: None,
            }],
            WorkloadSpec::Jobs { jobs } => jobs
                .iter()
                .enumerate()
                .map(|(i, j)| Demand {
                    at: format!("jobs.{i}"),
                    size: j.size,
                    tasks: Some((format!("jobs.{i}.tasks"), j.tasks.into())),
                })
                .collect(),
            WorkloadSpec::Synthetic {
                size, tasks_max, ..
            } => vec![Demand {
                at: String::new(),
                size: *size,
                tasks: Some(("tasks_max".into(), (*tasks_max).into())),
            }],
            WorkloadSpec::Trace(_) | WorkloadSpec::Synth(_) => Vec::new(),
        }
    }

    /// Opens the job stream. `seed` makes generated workloads reproducible.
    pub fn open(&self, seed: u64) -> JobStream {
        match self.clone() {
            WorkloadSpec::Trace(src) => match crate::trace::open(&src) {
                Ok(jobs) => jobs,
                Err(e) => Box::new(std::iter::once(Err(e.to_string()))),
            },
            WorkloadSpec::Synth(cfg) => Box::new(crate::trace::synth::generate(&cfg).map(|r| {
                r.map(crate::trace::TraceJob::into_job)
                    .map_err(String::from)
            })),
            WorkloadSpec::Greedy { size, duration } => {
                let res = size.resources();
                let duration = duration.unwrap_or(Time::MAX);
                Box::new((0u64..).map(move |id| {
                    Ok(Job {
                        id,
                        submit: 0,
                        priority: 0,
                        kind: JobKind::Service,
                        user: None,
                        tasks: vec![TaskSpec {
                            index: 0,
                            resources: res,
                            duration,
                        }],
                    })
                }))
            }
            WorkloadSpec::Jobs { mut jobs } => {
                jobs.sort_by_key(|j| j.at);
                Box::new(jobs.into_iter().enumerate().map(|(i, j)| {
                    Ok(Job {
                        id: i as u64,
                        submit: j.at,
                        priority: j.priority,
                        kind: JobKind::Batch,
                        user: None,
                        tasks: (0..j.tasks)
                            .map(|index| TaskSpec {
                                index,
                                resources: j.size.resources(),
                                duration: j.duration,
                            })
                            .collect(),
                    })
                }))
            }
            WorkloadSpec::Synthetic {
                jobs,
                interarrival,
                tasks_min,
                tasks_max,
                size,
                duration_mean,
                duration_std,
                start,
            } => {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let gap = Exp::new(1.0 / interarrival as f64).expect("validated");
                let (m, s) = (duration_mean as f64, duration_std as f64);
                let sigma2 = (1.0 + s * s / (m * m)).ln();
                let dur = LogNormal::new(m.ln() - sigma2 / 2.0, sigma2.sqrt()).expect("validated");
                let res = size.resources();
                let mut t = start.unwrap_or(0) as f64;
                Box::new((0..jobs).map(move |id| {
                    t += gap.sample(&mut rng);
                    let n = rng.gen_range(tasks_min..=tasks_max);
                    Ok(Job {
                        id,
                        submit: t.round() as Time,
                        priority: 0,
                        kind: JobKind::Batch,
                        user: None,
                        tasks: (0..n)
                            .map(|index| TaskSpec {
                                index,
                                resources: res,
                                duration: (dur.sample(&mut rng).round() as Time).max(1),
                            })
                            .collect(),
                    })
                }))
            }
        }
    }
}
