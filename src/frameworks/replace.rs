//! How Marathon replaces an app's instances with those of a new version: its
//! `TaskReplaceActor` (Marathon 1.10, `core/deployment/impl/TaskReplaceActor.scala`,
//! with `ReadinessBehavior.scala`), as a state machine the Marathon-like scheduler
//! drives with the events that drive Marathon's actor.
//!
//! - At the start (`computeRestartStrategy`): `minHealthy = ceil(n x
//!   minimumHealthCapacity)` and `maxCapacity = floor(n x (1 + maximumOverCapacity))`,
//!   both in floating point exactly as Marathon computes them (so 25 x 0.28 =
//!   7.000000000000001 asks for 8 healthy instances, and 25 x 1.16 =
//!   28.999999999999996 allows 28); `max(0, healthy - minHealthy)` old instances are
//!   killed at once, and when `minHealthy == maxCapacity <= healthy` (e.g. 100 % / 0 %)
//!   one instance over capacity is allowed so that the deployment can proceed. If more
//!   instances exist than the new target, at least the excess is killed at once (a
//!   scale-down during an upgrade kills old instances first).
//! - Old instances are killed in one queue fixed at the start: those not considered
//!   healthy first.
//! - New instances are launched while `maxCapacity - oldActive - started > 0`
//!   (`launchInstances`), at the start and whenever an old instance ends. A new
//!   instance that fails is relaunched (its goal stays Running), so `started` does not
//!   drop.
//! - Each new instance that becomes healthy (passes its first health check, or, without
//!   health checks, runs) kills the next old instance, once per instance
//!   (`instanceConditionChanged`, guarded by `!healthy(id)`).
//! - New instances that already exist when the replacement starts (a deployment that
//!   replaces one in flight) count as healthy only if they are (`reconcileHealthAnd
//!   ReadinessCheck`); they kill nothing.
//! - Done when exactly `n` new instances are healthy and no old instance is left
//!   (`checkFinished`).
//!
//! Readiness checks are not modelled (every healthy instance is ready).

use crate::proto::TaskId;
use std::collections::{BTreeSet, VecDeque};

/// `computeRestartStrategy`'s result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartStrategy {
    pub min_healthy: usize,
    pub max_capacity: usize,
    pub kill_now: usize,
}

/// Marathon's `computeRestartStrategy` for a target of `n` instances, with
/// `healthy` instances (old and new) considered healthy and `current` instances in all.
pub fn restart_strategy(
    n: u32,
    minimum_health_capacity: f64,
    maximum_over_capacity: f64,
    healthy: usize,
    current: usize,
) -> RestartStrategy {
    let n_f = f64::from(n);
    let min_healthy = (n_f * minimum_health_capacity).ceil() as usize;
    let mut max_capacity = (n_f * (1.0 + maximum_over_capacity)) as usize;
    let mut kill_now = healthy.saturating_sub(min_healthy);
    if min_healthy == max_capacity && max_capacity <= healthy {
        // "Allow temporary over-capacity of one instance to allow restarting" (Marathon
        // kills one more instead for resident apps, which are not modelled).
        max_capacity += 1;
    }
    if (n as usize) < current {
        kill_now = kill_now.max(current - n as usize);
    }
    RestartStrategy {
        min_healthy,
        max_capacity,
        kill_now,
    }
}

/// An instance as the replacement sees it when it starts.
#[derive(Clone, Copy, Debug)]
pub struct Seen {
    pub id: TaskId,
    /// Of the version being rolled out.
    pub new: bool,
    /// Its goal is still Running (not being killed by a deployment or a scale-down).
    pub goal_running: bool,
    /// Considered healthy: passed its last health check, or running without checks.
    pub healthy: bool,
}

/// One app's replacement in progress.
#[derive(Clone, Debug)]
pub struct Replace {
    target: usize,
    strategy: RestartStrategy,
    /// Old instances still to kill, in Marathon's order.
    to_kill: VecDeque<TaskId>,
    /// Old instances not yet ended.
    old_active: BTreeSet<TaskId>,
    /// New instances started or queued (`instancesStarted`).
    started: usize,
    /// New instances that became healthy (and so ready) and have not ended.
    healthy: BTreeSet<TaskId>,
    /// Old and new instances whose goal was Running at the start.
    initial: usize,
}

impl Replace {
    /// Starts a replacement towards `n` new instances; returns it and the old
    /// instances to kill at once.
    pub fn start(
        n: u32,
        minimum_health_capacity: f64,
        maximum_over_capacity: f64,
        instances: &[Seen],
    ) -> (Replace, Vec<TaskId>) {
        let considered_healthy = instances
            .iter()
            .filter(|i| i.goal_running && i.healthy)
            .count();
        let strategy = restart_strategy(
            n,
            minimum_health_capacity,
            maximum_over_capacity,
            considered_healthy,
            instances.len(),
        );
        let old_active: Vec<&Seen> = instances
            .iter()
            .filter(|i| !i.new && i.goal_running)
            .collect();
        // Unhealthy first; otherwise in the order given (Marathon's is the instance
        // tracker's; here the oldest first).
        let to_kill = old_active
            .iter()
            .filter(|i| !i.healthy)
            .chain(old_active.iter().filter(|i| i.healthy))
            .map(|i| i.id)
            .collect();
        let mut r = Replace {
            initial: instances.iter().filter(|i| i.goal_running).count(),
            target: n as usize,
            strategy,
            to_kill,
            old_active: old_active.iter().map(|i| i.id).collect(),
            started: instances.iter().filter(|i| i.new).count(),
            healthy: instances
                .iter()
                .filter(|i| i.new && i.healthy)
                .map(|i| i.id)
                .collect(),
        };
        let kills = (0..strategy.kill_now)
            .filter_map(|_| r.next_old())
            .collect();
        (r, kills)
    }

    pub fn strategy(&self) -> RestartStrategy {
        self.strategy
    }

    /// The most instances whose goal is Running that this replacement can have at
    /// once: `maxCapacity`, or what there was at the start if that was more.
    pub fn capacity(&self) -> usize {
        self.strategy.max_capacity.max(self.initial)
    }

    /// `launchInstances`: how many more new instances to queue now.
    pub fn launch(&mut self) -> usize {
        let left = self
            .strategy
            .max_capacity
            .saturating_sub(self.old_active.len() + self.started);
        let now = self.target.saturating_sub(self.started).min(left);
        self.started += now;
        now
    }

    /// New instances started or queued: those the launcher keeps running.
    pub fn started(&self) -> usize {
        self.started
    }

    /// A new instance became healthy (and ready): the old instance to kill, if any.
    pub fn became_healthy(&mut self, id: TaskId) -> Option<TaskId> {
        if !self.healthy.insert(id) {
            return None;
        }
        self.next_old()
    }

    /// `killNextOldInstance`: the next old instance in the queue, if it has not ended
    /// meanwhile (Marathon then kills nothing: the turn is spent).
    fn next_old(&mut self) -> Option<TaskId> {
        self.to_kill
            .pop_front()
            .filter(|t| self.old_active.contains(t))
    }

    /// A new instance ended (`instanceTerminated`); the launcher relaunches it.
    pub fn new_ended(&mut self, id: TaskId) {
        self.healthy.remove(&id);
    }

    /// An old instance ended, killed or on its own (an old instance that fails is not
    /// relaunched: Marathon decommissions it). It keeps its place in the kill queue.
    pub fn old_ended(&mut self, id: TaskId) {
        self.old_active.remove(&id);
    }

    /// `checkFinished`.
    pub fn finished(&self) -> bool {
        self.healthy.len() == self.target && self.old_active.is_empty()
    }
}
