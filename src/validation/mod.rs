//! Validation against published results: each experiment here reproduces a number a
//! paper measured or proved, so that a reader can check the simulator before trusting
//! it with a new question.
//!
//! | module        | paper                                   | what is reproduced                        |
//! |---------------|-----------------------------------------|-------------------------------------------|
//! | `mesos_table2`| Mesos, NSDI'11, section 4.2, Table 2    | ramp-up, completion, utilization of elastic and rigid frameworks, through master, allocator and framework actors |
//! | `drf`         | DRF, NSDI'11, section 4                 | sharing incentive, strategy-proofness, Pareto efficiency, envy-freeness of the allocator on random instances |
//! | `omega`       | Omega, EuroSys'13, section 4            | monolithic vs two-level vs shared-state schedulers (lightweight simulator) |
//! | `borg`        | Borg, EuroSys'15, section 5             | cell compaction: segregation and request rounding cost machines |
//!
//! The measured numbers, their confidence intervals and the commands that produce them
//! are in `results/validation/README.md`; `schedlab validate-paper` runs each one.
//!
//! ```
//! use schedlab::validation::Estimate;
//! let e = Estimate::of(&[1.0, 2.0, 3.0]);
//! assert_eq!(e.mean, 2.0);
//! assert!(e.half_width > 0.0 && e.contains(2.0));
//! ```

pub mod borg;
pub mod cli;
pub mod drf;
pub mod mesos_table2;
pub mod omega;

use crate::scenario::{parse_toml, ScenarioError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::Path;

/// A sample mean with its 95% confidence interval (Student's t): what every result
/// table of the validation reports beside the paper's number.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    /// Half-width of the 95% interval: the interval is `mean ± half_width`.
    pub half_width: f64,
    pub n: usize,
}

/// The 0.975 quantile of Student's t with `n - 1` degrees of freedom (1.96 for large
/// `n`); 0 when there are fewer than two samples.
fn t975(n: usize) -> f64 {
    if n < 2 {
        return 0.0;
    }
    crate::stats::t975((n - 1) as f64)
}

impl Estimate {
    /// Mean and 95% interval of independent samples `xs`.
    pub fn of(xs: &[f64]) -> Estimate {
        let n = xs.len();
        if n == 0 {
            return Estimate {
                mean: f64::NAN,
                half_width: f64::NAN,
                n,
            };
        }
        let mean = crate::stats::mean(xs);
        let var = crate::stats::variance(xs);
        Estimate {
            mean,
            half_width: t975(n) * (var / n as f64).sqrt(),
            n,
        }
    }

    /// The ratio of sums `sum y / sum x` over independent pairs (a ratio of expected
    /// values, e.g. used / allocated slot-time), with its 95% interval by the delta
    /// method: `se = sqrt(sum (y_i - R x_i)^2 / (n - 1)) / (sqrt(n) * mean x)`.
    pub fn ratio(y: &[f64], x: &[f64]) -> Estimate {
        let n = y.len().min(x.len());
        let (sy, sx): (f64, f64) = (y[..n].iter().sum(), x[..n].iter().sum());
        if n == 0 || sx == 0.0 {
            return Estimate {
                mean: f64::NAN,
                half_width: f64::NAN,
                n,
            };
        }
        let r = sy / sx;
        let s2 = if n > 1 {
            (0..n).map(|i| (y[i] - r * x[i]).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        Estimate {
            mean: r,
            half_width: t975(n) * s2.sqrt() / ((n as f64).sqrt() * (sx / n as f64)),
            n,
        }
    }

    /// True if `v` lies inside the 95% interval.
    pub fn contains(&self, v: f64) -> bool {
        (v - self.mean).abs() <= self.half_width
    }

    /// Relative distance of the mean from `target`: `|mean - target| / target`.
    pub fn rel_error(&self, target: f64) -> f64 {
        ((self.mean - target) / target).abs()
    }

    /// `mean ± half_width` with `digits` decimals.
    pub fn show(&self, digits: usize) -> String {
        format!("{:.d$} ± {:.d$}", self.mean, self.half_width, d = digits)
    }
}

/// A check on a parsed config that serde cannot make, as a located error.
pub fn config_error(text: &str, file: &str, key: &str, message: String) -> ScenarioError {
    ScenarioError {
        file: file.to_string(),
        line: crate::scenario::find_key_line(text, key),
        key: Some(key.to_string()),
        message,
    }
}

/// Reads and validates a config: `check` returns (key, message) for a bad value.
pub fn load_checked<T: DeserializeOwned>(
    path: &Path,
    check: impl Fn(&T) -> Result<(), (String, String)>,
) -> Result<T, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: None,
        key: None,
        message: format!("cannot read: {e}"),
    })?;
    parse_checked(&text, &file, check)
}

/// As [`load_checked`], from text.
pub fn parse_checked<T: DeserializeOwned>(
    text: &str,
    file: &str,
    check: impl Fn(&T) -> Result<(), (String, String)>,
) -> Result<T, ScenarioError> {
    let cfg: T = parse_toml(text, file)?;
    check(&cfg).map_err(|(key, msg)| config_error(text, file, &key, msg))?;
    Ok(cfg)
}
