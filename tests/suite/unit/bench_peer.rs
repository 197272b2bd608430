//! Unit tests of `src/bench/peer.rs` (moved out of the library: see `unit.rs`).

use schedlab::bench::peer::*;

fn line(engine: &str, actors: usize, eps: f64) -> PeerLine {
    PeerLine {
        engine: engine.into(),
        actors,
        events_per_sec: eps,
        raw: String::new(),
    }
}

#[test]
fn ratios_pair_the_same_actor_count_and_keep_the_best_round() {
    let best = best_of(vec![
        vec![line("simcore", 100, 10.0), line("mini", 100, 40.0)],
        vec![line("simcore", 100, 12.0), line("mini", 100, 30.0)],
    ]);
    let r = ratio(100, 18.0, &best).unwrap();
    assert_eq!((r.simcore_eps, r.mini_eps), (12.0, 40.0));
    assert_eq!((r.ratio_vs_simcore, r.ratio_vs_mini), (1.5, 0.45));
    assert!(ratio(1000, 18.0, &best).is_none());
}

#[test]
fn parses_what_the_peer_binaries_print() {
    let l = r#"{"bench":"engine","impl":"simcore","actors":1000,"events":5000000,"wall_s":0.4002,"events_per_sec":12493753}"#;
    let p: PeerLine = serde_json::from_str(l).unwrap();
    assert_eq!((p.engine.as_str(), p.actors), ("simcore", 1000));
    assert_eq!(p.events_per_sec, 12493753.0);
}
