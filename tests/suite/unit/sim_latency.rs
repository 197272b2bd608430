//! Unit tests of `src/sim/latency.rs` (moved out of the library: see `unit.rs`).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::Distribution;
use rand_distr::Uniform;
use schedlab::sim::latency::*;

#[test]
fn uniform_draws_what_rand_draws() {
    for (low, high) in [
        (1_000_000, 1_100_000),
        (0, 0),
        (5, 6),
        (0, u64::MAX),
        (7, u64::MAX - 3),
    ] {
        let ours = UniformNs::new_inclusive(low, high);
        let theirs = Uniform::new_inclusive(low, high);
        let mut a = ChaCha8Rng::seed_from_u64(9);
        let mut b = ChaCha8Rng::seed_from_u64(9);
        for _ in 0..10_000 {
            assert_eq!(ours.sample(&mut a), theirs.sample(&mut b));
        }
    }
}
