//! Fairness measures over per-framework dominant shares, for `summary.json`.
//!
//! Jain's fairness index (Jain, Chiu, Hawe, DEC-TR-301, 1984) is
//! `J(x) = (sum x_i)^2 / (n * sum x_i^2)`: 1 when everyone gets the same, `1/n` when one
//! user gets everything. The DRF paper (NSDI'11, section 7) reports the same kind of
//! comparison with dominant shares; docs/design.md (Output contract) pairs it with the largest gap
//! between dominant shares.
//!
//! ```
//! use schedlab::alloc::fairness::jain_index;
//! assert_eq!(jain_index(&[1.0, 1.0, 1.0, 1.0]), 1.0);
//! assert_eq!(jain_index(&[1.0, 0.0, 0.0, 0.0]), 0.25);
//! ```

/// Jain's index of `xs` (non-negative values). 1.0 for an empty slice or all zeros:
/// nobody has anything, so nobody is treated worse than anyone else.
pub fn jain_index(xs: &[f64]) -> f64 {
    let sum: f64 = xs.iter().sum();
    let sum_sq: f64 = xs.iter().map(|x| x * x).sum();
    if xs.is_empty() || sum_sq == 0.0 {
        return 1.0;
    }
    sum * sum / (xs.len() as f64 * sum_sq)
}

/// The largest difference between two values of `xs` (0 for fewer than two): the "max
/// dominant-share gap" of the summary.
pub fn max_gap(xs: &[f64]) -> f64 {
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    if xs.len() < 2 {
        0.0
    } else {
        max - min
    }
}
