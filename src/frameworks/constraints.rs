//! Marathon's placement constraints, decided as Marathon 1.10 decides them
//! (`mesosphere.mesos.Constraints`, `src/main/scala/mesosphere/mesos/Constraints.scala`;
//! the expectations of its `ConstraintsTest.scala`, pinned in
//! `tests/suite/unit/frameworks_constraints.rs`).
//!
//! - A field is `hostname` (or `@hostname`) or an agent attribute, read as Marathon reads
//!   it: the attribute's Mesos value (`--attributes` text: digits with an optional
//!   fraction are a scalar, `[a-b,...]` ranges, `{x,...}` a set, anything else text) in its
//!   text form (`getValueString`): scalars with at most three decimals and no trailing
//!   zeros (`1.0` reads `1`), ranges sorted by their start, set items sorted.
//!   `@region` and `@zone` (fault domains) are not modelled: they read as missing.
//! - An offer without the field fails every operator but UNLIKE.
//! - LIKE and UNLIKE match the whole value against the regex; an empty regex fails both.
//! - UNIQUE: no placed instance has the offer's value.
//! - CLUSTER: with a value, the offer's value is it; without, the value of the first
//!   placed instance (any value when none is placed).
//! - GROUP_BY `[n]`: the placed instances grouped by their value (instances without the
//!   field form a group too); an offer whose value has no group yet is accepted; one whose
//!   value has a group only if that group is a smallest one and there are at least `n`
//!   groups (`inf` never). Marathon knows groups only from placed instances, so with no
//!   `n`, offers of one value alone fill that value first.
//! - MAX_PER n: fewer than n placed instances have the offer's value.
//! - IS: the offer's value is the constraint's (a number compared in its text form).
//! - Several constraints must all hold.
//!
//! "Placed" is what Marathon's `ResourceMatcher` passes: the app's instances launched for
//! its current configuration (`runSpecVersion >= lastConfigChangeVersion`), including
//! those being killed, until they end.
//!
//! Scale-down ([`select_to_kill`]) is Marathon's `selectInstancesToKill`: instances are
//! picked one at a time from the largest group of the most uneven GROUP_BY distribution,
//! as long as every GROUP_BY distribution stays even (a spread of at most 1) or gets more
//! even; the caller fills any remaining count in its default order.

use crate::proto::Attributes;
use std::collections::BTreeMap;

/// Marathon's constraint operators (`Protos.Constraint.Operator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Unique,
    Cluster,
    GroupBy,
    Like,
    Unlike,
    MaxPer,
    Is,
}

/// A constraint `[field, OPERATOR, value?]`, checked when it was parsed.
#[derive(Clone, Debug)]
pub struct Constraint {
    pub field: String,
    pub op: Operator,
    /// The value as written; empty when none was given (Marathon's proto default).
    pub value: String,
    /// MAX_PER's count, or GROUP_BY's minimum number of groups (0 without a value,
    /// `usize::MAX` for `inf`), read once when parsed.
    count: usize,
    /// LIKE and UNLIKE: the value anchored at both ends (Java's `String.matches`).
    regex: Option<regex::Regex>,
}

/// Where an instance runs or an offer comes from: what a constraint reads.
#[derive(Clone, Copy, Debug)]
pub struct Place<'a> {
    pub hostname: &'a str,
    pub attributes: &'a Attributes,
}

impl Constraint {
    /// Parses `[field, OPERATOR, value?]` as Marathon's app validation accepts it; the
    /// error says what is wrong.
    pub fn parse(c: &[String]) -> Result<Constraint, String> {
        let (field, op, value) = match c {
            [f, o] => (f.clone(), o.as_str(), String::new()),
            [f, o, v] => (f.clone(), o.as_str(), v.clone()),
            _ => {
                return Err(format!(
                    "constraint {c:?} must be [field, OPERATOR] or [field, OPERATOR, value]"
                ))
            }
        };
        let need = || {
            if value.is_empty() {
                Err(format!("constraint {op} needs a value"))
            } else {
                Ok(())
            }
        };
        let whole = || -> Result<usize, String> {
            value
                .parse::<u32>()
                .map(|n| n as usize)
                .map_err(|_| format!("constraint {op}: `{value}` is not a whole number"))
        };
        let mut count = 0;
        let op = match op {
            "UNIQUE" => Operator::Unique,
            "CLUSTER" => Operator::Cluster,
            "GROUP_BY" => {
                count = match value.as_str() {
                    "" => 0,
                    "inf" => usize::MAX,
                    _ => whole()?,
                };
                Operator::GroupBy
            }
            "LIKE" => Operator::Like,
            "UNLIKE" => Operator::Unlike,
            "MAX_PER" => {
                need()?;
                count = whole()?;
                Operator::MaxPer
            }
            "IS" => {
                need()?;
                Operator::Is
            }
            other => {
                return Err(format!(
                    "unknown constraint operator `{other}` (UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS)"
                ))
            }
        };
        let regex = match op {
            Operator::Like | Operator::Unlike => {
                need()?;
                Some(
                    regex::Regex::new(&format!("^(?:{value})$"))
                        .map_err(|e| format!("constraint {op:?}: bad regex `{value}`: {e}"))?,
                )
            }
            _ => None,
        };
        Ok(Constraint {
            field,
            op,
            value,
            count,
            regex,
        })
    }

    /// The field's value at `p`, in Marathon's text form (`readerForField`).
    pub fn read(&self, p: Place) -> Option<String> {
        match self.field.as_str() {
            "hostname" | "@hostname" => Some(p.hostname.to_string()),
            "@region" | "@zone" => None,
            f => p.attributes.get(f).map(|raw| attribute_text(raw)),
        }
    }

    /// Whether an instance may go to `offer`, with `placed` already placed
    /// (`Constraints.meetsConstraint`).
    pub fn meets(&self, placed: &[Place], offer: Place) -> bool {
        let Some(v) = self.read(offer) else {
            return self.op == Operator::Unlike;
        };
        let values = || placed.iter().map(|p| self.read(*p));
        let with_v = || {
            values()
                .filter(|x| x.as_deref() == Some(v.as_str()))
                .count()
        };
        match self.op {
            Operator::Like => self.regex.as_ref().is_some_and(|r| r.is_match(&v)),
            Operator::Unlike => self.regex.as_ref().is_some_and(|r| !r.is_match(&v)),
            Operator::Unique => with_v() == 0,
            Operator::MaxPer => with_v() < self.count,
            Operator::Cluster if self.value.is_empty() => {
                placed.first().is_none_or(|p| self.read(*p) == Some(v))
            }
            Operator::Cluster => v == self.value,
            Operator::Is => v == scalar_or_text(&self.value),
            Operator::GroupBy => {
                let mut groups: BTreeMap<Option<String>, usize> = BTreeMap::new();
                for x in values() {
                    *groups.entry(x).or_default() += 1;
                }
                let smallest = groups.values().copied().min().unwrap_or(0);
                groups
                    .get(&Some(v))
                    .is_none_or(|&n| groups.len() >= self.count && n == smallest)
            }
        }
    }
}

/// Whether every constraint holds (Marathon requires all).
pub fn meets_all(constraints: &[Constraint], placed: &[Place], offer: Place) -> bool {
    constraints.iter().all(|c| c.meets(placed, offer))
}

/// An attribute's text as Marathon compares it: the `--attributes` value typed as Mesos
/// types it (scalar, ranges, set or text) and printed as Marathon's `getValueString`
/// prints it.
pub fn attribute_text(raw: &str) -> String {
    let t: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(inner) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for r in inner.split(',') {
            let Some((b, e)) = r.split_once('-') else {
                return raw.to_string();
            };
            let (Ok(b), Ok(e)) = (b.parse(), e.parse()) else {
                return raw.to_string();
            };
            ranges.push((b, e));
        }
        ranges.sort_by_key(|r| r.0);
        let s: Vec<String> = ranges.iter().map(|(b, e)| format!("{b}-{e}")).collect();
        return format!("[{}]", s.join(","));
    }
    if let Some(inner) = t.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        let mut items: Vec<&str> = inner.split(',').collect();
        items.sort_unstable();
        return format!("{{{}}}", items.join(","));
    }
    scalar_or_text(&t)
}

/// Digits with an optional fraction read as a scalar (Marathon's `MesosScalarValue`,
/// `[0-9]+(\.[0-9]+)?`, which IS applies to its value and Marathon's tests to
/// attributes), anything else as text.
fn scalar_or_text(v: &str) -> String {
    let (int, frac) = v.split_once('.').unwrap_or((v, "1"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match v.parse::<f64>() {
        Ok(x) if digits(int) && digits(frac) => scalar_text(x),
        _ => v.to_string(),
    }
}

/// A scalar as Marathon prints it (`DecimalFormat("0.###")`: half-even on the double's
/// exact value, which is how Rust's fixed-precision formatting rounds, then no trailing
/// zeros).
fn scalar_text(x: f64) -> String {
    let f = format!("{x:.3}");
    f.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Marathon's `selectInstancesToKill`: up to `count` of `running` (in the caller's
/// order, which breaks ties), chosen so that each GROUP_BY constraint's distribution
/// stays or becomes as even as it can. May return fewer than `count` (none without a
/// GROUP_BY constraint); the caller picks the rest in its default order.
pub fn select_to_kill<K: Ord + Copy>(
    constraints: &[Constraint],
    running: &[(K, Place)],
    count: usize,
) -> Vec<K> {
    if count >= running.len() {
        return running.iter().map(|(k, _)| *k).collect();
    }
    // Each GROUP_BY constraint's groups: the instances of each value, in running order.
    let distributions: Vec<Vec<Vec<K>>> = constraints
        .iter()
        .filter(|c| c.op == Operator::GroupBy)
        .map(|c| {
            let mut groups: BTreeMap<Option<String>, Vec<K>> = BTreeMap::new();
            for (k, p) in running {
                groups.entry(c.read(*p)).or_default().push(*k);
            }
            groups.into_values().collect()
        })
        .collect();
    if distributions.is_empty() {
        return Vec::new();
    }
    let sizes = |d: &[Vec<K>], chosen: &[K]| -> Vec<usize> {
        d.iter()
            .map(|g| g.iter().filter(|k| !chosen.contains(k)).count())
            .collect()
    };
    let spread = |d: &[Vec<K>], chosen: &[K]| -> usize {
        let s = sizes(d, chosen);
        s.iter().max().unwrap_or(&0) - s.iter().min().unwrap_or(&0)
    };
    let more_even = |d: &[Vec<K>], chosen: &[K]| {
        let after = spread(d, chosen);
        after <= 1 || spread(d, &[]) > after
    };
    let mut chosen: Vec<K> = Vec::new();
    while chosen.len() < count {
        // The most uneven distribution first (a stable sort: ties keep constraint order).
        let mut order: Vec<&Vec<Vec<K>>> = distributions.iter().collect();
        order.sort_by_key(|d| std::cmp::Reverse(spread(d, &chosen)));
        let candidates = order
            .into_iter()
            .flat_map(|d| {
                let s = sizes(d, &chosen);
                let (lo, hi) = (s.iter().min().copied(), s.iter().max().copied());
                // Even already: this distribution names nobody.
                let largest = if lo == hi { None } else { hi };
                d.iter()
                    .zip(s)
                    .filter(move |(_, n)| Some(*n) == largest)
                    .flat_map(|(g, _)| g.iter().copied())
                    .collect::<Vec<K>>()
            })
            .chain(running.iter().map(|(k, _)| *k))
            .filter(|k| !chosen.contains(k));
        let mut pick = None;
        for k in candidates {
            let mut with = chosen.clone();
            with.push(k);
            if distributions.iter().all(|d| more_even(d, &with)) {
                pick = Some(k);
                break;
            }
        }
        match pick {
            Some(k) => chosen.push(k),
            None => break,
        }
    }
    chosen
}
