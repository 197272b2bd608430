//! `schedlab report`: one self-contained HTML file about a run, a set of runs or a
//! sweep: the summary of every run, the comparison tables (for several sets, or a
//! sweep split with `--by`), every figure of [`crate::plot`] inlined as a base64 PNG,
//! and for a single run with `events.jsonl` a sequence view of the messages in a
//! window of time ([`sequence`]). No network: CSS, images and the one small script
//! are inline; every text from the runs is HTML-escaped.
//!
//! The script checks on load that every image decoded and sets the page title to
//! `ok imgs=N/N tables=T` (or `fail ...`), which is what the headless-browser check of
//! `.ci/browser.sh` reads.

pub mod sequence;

use crate::analysis::compare::{compare_groups, num, Comparison, Pairs, ALPHA};
use crate::analysis::{field, AnalysisError, RunSet};
use crate::plot::{draw, figures};
use base64::Engine;
use std::path::Path;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// What to put in the report.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// Metrics compared (names or summary.json paths).
    pub metrics: Vec<String>,
    pub pairs: Pairs,
    /// Start of the sequence view window (s); default: the first failover's
    /// leaderless moment, else 0.
    pub events_at: Option<f64>,
    /// Length of the window (s).
    pub window: f64,
    /// The command line, shown at the top.
    pub command: String,
}

/// Rows of the run summary table at most.
pub const MAX_SUMMARY_ROWS: usize = 200;

const CSS: &str = "body{font-family:sans-serif;margin:2em;max-width:1300px;color:#222}\
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:0.8em 0;font-size:0.9em}\
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}\
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}\
tr.sig td{background:#fff4d6}figure{margin:1em 0}\
img{max-width:100%;width:960px;border:1px solid #ddd}figcaption{color:#555;font-size:0.9em}\
code{background:#f4f4f4;padding:1px 4px}.seqbox{overflow-x:auto;border:1px solid #ddd}";

const SCRIPT: &str = "window.addEventListener('load',function(){\
var imgs=document.images,ok=0;for(var i=0;i<imgs.length;i++){\
if(imgs[i].complete&&imgs[i].naturalWidth>0)ok++;}\
var t=document.getElementsByTagName('table').length;\
document.title=(ok==imgs.length?'ok':'fail')+' imgs='+ok+'/'+imgs.length+' tables='+t;});";

fn summary_table(sets: &[RunSet]) -> String {
    let cols: [(&str, &str); 11] = [
        ("scenario", "scenario"),
        ("seed", "seed"),
        ("fingerprint", "fingerprint"),
        ("makespan (s)", "makespan_s"),
        ("JCT p50 (s)", "job_completion_s.p50"),
        ("JCT p90 (s)", "job_completion_s.p90"),
        ("wait p50 (s)", "task_wait_s.p50"),
        ("CPU util", "utilization.cpus"),
        ("Jain", "fairness.jain_index"),
        ("tasks lost", "tasks.lost"),
        ("failovers", "failovers"),
    ];
    let mut s = String::from("<table class=\"summary\"><tr><th>set</th><th>run</th>");
    for (h, _) in cols {
        s.push_str(&format!("<th>{}</th>", escape(h)));
    }
    s.push_str("</tr>\n");
    let mut rows = 0;
    let total: usize = sets.iter().map(|x| x.runs.len()).sum();
    'outer: for set in sets {
        for r in &set.runs {
            if rows == MAX_SUMMARY_ROWS {
                break 'outer;
            }
            rows += 1;
            s.push_str(&format!(
                "<tr><td>{}</td><td>{}</td>",
                escape(&set.label),
                escape(&r.label)
            ));
            for (_, path) in cols {
                let cell = match field(&r.summary, path) {
                    Some(serde_json::Value::Number(n)) => match n.as_u64() {
                        Some(u) => u.to_string(),
                        None => num(n.as_f64().unwrap_or(f64::NAN)),
                    },
                    Some(serde_json::Value::String(x)) => x.clone(),
                    Some(serde_json::Value::Array(a)) => a.len().to_string(),
                    Some(v) => v.to_string(),
                    None => "-".into(),
                };
                s.push_str(&format!("<td>{}</td>", escape(&cell)));
            }
            s.push_str("</tr>\n");
        }
    }
    s.push_str("</table>\n");
    if total > rows {
        s.push_str(&format!("<p>First {rows} of {total} runs.</p>\n"));
    }
    s
}

fn comparison_table(c: &Comparison) -> String {
    let mut s = format!(
        "<h3>A = <code>{}</code>, B = <code>{}</code></h3>\n<table class=\"compare\"><tr>",
        escape(&c.a),
        escape(&c.b)
    );
    for h in crate::analysis::compare::HEADER
        .iter()
        .chain(&["significant"])
    {
        s.push_str(&format!("<th>{}</th>", escape(h)));
    }
    s.push_str("</tr>\n");
    for r in &c.rows {
        let mut cells = crate::analysis::compare::cells(r);
        cells.push(if r.significant { "yes" } else { "" }.to_string());
        s.push_str(if r.significant {
            "<tr class=\"sig\">"
        } else {
            "<tr>"
        });
        for c in cells {
            s.push_str(&format!("<td>{}</td>", escape(&c)));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    s
}

/// Error of [`build`]: bad input (exit 2) or a failure to draw (exit 1).
pub use crate::plot::PlotError as ReportError;

/// Builds the HTML of a report on `sets`.
pub fn build(sets: &[RunSet], opts: &ReportOptions) -> Result<String, ReportError> {
    let input = |e: AnalysisError| ReportError::Input(e);
    let mut h = String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>schedlab report</title>\n");
    h.push_str(&format!(
        "<style>{CSS}</style>\n<script>{SCRIPT}</script>\n</head><body>\n"
    ));
    h.push_str("<h1>schedlab report</h1>\n");
    h.push_str(&format!(
        "<p>Generated by <code>{}</code> (schedlab {}).</p>\n",
        escape(&opts.command),
        env!("CARGO_PKG_VERSION")
    ));
    h.push_str("<h2>Runs</h2>\n");
    h.push_str(&summary_table(sets));
    if sets.len() > 1 {
        h.push_str("<h2>Comparison</h2>\n");
        h.push_str(&format!(
            "<p>Per metric: n, mean, sample standard deviation and 95% interval (Student t) of each side, relative difference of the means (B - A) / |A|, Welch's t-test and Mann-Whitney U p-values (two-sided). Highlighted: Welch p &lt; {ALPHA}, not corrected for multiple comparisons.</p>\n"
        ));
        let comps = compare_groups(sets, &opts.metrics, opts.pairs).map_err(input)?;
        for c in &comps {
            h.push_str(&comparison_table(c));
        }
    }
    h.push_str("<h2>Figures</h2>\n");
    for (stem, fig) in figures(sets).map_err(input)? {
        let png = draw::png(&fig).map_err(ReportError::Output)?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(png);
        let title = match &fig {
            crate::plot::Figure::Lines(c) => c.title.clone(),
            crate::plot::Figure::Lanes(c) => c.title.clone(),
            crate::plot::Figure::Grid { title, .. } => title.clone(),
        };
        h.push_str(&format!(
            "<figure id=\"{stem}\"><img alt=\"{}\" src=\"data:image/png;base64,{b64}\"><figcaption>{}</figcaption></figure>\n",
            escape(&title),
            escape(&title)
        ));
    }
    let single = sets.len() == 1 && sets[0].runs.len() == 1;
    if single {
        let run = &sets[0].runs[0];
        let ev = run.dir.join("events.jsonl");
        if ev.is_file() {
            let at = opts.events_at.unwrap_or_else(|| {
                field(&run.summary, "failovers.0.leaderless_from_s")
                    .and_then(|v| v.as_f64())
                    .unwrap_or(0.0)
            });
            let (events, hidden) = sequence::read_window(&ev, at, opts.window).map_err(input)?;
            let frameworks: Vec<String> = field(&run.summary, "frameworks")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|f| f.get("name").and_then(|n| n.as_str()))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let (svg, caption) = sequence::svg(&events, hidden, &frameworks);
            h.push_str(&format!(
                "<h2>Messages from {at} s to {} s</h2>\n<p>Lanes: frameworks, masters, coordination servers, agents. Arrows: delivered messages, top to bottom in delivery order, at their delivery time. Blue: offers; green: accept, decline, launch, kill; orange: status updates and acknowledgements; purple: coordination (sessions, elections, replication); brown: registration. Choose the window with <code>--events-at TIME --window D</code>.</p>\n<p>{}</p>\n<div class=\"seqbox\">{svg}</div>\n",
                at + opts.window,
                escape(&caption)
            ));
        } else {
            h.push_str("<p>No <code>events.jsonl</code> in this run (run it with <code>schedlab run --events</code> for a sequence view of its messages).</p>\n");
        }
    }
    h.push_str("</body></html>\n");
    Ok(h)
}

/// Builds the report and writes it to `out`.
pub fn write(sets: &[RunSet], opts: &ReportOptions, out: &Path) -> Result<(), ReportError> {
    let html = build(sets, opts)?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| ReportError::Output(format!("{}: {e}", dir.display())))?;
    }
    std::fs::write(out, html).map_err(|e| ReportError::Output(format!("{}: {e}", out.display())))
}
