//! Marathon-like: long-running apps of N instances, kept running.
//!
//! What it models (Marathon 1.x documentation, "Application Basics", "Constraints",
//! "Health Checks", "Deployments"):
//! - An app has `instances`, `cpus`, `mem` and placement `constraints`, each
//!   `[field, OPERATOR, value?]` on `hostname` or an agent attribute: `UNIQUE`,
//!   `CLUSTER [value]`, `GROUP_BY [n]`, `LIKE regex`, `UNLIKE regex`, `MAX_PER n`,
//!   `IS value`, decided as Marathon decides them ([`super::constraints`]).
//! - Health checks: after a task is RUNNING it is checked every `interval` (60 s);
//!   failures within `grace` (300 s) are ignored until it first passes; after
//!   `max_consecutive_failures` (3) the instance is killed and replaced. Whether a check
//!   passes is the app's failure model: an instance turns unhealthy after an
//!   exponentially distributed time with mean `unhealthy_mean` (never if unset).
//!   Without a health check, RUNNING counts as healthy.
//! - Failed, lost and killed-unhealthy instances are replaced after a launch back-off
//!   (Marathon's `RateLimiter`): 1 s, times 1.15 per further failure, at most 300 s
//!   (`backoffSeconds`, `backoffFactor`, `maxLaunchDelaySeconds`); a delay more than
//!   `maxLaunchDelaySeconds` past its last failure is dropped, and a deployment that rolls
//!   out a new version resets it (a scale alone does not: `TaskReplaceActor` resets it).
//!   `crash_mean` makes tasks exit FAILED after an exponential time.
//! - Deployments at given times: a change of `instances` alone scales (surplus instances
//!   are killed as Marathon picks them: evening out GROUP_BY distributions first, then
//!   instances not running yet, then the newest); any other change (resources, `restart`)
//!   is a new version, rolled out under the app's upgrade strategy by Marathon's
//!   `TaskReplaceActor` ([`super::replace`]): its rounding, its one instance over
//!   capacity at 100 % / 0 %, the excess killed first on a scale-down, and one old
//!   instance killed per new one that becomes healthy.
//! - Health checks run in rounds per app version, every `interval` from the time the
//!   version's checks start (Marathon's `HealthCheckActor` tick), over the instances of
//!   that version that are running: staging ones are not checked.

use super::constraints::{self, Constraint, Place};
use super::core::{exp_delay, Backoff, Common, Core, LaunchDelay, Live, Progress, Scheduler, Slot};
use super::replace::{Replace, Seen};
use super::timer::TimerTag;
use super::FrameworkKind;
use crate::actor::{Ctx, Time, SEC};
use crate::proto::{FrameworkTimer, Timer};
use crate::proto::{Mesos, Offer, Reason, TaskId, TaskInfo, TaskRun, TaskState, TaskStatus};
use crate::resources::Resources;
use crate::units::NonNeg;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The kind-specific keys of a `kind = "marathon"` framework.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarathonSpec {
    pub apps: Vec<AppSpec>,
    #[serde(default)]
    pub deployments: Vec<Deployment>,
}

/// One app definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    pub id: String,
    pub instances: u32,
    pub cpus: NonNeg,
    /// MiB.
    pub mem: NonNeg,
    /// `[field, OPERATOR, value?]`, e.g. `["hostname", "UNIQUE"]`.
    #[serde(default)]
    pub constraints: Vec<Vec<String>>,
    #[serde(default)]
    pub health: Option<HealthCheck>,
    #[serde(default)]
    pub backoff: Backoff,
    #[serde(default)]
    pub upgrade: UpgradeStrategy,
    #[serde(default)]
    pub unreachable: UnreachableStrategy,
    /// Mean time from RUNNING until an instance's health checks start failing.
    #[serde(
        default,
        with = "crate::units::duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub unhealthy_mean: Option<Time>,
    /// Mean time from RUNNING until an instance exits FAILED.
    #[serde(
        default,
        with = "crate::units::duration_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub crash_mean: Option<Time>,
}

/// Marathon's health check settings (defaults: grace 300 s, interval 60 s, 3 failures).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthCheck {
    #[serde(with = "crate::units::duration")]
    pub grace: Time,
    #[serde(with = "crate::units::duration")]
    pub interval: Time,
    pub max_consecutive_failures: u32,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            grace: 300 * SEC,
            interval: 60 * SEC,
            max_consecutive_failures: 3,
        }
    }
}

/// Marathon's `upgradeStrategy` (defaults 1.0 and 1.0).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpgradeStrategy {
    pub minimum_health_capacity: f64,
    pub maximum_over_capacity: f64,
}

impl Default for UpgradeStrategy {
    fn default() -> Self {
        UpgradeStrategy {
            minimum_health_capacity: 1.0,
            maximum_over_capacity: 1.0,
        }
    }
}

/// Marathon's `unreachableStrategy` (defaults 300 s and 600 s): an instance whose agent
/// is unreachable (or removed, and so might come back) stays an instance; after
/// `inactive_after` it no longer counts and a replacement is launched; after
/// `expunge_after` it is forgotten, and killed should it ever come back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UnreachableStrategy {
    #[serde(with = "crate::units::duration")]
    pub inactive_after: Time,
    #[serde(with = "crate::units::duration")]
    pub expunge_after: Time,
}

impl Default for UnreachableStrategy {
    fn default() -> Self {
        UnreachableStrategy {
            inactive_after: 300 * SEC,
            expunge_after: 600 * SEC,
        }
    }
}

/// A change to an app at a given time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    #[serde(with = "crate::units::duration")]
    pub at: Time,
    pub app: String,
    #[serde(default)]
    pub instances: Option<u32>,
    #[serde(default)]
    pub cpus: Option<NonNeg>,
    #[serde(default)]
    pub mem: Option<NonNeg>,
    /// Roll out a new version even if nothing else changes.
    #[serde(default)]
    pub restart: bool,
}

/// `kind = "marathon"`.
impl FrameworkKind for MarathonSpec {
    const NAME: &'static str = "marathon";
    type Scheduler = Marathon;

    /// Each app's instances and their size.
    fn demands(&self) -> Vec<crate::workload::Demand> {
        self.apps
            .iter()
            .enumerate()
            .map(|(i, x)| {
                crate::workload::Demand::instances(
                    format!("apps.{i}"),
                    x.instances,
                    x.cpus.0,
                    x.mem.0,
                )
            })
            .collect()
    }

    /// Checks what serde cannot; returns (key, message).
    fn validate(&self) -> Result<(), (String, String)> {
        let mut ids = BTreeSet::new();
        for a in &self.apps {
            if !ids.insert(a.id.as_str()) {
                return Err(("id".into(), format!("two apps are called `{}`", a.id)));
            }
            for c in &a.constraints {
                Constraint::parse(c).map_err(|m| ("constraints".to_string(), m))?;
            }
            a.backoff
                .validate()
                .map_err(|m| ("backoff".to_string(), m))?;
            let u = &a.upgrade;
            super::core::unit_interval("minimum_health_capacity", u.minimum_health_capacity)?;
            super::core::unit_interval("maximum_over_capacity", u.maximum_over_capacity)?;
            if a.unreachable.inactive_after > a.unreachable.expunge_after {
                return Err((
                    "unreachable".into(),
                    "inactive_after must not exceed expunge_after (Marathon refuses it too)".into(),
                ));
            }
            if let Some(h) = &a.health {
                if h.interval == 0 || h.max_consecutive_failures == 0 {
                    return Err((
                        "health".into(),
                        "interval and max_consecutive_failures must be positive".into(),
                    ));
                }
            }
            if a.cpus.0 == 0.0 && a.mem.0 == 0.0 {
                return Err(("cpus".into(), format!("app `{}` asks for nothing", a.id)));
            }
        }
        for d in &self.deployments {
            if !ids.contains(d.app.as_str()) {
                return Err((
                    "app".into(),
                    format!("deployment names unknown app `{}`", d.app),
                ));
            }
        }
        Ok(())
    }

    fn build(&self, _common: &Common, _seed: u64) -> Marathon {
        Marathon::new(self.clone())
    }
}

/// One running (or launching) instance, as the scheduler tracks it.
#[derive(Clone, Debug)]
pub struct Instance {
    pub version: u32,
    pub hostname: String,
    pub attributes: crate::proto::Attributes,
    pub running_since: Option<Time>,
    /// Passed its last health check (or RUNNING, without a health check).
    pub healthy: bool,
    passed_once: bool,
    failures: u32,
    /// Delay after RUNNING at which health checks start failing.
    unhealthy_after: Option<Time>,
    /// Kill requested (by a scale-down, a deployment or failed health checks).
    pub killing: bool,
    /// The kill is a failure (health checks failed): the replacement backs off.
    kill_is_failure: bool,
    /// Since when its agent is unreachable (Marathon's condition Unreachable).
    pub unreachable_since: Option<Time>,
    /// Unreachable for longer than `inactive_after`: replaced, no longer counted.
    pub inactive: bool,
}

impl Instance {
    /// Marathon's goal Running: not being killed, or killed for failed health checks
    /// (then relaunched once it has ended).
    fn goal_running(&self) -> bool {
        !self.killing || self.kill_is_failure
    }

    /// Counts toward the app's instances: goal Running and not inactive.
    fn counts(&self) -> bool {
        self.goal_running() && !self.inactive
    }

    fn place(&self) -> Place<'_> {
        Place {
            hostname: &self.hostname,
            attributes: &self.attributes,
        }
    }
}

/// An app's live state.
pub struct App {
    pub spec: AppSpec,
    constraints: Vec<Constraint>,
    pub target: u32,
    pub version: u32,
    resources: Resources,
    pub instances: BTreeMap<TaskId, Instance>,
    next_index: u32,
    /// The launch back-off since the last failure (Marathon's `RateLimiter`).
    delay: Option<LaunchDelay>,
    /// The replacement of old instances by the current version, while one runs.
    replace: Option<Replace>,
}

impl App {
    fn new(spec: AppSpec) -> App {
        let constraints = spec
            .constraints
            .iter()
            .map(|c| Constraint::parse(c).expect("validated"))
            .collect();
        App {
            target: spec.instances,
            version: 0,
            resources: Resources::new(spec.cpus.0, spec.mem.0.round() as u64),
            constraints,
            spec,
            instances: BTreeMap::new(),
            next_index: 0,
            delay: None,
            replace: None,
        }
    }

    /// No launch before this time (the back-off's deadline; 0: no delay).
    pub fn launch_at(&self) -> Time {
        self.delay.map_or(0, |d| d.deadline())
    }

    /// Healthy instances not being killed.
    pub fn healthy(&self) -> usize {
        self.instances
            .values()
            .filter(|i| i.healthy && !i.killing)
            .count()
    }

    /// True while a new version replaces old instances.
    pub fn deploying(&self) -> bool {
        self.replace.is_some()
    }

    /// The replacement in progress (its restart strategy, for tests and reports).
    pub fn replacement(&self) -> Option<&Replace> {
        self.replace.as_ref()
    }

    /// Live instances of the current version whose goal is Running, not inactive.
    fn current(&self) -> usize {
        self.instances
            .values()
            .filter(|i| i.version == self.version && i.counts())
            .count()
    }

    /// How many instances to launch now (ignoring back-off): those Marathon's launch
    /// queue holds. During a replacement, the new instances it started
    /// (`launchInstances`); otherwise the target.
    fn wanted(&self) -> usize {
        let queued = self
            .replace
            .as_ref()
            .map_or(self.target as usize, Replace::started);
        queued.saturating_sub(self.current())
    }

    /// An instance of `version` ended (or was expunged): a new one is relaunched by the
    /// launcher, an old one frees capacity for new ones (`launchInstances`).
    fn replacement_saw_end(&mut self, id: TaskId, version: u32) {
        let Some(r) = self.replace.as_mut() else {
            return;
        };
        if version == self.version {
            r.new_ended(id);
        } else {
            r.old_ended(id);
            r.launch();
        }
        self.end_replace_if_done();
    }

    /// Drops the replacement once Marathon's `checkFinished` holds.
    fn end_replace_if_done(&mut self) {
        if self.replace.as_ref().is_some_and(Replace::finished) {
            self.replace = None;
        }
    }

    /// Whether an instance may go on the agent of `offer`: Marathon's constraints over
    /// the instances placed for the current version (`ResourceMatcher`:
    /// `runSpecVersion >= lastConfigChangeVersion`), those being killed included.
    fn allows(&self, offer: &Offer) -> bool {
        if self.constraints.is_empty() {
            return true;
        }
        let placed: Vec<Place> = self
            .instances
            .values()
            .filter(|i| i.version == self.version)
            .map(Instance::place)
            .collect();
        let offer = Place {
            hostname: &offer.hostname,
            attributes: &offer.attributes,
        };
        constraints::meets_all(&self.constraints, &placed, offer)
    }
}

/// Whether Marathon takes a task's update as its agent being unreachable: UNREACHABLE,
/// or LOST for a reason after which it might come back (`MesosTaskStatus.MightComeBack`:
/// the agent removed or disconnected, or a reconciliation answer).
fn might_come_back(status: &TaskStatus) -> bool {
    status.state == TaskState::Unreachable
        || (status.state == TaskState::Lost
            && matches!(status.reason, Reason::AgentRemoved | Reason::Reconciliation))
}

/// Counters for the summary.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MarathonStats {
    pub instances_launched: u64,
    pub instances_failed: u64,
    pub instances_lost: u64,
    pub killed_unhealthy: u64,
    pub killed_by_deployment: u64,
    pub deployments: u64,
}

/// The Marathon-like scheduler.
pub struct Marathon {
    pub apps: Vec<App>,
    deployments: Vec<Deployment>,
    now: Time,
    pub stats: MarathonStats,
    /// The first launch beyond an app's capacity ([`Scheduler::invariant`]).
    over_capacity: Option<String>,
}

/// Marathon's timers: a deployment step, an instance's health check, the end of an
/// app's launch back-off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarathonTimer {
    Deploy(u32),
    Health {
        app: u32,
        version: u32,
    },
    Backoff(u32),
    /// An unreachable instance (by index) may turn inactive.
    Inactive {
        app: u32,
        index: u32,
    },
    /// An unreachable instance (by index) may be expunged.
    Expunge {
        app: u32,
        index: u32,
    },
}

/// Carried as a [`FrameworkTimer`] of kinds 1, 2, 3 (the numbering the fingerprints were taken with).
impl TimerTag for MarathonTimer {
    fn to_timer(&self) -> Timer {
        let (kind, a, b) = match *self {
            MarathonTimer::Deploy(i) => (1, 0, i),
            MarathonTimer::Health { app, version } => (2, app, version),
            MarathonTimer::Backoff(app) => (3, app, 0),
            MarathonTimer::Inactive { app, index } => (4, app, index),
            MarathonTimer::Expunge { app, index } => (5, app, index),
        };
        Timer::Framework(FrameworkTimer::new(kind, a, b))
    }
    fn from_timer(t: &Timer) -> Option<MarathonTimer> {
        let Timer::Framework(FrameworkTimer { kind, a, b }) = *t else {
            return None;
        };
        Some(match kind {
            1 => MarathonTimer::Deploy(b),
            2 => MarathonTimer::Health { app: a, version: b },
            3 => MarathonTimer::Backoff(a),
            4 => MarathonTimer::Inactive { app: a, index: b },
            5 => MarathonTimer::Expunge { app: a, index: b },
            _ => return None,
        })
    }
}

impl Marathon {
    pub fn new(spec: MarathonSpec) -> Marathon {
        Marathon {
            apps: spec.apps.into_iter().map(App::new).collect(),
            deployments: spec.deployments,
            now: 0,
            stats: MarathonStats::default(),
            over_capacity: None,
        }
    }

    /// The app called `id`.
    pub fn app(&self, id: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.spec.id == id)
    }

    /// Scales down to the target outside a replacement, as Marathon's
    /// `ScalingProposition`: first the instances that even out GROUP_BY distributions
    /// (`selectInstancesToKill`), then by `sortByConditionAndDate`: unreachable, then
    /// staging, then running instances, newest first.
    fn scale_down(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, a: usize) {
        let app = &self.apps[a];
        if app.replace.is_some() {
            return;
        }
        let mut cur: Vec<(TaskId, &Instance)> = app
            .instances
            .iter()
            .filter(|(_, i)| i.counts())
            .map(|(t, i)| (*t, i))
            .collect();
        let surplus = cur.len().saturating_sub(app.target as usize);
        if surplus == 0 {
            return;
        }
        // `ScalingProposition`'s order: unreachable, then staging, then running; newest
        // first within each.
        cur.sort_by_key(|&(t, i)| {
            let condition = match (i.unreachable_since, i.running_since) {
                (Some(_), _) => 0,
                (None, None) => 1,
                (None, Some(_)) => 2,
            };
            (condition, std::cmp::Reverse(t))
        });
        let places: Vec<(TaskId, Place)> = cur.iter().map(|(t, i)| (*t, i.place())).collect();
        let mut kill = constraints::select_to_kill(&app.constraints, &places, surplus);
        for (t, _) in &cur {
            if kill.len() == surplus {
                break;
            }
            if !kill.contains(t) {
                kill.push(*t);
            }
        }
        self.decommission(core, ctx, a, kill);
    }

    /// Kills instances for a deployment or a scale-down: they are not replaced.
    fn decommission(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, a: usize, kill: Vec<TaskId>) {
        let app = &mut self.apps[a];
        for t in kill {
            if let Some(i) = app.instances.get_mut(&t) {
                i.killing = true;
                i.kill_is_failure = false;
                self.stats.killed_by_deployment += 1;
                core.kill(ctx, t);
            }
        }
    }

    /// A new-version instance became healthy: the replacement kills its next old one.
    fn became_healthy(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, a: usize, id: TaskId) {
        let app = &mut self.apps[a];
        let Some(r) = app.replace.as_mut() else {
            return;
        };
        if app
            .instances
            .get(&id)
            .is_some_and(|i| i.version == app.version)
        {
            let old = r.became_healthy(id);
            self.decommission(core, ctx, a, old.into_iter().collect());
            self.apps[a].end_replace_if_done();
        }
    }

    fn deploy(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, d: usize) {
        let d = self.deployments[d].clone();
        let Some(a) = self.apps.iter().position(|x| x.spec.id == d.app) else {
            return;
        };
        self.stats.deployments += 1;
        let app = &mut self.apps[a];
        if let Some(n) = d.instances {
            app.target = n;
        }
        let new_version = d.restart || d.cpus.is_some() || d.mem.is_some();
        if let Some(c) = d.cpus {
            app.spec.cpus = c;
        }
        if let Some(m) = d.mem {
            app.spec.mem = m;
        }
        if new_version {
            app.version += 1;
            app.resources = Resources::new(app.spec.cpus.0, app.spec.mem.0.round() as u64);
            self.start_health_rounds(core, ctx, a);
        }
        let app = &mut self.apps[a];
        if !new_version && app.replace.is_none() {
            // A scale keeps the launch delay: Marathon resets it only when a
            // replacement starts (`TaskReplaceActor`: "Resetting the backoff delay before
            // restarting the runSpec"; the delay is keyed by the config version, which a
            // scale does not change), never in the scaling path.
            self.scale_down(core, ctx, a);
            return;
        }
        app.delay = None;
        // A new version, or a change while one rolls out (Marathon's forced deployment
        // starts a new replacement from the instances as they are).
        let seen: Vec<Seen> = app
            .instances
            .iter()
            .map(|(t, i)| Seen {
                id: *t,
                new: i.version == app.version,
                goal_running: i.goal_running(),
                healthy: i.healthy,
            })
            .collect();
        let u = &app.spec.upgrade;
        let (mut r, kill) = Replace::start(
            app.target,
            u.minimum_health_capacity,
            u.maximum_over_capacity,
            &seen,
        );
        r.launch();
        app.replace = Some(r);
        app.end_replace_if_done();
        self.decommission(core, ctx, a, kill);
    }

    fn launch(&mut self, a: usize, slot: &mut Slot, rng: &mut rand_chacha::ChaCha8Rng) -> bool {
        let now = self.now;
        let app = &mut self.apps[a];
        if now < app.launch_at() || app.wanted() == 0 || !slot.fits(&app.resources) {
            return false;
        }
        if !app.allows(&slot.offer) {
            return false;
        }
        let id = TaskId {
            job: a as u64,
            index: app.next_index,
            attempt: app.version,
        };
        app.next_index += 1;
        let task = TaskInfo {
            id,
            resources: app.resources,
            // The crash model: the process exits FAILED after an exponential time.
            run: TaskRun {
                duration: app.spec.crash_mean.map_or(Time::MAX, |m| exp_delay(rng, m)),
                succeeds: false,
            },
            submitted: now,
            job_tasks: app.target,
        };
        slot.take(task);
        app.instances.insert(
            id,
            Instance {
                version: app.version,
                hostname: slot.offer.hostname.clone(),
                attributes: slot.offer.attributes.clone(),
                running_since: None,
                healthy: false,
                passed_once: false,
                failures: 0,
                unhealthy_after: None,
                killing: false,
                kill_is_failure: false,
                unreachable_since: None,
                inactive: false,
            },
        );
        self.stats.instances_launched += 1;
        // Marathon's capacity rule, counted afresh: outside a replacement at most the
        // target run; during one, old and new instances together stay within
        // `maxCapacity` (or within what there was when it started).
        let live = app.instances.values().filter(|i| i.counts()).count();
        let bound = app
            .replace
            .as_ref()
            .map_or(app.target as usize, |r| r.capacity());
        if live > bound && self.over_capacity.is_none() {
            self.over_capacity = Some(format!(
                "marathon app {} launched instance {} of {live} live, above its bound {bound} \
                 (target {}, maximum_over_capacity {})",
                app.spec.id, id.index, app.target, app.spec.upgrade.maximum_over_capacity
            ));
        }
        true
    }

    /// One round of an app version's health checks (Marathon's `HealthCheckActor`: a
    /// tick every `interval` from the time the version's checks start, checking each
    /// instance of that version that is running). Staging instances are not checked and
    /// instances being killed no longer are; an unreachable instance is no longer live
    /// here (the framework gives it up). The round stops once the version is neither
    /// current nor has instances.
    fn health_round(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, a: usize, version: u32) {
        let now = ctx.now();
        let app = &mut self.apps[a];
        let Some(h) = app.spec.health.clone() else {
            return;
        };
        if version != app.version && !app.instances.values().any(|i| i.version == version) {
            return;
        }
        core.timer(
            ctx,
            h.interval,
            MarathonTimer::Health {
                app: a as u32,
                version,
            },
        );
        let mut now_healthy = Vec::new();
        let mut unhealthy = Vec::new();
        for (&id, inst) in app.instances.iter_mut() {
            // Staging, unreachable and dying instances are not checked (so never killed
            // for failed checks: `HealthCheckActor` checks running instances only and
            // "performs no kill" on an unreachable one).
            let (true, Some(since), false, None) = (
                inst.version == version,
                inst.running_since,
                inst.killing,
                inst.unreachable_since,
            ) else {
                continue;
            };
            let passes = inst
                .unhealthy_after
                .is_none_or(|d| now < since.saturating_add(d));
            if passes {
                if !inst.healthy {
                    now_healthy.push(id);
                }
                inst.healthy = true;
                inst.passed_once = true;
                inst.failures = 0;
            } else if inst.passed_once || now >= since + h.grace {
                // Failures count once the grace period is over or the check has passed.
                inst.healthy = false;
                inst.failures += 1;
                if inst.failures >= h.max_consecutive_failures {
                    inst.killing = true;
                    inst.kill_is_failure = true;
                    unhealthy.push(id);
                }
            }
        }
        for id in unhealthy {
            self.stats.killed_unhealthy += 1;
            core.kill(ctx, id);
        }
        for id in now_healthy {
            self.became_healthy(core, ctx, a, id);
        }
    }

    /// An instance's agent has been unreachable for `inactive_after` (it stops counting
    /// and is replaced) or `expunge_after` (it is forgotten: should it come back, the
    /// framework kills it). Nothing happens if it came back meanwhile.
    fn unreachable_for_long(
        &mut self,
        core: &mut Core,
        ctx: &mut Ctx<Mesos>,
        a: usize,
        index: u32,
        expunge: bool,
    ) {
        let now = ctx.now();
        let app = &mut self.apps[a];
        let u = &app.spec.unreachable;
        let after = if expunge {
            u.expunge_after
        } else {
            u.inactive_after
        };
        let Some((&id, inst)) = app.instances.iter_mut().find(|(t, _)| t.index == index) else {
            return;
        };
        if inst.unreachable_since.map(|t| t.saturating_add(after)) != Some(now) {
            return;
        }
        inst.inactive = true;
        if !expunge {
            return;
        }
        let inst = app.instances.remove(&id).expect("present");
        core.tasks.remove(&id);
        self.stats.instances_lost += 1;
        app.replacement_saw_end(id, inst.version);
    }

    /// Starts the health-check rounds of the app's current version.
    fn start_health_rounds(&self, core: &mut Core, ctx: &mut Ctx<Mesos>, a: usize) {
        let app = &self.apps[a];
        if let Some(h) = &app.spec.health {
            core.timer(
                ctx,
                h.interval,
                MarathonTimer::Health {
                    app: a as u32,
                    version: app.version,
                },
            );
        }
    }
}

impl Scheduler for Marathon {
    type Timer = MarathonTimer;

    fn registered(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>) {
        self.now = ctx.now();
        for (i, d) in self.deployments.iter().enumerate() {
            core.timer(
                ctx,
                d.at.saturating_sub(self.now),
                MarathonTimer::Deploy(i as u32),
            );
        }
        for a in 0..self.apps.len() {
            self.start_health_rounds(core, ctx, a);
        }
    }

    fn offers(&mut self, _core: &mut Core, ctx: &mut Ctx<Mesos>, slots: &mut [Slot]) {
        self.now = ctx.now();
        for slot in slots.iter_mut() {
            for a in 0..self.apps.len() {
                while self.launch(a, slot, ctx.rng()) {}
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
        let a = task.info.id.job as usize;
        let Some(app) = self.apps.get_mut(a) else {
            return;
        };
        let id = task.info.id;
        if ended {
            let Some(inst) = app.instances.remove(&id) else {
                return;
            };
            let failed = match status.state {
                TaskState::Failed => {
                    self.stats.instances_failed += 1;
                    true
                }
                TaskState::Killed => inst.goal_running(),
                _ => {
                    self.stats.instances_lost += 1;
                    true
                }
            };
            let current = inst.version == app.version;
            app.replacement_saw_end(id, inst.version);
            // The launch delay is the current version's (Marathon keys it by version).
            if failed && current {
                let delay = app.spec.backoff.after_failure(app.delay, self.now);
                app.delay = Some(delay);
                core.timer(ctx, delay.current, MarathonTimer::Backoff(a as u32));
            }
        } else if might_come_back(status) {
            let u = app.spec.unreachable.clone();
            let Some(inst) = app.instances.get_mut(&id) else {
                return;
            };
            if inst.unreachable_since.is_none() {
                inst.unreachable_since = Some(self.now);
                let (app, index) = (a as u32, id.index);
                core.timer(
                    ctx,
                    u.inactive_after,
                    MarathonTimer::Inactive { app, index },
                );
                core.timer(ctx, u.expunge_after, MarathonTimer::Expunge { app, index });
            }
        } else if status.state == TaskState::Running {
            let Some(inst) = app.instances.get_mut(&id) else {
                return;
            };
            // Reachable again (a surplus this makes is scaled down below).
            inst.unreachable_since = None;
            inst.inactive = false;
            if inst.running_since.is_none() {
                inst.running_since = Some(self.now);
                inst.unhealthy_after = app.spec.unhealthy_mean.map(|m| exp_delay(ctx.rng(), m));
                if app.spec.health.is_none() {
                    // Without health checks, running is healthy (and ready).
                    inst.healthy = true;
                    self.became_healthy(core, ctx, a, id);
                }
            }
        }
        self.scale_down(core, ctx, a);
    }

    /// Marathon keeps an instance whose agent is unreachable, or was removed and so
    /// might come back (`MesosTaskStatus.MightComeBack`), under its
    /// `unreachableStrategy`.
    /// An instance being killed is not kept (Marathon expunges a decommissioned one).
    fn keeps(&self, status: &TaskStatus) -> bool {
        might_come_back(status)
            && self
                .apps
                .get(status.task.job as usize)
                .and_then(|a| a.instances.get(&status.task))
                .is_some_and(Instance::goal_running)
    }

    fn timer(&mut self, core: &mut Core, ctx: &mut Ctx<Mesos>, t: MarathonTimer) {
        self.now = ctx.now();
        match t {
            MarathonTimer::Deploy(i) => self.deploy(core, ctx, i as usize),
            MarathonTimer::Health { app, version } => {
                self.health_round(core, ctx, app as usize, version)
            }
            // The launch delay is over; offers are wanted again.
            MarathonTimer::Backoff(_) => {}
            MarathonTimer::Inactive { app, index } => {
                self.unreachable_for_long(core, ctx, app as usize, index, false)
            }
            MarathonTimer::Expunge { app, index } => {
                self.unreachable_for_long(core, ctx, app as usize, index, true)
            }
        }
    }

    fn wants_offers(&self, _core: &Core) -> bool {
        self.apps
            .iter()
            .any(|a| a.wanted() > 0 && self.now >= a.launch_at())
    }

    fn pending(&self) -> usize {
        self.apps.iter().map(App::wanted).sum()
    }

    fn invariant(&self) -> Option<String> {
        self.over_capacity.clone()
    }

    fn stats(&self) -> Option<serde_json::Value> {
        let mut v = serde_json::to_value(&self.stats).unwrap_or_default();
        let apps: serde_json::Map<String, serde_json::Value> = self
            .apps
            .iter()
            .map(|a| {
                (
                    a.spec.id.clone(),
                    serde_json::json!({
                        "target": a.target,
                        "version": a.version,
                        "healthy": a.healthy(),
                        "instances": a.instances.len(),
                    }),
                )
            })
            .collect();
        v["apps"] = apps.into();
        Some(v)
    }

    /// A service has no jobs and its tasks are not meant to finish: both are 0.
    fn progress(&self, _core: &Core) -> Progress {
        Progress {
            jobs_submitted: 0,
            tasks_finished: 0,
        }
    }
}
