//! Sampling a running cluster into `timeseries.csv` and the summary's running figures.

use super::output::{csv_err, RunError};
use crate::actor::Time;
use crate::frameworks::FrameworkStatus;
use crate::mesos::master::Master;
use crate::scenario::Scenario;
use std::io::Write;

/// Samples a cluster's state every `sample_interval` into `timeseries.csv` and keeps
/// the running means and contention figures the summary reports. Shared by the engine
/// and the real-network runtime, which hand it their own view of the leader and the
/// frameworks.
pub struct Sampler {
    fw_names: Vec<String>,
    /// Role weight of each framework: DRF equalizes share / weight among frameworks
    /// that want more, so fairness is judged on weighted shares of backlogged ones.
    weights: Vec<f64>,
    pub(super) share_sums: Vec<f64>,
    pub(super) samples: u64,
    pub(super) contention: crate::metrics::Contention,
    pub(super) ts: Option<csv::Writer<Box<dyn Write>>>,
}

impl Sampler {
    /// Writes the header of `ts` (if any).
    pub fn new(
        scn: &Scenario,
        mut ts: Option<csv::Writer<Box<dyn Write>>>,
    ) -> Result<Self, RunError> {
        let fw_names: Vec<String> = scn
            .frameworks
            .iter()
            .map(|f| f.name().to_string())
            .collect();
        if let Some(w) = ts.as_mut() {
            let mut header: Vec<String> = [
                "time",
                "cpus_total",
                "cpus_allocated",
                "cpus_used",
                "mem_total",
                "mem_allocated",
                "mem_used",
                "offers_outstanding",
                "pending_tasks",
                "running_tasks",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            header.extend(fw_names.iter().map(|n| format!("share:{n}")));
            w.write_record(&header).map_err(csv_err)?;
        }
        let weights: Vec<f64> = scn
            .frameworks
            .iter()
            .map(|f| {
                scn.allocator
                    .weights
                    .get(f.role())
                    .map_or(f.weight(), |w| w.0)
            })
            .collect();
        Ok(Sampler {
            share_sums: vec![0.0; fw_names.len()],
            fw_names,
            weights,
            samples: 0,
            contention: crate::metrics::Contention::default(),
            ts,
        })
    }

    /// One sample at time `t` from the master's view `m` (the leader, or some live
    /// master) and the frameworks' statuses (in scenario order).
    pub fn sample(
        &mut self,
        m: Option<&Master>,
        statuses: &[Option<&dyn FrameworkStatus>],
        t: Time,
    ) -> Result<(), RunError> {
        // With no live master there is no view of the cluster: no row.
        let Some(m) = m else {
            return Ok(());
        };
        let shares = m.allocator().shares();
        let mut row_shares = vec![0.0; self.fw_names.len()];
        for (fw, share) in shares {
            if let Some(entry) = m.frameworks.get(fw as usize) {
                if let Some(i) = self.fw_names.iter().position(|n| *n == entry.name) {
                    row_shares[i] = share;
                }
            }
        }
        for (s, v) in self.share_sums.iter_mut().zip(&row_shares) {
            *s += v;
        }
        self.samples += 1;
        let pending: Vec<usize> = statuses
            .iter()
            .map(|f| f.map_or(0, |f| f.pending()))
            .collect();
        let backlogged: Vec<f64> = (0..self.fw_names.len())
            .filter(|&i| pending[i] > 0)
            .map(|i| row_shares[i] / self.weights[i])
            .collect();
        self.contention.add(&backlogged);
        let Some(w) = self.ts.as_mut() else {
            return Ok(());
        };
        let total = m.total();
        let used = m.used();
        let alloc = used + m.offered();
        let pending: usize = pending.iter().sum();
        let running = m.tasks.len();
        let mut row = vec![
            crate::metrics::secs(t),
            total.cpus_f64().to_string(),
            alloc.cpus_f64().to_string(),
            used.cpus_f64().to_string(),
            total.mem.to_string(),
            alloc.mem.to_string(),
            used.mem.to_string(),
            m.offers.len().to_string(),
            pending.to_string(),
            running.to_string(),
        ];
        row.extend(row_shares.iter().map(|s| format!("{s:.6}")));
        w.write_record(&row).map_err(csv_err)
    }
}
