//! Latency distributions of network links, sampled in integer nanoseconds.
//!
//! Parameters are what one measures on a network (mean and standard deviation of the
//! latency itself); samples below zero are clamped to zero and floats are rounded to
//! the nanosecond, so a run's arithmetic stays in integers. Each sample consumes the
//! engine's network ChaCha stream, so a seed fixes every latency of a run.
//!
//! ```
//! use schedlab::sim::net::Latency;
//! let l = Latency::LogNormal { mean: 2_000_000, std: 500_000 };
//! assert!(l.validate().is_ok());
//! assert_eq!(l.mean(), 2_000_000.0);
//! ```

use crate::actor::Time;
use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal, Normal};
use serde::{Deserialize, Serialize};

/// A latency distribution, in nanoseconds. Samples below zero are clamped to zero.
/// Tagged by `dist` (read and written by `scenario::tagged`, so that an error inside
/// names its key).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
pub enum Latency {
    Constant {
        #[serde(with = "crate::units::duration")]
        value: Time,
    },
    Uniform {
        #[serde(with = "crate::units::duration")]
        low: Time,
        #[serde(with = "crate::units::duration")]
        high: Time,
    },
    Normal {
        #[serde(with = "crate::units::duration")]
        mean: Time,
        #[serde(with = "crate::units::duration")]
        std: Time,
    },
    /// Parameterized by the mean and standard deviation of the latency itself (not of
    /// its logarithm), which is what one measures on a real network.
    LogNormal {
        #[serde(with = "crate::units::duration")]
        mean: Time,
        #[serde(with = "crate::units::duration")]
        std: Time,
    },
    Exponential {
        #[serde(with = "crate::units::duration")]
        mean: Time,
    },
}

crate::config::tagged::internally_tagged!(Latency, "dist");

impl Default for Latency {
    fn default() -> Self {
        Latency::Constant { value: 500_000 }
    }
}

impl Latency {
    /// The configured mean, in ns (what tests compare measured means against).
    pub fn mean(&self) -> f64 {
        match *self {
            Latency::Constant { value } => value as f64,
            Latency::Uniform { low, high } => (low as f64 + high as f64) / 2.0,
            Latency::Normal { mean, .. } => mean as f64,
            Latency::LogNormal { mean, .. } => mean as f64,
            Latency::Exponential { mean } => mean as f64,
        }
    }

    /// Checks parameters; the message names the offending field.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Latency::Uniform { low, high } if high < low => Err(format!(
                "latency.high ({high} ns) is below latency.low ({low} ns)"
            )),
            Latency::LogNormal { mean: 0, .. } | Latency::Exponential { mean: 0 } => {
                Err("latency.mean must be positive".into())
            }
            _ => Ok(()),
        }
    }

    pub(crate) fn sampler(&self) -> Sampler {
        match *self {
            Latency::Constant { value } => Sampler::Constant(value),
            Latency::Uniform { low, high } => Sampler::Uniform(UniformNs::new_inclusive(low, high)),
            Latency::Normal { mean, std } => Sampler::Normal(
                Normal::new(mean as f64, std as f64).expect("std is finite and non-negative"),
            ),
            Latency::LogNormal { mean, std } => {
                let (m, s) = (mean as f64, std as f64);
                let sigma2 = (1.0 + (s * s) / (m * m)).ln();
                let mu = m.ln() - sigma2 / 2.0;
                Sampler::LogNormal(LogNormal::new(mu, sigma2.sqrt()).expect("validated"))
            }
            Latency::Exponential { mean } => {
                Sampler::Exp(Exp::new(1.0 / mean as f64).expect("validated"))
            }
        }
    }
}

/// A latency distribution ready to sample.
#[derive(Clone, Debug)]
pub(crate) enum Sampler {
    Constant(Time),
    Uniform(UniformNs),
    Normal(Normal<f64>),
    LogNormal(LogNormal<f64>),
    Exp(Exp<f64>),
}

impl Sampler {
    /// The integer distributions inline; the float ones (costlier anyway) out of line.
    #[inline(always)]
    pub(crate) fn sample(&self, rng: &mut ChaCha8Rng) -> Time {
        match self {
            Sampler::Constant(v) => *v,
            Sampler::Uniform(u) => u.sample(rng),
            _ => self.sample_float(rng),
        }
    }

    #[inline(never)]
    fn sample_float(&self, rng: &mut ChaCha8Rng) -> Time {
        match self {
            Sampler::Normal(d) => to_ns(d.sample(rng)),
            Sampler::LogNormal(d) => to_ns(d.sample(rng)),
            Sampler::Exp(d) => to_ns(d.sample(rng)),
            Sampler::Constant(_) | Sampler::Uniform(_) => unreachable!("sampled inline"),
        }
    }
}

#[inline]
fn to_ns(x: f64) -> Time {
    if x <= 0.0 {
        0
    } else {
        x.round() as Time
    }
}

/// Uniform integers in `[low, high]`. This is rand 0.8's `UniformInt<u64>` (a widening
/// multiply, rejecting the few draws below its zone), restated so that it inlines into
/// the send path: it draws exactly the same values from the same stream.
#[derive(Clone, Debug)]
#[doc(hidden)]
pub struct UniformNs {
    low: u64,
    /// `high - low + 1`; 0 stands for the whole `u64` range.
    range: u64,
    zone: u64,
}

impl UniformNs {
    #[doc(hidden)]
    pub fn new_inclusive(low: u64, high: u64) -> Self {
        assert!(low <= high, "uniform latency with low > high");
        let range = high.wrapping_sub(low).wrapping_add(1);
        let reject = if range > 0 {
            (u64::MAX - range + 1) % range
        } else {
            0
        };
        UniformNs {
            low,
            range,
            zone: u64::MAX - reject,
        }
    }

    #[inline(always)]
    #[doc(hidden)]
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> u64 {
        if self.range == 0 {
            return rng.next_u64();
        }
        loop {
            let m = rng.next_u64() as u128 * self.range as u128;
            if m as u64 <= self.zone {
                return self.low.wrapping_add((m >> 64) as u64);
            }
        }
    }
}
