//! The frameworks of issue 6 on simulated clusters: Marathon-, Chronos-, Aurora-like
//! and YARN alongside, each checked against what it must do, with every protocol
//! invariant checked after every event (the test kit does that).

use schedlab::actor::{Time, SEC};
use schedlab::frameworks::core::Common;
use schedlab::frameworks::marathon::{Marathon, MarathonSpec};
use schedlab::frameworks::FrameworkKind; // validate()
use schedlab::scenario::Scenario;
use schedlab::testkit::{ClusterBuilder, TestCluster};

const MIN: Time = 60 * SEC;

fn marathon(spec: &str) -> MarathonSpec {
    toml::from_str(spec).unwrap()
}

fn with_marathon(b: ClusterBuilder, spec: MarathonSpec) -> TestCluster {
    b.scheduler(Common::named("marathon"), move || {
        Marathon::new(spec.clone())
    })
    .build()
    .unwrap()
}

fn app_healthy(tc: &TestCluster) -> usize {
    tc.scheduler::<Marathon>("marathon")
        .map_or(0, |m| m.apps[0].healthy())
}

#[test]
fn marathon_unique_app_survives_two_agent_crashes() {
    let spec = marathon(
        r#"
        [[apps]]
        id = "web"
        instances = 10
        cpus = 1
        mem = 1024
        constraints = [["hostname", "UNIQUE"]]
        health = {}
        "#,
    );
    let mut tc = with_marathon(ClusterBuilder::new().agents(12, 4.0, 8192.0), spec);
    // Healthy after the first passing check (interval 60 s).
    assert!(tc.run_until(3 * MIN, |tc| app_healthy(tc) == 10));
    let hosts = tc.per_host("marathon");
    assert_eq!(hosts.len(), 10, "UNIQUE hostname: {hosts:?}");
    assert!(hosts.values().all(|&n| n == 1));
    let victims: Vec<String> = hosts.keys().take(2).cloned().collect();
    for v in &victims {
        tc.kill_agent(v);
    }
    let killed_at = tc.now();
    // The master removes them after 5 x 15 s (TASK_LOST, agent removed); Marathon keeps
    // the two instances as unreachable for `inactiveAfterSeconds` (300 s): not
    // replaced, not health-checked, not killed.
    tc.run_for(75 * SEC + 250 * SEC);
    assert_eq!(tc.running("marathon").len(), 8);
    let m = tc.scheduler::<Marathon>("marathon").unwrap();
    let unreachable = m.apps[0]
        .instances
        .values()
        .filter(|i| i.unreachable_since.is_some())
        .count();
    assert_eq!((m.apps[0].instances.len(), unreachable), (10, 2));
    assert_eq!(m.stats.killed_unhealthy, 0);
    // Then they are inactive and replaced on the two spare agents, which pass their
    // first health check in the next round (interval 60 s).
    assert!(tc.run_until(3 * MIN, |tc| app_healthy(tc) == 10
        && tc.running("marathon").len() == 10));
    let back = tc.now() - killed_at;
    eprintln!(
        "10 healthy instances again {:.1} s after the crash",
        back as f64 / 1e9
    );
    assert!(
        (375 * SEC..=375 * SEC + 15 * SEC + 70 * SEC).contains(&back),
        "{back}"
    );
    tc.run_for(5 * MIN);
    let hosts = tc.per_host("marathon");
    assert_eq!(hosts.len(), 10, "distinct agents again: {hosts:?}");
    assert!(hosts.values().all(|&n| n == 1));
    assert!(victims.iter().all(|v| !hosts.contains_key(v)));
    assert_eq!(app_healthy(&tc), 10);
    let m = tc.scheduler::<Marathon>("marathon").unwrap();
    assert_eq!(m.stats.instances_lost, 2);
    tc.finish();
}

/// Marathon's GROUP_BY through the master (`Constraints.checkGroupBy`, and
/// `selectInstancesToKill` on a scale-down): with the number of racks given, 6 instances
/// start 3 + 3 over two racks, stay so when an agent dies, and a scale-down to 2 leaves
/// 1 + 1 (2 + 0 without `selectInstancesToKill`); without the number, Marathon
/// knows a rack only once an instance runs there, so the first rack offered takes all 6.
#[test]
fn marathon_group_by_spreads_over_racks_and_scale_down_keeps_the_spread() {
    let per_rack = |tc: &TestCluster| {
        let mut m = std::collections::BTreeMap::new();
        for (host, n) in tc.per_host("marathon") {
            *m.entry(host[..2].to_string()).or_insert(0) += n;
        }
        m.into_values().collect::<Vec<usize>>()
    };
    let cell = || {
        ClusterBuilder::new()
            .agent_group("r1", 3, 4.0, 8192.0, &[("rack", "r1")])
            .agent_group("r2", 3, 4.0, 8192.0, &[("rack", "r2")])
    };
    let app = |group_by: &str| {
        marathon(&format!(
            r#"
            [[apps]]
            id = "cache"
            instances = 6
            cpus = 1
            mem = 512
            constraints = [{group_by}]
            [[deployments]]
            at = "5min"
            app = "cache"
            instances = 2
            "#
        ))
    };
    let mut tc = with_marathon(cell(), app(r#"["rack", "GROUP_BY", "2"]"#));
    assert!(tc.run_until(MIN, |tc| tc.running("marathon").len() == 6));
    assert_eq!(per_rack(&tc), [3, 3]);
    // An agent of r1 dies; its instance is replaced in r1, so the newest instances
    // are not spread: the newest-first order alone would keep both survivors in r2.
    let victim = tc.per_host("marathon").keys().next().unwrap().clone();
    tc.kill_agent(&victim);
    assert!(tc.run_until(3 * MIN, |tc| tc.running("marathon").len() == 6));
    assert_eq!(per_rack(&tc), [3, 3]);
    tc.run_for(6 * MIN);
    assert_eq!(per_rack(&tc), [1, 1]);
    tc.finish();

    let mut tc = with_marathon(cell(), app(r#"["rack", "GROUP_BY"]"#));
    assert!(tc.run_until(MIN, |tc| tc.running("marathon").len() == 6));
    assert_eq!(per_rack(&tc), [6]);
    tc.finish();
}

#[test]
fn marathon_rolling_deployment_keeps_minimum_health_capacity_at_every_event() {
    let spec = marathon(
        r#"
        [[apps]]
        id = "api"
        instances = 10
        cpus = 1
        mem = 512
        health = { interval = "10s" }
        upgrade = { minimum_health_capacity = 0.7, maximum_over_capacity = 0.2 }
        [[deployments]]
        at = "2min"
        app = "api"
        mem = 768
        "#,
    );
    let mut tc = with_marathon(ClusterBuilder::new().agents(4, 4.0, 8192.0), spec);
    assert!(tc.run_until(2 * MIN, |tc| app_healthy(tc) == 10));
    let mut lowest = usize::MAX;
    let mut most = 0;
    let mut during = 0u64;
    tc.step_until(15 * MIN, |tc| {
        let Some(m) = tc.scheduler::<Marathon>("marathon") else {
            return false;
        };
        let app = &m.apps[0];
        if app.version == 1 && app.deploying() {
            during += 1;
            lowest = lowest.min(app.healthy());
            most = most.max(tc.running("marathon").len());
            // ceil(10 x 0.7) = 7 healthy at every event.
            assert!(
                app.healthy() >= 7,
                "healthy {} at {}",
                app.healthy(),
                tc.now()
            );
        }
        false
    });
    assert!(
        during > 100,
        "the deployment was observed ({during} events)"
    );
    let app = &tc.scheduler::<Marathon>("marathon").unwrap().apps[0];
    assert!(!app.deploying());
    assert_eq!(app.healthy(), 10);
    assert!(app.instances.values().all(|i| i.version == 1));
    assert_eq!(lowest, 7, "it used the room it had");
    // floor(10 x 1.2) = 12 instances at most (agents' view).
    assert!(most <= 12, "{most}");
    tc.finish();
}

/// Marathon's `TaskReplaceActor` through the master, on the settings its test
/// "Downscale with rolling upgrade" and the issue name: 4 healthy instances, a new
/// version with 2 instances under minimumHealthCapacity 1 and maximumOverCapacity 0.
/// Marathon kills the 2 in excess at once (`runSpec.instances < currentInstances`),
/// allows one instance over capacity (`minHealthy == maxCapacity`), so the deployment
/// neither deadlocks nor drops below 2 healthy, and kills one old instance per new one
/// that passes its health check. New instances count only once healthy.
#[test]
fn marathon_upgrade_at_full_capacity_scales_down_old_first_and_allows_one_over() {
    let spec = marathon(
        r#"
        [[apps]]
        id = "api"
        instances = 4
        cpus = 1
        mem = 512
        health = { interval = "10s" }
        upgrade = { minimum_health_capacity = 1.0, maximum_over_capacity = 0.0 }
        [[deployments]]
        at = "2min"
        app = "api"
        mem = 768
        instances = 2
        "#,
    );
    assert!(spec.validate().is_ok(), "Marathon accepts 100 % / 0 %");
    let mut tc = with_marathon(ClusterBuilder::new().agents(4, 4.0, 8192.0), spec);
    assert!(tc.run_until(2 * MIN, |tc| app_healthy(tc) == 4));
    let mut killed_at_start = None;
    let mut most_live = 0;
    let mut lowest = usize::MAX;
    tc.step_until(10 * MIN, |tc| {
        let m = tc.scheduler::<Marathon>("marathon").unwrap();
        let app = &m.apps[0];
        if app.version == 1 && app.deploying() {
            killed_at_start.get_or_insert(m.stats.killed_by_deployment);
            let live = app.instances.values().filter(|i| !i.killing).count();
            most_live = most_live.max(live);
            // Healthy: passed the last check and not being killed; a new instance that
            // runs but has not passed yet does not count.
            lowest = lowest.min(app.healthy());
        }
        false
    });
    assert_eq!(
        killed_at_start,
        Some(2),
        "the excess old instances go first"
    );
    assert_eq!(most_live, 3, "one over the 2 wanted, never more");
    assert_eq!(lowest, 2, "never below ceil(2 x 1.0) healthy");
    let m = tc.scheduler::<Marathon>("marathon").unwrap();
    let app = &m.apps[0];
    assert!(!app.deploying(), "the deployment finished");
    assert_eq!(app.healthy(), 2);
    assert!(app.instances.values().all(|i| i.version == 1));
    assert_eq!(m.stats.killed_by_deployment, 4);
    tc.finish();
}

#[test]
fn marathon_scale_constraints_and_backoff() {
    let spec = marathon(
        r#"
        [[apps]]
        id = "a"
        instances = 4
        cpus = 0.5
        mem = 256
        constraints = [["rack", "GROUP_BY"], ["hostname", "LIKE", "big-[0-9]+"]]
        [[apps]]
        id = "b"
        instances = 2
        cpus = 0.5
        mem = 256
        constraints = [["rack", "CLUSTER", "r2"], ["hostname", "UNLIKE", "big-3"]]
        [[deployments]]
        at = "3min"
        app = "a"
        instances = 2
        "#,
    );
    let mut tc = with_marathon(
        ClusterBuilder::new().with(|s| {
            for (name, rack) in [("big", "r1"), ("huge", "r2")] {
                let mut g: schedlab::scenario::AgentGroup = toml::from_str(&format!(
                    "name = \"{name}\"\ncount = 2\ncpus = 4\nmem = 8192\nattributes = {{ rack = \"{rack}\" }}"
                ))
                .unwrap();
                g.count = 2;
                s.agents.push(g);
            }
        }),
        spec,
    );
    tc.run_for(2 * MIN);
    let m = tc.scheduler::<Marathon>("marathon").unwrap();
    let a = &m.apps[0];
    let hosts: Vec<&str> = a.instances.values().map(|i| i.hostname.as_str()).collect();
    assert_eq!(hosts.len(), 4);
    assert!(
        hosts.iter().all(|h| h.starts_with("big-")),
        "LIKE: {hosts:?}"
    );
    let b = &m.apps[1];
    assert_eq!(b.instances.len(), 2);
    assert!(
        b.instances.values().all(|i| i.attributes["rack"] == "r2"),
        "CLUSTER"
    );
    tc.run_for(3 * MIN);
    assert_eq!(
        tc.scheduler::<Marathon>("marathon").unwrap().apps[0]
            .instances
            .len(),
        2,
        "scaled down"
    );
    tc.finish();
}

/// Marathon's `RateLimiter` (`core/launchqueue/impl/RateLimiter.scala`, Marathon 1.10):
/// the first failure delays 1 s; each failure while a delay is current multiplies it by
/// 1.15 (truncated to the nanosecond), up to 300 s; a delay whose reference time is more
/// than `maxLaunchDelaySeconds` (300 s) past is dropped (`cleanUpOverdueDelays`), so the
/// next failure starts again at 1 s.
#[test]
fn marathon_backoff_follows_marathon_defaults() {
    let b = schedlab::frameworks::core::Backoff::marathon();
    let d1 = b.after_failure(None, 10 * SEC);
    assert_eq!((d1.current, d1.deadline()), (SEC, 11 * SEC));
    let d2 = b.after_failure(Some(d1), 12 * SEC);
    assert_eq!((d2.current, d2.deadline()), (1_150_000_000, 13_150_000_000));
    let d3 = b.after_failure(Some(d2), 14 * SEC);
    assert_eq!(d3.current, 1_322_500_000);
    let mut d = d3;
    for i in 0..100 {
        d = b.after_failure(Some(d), 15 * SEC + i * SEC);
    }
    assert_eq!(d.current, 300 * SEC);
    // Exactly max after the reference it still holds; a nanosecond later it is overdue.
    let held = b.after_failure(Some(d), d.reference + 300 * SEC);
    assert_eq!(held.current, 300 * SEC);
    let reset = b.after_failure(Some(d), d.reference + 300 * SEC + 1);
    assert_eq!(reset.current, SEC);
}

fn scenario_file(name: &str) -> Scenario {
    let path = format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    Scenario::load(std::path::Path::new(&path)).unwrap()
}

#[test]
fn bad_key_in_a_marathon_section_names_file_line_and_key() {
    let text = "name = \"x\"\n[[agents]]\ncount = 1\ncpus = 1\nmem = 1024\n\n[[frameworks]]\nkind = \"marathon\"\nname = \"m\"\n[[frameworks.apps]]\nid = \"a\"\ninstances = 1\ncpus = 1\nmem = 64\nbogus = 3\n";
    let e = Scenario::parse(text, "m.toml").unwrap_err();
    assert_eq!(e.key.as_deref(), Some("frameworks.0.apps.0.bogus"), "{e}");
    assert_eq!(e.line, Some(15), "{e}");
    assert!(
        e.to_string()
            .starts_with("m.toml:15: key `frameworks.0.apps.0.bogus`: unknown key `bogus`"),
        "{e}"
    );
    let bad_dur = text.replace("bogus = 3", "health = { grace = \"5 parsecs\" }");
    let e = Scenario::parse(&bad_dur, "m.toml").unwrap_err();
    assert_eq!(
        (e.key.as_deref(), e.line),
        (Some("frameworks.0.apps.0.health.grace"), Some(15)),
        "{e}"
    );
    let bad_op = text.replace("bogus = 3", "constraints = [[\"hostname\", \"UNIQ\"]]");
    let e = Scenario::parse(&bad_op, "m.toml").unwrap_err();
    assert_eq!(
        (e.key.as_deref(), e.line),
        (Some("constraints"), Some(15)),
        "{e}"
    );
    assert!(e.message.contains("UNIQ"), "{e}");
    let bad_kind = text.replace("kind = \"marathon\"", "kind = \"kubernetes\"");
    let e = Scenario::parse(&bad_kind, "m.toml").unwrap_err();
    assert_eq!(
        (e.key.as_deref(), e.line),
        (Some("frameworks.0.kind"), Some(8)),
        "{e}"
    );
}

#[test]
fn example_scenarios_validate() {
    for f in ["marathon.toml", "chronos.toml", "aurora.toml", "yarn.toml"] {
        let s = scenario_file(f);
        assert!(!s.frameworks.is_empty(), "{f}");
    }
}

// ---------------------------------------------------------------- Chronos

use schedlab::frameworks::chronos::{Chronos, ChronosSpec, RunState};
use schedlab::frameworks::iso8601::{Instant, Period, Schedule};

#[test]
fn iso8601_repeating_intervals_parse() {
    let s = Schedule::parse("R/2026-01-01T02:00:00Z/P1D").unwrap();
    assert_eq!(s.repeats, None);
    assert_eq!(
        s.period,
        Period {
            days: 1,
            ..Period::default()
        }
    );
    let epoch = Instant::parse("2026-01-01T00:00:00Z").unwrap();
    let t: Vec<Time> = s.times(epoch).take(3).collect();
    assert_eq!(t, vec![2 * 3600 * SEC, 26 * 3600 * SEC, 50 * 3600 * SEC]);
    let s = Schedule::parse("R5/2026-01-01T00:00:00Z/PT15M").unwrap();
    assert_eq!(s.repeats, Some(5));
    assert_eq!(s.times(epoch).count(), 5);
    assert_eq!(s.times(epoch).last(), Some(60 * 60 * SEC));
    // Occurrences before the epoch are skipped.
    let later = Instant::parse("2026-01-01T00:20:00Z").unwrap();
    assert_eq!(
        s.times(later).collect::<Vec<_>>(),
        vec![10 * 60 * SEC, 25 * 60 * SEC, 40 * 60 * SEC]
    );
    // Joda keeps each field: years, months, weeks and days are calendar steps.
    let p = Period::parse("P1Y2M3W4DT5H6M7.5S").unwrap();
    assert_eq!((p.years, p.months, p.weeks, p.days), (1, 2, 3, 4));
    assert_eq!(p.nanos, ((5 * 3600 + 6 * 60) * SEC + 7_500_000_000) as u128);
    // Calendar months: Jan 31 + 1 month is Feb 28.
    let m = Schedule::parse("R3/2026-01-31T00:00:00Z/P1M").unwrap();
    assert_eq!(m.nth(1).unwrap().to_string(), "2026-02-28T00:00:00Z");
    assert_eq!(m.nth(2).unwrap().to_string(), "2026-03-31T00:00:00Z");
    assert_eq!(
        Schedule::parse("R0/2026-01-01T00:00:00Z/PT1H")
            .unwrap()
            .times(epoch)
            .count(),
        0
    );
}

#[test]
fn iso8601_refuses_malformed_schedules_with_clear_errors() {
    let cases = [
        ("2026-01-01T00:00:00Z/P1D", "R[n]/<start>/<period>"),
        ("X/2026-01-01T00:00:00Z/P1D", "must be R or Rn"),
        ("R-1/2026-01-01T00:00:00Z/P1D", "repetition count"),
        ("R/2026-13-01T00:00:00Z/P1D", "month 13 does not exist"),
        ("R/2026-02-29T00:00:00Z/P1D", "day 29 does not exist"),
        ("R/2026-01-01 00:00:00Z/P1D", "YYYY-MM-DD"),
        ("R/2026-W01-1/P1D", "week dates"),
        ("R/2026-001/P1D", "ordinal dates"),
        ("R/2026-01-01T00:00:00+1:00/P1D", "the offset must be"),
        ("R//P1D", "the start is empty"),
        ("R/2026-01-01T25:00:00Z/P1D", "out of range"),
        ("R/2026-01-01T00:00:00Z/1D", "must start with `P`"),
        ("R/2026-01-01T00:00:00Z/P", "no duration"),
        ("R/2026-01-01T00:00:00Z/PT", "nothing after `T`"),
        ("R/2026-01-01T00:00:00Z/P1H", "unexpected `H`"),
        ("R/2026-01-01T00:00:00Z/PT5", "has no unit"),
        ("R/2026-01-01T00:00:00Z/PT0S", "zero period"),
        ("R/2026-01-01T00:00:00Z/P1.5D", "only seconds"),
        ("R/2026-01-01T00:00:00Z/PT1S1M", "out of order"),
    ];
    for (s, want) in cases {
        let e = Schedule::parse(s).unwrap_err();
        assert!(e.contains(want), "{s}: {e}");
    }
}

fn chronos_cluster(jobs: &str) -> TestCluster {
    let spec: ChronosSpec =
        toml::from_str(&format!("epoch = \"2026-01-01T00:00:00Z\"\n{jobs}")).unwrap();
    spec.validate().unwrap();
    ClusterBuilder::new()
        .agents(3, 4.0, 8192.0)
        .scheduler(Common::named("chronos"), move || Chronos::new(spec.clone()))
        .build()
        .unwrap()
}

const DAG: &str = r#"
[[jobs]]
name = "A"
schedule = "R/2026-01-01T02:00:00Z/P1D"
cpus = 1
mem = 512
duration = { dist = "uniform", low = "5min", high = "15min" }
fail_attempts = FAILS
retries = 2
[[jobs]]
name = "B"
parents = ["A"]
cpus = 2
mem = 1024
duration = { dist = "constant", value = "20min" }
[[jobs]]
name = "C"
parents = ["A"]
cpus = 1
mem = 1024
duration = { dist = "exponential", mean = "10min" }
[[jobs]]
name = "D"
parents = ["B", "C"]
cpus = 1
mem = 256
duration = { dist = "constant", value = "5min" }
"#;

#[test]
fn chronos_dag_runs_d_once_a_day_after_b_and_c() {
    // A fails its first attempt each day and succeeds on the retry.
    let mut tc = chronos_cluster(&DAG.replace("FAILS", "1"));
    tc.run_for(3 * 86_400 * SEC);
    let ch = tc.scheduler::<Chronos>("chronos").unwrap();
    let d = ch.runs_of("D");
    assert_eq!(d.len(), 3, "D runs once a day");
    for (day, run) in d.iter().enumerate() {
        assert_eq!(run.period as usize, day);
        assert_eq!(run.state, RunState::Succeeded);
        assert_eq!(run.attempts, 1);
        let start = run.started.unwrap();
        // Inside its day, after 02:00.
        assert!(
            start > (day as u64 * 24 + 2) * 3600 * SEC && start < (day as u64 + 1) * 86_400 * SEC
        );
        for p in ["B", "C"] {
            let pr = ch.runs_of(p)[day];
            assert_eq!(pr.state, RunState::Succeeded);
            assert!(pr.ended.unwrap() <= start, "{p} ended before D started");
        }
        let a = ch.runs_of("A")[day];
        assert_eq!(a.attempts, 2, "first attempt failed, retried once");
        assert!(a.ended.unwrap() <= ch.runs_of("B")[day].started.unwrap());
    }
    tc.finish();
}

#[test]
fn chronos_failing_parent_is_retried_and_blocks_children() {
    // Every attempt fails: 1 + 2 retries per day, and no child ever runs.
    let mut tc = chronos_cluster(&DAG.replace("FAILS", "100"));
    tc.run_for(3 * 86_400 * SEC);
    let ch = tc.scheduler::<Chronos>("chronos").unwrap();
    let a = ch.runs_of("A");
    assert_eq!(a.len(), 3);
    assert!(a
        .iter()
        .all(|r| r.state == RunState::Failed && r.attempts == 3));
    for c in ["B", "C", "D"] {
        assert!(ch.runs_of(c).is_empty(), "{c} must not run");
    }
    tc.finish();
}

#[test]
fn chronos_refuses_cycles_and_unknown_parents() {
    let spec: ChronosSpec = toml::from_str(&DAG.replace("FAILS", "0").replace(
        "parents = [\"A\"]\ncpus = 2",
        "parents = [\"A\", \"D\"]\ncpus = 2",
    ))
    .unwrap();
    let (key, msg) = spec.validate().unwrap_err();
    assert_eq!(key, "parents");
    assert!(msg.contains("cycle"), "{msg}");
    let spec: ChronosSpec = toml::from_str(
        &DAG.replace("FAILS", "0")
            .replace("[\"B\", \"C\"]", "[\"B\", \"Z\"]"),
    )
    .unwrap();
    assert!(spec
        .validate()
        .unwrap_err()
        .1
        .contains("unknown parent `Z`"));
    let text = "name = \"x\"\n[[agents]]\ncount = 1\ncpus = 1\nmem = 1024\n[[frameworks]]\nkind = \"chronos\"\nname = \"c\"\n[[frameworks.jobs]]\nname = \"A\"\nschedule = \"R/2026-01-01T02:00:00Z/P1X\"\ncpus = 1\nmem = 1\nduration = { dist = \"constant\", value = \"1s\" }\n";
    let e = Scenario::parse(text, "c.toml").unwrap_err();
    assert_eq!(
        (e.key.as_deref(), e.line),
        (Some("schedule"), Some(11)),
        "{e}"
    );
    assert!(e.message.contains("unexpected `X`"), "{e}");
}

#[test]
fn chronos_epsilon_skips_runs_that_cannot_start_in_time() {
    // A job bigger than any agent never launches: every run is missed after epsilon.
    let mut tc = chronos_cluster(
        r#"
        [[jobs]]
        name = "huge"
        schedule = "R3/2026-01-01T00:10:00Z/PT1H"
        cpus = 64
        mem = 1
        duration = { dist = "constant", value = "1min" }
        epsilon = "5min"
        "#,
    );
    tc.run_for(4 * 3600 * SEC);
    let ch = tc.scheduler::<Chronos>("chronos").unwrap();
    let runs = ch.runs_of("huge");
    assert_eq!(runs.len(), 3);
    for r in runs {
        assert_eq!(r.state, RunState::Missed);
        assert_eq!(r.ended.unwrap() - r.due, 5 * 60 * SEC + 1);
    }
    assert!(tc
        .framework::<Chronos>("chronos")
        .unwrap()
        .core
        .tasks
        .is_empty());
}

/// Chronos' schedule rules end to end, through the master (tasks launched on offers,
/// run on agents, status updates back). Upstream (mesos/chronos,
/// src/main/scala/org/apache/mesos/chronos/scheduler/jobs/): `JobUtils.skipForward`
/// and `JobScheduler.next` (a start in the past runs at the next occurrence, not at
/// once; `recurrences == 0` is finished: R2 runs exactly twice, and the schedule is
/// rewritten after each run), `JobScheduler.registerJob` (`filter(!_.disabled)`:
/// a disabled job never runs) and `processDependencies` (`if
/// (!dependentJob.disabled)`), `Iso8601Expressions.parse` (an empty start is now
/// less one second) and `convertToDateTime` (`scheduleTimeZone` keeps the wall
/// clock: 09:00 in New York is 14:00 UTC in January). Upstream JobSchedulerSpec "Run
/// the correct job" pins the disabled job as not run.
#[test]
fn chronos_schedules_follow_chronos_through_the_master() {
    let mut tc = chronos_cluster(
        r#"
        [[jobs]]
        name = "past"
        schedule = "R/2025-12-30T02:00:00Z/P1D"
        cpus = 1
        mem = 128
        duration = { dist = "constant", value = "1min" }
        [[jobs]]
        name = "twice"
        schedule = "R2/2026-01-01T01:00:00Z/PT1H"
        cpus = 1
        mem = 128
        duration = { dist = "constant", value = "1min" }
        [[jobs]]
        name = "off"
        schedule = "R/2026-01-01T00:30:00Z/PT1H"
        disabled = true
        cpus = 1
        mem = 128
        duration = { dist = "constant", value = "1min" }
        [[jobs]]
        name = "off_child"
        parents = ["twice"]
        disabled = true
        cpus = 1
        mem = 128
        duration = { dist = "constant", value = "1min" }
        [[jobs]]
        name = "child"
        parents = ["twice"]
        cpus = 1
        mem = 128
        duration = { dist = "constant", value = "1min" }
        [[jobs]]
        name = "ny"
        schedule = "R/2026-01-01T09:00:00Z/P1D"
        schedule_time_zone = "America/New_York"
        cpus = 1
        mem = 128
        duration = { dist = "constant", value = "1min" }
        [[jobs]]
        name = "now"
        schedule = "R2//PT1H"
        cpus = 1
        mem = 128
        duration = { dist = "constant", value = "1min" }
        [[jobs]]
        name = "burst"
        schedule = "R3/2026-01-01T00:10:00Z/PT0S"
        cpus = 1
        mem = 128
        duration = { dist = "constant", value = "1min" }
        "#,
    );
    tc.run_for(2 * 86_400 * SEC);
    let ch = tc.scheduler::<Chronos>("chronos").unwrap();
    let h = 3600 * SEC;
    let dues = |name: &str| -> Vec<Time> { ch.runs_of(name).iter().map(|r| r.due).collect() };
    let all_ok = |name: &str| {
        ch.runs_of(name)
            .iter()
            .all(|r| r.state == RunState::Succeeded && r.started.unwrap() >= r.due)
    };
    // Started two days before the epoch: the next 02:00, not at time 0.
    assert_eq!(dues("past"), vec![2 * h, 26 * h], "past");
    assert!(all_ok("past"));
    // R2: exactly two runs; the schedule is rewritten down to R0.
    assert_eq!(dues("twice"), vec![h, 2 * h], "twice");
    assert!(all_ok("twice"));
    assert_eq!(
        ch.schedule_now("twice").as_deref(),
        Some("R0/2026-01-01T03:00:00.000Z/PT1H")
    );
    assert_eq!(ch.runs_of("child").len(), 2, "child runs after each");
    // Disabled: never runs, scheduled or dependent.
    assert!(ch.runs_of("off").is_empty(), "off");
    assert!(ch.runs_of("off_child").is_empty(), "off_child");
    // 09:00 New York (EST) is 14:00 UTC.
    assert_eq!(dues("ny"), vec![14 * h, 38 * h], "ny");
    assert!(all_ok("ny"));
    // An empty start is the registration instant less 1 s (the framework registered
    // within the first second, so that is just before the epoch): the first run is
    // launched at once, the second an hour after that start.
    let now = ch.runs_of("now");
    assert_eq!(now.len(), 2, "now");
    let registered = now[1].due + SEC - h;
    assert!(registered > 0 && registered < SEC, "{registered}");
    assert!(now[0].started.unwrap() < 2 * SEC, "at once");
    assert!(now.iter().all(|r| r.state == RunState::Succeeded));
    // A zero period with R3: three runs at once.
    assert_eq!(dues("burst"), vec![10 * 60 * SEC; 3], "burst");
    assert!(all_ok("burst"));
    tc.finish();
}

#[test]
fn chronos_refuses_schedules_chronos_cannot_run() {
    let job = |extra: &str| {
        format!(
            "[[jobs]]\nname = \"j\"\n{extra}\ncpus = 1\nmem = 1\nduration = {{ dist = \"constant\", value = \"1s\" }}\n"
        )
    };
    let cases = [
        (
            "schedule = \"R/2026-01-01T00:00:00Z/PT0S\"",
            "schedule",
            "zero period",
        ),
        (
            "schedule = \"R/2025-01-01T00:00:00Z/P1Y\"",
            "schedule",
            "toStandardSeconds",
        ),
        (
            "schedule = \"R/2026-01-01T00:00:00Z/P1D\"\nschedule_time_zone = \"Europe/Pariss\"",
            "schedule_time_zone",
            "unknown time zone `Europe/Pariss`",
        ),
        ("schedule = \"R/2026-13-01/P1D\"", "schedule", "month 13"),
    ];
    for (extra, key, want) in cases {
        let spec: ChronosSpec =
            toml::from_str(&format!("epoch = \"2026-01-01T00:00:00Z\"\n{}", job(extra))).unwrap();
        let (k, m) = spec.validate().unwrap_err();
        assert_eq!(k, key, "{extra}");
        assert!(m.contains("job `j`") && m.contains(want), "{extra}: {m}");
    }
}

// ---------------------------------------------------------------- Aurora

use schedlab::frameworks::aurora::{may_preempt, Aurora, AuroraJob, AuroraSpec};

fn aurora_cluster(agents: u32, spec: &str) -> TestCluster {
    let spec: AuroraSpec = toml::from_str(spec).unwrap();
    spec.validate().unwrap();
    ClusterBuilder::new()
        .agents(agents, 4.0, 8192.0)
        .scheduler(Common::named("aurora"), move || Aurora::new(spec.clone()))
        .build()
        .unwrap()
}

fn aurora(tc: &TestCluster) -> &Aurora {
    tc.scheduler::<Aurora>("aurora").unwrap()
}

#[test]
fn aurora_keeps_100_service_instances_through_agent_failures() {
    let mut tc = aurora_cluster(
        30,
        r#"
        [[jobs]]
        name = "web"
        instances = 100
        cpus = 1
        mem = 1024
        tier = "production"
        "#,
    );
    assert!(tc.run_until(MIN, |tc| tc.running("aurora").len() == 100));
    let hosts = tc.per_host("aurora");
    let victims: Vec<String> = hosts.keys().take(3).cloned().collect();
    let lost: usize = victims.iter().map(|v| hosts[v]).sum();
    assert!(lost >= 3);
    for v in &victims {
        tc.kill_agent(v);
    }
    tc.run_for(30 * SEC);
    assert_eq!(tc.running("aurora").len(), 100 - lost);
    assert!(tc.run_until(3 * MIN, |tc| tc.running("aurora").len() == 100));
    tc.run_for(5 * MIN);
    assert_eq!(tc.running("aurora").len(), 100);
    assert_eq!(aurora(&tc).job("web").unwrap().running(), 100);
    assert_eq!(aurora(&tc).stats.tasks_lost as usize, lost);
    assert!(victims
        .iter()
        .all(|v| !tc.per_host("aurora").contains_key(v)));
    tc.finish();
}

const FILL: &str = r#"
preemption_delay = "30s"
[[jobs]]
name = "first"
role = "ROLE1"
instances = 40
cpus = 1
mem = 1024
tier = "TIER1"
[[jobs]]
name = "second"
role = "ROLE2"
instances = 10
cpus = 1
mem = 1024
tier = "TIER2"
submit = "2min"
"#;

#[test]
fn aurora_production_preempts_non_production_when_full() {
    let spec = FILL
        .replace("ROLE1", "analytics")
        .replace("ROLE2", "web")
        .replace("TIER1", "preemptible")
        .replace("TIER2", "production");
    let mut tc = aurora_cluster(10, &spec);
    assert!(tc.run_until(MIN, |tc| tc.running("aurora").len() == 40));
    assert!(
        tc.run_until(5 * MIN, |tc| aurora(tc).job("second").unwrap().running()
            == 10)
    );
    tc.run_for(5 * MIN);
    let a = aurora(&tc);
    assert_eq!(a.job("second").unwrap().running(), 10);
    assert_eq!(
        a.job("first").unwrap().running(),
        30,
        "the preempted wait: the cluster is full"
    );
    assert_eq!(a.stats.preemptions, 10);
    assert!(a
        .preempted
        .iter()
        .all(|&(victim, by)| victim == 0 && by == 1));
    tc.finish();
}

#[test]
fn aurora_non_production_never_preempts_production() {
    let spec = FILL
        .replace("ROLE1", "web")
        .replace("ROLE2", "web")
        .replace("TIER1", "production")
        .replace("TIER2", "preemptible")
        .replace("instances = 10", "instances = 10\npriority = 100");
    let mut tc = aurora_cluster(10, &spec);
    tc.run_for(15 * MIN);
    let a = aurora(&tc);
    assert_eq!(a.job("first").unwrap().running(), 40);
    assert_eq!(a.job("second").unwrap().running(), 0);
    assert_eq!(a.stats.preemptions, 0);
    assert_eq!(
        tc.framework::<Aurora>("aurora").unwrap().core.tasks.len(),
        40
    );
    tc.finish();
}

/// Victim choice through the master (issue 26 point 6), as Aurora's
/// `PreemptionVictimFilter.filterPreemptionVictims`
/// (`src/main/java/org/apache/aurora/scheduler/preemptor/PreemptionVictimFilter.java`;
/// pinned by `PreemptionVictimFilterTest.testMinimalSetPreempted` and
/// `testPreemptWithOfferAndTask`): one agent (4 CPUs) runs three preemptible tasks of
/// one CPU, `a` (1 GiB), `b` (2 GiB) and `c` (512 MiB), declared in that order; one CPU
/// is free and offered. A production task of 2 CPUs waits past `preemption_delay`:
/// the victims are sorted largest first (CPU ties, so RAM decides: `b`), and `b` plus
/// the free CPU of the offer hold it, so `b` alone is killed. The old choice (cheapest
/// first in declaration order, no slack) killed `a` and `b`.
#[test]
fn aurora_preempts_the_largest_victim_and_counts_the_offer_slack() {
    let mut tc = aurora_cluster(
        1,
        r#"
        preemption_delay = "30s"
        [[jobs]]
        name = "a"
        role = "batch"
        instances = 1
        cpus = 1
        mem = 1024
        [[jobs]]
        name = "b"
        role = "batch"
        instances = 1
        cpus = 1
        mem = 2048
        [[jobs]]
        name = "c"
        role = "batch"
        instances = 1
        cpus = 1
        mem = 512
        [[jobs]]
        name = "prod"
        role = "web"
        tier = "production"
        instances = 1
        cpus = 2
        mem = 1024
        submit = "1min"
        "#,
    );
    assert!(tc.run_until(MIN, |tc| tc.running("aurora").len() == 3));
    assert!(tc.run_until(5 * MIN, |tc| aurora(tc).job("prod").unwrap().running() == 1));
    tc.run_for(5 * MIN);
    let a = aurora(&tc);
    assert_eq!(
        a.stats.preemptions, 1,
        "one victim is enough with the slack"
    );
    assert_eq!(a.preempted, vec![(1, 3)], "b (largest) preempted by prod");
    assert_eq!(a.job("prod").unwrap().running(), 1);
    assert_eq!(a.job("a").unwrap().running(), 1);
    assert_eq!(a.job("c").unwrap().running(), 1);
    assert_eq!(
        a.job("b").unwrap().running(),
        0,
        "b waits: nothing it may preempt"
    );
    tc.finish();
}

#[test]
fn aurora_preemption_rules() {
    let job = |tier: &str, role: &str, prio: i32| -> AuroraJob {
        toml::from_str(&format!(
            "name = \"j\"\ninstances = 1\ncpus = 1\nmem = 1\ntier = \"{tier}\"\nrole = \"{role}\"\npriority = {prio}"
        ))
        .unwrap()
    };
    let prod = |r, p| job("production", r, p);
    let np = |r, p| job("preemptible", r, p);
    assert!(
        may_preempt(&prod("a", 0), &np("b", 9)),
        "production over any non-production"
    );
    assert!(
        !may_preempt(&np("a", 9), &prod("a", 0)),
        "never the other way round"
    );
    assert!(
        may_preempt(&prod("a", 2), &prod("a", 1)),
        "same role, higher priority"
    );
    assert!(
        !may_preempt(&prod("a", 2), &prod("b", 1)),
        "not across roles"
    );
    assert!(
        !may_preempt(&prod("a", 1), &prod("a", 1)),
        "not equal priority"
    );
    assert!(may_preempt(&np("a", 2), &np("a", 1)));
    assert!(!may_preempt(&np("a", 2), &np("b", 1)));
}

#[test]
fn aurora_update_rolls_forward_in_batches_and_back_on_failure() {
    let mut tc = aurora_cluster(
        4,
        r#"
        [[jobs]]
        name = "good"
        instances = 6
        cpus = 1
        mem = 512
        [[jobs]]
        name = "bad"
        instances = 6
        cpus = 1
        mem = 512
        [[updates]]
        at = "1min"
        job = "good"
        mem = 600
        batch_size = 2
        watch = "30s"
        [[updates]]
        at = "1min"
        job = "bad"
        failure_rate = 1.0
        batch_size = 2
        "#,
    );
    tc.run_for(15 * MIN);
    let a = aurora(&tc);
    let good = a.job("good").unwrap();
    assert_eq!(good.update_results, vec!["rolled_forward"]);
    assert!(good.instances.iter().all(|i| i.version == 1));
    assert_eq!(good.running(), 6);
    let bad = a.job("bad").unwrap();
    assert_eq!(bad.update_results, vec!["rolled_back"]);
    assert!(bad.instances.iter().all(|i| i.version == 0));
    assert_eq!(bad.running(), 6);
    tc.finish();
}

/// The update's steps of one direction as groups: the instances started at one time,
/// in the order started, with when each group started and when its last instance
/// succeeded.
fn update_groups(a: &Aurora, job: &str, forward: bool) -> Vec<(Time, Vec<u32>, Time)> {
    let log = &a.job(job).unwrap().update_log;
    let mut groups: Vec<(Time, Vec<u32>, Time)> = Vec::new();
    for s in log
        .iter()
        .filter(|s| s.forward == forward && s.event == "start")
    {
        match groups.last_mut() {
            Some(g) if g.0 == s.at => g.1.push(s.instance),
            _ => groups.push((s.at, vec![s.instance], 0)),
        }
    }
    for g in &mut groups {
        g.2 =
            g.1.iter()
                .map(|&i| {
                    log.iter()
                        .find(|s| s.forward == forward && s.instance == i && s.event == "succeeded")
                        .map_or(Time::MAX, |s| s.at)
                })
                .max()
                .unwrap();
    }
    groups
}

fn aurora_update_cluster(update: &str) -> TestCluster {
    aurora_cluster(
        4,
        &format!(
            r#"
            [[jobs]]
            name = "svc"
            instances = 6
            cpus = 1
            mem = 512
            [[updates]]
            at = "1min"
            job = "svc"
            mem = 600
            watch = "30s"
            {update}
            "#
        ),
    )
}

/// Fixed batches wait for the whole batch (`BatchStrategy`: a group only when nothing is
/// active; `src/main/java/org/apache/aurora/scheduler/updater/strategy/BatchStrategy.java`,
/// pinned by `BatchStrategyTest.testWaitForBatchCompletion`), and variable batches take
/// the listed sizes in order, the last repeating (`VariableBatchStrategy.java`,
/// `VariableBatchStrategyTest.testIncreasingGroupSizes` and
/// `testMoreInstancesThanSumOfGroupSizes`), through the master: each group starts at
/// the moment the previous one's last instance has run `watch` (`watch_secs`).
#[test]
fn aurora_update_batches_wait_for_the_whole_batch() {
    for (keys, want) in [
        ("batch_size = 2", vec![vec![0, 1], vec![2, 3], vec![4, 5]]),
        (
            "strategy = \"variable_batch\"\nbatch_sizes = [1, 2]",
            vec![vec![0], vec![1, 2], vec![3, 4], vec![5]],
        ),
        (
            "strategy = \"variable_batch\"\nbatch_sizes = [3, 1]",
            vec![vec![0, 1, 2], vec![3], vec![4], vec![5]],
        ),
    ] {
        let mut tc = aurora_update_cluster(keys);
        tc.run_for(15 * MIN);
        let a = aurora(&tc);
        let svc = a.job("svc").unwrap();
        assert_eq!(svc.update_results, vec!["rolled_forward"], "{keys}");
        assert!(svc.instances.iter().all(|i| i.version == 1), "{keys}");
        assert_eq!(svc.running(), 6, "{keys}");
        let groups = update_groups(a, "svc", true);
        let got: Vec<Vec<u32>> = groups.iter().map(|g| g.1.clone()).collect();
        assert_eq!(got, want, "{keys}");
        for w in groups.windows(2) {
            assert_eq!(
                w[1].0, w[0].2,
                "{keys}: a group starts when the previous one's last instance has run watch"
            );
        }
        for g in &groups {
            assert!(g.2 >= g.0 + 30 * SEC, "{keys}: each instance watched 30 s");
        }
        tc.finish();
    }
}

/// A crashing release rolled back, with `batch_size` 2 under both fixed strategies. The
/// forward update starts [0, 1], they fail, and the rollback goes over every instance in
/// descending order (`UpdateFactory`'s reversed `updateOrder`): [4, 3] need nothing and
/// [2, 1] is picked at once (`OneWayJobUpdater.startNextInstanceGroup` goes on while
/// a group needed no action), 2 needs nothing, 1 is replaced. Then the strategies
/// differ: the queue (`QueueStrategy.java`, `QueueStrategyTest.testFillsQueue`) refills
/// the free slot with 0 while 1 is still being rolled back; the batch
/// (`BatchStrategyTest.testWaitForBatchCompletion`) starts 0 only once 1 has run
/// `watch`.
#[test]
fn aurora_update_queue_refills_at_once_batch_waits_and_rollback_is_reversed() {
    for strategy in ["queue", "batch"] {
        let mut tc = aurora_cluster(
            4,
            &format!(
                r#"
                [[jobs]]
                name = "svc"
                instances = 5
                cpus = 1
                mem = 512
                [[updates]]
                at = "1min"
                job = "svc"
                failure_rate = 1.0
                strategy = "{strategy}"
                batch_size = 2
                watch = "30s"
                "#
            ),
        );
        tc.run_for(15 * MIN);
        let a = aurora(&tc);
        let svc = a.job("svc").unwrap();
        assert_eq!(svc.update_results, vec!["rolled_back"], "{strategy}");
        assert!(svc.instances.iter().all(|i| i.version == 0), "{strategy}");
        assert_eq!(svc.running(), 5, "{strategy}");
        let forward: Vec<Vec<u32>> = update_groups(a, "svc", true)
            .into_iter()
            .map(|g| g.1)
            .collect();
        assert_eq!(forward, vec![vec![0, 1]], "{strategy}");
        let back: Vec<u32> = svc
            .update_log
            .iter()
            .filter(|s| !s.forward && s.event == "start")
            .map(|s| s.instance)
            .collect();
        assert_eq!(back, vec![4, 3, 2, 1, 0], "{strategy}: rollback in reverse");
        let at = |i: u32, event: &str| {
            svc.update_log
                .iter()
                .find(|s| !s.forward && s.instance == i && s.event == event)
                .unwrap()
                .at
        };
        assert_eq!(
            at(4, "start"),
            at(1, "start"),
            "{strategy}: no-op groups pass at once"
        );
        if strategy == "queue" {
            assert!(
                at(0, "start") < at(1, "succeeded"),
                "queue: 0 fills the slot while 1 is rolled back"
            );
        } else {
            assert_eq!(
                at(0, "start"),
                at(1, "succeeded"),
                "batch: 0 waits for the whole batch"
            );
        }
        tc.finish();
    }
}

#[test]
fn aurora_cron_job_runs_each_occurrence() {
    let mut tc = aurora_cluster(
        2,
        r#"
        [[jobs]]
        name = "nightly"
        type = "batch"
        instances = 3
        cpus = 1
        mem = 256
        duration = { dist = "constant", value = "10min" }
        cron = "R3/2026-01-01T01:00:00Z/PT1H"
        "#,
    );
    tc.run_for(5 * 3600 * SEC);
    let a = aurora(&tc);
    assert_eq!(a.stats.cron_runs, 3);
    assert_eq!(a.stats.tasks_finished, 9);
    tc.finish();
}

// ---------------------------------------------------------------- YARN (Myriad-style)

use schedlab::frameworks::yarn::{Yarn, YarnSpec};

fn yarn_spec(extra: &str) -> YarnSpec {
    toml::from_str(&format!(
        r#"
        nm_cpus = 4
        nm_mem = 8192
        max_nms = 8
        flex_down_idle = "1min"
        {extra}
        [workload]
        kind = "jobs"
        jobs = [
            {{ at = "1min", tasks = 12, cpus = 1, mem = 1024, duration = "3min" }},
            {{ at = "1min", tasks = 12, cpus = 1, mem = 1024, duration = "4min" }},
            {{ at = "2min", tasks = 8, cpus = 2, mem = 2048, duration = "2min" }},
        ]
        "#
    ))
    .unwrap()
}

#[test]
fn yarn_burst_flexes_nodemanagers_up_and_back_down() {
    let spec = yarn_spec("");
    spec.validate().unwrap();
    let mut tc = ClusterBuilder::new()
        .agents(10, 8.0, 16384.0)
        .scheduler(Common::named("yarn"), move || Yarn::new(spec.clone(), 7))
        .build()
        .unwrap();
    tc.run_for(50 * SEC);
    assert_eq!(
        tc.running("yarn").len(),
        0,
        "no NodeManager before work arrives"
    );
    let mut peak = 0;
    tc.step_until(20 * MIN, |tc| {
        peak = peak.max(tc.running("yarn").len());
        false
    });
    let y = tc.scheduler::<Yarn>("yarn").unwrap();
    assert_eq!(y.stats.apps_completed, 3);
    assert_eq!(y.stats.tasks_finished, 32);
    // 24 + 16 CPUs of containers at once: all 8 NodeManagers (one per host).
    assert_eq!(peak, 8, "flexed up");
    let hosts = tc.per_host("yarn");
    assert!(hosts.values().all(|&n| n <= 1));
    assert_eq!(tc.running("yarn").len(), 0, "flexed back down when idle");
    assert_eq!(y.stats.flex_downs, y.stats.flex_ups);
    assert_eq!(y.queued(), 0);
    tc.finish();
}

#[test]
fn yarn_and_marathon_share_the_cluster_under_drf() {
    let yarn = {
        let mut s = yarn_spec("one_per_host = false");
        s.nm_cpus = schedlab::scenario::NonNeg(2.0);
        s.nm_mem = schedlab::scenario::NonNeg(2048.0);
        s.max_nms = 64;
        s.workload =
            toml::from_str("kind = \"greedy\"\ncpus = 1\nmem = 1024\nduration = \"1h\"").unwrap();
        s
    };
    let app = marathon(
        r#"
        [[apps]]
        id = "svc"
        instances = 64
        cpus = 1
        mem = 1024
        "#,
    );
    let mut tc = ClusterBuilder::new()
        .agents(8, 8.0, 16384.0)
        .scheduler(Common::named("yarn"), move || Yarn::new(yarn.clone(), 7))
        .scheduler(Common::named("marathon"), move || {
            Marathon::new(app.clone())
        })
        .build()
        .unwrap();
    tc.run_for(5 * MIN);
    let m = tc.cluster.master();
    let shares = m.allocator().shares();
    assert_eq!(shares.len(), 2);
    let share = |name: &str| {
        shares
            .iter()
            .find(|(fw, _)| m.frameworks()[*fw as usize].name == name)
            .unwrap()
            .1
    };
    let (a, b) = (share("yarn"), share("marathon"));
    // 64 CPUs, both wanting all of them: DRF gives each about half (an agent is 1/8).
    assert!(
        (a - 0.5).abs() <= 0.125 && (b - 0.5).abs() <= 0.125,
        "shares {shares:?}"
    );
    assert!(a + b > 0.95, "the cluster is used: {shares:?}");
    let y = tc.scheduler::<Yarn>("yarn").unwrap();
    // YARN's NodeManagers (2 CPUs each) are full of containers (1 CPU each), and
    // hold about half the cluster; the allocator's share also counts open offers.
    assert_eq!(
        y.stats.containers_started,
        2 * y.active_nms() as u64,
        "{:?}",
        y.stats
    );
    let nm_share = y.active_nms() as f64 * 2.0 / 64.0;
    assert!((nm_share - 0.5).abs() <= 0.125, "{nm_share}");
    eprintln!("DRF shares: yarn {a:.3}, marathon {b:.3}");
    tc.finish();
}

/// Oversubscription through the master (issue 26 point 7; Mesos
/// `docs/oversubscription.md`, Aurora's revocable tier): one agent of 8 CPUs whose
/// regular tasks use half of their allocation. Four production tasks of one CPU run
/// for 3 min; at the estimator's next poll (15 s, `--oversubscribed_resources_interval`)
/// the agent reports 2 idle CPUs as revocable, the master offers them to Aurora (which
/// has REVOCABLE_RESOURCES), and the two instances of the revocable job run on them
/// (revocable CPUs, regular memory). When the first production task ends, the idle
/// allocation (1.5 CPUs) no longer holds the revocable tasks: the QoS controller kills
/// every one of them (REASON_CONTAINER_PREEMPTED, as Mesos' `load` controller kills all
/// revocable executors), and none runs again while nothing is idle.
#[test]
fn aurora_runs_revocable_tasks_on_idle_cpus_until_the_allocation_is_needed() {
    use schedlab::mesos::agent::Agent;
    use schedlab::mesos::oversubscription::Oversubscription;
    let spec: AuroraSpec = toml::from_str(
        r#"
        [[jobs]]
        name = "web"
        tier = "production"
        type = "batch"
        instances = 4
        cpus = 1
        mem = 1024
        duration = { dist = "constant", value = "3min" }
        [[jobs]]
        name = "spare"
        tier = "revocable"
        instances = 2
        cpus = 1
        mem = 512
        "#,
    )
    .unwrap();
    let common = Common {
        revocable_resources: true,
        ..Common::named("aurora")
    };
    let mut tc = ClusterBuilder::new()
        .agents(1, 8.0, 16384.0)
        .with(|scn| {
            scn.agents[0].oversubscription = Some(Oversubscription {
                usage: 0.5,
                offer: 1.0,
                interval: 15 * SEC,
            })
        })
        .scheduler(common, move || Aurora::new(spec.clone()))
        .build()
        .unwrap();
    let agent = |tc: &TestCluster| -> (u64, u64, u64) {
        let a = tc.cluster.sim.actor::<Agent>(tc.cluster.agents[0]).unwrap();
        (a.used.cpus, a.used.revocable_cpus, a.qos_kills)
    };
    let spare = |tc: &TestCluster| {
        let a = tc.scheduler::<Aurora>("aurora");
        a.map_or(0, |a| a.job("spare").unwrap().running())
    };
    assert!(tc.run_until(MIN, |tc| spare(tc) == 2));
    assert!(
        tc.now() >= 15 * SEC,
        "not before the estimator's first poll"
    );
    assert_eq!(agent(&tc), (4000, 2000, 0), "4 regular CPUs, 2 revocable");
    // The first production task to end leaves 1.5 idle CPUs under 2 revocable ones in
    // use: both revocable tasks are killed at that instant.
    assert!(tc.run_until(4 * MIN, |tc| agent(tc).2 > 0));
    assert!(tc.now() >= 3 * MIN);
    assert_eq!(agent(&tc), (3000, 0, 2));
    tc.run_for(5 * MIN);
    assert_eq!(aurora(&tc).job("web").unwrap().running(), 0);
    assert_eq!(aurora(&tc).job("spare").unwrap().running(), 0);
    // After the first kill the agent reports 1.5 idle CPUs: one revocable task comes
    // back, and is killed when the third production task ends (0.5 idle). Then
    // nothing is idle, nothing is revocable, and no task flaps on a stale estimate.
    assert_eq!(agent(&tc), (0, 0, 3), "nothing idle: nothing revocable");
    tc.finish();
}

/// The README's oversubscription headline: `scenarios/oversubscription.toml` (seed 1),
/// every invariant checked after every event (revocable tasks never run beyond their
/// agent's idle allocation once an event is handled): the revocable backlog runs, and
/// the end of the 20-minute production batch makes the QoS controllers kill 23
/// revocable tasks, reported LOST (`container_preempted`), none of another tier.
#[test]
fn the_oversubscription_scenario_kills_revocable_tasks_when_the_batch_ends() {
    use schedlab::mesos::agent::Agent;
    let scn = scenario_file("oversubscription.toml");
    let mut tc = ClusterBuilder::from_scenario(scn.clone()).build().unwrap();
    tc.run_for(20 * MIN);
    let kills = |tc: &TestCluster| -> u64 {
        (tc.cluster.agents.iter())
            .map(|&a| tc.cluster.sim.actor::<Agent>(a).unwrap().qos_kills)
            .sum()
    };
    assert_eq!(kills(&tc), 0, "nothing killed while the batch runs");
    tc.run_for(40 * MIN);
    assert_eq!(kills(&tc), 23);
    tc.finish();
    let out = schedlab::run::execute(&scn, &schedlab::run::RunOptions::default()).unwrap();
    assert_eq!(out.tasks.lost, 23, "{:?}", out.tasks);
}

/// Marathon resets an app's launch back-off when a new version rolls out
/// (`TaskReplaceActor`: "Resetting the backoff delay before restarting the runSpec";
/// `docs/docs/backoff.md`: "when new version of an application is deployed"), not when
/// it is only scaled (the delay is keyed by the config version, and the scaling path
/// never calls `resetDelay`). A crash-looping app keeps its delay through a scale at
/// 30 s and loses it at the restart at 60 s.
#[test]
fn marathon_keeps_the_launch_delay_through_a_scale_and_resets_it_on_a_new_version() {
    let spec = marathon(
        r#"
        [[apps]]
        id = "crashy"
        instances = 2
        cpus = 0.5
        mem = 256
        crash_mean = "3s"
        [[deployments]]
        at = "30s"
        app = "crashy"
        instances = 3
        [[deployments]]
        at = "60s"
        app = "crashy"
        restart = true
        "#,
    );
    let mut tc = with_marathon(ClusterBuilder::new().agents(2, 4.0, 8192.0), spec);
    let launch_at =
        |tc: &TestCluster| tc.scheduler::<Marathon>("marathon").unwrap().apps[0].launch_at();
    tc.run_for(30 * SEC - 1);
    let before = launch_at(&tc);
    assert!(before > 0, "crash-looping: delayed");
    tc.run_for(2);
    assert_eq!(launch_at(&tc), before, "the scale keeps the delay");
    tc.run_for(30 * SEC - 2);
    assert!(launch_at(&tc) > 0);
    tc.run_for(2);
    assert_eq!(launch_at(&tc), 0, "the new version resets it");
    tc.finish();
}

/// Marathon's health checks never kill an unreachable instance (issue 26 point 5;
/// `HealthCheckActor` checks running instances only and "performs no kill" on an
/// unreachable one). Every instance turns unhealthy about a second after it runs, and
/// checks every 60 s with no grace kill reachable instances at the third failure
/// (about 180 s); one agent crashes as soon as all run, and its instances, unreachable
/// from 75 s later, are not killed, whatever their checks would say, until they become
/// inactive after 300 s and are replaced.
#[test]
fn marathon_never_kills_an_unreachable_instance_for_failed_health_checks() {
    let spec = marathon(
        r#"
        [[apps]]
        id = "web"
        instances = 6
        cpus = 1
        mem = 512
        unhealthy_mean = "1s"
        health = { grace = "0s", interval = "60s", max_consecutive_failures = 3 }
        "#,
    );
    let mut tc = with_marathon(ClusterBuilder::new().agents(4, 4.0, 8192.0), spec);
    assert!(tc.run_until(MIN, |tc| tc.running("marathon").len() == 6));
    let host = tc.per_host("marathon").keys().next().unwrap().clone();
    tc.kill_agent(&host);
    // Instances seen unreachable and not (yet) being killed: none of them may be
    // killed while it stays unreachable. (One killed for its checks before the crash
    // stays a kill in flight; that is not a kill of an unreachable instance.)
    let mut spared = std::collections::BTreeSet::new();
    let limit = tc.now() + 6 * MIN;
    tc.step_until(limit, |tc| {
        let m = tc.scheduler::<Marathon>("marathon").unwrap();
        for (id, i) in &m.apps[0].instances {
            match (i.unreachable_since.is_some(), i.killing) {
                (true, false) => {
                    spared.insert(*id);
                }
                (true, true) => assert!(
                    !spared.contains(id),
                    "an unreachable instance was killed: {i:?}"
                ),
                _ => {}
            }
        }
        false
    });
    assert!(
        !spared.is_empty(),
        "the crashed agent's instances became unreachable"
    );
    let m = tc.scheduler::<Marathon>("marathon").unwrap();
    assert!(
        m.stats.killed_unhealthy > 0,
        "checks kill reachable instances meanwhile: {}",
        m.stats.killed_unhealthy
    );
    tc.finish();
}
