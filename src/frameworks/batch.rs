//! The trace-replay batch framework: submits a workload's jobs at their arrival times
//! and launches their tasks on whatever offers fit.
//!
//! Scheduling inside the framework is first-fit over the pending queue in arrival order
//! (a common choice for batch schedulers on Mesos). An offer it can use is accepted,
//! with the unused part given back under `accept_refuse`; an offer it cannot use is
//! declined with `decline_refuse` (Mesos' default filter, 5 s). With nothing pending and
//! nothing more to come it SUPPRESSes offers, and REVIVEs when new work arrives.
//! `tasks_per_offer` caps launches per offer: with 1, each offer round gives one task to
//! the framework with the lowest share, which is how DRF's progressive filling plays
//! out through Mesos offers.
//!
//! With `hold_offers` set, an offer nothing pending fits is held instead of declined,
//! for up to that long (Aurora's offer holding, `-min_offer_hold_time`, 5 min), and
//! declined when the time is up. New work starts on held offers at once (next fit over
//! the agents, all offers of an agent accepted together), without waiting for an offer
//! round, and an idle framework costs no offer round trips: on a 12,500-agent cell a
//! framework that declines everything for 5 s is offered ~2,500 agents a second. Held
//! offers count as allocated to the framework, so its DRF share includes them, as in
//! Mesos. Held offers are dropped when the framework registers again (they died with the
//! master that made them) and declined when it suppresses.
//!
//! Memory stays bounded by `pending_cap`: jobs are pulled from the (possibly endless)
//! stream only while fewer tasks than that are pending.

use super::core::{Common, Core, Framework, Live, Placement, Progress, Scheduler, Slot};
use super::timer::TimerTag;
use super::FrameworkKind;
use crate::actor::{Ctx, Time, SEC};
use crate::alloc::AgentId;
use crate::proto::{
    FrameworkTimer, Mesos, OfferId, TaskId, TaskInfo, TaskRun, TaskState, TaskStatus, Timer,
};
use crate::resources::Resources;
use crate::workload::{Job, JobStream, WorkloadSpec};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Settings of one batch framework (the `[[frameworks]]` table of a scenario).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {
    pub name: String,
    #[serde(default = "default_role")]
    pub role: String,
    /// Weight of the role (DRF divides the dominant share by it).
    #[serde(default = "one")]
    pub weight: f64,
    #[serde(default)]
    pub principal: Option<String>,
    /// At most this many tasks per offer (0 = as many as fit).
    #[serde(default)]
    pub tasks_per_offer: u32,
    /// Filter on the unused part of an accepted offer (Mesos default 5 s).
    #[serde(default = "five_seconds", with = "crate::units::duration")]
    pub accept_refuse: Time,
    /// Filter on an offer the framework cannot use (Mesos default 5 s).
    #[serde(default = "five_seconds", with = "crate::units::duration")]
    pub decline_refuse: Time,
    /// Relaunches of a FAILED or LOST task before giving up on it.
    #[serde(default = "three")]
    pub max_retries: u32,
    /// Probability that a task's command fails (FAILED instead of FINISHED).
    #[serde(default)]
    pub failure_rate: f64,
    /// When the framework registers.
    #[serde(default, with = "crate::units::duration")]
    pub start: Time,
    /// Mesos' PARTITION_AWARE capability: tasks on an unreachable agent are reported
    /// UNREACHABLE (and RUNNING again if it returns) instead of LOST.
    #[serde(default)]
    pub partition_aware: bool,
    /// Period of explicit reconciliation of the tasks it believes live (Marathon's
    /// default is 10 min): catches verdicts lost on the way.
    #[serde(default = "ten_minutes", with = "crate::units::duration")]
    pub reconcile_interval: Time,
    /// Mesos `FrameworkInfo.failover_timeout` (default 0): how long the master keeps
    /// this framework's tasks after its scheduler process died.
    #[serde(default, with = "crate::units::duration")]
    pub failover_timeout: Time,
    /// Cap on tasks held pending in memory.
    #[serde(default = "pending_cap")]
    pub pending_cap: usize,
    /// Hold offers nothing pending fits for up to this long instead of declining them
    /// (0, the default: decline at once). See the module doc.
    #[serde(default, with = "crate::units::duration")]
    pub hold_offers: Time,
    pub workload: WorkloadSpec,
}

impl BatchConfig {
    /// The keys a batch framework shares with every other kind (kept as flat fields
    /// because serde's `flatten` cannot refuse unknown keys).
    pub fn common(&self) -> super::core::Common {
        super::core::Common {
            name: self.name.clone(),
            role: self.role.clone(),
            weight: self.weight,
            principal: self.principal.clone(),
            start: self.start,
            accept_refuse: self.accept_refuse,
            decline_refuse: self.decline_refuse,
            partition_aware: self.partition_aware,
            reconcile_interval: self.reconcile_interval,
            failover_timeout: self.failover_timeout,
            revocable_resources: false,
        }
    }
}

fn default_role() -> String {
    "*".into()
}
fn one() -> f64 {
    1.0
}
fn three() -> u32 {
    3
}
fn five_seconds() -> Time {
    5 * SEC
}
fn ten_minutes() -> Time {
    600 * SEC
}
fn pending_cap() -> usize {
    10_000
}

/// What the framework has done with its tasks, for summaries and tests (offers and
/// launches are counted by [`Core`] for every kind).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BatchStats {
    pub jobs_submitted: u64,
    pub tasks_finished: u64,
    pub tasks_failed: u64,
    pub tasks_lost: u64,
    pub tasks_given_up: u64,
}

/// `kind = "batch"`, the default. Its table carries the common keys itself (flat
/// fields, as scenarios have always written them), so it is read and written whole.
impl FrameworkKind for BatchConfig {
    const NAME: &'static str = "batch";
    type Scheduler = Batch;

    fn parse(table: toml::Table) -> Result<(Common, BatchConfig), String> {
        use crate::config::{flat, keypath};
        let own = flat::fields(|d| BatchConfig::deserialize(d));
        flat::check(&table, own.as_deref(), &["kind"])?;
        let b = keypath::read(toml::Value::Table(table), |d| BatchConfig::deserialize(d))?;
        Ok((b.common(), b))
    }

    /// Without `kind` (the default) and with `principal` even when unset, as batch
    /// entries have always been written (sweep plans digest this form).
    fn to_json(&self, _common: &Common) -> Result<serde_json::Value, String> {
        serde_json::to_value(self).map_err(|e| e.to_string())
    }

    fn validate(&self) -> Result<(), (String, String)> {
        if !(0.0..=1.0).contains(&self.failure_rate) {
            return Err((
                "failure_rate".into(),
                format!("must be a probability in [0, 1], got {}", self.failure_rate),
            ));
        }
        self.workload
            .validate()
            .map_err(|m| ("workload".to_string(), m))
    }

    fn demands(&self) -> Vec<crate::workload::Demand> {
        let mut d = self.workload.demands();
        for x in &mut d {
            x.at = crate::config::join_key("workload", &x.at);
            if let Some((key, _)) = &mut x.tasks {
                *key = format!("workload.{key}");
            }
        }
        d
    }

    fn build(&self, _common: &Common, seed: u64) -> Batch {
        Batch::new(self.clone(), seed)
    }
}

/// The batch framework's timers: the next job's arrival, and the end of the hold of an
/// agent's offers (`hold_offers`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchTimer {
    NextJob,
    HeldOffers(AgentId),
}

impl TimerTag for BatchTimer {
    fn to_timer(&self) -> Timer {
        match *self {
            BatchTimer::NextJob => Timer::NextJob,
            BatchTimer::HeldOffers(agent) => Timer::Framework(FrameworkTimer::new(0, 0, agent)),
        }
    }
    fn from_timer(t: &Timer) -> Option<BatchTimer> {
        match t {
            Timer::NextJob => Some(BatchTimer::NextJob),
            Timer::Framework(f) => Some(BatchTimer::HeldOffers(f.b)),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
struct PendingTask {
    info: TaskInfo,
    /// A scan of every held offer found no room for it: only new offers can help, so
    /// scans for new work skip it (`hold_offers`).
    stuck: bool,
}

/// How many pending tasks (from the front) first fit looks at per offer.
const FIT_WINDOW: usize = 256;

/// The offers held on one agent (`hold_offers`).
#[derive(Clone, Debug)]
struct Held {
    offers: Vec<(OfferId, Resources)>,
    /// Their sum.
    total: Resources,
    /// When the first of them is declined, with the rest.
    expires: Time,
    /// The agent they are on.
    at: Placement,
}

impl Held {
    fn ids(self) -> impl Iterator<Item = OfferId> {
        self.offers.into_iter().map(|(id, _)| id)
    }
}

/// The batch framework's scheduler (the protocol is [`Framework`]'s, as for every kind).
pub struct Batch {
    cfg: BatchConfig,
    stream: JobStream,
    next_job: Option<Job>,
    stream_done: bool,
    job_timer: Option<Time>,
    pending: VecDeque<PendingTask>,
    /// Held offers by agent, and the agent of each held offer (`hold_offers`).
    held: BTreeMap<AgentId, Held>,
    held_agent: BTreeMap<OfferId, AgentId>,
    /// Where the next next-fit scan of the held offers starts.
    cursor: AgentId,
    /// Pending tasks were added since the held offers were last tried.
    unplaced: bool,
    /// Whether it wants offers, as its last refill decided (see [`Batch::refill`]).
    want: bool,
    pub stats: BatchStats,
    /// A workload error (bad trace row): the run stops and reports it.
    pub error: Option<String>,
}

/// The batch framework as an actor.
pub type BatchFramework = Framework<Batch>;

impl Batch {
    pub fn new(cfg: BatchConfig, seed: u64) -> Batch {
        let stream = cfg.workload.open(seed);
        Batch {
            cfg,
            stream,
            next_job: None,
            stream_done: false,
            job_timer: None,
            pending: VecDeque::new(),
            held: BTreeMap::new(),
            held_agent: BTreeMap::new(),
            cursor: 0,
            unplaced: false,
            want: true,
            stats: BatchStats::default(),
            error: None,
        }
    }

    /// Moves arrived jobs into the pending queue, up to the cap, and arms the timer for
    /// the next arrival; then SUPPRESSes when nothing is pending or to come (declining
    /// held offers) or REVIVEs when work is back, and places new work on held offers.
    ///
    /// The offer state is decided here, at the points the batch framework has always
    /// decided it (registration, answered offers, ended tasks, arrivals), and kept in
    /// `want`, which is what [`Scheduler::wants_offers`] answers: work placed on held
    /// offers after this point waits for the next refill to suppress.
    fn refill(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>) {
        let now = ctx.now();
        while self.pending.len() < self.cfg.pending_cap {
            if self.next_job.is_none() && !self.stream_done {
                match self.stream.next() {
                    Some(Ok(job)) => self.next_job = Some(job),
                    Some(Err(e)) => {
                        // Bad input ends the workload here; what was read still runs,
                        // so the results written so far are complete, and the run
                        // reports the error at its end.
                        self.error = Some(e);
                        self.stream_done = true;
                    }
                    None => self.stream_done = true,
                }
            }
            let Some(job) = self.next_job.take_if(|j| j.submit <= now) else {
                break;
            };
            self.stats.jobs_submitted += 1;
            self.unplaced = true;
            let n = job.tasks.len() as u32;
            for t in job.tasks {
                let succeeds = self.cfg.failure_rate <= 0.0
                    || rand::Rng::gen::<f64>(ctx.rng()) >= self.cfg.failure_rate;
                self.pending.push_back(PendingTask {
                    info: TaskInfo {
                        id: TaskId {
                            job: job.id,
                            index: t.index,
                            attempt: 0,
                        },
                        resources: t.resources,
                        run: TaskRun {
                            duration: t.duration,
                            succeeds,
                        },
                        submitted: job.submit,
                        job_tasks: n,
                    },
                    stuck: false,
                });
            }
        }
        if let Some(j) = &self.next_job {
            if j.submit > now && self.job_timer != Some(j.submit) {
                self.job_timer = Some(j.submit);
                core.timer(ctx, j.submit - now, BatchTimer::NextJob);
            }
        }
        self.want = !(self.pending.is_empty() && self.next_job.is_none() && self.stream_done);
        let was_suppressed = core.suppressed();
        core.want_offers(ctx, self.want);
        if core.suppressed() && !was_suppressed {
            self.decline_held(core, ctx, None);
        }
        if self.unplaced && self.cfg.hold_offers > 0 {
            self.unplaced = false;
            self.place_held(core, ctx, None);
        }
    }

    /// Keeps the offers of `slots` (`hold_offers`), then launches what fits on them.
    fn hold(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, slots: &mut [Slot]) {
        let now = ctx.now();
        let mut agents = Vec::with_capacity(slots.len());
        for slot in slots {
            slot.hold();
            let offer = &slot.offer;
            let held = self.held.entry(offer.agent).or_insert_with(|| {
                core.timer(
                    ctx,
                    self.cfg.hold_offers,
                    BatchTimer::HeldOffers(offer.agent),
                );
                Held {
                    offers: Vec::new(),
                    total: Resources::ZERO,
                    expires: now + self.cfg.hold_offers,
                    at: Placement::of(offer),
                }
            });
            held.offers.push((offer.id, offer.resources));
            held.total += offer.resources;
            self.held_agent.insert(offer.id, offer.agent);
            agents.push(offer.agent);
        }
        agents.dedup();
        self.place_held(core, ctx, Some(&agents));
    }

    /// Launches pending work on held offers: on the agents `only`, or on all of them
    /// in next-fit order (from the agent after the last one used, wrapping around), so
    /// that a job costs the agents it needs, not a scan of the full ones before them.
    fn place_held(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, only: Option<&[AgentId]>) {
        // Every task needs at least the kind-wise minimum of the window first_fit looks
        // at: an agent holding less than that fits none of them. New offers may fit
        // anything; a scan for new work looks for room for the tasks not stuck.
        let new_offers = only.is_some();
        let Some(mut need) = self.window_minimum(new_offers) else {
            return;
        };
        if let Some(agents) = only {
            for &agent in agents {
                if self.place_on(core, ctx, agent, need) {
                    let Some(n) = self.window_minimum(true) else {
                        return;
                    };
                    need = n;
                }
            }
            return;
        }
        let start = self.cursor;
        let mut from = start;
        let mut wrapped = false;
        loop {
            let next = if wrapped {
                self.held.range(from..start).next()
            } else {
                self.held.range(from..).next()
            };
            let Some((&agent, _)) = next else {
                if wrapped {
                    // Every held offer was tried: what is left waits for new offers.
                    for t in self.pending.iter_mut().take(FIT_WINDOW) {
                        t.stuck = true;
                    }
                    return;
                }
                (wrapped, from) = (true, 0);
                continue;
            };
            from = agent.saturating_add(1);
            if self.place_on(core, ctx, agent, need) {
                self.cursor = from;
                let Some(n) = self.window_minimum(false) else {
                    return;
                };
                need = n;
            }
        }
    }

    /// First fit of the pending queue onto `agent`'s held offers (if they hold at least
    /// `need`), all of them accepted together; true if something was launched.
    fn place_on(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<Mesos>,
        agent: AgentId,
        need: Resources,
    ) -> bool {
        let Some(free) = self.held.get(&agent).map(|h| h.total) else {
            return false;
        };
        if !free.contains(&need) {
            return false;
        }
        let launch = self.first_fit(free);
        if launch.is_empty() {
            return false;
        }
        let held = self.held.remove(&agent).expect("just seen");
        let at = held.at.clone();
        let offers: Vec<OfferId> = held.ids().collect();
        for id in &offers {
            self.held_agent.remove(id);
        }
        core.accept(ctx, offers, &at, launch);
        true
    }

    /// The kind-wise minimum demand of the tasks `first_fit` looks at (`None`: none),
    /// the stuck ones too or not.
    fn window_minimum(&self, with_stuck: bool) -> Option<Resources> {
        self.pending
            .iter()
            .take(FIT_WINDOW)
            .filter(|t| with_stuck || !t.stuck)
            .map(|t| t.info.resources)
            .reduce(|a, b| Resources::min(&a, &b))
    }

    /// Declines the held offers (of `agent`, or all) under `decline_refuse`.
    fn decline_held(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, agent: Option<AgentId>) {
        let held: Vec<Held> = match agent {
            Some(a) => self.held.remove(&a).into_iter().collect(),
            None => std::mem::take(&mut self.held).into_values().collect(),
        };
        let offers: Vec<OfferId> = held.into_iter().flat_map(Held::ids).collect();
        for id in &offers {
            self.held_agent.remove(id);
        }
        core.decline(ctx, offers);
    }

    /// Takes the tasks to launch on `free` off the pending queue: first fit, over a
    /// bounded window of the queue so an offer costs O(window), not O(pending), and at
    /// most `tasks_per_offer`.
    fn first_fit(&mut self, free: Resources) -> Vec<TaskInfo> {
        let mut left = free;
        let mut launch = Vec::new();
        let cap = if self.cfg.tasks_per_offer == 0 {
            usize::MAX
        } else {
            self.cfg.tasks_per_offer as usize
        };
        let mut i = 0;
        let window = FIT_WINDOW.min(self.pending.len());
        let mut looked = 0;
        while i < self.pending.len() && launch.len() < cap && looked < window {
            looked += 1;
            if let Some(rest) = left.checked_sub(&self.pending[i].info.resources) {
                left = rest;
                let t = self.pending.remove(i).expect("index in range");
                launch.push(t.info);
            } else {
                i += 1;
            }
        }
        launch
    }
}

impl Scheduler for Batch {
    type Timer = BatchTimer;

    fn registered(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>) {
        self.refill(core, ctx);
    }

    fn reregistered(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>) {
        // Offers held from the old leader are void.
        self.held.clear();
        self.held_agent.clear();
        self.refill(core, ctx);
    }

    fn offers(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, slots: &mut [Slot]) {
        if self.cfg.hold_offers > 0 {
            self.hold(core, ctx, slots);
            return;
        }
        for slot in slots {
            for t in self.first_fit(slot.left) {
                let fits = slot.take(t);
                debug_assert!(fits, "first_fit fits the offer");
            }
        }
    }

    fn offers_answered(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>) {
        self.refill(core, ctx);
    }

    fn rescinded(&mut self, _core: &mut Core, _ctx: &mut Ctx<Mesos>, offer: OfferId) {
        if let Some(agent) = self.held_agent.remove(&offer) {
            let held = self.held.get_mut(&agent).expect("mirrors held_agent");
            if let Some(i) = held.offers.iter().position(|&(o, _)| o == offer) {
                held.total -= held.offers.swap_remove(i).1;
            }
            if held.offers.is_empty() {
                self.held.remove(&agent);
            }
        }
    }

    fn status(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<Mesos>,
        task: &Live,
        status: &TaskStatus,
        ended: bool,
    ) {
        if !ended {
            return;
        }
        // UNREACHABLE is handled like LOST: relaunch now rather than wait.
        match status.state {
            TaskState::Finished => self.stats.tasks_finished += 1,
            TaskState::Failed
            | TaskState::Lost
            | TaskState::Killed
            | TaskState::Unreachable
            | TaskState::Gone
            | TaskState::GoneByOperator
            | TaskState::Dropped
            | TaskState::Unknown => {
                if status.state == TaskState::Failed {
                    self.stats.tasks_failed += 1;
                } else {
                    self.stats.tasks_lost += 1;
                }
                if task.info.id.attempt < self.cfg.max_retries {
                    let mut retry = task.info.clone();
                    retry.id.attempt += 1;
                    self.pending.push_front(PendingTask {
                        info: retry,
                        stuck: false,
                    });
                    self.unplaced = true;
                } else {
                    self.stats.tasks_given_up += 1;
                }
            }
            _ => self.stats.tasks_given_up += 1,
        }
        self.refill(core, ctx);
    }

    fn timer(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, tag: BatchTimer) {
        match tag {
            BatchTimer::NextJob => {
                self.job_timer = None;
                self.refill(core, ctx);
            }
            BatchTimer::HeldOffers(agent) => {
                if self
                    .held
                    .get(&agent)
                    .is_some_and(|h| h.expires <= ctx.now())
                {
                    self.decline_held(core, ctx, Some(agent));
                }
            }
        }
    }

    fn wants_offers(&self, _core: &Core) -> bool {
        self.want
    }

    fn pending(&self) -> usize {
        self.pending.len()
    }

    /// True once every job of the workload has been submitted and has ended.
    fn done(&self, core: &Core) -> bool {
        self.stream_done
            && self.next_job.is_none()
            && self.pending.is_empty()
            && core.tasks.is_empty()
    }

    fn progress(&self, _core: &Core) -> Progress {
        Progress {
            jobs_submitted: self.stats.jobs_submitted,
            tasks_finished: self.stats.tasks_finished,
        }
    }

    /// None: the batch framework's counters are the summary's own.
    fn stats(&self) -> Option<serde_json::Value> {
        None
    }

    fn error(&self) -> Option<String> {
        self.error.clone()
    }
}
