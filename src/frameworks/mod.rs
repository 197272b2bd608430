//! Frameworks: the schedulers that receive offers and launch tasks.
//!
//! A scenario's `[[frameworks]]` entries are tagged by `kind`: `batch` (the default,
//! so older scenarios keep working: the trace-replay framework of [`batch`]),
//! `marathon`, `chronos`, `aurora`, `yarn`, or a kind of your own. Every kind is a
//! [`core::Scheduler`] run by [`core::Framework`], which holds the protocol plumbing
//! they share (registration, failover, reconciliation, acknowledgements, accepting and
//! declining); the keys of [`core::Common`] (name, role, weight, ...) are common to all.
//!
//! A kind is one file: its settings implement [`FrameworkKind`] (how its table is read
//! and checked, how its scheduler is built) and one line registers it
//! ([`register_kind`], or the built-in list in `registry.rs`).

pub mod aurora;
pub mod batch;
pub mod chronos;
pub mod constraints;
pub mod core;
pub mod iso8601;
mod kind;
pub mod marathon;
#[doc(hidden)]
pub mod registry;
pub mod replace;
pub mod status;
pub mod timer;
pub mod yarn;

pub use kind::{FrameworkConfig, FrameworkKind};
pub use registry::{kinds, register_kind};
pub use status::{FrameworkActor, FrameworkStatus, Progress};

use crate::proto::Mesos;
use crate::sim::Sim;

/// The status view of framework `f` in `sim` (`None` while its actor is down).
pub fn status_of<'a>(sim: &'a Sim<Mesos>, f: &FrameworkActor) -> Option<&'a dyn FrameworkStatus> {
    sim.live(f.id).and_then(|a| f.status(a.as_any()))
}
