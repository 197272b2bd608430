//! Statistics for A/B experiments over seeds: sample mean, sample standard deviation,
//! 95% confidence interval (Student's t), relative difference, Welch's unequal-variance
//! t-test and the Mann-Whitney U test.
//!
//! Each run of a scenario with a different seed is one independent sample of a metric
//! (its makespan, its Jain index...). Comparing two policies means comparing two such
//! samples, usually small (5 to 30 seeds), with possibly different variances: hence
//! Welch's test rather than Student's, and a rank test (Mann-Whitney) that does not
//! assume normality beside it. The formulas are the textbook ones as scipy implements
//! them (`scipy.stats.ttest_ind(equal_var=False)`, `scipy.stats.mannwhitneyu`); the unit
//! tests pin values computed with scipy 1.17.1.
//!
//! ```
//! use schedlab::stats::{welch, Sample};
//! let a = Sample::of(&[1.0, 2.0, 3.0, 4.0]);
//! assert_eq!(a.mean, 2.5);
//! let t = welch(&[1.0, 2.0, 3.0, 4.0], &[11.0, 12.0, 13.0, 14.0]);
//! assert!(t.p < 0.001);
//! ```

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Summary of one sample: size, mean, sample standard deviation (n - 1) and the 95%
/// confidence interval of the mean (Student's t with n - 1 degrees of freedom).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (divisor n - 1); 0 for a single value.
    pub std: f64,
    /// Lower and upper end of the 95% interval of the mean (equal to the mean for a
    /// single value; NaN for an empty sample).
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Arithmetic mean; NaN for an empty slice.
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample variance (divisor n - 1); 0 for fewer than two values.
pub fn variance(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64
}

/// Sample standard deviation (divisor n - 1).
pub fn std_dev(xs: &[f64]) -> f64 {
    variance(xs).sqrt()
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df)
        .map(|t| t.inverse_cdf(0.975))
        .unwrap_or(1.959964)
}

impl Sample {
    pub fn of(xs: &[f64]) -> Sample {
        let n = xs.len();
        let mean = mean(xs);
        let std = std_dev(xs);
        let half = if n >= 2 {
            t975((n - 1) as f64) * std / (n as f64).sqrt()
        } else {
            0.0
        };
        Sample {
            n,
            mean,
            std,
            ci_low: mean - half,
            ci_high: mean + half,
        }
    }

    /// Half-width of the 95% interval.
    pub fn half_width(&self) -> f64 {
        (self.ci_high - self.ci_low) / 2.0
    }
}

/// Relative difference of `b` against the baseline `a`: (b - a) / |a|. None when the
/// baseline is 0 (the ratio means nothing there).
pub fn relative_difference(a: f64, b: f64) -> Option<f64> {
    if a == 0.0 || !a.is_finite() || !b.is_finite() {
        return None;
    }
    Some((b - a) / a.abs())
}

/// Result of a two-sided test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Test {
    /// The statistic: t for Welch, U of the first sample for Mann-Whitney.
    pub statistic: f64,
    /// Degrees of freedom (Welch-Satterthwaite) or NaN for Mann-Whitney.
    pub df: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// Whether the Mann-Whitney p-value is the exact one (small samples, no ties).
    pub exact: bool,
}

/// Welch's two-sided t-test for a difference of means with unequal variances
/// (`scipy.stats.ttest_ind(a, b, equal_var=False)`), degrees of freedom by
/// Welch-Satterthwaite. Needs two values on each side (else p is NaN). When both
/// samples are constant the test is degenerate: p = 1 if the means are equal, else 0.
pub fn welch(a: &[f64], b: &[f64]) -> Test {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let nan = Test {
        statistic: f64::NAN,
        df: f64::NAN,
        p: f64::NAN,
        exact: false,
    };
    if a.len() < 2 || b.len() < 2 {
        return nan;
    }
    let (m1, m2) = (mean(a), mean(b));
    let (q1, q2) = (variance(a) / n1, variance(b) / n2);
    let se2 = q1 + q2;
    if se2 == 0.0 {
        let same = m1 == m2;
        return Test {
            statistic: if same { 0.0 } else { f64::INFINITY },
            df: n1 + n2 - 2.0,
            p: if same { 1.0 } else { 0.0 },
            exact: false,
        };
    }
    let t = (m1 - m2) / se2.sqrt();
    let df = se2 * se2 / (q1 * q1 / (n1 - 1.0) + q2 * q2 / (n2 - 1.0));
    let p = match StudentsT::new(0.0, 1.0, df) {
        Ok(dist) => (2.0 * dist.cdf(-t.abs())).min(1.0),
        Err(_) => return nan,
    };
    Test {
        statistic: t,
        df,
        p,
        exact: false,
    }
}

/// Largest sample size (each side) for which [`mann_whitney`] computes the exact
/// distribution of U when there are no ties (scipy's `method="auto"` threshold).
pub const MWU_EXACT_MAX: usize = 8;

/// Mann-Whitney U, two-sided. Without ties and with both samples of at most
/// [`MWU_EXACT_MAX`] values, the p-value is exact (`method="exact"`); otherwise it is
/// the normal approximation with tie correction and continuity correction
/// (`method="asymptotic", use_continuity=True`). The statistic is U of `a`:
/// the number of pairs (x in a, y in b) with x > y, ties counting one half.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> Test {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return Test {
            statistic: f64::NAN,
            df: f64::NAN,
            p: f64::NAN,
            exact: false,
        };
    }
    // Midranks of the pooled sample.
    let mut pooled: Vec<(f64, usize)> = a
        .iter()
        .map(|&x| (x, 0))
        .chain(b.iter().map(|&y| (y, 1)))
        .collect();
    pooled.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = pooled.len();
    let mut rank_sum_a = 0.0;
    let mut tie_term = 0.0; // sum of t^3 - t over groups of ties
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && pooled[j + 1].0 == pooled[i].0 {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        let midrank = (i + j) as f64 / 2.0 + 1.0;
        for item in &pooled[i..=j] {
            if item.1 == 0 {
                rank_sum_a += midrank;
            }
        }
        tie_term += t * t * t - t;
        i = j + 1;
    }
    let (f1, f2, nf) = (n1 as f64, n2 as f64, n as f64);
    let u1 = rank_sum_a - f1 * (f1 + 1.0) / 2.0;
    let u2 = f1 * f2 - u1;
    let big = u1.max(u2);
    if tie_term == 0.0 && n1 <= MWU_EXACT_MAX && n2 <= MWU_EXACT_MAX {
        let counts = u_counts(n1, n2);
        let total: f64 = counts.iter().sum();
        let k = big.round() as usize;
        let tail: f64 = counts[k.min(counts.len())..].iter().sum();
        return Test {
            statistic: u1,
            df: f64::NAN,
            p: (2.0 * tail / total).min(1.0),
            exact: true,
        };
    }
    let mu = f1 * f2 / 2.0;
    let sigma = (f1 * f2 / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)))).sqrt();
    let p = if sigma == 0.0 {
        1.0
    } else {
        let z = (big - mu - 0.5) / sigma;
        let normal = Normal::new(0.0, 1.0).expect("standard normal");
        (2.0 * normal.sf(z)).min(1.0)
    };
    Test {
        statistic: u1,
        df: f64::NAN,
        p,
        exact: false,
    }
}

/// Number of arrangements of n1 + n2 distinct values giving each U = 0..=n1*n2:
/// c(i, j, u) = c(i - 1, j, u - j) + c(i, j - 1, u) (the largest value is either in
/// the first sample, beating all j values of the second, or in the second).
#[doc(hidden)]
pub fn u_counts(n1: usize, n2: usize) -> Vec<f64> {
    // table[j] holds the counts for (i, j) for the current i.
    let mut prev: Vec<Vec<f64>> = (0..=n2).map(|_| vec![1.0]).collect(); // i = 0
    for i in 1..=n1 {
        let mut cur: Vec<Vec<f64>> = Vec::with_capacity(n2 + 1);
        cur.push(vec![1.0]); // j = 0: U = 0 only
        for j in 1..=n2 {
            let mut c = vec![0.0; i * j + 1];
            for (u, &v) in prev[j].iter().enumerate() {
                c[u + j] += v;
            }
            for (u, &v) in cur[j - 1].iter().enumerate() {
                c[u] += v;
            }
            cur.push(c);
        }
        prev = cur;
    }
    prev.swap_remove(n2)
}
