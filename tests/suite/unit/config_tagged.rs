//! Unit tests of `src/config/tagged.rs` (moved out of the library: see `unit.rs`).

use schedlab::config::tagged::Internally;
use serde::Serialize;

#[derive(Serialize)]
struct Inner {
    x: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    y: Option<u32>,
}

#[derive(Serialize)]
struct Size {
    cpus: f64,
    mem: f64,
}

/// What the enums derived before: serde's internally tagged form.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Old {
    Plain {
        a: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        b: Option<u32>,
    },
    WithSize {
        #[serde(flatten)]
        size: Size,
        c: u32,
    },
    Wrapped(Inner),
    Boxed(Box<Inner>),
}

/// The same enum, derived externally tagged and written through [`Internally`].
#[derive(Serialize)]
#[serde(remote = "Self", rename_all = "snake_case")]
enum New {
    Plain {
        a: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        b: Option<u32>,
    },
    WithSize {
        #[serde(flatten)]
        size: Size,
        c: u32,
    },
    Wrapped(Inner),
    Boxed(Box<Inner>),
}

impl Serialize for New {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        New::serialize(
            self,
            Internally {
                ser: s,
                tag: "kind",
            },
        )
    }
}

#[test]
fn writes_what_serdes_internally_tagged_derive_writes() {
    let inner = || Inner { x: 1, y: Some(2) };
    let size = || Size {
        cpus: 0.5,
        mem: 64.0,
    };
    let pairs = [
        (Old::Plain { a: 1, b: None }, New::Plain { a: 1, b: None }),
        (
            Old::Plain { a: 1, b: Some(3) },
            New::Plain { a: 1, b: Some(3) },
        ),
        (
            Old::WithSize { size: size(), c: 2 },
            New::WithSize { size: size(), c: 2 },
        ),
        (Old::Wrapped(inner()), New::Wrapped(inner())),
        (Old::Boxed(Box::new(inner())), New::Boxed(Box::new(inner()))),
    ];
    for (old, new) in pairs {
        let json = serde_json::to_string(&old).unwrap();
        assert_eq!(serde_json::to_string(&new).unwrap(), json);
        assert_eq!(
            toml::to_string(&new).unwrap(),
            toml::to_string(&old).unwrap(),
            "{json}"
        );
    }
}
