//! `schedlab bench scale`: how events/s and peak memory grow with the cluster.
//!
//! The same per-agent load (the scenario `scenarios/borg-scale-day.toml`, whose
//! arrival rates and service count are scaled with the agent count, as `trace synth
//! --scale-machines` does) runs for a fixed virtual time at each size. Each size runs
//! in a child process of the same binary (`bench scale --child N`), so that the peak
//! resident memory it reports (`VmHWM` of `/proc/self/status`) is that size's alone.

use crate::run::{execute, RunOptions};
use crate::scenario::Scenario;
use serde::Serialize;

/// The scenario every size runs (1,250 agents as written).
pub const SCALE_SCENARIO: &str = include_str!("../../scenarios/borg-scale-day.toml");
const BASE_AGENTS: f64 = 1250.0;

/// One line of `schedlab bench scale`.
#[derive(Clone, Debug, Serialize)]
pub struct ScaleBench {
    pub bench: &'static str,
    pub agents: u32,
    pub sim_s: f64,
    pub events: u64,
    pub tasks: u64,
    pub wall_s: f64,
    pub events_per_sec: f64,
    pub peak_rss_mb: f64,
}

/// Peak resident set size of this process so far (`VmHWM`), in MB; 0 if unknown.
pub fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| (kb / 1024.0 * 10.0).round() / 10.0)
}

/// The scenario at `agents` agents for `stop` of virtual time, same load per agent.
pub fn scaled_scenario(agents: u32, stop: &str) -> Result<Scenario, String> {
    let f = f64::from(agents) / BASE_AGENTS;
    let sets = [
        format!("agents.0.count={agents}"),
        format!("frameworks.0.workload.arrival.base_per_s={}", 0.0268 * f),
        format!("frameworks.1.workload.arrival.rate_per_s={}", 0.05 * f),
        format!(
            "frameworks.1.workload.max_jobs={}",
            (200.0 * f).round().max(1.0) as u64
        ),
        format!("run.stop=\"{stop}\""),
    ];
    Scenario::parse_with_overrides(SCALE_SCENARIO, "borg-scale-day (built in)", &sets)
        .map_err(|e| e.to_string())
}

/// Runs one size in this process (no files written) and measures it.
pub fn scale_point(agents: u32, stop: &str) -> Result<ScaleBench, String> {
    let scn = scaled_scenario(agents, stop)?;
    let s = execute(&scn, &RunOptions::default()).map_err(|e| e.message)?;
    Ok(ScaleBench {
        bench: "scale",
        agents,
        sim_s: s.sim_time_s,
        events: s.events,
        tasks: s.tasks.launched,
        wall_s: s.wall_time_s,
        events_per_sec: (s.events as f64 / s.wall_time_s.max(1e-9)).round(),
        peak_rss_mb: peak_rss_mb(),
    })
}

/// `schedlab bench scale`: each size in a child process (`bench scale --child N`),
/// printing the child's JSON line.
pub fn scale_cli(sizes: &[u32], stop: &str) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find own binary: {e}"))?;
    for &n in sizes {
        let out = std::process::Command::new(&exe)
            .args(["bench", "scale", "--stop", stop, "--child", &n.to_string()])
            .output()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        if !out.status.success() {
            return Err(format!(
                "size {n}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    Ok(())
}
