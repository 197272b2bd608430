//! The resource estimator and QoS controller of `mesos::oversubscription`.

use schedlab::mesos::oversubscription::{Oversubscription, DEFAULT_INTERVAL};
use schedlab::resources::Resources;

fn over(usage: f64, offer: f64) -> Oversubscription {
    Oversubscription {
        usage,
        offer,
        interval: DEFAULT_INTERVAL,
    }
}

fn used(cpus: f64, revocable: f64) -> Resources {
    Resources::new(cpus, 0) + Resources::revocable(revocable)
}

#[test]
fn the_agent_reports_what_is_in_use_plus_the_estimate() {
    // (usage, offer, regular CPUs in use, revocable in use, reported, interferes)
    let cases = [
        (0.5, 1.0, 4.0, 0.0, 2.0, false),
        (0.5, 1.0, 4.0, 2.0, 2.0, false),
        (0.5, 0.5, 4.0, 0.0, 1.0, false),
        (0.5, 0.5, 4.0, 1.5, 1.5, false),
        (0.5, 1.0, 2.0, 2.0, 2.0, true),
        (0.75, 1.0, 4.0, 1.0, 1.0, false),
        (1.0, 1.0, 8.0, 0.0, 0.0, false),
        (0.0, 1.0, 0.0, 0.5, 0.5, true),
    ];
    for (usage, offer, cpus, rev, reported, interferes) in cases {
        let o = over(usage, offer);
        let u = used(cpus, rev);
        assert_eq!(
            o.reported(&u),
            Resources::revocable(reported),
            "usage {usage} offer {offer} in use {u}"
        );
        assert_eq!(o.interferes(&u), interferes, "{u}");
    }
}

#[test]
fn shares_outside_zero_to_one_are_refused() {
    assert_eq!(over(1.5, 1.0).invalid().map(|e| e.0), Some("usage"));
    assert_eq!(over(0.5, -0.1).invalid().map(|e| e.0), Some("offer"));
    assert_eq!(over(0.5, 1.0).invalid(), None);
    assert_eq!(
        DEFAULT_INTERVAL,
        15 * schedlab::actor::SEC,
        "Mesos' default"
    );
}
