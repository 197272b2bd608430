//! The framework kinds a scenario can name, by `kind`: the five built in, and any a
//! user registers with [`register_kind`] before reading a scenario.
//!
//! One registry for the process (a scenario is read wherever it is, a sweep reads them
//! on several threads); its order is the names' order, so whatever lists the kinds
//! lists them the same way every time.

use super::kind::{FrameworkConfig, FrameworkKind};
use super::{aurora, batch, chronos, marathon, yarn};
use std::collections::BTreeMap;
use std::sync::{OnceLock, RwLock};

/// Reads a `[[frameworks]]` table (without `kind`) as an entry of one kind.
type Parse = fn(toml::Table) -> Result<FrameworkConfig, String>;

fn parse_as<K: FrameworkKind>(t: toml::Table) -> Result<FrameworkConfig, String> {
    K::parse(t).map(|(common, settings)| FrameworkConfig::new(common, settings))
}

fn registry() -> &'static RwLock<BTreeMap<&'static str, Parse>> {
    static REGISTRY: OnceLock<RwLock<BTreeMap<&'static str, Parse>>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut kinds = BTreeMap::new();
        let mut add = |name, parse| kinds.insert(name, parse);
        add(
            batch::BatchConfig::NAME,
            parse_as::<batch::BatchConfig> as Parse,
        );
        add(
            marathon::MarathonSpec::NAME,
            parse_as::<marathon::MarathonSpec>,
        );
        add(chronos::ChronosSpec::NAME, parse_as::<chronos::ChronosSpec>);
        add(aurora::AuroraSpec::NAME, parse_as::<aurora::AuroraSpec>);
        add(yarn::YarnSpec::NAME, parse_as::<yarn::YarnSpec>);
        RwLock::new(kinds)
    })
}

/// Makes `kind = "<K::NAME>"` in a scenario mean `K` (replacing a kind of that name);
/// returns whether one was replaced.
pub fn register_kind<K: FrameworkKind>() -> bool {
    registry()
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(K::NAME, parse_as::<K>)
        .is_some()
}

/// The names of the kinds registered, in order.
pub fn kinds() -> Vec<&'static str> {
    let r = registry().read().unwrap_or_else(|e| e.into_inner());
    r.keys().copied().collect()
}

/// The reader of kind `name`, if it is registered.
pub(crate) fn parser(name: &str) -> Option<Parse> {
    let r = registry().read().unwrap_or_else(|e| e.into_inner());
    r.get(name).copied()
}
