//! Virtual time for a real-mode node: the monotonic clock, scaled.
//!
//! Actors see nanoseconds of virtual time, as under the engine. Here virtual time is
//! `offset + wall elapsed x scale`; with a shared epoch (the Unix time at which the
//! cluster started) every process of a cluster agrees on it, so times carried in
//! messages (task submission labels) mean the same thing everywhere.

use crate::actor::Time;
use std::time::Duration;

/// A scaled monotonic clock.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::disallowed_types)] // real-network mode: wall clock by design
pub struct Clock {
    origin: std::time::Instant,
    /// Virtual time at `origin`.
    offset: Time,
    scale: f64,
}

/// Longest wall delay handed to a timer (a service's `Time::MAX` never fires).
#[doc(hidden)]
pub const MAX_WALL: Duration = Duration::from_secs(30 * 24 * 3600);

impl Clock {
    /// A clock whose virtual time 0 is now.
    pub fn start(scale: f64) -> Clock {
        Clock::with_epoch(scale, None)
    }

    /// Virtual time 0 at `epoch_ms` (Unix milliseconds), or now without one.
    #[allow(clippy::disallowed_types, clippy::disallowed_methods)] // real-network mode: wall clock by design
    pub fn with_epoch(scale: f64, epoch_ms: Option<u64>) -> Clock {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        let offset = epoch_ms.map_or(0, |e| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis() as u64;
            (now.saturating_sub(e) as f64 * 1e6 * scale) as Time
        });
        Clock {
            origin: std::time::Instant::now(),
            offset,
            scale,
        }
    }

    /// The Unix time in milliseconds now (what a parent hands its children as epoch).
    #[allow(clippy::disallowed_types, clippy::disallowed_methods)] // real-network mode: wall clock by design
    pub fn unix_ms() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64
    }

    /// Virtual time now.
    pub fn now(&self) -> Time {
        self.offset + (self.origin.elapsed().as_nanos() as f64 * self.scale) as Time
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The wall duration of `virt` nanoseconds of virtual time (capped at 30 days).
    pub fn wall(&self, virt: Time) -> Duration {
        let ns = virt as f64 / self.scale;
        if ns >= MAX_WALL.as_nanos() as f64 {
            MAX_WALL
        } else {
            Duration::from_nanos(ns as u64)
        }
    }
}
