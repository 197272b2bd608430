//! Unit tests of `src/frameworks/iso8601.rs` (moved out of the library: see `unit.rs`).

use schedlab::actor::SEC;
use schedlab::frameworks::iso8601::*;

#[test]
fn known_instants() {
    assert_eq!(Instant::parse("1970-01-01T00:00:00Z").unwrap().0, 0);
    assert_eq!(
        Instant::parse("2026-01-01T02:00:00Z").unwrap().0,
        1_767_232_800 * SEC as i128
    );
    assert_eq!(
        Instant::parse("2026-01-01T03:00:00+01:00").unwrap(),
        Instant::parse("2026-01-01T02:00:00Z").unwrap()
    );
    assert_eq!(
        Instant::parse("2024-02-29T00:00:00.5Z").unwrap().0 % SEC as i128,
        500_000_000
    );
    let t = Instant::parse("2026-01-31T00:00:00Z").unwrap();
    assert_eq!(t.add_months(1).to_string(), "2026-02-28T00:00:00Z");
    assert_eq!(t.add_months(13).to_string(), "2027-02-28T00:00:00Z");
}

// ------------------------------------------------------------ Chronos' reading

use schedlab::frameworks::chronos::Clock;

fn at(s: &str) -> Instant {
    Instant::parse(s).unwrap()
}

/// The start Chronos reads from `schedule` in `zone`, as a UTC instant.
fn start_in(schedule: &str, zone: &str) -> String {
    Schedule::parse_in(schedule, Some(zone).filter(|z| !z.is_empty()))
        .unwrap()
        .start
        .unwrap()
        .to_string()
}

/// Upstream `Iso8601ExpressionParserSpec.scala` (mesos/chronos,
/// src/test/scala/org/apache/mesos/chronos/scheduler/jobs/): "properly parse time
/// zone (BST)", "(PST)", "(Europe/Paris)", "Test precedence using two time zone
/// options at once (EDT and PST)", "Test time zone change when time is not
/// specified": `Iso8601Expressions.convertToDateTime` keeps the string's wall clock
/// and replaces its offset by the zone (`withZoneRetainFields`); Java's `BST` is
/// Asia/Dhaka (+06:00) and `PST` America/Los_Angeles, as Joda converts them.
#[test]
fn chronos_time_zone_replaces_the_offset_and_keeps_the_wall_clock() {
    let cases = [
        ("R/2008-03-01T13:00:00Z/P1D", "BST", "2008-03-01T07:00:00Z"),
        ("R/2008-03-01T13:00:00Z/P1D", "PST", "2008-03-01T21:00:00Z"),
        (
            "R/2008-03-01T13:00:00Z/P1D",
            "Europe/Paris",
            "2008-03-01T12:00:00Z",
        ),
        (
            "R/2008-03-01T13:00:00-04:00/P1D",
            "PST",
            "2008-03-01T21:00:00Z",
        ),
        ("R/2008-03-01/PT1M", "PST", "2008-03-01T08:00:00Z"),
        // No zone: the string's own offset; none at all is the JVM's zone, UTC.
        (
            "R/2008-03-01T13:00:00-04:00/P1D",
            "",
            "2008-03-01T17:00:00Z",
        ),
        ("R/2008-03-01T13:00/P1D", "", "2008-03-01T13:00:00Z"),
        ("R/2008-03-01/P1D", "", "2008-03-01T00:00:00Z"),
        ("R/2008-03/P1D", "", "2008-03-01T00:00:00Z"),
        ("R/2008-03-01T13:00:00+0530/P1D", "", "2008-03-01T07:30:00Z"),
        (
            "R/2008-03-01T13:00:00Z/P1D",
            "GMT+05:30",
            "2008-03-01T07:30:00Z",
        ),
        ("R/2008-03-01T13:00:00Z/P1D", "UTC", "2008-03-01T13:00:00Z"),
    ];
    for (schedule, zone, want) in cases {
        assert_eq!(start_in(schedule, zone), want, "{schedule} in {zone:?}");
    }
    for (zone, want) in [
        ("America/new_york", "did you mean `America/New_York`"),
        ("Mars/Olympus", "unknown time zone"),
        ("GMT+5:3", "custom time zone"),
    ] {
        let e = Schedule::parse_in("R/2008-03-01T13:00:00Z/P1D", Some(zone)).unwrap_err();
        assert!(e.contains(want), "{zone}: {e}");
    }
}

/// One row: a schedule (and zone, epsilon) as Chronos reads it when the job is
/// registered at `registered`, and the runs it gives: (occurrence, launched at).
struct Row {
    why: &'static str,
    schedule: &'static str,
    zone: &'static str,
    epsilon_s: u64,
    registered: &'static str,
    runs: &'static [(&'static str, &'static str)],
}

/// The runs of a row, up to 4: at each step the clock's next occurrence, launched at
/// once if it is already due, then the stream's tail.
fn runs(r: &Row) -> Vec<(String, String)> {
    let s = Schedule::parse_in(r.schedule, Some(r.zone).filter(|z| !z.is_empty())).unwrap();
    let mut now = at(r.registered);
    let mut c = Clock::new(&s, r.epsilon_s * SEC, now).unwrap();
    let mut out = Vec::new();
    while out.len() < 4 {
        let Some(due) = c.next_due(now) else { break };
        now = now.max(due);
        out.push((due.to_string(), now.to_string()));
        c.advance();
    }
    out
}

/// A schedule's next run times, table-driven, against Chronos 2.x's scheduler loop
/// (mesos/chronos, src/main/scala/org/apache/mesos/chronos/scheduler/jobs/):
/// `JobUtils.makeScheduleStream`/`skipForward`/`calculateSkips` (a start older than
/// epsilon is moved on by whole periods, the count reduced by as many; a count
/// below that filters the job out), `JobScheduler.next` (in the window
/// (now - epsilon, ...) a run is scheduled at its time, at once if late; older it is
/// skipped and counts; `recurrences == 0` is finished), `ScheduleStream.tail` (the
/// next start is the previous start plus the period, rewritten as text by
/// `Iso8601Expressions.create` and read back with the time zone),
/// `Iso8601Expressions.parse` (an empty start is now less one second, in UTC).
/// Upstream JobUtilsSpec "Can skip forward a job" / "...with a monthly period" pin
/// that a skipped-forward start is not in the past.
#[test]
fn chronos_next_run_times() {
    let table = [
        Row {
            why: "a future start: every occurrence at its time",
            schedule: "R/2026-01-01T02:00:00Z/P1D",
            zone: "",
            epsilon_s: 60,
            registered: "2026-01-01T00:00:00Z",
            runs: &[
                ("2026-01-01T02:00:00Z", "2026-01-01T02:00:00Z"),
                ("2026-01-02T02:00:00Z", "2026-01-02T02:00:00Z"),
                ("2026-01-03T02:00:00Z", "2026-01-03T02:00:00Z"),
                ("2026-01-04T02:00:00Z", "2026-01-04T02:00:00Z"),
            ],
        },
        Row {
            why: "an empty start is now less 1 s: it runs at once",
            schedule: "R//PT1H",
            zone: "",
            epsilon_s: 60,
            registered: "2026-01-01T00:00:10Z",
            runs: &[
                ("2026-01-01T00:00:09Z", "2026-01-01T00:00:10Z"),
                ("2026-01-01T01:00:09Z", "2026-01-01T01:00:09Z"),
                ("2026-01-01T02:00:09Z", "2026-01-01T02:00:09Z"),
                ("2026-01-01T03:00:09Z", "2026-01-01T03:00:09Z"),
            ],
        },
        Row {
            why: "an empty start with epsilon 0 is already too late: next period",
            schedule: "R2//PT1H",
            zone: "",
            epsilon_s: 0,
            registered: "2026-01-01T00:00:10Z",
            runs: &[("2026-01-01T01:00:09Z", "2026-01-01T01:00:09Z")],
        },
        Row {
            why: "a start in the past runs at the next future point, not at once",
            schedule: "R/2025-12-30T02:00:00Z/P1D",
            zone: "",
            epsilon_s: 60,
            registered: "2026-01-01T00:00:00Z",
            runs: &[
                ("2026-01-01T02:00:00Z", "2026-01-01T02:00:00Z"),
                ("2026-01-02T02:00:00Z", "2026-01-02T02:00:00Z"),
                ("2026-01-03T02:00:00Z", "2026-01-03T02:00:00Z"),
                ("2026-01-04T02:00:00Z", "2026-01-04T02:00:00Z"),
            ],
        },
        Row {
            why: "...unless its latest occurrence is less than epsilon late",
            schedule: "R/2025-12-31T21:59:30Z/PT1H",
            zone: "",
            epsilon_s: 60,
            registered: "2026-01-01T00:00:00Z",
            runs: &[
                ("2025-12-31T23:59:30Z", "2026-01-01T00:00:00Z"),
                ("2026-01-01T00:59:30Z", "2026-01-01T00:59:30Z"),
                ("2026-01-01T01:59:30Z", "2026-01-01T01:59:30Z"),
                ("2026-01-01T02:59:30Z", "2026-01-01T02:59:30Z"),
            ],
        },
        Row {
            why: "skipped occurrences count: R5 from 3 days ago leaves 2 runs",
            schedule: "R5/2025-12-29T02:00:00Z/P1D",
            zone: "",
            epsilon_s: 60,
            registered: "2026-01-01T00:00:00Z",
            runs: &[
                ("2026-01-01T02:00:00Z", "2026-01-01T02:00:00Z"),
                ("2026-01-02T02:00:00Z", "2026-01-02T02:00:00Z"),
            ],
        },
        Row {
            why: "a count spent before registration: the job is filtered out",
            schedule: "R2/2025-12-01T00:00:00Z/P1D",
            zone: "",
            epsilon_s: 60,
            registered: "2026-01-01T00:00:00Z",
            runs: &[],
        },
        Row {
            why: "R0 never runs",
            schedule: "R0/2026-01-01T02:00:00Z/P1D",
            zone: "",
            epsilon_s: 60,
            registered: "2026-01-01T00:00:00Z",
            runs: &[],
        },
        Row {
            why: "R2 runs twice",
            schedule: "R2/2026-01-01T02:00:00Z/PT1H",
            zone: "",
            epsilon_s: 60,
            registered: "2026-01-01T00:00:00Z",
            runs: &[
                ("2026-01-01T02:00:00Z", "2026-01-01T02:00:00Z"),
                ("2026-01-01T03:00:00Z", "2026-01-01T03:00:00Z"),
            ],
        },
        Row {
            why: "a zero period with R3: the three runs at once",
            schedule: "R3/2026-01-01T01:00:00Z/PT0S",
            zone: "",
            epsilon_s: 60,
            registered: "2026-01-01T00:00:00Z",
            runs: &[
                ("2026-01-01T01:00:00Z", "2026-01-01T01:00:00Z"),
                ("2026-01-01T01:00:00Z", "2026-01-01T01:00:00Z"),
                ("2026-01-01T01:00:00Z", "2026-01-01T01:00:00Z"),
            ],
        },
        Row {
            why: "P1D in a zone keeps 09:00 local across the DST change (EST, then EDT)",
            schedule: "R/2026-03-07T09:00:00Z/P1D",
            zone: "America/New_York",
            epsilon_s: 60,
            registered: "2026-03-01T00:00:00Z",
            runs: &[
                ("2026-03-07T14:00:00Z", "2026-03-07T14:00:00Z"),
                ("2026-03-08T13:00:00Z", "2026-03-08T13:00:00Z"),
                ("2026-03-09T13:00:00Z", "2026-03-09T13:00:00Z"),
                ("2026-03-10T13:00:00Z", "2026-03-10T13:00:00Z"),
            ],
        },
        Row {
            why: "PT24H is an exact duration: 09:00 EST becomes 10:00 EDT",
            schedule: "R/2026-03-07T09:00:00Z/PT24H",
            zone: "America/New_York",
            epsilon_s: 60,
            registered: "2026-03-01T00:00:00Z",
            runs: &[
                ("2026-03-07T14:00:00Z", "2026-03-07T14:00:00Z"),
                ("2026-03-08T14:00:00Z", "2026-03-08T14:00:00Z"),
                ("2026-03-09T14:00:00Z", "2026-03-09T14:00:00Z"),
                ("2026-03-10T14:00:00Z", "2026-03-10T14:00:00Z"),
            ],
        },
        Row {
            why: "02:30 does not exist on 2026-03-08 in New York: 03:30 EDT, and the \
                  rewritten start keeps 03:30 from then on",
            schedule: "R/2026-03-07T02:30:00Z/P1D",
            zone: "America/New_York",
            epsilon_s: 60,
            registered: "2026-03-01T00:00:00Z",
            runs: &[
                ("2026-03-07T07:30:00Z", "2026-03-07T07:30:00Z"),
                ("2026-03-08T07:30:00Z", "2026-03-08T07:30:00Z"),
                ("2026-03-09T07:30:00Z", "2026-03-09T07:30:00Z"),
                ("2026-03-10T07:30:00Z", "2026-03-10T07:30:00Z"),
            ],
        },
        Row {
            why: "a date-only start is midnight",
            schedule: "R2/2026-01-02/P1D",
            zone: "",
            epsilon_s: 60,
            registered: "2026-01-01T00:00:00Z",
            runs: &[
                ("2026-01-02T00:00:00Z", "2026-01-02T00:00:00Z"),
                ("2026-01-03T00:00:00Z", "2026-01-03T00:00:00Z"),
            ],
        },
        Row {
            why: "a date-only start in a zone is local midnight",
            schedule: "R1/2026-01-02/P1D",
            zone: "Asia/Tokyo",
            epsilon_s: 60,
            registered: "2026-01-01T00:00:00Z",
            runs: &[("2026-01-01T15:00:00Z", "2026-01-01T15:00:00Z")],
        },
        Row {
            why: "P1M from the 31st: each start is the rewritten one plus a month",
            schedule: "R/2026-01-31T00:00:00Z/P1M",
            zone: "",
            epsilon_s: 60,
            registered: "2026-01-01T00:00:00Z",
            runs: &[
                ("2026-01-31T00:00:00Z", "2026-01-31T00:00:00Z"),
                ("2026-02-28T00:00:00Z", "2026-02-28T00:00:00Z"),
                ("2026-03-28T00:00:00Z", "2026-03-28T00:00:00Z"),
                ("2026-04-28T00:00:00Z", "2026-04-28T00:00:00Z"),
            ],
        },
        Row {
            why: "a monthly start in the past: skips counted month by month, the new \
                  start is the old one plus that many months",
            schedule: "R/2025-10-31T00:00:00Z/P1M",
            zone: "",
            epsilon_s: 60,
            registered: "2026-01-15T00:00:00Z",
            runs: &[
                ("2026-01-31T00:00:00Z", "2026-01-31T00:00:00Z"),
                ("2026-02-28T00:00:00Z", "2026-02-28T00:00:00Z"),
                ("2026-03-28T00:00:00Z", "2026-03-28T00:00:00Z"),
                ("2026-04-28T00:00:00Z", "2026-04-28T00:00:00Z"),
            ],
        },
        Row {
            why: "a month in a fixed offset is a month of its wall clock",
            schedule: "R2/2026-01-30T23:00:00-02:00/P1M",
            zone: "",
            epsilon_s: 60,
            registered: "2026-01-01T00:00:00Z",
            runs: &[
                ("2026-01-31T01:00:00Z", "2026-01-31T01:00:00Z"),
                ("2026-03-01T01:00:00Z", "2026-03-01T01:00:00Z"),
            ],
        },
    ];
    for r in &table {
        let want: Vec<(String, String)> = r
            .runs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(runs(r), want, "{}: {}", r.why, r.schedule);
    }
}

/// Chronos rewrites the job's schedule after each run (`JobScheduler.scheduleStream`:
/// `job.copy(schedule = stream.get.schedule)`, the tail printed by
/// `Iso8601Expressions.create`): the count goes down by one and the start moves one
/// period on, printed with milliseconds in the schedule's zone.
#[test]
fn chronos_rewrites_the_schedule_as_runs_happen() {
    let s = Schedule::parse_in("R3/2026-01-01T02:00:00Z/P1D", Some("America/New_York")).unwrap();
    let now = at("2026-01-01T00:00:00Z");
    let mut c = Clock::new(&s, 60 * SEC, now).unwrap();
    assert_eq!(c.text().unwrap(), "R3/2026-01-01T02:00:00.000-05:00/P1D");
    let mut texts = Vec::new();
    while let Some(due) = c.next_due(now) {
        c.advance();
        texts.push((due.to_string(), c.text().unwrap()));
    }
    assert_eq!(
        texts,
        [
            (
                "2026-01-01T07:00:00Z".into(),
                "R2/2026-01-02T02:00:00.000-05:00/P1D".to_string()
            ),
            (
                "2026-01-02T07:00:00Z".into(),
                "R1/2026-01-03T02:00:00.000-05:00/P1D".into()
            ),
            (
                "2026-01-03T07:00:00Z".into(),
                "R0/2026-01-04T02:00:00.000-05:00/P1D".into()
            ),
        ]
    );
    // Where Chronos' own registration fails, so does ours (JobUtils.calculateSkips).
    for (sched, want) in [
        ("R/2025-01-01T00:00:00Z/P1Y", "Period.toStandardSeconds"),
        ("R5/2025-01-01T00:00:00Z/PT0S", "division by zero"),
        ("R5/2025-01-01T00:00:00Z/PT0.5S", "division by zero"),
    ] {
        let s = Schedule::parse_in(sched, None).unwrap();
        let e = Clock::new(&s, 60 * SEC, now).unwrap_err();
        assert!(e.contains(want), "{sched}: {e}");
    }
}
