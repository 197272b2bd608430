//! When the master next pings each agent, kept so that one timer serves them all.
//!
//! Mesos arms one ping timer per agent (`SlaveObserver`). At 12,500 agents that is one
//! timer event per ping, a third of the health checks' events. Here every due ping
//! waits in one queue and a single sweep timer, on a grid of [`GRID`], sends all the
//! pings due by then. A ping so leaves at most one grid step late. It is re-armed from
//! when it left, so when the ping timeout is a whole number of grid steps (Mesos' 15 s
//! and every shipped scenario's) every later ping of that agent is exactly one ping
//! timeout after the one before, as in Mesos, and only an agent's first ping after
//! (re-)registering is late, by under a step; otherwise every ping may be.

use crate::actor::{Time, SEC};
use crate::alloc::AgentId;
use std::collections::VecDeque;

/// The sweeps' spacing, or the ping timeout if it is shorter.
pub const GRID: Time = SEC;

/// Agents' next pings in due order, and the one sweep that is pending.
#[derive(Debug, Default)]
pub struct PingSchedule {
    /// (due, agent): every entry is due one ping timeout after the moment it was
    /// pushed, so appending keeps the queue sorted. An entry is stale when its agent
    /// was removed or re-armed since; its owner checks that when it comes due.
    due: VecDeque<(Time, AgentId)>,
    /// When the pending sweep fires, if one is pending.
    armed: Option<Time>,
    grid: Time,
}

impl PingSchedule {
    pub fn new(ping_timeout: Time) -> Self {
        PingSchedule {
            due: VecDeque::new(),
            armed: None,
            grid: GRID.min(ping_timeout).max(1),
        }
    }

    /// Schedules a ping of `agent` at `due`, no earlier than any scheduled before.
    pub fn push(&mut self, due: Time, agent: AgentId) {
        debug_assert!(self.due.back().is_none_or(|&(last, _)| last <= due));
        self.due.push_back((due, agent));
    }

    /// The pings due by `now`, for the sweep firing now.
    pub fn take_due(&mut self, now: Time) -> Vec<(Time, AgentId)> {
        self.armed = None;
        let n = self.due.partition_point(|&(t, _)| t <= now);
        self.due.drain(..n).collect()
    }

    /// When to fire a sweep, if pings wait and no sweep is pending: the first grid
    /// step at or after the earliest due ping.
    pub fn next_sweep(&mut self) -> Option<Time> {
        if self.armed.is_some() {
            return None;
        }
        let &(due, _) = self.due.front()?;
        let at = due.div_ceil(self.grid).saturating_mul(self.grid);
        self.armed = Some(at);
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sweep_per_grid_step_takes_every_ping_due_by_then() {
        let mut s = PingSchedule::new(15 * SEC);
        s.push(SEC / 3, 0);
        assert_eq!(s.next_sweep(), Some(SEC), "first sweep on the next step");
        s.push(SEC / 2, 1);
        s.push(SEC + 1, 2);
        assert_eq!(s.next_sweep(), None, "the pending sweep covers them");
        assert_eq!(s.take_due(SEC), vec![(SEC / 3, 0), (SEC / 2, 1)]);
        s.push(16 * SEC, 0);
        assert_eq!(s.next_sweep(), Some(2 * SEC), "the earliest left decides");
        assert_eq!(s.take_due(2 * SEC), vec![(SEC + 1, 2)]);
        assert_eq!(
            s.next_sweep(),
            Some(16 * SEC),
            "on the grid: exactly 15 s later"
        );
        assert_eq!(s.take_due(16 * SEC), vec![(16 * SEC, 0)]);
        assert_eq!(s.next_sweep(), None, "nothing left to ping");
    }

    #[test]
    fn a_ping_timeout_under_the_grid_is_its_own_grid() {
        let mut s = PingSchedule::new(SEC / 10);
        s.push(SEC / 10 + 1, 0);
        assert_eq!(s.next_sweep(), Some(2 * SEC / 10));
    }
}
