//! Where in a config document an error is: a key path spelt as `--set` spells it
//! (`frameworks.0.workload.duration_std`), so that a user can copy it into `--set` or a
//! sweep spec, and so that [`super::locate`] can find the key's own line.
//!
//! Parts of a config that serde cannot deserialize in one pass (internally tagged enums,
//! flattened tables, framework entries) are read in a second pass from a `toml::Value`
//! with their own path tracking. Their errors can only travel through serde as text, so
//! they carry their path in the message as ``at `path`: message``; [`read`] joins such a
//! nested path onto the outer one at every level, and [`split`] takes it off at the top.

use serde_path_to_error::{Segment, Track};
use std::fmt;

/// One step of a [`KeyPath`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path of keys and array indices from the document root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

/// The deserializer a second pass runs on: a `toml::Value` whose path is tracked.
pub type De<'a, 'b> = serde_path_to_error::Deserializer<'a, 'b, toml::Value>;

impl KeyPath {
    /// The path serde_path_to_error tracked (enum variants are not keys: dropped).
    pub fn of(path: &serde_path_to_error::Path) -> KeyPath {
        KeyPath(
            path.iter()
                .filter_map(|s| match s {
                    Segment::Seq { index } => Some(Seg::Index(*index)),
                    Segment::Map { key } => Some(Seg::Key(key.clone())),
                    Segment::Enum { .. } | Segment::Unknown => None,
                })
                .collect(),
        )
    }

    /// Parses what `Display` wrote.
    pub fn parse(s: &str) -> KeyPath {
        let mut segs = Vec::new();
        let mut cur = String::new();
        let (mut quoted, mut was_quoted, mut chars) = (false, false, s.chars());
        while let Some(c) = chars.next() {
            match c {
                '\\' if quoted => cur.extend(chars.next()),
                '"' => {
                    quoted = !quoted;
                    was_quoted = true;
                }
                '.' if !quoted => {
                    segs.push(seg(std::mem::take(&mut cur), was_quoted));
                    was_quoted = false;
                }
                c => cur.push(c),
            }
        }
        if !s.is_empty() {
            segs.push(seg(cur, was_quoted));
        }
        KeyPath(segs)
    }

    pub fn join(mut self, other: KeyPath) -> KeyPath {
        self.0.extend(other.0);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Seg::Key(k)) => Some(k),
            _ => None,
        }
    }
}

fn seg(s: String, quoted: bool) -> Seg {
    match s.parse() {
        Ok(i) if !quoted => Seg::Index(i),
        _ => Seg::Key(s),
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match s {
                Seg::Index(n) => write!(f, "{n}")?,
                // TOML's bare keys; anything else (and a key of digits, which would read
                // as an index) is quoted.
                Seg::Key(k)
                    if !k.is_empty()
                        && !k.bytes().all(|b| b.is_ascii_digit())
                        && k.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
                {
                    f.write_str(k)?
                }
                Seg::Key(k) => write!(f, "\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\""))?,
            }
        }
        Ok(())
    }
}

/// Takes the ``at `path`: `` prefix of a nested error off `message`.
pub fn split(message: &str) -> (KeyPath, &str) {
    message
        .strip_prefix("at `")
        .and_then(|rest| rest.split_once("`: "))
        .map_or((KeyPath::default(), message), |(p, m)| {
            (KeyPath::parse(p), m)
        })
}

/// `message` at `path` (relative to the table being read), as nested errors carry it.
pub fn at(path: &KeyPath, message: &str) -> String {
    if path.is_empty() {
        message.to_string()
    } else {
        format!("at `{path}`: {message}")
    }
}

/// Runs the second pass `de` on `value`: an error comes back as ``at `path`: message``,
/// its path relative to `value` and joined with any path nested inside it.
pub fn read<T>(
    value: toml::Value,
    de: impl FnOnce(De<'_, '_>) -> Result<T, toml::de::Error>,
) -> Result<T, String> {
    let mut track = Track::new();
    let r = de(De::new(value, &mut track));
    r.map_err(|e| {
        let outer = KeyPath::of(&track.path());
        let (inner, message) = split(e.message());
        at(&outer.join(inner), message)
    })
}
