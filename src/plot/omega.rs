//! The Omega paper's figures (Schwarzkopf et al., EuroSys'13, figures 5 and 6 of the
//! lightweight simulator) from the CSV that `schedlab validate-paper omega --csv`
//! writes: scheduler busyness, conflict fraction, batch jobs abandoned and batch wait
//! against the
//! service scheduler's decision time t_job, log x axis, one line per architecture,
//! with 95% interval bars.

use super::{Figure, LineChart, Series};
use crate::analysis::AnalysisError;
use plotters::chart::SeriesLabelPosition;
use std::path::Path;

/// The first line of an Omega sweep CSV.
pub const HEADER_START: &str = "architecture,service_t_job_s,";

/// Whether `path` is an Omega sweep CSV (by its header).
pub fn is_omega_csv(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .map(|s| s.starts_with(HEADER_START))
        .unwrap_or(false)
}

/// The panels: (CSV column, panel title, y axis label).
const PANELS: [(&str, &str, &str); 6] = [
    (
        "busyness_batch",
        "Batch scheduler busyness",
        "busyness (fraction of time)",
    ),
    (
        "busyness_service",
        "Service scheduler busyness",
        "busyness (fraction of time)",
    ),
    (
        "conflict_batch",
        "Batch conflict fraction",
        "fraction of transactions",
    ),
    (
        "conflict_service",
        "Service conflict fraction",
        "fraction of transactions",
    ),
    (
        "abandoned_batch",
        "Batch jobs abandoned",
        "fraction of batch jobs",
    ),
    ("batch_wait_s", "Mean batch job wait", "wait (s)"),
];

/// Builds the figure from the CSV text (`file` names it in errors).
pub fn figure(text: &str, file: &str) -> Result<Figure, AnalysisError> {
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let h = rd
        .headers()
        .map_err(|e| AnalysisError(format!("{file}:1: {e}")))?
        .clone();
    let col = |n: &str| {
        h.iter()
            .position(|c| c == n)
            .ok_or_else(|| AnalysisError(format!("{file}:1: no column `{n}`")))
    };
    let arch = col("architecture")?;
    let t = col("service_t_job_s")?;
    let mut cols = Vec::new();
    for (c, _, _) in PANELS {
        cols.push((col(c)?, col(&format!("{c}_ci"))?));
    }
    // architecture -> (t, [(mean, ci)] per panel)
    type Point = (f64, Vec<(f64, f64)>);
    let mut by_arch: Vec<(String, Vec<Point>)> = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| AnalysisError(format!("{file}:{line}: {e}")))?;
        let num = |k: usize, name: &str| -> Result<f64, AnalysisError> {
            let s = rec.get(k).unwrap_or("");
            s.parse::<f64>().map_err(|_| {
                AnalysisError(format!(
                    "{file}:{line}: field `{name}`: `{s}` is not a number"
                ))
            })
        };
        let a = rec.get(arch).unwrap_or("").to_string();
        let tv = num(t, "service_t_job_s")?;
        let mut vals = Vec::new();
        for (k, (m, c)) in cols.iter().enumerate() {
            vals.push((
                num(*m, PANELS[k].0)?,
                num(*c, &format!("{}_ci", PANELS[k].0))?,
            ));
        }
        match by_arch.iter_mut().find(|(n, _)| *n == a) {
            Some((_, pts)) => pts.push((tv, vals)),
            None => by_arch.push((a, vec![(tv, vals)])),
        }
    }
    if by_arch.is_empty() {
        return Err(AnalysisError(format!("{file}: no rows")));
    }
    let charts = PANELS
        .iter()
        .enumerate()
        .map(|(k, (_, title, ylabel))| {
            let mut c = LineChart::new(title, "service t_job (s), log scale", ylabel);
            c.log_x = true;
            c.markers = true;
            c.scale = 0.8;
            c.legend = SeriesLabelPosition::UpperLeft;
            for (name, pts) in &by_arch {
                let mut pts = pts.clone();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                c.series.push(Series {
                    name: name.clone(),
                    points: pts.iter().map(|(t, v)| (*t, v[k].0)).collect(),
                    errors: Some(pts.iter().map(|(_, v)| v[k].1).collect()),
                });
            }
            let ymax = c
                .series
                .iter()
                .flat_map(|s| {
                    s.points
                        .iter()
                        .zip(s.errors.iter().flatten())
                        .map(|(p, e)| p.1 + e)
                })
                .fold(0.0f64, f64::max);
            let cap = if PANELS[k].0.ends_with("_s") {
                f64::INFINITY
            } else {
                1.05
            };
            c.y_range = Some((0.0, (ymax * 1.15).clamp(0.01, cap)));
            c
        })
        .collect();
    Ok(Figure::Grid {
        title: "Omega lightweight simulator: architectures vs service decision time".into(),
        cols: 3,
        charts,
    })
}

/// Reads an Omega CSV file and builds its figure.
pub fn figure_of_file(path: &Path) -> Result<Figure, AnalysisError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AnalysisError(format!("{}: cannot read: {e}", path.display())))?;
    figure(&text, &path.display().to_string())
}
