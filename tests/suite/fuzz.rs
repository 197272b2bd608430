//! The fuzzer finds nothing in a correct build, and finds a deliberately broken one.

use schedlab::fuzz::{run_many, Sabotage};

#[test]
fn randomized_fault_schedules_keep_every_invariant() {
    let results = run_many(1, 200, Sabotage::None);
    for r in &results {
        assert!(r.violation.is_none(), "seed {}: {:?}", r.seed, r.violation);
    }
    assert!(results.iter().map(|r| r.events).sum::<u64>() > 100_000);
}

#[test]
fn a_broken_invariant_is_caught() {
    // Agents that keep their tasks when told to shut down let a LOST task run twice.
    let results = run_many(1, 100, Sabotage::KeepTasksOnShutdown);
    // (It may also show first as an agent sent tasks that do not fit: the master
    // believes the agent empty.)
    let caught = results
        .iter()
        .filter_map(|r| r.violation.clone())
        .find(|v| v.contains("reported LOST but still runs"));
    assert!(caught.is_some(), "the sabotage is caught within 100 seeds");
}

#[test]
fn a_seed_replays_exactly() {
    let a = run_many(42, 1, Sabotage::None);
    let b = run_many(42, 1, Sabotage::None);
    assert_eq!(a[0].fingerprint, b[0].fingerprint);
    assert_eq!(a[0].events, b[0].events);
    assert_ne!(
        a[0].fingerprint,
        run_many(43, 1, Sabotage::None)[0].fingerprint
    );
}

#[test]
fn an_update_never_acknowledged_is_caught() {
    // Agents whose updates, generated while re-registering, name no agent: the
    // liveness checks see updates retried forever (issue 24, point 4's effect).
    let results = run_many(1, 100, Sabotage::UnackableUpdatesWhileReregistering);
    let caught = results
        .iter()
        .filter_map(|r| r.violation.clone())
        .find(|v| v.contains("still unacknowledged"));
    assert!(caught.is_some(), "the sabotage is caught within 100 seeds");
}

/// A seed that crashes the simulator is that seed's failure: the others still run,
/// and the panic's message names where it happened.
#[test]
fn a_panicking_seed_is_reported_and_the_others_run_on() {
    let results = run_many(1, 60, Sabotage::AgentPanicsOnMasterLoss);
    assert_eq!(results.len(), 60, "every seed ran");
    let panicked: Vec<_> = results.iter().filter(|r| r.panicked).collect();
    assert!(!panicked.is_empty(), "some seeds lose a master");
    assert!(panicked.len() < 60, "and some do not");
    for r in &panicked {
        let v = r.violation.as_deref().unwrap();
        assert!(v.contains("sabotage") && v.contains("agent.rs"), "{v}");
    }
    assert!(results.iter().any(|r| !r.panicked && r.violation.is_none()));
}

/// The last seed of the u64 range runs (no wraparound).
#[test]
fn the_last_seed_runs() {
    let r = run_many(u64::MAX, 5, Sabotage::None);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].seed, u64::MAX);
    assert!(r[0].events > 0);
}
