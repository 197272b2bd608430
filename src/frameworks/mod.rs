//! Frameworks: the schedulers that receive offers and launch tasks.
//!
//! A scenario's `[[frameworks]]` entries are tagged by `kind`: `batch` (the default,
//! so older scenarios keep working: the trace-replay framework of [`batch`]),
//! `marathon`, `chronos`, `aurora` or `yarn`. Every kind but `batch` is a
//! [`core::Scheduler`] run by [`core::Framework`], which holds the protocol plumbing
//! they share; the keys of [`core::Common`] (name, role, weight, ...) are common to all.

pub mod aurora;
pub mod batch;
pub mod chronos;
pub mod core;
pub mod iso8601;
pub mod marathon;
pub mod yarn;

use crate::actor::{ActorId, Time};
use crate::mesos::detector::MasterDetector;
use crate::proto::Mesos;
use crate::sim::net::GroupId;
use crate::sim::Sim;
use batch::{BatchConfig, BatchFramework};
use core::{Common, Framework, FrameworkStatus};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// One `[[frameworks]]` entry of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum FrameworkConfig {
    Batch(BatchConfig),
    Marathon(Common, marathon::MarathonSpec),
    Chronos(Common, chronos::ChronosSpec),
    Aurora(Common, aurora::AuroraSpec),
    Yarn(Common, yarn::YarnSpec),
}

impl FrameworkConfig {
    pub fn kind(&self) -> &'static str {
        match self {
            FrameworkConfig::Batch(_) => "batch",
            FrameworkConfig::Marathon(..) => "marathon",
            FrameworkConfig::Chronos(..) => "chronos",
            FrameworkConfig::Aurora(..) => "aurora",
            FrameworkConfig::Yarn(..) => "yarn",
        }
    }

    fn common(&self) -> Option<&Common> {
        match self {
            FrameworkConfig::Batch(_) => None,
            FrameworkConfig::Marathon(c, _)
            | FrameworkConfig::Chronos(c, _)
            | FrameworkConfig::Aurora(c, _)
            | FrameworkConfig::Yarn(c, _) => Some(c),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            FrameworkConfig::Batch(b) => &b.name,
            _ => &self.common().expect("not batch").name,
        }
    }

    pub fn role(&self) -> &str {
        match self {
            FrameworkConfig::Batch(b) => &b.role,
            _ => &self.common().expect("not batch").role,
        }
    }

    pub fn weight(&self) -> f64 {
        match self {
            FrameworkConfig::Batch(b) => b.weight,
            _ => self.common().expect("not batch").weight,
        }
    }

    pub fn start(&self) -> Time {
        match self {
            FrameworkConfig::Batch(b) => b.start,
            _ => self.common().expect("not batch").start,
        }
    }

    /// The batch settings, if this is a batch framework.
    pub fn as_batch(&self) -> Option<&BatchConfig> {
        match self {
            FrameworkConfig::Batch(b) => Some(b),
            _ => None,
        }
    }

    /// Checks what serde cannot; returns (key, message).
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.weight() <= 0.0 || !self.weight().is_finite() {
            return Err((
                "weight".into(),
                format!("must be positive, got {}", self.weight()),
            ));
        }
        match self {
            FrameworkConfig::Batch(f) => {
                if !(0.0..=1.0).contains(&f.failure_rate) {
                    return Err((
                        "failure_rate".into(),
                        format!("must be a probability in [0, 1], got {}", f.failure_rate),
                    ));
                }
                f.workload
                    .validate()
                    .map_err(|m| ("workload".to_string(), m))
            }
            FrameworkConfig::Marathon(_, s) => s.validate(),
            FrameworkConfig::Chronos(_, s) => s.validate(),
            FrameworkConfig::Aurora(_, s) => s.validate(),
            FrameworkConfig::Yarn(_, s) => s.validate(),
        }
    }

    /// Adds the framework's actor to `sim` (registering at its `start`).
    pub fn add_to(
        &self,
        sim: &mut Sim<Mesos>,
        group: GroupId,
        master: MasterDetector,
        seed: u64,
    ) -> ActorId {
        let name = self.name().to_string();
        let start = self.start();
        macro_rules! add {
            ($c:expr, $new:expr) => {{
                let c = $c.clone();
                let master = master.clone();
                sim.add_actor_at(&name, group, start, move || {
                    Framework::new(c.clone(), master.clone(), $new)
                })
            }};
        }
        match self {
            FrameworkConfig::Batch(b) => {
                let b = b.clone();
                sim.add_actor_at(&name, group, start, move || {
                    BatchFramework::new(b.clone(), master.clone(), seed)
                })
            }
            FrameworkConfig::Marathon(c, s) => {
                let s = s.clone();
                add!(c, marathon::Marathon::new(s.clone()))
            }
            FrameworkConfig::Chronos(c, s) => {
                let s = s.clone();
                add!(c, chronos::Chronos::new(s.clone()))
            }
            FrameworkConfig::Aurora(c, s) => {
                let s = s.clone();
                add!(c, aurora::Aurora::new(s.clone()))
            }
            FrameworkConfig::Yarn(c, s) => {
                let s = s.clone();
                add!(c, yarn::Yarn::new(s.clone(), seed))
            }
        }
    }
}

/// The status view of any framework actor in `sim`, whatever its kind.
pub fn status_of(sim: &Sim<Mesos>, id: ActorId) -> Option<&dyn FrameworkStatus> {
    sim.live(id).and_then(|a| status_of_any(a.as_any()))
}

/// Framework `a` (any kind) as a [`FrameworkStatus`], for runtimes other than the
/// engine (the real-network mode) that hold the live actor themselves.
pub fn status_of_any(a: &dyn std::any::Any) -> Option<&dyn FrameworkStatus> {
    fn as_dyn<T: FrameworkStatus>(x: &T) -> &dyn FrameworkStatus {
        x
    }
    a.downcast_ref::<BatchFramework>()
        .map(as_dyn)
        .or_else(|| {
            a.downcast_ref::<Framework<marathon::Marathon>>()
                .map(as_dyn)
        })
        .or_else(|| a.downcast_ref::<Framework<chronos::Chronos>>().map(as_dyn))
        .or_else(|| a.downcast_ref::<Framework<aurora::Aurora>>().map(as_dyn))
        .or_else(|| a.downcast_ref::<Framework<yarn::Yarn>>().map(as_dyn))
}

/// Deserializes a table with `serde_path_to_error`, so that an error deep inside names
/// its key path (`apps[0].health.grace`); `Scenario::parse` turns that into a line.
fn part<T: DeserializeOwned>(t: toml::Table) -> Result<T, String> {
    serde_path_to_error::deserialize(toml::Value::Table(t)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().message().to_string();
        if path.is_empty() || path == "." {
            inner
        } else {
            format!("at `{path}`: {inner}")
        }
    })
}

impl<'de> Deserialize<'de> for FrameworkConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut t = toml::Table::deserialize(d)?;
        let kind = match t.remove("kind") {
            None => "batch".to_string(),
            Some(toml::Value::String(s)) => s,
            Some(v) => {
                return Err(D::Error::custom(format!(
                    "at `kind`: `{v}` is not a string"
                )))
            }
        };
        if kind == "batch" {
            return part(t)
                .map(FrameworkConfig::Batch)
                .map_err(D::Error::custom);
        }
        let mut common = toml::Table::new();
        for k in Common::KEYS {
            if let Some(v) = t.remove(k) {
                common.insert(k.to_string(), v);
            }
        }
        let c: Common = part(common).map_err(D::Error::custom)?;
        let r = match kind.as_str() {
            "marathon" => part(t).map(|s| FrameworkConfig::Marathon(c, s)),
            "chronos" => part(t).map(|s| FrameworkConfig::Chronos(c, s)),
            "aurora" => part(t).map(|s| FrameworkConfig::Aurora(c, s)),
            "yarn" => part(t).map(|s| FrameworkConfig::Yarn(c, s)),
            other => Err(format!(
                "at `kind`: unknown framework kind `{other}` (batch, marathon, chronos, aurora, yarn)"
            )),
        };
        r.map_err(D::Error::custom)
    }
}

impl Serialize for FrameworkConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut v = match self {
            FrameworkConfig::Batch(b) => serde_json::to_value(b),
            FrameworkConfig::Marathon(_, x) => serde_json::to_value(x),
            FrameworkConfig::Chronos(_, x) => serde_json::to_value(x),
            FrameworkConfig::Aurora(_, x) => serde_json::to_value(x),
            FrameworkConfig::Yarn(_, x) => serde_json::to_value(x),
        }
        .map_err(S::Error::custom)?;
        if let (Some(c), Some(m)) = (self.common(), v.as_object_mut()) {
            if let serde_json::Value::Object(cm) =
                serde_json::to_value(c).map_err(S::Error::custom)?
            {
                m.extend(cm);
            }
            m.insert("kind".into(), self.kind().into());
        }
        v.serialize(s)
    }
}
