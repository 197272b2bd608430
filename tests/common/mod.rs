//! Helpers shared by the real-network tests (`tests/real.rs`, `tests/real_browser.rs`).

use std::time::Duration;

/// Polls `f` every 50 ms until it returns `Some`, for at most `secs` seconds.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)] // a test waiting on real processes
pub fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let t0 = std::time::Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(secs),
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
