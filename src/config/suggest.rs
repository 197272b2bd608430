//! "Did you mean": the valid key nearest to a misspelt one.
//!
//! serde names an unknown key and the valid ones in one message ("unknown field `x`,
//! expected one of `a`, `b`"); [`unknown_field`] reads that message back (so the valid
//! keys are the ones serde itself holds, never a second hand-written list) and
//! [`unknown_key`] words the error with the nearest valid key, or with the list when
//! none is near.

/// Optimal-string-alignment distance: edits, with a swap of two neighbours counting as
/// one (`trials` for `trails`), the commonest typo a plain Levenshtein counts twice.
pub fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    d[0] = (0..=b.len()).collect();
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// The valid key nearest to `key`, if it is near: at most a third of the longer of the
/// two apart (one edit for short keys), the first listed on a tie.
pub fn nearest<'a>(key: &str, valid: &[&'a str]) -> Option<&'a str> {
    valid
        .iter()
        .map(|v| (distance(key, v), *v))
        .filter(|(d, v)| *d <= (key.chars().count().max(v.chars().count()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

/// The error for an unknown `key` where `valid` are the keys allowed (if known).
pub fn unknown_key(key: &str, valid: Option<&[&str]>) -> String {
    let Some(valid) = valid else {
        return format!("unknown key `{key}`");
    };
    match nearest(key, valid) {
        Some(v) => format!("unknown key `{key}`; did you mean `{v}`?"),
        None if valid.is_empty() => format!("unknown key `{key}`; no keys are allowed here"),
        None => format!("unknown key `{key}`; valid keys: {}", quoted(valid)),
    }
}

/// `a`, `b`, `c`.
pub fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The unknown key and the valid keys of serde's "unknown field" message (`None` for the
/// valid keys when serde does not list them, as for a flattened struct).
pub fn unknown_field(message: &str) -> Option<(&str, Option<Vec<&str>>)> {
    let (key, rest) = message.strip_prefix("unknown field `")?.split_once('`')?;
    let valid = match rest.strip_prefix(", expected ") {
        Some(list) => Some(list.split('`').skip(1).step_by(2).collect()),
        None => rest.starts_with(", there are no fields").then(Vec::new),
    };
    Some((key, valid))
}

/// serde's own "unknown field" message, for the second passes that check keys
/// themselves: the top level then words every unknown key alike.
pub fn unknown_field_message(key: &str, valid: &[&str]) -> String {
    match valid {
        [] => format!("unknown field `{key}`, there are no fields"),
        [a] => format!("unknown field `{key}`, expected `{a}`"),
        [a, b] => format!("unknown field `{key}`, expected `{a}` or `{b}`"),
        _ => format!("unknown field `{key}`, expected one of {}", quoted(valid)),
    }
}
