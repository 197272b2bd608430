//! Unit tests of `src/trace/mod.rs` (moved out of the library: see `unit.rs`).

use schedlab::trace::*;

#[test]
fn format_names_round_trip() {
    for f in Format::ALL {
        assert_eq!(f.name().parse::<Format>(), Ok(f));
        let s: Format = serde_json::from_str(&format!("\"{}\"", f.name())).unwrap();
        assert_eq!(s, f);
    }
    assert!("google"
        .parse::<Format>()
        .unwrap_err()
        .contains("google-2011"));
}

#[test]
fn sampling_is_deterministic_and_about_right() {
    let kept = (0..100_000).filter(|&i| sampled(3, i, 0.25)).count();
    assert!((24_000..26_000).contains(&kept), "{kept}");
    assert_eq!(sampled(3, 17, 0.5), sampled(3, 17, 0.5));
}

#[test]
fn trace_source_from_toml_rejects_unknown_keys() {
    let s: TraceSource = toml::from_str(
        "path = \"x.swf\"\nformat = \"swf\"\ntime_window = [\"1h\", \"2h\"]\nsample = 0.5\n",
    )
    .unwrap();
    assert_eq!(s.time_window, Some((3_600_000_000_000, 7_200_000_000_000)));
    assert_eq!(s.format, Some(Format::Swf));
    assert_eq!(s.speedup, 1.0);
    let e = toml::from_str::<TraceSource>("path = \"x\"\nspeed = 2.0\n").unwrap_err();
    assert!(e.to_string().contains("unknown field `speed`"), "{e}");
    // Seconds without a unit are refused, as every duration is.
    let e =
        toml::from_str::<TraceSource>("path = \"x\"\ntime_window = [\"1h\", 7200]\n").unwrap_err();
    assert!(e.to_string().contains("`7200` has no unit"), "{e}");
}
