//! Helpers shared by the real-network tests (`real.rs`, `real_browser.rs`).

use schedlab::real::ctl::request;
use schedlab::real::frame::CtlRequest;
use schedlab::real::up::Children;
use schedlab::real::Role;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;

/// Polls `f` every 50 ms until it returns `Some`, for at most `secs` seconds.
pub fn wait_for<T>(secs: u64, what: &str, f: impl FnMut() -> Option<T>) -> T {
    poll(secs, f, || {
        format!("timed out after {secs} s waiting for {what}")
    })
}

/// The loop of `wait_for`; `timed_out` says what failed.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)] // a test waiting on real processes
pub fn poll<T>(secs: u64, mut f: impl FnMut() -> Option<T>, timed_out: impl Fn() -> String) -> T {
    let t0 = std::time::Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(t0.elapsed() < Duration::from_secs(secs), "{}", timed_out());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The one master process that says it leads: its name, address and `/master/state`;
/// `None` while none or several do.
pub fn leader(kids: &Children, secret: &[u8]) -> Option<(String, SocketAddr, Value)> {
    let mut found = Vec::new();
    for (i, r) in kids.roles.iter().enumerate() {
        if *r != Role::Master || kids.procs[i].is_none() {
            continue;
        }
        if let Ok(v) = request(kids.addrs[i], secret, CtlRequest::Status) {
            if v["leading"] == Value::Bool(true) {
                found.push((kids.names[i].clone(), kids.addrs[i], v["state"].clone()));
            }
        }
    }
    (found.len() == 1).then(|| found.pop().unwrap())
}
