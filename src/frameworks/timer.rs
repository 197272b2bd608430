//! A scheduler's own timers, typed: each kind says which engine timers are its and what
//! they mean, so [`super::core::Framework`] hands it back its own tag, not a packed
//! number.

use crate::proto::{FrameworkTimer, Timer};

/// A scheduler's timer tag: how it is set as an engine [`Timer`] and read back from one.
pub trait TimerTag: Sized + 'static {
    /// The engine timer that carries this tag.
    fn to_timer(&self) -> Timer;
    /// This tag, if `t` carries one (`None`: not this scheduler's).
    fn from_timer(t: &Timer) -> Option<Self>;
}

/// The general-purpose tag: a kind byte and two full-width numbers.
impl TimerTag for FrameworkTimer {
    fn to_timer(&self) -> Timer {
        Timer::Framework(*self)
    }
    fn from_timer(t: &Timer) -> Option<Self> {
        match t {
            Timer::Framework(f) => Some(*f),
            _ => None,
        }
    }
}

/// For a scheduler with one timer that carries nothing (or none at all).
impl TimerTag for () {
    fn to_timer(&self) -> Timer {
        Timer::Framework(FrameworkTimer::new(0, 0, 0))
    }
    fn from_timer(t: &Timer) -> Option<Self> {
        matches!(t, Timer::Framework(_)).then_some(())
    }
}
