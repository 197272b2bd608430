//! The line of a key path in TOML text, from the spans toml's parser records for every
//! key and value: an error names the line of the offending key itself, not the header
//! of the table around it, and a key found in one table is never confused with a key of
//! the same name in another.

use super::keypath::{KeyPath, Seg};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

// toml hands out spans through serde_spanned's protocol (what `toml::Spanned` asks
// for): a value requested as a struct of this name and these fields comes as a map of
// its start, end and value when toml knows its span, and as itself when it does not
// (implicit tables such as `network` under `[network.default]`). `toml::Spanned` fails
// on the latter, so the protocol is spoken here directly (toml 0.8, serde_spanned 0.6;
// the tests below fail if it changes).
const SPANNED: &str = "$__serde_spanned_private_Spanned";
const START: &str = "$__serde_spanned_private_start";
const FIELDS: &[&str] = &[
    START,
    "$__serde_spanned_private_end",
    "$__serde_spanned_private_value",
];

/// A parsed document reduced to its shape and spans.
pub(super) enum Node {
    Table(Vec<(Key, Spot)>),
    Array(Vec<Spot>),
    Leaf,
}

/// A key and its offset in the text, if toml knows it.
pub(super) struct Key {
    name: String,
    start: Option<usize>,
}

/// A value and its offset in the text, if toml knows it.
pub(super) struct Spot {
    start: Option<usize>,
    node: Node,
}

/// Reads the rest of a protocol map whose first key was `START`: the start, the end and
/// the value.
fn spanned<'de, A: MapAccess<'de>, T: Deserialize<'de>>(mut m: A) -> Result<(usize, T), A::Error> {
    let start = m.next_value()?;
    let _: Option<String> = m.next_key()?;
    let _: usize = m.next_value()?;
    let _: Option<String> = m.next_key()?;
    Ok((start, m.next_value()?))
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, s: &str) -> Result<Key, E> {
                Ok(Key {
                    name: s.to_string(),
                    start: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Key, A::Error> {
                let _: Option<String> = m.next_key()?;
                let (start, name) = spanned(m)?;
                Ok(Key {
                    name,
                    start: Some(start),
                })
            }
        }
        d.deserialize_struct(SPANNED, FIELDS, V)
    }
}

impl<'de> Deserialize<'de> for Spot {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Spot, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Spot;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any TOML value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Spot, A::Error> {
                let first: Option<Key> = m.next_key()?;
                if first.as_ref().is_some_and(|k| k.name == START) {
                    let (start, node) = spanned(m)?;
                    return Ok(Spot {
                        start: Some(start),
                        node,
                    });
                }
                // A table toml has no span for.
                let node = NodeVisitor.table(first, m)?;
                Ok(Spot { start: None, node })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<Spot, A::Error> {
                let node = NodeVisitor.visit_seq(s)?;
                Ok(Spot { start: None, node })
            }
            fn visit_bool<E>(self, _: bool) -> Result<Spot, E> {
                Ok(Spot::LEAF)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Spot, E> {
                Ok(Spot::LEAF)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Spot, E> {
                Ok(Spot::LEAF)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Spot, E> {
                Ok(Spot::LEAF)
            }
            fn visit_str<E>(self, _: &str) -> Result<Spot, E> {
                Ok(Spot::LEAF)
            }
        }
        d.deserialize_struct(SPANNED, FIELDS, V)
    }
}

impl Spot {
    const LEAF: Spot = Spot {
        start: None,
        node: Node::Leaf,
    };
}

struct NodeVisitor;

impl NodeVisitor {
    /// The entries of a table, `first` key already read.
    fn table<'de, A: MapAccess<'de>>(self, first: Option<Key>, mut m: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        let mut key = first;
        while let Some(k) = key {
            entries.push((k, m.next_value()?));
            key = m.next_key()?;
        }
        Ok(Node::Table(entries))
    }
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any TOML value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Node, A::Error> {
        let first = m.next_key()?;
        self.table(first, m)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(x) = s.next_element()? {
            items.push(x);
        }
        Ok(Node::Array(items))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Leaf)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Leaf)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Leaf)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Leaf)
    }
    fn visit_str<E>(self, _: &str) -> Result<Node, E> {
        Ok(Node::Leaf)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// The 1-based line of `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of the last key or array element of `path` in `text` (of the deepest one
/// that exists, when the rest of the path is not written: a default, a missing key).
/// A key is placed by its own span, else by its value's (an implicit table's key has
/// none: by the nearest enclosing one). `None` when the text does not parse or not even
/// the first key is in it.
pub fn line(text: &str, path: &KeyPath) -> Option<usize> {
    let root: Node = toml::from_str(text).ok()?;
    let mut node = &root;
    let mut at = None;
    for seg in &path.0 {
        let (start, next) = match (seg, node) {
            (Seg::Key(k), Node::Table(t)) => match t.iter().find(|(key, _)| key.name == *k) {
                Some((key, value)) => (key.start.or(value.start), value),
                None => break,
            },
            (Seg::Index(i), Node::Array(a)) => match a.get(*i) {
                Some(x) => (x.start, x),
                None => break,
            },
            _ => break,
        };
        at = start.or(at);
        node = &next.node;
    }
    at.map(|o| line_of(text, o))
}
