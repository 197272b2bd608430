//! Master high availability: election through the coordination service, the registry
//! that survives a failover, and recovery by a newly elected leader.
//!
//! What it models (Mesos `master/contender`, `master/registrar.cpp`, `master.cpp`):
//! - Every master contends in the ZooKeeper leader-election recipe; the elected one
//!   reads the registry, then serves. A master that loses its candidacy (its session
//!   expired, at the ensemble or by the `zookeeper::Group` local timer one session
//!   timeout after it was cut off, [`crate::coord::group`]) stops serving and starts
//!   over as a standby, as a Mesos master exits and is restarted. A leader cut off from
//!   the ensemble may thus act for a few seconds after its successor was elected; the
//!   registry fence below keeps it from writing, as Mesos' replicated log does.
//! - The registry holds what must survive a failover: the admitted agents (and which
//!   were removed) and the registered frameworks. Tasks are not in it: a new leader
//!   learns them from the agents that re-register. Admissions are replied to only once
//!   the registry write has committed; writes are batched (one in flight, the next one
//!   carries everything queued meanwhile).
//! - The registry is a znode (`/mesos/registry`) with one child per record
//!   (`agent-<id>`, `framework-<id>`), and a write rewrites only the records that
//!   changed. (Mesos rewrites its whole registry per batch, in a replicated log it
//!   truncates; one znode holding 12,500 agents would be megabytes per write, kept in
//!   every coordination server's log, which this one never truncates.)
//! - Fencing: a new leader first writes its identity (its session) to the root znode,
//!   bumping its version, and each write batch starts with a write of the root
//!   conditional on the version this leader last saw, the records only after it
//!   succeeded; so a deposed leader's batch fails at its first step instead of
//!   overwriting its successor's records. The fence version a leader obtained at its
//!   election is its *term*: no two leaders ever share one.
//! - A registry operation cut short by a lost connection (`ConnectionLoss`: it may or
//!   may not have been applied) is not a failure: once the client reconnects within
//!   its session, the master reads back what it wrote and goes on (its own identity on
//!   the root, its own bytes in a record) or writes it again, and gives up only if
//!   another leader wrote meanwhile. Mesos' registry, a replicated log among the
//!   masters, does not see the coordination service's connection losses at all; a
//!   failed store operation makes it abort, which is what a write fenced off does
//!   here. Takeover steps cut short likewise are done again on reconnection.
//! - A new leader waits `agent_reregister_timeout` (10 min) for the registry's agents;
//!   those that do not come back are removed. Frameworks known from the registry are
//!   inactive until they re-register (Mesos' "recovered" frameworks).

use super::master::{AgentEntry, FrameworkEntry, Master};
use crate::actor::{ActorId, Ctx, Time};
use crate::alloc::FrameworkId;
use crate::coord::{
    CoordClient, CoordError, CoordEvent, CoordMsg, CoordTimer, Election, ElectionEvent, OpResult,
    ReqId,
};
use crate::proto::{AgentInfo, Mesos, Msg, Timer};
use crate::resources::Resources;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Where the registry lives in the coordination service.
pub const REGISTRY_PATH: &str = "/mesos/registry";

/// What survives a master failover.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Registry {
    pub agents: Vec<RegisteredAgent>,
    pub frameworks: Vec<RegisteredFramework>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegisteredAgent {
    pub actor: u32,
    pub hostname: String,
    pub total: Resources,
    pub reserved: Vec<(String, Resources)>,
    pub attributes: crate::proto::Attributes,
    /// In the registry's unreachable list since then.
    pub unreachable_since: Option<Time>,
    /// Marked gone by the operator.
    pub gone: bool,
    /// No longer in the registry (pruned by its garbage collection, or replaced by a
    /// new agent process at its address): a tombstone, so that ids stay dense.
    pub forgotten: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegisteredFramework {
    pub actor: u32,
    pub name: String,
    pub role: String,
    pub weight_milli: u64,
    pub partition_aware: bool,
    pub failover_timeout: Time,
    pub active: bool,
    /// Mesos' REVOCABLE_RESOURCES capability (written only when set, so that the
    /// registry's bytes, and the fingerprints of runs without it, stay as they were).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revocable: bool,
}

/// One record of the registry: a child znode of [`REGISTRY_PATH`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Record {
    Agent(crate::alloc::AgentId),
    Framework(FrameworkId),
}

impl Record {
    fn name(self) -> String {
        match self {
            Record::Agent(id) => format!("agent-{id:010}"),
            Record::Framework(id) => format!("framework-{id:010}"),
        }
    }

    fn path(self) -> String {
        format!("{REGISTRY_PATH}/{}", self.name())
    }

    fn parse(name: &str) -> Option<Record> {
        if let Some(id) = name.strip_prefix("agent-") {
            return id.parse().ok().map(Record::Agent);
        }
        name.strip_prefix("framework-")?
            .parse()
            .ok()
            .map(Record::Framework)
    }

    /// The record as the master's state implies it (nothing is kept twice).
    fn data(self, m: &Master) -> Vec<u8> {
        let bytes = match self {
            Record::Agent(id) => {
                let a = &m.agents[id as usize];
                // An agent being admitted is written as admitted: it is told so only
                // once this write is durable.
                let admitting = m.admitting.contains(&a.actor);
                serde_json::to_vec(&RegisteredAgent {
                    actor: a.actor.0,
                    hostname: a.hostname.clone(),
                    total: a.total,
                    reserved: a.reserved.clone(),
                    attributes: a.attributes.clone(),
                    unreachable_since: a.unreachable_since.filter(|_| !admitting),
                    gone: a.gone,
                    forgotten: a.forgotten && !admitting,
                })
            }
            Record::Framework(id) => {
                let f = &m.frameworks[id as usize];
                serde_json::to_vec(&RegisteredFramework {
                    actor: f.actor.0,
                    name: f.name.clone(),
                    role: f.role.clone(),
                    weight_milli: f.weight_milli,
                    partition_aware: f.partition_aware,
                    failover_timeout: f.failover_timeout,
                    active: f.active,
                    revocable: f.revocable,
                })
            }
        };
        bytes.expect("serializable")
    }
}

impl Registry {
    /// The registry from its records' data; `None` if a record does not parse or the
    /// ids are not dense (agent and framework ids index the master's tables).
    fn from_records(records: BTreeMap<Record, Vec<u8>>) -> Option<Registry> {
        let mut reg = Registry::default();
        for (r, data) in records {
            match r {
                Record::Agent(id) if id as usize == reg.agents.len() => {
                    reg.agents.push(serde_json::from_slice(&data).ok()?)
                }
                Record::Framework(id) if id as usize == reg.frameworks.len() => {
                    reg.frameworks.push(serde_json::from_slice(&data).ok()?)
                }
                _ => return None,
            }
        }
        Some(reg)
    }
}

/// A registry write in progress: first the fence (the root, conditional), then the
/// records.
#[derive(Debug, Default)]
struct Write {
    fence: Option<ReqId>,
    records: BTreeSet<Record>,
    /// Record writes not yet answered, with the bytes sent.
    pending: BTreeMap<ReqId, (Record, Vec<u8>)>,
    /// The fence was cut short by a lost connection: read the root back on reconnection.
    fence_in_doubt: bool,
    /// Record writes cut short likewise.
    in_doubt: BTreeMap<Record, Vec<u8>>,
    /// Reading back the root.
    verify_fence: Option<ReqId>,
    /// Reading back records in doubt.
    verifying: BTreeMap<ReqId, (Record, Vec<u8>)>,
    admissions: Vec<Admission>,
}

impl Write {
    fn finished(&self) -> bool {
        self.fence.is_none()
            && !self.fence_in_doubt
            && self.verify_fence.is_none()
            && self.pending.is_empty()
            && self.in_doubt.is_empty()
            && self.verifying.is_empty()
    }
}

/// What waits for a registry write to commit.
#[derive(Clone, Debug)]
pub enum Admission {
    /// A new agent: offered and told its id only once the registry has it.
    Agent(crate::alloc::AgentId),
    /// An unreachable agent re-registering (Mesos 1.5+), with the tasks it reports:
    /// re-admitted once the registry no longer lists it as unreachable.
    Reachable(crate::alloc::AgentId, Vec<super::health::Reported>),
    /// A new framework: likewise.
    Framework(FrameworkId),
    /// A removed agent: its tasks' verdicts (LOST, UNREACHABLE, ...) and the
    /// agent-lost notice.
    Removed(
        crate::alloc::AgentId,
        Vec<(FrameworkId, crate::proto::TaskStatus)>,
    ),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Standby,
    /// Elected, bumping the root's version (the fence against a deposed leader).
    Fencing(ReqId),
    /// Elected, listing the records.
    Listing(ReqId),
    /// Elected, reading the records: those asked for, those read.
    Reading(BTreeMap<ReqId, Record>, BTreeMap<Record, Vec<u8>>),
    /// Elected, creating an empty registry (first leader ever).
    Creating(ReqId),
    Leading,
}

/// A master's coordination session, election and registrar.
pub struct Ha {
    client: CoordClient,
    election: Election,
    phase: Phase,
    /// Version of the registry's root znode last written (the fence).
    version: u32,
    /// The fence version obtained at election: this leadership's term.
    term: Option<u32>,
    /// What this leadership writes to the root: its session, to recognise its own
    /// fence when a write of it was cut short.
    identity: Vec<u8>,
    /// A takeover step was cut short by a lost connection: do it again on reconnection.
    stalled: bool,
    /// Versions of the record znodes that exist.
    versions: BTreeMap<Record, u32>,
    /// The registry write in flight.
    write: Option<Write>,
    /// Admissions and changed records waiting for the next write.
    waiting: Vec<Admission>,
    dirty: BTreeSet<Record>,
    /// Times this master started serving as leader.
    pub elected_at: Vec<Time>,
}

impl Ha {
    pub fn new(servers: Vec<ActorId>, session_timeout: Time, me: ActorId) -> Ha {
        Ha {
            client: CoordClient::new(servers, session_timeout),
            election: Election::new(
                super::detector::ELECTION_DIR,
                super::detector::candidate_data(me),
            ),
            phase: Phase::Standby,
            version: 0,
            term: None,
            identity: Vec::new(),
            stalled: false,
            versions: BTreeMap::new(),
            write: None,
            waiting: Vec::new(),
            dirty: BTreeSet::new(),
            elected_at: Vec::new(),
        }
    }

    pub(super) fn start(&mut self, ctx: &mut Ctx<Mesos>) {
        self.client.start(ctx);
    }

    /// Forgets everything of a leadership and contends again as a restarted process:
    /// a new session, a new candidacy (see [`Master::abdicate`]).
    fn restart(&mut self, ctx: &mut Ctx<Mesos>) {
        self.phase = Phase::Standby;
        self.term = None;
        self.stalled = false;
        self.write = None;
        self.waiting.clear();
        self.dirty.clear();
        self.versions.clear();
        self.client.abandon(ctx);
        self.election = self.election.restarted();
        self.client.start(ctx);
    }
}

/// Writes one record as this leader last saw it: conditional on its version, or
/// created if it does not exist yet.
fn write_record(ha: &mut Ha, ctx: &mut Ctx<Mesos>, r: Record, bytes: Vec<u8>) -> ReqId {
    match ha.versions.get(&r) {
        Some(&v) => ha.client.set_data(ctx, &r.path(), bytes, Some(v)),
        None => ha.client.create(ctx, &r.path(), bytes, false, false),
    }
}

impl Master {
    /// A master of a highly available cluster: a standby until elected.
    pub fn with_ha(mut self, servers: Vec<ActorId>, session_timeout: Time, me: ActorId) -> Self {
        self.ha = Some(Box::new(Ha::new(servers, session_timeout, me)));
        self.leading = false;
        self
    }

    /// True while this master acts as the leader.
    pub fn is_leading(&self) -> bool {
        self.leading
    }

    /// The times this master started serving as leader (empty for a lone master).
    pub fn elected_at(&self) -> &[Time] {
        self.ha.as_ref().map_or(&[], |h| &h.elected_at)
    }

    /// True while this master's candidacy leads the election (a master acts as
    /// leader only while it does, once it has recovered the registry).
    pub fn candidacy_leads(&self) -> bool {
        self.ha.as_ref().is_none_or(|h| h.election.is_leader())
    }

    /// The registry term of this master's leadership (the fence version it obtained
    /// when elected), once it has fenced; `None` for a standby or a lone master.
    pub fn registry_term(&self) -> Option<u32> {
        self.ha.as_ref().and_then(|h| h.term)
    }

    /// Since when this master's coordination session has been cut off from the
    /// ensemble, while the group's local timer runs (see [`crate::coord::group`]).
    pub fn cut_off_since(&self) -> Option<Time> {
        self.ha.as_ref().and_then(|h| h.election.cut_off_since())
    }

    /// The coordination server this master's client is connected to (or trying).
    pub fn coord_server(&self) -> Option<ActorId> {
        self.ha.as_ref().map(|h| h.client.server())
    }

    /// The negotiated coordination session timeout (`None` for a lone master).
    pub fn session_timeout(&self) -> Option<Time> {
        self.ha.as_ref().map(|h| h.client.session_timeout())
    }

    /// True if a timer of `term` still applies.
    pub(super) fn current(&self, term: crate::proto::Term) -> bool {
        self.leading && term == self.term
    }

    /// Starts serving: the periodic allocation and registry garbage collection.
    pub(super) fn serve(&mut self, ctx: &mut Ctx<Mesos>) {
        ctx.set_timer(
            self.cfg.allocation_interval,
            Timer::AllocationTick(self.term),
        );
        ctx.set_timer(self.cfg.registry_gc_interval, Timer::RegistryGc(self.term));
    }

    /// Records a change of the registry's `records`; `then` takes effect once it is
    /// durable (at once for a lone master, which has no registry).
    pub(super) fn persist(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        records: impl IntoIterator<Item = Record>,
        then: Option<Admission>,
    ) {
        let Some(ha) = self.ha.as_mut() else {
            if let Some(a) = then {
                self.admit(ctx, a);
            }
            return;
        };
        ha.waiting.extend(then);
        ha.dirty.extend(records);
        if ha.write.is_none() {
            self.flush(ctx);
        }
    }

    /// Starts the next write batch with the fence.
    fn flush(&mut self, ctx: &mut Ctx<Mesos>) {
        let ha = self.ha.as_mut().expect("flush is for HA masters");
        let identity = ha.identity.clone();
        let fence = ha
            .client
            .set_data(ctx, REGISTRY_PATH, identity, Some(ha.version));
        ha.write = Some(Write {
            fence: Some(fence),
            records: std::mem::take(&mut ha.dirty),
            admissions: std::mem::take(&mut ha.waiting),
            ..Write::default()
        });
    }

    /// The fence held: writes the batch's records, as the master's state has them now.
    fn write_records(&mut self, ctx: &mut Ctx<Mesos>) {
        let records = self.ha.as_ref().expect("HA").write.as_ref().expect("write");
        let data: Vec<(Record, Vec<u8>)> =
            records.records.iter().map(|&r| (r, r.data(self))).collect();
        let ha = self.ha.as_mut().expect("HA");
        let mut pending = BTreeMap::new();
        for (r, bytes) in data {
            let req = write_record(ha, ctx, r, bytes.clone());
            pending.insert(req, (r, bytes));
        }
        ha.write.as_mut().expect("write").pending = pending;
    }

    /// The batch is durable: what waited for it takes effect, and the next batch starts.
    fn write_done(&mut self, ctx: &mut Ctx<Mesos>) {
        let ha = self.ha.as_mut().expect("HA");
        let w = ha.write.take().expect("write in flight");
        let more = !ha.dirty.is_empty() || !ha.waiting.is_empty();
        for a in w.admissions {
            self.admit(ctx, a);
        }
        if more && self.ha.as_ref().is_some_and(|h| h.write.is_none()) {
            self.flush(ctx);
        }
    }

    pub(super) fn coord_message(&mut self, ctx: &mut Ctx<Mesos>, from: ActorId, m: CoordMsg) {
        if let Some(ha) = self.ha.as_mut() {
            let events = ha.client.on_message(ctx, from, m);
            self.coord_events(ctx, events);
        }
    }

    pub(super) fn coord_timer(&mut self, ctx: &mut Ctx<Mesos>, t: CoordTimer) {
        if let Some(ha) = self.ha.as_mut() {
            let lost = ha.election.on_timer(&mut ha.client, ctx, &t);
            self.election_events(ctx, lost);
        }
        if let Some(ha) = self.ha.as_mut() {
            let events = ha.client.on_timer(ctx, t);
            self.coord_events(ctx, events);
        }
    }

    fn election_events(&mut self, ctx: &mut Ctx<Mesos>, events: Vec<ElectionEvent>) {
        for e in events {
            match e {
                ElectionEvent::Elected => self.elected(ctx),
                // Mesos' `Master::lostCandidacy`: a leader that lost its candidacy
                // exits ("committing suicide") and is restarted.
                ElectionEvent::NotLeader if !self.keep_leading_sabotage => self.abdicate(ctx),
                ElectionEvent::NotLeader | ElectionEvent::LeaderIs(_) => {}
            }
        }
    }

    fn coord_events(&mut self, ctx: &mut Ctx<Mesos>, events: Vec<CoordEvent>) {
        for ev in events {
            let Some(ha) = self.ha.as_mut() else { return };
            let learnt = ha.election.handle(&mut ha.client, ctx, &ev);
            self.election_events(ctx, learnt);
            if let CoordEvent::Connected { renewed: true, .. } = ev {
                self.resume_registry(ctx);
            }
            if let CoordEvent::Reply { req, result } = ev {
                self.registry_reply(ctx, req, result);
            }
        }
    }

    fn elected(&mut self, ctx: &mut Ctx<Mesos>) {
        self.term += 1;
        let ha = self.ha.as_mut().expect("HA master");
        let session = ha.client.session().expect("elected with a session");
        ha.identity = format!("{session:016x}").into_bytes();
        ha.phase = Phase::Fencing(0);
        ha.stalled = true;
        self.resume_registry(ctx);
    }

    /// Does again what a lost connection cut short: the takeover step in progress, or
    /// the write batch's steps in doubt (read back first, see the module doc).
    fn resume_registry(&mut self, ctx: &mut Ctx<Mesos>) {
        let Some(ha) = self.ha.as_mut() else { return };
        if std::mem::take(&mut ha.stalled) {
            let identity = ha.identity.clone();
            let c = &mut ha.client;
            ha.phase = match std::mem::replace(&mut ha.phase, Phase::Standby) {
                Phase::Fencing(_) => Phase::Fencing(c.set_data(ctx, REGISTRY_PATH, identity, None)),
                Phase::Creating(_) => {
                    Phase::Creating(c.create(ctx, REGISTRY_PATH, identity, false, false))
                }
                Phase::Listing(_) => Phase::Listing(c.get_children(ctx, REGISTRY_PATH, false)),
                Phase::Reading(asked, read) => {
                    let asked = asked
                        .into_values()
                        .map(|r| (c.get_data(ctx, &r.path(), false), r))
                        .collect();
                    Phase::Reading(asked, read)
                }
                p => p,
            };
        }
        let Some(w) = ha.write.as_mut() else { return };
        if w.fence_in_doubt && w.verify_fence.is_none() {
            w.verify_fence = Some(ha.client.get_data(ctx, REGISTRY_PATH, false));
        }
        for (r, bytes) in std::mem::take(&mut w.in_doubt) {
            let req = ha.client.get_data(ctx, &r.path(), false);
            w.verifying.insert(req, (r, bytes));
        }
    }

    fn registry_reply(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        req: ReqId,
        result: Result<OpResult, CoordError>,
    ) {
        let ha = self.ha.as_mut().expect("HA master");
        let phase = std::mem::replace(&mut ha.phase, Phase::Standby);
        match (phase, result) {
            (Phase::Fencing(r), Ok(OpResult::Set(stat))) if r == req => {
                ha.version = stat.version;
                ha.term = Some(stat.version);
                let req = ha.client.get_children(ctx, REGISTRY_PATH, false);
                ha.phase = Phase::Listing(req);
            }
            (Phase::Fencing(r), Err(CoordError::NoNode)) if r == req => {
                ha.phase = Phase::Creating(0);
                ha.stalled = true;
                self.resume_registry(ctx);
            }
            (Phase::Creating(r), Ok(OpResult::Created(_))) if r == req => {
                ha.version = 0;
                ha.term = Some(0);
                self.recover(ctx, Registry::default());
            }
            (Phase::Creating(r), Err(CoordError::NodeExists)) if r == req => {
                ha.phase = Phase::Fencing(0);
                ha.stalled = true;
                self.resume_registry(ctx);
            }
            (Phase::Listing(r), Ok(OpResult::Children(names))) if r == req => {
                let Some(records) = names
                    .iter()
                    .map(|n| Record::parse(n))
                    .collect::<Option<Vec<Record>>>()
                else {
                    ha.phase = Phase::Listing(r);
                    return self.abdicate(ctx);
                };
                if records.is_empty() {
                    return self.recover(ctx, Registry::default());
                }
                let asked = records
                    .into_iter()
                    .map(|r| (ha.client.get_data(ctx, &r.path(), false), r))
                    .collect();
                ha.phase = Phase::Reading(asked, BTreeMap::new());
            }
            (Phase::Reading(mut asked, mut read), Ok(OpResult::Data(data, stat)))
                if asked.contains_key(&req) =>
            {
                let r = asked.remove(&req).expect("checked");
                ha.versions.insert(r, stat.version);
                read.insert(r, data);
                if !asked.is_empty() {
                    ha.phase = Phase::Reading(asked, read);
                    return;
                }
                match Registry::from_records(read) {
                    Some(reg) => self.recover(ctx, reg),
                    None => {
                        ha.phase = Phase::Reading(asked, BTreeMap::new());
                        self.abdicate(ctx)
                    }
                }
            }
            // A takeover step cut short by a lost connection: done again on
            // reconnection (a lost read may leave others of its batch answered).
            (
                p @ (Phase::Fencing(r) | Phase::Listing(r) | Phase::Creating(r)),
                Err(CoordError::ConnectionLoss),
            ) if r == req => {
                ha.phase = p;
                ha.stalled = true;
                self.counters.registry_retries += 1;
            }
            (Phase::Reading(asked, read), Err(CoordError::ConnectionLoss))
                if asked.contains_key(&req) =>
            {
                ha.phase = Phase::Reading(asked, read);
                ha.stalled = true;
                self.counters.registry_retries += 1;
            }
            // A failed step of taking over: give the leadership up (`abdicate` acts on
            // a master that is taking over, so the phase goes back first).
            (p @ (Phase::Fencing(r) | Phase::Listing(r) | Phase::Creating(r)), Err(_))
                if r == req =>
            {
                ha.phase = p;
                self.abdicate(ctx)
            }
            (Phase::Reading(asked, read), Err(_)) if asked.contains_key(&req) => {
                ha.phase = Phase::Reading(asked, read);
                self.abdicate(ctx)
            }
            (phase, result) => {
                ha.phase = phase;
                self.write_reply(ctx, req, result);
            }
        }
    }

    /// A reply to the write batch in flight, if it is one.
    fn write_reply(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        req: ReqId,
        result: Result<OpResult, CoordError>,
    ) {
        let ha = self.ha.as_mut().expect("HA master");
        let Some(w) = ha.write.as_mut() else { return };
        let lost = matches!(result, Err(CoordError::ConnectionLoss));
        if w.fence == Some(req) {
            w.fence = None;
            match result {
                Ok(OpResult::Set(stat)) => ha.version = stat.version,
                _ if lost => {
                    w.fence_in_doubt = true;
                    self.counters.registry_retries += 1;
                    return;
                }
                // Deposed (another leader wrote the root): stop serving.
                _ => return self.abdicate(ctx),
            }
            return self.fenced(ctx);
        }
        if w.verify_fence == Some(req) {
            w.verify_fence = None;
            match result {
                Ok(OpResult::Data(data, stat)) if data == ha.identity => {
                    ha.version = stat.version;
                    w.fence_in_doubt = false;
                }
                _ if lost => return,
                _ => return self.abdicate(ctx),
            }
            return self.fenced(ctx);
        }
        if let Some((r, bytes)) = w.verifying.remove(&req) {
            // Not applied, and nobody else wrote it since: to be written again.
            let untouched = match &result {
                Ok(OpResult::Data(_, stat)) => ha.versions.get(&r) == Some(&stat.version),
                Err(CoordError::NoNode) => !ha.versions.contains_key(&r),
                _ => false,
            };
            match result {
                // It was applied: the record holds what this leader wrote.
                Ok(OpResult::Data(data, stat)) if data == bytes => {
                    ha.versions.insert(r, stat.version);
                }
                _ if untouched => {
                    let req = write_record(ha, ctx, r, bytes.clone());
                    let w = ha.write.as_mut().expect("write");
                    w.pending.insert(req, (r, bytes));
                }
                _ if lost => {
                    w.in_doubt.insert(r, bytes);
                    self.counters.registry_retries += 1;
                }
                _ => return self.abdicate(ctx),
            }
            return self.maybe_done(ctx);
        }
        let Some((r, bytes)) = w.pending.remove(&req) else {
            return;
        };
        match result {
            Ok(OpResult::Set(stat)) => {
                ha.versions.insert(r, stat.version);
            }
            Ok(OpResult::Created(_)) => {
                ha.versions.insert(r, 0);
            }
            _ if lost => {
                w.in_doubt.insert(r, bytes);
                self.counters.registry_retries += 1;
            }
            _ => return self.abdicate(ctx),
        }
        self.maybe_done(ctx)
    }

    /// The fence held: the batch's records follow.
    fn fenced(&mut self, ctx: &mut Ctx<Mesos>) {
        let w = self
            .ha
            .as_ref()
            .and_then(|h| h.write.as_ref())
            .expect("write");
        if w.records.is_empty() {
            self.write_done(ctx)
        } else {
            self.write_records(ctx)
        }
    }

    /// Ends the batch once every step of it is durable.
    fn maybe_done(&mut self, ctx: &mut Ctx<Mesos>) {
        let finished = self
            .ha
            .as_ref()
            .and_then(|h| h.write.as_ref())
            .is_some_and(Write::finished);
        if finished {
            self.write_done(ctx);
        }
    }

    /// Serves as leader from the registry: agents wait to re-register, frameworks to
    /// reconnect.
    fn recover(&mut self, ctx: &mut Ctx<Mesos>, reg: Registry) {
        for a in reg.agents {
            let id = self.agents.len() as crate::alloc::AgentId;
            let actor = ActorId(a.actor);
            self.agent_by_actor.insert(actor, id);
            let info = AgentInfo {
                hostname: a.hostname,
                resources: a.total,
                reserved: a.reserved,
                attributes: a.attributes,
            };
            let recovering = a.unreachable_since.is_none() && !a.gone && !a.forgotten;
            self.recovering_agents += usize::from(recovering);
            let mut entry = AgentEntry::new(actor, 0, info, recovering);
            entry.unreachable_since = a.unreachable_since;
            entry.gone = a.gone;
            entry.forgotten = a.forgotten;
            self.agents.push(entry);
        }
        for f in reg.frameworks {
            let id = self.frameworks.len() as FrameworkId;
            let actor = ActorId(f.actor);
            self.fw_by_actor.insert(actor, id);
            let active = f.active;
            self.frameworks.push(FrameworkEntry {
                actor,
                name: f.name,
                role: f.role,
                active: f.active,
                connected: false,
                disconnected_at: None,
                partition_aware: f.partition_aware,
                weight_milli: f.weight_milli,
                failover_timeout: f.failover_timeout,
                offers: BTreeSet::new(),
                revocable: f.revocable,
            });
            if active {
                self.add_to_allocator(id);
                self.alloc.suppress(id, true);
            }
        }
        let ha = self.ha.as_mut().expect("HA master");
        ha.phase = Phase::Leading;
        ha.elected_at.push(ctx.now());
        self.leading = true;
        self.counters.elections_won += 1;
        self.serve(ctx);
        if self.recovering_agents > 0 {
            ctx.set_timer(
                self.cfg.agent_reregister_timeout,
                Timer::ReregisterTimeout(self.term),
            );
        }
        if ctx.logging() {
            ctx.log(
                "master_elected",
                serde_json::json!({ "term": self.term, "agents": self.agents.len(),
                    "frameworks": self.frameworks.len() }),
            );
        }
    }

    /// Stops acting as leader (or taking over) and forgets the leadership's state, as
    /// a Mesos master that lost leadership or failed to recover exits and is
    /// restarted: with a new coordination session, so a new candidacy at the back of
    /// the queue. Its old candidate node goes when the ensemble expires the old session,
    /// and the next candidate takes over. (Keeping the session would keep the
    /// candidacy at the head: after a failed takeover, nobody would lead.)
    fn abdicate(&mut self, ctx: &mut Ctx<Mesos>) {
        let Some(mut ha) = self.ha.take() else { return };
        if ha.phase == Phase::Standby && !self.leading {
            self.ha = Some(ha);
            return;
        }
        ha.restart(ctx);
        if ctx.logging() {
            ctx.log("master_abdicated", serde_json::json!({ "term": self.term }));
        }
        let mut fresh = Master::new(self.cfg.clone(), &self.alloc_cfg);
        let roles = self.roles.clone();
        fresh.configure_roles(&roles.0, &roles.1);
        fresh.configure_quota_limits(&roles.2);
        fresh.term = self.term;
        fresh.keep_leading_sabotage = self.keep_leading_sabotage;
        fresh.counters = std::mem::take(&mut self.counters);
        fresh.ha = Some(ha);
        fresh.leading = false;
        *self = fresh;
    }

    /// A registry change is durable: what waited for it takes effect.
    fn admit(&mut self, ctx: &mut Ctx<Mesos>, a: Admission) {
        match a {
            Admission::Agent(id) => {
                let actor = self.agents[id as usize].actor;
                self.admitting.remove(&actor);
                self.counters.agent_registrations += 1;
                self.activate_agent(ctx, id);
            }
            Admission::Reachable(id, tasks) => self.made_reachable(ctx, id, tasks),
            Admission::Framework(id) => {
                let f = &mut self.frameworks[id as usize];
                f.connected = true;
                let actor = f.actor;
                self.admitting.remove(&actor);
                self.add_to_allocator(id);
                ctx.send(actor, Msg::FrameworkRegistered { id });
                self.request_allocation(ctx);
            }
            Admission::Removed(agent, verdicts) => self.announce_removal(ctx, agent, verdicts),
        }
    }

    /// Agents of the registry that did not re-register within
    /// `agent_reregister_timeout` are marked unreachable, silently: this master never
    /// knew their tasks, so it has no verdict to give (reconciliation answers LOST, or
    /// UNREACHABLE to partition-aware frameworks); every connected framework hears
    /// the agents are lost (Mesos' `recoveredSlavesTimeout`).
    pub(super) fn reregister_timeout(&mut self, ctx: &mut Ctx<Mesos>) {
        let now = ctx.now();
        let mut timed_out = Vec::new();
        for (id, a) in self.agents.iter_mut().enumerate() {
            if a.recovering {
                a.recovering = false;
                a.unreachable_since = Some(now);
                self.recovering_agents -= 1;
                self.counters.recovery_agent_removals += 1;
                timed_out.push(id as crate::alloc::AgentId);
            }
        }
        for &agent in &timed_out {
            self.persist(
                ctx,
                [Record::Agent(agent)],
                Some(Admission::Removed(agent, Vec::new())),
            );
        }
    }
}
