//! `schedlab bench engine --peer DIR`: the same ping-pong on peer engines, in the same
//! invocation, so that a claim like "1.25x simcore" is a ratio measured under one
//! machine load rather than two numbers taken an hour apart.
//!
//! DIR is a cargo project (`../shared/bench/peer-bench`) with two binaries that take
//! the event count and print one JSON line per actor count (100, 1000, 10000):
//! `simcore_pp` (simcore 0.1, the successor of dslab-core) and `mini_pp` (a bare
//! `BinaryHeap` loop: the floor of what any engine costs). DIR may be read-only: it is
//! built into a target directory under the system temp dir.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One line printed by a peer binary.
#[derive(Clone, Debug, Deserialize)]
pub struct PeerLine {
    #[serde(rename = "impl")]
    pub engine: String,
    pub actors: usize,
    pub events_per_sec: f64,
    /// The line as printed, passed through unchanged.
    #[serde(skip)]
    pub raw: String,
}

/// One `engine_ratio` line: schedlab against both peers at one actor count.
#[derive(Debug, Serialize)]
pub struct Ratio {
    pub bench: &'static str,
    pub actors: usize,
    pub schedlab_eps: f64,
    pub simcore_eps: f64,
    pub mini_eps: f64,
    pub ratio_vs_simcore: f64,
    pub ratio_vs_mini: f64,
}

/// The built peer binaries.
pub struct Peers {
    simcore: PathBuf,
    mini: PathBuf,
}

/// Builds the peer project in `dir` (incremental after the first time).
pub fn build(dir: &Path) -> Result<Peers, String> {
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(format!(
            "{}: no Cargo.toml (not a peer bench)",
            dir.display()
        ));
    }
    let target = std::env::temp_dir().join("schedlab-peer-target");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .arg("build")
        .arg("--release")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building {} failed ({status})", dir.display()));
    }
    let bin = |name: &str| {
        let p = target.join("release").join(name);
        if p.is_file() {
            Ok(p)
        } else {
            Err(format!("{} was not built", p.display()))
        }
    };
    Ok(Peers {
        simcore: bin("simcore_pp")?,
        mini: bin("mini_pp")?,
    })
}

impl Peers {
    /// Runs simcore's ping-pong, then the bare-heap floor, each for `events` events.
    pub fn run(&self, events: u64) -> Result<Vec<PeerLine>, String> {
        let mut lines = run_one(&self.simcore, events)?;
        lines.extend(run_one(&self.mini, events)?);
        Ok(lines)
    }
}

fn run_one(bin: &Path, events: u64) -> Result<Vec<PeerLine>, String> {
    let out = Command::new(bin)
        .arg(events.to_string())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!("{} failed ({})", bin.display(), out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut p: PeerLine = serde_json::from_str(l)
                .map_err(|e| format!("{}: unexpected line `{l}`: {e}", bin.display()))?;
            p.raw = l.to_string();
            Ok(p)
        })
        .collect()
}

/// The ratio line for `actors`, if both peers ran that count.
pub fn ratio(actors: usize, schedlab_eps: f64, peers: &[PeerLine]) -> Option<Ratio> {
    let eps = |engine: &str| {
        peers
            .iter()
            .find(|p| p.engine == engine && p.actors == actors)
            .map(|p| p.events_per_sec)
    };
    let (simcore, mini) = (eps("simcore")?, eps("mini")?);
    let r = |x: f64| (x * 1000.0).round() / 1000.0;
    Some(Ratio {
        bench: "engine_ratio",
        actors,
        schedlab_eps: schedlab_eps.round(),
        simcore_eps: simcore.round(),
        mini_eps: mini.round(),
        ratio_vs_simcore: r(schedlab_eps / simcore),
        ratio_vs_mini: r(schedlab_eps / mini),
    })
}

/// Keeps, per (engine, actor count), the fastest of several rounds: on a shared
/// machine the best run is the one least disturbed by other load.
pub fn best_of(rounds: Vec<Vec<PeerLine>>) -> Vec<PeerLine> {
    let mut best: Vec<PeerLine> = Vec::new();
    for line in rounds.into_iter().flatten() {
        match best
            .iter_mut()
            .find(|b| b.engine == line.engine && b.actors == line.actors)
        {
            Some(b) if b.events_per_sec >= line.events_per_sec => {}
            Some(b) => *b = line,
            None => best.push(line),
        }
    }
    best
}
