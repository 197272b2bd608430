//! A test kit for framework authors: an in-process simulated Mesos cluster around the
//! framework under test, stepped in virtual time, with faults injected on demand and
//! every protocol invariant of [`crate::check`] verified after every event.
//!
//! What minimesos gave Mesos framework authors with containers, deterministically: the
//! same seed replays the same run, so a failing test is a reproducible bug report.
//!
//! ```
//! use schedlab::actor::SEC;
//! use schedlab::frameworks::core::Common;
//! use schedlab::frameworks::marathon::{AppSpec, Marathon, MarathonSpec};
//! use schedlab::testkit::ClusterBuilder;
//!
//! let app: AppSpec = toml::from_str(r#"
//!     id = "web"
//!     instances = 3
//!     cpus = 1
//!     mem = 512
//!     constraints = [["hostname", "UNIQUE"]]
//! "#).unwrap();
//! let mut tc = ClusterBuilder::new()
//!     .agents(4, 2.0, 4096.0)
//!     .scheduler(Common::named("marathon"), move || {
//!         Marathon::new(MarathonSpec { apps: vec![app.clone()], deployments: vec![] })
//!     })
//!     .build()
//!     .unwrap();
//! assert!(tc.run_until(60 * SEC, |tc| tc.running("marathon").len() == 3));
//! let hosts = tc.running("marathon").iter().map(|t| t.host.clone()).collect::<std::collections::BTreeSet<_>>();
//! assert_eq!(hosts.len(), 3); // UNIQUE hostname
//! tc.kill_agent(&hosts.iter().next().unwrap().clone());
//! // Removed after 75 s; Marathon replaces its instance elsewhere once it has been
//! // unreachable for 300 s (`unreachableStrategy`'s default).
//! tc.run_for(200 * SEC);
//! assert_eq!(tc.running("marathon").len(), 2);
//! tc.run_for(200 * SEC);
//! assert_eq!(tc.running("marathon").len(), 3);
//! ```
//!
//! With [`ClusterBuilder::masters`] (3 or 5) the masters elect a leader through a
//! coordination ensemble, and [`TestCluster::master_failover`] crashes the leader.

use crate::actor::{ActorId, Time};
use crate::check::{Checker, CheckerTap};
use crate::frameworks::core::{Common, Framework, Scheduler};
use crate::frameworks::{status, FrameworkActor, FrameworkConfig, FrameworkKind, FrameworkStatus};
use crate::mesos::agent::Agent;
use crate::proto::{TaskId, TaskState};
use crate::run::Cluster;
use crate::scenario::{AgentGroup, NonNeg, Scenario};
use crate::sim::fault::Fault;
use crate::sim::SimConfig;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

type AddFramework = Box<dyn FnOnce(&mut Cluster)>;

/// Builds a [`TestCluster`]: agents, frameworks (from configs or your own
/// [`Scheduler`]), seed and master flags.
pub struct ClusterBuilder {
    scn: Scenario,
    custom: Vec<AddFramework>,
    check: bool,
}

impl Default for ClusterBuilder {
    fn default() -> Self {
        ClusterBuilder::new()
    }
}

impl ClusterBuilder {
    /// One master with default flags, no agents, no frameworks, seed 1.
    pub fn new() -> ClusterBuilder {
        // Built without `Scenario::parse`, whose checks refuse a cluster without agents.
        let scn: Scenario = toml::from_str("name = \"testkit\"\nagents = []\nframeworks = []\n")
            .expect("minimal scenario");
        ClusterBuilder {
            scn,
            custom: Vec::new(),
            check: true,
        }
    }

    /// Starts from a scenario (its agents, frameworks, faults and flags).
    pub fn from_scenario(scn: Scenario) -> ClusterBuilder {
        ClusterBuilder {
            scn,
            custom: Vec::new(),
            check: true,
        }
    }

    /// `count` masters (3 or 5) electing a leader through a three-server coordination
    /// ensemble; 1 (the default) is a lone master.
    pub fn masters(mut self, count: u32) -> ClusterBuilder {
        self.scn.masters.count = count;
        self.scn.coord.servers = if count > 1 { 3 } else { 0 };
        self
    }

    pub fn seed(mut self, seed: u64) -> ClusterBuilder {
        self.scn.seed = seed;
        self
    }

    /// The allocation policy, built in or registered with
    /// [`crate::alloc::register_policy`], and its parameters.
    pub fn policy(
        mut self,
        policy: crate::alloc::Policy,
        params: &[(&str, f64)],
    ) -> ClusterBuilder {
        self.scn.allocator.policy = policy;
        self.scn.allocator.params = params.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        self
    }

    /// `count` agents named `agent-0`, `agent-1`, ... with `cpus` and `mem` MiB.
    pub fn agents(self, count: u32, cpus: f64, mem: f64) -> ClusterBuilder {
        self.agent_group("agent", count, cpus, mem, &[])
    }

    /// A group of agents `<name>-<i>` with attributes (for constraints).
    pub fn agent_group(
        mut self,
        name: &str,
        count: u32,
        cpus: f64,
        mem: f64,
        attributes: &[(&str, &str)],
    ) -> ClusterBuilder {
        let mut g: AgentGroup = toml::from_str(&format!(
            "name = \"{name}\"\ncount = {count}\ncpus = {cpus}\nmem = {mem}\n"
        ))
        .expect("agent group");
        g.cpus = NonNeg(cpus);
        g.mem = NonNeg(mem);
        g.attributes = attributes
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.scn.agents.push(g);
        self
    }

    /// A framework from a config: of a built-in kind, or of your own
    /// ([`FrameworkConfig::new`] with your [`FrameworkKind`]'s settings).
    pub fn framework(mut self, f: FrameworkConfig) -> ClusterBuilder {
        self.scn.frameworks.push(f);
        self
    }

    /// A framework of kind `K` (yours or a built-in one) with these settings, as a
    /// scenario entry of that kind would give it.
    pub fn kind<K: FrameworkKind>(self, common: Common, settings: K) -> ClusterBuilder {
        self.framework(FrameworkConfig::new(common, settings))
    }

    /// The framework under test: your [`Scheduler`], built by `make` at start and at
    /// every restart of the framework actor.
    pub fn scheduler<S: Scheduler>(
        mut self,
        common: Common,
        make: impl Fn() -> S + 'static,
    ) -> ClusterBuilder {
        self.custom.push(Box::new(move |c: &mut Cluster| {
            let group = c.sim.net().find_group("frameworks").expect("group");
            let (master, name, start) = (c.detector.clone(), common.name.clone(), common.start);
            let id = c.sim.add_actor_at(&name, group, start, move || {
                Framework::new(common.clone(), master.clone(), make())
            });
            c.frameworks
                .push(FrameworkActor::new(id, status::reader::<S>()));
        }));
        self
    }

    /// Changes the scenario itself (master flags, network, allocator).
    pub fn with(mut self, f: impl FnOnce(&mut Scenario)) -> ClusterBuilder {
        f(&mut self.scn);
        self
    }

    /// Skips the per-event invariant checks (faster, for long soak runs).
    pub fn unchecked(mut self) -> ClusterBuilder {
        self.check = false;
        self
    }

    pub fn build(self) -> Result<TestCluster, String> {
        let mut cluster = Cluster::build(&self.scn, self.scn.seed, SimConfig::default())?;
        for add in self.custom {
            add(&mut cluster);
        }
        let checker = Rc::new(RefCell::new(Checker::default()));
        if self.check {
            cluster
                .sim
                .set_observer(Box::new(CheckerTap(checker.clone())));
        }
        Ok(TestCluster {
            cluster,
            checker: self.check.then_some(checker),
            seed: self.scn.seed,
        })
    }
}

/// A task as an agent runs it: the ground truth, not a framework's belief.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskView {
    pub task: TaskId,
    /// The agent's name (its hostname).
    pub host: String,
    pub state: TaskState,
}

/// A running simulated cluster.
pub struct TestCluster {
    pub cluster: Cluster,
    checker: Option<Rc<RefCell<Checker>>>,
    seed: u64,
}

impl TestCluster {
    pub fn now(&self) -> Time {
        self.cluster.sim.now()
    }

    /// Delivers events until `limit` (absolute virtual time), calling `each` after every
    /// event; stops early, returning true, as soon as `each` returns true. Panics with
    /// the seed if an invariant is violated.
    pub fn step_until(&mut self, limit: Time, mut each: impl FnMut(&TestCluster) -> bool) -> bool {
        loop {
            if each(self) {
                return true;
            }
            match self.cluster.sim.peek_time() {
                Some(t) if t <= limit => {}
                _ => {
                    if self.cluster.sim.now() < limit {
                        self.cluster.sim.advance_to(limit);
                    }
                    return each(self);
                }
            }
            self.cluster.sim.step();
            if let Some(ch) = &self.checker {
                let mut ch = ch.borrow_mut();
                ch.check_state(&self.cluster);
                if let Some(v) = ch.violations.first() {
                    panic!("invariant violated (seed {}): {v}", self.seed);
                }
            }
        }
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Time) {
        let limit = self.now() + d;
        self.step_until(limit, |_| false);
    }

    /// Runs until `pred` holds (checked after every event) or `timeout` passes; returns
    /// whether it held.
    pub fn run_until(&mut self, timeout: Time, pred: impl Fn(&TestCluster) -> bool) -> bool {
        let limit = self.now() + timeout;
        self.step_until(limit, pred)
    }

    fn fault(&mut self, f: Fault) {
        self.cluster
            .sim
            .schedule_fault(&f)
            .unwrap_or_else(|e| panic!("fault: {e}"));
    }

    /// Crashes an agent now, for good (the master removes it after 75 s by default).
    pub fn kill_agent(&mut self, name: &str) {
        let now = self.now();
        self.fault(Fault::crash(now, name, None));
    }

    /// Restarts a crashed agent now (it registers as a new agent).
    pub fn restart_agent(&mut self, name: &str) {
        let at = self.now();
        self.fault(Fault::Restart {
            at,
            target: vec![name.to_string()],
        });
    }

    /// Cuts an agent off from everyone for `d`.
    pub fn partition_agent(&mut self, name: &str, d: Time) {
        let now = self.now();
        self.fault(Fault::partition(now, Some(now + d), &[name], &[]));
    }

    /// Fails over the leading master: crashes it for good; a standby takes over after
    /// the session timeout. Needs [`ClusterBuilder::masters`] of 3 or 5.
    pub fn master_failover(&mut self) -> Result<(), String> {
        if self.cluster.masters.len() < 2 {
            return Err("master failover needs several masters: ClusterBuilder::masters(3)".into());
        }
        let leader = self
            .cluster
            .live_masters()
            .find(|(_, m)| m.is_leading())
            .map(|(id, _)| self.cluster.sim.name(id).to_string())
            .ok_or("no master leads right now")?;
        let now = self.now();
        self.fault(Fault::crash(now, &leader, None));
        Ok(())
    }

    /// The actor of framework `name`.
    pub fn framework_actor(&self, name: &str) -> ActorId {
        self.cluster
            .sim
            .find(name)
            .unwrap_or_else(|| panic!("no actor `{name}`"))
    }

    /// What the driver reads of framework `name`, whatever its kind: done, pending,
    /// its counters (None while the framework is down).
    pub fn status(&self, name: &str) -> Option<&dyn FrameworkStatus> {
        let id = self.framework_actor(name);
        let f = self.cluster.frameworks.iter().find(|f| f.id == id)?;
        crate::frameworks::status_of(&self.cluster.sim, f)
    }

    /// Your scheduler's state (None while the framework is down).
    pub fn scheduler<S: Scheduler>(&self, name: &str) -> Option<&S> {
        self.framework::<S>(name).map(|f| &f.sched)
    }

    /// The framework actor (scheduler and its protocol core).
    pub fn framework<S: Scheduler>(&self, name: &str) -> Option<&Framework<S>> {
        self.cluster
            .sim
            .actor::<Framework<S>>(self.framework_actor(name))
    }

    /// Tasks of framework `name` that live agents hold, in any non-terminal state.
    pub fn tasks(&self, name: &str) -> Vec<TaskView> {
        let Some(m) = self.cluster.master_view() else {
            return Vec::new(); // no master running
        };
        let ids: Vec<u32> = m
            .frameworks
            .iter()
            .enumerate()
            .filter(|(_, f)| f.name == name)
            .map(|(i, _)| i as u32)
            .collect();
        let mut out = Vec::new();
        for &a in &self.cluster.agents {
            let Some(agent) = self.cluster.sim.actor::<Agent>(a) else {
                continue;
            };
            for ((fw, t), r) in &agent.tasks {
                if ids.contains(fw) {
                    out.push(TaskView {
                        task: *t,
                        host: self.cluster.sim.name(a).to_string(),
                        state: r.state,
                    });
                }
            }
        }
        out
    }

    /// Tasks of framework `name` RUNNING on live agents.
    pub fn running(&self, name: &str) -> Vec<TaskView> {
        let mut v = self.tasks(name);
        v.retain(|t| t.state == TaskState::Running);
        v
    }

    /// How many of framework `name`'s running tasks each host has.
    pub fn per_host(&self, name: &str) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for t in self.running(name) {
            *m.entry(t.host).or_default() += 1;
        }
        m
    }

    /// Checks the end-of-run invariants (every launched task accounted for).
    pub fn finish(&mut self) {
        if let Some(ch) = &self.checker {
            let mut ch = ch.borrow_mut();
            ch.check_end(&self.cluster);
            if let Some(v) = ch.violations.first() {
                panic!("invariant violated at the end (seed {}): {v}", self.seed);
            }
        }
    }
}
