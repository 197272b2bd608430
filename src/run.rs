//! Running a scenario: build the actors, drive the engine, sample, write the results.
//!
//! Actor groups on the network are `masters`, `agents` and `frameworks`; actor names
//! are `master`, `<agent group name>-<i>` and the framework names, which is what fault
//! targets refer to.

use crate::actor::{ActorId, Time};
use crate::alloc::AllocatorConfig;
use crate::frameworks::{FrameworkActor, FrameworkStatus};
use crate::mesos::agent::{Agent, AgentConfig};
use crate::mesos::detector::MasterDetector;
use crate::mesos::master::Master;
use crate::metrics::{Dist, FrameworkSummary, Recorder, Summary, TaskSink, Utilization};
use crate::proto::{Mesos, Msg};
use crate::resources::Resources;
use crate::scenario::Scenario;
use crate::sim::{Observer, Sim, SimConfig, StopReason, Touched};
use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// A scenario turned into actors on an engine, ready to step.
pub struct Cluster {
    pub sim: Sim<Mesos>,
    /// The masters (one, or 3 or 5 electing a leader) and the coordination servers.
    pub masters: Vec<ActorId>,
    pub coord: Vec<ActorId>,
    /// How agents and frameworks of this cluster find the leading master.
    pub detector: MasterDetector,
    pub agents: Vec<ActorId>,
    /// The framework actors, in scenario order (then any the test kit added).
    pub frameworks: Vec<FrameworkActor>,
}

/// Per-framework seed: distinct streams for distinct frameworks, stable across runs.
fn framework_seed(seed: u64, index: usize) -> u64 {
    seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl Cluster {
    /// Builds the actors of `scn` with run seed `seed`.
    pub fn build(scn: &Scenario, seed: u64, sim_cfg: SimConfig) -> Result<Cluster, String> {
        Cluster::build_with(scn, seed, sim_cfg, crate::fuzz::Sabotage::None)
    }

    /// As `build`, with a deliberate defect for checking the checker (fuzz tests).
    pub fn build_with(
        scn: &Scenario,
        seed: u64,
        sim_cfg: SimConfig,
        sabotage: crate::fuzz::Sabotage,
    ) -> Result<Cluster, String> {
        let mut sim = Sim::new(SimConfig { seed, ..sim_cfg });
        let gm = sim.net_mut().group("masters");
        let ga = sim.net_mut().group("agents");
        let gf = sim.net_mut().group("frameworks");
        sim.net_mut().set_default(scn.network.default.clone());
        for l in &scn.network.links {
            let from = sim.net().find_group(&l.from).ok_or_else(|| {
                format!(
                    "network.links: unknown group `{}` (masters, agents, frameworks)",
                    l.from
                )
            })?;
            let to = sim.net().find_group(&l.to).ok_or_else(|| {
                format!(
                    "network.links: unknown group `{}` (masters, agents, frameworks)",
                    l.to
                )
            })?;
            if l.both {
                sim.net_mut().set_link_both(from, to, l.model.clone());
            } else {
                sim.net_mut().set_link(from, to, l.model.clone());
            }
        }

        let alloc_cfg = AllocatorConfig {
            policy: scn.allocator.policy,
            min_allocatable: Resources::new(
                scn.allocator.min_allocatable_cpus.0,
                scn.allocator.min_allocatable_mem.0.round() as u64,
            ),
        };
        let weights: Vec<(String, f64)> = scn
            .allocator
            .weights
            .iter()
            .map(|(r, w)| (r.clone(), w.0))
            .collect();
        let quotas: Vec<(String, Resources)> = scn
            .allocator
            .quota
            .iter()
            .map(|(r, q)| (r.clone(), q.resources()))
            .collect();
        let gc = sim.net_mut().group("coord");
        let coord = match scn.coord.servers {
            0 => Vec::new(),
            n => crate::coord::add_ensemble(&mut sim, "coord-", n as usize, gc, {
                let mut c = crate::coord::ServerConfig::default();
                if let Some(t) = scn.coord.max_session_timeout {
                    c.max_session_ticks = (t / c.tick).max(c.min_session_ticks as Time) as u32;
                }
                c
            }),
        };
        let session = scn.coord.session_timeout;
        let mut masters = Vec::new();
        for i in 0..scn.masters.count {
            let name = match scn.masters.count {
                1 => "master".to_string(),
                _ => format!("master-{i}"),
            };
            let me = ActorId(sim.actor_count() as u32);
            let (flags, alloc_cfg) = (scn.masters.flags.clone(), alloc_cfg.clone());
            let (weights, quotas, servers) = (weights.clone(), quotas.clone(), coord.clone());
            masters.push(sim.add_actor(&name, gm, move || {
                let mut m = Master::new(flags.clone(), &alloc_cfg);
                m.configure_roles(&weights, &quotas);
                m.keep_leading_sabotage = sabotage == crate::fuzz::Sabotage::LeaderIgnoresLeaseLoss;
                match servers.is_empty() {
                    true => m,
                    false => m.with_ha(servers.clone(), session, me),
                }
            }));
        }
        let detector = match coord.is_empty() {
            true => MasterDetector::standalone(masters[0]),
            false => MasterDetector::zookeeper(
                coord.clone(),
                scn.coord.client_session_timeout.unwrap_or(session),
            ),
        };

        let mut agents = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        for g in &scn.agents {
            let reserved: Vec<(String, Resources)> = g
                .reserve
                .iter()
                .map(|r| (r.role.clone(), r.size.resources()))
                .collect();
            for i in 0..g.count {
                let name = format!("{}-{i}", g.name);
                if !names.insert(name.clone()) {
                    return Err(format!(
                        "agents: two agent groups are both named `{}`; give each its own name",
                        g.name
                    ));
                }
                let mut cfg = AgentConfig::new(detector.clone(), &name, g.resources());
                cfg.reserved = reserved.clone();
                cfg.launch_delay = g.launch_delay;
                cfg.attributes = g.attributes.clone();
                cfg.ping_timeout = scn.masters.flags.agent_ping_timeout;
                cfg.max_ping_timeouts = scn.masters.flags.max_agent_ping_timeouts;
                cfg.keep_tasks_on_shutdown = sabotage == crate::fuzz::Sabotage::KeepTasksOnShutdown;
                agents.push(sim.add_actor(&name, ga, move || Agent::new(cfg.clone())));
            }
        }

        let mut frameworks = Vec::new();
        for (i, f) in scn.frameworks.iter().enumerate() {
            if names.contains(f.name())
                || f.name().starts_with("master")
                || f.name().starts_with("coord-")
            {
                return Err(format!(
                    "framework name `{}` is already an actor name",
                    f.name()
                ));
            }
            let gseed = framework_seed(seed, i);
            frameworks.push(f.add_to(&mut sim, gf, detector.clone(), gseed));
        }
        for fault in &scn.faults {
            sim.schedule_fault(fault)?;
        }
        if let Some(f) = &scn.agent_failures {
            let names: Vec<String> = agents.iter().map(|&a| sim.name(a).to_string()).collect();
            for fault in f.faults(&names, seed, scn.run.stop) {
                sim.schedule_fault(&fault)?;
            }
        }
        Ok(Cluster {
            sim,
            masters,
            coord,
            detector,
            agents,
            frameworks,
        })
    }

    /// The masters alive now.
    pub fn live_masters(&self) -> impl Iterator<Item = (ActorId, &Master)> + '_ {
        self.masters
            .iter()
            .filter_map(|&id| self.sim.actor::<Master>(id).map(|m| (id, m)))
    }

    /// The master acting as leader, if any.
    pub fn leader(&self) -> Option<&Master> {
        self.live_masters().map(|(_, m)| m).find(|m| m.is_leading())
    }

    /// The leader, or else some live master (a standby knows nothing), if any.
    pub fn master_view(&self) -> Option<&Master> {
        self.leader()
            .or_else(|| self.live_masters().map(|(_, m)| m).next())
    }

    /// The leading master (for tests of a cluster that has one).
    pub fn master(&self) -> &Master {
        self.master_view().expect("a master is running")
    }

    /// Framework `i` as any kind (batch, marathon, ...): done, pending, counters.
    pub fn framework_status(&self, i: usize) -> Option<&dyn FrameworkStatus> {
        crate::frameworks::status_of(&self.sim, &self.frameworks[i])
    }

    /// True once every framework's workload has completed.
    pub fn all_done(&self) -> bool {
        (0..self.frameworks.len()).all(|i| self.framework_status(i).is_some_and(|f| f.done()))
    }

    /// Removals, shutdowns and re-registrations of agents so far.
    pub fn agent_events(&self) -> crate::metrics::AgentEvents {
        agent_events_of(
            &self.live_masters().map(|(_, m)| m).collect::<Vec<_>>(),
            self.agents
                .iter()
                .filter_map(|&a| self.sim.actor::<Agent>(a)),
        )
    }

    /// Workload errors reported by frameworks (bad trace rows).
    pub fn workload_error(&self) -> Option<String> {
        (0..self.frameworks.len()).find_map(|i| self.framework_status(i).and_then(|f| f.error()))
    }
}

/// Removals, shutdowns and re-registrations of agents, from the live masters and
/// agents (whatever runtime hosts them).
pub fn agent_events_of<'a>(
    masters: &[&Master],
    agents: impl Iterator<Item = &'a Agent>,
) -> crate::metrics::AgentEvents {
    // Summed over the live masters: a crashed master's counters died with it.
    let sum = |f: fn(&crate::mesos::master::MasterCounters) -> u64| -> u64 {
        masters.iter().map(|m| f(&m.counters)).sum()
    };
    crate::metrics::AgentEvents {
        removed: sum(|c| c.agents_removed),
        shutdown: sum(|c| c.agents_shutdown),
        reregistered: sum(|c| c.agents_reregistered),
        tasks_killed_on_shutdown: agents.map(|a| a.killed_on_shutdown).sum(),
    }
}

struct Tap(Rc<RefCell<Recorder>>);

impl Observer<Mesos> for Tap {
    fn on_message(&mut self, time: Time, from: ActorId, to: ActorId, msg: &Msg) {
        self.0.borrow_mut().observe(time, from, to, msg);
    }
}

/// Where and how to write a run's results.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub seed: Option<u64>,
    pub out: Option<PathBuf>,
    pub events: bool,
    pub progress: bool,
    /// Format of the task table: `tasks.csv` (default) or `tasks.parquet`.
    pub format: crate::metrics::OutputFormat,
}

/// A failed run: what went wrong; exit code 2 for bad input, 1 otherwise.
#[derive(Debug)]
pub struct RunError {
    pub message: String,
    pub code: u8,
}

fn io_err(path: &Path, e: std::io::Error) -> RunError {
    RunError {
        message: format!("{}: {e}", path.display()),
        code: 1,
    }
}

pub(crate) fn create(path: &Path) -> Result<Box<dyn Write>, RunError> {
    let f = std::fs::File::create(path).map_err(|e| io_err(path, e))?;
    Ok(Box::new(std::io::BufWriter::new(f)))
}

/// Runs a scenario and writes its results into `opts.out` (if any). Returns the summary.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)] // wall time is reported, never used by the run
pub fn execute(scn: &Scenario, opts: &RunOptions) -> Result<Summary, RunError> {
    let wall = std::time::Instant::now();
    let seed = opts.seed.unwrap_or(scn.seed);
    let mut cluster = Cluster::build(scn, seed, SimConfig::default()).map_err(|m| RunError {
        message: format!("scenario `{}`: {m}", scn.name),
        code: 2,
    })?;
    let (tasks_w, events_w, ts) = match &opts.out {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
            let ev = if opts.events {
                Some(create(&dir.join("events.jsonl"))?)
            } else {
                None
            };
            let ts = csv::Writer::from_writer(create(&dir.join("timeseries.csv"))?);
            let tasks = match opts.format {
                crate::metrics::OutputFormat::Csv => TaskSink::Csv(Box::new(
                    csv::Writer::from_writer(create(&dir.join("tasks.csv"))?),
                )),
                crate::metrics::OutputFormat::Parquet => {
                    let path = dir.join("tasks.parquet");
                    let f = std::fs::File::create(&path).map_err(|e| io_err(&path, e))?;
                    let p =
                        crate::metrics::parquet::ParquetTasks::new(f).map_err(|m| RunError {
                            message: format!("{}: {m}", path.display()),
                            code: 1,
                        })?;
                    TaskSink::Parquet(Box::new(p))
                }
            };
            (Some(tasks), ev, Some(ts))
        }
        None => (None, None, None),
    };
    let names: Vec<String> = (0..cluster.sim.actor_count())
        .map(|i| cluster.sim.name(ActorId(i as u32)).to_string())
        .collect();
    let rec = Rc::new(RefCell::new(Recorder::with_sink(
        cluster.masters.clone(),
        tasks_w,
        events_w,
        names,
    )));
    cluster.sim.set_observer(Box::new(Tap(rec.clone())));

    let mut sampler = Sampler::new(scn, ts)?;
    let mut sample = |cluster: &Cluster, t: Time| -> Result<(), RunError> {
        let statuses: Vec<_> = (0..cluster.frameworks.len())
            .map(|i| cluster.framework_status(i))
            .collect();
        sampler.sample(cluster.master_view(), &statuses, t)
    };

    let stop_at = scn.run.stop;
    let interval = scn.run.sample_interval;
    let mut next_sample: Time = 0;
    let bar = opts.progress.then(|| {
        let b = indicatif::ProgressBar::new(stop_at / 1_000_000_000);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} virtual s ({eta})",
            )
            .expect("valid template"),
        );
        b
    });
    let mut steps: u64 = 0;
    let mut leaders = crate::metrics::LeaderWatch::default();
    let watch_leader = cluster.masters.len() > 1 || !cluster.coord.is_empty();
    let reason = loop {
        let next = cluster.sim.peek_time();
        while next_sample <= stop_at && next.is_none_or(|t| t > next_sample) {
            sample(&cluster, next_sample)?;
            next_sample += interval;
        }
        match next {
            None => break StopReason::QueueEmpty,
            Some(t) if t > stop_at => {
                cluster.sim.advance_to(stop_at);
                break StopReason::TimeLimit;
            }
            Some(_) => {}
        }
        cluster.sim.step();
        steps += 1;
        // Which master leads changes only when a master runs or a fault strikes.
        let master_ran = match cluster.sim.touched() {
            Touched::None => false,
            Touched::Actor(a) => cluster.masters.contains(&a),
            Touched::All => true,
        };
        if watch_leader && master_ran {
            let leader = cluster
                .live_masters()
                .find(|(_, m)| m.is_leading())
                .map(|(id, _)| cluster.sim.name(id));
            leaders.observe(cluster.sim.now(), leader);
        }
        if cluster.sim.stop_requested() {
            break StopReason::Requested;
        }
        if scn.run.stop_when_done && cluster.all_done() {
            break StopReason::WorkloadDone;
        }
        if let Some(b) = &bar {
            if steps.is_multiple_of(4096) {
                b.set_position(cluster.sim.now() / 1_000_000_000);
            }
        }
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let end = cluster.sim.now();
    let report = cluster.sim.report(reason);
    let statuses: Vec<_> = (0..cluster.frameworks.len())
        .map(|i| cluster.framework_status(i))
        .collect();
    let facts = RunFacts {
        seed,
        fingerprint: format!("{:016x}", report.fingerprint),
        end,
        wall_time_s: round6(wall.elapsed().as_secs_f64()),
        events: report.events,
        stop_reason: serde_json::to_value(reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        agents: cluster.agent_events(),
        failovers: leaders.failovers,
        network: report.net,
    };
    let summary = summarize(scn, &mut rec.borrow_mut(), sampler, &statuses, facts)?;
    if let Some(dir) = &opts.out {
        write_summary(dir, &summary)?;
    }
    if let Some(e) = cluster.workload_error() {
        return Err(RunError {
            message: format!("workload error (results so far are written): {e}"),
            code: 2,
        });
    }
    Ok(summary)
}

/// Samples a cluster's state every `sample_interval` into `timeseries.csv` and keeps
/// the running means and contention figures the summary reports. Shared by the engine
/// and the real-network runtime, which hand it their own view of the leader and the
/// frameworks.
pub struct Sampler {
    fw_names: Vec<String>,
    /// Role weight of each framework: DRF equalizes share / weight among frameworks
    /// that want more, so fairness is judged on weighted shares of backlogged ones.
    weights: Vec<f64>,
    share_sums: Vec<f64>,
    samples: u64,
    contention: crate::metrics::Contention,
    ts: Option<csv::Writer<Box<dyn Write>>>,
}

impl Sampler {
    /// Writes the header of `ts` (if any).
    pub fn new(
        scn: &Scenario,
        mut ts: Option<csv::Writer<Box<dyn Write>>>,
    ) -> Result<Self, RunError> {
        let fw_names: Vec<String> = scn
            .frameworks
            .iter()
            .map(|f| f.name().to_string())
            .collect();
        if let Some(w) = ts.as_mut() {
            let mut header: Vec<String> = [
                "time",
                "cpus_total",
                "cpus_allocated",
                "cpus_used",
                "mem_total",
                "mem_allocated",
                "mem_used",
                "offers_outstanding",
                "pending_tasks",
                "running_tasks",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            header.extend(fw_names.iter().map(|n| format!("share:{n}")));
            w.write_record(&header).map_err(csv_err)?;
        }
        let weights: Vec<f64> = scn
            .frameworks
            .iter()
            .map(|f| {
                scn.allocator
                    .weights
                    .get(f.role())
                    .map_or(f.weight(), |w| w.0)
            })
            .collect();
        Ok(Sampler {
            share_sums: vec![0.0; fw_names.len()],
            fw_names,
            weights,
            samples: 0,
            contention: crate::metrics::Contention::default(),
            ts,
        })
    }

    /// One sample at time `t` from the master's view `m` (the leader, or some live
    /// master) and the frameworks' statuses (in scenario order).
    pub fn sample(
        &mut self,
        m: Option<&Master>,
        statuses: &[Option<&dyn FrameworkStatus>],
        t: Time,
    ) -> Result<(), RunError> {
        // With no live master there is no view of the cluster: no row.
        let Some(m) = m else {
            return Ok(());
        };
        let shares = m.allocator().shares();
        let mut row_shares = vec![0.0; self.fw_names.len()];
        for (fw, share) in shares {
            if let Some(entry) = m.frameworks.get(fw as usize) {
                if let Some(i) = self.fw_names.iter().position(|n| *n == entry.name) {
                    row_shares[i] = share;
                }
            }
        }
        for (s, v) in self.share_sums.iter_mut().zip(&row_shares) {
            *s += v;
        }
        self.samples += 1;
        let pending: Vec<usize> = statuses
            .iter()
            .map(|f| f.map_or(0, |f| f.pending()))
            .collect();
        let backlogged: Vec<f64> = (0..self.fw_names.len())
            .filter(|&i| pending[i] > 0)
            .map(|i| row_shares[i] / self.weights[i])
            .collect();
        self.contention.add(&backlogged);
        let Some(w) = self.ts.as_mut() else {
            return Ok(());
        };
        let total = m.total();
        let used = m.used();
        let alloc = used + m.offered();
        let pending: usize = pending.iter().sum();
        let running = m.tasks.len();
        let mut row = vec![
            crate::metrics::secs(t),
            total.cpus_f64().to_string(),
            alloc.cpus_f64().to_string(),
            used.cpus_f64().to_string(),
            total.mem.to_string(),
            alloc.mem.to_string(),
            used.mem.to_string(),
            m.offers.len().to_string(),
            pending.to_string(),
            running.to_string(),
        ];
        row.extend(row_shares.iter().map(|s| format!("{s:.6}")));
        w.write_record(&row).map_err(csv_err)
    }
}

fn csv_err(e: impl std::fmt::Display) -> RunError {
    RunError {
        message: e.to_string(),
        code: 1,
    }
}

/// What a runtime knows of a finished run besides the recorder and the sampler.
pub struct RunFacts {
    pub seed: u64,
    pub fingerprint: String,
    /// Virtual time at the end.
    pub end: Time,
    pub wall_time_s: f64,
    pub events: u64,
    pub stop_reason: String,
    pub agents: crate::metrics::AgentEvents,
    pub failovers: Vec<crate::metrics::Failover>,
    pub network: crate::sim::NetStats,
}

/// Ends the recording and builds the summary (the output contract's `summary.json`).
pub fn summarize(
    scn: &Scenario,
    r: &mut Recorder,
    mut sampler: Sampler,
    statuses: &[Option<&dyn FrameworkStatus>],
    facts: RunFacts,
) -> Result<Summary, RunError> {
    if let Some(w) = sampler.ts.as_mut() {
        w.flush().map_err(csv_err)?;
    }
    let end = facts.end;
    r.finish(end);
    if let Some(e) = r.io_error.take() {
        return Err(RunError {
            message: format!("writing results: {e}"),
            code: 1,
        });
    }
    let util = r.utilization(end);
    let samples = sampler.samples;
    let means: Vec<f64> = sampler
        .share_sums
        .iter()
        .map(|s| {
            if samples == 0 {
                0.0
            } else {
                s / samples as f64
            }
        })
        .collect();
    let frameworks = (0..statuses.len())
        .map(|i| {
            let f = &scn.frameworks[i];
            let st = statuses[i];
            FrameworkSummary {
                name: f.name().to_string(),
                role: f.role().to_string(),
                kind: f.kind(),
                mean_dominant_share: round6(means[i]),
                jobs_submitted: st.map_or(0, |s| s.progress().jobs_submitted),
                tasks_finished: st.map_or(0, |s| s.progress().tasks_finished),
                stats: st.and_then(|s| s.stats()),
            }
        })
        .collect();
    Ok(Summary {
        scenario: scn.name.clone(),
        seed: facts.seed,
        schedlab_version: env!("CARGO_PKG_VERSION"),
        fingerprint: facts.fingerprint,
        sim_time_s: end as f64 / 1e9,
        wall_time_s: facts.wall_time_s,
        events: facts.events,
        stop_reason: facts.stop_reason,
        makespan_s: match (r.first_submit, r.last_end) {
            (Some(a), Some(b)) => b.saturating_sub(a) as f64 / 1e9,
            _ => 0.0,
        },
        job_completion_s: Dist::of_ns(&mut r.completions),
        task_wait_s: Dist::of_ns(&mut r.waits),
        utilization: Utilization {
            cpus: round6(util[0]),
            mem: round6(util[1]),
            disk: round6(util[2]),
            gpus: round6(util[3]),
        },
        fairness: sampler.contention.summary(),
        tasks: r.counts.clone(),
        agents: facts.agents,
        failovers: facts.failovers,
        frameworks,
        network: facts.network,
    })
}

/// Writes `summary.json` into `dir`, last and atomically (temporary file + rename): a
/// results folder with a summary.json is complete, which is what `schedlab sweep`
/// resumes on.
pub fn write_summary(dir: &Path, summary: &Summary) -> Result<(), RunError> {
    let path = dir.join("summary.json");
    let text = serde_json::to_string_pretty(summary).expect("serializable") + "\n";
    let tmp = dir.join("summary.json.tmp");
    std::fs::write(&tmp, text).map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io_err(&path, e))
}

pub(crate) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
