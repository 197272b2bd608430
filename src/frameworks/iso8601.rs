//! ISO 8601 repeating intervals, as Chronos schedules jobs: `R[n]/<start>/<period>`.
//!
//! - `R` repeats forever, `Rn` n times (`R0` never runs).
//! - `<start>` is a UTC instant `YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)`.
//! - `<period>` is `PnYnMnWnDTnHnMnS` (any subset, at least one part; seconds may be
//!   fractional). Years and months are calendar steps (2026-01-31 + P1M is
//!   2026-02-28, as `java.time`/Joda, which Chronos uses, clamp to the month's end);
//!   weeks, days and times are exact durations (UTC has no daylight saving).
//!
//! Written here rather than taken from a date crate: only this subset is needed, it
//! must map to schedlab's integer nanoseconds exactly, and the refusals must say
//! precisely which part of a schedule is wrong. Civil-date arithmetic is Howard
//! Hinnant's `days_from_civil`.
//!
//! ```
//! use schedlab::frameworks::iso8601::{Instant, Schedule};
//! let s = Schedule::parse("R5/2026-01-01T00:00:00Z/PT15M").unwrap();
//! let epoch = Instant::parse("2026-01-01T00:00:00Z").unwrap();
//! let times: Vec<u64> = s.times(epoch).collect();
//! assert_eq!(times.len(), 5);
//! assert_eq!(times[1], 15 * 60 * 1_000_000_000);
//! ```

use crate::actor::{Time, SEC};
use std::fmt;

/// A UTC instant: nanoseconds since 1970-01-01T00:00:00Z (may be negative).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(pub i128);

/// A period: calendar months plus an exact duration in nanoseconds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub months: u32,
    pub nanos: u128,
}

/// `R[n]/<start>/<period>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// None: forever.
    pub repeats: Option<u64>,
    pub start: Instant,
    pub period: Period,
    text: String,
}

const DAY: i128 = 86_400 * SEC as i128;

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn num<T: std::str::FromStr>(s: &str, what: &str, whole: &str) -> Result<T, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{whole}`: {what} `{s}` is not a number"));
    }
    s.parse()
        .map_err(|_| format!("`{whole}`: {what} `{s}` is out of range"))
}

impl Instant {
    /// Parses `YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)`.
    pub fn parse(s: &str) -> Result<Instant, String> {
        let bad = |m: &str| {
            format!("`{s}` is not a UTC date-time ({m}; expected e.g. 2026-01-01T02:00:00Z)")
        };
        let (date, time) = s
            .split_once('T')
            .ok_or_else(|| bad("no `T` between date and time"))?;
        let dp: Vec<&str> = date.split('-').collect();
        let [y, mo, d] = dp[..] else {
            return Err(bad("the date must be YYYY-MM-DD"));
        };
        if y.len() != 4 || mo.len() != 2 || d.len() != 2 {
            return Err(bad("the date must be YYYY-MM-DD"));
        }
        let (y, mo, d): (i64, u32, u32) =
            (num(y, "year", s)?, num(mo, "month", s)?, num(d, "day", s)?);
        if !(1..=12).contains(&mo) {
            return Err(bad(&format!("month {mo} does not exist")));
        }
        if d == 0 || d > days_in_month(y, mo) {
            return Err(bad(&format!("day {d} does not exist in {y}-{mo:02}")));
        }
        let (clock, offset) = if let Some(c) = time.strip_suffix('Z') {
            (c, 0i128)
        } else if let Some(i) = time.rfind(['+', '-']) {
            let (c, o) = time.split_at(i);
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let (oh, om) = o[1..]
                .split_once(':')
                .ok_or_else(|| bad("the offset must be ±hh:mm"))?;
            let (oh, om): (i128, i128) =
                (num(oh, "offset hours", s)?, num(om, "offset minutes", s)?);
            (c, sign * (oh * 3600 + om * 60) * SEC as i128)
        } else {
            return Err(bad("no time zone: end with `Z` (UTC) or an offset ±hh:mm"));
        };
        let (hms, frac) = match clock.split_once('.') {
            Some((a, f)) => (a, f),
            None => (clock, ""),
        };
        let tp: Vec<&str> = hms.split(':').collect();
        let [h, mi, sec] = tp[..] else {
            return Err(bad("the time must be hh:mm:ss"));
        };
        let (h, mi, sec): (i128, i128, i128) = (
            num(h, "hour", s)?,
            num(mi, "minute", s)?,
            num(sec, "second", s)?,
        );
        if h > 23 || mi > 59 || sec > 59 {
            return Err(bad("hour, minute or second out of range"));
        }
        let mut nanos = 0i128;
        if !frac.is_empty() {
            if frac.len() > 9 {
                return Err(bad("at most 9 decimals of a second"));
            }
            nanos = num::<i128>(frac, "fraction", s)? * 10i128.pow(9 - frac.len() as u32);
        }
        let days = days_from_civil(y, mo, d) as i128;
        Ok(Instant(
            days * DAY + (h * 3600 + mi * 60 + sec) * SEC as i128 + nanos - offset,
        ))
    }

    /// This instant plus `months` calendar months (clamped to the month's end).
    #[doc(hidden)]
    pub fn add_months(self, months: u32) -> Instant {
        if months == 0 {
            return self;
        }
        let days = self.0.div_euclid(DAY);
        let rest = self.0.rem_euclid(DAY);
        let (y, m, d) = civil_from_days(days as i64);
        let total = y * 12 + (m as i64 - 1) + months as i64;
        let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
        let nd = d.min(days_in_month(ny, nm));
        Instant(days_from_civil(ny, nm, nd) as i128 * DAY + rest)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let days = self.0.div_euclid(DAY);
        let rest = self.0.rem_euclid(DAY) / SEC as i128;
        let (y, m, d) = civil_from_days(days as i64);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rest / 3600,
            rest / 60 % 60,
            rest % 60
        )
    }
}

impl Period {
    /// Parses `PnYnMnWnDTnHnMnS`.
    pub fn parse(s: &str) -> Result<Period, String> {
        let bad = |m: &str| {
            format!("`{s}` is not an ISO 8601 period ({m}; expected e.g. P1D, PT15M, P1DT12H)")
        };
        let body = s
            .strip_prefix('P')
            .ok_or_else(|| bad("it must start with `P`"))?;
        let (date, time) = match body.split_once('T') {
            Some((d, t)) => {
                if t.is_empty() {
                    return Err(bad("nothing after `T`"));
                }
                (d, Some(t))
            }
            None => (body, None),
        };
        let mut p = Period {
            months: 0,
            nanos: 0,
        };
        let mut any = false;
        let mut parse_part = |text: &str, units: &[(char, u128, u32)]| -> Result<(), String> {
            let mut numbuf = String::new();
            let mut last = 0usize;
            for c in text.chars() {
                if c.is_ascii_digit() || c == '.' {
                    numbuf.push(c);
                    continue;
                }
                let Some(pos) = units.iter().position(|u| u.0 == c) else {
                    return Err(bad(&format!("unexpected `{c}`")));
                };
                if pos < last || numbuf.is_empty() {
                    return Err(bad(&format!("`{c}` out of order or without a number")));
                }
                last = pos + 1;
                let (_, nanos, months) = units[pos];
                if numbuf.contains('.') {
                    if c != 'S' {
                        return Err(bad("only seconds may have decimals"));
                    }
                    let v: f64 = numbuf.parse().map_err(|_| bad("bad number"))?;
                    p.nanos += (v * 1e9).round() as u128;
                } else {
                    let v: u128 = numbuf.parse().map_err(|_| bad("number out of range"))?;
                    p.nanos += v * nanos;
                    p.months += (v as u32).saturating_mul(months);
                }
                numbuf.clear();
                any = true;
            }
            if !numbuf.is_empty() {
                return Err(bad(&format!("`{numbuf}` has no unit")));
            }
            Ok(())
        };
        let s128 = SEC as u128;
        parse_part(
            date,
            &[
                ('Y', 0, 12),
                ('M', 0, 1),
                ('W', 7 * 86_400 * s128, 0),
                ('D', 86_400 * s128, 0),
            ],
        )?;
        if let Some(t) = time {
            parse_part(
                t,
                &[('H', 3600 * s128, 0), ('M', 60 * s128, 0), ('S', s128, 0)],
            )?;
        }
        if !any {
            return Err(bad("no duration given"));
        }
        if p.months == 0 && p.nanos == 0 {
            return Err(bad("a zero period would repeat forever at one instant"));
        }
        Ok(p)
    }
}

impl Schedule {
    /// Parses `R[n]/<start>/<period>`.
    pub fn parse(s: &str) -> Result<Schedule, String> {
        let parts: Vec<&str> = s.split('/').collect();
        let [r, start, period] = parts[..] else {
            return Err(format!(
                "`{s}` is not a repeating interval: expected R[n]/<start>/<period>, e.g. R/2026-01-01T02:00:00Z/P1D"
            ));
        };
        let n = r
            .strip_prefix('R')
            .ok_or_else(|| format!("`{s}`: the repetition `{r}` must be R or Rn"))?;
        let repeats = if n.is_empty() {
            None
        } else {
            Some(num::<u64>(n, "repetition count", s)?)
        };
        Ok(Schedule {
            repeats,
            start: Instant::parse(start)?,
            period: Period::parse(period)?,
            text: s.to_string(),
        })
    }

    /// The k-th occurrence.
    pub fn nth(&self, k: u64) -> Instant {
        let months = (self.period.months as u64 * k).min(u32::MAX as u64) as u32;
        Instant(self.start.add_months(months).0 + (self.period.nanos * k as u128) as i128)
    }

    /// The occurrences as scenario times (ns after `epoch`), skipping those before it.
    pub fn times(&self, epoch: Instant) -> impl Iterator<Item = Time> + '_ {
        let n = self.repeats.unwrap_or(u64::MAX);
        (0..n)
            .map(move |k| self.nth(k).0 - epoch.0)
            .skip_while(|&d| d < 0)
            .take_while(|&d| d <= u64::MAX as i128)
            .map(|d| d as Time)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.text)
    }
}
