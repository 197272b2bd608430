//! ISO 8601 repeating intervals as Chronos reads them: `R[n]/<start>/<period>`.
//!
//! Chronos parses schedules with Joda-Time (`Iso8601Expressions.scala`:
//! `DateTime.parse` for the start, `ISOPeriodFormat.standard` for the period, and
//! `withZoneRetainFields` for a `scheduleTimeZone`). This module follows Joda:
//!
//! - `R` repeats forever, `Rn` n times (`R0` never runs).
//! - `<start>` is Joda's ISO date-time: `YYYY[-MM[-DD]]` optionally followed by
//!   `T[hh[:mm[:ss[.fff]]]]` and an offset `Z`, `±hh`, `±hhmm` or `±hh:mm`. A date
//!   alone is midnight; a start without an offset is read in the JVM's default zone,
//!   taken to be UTC. Fractions keep milliseconds (Joda's precision). An empty start
//!   (`R//PT1H`) is left to the caller: Chronos reads it as "now less one second", in
//!   UTC.
//! - `<period>` is `PnYnMnWnDTnHnMnS` (any subset; seconds may be fractional).
//! - The start's wall clock and the period's years, months, weeks and days are
//!   calendar steps in the start's zone (Joda's `ZonedChronology`: date fields are
//!   added to the local time, a local time in a daylight-saving gap moves on by the
//!   gap, one in an overlap takes the earlier instant); hours, minutes and seconds
//!   are exact durations. 2026-01-31 + P1M is 2026-02-28 (clamped to the month's end).
//! - A time zone ([`Zone::java`]) replaces the string's offset and keeps its
//!   wall-clock fields: `R/2026-01-01T02:00:00Z/P1D` in `America/New_York` runs at
//!   02:00 New York time, every day, across daylight-saving changes.
//!
//! Time zones come from the tz database bundled with the `jiff` crate (never the
//! machine's own files, so runs are reproducible). Civil-date arithmetic is Howard
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

const S: i128 = SEC as i128;
const MS: i128 = S / 1000;
const DAY: i128 = 86_400 * S;

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

/// A wall-clock date-time: days since 1970-01-01 and nanoseconds into the day.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Local {
    days: i64,
    nod: i128,
}

impl Local {
    fn from_ns(ns: i128) -> Local {
        Local {
            days: ns.div_euclid(DAY) as i64,
            nod: ns.rem_euclid(DAY),
        }
    }
    fn as_ns(self) -> i128 {
        self.days as i128 * DAY + self.nod
    }
    /// Plus `months` calendar months, the day clamped to the month's end (Joda).
    fn add_months(self, months: i64) -> Local {
        let (y, m, d) = civil_from_days(self.days);
        let total = y * 12 + (m as i64 - 1) + months;
        let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
        Local {
            days: days_from_civil(ny, nm, d.min(days_in_month(ny, nm))),
            nod: self.nod,
        }
    }
}

/// The zone a schedule's wall clock is read in.
#[derive(Clone, Debug)]
pub enum Zone {
    /// A fixed offset from UTC, in seconds (`Z`, `+01:00`, or `GMT+01:00`).
    Fixed(i32),
    /// A tz database zone: the identifier as given, and its rules.
    Named(String, jiff::tz::TimeZone),
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        match (self, other) {
            (Zone::Fixed(a), Zone::Fixed(b)) => a == b,
            (Zone::Named(a, _), Zone::Named(b, _)) => a == b,
            _ => false,
        }
    }
}
impl Eq for Zone {}

/// Joda-Time's `DateTimeZone.forTimeZone` conversions of Java's old three-letter IDs
/// (`DateTimeZone.getConvertedId`), applied before the tz database is consulted.
const JODA_ALIASES: &[(&str, &str)] = &[
    ("GMT", "UTC"),
    ("WET", "WET"),
    ("CET", "CET"),
    ("MET", "CET"),
    ("ECT", "CET"),
    ("EET", "EET"),
    ("MIT", "Pacific/Apia"),
    ("HST", "Pacific/Honolulu"),
    ("AST", "America/Anchorage"),
    ("PST", "America/Los_Angeles"),
    ("MST", "America/Denver"),
    ("PNT", "America/Phoenix"),
    ("CST", "America/Chicago"),
    ("EST", "America/New_York"),
    ("IET", "America/Indiana/Indianapolis"),
    ("PRT", "America/Puerto_Rico"),
    ("CNT", "America/St_Johns"),
    ("AGT", "America/Argentina/Buenos_Aires"),
    ("BET", "America/Sao_Paulo"),
    ("ART", "Africa/Cairo"),
    ("CAT", "Africa/Harare"),
    ("EAT", "Africa/Addis_Ababa"),
    ("NET", "Asia/Yerevan"),
    ("PLT", "Asia/Karachi"),
    ("IST", "Asia/Kolkata"),
    ("BST", "Asia/Dhaka"),
    ("VST", "Asia/Ho_Chi_Minh"),
    ("CTT", "Asia/Shanghai"),
    ("JST", "Asia/Tokyo"),
    ("ACT", "Australia/Darwin"),
    ("AET", "Australia/Sydney"),
    ("SST", "Pacific/Guadalcanal"),
    ("NST", "Pacific/Auckland"),
];

impl Zone {
    pub const UTC: Zone = Zone::Fixed(0);

    /// A zone as Chronos resolves `scheduleTimeZone`:
    /// `DateTimeZone.forTimeZone(TimeZone.getTimeZone(id))`. Accepts tz database
    /// names (`Europe/Paris`), Java's three-letter IDs as Joda converts them (`PST` is
    /// America/Los_Angeles, `BST` Asia/Dhaka, `EST` America/New_York), `UTC`, `GMT`
    /// and `GMT±h[h][[:]mm]`. Java reads an unknown ID as GMT without a word; schedlab
    /// refuses it.
    pub fn java(id: &str) -> Result<Zone, String> {
        if id == "UTC" {
            return Ok(Zone::UTC);
        }
        let name = JODA_ALIASES
            .iter()
            .find(|(a, _)| *a == id)
            .map_or(id, |(_, n)| *n);
        if name == "UTC" {
            return Ok(Zone::UTC);
        }
        if let Some(rest) = id.strip_prefix("GMT") {
            if let Some(sign) = rest.chars().next().filter(|c| *c == '+' || *c == '-') {
                let body = &rest[1..];
                let (h, m) = match body.split_once(':') {
                    Some((h, m)) if m.len() == 2 => (h, m),
                    Some(_) => ("", ""),
                    None if body.len() == 4 => body.split_at(2),
                    None => (body, "0"),
                };
                let bad = || {
                    format!("`{id}` is not a Java custom time zone ID (GMT+h, GMT+hh, GMT+hh:mm or GMT+hhmm)")
                };
                if h.is_empty() || h.len() > 2 {
                    return Err(bad());
                }
                let (h, m): (i32, i32) = (
                    num(h, "hours", id).map_err(|_| bad())?,
                    num(m, "minutes", id).map_err(|_| bad())?,
                );
                if h > 23 || m > 59 {
                    return Err(bad());
                }
                let s = (h * 3600 + m * 60) * if sign == '-' { -1 } else { 1 };
                return Ok(Zone::Fixed(s));
            }
        }
        match jiff::tz::TimeZone::get(name) {
            Ok(tz) if tz.iana_name() == Some(name) => Ok(Zone::Named(id.to_string(), tz)),
            Ok(tz) => Err(format!(
                "unknown time zone `{id}` (IDs are case-sensitive: did you mean `{}`?)",
                tz.iana_name().unwrap_or("?")
            )),
            Err(_) => Err(format!(
                "unknown time zone `{id}`: expected a tz database name such as America/New_York \
                 (Chronos' Java would silently read it as GMT)"
            )),
        }
    }

    /// The offset from UTC in force at `t`, in nanoseconds.
    pub fn offset(&self, t: Instant) -> i128 {
        match self {
            Zone::Fixed(s) => *s as i128 * S,
            Zone::Named(_, tz) => jiff::Timestamp::from_nanosecond(t.0)
                .map_or(0, |ts| tz.to_offset(ts).seconds() as i128 * S),
        }
    }

    fn local(&self, t: Instant) -> Local {
        Local::from_ns(t.0 + self.offset(t))
    }

    /// The instant of a wall-clock time (Joda's `getOffsetFromLocal`): in a
    /// daylight-saving gap the clock moves on by the gap, in an overlap the earlier
    /// instant. None beyond the years the tz database covers.
    fn resolve(&self, l: Local) -> Option<Instant> {
        match self {
            Zone::Fixed(s) => Some(Instant(l.as_ns() - *s as i128 * S)),
            Zone::Named(_, tz) => {
                let (y, m, d) = civil_from_days(l.days);
                let secs = (l.nod / S) as i64;
                let dt = jiff::civil::DateTime::new(
                    i16::try_from(y).ok()?,
                    m as i8,
                    d as i8,
                    (secs / 3600) as i8,
                    (secs / 60 % 60) as i8,
                    (secs % 60) as i8,
                    (l.nod % S) as i32,
                )
                .ok()?;
                tz.to_timestamp(dt).ok().map(|t| Instant(t.as_nanosecond()))
            }
        }
    }

    /// Joda's `withZoneRetainFields` (`getMillisKeepLocal`): the same wall clock in
    /// this zone, preferring the offset this zone has at `original` in an overlap.
    fn retain(&self, l: Local, original: Instant) -> Option<Instant> {
        let o = self.offset(original);
        let cand = Instant(l.as_ns() - o);
        if self.offset(cand) == o {
            Some(cand)
        } else {
            self.resolve(l)
        }
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Zone::Fixed(s) => write!(f, "{}", Offset(*s as i128 * S)),
            Zone::Named(id, _) => f.write_str(id),
        }
    }
}

/// An offset as Joda prints it: `Z`, or `±hh:mm`.
struct Offset(i128);

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("Z");
        }
        let m = self.0.abs() / S / 60;
        let sign = if self.0 < 0 { '-' } else { '+' };
        write!(f, "{sign}{:02}:{:02}", m / 60, m % 60)
    }
}

/// Parses Joda's ISO date-time into a wall-clock time and the offset written, if any.
fn parse_local(s: &str) -> Result<(Local, Option<i128>), String> {
    let bad = |m: &str| {
        format!("`{s}` is not an ISO 8601 date-time ({m}; expected e.g. 2026-01-01T02:00:00Z or 2026-01-01)")
    };
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let dp: Vec<&str> = date.split('-').collect();
    if dp.iter().any(|p| p.starts_with('W')) {
        return Err(bad("week dates are not supported"));
    }
    if dp.len() == 2 && dp[1].len() == 3 {
        return Err(bad("ordinal dates are not supported"));
    }
    if dp.is_empty() || dp.len() > 3 || dp[0].len() != 4 || dp[1..].iter().any(|p| p.len() != 2) {
        return Err(bad("the date must be YYYY, YYYY-MM or YYYY-MM-DD"));
    }
    let y: i64 = num(dp[0], "year", s)?;
    let mo: u32 = dp.get(1).map_or(Ok(1), |m| num(m, "month", s))?;
    let d: u32 = dp.get(2).map_or(Ok(1), |d| num(d, "day", s))?;
    if !(1..=12).contains(&mo) {
        return Err(bad(&format!("month {mo} does not exist")));
    }
    if d == 0 || d > days_in_month(y, mo) {
        return Err(bad(&format!("day {d} does not exist in {y}-{mo:02}")));
    }
    let mut nod = 0i128;
    let mut offset = None;
    if let Some(time) = time {
        let clock = if let Some(c) = time.strip_suffix('Z') {
            offset = Some(0);
            c
        } else if let Some(i) = time.rfind(['+', '-']) {
            let (c, o) = time.split_at(i);
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let o = &o[1..];
            let (oh, om) = match o.split_once(':') {
                Some(p) => p,
                None if o.len() == 4 => o.split_at(2),
                None => (o, "0"),
            };
            if oh.len() != 2 || om.len() > 2 {
                return Err(bad("the offset must be Z, ±hh, ±hhmm or ±hh:mm"));
            }
            let (oh, om): (i128, i128) =
                (num(oh, "offset hours", s)?, num(om, "offset minutes", s)?);
            if oh > 23 || om > 59 {
                return Err(bad("the offset is out of range"));
            }
            offset = Some(sign * (oh * 3600 + om * 60) * S);
            c
        } else {
            time
        };
        let (hms, frac) = match clock.split_once(['.', ',']) {
            Some((a, f)) => (a, f),
            None => (clock, ""),
        };
        let tp: Vec<&str> = if hms.is_empty() {
            Vec::new()
        } else {
            hms.split(':').collect()
        };
        if tp.len() > 3 || tp.iter().any(|p| p.len() != 2) {
            return Err(bad("the time must be hh, hh:mm or hh:mm:ss"));
        }
        if !frac.is_empty() && tp.len() != 3 {
            return Err(bad("only seconds may have decimals"));
        }
        let part = |i: usize, what: &str| tp.get(i).map_or(Ok(0), |p| num::<i128>(p, what, s));
        let (h, mi, sec) = (part(0, "hour")?, part(1, "minute")?, part(2, "second")?);
        if h > 23 || mi > 59 || sec > 59 {
            return Err(bad("hour, minute or second out of range"));
        }
        let mut ms = 0i128;
        if !frac.is_empty() {
            let digits = &frac[..frac.len().min(3)];
            ms = num::<i128>(frac, "fraction", s).map(|_| 0)?
                + num::<i128>(digits, "fraction", s)? * 10i128.pow(3 - digits.len() as u32);
        }
        nod = (h * 3600 + mi * 60 + sec) * S + ms * MS;
    }
    Ok((
        Local {
            days: days_from_civil(y, mo, d),
            nod,
        },
        offset,
    ))
}

impl Instant {
    /// Parses an ISO 8601 date-time as Joda does (see the module doc; no offset: UTC).
    pub fn parse(s: &str) -> Result<Instant, String> {
        let (l, off) = parse_local(s)?;
        Ok(Instant(l.as_ns() - off.unwrap_or(0)))
    }

    /// This instant plus `months` calendar months (clamped to the month's end), in UTC.
    #[doc(hidden)]
    pub fn add_months(self, months: u32) -> Instant {
        Instant(Local::from_ns(self.0).add_months(months as i64).as_ns())
    }

    /// As Joda's `ISODateTimeFormat.dateTime` prints it in `zone`:
    /// `2026-01-01T02:00:00.000-05:00`.
    pub fn in_zone(self, zone: &Zone) -> String {
        let l = zone.local(self);
        let (y, m, d) = civil_from_days(l.days);
        let ms = l.nod / MS;
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}{}",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000,
            Offset(zone.offset(self))
        )
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let l = Local::from_ns(self.0);
        let (y, m, d) = civil_from_days(l.days);
        let rest = l.nod / S;
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rest / 3600,
            rest / 60 % 60,
            rest % 60
        )
    }
}

/// A period, field by field as Joda keeps it. Years, months, weeks and days are
/// calendar steps; `nanos` (hours, minutes, seconds, milliseconds) an exact duration.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Period {
    pub years: u32,
    pub months: u32,
    pub weeks: u32,
    pub days: u32,
    pub nanos: u128,
}

impl Period {
    /// Parses `PnYnMnWnDTnHnMnS` (Joda's `ISOPeriodFormat.standard`). A zero period
    /// (`PT0S`) parses; what it means is for the caller.
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
        let mut p = Period::default();
        let mut any = false;
        let mut parse_part = |text: &str, units: &[char]| -> Result<(), String> {
            let mut numbuf = String::new();
            let mut last = 0usize;
            for c in text.chars() {
                if c.is_ascii_digit() || c == '.' || c == ',' {
                    numbuf.push(if c == ',' { '.' } else { c });
                    continue;
                }
                let Some(pos) = units.iter().position(|u| *u == c) else {
                    return Err(bad(&format!("unexpected `{c}`")));
                };
                if pos < last || numbuf.is_empty() {
                    return Err(bad(&format!("`{c}` out of order or without a number")));
                }
                last = pos + 1;
                let timed = units.len() == 3;
                if let Some((whole, frac)) = numbuf.split_once('.') {
                    if !(timed && c == 'S') {
                        return Err(bad("only seconds may have decimals"));
                    }
                    let w: u128 = num(whole, "seconds", s)?;
                    let digits = &frac[..frac.len().min(3)];
                    num::<u128>(frac, "fraction", s)?;
                    let ms: u128 =
                        num::<u128>(digits, "fraction", s)? * 10u128.pow(3 - digits.len() as u32);
                    p.nanos += w * S as u128 + ms * MS as u128;
                } else {
                    let v: u32 = numbuf
                        .parse()
                        .ok()
                        .filter(|v| *v <= i32::MAX as u32)
                        .ok_or_else(|| bad("number out of range"))?;
                    match (timed, c) {
                        (false, 'Y') => p.years = v,
                        (false, 'M') => p.months = v,
                        (false, 'W') => p.weeks = v,
                        (false, _) => p.days = v,
                        (true, 'H') => p.nanos += v as u128 * 3600 * S as u128,
                        (true, 'M') => p.nanos += v as u128 * 60 * S as u128,
                        (true, _) => p.nanos += v as u128 * S as u128,
                    }
                }
                numbuf.clear();
                any = true;
            }
            if !numbuf.is_empty() {
                return Err(bad(&format!("`{numbuf}` has no unit")));
            }
            Ok(())
        };
        parse_part(date, &['Y', 'M', 'W', 'D'])?;
        if let Some(t) = time {
            parse_part(t, &['H', 'M', 'S'])?;
        }
        if !any {
            return Err(bad("no duration given"));
        }
        Ok(p)
    }

    /// Whether every field is zero.
    pub fn is_zero(&self) -> bool {
        *self == Period::default()
    }

    /// Joda's `Period.toStandardSeconds` (weeks of 7 days, days of 24 hours, the
    /// milliseconds truncated); None when the period has years or months, for which
    /// Joda throws.
    pub fn standard_seconds(&self) -> Option<i128> {
        if self.years > 0 || self.months > 0 {
            return None;
        }
        Some(
            (self.weeks as i128 * 7 + self.days as i128) * 86_400
                + (self.nanos / S as u128) as i128,
        )
    }

    /// Joda's `multipliedBy(k)`: every field times k (None past Joda's int fields).
    pub fn times(&self, k: u64) -> Option<Period> {
        let f = |v: u32| {
            (v as u64)
                .checked_mul(k)
                .filter(|v| *v <= i32::MAX as u64)
                .map(|v| v as u32)
        };
        Some(Period {
            years: f(self.years)?,
            months: f(self.months)?,
            weeks: f(self.weeks)?,
            days: f(self.days)?,
            nanos: self.nanos.checked_mul(k as u128)?,
        })
    }

    /// `t.plus(period)` with t's wall clock in `zone` (Joda's `BaseChronology.add`:
    /// years, months, weeks, days one after the other on the local time, each
    /// resolved in the zone; then the exact duration). None beyond the tz database.
    pub fn add_to(&self, t: Instant, zone: &Zone) -> Option<Instant> {
        let mut t = t;
        let steps: [(i64, u32); 4] = [
            (12, self.years),
            (1, self.months),
            (-7, self.weeks),
            (-1, self.days),
        ];
        for (unit, v) in steps {
            if v == 0 {
                continue;
            }
            let l = zone.local(t);
            let l = if unit > 0 {
                l.add_months(unit * v as i64)
            } else {
                Local {
                    days: l.days + (-unit) * v as i64,
                    nod: l.nod,
                }
            };
            t = zone.resolve(l)?;
        }
        Some(Instant(t.0.checked_add(i128::try_from(self.nanos).ok()?)?))
    }
}

/// `R[n]/<start>/<period>`, with the zone its wall clock is read in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// None: forever.
    pub repeats: Option<u64>,
    /// None: an empty start (Chronos: the moment the job is read, less one second).
    pub start: Option<Instant>,
    pub period: Period,
    /// The zone of the start's wall clock and of the period's calendar steps: the
    /// time zone if one was given, else the string's offset (UTC if none).
    pub zone: Zone,
    /// The time zone given with the schedule (Chronos' `scheduleTimeZone`), applied
    /// again each time Chronos reads the schedule it rewrote.
    pub time_zone: Option<Zone>,
    text: String,
    period_text: String,
}

impl Schedule {
    /// Parses `R[n]/<start>/<period>` with a non-empty start and a non-zero period
    /// (Aurora's cron).
    pub fn parse(s: &str) -> Result<Schedule, String> {
        let sch = Schedule::parse_in(s, None)?;
        if sch.start.is_none() {
            return Err(format!("`{s}`: the start is empty"));
        }
        if sch.period.is_zero() {
            return Err(format!(
                "`{s}`: a zero period would repeat forever at one instant"
            ));
        }
        Ok(sch)
    }

    /// Parses `R[n]/<start>/<period>` as Chronos' `Iso8601Expressions.parse`: an empty
    /// start and a zero period are accepted; `time_zone` (a [`Zone::java`] ID) replaces
    /// the string's offset and keeps its wall-clock fields.
    pub fn parse_in(s: &str, time_zone: Option<&str>) -> Result<Schedule, String> {
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
        let time_zone = match time_zone.filter(|z| !z.is_empty()) {
            Some(z) => Some(Zone::java(z)?),
            None => None,
        };
        let (start, zone) = if start.is_empty() {
            (None, Zone::UTC)
        } else {
            let (l, off) = parse_local(start)?;
            let written = Instant(l.as_ns() - off.unwrap_or(0));
            match &time_zone {
                Some(tz) => (
                    Some(tz.retain(l, written).ok_or_else(|| {
                        format!("`{s}`: the start is outside the years the tz database covers")
                    })?),
                    tz.clone(),
                ),
                None => (Some(written), Zone::Fixed((off.unwrap_or(0) / S) as i32)),
            }
        };
        Ok(Schedule {
            repeats,
            start,
            period: Period::parse(period)?,
            zone,
            time_zone,
            text: s.to_string(),
            period_text: period.to_string(),
        })
    }

    /// The k-th occurrence from the start (`start.plus(period.multipliedBy(k))`);
    /// None for an empty start or past the calendar's range.
    pub fn nth(&self, k: u64) -> Option<Instant> {
        self.period.times(k)?.add_to(self.start?, &self.zone)
    }

    /// The occurrences as scenario times (ns after `epoch`), skipping those before it.
    pub fn times(&self, epoch: Instant) -> impl Iterator<Item = Time> + '_ {
        let n = self.repeats.unwrap_or(u64::MAX);
        (0..n)
            .map_while(move |k| self.nth(k).map(|t| t.0 - epoch.0))
            .skip_while(|&d| d < 0)
            .take_while(|&d| d <= u64::MAX as i128)
            .map(|d| d as Time)
    }

    /// Chronos' `Iso8601Expressions.create`: the schedule text for `repeats` runs from
    /// `start`, printed in `zone` (`R2/2026-01-02T02:00:00.000Z/P1D`).
    pub fn create(&self, repeats: Option<u64>, start: Instant, zone: &Zone) -> String {
        let r = repeats.map_or(String::new(), |n| n.to_string());
        format!("R{r}/{}/{}", start.in_zone(zone), self.period_text)
    }

    /// What Chronos reads back from [`Schedule::create`]'s text: the same wall clock,
    /// in the time zone if one is set, else at the printed offset.
    pub fn reread(&self, start: Instant, zone: &Zone) -> Option<(Instant, Zone)> {
        let start = Instant(start.0 - start.0.rem_euclid(MS));
        match &self.time_zone {
            Some(tz) => Some((tz.retain(zone.local(start), start)?, tz.clone())),
            None => Some((start, Zone::Fixed((zone.offset(start) / S) as i32))),
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.text)
    }
}
