//! Software prefetch: the engine knows which event comes next, and so which payload and
//! which actor it will touch, long before the CPU would find out. A month-long
//! Borg-scale run keeps millions of queued events and 12,500 agents, most of them cold;
//! asking for them one event ahead hides part of each cache miss.

/// Cache lines [`prefetch`] asks for at most (an actor object can be large; its head
/// holds what most handlers read first).
const MAX_LINES: usize = 4;

/// Asks the CPU to load (the head of) `x` into cache; no effect on what the program
/// computes.
#[inline(always)]
pub fn prefetch<T: ?Sized>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = x as *const T as *const i8;
        let size = std::mem::size_of_val(x).min(MAX_LINES * 64);
        let last = size.saturating_sub(1);
        for off in (0..last).step_by(64).chain(std::iter::once(last)) {
            // SAFETY: a prefetch is a hint: it never faults, loads nothing into the
            // program's state and writes nothing; `p + off` stays inside `x`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(off)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}
