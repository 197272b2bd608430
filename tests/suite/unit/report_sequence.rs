//! Unit tests of `src/report/sequence.rs` (moved out of the library: see `unit.rs`).

use schedlab::report::sequence::*;

fn ev(t: f64, from: &str, to: &str, kind: &str) -> Event {
    Event {
        t,
        from: from.into(),
        to: to.into(),
        kind: kind.into(),
    }
}

#[test]
fn lanes_in_group_order_and_names_escaped() {
    let events = vec![
        ev(1.0, "master", "fw<1>", "offers"),
        ev(1.1, "fw<1>", "master", "accept"),
        ev(1.2, "master", "agent-10", "run_task"),
        ev(1.3, "agent-2", "master", "status_update"),
    ];
    let (svg, caption) = svg(&events, 3, &["fw<1>".to_string()]);
    assert!(svg.contains("fw&lt;1&gt;") && !svg.contains("fw<1>"));
    let pos = |s: &str| svg.find(&format!(">{s}</text>")).unwrap();
    assert!(pos("fw&lt;1&gt;") < pos("master"));
    assert!(pos("master") < pos("agent-2") && pos("agent-2") < pos("agent-10"));
    assert_eq!(svg.matches("marker-end").count(), 4);
    assert!(caption.starts_with("4 messages shown of 4") && caption.contains("3 liveness"));
}
