//! The sweep spec file: a base scenario, seeds, fixed overrides and varied parameters.
//!
//! ```toml
//! scenario = "../policies.toml"   # base scenario, relative to this file
//! seeds = 10                      # seeds 1..=10, or a list: seeds = [1, 5, 9]
//! [set]                           # fixed overrides applied to every point
//! "run.stop" = "30min"
//! [vary]                          # cartesian product, first key varies slowest
//! "allocator.policy" = ["drf", "fifo", "binpack"]
//! "network.default.loss" = [0.0, 0.01]
//! ```
//!
//! Every key is a `schedlab run --set` path, and every value is applied through the
//! same code ([`Scenario::parse_with_overrides`]), so a point is exactly the run
//! `schedlab run BASE --set k=v ...` would do. Each point's scenario is built and
//! checked when the spec is loaded, before anything runs; an error names the spec
//! file, the line and the key (and the point's value), like every input file.
//!
//! ```
//! use schedlab::experiment::spec::SweepSpec;
//! let dir = std::env::temp_dir().join("schedlab-spec-doctest");
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("base.toml"), schedlab::scenario::QUICKSTART).unwrap();
//! let text = "scenario = \"base.toml\"\nseeds = [3, 1]\n[vary]\n\"allocator.policy\" = [\"drf\", \"fifo\"]\n";
//! let spec = SweepSpec::parse(text, &dir.join("s.toml")).unwrap();
//! assert_eq!(spec.seeds, vec![1, 3]);
//! assert_eq!(spec.points.len(), 2);
//! assert_eq!(spec.points[1].values[0].1, "fifo");
//! ```

use crate::scenario::{parse_toml, Scenario, ScenarioError};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// The file as written (strict: unknown keys are errors).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    scenario: String,
    #[serde(default)]
    seeds: Seeds,
    #[serde(default)]
    set: Ordered<toml::Value>,
    #[serde(default)]
    vary: Ordered<Vec<toml::Value>>,
}

/// `seeds = N` (1..=N) or `seeds = [a, b, ...]`.
#[derive(Debug)]
struct Seeds(Vec<u64>);

impl Default for Seeds {
    fn default() -> Self {
        Seeds(vec![1])
    }
}

impl<'de> Deserialize<'de> for Seeds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Seeds;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a positive count of seeds (seeds 1..=N) or a list of seeds")
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Seeds, E> {
                if n < 1 {
                    return Err(E::custom(format!(
                        "seeds = {n}: the count of seeds must be at least 1"
                    )));
                }
                Ok(Seeds((1..=n as u64).collect()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Seeds, E> {
                self.visit_i64(n.min(i64::MAX as u64) as i64)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seeds, A::Error> {
                let mut v = Vec::new();
                while let Some(s) = seq.next_element::<u64>()? {
                    v.push(s);
                }
                if v.is_empty() {
                    return Err(de::Error::custom("the list of seeds is empty"));
                }
                Ok(Seeds(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// A TOML table kept in the order it is written (the cartesian order of `[vary]`),
/// without switching the whole crate's `toml` to order-preserving tables.
#[derive(Debug)]
struct Ordered<V>(Vec<(String, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Vis<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of \"key.path\" = value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<V>, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = map.next_entry::<String, V>()? {
                    v.push((k, x));
                }
                Ok(Ordered(v))
            }
        }
        d.deserialize_map(Vis(std::marker::PhantomData))
    }
}

/// One parameter point: its index in cartesian order, the varied values, and the
/// scenario they give (already validated).
#[derive(Clone, Debug)]
pub struct Point {
    pub index: usize,
    /// `(key, value as written in sweep.csv)` per varied key, in `[vary]` order.
    pub values: Vec<(String, String)>,
    /// The `--set key=value` strings of this point (fixed `[set]` ones first).
    pub sets: Vec<String>,
    pub scenario: Scenario,
}

/// A loaded, fully validated sweep spec.
#[derive(Clone, Debug)]
pub struct SweepSpec {
    /// The spec file, as given.
    pub path: PathBuf,
    /// The base scenario file (resolved against the spec's folder).
    pub scenario_path: PathBuf,
    /// The varied keys, in `[vary]` order (the parameter columns of sweep.csv).
    pub keys: Vec<String>,
    /// Sorted, distinct.
    pub seeds: Vec<u64>,
    pub points: Vec<Point>,
}

/// How a varied or fixed value is written: strings bare (`drf`), everything else as
/// TOML (`0.01`, `true`).
pub fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The line of `key` (bare or quoted) inside table `[table]` ("" for the top level).
fn key_line(text: &str, table: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.split('#').next().unwrap_or("").trim();
        if let Some(h) = t.strip_prefix('[') {
            current = h.trim_end_matches(']').trim().to_string();
            continue;
        }
        if current != table {
            continue;
        }
        let Some((k, _)) = t.split_once('=') else {
            continue;
        };
        let k = k.trim();
        let k = k
            .strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .unwrap_or(k);
        if k == key {
            return Some(i + 1);
        }
    }
    None
}

impl SweepSpec {
    /// Reads, parses and validates a spec file (every point's scenario is built).
    pub fn load(path: &Path) -> Result<SweepSpec, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: path.display().to_string(),
            line: None,
            key: None,
            message: format!("cannot read sweep spec: {e}"),
        })?;
        SweepSpec::parse(&text, path)
    }

    /// Parses spec `text`; `path` names it in errors and anchors the scenario path.
    pub fn parse(text: &str, path: &Path) -> Result<SweepSpec, ScenarioError> {
        let file = path.display().to_string();
        let raw: SpecFile = parse_toml(text, &file)?;
        let err = |table: &str, key: &str, message: String| ScenarioError {
            file: file.clone(),
            line: key_line(text, table, key),
            key: Some(key.to_string()),
            message,
        };
        let mut seeds = raw.seeds.0;
        seeds.sort_unstable();
        if let Some(w) = seeds.windows(2).find(|w| w[0] == w[1]) {
            return Err(err("", "seeds", format!("seed {} is listed twice", w[0])));
        }
        let mut keys: Vec<String> = Vec::new();
        for (k, vals) in &raw.vary.0 {
            if vals.is_empty() {
                return Err(err("vary", k, "the list of values is empty".into()));
            }
            if raw.set.0.iter().any(|(s, _)| s == k) {
                return Err(err(
                    "vary",
                    k,
                    "is both varied and fixed in [set]; keep one".into(),
                ));
            }
            keys.push(k.clone());
        }
        let base = path.parent().unwrap_or(Path::new("")).join(&raw.scenario);
        let scenario_text = std::fs::read_to_string(&base).map_err(|e| {
            err(
                "",
                "scenario",
                format!("cannot read scenario {}: {e}", base.display()),
            )
        })?;
        let base_file = base.display().to_string();
        Scenario::parse(&scenario_text, &base_file).map_err(|e| {
            err(
                "",
                "scenario",
                format!("the base scenario does not load: {e}"),
            )
        })?;
        let fixed: Vec<String> = raw.set.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        // Fixed overrides alone, so that a bad one is blamed on its own line.
        for (i, (k, _)) in raw.set.0.iter().enumerate() {
            Scenario::parse_with_overrides(&scenario_text, &base_file, &fixed[..=i])
                .map_err(|e| err("set", k, e.to_string()))?;
        }
        let total: usize = raw.vary.0.iter().map(|(_, v)| v.len()).product();
        let mut points = Vec::with_capacity(total);
        for index in 0..total {
            // Mixed radix, the last key fastest: the first key varies slowest.
            let mut rest = index;
            let mut picks = vec![0; raw.vary.0.len()];
            for (j, (_, vals)) in raw.vary.0.iter().enumerate().rev() {
                picks[j] = rest % vals.len();
                rest /= vals.len();
            }
            let mut sets = fixed.clone();
            let mut values = Vec::new();
            for (j, (k, vals)) in raw.vary.0.iter().enumerate() {
                let v = &vals[picks[j]];
                sets.push(format!("{k}={v}"));
                values.push((k.clone(), value_text(v)));
            }
            let scenario = Scenario::parse_with_overrides(&scenario_text, &base_file, &sets)
                .map_err(|e| {
                    // Blame the first varied key whose value alone breaks the scenario.
                    let culprit = raw
                        .vary
                        .0
                        .iter()
                        .enumerate()
                        .find(|(j, (k, vals))| {
                            let mut one = fixed.clone();
                            one.push(format!("{k}={}", vals[picks[*j]]));
                            Scenario::parse_with_overrides(&scenario_text, &base_file, &one)
                                .is_err()
                        })
                        .map(|(j, _)| j)
                        .unwrap_or(0);
                    let (k, v) = &values[culprit];
                    err(
                        "vary",
                        k,
                        format!(
                            "value `{v}` (point {index}): {}{}",
                            e.key
                                .as_ref()
                                .map_or(String::new(), |k| format!("key `{k}`: ")),
                            e.message
                        ),
                    )
                })?;
            // What only building the actors finds (e.g. two agent groups of one name).
            crate::run::Cluster::build(&scenario, scenario.seed, Default::default()).map_err(
                |m| {
                    let vals: Vec<String> =
                        values.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    ScenarioError {
                        file: file.clone(),
                        line: None,
                        key: None,
                        message: format!("point {index} ({}): {m}", vals.join(", ")),
                    }
                },
            )?;
            points.push(Point {
                index,
                values,
                sets,
                scenario,
            });
        }
        Ok(SweepSpec {
            path: path.to_path_buf(),
            scenario_path: base,
            keys,
            seeds,
            points,
        })
    }

    /// The spec file's stem: the default output folder is `results/sweeps/<stem>/`.
    pub fn stem(&self) -> String {
        self.path
            .file_stem()
            .map_or("sweep".into(), |s| s.to_string_lossy().into_owned())
    }
}
