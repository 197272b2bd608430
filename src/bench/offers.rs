//! `schedlab bench offers`: offers per second of wall time through the full master.
//!
//! Where `bench alloc` times the allocator alone, this runs the whole protocol: `agents`
//! agents of 8 CPUs, `frameworks` batch frameworks whose one-CPU tasks of about 1 s
//! arrive twice as fast as the agents can run them, and which fill each offer with as many tasks as fit. Every offer thus costs an
//! allocation decision, an Offers message, an Accept, eight task launches with their
//! status updates and acknowledgements, and the recovery of the resources as the tasks
//! end. The virtual time is
//! fixed; the line reports the offers the leading master sent and the wall time.

use crate::run::Cluster;
use crate::scenario::Scenario;
use crate::sim::{SimConfig, Stop};
use serde::Serialize;

/// One line of `schedlab bench offers`.
#[derive(Clone, Debug, Serialize)]
pub struct OffersBench {
    pub bench: &'static str,
    pub agents: u32,
    pub frameworks: u32,
    pub sim_s: u64,
    pub offers: u64,
    pub tasks: u64,
    pub events: u64,
    pub wall_s: f64,
    pub offers_per_sec: f64,
}

fn scenario(agents: u32, frameworks: u32, sim_s: u64) -> Result<Scenario, String> {
    let mut text = format!(
        "name = \"bench-offers\"\n[run]\nstop = \"{sim_s}s\"\nstop_when_done = false\n\
         [[agents]]\ncount = {agents}\ncpus = 8\nmem = 32768\nlaunch_delay = \"10ms\"\n"
    );
    // Arrivals at twice what the agents can run (8 one-second tasks per agent and
    // second), spread over the frameworks, so every framework always has work waiting.
    let gap = (1e6 * f64::from(frameworks) / (16.0 * f64::from(agents.max(1)))).max(1.0) as u64;
    for f in 0..frameworks {
        text.push_str(&format!(
            "[[frameworks]]\nname = \"fw{f}\"\nrole = \"r{}\"\naccept_refuse = \"0s\"\n\
             workload = {{ kind = \"synthetic\", jobs = 100000000, interarrival = \"{gap}us\", \
             tasks_min = 1, tasks_max = 1, cpus = 1, mem = 1024, duration_mean = \"1s\", \
             duration_std = \"100ms\" }}\n",
            f % 10
        ));
    }
    Scenario::parse(&text, "bench offers").map_err(|e| e.to_string())
}

/// Runs the protocol for `sim_s` virtual seconds and counts the offers.
// Wall clock is the point of a benchmark; it is read outside the simulated run.
#[allow(clippy::disallowed_methods, clippy::disallowed_types)]
pub fn offers_point(agents: u32, frameworks: u32, sim_s: u64) -> Result<OffersBench, String> {
    let scn = scenario(agents, frameworks, sim_s)?;
    let mut c = Cluster::build(&scn, scn.seed, SimConfig::default())?;
    let start = std::time::Instant::now();
    let report = c.sim.run(Stop::at(sim_s * crate::actor::SEC));
    let wall = start.elapsed().as_secs_f64();
    let m = c.master();
    Ok(OffersBench {
        bench: "offers",
        agents,
        frameworks,
        sim_s,
        offers: m.counters.offers_sent,
        tasks: m.counters.tasks_launched,
        events: report.events,
        wall_s: (wall * 1e4).round() / 1e4,
        offers_per_sec: (m.counters.offers_sent as f64 / wall.max(1e-9)).round(),
    })
}
