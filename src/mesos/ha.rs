//! Master high availability: election through the coordination service, the registry
//! that survives a failover, and recovery by a newly elected leader.
//!
//! What it models (Mesos `master/contender`, `master/registrar.cpp`, `master.cpp`):
//! - Every master contends in the ZooKeeper leader-election recipe; the elected one
//!   reads the registry, then serves. A master whose session lease ends stops serving
//!   at once and starts over as a standby (a Mesos master aborts and is restarted), so
//!   two masters never act as leader at the same time.
//! - The registry holds what must survive a failover: the admitted agents (and which
//!   were removed) and the registered frameworks. Tasks are not in it: a new leader
//!   learns them from the agents that re-register. Admissions are replied to only once
//!   the registry write has committed; writes are batched (one in flight, the next one
//!   carries everything queued meanwhile) and conditional on the version last read or
//!   written, so a deposed leader's write fails instead of overwriting its successor's.
//!   Mesos keeps its registry in a replicated log; here it is one znode.
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
use crate::proto::{Mesos, Msg, Timer};
use crate::resources::Resources;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Where the registry lives in the coordination service.
pub const REGISTRY_PATH: &str = "/mesos/registry";

/// What survives a master failover.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    pub removed: bool,
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
}

impl Registry {
    /// The registry as the master's state implies it (nothing is kept twice).
    fn of(m: &Master) -> Registry {
        Registry {
            agents: m
                .agents
                .iter()
                .map(|a| RegisteredAgent {
                    actor: a.actor.0,
                    hostname: a.hostname.clone(),
                    total: a.total,
                    reserved: a.reserved.clone(),
                    attributes: a.attributes.clone(),
                    removed: a.removed && !a.recovering && !m.admitting.contains(&a.actor),
                })
                .collect(),
            frameworks: m
                .frameworks
                .iter()
                .map(|f| RegisteredFramework {
                    actor: f.actor.0,
                    name: f.name.clone(),
                    role: f.role.clone(),
                    weight_milli: f.weight_milli,
                    partition_aware: f.partition_aware,
                    failover_timeout: f.failover_timeout,
                    active: f.active,
                })
                .collect(),
        }
    }
}

/// What waits for a registry write to commit.
#[derive(Clone, Debug)]
pub enum Admission {
    /// A new agent: offered and told its id only once the registry has it.
    Agent(crate::alloc::AgentId),
    /// A new framework: likewise.
    Framework(FrameworkId),
    /// A reply that must not precede the change it reports.
    Reply(ActorId, Msg),
    /// Task verdicts (LOST, UNREACHABLE) of a removed agent.
    Verdicts(Vec<(FrameworkId, crate::proto::TaskStatus)>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Standby,
    /// Elected, reading the registry.
    Reading(ReqId),
    /// Elected, creating an empty registry (first leader ever).
    Creating(ReqId),
    Leading,
}

/// A master's coordination session, election and registrar.
pub struct Ha {
    client: CoordClient,
    election: Election,
    phase: Phase,
    /// Version of the registry znode last read or written.
    version: u32,
    /// The registry write in flight, with the admissions waiting for it.
    write: Option<(ReqId, Vec<Admission>)>,
    /// Admissions waiting for the next write; `dirty` if there is something to write.
    waiting: Vec<Admission>,
    dirty: bool,
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
            write: None,
            waiting: Vec::new(),
            dirty: false,
            elected_at: Vec::new(),
        }
    }

    pub(super) fn start(&mut self, ctx: &mut Ctx<Mesos>) {
        self.client.start(ctx);
    }

    /// Forgets everything of a leadership (the session and candidacy stay).
    fn stand_by(&mut self) {
        self.phase = Phase::Standby;
        self.write = None;
        self.waiting.clear();
        self.dirty = false;
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

    /// True if a timer of `term` still applies.
    pub(super) fn current(&self, term: crate::proto::Term) -> bool {
        self.leading && term == self.term
    }

    /// Starts serving: the periodic allocation.
    pub(super) fn serve(&mut self, ctx: &mut Ctx<Mesos>) {
        ctx.set_timer(
            self.cfg.allocation_interval,
            Timer::AllocationTick(self.term),
        );
    }

    /// Records a registry change; `then` takes effect once it is durable (at once for
    /// a lone master, which has no registry).
    pub(super) fn persist(&mut self, ctx: &mut Ctx<Mesos>, then: Option<Admission>) {
        let Some(ha) = self.ha.as_mut() else {
            if let Some(a) = then {
                self.admit(ctx, a);
            }
            return;
        };
        ha.waiting.extend(then);
        ha.dirty = true;
        if ha.write.is_none() {
            self.flush(ctx);
        }
    }

    fn flush(&mut self, ctx: &mut Ctx<Mesos>) {
        let data = serde_json::to_vec(&Registry::of(self)).expect("serializable");
        let ha = self.ha.as_mut().expect("flush is for HA masters");
        let req = ha
            .client
            .set_data(ctx, REGISTRY_PATH, data, Some(ha.version));
        ha.write = Some((req, std::mem::take(&mut ha.waiting)));
        ha.dirty = false;
    }

    pub(super) fn coord_message(&mut self, ctx: &mut Ctx<Mesos>, from: ActorId, m: CoordMsg) {
        if let Some(ha) = self.ha.as_mut() {
            let events = ha.client.on_message(ctx, from, m);
            self.coord_events(ctx, events);
        }
    }

    pub(super) fn coord_timer(&mut self, ctx: &mut Ctx<Mesos>, t: CoordTimer) {
        if let Some(ha) = self.ha.as_mut() {
            let events = ha.client.on_timer(ctx, t);
            self.coord_events(ctx, events);
        }
    }

    fn coord_events(&mut self, ctx: &mut Ctx<Mesos>, events: Vec<CoordEvent>) {
        for ev in events {
            let Some(ha) = self.ha.as_mut() else { return };
            for e in ha.election.handle(&mut ha.client, ctx, &ev) {
                match e {
                    ElectionEvent::Elected => self.elected(ctx),
                    ElectionEvent::NotLeader if !self.keep_leading_sabotage => self.abdicate(ctx),
                    ElectionEvent::NotLeader | ElectionEvent::LeaderIs(_) => {}
                }
            }
            if let CoordEvent::Reply { req, result } = ev {
                self.registry_reply(ctx, req, result);
            }
        }
    }

    fn elected(&mut self, ctx: &mut Ctx<Mesos>) {
        self.term += 1;
        let ha = self.ha.as_mut().expect("HA master");
        let req = ha.client.get_data(ctx, REGISTRY_PATH, false);
        ha.phase = Phase::Reading(req);
    }

    fn registry_reply(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        req: ReqId,
        result: Result<OpResult, CoordError>,
    ) {
        let ha = self.ha.as_mut().expect("HA master");
        match (&ha.phase, result) {
            (Phase::Reading(r), Ok(OpResult::Data(data, stat))) if *r == req => {
                match serde_json::from_slice::<Registry>(&data) {
                    Ok(reg) => {
                        ha.version = stat.version;
                        self.recover(ctx, reg);
                    }
                    Err(_) => self.abdicate(ctx),
                }
            }
            (Phase::Reading(r), Err(CoordError::NoNode)) if *r == req => {
                let empty = serde_json::to_vec(&Registry::default()).expect("serializable");
                let req = ha.client.create(ctx, REGISTRY_PATH, empty, false, false);
                ha.phase = Phase::Creating(req);
            }
            (Phase::Creating(r), Ok(OpResult::Created(_))) if *r == req => {
                ha.version = 0;
                self.recover(ctx, Registry::default());
            }
            (Phase::Creating(r), Err(CoordError::NodeExists)) if *r == req => {
                let req = ha.client.get_data(ctx, REGISTRY_PATH, false);
                ha.phase = Phase::Reading(req);
            }
            (Phase::Reading(r) | Phase::Creating(r), Err(_)) if *r == req => self.abdicate(ctx),
            (_, result) if ha.write.as_ref().is_some_and(|(r, _)| *r == req) => {
                let (_, admitted) = ha.write.take().expect("checked");
                match result {
                    Ok(OpResult::Set(stat)) => {
                        ha.version = stat.version;
                        let dirty = ha.dirty;
                        for a in admitted {
                            self.admit(ctx, a);
                        }
                        if dirty && self.ha.as_ref().is_some_and(|h| h.write.is_none()) {
                            self.flush(ctx);
                        }
                    }
                    // Deposed (another leader wrote) or cut off: stop serving.
                    _ => self.abdicate(ctx),
                }
            }
            _ => {}
        }
    }

    /// Serves as leader from the registry: agents wait to re-register, frameworks to
    /// reconnect.
    fn recover(&mut self, ctx: &mut Ctx<Mesos>, reg: Registry) {
        for a in reg.agents {
            let id = self.agents.len() as crate::alloc::AgentId;
            let actor = ActorId(a.actor);
            self.agent_by_actor.insert(actor, id);
            self.agents.push(AgentEntry {
                actor,
                hostname: a.hostname,
                total: a.total,
                used: Resources::ZERO,
                tasks: BTreeSet::new(),
                reserved: a.reserved,
                attributes: a.attributes,
                incarnation: 0,
                removed: true,
                awaiting_pong: false,
                missed_pongs: 0,
                recovering: !a.removed,
            });
        }
        for f in reg.frameworks {
            let id = self.frameworks.len() as FrameworkId;
            let actor = ActorId(f.actor);
            self.fw_by_actor.insert(actor, id);
            if f.active {
                self.add_to_allocator(id, &f.role, f.weight_milli);
                self.alloc.suppress(id, true);
            }
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
            });
        }
        let ha = self.ha.as_mut().expect("HA master");
        ha.phase = Phase::Leading;
        ha.elected_at.push(ctx.now());
        self.leading = true;
        self.counters.elections_won += 1;
        self.serve(ctx);
        if self.agents.iter().any(|a| a.recovering) {
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

    /// Stops acting as leader and forgets the leadership's state, as a Mesos master
    /// that lost leadership aborts and is restarted; it stays a candidate.
    fn abdicate(&mut self, ctx: &mut Ctx<Mesos>) {
        let Some(mut ha) = self.ha.take() else { return };
        if ha.phase == Phase::Standby && !self.leading {
            self.ha = Some(ha);
            return;
        }
        ha.stand_by();
        if ctx.logging() {
            ctx.log("master_abdicated", serde_json::json!({ "term": self.term }));
        }
        let mut fresh = Master::new(self.cfg.clone(), &self.alloc_cfg);
        let roles = self.roles.clone();
        fresh.configure_roles(&roles.0, &roles.1);
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
                self.activate_agent(ctx, id);
                ctx.send(actor, Msg::AgentRegistered { id });
            }
            Admission::Framework(id) => {
                let f = &mut self.frameworks[id as usize];
                f.connected = true;
                let (actor, role, weight) = (f.actor, f.role.clone(), f.weight_milli);
                self.admitting.remove(&actor);
                self.add_to_allocator(id, &role, weight);
                ctx.send(actor, Msg::FrameworkRegistered { id });
                self.request_allocation(ctx);
            }
            Admission::Reply(to, msg) => ctx.send(to, msg),
            Admission::Verdicts(v) => {
                for (fw, status) in v {
                    self.update(ctx, fw, status);
                }
            }
        }
    }

    /// Agents of the registry that did not re-register in time are removed.
    pub(super) fn reregister_timeout(&mut self, ctx: &mut Ctx<Mesos>) {
        let mut any = false;
        for a in self.agents.iter_mut().filter(|a| a.recovering) {
            a.recovering = false;
            self.counters.agents_removed += 1;
            any = true;
        }
        if any {
            self.persist(ctx, None);
        }
    }
}
