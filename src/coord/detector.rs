//! The leader detector: how non-candidates (agents, frameworks, and the masters
//! themselves, as Mesos' `LeaderDetector`) follow who leads an election.
//!
//! It keeps a child watch on the election path and, when the children change, reads the
//! data of the candidate with the smallest sequence number; it reports the leader's data
//! only when it changed. If the election path does not exist yet it waits for it with
//! an `exists` watch.

use super::client::{CoordClient, CoordEvent};
use super::election::{candidates, ElectionEvent};
use super::msg::{CoordError, OpResult, ReqId};
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
}

impl LeaderDetector {
    pub fn new(dir: &str) -> LeaderDetector {
        LeaderDetector {
            dir: dir.to_string(),
            pending: BTreeMap::new(),
            leader_node: None,
            current: None,
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

    /// Feeds one client event; returns `LeaderIs` when the leader changed.
    pub fn handle(
        &mut self,
        client: &mut CoordClient,
        ctx: &mut Ctx<impl CoordProtocol>,
        ev: &CoordEvent,
    ) -> Vec<ElectionEvent> {
        let mut out = Vec::new();
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
