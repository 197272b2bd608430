//! A synthetic workload generator: the statistical shape of a trace without the trace.
//!
//! Configured in TOML (see `traces/synth-small.toml`): an arrival process (Poisson, or a
//! diurnal Poisson whose rate is `base * (1 + amplitude * sin(2 pi t / period))`,
//! sampled by thinning, Lewis & Shedler 1979), a job-size distribution (tasks per job:
//! fixed, uniform, geometric, Zipf or Pareto, capped), per-task resource and duration
//! distributions (fixed, uniform, exponential, normal, log-normal, Pareto, or a weighted
//! choice), a priority mix and a service fraction. Sampling uses `rand_distr` on a
//! ChaCha8 stream seeded from `seed`, so a config and a seed always give the same
//! workload; expected values come from `statrs`. Jobs are generated one at a time, so
//! a workload of any length streams in constant memory.

use super::error::TraceError;
use super::{Machine, MachineClass, TraceJob, TraceJobs, TraceTask};
use crate::actor::{Time, SEC};
use crate::job::JobKind;
use crate::resources::Resources;
use rand::distributions::{Distribution, WeightedIndex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use statrs::statistics::Distribution as _;
use std::path::Path;

/// A distribution of a non-negative real quantity. Values below 0 are clamped to 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    Fixed {
        value: f64,
    },
    Uniform {
        low: f64,
        high: f64,
    },
    Exponential {
        mean: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// `exp(N(mu, sigma^2))`: mean `exp(mu + sigma^2 / 2)`.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    /// Pareto type I: `P(X > x) = (scale / x)^shape` for `x >= scale`.
    Pareto {
        scale: f64,
        shape: f64,
    },
    /// One of `values`, with probabilities proportional to `weights`.
    Choice {
        values: Vec<f64>,
        weights: Vec<f64>,
    },
}
// Tagged by `dist` (`scenario::tagged`: an error inside names its key).
crate::config::tagged::internally_tagged!(Dist, "dist");

fn bad_config(msg: String) -> TraceError {
    TraceError::file("synth config", msg)
}

enum Sampler {
    Fixed(f64),
    Uniform(rand_distr::Uniform<f64>),
    Exp(rand_distr::Exp<f64>),
    Normal(rand_distr::Normal<f64>),
    LogNormal(rand_distr::LogNormal<f64>),
    Pareto(rand_distr::Pareto<f64>),
    Choice(Vec<f64>, WeightedIndex<f64>),
}

impl Sampler {
    fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        let v = match self {
            Sampler::Fixed(v) => *v,
            Sampler::Uniform(d) => d.sample(rng),
            Sampler::Exp(d) => d.sample(rng),
            Sampler::Normal(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Pareto(d) => d.sample(rng),
            Sampler::Choice(v, w) => v[w.sample(rng)],
        };
        v.max(0.0)
    }
}

impl Dist {
    fn sampler(&self, what: &str) -> Result<Sampler, TraceError> {
        let e = |m: String| bad_config(format!("{what}: {m}"));
        Ok(match self {
            Dist::Fixed { value } => Sampler::Fixed(*value),
            Dist::Uniform { low, high } => {
                if low.partial_cmp(high) == Some(std::cmp::Ordering::Greater)
                    || low.is_nan()
                    || high.is_nan()
                {
                    return Err(e(format!("uniform needs low <= high, got {low} > {high}")));
                }
                Sampler::Uniform(rand_distr::Uniform::new_inclusive(*low, *high))
            }
            Dist::Exponential { mean } => Sampler::Exp(
                rand_distr::Exp::new(1.0 / mean)
                    .map_err(|x| e(format!("exponential mean {mean}: {x}")))?,
            ),
            Dist::Normal { mean, sd } => Sampler::Normal(
                rand_distr::Normal::new(*mean, *sd).map_err(|x| e(format!("normal: {x}")))?,
            ),
            Dist::LogNormal { mu, sigma } => Sampler::LogNormal(
                rand_distr::LogNormal::new(*mu, *sigma)
                    .map_err(|x| e(format!("log_normal: {x}")))?,
            ),
            Dist::Pareto { scale, shape } => Sampler::Pareto(
                rand_distr::Pareto::new(*scale, *shape).map_err(|x| e(format!("pareto: {x}")))?,
            ),
            Dist::Choice { values, weights } => {
                if values.len() != weights.len() || values.is_empty() {
                    return Err(e(
                        "choice needs as many weights as values (at least one)".into()
                    ));
                }
                Sampler::Choice(
                    values.clone(),
                    WeightedIndex::new(weights).map_err(|x| e(format!("choice weights: {x}")))?,
                )
            }
        })
    }

    /// The expected value (before clamping at 0), from `statrs` where it has the
    /// distribution. `None` if it is infinite (Pareto with shape <= 1).
    pub fn mean(&self) -> Option<f64> {
        match self {
            Dist::Fixed { value } => Some(*value),
            Dist::Uniform { low, high } => Some((low + high) / 2.0),
            Dist::Exponential { mean } => Some(*mean),
            Dist::Normal { mean, .. } => Some(*mean),
            Dist::LogNormal { mu, sigma } => statrs::distribution::LogNormal::new(*mu, *sigma)
                .ok()
                .and_then(|d| d.mean()),
            Dist::Pareto { scale, shape } => statrs::distribution::Pareto::new(*scale, *shape)
                .ok()
                .and_then(|d| d.mean())
                .filter(|m| m.is_finite()),
            Dist::Choice { values, weights } => {
                let w: f64 = weights.iter().sum();
                Some(values.iter().zip(weights).map(|(v, p)| v * p).sum::<f64>() / w)
            }
        }
    }
}

/// Tasks per job: a count of at least 1, at most `cap`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
pub enum CountDist {
    Fixed {
        value: u32,
    },
    Uniform {
        low: u32,
        high: u32,
    },
    /// `1 + Geometric(1 / mean)`: mean `mean` before the cap.
    Geometric {
        mean: f64,
        cap: u32,
    },
    /// Zipf on `1..=n` with exponent `s`.
    Zipf {
        n: u32,
        s: f64,
    },
    /// `ceil(Pareto(scale, shape))`, capped: heavy-tailed job sizes.
    Pareto {
        scale: f64,
        shape: f64,
        cap: u32,
    },
}
crate::config::tagged::internally_tagged!(CountDist, "dist");

enum CountSampler {
    Fixed(u32),
    Uniform(rand_distr::Uniform<u32>),
    Geometric(rand_distr::Geometric, u32),
    Zipf(rand_distr::Zipf<f64>),
    Pareto(rand_distr::Pareto<f64>, u32),
}

impl CountDist {
    fn sampler(&self) -> Result<CountSampler, TraceError> {
        let e = |m: String| bad_config(format!("tasks_per_job: {m}"));
        Ok(match self {
            CountDist::Fixed { value } => CountSampler::Fixed((*value).max(1)),
            CountDist::Uniform { low, high } => {
                if !(1 <= *low && low <= high) {
                    return Err(e(format!(
                        "uniform needs 1 <= low <= high, got {low}, {high}"
                    )));
                }
                CountSampler::Uniform(rand_distr::Uniform::new_inclusive(*low, *high))
            }
            CountDist::Geometric { mean, cap } => {
                if mean.is_nan() || *mean < 1.0 || *cap < 1 {
                    return Err(e(format!(
                        "geometric needs mean >= 1 and cap >= 1, got {mean}, {cap}"
                    )));
                }
                CountSampler::Geometric(
                    rand_distr::Geometric::new(1.0 / mean).map_err(|x| e(x.to_string()))?,
                    *cap,
                )
            }
            CountDist::Zipf { n, s } => CountSampler::Zipf(
                rand_distr::Zipf::new(u64::from(*n), *s).map_err(|x| e(format!("zipf: {x}")))?,
            ),
            CountDist::Pareto { scale, shape, cap } => {
                if *cap < 1 {
                    return Err(e("pareto cap must be >= 1".into()));
                }
                CountSampler::Pareto(
                    rand_distr::Pareto::new(*scale, *shape)
                        .map_err(|x| e(format!("pareto: {x}")))?,
                    *cap,
                )
            }
        })
    }

    /// The expected count, cap included (exact sums for the discrete laws).
    pub fn mean(&self) -> f64 {
        match self {
            CountDist::Fixed { value } => f64::from((*value).max(1)),
            CountDist::Uniform { low, high } => (f64::from(*low) + f64::from(*high)) / 2.0,
            // E[min(X, cap)] = sum_{k=0}^{cap-1} P(X > k) = sum (1 - p)^k.
            CountDist::Geometric { mean, cap } => {
                let q = 1.0 - 1.0 / mean;
                (0..*cap).map(|k| q.powi(k as i32)).sum()
            }
            CountDist::Zipf { n, s } => {
                let h: f64 = (1..=*n).map(|k| f64::from(k).powf(-s)).sum();
                (1..=*n)
                    .map(|k| f64::from(k) * f64::from(k).powf(-s))
                    .sum::<f64>()
                    / h
            }
            // E[min(ceil(X), cap)] = sum_{k=0}^{cap-1} P(X > k).
            CountDist::Pareto { scale, shape, cap } => (0..*cap)
                .map(|k| {
                    let k = f64::from(k);
                    if k < *scale {
                        1.0
                    } else {
                        (scale / k).powf(*shape)
                    }
                })
                .sum(),
        }
    }
}

impl CountSampler {
    fn sample(&self, rng: &mut ChaCha8Rng) -> u32 {
        match self {
            CountSampler::Fixed(v) => *v,
            CountSampler::Uniform(d) => d.sample(rng),
            CountSampler::Geometric(d, cap) => (1 + d.sample(rng)).min(u64::from(*cap)) as u32,
            CountSampler::Zipf(d) => d.sample(rng).max(1.0) as u32,
            CountSampler::Pareto(d, cap) => {
                (d.sample(rng).ceil().max(1.0) as u64).min(u64::from(*cap)) as u32
            }
        }
    }
}

/// The job arrival process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
pub enum Arrival {
    /// Exponential inter-arrival times with mean `1 / rate_per_s`.
    Poisson { rate_per_s: f64 },
    /// Inhomogeneous Poisson, `rate(t) = base_per_s * (1 + amplitude * sin(2 pi t / period))`,
    /// `0 <= amplitude <= 1`; the mean rate over whole periods is `base_per_s`.
    Diurnal {
        base_per_s: f64,
        amplitude: f64,
        #[serde(default = "day", with = "crate::units::duration")]
        period: Time,
    },
}
crate::config::tagged::internally_tagged!(Arrival, "process");

fn day() -> Time {
    86_400 * SEC
}

impl Arrival {
    /// Mean arrival rate (jobs per second).
    pub fn mean_rate(&self) -> f64 {
        match self {
            Arrival::Poisson { rate_per_s } => *rate_per_s,
            Arrival::Diurnal { base_per_s, .. } => *base_per_s,
        }
    }
}

/// A priority and its share of jobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityShare {
    pub priority: i32,
    pub weight: f64,
}

/// A machine shape for the synthetic cluster (human units).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthMachines {
    pub count: u32,
    pub cpus: f64,
    pub mem_mib: u64,
    #[serde(default)]
    pub gpus: f64,
}

fn fixed(v: f64) -> Dist {
    Dist::Fixed { value: v }
}
fn default_tasks() -> CountDist {
    CountDist::Fixed { value: 1 }
}
fn default_cpus() -> Dist {
    fixed(1.0)
}
fn default_mem() -> Dist {
    fixed(1024.0)
}
fn default_zero() -> Dist {
    fixed(0.0)
}
fn default_duration() -> Dist {
    Dist::Exponential { mean: 60.0 }
}

/// The generator's configuration. Every key but `arrival` has a default; unknown keys are
/// errors. At least one of `max_jobs`, `max_tasks`, `horizon` must be set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthConfig {
    #[serde(default)]
    pub seed: u64,
    pub arrival: Arrival,
    #[serde(default = "default_tasks")]
    pub tasks_per_job: CountDist,
    /// CPUs per task.
    #[serde(default = "default_cpus")]
    pub cpus: Dist,
    #[serde(default = "default_mem")]
    pub mem_mib: Dist,
    #[serde(default = "default_zero")]
    pub disk_mib: Dist,
    /// GPUs per task (fractions allowed, kept to thousandths).
    #[serde(default = "default_zero")]
    pub gpus: Dist,
    /// Run time of batch tasks, in seconds.
    #[serde(default = "default_duration")]
    pub duration_s: Dist,
    /// Priority mix; empty means every job has priority 0.
    #[serde(default)]
    pub priorities: Vec<PriorityShare>,
    /// Fraction of jobs that are services (they run until the end: `Time::MAX`).
    #[serde(default)]
    pub service_fraction: f64,
    /// Number of distinct users (`user0`, `user1`, ...), chosen uniformly; 0: no user.
    #[serde(default)]
    pub users: u32,
    /// The cluster the workload is sized for (used by `machines` and `scale_machines`).
    #[serde(default)]
    pub machines: Option<SynthMachines>,
    #[serde(default)]
    pub max_jobs: Option<u64>,
    #[serde(default)]
    pub max_tasks: Option<u64>,
    /// Stop generating arrivals after this much simulated time.
    #[serde(default, with = "crate::units::duration_opt")]
    pub horizon: Option<Time>,
}

impl SynthConfig {
    /// Loads a TOML config; errors name the file and line.
    pub fn load(path: &Path) -> Result<SynthConfig, TraceError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TraceError::file(path, format!("cannot read: {e}")))?;
        // Read as scenarios are, so that an error names the line and path of its key.
        crate::config::parse_toml(&text, &path.display().to_string()).map_err(|e| TraceError {
            file: e.file,
            line: e.line.map(|l| l as u64),
            field: None,
            msg: match e.key {
                Some(k) => format!("key `{k}`: {}", e.message),
                None => e.message,
            },
        })
    }

    /// Sizes the workload for `machines` machines: the arrival rate is multiplied by
    /// `machines / self.machines.count`, which keeps the offered load per machine the
    /// same. Needs `[machines]` in the config.
    pub fn scale_machines(&mut self, machines: u32) -> Result<(), TraceError> {
        let m = self.machines.as_mut().ok_or_else(|| {
            bad_config("scale_machines needs a [machines] section to scale from".into())
        })?;
        let f = f64::from(machines) / f64::from(m.count.max(1));
        m.count = machines;
        match &mut self.arrival {
            Arrival::Poisson { rate_per_s } => *rate_per_s *= f,
            Arrival::Diurnal { base_per_s, .. } => *base_per_s *= f,
        }
        Ok(())
    }

    /// The cluster of `[machines]`, if given.
    pub fn cluster(&self) -> Option<Vec<Machine>> {
        let m = self.machines.as_ref()?;
        Some(super::machines_from_mix(&[MachineClass {
            count: m.count,
            capacity: Resources::new(m.cpus, m.mem_mib).with_gpus(m.gpus),
            attributes: Default::default(),
        }]))
    }
}

struct Gen {
    rng: ChaCha8Rng,
    arrival: Arrival,
    tasks: CountSampler,
    cpus: Sampler,
    mem: Sampler,
    disk: Sampler,
    gpus: Sampler,
    dur: Sampler,
    prio: Option<(Vec<i32>, WeightedIndex<f64>)>,
    service_fraction: f64,
    users: u32,
    max_jobs: u64,
    max_tasks: u64,
    horizon: f64,
    t: f64,
    jobs: u64,
    tasks_done: u64,
}

fn build(cfg: &SynthConfig) -> Result<Gen, TraceError> {
    let rate_ok = |r: f64| r.is_finite() && r > 0.0;
    match &cfg.arrival {
        Arrival::Poisson { rate_per_s } if !rate_ok(*rate_per_s) => {
            return Err(bad_config(format!("arrival rate_per_s must be > 0, got {rate_per_s}")))
        }
        Arrival::Diurnal {
            base_per_s,
            amplitude,
            period,
        } if !rate_ok(*base_per_s) || !(0.0..=1.0).contains(amplitude) || *period == 0 => {
            return Err(bad_config(format!(
                "diurnal arrival needs base_per_s > 0, 0 <= amplitude <= 1 and period > 0, got {base_per_s}, {amplitude}, {period}"
            )))
        }
        _ => {}
    }
    if cfg.max_jobs.is_none() && cfg.max_tasks.is_none() && cfg.horizon.is_none() {
        return Err(bad_config(
            "set at least one of max_jobs, max_tasks, horizon".into(),
        ));
    }
    if !(0.0..=1.0).contains(&cfg.service_fraction) {
        return Err(bad_config(format!(
            "service_fraction must be in [0, 1], got {}",
            cfg.service_fraction
        )));
    }
    let prio = if cfg.priorities.is_empty() {
        None
    } else {
        let w: Vec<f64> = cfg.priorities.iter().map(|p| p.weight).collect();
        Some((
            cfg.priorities.iter().map(|p| p.priority).collect(),
            WeightedIndex::new(w).map_err(|e| bad_config(format!("priorities: {e}")))?,
        ))
    };
    Ok(Gen {
        rng: ChaCha8Rng::seed_from_u64(cfg.seed),
        arrival: cfg.arrival.clone(),
        tasks: cfg.tasks_per_job.sampler()?,
        cpus: cfg.cpus.sampler("cpus")?,
        mem: cfg.mem_mib.sampler("mem_mib")?,
        disk: cfg.disk_mib.sampler("disk_mib")?,
        gpus: cfg.gpus.sampler("gpus")?,
        dur: cfg.duration_s.sampler("duration_s")?,
        prio,
        service_fraction: cfg.service_fraction,
        users: cfg.users,
        max_jobs: cfg.max_jobs.unwrap_or(u64::MAX),
        max_tasks: cfg.max_tasks.unwrap_or(u64::MAX),
        horizon: cfg
            .horizon
            .map(|h| h as f64 / SEC as f64)
            .unwrap_or(f64::INFINITY),
        t: 0.0,
        jobs: 0,
        tasks_done: 0,
    })
}

impl Gen {
    fn next_arrival(&mut self) -> f64 {
        let exp = |rng: &mut ChaCha8Rng, rate: f64| -> f64 {
            let u: f64 = rng.gen::<f64>();
            -(1.0 - u).ln() / rate
        };
        match self.arrival {
            Arrival::Poisson { rate_per_s } => {
                self.t += exp(&mut self.rng, rate_per_s);
            }
            Arrival::Diurnal {
                base_per_s,
                amplitude,
                period,
            } => {
                let max = base_per_s * (1.0 + amplitude);
                let p = period as f64 / SEC as f64;
                loop {
                    self.t += exp(&mut self.rng, max);
                    let rate =
                        base_per_s * (1.0 + amplitude * (std::f64::consts::TAU * self.t / p).sin());
                    if self.rng.gen::<f64>() * max <= rate {
                        break;
                    }
                }
            }
        }
        self.t
    }

    fn job(&mut self) -> Option<TraceJob> {
        if self.jobs >= self.max_jobs || self.tasks_done >= self.max_tasks {
            return None;
        }
        let t = self.next_arrival();
        if t > self.horizon {
            return None;
        }
        let submit = (t * SEC as f64).round() as Time;
        let n = self.tasks.sample(&mut self.rng);
        let n = u64::from(n).min(self.max_tasks - self.tasks_done) as u32;
        let service = self.service_fraction > 0.0 && self.rng.gen::<f64>() < self.service_fraction;
        let priority = match &self.prio {
            Some((v, w)) => v[w.sample(&mut self.rng)],
            None => 0,
        };
        let user = (self.users > 0).then(|| format!("user{}", self.rng.gen_range(0..self.users)));
        let mut tasks = Vec::with_capacity(n as usize);
        for index in 0..n {
            let resources = Resources {
                cpus: ((self.cpus.sample(&mut self.rng) * 1000.0).round() as u64).max(1),
                mem: self.mem.sample(&mut self.rng).round() as u64,
                disk: self.disk.sample(&mut self.rng).round() as u64,
                gpus: (self.gpus.sample(&mut self.rng) * 1000.0).round() as u64,
                revocable_cpus: 0,
            };
            let d = self.dur.sample(&mut self.rng);
            let duration = if service {
                Time::MAX
            } else {
                ((d * SEC as f64).round() as Time).max(1)
            };
            tasks.push(TraceTask {
                index,
                count: 1,
                submit,
                resources,
                duration,
                name: None,
                constraints: Vec::new(),
            });
        }
        let id = self.jobs;
        self.jobs += 1;
        self.tasks_done += u64::from(n);
        Some(TraceJob {
            id,
            name: None,
            submit,
            priority,
            sched_class: None,
            kind: if service {
                JobKind::Service
            } else {
                JobKind::Batch
            },
            user,
            tasks,
        })
    }
}

/// The workload of `cfg`, generated lazily in submit order. An invalid config is the
/// stream's first (and only) item.
pub fn generate(cfg: &SynthConfig) -> TraceJobs {
    match build(cfg) {
        Err(e) => Box::new(std::iter::once(Err(e))),
        Ok(mut g) => Box::new(std::iter::from_fn(move || g.job().map(Ok))),
    }
}
