//! A sequence view of a run's protocol messages (`events.jsonl`, from
//! `schedlab run --events`) in a window of time, for teaching: one vertical lane per
//! actor (frameworks, masters, coordination servers, agents), one arrow per delivered
//! message from sender to receiver, top to bottom in delivery order, labelled with its
//! kind (offers, accept, run_task, status_update, coord_* for elections...).
//!
//! Output is inline SVG text; every name and label is XML-escaped.

use super::escape;
use crate::analysis::AnalysisError;
use crate::plot::natural;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

/// Liveness chatter hidden by default (it would fill every window).
pub const HIDDEN_KINDS: &[&str] = &[
    "ping",
    "pong",
    "coord_ping",
    "coord_pong",
    "zab_heartbeat",
    "zab_heartbeat_ack",
];

/// Caps that keep the view readable.
pub const MAX_MESSAGES: usize = 150;
pub const MAX_LANES: usize = 14;

/// One delivered message.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub t: f64,
    pub from: String,
    pub to: String,
    pub kind: String,
}

/// The messages delivered in `[from_s, from_s + window_s]`, liveness chatter left out
/// (counted in the second value). Reads `events.jsonl` lazily and stops after the
/// window (the file is in time order).
pub fn read_window(
    path: &Path,
    from_s: f64,
    window_s: f64,
) -> Result<(Vec<Event>, usize), AnalysisError> {
    let f = std::fs::File::open(path)
        .map_err(|e| AnalysisError(format!("{}: cannot read: {e}", path.display())))?;
    let mut out = Vec::new();
    let mut hidden = 0;
    let end = from_s + window_s;
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let n = i + 1;
        let line =
            line.map_err(|e| AnalysisError(format!("{}:{n}: cannot read: {e}", path.display())))?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: &str| {
            AnalysisError(format!(
                "{}:{n}: field `{what}`: missing or malformed",
                path.display()
            ))
        };
        // Keys are written in sorted order, so `t` is the last one: read it without
        // parsing the whole line.
        let t: f64 = line
            .rfind("\"t\":\"")
            .and_then(|k| {
                let rest = &line[k + 5..];
                rest.find('"').and_then(|e| rest[..e].parse().ok())
            })
            .ok_or_else(|| bad("t"))?;
        if t < from_s {
            continue;
        }
        if t > end {
            break;
        }
        let v: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| AnalysisError(format!("{}:{n}: not valid JSON: {e}", path.display())))?;
        let s = |k: &str| -> Result<String, AnalysisError> {
            v.get(k)
                .and_then(|x| x.as_str())
                .map(str::to_string)
                .ok_or_else(|| bad(k))
        };
        let kind = s("kind")?;
        if HIDDEN_KINDS.contains(&kind.as_str()) {
            hidden += 1;
            continue;
        }
        out.push(Event {
            t,
            from: s("from")?,
            to: s("to")?,
            kind,
        });
    }
    Ok((out, hidden))
}

/// Lane group of an actor, by name: frameworks (given), masters, coordination
/// servers, then agents.
fn group(name: &str, frameworks: &[String]) -> u8 {
    if frameworks.iter().any(|f| f == name) {
        0
    } else if name.starts_with("master") {
        1
    } else if name.starts_with("coord") {
        2
    } else {
        3
    }
}

/// Colour of a message kind: offers blue, launches green, status orange, coordination
/// and elections purple, registration brown, the rest grey.
fn color(kind: &str) -> &'static str {
    if kind.contains("offer") || kind.starts_with("rescind") {
        "#1f77b4"
    } else if kind == "accept"
        || kind == "decline"
        || kind == "run_task"
        || kind.starts_with("kill")
    {
        "#2ca02c"
    } else if kind.contains("status") || kind == "acknowledge" || kind == "update" {
        "#ff7f0e"
    } else if kind.starts_with("coord") || kind.starts_with("zab") {
        "#9467bd"
    } else if kind.contains("regist") {
        "#8c564b"
    } else {
        "#7f7f7f"
    }
}

/// The SVG of a sequence view and a caption saying what was left out.
pub fn svg(events: &[Event], hidden: usize, frameworks: &[String]) -> (String, String) {
    // Lanes: every actor seen, busiest agents first when over the cap.
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for e in events {
        *count.entry(&e.from).or_default() += 1;
        *count.entry(&e.to).or_default() += 1;
    }
    let mut actors: Vec<&str> = count.keys().copied().collect();
    actors.sort_by_key(|a| {
        (
            group(a, frameworks),
            std::cmp::Reverse(count[a]),
            natural(a),
        )
    });
    let total_lanes = actors.len();
    actors.truncate(MAX_LANES);
    actors.sort_by_key(|a| (group(a, frameworks), natural(a)));
    let lane = |a: &str| actors.iter().position(|x| *x == a);
    let shown: Vec<&Event> = events
        .iter()
        .filter(|e| lane(&e.from).is_some() && lane(&e.to).is_some())
        .take(MAX_MESSAGES)
        .collect();
    let (lane_w, left, top, row_h) = (130.0, 110.0, 60.0, 24.0);
    let width = left + lane_w * actors.len().max(1) as f64 + 20.0;
    let height = top + row_h * (shown.len() as f64 + 1.0) + 20.0;
    let x = |i: usize| left + lane_w * (i as f64 + 0.5);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"seq\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"12\">\n<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"context-stroke\"/></marker></defs>\n"
    );
    s.push_str(&format!(
        "<text x=\"8\" y=\"{:.0}\" font-weight=\"bold\">time (s)</text>\n",
        top - 30.0
    ));
    for (i, a) in actors.iter().enumerate() {
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.0}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\n<line x1=\"{:.1}\" y1=\"{:.0}\" x2=\"{:.1}\" y2=\"{:.0}\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>\n",
            x(i),
            top - 30.0,
            escape(a),
            x(i),
            top - 20.0,
            x(i),
            height - 10.0
        ));
    }
    for (k, e) in shown.iter().enumerate() {
        let (Some(a), Some(b)) = (lane(&e.from), lane(&e.to)) else {
            continue;
        };
        let y = top + row_h * (k as f64 + 0.5);
        let c = color(&e.kind);
        s.push_str(&format!(
            "<text x=\"8\" y=\"{:.1}\" fill=\"#555\">{:.6}</text>\n",
            y + 4.0,
            e.t
        ));
        if a == b {
            s.push_str(&format!(
                "<path d=\"M{:.1},{:.1} h25 v10 h-25\" fill=\"none\" stroke=\"{c}\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>\n",
                x(a),
                y - 5.0
            ));
        } else {
            s.push_str(&format!(
                "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{c}\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>\n",
                x(a),
                x(b)
            ));
        }
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{c}\"><title>{} -> {} at {} s</title>{}</text>\n",
            (x(a) + x(b)) / 2.0 + if a == b { 40.0 } else { 0.0 },
            y - 3.0,
            escape(&e.from),
            escape(&e.to),
            e.t,
            escape(&e.kind)
        ));
    }
    s.push_str("</svg>\n");
    let mut notes = vec![format!(
        "{} messages shown of {} in the window",
        shown.len(),
        events.len()
    )];
    if hidden > 0 {
        notes.push(format!(
            "{hidden} liveness messages hidden ({})",
            HIDDEN_KINDS.join(", ")
        ));
    }
    if total_lanes > actors.len() {
        notes.push(format!(
            "{} of {total_lanes} actors drawn (the busiest agents); messages to others left out",
            actors.len()
        ));
    }
    (s, notes.join("; "))
}
