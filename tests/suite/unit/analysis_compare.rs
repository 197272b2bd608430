//! Unit tests of `src/analysis/compare.rs` (moved out of the library: see `unit.rs`).

use schedlab::analysis::compare::*;
use schedlab::analysis::Run;
use schedlab::analysis::RunSet;
use serde_json::json;

fn set(label: &str, jain: &[f64]) -> RunSet {
    RunSet {
        label: label.into(),
        runs: jain
            .iter()
            .enumerate()
            .map(|(i, &j)| Run {
                dir: format!("{label}/{i}").into(),
                label: i.to_string(),
                summary: json!({"fairness": {"jain_index": j}, "makespan_s": 100.0 + i as f64}),
            })
            .collect(),
    }
}

#[test]
fn rows_carry_the_statistics() {
    let a = set("a", &[0.70, 0.72, 0.71, 0.69]);
    let b = set("b", &[0.99, 0.98, 0.985, 0.97]);
    let c = compare(&a, &b, &["jain".into(), "makespan".into()]).unwrap();
    let j = c.row("jain").unwrap();
    assert_eq!(j.a.n, 4);
    assert!((j.a.mean - 0.705).abs() < 1e-12);
    assert!(j.significant && j.welch_p < 1e-4);
    assert!((j.rel_diff.unwrap() - (0.98125 - 0.705) / 0.705).abs() < 1e-12);
    // Exact MWU, complete separation, n = 4 + 4: p = 2 / C(8, 4) = 1/35.
    assert!((j.mw_p - 2.0 / 70.0).abs() < 1e-12);
    let m = c.row("makespan").unwrap();
    assert!(!m.significant && (m.welch_p - 1.0).abs() < 1e-12);
    for f in [Format::Table, Format::Markdown, Format::Csv] {
        let out = render(std::slice::from_ref(&c), f);
        assert!(out.contains("jain"), "{out}");
    }
    let csv = render(&[c], Format::Csv);
    assert_eq!(csv.lines().count(), 3);
    assert!(csv.lines().nth(1).unwrap().ends_with(",true"));
}

#[test]
fn missing_field_is_named() {
    let a = set("a", &[0.7, 0.8]);
    let e = compare(&a, &a, &["tasks.lost".into()]).unwrap_err();
    assert!(
        e.0.contains("a/0/summary.json") && e.0.contains("`tasks.lost`"),
        "{e}"
    );
}

#[test]
fn numbers_for_tables() {
    assert_eq!(num(4656.578816326), "4657");
    assert_eq!(num(0.9902), "0.9902");
    assert_eq!(num(12.3456), "12.35");
    assert_eq!(num(0.0), "0");
    assert_eq!(num(f64::NAN), "-");
}
