//! Analysis of finished runs: `compare` finds the differences that are there and not
//! the ones that are not; `plot` and `report` write readable files; bad input is
//! refused with exit code 2.
//!
//! The runs are `scenarios/policies.toml` (three frameworks competing for a cluster
//! their workloads oversubscribe) cut to 20 simulated minutes, which covers the
//! contended phase: about 0.1 s of release-build time per run.

use rayon::prelude::*;
use schedlab::analysis::compare::{compare, compare_groups, Pairs};
use schedlab::analysis::{load_groups, load_set};
use schedlab::run::{execute, RunOptions};
use schedlab::scenario::Scenario;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn schedlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_schedlab"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("analysis")
}

fn policies(policy: &str) -> Scenario {
    let text = std::fs::read_to_string("scenarios/policies.toml").unwrap();
    Scenario::parse_with_overrides(
        &text,
        "scenarios/policies.toml",
        &[
            format!("allocator.policy={policy}"),
            "run.stop=20min".to_string(),
        ],
    )
    .unwrap()
}

/// Runs `policy` with `seeds` into `dir/s<seed>`.
fn run_seeds(policy: &str, seeds: std::ops::RangeInclusive<u64>, dir: &Path) {
    let scn = policies(policy);
    let seeds: Vec<u64> = seeds.collect();
    seeds.par_iter().for_each(|&s| {
        let opts = RunOptions {
            seed: Some(s),
            out: Some(dir.join(format!("s{s:02}"))),
            events: s == 1 && policy == "drf",
            ..Default::default()
        };
        execute(&scn, &opts).unwrap();
    });
}

/// DRF seeds 1..=10 and 11..=20, FIFO seeds 1..=10, and a sweep directory holding
/// the first five seeds of each policy (`sweep.csv` in the layout of `schedlab
/// sweep`), built once per test binary.
fn fixture() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let r = root();
        let _ = std::fs::remove_dir_all(&r);
        run_seeds("drf", 1..=10, &r.join("drf-a"));
        run_seeds("drf", 11..=20, &r.join("drf-b"));
        run_seeds("fifo", 1..=10, &r.join("fifo"));
        let sweep = r.join("sweep");
        std::fs::create_dir_all(sweep.join("runs")).unwrap();
        let mut csv = String::from("run,dir,point,allocator.policy,seed,makespan_s\n");
        for (p, (policy, src)) in [("drf", "drf-a"), ("fifo", "fifo")].iter().enumerate() {
            for s in 1..=5u64 {
                let id = format!("p{p:03}-s{s}");
                let to = sweep.join("runs").join(&id);
                std::fs::create_dir_all(&to).unwrap();
                for f in ["summary.json", "tasks.csv", "timeseries.csv"] {
                    std::fs::copy(r.join(src).join(format!("s{s:02}")).join(f), to.join(f))
                        .unwrap();
                }
                csv.push_str(&format!("{id},runs/{id},{p},{policy},{s},0\n"));
            }
        }
        std::fs::write(sweep.join("sweep.csv"), csv).unwrap();
        r
    })
}

#[test]
fn identical_configurations_show_no_significant_difference() {
    let r = fixture();
    let a = load_set(&r.join("drf-a")).unwrap();
    let b = load_set(&r.join("drf-b")).unwrap();
    assert_eq!((a.runs.len(), b.runs.len()), (10, 10));
    let metrics: Vec<String> = ["jain", "share_gap", "jct_mean", "jct_p50", "jct_p90"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let c = compare(&a, &b, &metrics).unwrap();
    for row in &c.rows {
        assert!(
            !row.significant && row.welch_p > 0.05 && row.mw_p > 0.05,
            "{}: Welch p {} MWU p {} between two samples of one configuration",
            row.metric,
            row.welch_p,
            row.mw_p
        );
        // The seeds differ, so the samples do too: the test is not comparing a sample
        // with itself.
        assert_ne!(row.a.mean, row.b.mean, "{}", row.metric);
    }
}

#[test]
fn drf_is_significantly_fairer_than_fifo() {
    let r = fixture();
    let drf = load_set(&r.join("drf-a")).unwrap();
    let fifo = load_set(&r.join("fifo")).unwrap();
    let c = compare(&fifo, &drf, &["jain".to_string()]).unwrap();
    let j = c.row("jain").unwrap();
    assert!(j.significant, "{j:?}");
    assert!(j.welch_p < 1e-4 && j.mw_p < 1e-3, "{j:?}");
    // Since allocations follow Mesos' triggers (freed resources wait for the next 1 s
    // round, issue 24), the gap is smaller than it was (DRF ~0.86, FIFO ~0.83 over
    // these 10 seeds; DRF 0.975 before): the late framework's 2-CPU tasks meet
    // 1-CPU leftovers, declined under 5 s filters. DRF is still the fairer, clearly.
    assert!(j.b.mean > j.a.mean, "{j:?}");
    assert!(
        j.b.ci_low > j.a.ci_high,
        "the intervals do not overlap: {j:?}"
    );
    assert!(j.rel_diff.unwrap() > 0.02);
}

#[test]
fn sweep_groups_by_parameter() {
    let r = fixture();
    let groups = load_groups(&r.join("sweep"), "allocator.policy").unwrap();
    let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(labels, ["allocator.policy=drf", "allocator.policy=fifo"]);
    assert!(groups.iter().all(|g| g.runs.len() == 5));
    let comps = compare_groups(&groups, &["jain".to_string()], Pairs::First).unwrap();
    assert_eq!(comps.len(), 1);
    assert!(comps[0].rows[0].significant);
    let e = load_groups(&r.join("sweep"), "allocator.nope").unwrap_err();
    assert!(
        e.0.contains("sweep.csv:1: no column `allocator.nope`"),
        "{e}"
    );
}

#[test]
fn compare_cli_formats_and_bad_input() {
    let r = fixture();
    let out = schedlab()
        .arg("compare")
        .arg(r.join("fifo"))
        .arg(r.join("drf-a"))
        .args(["--metrics", "jain,jct_p50", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8(out.stdout).unwrap();
    let jain = md.lines().find(|l| l.starts_with("| jain |")).unwrap();
    assert!(jain.contains(" * |"), "{md}");
    let csv_file = r.join("cmp.csv");
    let out = schedlab()
        .arg("compare")
        .arg(r.join("sweep"))
        .args(["--by", "allocator.policy", "--format", "csv", "--out"])
        .arg(&csv_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(&csv_file).unwrap();
    assert_eq!(csv.lines().count(), 1 + schedlab::analysis::METRICS.len());
    assert!(csv.starts_with("a,b,metric,n_a,mean_a"));

    // Bad input: exit 2 with the file named.
    let bad = r.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("summary.json"), "{\"makespan_s\": 1,\n oops}").unwrap();
    for (args, needle) in [
        (
            vec![bad.clone(), r.join("fifo")],
            "summary.json:2: not valid JSON",
        ),
        (
            vec![r.join("nowhere"), r.join("fifo")],
            "nowhere: not a directory",
        ),
        (vec![r.join("fifo")], "nothing to compare"),
    ] {
        let out = schedlab().arg("compare").args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(needle), "{err}");
    }
}

fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{} is a PNG", path.display());
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (be(16), be(20))
}

#[test]
fn plot_writes_png_and_svg_of_every_figure() {
    let r = fixture();
    let out = r.join("plots");
    let st = schedlab()
        .arg("plot")
        .arg(r.join("sweep"))
        .args(["--by", "allocator.policy", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    for stem in [
        "jct_cdf",
        "wait_cdf",
        "utilization",
        "shares",
        "gantt",
        "failover",
    ] {
        assert_eq!(png_size(&out.join(format!("{stem}.png"))), (1200, 800));
        let svg = std::fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{stem}.svg");
    }
    // Legends name the groups; axes carry units.
    let cdf = std::fs::read_to_string(out.join("jct_cdf.svg")).unwrap();
    assert!(cdf.contains("allocator.policy=drf (5 runs)"));
    assert!(cdf.contains("job completion time (s)"));

    let omega = r.join("omega");
    let st = schedlab()
        .args(["plot", "results/validation/omega.csv", "--out"])
        .arg(&omega)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let (w, h) = png_size(&omega.join("omega.png"));
    assert!(w >= 1200 && h >= 800);
    let svg = std::fs::read_to_string(omega.join("omega.svg")).unwrap();
    for a in [
        "monolithic",
        "two_level",
        "shared_state",
        "shared_state_gang",
    ] {
        assert!(svg.contains(a), "{a} in the legend");
    }
}

#[test]
fn report_is_self_contained_html() {
    let r = fixture();
    // A sweep: comparison tables and figures.
    let html_path = r.join("sweep-report.html");
    let st = schedlab()
        .arg("report")
        .arg(r.join("sweep"))
        .args(["--by", "allocator.policy", "--out"])
        .arg(&html_path)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert_eq!(html.matches("<table").count(), 2, "runs + one comparison");
    assert_eq!(html.matches("src=\"data:image/png;base64,").count(), 6);
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(html.contains("allocator.policy=fifo"));

    // A single run with events.jsonl: the sequence view of its first second.
    let run = r.join("drf-a").join("s01");
    let html_path = r.join("run-report.html");
    let st = schedlab()
        .arg("report")
        .arg(&run)
        .args(["--events-at", "0s", "--window", "1s", "--out"])
        .arg(&html_path)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"seq\""));
    for kind in ["register_framework", "register_agent", "offers"] {
        assert!(html.contains(&format!(">{kind}</text>")), "{kind} arrow");
    }
    let st = schedlab()
        .arg("report")
        .arg(&run)
        .args(["--events-at", "soon"])
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&st.stderr).contains("--events-at `soon`"));
}

#[test]
fn compare_reads_a_real_schedlab_sweep_folder() {
    // Beside the fixture's directory, not in it: building the fixture (in another
    // test's thread) starts by removing its whole directory.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("analysis-real-sweep");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("spec.toml");
    std::fs::write(
        &spec,
        format!(
            "scenario = \"{}/scenarios/policies.toml\"\nseeds = 3\n[set]\n\"run.stop\" = \"20min\"\n[vary]\n\"allocator.policy\" = [\"fifo\", \"drf\"]\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let st = schedlab()
        .arg("sweep")
        .arg(&spec)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let groups = load_groups(&out, "allocator.policy").unwrap();
    let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(labels, ["allocator.policy=fifo", "allocator.policy=drf"]);
    assert!(groups.iter().all(|g| g.runs.len() == 3));
    // Seeds 1-3: FIFO Jain about 0.56, DRF 0.975; Welch p about 0.01 with 3 + 3 runs.
    let c = compare(&groups[0], &groups[1], &["jain".to_string()]).unwrap();
    let j = &c.rows[0];
    assert!(j.significant && j.welch_p > 1e-4, "{j:?}");
    // The exact Mann-Whitney p cannot go below 2 / C(6, 3) = 0.1 with 3 + 3 runs.
    assert!((j.mw_p - 0.1).abs() < 1e-12, "{j:?}");
}
