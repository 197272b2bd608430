//! Unit tests of `src/units.rs` (moved out of the library: see `unit.rs`).

use schedlab::units::*;

#[test]
fn parses_units() {
    assert_eq!(parse_duration("5s"), Ok(5_000_000_000));
    assert_eq!(parse_duration("1.5ms"), Ok(1_500_000));
    assert_eq!(parse_duration("10min"), Ok(600_000_000_000));
    assert_eq!(parse_duration("100us"), Ok(100_000));
    assert!(parse_duration("-1s").is_err());
    for bare in ["2", "0", " 2 "] {
        let n = bare.trim();
        assert_eq!(
            parse_duration(bare),
            Err(format!(
                "`{n}` has no unit: give one, e.g. \"{n}s\", \"{n}ms\" or \"{n}min\" \
                     (units: ns, us, ms, s, min, h, d)"
            ))
        );
    }
    assert!(parse_duration("5 parsecs").is_err());
}

#[test]
fn formats_round_trip() {
    for t in [
        0,
        1,
        1_500,
        2_000_000,
        75_000_000_000,
        600_000_000_000,
        86_400_000_000_000,
    ] {
        assert_eq!(parse_duration(&format_duration(t)), Ok(t));
    }
}
