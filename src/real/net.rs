//! Connections: the listener, authenticated inbound peers, outbound links with back-off.
//!
//! Every node listens on one TCP port. An inbound connection is either HTTP (its first
//! bytes are a request method; see [`super::http`]) or a peer: it must pass the
//! handshake of [`super::auth`] within 5 s, then send frames. A message frame is only
//! accepted if it comes from the authenticated peer's own id and is addressed to this
//! node; `exited` notices never cross the wire (a peer could fake a death). Anything
//! wrong is logged, counted, and ends that connection only.
//!
//! Outbound, a node keeps one link per peer it talks to: it connects, authenticates the
//! peer (which must prove the secret under the expected name), and writes frames in
//! order. While the peer is unreachable its messages are dropped, as a network drops
//! packets (the actors retry as they do under the engine), and the link retries with
//! back-off: 25 ms, doubling, capped at 1 s of wall time.

use super::auth;
use super::frame::{read_frame, write_frame, CtlRequest, Frame, FrameError};
use super::node::{Crash, Deliver, Node, PeerDown, Shared};
use crate::actor::ActorId;
use crate::proto::Msg;
use actix::Addr;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// How long a connecting peer has to complete the handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the body of a frame may take after its length prefix.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
const BACKOFF_MIN: Duration = Duration::from_millis(25);
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Accepts connections until the node dies.
pub async fn serve(listener: TcpListener, sh: Rc<Shared>) {
    let mut down = sh.shutdown.subscribe();
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    sh.counters.borrow_mut().connections_accepted += 1;
                    let _ = stream.set_nodelay(true);
                    actix::spawn(inbound(stream, peer, sh.clone()));
                }
                Err(e) => {
                    sh.warn(&format!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = down.changed() => return,
        }
    }
}

fn reject(sh: &Shared, peer: SocketAddr, who: &str, why: &str) {
    sh.counters.borrow_mut().frames_rejected += 1;
    sh.warn(&format!("rejected frame from {who} ({peer}): {why}"));
}

/// The first bytes of an HTTP request, as opposed to a frame's length prefix (whose
/// value would be over a gigabyte, far above any frame limit).
fn looks_like_http(head: &[u8]) -> bool {
    [&b"GET "[..], b"HEAD", b"POST", b"PUT ", b"DELE", b"OPTI"]
        .iter()
        .any(|m| head.starts_with(m))
}

async fn inbound(stream: TcpStream, peer: SocketAddr, sh: Rc<Shared>) {
    let mut head = [0u8; 4];
    let peeked = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
        loop {
            match stream.peek(&mut head).await {
                Ok(n) if n >= 4 => return true,
                Ok(0) | Err(_) => return false,
                Ok(_) => tokio::time::sleep(Duration::from_millis(2)).await,
            }
        }
    })
    .await;
    if peeked != Ok(true) {
        return;
    }
    if looks_like_http(&head) {
        super::http::serve(stream, sh).await;
        return;
    }
    let (mut rd, mut wr) = stream.into_split();
    let max = sh.cfg.max_frame;
    // Handshake: Hello -> Challenge -> Auth.
    let who = match tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
        let (name, nc) = match read_frame(&mut rd, max, BODY_TIMEOUT).await {
            Ok(Frame::Hello { name, nonce }) => (name, nonce),
            Ok(f) => return Err(format!("expected hello, got {}", frame_kind(&f))),
            Err(e) => return Err(e.to_string()),
        };
        if name != "ctl" && sh.find(&name).is_none() {
            return Err(format!("unknown node name `{name}`"));
        }
        let ns = auth::nonce();
        let mac = auth::server_mac(&sh.cfg.secret, &nc, &ns, &sh.name);
        let challenge = Frame::Challenge {
            name: sh.name.clone(),
            nonce: ns,
            mac,
        };
        write_frame(&mut wr, &challenge)
            .await
            .map_err(|e| e.to_string())?;
        match read_frame(&mut rd, max, BODY_TIMEOUT).await {
            Ok(Frame::Auth { mac })
                if auth::check_client(&sh.cfg.secret, &ns, &nc, &name, &mac) =>
            {
                Ok(name)
            }
            Ok(Frame::Auth { .. }) => Err(format!("`{name}` failed the secret check")),
            Ok(f) => Err(format!("expected auth, got {}", frame_kind(&f))),
            Err(e) => Err(e.to_string()),
        }
    })
    .await
    {
        Ok(Ok(who)) => who,
        Ok(Err(why)) => {
            sh.counters.borrow_mut().peers_refused += 1;
            sh.warn(&format!("refused peer {peer}: {why}"));
            let _ = write_frame(&mut wr, &Frame::Refused { reason: why }).await;
            return;
        }
        Err(_) => {
            sh.counters.borrow_mut().peers_refused += 1;
            sh.warn(&format!("refused peer {peer}: handshake timed out"));
            return;
        }
    };
    if sh.cfg.verbose {
        sh.warn(&format!("accepted `{who}` from {peer}"));
    }
    let peer_id = sh.find(&who);
    let mut down = sh.shutdown.subscribe();
    loop {
        let frame = tokio::select! {
            f = read_frame(&mut rd, max, BODY_TIMEOUT) => f,
            _ = down.changed() => return,
        };
        match frame {
            Ok(Frame::Msg { from, to, msg }) => {
                if peer_id != Some(ActorId(from)) {
                    return reject(
                        &sh,
                        peer,
                        &who,
                        &format!("message claims to be from node {from}"),
                    );
                }
                if to != sh.id.0 {
                    return reject(
                        &sh,
                        peer,
                        &who,
                        &format!("message for node {to}, not this node"),
                    );
                }
                if msg == Msg::Exited {
                    return reject(&sh, peer, &who, "`exited` notices do not cross the wire");
                }
                let node = sh.node.borrow().clone();
                if let Some(node) = node {
                    node.do_send(Deliver {
                        from: ActorId(from),
                        msg,
                    });
                }
            }
            Ok(Frame::Ctl(req)) => {
                let reply = ctl_reply(&sh, req).await;
                if write_frame(&mut wr, &Frame::CtlReply(reply)).await.is_err() {
                    return;
                }
            }
            Ok(f) => {
                return reject(
                    &sh,
                    peer,
                    &who,
                    &format!("unexpected {} frame", frame_kind(&f)),
                )
            }
            Err(FrameError::Closed) => return,
            Err(e) => return reject(&sh, peer, &who, &e.to_string()),
        }
    }
}

fn frame_kind(f: &Frame) -> &'static str {
    match f {
        Frame::Hello { .. } => "hello",
        Frame::Challenge { .. } => "challenge",
        Frame::Auth { .. } => "auth",
        Frame::Refused { .. } => "refused",
        Frame::Msg { .. } => "msg",
        Frame::Ctl(_) => "ctl",
        Frame::CtlReply(_) => "ctl_reply",
    }
}

/// Answers an admin request.
async fn ctl_reply(sh: &Rc<Shared>, req: CtlRequest) -> serde_json::Value {
    match req {
        CtlRequest::Status => super::http::status(sh),
        CtlRequest::KillTask {
            framework,
            job,
            index,
            attempt,
        } => {
            let actor = {
                let slot = sh.actor.borrow();
                let master = slot
                    .as_deref()
                    .and_then(|a| a.as_any().downcast_ref::<crate::mesos::master::Master>());
                match master {
                    None => return serde_json::json!({"error": "not a master"}),
                    Some(m) if !m.is_leading() => {
                        return serde_json::json!({"error": "not the leading master"})
                    }
                    Some(m) => m.frameworks.get(framework as usize).map(|f| f.actor),
                }
            };
            let Some(actor) = actor else {
                return serde_json::json!({"error": format!("no framework {framework}")});
            };
            let task = crate::proto::TaskId {
                job,
                index,
                attempt,
            };
            let node = sh.node.borrow().clone();
            if let Some(node) = node {
                node.do_send(Deliver {
                    from: actor,
                    msg: Msg::Kill { framework, task },
                });
            }
            serde_json::json!({"ok": format!("kill sent for task {job}.{index}.{attempt} of framework {framework}")})
        }
        CtlRequest::MarkGone { agent } => {
            let leading = {
                let slot = sh.actor.borrow();
                slot.as_deref()
                    .and_then(|a| a.as_any().downcast_ref::<crate::mesos::master::Master>())
                    .map(|m| m.is_leading())
            };
            match leading {
                None => return serde_json::json!({"error": "not a master"}),
                Some(false) => return serde_json::json!({"error": "not the leading master"}),
                Some(true) => {}
            }
            let node = sh.node.borrow().clone();
            if let Some(node) = node {
                // From the master itself: its answer comes back to it and is dropped.
                node.do_send(Deliver {
                    from: sh.id,
                    msg: Msg::MarkAgentGone {
                        hostname: agent.clone().into_boxed_str(),
                    },
                });
            }
            serde_json::json!({"ok": format!("mark-gone sent for agent {agent}")})
        }
        CtlRequest::Crash => {
            let node = sh.node.borrow().clone();
            if let Some(node) = node {
                node.do_send(Crash);
            }
            serde_json::json!({"ok": format!("{} crashed", sh.name)})
        }
    }
}

/// Connects to `addr`, proves the secret as `me` and checks that the other side proves
/// it as `expect` (any name if `None`). Returns the stream and the peer's name.
pub async fn connect(
    addr: SocketAddr,
    me: &str,
    expect: Option<&str>,
    secret: &[u8],
    max_frame: usize,
) -> Result<(TcpStream, String), String> {
    let go = async {
        let mut s = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("{addr}: {e}"))?;
        let _ = s.set_nodelay(true);
        let nc = auth::nonce();
        write_frame(
            &mut s,
            &Frame::Hello {
                name: me.to_string(),
                nonce: nc,
            },
        )
        .await
        .map_err(|e| format!("{addr}: {e}"))?;
        let (name, ns, mac) = match read_frame(&mut s, max_frame, BODY_TIMEOUT).await {
            Ok(Frame::Challenge { name, nonce, mac }) => (name, nonce, mac),
            Ok(Frame::Refused { reason }) => return Err(format!("{addr} refused us: {reason}")),
            Ok(f) => {
                return Err(format!(
                    "{addr}: expected a challenge, got {}",
                    frame_kind(&f)
                ))
            }
            Err(e) => return Err(format!("{addr}: {e}")),
        };
        if let Some(want) = expect {
            if name != want {
                return Err(format!("{addr} is `{name}`, not `{want}`"));
            }
        }
        if !auth::check_server(secret, &nc, &ns, &name, &mac) {
            return Err(format!("{addr} (`{name}`) failed the secret check"));
        }
        let proof = auth::client_mac(secret, &ns, &nc, me);
        write_frame(&mut s, &Frame::Auth { mac: proof })
            .await
            .map_err(|e| format!("{addr}: {e}"))?;
        Ok((s, name))
    };
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, go).await {
        Ok(r) => r,
        Err(_) => Err(format!("{addr}: handshake timed out")),
    }
}

/// The outbound link from node `sh` to `peer`: frames from `rx`, in order.
pub async fn link(
    sh: Rc<Shared>,
    peer: ActorId,
    addr: SocketAddr,
    mut rx: mpsc::UnboundedReceiver<Frame>,
    node: Addr<Node>,
) {
    let mut down = sh.shutdown.subscribe();
    let mut backoff = BACKOFF_MIN;
    let expect = sh.names[peer.index()].clone();
    let mut buf = [0u8; 256];
    loop {
        if sh.is_down() {
            return;
        }
        let conn = tokio::select! {
            c = connect(addr, &sh.name, Some(&expect), &sh.cfg.secret, sh.cfg.max_frame) => c,
            _ = down.changed() => return,
        };
        match conn {
            Err(e) => {
                if sh.cfg.verbose {
                    sh.warn(&format!("link to {expect}: {e}"));
                }
                // The peer is unreachable: what was queued for it is lost.
                let mut dropped = 0;
                loop {
                    match rx.try_recv() {
                        Ok(_) => dropped += 1,
                        Err(mpsc::error::TryRecvError::Empty) => break,
                        Err(mpsc::error::TryRecvError::Disconnected) => return,
                    }
                }
                sh.counters.borrow_mut().sends_dropped += dropped;
                node.do_send(PeerDown(peer));
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = down.changed() => return,
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
                sh.counters.borrow_mut().reconnects += 1;
            }
            Ok((stream, _)) => {
                backoff = BACKOFF_MIN;
                let (mut rd, mut wr) = stream.into_split();
                loop {
                    tokio::select! {
                        f = rx.recv() => match f {
                            None => return,
                            Some(f) => if write_frame(&mut wr, &f).await.is_err() { break },
                        },
                        // The peer never writes on this connection but to refuse us; a
                        // read that ends means it closed (its process died).
                        r = rd.read(&mut buf) => if matches!(r, Ok(0) | Err(_)) { break },
                        _ = down.changed() => return,
                    }
                }
                if sh.cfg.verbose {
                    sh.warn(&format!("link to {expect} broke"));
                }
                node.do_send(PeerDown(peer));
            }
        }
    }
}
