//! Internally tagged enums (`kind = "crash"` beside the variant's own keys) read in two
//! steps, so that an error inside a variant keeps its key path.
//!
//! serde's `#[serde(tag = "kind")]` buffers the whole table before it knows the variant,
//! and whatever goes wrong inside is then reported at the table, without the key: a bad
//! duration or a misspelt key in a fault came out at its `[[faults]]` header. Instead,
//! such an enum derives its externally tagged form under `#[serde(remote = "Self")]`
//! (inherent `deserialize` and `serialize` functions) and implements the traits with
//! this module: [`deserialize`] removes the tag and reads the rest as that variant with
//! path tracking; [`Internally`] turns the externally tagged serialization back into
//! the calls serde's internally tagged derive makes, so the written form (scenario
//! dumps, the scenario digests of sweep plans) stays byte for byte the same.

use super::keypath::{self, De, KeyPath, Seg};
use super::suggest;
use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};

/// Reads an internally tagged enum from `d`: `external` is the enum's externally tagged
/// derive (its `remote = "Self"` inherent `deserialize`).
pub fn deserialize<'de, D: Deserializer<'de>, T>(
    d: D,
    tag: &str,
    external: impl Fn(De<'_, '_>) -> Result<T, toml::de::Error>,
) -> Result<T, D::Error> {
    let (variant, table) = open(d, tag, &external)?;
    read(&variant, table, tag, external).map_err(D::Error::custom)
}

/// The first step: the variant named by `tag` and the table of the other keys.
pub fn open<'de, D: Deserializer<'de>, T>(
    d: D,
    tag: &str,
    external: impl Fn(De<'_, '_>) -> Result<T, toml::de::Error>,
) -> Result<(String, toml::Table), D::Error> {
    let mut table = toml::Table::deserialize(d)?;
    match table.remove(tag) {
        Some(toml::Value::String(v)) => Ok((v, table)),
        Some(v) => Err(D::Error::custom(keypath::at(
            &KeyPath(vec![Seg::Key(tag.into())]),
            &format!("expected a string, got `{v}`"),
        ))),
        None => {
            let names = variants(&external);
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            Err(D::Error::custom(format!(
                "missing key `{tag}` (one of {})",
                suggest::quoted(&names)
            )))
        }
    }
}

/// The second step: `table` as the variant `variant` of the enum.
pub fn read<T>(
    variant: &str,
    table: toml::Table,
    tag: &str,
    external: impl Fn(De<'_, '_>) -> Result<T, toml::de::Error>,
) -> Result<T, String> {
    let mut value = toml::Table::new();
    value.insert(variant.to_string(), toml::Value::Table(table));
    keypath::read(toml::Value::Table(value), &external).map_err(|e| {
        if !e.starts_with("unknown variant") {
            return e;
        }
        let names = variants(&external);
        let valid: Vec<&str> = names.iter().map(String::as_str).collect();
        let message = match suggest::nearest(variant, &valid) {
            Some(v) => format!("unknown {tag} `{variant}`; did you mean `{v}`?"),
            None => format!(
                "unknown {tag} `{variant}`; one of {}",
                suggest::quoted(&valid)
            ),
        };
        keypath::at(&KeyPath(vec![Seg::Key(tag.into())]), &message)
    })
}

/// The variant names of the enum, as serde lists them for an unknown one.
fn variants<T>(external: impl Fn(De<'_, '_>) -> Result<T, toml::de::Error>) -> Vec<String> {
    let e = keypath::read(toml::Value::String(String::new()), external)
        .err()
        .unwrap_or_default();
    let list = e.split_once(", expected ").map_or("", |(_, l)| l);
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

/// Serializes an externally tagged derive's output as serde's internally tagged derive
/// would: `Fault::serialize(self, Internally { ser, tag: "kind" })`.
pub struct Internally<S> {
    pub ser: S,
    pub tag: &'static str,
}

/// The fields of a struct variant, written into the struct that carries the tag.
pub struct Fields<S>(S);

impl<S: SerializeStruct> ser::SerializeStructVariant for Fields<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        self.0.serialize_field(key, value)
    }
    fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
        self.0.skip_field(key)
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

/// The content of a newtype variant (a struct or a map), with the tag written first.
struct Inside<S> {
    ser: S,
    tag: &'static str,
    variant: &'static str,
}

fn refused<E: ser::Error>() -> E {
    E::custom("an internally tagged variant must be a struct, or a newtype of a struct or map")
}

/// The `Serializer` methods neither [`Internally`] nor [`Inside`] can write.
macro_rules! refuse {
    ($($f:ident($($a:ty),*) -> $r:ident;)*) => {
        $(fn $f(self, $(_: $a),*) -> Result<Self::$r, S::Error> { Err(refused()) })*
        fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<S::Ok, S::Error> {
            Err(refused())
        }
        fn serialize_newtype_struct<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: &T,
        ) -> Result<S::Ok, S::Error> {
            Err(refused())
        }
        fn is_human_readable(&self) -> bool {
            self.ser.is_human_readable()
        }
    };
}

impl<S: Serializer> Serializer for Internally<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = Impossible<S::Ok, S::Error>;
    type SerializeStructVariant = Fields<S::SerializeStruct>;

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let mut s = self.ser.serialize_struct(name, len + 1)?;
        s.serialize_field(self.tag, variant)?;
        Ok(Fields(s))
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(Inside {
            ser: self.ser,
            tag: self.tag,
            variant,
        })
    }

    refuse! {
        serialize_bool(bool) -> Ok; serialize_i8(i8) -> Ok; serialize_i16(i16) -> Ok;
        serialize_i32(i32) -> Ok; serialize_i64(i64) -> Ok; serialize_u8(u8) -> Ok;
        serialize_u16(u16) -> Ok; serialize_u32(u32) -> Ok; serialize_u64(u64) -> Ok;
        serialize_f32(f32) -> Ok; serialize_f64(f64) -> Ok; serialize_char(char) -> Ok;
        serialize_str(&str) -> Ok; serialize_bytes(&[u8]) -> Ok; serialize_none() -> Ok;
        serialize_unit() -> Ok; serialize_unit_struct(&'static str) -> Ok;
        serialize_unit_variant(&'static str, u32, &'static str) -> Ok;
        serialize_seq(Option<usize>) -> SerializeSeq; serialize_tuple(usize) -> SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> SerializeTupleVariant;
        serialize_map(Option<usize>) -> SerializeMap;
        serialize_struct(&'static str, usize) -> SerializeStruct;
    }
}

impl<S: Serializer> Serializer for Inside<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = S::SerializeMap;
    type SerializeStruct = S::SerializeStruct;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<S::SerializeStruct, S::Error> {
        let mut s = self.ser.serialize_struct(name, len + 1)?;
        s.serialize_field(self.tag, self.variant)?;
        Ok(s)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<S::SerializeMap, S::Error> {
        let mut m = self.ser.serialize_map(len.map(|n| n + 1))?;
        ser::SerializeMap::serialize_entry(&mut m, self.tag, self.variant)?;
        Ok(m)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(refused())
    }

    refuse! {
        serialize_bool(bool) -> Ok; serialize_i8(i8) -> Ok; serialize_i16(i16) -> Ok;
        serialize_i32(i32) -> Ok; serialize_i64(i64) -> Ok; serialize_u8(u8) -> Ok;
        serialize_u16(u16) -> Ok; serialize_u32(u32) -> Ok; serialize_u64(u64) -> Ok;
        serialize_f32(f32) -> Ok; serialize_f64(f64) -> Ok; serialize_char(char) -> Ok;
        serialize_str(&str) -> Ok; serialize_bytes(&[u8]) -> Ok; serialize_none() -> Ok;
        serialize_unit() -> Ok; serialize_unit_struct(&'static str) -> Ok;
        serialize_unit_variant(&'static str, u32, &'static str) -> Ok;
        serialize_seq(Option<usize>) -> SerializeSeq; serialize_tuple(usize) -> SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> SerializeTupleVariant;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> SerializeStructVariant;
    }
}

/// `Serialize` and `Deserialize` for an enum whose derive is externally tagged under
/// `#[serde(remote = "Self")]`, written and read internally tagged by `$tag`.
macro_rules! internally_tagged {
    ($t:ty, $tag:literal) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                <$t>::serialize(
                    self,
                    $crate::config::tagged::Internally { ser: s, tag: $tag },
                )
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::config::tagged::deserialize(d, $tag, |d| <$t>::deserialize(d))
            }
        }
    };
}
pub(crate) use internally_tagged;
