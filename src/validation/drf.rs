//! The DRF paper's allocation properties (Ghodsi et al., NSDI'11, sections 4-5), checked
//! against schedlab's allocator on random instances with discrete tasks, and in the
//! paper's own divisible model ([`divisible`]), where all four hold exactly.
//!
//! An instance is one pool of resources `C` and `n` users, each always wanting more
//! tasks of a fixed demand vector `d_i`. [`fill`] plays it through the real
//! [`Allocator`] (the hierarchical DRF allocator, one role per user): every offer is
//! answered by launching one task and giving the rest back; a user whose task no longer
//! fits declines for good. That is DRF's progressive filling over discrete tasks, and
//! [`reference`] recomputes it independently in exact integer arithmetic.
//!
//! With `sigma_i = max_r d_ir / C_r` (the dominant share of one task) and `x_i` tasks,
//! user i's dominant share is `s_i = x_i sigma_i`. The paper proves its properties for
//! divisible demands; with discrete tasks, what holds (and what the tests check) is:
//!
//! - **Pareto efficiency**, exactly: at the end no task of any user fits in what is
//!   left ([`pareto_efficient`]).
//! - **Envy-freeness up to one task** (EF1): no user could run more of its own tasks on
//!   another user's bundle with one of that user's tasks removed than it runs
//!   ([`envy_free_up_to_one`]). Plain envy-freeness fails: a user blocked early (its
//!   large task no longer fits) may envy a user that kept receiving small tasks.
//! - **Sharing incentive**, as a bound: `s_i > (1 - sum_j sigma_j) / n` for every user
//!   (when user i is first blocked on resource r, every other user's share exceeds
//!   i's by at most one of its tasks, and r is full). Hence the exact guarantee
//!   `x_i >= floor(1 / (n sigma_i))` (as many tasks as 1/n of the pool would run) for
//!   every user whose tasks are at least as large as the average task,
//!   `n sigma_i >= sum_j sigma_j` ([`sharing_incentive`]). The exact guarantee can fail
//!   for users with smaller tasks: pool 12 CPUs, A's tasks 1 CPU, B's 7 CPUs: A gets 5,
//!   not 6.
//! - **Strategy-proofness** does not survive discrete tasks: a user who misreports
//!   (e.g. asks for tasks twice its size, or for more of one resource) can end up able
//!   to run more of its true tasks, because the misreport changes which users are
//!   blocked, and when, as the pool fills (Parkes, Procaccia and Shah, EC'12, analyse
//!   DRF with indivisible tasks for this reason). [`lie_gain`] measures what a lie
//!   yields through the allocator; the tests pin an instance where a lie gains, and
//!   measure how often and how much random lies gain (rarely, by a few tasks), rather
//!   than assert a property that does not hold.

use crate::actor::Time;
use crate::alloc::{build, AllocatorConfig, FrameworkId, OfferDecision, Policy};
use crate::resources::Resources;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One pool and the task demand of each user.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    pub capacity: Resources,
    pub demands: Vec<Resources>,
}

/// Resource kinds used by instances: CPUs (thousandths), memory and disk (MiB).
const KINDS: usize = 3;

fn arr(r: &Resources) -> [u64; KINDS] {
    let a = r.as_array();
    [a[0], a[1], a[2]]
}

fn res(a: [u64; KINDS]) -> Resources {
    Resources::from_array([a[0], a[1], a[2], 0])
}

impl Instance {
    /// A random instance: 2-5 users, 2 or 3 resource kinds, capacities `10..=60` units
    /// per kind and task demands `1..=cap/3` units (coarse tasks, where discreteness
    /// matters most). Units are 1 CPU (1000 thousandths) and 1 GiB.
    pub fn random(rng: &mut ChaCha8Rng) -> Instance {
        let kinds = rng.gen_range(2..=KINDS);
        let n = rng.gen_range(2..=5);
        let unit = [1000u64, 1024, 1024];
        let mut cap = [0u64; KINDS];
        for c in cap.iter_mut().take(kinds) {
            *c = rng.gen_range(10..=60);
        }
        let demands = (0..n)
            .map(|_| {
                let mut d = [0u64; KINDS];
                for k in 0..kinds {
                    d[k] = rng.gen_range(1..=cap[k] / 3) * unit[k];
                }
                res(d)
            })
            .collect();
        for k in 0..kinds {
            cap[k] *= unit[k];
        }
        Instance {
            capacity: res(cap),
            demands,
        }
    }

    /// Dominant share of one task of user `i`, as an exact fraction (num, den).
    pub fn sigma(&self, i: usize) -> (u128, u128) {
        frac_max(&arr(&self.demands[i]), &arr(&self.capacity), 1)
    }

    /// `sigma_i` as a float (for reports).
    pub fn sigma_f64(&self, i: usize) -> f64 {
        let (a, b) = self.sigma(i);
        a as f64 / b as f64
    }
}

/// `max_r n * d_r / c_r` as a fraction, over kinds with `c_r > 0`.
fn frac_max(d: &[u64; KINDS], c: &[u64; KINDS], n: u64) -> (u128, u128) {
    let mut best = (0u128, 1u128);
    for k in 0..KINDS {
        if c[k] == 0 {
            continue;
        }
        let f = ((n * d[k]) as u128, c[k] as u128);
        if f.0 * best.1 > best.0 * f.1 {
            best = f;
        }
    }
    best
}

/// Plays `inst` through the schedlab allocator (`policy`, DRF by default): one agent
/// holding the pool, one framework per user in its own role. Each offer is answered by
/// launching one task (kept allocated) and giving the rest back; an offer too small
/// for a task is declined for good. Returns the tasks of each user.
pub fn fill_with(inst: &Instance, policy: Policy) -> Vec<u64> {
    let mut cfg = AllocatorConfig::new(policy);
    cfg.min_allocatable = Resources::ZERO;
    let mut a = build(&cfg);
    a.add_agent(0, inst.capacity);
    for i in 0..inst.demands.len() {
        a.add_framework(i as FrameworkId, &format!("user{i}"));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut tasks = vec![0u64; inst.demands.len()];
    let mut now: Time = 0;
    loop {
        let offers = a.allocate(now, &mut rng);
        if offers.is_empty() {
            return tasks;
        }
        for OfferDecision {
            framework,
            agent,
            resources,
        } in offers
        {
            let t = inst.demands[framework as usize];
            if resources.contains(&t) {
                tasks[framework as usize] += 1;
                a.recover(agent, framework, resources - t);
            } else {
                a.recover(agent, framework, resources);
                a.filter(framework, agent, Time::MAX);
            }
        }
        now += 1;
    }
}

/// [`fill_with`] under DRF.
pub fn fill(inst: &Instance) -> Vec<u64> {
    fill_with(inst, Policy::DRF)
}

/// Discrete progressive filling computed independently, in exact integer arithmetic:
/// repeatedly give one task to the user with the lowest dominant share among those
/// whose next task still fits (ties to the fewest tasks, then the lowest index, as
/// Mesos' DRF sorter breaks them). Returns the tasks per user
/// and, per user, how many tasks had been handed out in total when it was first
/// blocked.
pub fn reference(inst: &Instance) -> (Vec<u64>, Vec<u64>) {
    let cap = arr(&inst.capacity);
    let d: Vec<[u64; KINDS]> = inst.demands.iter().map(arr).collect();
    let n = d.len();
    let mut x = vec![0u64; n];
    let mut blocked = vec![u64::MAX; n];
    let mut used = [0u64; KINDS];
    let mut handed = 0u64;
    loop {
        let fits = |i: usize, used: &[u64; KINDS]| (0..KINDS).all(|k| used[k] + d[i][k] <= cap[k]);
        for (i, b) in blocked.iter_mut().enumerate() {
            if *b == u64::MAX && !fits(i, &used) {
                *b = handed;
            }
        }
        let mut pick: Option<usize> = None;
        for i in (0..n).filter(|&i| blocked[i] == u64::MAX) {
            let s = frac_max(&d[i], &cap, x[i]);
            // Ties as Mesos' DRF sorter breaks them (`sorter.hpp`, `Node::compareDRF`):
            // fewer allocations first (here, with one task per offer, fewer tasks), then
            // the lower index (the names `user0`, `user1`, ... in that order below 10).
            let better = pick.is_none_or(|p| {
                let t = frac_max(&d[p], &cap, x[p]);
                let (l, r) = (s.0 * t.1, t.0 * s.1);
                l < r || (l == r && x[i] < x[p])
            });
            if better {
                pick = Some(i);
            }
        }
        let Some(i) = pick else {
            return (x, blocked);
        };
        x[i] += 1;
        handed += 1;
        for k in 0..KINDS {
            used[k] += d[i][k];
        }
    }
}

/// How many tasks of demand `d` fit in `bundle`.
pub fn tasks_in(bundle: &Resources, d: &Resources) -> u64 {
    let (b, d) = (arr(bundle), arr(d));
    (0..KINDS)
        .filter(|&k| d[k] > 0)
        .map(|k| b[k] / d[k])
        .min()
        .unwrap_or(u64::MAX)
}

fn used(inst: &Instance, x: &[u64]) -> Resources {
    x.iter()
        .zip(&inst.demands)
        .fold(Resources::ZERO, |acc, (&n, d)| acc + d.times(n))
}

/// Pareto efficiency with discrete tasks: no user's task fits in what is left.
pub fn pareto_efficient(inst: &Instance, x: &[u64]) -> Result<(), String> {
    let left = inst
        .capacity
        .checked_sub(&used(inst, x))
        .ok_or("over-allocated")?;
    match (0..x.len()).find(|&i| left.contains(&inst.demands[i])) {
        Some(i) => Err(format!("a task of user {i} still fits in {left:?}")),
        None => Ok(()),
    }
}

/// Envy-freeness up to one task: for all i != j with x_j > 0, user i cannot run more of
/// its tasks on `(x_j - 1) d_j` than the `x_i` it runs.
pub fn envy_free_up_to_one(inst: &Instance, x: &[u64]) -> Result<(), String> {
    for i in 0..x.len() {
        for j in (0..x.len()).filter(|&j| j != i && x[j] > 0) {
            let could = tasks_in(&inst.demands[j].times(x[j] - 1), &inst.demands[i]);
            if could > x[i] {
                return Err(format!(
                    "user {i} runs {} tasks but could run {could} on user {j}'s bundle less one task",
                    x[i]
                ));
            }
        }
    }
    Ok(())
}

/// Plain envy-freeness: no user could run more of its tasks on another's whole bundle.
pub fn envy_free(inst: &Instance, x: &[u64]) -> Result<(), String> {
    for i in 0..x.len() {
        for j in (0..x.len()).filter(|&j| j != i) {
            let could = tasks_in(&inst.demands[j].times(x[j]), &inst.demands[i]);
            if could > x[i] {
                return Err(format!("user {i} envies user {j} ({could} > {})", x[i]));
            }
        }
    }
    Ok(())
}

/// Tasks user `i` would run alone on `1/n` of the pool: `floor(1 / (n sigma_i))`.
pub fn fair_alone(inst: &Instance, i: usize) -> u64 {
    let n = inst.demands.len() as u64;
    let (c, d) = (arr(&inst.capacity), arr(&inst.demands[i]));
    (0..KINDS)
        .filter(|&k| d[k] > 0)
        .map(|k| c[k] / (n * d[k]))
        .min()
        .unwrap_or(u64::MAX)
}

/// The discrete sharing incentive (see the module doc): `s_i > (1 - sum sigma) / n` for
/// all users, and `x_i >= floor(1 / (n sigma_i))` for users with `n sigma_i >= sum
/// sigma`. Exact rational arithmetic.
pub fn sharing_incentive(inst: &Instance, x: &[u64]) -> Result<(), String> {
    let n = x.len() as u128;
    // Common denominator: product of capacities' lcm is overkill; compare fractions
    // through f64-free cross multiplication on (num, den) pairs summed exactly.
    let sig: Vec<(u128, u128)> = (0..x.len()).map(|i| inst.sigma(i)).collect();
    let (sum_n, sum_d) = sig.iter().fold((0u128, 1u128), |(a, b), &(c, d)| {
        let (num, den) = (a * d + c * b, b * d);
        let g = gcd(num, den);
        (num / g, den / g)
    });
    for i in 0..x.len() {
        // s_i = x_i sig_i; need n * s_i > 1 - sum  <=>  n x_i a/b + sum_n/sum_d > 1.
        let (a, b) = sig[i];
        let lhs = n * x[i] as u128 * a * sum_d + sum_n * b;
        if lhs <= b * sum_d {
            return Err(format!(
                "user {i}: dominant share {} tasks x {:.4} not above (1 - sum sigma)/n",
                x[i],
                a as f64 / b as f64
            ));
        }
        // Large-task users: n a / b >= sum_n / sum_d.
        if n * a * sum_d >= sum_n * b && x[i] < fair_alone(inst, i) {
            return Err(format!(
                "user {i} (tasks at least average size) gets {} < {} tasks",
                x[i],
                fair_alone(inst, i)
            ));
        }
    }
    Ok(())
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// How many more of its true tasks user `i` can run when it reports `lie` instead of
/// its demand (negative: it loses), both played through the allocator.
pub fn lie_gain(inst: &Instance, i: usize, lie: Resources) -> i64 {
    let truth = fill(inst)[i];
    let mut l = inst.clone();
    l.demands[i] = lie;
    let got = fill(&l)[i];
    tasks_in(&lie.times(got), &inst.demands[i]) as i64 - truth as i64
}

/// DRF in the paper's own model, divisible demands (section 4, progressive filling):
/// every user's dominant share rises at the same rate; when a resource is saturated,
/// every user that needs it is frozen; the others go on. Returns each user's number of
/// tasks as a real number (user `i` holds `x_i d_i`). Resource kinds with zero capacity
/// are ignored; a user asking for nothing gets nothing.
///
/// This is what the paper's theorems are about: on it, DRF is strategy-proof,
/// envy-free, Pareto efficient and has the sharing incentive, exactly (the tests check
/// all four on random instances, and that the allocator with fine-grained tasks
/// converges to it).
pub fn divisible(capacity: &[f64], demands: &[Vec<f64>]) -> Vec<f64> {
    let kinds = capacity.len();
    let n = demands.len();
    // sigma_i: dominant share of one task.
    let sigma: Vec<f64> = demands
        .iter()
        .map(|d| {
            (0..kinds)
                .filter(|&k| capacity[k] > 0.0)
                .map(|k| d[k] / capacity[k])
                .fold(0.0, f64::max)
        })
        .collect();
    let mut active: Vec<bool> = sigma.iter().map(|&s| s > 0.0).collect();
    let mut x = vec![0.0; n];
    let mut level = 0.0f64; // the common dominant share of the active users
    let mut frozen_use = vec![0.0; kinds];
    let mut saturated = vec![false; kinds];
    while active.iter().any(|&a| a) {
        // Use of resource k at level s: frozen_use[k] + s * rate[k].
        let rate: Vec<f64> = (0..kinds)
            .map(|k| {
                (0..n)
                    .filter(|&i| active[i])
                    .map(|i| demands[i][k] / sigma[i])
                    .sum()
            })
            .collect();
        let next = (0..kinds)
            .filter(|&k| capacity[k] > 0.0 && !saturated[k] && rate[k] > 0.0)
            .map(|k| (capacity[k] - frozen_use[k]) / rate[k])
            .fold(f64::INFINITY, f64::min);
        level = next.max(level);
        for k in 0..kinds {
            if capacity[k] > 0.0
                && rate[k] > 0.0
                && frozen_use[k] + level * rate[k] >= capacity[k] * (1.0 - 1e-12)
            {
                saturated[k] = true;
            }
        }
        for i in 0..n {
            if active[i] && (0..kinds).any(|k| saturated[k] && demands[i][k] > 0.0) {
                active[i] = false;
                x[i] = level / sigma[i];
                for k in 0..kinds {
                    frozen_use[k] += x[i] * demands[i][k];
                }
            }
        }
    }
    x
}

/// How many of its true tasks `truth` a user can run with a bundle of `bundle`
/// (divisible: a real number).
pub fn divisible_utility(truth: &[f64], bundle: &[f64]) -> f64 {
    (0..truth.len())
        .filter(|&k| truth[k] > 0.0)
        .map(|k| bundle[k] / truth[k])
        .fold(f64::INFINITY, f64::min)
}
