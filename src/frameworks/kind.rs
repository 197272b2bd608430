//! A framework kind: the trait a kind implements (how its `[[frameworks]]` table is
//! read, checked, written back and built into a [`Scheduler`]) and
//! [`FrameworkConfig`], one scenario entry of any kind.
//!
//! A kind is one file: its settings type implements [`FrameworkKind`], its scheduler
//! implements [`Scheduler`]; one line registers it ([`super::register_kind`]).

use super::core::{Common, Framework, Scheduler};
use super::status::{reader, FrameworkActor};
use crate::mesos::detector::MasterDetector;
use crate::proto::Mesos;
use crate::sim::net::GroupId;
use crate::sim::Sim;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::any::Any;
use std::fmt::Debug;
use std::sync::Arc;

/// A framework kind, implemented by its settings (the keys of its `[[frameworks]]`
/// table besides the common ones of [`Common`]).
pub trait FrameworkKind:
    Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// What `kind = "..."` names it.
    const NAME: &'static str;
    /// The scheduler it runs.
    type Scheduler: Scheduler;

    /// Reads one `[[frameworks]]` table (without `kind`): by default the keys of
    /// [`Common`] and the kind's own, every key checked against both first, so that an
    /// unknown one is named with its path and the nearest valid key.
    fn parse(table: toml::Table) -> Result<(Common, Self), String> {
        with_common(table)
    }

    /// The entry as a scenario writes it (sweep plans digest it): by default the kind's
    /// own keys, the common ones and `kind`.
    fn to_json(&self, common: &Common) -> Result<serde_json::Value, String> {
        let mut v = serde_json::to_value(self).map_err(|e| e.to_string())?;
        let c = serde_json::to_value(common).map_err(|e| e.to_string())?;
        if let (Some(m), serde_json::Value::Object(c)) = (v.as_object_mut(), c) {
            m.extend(c);
            m.insert("kind".into(), Self::NAME.into());
        }
        Ok(v)
    }

    /// Checks what serde cannot; the error is (key, message).
    fn validate(&self) -> Result<(), (String, String)> {
        Ok(())
    }

    /// Can this kind launch tasks on revocable CPUs (may it set Mesos'
    /// REVOCABLE_RESOURCES capability, `revocable_resources`)? Only Aurora can among
    /// the modelled schedulers (its revocable tier); Marathon and Chronos never did.
    const REVOCABLE: bool = false;

    /// The key of a setting that needs revocable resources (an Aurora job in the
    /// revocable tier), if any: refused unless `revocable_resources` is set, as such a
    /// task could never be placed.
    fn needs_revocable(&self) -> Option<String> {
        None
    }

    /// The task sizes and job sizes its settings ask for, with key paths relative to
    /// the `[[frameworks]]` entry, for the checks made before a run
    /// (`scenario::checks`); none by default.
    fn demands(&self) -> Vec<crate::workload::Demand> {
        Vec::new()
    }

    /// The scheduler, built when the framework actor starts and at every restart.
    fn build(&self, common: &Common, seed: u64) -> Self::Scheduler;
}

/// Reads a table as [`Common`] keys plus the kind's own (`S`), every key checked against
/// both before either is read (see `config::flat`).
fn with_common<S: DeserializeOwned>(mut t: toml::Table) -> Result<(Common, S), String> {
    use crate::config::{flat, keypath};
    let own = flat::fields(|d| S::deserialize(d));
    let common = flat::take(&mut t, own.as_deref(), &["kind"])?;
    let spec = keypath::read(toml::Value::Table(t), |d| S::deserialize(d))?;
    Ok((common, spec))
}

/// A kind's settings with their type erased, as [`FrameworkConfig`] holds them.
trait Settings: Debug + Send + Sync {
    fn kind(&self) -> &'static str;
    fn validate(&self) -> Result<(), (String, String)>;
    fn revocable(&self) -> bool;
    fn needs_revocable(&self) -> Option<String>;
    fn demands(&self) -> Vec<crate::workload::Demand>;
    fn to_json(&self, common: &Common) -> Result<serde_json::Value, String>;
    fn spawn(
        &self,
        common: &Common,
        sim: &mut Sim<Mesos>,
        group: GroupId,
        master: MasterDetector,
        seed: u64,
    ) -> FrameworkActor;
    fn as_any(&self) -> &dyn Any;
    fn same(&self, other: &dyn Settings) -> bool;
}

impl<K: FrameworkKind> Settings for K {
    fn kind(&self) -> &'static str {
        K::NAME
    }
    fn validate(&self) -> Result<(), (String, String)> {
        FrameworkKind::validate(self)
    }
    fn revocable(&self) -> bool {
        K::REVOCABLE
    }
    fn needs_revocable(&self) -> Option<String> {
        FrameworkKind::needs_revocable(self)
    }
    fn demands(&self) -> Vec<crate::workload::Demand> {
        FrameworkKind::demands(self)
    }
    fn to_json(&self, common: &Common) -> Result<serde_json::Value, String> {
        FrameworkKind::to_json(self, common)
    }
    fn spawn(
        &self,
        common: &Common,
        sim: &mut Sim<Mesos>,
        group: GroupId,
        master: MasterDetector,
        seed: u64,
    ) -> FrameworkActor {
        let (settings, c) = (self.clone(), common.clone());
        let id = sim.add_actor_at(&common.name, group, common.start, move || {
            Framework::new(c.clone(), master.clone(), settings.build(&c, seed))
        });
        FrameworkActor::new(id, reader::<K::Scheduler>())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn same(&self, other: &dyn Settings) -> bool {
        other.as_any().downcast_ref::<K>() == Some(self)
    }
}

/// One `[[frameworks]]` entry of a scenario: the common keys and the kind's settings.
#[derive(Clone, Debug)]
pub struct FrameworkConfig {
    common: Common,
    settings: Arc<dyn Settings>,
}

impl FrameworkConfig {
    /// An entry of kind `K`.
    pub fn new<K: FrameworkKind>(common: Common, settings: K) -> FrameworkConfig {
        FrameworkConfig {
            common,
            settings: Arc::new(settings),
        }
    }

    pub fn kind(&self) -> &'static str {
        self.settings.kind()
    }

    /// The keys every kind has.
    pub fn common(&self) -> &Common {
        &self.common
    }

    pub fn name(&self) -> &str {
        &self.common.name
    }

    pub fn role(&self) -> &str {
        &self.common.role
    }

    pub fn weight(&self) -> f64 {
        self.common.weight
    }

    pub fn start(&self) -> crate::actor::Time {
        self.common.start
    }

    /// The settings, if this entry is of kind `K`.
    pub fn settings<K: FrameworkKind>(&self) -> Option<&K> {
        self.settings.as_any().downcast_ref::<K>()
    }

    /// The batch settings, if this is a batch framework.
    pub fn as_batch(&self) -> Option<&super::batch::BatchConfig> {
        self.settings()
    }

    /// Checks what serde cannot; returns (key, message).
    pub fn validate(&self) -> Result<(), (String, String)> {
        let w = self.common.weight;
        if w <= 0.0 || !w.is_finite() {
            return Err(("weight".into(), format!("must be positive, got {w}")));
        }
        if self.common.revocable_resources && !self.settings.revocable() {
            return Err((
                "revocable_resources".into(),
                format!(
                    "a {} framework never launches on revocable resources (of the modelled schedulers only Aurora does, with its revocable tier)",
                    self.settings.kind()
                ),
            ));
        }
        if let (false, Some(key)) = (
            self.common.revocable_resources,
            self.settings.needs_revocable(),
        ) {
            return Err((
                key.clone(),
                format!("{key} runs on revocable CPUs, which the framework is offered only with revocable_resources = true (Aurora's -receive_revocable_resources)"),
            ));
        }
        self.settings.validate()
    }

    /// What its settings ask for (see [`FrameworkKind::demands`]).
    pub fn demands(&self) -> Vec<crate::workload::Demand> {
        self.settings.demands()
    }

    /// Adds the framework's actor to `sim` (registering at its `start`).
    pub fn add_to(
        &self,
        sim: &mut Sim<Mesos>,
        group: GroupId,
        master: MasterDetector,
        seed: u64,
    ) -> FrameworkActor {
        self.settings.spawn(&self.common, sim, group, master, seed)
    }
}

impl PartialEq for FrameworkConfig {
    fn eq(&self, other: &FrameworkConfig) -> bool {
        self.common == other.common && self.settings.same(other.settings.as_ref())
    }
}

impl<'de> serde::Deserialize<'de> for FrameworkConfig {
    /// Read in two steps (`kind` first, default `batch`, then the kind's own reader from
    /// the registry), so that an error inside an entry keeps its key path: see
    /// `scenario::tagged`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use crate::config::keypath::{self, KeyPath, Seg};
        use crate::config::suggest;
        use serde::de::Error;
        let at_kind = |m: &str| keypath::at(&KeyPath(vec![Seg::Key("kind".into())]), m);
        let mut t = toml::Table::deserialize(d)?;
        let kind = match t.remove("kind") {
            None => super::batch::BatchConfig::NAME.to_string(),
            Some(toml::Value::String(s)) => s,
            Some(v) => return Err(D::Error::custom(at_kind(&format!("`{v}` is not a string")))),
        };
        let Some(parse) = super::registry::parser(&kind) else {
            let kinds = super::registry::kinds();
            return Err(D::Error::custom(at_kind(
                &match suggest::nearest(&kind, &kinds) {
                    Some(k) => format!("unknown framework kind `{kind}`; did you mean `{k}`?"),
                    None => format!(
                        "unknown framework kind `{kind}`; one of {}",
                        suggest::quoted(&kinds)
                    ),
                },
            )));
        };
        parse(t).map_err(D::Error::custom)
    }
}

impl Serialize for FrameworkConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        self.settings
            .to_json(&self.common)
            .map_err(S::Error::custom)?
            .serialize(s)
    }
}
