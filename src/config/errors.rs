//! A TOML deserialization error as a [`ScenarioError`]: the full key path (nested second
//! passes included), the line of that key, and the message worded for the person who
//! wrote the file (an unknown key with the nearest valid one).

use super::keypath::{self, KeyPath, Seg};
use super::{locate, suggest, ScenarioError};

/// `e`, raised at `outer` (the path serde_path_to_error tracked) while reading `text`.
pub fn from_toml(text: &str, file: &str, outer: KeyPath, e: &toml::de::Error) -> ScenarioError {
    let (inner, message) = keypath::split(e.message());
    let mut path = outer.join(inner);
    let message = if let Some((key, valid)) = suggest::unknown_field(message) {
        // serde_path_to_error's path, and a second pass's check (`flat::check`), end at
        // the unknown key; a report made at the table (serde's `flatten` makes one) not.
        if path.last_key() != Some(key) {
            path.0.push(Seg::Key(key.to_string()));
        }
        suggest::unknown_key(key, valid.as_deref())
    } else if let Some(rest) = message.strip_prefix("missing field `") {
        format!("missing key `{rest}")
    } else {
        message.to_string()
    };
    if path.is_empty() {
        // A syntax error (toml's span is its place) or a key missing at the top.
        let line = e
            .span()
            .filter(|_| !message.starts_with("missing key"))
            .map(|s| locate::line_of(text, s.start));
        return ScenarioError {
            file: file.to_string(),
            line,
            key: line.and_then(|l| key_on_line(text, l)),
            message,
        };
    }
    ScenarioError {
        file: file.to_string(),
        line: locate::line(text, &path)
            .or_else(|| e.span().map(|s| locate::line_of(text, s.start))),
        key: Some(path.to_string()),
        message,
    }
}

/// The key written at the start of line `line` (`key = ...` or a `[table]` header).
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let l = text.lines().nth(line - 1)?;
    let key = l
        .split('=')
        .next()?
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']');
    (!key.is_empty() && !key.starts_with('#')).then(|| key.to_string())
}
