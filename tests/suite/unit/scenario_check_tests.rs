//! The whole-scenario checks of `checks.rs` (issue 25 point 4): one case each, with the
//! file, line and key of the error, and the same refusal from `Cluster::build` for a
//! scenario built in code (one code path for `validate` and `run`).

use schedlab::scenario::*;

/// Lines 1-10: two agents of 4 CPUs and 8 GiB, one framework with one job of two tasks.
const BASE: &str = "name = \"x\"
[[agents]]
count = 2
cpus = 4
mem = 8192
[[frameworks]]
name = \"f\"
[frameworks.workload]
kind = \"jobs\"
jobs = [{ at = \"0s\", tasks = 2, cpus = 1, mem = 512, duration = \"10s\" }]
";

/// `BASE` with `from` replaced by `to`, then `extra` from line 11.
fn with(from: &str, to: &str, extra: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replacen(from, to, 1) + extra
}

fn err(text: &str) -> String {
    Scenario::parse(text, "s.toml").unwrap_err().to_string()
}

/// `text` parsed with its checks skipped (as a scenario built in code would be), then
/// built: the error `run` gives.
fn build_err(text: &str) -> String {
    let scn: Scenario = parse_toml(text, "s.toml").unwrap();
    match schedlab::run::Cluster::build(&scn, 1, Default::default()) {
        Ok(_) => panic!("built"),
        Err(e) => e,
    }
}

#[test]
fn the_base_scenario_passes() {
    Scenario::parse(BASE, "s.toml").unwrap();
}

#[test]
fn too_many_agents_are_refused_unless_the_limit_is_raised() {
    let text = with("count = 2", "count = 10000000", "");
    assert_eq!(
        err(&text),
        "s.toml:2: key `agents`: the number of agents is 10000000, above the bound of \
         1000000 (raise it with `limits.agents` if a study needs more)"
    );
    // Counted over every group.
    let two = with(
        "count = 2",
        "count = 600000",
        "[[agents]]\nname = \"b\"\ncount = 600000\ncpus = 1\nmem = 1\n",
    );
    assert!(err(&two).contains("the number of agents is 1200000"));
    let raised = format!("{two}[limits]\nagents = 2000000\n");
    assert_eq!(
        Scenario::parse(&raised, "s.toml").unwrap().limits.agents,
        2_000_000
    );
}

#[test]
fn huge_agent_resources_are_refused_not_a_panic() {
    assert_eq!(
        err(&with("mem = 8192", "mem = 1e300", "")),
        "s.toml:5: key `agents.0.mem`: mem = 1e300 is above the largest agent schedlab \
         models (mem <= 1073741824)"
    );
    assert!(err(&with("cpus = 4", "cpus = 1e9", "")).starts_with("s.toml:4: key `agents.0.cpus`"));
}

#[test]
fn tasks_per_job_are_bounded() {
    assert_eq!(
        err(&with("tasks = 2", "tasks = 4000000000", "")),
        "s.toml:10: key `frameworks.0.workload.jobs.0.tasks`: tasks in one job is \
         4000000000, above the bound of 1000000 (raise it with `limits.tasks_per_job` if \
         a study needs more)"
    );
    let synthetic = "name = \"x\"\n[[agents]]\ncount = 1\ncpus = 4\nmem = 1024\n\
        [[frameworks]]\nname = \"a\"\n[frameworks.workload]\nkind = \"synthetic\"\njobs = 1\n\
        interarrival = \"1s\"\ntasks_min = 1\ntasks_max = 4000000000\ncpus = 1\nmem = 1\n\
        duration_mean = \"1s\"\nduration_std = \"1s\"\n";
    assert!(err(synthetic)
        .starts_with("s.toml:13: key `frameworks.0.workload.tasks_max`: tasks in one job"));
}

#[test]
fn sample_and_allocation_periods_have_a_minimum() {
    assert_eq!(
        err(&with("", "", "[run]\nsample_interval = \"1ns\"\n")),
        "s.toml:12: key `run.sample_interval`: 1ns is below the shortest period of 1ms \
         (lower it with `limits.min_interval` if a study needs to)"
    );
    assert!(
        err(&with("", "", "[masters]\nallocation_interval = \"1us\"\n"))
            .starts_with("s.toml:12: key `masters.allocation_interval`: 1us is below")
    );
}

#[test]
fn timeseries_rows_are_bounded() {
    let text = with(
        "",
        "",
        "[run]\nstop = \"1000h\"\nsample_interval = \"1ms\"\n",
    );
    assert_eq!(
        err(&text),
        "s.toml:13: key `run.sample_interval`: the number of timeseries rows (run.stop / \
         run.sample_interval) is 3600000000, above the bound of 10000000 (raise it with \
         `limits.samples` if a study needs more)"
    );
}

#[test]
fn duplicate_agent_group_names_are_named_at_the_second_group() {
    let text = with("", "", "[[agents]]\ncount = 1\ncpus = 1\nmem = 1\n");
    assert_eq!(
        err(&text),
        "s.toml:11: key `agents.1.name`: agent groups 0 and 1 are both named `agent`; \
         give each its own name"
    );
    assert!(build_err(&text).contains("both named `agent`"));
}

#[test]
fn a_framework_named_like_an_actor_is_refused() {
    assert!(err(&with("name = \"f\"", "name = \"agent-1\"", ""))
        .starts_with("s.toml:7: key `frameworks.0.name`: framework name `agent-1` is already"));
    assert!(err(&with("name = \"f\"", "name = \"master\"", "")).contains("already an actor name"));
    // Past the group's last agent: no clash.
    Scenario::parse(&with("name = \"f\"", "name = \"agent-2\"", ""), "s.toml").unwrap();
}

#[test]
fn unknown_fault_targets_are_named_with_their_line() {
    let fault = |t: &str| {
        with(
            "",
            "",
            &format!("[[faults]]\nkind = \"crash\"\nat = \"1s\"\ntarget = [{t}]\n"),
        )
    };
    assert_eq!(
        err(&fault("\"nosuch\"")),
        "s.toml:14: key `faults.0.target`: fault target `nosuch` matches no actor or group"
    );
    assert!(build_err(&fault("\"nosuch\"")).contains("`nosuch` matches no actor"));
    // Resolved as the engine does: names, groups and prefixes.
    for ok in [
        "\"agent-1\"",
        "\"agent*\"",
        "\"agent-1*\"",
        "\"agents\"",
        "\"f\"",
        "\"master\"",
    ] {
        Scenario::parse(&fault(ok), "s.toml").unwrap();
    }
    for bad in [
        "\"agent-2\"",
        "\"agent-01\"",
        "\"agent-2*\"",
        "\"coord\"",
        "\"x*\"",
    ] {
        assert!(err(&fault(bad)).contains("matches no actor"), "{bad}");
    }
    let cut = with(
        "",
        "",
        "[[faults]]\nkind = \"partition\"\nat = \"1s\"\na = [\"agents\"]\nb = [\"nobody\"]\n",
    );
    assert!(
        err(&cut).starts_with("s.toml:15: key `faults.0.b`"),
        "{}",
        err(&cut)
    );
}

#[test]
fn a_fault_period_ending_before_it_starts_is_refused() {
    let text = with(
        "",
        "",
        "[[faults]]\nkind = \"partition\"\nat = \"10s\"\nuntil = \"5s\"\na = [\"agent-0\"]\n",
    );
    assert_eq!(
        err(&text),
        "s.toml:14: key `faults.0.until`: until = 5s is not after at = 10s: the fault would \
         never end"
    );
    let link = text.replace("\"partition\"", "\"link\"") + "link = {}\n";
    assert!(err(&link).starts_with("s.toml:14: key `faults.0.until`"));
}

#[test]
fn a_task_larger_than_every_agent_is_refused() {
    assert_eq!(
        err(&with("cpus = 1,", "cpus = 64,", "")),
        "s.toml:10: key `frameworks.0.workload.jobs.0`: a task of cpus = 64, mem = 512, \
         disk = 0, gpus = 0 is larger than every agent: it could never run"
    );
    // Larger than each agent in a different kind: still fits none.
    let two = with(
        "cpus = 1,",
        "cpus = 2, gpus = 1,",
        "[[agents]]\nname = \"gpu\"\ncount = 1\ncpus = 1\nmem = 8192\ngpus = 1\n",
    );
    assert!(err(&two).contains("larger than every agent"));
    let greedy = with(
        "kind = \"jobs\"",
        "kind = \"greedy\"\ncpus = 5\nmem = 1",
        "",
    )
    .replace(
        "jobs = [{ at = \"0s\", tasks = 2, cpus = 1, mem = 512, duration = \"10s\" }]\n",
        "",
    );
    assert!(
        err(&greedy).starts_with("s.toml:8: key `frameworks.0.workload`"),
        "{}",
        err(&greedy)
    );
}

#[test]
fn quota_beyond_the_cluster_is_refused() {
    let text = with(
        "",
        "",
        "[allocator.quota.a]\ncpus = 6\nmem = 1\n[allocator.quota.b]\ncpus = 3\nmem = 1\n",
    );
    assert!(
        err(&text).starts_with(
            "s.toml:14: key `allocator.quota.b`: the quota guarantees add up to cpus = 9, mem = 2"
        ),
        "{}",
        err(&text)
    );
    // Within the cluster: accepted.
    Scenario::parse(&text.replace("cpus = 3", "cpus = 2"), "s.toml").unwrap();
}

/// Lines 1-5 of `BASE`, then a framework of `kind` with one entry of `table` (lines
/// 6-13): `instances` copies of a task of `cpus`.
fn instances(kind: &str, table: &str, instances: &str, cpus: u32) -> String {
    let head: String = BASE.lines().take(5).map(|l| format!("{l}\n")).collect();
    let extra = match kind {
        "aurora" => "type = \"service\"\n",
        _ => "\n",
    };
    format!(
        "{head}[[frameworks]]\nkind = \"{kind}\"\nname = \"f\"\n[[frameworks.{table}]]\n\
         {}\ninstances = {instances}\ncpus = {cpus}\nmem = 1\n{extra}",
        match kind {
            "aurora" => "name = \"j\"",
            _ => "id = \"a\"",
        }
    )
}

#[test]
fn marathon_and_aurora_instances_are_bounded_and_must_fit() {
    for (kind, table) in [("marathon", "apps"), ("aurora", "jobs")] {
        Scenario::parse(&instances(kind, table, "3", 1), "s.toml").unwrap();
        assert!(
            err(&instances(kind, table, "4000000000", 1)).starts_with(&format!(
                "s.toml:11: key `frameworks.0.{table}.0.instances`: tasks in one job is 4000000000"
            )),
            "{}",
            err(&instances(kind, table, "4000000000", 1))
        );
        assert!(
            err(&instances(kind, table, "3", 5)).starts_with(&format!(
                "s.toml:9: key `frameworks.0.{table}.0`: a task of cpus = 5"
            )),
            "{}",
            err(&instances(kind, table, "3", 5))
        );
    }
}
