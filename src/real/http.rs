//! The masters' HTTP endpoints, as Mesos serves them, on the node's own port.
//!
//! - `GET /master/state`: JSON of the leader's view: agents (resources, allocation),
//!   frameworks (dominant shares), tasks, and the leader's name and address.
//! - `GET /master/health`: 200 while the master process runs (as in Mesos).
//! - `GET /metrics/snapshot`: flat counters in Mesos' naming (`master/elected`,
//!   `master/tasks_running`, `master/slaves_active`, ...) plus this node's traffic.
//! - `GET /`: a live page of the cluster (agents with their allocation, frameworks
//!   with their dominant shares, tasks, the current leader), refreshed every second.
//!
//! A master that does not lead answers every path but `/master/health` with a
//! `307 Temporary Redirect` to the leader, which it finds by asking the other masters
//! (authenticated, as any peer). A minimal HTTP/1.1 handler: one request per
//! connection, headers up to 8 KiB; enough for browsers, curl and tests.

use super::node::Shared;
use super::topology::Role;
use crate::mesos::master::Master;
use serde_json::{json, Value};
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MAX_HEAD: usize = 8 * 1024;

/// The view `ctl status` prints: the node's role, and a master's state.
pub fn status(sh: &Shared) -> Value {
    let slot = sh.actor.borrow();
    let mut v = json!({
        "name": sh.name,
        "role": sh.role.name(),
        "addr": sh.peers.get(&sh.id).map(|a| a.to_string()),
        "running": slot.is_some(),
        "counters": sh.counters.borrow().clone(),
    });
    if let Some(m) = slot
        .as_deref()
        .and_then(|a| a.as_any().downcast_ref::<Master>())
    {
        v["leading"] = json!(m.is_leading());
        if m.is_leading() {
            v["state"] = state(sh, m);
        }
    }
    if let Some(a) = slot
        .as_deref()
        .and_then(|a| a.as_any().downcast_ref::<crate::mesos::agent::Agent>())
    {
        let running: Vec<Value> = a
            .running()
            .map(|(fw, t)| json!({"framework": fw, "job": t.job, "index": t.index, "attempt": t.attempt}))
            .collect();
        v["tasks"] = json!(running);
    }
    v
}

fn res(r: crate::resources::Resources) -> Value {
    json!({"cpus": r.cpus_f64(), "mem": r.mem, "disk": r.disk, "gpus": r.gpus as f64 / 1000.0})
}

/// `/master/state` of a leading master.
pub fn state(sh: &Shared, m: &Master) -> Value {
    let name = |id: crate::actor::ActorId| sh.names.get(id.index()).cloned().unwrap_or_default();
    let shares: std::collections::BTreeMap<u32, f64> = m.allocator().shares().into_iter().collect();
    let agents: Vec<Value> = m
        .agents
        .iter()
        .enumerate()
        .map(|(i, a)| {
            json!({
                "id": i, "name": name(a.actor), "hostname": a.hostname, "active": !a.removed,
                "resources": res(a.total), "used_resources": res(a.used), "tasks": a.tasks.len(),
            })
        })
        .collect();
    let frameworks: Vec<Value> = m
        .frameworks
        .iter()
        .enumerate()
        .map(|(i, f)| {
            json!({
                "id": i, "name": f.name, "role": f.role, "active": f.active,
                "connected": f.connected,
                "dominant_share": shares.get(&(i as u32)).copied().unwrap_or(0.0),
                "tasks": m.tasks.count_where(|(fw, _), _| *fw == i as u32),
            })
        })
        .collect();
    let tasks: Vec<Value> = m
        .tasks
        .sorted()
        .into_iter()
        .map(|((fw, t), e)| {
            json!({
                "framework": fw,
                "framework_name": m.frameworks.get(*fw as usize).map(|f| f.name.clone()),
                "id": format!("{}.{}.{}", t.job, t.index, t.attempt),
                "job": t.job, "index": t.index, "attempt": t.attempt,
                "agent": e.agent,
                "agent_name": m.agents.get(e.agent as usize).map(|a| name(a.actor)),
                "state": e.state.name(),
                "resources": res(e.resources),
            })
        })
        .collect();
    json!({
        "leader": sh.name,
        "leader_addr": sh.peers.get(&sh.id).map(|a| a.to_string()),
        "masters": masters(sh),
        "time_s": sh.clock.now() as f64 / 1e9,
        "agents": agents,
        "frameworks": frameworks,
        "tasks": tasks,
    })
}

fn masters(sh: &Shared) -> Vec<Value> {
    sh.roles
        .iter()
        .enumerate()
        .filter(|(_, r)| **r == Role::Master)
        .map(|(i, _)| {
            let id = crate::actor::ActorId(i as u32);
            json!({"name": sh.names[i], "addr": sh.peers.get(&id).map(|a| a.to_string())})
        })
        .collect()
}

/// `/metrics/snapshot`: Mesos' names where one exists.
pub fn metrics(sh: &Shared, m: &Master) -> Value {
    use crate::proto::TaskState as S;
    let count = |s: S| m.tasks.count_where(|_, t| t.state == s);
    let (total, used) = (m.total(), m.used());
    let c = sh.counters.borrow();
    let mut v = json!({
        "master/elected": if m.is_leading() { 1 } else { 0 },
        "master/slaves_active": m.agents.iter().filter(|a| !a.removed).count(),
        "master/slaves_inactive": m.agents.iter().filter(|a| a.removed).count(),
        "master/frameworks_active": m.frameworks.iter().filter(|f| f.active).count(),
        "master/frameworks_connected": m.frameworks.iter().filter(|f| f.connected).count(),
        "master/frameworks_disconnected": m.frameworks.iter().filter(|f| !f.connected).count(),
        "master/tasks_staging": count(S::Staging),
        "master/tasks_starting": count(S::Starting),
        "master/tasks_running": count(S::Running),
        "master/tasks_unreachable": count(S::Unreachable),
        "master/outstanding_offers": m.offers.len(),
        "master/cpus_total": total.cpus_f64(),
        "master/cpus_used": used.cpus_f64(),
        "master/cpus_percent": if total.cpus == 0 { 0.0 } else { used.cpus as f64 / total.cpus as f64 },
        "master/mem_total": total.mem,
        "master/mem_used": used.mem,
        "master/mem_percent": if total.mem == 0 { 0.0 } else { used.mem as f64 / total.mem as f64 },
        "master/messages_received": c.delivered,
        "schedlab/frames_sent": c.frames_sent,
        "schedlab/frames_rejected": c.frames_rejected,
        "schedlab/peers_refused": c.peers_refused,
        "schedlab/sends_dropped": c.sends_dropped,
    });
    // The master's counters, under the names `summary.json` uses too (the gauge
    // `master/elected` above says whether it leads now).
    if let (Value::Object(out), Ok(Value::Object(counters))) =
        (&mut v, serde_json::to_value(m.metrics()))
    {
        for (k, c) in counters {
            out.entry(k).or_insert(c);
        }
    }
    v
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What the live page and `schedlab ctl status` show of an agent of `/master/state`:
/// name, active or removed, CPUs used and total, memory used and total, tasks.
pub(crate) fn agent_columns(a: &Value) -> [String; 7] {
    [
        a["name"].as_str().unwrap_or("").to_string(),
        if a["active"] == json!(true) {
            "active"
        } else {
            "removed"
        }
        .to_string(),
        a["used_resources"]["cpus"].to_string(),
        a["resources"]["cpus"].to_string(),
        a["used_resources"]["mem"].to_string(),
        a["resources"]["mem"].to_string(),
        a["tasks"].to_string(),
    ]
}

/// The live page: rendered on the server (so it reads without scripts), then kept up
/// to date by a script polling `/master/state`; when the leader goes away the script
/// tries the other masters and follows whichever leads.
pub fn page(state: &Value) -> String {
    let s = |v: &Value| v.as_str().map(escape).unwrap_or_default();
    let mut agents = String::new();
    for a in state["agents"].as_array().into_iter().flatten() {
        let [name, st, cpus_used, cpus, mem_used, mem, tasks] = agent_columns(a);
        agents.push_str(&format!(
            "<tr><td>{}</td><td>{st}</td><td>{cpus_used} / {cpus}</td><td>{mem_used} / {mem}</td><td>{tasks}</td></tr>",
            escape(&name),
        ));
    }
    let mut fws = String::new();
    for f in state["frameworks"].as_array().into_iter().flatten() {
        fws.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{:.3}</td><td>{}</td></tr>",
            s(&f["name"]),
            s(&f["role"]),
            f["dominant_share"].as_f64().unwrap_or(0.0),
            f["tasks"],
        ));
    }
    let mut tasks = String::new();
    for t in state["tasks"].as_array().into_iter().flatten().take(500) {
        tasks.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            s(&t["framework_name"]),
            s(&t["id"]),
            s(&t["agent_name"]),
            s(&t["state"]),
        ));
    }
    let masters: Vec<String> = state["masters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["addr"].as_str().map(|a| format!("\"{}\"", escape(a))))
        .collect();
    format!(
        r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>schedlab cluster</title>
<style>body{{font-family:sans-serif;margin:1em}}table{{border-collapse:collapse;margin-bottom:1em}}td,th{{border:1px solid #ccc;padding:2px 8px}}</style>
</head><body>
<h1>schedlab cluster</h1>
<p>Leader: <b id="leader">{leader}</b> at <span id="leader-addr">{addr}</span> &middot; <span id="status">live</span></p>
<h2>Agents</h2>
<table><thead><tr><th>agent</th><th>state</th><th>CPUs used / total</th><th>mem used / total (MiB)</th><th>tasks</th></tr></thead><tbody id="agents">{agents}</tbody></table>
<h2>Frameworks</h2>
<table><thead><tr><th>framework</th><th>role</th><th>dominant share</th><th>tasks</th></tr></thead><tbody id="frameworks">{fws}</tbody></table>
<h2>Tasks</h2>
<table><thead><tr><th>framework</th><th>task</th><th>agent</th><th>state</th></tr></thead><tbody id="tasks">{tasks}</tbody></table>
<script>
const masters = [{masters}];
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({{"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}})[c]);
function render(st) {{
  document.getElementById("leader").textContent = st.leader;
  document.getElementById("leader-addr").textContent = st.leader_addr;
  document.getElementById("agents").innerHTML = st.agents.map(a => `<tr><td>${{esc(a.name)}}</td><td>${{a.active ? "active" : "removed"}}</td><td>${{a.used_resources.cpus}} / ${{a.resources.cpus}}</td><td>${{a.used_resources.mem}} / ${{a.resources.mem}}</td><td>${{a.tasks}}</td></tr>`).join("");
  document.getElementById("frameworks").innerHTML = st.frameworks.map(f => `<tr><td>${{esc(f.name)}}</td><td>${{esc(f.role)}}</td><td>${{f.dominant_share.toFixed(3)}}</td><td>${{f.tasks}}</td></tr>`).join("");
  document.getElementById("tasks").innerHTML = st.tasks.slice(0, 500).map(t => `<tr><td>${{esc(t.framework_name)}}</td><td>${{esc(t.id)}}</td><td>${{esc(t.agent_name)}}</td><td>${{esc(t.state)}}</td></tr>`).join("");
  document.getElementById("status").textContent = "live";
}}
async function poll() {{
  for (const base of ["", ...masters.map(a => "http://" + a)]) {{
    try {{
      const r = await fetch(base + "/master/state", {{cache: "no-store"}});
      if (!r.ok) continue;
      const st = await r.json();
      if (base !== "" && st.leader_addr && location.host !== st.leader_addr) {{
        location.href = "http://" + st.leader_addr + "/";
        return;
      }}
      render(st);
      return;
    }} catch (e) {{}}
  }}
  document.getElementById("status").textContent = "leader unreachable; retrying";
}}
setInterval(poll, 1000);
</script>
</body></html>
"#,
        leader = s(&state["leader"]),
        addr = s(&state["leader_addr"]),
        masters = masters.join(","),
    )
}

async fn respond(stream: &mut TcpStream, code: &str, ctype: &str, extra: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {code}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nAccess-Control-Allow-Origin: *\r\nCache-Control: no-store\r\nConnection: close\r\n{extra}\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.flush().await;
}

/// The leader's address, asked of the other masters.
async fn find_leader(sh: &Rc<Shared>) -> Option<String> {
    for (i, r) in sh.roles.iter().enumerate() {
        let id = crate::actor::ActorId(i as u32);
        if *r != Role::Master || id == sh.id {
            continue;
        }
        let addr = *sh.peers.get(&id)?;
        let ask = async {
            let (mut s, _) =
                super::net::connect(addr, &sh.name, None, &sh.cfg.secret, sh.cfg.max_frame)
                    .await
                    .ok()?;
            super::frame::write_frame(
                &mut s,
                &super::frame::Frame::Ctl(super::frame::CtlRequest::Status),
            )
            .await
            .ok()?;
            match super::frame::read_frame(&mut s, sh.cfg.max_frame * 16, super::net::BODY_TIMEOUT)
                .await
            {
                Ok(super::frame::Frame::CtlReply(v)) if v["leading"] == json!(true) => {
                    v["addr"].as_str().map(str::to_string)
                }
                _ => None,
            }
        };
        if let Ok(Some(a)) = tokio::time::timeout(Duration::from_secs(2), ask).await {
            return Some(a);
        }
    }
    None
}

/// Serves one HTTP request on `stream`.
pub async fn serve(mut stream: TcpStream, sh: Rc<Shared>) {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let complete = tokio::time::timeout(Duration::from_secs(5), async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if buf.len() > MAX_HEAD {
                return false;
            }
        }
        true
    })
    .await;
    if complete != Ok(true) {
        respond(
            &mut stream,
            "400 Bad Request",
            "text/plain",
            "",
            b"bad request\n",
        )
        .await;
        return;
    }
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    if method != "GET" && method != "HEAD" {
        respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            "Allow: GET\r\n",
            b"GET only\n",
        )
        .await;
        return;
    }
    enum View {
        NotMaster,
        Standby,
        Leader(Value, Value),
    }
    let view = {
        let slot = sh.actor.borrow();
        match slot
            .as_deref()
            .and_then(|a| a.as_any().downcast_ref::<Master>())
        {
            None => View::NotMaster,
            Some(m) if !m.is_leading() => View::Standby,
            Some(m) => View::Leader(state(&sh, m), metrics(&sh, m)),
        }
    };
    if path == "/master/health" {
        let body = json!({"healthy": !matches!(view, View::NotMaster), "node": sh.name});
        let code = if matches!(view, View::NotMaster) {
            "503 Service Unavailable"
        } else {
            "200 OK"
        };
        respond(
            &mut stream,
            code,
            "application/json",
            "",
            body.to_string().as_bytes(),
        )
        .await;
        return;
    }
    let (state, metrics) = match view {
        View::NotMaster => {
            let body = format!(
                "{} is a {} node; the HTTP endpoints are the masters'\n",
                sh.name,
                sh.role.name()
            );
            respond(
                &mut stream,
                "404 Not Found",
                "text/plain",
                "",
                body.as_bytes(),
            )
            .await;
            return;
        }
        View::Standby => {
            match find_leader(&sh).await {
                Some(a) => {
                    let loc = format!("Location: http://{a}{target}\r\n");
                    respond(
                        &mut stream,
                        "307 Temporary Redirect",
                        "text/plain",
                        &loc,
                        b"not the leader\n",
                    )
                    .await;
                }
                None => {
                    respond(
                        &mut stream,
                        "503 Service Unavailable",
                        "text/plain",
                        "",
                        b"no leading master\n",
                    )
                    .await;
                }
            }
            return;
        }
        View::Leader(s, m) => (s, m),
    };
    match path {
        "/master/state" | "/master/state.json" | "/state.json" => {
            respond(
                &mut stream,
                "200 OK",
                "application/json",
                "",
                state.to_string().as_bytes(),
            )
            .await
        }
        "/metrics/snapshot" => {
            respond(
                &mut stream,
                "200 OK",
                "application/json",
                "",
                metrics.to_string().as_bytes(),
            )
            .await
        }
        "/" | "/index.html" => {
            respond(
                &mut stream,
                "200 OK",
                "text/html; charset=utf-8",
                "",
                page(&state).as_bytes(),
            )
            .await
        }
        _ => {
            respond(
                &mut stream,
                "404 Not Found",
                "text/plain",
                "",
                b"not found\n",
            )
            .await
        }
    }
}
