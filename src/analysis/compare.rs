//! A/B comparison of two sets of runs, metric by metric: per side n, mean, sample
//! standard deviation and 95% interval; the relative difference of the means; Welch's
//! t-test and Mann-Whitney U p-values; significance at p < 0.05 on Welch.
//!
//! No correction for multiple comparisons is applied: each row is its own test at
//! 5%, so comparing 14 metrics of two identical configurations flags 0.7 of them by
//! chance on average (fewer in practice, since the metrics are correlated). Read a
//! flag on a metric you did not set out to test as a hint, or tighten the level
//! (Bonferroni: 0.05 / number of metrics).

use super::{metric, metric_values, AnalysisError, RunSet};
use crate::stats::{mann_whitney, relative_difference, welch, Sample};

/// Significance level of the flag.
pub const ALPHA: f64 = 0.05;

/// One metric compared between a baseline set `a` and a set `b`.
#[derive(Clone, Debug)]
pub struct Row {
    pub metric: String,
    pub a: Sample,
    pub b: Sample,
    /// (mean b - mean a) / |mean a|.
    pub rel_diff: Option<f64>,
    pub welch_p: f64,
    pub mw_p: f64,
    /// Welch p < [`ALPHA`].
    pub significant: bool,
}

/// The comparison of two sets.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub rows: Vec<Row>,
}

impl Comparison {
    /// The row of a metric, by name.
    pub fn row(&self, metric: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.metric == metric)
    }
}

/// Compares `b` against the baseline `a` on each of `metrics`.
pub fn compare(a: &RunSet, b: &RunSet, metrics: &[String]) -> Result<Comparison, AnalysisError> {
    let mut rows = Vec::new();
    for name in metrics {
        let xa = metric_values(a, name)?;
        let xb = metric_values(b, name)?;
        let (sa, sb) = (Sample::of(&xa), Sample::of(&xb));
        let w = welch(&xa, &xb);
        let mw = mann_whitney(&xa, &xb);
        rows.push(Row {
            metric: metric(name).name,
            a: sa,
            b: sb,
            rel_diff: relative_difference(sa.mean, sb.mean),
            welch_p: w.p,
            mw_p: mw.p,
            significant: w.p < ALPHA,
        });
    }
    Ok(Comparison {
        a: a.label.clone(),
        b: b.label.clone(),
        rows,
    })
}

/// Which pairs of groups to compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Pairs {
    /// Every group against the first.
    First,
    /// Every pair of groups.
    All,
}

/// Comparisons of groups: each against the first, or all pairs (in order).
pub fn compare_groups(
    sets: &[RunSet],
    metrics: &[String],
    pairs: Pairs,
) -> Result<Vec<Comparison>, AnalysisError> {
    if sets.len() < 2 {
        return Err(AnalysisError(format!(
            "nothing to compare: one set of runs ({}); give two, or a sweep with --by",
            sets.first().map_or("none", |s| s.label.as_str())
        )));
    }
    let mut out = Vec::new();
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            if pairs == Pairs::First && i > 0 {
                continue;
            }
            out.push(compare(&sets[i], &sets[j], metrics)?);
        }
    }
    Ok(out)
}

/// Output format of the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Markdown,
    Csv,
}

/// A number for a table: 4 significant digits, no exponent for ordinary sizes.
pub fn num(x: f64) -> String {
    if x.is_nan() {
        return "-".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let a = x.abs();
    if !(1e-3..1e6).contains(&a) {
        return format!("{x:.3e}");
    }
    let digits = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    format!("{x:.digits$}")
}

fn pval(p: f64) -> String {
    if p.is_nan() {
        "-".into()
    } else if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

fn rel(r: Option<f64>) -> String {
    r.map_or("-".into(), |r| format!("{:+.1}%", r * 100.0))
}

/// Column heads of a comparison table (also the HTML report's).
pub(crate) const HEADER: [&str; 12] = [
    "metric", "n A", "mean A", "std A", "95% CI A", "n B", "mean B", "std B", "95% CI B",
    "rel diff", "Welch p", "MWU p",
];

/// One comparison row as the tables show it (also the HTML report's).
pub(crate) fn cells(r: &Row) -> Vec<String> {
    let ci = |s: &Sample| format!("[{}, {}]", num(s.ci_low), num(s.ci_high));
    vec![
        r.metric.clone(),
        r.a.n.to_string(),
        num(r.a.mean),
        num(r.a.std),
        ci(&r.a),
        r.b.n.to_string(),
        num(r.b.mean),
        num(r.b.std),
        ci(&r.b),
        rel(r.rel_diff),
        pval(r.welch_p),
        pval(r.mw_p),
    ]
}

/// Renders comparisons in a format. Table and Markdown print one table per pair with a
/// `*` after a significant Welch p; CSV is one row per (pair, metric) with raw values.
pub fn render(comps: &[Comparison], format: Format) -> String {
    let mut s = String::new();
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record([
                "a",
                "b",
                "metric",
                "n_a",
                "mean_a",
                "std_a",
                "ci_low_a",
                "ci_high_a",
                "n_b",
                "mean_b",
                "std_b",
                "ci_low_b",
                "ci_high_b",
                "rel_diff",
                "welch_p",
                "mw_p",
                "significant",
            ]);
            for c in comps {
                for r in &c.rows {
                    let f = |x: f64| x.to_string();
                    let _ = w.write_record([
                        c.a.clone(),
                        c.b.clone(),
                        r.metric.clone(),
                        r.a.n.to_string(),
                        f(r.a.mean),
                        f(r.a.std),
                        f(r.a.ci_low),
                        f(r.a.ci_high),
                        r.b.n.to_string(),
                        f(r.b.mean),
                        f(r.b.std),
                        f(r.b.ci_low),
                        f(r.b.ci_high),
                        r.rel_diff.map_or(String::new(), f),
                        f(r.welch_p),
                        f(r.mw_p),
                        r.significant.to_string(),
                    ]);
                }
            }
            s = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
        }
        Format::Markdown => {
            for c in comps {
                s.push_str(&format!("A = `{}`, B = `{}`\n\n", c.a, c.b));
                s.push_str(&format!("| {} |\n", HEADER.join(" | ")));
                s.push_str(&format!("|{}\n", "---|".repeat(HEADER.len())));
                for r in &c.rows {
                    let mut cs = cells(r);
                    if r.significant {
                        cs[10].push_str(" *");
                    }
                    s.push_str(&format!("| {} |\n", cs.join(" | ")));
                }
                s.push_str(&format!(
                    "\n`*`: Welch p < {ALPHA} (not corrected for multiple comparisons)\n\n"
                ));
            }
        }
        Format::Table => {
            for c in comps {
                s.push_str(&format!("A = {}\nB = {}\n", c.a, c.b));
                let mut rows: Vec<Vec<String>> =
                    vec![HEADER.iter().map(|h| h.to_string()).collect()];
                for r in &c.rows {
                    let mut cs = cells(r);
                    cs[10].push_str(if r.significant { " *" } else { "  " });
                    rows.push(cs);
                }
                let widths: Vec<usize> = (0..HEADER.len())
                    .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
                    .collect();
                for (k, r) in rows.iter().enumerate() {
                    let line: Vec<String> = r
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            if i == 0 {
                                format!("{c:<w$}", w = widths[i])
                            } else {
                                format!("{c:>w$}", w = widths[i])
                            }
                        })
                        .collect();
                    s.push_str(line.join("  ").trim_end());
                    s.push('\n');
                    if k == 0 {
                        s.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * widths.len()));
                        s.push('\n');
                    }
                }
                s.push_str(&format!(
                    "*: Welch p < {ALPHA} (not corrected for multiple comparisons)\n\n"
                ));
            }
        }
    }
    s
}
