//! Scenario files: the cluster, the masters, the allocator, the frameworks and their
//! workloads, the network and the faults of one experiment, in TOML.
//!
//! Parsing is strict: an unknown key or a bad value is an error that names the file,
//! the line and the key (`ScenarioError`), never a silently ignored setting. Values can
//! be overridden from the command line with `--set key=value` (dotted paths, array
//! indices as numbers: `frameworks.1.weight=2`, `allocator.policy="fifo"`).

use crate::actor::{Time, SEC};
use crate::alloc::Policy;
use crate::frameworks::FrameworkConfig;
use crate::mesos::master::MasterConfig;
use crate::resources::Resources;
use crate::sim::fault::Fault;
use crate::sim::net::LinkModel;
use crate::workload::TaskSize;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

mod checks;
pub mod limits;

pub use limits::Limits;

/// Reading strict TOML lives in [`crate::config`], below every module with a config
/// section; re-exported here, where scenario readers look for it.
pub use crate::config::{parse_toml, ScenarioError};

/// The built-in quickstart scenario (`schedlab run` with no argument).
pub const QUICKSTART: &str = include_str!("../scenarios/quickstart.toml");

/// Re-exported from [`crate::units`], where the shared units live.
pub use crate::units::NonNeg;

/// How long to run and what to record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunSection {
    /// Virtual time at which the run stops.
    #[serde(with = "crate::units::duration")]
    pub stop: Time,
    /// Stop earlier, once every framework's workload has completed.
    pub stop_when_done: bool,
    /// Period of the rows of `timeseries.csv`.
    #[serde(with = "crate::units::duration")]
    pub sample_interval: Time,
}

impl Default for RunSection {
    fn default() -> Self {
        RunSection {
            stop: 3600 * SEC,
            stop_when_done: true,
            sample_interval: 10 * SEC,
        }
    }
}

/// The coordination ensemble (ZooKeeper-like) the masters elect their leader through.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoordSection {
    /// Servers in the ensemble: 0 (a lone master, no election), 1, 3 or 5.
    pub servers: u32,
    /// Session timeout of the masters', agents' and frameworks' sessions (Mesos'
    /// `--zk_session_timeout`, default 10 s).
    #[serde(with = "crate::units::duration")]
    pub session_timeout: Time,
    /// Session timeout of the agents' and frameworks' sessions, if not
    /// `session_timeout`. They hold no ephemeral znode (they only watch the leader's),
    /// so a longer one only delays their noticing a dead ensemble server, while their
    /// heartbeats (one every third of the timeout) dominate the events of a cluster of
    /// thousands of agents.
    #[serde(
        default,
        with = "crate::units::duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_session_timeout: Option<Time>,
    /// The largest session timeout the servers grant (ZooKeeper's `maxSessionTimeout`,
    /// default 20 ticks = 40 s); a longer requested timeout is cut to it.
    #[serde(
        default,
        with = "crate::units::duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_session_timeout: Option<Time>,
}

impl Default for CoordSection {
    fn default() -> Self {
        CoordSection {
            servers: 0,
            session_timeout: crate::coord::DEFAULT_SESSION_TIMEOUT,
            client_session_timeout: None,
            max_session_timeout: None,
        }
    }
}

/// The masters: 1, 3 or 5; several elect their leader through `[coord]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct MastersSection {
    #[serde(default = "one_u32")]
    pub count: u32,
    /// The master's flags, beside `count` (read by [`flat`]).
    #[serde(flatten, skip_deserializing)]
    pub flags: MasterConfig,
}
crate::config::flat::flattened!(MastersSection, flags);

impl Default for MastersSection {
    fn default() -> Self {
        MastersSection {
            count: 1,
            flags: MasterConfig::default(),
        }
    }
}

fn one_u32() -> u32 {
    1
}

/// Allocation policy and its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AllocatorSection {
    pub policy: Policy,
    /// The policy's parameters (`[allocator.params]`), for policies that take any; the
    /// built-in ones take none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, f64>,
    /// Smallest offer worth making: Mesos' defaults are 0.01 CPUs or 32 MiB.
    pub min_allocatable_cpus: NonNeg,
    pub min_allocatable_mem: NonNeg,
    /// Role weights (DRF divides a role's dominant share by its weight).
    pub weights: BTreeMap<String, NonNeg>,
    /// Quota per role: a guaranteed minimum and an optional limit (Mesos 1.9+).
    pub quota: BTreeMap<String, QuotaEntry>,
}

impl Default for AllocatorSection {
    fn default() -> Self {
        AllocatorSection {
            policy: Policy::DRF,
            params: BTreeMap::new(),
            min_allocatable_cpus: NonNeg(0.01),
            min_allocatable_mem: NonNeg(32.0),
            weights: BTreeMap::new(),
            quota: BTreeMap::new(),
        }
    }
}

/// One role's quota (`[allocator.quota.<role>]`): the guarantee (`cpus`, `mem`, `disk`,
/// `gpus`, as before limits existed) and, Mesos 1.9+, a limit per kind
/// (`limit_cpus`, `limit_mem`; absent: no limit). A limit below the guarantee is refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaEntry {
    pub cpus: NonNeg,
    pub mem: NonNeg,
    #[serde(default)]
    pub disk: NonNeg,
    #[serde(default)]
    pub gpus: NonNeg,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_cpus: Option<NonNeg>,
    /// MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_mem: Option<NonNeg>,
}

impl QuotaEntry {
    /// The guarantee.
    pub fn guarantee(&self) -> Resources {
        TaskSize {
            cpus: self.cpus,
            mem: self.mem,
            disk: self.disk,
            gpus: self.gpus,
        }
        .resources()
    }

    /// The limit, if any kind has one (kinds without are `u64::MAX`, unbounded).
    pub fn limit(&self) -> Option<Resources> {
        if self.limit_cpus.is_none() && self.limit_mem.is_none() {
            return None;
        }
        let mut l = crate::alloc::quota::UNLIMITED;
        if let Some(c) = self.limit_cpus {
            l.cpus = Resources::new(c.0, 0).cpus;
        }
        if let Some(m) = self.limit_mem {
            l.mem = m.0.round() as u64;
        }
        Some(l)
    }

    /// The first limit below its guarantee: (key, message).
    fn check(&self) -> Result<(), (&'static str, String)> {
        let pairs = [
            ("limit_cpus", self.limit_cpus, self.cpus, "cpus"),
            ("limit_mem", self.limit_mem, self.mem, "mem"),
        ];
        for (key, limit, guarantee, kind) in pairs {
            if let Some(l) = limit {
                if l.0 < guarantee.0 {
                    return Err((
                        key,
                        format!(
                            "{key} = {} is below the guarantee {kind} = {} (a quota limit must be at least its guarantee)",
                            l.0, guarantee.0
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A static reservation on each agent of a group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Reservation {
    pub role: String,
    /// Its keys beside `role` (read by [`flat`]).
    #[serde(flatten, skip_deserializing)]
    pub size: TaskSize,
}
crate::config::flat::flattened!(Reservation, size);

/// `count` identical agents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentGroup {
    /// Name prefix: agents are called `<name>-<i>`.
    #[serde(default = "agent_name")]
    pub name: String,
    pub count: u32,
    pub cpus: NonNeg,
    /// MiB.
    pub mem: NonNeg,
    #[serde(default)]
    pub disk: NonNeg,
    #[serde(default)]
    pub gpus: NonNeg,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Time from RunTask to TASK_RUNNING.
    #[serde(default = "launch_delay", with = "crate::units::duration")]
    pub launch_delay: Time,
    #[serde(default)]
    pub reserve: Vec<Reservation>,
    /// Revocable CPUs from the idle part of what the agents' tasks were allocated
    /// (Mesos oversubscription; `mesos::oversubscription`). None by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oversubscription: Option<crate::mesos::oversubscription::Oversubscription>,
}

fn agent_name() -> String {
    "agent".into()
}
fn launch_delay() -> Time {
    100 * crate::actor::MS
}

impl AgentGroup {
    pub fn resources(&self) -> Resources {
        TaskSize {
            cpus: self.cpus,
            mem: self.mem,
            disk: self.disk,
            gpus: self.gpus,
        }
        .resources()
    }
}

/// A directed link between two actor groups (`masters`, `agents`, `frameworks`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct LinkEntry {
    pub from: String,
    pub to: String,
    /// Also set the reverse direction.
    #[serde(default = "yes")]
    pub both: bool,
    /// Its keys beside `from`, `to` and `both` (read by [`flat`]).
    #[serde(flatten, skip_deserializing)]
    pub model: LinkModel,
}
crate::config::flat::flattened!(LinkEntry, model);

fn yes() -> bool {
    true
}

/// The network: a default link and per-group links.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkSection {
    pub default: LinkModel,
    pub links: Vec<LinkEntry>,
}

impl Default for NetworkSection {
    fn default() -> Self {
        NetworkSection {
            default: LinkModel {
                fifo: true,
                ..LinkModel::default()
            },
            links: Vec::new(),
        }
    }
}

/// A whole scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default = "one_u64")]
    pub seed: u64,
    #[serde(default)]
    pub run: RunSection,
    #[serde(default)]
    pub masters: MastersSection,
    #[serde(default)]
    pub coord: CoordSection,
    #[serde(default)]
    pub allocator: AllocatorSection,
    pub agents: Vec<AgentGroup>,
    /// Tagged by `kind` (default `batch`): see [`crate::frameworks`].
    pub frameworks: Vec<FrameworkConfig>,
    #[serde(default)]
    pub network: NetworkSection,
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// Random agent crashes at a given rate (expanded into crash faults at build time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_failures: Option<AgentFailures>,
    /// Bounds on the sizes above (`[limits]`, see [`limits`]).
    #[serde(default, skip_serializing_if = "Limits::is_default")]
    pub limits: Limits,
    /// Where the scenario was read from (the file, with its `--set` overrides), for
    /// messages about it after parsing; not a key of the file.
    #[serde(skip)]
    pub source: Option<String>,
}

/// Agent failures as a renewal process per agent: up-times exponential with mean
/// `mtbf`, each failure a crash (the agent loses its tasks) followed by a restart after
/// an exponential repair time with mean `repair`. Google's 2011 trace (12.5k machines,
/// 29 days) has about 9,000 machine removals, one per machine every ~40 days. Drawn
/// from a ChaCha8 stream of (run seed, `seed`), so a run seed fixes the schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentFailures {
    /// Mean up-time of an agent between failures.
    #[serde(with = "crate::units::duration")]
    pub mtbf: Time,
    /// Mean time from a crash to the restart.
    #[serde(with = "crate::units::duration")]
    pub repair: Time,
    /// No failure before this time (let the cluster start).
    #[serde(default, with = "crate::units::duration")]
    pub start: Time,
    #[serde(default)]
    pub seed: u64,
}

impl AgentFailures {
    /// The crash faults of `agents` (actor names) up to `stop`, in agent order.
    pub fn faults(&self, agents: &[String], run_seed: u64, stop: Time) -> Vec<Fault> {
        use rand::SeedableRng;
        use rand_distr::Distribution;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(
            run_seed ^ self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xFA11,
        );
        let up = rand_distr::Exp::new(1.0 / self.mtbf as f64).expect("mtbf > 0");
        let fix = rand_distr::Exp::new(1.0 / self.repair.max(1) as f64).expect("repair > 0");
        let mut out = Vec::new();
        for name in agents {
            let mut t = self.start;
            loop {
                t = t.saturating_add(up.sample(&mut rng) as Time);
                if t >= stop {
                    break;
                }
                let d = (fix.sample(&mut rng) as Time).max(1);
                out.push(Fault::Crash {
                    at: t,
                    target: vec![name.clone()],
                    restart_after: Some(d),
                });
                t = t.saturating_add(d);
            }
        }
        out
    }
}

fn one_u64() -> u64 {
    1
}

impl Scenario {
    /// Parses scenario text; `file` is only used to name the source in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let mut scn: Scenario = parse_toml(text, file)?;
        scn.source = Some(file.to_string());
        // Each check names the key; where it stands in the file depends on the check.
        let at = |key: String, line: Option<usize>, message: String| ScenarioError {
            file: file.to_string(),
            line,
            key: Some(key),
            message,
        };
        // (A key given by its path is found by its last part.)
        let last = |key: &str| key.rsplit('.').next().unwrap_or(key).to_string();
        scn.validate().map_err(|(key, message)| {
            let line = find_key_line(text, &last(&key));
            at(key, line, message)
        })?;
        scn.validate_quota().map_err(|(key, role, message)| {
            let line = find_quota_key_line(text, &role, &last(&key));
            at(key, line, message)
        })?;
        scn.validate_roles().map_err(|(key, role, message)| {
            let line = find_role_line(text, &role);
            at(key, line, message)
        })?;
        scn.validate_quota_roles().map_err(|(key, role, message)| {
            let line = find_quota_role_line(text, &role);
            at(key, line, message)
        })?;
        scn.check().map_err(|(key, message)| {
            let line = crate::config::line_of_key(text, &key);
            at(key, line, message)
        })?;
        Ok(scn)
    }

    /// Reads and parses a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            line: None,
            key: None,
            message: format!("cannot read scenario: {e}"),
        })?;
        Scenario::parse(&text, &file)
    }

    /// Parses `text` after applying `--set key=value` overrides.
    pub fn parse_with_overrides(
        text: &str,
        file: &str,
        sets: &[String],
    ) -> Result<Scenario, ScenarioError> {
        let base = Scenario::parse(text, file)?;
        if sets.is_empty() {
            return Ok(base);
        }
        let mut value: toml::Value = toml::from_str(text).expect("parsed above");
        for s in sets {
            apply_set(&mut value, s).map_err(|message| ScenarioError {
                file: "--set".into(),
                line: None,
                key: Some(s.split('=').next().unwrap_or(s).to_string()),
                message,
            })?;
        }
        let text = toml::to_string(&value).map_err(|e| ScenarioError {
            file: "--set".into(),
            line: None,
            key: None,
            message: e.to_string(),
        })?;
        // The file itself parsed above: what fails now comes from the overrides, and a
        // line of the regenerated text would point nowhere in the file.
        Scenario::parse(&text, &format!("{file} (with --set {})", sets.join(" ")))
            .map_err(|e| ScenarioError { line: None, ..e })
    }

    /// A quota limit must not be below its guarantee (Mesos 1.9+ refuses such a quota
    /// config): returns (key path, role, message) of the first that is.
    fn validate_quota(&self) -> Result<(), (String, String, String)> {
        for (role, q) in &self.allocator.quota {
            if let Err((key, message)) = q.check() {
                return Err((
                    format!("allocator.quota.{role}.{key}"),
                    role.clone(),
                    message,
                ));
            }
        }
        Ok(())
    }

    /// Quota is for top-level roles only, as in Mesos (`alloc::quota::refuse_nested`,
    /// `src/master/quota_handler.cpp`): returns (key path, role, message) of the first
    /// nested role given quota.
    fn validate_quota_roles(&self) -> Result<(), (String, String, String)> {
        for role in self.allocator.quota.keys() {
            if let Err(e) = crate::alloc::quota::refuse_nested(role) {
                return Err((format!("allocator.quota.{role}"), role.clone(), e));
            }
        }
        Ok(())
    }

    /// Every role name the scenario writes must be a valid Mesos role name
    /// (`alloc::roles::validate`, Mesos' `roles::validate` in `src/common/roles.cpp`):
    /// returns (key path, the name, message) of the first that is not.
    fn validate_roles(&self) -> Result<(), (String, String, String)> {
        let mut named: Vec<(String, &str)> = Vec::new();
        for (i, f) in self.frameworks.iter().enumerate() {
            named.push((format!("frameworks.{i}.role"), f.role()));
        }
        for (i, g) in self.agents.iter().enumerate() {
            for (j, r) in g.reserve.iter().enumerate() {
                named.push((format!("agents.{i}.reserve.{j}.role"), &r.role));
            }
        }
        for role in self.allocator.weights.keys() {
            named.push((format!("allocator.weights.{role}"), role));
        }
        for role in self.allocator.quota.keys() {
            named.push((format!("allocator.quota.{role}"), role));
        }
        for (key, role) in named {
            if let Err(e) = crate::alloc::roles::validate(role) {
                return Err((key, role.to_string(), e));
            }
        }
        Ok(())
    }

    /// Checks what serde cannot: returns (key, message).
    fn validate(&self) -> Result<(), (String, String)> {
        let params = crate::alloc::PolicyParams::new(self.allocator.params.clone());
        if let Err(e) = self.allocator.policy.build(params) {
            // Point at the parameter the message names, else at `policy = ...`.
            let named = |k: &&String| e.contains(&format!("`{k}`")) || e.contains(&format!("{k} "));
            return Err(match self.allocator.params.keys().find(named) {
                Some(k) => (format!("allocator.params.{k}"), e),
                None => ("allocator.policy".into(), e),
            });
        }
        if ![1, 3, 5].contains(&self.masters.count) {
            return Err((
                "count".into(),
                format!(
                    "masters.count must be 1, 3 or 5, got {}",
                    self.masters.count
                ),
            ));
        }
        if ![0, 1, 3, 5].contains(&self.coord.servers) {
            return Err((
                "servers".into(),
                format!(
                    "coord.servers must be 0, 1, 3 or 5, got {}",
                    self.coord.servers
                ),
            ));
        }
        if self.masters.count > 1 && self.coord.servers == 0 {
            return Err((
                "count".into(),
                format!(
                    "masters.count = {} needs a coordination ensemble to elect the leader: set coord.servers = 3",
                    self.masters.count
                ),
            ));
        }
        if let Some(f) = &self.agent_failures {
            if f.mtbf == 0 || f.repair == 0 {
                return Err((
                    "agent_failures".into(),
                    "agent_failures: mtbf and repair must be positive".into(),
                ));
            }
        }
        if self.coord.client_session_timeout == Some(0) {
            return Err((
                "client_session_timeout".into(),
                "coord.client_session_timeout must be positive".into(),
            ));
        }
        if self.coord.session_timeout == 0 {
            return Err(("session_timeout".into(), "must be positive".into()));
        }
        if self.masters.flags.allocation_interval == 0 {
            return Err(("allocation_interval".into(), "must be positive".into()));
        }
        if self.run.sample_interval == 0 {
            return Err(("sample_interval".into(), "must be positive".into()));
        }
        if let Some((role, w)) = self.allocator.weights.iter().find(|(_, w)| w.0 <= 0.0) {
            return Err((
                role.clone(),
                format!("allocator.weights.{role} must be positive, got {}", w.0),
            ));
        }
        for g in &self.agents {
            if let Some((key, why)) = g.oversubscription.as_ref().and_then(|o| o.invalid()) {
                return Err((
                    key.into(),
                    format!("agents `{}`: oversubscription.{key} {why}", g.name),
                ));
            }
        }
        if self.agents.iter().all(|g| g.count == 0) {
            return Err(("agents".into(), "the cluster has no agents".into()));
        }
        let mut names = std::collections::BTreeSet::new();
        for f in &self.frameworks {
            if !names.insert(f.name()) {
                return Err((
                    "name".into(),
                    format!("two frameworks are named `{}`", f.name()),
                ));
            }
            f.validate()?;
        }
        self.network
            .default
            .validate()
            .map_err(|m| ("default".to_string(), m))?;
        for l in &self.network.links {
            l.model.validate().map_err(|m| ("links".to_string(), m))?;
        }
        Ok(())
    }
}

/// The line of `key` in `role`'s quota: in its own `[allocator.quota.<role>]` table,
/// else the inline table's line (`<role> = { ... }`).
fn find_quota_key_line(text: &str, role: &str, key: &str) -> Option<usize> {
    let headers = [
        format!("[allocator.quota.{role}]"),
        format!("[allocator.quota.\"{role}\"]"),
    ];
    let start = text
        .lines()
        .position(|l| headers.iter().any(|h| l.trim() == h.as_str()));
    match start {
        Some(s) => {
            let rest: String = text.lines().skip(s + 1).collect::<Vec<_>>().join("\n");
            find_key_line(&rest, key).map(|i| i + s + 1)
        }
        None => find_role_line(text, role),
    }
}

/// The line that gives `role` its quota: its `[allocator.quota."role"]` header, or its
/// entry in the `[allocator.quota]` table (else the first line naming the role).
fn find_quota_role_line(text: &str, role: &str) -> Option<usize> {
    let (header, quoted) = (
        format!("[allocator.quota.\"{role}\"]"),
        format!("\"{role}\""),
    );
    let lines: Vec<&str> = text.lines().collect();
    if let Some(i) = lines.iter().position(|l| l.trim() == header) {
        return Some(i + 1);
    }
    let table = lines.iter().position(|l| l.trim() == "[allocator.quota]");
    table
        .and_then(|t| (t..lines.len()).find(|&i| lines[i].contains(&quoted)))
        .map(|i| i + 1)
        .or_else(|| find_role_line(text, role))
}

/// The line where `key = ...` is first written (for errors found after parsing).
pub fn find_key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            t.starts_with(key) && t[key.len()..].trim_start().starts_with('=')
        })
        .map(|i| i + 1)
}

/// The first line that writes the role name `role`: as a quoted string value
/// (`role = "a//b"`) or as a table key (`"a//b" = 2`, `[allocator.quota."a//b"]`).
fn find_role_line(text: &str, role: &str) -> Option<usize> {
    let quoted = format!("\"{role}\"");
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            l.contains(&quoted)
                || (t.starts_with(role) && t[role.len()..].trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

/// Applies one `key.path=value` to a TOML document. The value is read as TOML (so
/// `2`, `true`, `"fifo"` work) and as a bare string otherwise (`drf`).
pub fn apply_set(doc: &mut toml::Value, set: &str) -> Result<(), String> {
    let (path, raw) = set
        .split_once('=')
        .ok_or_else(|| format!("`{set}` is not key=value"))?;
    let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.trim().to_string()));
    let parts: Vec<&str> = path.trim().split('.').collect();
    let mut cur = doc;
    for (i, part) in parts.iter().enumerate() {
        let last = i == parts.len() - 1;
        cur = match cur {
            toml::Value::Table(t) => {
                if last {
                    t.insert(part.to_string(), value);
                    return Ok(());
                }
                t.entry(part.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            }
            toml::Value::Array(a) => {
                let idx: usize = part
                    .parse()
                    .map_err(|_| format!("`{part}` in `{path}` should be an array index"))?;
                let len = a.len();
                let slot = a.get_mut(idx).ok_or_else(|| {
                    format!("index {idx} out of range (length {len}) in `{path}`")
                })?;
                if last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            _ => {
                return Err(format!(
                    "`{path}`: `{part}` is inside a value that is not a table"
                ))
            }
        };
    }
    Ok(())
}
