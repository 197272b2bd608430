//! `fuzz --dump` (src/fuzz/mod.rs).

use schedlab::fuzz::{dump, scenario};
use schedlab::scenario::Scenario;

/// `--dump` writes what `run` reads back as the same scenario.
#[test]
fn dumped_scenarios_parse_back_to_themselves() {
    for seed in 1..=40 {
        let text = dump(seed).unwrap();
        let mut back =
            Scenario::parse(&text, "dump").unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
        let want = scenario(seed);
        back.source.clone_from(&want.source); // the file name it was read from
        assert_eq!(back, want, "seed {seed}");
    }
}
