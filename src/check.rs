//! Invariants of a Mesos run, checked while it runs (after every event in tests).
//!
//! Safety (checked after every event, and at the end):
//!
//! - No agent is over-committed: what its tasks use never exceeds its resources, in
//!   the agent's own accounting and in the master's. Revocable CPUs are checked
//!   against the agent's idle allocation instead: after every event, no agent's
//!   revocable tasks use more than that (its QoS controller has killed them).
//! - No offer is used twice: the tasks launched against one offer belong to the
//!   framework it was made to and together fit in it.
//! - Every launched task reaches a terminal state or is still running at the end (or
//!   is still live in the master's view, its agent's failure not yet detected).
//! - Leadership as Mesos has it: a master acts as leader only while its candidacy
//!   leads the election; no two leaders share a registry term (the fence version they
//!   obtained when elected); and when two act at once, every one but the newest is cut
//!   off from the coordination service, for at most one session timeout (the
//!   `zookeeper::Group` local timer after which it gives up, `coord/group.rs`). A
//!   deposed leader's registry writes fail at the fence (`mesos/ha.rs`).
//! - No task runs twice: once an agent that was removed reconnects, none of the tasks
//!   reported LOST with it is still running there.
//! - Each framework kind keeps the rules of the scheduler it models, as the kind
//!   records them where it decides (`Scheduler::invariant`): Marathon never launches an
//!   instance beyond its app's target (Marathon's `maxCapacity` while a deployment
//!   replaces old instances); Aurora never preempts a production task for a
//!   non-production one; Chronos launches run k of a dependent job only after run k of
//!   every parent succeeded; YARN (Myriad) never runs more than `max_nms` NodeManagers,
//!   nor two on one host with `one_per_host`.
//!
//! Liveness (issue 24, point 9: things that must happen within a bound). A bound runs
//! only while nothing legitimate stands in the way: a master leads (the same one
//! throughout), the agent is registered with it (the agent holds an id that the leader
//! has live for that agent's actor, and follows that leader), and for a task or an
//! update the framework is registered with the leader too (active and connected in
//! its view, and following it); both ends alive and not partitioned from the leader.
//! A partition in progress, a crashed agent or framework, a disconnected framework or
//! an election stops the clock, which starts again from zero once all hold again.
//!
//! - Every status update is acknowledged within its retry bound: an update that
//!   reaches the leading master again after [`UPDATE_ATTEMPTS`] attempts (each with
//!   its time to be acknowledged) while agent and framework were registered with it,
//!   and is still unacknowledged, is a violation. The agent
//!   resends it with back-off (10 s doubling to 10 min, Mesos'
//!   `STATUS_UPDATE_RETRY_INTERVAL_{MIN,MAX}`, `mesos/agent.rs`), so this is at least
//!   10 + 20 + 40 + 80 s of retries. Counting attempts rather than time keeps the bound
//!   honest when the back-off grew during an outage; five attempts tolerate lossy
//!   framework links (a lost update or acknowledgement costs one attempt: at the
//!   fuzzer's worst, 1% loss on each of the two lossy hops, five losses in a row are a
//!   few in a billion).
//! - No task stays STAGING or STARTING in the leader's view for longer than
//!   `launch_delay + ack_bound(r)` + [`LIVENESS_PERIOD`] after the clock started
//!   (see above), where `r` is the back-off of the task's pending update at that moment
//!   and [`ack_bound`] the time the agent takes for [`UPDATE_ATTEMPTS`] sends from
//!   there: the task's RUNNING is generated `launch_delay` after the launch and reaches
//!   the master right after the STARTING before it is acknowledged (310 s for a fresh
//!   stream). Tasks are followed from their RunTask until the leader sees them running
//!   or ended (or forgets them).
//! - Every agent the leader's registry holds is registered, recovering for at most
//!   `agent_reregister_timeout` after the leader's election, or removed (unreachable);
//!   and an agent that is alive, reachable and follows the leader is registered with
//!   it within [`AGENT_REGISTER_BOUND`]: its registration back-off is capped at 1 min,
//!   and an agent the leader still holds with a stale id is found silent by the health
//!   checks within `agent_ping_timeout x max_agent_ping_timeouts` (75 s).
//!
//! Liveness clocks are sampled every [`LIVENESS_PERIOD`] (agents every
//! [`AGENT_SCAN_PERIOD`]), each update attempt as it arrives, so their cost does not
//! grow with the number of events; an outage shorter than a period may go unseen, which
//! the tolerance of several attempts absorbs.

use crate::actor::{ActorId, Time, SEC};
use crate::alloc::{AgentId, FrameworkId};
use crate::mesos::agent::{Agent, REGISTER_BACKOFF_MAX, UPDATE_RETRY_MAX, UPDATE_RETRY_MIN};
use crate::mesos::master::{AgentReturn, Master};
use crate::proto::Mesos;
use crate::proto::{Msg, OfferId, Reason, TaskId, TaskState};
use crate::resources::Resources;
use crate::run::Cluster;
use crate::sim::Observer;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

#[derive(Default)]
struct OfferUse {
    framework: FrameworkId,
    offered: Resources,
    launched: Resources,
    tasks: BTreeSet<TaskId>,
}

/// Sends of one status update that may reach a leader able to forward it, with agent
/// and framework registered, before its lack of acknowledgement is a violation.
pub const UPDATE_ATTEMPTS: u32 = 5;
/// How often the task clocks are sampled.
pub const LIVENESS_PERIOD: Time = SEC;
/// How often the agents' registration is sampled (a scan of every agent).
pub const AGENT_SCAN_PERIOD: Time = 10 * SEC;
/// How long an agent that is alive, reachable and follows the leader may stay
/// unregistered with it: its registration back-off cap (1 min) plus the health checks'
/// silence (15 s x 5), plus two scan periods.
pub const AGENT_REGISTER_BOUND: Time = REGISTER_BACKOFF_MAX + 75 * SEC + 2 * AGENT_SCAN_PERIOD;

/// The time an agent's back-off takes for [`UPDATE_ATTEMPTS`] sends of an update whose
/// next retry is `retry` away (10 s for a fresh stream: 10 + 20 + 40 + 80 + 160 s).
pub fn ack_bound(retry: Time) -> Time {
    let mut r = retry.clamp(UPDATE_RETRY_MIN, UPDATE_RETRY_MAX);
    let mut total = 0;
    for _ in 0..UPDATE_ATTEMPTS {
        total += r;
        r = (r * 2).min(UPDATE_RETRY_MAX);
    }
    total
}

/// An update the agent has sent and not had acknowledged, as the checker counts it.
struct UpdateWatch {
    incarnation: u64,
    uuid: u64,
    /// Deliveries to a leader while agent and framework were registered with it.
    attempts: u32,
}

/// A launched task not yet RUNNING (or ended) in the leader's view.
struct TaskWatch {
    agent: ActorId,
    /// Since when nothing stood in its way, and its deadline.
    clock: Option<(Time, Time)>,
}

/// The liveness checks' state (see the module doc).
#[derive(Default)]
struct Liveness {
    /// Status updates delivered to a master, and acknowledgements to an agent, since
    /// the last state check: (agent, framework, task, `Some(uuid)` for an update).
    arrivals: Vec<(ActorId, ActorId, FrameworkId, TaskId, Option<u64>)>,
    updates: BTreeMap<(ActorId, FrameworkId, TaskId), UpdateWatch>,
    tasks: BTreeMap<(FrameworkId, TaskId), TaskWatch>,
    /// Agents alive, reachable and following the leader but not registered with it:
    /// since when.
    unregistered: BTreeMap<ActorId, Time>,
    /// The leadership the clocks run under: the leader and when it was elected.
    leadership: Option<(ActorId, Time)>,
    next_task_scan: Time,
    next_agent_scan: Time,
}

/// Collects violations; a run is correct when `violations` stays empty.
#[derive(Default)]
pub struct Checker {
    fw_by_actor: BTreeMap<ActorId, FrameworkId>,
    offers: BTreeMap<OfferId, OfferUse>,
    launched: BTreeSet<(FrameworkId, TaskId)>,
    ended: BTreeSet<(FrameworkId, TaskId)>,
    agent_actor: BTreeMap<AgentId, ActorId>,
    /// Tasks reported LOST because their agent was removed, by agent actor.
    lost_with_agent: BTreeMap<ActorId, BTreeSet<(FrameworkId, TaskId)>>,
    /// Agents that reconnected since the last state check.
    reconnected: BTreeSet<ActorId>,
    /// Frameworks whose own rule broke (reported once each).
    framework_rule_broken: BTreeSet<ActorId>,
    live: Liveness,
    pub violations: Vec<String>,
}

impl Checker {
    pub fn observe(&mut self, time: Time, from: ActorId, to: ActorId, msg: &Msg) {
        match msg {
            Msg::StatusUpdate { framework, status } => {
                if let Some(uuid) = status.uuid {
                    self.live
                        .arrivals
                        .push((from, to, *framework, status.task, Some(uuid.get())));
                }
                if status.state.is_terminal() {
                    self.ended.insert((*framework, status.task));
                }
                return;
            }
            Msg::StatusAck {
                framework, task, ..
            } => {
                self.live.arrivals.push((to, from, *framework, *task, None));
                return;
            }
            _ => {}
        }
        match msg {
            Msg::FrameworkRegistered { id } => {
                self.fw_by_actor.insert(to, *id);
            }
            Msg::Offers(offers) => {
                let Some(&fw) = self.fw_by_actor.get(&to) else {
                    return;
                };
                for o in offers {
                    self.offers.insert(
                        o.id,
                        OfferUse {
                            framework: fw,
                            offered: o.resources,
                            ..Default::default()
                        },
                    );
                }
            }
            // An ACCEPT of several offers (of one agent) launches against their sum, and
            // the master names only the first in its RunTasks: the others' resources
            // move to the first, and an offer merged away cannot be used again.
            Msg::Accept { offers, .. } if offers.len() > 1 => {
                let first = offers[0];
                let Some(fw) = self.offers.get(&first).map(|u| u.framework) else {
                    return;
                };
                for o in &offers[1..] {
                    let merged = match self.offers.get_mut(o) {
                        Some(u) if u.framework == fw => {
                            std::mem::replace(&mut u.offered, Resources::ZERO)
                        }
                        _ => continue,
                    };
                    if let Some(u) = self.offers.get_mut(&first) {
                        u.offered += merged;
                    }
                }
            }
            Msg::RunTask {
                framework,
                offer,
                task,
            } => {
                self.launched.insert((*framework, task.id));
                self.live.tasks.insert(
                    (*framework, task.id),
                    TaskWatch {
                        agent: to,
                        clock: None,
                    },
                );
                let Some(u) = self.offers.get_mut(offer) else {
                    self.violations.push(format!(
                        "t={time}: task {:?} launched on unknown offer {offer}",
                        task.id
                    ));
                    return;
                };
                if u.framework != *framework {
                    self.violations.push(format!(
                        "t={time}: offer {offer} of framework {} used by framework {framework}",
                        u.framework
                    ));
                }
                if u.tasks.insert(task.id) {
                    u.launched += task.resources;
                    if !u.offered.contains(&u.launched) {
                        self.violations.push(format!(
                            "t={time}: offer {offer} ({}) used for {} (accepted twice?)",
                            u.offered, u.launched
                        ));
                    }
                }
            }
            Msg::AgentRegistered { id, .. } => {
                self.agent_actor.insert(*id, to);
                if self.lost_with_agent.contains_key(&to) {
                    self.reconnected.insert(to);
                }
            }
            Msg::Update { status } if status.state.is_terminal() => {
                let Some(&fw) = self.fw_by_actor.get(&to) else {
                    return;
                };
                self.ended.insert((fw, status.task));
                if status.reason == Reason::AgentRemoved {
                    if let Some(&actor) = status.agent.and_then(|a| self.agent_actor.get(&a)) {
                        self.lost_with_agent
                            .entry(actor)
                            .or_default()
                            .insert((fw, status.task));
                    }
                }
            }
            _ => {}
        }
    }

    /// Checks the cluster's state now.
    pub fn check_state(&mut self, c: &Cluster) {
        let now = c.sim.now();
        for &a in &c.agents {
            if let Some(agent) = c.sim.actor::<Agent>(a) {
                if agent.revocable_interference() {
                    self.violations.push(format!(
                        "t={now}: agent {} runs revocable tasks beyond its idle allocation: uses {}",
                        c.sim.name(a),
                        agent.used,
                    ));
                }
                if !agent.total().contains(&agent.used.non_revocable()) {
                    self.violations.push(format!(
                        "t={now}: agent {} over-committed: uses {} of {}",
                        c.sim.name(a),
                        agent.used,
                        agent.total()
                    ));
                }
                if agent.refused > 0 {
                    self.violations.push(format!(
                        "t={now}: agent {} was sent tasks that do not fit",
                        c.sim.name(a)
                    ));
                }
            }
        }
        // Under Mesos 1.5+'s policy a returning agent keeps every task, those its
        // frameworks were told LOST included (they are told RUNNING again): that is
        // the design, not a task run twice.
        let keeps_tasks = c
            .live_masters()
            .any(|(_, m)| m.config().agent_return == AgentReturn::Reregister);
        for actor in std::mem::take(&mut self.reconnected) {
            let lost = self.lost_with_agent.remove(&actor).unwrap_or_default();
            if keeps_tasks {
                continue;
            }
            if let Some(agent) = c.sim.actor::<Agent>(actor) {
                for t in agent.running().filter(|t| lost.contains(t)) {
                    self.violations.push(format!(
                        "t={now}: task {t:?} was reported LOST but still runs on {} after it reconnected",
                        c.sim.name(actor)
                    ));
                }
            }
        }
        self.check_leadership(c);
        // Each framework kind's own rules (Marathon's capacity, Aurora's preemption
        // tiers), recorded by the kind where it decides; reported once per framework.
        for (i, fa) in c.frameworks.iter().enumerate() {
            if self.framework_rule_broken.contains(&fa.id) {
                continue;
            }
            if let Some(v) = c.framework_status(i).and_then(|s| s.invariant()) {
                self.framework_rule_broken.insert(fa.id);
                self.violations
                    .push(format!("t={now}: {}: {v}", c.sim.name(fa.id)));
            }
        }
        for (_, m) in c.live_masters() {
            for ag in &m.agents {
                // Revocable CPUs are the agent's to correct (its QoS controller): the
                // master may launch on an estimate the agent has since lowered.
                if !ag.total.contains(&ag.used.non_revocable()) {
                    self.violations.push(format!(
                        "t={now}: master over-commits agent {}: {} of {}",
                        ag.hostname, ag.used, ag.total
                    ));
                }
            }
        }
        self.check_liveness(c, false);
    }

    /// Leadership invariants (see the module doc).
    fn check_leadership(&mut self, c: &Cluster) {
        let now = c.sim.now();
        let newest = c.leader_actor().map(|(id, _)| id);
        let mut terms = BTreeMap::new();
        for (id, m) in c.live_masters().filter(|(_, m)| m.is_leading()) {
            let name = c.sim.name(id);
            if !m.candidacy_leads() {
                self.violations.push(format!(
                    "t={now}: {name} acts as leader but its candidacy does not lead"
                ));
            }
            if let Some(other) = terms.insert(m.registry_term(), name) {
                self.violations.push(format!(
                    "t={now}: {other} and {name} lead in the same registry term {:?}",
                    m.registry_term()
                ));
            }
            if Some(id) == newest {
                continue;
            }
            let bound = m.session_timeout().unwrap_or(0);
            match m.cut_off_since() {
                Some(since) if now <= since + bound => {}
                Some(since) => self.violations.push(format!(
                    "t={now}: deposed leader {name} still acts {} ns after it was cut off \
                     from the coordination service (bound: one session timeout, {bound} ns)",
                    now - since
                )),
                None => self.violations.push(format!(
                    "t={now}: {name} acts as leader alongside a newer leader while connected \
                     to the coordination service"
                )),
            }
        }
    }

    /// At the end of a run: every launched task ended, or runs on an agent, or the
    /// master still holds it on an agent it cannot currently hear (dead, partitioned or
    /// already removed, whose failure the health checks report in due time). A task the
    /// master believes live on a reachable agent that does not run it is a violation.
    pub fn check_end(&mut self, c: &Cluster) {
        self.check_liveness(c, true);
        let mut running = BTreeSet::new();
        for &a in &c.agents {
            if let Some(agent) = c.sim.actor::<Agent>(a) {
                running.extend(agent.tracked());
            }
        }
        let Some((leader, m)) = c.leader_actor() else {
            return;
        };
        for t in &self.launched {
            if self.ended.contains(t) || running.contains(t) {
                continue;
            }
            let Some(task) = m.tasks.get(t) else {
                continue; // the master ended it (its verdict may have been lost on the way)
            };
            let agent = &m.agents[task.agent as usize];
            // Registered with the leader under that id (a restarted agent that has not
            // registered yet runs nothing, and the master learns so when it does).
            let reachable =
                !agent.removed && registered_agent(c, (leader, m), agent.actor) == Some(task.agent);
            if reachable {
                self.violations.push(format!(
                    "task {t:?} is {:?} on {} in the master's view, but the agent does not run it",
                    task.state, agent.hostname
                ));
            }
        }
    }
}

/// The leading master, if exactly one leads.
fn leader(c: &Cluster) -> Option<(ActorId, &Master)> {
    let mut leading = c.live_masters().filter(|(_, m)| m.is_leading());
    let first = leading.next()?;
    leading.next().is_none().then_some(first)
}

/// The agent run by `actor` if it is alive, reachable from the leader `m`, follows it
/// and is registered with it: its id.
fn registered_agent(c: &Cluster, m: (ActorId, &Master), actor: ActorId) -> Option<AgentId> {
    let agent = c.sim.actor::<Agent>(actor)?;
    let id = agent.id()?;
    let entry = m.1.agents().get(id as usize)?;
    let ok = entry.actor == actor
        && !entry.removed
        && !entry.is_recovering()
        && agent.master() == Some(m.0)
        && !c.sim.net().partitioned(m.0, actor);
    ok.then_some(id)
}

/// True if framework `fw` of the leader `m` is registered with it: active and
/// connected in its view, alive, following it and not partitioned from it.
fn registered_framework(c: &Cluster, m: (ActorId, &Master), fw: FrameworkId) -> bool {
    let Some(f) = m.1.frameworks().get(fw as usize) else {
        return false;
    };
    if !(f.active && f.connected) || c.sim.net().partitioned(m.0, f.actor) {
        return false;
    }
    c.frameworks
        .iter()
        .position(|fa| fa.id == f.actor)
        .and_then(|i| c.framework_status(i))
        .is_some_and(|s| s.registered_with() == Some(m.0))
}

impl Checker {
    /// The liveness checks (module doc): update attempts as they arrive, task clocks
    /// every [`LIVENESS_PERIOD`], agents every [`AGENT_SCAN_PERIOD`] (and all at the
    /// end).
    fn check_liveness(&mut self, c: &Cluster, end: bool) {
        let now = c.sim.now();
        let leader = leader(c);
        let leadership = leader.map(|(id, m)| (id, m.elected_at().last().copied().unwrap_or(0)));
        if leadership != self.live.leadership {
            self.live.leadership = leadership;
            self.live.unregistered.clear();
            for t in self.live.tasks.values_mut() {
                t.clock = None;
            }
        }
        self.count_update_attempts(c, leader);
        let Some(m) = leader else {
            return;
        };
        if end || now >= self.live.next_task_scan {
            self.live.next_task_scan = now + LIVENESS_PERIOD;
            self.scan_tasks(c, m);
        }
        if end || now >= self.live.next_agent_scan {
            self.live.next_agent_scan = now + AGENT_SCAN_PERIOD;
            self.scan_agents(c, m);
        }
    }

    /// Every status update must be acknowledged within [`UPDATE_ATTEMPTS`] attempts
    /// that reached a leader able to forward it.
    fn count_update_attempts(&mut self, c: &Cluster, leader: Option<(ActorId, &Master)>) {
        let now = c.sim.now();
        for (agent_actor, master, fw, task, uuid) in std::mem::take(&mut self.live.arrivals) {
            let key = (agent_actor, fw, task);
            let Some(uuid) = uuid else {
                self.live.updates.remove(&key); // acknowledged (or a stale ack: recount)
                continue;
            };
            let Some(agent) = c.sim.actor::<Agent>(agent_actor) else {
                continue;
            };
            let good = leader.is_some_and(|m| {
                m.0 == master
                    && registered_agent(c, m, agent_actor).is_some()
                    && registered_framework(c, m, fw)
            });
            if !good {
                continue;
            }
            let incarnation = agent.incarnation();
            let w = self.live.updates.entry(key).or_insert(UpdateWatch {
                incarnation,
                uuid,
                attempts: 0,
            });
            if w.incarnation != incarnation || w.uuid != uuid {
                *w = UpdateWatch {
                    incarnation,
                    uuid,
                    attempts: 0,
                };
            }
            w.attempts += 1;
            let pending = agent.pending_update(fw, task).map(|(u, _)| u) == Some(uuid);
            // This arrival is a retry: the attempts before it all went unacknowledged
            // (counting this one as a failure would leave the last attempt no time).
            if w.attempts > UPDATE_ATTEMPTS && pending {
                let status = agent_update_desc(c, agent_actor, master, fw, task);
                self.violations.push(format!(
                    "t={now}: status update {status} of task {task:?} (framework {fw}) from {} \
                     reached the leading master {} {} times while agent and framework were \
                     registered with it, and is still unacknowledged",
                    c.sim.name(agent_actor),
                    c.sim.name(master),
                    w.attempts
                ));
                w.attempts = 0;
            }
        }
    }

    /// No task stays STAGING or STARTING in the leader's view past its bound.
    fn scan_tasks(&mut self, c: &Cluster, m: (ActorId, &Master)) {
        let now = c.sim.now();
        let mut done = Vec::new();
        for (&(fw, task), w) in self.live.tasks.iter_mut() {
            let state = match m.1.tasks().get(&(fw, task)) {
                Some(e) if matches!(e.state, TaskState::Staging | TaskState::Starting) => e.state,
                _ => {
                    done.push((fw, task));
                    continue;
                }
            };
            let ok = registered_agent(c, m, w.agent).is_some() && registered_framework(c, m, fw);
            if !ok {
                w.clock = None;
                continue;
            }
            let agent = c
                .sim
                .actor::<Agent>(w.agent)
                .expect("registered agents are alive");
            let (since, deadline) = *w.clock.get_or_insert_with(|| {
                let retry = agent
                    .pending_update(fw, task)
                    .map_or(UPDATE_RETRY_MIN, |(_, r)| r);
                (
                    now,
                    now + agent.launch_delay() + ack_bound(retry) + LIVENESS_PERIOD,
                )
            });
            if now > deadline {
                self.violations.push(format!(
                    "t={now}: task {task:?} (framework {fw}) has been {state:?} in the view of \
                     the leading master {} for {} s since its agent {} and its framework were \
                     registered with it (bound {} s)",
                    c.sim.name(m.0),
                    (now - since) / SEC,
                    c.sim.name(w.agent),
                    (deadline - since) / SEC
                ));
                w.clock = None;
            }
        }
        for k in done {
            self.live.tasks.remove(&k);
        }
    }

    /// Every agent of the leader's registry is registered, recovering within
    /// `agent_reregister_timeout`, or removed; an agent that could register does.
    fn scan_agents(&mut self, c: &Cluster, m: (ActorId, &Master)) {
        let now = c.sim.now();
        let (leader, master) = m;
        if master.recovering_agents() > 0 {
            let elected = master.elected_at().last().copied().unwrap_or(0);
            let timeout = master.config().agent_reregister_timeout;
            if now > elected + timeout {
                let a = master
                    .agents()
                    .iter()
                    .find(|a| a.is_recovering())
                    .map_or("?", |a| a.hostname.as_str());
                self.violations.push(format!(
                    "t={now}: agent {a} is still recovering {} s after {} was elected \
                     (agent_reregister_timeout {} s)",
                    (now - elected) / SEC,
                    c.sim.name(leader),
                    timeout / SEC
                ));
            }
        }
        for &a in &c.agents {
            let Some(agent) = c.sim.actor::<Agent>(a) else {
                self.live.unregistered.remove(&a);
                continue;
            };
            // An agent marked gone has stopped for good (Mesos' agent process exits).
            let could = !agent.is_gone()
                && agent.master() == Some(leader)
                && !c.sim.net().partitioned(leader, a);
            if !could || registered_agent(c, m, a).is_some() {
                self.live.unregistered.remove(&a);
                continue;
            }
            let since = *self.live.unregistered.entry(a).or_insert(now);
            if now > since + AGENT_REGISTER_BOUND {
                self.violations.push(format!(
                    "t={now}: agent {} has been alive, reachable and following the leading \
                     master {} for {} s without being registered with it (bound {} s)",
                    c.sim.name(a),
                    c.sim.name(leader),
                    (now - since) / SEC,
                    AGENT_REGISTER_BOUND / SEC
                ));
                self.live.unregistered.remove(&a);
            }
        }
    }
}

/// The pending update of a task on an agent, as the violation message shows it.
fn agent_update_desc(
    c: &Cluster,
    agent: ActorId,
    _master: ActorId,
    fw: FrameworkId,
    task: TaskId,
) -> String {
    let Some(a) = c.sim.actor::<Agent>(agent) else {
        return "?".into();
    };
    match a.pending_status(fw, task) {
        Some(s) => match s.agent {
            Some(id) => format!("{:?} (agent id {id})", s.state),
            None => format!("{:?} (sent while unregistered: it names no agent)", s.state),
        },
        None => "?".into(),
    }
}

/// Feeds a shared checker from the engine's deliveries.
pub struct CheckerTap(pub Rc<RefCell<Checker>>);

impl Observer<Mesos> for CheckerTap {
    fn on_message(&mut self, time: Time, from: ActorId, to: ActorId, msg: &Msg) {
        self.0.borrow_mut().observe(time, from, to, msg);
    }
}

/// Runs `c` until `stop`, checking every invariant after every event. Returns the first
/// violation, if any (the run stops there).
pub fn run_checked(c: &mut Cluster, stop: Time) -> Option<String> {
    let checker = Rc::new(RefCell::new(Checker::default()));
    c.sim.set_observer(Box::new(CheckerTap(checker.clone())));
    while c.sim.peek_time().is_some_and(|t| t <= stop) {
        c.sim.step();
        let mut ch = checker.borrow_mut();
        ch.check_state(c);
        if let Some(v) = ch.violations.first() {
            return Some(v.clone());
        }
    }
    let mut ch = checker.borrow_mut();
    ch.check_end(c);
    ch.violations.first().cloned()
}
