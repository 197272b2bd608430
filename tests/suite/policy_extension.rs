//! A policy that is not built in (examples/aging_drf.rs), registered from outside the
//! crate: it is checked against the reference allocator as the built-in policies are,
//! decides as its definition says on a known case, and runs from a scenario.

#[path = "../../examples/aging_drf.rs"]
mod aging_drf;

use schedlab::actor::SEC;
use schedlab::alloc::{
    build, check_policy_against_reference, AllocatorConfig, Policy, PolicyParams,
};
use schedlab::resources::Resources;
use schedlab::run::{execute, RunOptions};
use schedlab::scenario::Scenario;
use std::collections::BTreeMap;

fn aging(per_s: f64) -> AllocatorConfig {
    aging_drf::register();
    let params = PolicyParams::new(BTreeMap::from([("aging_per_s".to_string(), per_s)]));
    AllocatorConfig::with_params(Policy::named("aging_drf").unwrap(), params).unwrap()
}

#[test]
fn aging_drf_matches_the_reference_allocator() {
    aging_drf::register();
    let p = Policy::named("aging_drf").unwrap();
    let seen = check_policy_against_reference(&p, 0..24).unwrap_or_else(|e| panic!("{e}"));
    assert!(seen.rounds > 300 && seen.offers > 1000, "{seen:?}");
}

/// fw 0 holds half the cell; fw 1 holds nothing but was offered an agent 10 s ago. DRF
/// offers the free agent to fw 1 (lower share); aging at 0.01/s lowers fw 0's key by
/// 1.0 after its 100 s without an offer and fw 1's by 0.1, so fw 0 gets it.
#[test]
fn aging_serves_the_framework_that_waited_longest() {
    let run = |cfg: &AllocatorConfig| {
        let mut a = build(cfg);
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
        let agent = Resources::new(4.0, 4096);
        a.add_agent(0, agent);
        a.add_agent(1, agent);
        a.add_framework(0, "a");
        a.add_framework(1, "b");
        a.add_allocated(0, 0, agent);
        for t in [0, 90] {
            let offers = a.allocate(t * SEC, &mut rng);
            assert_eq!(offers.len(), 1);
            assert_eq!(
                offers[0].framework, 1,
                "t = {t} s: fw 1 has the lower share"
            );
            a.recover(1, 1, agent);
        }
        a.allocate(100 * SEC, &mut rng)[0].framework
    };
    assert_eq!(run(&AllocatorConfig::new(Policy::DRF)), 1);
    assert_eq!(run(&aging(0.01)), 0);
    assert_eq!(run(&aging(0.0)), 1, "without aging it orders as DRF");
}

#[test]
fn a_bad_policy_parameter_is_refused_with_its_name() {
    aging_drf::register();
    let params = PolicyParams::new(BTreeMap::from([("aging_per_sec".to_string(), 1.0)]));
    let e = AllocatorConfig::with_params(Policy::named("aging_drf").unwrap(), params)
        .err()
        .unwrap();
    assert!(
        e.contains("unknown policy parameter `aging_per_sec`"),
        "{e}"
    );
    let text = std::fs::read_to_string(example_scenario()).unwrap();
    let e = Scenario::parse_with_overrides(
        &text,
        "aging_drf.toml",
        &["allocator.params.aging_per_s=-1".into()],
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("aging_per_s must be >= 0"), "{e}");
    // In the file, the error is at the parameter's own line.
    let bad = text.replace("aging_per_s = 0.001", "aging_per_sec = 0.001");
    let e = Scenario::parse(&bad, "aging_drf.toml")
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.starts_with("aging_drf.toml:21: key `allocator.params.aging_per_sec`: "),
        "{e}"
    );
    assert!(
        e.contains("unknown policy parameter `aging_per_sec`"),
        "{e}"
    );
}

#[test]
fn an_unregistered_policy_is_refused_listing_the_registered_ones() {
    let e = Policy::named("nonesuch").err().unwrap();
    assert!(e.contains("unknown allocation policy `nonesuch`"), "{e}");
    assert!(e.contains("binpack, drf, fifo"), "{e}");
}

fn example_scenario() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/aging_drf.toml")
}

/// The example scenario runs to completion under the policy it names, and aging
/// changes the run (it is not DRF under another name).
#[test]
fn the_example_scenario_runs_under_aging_drf() {
    aging_drf::register();
    let text = std::fs::read_to_string(example_scenario()).unwrap();
    let run = |sets: &[String]| {
        let mut scn = Scenario::parse_with_overrides(&text, "aging_drf.toml", sets).unwrap();
        scn.run.stop = 20 * 60 * SEC;
        let opts = RunOptions {
            seed: None,
            out: None,
            events: false,
            progress: false,
            format: Default::default(),
        };
        execute(&scn, &opts).unwrap()
    };
    let aged = run(&[]);
    assert!(aged.tasks.finished > 100, "{:?}", aged.tasks);
    assert_eq!(aged.tasks.duplicated, 0);
    let drf = run(&[
        "allocator.policy=\"drf\"".into(),
        "allocator.params={}".into(),
    ]);
    assert_ne!(aged.fingerprint, drf.fingerprint);
}

/// The test kit builds clusters under a registered policy; every invariant is checked
/// after every event.
#[test]
fn the_testkit_runs_a_cluster_under_a_registered_policy() {
    aging_drf::register();
    let text = std::fs::read_to_string(example_scenario()).unwrap();
    let scn = Scenario::parse(&text, "aging_drf.toml").unwrap();
    let mut tc = schedlab::testkit::ClusterBuilder::from_scenario(scn)
        .policy(
            Policy::named("aging_drf").unwrap(),
            &[("aging_per_s", 0.01)],
        )
        .build()
        .unwrap();
    assert!(tc.run_until(600 * SEC, |tc| tc.tasks("etl").len() >= 20));
    tc.finish();
}

/// A policy that decides by what `Candidates` says of the agent: agent k goes to the
/// (k mod n)-th eligible framework, and only while the agent has CPUs free. Checked
/// against the reference allocator, it pins `Candidates::agent` and `agent_free` (no
/// built-in policy reads them). Registered for the whole test binary, so its name sorts
/// after the built-in ones (tests list those) and it also passes
/// `incremental_matches_reference`'s bar.
#[derive(Debug)]
struct ByAgent;

impl schedlab::alloc::policy::AllocationPolicy for ByAgent {
    fn order_agents(
        &self,
        agents: &mut Vec<schedlab::alloc::AgentId>,
        _: &schedlab::alloc::policy::AgentView<'_>,
        _: &mut rand_chacha::ChaCha8Rng,
    ) {
        agents.sort_unstable();
    }
    fn pick(
        &self,
        c: &mut dyn schedlab::alloc::policy::Candidates,
        _: &mut rand_chacha::ChaCha8Rng,
    ) -> Option<schedlab::alloc::FrameworkId> {
        if c.agent_free().cpus == 0 {
            return None;
        }
        let eligible = c.eligible();
        let k = c.agent() as usize;
        eligible.get(k % eligible.len().max(1)).map(|e| e.framework)
    }
}

#[test]
fn a_policy_reading_the_agent_and_its_free_resources_matches_the_reference() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        schedlab::alloc::policy::register_policy("zz_by_agent_test", |p| {
            p.finish()?;
            Ok(Box::new(ByAgent))
        })
        .expect("a new name")
    });
    let p = Policy::named("zz_by_agent_test").unwrap();
    let seen = check_policy_against_reference(&p, 0..24).unwrap_or_else(|e| panic!("{e}"));
    assert!(seen.rounds > 300 && seen.offers > 1000, "{seen:?}");
}
