//! `--emit-slurm`: an sbatch job-array script that runs a sweep as N shards, one array
//! task per shard, each `schedlab sweep SPEC --shard $SLURM_ARRAY_TASK_ID/N --out DIR`
//! into one shared folder; `schedlab sweep merge DIR` afterwards gives the same
//! `sweep.csv` as one unsharded sweep on one machine. Paths in the script are absolute
//! (the binary, the spec, the folder), so it can be submitted from anywhere.
//!
//! ```
//! use schedlab::experiment::slurm::{script, SlurmOptions};
//! use std::path::Path;
//! let s = script(
//!     Path::new("/opt/schedlab"),
//!     Path::new("/x/spec.toml"),
//!     Path::new("/x/out"),
//!     30,
//!     &SlurmOptions { shards: 3, ..Default::default() },
//! )
//! .unwrap();
//! assert!(s.contains("#SBATCH --array=1-3\n"));
//! assert!(s.contains("--shard \"${SLURM_ARRAY_TASK_ID}/3\""));
//! ```

use super::sweep::bad;
use crate::run::RunError;
use std::path::{Path, PathBuf};

/// The job-array settings.
#[derive(Clone, Debug)]
pub struct SlurmOptions {
    /// Array tasks (shards).
    pub shards: usize,
    /// `--partition` (cluster default when absent).
    pub partition: Option<String>,
    /// `--time` per array task, in Slurm's format (`HH:MM:SS`, `D-HH:MM`, minutes).
    pub time: String,
    /// `--cpus-per-task`, also the shard's `--jobs`.
    pub cpus: usize,
}

impl Default for SlurmOptions {
    fn default() -> Self {
        SlurmOptions {
            shards: 4,
            partition: None,
            time: "01:00:00".into(),
            cpus: 1,
        }
    }
}

/// Single-quotes `p` for bash.
fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// `p` made absolute against the current folder (without resolving symlinks).
pub fn absolute(p: &Path) -> Result<PathBuf, RunError> {
    std::path::absolute(p).map_err(|e| bad(format!("{}: {e}", p.display())))
}

/// The script text; every path must already be absolute. `runs` is the number of runs
/// of the whole sweep (for the comment).
pub fn script(
    bin: &Path,
    spec: &Path,
    out: &Path,
    runs: usize,
    o: &SlurmOptions,
) -> Result<String, RunError> {
    if o.shards == 0 {
        return Err(bad("--slurm-shards must be at least 1".into()));
    }
    if o.cpus == 0 {
        return Err(bad("--slurm-cpus must be at least 1".into()));
    }
    let field_ok = |s: &str| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c == '\'');
    if !field_ok(&o.time) {
        return Err(bad(format!("--slurm-time `{}`: not a Slurm time", o.time)));
    }
    if let Some(p) = &o.partition {
        if !field_ok(p) {
            return Err(bad(format!(
                "--slurm-partition `{p}`: not a partition name"
            )));
        }
    }
    for p in [bin, spec, out] {
        if !p.is_absolute() {
            return Err(bad(format!(
                "{}: the script needs absolute paths",
                p.display()
            )));
        }
    }
    let n = o.shards;
    let name = spec
        .file_stem()
        .map_or("sweep".into(), |s| s.to_string_lossy().into_owned());
    let (b, s, d) = (quote(bin), quote(spec), quote(out));
    let mut t = String::new();
    t += "#!/bin/bash\n";
    t += &format!("#SBATCH --job-name=schedlab-{name}\n");
    t += &format!("#SBATCH --array=1-{n}\n");
    t += "#SBATCH --ntasks=1\n";
    t += &format!("#SBATCH --cpus-per-task={}\n", o.cpus);
    t += &format!("#SBATCH --time={}\n", o.time);
    if let Some(p) = &o.partition {
        t += &format!("#SBATCH --partition={p}\n");
    }
    t += &format!(
        "#SBATCH --output={}/slurm/shard-%a-of-{n}.out\n",
        out.display()
    );
    t += "#\n";
    t += &format!(
        "# schedlab sweep {}: {runs} runs in {n} shards (array task i runs shard i/{n}).\n",
        spec.display()
    );
    t += "# Submit:   sbatch THIS_FILE\n";
    t += "# When every array task has finished, merge the shards into sweep.csv:\n";
    t += &format!("#   {b} sweep merge {d}\n");
    t += "set -euo pipefail\n";
    t += &format!(
        "exec {b} sweep {s} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\" --out {d} --jobs \"${{SLURM_CPUS_PER_TASK:-{}}}\"\n",
        o.cpus
    );
    Ok(t)
}
