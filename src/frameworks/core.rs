//! What every framework scheduler shares: registration with back-off, status updates
//! with acknowledgements, reconciliation, SUPPRESS/REVIVE, and offer bookkeeping.
//!
//! A framework's own logic implements [`Scheduler`]; [`Framework`] wraps it into an
//! actor that speaks the scheduler protocol of [`crate::proto`], the same for every
//! kind (batch included): SUBSCRIBE retried with back-off (1 s,
//! doubling, capped at 1 min), every agent-originated update acknowledged, explicit
//! reconciliation of the tasks it believes live every `reconcile_interval` (10 min, as
//! Marathon), offers it cannot use declined with `decline_refuse` (Mesos' 5 s),
//! SUPPRESS when it wants nothing and REVIVE when it wants offers again. A task that
//! reports RUNNING after the framework gave it up (an unreachable agent returned) is
//! killed, so no instance runs twice.
//!
//! The logic sees offers as [`Slot`]s it fills with tasks; whatever it leaves empty is
//! declined, whatever it fills is accepted with the rest given back under
//! `accept_refuse`, and whatever it holds ([`Slot::hold`]) it answers later through
//! [`Core::accept`] and [`Core::decline`].

pub use super::status::{FrameworkStatus, OfferCounters, Progress};
pub use super::timer::TimerTag;
use crate::actor::{Actor, ActorId, Ctx, Time, TimerId, SEC};
use crate::alloc::{AgentId, FrameworkId};
use crate::mesos::detector::{Inbound, MasterDetector};
use crate::proto::{
    Attributes, Mesos, Msg, Offer, OfferId, TaskId, TaskInfo, TaskState, TaskStatus, Timer,
};
use crate::resources::Resources;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Settings every framework kind has (the common keys of a `[[frameworks]]` entry).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Common {
    pub name: String,
    #[serde(default = "default_role")]
    pub role: String,
    /// Weight of the role (DRF divides the dominant share by it).
    #[serde(default = "one")]
    pub weight: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// When the framework registers.
    #[serde(default, with = "crate::units::duration")]
    pub start: Time,
    /// Filter on the unused part of an accepted offer (Mesos default 5 s).
    #[serde(default = "five_seconds", with = "crate::units::duration")]
    pub accept_refuse: Time,
    /// Filter on a declined offer (Mesos default 5 s).
    #[serde(default = "five_seconds", with = "crate::units::duration")]
    pub decline_refuse: Time,
    /// Mesos' PARTITION_AWARE capability (UNREACHABLE instead of LOST).
    #[serde(default)]
    pub partition_aware: bool,
    /// Period of explicit reconciliation (Marathon's default, 10 min).
    #[serde(default = "ten_minutes", with = "crate::units::duration")]
    pub reconcile_interval: Time,
    /// Mesos `FrameworkInfo.failover_timeout` (default 0): how long the master keeps
    /// this framework's tasks after its scheduler process died.
    #[serde(default, with = "crate::units::duration")]
    pub failover_timeout: Time,
    /// Mesos' REVOCABLE_RESOURCES capability: the framework is offered the agents'
    /// revocable (oversubscribed) CPUs (Aurora: `-receive_revocable_resources`).
    #[serde(default)]
    pub revocable_resources: bool,
}

impl Common {
    /// Defaults for a framework called `name` (tests, the test kit).
    pub fn named(name: &str) -> Common {
        Common {
            name: name.to_string(),
            role: default_role(),
            weight: 1.0,
            principal: None,
            start: 0,
            accept_refuse: five_seconds(),
            decline_refuse: five_seconds(),
            partition_aware: false,
            reconcile_interval: ten_minutes(),
            failover_timeout: 0,
            revocable_resources: false,
        }
    }

    /// The role set (builder style, for tests).
    pub fn role(mut self, role: &str) -> Common {
        self.role = role.to_string();
        self
    }
}

fn default_role() -> String {
    "*".into()
}
fn one() -> f64 {
    1.0
}
fn five_seconds() -> Time {
    5 * SEC
}
fn ten_minutes() -> Time {
    600 * SEC
}

/// Exponential back-off: `initial`, multiplied by `factor` per failure, capped at `max`.
/// Marathon's launch back-off is (1 s, 1.15, 300 s); registration uses (1 s, 2, 60 s).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backoff {
    #[serde(with = "crate::units::duration")]
    pub initial: Time,
    pub factor: f64,
    #[serde(with = "crate::units::duration")]
    pub max: Time,
}

impl Backoff {
    /// Marathon's defaults: `backoffSeconds` 1, `backoffFactor` 1.15,
    /// `maxLaunchDelaySeconds` 300.
    pub fn marathon() -> Backoff {
        Backoff {
            initial: SEC,
            factor: 1.15,
            max: 300 * SEC,
        }
    }

    /// The launch delay after a failure at `now`, as Marathon's `RateLimiter.addDelay`
    /// sets it: `initial` from `now` if there was no delay or it is overdue (`now` past
    /// its reference time plus `max`: `cleanUpOverdueDelays`), else the previous delay
    /// times `factor` (truncated to the nanosecond), at most `max`, from `now`.
    pub fn after_failure(&self, prev: Option<LaunchDelay>, now: Time) -> LaunchDelay {
        let current = match prev.filter(|d| now <= d.reference.saturating_add(self.max)) {
            Some(d) => self.max.min((d.current as f64 * self.factor) as Time),
            None => self.initial,
        };
        LaunchDelay {
            reference: now,
            current,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if !(self.factor.is_finite() && self.factor >= 1.0) {
            return Err(format!("backoff factor must be >= 1, got {}", self.factor));
        }
        if self.max < self.initial {
            return Err("backoff max must be at least initial".into());
        }
        Ok(())
    }
}

/// A launch delay (Marathon's `RateLimiter.Delay`): no launch before
/// [`LaunchDelay::deadline`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaunchDelay {
    /// The failure that set it.
    pub reference: Time,
    pub current: Time,
}

impl LaunchDelay {
    pub fn deadline(&self) -> Time {
        self.reference.saturating_add(self.current)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::marathon()
    }
}

/// A launched task the framework has not yet seen end.
#[derive(Clone, Debug)]
pub struct Live {
    pub info: TaskInfo,
    pub agent: AgentId,
    pub hostname: String,
    pub attributes: Attributes,
    /// Last state reported (STAGING until the first update).
    pub state: TaskState,
    pub launched: Time,
    /// When the framework first saw it RUNNING.
    pub running_since: Option<Time>,
}

/// An offer being filled: what is left of it and the tasks put on it.
pub struct Slot {
    pub offer: Offer,
    pub left: Resources,
    pub tasks: Vec<TaskInfo>,
    /// Kept by the scheduler ([`Slot::hold`]): neither accepted nor declined now.
    held: bool,
}

impl Slot {
    /// Keeps the offer instead of answering it now: the scheduler accepts it later with
    /// [`Core::accept`] or gives it back with [`Core::decline`] (Aurora's offer
    /// holding). Tasks put on a held slot are not launched.
    pub fn hold(&mut self) {
        self.held = true;
    }

    pub fn fits(&self, r: &Resources) -> bool {
        self.left.contains(r)
    }

    /// Puts `task` on this offer if it fits; returns whether it did.
    pub fn take(&mut self, task: TaskInfo) -> bool {
        match self.left.checked_sub(&task.resources) {
            Some(rest) => {
                self.left = rest;
                self.tasks.push(task);
                true
            }
            None => false,
        }
    }
}

/// Protocol state shared by every framework, handed to the [`Scheduler`] callbacks.
pub struct Core {
    pub cfg: Common,
    /// Finds the leading master (one fixed master, or through the coordination service).
    pub master: MasterDetector,
    pub id: Option<FrameworkId>,
    /// Registered with the current leader.
    connected: bool,
    register_backoff: Time,
    suppressed: bool,
    /// Launched tasks not yet terminal, by id.
    pub tasks: BTreeMap<TaskId, Live>,
    /// Offers received and declined, tasks launched (for the summary).
    pub counters: OfferCounters,
}

impl Core {
    pub fn new(cfg: Common, master: MasterDetector) -> Core {
        Core {
            cfg,
            master,
            id: None,
            connected: false,
            register_backoff: SEC,
            suppressed: false,
            tasks: BTreeMap::new(),
            counters: OfferCounters::default(),
        }
    }

    /// Asks the master to kill a task (its end comes back as an update).
    pub fn kill(&self, ctx: &mut Ctx<Mesos>, task: TaskId) {
        if let Some(framework) = self.id {
            self.master.send(ctx, Msg::Kill { framework, task });
        }
    }

    /// Sets one of the scheduler's own timers, `tag`, after `after`.
    pub fn timer<T: TimerTag>(&self, ctx: &mut Ctx<Mesos>, after: Time, tag: T) -> TimerId {
        ctx.set_timer(after, tag.to_timer())
    }

    /// Live tasks on an agent's host.
    pub fn on_host<'a>(&'a self, hostname: &'a str) -> impl Iterator<Item = &'a Live> + 'a {
        self.tasks.values().filter(move |l| l.hostname == hostname)
    }

    fn register(&mut self, ctx: &mut Ctx<Mesos>) {
        let msg = register_message(&self.cfg, self.id);
        send_registration(&self.master, ctx, msg, &mut self.register_backoff);
    }

    /// Accepts `offers` (all of the agent `at`) with `tasks`, the unused rest given back
    /// under `accept_refuse`; the tasks count as live from now. The one place a
    /// framework launches: filled [`Slot`]s come here, and so do offers a scheduler
    /// held ([`Slot::hold`]) and uses later.
    pub fn accept(
        &mut self,
        ctx: &mut Ctx<Mesos>,
        offers: Vec<OfferId>,
        at: &Placement,
        tasks: Vec<TaskInfo>,
    ) {
        let Some(framework) = self.id else { return };
        let now = ctx.now();
        for t in &tasks {
            self.tasks.insert(
                t.id,
                Live {
                    info: t.clone(),
                    agent: at.agent,
                    hostname: at.hostname.clone(),
                    attributes: at.attributes.clone(),
                    state: TaskState::Staging,
                    launched: now,
                    running_since: None,
                },
            );
        }
        self.counters.tasks_launched += tasks.len() as u64;
        self.master.send(
            ctx,
            Msg::Accept {
                framework,
                offers: offers.into(),
                tasks: tasks.into(),
                refuse: self.cfg.accept_refuse,
            },
        );
    }

    /// Declines `offers` under `decline_refuse` (nothing if there are none).
    pub fn decline(&mut self, ctx: &mut Ctx<Mesos>, offers: Vec<OfferId>) {
        let Some(framework) = self.id else { return };
        if offers.is_empty() {
            return;
        }
        self.counters.offers_declined += offers.len() as u64;
        self.master.send(
            ctx,
            Msg::Decline {
                framework,
                offers,
                refuse: self.cfg.decline_refuse,
            },
        );
    }

    /// Whether offers are suppressed right now.
    pub fn suppressed(&self) -> bool {
        self.suppressed
    }

    /// SUPPRESS or REVIVE so that the master offers exactly when the logic wants. The
    /// framework does this after every callback (with [`Scheduler::wants_offers`]); a
    /// scheduler whose timing matters calls it itself at the point it decides.
    pub fn want_offers(&mut self, ctx: &mut Ctx<Mesos>, want: bool) {
        let Some(framework) = self.id else { return };
        if want && self.suppressed {
            self.suppressed = false;
            self.master.send(ctx, Msg::Revive { framework });
        } else if !want && !self.suppressed {
            self.suppressed = true;
            self.master.send(ctx, Msg::Suppress { framework });
        }
    }
}

/// Where tasks are launched: an offer's agent, with what placement constraints see.
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    pub agent: AgentId,
    pub hostname: String,
    pub attributes: Attributes,
}

impl Placement {
    pub fn of(offer: &Offer) -> Placement {
        Placement {
            agent: offer.agent,
            hostname: offer.hostname.clone(),
            attributes: offer.attributes.clone(),
        }
    }
}

/// The `RegisterFramework` message for a framework with these common keys (`id` is set
/// when it re-registers after a failover).
pub fn register_message(cfg: &Common, id: Option<FrameworkId>) -> Msg {
    Msg::RegisterFramework(Box::new(crate::proto::FrameworkInfo {
        id,
        name: cfg.name.clone(),
        role: cfg.role.clone(),
        weight_milli: (cfg.weight * 1000.0).round() as u64,
        principal: cfg.principal.clone().unwrap_or_else(|| cfg.name.clone()),
        partition_aware: cfg.partition_aware,
        failover_timeout: cfg.failover_timeout,
        revocable_resources: cfg.revocable_resources,
    }))
}

/// Sends a registration and arms its retry with Mesos' back-off: 1 s initial, doubling,
/// capped at 1 min (the caller resets `backoff` to 1 s once registered).
fn send_registration(master: &MasterDetector, ctx: &mut Ctx<Mesos>, msg: Msg, backoff: &mut Time) {
    master.send(ctx, msg);
    ctx.set_timer(*backoff, Timer::FrameworkRegisterRetry);
    *backoff = (*backoff * 2).min(60 * SEC);
}

/// A framework's own logic. Callbacks get the shared [`Core`] and the actor's context;
/// after each, the framework brings SUPPRESS/REVIVE in line with [`wants_offers`].
///
/// [`wants_offers`]: Scheduler::wants_offers
pub trait Scheduler: 'static {
    /// The scheduler's own timer tags (set with [`Core::timer`], handed back to
    /// [`Scheduler::timer`]).
    type Timer: TimerTag;
    /// First registration with the master.
    fn registered(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>);
    /// Registered again after a master failover (the tasks it believes live are being
    /// reconciled); offers it held died with the master that made them.
    fn reregistered(&mut self, _core: &mut Core, _ctx: &mut Ctx<Mesos>) {}
    /// Fill the slots with tasks; unfilled slots are declined, held ones kept.
    fn offers(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, slots: &mut [Slot]);
    /// The offers of the last [`Scheduler::offers`] are answered (accepted, declined).
    fn offers_answered(&mut self, _core: &mut Core, _ctx: &mut Ctx<Mesos>) {}
    /// The master took back an offer (only matters for held ones).
    fn rescinded(&mut self, _core: &mut Core, _ctx: &mut Ctx<Mesos>, _offer: OfferId) {}
    /// A task's state changed. `ended` is true when the framework no longer counts it
    /// live (terminal, or UNREACHABLE); `task` is its last record.
    fn status(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<Mesos>,
        task: &Live,
        status: &TaskStatus,
        ended: bool,
    );
    /// Whether the scheduler keeps a task it is told is unreachable or lost (its agent
    /// removed) as live, waiting for it to come back (Marathon's `unreachableStrategy`);
    /// by default it gives such a task up at once. A kept task stays in
    /// [`Core::tasks`] until the scheduler removes it.
    fn keeps(&self, _status: &TaskStatus) -> bool {
        false
    }
    /// A timer set with [`Core::timer`] fired.
    fn timer(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, tag: Self::Timer);
    /// Whether the framework has work it wants offers for (else it suppresses).
    fn wants_offers(&self, core: &Core) -> bool;
    /// Tasks waiting for resources (timeseries, fairness).
    fn pending(&self) -> usize;
    /// True once the framework's whole workload has completed (services never do).
    fn done(&self, _core: &Core) -> bool {
        false
    }
    /// The counters every kind reports (no default: each kind says what they are).
    fn progress(&self, core: &Core) -> Progress;
    /// The kind's own counters for `summary.json` (`None`: it has none beyond
    /// [`Progress`]).
    fn stats(&self) -> Option<serde_json::Value>;
    /// A workload error (a bad trace row): the run stops and reports it.
    fn error(&self) -> Option<String> {
        None
    }
    /// The first time the kind broke a rule of the real scheduler that it models
    /// (Marathon launching beyond the deployment's capacity, Aurora preempting a
    /// production task for a non-production one, Chronos running a child before its
    /// parents, Myriad exceeding its NodeManager bounds), recorded where it decided;
    /// the invariant checker reports it (`check`, `fuzz`).
    fn invariant(&self) -> Option<String> {
        None
    }
}

/// A [`Scheduler`] as an actor.
pub struct Framework<S: Scheduler> {
    pub core: Core,
    pub sched: S,
}

impl<S: Scheduler> Framework<S> {
    pub fn new(cfg: Common, master: MasterDetector, sched: S) -> Framework<S> {
        Framework {
            core: Core::new(cfg, master),
            sched,
        }
    }

    fn sync(&mut self, ctx: &mut Ctx<Mesos>) {
        let want = self.sched.wants_offers(&self.core);
        self.core.want_offers(ctx, want);
    }

    fn on_offers(&mut self, ctx: &mut Ctx<Mesos>, offers: Vec<Offer>) {
        if self.core.id.is_none() {
            return;
        }
        self.core.counters.offers_received += offers.len() as u64;
        let mut slots: Vec<Slot> = offers
            .into_iter()
            .map(|o| Slot {
                left: o.resources,
                offer: o,
                tasks: Vec::new(),
                held: false,
            })
            .collect();
        self.sched.offers(&mut self.core, ctx, &mut slots);
        let mut declined = Vec::new();
        for s in slots {
            if s.held {
                continue;
            }
            if s.tasks.is_empty() {
                declined.push(s.offer.id);
                continue;
            }
            let at = Placement::of(&s.offer);
            self.core.accept(ctx, vec![s.offer.id], &at, s.tasks);
        }
        self.core.decline(ctx, declined);
        self.sched.offers_answered(&mut self.core, ctx);
        self.sync(ctx);
    }

    fn on_update(&mut self, ctx: &mut Ctx<Mesos>, status: TaskStatus) {
        let Some(framework) = self.core.id else {
            return;
        };
        if let (Some(uuid), Some(agent)) = (status.uuid, status.agent) {
            self.core.master.send(
                ctx,
                Msg::Acknowledge {
                    framework,
                    agent,
                    task: status.task,
                    uuid: uuid.get(),
                },
            );
        }
        let Some(live) = self.core.tasks.get_mut(&status.task) else {
            if status.state == TaskState::Running {
                // Given up for lost, and back (an unreachable agent re-registered):
                // its replacement exists, so this one must go.
                self.core.kill(ctx, status.task);
            }
            return;
        };
        // UNREACHABLE and UNKNOWN are not terminal in Mesos, but the framework gives the
        // task up (and may relaunch it) rather than wait, unless its scheduler keeps it.
        let ended = (status.state.is_terminal()
            || matches!(status.state, TaskState::Unreachable | TaskState::Unknown))
            && !self.sched.keeps(&status);
        if status.state == live.state && !ended {
            return; // a repeated update or a reconciliation answer: nothing new
        }
        live.state = status.state;
        if status.state == TaskState::Running && live.running_since.is_none() {
            live.running_since = Some(ctx.now());
        }
        let record = if ended {
            self.core.tasks.remove(&status.task).expect("present")
        } else {
            live.clone()
        };
        self.sched
            .status(&mut self.core, ctx, &record, &status, ended);
        self.sync(ctx);
    }

    /// Asks the master about every task believed live (explicit reconciliation).
    fn reconcile(&self, ctx: &mut Ctx<Mesos>) {
        if let (Some(framework), false) = (self.core.id, self.core.tasks.is_empty()) {
            let tasks = self
                .core
                .tasks
                .iter()
                .map(|(t, live)| (*t, Some(live.agent)))
                .collect();
            self.core
                .master
                .send(ctx, Msg::Reconcile { framework, tasks });
        }
    }
}

impl<S: Scheduler> Actor<Mesos> for Framework<S> {
    fn on_start(&mut self, ctx: &mut Ctx<Mesos>) {
        self.core.master.start(ctx);
        self.core.register(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Mesos>, from: ActorId, msg: Msg) {
        let msg = match self.core.master.on_message(ctx, from, msg) {
            Inbound::Master(msg) => msg,
            Inbound::NewLeader(leader) => {
                // A master failover: register again (same id) with back-off.
                self.core.connected = false;
                self.core.register_backoff = SEC;
                if leader.is_some() {
                    self.core.register(ctx);
                }
                return;
            }
            Inbound::Nothing | Inbound::Timer(_) => return,
        };
        match msg {
            Msg::FrameworkRegistered { id } if !self.core.connected => {
                self.core.connected = true;
                self.core.register_backoff = SEC;
                if self.core.id.replace(id).is_none() {
                    ctx.set_timer(self.core.cfg.reconcile_interval, Timer::Reconcile);
                    self.sched.registered(&mut self.core, ctx);
                } else {
                    // Re-registered after a failover: the master revived us; what it
                    // knows of our tasks comes from the agents, so reconcile at once.
                    self.core.suppressed = false;
                    self.reconcile(ctx);
                    self.sched.reregistered(&mut self.core, ctx);
                }
                self.sync(ctx);
            }
            Msg::Offers(offers) => self.on_offers(ctx, offers),
            Msg::Update { status } => self.on_update(ctx, status),
            Msg::Rescind { offer } => self.sched.rescinded(&mut self.core, ctx, offer),
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Mesos>, _id: TimerId, timer: Timer) {
        let Inbound::Timer(timer) = self.core.master.on_timer(ctx, timer) else {
            return;
        };
        match timer {
            Timer::FrameworkRegisterRetry => {
                if !self.core.connected {
                    self.core.register(ctx);
                }
            }
            Timer::Reconcile => {
                ctx.set_timer(self.core.cfg.reconcile_interval, Timer::Reconcile);
                self.reconcile(ctx);
            }
            other => {
                if let (Some(_), Some(tag)) = (self.core.id, S::Timer::from_timer(&other)) {
                    self.sched.timer(&mut self.core, ctx, tag);
                    self.sync(ctx);
                }
            }
        }
    }
}

impl<S: Scheduler> FrameworkStatus for Framework<S> {
    fn done(&self) -> bool {
        self.sched.done(&self.core)
    }
    fn pending(&self) -> usize {
        self.sched.pending()
    }
    fn progress(&self) -> Progress {
        self.sched.progress(&self.core)
    }
    fn stats(&self) -> Option<serde_json::Value> {
        let mut v = self.sched.stats()?;
        if let Some(m) = v.as_object_mut() {
            let c = &self.core.counters;
            m.insert("tasks_launched".into(), c.tasks_launched.into());
            m.insert("offers_received".into(), c.offers_received.into());
            m.insert("offers_declined".into(), c.offers_declined.into());
        }
        Some(v)
    }
    fn error(&self) -> Option<String> {
        self.sched.error()
    }
    fn invariant(&self) -> Option<String> {
        self.sched.invariant()
    }
    fn registered_with(&self) -> Option<crate::actor::ActorId> {
        self.core
            .connected
            .then(|| self.core.master.leader())
            .flatten()
    }
}

/// Checks that a probability or fraction key of a framework section is in [0, 1]; the
/// error is (key, message), as scenario validation reports it.
pub fn unit_interval(key: &str, v: f64) -> Result<(), (String, String)> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err((key.into(), format!("must be in [0, 1], got {v}")))
    }
}

/// An exponentially distributed delay with the given mean (failure models: time to a
/// crash, time until an instance turns unhealthy), drawn from the actor's stream.
pub fn exp_delay(rng: &mut impl rand::Rng, mean: Time) -> Time {
    let u: f64 = rng.gen::<f64>();
    let d = -(1.0 - u).ln() * mean as f64;
    if d >= (Time::MAX / 2) as f64 {
        Time::MAX / 2
    } else {
        d.round() as Time
    }
}
