//! Reading strict TOML config files (scenarios, sweep specs, validation experiments,
//! synthetic traces): the parser entry point, its error, and the serde helpers that
//! keep every error at its key's own path and line however deep it is (flattened
//! tables, internally tagged enums, "did you mean").
//!
//! It sits below every module that has a config section (the engine's network and
//! faults, workloads, traces, frameworks, the scenario itself), so each can describe
//! its own keys without importing the scenario that gathers them.

mod errors;
pub(crate) mod flat;
#[doc(hidden)]
pub mod keypath;
#[doc(hidden)]
pub mod locate;
#[doc(hidden)]
pub mod suggest;
#[doc(hidden)]
pub mod tagged;

use std::fmt;

/// A scenario that could not be read: where and why.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioError {
    pub file: String,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(k) = &self.key {
            write!(f, ": key `{k}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// `base.key`, or `key` alone at the root.
pub fn join_key(base: &str, key: &str) -> String {
    match (base.is_empty(), key.is_empty()) {
        (true, _) => key.to_string(),
        (_, true) => base.to_string(),
        _ => format!("{base}.{key}"),
    }
}

/// The line of the key at `path` (spelt as `--set` spells it) in `text`, or of its
/// deepest written part: for errors found after parsing, which know the key path.
pub fn line_of_key(text: &str, path: &str) -> Option<usize> {
    locate::line(text, &keypath::KeyPath::parse(path))
}

/// Parses TOML `text` into a strict (`deny_unknown_fields`) config type, with an error
/// naming `file`, the line and the key: shared by scenarios and by the other experiment
/// files (`scenarios/validation/`) so that every input file fails the same way. The key
/// is the full path (`frameworks.0.workload.duration_std`, as `--set` spells it) and the
/// line is that key's own, however deep (see [`keypath`], [`locate`]); an unknown key
/// comes with the nearest valid one.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &str,
) -> Result<T, ScenarioError> {
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(toml::Deserializer::new(text), &mut track);
    T::deserialize(de)
        .map_err(|e| errors::from_toml(text, file, keypath::KeyPath::of(&track.path()), &e))
}
