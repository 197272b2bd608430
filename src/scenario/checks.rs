//! The checks of a whole scenario made once it is read, before any actor exists: sizes
//! within [`Limits`], names that the cluster builder would find clashing or missing,
//! and scenarios that cannot make progress. `Scenario::parse` (so `schedlab validate`)
//! and `run::Cluster::build` (so every run, also of a scenario built in code) both call
//! [`Scenario::check`]: one code path, and each error names its key path, from which
//! the parser finds the line.

use super::limits::{check_agent_size, Limits};
use super::{AgentGroup, Scenario};
use crate::config::join_key;
use crate::config::keypath::{KeyPath, Seg};
use crate::resources::Resources;
use crate::sim::fault::Fault;

/// A check that failed: the key path (as `--set` spells it) and the message.
pub type Problem = (String, String);

impl Scenario {
    /// Every check of the whole scenario, in file order of concern: sizes first (so
    /// that no later check walks an unchecked number), then names, then progress.
    pub fn check(&self) -> Result<(), Problem> {
        self.check_sizes()?;
        self.check_names()?;
        self.check_faults()?;
        self.check_progress()
    }

    /// Agents, per-agent resources, tasks per job and the sampling and allocation
    /// periods within [`Limits`].
    fn check_sizes(&self) -> Result<(), Problem> {
        let l = &self.limits;
        let total: u64 = self.agents.iter().map(|g| u64::from(g.count)).sum();
        Limits::at_most("the number of agents", total, l.agents, "agents")
            .map_err(|m| ("agents".to_string(), m))?;
        for (i, g) in self.agents.iter().enumerate() {
            let size = [g.cpus.0, g.mem.0, g.disk.0, g.gpus.0];
            check_agent_size(size).map_err(|(k, m)| (format!("agents.{i}.{k}"), m))?;
        }
        for (i, f) in self.frameworks.iter().enumerate() {
            for d in f.demands() {
                if let Some((key, n)) = d.tasks {
                    Limits::at_most("tasks in one job", n, l.tasks_per_job, "tasks_per_job")
                        .map_err(|m| (format!("frameworks.{i}.{key}"), m))?;
                }
            }
        }
        let intervals = [
            ("run.sample_interval", self.run.sample_interval),
            (
                "masters.allocation_interval",
                self.masters.flags.allocation_interval,
            ),
        ];
        for (key, t) in intervals {
            if t < l.min_interval {
                return Err((
                    key.to_string(),
                    format!(
                        "{} is below the shortest period of {} (lower it with `limits.min_interval` if a study needs to)",
                        crate::units::format_duration(t),
                        crate::units::format_duration(l.min_interval)
                    ),
                ));
            }
        }
        let rows = self.run.stop / self.run.sample_interval.max(1);
        Limits::at_most(
            "the number of timeseries rows (run.stop / run.sample_interval)",
            rows,
            l.samples,
            "samples",
        )
        .map_err(|m| ("run.sample_interval".to_string(), m))
    }

    /// The names the cluster gives its actors are all distinct: agent groups named
    /// alike would make agents of the same name, and a framework must not take an
    /// agent's, a master's or a coordination server's name.
    fn check_names(&self) -> Result<(), Problem> {
        for (i, g) in self.agents.iter().enumerate() {
            if let Some(j) = self.agents[..i].iter().position(|h| h.name == g.name) {
                return Err((
                    format!("agents.{i}.name"),
                    format!(
                        "agent groups {j} and {i} are both named `{}`; give each its own name",
                        g.name
                    ),
                ));
            }
        }
        for (i, f) in self.frameworks.iter().enumerate() {
            let name = f.name();
            let taken = name.starts_with("master")
                || name.starts_with("coord-")
                || self.agents.iter().any(|g| family(g).has(name));
            if taken {
                return Err((
                    format!("frameworks.{i}.name"),
                    format!("framework name `{name}` is already an actor name"),
                ));
            }
        }
        Ok(())
    }

    /// Every fault names actors or groups the cluster has, and a period ends after it
    /// begins (a partition healed before it starts would cut the network for good).
    fn check_faults(&self) -> Result<(), Problem> {
        let names = self.actor_names();
        for (i, f) in self.faults.iter().enumerate() {
            let key = |k: &str| format!("faults.{i}.{k}");
            let lists: Vec<(&str, &[String])> = match f {
                Fault::Crash { target, .. }
                | Fault::Restart { target, .. }
                | Fault::MarkGone { target, .. } => vec![("target", target)],
                Fault::Partition { a, b, .. } | Fault::Link { a, b, .. } => {
                    vec![("a", a), ("b", b)]
                }
            };
            for (k, list) in lists {
                if let Some(t) = list.iter().find(|t| !names.resolves(t)) {
                    return Err((
                        key(k),
                        format!("fault target `{t}` matches no actor or group"),
                    ));
                }
            }
            if let Fault::Partition { at, until, .. } | Fault::Link { at, until, .. } = f {
                if let Some(u) = until.filter(|u| u <= at) {
                    return Err((
                        key("until"),
                        format!(
                            "until = {} is not after at = {}: the fault would never end",
                            crate::units::format_duration(u),
                            crate::units::format_duration(*at)
                        ),
                    ));
                }
            }
            if let Fault::Link { link, .. } = f {
                link.validate().map_err(|m| (key("link"), m))?;
            }
        }
        Ok(())
    }

    /// A task no agent can hold never runs, so its job never completes; quota beyond
    /// the cluster can never be met (Mesos refuses it too, unless forced). Both are
    /// refused: see docs/scenarios.md.
    fn check_progress(&self) -> Result<(), Problem> {
        let agents: Vec<Resources> = self
            .agents
            .iter()
            .filter(|g| g.count > 0)
            .map(AgentGroup::resources)
            .collect();
        for (i, f) in self.frameworks.iter().enumerate() {
            for d in f.demands() {
                let task = d.size.resources();
                if !agents.iter().any(|a| a.contains(&task)) {
                    return Err((
                        join_key(&format!("frameworks.{i}"), &d.at),
                        format!(
                            "a task of {} is larger than every agent: it could never run",
                            show(&task)
                        ),
                    ));
                }
            }
        }
        let cluster = self.agents.iter().fold(Resources::ZERO, |sum, g| {
            sum + g.resources().times(u64::from(g.count))
        });
        let mut quota = Resources::ZERO;
        for (role, q) in &self.allocator.quota {
            quota += q.guarantee();
            if !cluster.contains(&quota) {
                let key = KeyPath(
                    ["allocator", "quota", role]
                        .map(|k| Seg::Key(k.into()))
                        .to_vec(),
                );
                return Err((
                    key.to_string(),
                    format!(
                        "the quota guarantees add up to {}, more than the cluster's {}: they could never all be met",
                        show(&quota),
                        show(&cluster)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The actors the cluster builder will make (`run::Cluster::build_with`), by
    /// family, for resolving fault targets without building them.
    fn actor_names(&self) -> Names {
        let mut f = vec![Family::numbered(
            "coord",
            "coord-",
            self.coord.servers.into(),
        )];
        f.push(match self.masters.count {
            1 => Family::one("masters", "master"),
            n => Family::numbered("masters", "master-", n.into()),
        });
        f.extend(self.agents.iter().map(family));
        for fw in &self.frameworks {
            f.push(Family::one("frameworks", fw.name()));
        }
        if self
            .faults
            .iter()
            .any(|x| matches!(x, Fault::MarkGone { .. }))
        {
            f.push(Family::one("operator", "operator"));
        }
        Names(f)
    }
}

/// The agents of group `g`.
fn family(g: &AgentGroup) -> Family {
    Family::numbered("agents", &format!("{}-", g.name), g.count.into())
}

/// Resources as a person writes them.
fn show(r: &Resources) -> String {
    format!(
        "cpus = {}, mem = {}, disk = {}, gpus = {}",
        r.cpus_f64(),
        r.mem,
        r.disk,
        r.gpus as f64 / 1000.0
    )
}

/// Actors named `stem` (`count` = `None`) or `stem0`, `stem1`, ... `stem<count-1>`, in
/// network group `group`: resolved as `Sim::resolve` does, without listing them (a
/// cluster may have a million agents).
struct Family {
    group: &'static str,
    stem: String,
    count: Option<u64>,
}

impl Family {
    fn one(group: &'static str, name: &str) -> Family {
        Family {
            group,
            stem: name.to_string(),
            count: None,
        }
    }

    fn numbered(group: &'static str, stem: &str, count: u64) -> Family {
        Family {
            group,
            stem: stem.to_string(),
            count: Some(count),
        }
    }

    fn is_empty(&self) -> bool {
        self.count == Some(0)
    }

    /// Whether `digits` is the index of one of its actors (written as `format!` does).
    fn index(&self, digits: &str) -> bool {
        let canonical = digits == "0" || !digits.starts_with('0');
        let n = self.count.unwrap_or(0);
        canonical && digits.parse::<u64>().is_ok_and(|i| i < n)
    }

    /// Whether one of its actors is called `name`.
    fn has(&self, name: &str) -> bool {
        match self.count {
            None => self.stem == name,
            Some(_) => name.strip_prefix(&self.stem).is_some_and(|d| self.index(d)),
        }
    }

    /// Whether one of its actors' names starts with `prefix`.
    fn has_prefixed(&self, prefix: &str) -> bool {
        if self.is_empty() {
            return false;
        }
        match (self.count, prefix.strip_prefix(self.stem.as_str())) {
            _ if self.stem.starts_with(prefix) => true,
            (Some(_), Some(rest)) => rest.chars().all(|c| c.is_ascii_digit()) && self.index(rest),
            _ => false,
        }
    }
}

/// Every actor of a cluster, by family.
struct Names(Vec<Family>);

impl Names {
    /// Whether fault target `t` (an actor name, a group name, or `prefix*`) matches an
    /// actor, as `Sim::resolve` decides.
    fn resolves(&self, t: &str) -> bool {
        match t.strip_suffix('*') {
            Some(p) => self.0.iter().any(|f| f.has_prefixed(p)),
            None => self
                .0
                .iter()
                .any(|f| f.has(t) || (f.group == t && !f.is_empty())),
        }
    }
}
