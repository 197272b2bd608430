//! The cluster operator: maintenance calls of Mesos' v1 operator API made at given
//! times (today MARK_AGENT_GONE, a `mark_gone` fault in a scenario).
//!
//! As an operator's HTTP client would, it sends each call to the leading master and
//! repeats it every [`RETRY`] until a master answers (a call to a master that lost
//! leadership, or lost on a partitioned link, is made again), one call at a time, in
//! time order.

use super::detector::{Inbound, MasterDetector};
use crate::actor::{Actor, ActorId, Ctx, Time, TimerId, SEC};
use crate::proto::{Mesos, Msg, Timer};
use std::collections::VecDeque;

/// How long the operator waits for an answer before it calls again.
pub const RETRY: Time = 5 * SEC;

/// A call the operator makes: when, and which agent (by hostname) to mark gone.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct OperatorCall {
    pub at: Time,
    pub mark_gone: String,
}

pub struct Operator {
    master: MasterDetector,
    calls: VecDeque<OperatorCall>,
    /// Voids timers armed for an earlier call or attempt.
    generation: u32,
    /// Calls answered: (hostname, the master found the agent).
    pub answered: Vec<(String, bool)>,
}

impl Operator {
    pub fn new(master: MasterDetector, mut calls: Vec<OperatorCall>) -> Operator {
        calls.sort();
        Operator {
            master,
            calls: calls.into(),
            generation: 0,
            answered: Vec::new(),
        }
    }

    /// Arms the timer of the next call (at its time, or now if that has passed).
    fn arm(&mut self, ctx: &mut Ctx<Mesos>, after: Option<Time>) {
        let Some(call) = self.calls.front() else {
            return;
        };
        self.generation += 1;
        let wait = after.unwrap_or_else(|| call.at.saturating_sub(ctx.now()));
        ctx.set_timer(wait, Timer::OperatorCall(self.generation));
    }
}

impl Actor<Mesos> for Operator {
    fn on_start(&mut self, ctx: &mut Ctx<Mesos>) {
        self.master.start(ctx);
        self.arm(ctx, None);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Mesos>, from: ActorId, msg: Msg) {
        if let Inbound::Master(Msg::OperatorReply { ok }) = self.master.on_message(ctx, from, msg) {
            if let Some(call) = self.calls.pop_front() {
                if ctx.logging() {
                    ctx.log(
                        "operator_mark_gone",
                        serde_json::json!({ "agent": call.mark_gone, "found": ok }),
                    );
                }
                self.answered.push((call.mark_gone, ok));
            }
            self.arm(ctx, None);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Mesos>, _id: TimerId, timer: Timer) {
        let Inbound::Timer(Timer::OperatorCall(g)) = self.master.on_timer(ctx, timer) else {
            return;
        };
        let Some(call) = self.calls.front() else {
            return;
        };
        if g != self.generation {
            return;
        }
        let msg = Msg::MarkAgentGone {
            hostname: call.mark_gone.clone().into_boxed_str(),
        };
        self.master.send(ctx, msg);
        self.arm(ctx, Some(RETRY));
    }
}
