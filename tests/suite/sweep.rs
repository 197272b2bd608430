//! Sweeps: 3 policies x 10 seeds, resume, shards merged byte for byte, merge refusals,
//! spec errors with file/line/key, and the Slurm job-array script.

use schedlab::experiment::shard::{merge, Shard};
use schedlab::experiment::slurm::{script, SlurmOptions};
use schedlab::experiment::spec::SweepSpec;
use schedlab::experiment::sweep::{run, SweepOptions, METRICS};
use std::path::{Path, PathBuf};

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("schedlab-sweep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn policies_toml() -> String {
    format!("{}/scenarios/policies.toml", env!("CARGO_MANIFEST_DIR"))
}

/// Writes a spec on `scenarios/policies.toml`, shortened to two virtual minutes.
fn write_spec(dir: &Path, seeds: &str, policies: &str) -> PathBuf {
    let path = dir.join("spec.toml");
    let text = format!(
        "scenario = {:?}\nseeds = {seeds}\n[set]\n\"run.stop\" = \"2min\"\n[vary]\n\"allocator.policy\" = {policies}\n",
        policies_toml()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn opts(out: &Path, shard: Option<Shard>) -> SweepOptions {
    SweepOptions {
        out: out.to_path_buf(),
        jobs: 2,
        shard,
        progress: false,
    }
}

#[test]
fn thirty_runs_then_a_second_sweep_skips_them_all() {
    let d = scratch("thirty");
    let spec = SweepSpec::load(&write_spec(&d, "10", r#"["drf", "fifo", "binpack"]"#)).unwrap();
    let out = d.join("out");
    let first = run(&spec, &opts(&out, None)).unwrap();
    assert_eq!((first.runs, first.ran, first.skipped), (30, 30, 0));
    let table = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 31);
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(
        header[..6],
        [
            "run",
            "dir",
            "point",
            "allocator.policy",
            "seed",
            "makespan_s"
        ]
    );
    assert_eq!(header.len(), 5 + METRICS.len());
    assert!(!lines[0].contains("wall"));
    // Sorted by (point, seed); point 2 is binpack; seeds 1..=10 (10 after 9).
    assert!(lines[1].starts_with("p000-s1,runs/p000-s1,0,drf,1,"));
    assert!(lines[10].starts_with("p000-s10,runs/p000-s10,0,drf,10,"));
    assert!(lines[11].starts_with("p001-s1,runs/p001-s1,1,fifo,1,"));
    assert!(lines[27].starts_with("p002-s7,runs/p002-s7,2,binpack,7,"));
    for f in ["summary.json", "tasks.csv", "timeseries.csv"] {
        assert!(out.join("runs/p002-s7").join(f).is_file(), "{f}");
    }
    // A run is the run `schedlab run BASE --set ... --seed 7` does.
    let base = std::fs::read_to_string(policies_toml()).unwrap();
    let scn = schedlab::scenario::Scenario::parse_with_overrides(
        &base,
        "policies.toml",
        &[
            "run.stop=\"2min\"".into(),
            "allocator.policy=\"binpack\"".into(),
        ],
    )
    .unwrap();
    let direct = schedlab::run::execute(
        &scn,
        &schedlab::run::RunOptions {
            seed: Some(7),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        lines[27].contains(&format!(",{},", direct.fingerprint)),
        "{}",
        lines[27]
    );
    // Fingerprints differ across seeds and policies (the runs are not all one run).
    let fps: std::collections::BTreeSet<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(header.len() - 2).unwrap())
        .collect();
    assert_eq!(fps.len(), 30);

    let again = run(&spec, &opts(&out, None)).unwrap();
    assert_eq!((again.runs, again.ran, again.skipped), (30, 0, 30));
    assert_eq!(
        std::fs::read_to_string(out.join("sweep.csv")).unwrap(),
        table
    );

    // A run cut short has no summary.json: only it runs again, with the same result.
    std::fs::remove_file(out.join("runs/p001-s4/summary.json")).unwrap();
    let resumed = run(&spec, &opts(&out, None)).unwrap();
    assert_eq!((resumed.ran, resumed.skipped), (1, 29));
    assert_eq!(
        std::fs::read_to_string(out.join("sweep.csv")).unwrap(),
        table
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn three_shards_merged_equal_the_unsharded_sweep_byte_for_byte() {
    let d = scratch("shards");
    let spec = SweepSpec::load(&write_spec(&d, "[1, 2, 5]", r#"["drf", "fifo"]"#)).unwrap();
    let whole = d.join("whole");
    run(&spec, &opts(&whole, None)).unwrap();
    let expected = std::fs::read(whole.join("sweep.csv")).unwrap();

    // Into one folder.
    let one = d.join("one");
    let mut total = 0;
    for i in 1..=3 {
        let o = run(&spec, &opts(&one, Some(Shard { i, n: 3 }))).unwrap();
        assert_eq!(o.csv, one.join(format!("sweep-shard-{i}-of-3.csv")));
        total += o.runs;
    }
    assert_eq!(total, 6);
    assert!(!one.join("sweep.csv").exists());
    let m = merge(std::slice::from_ref(&one)).unwrap();
    assert_eq!((m.shards, m.runs, m.moved), (3, 6, 0));
    assert_eq!(std::fs::read(one.join("sweep.csv")).unwrap(), expected);

    // Into three folders: their run folders are moved into the first.
    let dirs: Vec<PathBuf> = (1..=3).map(|i| d.join(format!("part{i}"))).collect();
    for (i, dir) in dirs.iter().enumerate() {
        run(&spec, &opts(dir, Some(Shard { i: i + 1, n: 3 }))).unwrap();
    }
    let m = merge(&dirs).unwrap();
    assert_eq!((m.runs, m.moved), (6, 4));
    assert_eq!(std::fs::read(dirs[0].join("sweep.csv")).unwrap(), expected);
    assert!(dirs[0].join("runs/p001-s5/summary.json").is_file());
    // Merging again (the first folder now has everything) gives the same table.
    merge(&dirs[..1]).unwrap();
    assert_eq!(std::fs::read(dirs[0].join("sweep.csv")).unwrap(), expected);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn merge_refuses_a_missing_shard_and_a_run_twice() {
    let d = scratch("refuse");
    let spec = SweepSpec::load(&write_spec(&d, "2", r#"["drf", "fifo"]"#)).unwrap();
    let out = d.join("out");
    for i in [1, 3] {
        run(&spec, &opts(&out, Some(Shard { i, n: 3 }))).unwrap();
    }
    let e = merge(std::slice::from_ref(&out)).unwrap_err();
    assert_eq!(e.code, 2);
    assert!(
        e.message.contains("missing shard") && e.message.contains("sweep-shard-2-of-3.csv"),
        "{}",
        e.message
    );
    assert!(!out.join("sweep.csv").exists());

    // Shard 2 written, but with shard 1's first run listed again.
    run(&spec, &opts(&out, Some(Shard { i: 2, n: 3 }))).unwrap();
    merge(std::slice::from_ref(&out)).unwrap();
    let s1 = std::fs::read_to_string(out.join("sweep-shard-1-of-3.csv")).unwrap();
    let dup = s1.lines().nth(1).unwrap();
    let p2 = out.join("sweep-shard-2-of-3.csv");
    let mut s2 = std::fs::read_to_string(&p2).unwrap();
    s2.push_str(dup);
    s2.push('\n');
    std::fs::write(&p2, s2).unwrap();
    let e = merge(std::slice::from_ref(&out)).unwrap_err();
    assert!(e.message.contains("appears twice"), "{}", e.message);
    assert!(
        e.message.contains("sweep-shard-2-of-3.csv:3"),
        "{}",
        e.message
    );

    // A folder with no plan is not a sweep.
    let e = merge(&[d.join("nothing")]).unwrap_err();
    assert!(e.message.contains("sweep-plan.json"), "{}", e.message);
    let _ = std::fs::remove_dir_all(&d);
}

fn spec_error(text: &str) -> String {
    let d = scratch("errors");
    std::fs::copy(policies_toml(), d.join("base.toml")).unwrap();
    let path = d.join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let e = SweepSpec::load(&path).unwrap_err().to_string();
    let _ = std::fs::remove_dir_all(&d);
    e.replace(&d.display().to_string(), "DIR")
}

#[test]
fn spec_errors_name_file_line_and_key() {
    let e = spec_error("scenario = \"base.toml\"\nseeds = 3\nbogus = 1\n");
    assert!(
        e.starts_with("DIR/bad.toml:3: key `bogus`: unknown key `bogus`"),
        "{e}"
    );

    let e = spec_error(
        "scenario = \"base.toml\"\n[vary]\n\"allocator.policy\" = [\"drf\", \"fair\"]\n",
    );
    assert!(
        e.starts_with("DIR/bad.toml:3: key `allocator.policy`: value `fair` (point 1)"),
        "{e}"
    );
    assert!(e.contains("unknown allocation policy `fair`"), "{e}");
    assert!(e.contains("binpack, drf, fifo, random"), "{e}");

    let e = spec_error("scenario = \"base.toml\"\n[vary]\n\"allocator.bogus\" = [1]\n");
    assert!(
        e.starts_with("DIR/bad.toml:3: key `allocator.bogus`"),
        "{e}"
    );
    assert!(e.contains("unknown key `bogus`"), "{e}");

    let e = spec_error("scenario = \"base.toml\"\n[set]\n\"run.stop\" = \"soon\"\n");
    assert!(e.starts_with("DIR/bad.toml:3: key `run.stop`"), "{e}");

    let e = spec_error("seeds = 2\nscenario = \"nowhere.toml\"\n");
    assert!(
        e.starts_with("DIR/bad.toml:2: key `scenario`: cannot read scenario"),
        "{e}"
    );
    assert!(e.contains("nowhere.toml"), "{e}");

    // Found by the scenario's checks (once only when the actors were built): named by
    // its line, key and point.
    let e =
        spec_error("scenario = \"base.toml\"\n[vary]\n\"agents.1.name\" = [\"big\", \"small\"]\n");
    assert!(
        e.starts_with("DIR/bad.toml:3: key `agents.1.name`: value `small` (point 1)"),
        "{e}"
    );
    assert!(
        e.contains("agent groups 0 and 1 are both named `small`"),
        "{e}"
    );

    let e = spec_error("scenario = \"base.toml\"\nseeds = 0\n");
    assert!(e.starts_with("DIR/bad.toml:2: key `seeds`"), "{e}");
    let e = spec_error("scenario = \"base.toml\"\nseeds = [4, 2, 4]\n");
    assert!(e.contains("seed 4 is listed twice"), "{e}");
}

#[test]
fn cli_bad_spec_exits_2_naming_the_line() {
    let d = scratch("cli");
    let path = d.join("s.toml");
    std::fs::write(&path, "scenario = \"x.toml\"\nseedz = 2\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_schedlab"))
        .arg("sweep")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("s.toml:2: key `seedz`"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn slurm_script_has_the_array_range_and_the_commands() {
    let s = script(
        Path::new("/opt/bin/schedlab"),
        Path::new("/data/specs/pol.toml"),
        Path::new("/data/out/pol"),
        30,
        &SlurmOptions {
            shards: 5,
            partition: Some("short".into()),
            time: "00:20:00".into(),
            cpus: 2,
        },
    )
    .unwrap();
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines[0], "#!/bin/bash");
    for l in [
        "#SBATCH --array=1-5",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --time=00:20:00",
        "#SBATCH --partition=short",
        "#SBATCH --output=/data/out/pol/slurm/shard-%a-of-5.out",
        "#   '/opt/bin/schedlab' sweep merge '/data/out/pol'",
        "exec '/opt/bin/schedlab' sweep '/data/specs/pol.toml' --shard \"${SLURM_ARRAY_TASK_ID}/5\" --out '/data/out/pol' --jobs \"${SLURM_CPUS_PER_TASK:-2}\"",
    ] {
        assert!(lines.contains(&l), "missing line {l:?} in\n{s}");
    }
    // Every #SBATCH line comes before the first command (sbatch stops reading there).
    let first_cmd = lines.iter().position(|l| !l.starts_with('#')).unwrap();
    assert!(lines[first_cmd..].iter().all(|l| !l.starts_with("#SBATCH")));
    assert!(script(
        Path::new("rel/schedlab"),
        Path::new("/a.toml"),
        Path::new("/o"),
        1,
        &SlurmOptions::default()
    )
    .is_err());

    // Through the CLI: absolute paths of this binary, the spec and the folder.
    let d = scratch("slurm");
    let spec = write_spec(&d, "4", r#"["drf", "fifo", "binpack"]"#);
    let file = d.join("job.sh");
    let st = std::process::Command::new(env!("CARGO_BIN_EXE_schedlab"))
        .current_dir(&d)
        .args([
            "sweep",
            "spec.toml",
            "--emit-slurm",
            "job.sh",
            "--slurm-shards",
            "3",
        ])
        .args(["--out", "res"])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let bin = std::path::absolute(env!("CARGO_BIN_EXE_schedlab")).unwrap();
    assert!(text.contains("#SBATCH --array=1-3\n"), "{text}");
    assert!(text.contains("12 runs in 3 shards"), "{text}");
    assert!(
        text.contains(&format!(
            "exec '{}' sweep '{}' --shard \"${{SLURM_ARRAY_TASK_ID}}/3\" --out '{}'",
            bin.display(),
            spec.display(),
            d.join("res").display()
        )),
        "{text}"
    );
    assert!(d.join("res/slurm").is_dir());
    assert!(!d.join("res/runs").exists(), "--emit-slurm runs nothing");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_folder_of_another_sweep_is_refused() {
    let d = scratch("other");
    let spec = SweepSpec::load(&write_spec(&d, "1", r#"["drf"]"#)).unwrap();
    let out = d.join("out");
    assert_eq!(run(&spec, &opts(&out, None)).unwrap().ran, 1);
    // Same points and seeds, another fixed override: its runs would be stale.
    let path = d.join("spec.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("2min", "3min");
    std::fs::write(&path, text).unwrap();
    let changed = SweepSpec::load(&path).unwrap();
    let e = run(&changed, &opts(&out, None)).unwrap_err();
    assert_eq!(e.code, 2);
    assert!(
        e.message.contains("holds a different sweep"),
        "{}",
        e.message
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn points_are_the_cartesian_product_first_key_slowest() {
    let d = scratch("points");
    let path = d.join("grid.toml");
    let text = format!(
        "scenario = {:?}\nseeds = [9, 3]\n[vary]\n\"allocator.policy\" = [\"fifo\", \"drf\"]\n\"network.default.loss\" = [0.0, 0.01, 0.1]\n",
        policies_toml()
    );
    std::fs::write(&path, text).unwrap();
    let spec = SweepSpec::load(&path).unwrap();
    assert_eq!(spec.keys, ["allocator.policy", "network.default.loss"]);
    assert_eq!(spec.seeds, [3, 9]);
    let grid: Vec<(String, String)> = spec
        .points
        .iter()
        .map(|p| (p.values[0].1.clone(), p.values[1].1.clone()))
        .collect();
    let want = [
        ("fifo", "0.0"),
        ("fifo", "0.01"),
        ("fifo", "0.1"),
        ("drf", "0.0"),
        ("drf", "0.01"),
        ("drf", "0.1"),
    ];
    assert_eq!(
        grid,
        want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
    );
    assert_eq!(spec.points[4].scenario.network.default.loss, 0.01);
    assert_eq!(
        spec.points[4].scenario.allocator.policy,
        schedlab::alloc::Policy::DRF
    );
    let ids: Vec<String> = schedlab::experiment::sweep::runs(&spec)
        .iter()
        .map(|r| r.id())
        .collect();
    assert_eq!(ids[..3], ["p000-s3", "p000-s9", "p001-s3"]);
    assert_eq!(ids.len(), 12);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_shipped_policies_spec_is_three_policies_by_ten_seeds() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps/policies.toml");
    let spec = SweepSpec::load(&path).unwrap();
    assert_eq!(spec.stem(), "policies");
    assert_eq!(spec.seeds, (1..=10).collect::<Vec<u64>>());
    let policies: Vec<&str> = spec.points.iter().map(|p| p.values[0].1.as_str()).collect();
    assert_eq!(policies, ["drf", "fifo", "binpack"]);
}
