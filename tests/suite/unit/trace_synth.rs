//! Unit tests of `src/trace/synth.rs` (moved out of the library: see `unit.rs`).

use schedlab::trace::synth::*;
use schedlab::trace::TraceJob;

#[test]
fn capped_count_means() {
    let g = CountDist::Geometric {
        mean: 4.0,
        cap: 1_000_000,
    };
    assert!((g.mean() - 4.0).abs() < 1e-6);
    assert_eq!(CountDist::Geometric { mean: 4.0, cap: 1 }.mean(), 1.0);
    let z = CountDist::Zipf { n: 1, s: 1.1 };
    assert_eq!(z.mean(), 1.0);
    let ln = Dist::LogNormal {
        mu: 1.0,
        sigma: 0.5,
    };
    assert!((ln.mean().unwrap() - (1.0f64 + 0.125).exp()).abs() < 1e-9);
}

#[test]
fn same_seed_same_workload() {
    let cfg: SynthConfig = toml::from_str(
            "seed = 5\nmax_tasks = 500\n[arrival]\nprocess = \"poisson\"\nrate_per_s = 3.0\n[tasks_per_job]\ndist = \"geometric\"\nmean = 3.0\ncap = 50\n",
        )
        .unwrap();
    let a: Vec<_> = generate(&cfg).map(Result::unwrap).collect();
    let b: Vec<_> = generate(&cfg).map(Result::unwrap).collect();
    assert_eq!(a, b);
    assert_eq!(a.iter().map(TraceJob::task_count).sum::<u64>(), 500);
}

#[test]
fn config_errors_are_clear() {
    let e =
        toml::from_str::<SynthConfig>("[arrival]\nprocess = \"poisson\"\nrate = 1\n").unwrap_err();
    assert!(e.to_string().contains("unknown field `rate`"), "{e}");
    let cfg: SynthConfig =
        toml::from_str("[arrival]\nprocess = \"poisson\"\nrate_per_s = 1\n").unwrap();
    let e = generate(&cfg).next().unwrap().unwrap_err();
    assert!(e.msg.contains("max_jobs"), "{e}");
}
