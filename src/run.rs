//! Running a scenario on the discrete-event engine: build the actors, then hand the
//! engine to the [driver](crate::driver), which samples, watches the leader, stops and
//! writes the results.
//!
//! Actor groups on the network are `masters`, `agents` and `frameworks`; actor names
//! are `master`, `<agent group name>-<i>` and the framework names, which is what fault
//! targets refer to.

use crate::actor::{ActorId, Time};
use crate::alloc::{AllocatorConfig, PolicyParams};
use crate::driver::{agent_events_of, drive, drive_now, Advanced, Drive, Ended, Files, Runtime};
use crate::frameworks::{FrameworkActor, FrameworkStatus};
use crate::mesos::agent::{Agent, AgentConfig};
use crate::mesos::detector::MasterDetector;
use crate::mesos::master::Master;
use crate::mesos::operator::{Operator, OperatorCall};
use crate::metrics::{Recorder, Summary};
use crate::proto::{Mesos, Msg};
use crate::resources::Resources;
use crate::scenario::Scenario;
use crate::sim::fault::Fault;
use crate::sim::{Observer, Sim, SimConfig, StopReason, Touched};
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

/// A failed run (the driver's error, shared by both runtimes).
pub use crate::driver::RunError;

/// Changes made to the actors' configuration as a cluster is built: how the fuzzer and
/// tests plant a deliberate defect (to show that the checker catches it) without the
/// builder knowing about them. Plain function pointers, so a hook is `Copy` and `Send`
/// like the seeds that run in parallel.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuildHooks {
    /// Applied to every master each time it is (re)started.
    pub master: Option<fn(&mut Master)>,
    /// Applied to every agent's configuration.
    pub agent: Option<fn(&mut AgentConfig)>,
}

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
        Cluster::build_with(scn, seed, sim_cfg, BuildHooks::default())
    }

    /// As `build`, with `hooks` applied to the actors' configuration (e.g. the
    /// fuzzer's deliberate defects, `crate::fuzz::Sabotage`, for checking the checker).
    pub fn build_with(
        scn: &Scenario,
        seed: u64,
        sim_cfg: SimConfig,
        hooks: impl Into<BuildHooks>,
    ) -> Result<Cluster, String> {
        // The checks `schedlab validate` makes, also for a scenario built in code.
        scn.check()
            .map_err(|(key, message)| format!("key `{key}`: {message}"))?;
        let hooks = hooks.into();
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

        let mut alloc_cfg = AllocatorConfig::with_params(
            scn.allocator.policy.clone(),
            PolicyParams::new(scn.allocator.params.clone()),
        )?;
        alloc_cfg.min_allocatable = Resources::new(
            scn.allocator.min_allocatable_cpus.0,
            scn.allocator.min_allocatable_mem.0.round() as u64,
        );
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
            .map(|(r, q)| (r.clone(), q.guarantee()))
            .collect();
        let limits: Vec<(String, Resources)> = scn
            .allocator
            .quota
            .iter()
            .filter_map(|(r, q)| q.limit().map(|l| (r.clone(), l)))
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
            let limits = limits.clone();
            masters.push(sim.add_actor(&name, gm, move || {
                let mut m = Master::new(flags.clone(), &alloc_cfg);
                m.configure_roles(&weights, &quotas);
                if !limits.is_empty() {
                    m.configure_quota_limits(&limits);
                }
                if let Some(hook) = hooks.master {
                    hook(&mut m);
                }
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
        for g in &scn.agents {
            let reserved: Vec<(String, Resources)> = g
                .reserve
                .iter()
                .map(|r| (r.role.clone(), r.size.resources()))
                .collect();
            for i in 0..g.count {
                let name = format!("{}-{i}", g.name);
                let mut cfg = AgentConfig::new(detector.clone(), &name, g.resources());
                cfg.reserved = reserved.clone();
                cfg.launch_delay = g.launch_delay;
                cfg.attributes = g.attributes.clone();
                cfg.oversubscription = g.oversubscription.clone();
                if let Some(hook) = hooks.agent {
                    hook(&mut cfg);
                }
                agents.push(sim.add_actor(&name, ga, move || Agent::new(cfg.clone())));
            }
        }

        let mut frameworks = Vec::new();
        for (i, f) in scn.frameworks.iter().enumerate() {
            let gseed = framework_seed(seed, i);
            frameworks.push(f.add_to(&mut sim, gf, detector.clone(), gseed));
        }
        let mut calls = Vec::new();
        for fault in &scn.faults {
            sim.schedule_fault(fault)?;
            if let Fault::MarkGone { at, target } = fault {
                for i in sim.resolve(target)? {
                    calls.push(OperatorCall {
                        at: *at,
                        mark_gone: sim.name(ActorId(i)).to_string(),
                    });
                }
            }
        }
        if !calls.is_empty() {
            let (d, gop) = (detector.clone(), sim.net_mut().group("operator"));
            sim.add_actor("operator", gop, move || {
                Operator::new(d.clone(), calls.clone())
            });
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

    /// The master acting as leader, if any: the newest (highest registry term) when a
    /// deposed leader, cut off from the coordination service, still acts for a while.
    pub fn leader(&self) -> Option<&Master> {
        self.leader_actor().map(|(_, m)| m)
    }

    /// [`Cluster::leader`] with its actor.
    pub fn leader_actor(&self) -> Option<(ActorId, &Master)> {
        self.live_masters()
            .filter(|(_, m)| m.is_leading())
            .max_by_key(|(_, m)| m.registry_term())
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

/// The engine as the driver's runtime: one event per step, in virtual time.
impl Runtime for Cluster {
    fn now(&self) -> Time {
        self.sim.now()
    }

    fn settled_until(&self) -> Option<Time> {
        self.sim.peek_time()
    }

    async fn advance(&mut self, stop_at: Time, _next_sample: Time) -> Advanced {
        match self.sim.peek_time() {
            None => return Advanced::Idle,
            Some(t) if t > stop_at => {
                self.sim.advance_to(stop_at);
                return Advanced::PastStop;
            }
            Some(_) => {}
        }
        self.sim.step();
        // Which master leads changes only when a master runs or a fault strikes.
        let leader_may_change = match self.sim.touched() {
            Touched::None => false,
            Touched::Actor(a) => self.masters.contains(&a),
            Touched::All => true,
        };
        Advanced::Ran { leader_may_change }
    }

    fn leader(&self) -> Option<&str> {
        self.live_masters()
            .find(|(_, m)| m.is_leading())
            .map(|(id, _)| self.sim.name(id))
    }

    fn all_done(&self) -> bool {
        Cluster::all_done(self)
    }

    fn stop_requested(&self) -> bool {
        self.sim.stop_requested()
    }

    fn with_view<R>(
        &self,
        f: impl FnOnce(Option<&Master>, &[Option<&dyn FrameworkStatus>]) -> R,
    ) -> R {
        let statuses: Vec<_> = (0..self.frameworks.len())
            .map(|i| self.framework_status(i))
            .collect();
        f(self.master_view(), &statuses)
    }

    fn finish(&mut self, reason: StopReason) -> Ended {
        let report = self.sim.report(reason);
        Ended {
            end: self.sim.now(),
            fingerprint: format!("{:016x}", report.fingerprint),
            events: report.events,
            agents: self.agent_events(),
            network: report.net,
        }
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

/// Runs a scenario and writes its results into `opts.out` (if any). Returns the summary.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)] // wall time is reported, never used by the run
pub fn execute(scn: &Scenario, opts: &RunOptions) -> Result<Summary, RunError> {
    let wall = std::time::Instant::now();
    let seed = opts.seed.unwrap_or(scn.seed);
    let mut cluster = Cluster::build(scn, seed, SimConfig::default()).map_err(|m| RunError {
        message: format!("scenario `{}`: {m}", scn.name),
        code: 2,
    })?;
    let names: Vec<String> = (0..cluster.sim.actor_count())
        .map(|i| cluster.sim.name(ActorId(i as u32)).to_string())
        .collect();
    let files = Files {
        dir: opts.out.as_deref(),
        events: opts.events,
        format: opts.format,
    };
    let mut d = Drive::open(scn, seed, wall, files, cluster.masters.clone(), names)?;
    d.progress = opts.progress;
    cluster.sim.set_observer(Box::new(Tap(d.recorder())));
    let summary = drive_now(drive(&mut cluster, d))?;
    if let Some(e) = cluster.workload_error() {
        return Err(RunError {
            message: format!("workload error (results so far are written): {e}"),
            code: 2,
        });
    }
    Ok(summary)
}
