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

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules of Mesos' `roles::validate` (`src/common/roles.cpp`), each broken once.
    #[test]
    fn mesos_role_names() {
        for ok in [
            "*",
            "foo",
            "foo/bar",
            "a/b/c",
            "eng.backend",
            "x-y",
            "a/b-c",
        ] {
            assert!(validate(ok).is_ok(), "{ok} refused");
        }
        for bad in [
            "", "/", "/a", "a/", "a//b", ".", "..", "a/./b", "a/..", "*/a", "a/*", "-a", "a/-b",
            "a b", "a\tb", "a\nb", "a\x7fb",
        ] {
            assert!(validate(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            validate("a//b").unwrap_err(),
            "role 'a//b' cannot contain two adjacent slashes"
        );
    }

    #[test]
    fn ancestors_nearest_first() {
        assert_eq!(ancestors("a").count(), 0);
        assert_eq!(ancestors("a/b/c").collect::<Vec<_>>(), vec!["a/b", "a"]);
    }

    #[test]
    #[should_panic(expected = "allocator: role 'a/' cannot end with a slash")]
    fn the_allocator_api_refuses_a_malformed_name() {
        use crate::alloc::{build, AllocatorConfig};
        build(&AllocatorConfig::default()).add_framework(0, "a/");
    }
}
