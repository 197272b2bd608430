//! One driver for both runtimes: the discrete-event engine (`schedlab run`) and real
//! TCP (`schedlab up --real`) hand it a [`Runtime`], and it does what a run does
//! around the actors: it samples the cluster every `sample_interval` into
//! `timeseries.csv`, follows which master leads (failovers), decides why the run stops
//! ([`StopReason`]) and writes the output contract ([`output`], docs/output.md).
//!
//! The loop is `async` because the real runtime waits on the wall clock inside an
//! actix system; the engine's runtime never waits, so [`drive_now`] polls the same
//! loop to completion without an executor, in virtual time.

mod output;
mod sampler;

pub use output::{agent_events_of, summarize, write_summary, RunError, RunFacts};
pub use sampler::Sampler;

use crate::actor::{ActorId, Time};
use crate::frameworks::FrameworkStatus;
use crate::mesos::master::Master;
use crate::metrics::{LeaderWatch, OutputFormat, Recorder, Summary};
use crate::scenario::Scenario;
use crate::sim::{NetStats, StopReason};
use output::{round6, Outputs};
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

/// What one [`Runtime::advance`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Advanced {
    /// Something may have run; `leader_may_change` when a master ran or a fault struck
    /// (the driver then looks at who leads).
    Ran { leader_may_change: bool },
    /// Nothing is left to happen: the engine's queue is empty.
    Idle,
    /// The run reached its stop time (or the runtime's own limit, e.g. a wall-clock cap).
    PastStop,
}

/// What a runtime reports of a finished run.
pub(crate) struct Ended {
    /// Virtual time at the end.
    pub end: Time,
    /// The engine's event-order fingerprint, in hex; `"real"` over TCP.
    pub fingerprint: String,
    /// Messages delivered (and, in the engine, timers fired and faults applied).
    pub events: u64,
    pub agents: crate::metrics::AgentEvents,
    pub network: NetStats,
}

/// A host of a scenario's actors, as the driver sees it.
///
/// Crate-private: `async fn` in a public trait cannot promise `Send`, and the two
/// runtimes are the crate's own.
pub(crate) trait Runtime {
    /// The current virtual time.
    fn now(&self) -> Time;
    /// The cluster's state stays as it is now until (excluding) this time, so samples
    /// before it can be taken now; `None`: nothing will change any more. The engine
    /// answers with its next event's time, the real runtime with just after its now.
    fn settled_until(&self) -> Option<Time>;
    /// Moves the run on by one step: the engine delivers its next event (or, when that
    /// is after `stop_at`, moves its clock to `stop_at` and says [`Advanced::PastStop`]);
    /// the real runtime sleeps until the sample at `next_sample` is due, 10 ms at most.
    async fn advance(&mut self, stop_at: Time, next_sample: Time) -> Advanced;
    /// The name of the master acting as leader, if any.
    fn leader(&self) -> Option<&str>;
    /// True once every framework's workload has completed.
    fn all_done(&self) -> bool;
    /// An actor asked for the run to end.
    fn stop_requested(&self) -> bool;
    /// Calls `f` with the master's view (the leader, or else some live master) and the
    /// frameworks' statuses in scenario order (`None` for a framework not running).
    fn with_view<R>(
        &self,
        f: impl FnOnce(Option<&Master>, &[Option<&dyn FrameworkStatus>]) -> R,
    ) -> R;
    /// Ends the run (the real runtime stops its nodes) and reports it.
    fn finish(&mut self, reason: StopReason) -> Ended;
}

/// Where a run writes its results: the folder (`None`: no files) and the optional
/// parts of the contract.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Files<'a> {
    pub dir: Option<&'a Path>,
    /// Also `events.jsonl`, every delivered message.
    pub events: bool,
    pub format: OutputFormat,
}

/// A run's recording, ready for [`drive`]: its files open, the recorder the runtime
/// feeds with every delivered message, the sampler.
pub(crate) struct Drive<'a> {
    scn: &'a Scenario,
    seed: u64,
    #[allow(clippy::disallowed_types)] // wall time is reported, never used by the run
    wall: std::time::Instant,
    recorder: Rc<RefCell<Recorder>>,
    sampler: Sampler,
    out: Option<&'a Path>,
    /// Show a progress bar (virtual seconds) on the terminal.
    pub progress: bool,
}

impl<'a> Drive<'a> {
    /// Opens the files of the output contract in `files.dir` and the recorder of a
    /// cluster whose actors are `names` (by id) and whose masters are `masters`; `wall`
    /// is when the run started, for `wall_time_s`.
    #[allow(clippy::disallowed_types)] // wall time is reported, never used by the run
    pub fn open(
        scn: &'a Scenario,
        seed: u64,
        wall: std::time::Instant,
        files: Files<'a>,
        masters: Vec<ActorId>,
        names: Vec<String>,
    ) -> Result<Drive<'a>, RunError> {
        let mut outputs = Outputs::open(files.dir, files.events, files.format)?;
        let recorder = Rc::new(RefCell::new(outputs.recorder(masters, names)));
        let sampler = Sampler::new(scn, outputs.timeseries.take())?;
        Ok(Drive {
            scn,
            seed,
            wall,
            recorder,
            sampler,
            out: files.dir,
            progress: false,
        })
    }

    /// The recorder, for the runtime to feed with every delivered message.
    pub fn recorder(&self) -> Rc<RefCell<Recorder>> {
        self.recorder.clone()
    }
}

/// Runs `rt` to its stop and returns the summary, written into `d.out` (if any).
#[allow(clippy::disallowed_methods)] // wall time is reported, never used by the run
pub(crate) async fn drive(rt: &mut impl Runtime, d: Drive<'_>) -> Result<Summary, RunError> {
    let Drive {
        scn,
        seed,
        wall,
        recorder,
        mut sampler,
        progress,
        out,
    } = d;
    let stop_at = scn.run.stop;
    let interval = scn.run.sample_interval;
    // With one master and no ensemble the leader never changes.
    let watch_leader = scn.masters.count > 1 || scn.coord.servers > 0;
    let bar = progress.then(|| progress_bar(stop_at));
    let mut leaders = LeaderWatch::default();
    let mut next_sample: Time = 0;
    let mut steps: u64 = 0;
    let reason = loop {
        let settled = rt.settled_until();
        while next_sample <= stop_at && settled.is_none_or(|t| t > next_sample) {
            rt.with_view(|m, st| sampler.sample(m, st, next_sample))?;
            next_sample += interval;
        }
        match rt.advance(stop_at, next_sample).await {
            Advanced::Idle => break StopReason::QueueEmpty,
            Advanced::PastStop => break StopReason::TimeLimit,
            Advanced::Ran { leader_may_change } => {
                if watch_leader && leader_may_change {
                    leaders.observe(rt.now(), rt.leader());
                }
            }
        }
        steps += 1;
        if rt.stop_requested() {
            break StopReason::Requested;
        }
        if scn.run.stop_when_done && rt.all_done() {
            break StopReason::WorkloadDone;
        }
        if let Some(b) = &bar {
            if steps.is_multiple_of(4096) {
                b.set_position(rt.now() / 1_000_000_000);
            }
        }
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let ended = rt.finish(reason);
    let facts = RunFacts {
        seed,
        fingerprint: ended.fingerprint,
        end: ended.end,
        wall_time_s: round6(wall.elapsed().as_secs_f64()),
        events: ended.events,
        stop_reason: serde_json::to_value(reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        agents: ended.agents,
        failovers: leaders.failovers,
        network: ended.network,
    };
    let summary =
        rt.with_view(|_, st| summarize(scn, &mut recorder.borrow_mut(), sampler, st, facts))?;
    if let Some(dir) = out {
        write_summary(dir, &summary)?;
    }
    Ok(summary)
}

fn progress_bar(stop_at: Time) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new(stop_at / 1_000_000_000);
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} virtual s ({eta})",
        )
        .expect("valid template"),
    );
    b
}

/// Runs a future that never waits (the engine's [`drive`]) to its end on this thread.
pub(crate) fn drive_now<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => unreachable!("the engine's runtime never waits"),
    }
}
