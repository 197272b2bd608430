//! Real-network mode: the unchanged schedlab actors hosted over TCP with actix.
//!
//! What the discrete-event engine does in virtual time, this runtime does with sockets
//! and a monotonic clock: every schedlab actor (master, agent, coordination server,
//! framework) is hosted in one actix actor ([`node::Node`]) that hands it a buffering
//! [`Ctx`](crate::actor::Ctx) and applies the effects it records: a `send` becomes a
//! length-prefixed frame on a TCP connection ([`frame`]), a timer becomes actix's
//! `run_later`, a link becomes a watch on the peer's connection (libprocess' `exited`
//! when it breaks). Time is the monotonic clock scaled by `--time-scale` ([`clock`]), so
//! a 75-second health-check timeout can take 0.75 s in a test.
//!
//! Peers authenticate each other with a shared secret before any message is accepted
//! ([`auth`]: HMAC-SHA256 over nonces from both sides), so a process without the secret
//! can neither join a cluster nor pose as a master. Bad input (oversized, truncated or
//! garbage frames, unknown message kinds, unauthenticated peers) closes the offending
//! connection and is logged and counted; the node keeps serving.
//!
//! The same port also answers HTTP/1.1 ([`http`]): the leading master serves
//! `/master/state`, `/master/health`, `/metrics/snapshot` and a live page; standbys
//! redirect to the leader. [`ctl`] is the admin client, [`up`] starts a whole scenario
//! (in one process or one process per node).
//!
//! This module is never part of a simulated run: the wall clock, OS randomness (for
//! nonces) and threads are legitimate here, and each use carries its clippy `allow`.

pub mod auth;
pub mod clock;
pub mod ctl;
pub mod frame;
pub mod http;
pub mod net;
pub mod node;
pub mod runtime;
pub mod topology;
pub mod unsupported;
pub mod up;

pub use clock::Clock;
pub use topology::{Role, Topology};

/// The settings every node of a real-mode cluster shares.
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// The cluster's shared secret: peers prove they know it (HMAC) before talking.
    pub secret: Vec<u8>,
    /// Largest accepted frame payload in bytes; a larger length prefix is rejected.
    pub max_frame: usize,
    /// Virtual seconds per wall second (100: a 75 s timeout takes 0.75 s).
    pub time_scale: f64,
    /// Print every accepted/rejected connection and the actors' logs to stderr.
    pub verbose: bool,
}

impl NetConfig {
    pub fn new(secret: Vec<u8>, time_scale: f64) -> NetConfig {
        NetConfig {
            secret,
            max_frame: frame::DEFAULT_MAX_FRAME,
            time_scale,
            verbose: false,
        }
    }
}

/// The secret from `SCHEDLAB_SECRET` or a file, as the CLI commands take it.
pub fn secret_from(file: Option<&std::path::Path>) -> Result<Option<Vec<u8>>, String> {
    if let Some(f) = file {
        let s =
            std::fs::read(f).map_err(|e| format!("{}: cannot read secret: {e}", f.display()))?;
        let s = s.trim_ascii().to_vec();
        if s.is_empty() {
            return Err(format!("{}: the secret is empty", f.display()));
        }
        return Ok(Some(s));
    }
    match std::env::var("SCHEDLAB_SECRET") {
        Ok(s) if !s.is_empty() => Ok(Some(s.into_bytes())),
        _ => Ok(None),
    }
}
