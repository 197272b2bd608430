//! Role names: Mesos' `roles::validate` (`src/common/roles.cpp`), and the tree that
//! `/`-separated names form (`docs/roles.md`, "Hierarchical Roles").
//!
//! A role name is `*` or one or more `/`-separated components; a component is not
//! empty (no leading, trailing or doubled `/`), not `.`, `..` or `*`, does not begin
//! with `-`, and holds no whitespace (tab, line feed, vertical tab, form feed, carriage
//! return, space) and no DEL (`\x7f`). `eng/backend` is a child of `eng`.
//!
//! ```
//! use schedlab::alloc::roles::{ancestors, validate};
//! assert!(validate("eng/backend").is_ok());
//! assert!(validate("eng//backend").is_err());
//! assert_eq!(ancestors("a/b/c").collect::<Vec<_>>(), vec!["a/b", "a"]);
//! ```

/// Mesos' `INVALID_CHARACTERS` (`roles.cpp`): whitespace and DEL.
const INVALID_CHARACTERS: &[char] = &['\x09', '\x0a', '\x0b', '\x0c', '\x0d', '\x20', '\x7f'];

/// `Ok` if `role` is a valid Mesos role name, else Mesos' reason (`roles::validate`).
pub fn validate(role: &str) -> Result<(), String> {
    if role == "*" {
        return Ok(());
    }
    if role.starts_with('/') {
        return Err(format!("role '{role}' cannot start with a slash"));
    }
    if role.ends_with('/') {
        return Err(format!("role '{role}' cannot end with a slash"));
    }
    if role.contains("//") {
        return Err(format!("role '{role}' cannot contain two adjacent slashes"));
    }
    if role.is_empty() {
        return Err("role names cannot be the empty string".into());
    }
    for c in role.split('/') {
        if c == "." || c == ".." || c == "*" {
            return Err(format!("role '{role}' cannot include '{c}' as a component"));
        }
        if c.starts_with('-') {
            return Err(format!(
                "role component '{c}' is invalid because it starts with a dash"
            ));
        }
        if c.contains(INVALID_CHARACTERS) {
            return Err(format!(
                "role component '{c}' is invalid because it contains backspace or whitespace"
            ));
        }
    }
    Ok(())
}

/// The proper ancestors of `role`, nearest first (`roles::ancestors`).
pub fn ancestors(role: &str) -> impl Iterator<Item = &str> {
    let mut cur = role;
    std::iter::from_fn(move || {
        let i = cur.rfind('/')?;
        cur = &cur[..i];
        Some(cur)
    })
}

/// Panics unless `role` is valid: the allocator API refuses malformed names (a scenario
/// is checked before, with the file and line of the name).
pub(crate) fn check(role: &str) {
    if let Err(e) = validate(role) {
        panic!("allocator: {e}");
    }
}
