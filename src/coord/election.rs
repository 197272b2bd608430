//! The leader-election recipe, on top of [`CoordClient`].
//!
//! ZooKeeper's recipe ("ZooKeeper Recipes and Solutions", Leader Election), as Mesos'
//! `LeaderContender` uses it: each candidate creates an ephemeral sequential znode
//! under the election path with its own data; the candidate with the smallest sequence
//! number leads; every other candidate watches only the node just before its own
//! (no herd effect: a leader's death wakes one candidate). When the watched node goes,
//! the candidate lists the children again: it leads if it is now first, or watches its
//! new predecessor.
//!
//! Candidates name their nodes `n_<session>_<sequence>`: after a `ConnectionLoss` on
//! the create (applied or not?) the candidate finds its node by its session, as the
//! recipe advises, instead of creating a second one.
//!
//! Stepping down, as Mesos' contender on its `zookeeper::Group`: a leader steps down
//! ([`ElectionEvent::NotLeader`]) when its session expires (the ensemble says so on
//! reconnection), when it finds its node gone, or when the group's local timer expires
//! the session after a whole session timeout cut off ([`super::group`]). A leader cut
//! off from the ensemble therefore goes on leading for a while after the ensemble
//! expired its session and a successor took over, as a Mesos master does; what it does
//! meanwhile is fenced by the registry, not by the election.

use super::client::{CoordClient, CoordEvent};
use super::group::LocalExpiry;
use super::msg::{CoordError, CoordTimer, OpResult, ReqId, SessionId};
use super::tree::{child_path, name_of, sequence_of};
use super::CoordProtocol;
use crate::actor::{Ctx, Time};
use std::collections::BTreeMap;

/// What a candidate learns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElectionEvent {
    /// This candidate leads, until `NotLeader`.
    Elected,
    /// This candidate stopped leading (session expired at the ensemble or locally,
    /// node gone).
    NotLeader,
    /// The current leader's data as last read (`None`: no candidate).
    LeaderIs(Option<Vec<u8>>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// Creating the `i`-th ancestor of the election path (persistent).
    Mkdir(usize),
    Create,
    List,
    /// `exists` with a watch on the predecessor.
    Check(String),
    LeaderData,
}

/// Sorts the candidate names (those with a sequence suffix) by sequence number.
pub fn candidates(names: &[String]) -> Vec<String> {
    let mut c: Vec<(u64, String)> = names
        .iter()
        .filter_map(|n| sequence_of(n).map(|s| (s, n.clone())))
        .collect();
    c.sort();
    c.into_iter().map(|(_, n)| n).collect()
}

/// One candidate's part in an election.
#[derive(Clone, Debug)]
pub struct Election {
    dir: String,
    data: Vec<u8>,
    session: Option<SessionId>,
    node: Option<String>,
    in_doubt: bool,
    leader: bool,
    watching: Option<String>,
    leader_data: Option<Option<Vec<u8>>>,
    pending: BTreeMap<ReqId, Step>,
    expiry: LocalExpiry,
}

impl Election {
    /// A candidate under `dir` (e.g. `"/mesos"`) announcing `data` (e.g. its address).
    pub fn new(dir: &str, data: Vec<u8>) -> Election {
        assert!(
            super::tree::valid_path(dir) && dir != "/",
            "bad election path {dir}"
        );
        Election {
            dir: dir.to_string(),
            data,
            session: None,
            node: None,
            in_doubt: false,
            leader: false,
            watching: None,
            leader_data: None,
            pending: BTreeMap::new(),
            expiry: LocalExpiry::default(),
        }
    }

    /// The same candidate as it was before joining: for a process that restarts and
    /// contends again, with a new session and so a new place at the back of the queue.
    pub fn restarted(&self) -> Election {
        Election::new(&self.dir, self.data.clone())
    }

    /// True while this candidate leads.
    pub fn is_leader(&self) -> bool {
        self.leader
    }

    /// This candidate's znode name, once created.
    pub fn node(&self) -> Option<&str> {
        self.node.as_deref()
    }

    /// Since when this candidate's session has been cut off from the ensemble, while
    /// its local timer runs (a leader steps down one session timeout after this).
    pub fn cut_off_since(&self) -> Option<Time> {
        self.expiry.cut_off_since()
    }

    /// The predecessor it watches, if any.
    pub fn watching(&self) -> Option<&str> {
        self.watching.as_deref()
    }

    /// Joins the election now if `client` already has a session (otherwise the
    /// `Connected` event does it).
    pub fn start(&mut self, client: &mut CoordClient, ctx: &mut Ctx<impl CoordProtocol>) {
        if let (Some(s), true) = (client.session(), client.is_connected()) {
            if self.session != Some(s) {
                self.join(client, ctx, s);
            }
        }
    }

    fn join(
        &mut self,
        client: &mut CoordClient,
        ctx: &mut Ctx<impl CoordProtocol>,
        session: SessionId,
    ) {
        self.session = Some(session);
        self.node = None;
        self.in_doubt = false;
        self.watching = None;
        self.pending.clear();
        self.mkdir(client, ctx, 1);
    }

    /// Ancestors of the election path, `"/a"`, `"/a/b"`, ... up to the path itself.
    fn ancestors(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, c) in self.dir.char_indices().skip(1) {
            if c == '/' {
                out.push(self.dir[..i].to_string());
            }
        }
        out.push(self.dir.clone());
        out
    }

    fn mkdir(&mut self, client: &mut CoordClient, ctx: &mut Ctx<impl CoordProtocol>, i: usize) {
        let all = self.ancestors();
        if i > all.len() {
            return self.create(client, ctx);
        }
        let r = client.create(ctx, &all[i - 1], Vec::new(), false, false);
        self.pending.insert(r, Step::Mkdir(i));
    }

    fn create(&mut self, client: &mut CoordClient, ctx: &mut Ctx<impl CoordProtocol>) {
        let Some(s) = self.session else { return };
        let prefix = child_path(&self.dir, &format!("n_{s:016x}_"));
        let r = client.create(ctx, &prefix, self.data.clone(), true, true);
        self.pending.insert(r, Step::Create);
    }

    fn list(&mut self, client: &mut CoordClient, ctx: &mut Ctx<impl CoordProtocol>) {
        let r = client.get_children(ctx, &self.dir, false);
        self.pending.insert(r, Step::List);
    }

    fn report(&mut self, data: Option<Vec<u8>>, out: &mut Vec<ElectionEvent>) {
        if self.leader_data.as_ref() != Some(&data) {
            self.leader_data = Some(data.clone());
            out.push(ElectionEvent::LeaderIs(data));
        }
    }

    fn step_down(&mut self, out: &mut Vec<ElectionEvent>) {
        if self.leader {
            self.leader = false;
            out.push(ElectionEvent::NotLeader);
        }
    }

    /// Decides from the current children: lead, or watch the predecessor.
    fn evaluate(
        &mut self,
        client: &mut CoordClient,
        ctx: &mut Ctx<impl CoordProtocol>,
        names: &[String],
        out: &mut Vec<ElectionEvent>,
    ) {
        let cands = candidates(names);
        if self.node.is_none() && self.in_doubt {
            let mine = format!("n_{:016x}_", self.session.unwrap_or(0));
            self.node = cands.iter().find(|n| n.starts_with(&mine)).cloned();
            self.in_doubt = false;
        }
        let Some(pos) = self
            .node
            .as_ref()
            .and_then(|me| cands.iter().position(|n| n == me))
        else {
            // No node (or it was deleted under us): (re)create it.
            self.node = None;
            self.step_down(out);
            return self.create(client, ctx);
        };
        if pos == 0 {
            self.watching = None;
            if !self.leader {
                self.leader = true;
                out.push(ElectionEvent::Elected);
            }
            let d = self.data.clone();
            self.report(Some(d), out);
            return;
        }
        let pred = cands[pos - 1].clone();
        let r = client.exists(ctx, &child_path(&self.dir, &pred), true);
        self.pending.insert(r, Step::Check(pred));
        let r = client.get_data(ctx, &child_path(&self.dir, &cands[0]), false);
        self.pending.insert(r, Step::LeaderData);
    }

    /// The session is gone (the client opens a new one, and `Connected` joins again).
    fn forget(&mut self, out: &mut Vec<ElectionEvent>) {
        self.step_down(out);
        self.session = None;
        self.node = None;
        self.watching = None;
        self.pending.clear();
    }

    /// Handles a timer of the recipe's (the embedding actor routes every
    /// [`CoordTimer::Group`] here, the client's own timers to the client).
    pub fn on_timer(
        &mut self,
        client: &mut CoordClient,
        ctx: &mut Ctx<impl CoordProtocol>,
        t: &CoordTimer,
    ) -> Vec<ElectionEvent> {
        let mut out = Vec::new();
        if self.expiry.fired(client, ctx, t) {
            self.forget(&mut out);
        }
        out
    }

    /// Feeds one client event to the recipe; returns what the candidate must know.
    pub fn handle(
        &mut self,
        client: &mut CoordClient,
        ctx: &mut Ctx<impl CoordProtocol>,
        ev: &CoordEvent,
    ) -> Vec<ElectionEvent> {
        let mut out = Vec::new();
        self.expiry.observe(client, ctx, ev);
        match ev {
            CoordEvent::Connected { session, renewed } => {
                if *renewed && self.session == Some(*session) {
                    self.pending.clear();
                    self.list(client, ctx);
                } else {
                    self.step_down(&mut out);
                    self.join(client, ctx, *session);
                }
            }
            CoordEvent::SessionExpired => {
                self.forget(&mut out);
                client.start(ctx);
            }
            CoordEvent::Disconnected => {}
            CoordEvent::Watch(w) => {
                let watched = self.watching.as_ref().map(|p| child_path(&self.dir, p));
                if watched.as_deref() == Some(w.path.as_str()) {
                    self.watching = None;
                    self.list(client, ctx);
                }
            }
            CoordEvent::Reply { req, result } => {
                let Some(step) = self.pending.remove(req) else {
                    return out;
                };
                match (step, result) {
                    (Step::Create, Err(CoordError::ConnectionLoss)) => self.in_doubt = true,
                    (_, Err(CoordError::ConnectionLoss | CoordError::SessionExpired)) => {}
                    (Step::Mkdir(i), Ok(_) | Err(CoordError::NodeExists)) => {
                        self.mkdir(client, ctx, i + 1)
                    }
                    (Step::Create, Ok(OpResult::Created(path))) => {
                        self.node = Some(name_of(path).to_string());
                        self.list(client, ctx);
                    }
                    (Step::List, Ok(OpResult::Children(names))) => {
                        let names = names.clone();
                        self.evaluate(client, ctx, &names, &mut out);
                    }
                    (Step::List, Err(CoordError::NoNode)) => self.mkdir(client, ctx, 1),
                    (Step::Check(pred), Ok(OpResult::Exists(found))) => {
                        if found.is_some() {
                            self.watching = Some(pred);
                        } else {
                            self.list(client, ctx);
                        }
                    }
                    (Step::LeaderData, Ok(OpResult::Data(d, _))) => {
                        let d = d.clone();
                        self.report(Some(d), &mut out);
                    }
                    _ => {}
                }
            }
        }
        out
    }
}
