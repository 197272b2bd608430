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
