//! The wire format: length-prefixed serde frames.
//!
//! A frame is a 4-byte big-endian payload length followed by that many bytes of JSON
//! (one [`Frame`]). The length is checked against the node's maximum (default 1 MiB)
//! before anything is read, so an oversized prefix costs nothing; a payload that is
//! cut short, that is not JSON, or that names an unknown frame or message kind is an
//! error of its own kind ([`FrameError`]). JSON keeps frames readable in a packet dump
//! and reuses the serde derives the messages already have.

use crate::proto::Msg;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Default largest payload: 1 MiB (an offer batch of thousands of agents fits).
pub const DEFAULT_MAX_FRAME: usize = 1 << 20;

/// Everything that travels between nodes, and between `ctl` and a node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frame {
    /// Client -> server: who I claim to be, and my nonce.
    Hello { name: String, nonce: [u8; 16] },
    /// Server -> client: who I am, my nonce, and my proof of the secret.
    Challenge {
        name: String,
        nonce: [u8; 16],
        mac: Vec<u8>,
    },
    /// Client -> server: my proof of the secret.
    Auth { mac: Vec<u8> },
    /// Server -> client: the handshake failed (then the connection closes).
    Refused { reason: String },
    /// A protocol message between two actors (ids of the scenario's topology).
    Msg { from: u32, to: u32, msg: Msg },
    /// An admin request (from `schedlab ctl`).
    Ctl(CtlRequest),
    /// The answer to a [`Frame::Ctl`].
    CtlReply(serde_json::Value),
}

/// What `schedlab ctl` can ask a node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CtlRequest {
    /// The node's view: role, and for a master whether it leads, its agents,
    /// frameworks and tasks.
    Status,
    /// Master: kill a task as its framework would (`KILL`).
    KillTask {
        framework: u32,
        job: u64,
        index: u32,
        attempt: u32,
    },
    /// The node stops at once, as if its process died.
    Crash,
    /// Leading master: mark the agent of this hostname gone (MARK_AGENT_GONE).
    MarkGone { agent: String },
}

/// Why a frame was rejected.
#[derive(Clone, Debug, PartialEq)]
pub enum FrameError {
    /// The peer closed the connection between frames (not an error of the peer).
    Closed,
    /// The connection ended (or stalled) inside a frame.
    Truncated,
    /// The length prefix exceeds the maximum.
    Oversized {
        len: usize,
        max: usize,
    },
    /// A frame or message kind this node does not know.
    UnknownKind(String),
    /// Not a frame at all.
    Garbage(String),
    Io(String),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Closed => write!(f, "connection closed"),
            FrameError::Truncated => write!(f, "truncated frame"),
            FrameError::Oversized { len, max } => {
                write!(f, "oversized frame: {len} bytes > limit {max}")
            }
            FrameError::UnknownKind(e) => write!(f, "unknown frame or message kind: {e}"),
            FrameError::Garbage(e) => write!(f, "garbage frame: {e}"),
            FrameError::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

/// The bytes of one frame: length prefix and JSON payload.
pub fn encode(frame: &Frame) -> Vec<u8> {
    let body = serde_json::to_vec(frame).expect("frames serialize");
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// Decodes one payload (without its length prefix).
pub fn decode(payload: &[u8]) -> Result<Frame, FrameError> {
    serde_json::from_slice(payload).map_err(|e| {
        let s = e.to_string();
        if s.contains("unknown variant") {
            FrameError::UnknownKind(s)
        } else {
            FrameError::Garbage(s)
        }
    })
}

/// Reads one frame; the body must arrive within `body_timeout` of its prefix.
pub async fn read_frame<R: AsyncRead + Unpin>(
    r: &mut R,
    max: usize,
    body_timeout: std::time::Duration,
) -> Result<Frame, FrameError> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut len[got..]).await {
            Ok(0) if got == 0 => return Err(FrameError::Closed),
            Ok(0) => return Err(FrameError::Truncated),
            Ok(n) => got += n,
            Err(e) => return Err(FrameError::Io(e.to_string())),
        }
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(FrameError::Oversized { len, max });
    }
    let mut body = vec![0u8; len];
    match tokio::time::timeout(body_timeout, r.read_exact(&mut body)).await {
        Err(_) => return Err(FrameError::Truncated),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(FrameError::Truncated)
        }
        Ok(Err(e)) => return Err(FrameError::Io(e.to_string())),
        Ok(Ok(_)) => {}
    }
    decode(&body)
}

/// Writes one frame.
pub async fn write_frame<W: AsyncWrite + Unpin>(w: &mut W, frame: &Frame) -> std::io::Result<()> {
    w.write_all(&encode(frame)).await?;
    w.flush().await
}
