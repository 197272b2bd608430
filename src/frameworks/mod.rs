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

/// The kinds of framework, as `kind` names them.
const KINDS: [&str; 5] = ["batch", "marathon", "chronos", "aurora", "yarn"];

/// A non-batch entry: the keys of [`Common`] and the kind's own (`S`), every key checked
/// against both before either is read (see `scenario::flat`).
fn with_common<S: DeserializeOwned>(mut t: toml::Table) -> Result<(Common, S), String> {
    use crate::config::{flat, keypath};
    let own = flat::fields(|d| S::deserialize(d));
    let common = flat::take(&mut t, own.as_deref(), &["kind"])?;
    let spec = keypath::read(toml::Value::Table(t), |d| S::deserialize(d))?;
    Ok((common, spec))
}

impl<'de> Deserialize<'de> for FrameworkConfig {
    /// Read in two steps (`kind` first, default `batch`), so that an error inside an
    /// entry keeps its key path: see `scenario::tagged`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use crate::config::keypath::{self, KeyPath, Seg};
        use crate::config::{flat, suggest};
        use serde::de::Error;
        let at_kind = |m: &str| keypath::at(&KeyPath(vec![Seg::Key("kind".into())]), m);
        let mut t = toml::Table::deserialize(d)?;
        let kind = match t.remove("kind") {
            None => "batch".to_string(),
            Some(toml::Value::String(s)) => s,
            Some(v) => return Err(D::Error::custom(at_kind(&format!("`{v}` is not a string")))),
        };
        let r = match kind.as_str() {
            "batch" => flat::check(
                &t,
                flat::fields(|d| BatchConfig::deserialize(d)).as_deref(),
                &["kind"],
            )
            .and_then(|()| keypath::read(toml::Value::Table(t), |d| BatchConfig::deserialize(d)))
            .map(FrameworkConfig::Batch),
            "marathon" => with_common(t).map(|(c, s)| FrameworkConfig::Marathon(c, s)),
            "chronos" => with_common(t).map(|(c, s)| FrameworkConfig::Chronos(c, s)),
            "aurora" => with_common(t).map(|(c, s)| FrameworkConfig::Aurora(c, s)),
            "yarn" => with_common(t).map(|(c, s)| FrameworkConfig::Yarn(c, s)),
            other => Err(at_kind(&match suggest::nearest(other, &KINDS) {
                Some(k) => format!("unknown framework kind `{other}`; did you mean `{k}`?"),
                None => format!(
                    "unknown framework kind `{other}`; one of {}",
                    suggest::quoted(&KINDS)
                ),
            })),
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
