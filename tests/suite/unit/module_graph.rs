//! The crate's top-level modules must not import each other in a circle: a circle
//! means neither module can be understood, tested or replaced without the other
//! (issue 23). This test reads `src/**/*.rs`, collects every `crate::X` reference
//! (in `use` lines and in paths, macros included) per top-level module, and fails
//! naming the circle and the files that close it.
//!
//! Test-only code does not count: a `#[cfg(test)]` module (inline, or a file declared
//! with `#[cfg(test)] mod x;`) may use anything, as dev-dependencies may. Comments and
//! strings do not count either (doc links and messages are not imports).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `from -> to -> files of `from` that name `to``.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// `src` as code only: comments removed and the insides of string and char literals
/// blanked (keeping line breaks), so that neither a doc link, a message naming
/// `crate::x` nor a `'{'` is read as code.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |out: &mut String, s: &str| out.extend(s.chars().filter(|&c| c == '\n'));
    let ident_before = |i: usize| i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
    while i < b.len() {
        let rest = &src[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if let Some(body) = rest.strip_prefix("/*") {
            let end = body.find("*/").map_or(rest.len(), |e| e + 4);
            blank(&mut out, &rest[..end]);
            i += end;
        } else if (rest.starts_with("r\"") || rest.starts_with("r#")) && !ident_before(i) {
            // A raw string: r"..." or r#"..."#, closed by a quote and as many hashes.
            let hashes = rest[1..].chars().take_while(|&c| c == '#').count();
            if rest[1 + hashes..].starts_with('"') {
                let close = format!("\"{}", "#".repeat(hashes));
                let body = 2 + hashes;
                let end = rest[body..]
                    .find(&close)
                    .map_or(rest.len(), |e| body + e + close.len());
                out.push_str("\"\"");
                blank(&mut out, &rest[..end]);
                i += end;
            } else {
                out.push('r');
                i += 1;
            }
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(b.len());
            out.push_str("\"\"");
            blank(&mut out, &src[i..end]);
            i = end;
        } else if b[i] == b'\'' {
            // A char literal ('x', '\n', '\u{..}'), else a lifetime ('a).
            let lit = if rest[1..].starts_with('\\') {
                rest[2..].find('\'').map(|e| e + 3)
            } else {
                rest[1..]
                    .chars()
                    .next()
                    .filter(|c| rest[1 + c.len_utf8()..].starts_with('\''))
                    .map(|c| c.len_utf8() + 2)
            };
            match lit {
                Some(n) => {
                    out.push_str("' '");
                    i += n;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            let ch = rest.chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// `src` without its `#[cfg(test)]` items (the attribute, the item and its braces),
/// and the names of the module files it declares test-only (`#[cfg(test)] mod x;`).
fn strip_test_items(src: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(src.len());
    let mut test_mods = Vec::new();
    let mut rest = src;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at + "#[cfg(test)]".len()..];
        let brace = item.find('{');
        let semi = item.find(';');
        match (brace, semi) {
            (_, Some(s)) if brace.is_none_or(|b| s < b) => {
                // `mod x;` (or `use ...;`): a declaration, its file is test-only.
                let decl = item[..s].trim();
                if let Some(name) = decl.strip_prefix("mod ").or(decl.strip_prefix("pub mod ")) {
                    test_mods.push(name.trim().to_string());
                }
                rest = &item[s + 1..];
            }
            (Some(b), _) => {
                let mut depth = 0usize;
                let mut end = item.len();
                for (i, c) in item[b..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = b + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                rest = &item[end..];
            }
            _ => rest = "",
        }
    }
    out.push_str(rest);
    (out, test_mods)
}

/// The top-level modules `code` names through `crate::`: `crate::x::...`,
/// `$crate::x` and the groups of `use crate::{x, y::z}`.
fn referenced_modules(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices("crate::") {
        if at > 0 {
            let prev = code[..at].chars().next_back().expect("at > 0");
            if prev.is_ascii_alphanumeric() || prev == '_' {
                continue; // e.g. `mycrate::`
            }
        }
        let after = code[at + "crate::".len()..].trim_start();
        if let Some(group) = after.strip_prefix('{') {
            // The top-level items of the group, up to its closing brace.
            let mut depth = 0usize;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.insert(ident(group[start..i].trim()));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(ident(group[start..i].trim()));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(after));
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("readable source folder") {
            let p = e.expect("readable entry").path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The import graph among the top-level modules of the crate rooted at `src`.
fn module_graph(src: &Path) -> Graph {
    let files = rust_files(src);
    let mut texts = BTreeMap::new();
    let mut test_only = BTreeSet::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable source");
        let (code, mods) = strip_test_items(&code_only(&text));
        // A file `a/b.rs` or `a/b/mod.rs` declares its children in `a/b/`.
        let dir = match f.file_name().and_then(|n| n.to_str()) {
            Some("mod.rs" | "lib.rs" | "main.rs") => f.parent().expect("in src").to_path_buf(),
            _ => f.with_extension(""),
        };
        for m in mods {
            test_only.insert(dir.join(format!("{m}.rs")));
            test_only.insert(dir.join(&m));
        }
        texts.insert(f.clone(), code);
    }
    let mut graph = Graph::new();
    for (f, code) in &texts {
        let rel = f.strip_prefix(src).expect("under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("a file name")
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        if test_only.iter().any(|t| f.starts_with(t)) {
            continue;
        }
        let node = graph.entry(top.clone()).or_default();
        for m in referenced_modules(code) {
            if m != top {
                node.entry(m).or_default().insert(rel.display().to_string());
            }
        }
    }
    graph
}

/// A circle of `graph`, as the modules along it (first = last), if there is one.
fn find_circle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        graph: &Graph,
        m: &str,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(m) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = path
                    .iter()
                    .position(|p| p == m)
                    .expect("open is on the path");
                let mut circle = path[from..].to_vec();
                circle.push(m.to_string());
                return Some(circle);
            }
            None => {}
        }
        marks.insert(m.to_string(), Mark::Open);
        path.push(m.to_string());
        for next in graph.get(m).into_iter().flat_map(|e| e.keys()) {
            if let Some(c) = visit(graph, next, marks, path) {
                return Some(c);
            }
        }
        path.pop();
        marks.insert(m.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for m in graph.keys() {
        if let Some(c) = visit(graph, m, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

/// The circle, one edge a line with the files that make it.
fn describe(graph: &Graph, circle: &[String]) -> String {
    circle
        .windows(2)
        .map(|w| {
            let files: Vec<&str> = graph[&w[0]][&w[1]].iter().map(String::as_str).collect();
            format!("  {} -> {} ({})", w[0], w[1], files.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn top_level_modules_import_each_other_in_no_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    // The graph was read: the driver, for one, uses the metrics and the scenario.
    assert!(graph["driver"].contains_key("metrics"), "{graph:?}");
    assert!(graph["run"].contains_key("driver"), "{graph:?}");
    if let Some(c) = find_circle(&graph) {
        panic!(
            "the top-level modules import each other in a circle:\n{}",
            describe(&graph, &c)
        );
    }
}

#[test]
fn a_circle_is_found_and_test_code_comments_and_strings_do_not_count() {
    let dir = std::env::temp_dir().join(format!("schedlab-module-graph-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("b")).unwrap();
    let write = |p: &str, s: &str| std::fs::write(dir.join(p), s).unwrap();
    write("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n");
    write(
        "a.rs",
        "use crate::{b::{X, Y}, c};\n/// [`crate::c`] links\n#[cfg(test)]\nmod tests { use crate::c::Z; }\n",
    );
    write(
        "b/mod.rs",
        "#[cfg(test)]\nmod tests;\nfn f() -> &'static str { \"crate::c {\" }\nfn g(_: crate::a::T) { let _ = '{'; }\n",
    );
    write("b/tests.rs", "use crate::c::Q;\n");
    write(
        "c.rs",
        "// crate::a\n/* crate::b */ const S: &str = r#\"crate::a \"x\"\"#;\n",
    );
    let g = module_graph(&dir);
    let edges = |m: &str| -> Vec<String> {
        g.get(m)
            .into_iter()
            .flat_map(|e| e.keys().cloned())
            .collect()
    };
    assert_eq!(edges("a"), ["b", "c"]);
    assert_eq!(edges("b"), ["a"]);
    assert!(edges("c").is_empty(), "{g:?}");
    let circle = find_circle(&g).expect("a -> b -> a");
    assert_eq!(circle, ["a", "b", "a"]);
    assert!(describe(&g, &circle).contains("b -> a (b/mod.rs)"));
    // Without b's import of a, no circle is left.
    write("b/mod.rs", "#[cfg(test)]\nmod tests;\n");
    assert_eq!(find_circle(&module_graph(&dir)), None);
    let _ = std::fs::remove_dir_all(&dir);
}
