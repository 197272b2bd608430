//! Human units in scenario files: durations like `"1.5s"`, `"200ms"`, `"10min"`, parsed to
//! integer nanoseconds once, at load time, so that no float time enters a run; and the
//! unit types the config sections of several modules share ([`NonNeg`]), kept here so
//! that scenario, frameworks and workloads can all use them without importing each
//! other.

use crate::actor::Time;

/// The units a duration takes, for messages.
const UNITS: &str = "ns, us, ms, s, min, h, d";

/// Parses `"<number><unit>"` with unit one of ns, us, ms, s, min, h, d. A number without
/// a unit is refused: `stop = 3` read as seconds silently ran a 3-second experiment for
/// someone who meant minutes, so the error says what to write instead.
pub fn parse_duration(s: &str) -> Result<Time, String> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num.trim().parse().map_err(|_| {
        format!("`{s}` is not a duration (expected e.g. \"500ms\", \"5s\", \"10min\")")
    })?;
    let scale = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "min" | "m" => 60e9,
        "h" => 3600e9,
        "d" => 86400e9,
        "" => return Err(no_unit(num.trim())),
        other => {
            return Err(format!(
                "unknown time unit `{other}` in `{s}` (use {UNITS})"
            ))
        }
    };
    if !value.is_finite() || value < 0.0 {
        return Err(format!("duration `{s}` must be a non-negative number"));
    }
    Ok((value * scale).round() as Time)
}

/// The error for a duration written as the bare number `n`.
fn no_unit(n: &str) -> String {
    format!("`{n}` has no unit: give one, e.g. \"{n}s\", \"{n}ms\" or \"{n}min\" (units: {UNITS})")
}

/// Formats nanoseconds the way `parse_duration` reads them back, for messages and reports.
pub fn format_duration(t: Time) -> String {
    const UNITS: [(Time, &str); 6] = [
        (86_400_000_000_000, "d"),
        (3_600_000_000_000, "h"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
        (1, "ns"),
    ];
    if t == 0 {
        return "0s".into();
    }
    for (scale, name) in UNITS {
        if t >= scale && t.is_multiple_of(scale) {
            return format!("{}{name}", t / scale);
        }
    }
    format!("{:.3}s", t as f64 / 1e9)
}

/// Serde adapter: a duration is a string with a unit (`"500ms"`); a bare number, with
/// or without quotes, is refused (see [`parse_duration`]).
pub mod duration {
    use super::*;
    use serde::{de, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Time, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Time;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a duration with a unit, such as \"500ms\" or \"10min\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Time, E> {
                parse_duration(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Time, E> {
                Err(E::custom(no_unit(&v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Time, E> {
                Err(E::custom(no_unit(&v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Time, E> {
                Err(E::custom(no_unit(&v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// Serde adapter for `Option<Time>`.
pub mod duration_opt {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<Time>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_duration(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Time>, D::Error> {
        #[derive(Deserialize)]
        struct W(#[serde(with = "super::duration")] Time);
        Ok(Some(W::deserialize(d)?.0))
    }
}

/// A non-negative, finite number (CPUs, MiB, weights): negative values are refused
/// where they are read, so the error carries the line.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, serde::Serialize)]
pub struct NonNeg(pub f64);

impl<'de> serde::Deserialize<'de> for NonNeg {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = <f64 as serde::Deserialize>::deserialize(d)?;
        if !v.is_finite() || v < 0.0 {
            return Err(serde::de::Error::custom(format!(
                "must be a non-negative number, got {v}"
            )));
        }
        Ok(NonNeg(v))
    }
}
