//! When the master next times out each agent's ping, kept so that one timer serves
//! them all.
//!
//! Mesos arms one ping timer per agent (`SlaveObserver`). Here every due ping timeout
//! waits in one queue and a single sweep timer, set for the earliest, handles all
//! those due at that moment: agents admitted together are swept together, and each
//! agent's timeouts fall exactly one `agent_ping_timeout` apart, from the moment it
//! was admitted, as Mesos' do. (An earlier version swept on a 1 s grid, which made
//! the first removal up to a second late: Mesos' `PartitionTest` expects exactly 75 s.)

use crate::actor::Time;
use crate::alloc::AgentId;
use std::collections::VecDeque;

/// Agents' next ping timeouts in due order, and the one sweep that is pending.
#[derive(Debug, Default)]
pub struct PingSchedule {
    /// (due, agent): every entry is due one ping timeout after the moment it was
    /// pushed, so appending keeps the queue sorted. An entry is stale when its agent
    /// was removed or re-armed since; its owner checks that when it comes due.
    due: VecDeque<(Time, AgentId)>,
    /// When the pending sweep fires, if one is pending.
    armed: Option<Time>,
}

impl PingSchedule {
    pub fn new() -> Self {
        PingSchedule::default()
    }

    /// Schedules a ping timeout of `agent` at `due`, no earlier than any before.
    pub fn push(&mut self, due: Time, agent: AgentId) {
        debug_assert!(self.due.back().is_none_or(|&(last, _)| last <= due));
        self.due.push_back((due, agent));
    }

    /// The timeouts due by `now`, for the sweep firing now.
    pub fn take_due(&mut self, now: Time) -> Vec<(Time, AgentId)> {
        self.armed = None;
        let n = self.due.partition_point(|&(t, _)| t <= now);
        self.due.drain(..n).collect()
    }

    /// When to fire a sweep, if timeouts wait and no sweep is pending: the earliest.
    pub fn next_sweep(&mut self) -> Option<Time> {
        if self.armed.is_some() {
            return None;
        }
        let &(due, _) = self.due.front()?;
        self.armed = Some(due);
        Some(due)
    }
}
