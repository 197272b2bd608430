//! What the driver (`run`, `up --real`) and the test kit read from a framework actor,
//! whatever its kind: done, pending, the typed counters of the summary, an error.

use super::core::{Framework, Scheduler};
use std::any::Any;

/// The counters every framework kind reports in `summary.json`. A kind's
/// [`Scheduler::progress`] has no default, so a kind without jobs says so (0) in its own
/// code instead of a reader silently finding nothing under a key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Jobs (applications, runs, ...) the framework has taken on.
    pub jobs_submitted: u64,
    /// Tasks that finished successfully.
    pub tasks_finished: u64,
}

/// The framework's side of the offer protocol, kept by [`super::core::Core`] for every
/// kind (the summary's `stats` of kinds that report their own counters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OfferCounters {
    pub offers_received: u64,
    pub offers_declined: u64,
    pub tasks_launched: u64,
}

/// A framework actor's view for the driver and the test kit.
pub trait FrameworkStatus {
    fn done(&self) -> bool;
    fn pending(&self) -> usize;
    fn progress(&self) -> Progress;
    /// The kind's own counters for `summary.json` (`None` for a kind without any, such
    /// as batch, whose counters are the summary's own).
    fn stats(&self) -> Option<serde_json::Value>;
    fn error(&self) -> Option<String>;
    /// The kind's own rule it broke first, if any ([`super::core::Scheduler::invariant`]).
    fn invariant(&self) -> Option<String> {
        None
    }
    /// The master this framework is registered with right now (subscribed and
    /// answered), if any: the invariant checker's liveness checks hold a master to
    /// account for a framework's status updates only while it is. `None` by default
    /// (a kind that does not say is never counted as reachable).
    fn registered_with(&self) -> Option<crate::actor::ActorId> {
        None
    }
}

/// Reads a framework actor (given as `Any`, as runtimes hold actors) as its status.
pub type StatusReader = fn(&dyn Any) -> Option<&dyn FrameworkStatus>;

/// The [`StatusReader`] of a `Framework<S>`: one downcast to the type that was
/// spawned, so a reader exists for exactly the kinds that exist.
pub fn reader<S: Scheduler>() -> StatusReader {
    |a| {
        a.downcast_ref::<Framework<S>>()
            .map(|f| f as &dyn FrameworkStatus)
    }
}

/// A framework actor of a cluster, with the way to read its status.
#[derive(Clone, Copy, Debug)]
pub struct FrameworkActor {
    pub id: crate::actor::ActorId,
    read: StatusReader,
}

impl FrameworkActor {
    pub fn new(id: crate::actor::ActorId, read: StatusReader) -> FrameworkActor {
        FrameworkActor { id, read }
    }

    /// The status of `actor` (this framework's live actor), `None` if it is another.
    pub fn status<'a>(&self, actor: &'a dyn Any) -> Option<&'a dyn FrameworkStatus> {
        (self.read)(actor)
    }
}
