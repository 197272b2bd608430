//! `schedlab ctl`: a small admin client for a real-mode node.
//!
//! It authenticates as `ctl` with the cluster's secret, sends one [`CtlRequest`] and
//! prints the JSON answer: `status` (a master's leader flag, agents, frameworks and
//! tasks; an agent's running tasks), `kill-task` (the leading master kills a task as
//! its framework would), `crash` (the node dies at once, as if its process did).

use super::frame::{read_frame, write_frame, CtlRequest, Frame};
use serde_json::Value;
use std::net::SocketAddr;

/// Sends `req` to the node at `addr` and returns its answer.
pub async fn request_async(
    addr: SocketAddr,
    secret: &[u8],
    req: CtlRequest,
) -> Result<Value, String> {
    let max = 64 * super::frame::DEFAULT_MAX_FRAME;
    let (mut s, _) = super::net::connect(addr, "ctl", None, secret, max).await?;
    write_frame(&mut s, &Frame::Ctl(req))
        .await
        .map_err(|e| format!("{addr}: {e}"))?;
    match read_frame(&mut s, max, super::net::BODY_TIMEOUT).await {
        Ok(Frame::CtlReply(v)) => Ok(v),
        Ok(Frame::Refused { reason }) => Err(format!("{addr} refused us: {reason}")),
        Ok(_) => Err(format!("{addr}: unexpected answer")),
        Err(e) => Err(format!("{addr}: {e}")),
    }
}

/// Blocking [`request_async`] on a runtime of its own (for the CLI and tests).
pub fn request(addr: SocketAddr, secret: &[u8], req: CtlRequest) -> Result<Value, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(request_async(addr, secret, req))
}

/// One screen of a `status` answer, for people.
pub fn human(v: &Value) -> String {
    let mut s = format!(
        "{} ({}) at {}{}\n",
        v["name"].as_str().unwrap_or("?"),
        v["role"].as_str().unwrap_or("?"),
        v["addr"].as_str().unwrap_or("?"),
        match v["leading"].as_bool() {
            Some(true) => ", leading",
            Some(false) => ", standby",
            None => "",
        }
    );
    let st = &v["state"];
    if st.is_object() {
        s.push_str("agents:\n");
        for a in st["agents"].as_array().into_iter().flatten() {
            let [name, state, cpus_used, cpus, mem_used, mem, tasks] =
                super::http::agent_columns(a);
            s.push_str(&format!(
                "  {name:<12} {state:<8} cpus {cpus_used}/{cpus} mem {mem_used}/{mem} tasks {tasks}\n"
            ));
        }
        s.push_str("frameworks:\n");
        for f in st["frameworks"].as_array().into_iter().flatten() {
            s.push_str(&format!(
                "  {:<3} {:<12} role {:<10} share {:.3} tasks {}\n",
                f["id"],
                f["name"].as_str().unwrap_or(""),
                f["role"].as_str().unwrap_or(""),
                f["dominant_share"].as_f64().unwrap_or(0.0),
                f["tasks"]
            ));
        }
        s.push_str("tasks:\n");
        for t in st["tasks"].as_array().into_iter().flatten() {
            s.push_str(&format!(
                "  fw {} task {:<12} on {:<12} {}\n",
                t["framework"],
                t["id"].as_str().unwrap_or(""),
                t["agent_name"].as_str().unwrap_or(""),
                t["state"].as_str().unwrap_or("")
            ));
        }
    }
    if let Some(ts) = v["tasks"].as_array() {
        s.push_str(&format!("running tasks: {}\n", ts.len()));
    }
    s.push_str(&format!("counters: {}\n", v["counters"]));
    s
}
