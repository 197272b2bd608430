//! YARN alongside Mesos, as Apache Myriad runs it: the ResourceManager is a Mesos
//! framework; NodeManagers are long-running Mesos tasks it launches ("flexes up") when
//! YARN applications queue and kills ("flexes down") when they sit idle; YARN
//! containers are scheduled by the ResourceManager inside the NodeManagers' resources,
//! invisible to Mesos.
//!
//! What it models (Myriad docs, "Fine-grained vs coarse-grained scaling", "Flex up /
//! flex down"): coarse-grained scaling with one NodeManager profile (`nm_cpus`,
//! `nm_mem`); at most one NodeManager per host by default (`one_per_host`, as Myriad's
//! fixed NodeManager ports impose); between `min_nms` and `max_nms` NodeManagers.
//! YARN applications come from a workload (`workload`, the same kinds as the batch
//! framework): each job is an application, each of its tasks a container, placed
//! first-fit in arrival order (the FIFO scheduler). A NodeManager idle for
//! `flex_down_idle` is flexed down when nothing is queued. Containers of a NodeManager
//! that is lost (its agent failed) are queued again, as an ApplicationMaster retries
//! them.
//!
//! Mesos sees only NodeManagers, so `tasks.csv` has one row per NodeManager; the YARN
//! side (applications, containers, completion times, flexes) is reported in the
//! framework's `stats` in `summary.json`.

use super::core::{Common, Core, Live, Progress, Scheduler, Slot};
use super::timer::TimerTag;
use super::FrameworkKind;
use crate::actor::{Ctx, Time, SEC};
use crate::proto::{FrameworkTimer, Timer};
use crate::proto::{Mesos, TaskId, TaskInfo, TaskRun, TaskState, TaskStatus};
use crate::resources::Resources;
use crate::units::NonNeg;
use crate::workload::{Job, JobStream, WorkloadSpec};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The kind-specific keys of a `kind = "yarn"` framework.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YarnSpec {
    /// The NodeManager profile.
    pub nm_cpus: NonNeg,
    pub nm_mem: NonNeg,
    #[serde(default)]
    pub min_nms: u32,
    pub max_nms: u32,
    #[serde(default = "yes")]
    pub one_per_host: bool,
    #[serde(default = "minute", with = "crate::units::duration")]
    pub flex_down_idle: Time,
    /// YARN applications: each job an application, each task a container.
    pub workload: WorkloadSpec,
}

fn yes() -> bool {
    true
}
fn minute() -> Time {
    60 * SEC
}

/// `kind = "yarn"`.
impl FrameworkKind for YarnSpec {
    const NAME: &'static str = "yarn";
    type Scheduler = Yarn;

    fn validate(&self) -> Result<(), (String, String)> {
        if self.max_nms == 0 || self.min_nms > self.max_nms {
            return Err((
                "max_nms".into(),
                format!(
                    "need 0 < max_nms and min_nms <= max_nms, got {} and {}",
                    self.max_nms, self.min_nms
                ),
            ));
        }
        if self.nm_cpus.0 == 0.0 || self.nm_mem.0 == 0.0 {
            return Err((
                "nm_cpus".into(),
                "a NodeManager needs CPUs and memory".into(),
            ));
        }
        self.workload
            .validate()
            .map_err(|m| ("workload".to_string(), m))
    }

    fn build(&self, _common: &Common, seed: u64) -> Yarn {
        Yarn::new(self.clone(), seed)
    }
}

/// A NodeManager: a Mesos task holding resources for YARN containers.
#[derive(Clone, Debug)]
pub struct NodeManager {
    pub hostname: String,
    pub used: Resources,
    pub running: bool,
    pub idle_since: Time,
    pub killing: bool,
}

#[derive(Clone, Debug)]
struct Container {
    app: u64,
    resources: Resources,
    duration: Time,
}

/// Counters for the summary (the YARN side Mesos does not see).
#[derive(Clone, Debug, Default, Serialize)]
pub struct YarnStats {
    pub jobs_submitted: u64,
    pub apps_completed: u64,
    pub containers_started: u64,
    pub tasks_finished: u64,
    pub containers_lost: u64,
    pub flex_ups: u64,
    pub flex_downs: u64,
    pub peak_nms: u64,
    /// Application completion times (last container done - submitted), ns.
    #[serde(skip)]
    pub app_completions: Vec<Time>,
}

/// The Myriad-style ResourceManager.
pub struct Yarn {
    spec: YarnSpec,
    stream: JobStream,
    next_job: Option<Job>,
    stream_done: bool,
    arrival_timer: Option<Time>,
    capacity: Resources,
    pub nms: BTreeMap<TaskId, NodeManager>,
    next_nm: u32,
    queue: VecDeque<Container>,
    /// Running containers: id -> (NodeManager, container).
    running: BTreeMap<u64, (TaskId, Container)>,
    next_container: u64,
    /// Application -> (submitted, containers not yet done).
    apps: BTreeMap<u64, (Time, u32)>,
    now: Time,
    pub stats: YarnStats,
    /// The first NodeManager launched beyond `max_nms` or on a host that has one
    /// (with `one_per_host`) ([`Scheduler::invariant`]).
    nm_rule_broken: Option<String>,
}

/// The ResourceManager's timers: the next application's arrival, a container's end,
/// the periodic flex-down check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YarnTimer {
    Arrival,
    Done(u64),
    Flex,
}

/// Carried as a [`FrameworkTimer`] of kinds 1, 2, 3 (the numbering the fingerprints were taken with).
impl TimerTag for YarnTimer {
    fn to_timer(&self) -> Timer {
        let (kind, a, b) = match *self {
            YarnTimer::Arrival => (1, 0, 0),
            YarnTimer::Done(id) => (2, (id >> 32) as u32, id as u32),
            YarnTimer::Flex => (3, 0, 0),
        };
        Timer::Framework(FrameworkTimer::new(kind, a, b))
    }
    fn from_timer(t: &Timer) -> Option<YarnTimer> {
        let Timer::Framework(FrameworkTimer { kind, a, b }) = *t else {
            return None;
        };
        Some(match kind {
            1 => YarnTimer::Arrival,
            2 => YarnTimer::Done(((a as u64) << 32) | b as u64),
            3 => YarnTimer::Flex,
            _ => return None,
        })
    }
}
const FLEX_EVERY: Time = 10 * SEC;
const QUEUE_CAP: usize = 10_000;

impl Yarn {
    pub fn new(spec: YarnSpec, seed: u64) -> Yarn {
        Yarn {
            stream: spec.workload.open(seed),
            capacity: Resources::new(spec.nm_cpus.0, spec.nm_mem.0.round() as u64),
            spec,
            next_job: None,
            stream_done: false,
            arrival_timer: None,
            nms: BTreeMap::new(),
            next_nm: 0,
            queue: VecDeque::new(),
            running: BTreeMap::new(),
            next_container: 0,
            apps: BTreeMap::new(),
            now: 0,
            stats: YarnStats::default(),
            nm_rule_broken: None,
        }
    }

    /// NodeManagers not being flexed down.
    pub fn active_nms(&self) -> usize {
        self.nms.values().filter(|n| !n.killing).count()
    }

    /// Containers waiting for room.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Takes arrived applications in (while fewer than `QUEUE_CAP` containers wait, so
    /// an endless workload stays bounded), arms the next arrival, schedules.
    fn arrivals(&mut self, core: &Core, ctx: &mut Ctx<Mesos>) {
        while self.queue.len() < QUEUE_CAP {
            if self.next_job.is_none() && !self.stream_done {
                match self.stream.next() {
                    Some(Ok(j)) => self.next_job = Some(j),
                    _ => self.stream_done = true,
                }
            }
            let now = self.now;
            let Some(job) = self.next_job.take_if(|j| j.submit <= now) else {
                break;
            };
            self.stats.jobs_submitted += 1;
            self.apps
                .insert(job.id, (job.submit, job.tasks.len() as u32));
            for t in job.tasks {
                self.queue.push_back(Container {
                    app: job.id,
                    resources: t.resources,
                    duration: t.duration,
                });
            }
        }
        if let Some(j) = &self.next_job {
            if j.submit > self.now && self.arrival_timer != Some(j.submit) {
                self.arrival_timer = Some(j.submit);
                core.timer(ctx, j.submit - self.now, YarnTimer::Arrival);
            }
        }
        self.schedule(core, ctx);
    }

    /// Places queued containers first-fit in the running NodeManagers.
    fn schedule(&mut self, core: &Core, ctx: &mut Ctx<Mesos>) {
        let mut i = 0;
        while i < self.queue.len() {
            let need = self.queue[i].resources;
            let cap = self.capacity;
            let slot = self
                .nms
                .iter_mut()
                .find(|(_, n)| n.running && !n.killing && cap.contains(&(n.used + need)));
            let Some((&nm, n)) = slot else {
                i += 1;
                continue;
            };
            n.used += need;
            let c = self.queue.remove(i).expect("in range");
            let id = self.next_container;
            self.next_container += 1;
            self.stats.containers_started += 1;
            core.timer(ctx, c.duration.max(1), YarnTimer::Done(id));
            self.running.insert(id, (nm, c));
        }
    }

    /// Capacity still to come from NodeManagers that are launching or have room.
    fn shortfall(&self) -> bool {
        if self.queue.is_empty() {
            return false;
        }
        let free: Resources = self
            .nms
            .values()
            .filter(|n| !n.killing)
            .fold(Resources::ZERO, |a, n| {
                a + self.capacity.saturating_sub(&n.used)
            });
        let need = self
            .queue
            .iter()
            .fold(Resources::ZERO, |a, c| a + c.resources);
        !free.contains(&need)
    }

    fn container_done(&mut self, core: &Core, ctx: &mut Ctx<Mesos>, id: u64) {
        let Some((nm, c)) = self.running.remove(&id) else {
            return; // its NodeManager was lost
        };
        if let Some(n) = self.nms.get_mut(&nm) {
            n.used = n.used.saturating_sub(&c.resources);
            if n.used.is_zero() {
                n.idle_since = self.now;
            }
        }
        self.stats.tasks_finished += 1;
        if let Some(a) = self.apps.get_mut(&c.app) {
            a.1 -= 1;
            if a.1 == 0 {
                let submitted = a.0;
                self.apps.remove(&c.app);
                self.stats.apps_completed += 1;
                self.stats.app_completions.push(self.now - submitted);
            }
        }
        self.arrivals(core, ctx);
    }

    fn flex_down(&mut self, core: &Core, ctx: &mut Ctx<Mesos>) {
        if !self.queue.is_empty() {
            return;
        }
        let now = self.now;
        let idle: Vec<TaskId> = self
            .nms
            .iter()
            .filter(|(_, n)| {
                n.running
                    && !n.killing
                    && n.used.is_zero()
                    && now >= n.idle_since + self.spec.flex_down_idle
            })
            .map(|(t, _)| *t)
            .collect();
        for t in idle {
            if self.active_nms() <= self.spec.min_nms as usize {
                break;
            }
            self.nms.get_mut(&t).expect("listed").killing = true;
            self.stats.flex_downs += 1;
            core.kill(ctx, t);
        }
    }
}

impl Scheduler for Yarn {
    type Timer = YarnTimer;

    fn registered(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>) {
        self.now = ctx.now();
        core.timer(ctx, FLEX_EVERY, YarnTimer::Flex);
        self.arrivals(core, ctx);
    }

    fn offers(&mut self, _core: &mut Core, ctx: &mut Ctx<Mesos>, slots: &mut [Slot]) {
        self.now = ctx.now();
        let mut hosts: BTreeSet<String> = self.nms.values().map(|n| n.hostname.clone()).collect();
        for slot in slots.iter_mut() {
            loop {
                let wanted = self.shortfall() || self.active_nms() < self.spec.min_nms as usize;
                if !wanted
                    || self.active_nms() >= self.spec.max_nms as usize
                    || (self.spec.one_per_host && hosts.contains(&slot.offer.hostname))
                    || !slot.fits(&self.capacity)
                {
                    break;
                }
                let id = TaskId {
                    job: 0,
                    index: self.next_nm,
                    attempt: 0,
                };
                self.next_nm += 1;
                slot.take(TaskInfo {
                    id,
                    resources: self.capacity,
                    run: TaskRun {
                        duration: Time::MAX,
                        succeeds: false,
                    },
                    submitted: self.now,
                    job_tasks: 1,
                });
                // Myriad's rules, counted afresh at each launch.
                let on_host = self
                    .nms
                    .values()
                    .filter(|n| !n.killing && n.hostname == slot.offer.hostname)
                    .count();
                if self.nm_rule_broken.is_none()
                    && (self.active_nms() >= self.spec.max_nms as usize
                        || (self.spec.one_per_host && on_host > 0))
                {
                    self.nm_rule_broken = Some(format!(
                        "yarn launched NodeManager {} on {} with {} active (max_nms {}), {on_host} \
                         already on that host (one_per_host {})",
                        id.index,
                        slot.offer.hostname,
                        self.active_nms(),
                        self.spec.max_nms,
                        self.spec.one_per_host
                    ));
                }
                hosts.insert(slot.offer.hostname.clone());
                self.nms.insert(
                    id,
                    NodeManager {
                        hostname: slot.offer.hostname.clone(),
                        used: Resources::ZERO,
                        running: false,
                        idle_since: self.now,
                        killing: false,
                    },
                );
                self.stats.flex_ups += 1;
                self.stats.peak_nms = self.stats.peak_nms.max(self.active_nms() as u64);
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
        self.now = ctx.now();
        let id = task.info.id;
        if !ended {
            if status.state == TaskState::Running {
                if let Some(n) = self.nms.get_mut(&id) {
                    n.running = true;
                    n.idle_since = self.now;
                }
                self.schedule(core, ctx);
            }
            return;
        }
        self.nms.remove(&id);
        // Its containers are gone with it: queue them again, in front.
        let lost: Vec<u64> = self
            .running
            .iter()
            .filter(|(_, (nm, _))| *nm == id)
            .map(|(c, _)| *c)
            .collect();
        for c in lost.into_iter().rev() {
            let (_, c) = self.running.remove(&c).expect("listed");
            self.stats.containers_lost += 1;
            self.queue.push_front(c);
        }
        self.schedule(core, ctx);
    }

    fn timer(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, t: YarnTimer) {
        self.now = ctx.now();
        match t {
            YarnTimer::Arrival => {
                self.arrival_timer = None;
                self.arrivals(core, ctx);
            }
            YarnTimer::Done(id) => self.container_done(core, ctx, id),
            YarnTimer::Flex => {
                core.timer(ctx, FLEX_EVERY, YarnTimer::Flex);
                self.flex_down(core, ctx);
            }
        }
    }

    fn wants_offers(&self, _core: &Core) -> bool {
        let active = self.active_nms();
        active < self.spec.max_nms as usize
            && (self.shortfall() || active < self.spec.min_nms as usize)
    }

    fn pending(&self) -> usize {
        self.queue.len()
    }

    fn done(&self, _core: &Core) -> bool {
        self.stream_done && self.next_job.is_none() && self.apps.is_empty()
    }

    fn invariant(&self) -> Option<String> {
        self.nm_rule_broken.clone()
    }

    fn stats(&self) -> Option<serde_json::Value> {
        let mut v = serde_json::to_value(&self.stats).unwrap_or_default();
        v["nodemanagers"] = self.active_nms().into();
        let mut c = self.stats.app_completions.clone();
        v["app_completion_s"] =
            serde_json::to_value(crate::metrics::Dist::of_ns(&mut c)).unwrap_or_default();
        Some(v)
    }

    fn progress(&self, _core: &Core) -> Progress {
        Progress {
            jobs_submitted: self.stats.jobs_submitted,
            tasks_finished: self.stats.tasks_finished,
        }
    }
}
