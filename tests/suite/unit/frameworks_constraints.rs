//! Unit tests of `src/frameworks/constraints.rs`: the expectations of Marathon's own
//! `src/test/scala/mesosphere/mesos/ConstraintsTest.scala` (Marathon 1.10), case by case
//! under the names it gives them, plus the cases the issue names.

use schedlab::frameworks::constraints::*;
use schedlab::proto::Attributes;

/// `"a:1;b:x"` as agent attributes (the test's `parseAttrs`).
fn attrs(s: &str) -> Attributes {
    s.split(';')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once(':').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn constraint(field: &str, op: &str, value: &str) -> Constraint {
    let mut c = vec![field.to_string(), op.to_string()];
    if !value.is_empty() {
        c.push(value.to_string());
    }
    Constraint::parse(&c).unwrap()
}

/// Whether an offer (host, attributes) meets `[field, op, value]` with instances placed
/// at `placed` (host, attributes).
fn meets(field: &str, op: &str, value: &str, placed: &[(&str, &str)], offer: (&str, &str)) -> bool {
    let placed_attrs: Vec<(String, Attributes)> = placed
        .iter()
        .map(|(h, a)| (h.to_string(), attrs(a)))
        .collect();
    let places: Vec<Place> = placed_attrs
        .iter()
        .map(|(h, a)| Place {
            hostname: h,
            attributes: a,
        })
        .collect();
    let offer_attrs = attrs(offer.1);
    let offer = Place {
        hostname: offer.0,
        attributes: &offer_attrs,
    };
    constraint(field, op, value).meets(&places, offer)
}

/// One row: constraint, placements, offer, expected.
type Row<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a [(&'a str, &'a str)],
    (&'a str, &'a str),
    bool,
);

fn check(name: &str, rows: &[Row]) {
    for (i, (f, op, v, placed, offer, want)) in rows.iter().enumerate() {
        assert_eq!(
            meets(f, op, v, placed, *offer),
            *want,
            "{name} row {i}: {f}:{op}:{v} placed {placed:?} offer {offer:?}"
        );
    }
}

const H1: (&str, &str) = ("host1", "");
const H2: (&str, &str) = ("host2", "");
const H3: (&str, &str) = ("host3", "");

#[test]
fn unique_host_constraint() {
    check(
        "UniqueHostConstraint",
        &[
            ("hostname", "CLUSTER", "", &[], ("foohost", ""), true),
            (
                "hostname",
                "CLUSTER",
                "right.com",
                &[],
                ("wrong.com", ""),
                false,
            ),
            ("hostname", "UNIQUE", "", &[], ("host2", ""), true),
            ("hostname", "UNIQUE", "", &[H1, H2, H3], ("host4", ""), true),
            (
                "hostname",
                "UNIQUE",
                "",
                &[H1, H2, H3],
                ("host2", ""),
                false,
            ),
            (
                "@hostname",
                "UNIQUE",
                "",
                &[H1, H2, H3],
                ("host2", ""),
                false,
            ),
        ],
    );
}

#[test]
fn generic_property_constraints() {
    let r1 = ("h", "rackid:rack-1");
    let r2 = ("h", "rackid:rack-2");
    let o = |rack: &'static str| ("foohost", rack);
    check(
        "Generic property constraints",
        &[
            (
                "rackid",
                "CLUSTER",
                "",
                &[],
                o("foo:bar;rackid:rack-1"),
                true,
            ),
            (
                "rackid",
                "CLUSTER",
                "",
                &[r1, r1],
                o("foo:bar;rackid:rack-1"),
                true,
            ),
            (
                "rackid",
                "CLUSTER",
                "",
                &[r1, r1],
                o("foo:bar;rackid:rack-2"),
                false,
            ),
            // A missing attribute fails CLUSTER even with nothing placed.
            ("rackid", "CLUSTER", "", &[], ("foohost", ""), false),
            (
                "rackid",
                "UNIQUE",
                "",
                &[],
                o("foo:bar;rackid:rack-1"),
                true,
            ),
            (
                "rackid",
                "UNIQUE",
                "",
                &[r1, r2],
                o("foo:bar;rackid:rack-3"),
                true,
            ),
            (
                "rackid",
                "UNIQUE",
                "",
                &[r1, r2],
                o("foo:bar;rackid:rack-1"),
                false,
            ),
            ("rackid", "UNIQUE", "", &[], ("foohost", ""), false),
        ],
    );
}

#[test]
fn like_and_unlike_are_whole_value_regex_matches_and_only_unlike_takes_a_missing_field() {
    check(
        "AttributesLikeByConstraints / AttributesUnlikeByConstraints",
        &[
            ("jdk", "LIKE", "7", &[], ("h", "jdk:6"), false),
            ("jdk", "LIKE", "7", &[], ("h", "jdk:7"), true),
            ("jdk", "LIKE", "7", &[], ("h", ""), false),
            ("jdk", "UNLIKE", "7", &[], ("h", "jdk:6"), true),
            ("jdk", "UNLIKE", "7", &[], ("h", "jdk:7"), false),
            ("jdk", "UNLIKE", "7", &[], ("h", ""), true),
            // Whole value: "7" does not match "17".
            ("jdk", "LIKE", "7", &[], ("h", "jdk:17"), false),
            ("hostname", "LIKE", "web-[0-9]+", &[], ("web-12", ""), true),
            ("hostname", "LIKE", "web", &[], ("web-12", ""), false),
            // Every operator but UNLIKE fails on a missing attribute.
            ("jdk", "MAX_PER", "5", &[], ("h", ""), false),
            ("jdk", "GROUP_BY", "", &[], ("h", ""), false),
            ("jdk", "IS", "7", &[], ("h", ""), false),
        ],
    );
}

#[test]
fn group_by_accepts_a_new_value_or_a_smallest_group_once_enough_groups_exist() {
    let r = |v: &'static str| -> (&'static str, &'static str) {
        match v {
            "1" => ("h", "rackid:rack-1"),
            "2" => ("h", "rackid:rack-2"),
            _ => ("h", "rackid:rack-3"),
        }
    };
    let o = |v: &'static str| match v {
        "1" => ("foohost", "foo:bar;rackid:rack-1"),
        "2" => ("foohost", "foo:bar;rackid:rack-2"),
        _ => ("foohost", "foo:bar;rackid:rack-3"),
    };
    check(
        "RackGroupedByConstraints",
        &[
            ("rackid", "GROUP_BY", "2", &[], o("1"), true),
            ("rackid", "GROUP_BY", "2", &[r("1")], o("1"), false),
            ("rackid", "GROUP_BY", "2", &[r("1")], o("2"), true),
            ("rackid", "GROUP_BY", "2", &[r("1"), r("2")], o("1"), true),
            (
                "rackid",
                "GROUP_BY",
                "2",
                &[r("1"), r("1"), r("2")],
                o("1"),
                false,
            ),
            ("rackid", "GROUP_BY", "2", &[], ("foohost", ""), false),
        ],
    );
    check(
        "RackGroupedByConstraints2",
        &[
            ("rackid", "GROUP_BY", "3", &[], o("1"), true),
            ("rackid", "GROUP_BY", "3", &[r("1")], o("2"), true),
            ("rackid", "GROUP_BY", "3", &[r("1"), r("2")], o("3"), true),
            (
                "rackid",
                "GROUP_BY",
                "3",
                &[r("1"), r("2"), r("3")],
                o("1"),
                true,
            ),
            (
                "rackid",
                "GROUP_BY",
                "3",
                &[r("1"), r("2"), r("3"), r("1")],
                o("2"),
                true,
            ),
            (
                "rackid",
                "GROUP_BY",
                "3",
                &[r("1"), r("2"), r("3"), r("1"), r("2")],
                o("2"),
                false,
            ),
        ],
    );
    // Without a minimum, Marathon knows only the placed groups: a value already placed
    // is a smallest group, so offers of one value alone keep filling it.
    check(
        "GROUP_BY without a value",
        &[
            ("rackid", "GROUP_BY", "", &[r("1")], o("1"), true),
            (
                "rackid",
                "GROUP_BY",
                "",
                &[r("1"), r("1"), r("2")],
                o("1"),
                false,
            ),
            (
                "rackid",
                "GROUP_BY",
                "",
                &[r("1"), r("1"), r("2")],
                o("2"),
                true,
            ),
            ("rackid", "GROUP_BY", "inf", &[r("1")], o("1"), false),
        ],
    );
}

#[test]
fn group_by_compares_scalars_by_value() {
    let r = |v: &'static str| ("h", v);
    check(
        "RackGroupedByConstraints3",
        &[
            ("rackid", "GROUP_BY", "3", &[], ("f", "rackid:1"), true),
            (
                "rackid",
                "GROUP_BY",
                "3",
                &[r("rackid:1.0")],
                ("f", "rackid:2"),
                true,
            ),
            (
                "rackid",
                "GROUP_BY",
                "3",
                &[r("rackid:1.0"), r("rackid:2.0")],
                ("f", "rackid:3"),
                true,
            ),
            (
                "rackid",
                "GROUP_BY",
                "3",
                &[r("rackid:1.0"), r("rackid:2.0"), r("rackid:3.0")],
                ("f", "rackid:1"),
                true,
            ),
            (
                "rackid",
                "GROUP_BY",
                "3",
                &[
                    r("rackid:1.0"),
                    r("rackid:2.0"),
                    r("rackid:3.0"),
                    r("rackid:1.0"),
                    r("rackid:2.0"),
                ],
                ("f", "rackid:2"),
                false,
            ),
        ],
    );
}

#[test]
fn hostname_grouped_by_constraints() {
    let c =
        |p: &[(&str, &str)], host: &'static str| meets("hostname", "GROUP_BY", "2", p, (host, ""));
    assert!(c(&[], "host1"));
    assert!(!c(&[H1], "host1"));
    assert!(c(&[H1], "host2"));
    assert!(c(&[H1, H2], "host1"));
    assert!(!c(&[H1, H2, H1], "host1"));
    assert!(c(&[H1, H2, H1], "host3"));
    assert!(!c(&[H1, H2, H1, H3], "host1"));
    assert!(c(&[H1, H2, H1, H3], "host3"));
    assert!(c(&[H1, H2, H1, H3], "host2"));
}

#[test]
fn max_per_counts_the_offers_group() {
    let c =
        |p: &[(&str, &str)], host: &'static str| meets("hostname", "MAX_PER", "2", p, (host, ""));
    assert!(c(&[], "host1"));
    assert!(c(&[H1], "host1"));
    assert!(c(&[H1, H1], "host2"));
    assert!(!c(&[H1, H1, H2], "host1"));
    assert!(c(&[H1, H1, H2, H1], "host3"));
    // RackMaxPerConstraints: 1.0 placed, 1 offered: the same rack.
    let r =
        |p: &[(&str, &str)], rack: &'static str| meets("rackid", "MAX_PER", "2", p, ("f", rack));
    let (a, b) = (("h", "rackid:1.0"), ("h", "rackid:2.0"));
    assert!(r(&[], "rackid:1"));
    assert!(r(&[a], "rackid:2"));
    assert!(r(&[a, b], "rackid:1"));
    assert!(!r(&[a, b, a], "rackid:1"));
}

#[test]
fn attribute_types_read_in_marathons_text_form() {
    let fresh: &[(&str, &str)] = &[
        ("h", "foo:bar"),
        ("h", "jdk:7"),
        ("h", "jdk:[6-7]"),
        ("h", "gpu:{0,1}"),
    ];
    check(
        "AttributesTypes",
        &[
            ("jdk", "LIKE", "7", fresh, ("h", "jdk:6"), false),
            ("jdk", "LIKE", "7", fresh, ("h", "jdk:7"), true),
            (
                "jdk",
                "CLUSTER",
                "7",
                &[("h", "jdk:7")],
                ("h", "jdk:6"),
                false,
            ),
            (
                "jdk",
                "CLUSTER",
                "7",
                &[("h", "jdk:7")],
                ("h", "jdk:7"),
                true,
            ),
            ("jdk", "LIKE", "\\[6-7\\]", fresh, ("h", "jdk:[5-7]"), false),
            ("jdk", "LIKE", "\\[6-7\\]", fresh, ("h", "jdk:[6-7]"), true),
            (
                "jdk",
                "CLUSTER",
                "[6-7]",
                &[("h", "jdk:[6-7]")],
                ("h", "jdk:[5-7]"),
                false,
            ),
            (
                "jdk",
                "CLUSTER",
                "[6-7]",
                &[("h", "jdk:[6-7]")],
                ("h", "jdk:[6-7]"),
                true,
            ),
            (
                "jdk",
                "UNLIKE",
                "\\[6-7\\]",
                fresh,
                ("h", "jdk:[6-7]"),
                false,
            ),
            // Without brackets it is text, not a range.
            ("jdk", "UNLIKE", "\\[6-7\\]", fresh, ("h", "jdk:5-7"), true),
            // Set items are sorted: {1,0} reads {0,1}.
            ("gpu", "LIKE", "\\{0,1\\}", fresh, ("h", "gpu:{2,1}"), false),
            ("gpu", "LIKE", "\\{0,1\\}", fresh, ("h", "gpu:{1,0}"), true),
            (
                "gpu",
                "CLUSTER",
                "{0,1}",
                &[("h", "gpu:{0,1}")],
                ("h", "gpu:{0,1}"),
                true,
            ),
            (
                "gpu",
                "UNLIKE",
                "\\{0,1\\}",
                fresh,
                ("h", "gpu:{0,1}"),
                false,
            ),
            (
                "gpu",
                "UNLIKE",
                "\\{0,1\\}",
                fresh,
                ("h", "gpu:{1,2}"),
                true,
            ),
            // Ranges are sorted by their start.
            (
                "p",
                "LIKE",
                "\\[1-2,5-9\\]",
                &[],
                ("h", "p:[5-9,1-2]"),
                true,
            ),
        ],
    );
    assert_eq!(attribute_text("1.0"), "1");
    assert_eq!(attribute_text("2.50"), "2.5");
    assert_eq!(attribute_text("rack-1"), "rack-1");
    assert_eq!(attribute_text("[10-20, 1-5]"), "[1-5,10-20]");
}

#[test]
fn is_requires_the_same_value_with_scalars_compared_to_three_decimals() {
    check(
        "IS operator",
        &[
            (
                "hostname",
                "IS",
                "righthost.com",
                &[],
                ("righthost.com", ""),
                true,
            ),
            (
                "hostname",
                "IS",
                "righthost.com",
                &[],
                ("wronghost.com", ""),
                false,
            ),
            ("number", "IS", "1.0", &[], ("host", "number:1"), true),
            ("number", "IS", "1", &[], ("host", "number:1.0"), true),
            ("number", "IS", "1.0001", &[], ("host", "number:1.0"), true),
            ("number", "IS", "1.0005", &[], ("host", "number:1.0"), true),
            (
                "number",
                "IS",
                "1.00051",
                &[],
                ("host", "number:1.0"),
                false,
            ),
            ("number", "IS", "1.001", &[], ("host", "number:1.0"), false),
        ],
    );
}

#[test]
fn cluster_without_a_value_pins_the_app_to_its_first_placement() {
    let placed: &[(&str, &str)] = &[("a", "rack:r2"), ("b", "rack:r1")];
    assert!(meets("rack", "CLUSTER", "", placed, ("c", "rack:r2")));
    assert!(!meets("rack", "CLUSTER", "", placed, ("c", "rack:r1")));
}

#[test]
fn several_constraints_must_all_hold() {
    let cs = [
        constraint("hostname", "UNIQUE", ""),
        constraint("rack", "LIKE", "r[12]"),
    ];
    let a = attrs("rack:r1");
    let b = attrs("rack:r3");
    let placed = [Place {
        hostname: "h1",
        attributes: &a,
    }];
    let offer = |h, at| Place {
        hostname: h,
        attributes: at,
    };
    assert!(meets_all(&cs, &placed, offer("h2", &a)));
    assert!(!meets_all(&cs, &placed, offer("h1", &a)));
    assert!(!meets_all(&cs, &placed, offer("h2", &b)));
}

#[test]
fn bad_constraints_are_refused_with_the_reason() {
    let err = |c: &[&str]| {
        Constraint::parse(&c.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap_err()
    };
    assert!(err(&["h", "MAX_PER"]).contains("needs a value"));
    assert!(err(&["h", "MAX_PER", "x"]).contains("not a whole number"));
    assert!(err(&["h", "GROUP_BY", "two"]).contains("not a whole number"));
    assert!(err(&["h", "LIKE", "("]).contains("bad regex"));
    assert!(err(&["h", "IS"]).contains("needs a value"));
    assert!(err(&["h", "NEAR"]).contains("unknown constraint operator"));
    assert!(err(&["h"]).contains("must be"));
}

/// Instances 0..n at `place(i)`, for `select_to_kill`.
fn running(
    n: usize,
    place: impl Fn(usize) -> (String, Attributes),
) -> Vec<(usize, String, Attributes)> {
    (0..n)
        .map(|i| {
            let (h, a) = place(i);
            (i, h, a)
        })
        .collect()
}

fn select(cs: &[Constraint], r: &[(usize, String, Attributes)], count: usize) -> Vec<usize> {
    let places: Vec<(usize, Place)> = r
        .iter()
        .map(|(i, h, a)| {
            (
                *i,
                Place {
                    hostname: h,
                    attributes: a,
                },
            )
        })
        .collect();
    select_to_kill(cs, &places, count)
}

#[test]
fn scale_down_keeps_group_by_distributions_even() {
    let host = [constraint("hostname", "GROUP_BY", "")];
    // "Select tasks to kill for a single group by works": 20 on 2 hosts, kill 10: 5 + 5.
    let r = running(20, |i| ((i % 2).to_string(), Attributes::new()));
    let k = select(&host, &r, 10);
    assert_eq!(k.len(), 10);
    assert_eq!(k.iter().filter(|i| *i % 2 == 1).count(), 5);
    // "Select only tasks to kill for an unbalanced distribution": 20 on host 1, 10 on
    // host 2, kill 10: all from host 1.
    let r = running(30, |i| {
        (
            (if i < 20 { "1" } else { "2" }).to_string(),
            Attributes::new(),
        )
    });
    let k = select(&host, &r, 10);
    assert_eq!(k.len(), 10);
    assert!(k.iter().all(|i| *i < 20), "{k:?}");
    // "Select tasks to kill for multiple group by works": 40 over rack x color, kill 20.
    let two = [
        constraint("rack", "GROUP_BY", ""),
        constraint("color", "GROUP_BY", ""),
    ];
    let r = running(40, |i| {
        let rack = if i < 20 { "rack-1" } else { "rack-2" };
        let color = if (i / 10) % 2 == 0 { "blue" } else { "green" };
        (
            "h".to_string(),
            attrs(&format!("rack:{rack};color:{color}")),
        )
    });
    let k = select(&two, &r, 20);
    assert_eq!(k.len(), 20);
    let count = |f: &dyn Fn(usize) -> bool| k.iter().filter(|i| f(**i)).count();
    assert_eq!(count(&|i| i < 20), 10);
    assert_eq!(count(&|i| (i / 10) % 2 == 0), 10);
    // "Does not select any task without constraint".
    let r = running(10, |_| ("h".to_string(), attrs("rack:rack-1;color:blue")));
    assert!(select(&[], &r, 5).is_empty());
}
