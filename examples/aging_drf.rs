//! An allocation policy that is not built in, in one file: DRF with an aging term.
//!
//! Under DRF a framework whose dominant share is a little above the others' can wait a
//! long time for an agent while the cell is busy. Aging lowers each framework's sort key
//! by `aging_per_s` for every second since it was last offered anything, so a waiting
//! framework rises in the order until it is served:
//!
//! ```text
//! key = share - aging_per_s * seconds since its last offer (or since t = 0)
//! ```
//!
//! Roles are ordered the same way by their weighted share less the largest aging term
//! among their eligible frameworks, so the policy stays hierarchical as DRF is; with
//! `aging_per_s = 0` it orders as DRF does (ties aside). Run it with
//!
//! ```text
//! cargo run --release --example aging_drf -- run examples/aging_drf.toml
//! cargo run --release --example aging_drf -- sweep examples/aging_drf_sweep.toml
//! ```
//!
//! The program registers the policy and hands over to schedlab's own command line, so
//! every subcommand (run, sweep, check, compare, ...) knows `policy = "aging_drf"`.

use rand_chacha::ChaCha8Rng;
use schedlab::actor::SEC;
use schedlab::alloc::{
    register_policy, shuffle_by_salt, AgentId, AgentView, AllocationPolicy, Candidates,
    FrameworkId, PolicyParams,
};

/// DRF whose keys fall by `aging_per_s` per second of waiting.
#[derive(Clone, Copy, Debug)]
pub struct AgingDrf {
    /// Share points a framework gains per second since its last offer.
    pub aging_per_s: f64,
}

impl AgingDrf {
    /// The constructor the registry calls: `[allocator.params] aging_per_s = 0.001`.
    pub fn build(mut params: PolicyParams) -> Result<Box<dyn AllocationPolicy>, String> {
        let aging_per_s = params.take("aging_per_s", 0.001);
        params.finish()?;
        if !(aging_per_s.is_finite() && aging_per_s >= 0.0) {
            return Err(format!("aging_per_s must be >= 0, got {aging_per_s}"));
        }
        Ok(Box::new(AgingDrf { aging_per_s }))
    }
}

impl AllocationPolicy for AgingDrf {
    /// Agents in Mesos' shuffled order, as DRF visits them.
    fn order_agents(&self, agents: &mut Vec<AgentId>, _: &AgentView<'_>, rng: &mut ChaCha8Rng) {
        shuffle_by_salt(agents, rng);
    }

    fn pick(&self, c: &mut dyn Candidates, _: &mut ChaCha8Rng) -> Option<FrameworkId> {
        let now = c.now();
        let eligible = c.eligible();
        let aging = |last: Option<u64>| {
            let waited = now.saturating_sub(last.unwrap_or(0));
            self.aging_per_s * waited as f64 / SEC as f64
        };
        // Per candidate: (role key, own key, id); the role key is its role's weighted
        // share less the largest aging among the role's candidates.
        let keys: Vec<(f64, f64, FrameworkId)> = eligible
            .iter()
            .map(|x| {
                let role_aging = eligible
                    .iter()
                    .filter(|y| y.role == x.role)
                    .map(|y| aging(y.last_offer))
                    .fold(0.0, f64::max);
                (
                    x.role_share - role_aging,
                    x.share - aging(x.last_offer),
                    x.framework,
                )
            })
            .collect();
        keys.into_iter()
            .min_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then(a.1.total_cmp(&b.1))
                    .then(a.2.cmp(&b.2))
            })
            .map(|k| k.2)
    }
}

/// The one line that makes `policy = "aging_drf"` known (idempotent, for tests that
/// call it from several threads).
pub fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| register_policy("aging_drf", AgingDrf::build).expect("a new name"));
}

#[allow(dead_code)] // not called when the tests include this file as a module
fn main() -> std::process::ExitCode {
    register();
    schedlab::cli::main()
}
