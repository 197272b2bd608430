//! The leader detector: how non-candidates (agents, frameworks, and the masters
//! themselves, as Mesos' `LeaderDetector`) follow who leads an election.
//!
//! It keeps a child watch on the election path and, when the children change, reads the
//! data of the candidate with the smallest sequence number; it reports the leader's data
//! only when it changed. If the election path does not exist yet it waits for it with
//! an `exists` watch.
//!
//! Like Mesos' detector on its `zookeeper::Group`, it keeps reporting the last leader
//! while its client is cut off, until the group's local timer expires the session
//! ([`super::group`]): then it reports no leader (`GroupProcess::expired` empties the
//! memberships "so that clients watching the group are informed sooner") and reads the
//! group again on a new session.

use super::client::{CoordClient, CoordEvent};
use super::election::{candidates, ElectionEvent};
use super::group::LocalExpiry;
use super::msg::{CoordError, CoordTimer, OpResult, ReqId};
use super::tree::child_path;
use super::CoordProtocol;
use crate::actor::Ctx;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    List,
    Data(String),
    Exists,
}

/// Follows the leader of the election under a path.
#[derive(Clone, Debug)]
pub struct LeaderDetector {
    dir: String,
    pending: BTreeMap<ReqId, Step>,
    leader_node: Option<String>,
    current: Option<Option<Vec<u8>>>,
    expiry: LocalExpiry,
}

impl LeaderDetector {
    pub fn new(dir: &str) -> LeaderDetector {
        LeaderDetector {
            dir: dir.to_string(),
            pending: BTreeMap::new(),
            leader_node: None,
            current: None,
            expiry: LocalExpiry::default(),
        }
    }

    /// The leader's data as last reported: `None` before the first report,
    /// `Some(None)` when there is no leader.
    pub fn leader(&self) -> Option<&Option<Vec<u8>>> {
        self.current.as_ref()
    }

    /// Starts watching now if `client` is already connected (otherwise `Connected` does).
    pub fn start(&mut self, client: &mut CoordClient, ctx: &mut Ctx<impl CoordProtocol>) {
        if client.is_connected() {
            self.list(client, ctx);
        }
    }

    fn list(&mut self, client: &mut CoordClient, ctx: &mut Ctx<impl CoordProtocol>) {
        let r = client.get_children(ctx, &self.dir, true);
        self.pending.insert(r, Step::List);
    }

    fn report(&mut self, data: Option<Vec<u8>>, out: &mut Vec<ElectionEvent>) {
        if self.current.as_ref() != Some(&data) {
            self.current = Some(data.clone());
            out.push(ElectionEvent::LeaderIs(data));
        }
    }

    /// Handles a timer of the recipe's (see [`super::Election::on_timer`]): at the
    /// local expiry of a cut-off session, no leader is known any more.
    pub fn on_timer(
        &mut self,
        client: &mut CoordClient,
        ctx: &mut Ctx<impl CoordProtocol>,
        t: &CoordTimer,
    ) -> Vec<ElectionEvent> {
        let mut out = Vec::new();
        if self.expiry.fired(client, ctx, t) {
            self.pending.clear();
            self.leader_node = None;
            self.report(None, &mut out);
        }
        out
    }

    /// Feeds one client event; returns `LeaderIs` when the leader changed.
    pub fn handle(
        &mut self,
        client: &mut CoordClient,
        ctx: &mut Ctx<impl CoordProtocol>,
        ev: &CoordEvent,
    ) -> Vec<ElectionEvent> {
        let mut out = Vec::new();
        self.expiry.observe(client, ctx, ev);
        match ev {
            CoordEvent::Connected { .. } => {
                self.pending.clear();
                self.list(client, ctx);
            }
            CoordEvent::SessionExpired => {
                self.pending.clear();
                client.start(ctx);
            }
            CoordEvent::Watch(w) if w.path == self.dir => self.list(client, ctx),
            CoordEvent::Reply { req, result } => {
                let Some(step) = self.pending.remove(req) else {
                    return out;
                };
                match (step, result) {
                    (Step::List, Ok(OpResult::Children(names))) => {
                        match candidates(names).into_iter().next() {
                            None => {
                                self.leader_node = None;
                                self.report(None, &mut out);
                            }
                            Some(first) if self.leader_node.as_ref() != Some(&first) => {
                                let r = client.get_data(ctx, &child_path(&self.dir, &first), false);
                                self.pending.insert(r, Step::Data(first));
                            }
                            Some(_) => {}
                        }
                    }
                    (Step::List, Err(CoordError::NoNode)) => {
                        self.report(None, &mut out);
                        let r = client.exists(ctx, &self.dir, true);
                        self.pending.insert(r, Step::Exists);
                    }
                    (Step::Exists, Ok(OpResult::Exists(Some(_)))) => self.list(client, ctx),
                    (Step::Data(node), Ok(OpResult::Data(d, _))) => {
                        self.leader_node = Some(node);
                        let d = d.clone();
                        self.report(Some(d), &mut out);
                    }
                    // The leader went between the listing and the read: the child
                    // watch brings the next listing.
                    (Step::Data(_), Err(CoordError::NoNode)) => {}
                    _ => {}
                }
            }
            _ => {}
        }
        out
    }
}
