//! Omega (EuroSys'13) directions on the lightweight simulator: as the service
//! scheduler's decision time grows, two-level offers make batch jobs wait (offers are
//! held), shared state does not, and conflicts grow with decision time.

use schedlab::validation::omega::{sweep, Arch, OmegaConfig, OmegaPoint};

fn cfg() -> OmegaConfig {
    let path = format!(
        "{}/scenarios/validation/omega-sweep.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut c = OmegaConfig::load(std::path::Path::new(&path)).unwrap();
    c.service_t_job_s = vec![0.1, 10.0, 100.0];
    c.seeds = 3;
    c
}

fn at(points: &[OmegaPoint], arch: Arch, t: f64) -> &OmegaPoint {
    points
        .iter()
        .find(|p| p.arch == arch && p.service_t_job_s == t)
        .unwrap()
}

#[test]
fn omega_directions_hold() {
    let p = sweep(&cfg());
    let wait = |a, t| at(&p, a, t).batch_wait_s.mean;
    // Two-level: batch waits grow by far as the service scheduler holds offers longer.
    assert!(wait(Arch::TwoLevel, 100.0) > 20.0 * wait(Arch::TwoLevel, 0.1));
    // Monolithic: head-of-line blocking behind service decisions, worse still.
    assert!(wait(Arch::Monolithic, 100.0) > wait(Arch::TwoLevel, 100.0));
    // Shared state: batch is unaffected.
    for a in [Arch::SharedState, Arch::SharedStateGang] {
        assert!(wait(a, 100.0) < 1.5 * wait(a, 0.1) + 0.1);
        assert_eq!(at(&p, a, 100.0).batch_abandoned.mean, 0.0);
        // Conflicts grow with decision time; gang transactions conflict at least as often.
        let c = |t| at(&p, a, t).service_conflict_fraction.mean;
        assert!(c(0.1) < c(10.0) && c(10.0) < c(100.0), "{a:?}");
        assert!(c(100.0) > 0.3);
    }
    // Batch scheduler busyness grows under two-level (failed attempts on small offers),
    // stays flat under shared state.
    let busy = |a, t| at(&p, a, t).batch_busyness.mean;
    assert!(busy(Arch::TwoLevel, 100.0) > 3.0 * busy(Arch::TwoLevel, 0.1));
    assert!(busy(Arch::SharedState, 100.0) < 1.2 * busy(Arch::SharedState, 0.1));
}

#[test]
fn deterministic_and_bad_input_is_located() {
    let c = cfg();
    let a = schedlab::validation::omega::run_one(&c, Arch::TwoLevel, 10_000_000_000, 3);
    let b = schedlab::validation::omega::run_one(&c, Arch::TwoLevel, 10_000_000_000, 3);
    assert_eq!(a, b);
    let text = std::fs::read_to_string(format!(
        "{}/scenarios/validation/omega-sweep.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("prefill = 0.6", "prefill = 1.5");
    let e = OmegaConfig::parse(&text, "o.toml").unwrap_err().to_string();
    assert!(
        e.starts_with("o.toml:") && e.contains("key `prefill`"),
        "{e}"
    );
}
