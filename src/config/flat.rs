//! Tables whose keys belong to two types (a reservation's `role` and its task size, a
//! framework's common keys and its kind's own), read in two steps.
//!
//! serde's `#[serde(flatten)]` cannot refuse unknown keys properly: it reports a missing
//! key before an unknown one (a misspelt `duration_stdev` came out as "missing field
//! `duration_std`"), does not list the valid keys, and buffers the flattened part, so an
//! error inside loses its key. Here the two key sets are asked of serde itself
//! ([`fields`]), every key of the table is checked against their union first, and each
//! part is then read with path tracking. A struct keeps `#[serde(flatten)]` for
//! serialization, marks the field `skip_deserializing`, derives its own keys under
//! `#[serde(remote = "Self")]` and implements `Deserialize` with [`deserialize`].

use super::keypath::{self, De, KeyPath, Seg};
use super::suggest;
use serde::de::{Deserialize, DeserializeOwned, Deserializer, Error as _};

/// A key no config type has, to make serde list the ones it has.
const PROBE: &str = "\u{0}";

/// The keys the struct `de` reads (serde's list for an unknown key); `None` when it does
/// not refuse unknown keys, so that nothing is refused on its behalf.
pub fn fields<T>(de: impl FnOnce(De<'_, '_>) -> Result<T, toml::de::Error>) -> Option<Vec<String>> {
    probe(None, de)
}

/// The keys of the struct variant `variant` of the externally tagged derive `de`.
pub fn variant_fields<T>(
    variant: &str,
    de: impl FnOnce(De<'_, '_>) -> Result<T, toml::de::Error>,
) -> Option<Vec<String>> {
    probe(Some(variant), de)
}

/// Reads a table of one [`PROBE`] key (as `variant`, if given) and returns the keys
/// serde says it expected instead.
fn probe<T>(
    variant: Option<&str>,
    de: impl FnOnce(De<'_, '_>) -> Result<T, toml::de::Error>,
) -> Option<Vec<String>> {
    let mut value = toml::Table::new();
    value.insert(PROBE.into(), toml::Value::Integer(0));
    if let Some(v) = variant {
        value = toml::Table::from_iter([(v.to_string(), toml::Value::Table(value))]);
    }
    let e = keypath::read(toml::Value::Table(value), de).err()?;
    let (k, valid) = suggest::unknown_field(keypath::split(&e).1)?;
    let valid = valid.filter(|_| k == PROBE)?;
    Some(valid.into_iter().map(String::from).collect())
}

/// Refuses the first key of `table` that is neither in `own` nor in `extra` (with `None`
/// for `own`, any key is accepted).
pub fn check(table: &toml::Table, own: Option<&[String]>, extra: &[&str]) -> Result<(), String> {
    let Some(own) = own else { return Ok(()) };
    let known = |k: &String| own.contains(k) || extra.contains(&k.as_str());
    match table.keys().find(|k| !known(k)) {
        None => Ok(()),
        Some(k) => {
            let valid: Vec<&str> = own
                .iter()
                .map(String::as_str)
                .chain(extra.iter().copied())
                .collect();
            Err(keypath::at(
                &KeyPath(vec![Seg::Key(k.clone())]),
                &suggest::unknown_field_message(k, &valid),
            ))
        }
    }
}

/// Takes the keys of `A` out of `table` and reads them as an `A`, once every key of
/// `table` is known to be `A`'s, one of `own` or one of `extra`.
pub fn take<A: DeserializeOwned>(
    table: &mut toml::Table,
    own: Option<&[String]>,
    extra: &[&str],
) -> Result<A, String> {
    let inner = fields(|d| A::deserialize(d)).unwrap_or_default();
    let all: Option<Vec<String>> = own.map(|o| o.iter().chain(&inner).cloned().collect());
    check(table, all.as_deref(), extra)?;
    let mut part = toml::Table::new();
    for k in &inner {
        if let Some(v) = table.remove(k) {
            part.insert(k.clone(), v);
        }
    }
    keypath::read(toml::Value::Table(part), |d| A::deserialize(d))
}

/// Reads a struct with a flattened `A`: `own` is the struct's derive (its `remote =
/// "Self"` inherent `deserialize`, without `A`'s keys), `set` puts the `A` in place.
pub fn deserialize<'de, D: Deserializer<'de>, T, A: DeserializeOwned>(
    d: D,
    own: impl Fn(De<'_, '_>) -> Result<T, toml::de::Error>,
    set: impl FnOnce(&mut T, A),
) -> Result<T, D::Error> {
    let mut table = toml::Table::deserialize(d)?;
    let keys = fields(&own);
    let a = take::<A>(&mut table, keys.as_deref(), &[]).map_err(D::Error::custom)?;
    let mut t = keypath::read(toml::Value::Table(table), own).map_err(D::Error::custom)?;
    set(&mut t, a);
    Ok(t)
}

/// `Serialize` (the derive's) and `Deserialize` (with [`deserialize`]) for a struct
/// whose derive is under `#[serde(remote = "Self")]` and whose field `$field` is
/// `#[serde(flatten, skip_deserializing)]`.
macro_rules! flattened {
    ($t:ty, $field:ident) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                <$t>::serialize(self, s)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::config::flat::deserialize(d, |d| <$t>::deserialize(d), |t, a| t.$field = a)
            }
        }
    };
}
pub(crate) use flattened;
