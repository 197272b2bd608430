//! Shards: `--shard i/N` runs the runs whose index in the sweep's run list is
//! `i - 1` modulo N (so every shard gets a similar mix of points), and writes
//! `sweep-shard-i-of-N.csv`. `sweep merge` joins the shard tables (and, when shards ran
//! into different folders, their run folders) into the same `sweep.csv` an unsharded
//! sweep writes, refusing a missing shard, a missing run or a run twice.

use super::sweep::{bad, complete_summary, write_csv, Plan};
use crate::run::RunError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Shard `i` of `n` (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub i: usize,
    pub n: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("--shard `{s}`: expected i/N, e.g. 2/3"))?;
        let parse = |x: &str| x.trim().parse::<usize>().ok();
        match (parse(i), parse(n)) {
            (Some(i), Some(n)) if n >= 1 && (1..=n).contains(&i) => Ok(Shard { i, n }),
            _ => Err(format!(
                "--shard `{s}`: expected i/N with 1 <= i <= N, e.g. 2/3"
            )),
        }
    }
}

impl Shard {
    /// Whether run `index` (0-based, in the sweep's run list) belongs to this shard.
    pub fn contains(&self, index: usize) -> bool {
        index % self.n == self.i - 1
    }

    /// `sweep-shard-i-of-N.csv`.
    pub fn csv_name(&self) -> String {
        format!("sweep-shard-{}-of-{}.csv", self.i, self.n)
    }

    fn from_csv_name(name: &str) -> Option<Shard> {
        let rest = name.strip_prefix("sweep-shard-")?.strip_suffix(".csv")?;
        let (i, n) = rest.split_once("-of-")?;
        format!("{i}/{n}").parse().ok()
    }
}

/// What a merge did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeOutcome {
    pub shards: usize,
    pub runs: usize,
    /// Run folders moved (or copied) in from the other folders.
    pub moved: usize,
    pub csv: PathBuf,
}

fn read_table(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), RunError> {
    let mut r =
        csv::Reader::from_path(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    let header = r
        .headers()
        .map_err(|e| bad(format!("{}: {e}", path.display())))?
        .iter()
        .map(String::from)
        .collect();
    let mut rows = Vec::new();
    for (n, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| bad(format!("{}:{}: {e}", path.display(), n + 2)))?;
        rows.push(rec.iter().map(String::from).collect());
    }
    Ok((header, rows))
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), target)?;
        }
    }
    Ok(())
}

/// Joins the shard tables found in `dirs` into `dirs[0]/sweep.csv`. Run folders of the
/// other folders are moved into `dirs[0]/runs/` (copied when a rename cannot cross
/// file systems), and their shard tables copied beside, so that merging again works.
pub fn merge(dirs: &[PathBuf]) -> Result<MergeOutcome, RunError> {
    let dest = dirs
        .first()
        .ok_or_else(|| bad("sweep merge: no folder given".into()))?;
    let plan = Plan::read(dest)?;
    // shard i -> (folder, table file, its bytes)
    let mut shards: BTreeMap<usize, (PathBuf, PathBuf, Vec<u8>)> = BTreeMap::new();
    let mut count: Option<(usize, PathBuf)> = None;
    for dir in dirs {
        if Plan::read(dir)? != plan {
            return Err(bad(format!(
                "{} and {} hold different sweeps (their sweep-plan.json differ)",
                dest.display(),
                dir.display()
            )));
        }
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| bad(format!("{}: {e}", dir.display())))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("sweep-shard-") && n.ends_with(".csv"))
            .collect();
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let s = Shard::from_csv_name(&name)
                .ok_or_else(|| bad(format!("{}: not a shard table name", path.display())))?;
            match &count {
                None => count = Some((s.n, path.clone())),
                Some((n, first)) if *n != s.n => {
                    return Err(bad(format!(
                        "{} is a shard of {} but {} is a shard of {n}: shards of one split only",
                        path.display(),
                        s.n,
                        first.display()
                    )))
                }
                Some(_) => {}
            }
            let bytes =
                std::fs::read(&path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
            if let Some((_, other, b)) = shards.get(&s.i) {
                if *b != bytes {
                    return Err(bad(format!(
                        "shard {}/{} twice, with different rows: {} and {}",
                        s.i,
                        s.n,
                        other.display(),
                        path.display()
                    )));
                }
                continue;
            }
            shards.insert(s.i, (dir.clone(), path, bytes));
        }
    }
    let Some((n, _)) = count else {
        let list: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(bad(format!(
            "no shard tables (sweep-shard-i-of-N.csv) in {}",
            list.join(", ")
        )));
    };
    let missing: Vec<String> = (1..=n)
        .filter(|i| !shards.contains_key(i))
        .map(|i| format!("sweep-shard-{i}-of-{n}.csv"))
        .collect();
    if !missing.is_empty() {
        return Err(bad(format!(
            "missing shard(s) of {n}: {} (run `schedlab sweep SPEC --shard i/{n}` for them)",
            missing.join(", ")
        )));
    }
    let position: BTreeMap<&str, usize> = plan
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_str(), i))
        .collect();
    let mut rows: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut moved = 0;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    };
    for (dir, path, _) in shards.values() {
        let elsewhere = !same(dir, dest);
        let (header, table) = read_table(path)?;
        if header != plan.header {
            return Err(bad(format!(
                "{}: its columns differ from the sweep's ({})",
                path.display(),
                PLAN_HINT
            )));
        }
        for (k, row) in table.into_iter().enumerate() {
            let line = k + 2;
            let id = row.first().cloned().unwrap_or_default();
            let &pos = position.get(id.as_str()).ok_or_else(|| {
                bad(format!(
                    "{}:{line}: run `{id}` is not a run of this sweep",
                    path.display()
                ))
            })?;
            if rows.contains_key(&pos) {
                return Err(bad(format!(
                    "{}:{line}: run `{id}` appears twice among the shards",
                    path.display()
                )));
            }
            let rel = format!("runs/{id}");
            let target = dest.join(&rel);
            if elsewhere && complete_summary(&target).is_none() {
                let src = dir.join(&rel);
                if complete_summary(&src).is_none() {
                    return Err(bad(format!(
                        "{}:{line}: run `{id}` has no complete {}/summary.json",
                        path.display(),
                        src.display()
                    )));
                }
                std::fs::create_dir_all(dest.join("runs"))
                    .map_err(|e| bad(format!("{}: {e}", dest.display())))?;
                let _ = std::fs::remove_dir_all(&target);
                if std::fs::rename(&src, &target).is_err() {
                    copy_dir(&src, &target)
                        .map_err(|e| bad(format!("copying {}: {e}", src.display())))?;
                }
                moved += 1;
            }
            if complete_summary(&target).is_none() {
                return Err(bad(format!(
                    "{}:{line}: run `{id}` has no complete {}/summary.json",
                    path.display(),
                    target.display()
                )));
            }
            rows.insert(pos, row);
        }
        if elsewhere {
            let name = path.file_name().expect("a file");
            std::fs::copy(path, dest.join(name))
                .map_err(|e| bad(format!("copying {}: {e}", path.display())))?;
        }
    }
    let absent: Vec<&str> = plan
        .runs
        .iter()
        .enumerate()
        .filter(|(i, _)| !rows.contains_key(i))
        .map(|(_, r)| r.as_str())
        .collect();
    if !absent.is_empty() {
        return Err(bad(format!(
            "{} run(s) of the sweep are in no shard table: {}",
            absent.len(),
            absent.join(", ")
        )));
    }
    let csv = dest.join("sweep.csv");
    let rows: Vec<Vec<String>> = rows.into_values().collect();
    write_csv(&csv, &plan.header, &rows)?;
    Ok(MergeOutcome {
        shards: n,
        runs: rows.len(),
        moved,
        csv,
    })
}

const PLAN_HINT: &str = "see sweep-plan.json";
