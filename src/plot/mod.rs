//! Figures of finished runs (`schedlab plot`): CDFs of job completion and task wait
//! times, utilization per resource and dominant share per framework over time, a
//! per-agent Gantt chart of tasks, and a leadership/agent-removal timeline; plus the
//! Omega paper's figure from `results/validation/omega.csv` ([`omega`]).
//!
//! A figure is data first ([`Figure`]: series of points, lanes of bars), built from
//! the output contract (`summary.json`, `tasks.csv`, `timeseries.csv`), then drawn by
//! [`draw`] with plotters at paper size (1200 x 800, large fonts) as PNG and SVG.
//!
//! ```no_run
//! use schedlab::{analysis, plot};
//! let set = analysis::load_set(std::path::Path::new("results/policies")).unwrap();
//! let files = plot::write_all(&[set], std::path::Path::new("results/policies/plots")).unwrap();
//! assert!(files.iter().any(|f| f.ends_with("jct_cdf.png")));
//! ```

pub mod data;
pub mod draw;
pub mod omega;

use crate::analysis::{field, AnalysisError, Run, RunSet};
use data::{job_completions, read_tasks, read_timeseries, waits};
use plotters::chart::SeriesLabelPosition;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One line of a line chart.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Half-widths of error bars at each point (e.g. 95% intervals).
    pub errors: Option<Vec<f64>>,
}

/// A chart of lines.
#[derive(Clone, Debug)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub log_x: bool,
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
    pub legend: SeriesLabelPosition,
    /// Draw a dot at every point (for sweeps with few points).
    pub markers: bool,
    /// Font scale (1 for a full figure, smaller in a grid panel).
    pub scale: f64,
}

impl LineChart {
    pub fn new(title: &str, x_label: &str, y_label: &str) -> LineChart {
        LineChart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            log_x: false,
            x_range: None,
            y_range: None,
            legend: SeriesLabelPosition::LowerRight,
            markers: false,
            scale: 1.0,
        }
    }

    fn font(&self, px: u32) -> u32 {
        ((px as f64) * self.scale).round().max(1.0) as u32
    }
}

/// One bar of a lane chart.
#[derive(Clone, Debug)]
pub struct Bar {
    pub lane: usize,
    pub from: f64,
    pub to: f64,
    /// Index into the chart's `keys` (the colour).
    pub key: usize,
    /// Vertical extent within the lane, as fractions (for concurrent tasks).
    pub slot: (f64, f64),
}

/// Horizontal lanes of bars over time, with cross marks for point events.
#[derive(Clone, Debug)]
pub struct LaneChart {
    pub title: String,
    pub x_label: String,
    pub lanes: Vec<String>,
    pub bars: Vec<Bar>,
    /// Legend: one entry per bar colour.
    pub keys: Vec<String>,
    /// Palette index of each key (default: the key's own index).
    pub key_palette: Vec<usize>,
    /// (lane, time) of point events.
    pub marks: Vec<(usize, f64)>,
    pub marks_label: Option<String>,
    /// Extend the time axis to here (the end of the run).
    pub x_max: Option<f64>,
}

/// A figure ready to draw.
#[derive(Clone, Debug)]
pub enum Figure {
    Lines(LineChart),
    Lanes(LaneChart),
    /// Panels in a grid of `cols` columns under one title.
    Grid {
        title: String,
        cols: usize,
        charts: Vec<LineChart>,
    },
}

impl Figure {
    /// Pixel size: 1200 x 800, larger for grids.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Figure::Grid { cols, charts, .. } => {
                let rows = charts.len().div_ceil(*cols) as u32;
                (700 * *cols as u32, 540 * rows + 70)
            }
            _ => (1200, 800),
        }
    }
}

/// At most this many lines in one chart; further runs are left out (and the title
/// says so).
pub const MAX_SERIES: usize = 10;
/// Gantt chart caps: agents (lanes) and task bars drawn.
pub const GANTT_MAX_AGENTS: usize = 30;
pub const GANTT_MAX_TASKS: usize = 4000;
/// Points kept per CDF line (quantiles of larger samples).
#[doc(hidden)]
pub const CDF_POINTS: usize = 1000;

/// Empirical CDF of `xs` as a step line (at most [`CDF_POINTS`] steps).
pub fn cdf(xs: &[f64]) -> Vec<(f64, f64)> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return Vec::new();
    }
    let step = n.div_ceil(CDF_POINTS);
    let mut pts: Vec<(f64, f64)> = Vec::with_capacity(2 * CDF_POINTS + 2);
    let mut i = step - 1;
    loop {
        let i_clamped = i.min(n - 1);
        let prev = pts.last().map_or(0.0, |p| p.1);
        pts.push((v[i_clamped], prev));
        pts.push((v[i_clamped], (i_clamped + 1) as f64 / n as f64));
        if i_clamped == n - 1 {
            break;
        }
        i += step;
    }
    pts
}

/// The lines of a CDF chart: one per set when there are several (runs pooled), else
/// one per run of the single set, or for a single run one per framework plus all.
fn cdf_series(
    sets: &[RunSet],
    values: &dyn Fn(&[data::TaskRow]) -> Vec<f64>,
) -> Result<(Vec<Series>, String), AnalysisError> {
    let mut note = String::new();
    let mut series = Vec::new();
    let tasks_of = |r: &Run| read_tasks(&r.dir.join("tasks.csv"));
    if sets.len() > 1 {
        for s in sets.iter().take(MAX_SERIES) {
            let mut xs = Vec::new();
            for r in &s.runs {
                xs.extend(values(&tasks_of(r)?));
            }
            series.push(Series {
                name: format!("{} ({} runs)", s.label, s.runs.len()),
                points: cdf(&xs),
                errors: None,
            });
        }
        if sets.len() > MAX_SERIES {
            note = format!(" (first {MAX_SERIES} of {} groups)", sets.len());
        }
    } else if let Some(set) = sets.first() {
        if set.runs.len() == 1 {
            let tasks = tasks_of(&set.runs[0])?;
            series.push(Series {
                name: "all frameworks".into(),
                points: cdf(&values(&tasks)),
                errors: None,
            });
            let mut by_fw: BTreeMap<&str, Vec<data::TaskRow>> = BTreeMap::new();
            for t in &tasks {
                by_fw
                    .entry(t.framework.as_str())
                    .or_default()
                    .push(t.clone());
            }
            if by_fw.len() > 1 {
                for (fw, rows) in by_fw.iter().take(MAX_SERIES - 1) {
                    series.push(Series {
                        name: fw.to_string(),
                        points: cdf(&values(rows)),
                        errors: None,
                    });
                }
            }
        } else {
            for r in set.runs.iter().take(MAX_SERIES) {
                series.push(Series {
                    name: r.label.clone(),
                    points: cdf(&values(&tasks_of(r)?)),
                    errors: None,
                });
            }
            if set.runs.len() > MAX_SERIES {
                note = format!(" (first {MAX_SERIES} of {} runs)", set.runs.len());
            }
        }
    }
    Ok((series, note))
}

/// CDF of job completion times.
pub fn jct_cdf(sets: &[RunSet]) -> Result<Figure, AnalysisError> {
    let (series, note) = cdf_series(sets, &|t| job_completions(t))?;
    let mut c = LineChart::new(
        &format!("Job completion time CDF{note}"),
        "job completion time (s)",
        "fraction of jobs",
    );
    c.series = series;
    c.y_range = Some((0.0, 1.02));
    Ok(Figure::Lines(c))
}

/// CDF of task wait times (submit to start).
pub fn wait_cdf(sets: &[RunSet]) -> Result<Figure, AnalysisError> {
    let (series, note) = cdf_series(sets, &|t| waits(t))?;
    let mut c = LineChart::new(
        &format!("Task wait time CDF{note}"),
        "task wait time, submit to start (s)",
        "fraction of tasks",
    );
    c.series = series;
    c.y_range = Some((0.0, 1.02));
    Ok(Figure::Lines(c))
}

/// The run whose time series represent a set (its first, in path order).
fn first_run(set: &RunSet) -> Result<&Run, AnalysisError> {
    set.runs
        .first()
        .ok_or_else(|| AnalysisError(format!("{}: no runs", set.label)))
}

fn which_run(sets: &[RunSet]) -> String {
    let n: usize = sets.iter().map(|s| s.runs.len()).sum();
    if n > 1 {
        ", first run of each".into()
    } else {
        String::new()
    }
}

/// Utilization per resource over time (used / total), and allocated (used + offered)
/// CPUs; one line per resource for one set, one line per set for CPUs used otherwise.
pub fn utilization(sets: &[RunSet]) -> Result<Figure, AnalysisError> {
    let mut c = LineChart::new(
        &format!("Utilization over time{}", which_run(sets)),
        "simulated time (s)",
        "fraction of cluster",
    );
    c.y_range = Some((0.0, 1.05));
    c.legend = SeriesLabelPosition::LowerRight;
    for (k, set) in sets.iter().take(MAX_SERIES).enumerate() {
        let run = first_run(set)?;
        let path = run.dir.join("timeseries.csv");
        let ts = read_timeseries(&path)?;
        let col = |name: &str| {
            ts.col(name)
                .ok_or_else(|| AnalysisError(format!("{}:1: no column `{name}`", path.display())))
        };
        let t = col("time")?;
        let ratio = |num: &[f64], den: &[f64]| -> Vec<(f64, f64)> {
            t.iter()
                .zip(num.iter().zip(den))
                .filter(|(_, (_, d))| **d > 0.0)
                .map(|(t, (n, d))| (*t, n / d))
                .collect()
        };
        let (cu, ct) = (col("cpus_used")?, col("cpus_total")?);
        if sets.len() == 1 {
            let (mu, mt, ca) = (col("mem_used")?, col("mem_total")?, col("cpus_allocated")?);
            for (name, pts) in [
                ("CPUs used", ratio(cu, ct)),
                ("memory used", ratio(mu, mt)),
                ("CPUs allocated (used + offered)", ratio(ca, ct)),
            ] {
                c.series.push(Series {
                    name: name.into(),
                    points: pts,
                    errors: None,
                });
            }
        } else {
            let _ = k;
            c.series.push(Series {
                name: format!("{}: CPUs used", set.label),
                points: ratio(cu, ct),
                errors: None,
            });
        }
    }
    Ok(Figure::Lines(c))
}

/// Dominant share of each framework over time (the allocator's `share:<framework>`
/// columns), for the first run of the first set, or of each set prefixed by its label.
pub fn shares(sets: &[RunSet]) -> Result<Figure, AnalysisError> {
    let mut c = LineChart::new(
        &format!("Dominant share per framework{}", which_run(sets)),
        "simulated time (s)",
        "dominant share",
    );
    c.legend = SeriesLabelPosition::UpperRight;
    let many = sets.len() > 1;
    for set in sets {
        let run = first_run(set)?;
        let ts = read_timeseries(&run.dir.join("timeseries.csv"))?;
        let t = ts.col("time").unwrap_or(&[]);
        for (fw, v) in ts.shares() {
            if c.series.len() >= MAX_SERIES {
                break;
            }
            c.series.push(Series {
                name: if many {
                    format!("{}: {fw}", set.label)
                } else {
                    fw.to_string()
                },
                points: t.iter().copied().zip(v.iter().copied()).collect(),
                errors: None,
            });
        }
    }
    let ymax = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(0.0f64, f64::max);
    c.y_range = Some((0.0, (ymax * 1.1).clamp(0.05, 1.05)));
    Ok(Figure::Lines(c))
}

fn sim_time(run: &Run) -> Option<f64> {
    field(&run.summary, "sim_time_s").and_then(|v| v.as_f64())
}

/// Per-agent Gantt chart of the first run: one lane per agent (name order, at most
/// [`GANTT_MAX_AGENTS`]), one bar per task attempt from start to end (or to the end of
/// the run if still running), coloured by framework; concurrent tasks share the lane
/// in sub-rows. At most [`GANTT_MAX_TASKS`] bars (earliest starts first).
pub fn gantt(sets: &[RunSet]) -> Result<Figure, AnalysisError> {
    let set = sets
        .first()
        .ok_or_else(|| AnalysisError("no runs".into()))?;
    let run = first_run(set)?;
    let tasks = read_tasks(&run.dir.join("tasks.csv"))?;
    let end = sim_time(run).unwrap_or(0.0);
    let mut agents: Vec<&str> = tasks
        .iter()
        .filter(|t| t.start.is_some() && !t.agent.is_empty())
        .map(|t| t.agent.as_str())
        .collect();
    agents.sort_by_key(|a| natural(a));
    agents.dedup();
    let total_agents = agents.len();
    agents.truncate(GANTT_MAX_AGENTS);
    let mut frameworks: Vec<&str> = tasks.iter().map(|t| t.framework.as_str()).collect();
    frameworks.sort();
    frameworks.dedup();
    let mut rows: Vec<&data::TaskRow> = tasks
        .iter()
        .filter(|t| t.start.is_some() && agents.contains(&t.agent.as_str()))
        .collect();
    rows.sort_by(|a, b| a.start.unwrap_or(0.0).total_cmp(&b.start.unwrap_or(0.0)));
    let total_tasks = rows.len();
    rows.truncate(GANTT_MAX_TASKS);
    // Sub-rows per agent: greedy interval colouring.
    let mut slots: Vec<Vec<f64>> = vec![Vec::new(); agents.len()];
    let mut placed = Vec::new();
    for t in &rows {
        let lane = agents.iter().position(|a| *a == t.agent).unwrap_or(0);
        let (s, e) = (
            t.start.unwrap_or(0.0),
            t.end.unwrap_or(end).max(t.start.unwrap_or(0.0)),
        );
        let free = slots[lane].iter().position(|&busy_until| busy_until <= s);
        let slot = match free {
            Some(k) => {
                slots[lane][k] = e;
                k
            }
            None => {
                slots[lane].push(e);
                slots[lane].len() - 1
            }
        };
        let key = frameworks
            .iter()
            .position(|f| *f == t.framework)
            .unwrap_or(0);
        placed.push((lane, s, e, key, slot));
    }
    let bars = placed
        .into_iter()
        .map(|(lane, from, to, key, slot)| {
            let k = slots[lane].len().max(1) as f64;
            Bar {
                lane,
                from,
                to,
                key,
                slot: (slot as f64 / k, (slot as f64 + 0.9) / k),
            }
        })
        .collect();
    let mut title = format!("Tasks per agent, {}", run.label);
    let mut caps = Vec::new();
    if total_agents > agents.len() {
        caps.push(format!("first {} of {total_agents} agents", agents.len()));
    }
    if total_tasks > rows.len() {
        caps.push(format!("first {} of {total_tasks} tasks", rows.len()));
    }
    if !caps.is_empty() {
        title.push_str(&format!(" ({})", caps.join(", ")));
    }
    Ok(Figure::Lanes(LaneChart {
        title,
        x_label: "simulated time (s)".into(),
        lanes: agents.iter().map(|a| a.to_string()).collect(),
        bars,
        keys: frameworks.iter().map(|f| f.to_string()).collect(),
        key_palette: Vec::new(),
        marks: Vec::new(),
        marks_label: None,
        x_max: Some(end),
    }))
}

/// Name order with numbers compared as numbers (agent-2 before agent-10).
#[doc(hidden)]
pub fn natural(s: &str) -> (String, u64) {
    let digits = s.len() - s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (head, tail) = s.split_at(s.len() - digits);
    (head.to_string(), tail.parse().unwrap_or(0))
}

/// Leadership over time and agent removals, for the first run: a lane per master with
/// bars while it led (from `summary.json` `failovers`), a "no leader" lane, and a lane
/// per agent whose tasks were LOST because it was removed (a cross at each time).
pub fn failover(sets: &[RunSet]) -> Result<Figure, AnalysisError> {
    let set = sets
        .first()
        .ok_or_else(|| AnalysisError("no runs".into()))?;
    let run = first_run(set)?;
    let end = sim_time(run).unwrap_or(0.0);
    let fos = field(&run.summary, "failovers")
        .and_then(|v| v.as_array())
        .cloned()
        .unwrap_or_default();
    let get = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_f64()).unwrap_or(0.0);
    let name = |v: &serde_json::Value, k: &str| {
        v.get(k).and_then(|x| x.as_str()).unwrap_or("?").to_string()
    };
    let mut lanes: Vec<String> = Vec::new();
    let lane = |n: String, lanes: &mut Vec<String>| match lanes.iter().position(|l| *l == n) {
        Some(i) => i,
        None => {
            lanes.push(n);
            lanes.len() - 1
        }
    };
    let mut bars = Vec::new();
    let mut t = 0.0;
    let mut leader = if fos.is_empty() {
        "master".to_string()
    } else {
        name(&fos[0], "from")
    };
    let no_leader = lane("no leader".into(), &mut lanes);
    for f in &fos {
        let l = lane(leader.clone(), &mut lanes);
        bars.push(Bar {
            lane: l,
            from: t,
            to: get(f, "leaderless_from_s"),
            key: 0,
            slot: (0.0, 1.0),
        });
        bars.push(Bar {
            lane: no_leader,
            from: get(f, "leaderless_from_s"),
            to: get(f, "elected_at_s"),
            key: 1,
            slot: (0.0, 1.0),
        });
        t = get(f, "elected_at_s");
        leader = name(f, "to");
    }
    let l = lane(leader, &mut lanes);
    bars.push(Bar {
        lane: l,
        from: t,
        to: end,
        key: 0,
        slot: (0.0, 1.0),
    });
    let tasks = read_tasks(&run.dir.join("tasks.csv"))?;
    let mut marks = Vec::new();
    let mut removed: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for t in &tasks {
        if t.reason.contains("agent_removed") {
            if let Some(e) = t.end {
                removed.entry(t.agent.as_str()).or_default().push(e);
            }
        }
    }
    for (agent, times) in removed.iter().take(GANTT_MAX_AGENTS) {
        let l = lane(agent.to_string(), &mut lanes);
        let mut ts = times.clone();
        ts.sort_by(f64::total_cmp);
        ts.dedup_by(|a, b| (*a - *b).abs() < 1e-6);
        marks.extend(ts.into_iter().map(|x| (l, x)));
    }
    let removals = field(&run.summary, "agents.removed")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    Ok(Figure::Lanes(LaneChart {
        title: format!(
            "Leader and agent removals, {} ({} failovers, {} agents removed)",
            run.label,
            fos.len(),
            removals
        ),
        x_label: "simulated time (s)".into(),
        lanes,
        bars,
        keys: vec!["leading".into(), "no leader".into()],
        key_palette: vec![0, 3],
        marks,
        marks_label: Some("tasks LOST: agent removed".into()),
        x_max: Some(end),
    }))
}

/// Every figure of a set of runs, by file stem.
pub fn figures(sets: &[RunSet]) -> Result<Vec<(&'static str, Figure)>, AnalysisError> {
    Ok(vec![
        ("jct_cdf", jct_cdf(sets)?),
        ("wait_cdf", wait_cdf(sets)?),
        ("utilization", utilization(sets)?),
        ("shares", shares(sets)?),
        ("gantt", gantt(sets)?),
        ("failover", failover(sets)?),
    ])
}

/// Writes `stem.png` and `stem.svg` of a figure into `dir`.
pub fn save(fig: &Figure, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    std::fs::write(&png, draw::png(fig)?).map_err(|e| format!("{}: {e}", png.display()))?;
    std::fs::write(&svg, draw::svg(fig)?).map_err(|e| format!("{}: {e}", svg.display()))?;
    Ok(vec![png, svg])
}

/// Error of `write_all`: bad input (exit 2) or failure to draw or write (exit 1).
#[derive(Debug)]
pub enum PlotError {
    Input(AnalysisError),
    Output(String),
}

impl std::fmt::Display for PlotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlotError::Input(e) => write!(f, "{e}"),
            PlotError::Output(e) => f.write_str(e),
        }
    }
}

/// Draws every figure of `sets` into `dir` as PNG and SVG; returns the files written.
pub fn write_all(sets: &[RunSet], dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let mut out = Vec::new();
    for (stem, fig) in figures(sets).map_err(PlotError::Input)? {
        out.extend(save(&fig, dir, stem).map_err(PlotError::Output)?);
    }
    Ok(out)
}
