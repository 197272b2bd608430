//! Unit tests of `src/config/locate.rs` (moved out of the library: see `unit.rs`).

use schedlab::config::keypath::KeyPath;
use schedlab::config::locate::*;

const DOC: &str = "name = \"x\"\n\
                       [[frameworks]]\n\
                       name = \"a\"\n\
                       [[frameworks]]\n\
                       name = \"b\"\n\
                       [frameworks.workload]\n\
                       kind = \"greedy\"\n\
                       cpus = 1\n\
                       target = [\"a\",\n  \"b\"]\n\
                       h = { grace = \"1s\" }\n";

fn at(p: &str) -> Option<usize> {
    line(DOC, &KeyPath::parse(p))
}

#[test]
fn finds_the_line_of_each_key_in_its_own_table() {
    assert_eq!(at("name"), Some(1));
    assert_eq!(at("frameworks.0"), Some(2));
    assert_eq!(at("frameworks.1"), Some(4));
    assert_eq!(at("frameworks.1.name"), Some(5));
    assert_eq!(at("frameworks.1.workload"), Some(6));
    assert_eq!(at("frameworks.1.workload.cpus"), Some(8));
    assert_eq!(at("frameworks.1.workload.target.1"), Some(10));
    assert_eq!(at("frameworks.1.workload.h.grace"), Some(11));
}

#[test]
fn keys_of_implicit_and_dotted_tables_are_found() {
    let doc = "x = 1\n[network.default]\nfifo = true\n[a]\nb.c = 2\nd.e.f = 3\n";
    let at = |p: &str| line(doc, &KeyPath::parse(p));
    assert_eq!(at("network.default.fifo"), Some(3));
    assert_eq!(at("network.default"), Some(2));
    assert_eq!(at("a.b.c"), Some(5));
    assert_eq!(at("a.d.e.f"), Some(6));
}

#[test]
fn an_unwritten_key_falls_back_to_its_table() {
    assert_eq!(at("frameworks.1.workload.mem"), Some(6));
    assert_eq!(at("frameworks.0.workload"), Some(2));
    assert_eq!(at("nothing"), None);
    assert_eq!(line("x = ", &KeyPath::parse("x")), None);
}
