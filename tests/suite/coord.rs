//! The coordination service as its users meet it: a 3- or 5-server ensemble, clients
//! embedded in test actors, leader election among candidates, crashes and partitions.
//!
//! Links between servers reorder messages (log-normal latency, not FIFO) to exercise
//! Zab's buffering and resends; client links are FIFO, as a TCP connection is.

use schedlab::actor::{Actor, ActorId, Ctx, Time, TimerId, MS, SEC};
use schedlab::coord::{
    add_ensemble, CoordClient, CoordError, CoordEvent, CoordServer, Election, ElectionEvent,
    LeaderDetector, Op, OpResult, ReqId, ServerConfig, WatchKind, DEFAULT_SESSION_TIMEOUT,
};
use schedlab::proto::{Mesos, Msg, Timer};
use schedlab::sim::fault::Fault;
use schedlab::sim::net::{Latency, LinkModel};
use schedlab::sim::{Sim, SimConfig};
use std::collections::BTreeMap;

const T: Time = DEFAULT_SESSION_TIMEOUT;

/// A test actor: one client, optionally a candidate and/or a detector, and a script
/// of operations at fixed times (labelled, to find their answers).
struct Node {
    client: CoordClient,
    election: Option<Election>,
    detector: Option<LeaderDetector>,
    script: Vec<(Time, &'static str, Op)>,
    next: usize,
    events: Vec<(Time, CoordEvent)>,
    elections: Vec<(Time, ElectionEvent)>,
    detected: Vec<(Time, Option<Vec<u8>>)>,
    reqs: BTreeMap<&'static str, ReqId>,
    replies: BTreeMap<ReqId, (Time, Result<OpResult, CoordError>)>,
}

impl Node {
    fn new(servers: &[ActorId]) -> Node {
        Node {
            client: CoordClient::new(servers.to_vec(), T),
            election: None,
            detector: None,
            script: Vec::new(),
            next: 0,
            events: Vec::new(),
            elections: Vec::new(),
            detected: Vec::new(),
            reqs: BTreeMap::new(),
            replies: BTreeMap::new(),
        }
    }

    fn reply(&self, label: &str) -> Option<&Result<OpResult, CoordError>> {
        self.reqs
            .get(label)
            .and_then(|r| self.replies.get(r))
            .map(|(_, r)| r)
    }

    fn is_leader(&self) -> bool {
        self.election.as_ref().is_some_and(|e| e.is_leader())
    }

    fn watches_between(&self, from: Time, to: Time) -> usize {
        self.events
            .iter()
            .filter(|(t, e)| *t >= from && *t < to && matches!(e, CoordEvent::Watch(_)))
            .count()
    }

    fn count(&self, f: impl Fn(&CoordEvent) -> bool) -> usize {
        self.events.iter().filter(|(_, e)| f(e)).count()
    }

    fn feed(&mut self, ctx: &mut Ctx<Mesos>, evs: Vec<CoordEvent>) {
        let now = ctx.now();
        for ev in evs {
            if let CoordEvent::Reply { req, result } = &ev {
                self.replies.insert(*req, (now, result.clone()));
            }
            if let Some(e) = self.election.as_mut() {
                for out in e.handle(&mut self.client, ctx, &ev) {
                    self.elections.push((now, out));
                }
            }
            if let Some(d) = self.detector.as_mut() {
                for out in d.handle(&mut self.client, ctx, &ev) {
                    if let ElectionEvent::LeaderIs(data) = out {
                        self.detected.push((now, data));
                    }
                }
            }
            self.events.push((now, ev));
        }
    }

    fn arm(&mut self, ctx: &mut Ctx<Mesos>) {
        if let Some((t, _, _)) = self.script.get(self.next) {
            ctx.set_timer(t.saturating_sub(ctx.now()), Timer::NextJob);
        }
    }
}

impl Actor<Mesos> for Node {
    fn on_start(&mut self, ctx: &mut Ctx<Mesos>) {
        self.client.start(ctx);
        // A restarted incarnation does not replay what its predecessor already did.
        self.next = self.script.partition_point(|(t, _, _)| *t < ctx.now());
        self.arm(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Mesos>, from: ActorId, msg: Msg) {
        if let Msg::Coord(m) = msg {
            let evs = self.client.on_message(ctx, from, m);
            self.feed(ctx, evs);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Mesos>, _: TimerId, timer: Timer) {
        match timer {
            Timer::Coord(t) => {
                let now = ctx.now();
                if let Some(e) = self.election.as_mut() {
                    for out in e.on_timer(&mut self.client, ctx, &t) {
                        self.elections.push((now, out));
                    }
                }
                if let Some(d) = self.detector.as_mut() {
                    for out in d.on_timer(&mut self.client, ctx, &t) {
                        if let ElectionEvent::LeaderIs(data) = out {
                            self.detected.push((now, data));
                        }
                    }
                }
                let evs = self.client.on_timer(ctx, t);
                self.feed(ctx, evs);
            }
            Timer::NextJob => {
                while let Some((t, label, op)) = self.script.get(self.next).cloned() {
                    if t > ctx.now() {
                        break;
                    }
                    let r = self.client.request(ctx, op);
                    self.reqs.insert(label, r);
                    self.next += 1;
                }
                self.arm(ctx);
            }
            _ => {}
        }
    }
}

fn ensemble(seed: u64, n: usize) -> (Sim<Mesos>, Vec<ActorId>) {
    let mut sim: Sim<Mesos> = Sim::new(SimConfig {
        seed,
        record_log: std::env::var("CHAOS_DEBUG").is_ok(),
        ..Default::default()
    });
    let lognormal = Latency::LogNormal {
        mean: MS,
        std: MS / 2,
    };
    sim.net_mut().set_default(LinkModel {
        latency: lognormal.clone(),
        fifo: true,
        ..Default::default()
    });
    let zk = sim.net_mut().group("zk");
    sim.net_mut().set_link(
        zk,
        zk,
        LinkModel {
            latency: lognormal,
            fifo: false,
            ..Default::default()
        },
    );
    let servers = add_ensemble(&mut sim, "zk", n, zk, ServerConfig::default());
    (sim, servers)
}

fn add_node(
    sim: &mut Sim<Mesos>,
    name: &str,
    start: Time,
    make: impl Fn() -> Node + 'static,
) -> ActorId {
    let g = sim.net_mut().group("clients");
    sim.add_actor_at(name, g, start, make)
}

fn node(sim: &Sim<Mesos>, id: ActorId) -> &Node {
    sim.actor::<Node>(id).expect("node alive")
}

fn server(sim: &Sim<Mesos>, id: ActorId) -> &CoordServer {
    sim.actor::<CoordServer>(id).expect("server alive")
}

fn ensemble_leader(sim: &Sim<Mesos>, servers: &[ActorId]) -> Option<ActorId> {
    let leaders: Vec<ActorId> = servers
        .iter()
        .copied()
        .filter(|s| sim.actor::<CoordServer>(*s).is_some_and(|s| s.is_leader()))
        .collect();
    assert!(
        leaders.len() <= 1,
        "two active ensemble leaders: {leaders:?}"
    );
    leaders.first().copied()
}

fn leaders(sim: &Sim<Mesos>, cands: &[ActorId]) -> Vec<ActorId> {
    cands
        .iter()
        .copied()
        .filter(|c| sim.actor::<Node>(*c).is_some_and(|n| n.is_leader()))
        .collect()
}

/// Leadership as Mesos' contender on `zookeeper::Group` keeps it: at most one leading
/// candidate is connected to the ensemble, and one that leads while cut off steps down
/// at most one session timeout after it noticed (the group's local timer).
fn check_leaders(sim: &Sim<Mesos>, cands: &[ActorId]) {
    let now = sim.now();
    let mut connected = Vec::new();
    for c in leaders(sim, cands) {
        let n = node(sim, c);
        match n.election.as_ref().and_then(|e| e.cut_off_since()) {
            Some(since) => assert!(
                now <= since + n.client.session_timeout(),
                "{} leads {} ns after it was cut off",
                sim.name(c),
                now - since
            ),
            None => connected.push(sim.name(c)),
        }
    }
    assert!(
        connected.len() <= 1,
        "two connected leaders at {now} ns: {connected:?}"
    );
}

/// Steps to `until`, checking leadership after every event ([`check_leaders`]).
fn run_checked(sim: &mut Sim<Mesos>, cands: &[ActorId], until: Time) {
    while sim.peek_time().is_some_and(|t| t <= until) {
        sim.step();
        check_leaders(sim, cands);
    }
    sim.advance_to(until);
}

/// Steps until `cond` holds (checking leaders as `run_checked`) or `deadline`.
fn run_until(
    sim: &mut Sim<Mesos>,
    cands: &[ActorId],
    deadline: Time,
    cond: impl Fn(&Sim<Mesos>) -> bool,
) -> Option<Time> {
    while sim.peek_time().is_some_and(|t| t <= deadline) {
        sim.step();
        check_leaders(sim, cands);
        if cond(sim) {
            return Some(sim.now());
        }
    }
    None
}

/// Live candidates in election order (by their znode's sequence number).
fn election_order(sim: &Sim<Mesos>, cands: &[ActorId]) -> Vec<ActorId> {
    let mut v: Vec<(String, ActorId)> = cands
        .iter()
        .filter_map(|c| {
            let n = sim.actor::<Node>(*c)?;
            let name = n.election.as_ref()?.node()?;
            Some((name[name.len() - 10..].to_string(), *c))
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, c)| c).collect()
}

fn candidate(servers: &[ActorId], name: &str) -> Node {
    let mut n = Node::new(servers);
    n.election = Some(Election::new("/election", name.as_bytes().to_vec()));
    n
}

struct ElectionRun {
    /// Crash of the leading candidate -> its successor elected.
    failovers: Vec<Time>,
    /// Watch notifications delivered to candidates per leader change.
    wakeups: Vec<usize>,
    fingerprint: u64,
}

/// Five candidates on three servers; the leading candidate crashes `rounds` times
/// (restarting 20 s later, to rejoin at the end of the line).
fn election_run(seed: u64, rounds: usize) -> ElectionRun {
    let (mut sim, servers) = ensemble(seed, 3);
    let cands: Vec<ActorId> = (0..5)
        .map(|i| {
            let s = servers.clone();
            let name = format!("c{i}");
            let n2 = name.clone();
            add_node(&mut sim, &name, SEC + i * 500 * MS, move || {
                candidate(&s, &n2)
            })
        })
        .collect();
    run_checked(&mut sim, &cands, 15 * SEC);
    let mut out = ElectionRun {
        failovers: Vec::new(),
        wakeups: Vec::new(),
        fingerprint: 0,
    };
    for round in 0..rounds {
        let order = election_order(&sim, &cands);
        assert_eq!(order.len(), 5, "round {round}: every candidate has a node");
        let (leader, successor) = (order[0], order[1]);
        assert_eq!(
            leaders(&sim, &cands),
            vec![leader],
            "round {round}: the first leads"
        );
        let crash = sim.now() + 1;
        let name = sim.name(leader).to_string();
        sim.schedule_fault(&Fault::crash(crash, &name, Some(20 * SEC)))
            .unwrap();
        let elected = run_until(&mut sim, &cands, crash + 3 * T, |s| {
            !leaders(s, &cands).is_empty()
        })
        .unwrap_or_else(|| panic!("round {round}: no new leader within 3 session timeouts"));
        assert_eq!(
            leaders(&sim, &cands),
            vec![successor],
            "round {round}: exactly the successor of {name} leads"
        );
        out.failovers.push(elected - crash);
        run_checked(&mut sim, &cands, crash + 25 * SEC);
        let woken: usize = cands
            .iter()
            .filter_map(|c| sim.actor::<Node>(*c))
            .map(|n| n.watches_between(crash, sim.now() + 1))
            .sum();
        out.wakeups.push(woken);
    }
    out.fingerprint = sim.fingerprint();
    out
}

#[test]
fn election_successor_takes_over_each_time_never_two_leaders() {
    let run = election_run(7, 4);
    eprintln!(
        "failover times (ms): {:?}",
        run.failovers.iter().map(|f| f / MS).collect::<Vec<_>>()
    );
    for (i, f) in run.failovers.iter().enumerate() {
        // The crashed leader's last ping was at most a third of a timeout before the
        // crash; expiry is checked every half tick (1 s); then commit, watch, listing.
        assert!(
            *f >= T * 2 / 3,
            "round {i}: failover {f} ns is faster than expiry allows"
        );
        assert!(*f <= T + 1_500 * MS, "round {i}: failover took {f} ns");
    }
}

#[test]
fn only_the_successor_is_woken() {
    let run = election_run(11, 4);
    assert_eq!(
        run.wakeups,
        vec![1; 4],
        "watch notifications per leader change"
    );
}

/// Mesos' `GroupProcess::reconnecting` (`src/zookeeper/group.cpp`): a candidate cut
/// off from the ensemble keeps its candidacy until a local timer of the negotiated
/// session timeout, started when its client noticed the disconnection, fires; the
/// ensemble meanwhile expires the session and elects the successor, so the two overlap
/// (the "prolonged split-brain" the timer bounds).
#[test]
fn a_partitioned_leader_steps_down_one_session_timeout_after_it_was_cut_off() {
    let (mut sim, servers) = ensemble(3, 3);
    let cands: Vec<ActorId> = (0..3)
        .map(|i| {
            let s = servers.clone();
            let name = format!("c{i}");
            let n2 = name.clone();
            add_node(&mut sim, &name, SEC + i * 500 * MS, move || {
                candidate(&s, &n2)
            })
        })
        .collect();
    run_checked(&mut sim, &cands, 15 * SEC);
    let order = election_order(&sim, &cands);
    let (old, successor) = (order[0], order[1]);
    assert!(node(&sim, old).is_leader());
    // The old leader is alive but cut off from every server for a minute.
    let cut = sim.now() + 1;
    let name = sim.name(old).to_string();
    sim.schedule_fault(&Fault::partition(
        cut,
        Some(cut + 60 * SEC),
        &[&name],
        &["zk*"],
    ))
    .unwrap();
    let elected = run_until(&mut sim, &cands, cut + 3 * T, |s| {
        node(s, successor).is_leader()
    })
    .expect("the successor is elected");
    run_checked(&mut sim, &cands, cut + 3 * T);
    let o = node(&sim, old);
    let noticed = o
        .events
        .iter()
        .find(|(t, e)| *t >= cut && *e == CoordEvent::Disconnected)
        .map(|(t, _)| *t)
        .expect("the client noticed the disconnection");
    let stepped_down = o
        .elections
        .iter()
        .find(|(t, e)| *t >= cut && *e == ElectionEvent::NotLeader)
        .map(|(t, _)| *t)
        .expect("the cut-off leader stepped down");
    // The client notices silence at a ping (every T/3) once 2T/3 passed without answer.
    assert!(
        noticed >= cut + T * 2 / 3 - T / 3 && noticed <= cut + T,
        "{noticed}"
    );
    assert_eq!(
        stepped_down,
        noticed + T,
        "exactly one session timeout later"
    );
    assert!(
        elected < stepped_down,
        "the ensemble expired the session and elected the successor ({elected}) \
         before the local timer fired ({stepped_down})"
    );
    assert_eq!(
        o.count(|e| *e == CoordEvent::SessionExpired),
        0,
        "the client itself never declares the session expired"
    );
    // After the heal the old candidate, on a new session, waits at the back.
    run_checked(&mut sim, &cands, cut + 90 * SEC);
    assert!(!node(&sim, old).is_leader() && node(&sim, successor).is_leader());
    assert_eq!(election_order(&sim, &cands).last(), Some(&old));
}

/// ZooKeeper's clients (the C client Mesos links: `handle_error` ->
/// `cleanup_bufs(zh, 1, ZCONNECTIONLOSS)`) fail a request made while disconnected with
/// CONNECTIONLOSS when the connection attempt fails, instead of holding it until a
/// connection comes back; the session is not declared expired by the client.
#[test]
fn a_request_made_while_cut_off_fails_with_connection_loss_at_the_failed_attempt() {
    let (mut sim, servers) = ensemble(5, 3);
    let s = servers.clone();
    let n = add_node(&mut sim, "client", SEC, move || {
        let mut n = Node::new(&s);
        n.script = vec![(20 * SEC, "late", create("/late", false, false))];
        n
    });
    sim.schedule_fault(&Fault::partition(
        5 * SEC,
        Some(60 * SEC),
        &["client"],
        &["zk*"],
    ))
    .unwrap();
    run_checked(&mut sim, &[], 90 * SEC);
    let c = node(&sim, n);
    let (at, result) = c.replies[&c.reqs["late"]].clone();
    assert_eq!(result, Err(CoordError::ConnectionLoss));
    // One connection attempt waits T / (servers) before giving up (plus a back-off
    // of at most T/10 after a whole round).
    assert!(
        at > 20 * SEC && at <= 20 * SEC + T / 3 + T / 10,
        "failed at {at}, long before the partition healed"
    );
    assert!(
        sim.actor::<CoordServer>(servers[0])
            .is_some_and(|s| s.tree().get("/late").is_none()),
        "never applied"
    );
    assert_eq!(
        c.count(|e| *e == CoordEvent::SessionExpired),
        1,
        "learnt on reconnection"
    );
}

/// Mesos' detector on `zookeeper::Group`: cut off, it keeps the last leader until the
/// group's local timer expires the session, then reports no leader
/// (`GroupProcess::expired` empties the memberships), and finds the leader again
/// once it reconnects.
#[test]
fn a_cut_off_detector_reports_no_leader_one_session_timeout_after_it_noticed() {
    let (mut sim, servers) = ensemble(9, 3);
    let s = servers.clone();
    let det = add_node(&mut sim, "detector", SEC, move || {
        let mut n = Node::new(&s);
        n.detector = Some(LeaderDetector::new("/election"));
        n
    });
    let s = servers.clone();
    let c = add_node(&mut sim, "c0", 2 * SEC, move || candidate(&s, "c0"));
    run_checked(&mut sim, &[c], 15 * SEC);
    sim.schedule_fault(&Fault::partition(
        16 * SEC,
        Some(60 * SEC),
        &["detector"],
        &["zk*"],
    ))
    .unwrap();
    run_checked(&mut sim, &[c], 90 * SEC);
    let d = node(&sim, det);
    let noticed = d
        .events
        .iter()
        .find(|(t, e)| *t >= 16 * SEC && *e == CoordEvent::Disconnected)
        .map(|(t, _)| *t)
        .expect("noticed");
    let seen: Vec<(Time, Option<Vec<u8>>)> = d.detected.clone();
    let c0 = Some(b"c0".to_vec());
    assert_eq!(
        seen.iter().map(|(_, x)| x.clone()).collect::<Vec<_>>(),
        vec![None, c0.clone(), None, c0],
        "{seen:?}"
    );
    assert_eq!(
        seen[2].0,
        noticed + T,
        "no leader exactly one session timeout later"
    );
    assert!(seen[3].0 >= 60 * SEC, "the leader again once reconnected");
}

fn create(path: &str, ephemeral: bool, sequential: bool) -> Op {
    Op::Create {
        path: path.to_string(),
        data: b"d".to_vec(),
        ephemeral,
        sequential,
    }
}

#[test]
fn session_expiry_deletes_ephemerals_and_fires_their_watches() {
    let (mut sim, servers) = ensemble(5, 3);
    let s = servers.clone();
    let owner = add_node(&mut sim, "owner", SEC, move || {
        let mut n = Node::new(&s);
        n.script = vec![
            (3 * SEC, "app", create("/app", false, false)),
            (3 * SEC + 100 * MS, "eph", create("/app/eph", true, false)),
            (3 * SEC + 200 * MS, "seq", create("/app/s-", true, true)),
            (3 * SEC + 300 * MS, "seq2", create("/app/s-", true, true)),
        ];
        n
    });
    let s = servers.clone();
    let watcher = add_node(&mut sim, "watcher", SEC, move || {
        let mut n = Node::new(&s);
        n.script = vec![
            (
                5 * SEC,
                "exists",
                Op::Exists {
                    path: "/app/eph".into(),
                    watch: true,
                },
            ),
            (
                5 * SEC,
                "children",
                Op::GetChildren {
                    path: "/app".into(),
                    watch: true,
                },
            ),
            (
                40 * SEC,
                "after",
                Op::GetChildren {
                    path: "/app".into(),
                    watch: false,
                },
            ),
        ];
        n
    });
    sim.schedule_fault(&Fault::crash(6 * SEC, "owner", None))
        .unwrap();
    run_checked(&mut sim, &[], 6 * SEC - 1);
    let o = node(&sim, owner);
    assert!(matches!(o.reply("seq"), Some(Ok(OpResult::Created(p))) if p == "/app/s-0000000001"));
    assert!(matches!(o.reply("seq2"), Some(Ok(OpResult::Created(p))) if p == "/app/s-0000000002"));
    let w = node(&sim, watcher);
    assert!(matches!(w.reply("children"), Some(Ok(OpResult::Children(c))) if c.len() == 3));
    run_checked(&mut sim, &[], 60 * SEC);
    let w = node(&sim, watcher);
    let fired: Vec<(Time, WatchKind, String)> = w
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            CoordEvent::Watch(ev) => Some((*t, ev.kind, ev.path.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(fired.len(), 2, "one event per watch, one-shot: {fired:?}");
    assert!(fired
        .iter()
        .any(|(_, k, p)| *k == WatchKind::NodeDeleted && p == "/app/eph"));
    assert!(fired
        .iter()
        .any(|(_, k, p)| *k == WatchKind::NodeChildrenChanged && p == "/app"));
    for (t, _, _) in &fired {
        assert!(
            *t > 6 * SEC + T * 2 / 3 && *t < 6 * SEC + T + 1_500 * MS,
            "deleted at {t} ns: about a session timeout after the crash"
        );
    }
    assert!(
        matches!(w.reply("after"), Some(Ok(OpResult::Children(c))) if c.is_empty()),
        "the persistent parent stays, its ephemeral children are gone: {:?}",
        w.reply("after")
    );
    for s in &servers {
        let tree = server(&sim, *s).tree();
        assert!(tree.get("/app").is_some() && tree.get("/app/eph").is_none());
    }
}

#[test]
fn a_heartbeating_client_keeps_its_ephemerals_for_ten_minutes_even_across_a_server_crash() {
    let (mut sim, servers) = ensemble(9, 3);
    let s = servers.clone();
    let owner = add_node(&mut sim, "owner", SEC, move || {
        let mut n = Node::new(&s);
        n.script = vec![(3 * SEC, "eph", create("/lease", true, false))];
        n
    });
    run_checked(&mut sim, &[], 300 * SEC);
    let session = node(&sim, owner).client.session().expect("session");
    // Kill the server the client talks to; it must move to another with its session.
    let its_server = node(&sim, owner).client.server();
    let name = sim.name(its_server).to_string();
    sim.schedule_fault(&Fault::crash(sim.now() + 1, &name, Some(60 * SEC)))
        .unwrap();
    run_checked(&mut sim, &[], 600 * SEC);
    let o = node(&sim, owner);
    assert_eq!(o.client.session(), Some(session), "same session throughout");
    assert_ne!(o.client.server(), its_server, "moved to another server");
    assert_eq!(o.count(|e| *e == CoordEvent::SessionExpired), 0);
    assert!(o.count(|e| matches!(e, CoordEvent::Connected { renewed: true, .. })) >= 1);
    for s in &servers {
        let tree = server(&sim, *s).tree();
        let n = tree.get("/lease").expect("ephemeral still there");
        assert_eq!(n.stat.ephemeral_owner, Some(session));
    }
}

/// A writer that creates `/d/k{i}` for `i` in `range` from `at`, 50 ms apart.
fn writes(at: Time, range: std::ops::Range<u32>) -> Vec<(Time, &'static str, Op)> {
    range
        .map(|i| {
            let label: &'static str = Box::leak(format!("k{i}").into_boxed_str());
            (
                at + i as Time * 50 * MS,
                label,
                create(&format!("/d/k{i}"), false, false),
            )
        })
        .collect()
}

fn survive_minority_loss(n: usize, extra_crashes: usize) {
    let (mut sim, servers) = ensemble(21, n);
    let s = servers.clone();
    let writer = add_node(&mut sim, "writer", SEC, move || {
        let mut w = Node::new(&s);
        w.script = vec![(3 * SEC, "d", create("/d", false, false))];
        w.script.extend(writes(4 * SEC, 0..10));
        w.script.extend(writes(40 * SEC - 500 * MS, 10..20));
        w.script.push((
            80 * SEC,
            "list",
            Op::GetChildren {
                path: "/d".into(),
                watch: false,
            },
        ));
        w
    });
    run_checked(&mut sim, &[], 10 * SEC);
    let old = ensemble_leader(&sim, &servers).expect("an ensemble leader");
    let old_epoch = server(&sim, old).epoch();
    let mut victims = vec![old];
    victims.extend(
        servers
            .iter()
            .copied()
            .filter(|s| *s != old)
            .take(extra_crashes),
    );
    for v in &victims {
        let name = sim.name(*v).to_string();
        sim.schedule_fault(&Fault::crash(sim.now() + 1, &name, None))
            .unwrap();
    }
    run_checked(&mut sim, &[], 90 * SEC);
    let new = ensemble_leader(&sim, &servers).expect("a new ensemble leader");
    assert!(!victims.contains(&new));
    assert!(server(&sim, new).epoch() > old_epoch, "a new epoch");
    let w = node(&sim, writer);
    for i in 0..20 {
        let label = format!("k{i}");
        assert!(
            matches!(w.reply(&label), Some(Ok(OpResult::Created(_)))),
            "write {label}: {:?}",
            w.reply(&label)
        );
    }
    assert!(matches!(w.reply("list"), Some(Ok(OpResult::Children(c))) if c.len() == 20));
    for s in servers.iter().filter(|s| !victims.contains(s)) {
        let tree = server(&sim, *s).tree();
        assert!((0..20).all(|i| tree.get(&format!("/d/k{i}")).is_some()));
    }
}

#[test]
fn writes_survive_losing_one_of_three_servers_including_the_leader() {
    survive_minority_loss(3, 0);
}

#[test]
fn writes_survive_losing_two_of_five_servers_including_the_leader() {
    survive_minority_loss(5, 1);
}

#[test]
fn without_a_majority_writes_are_never_acknowledged() {
    let (mut sim, servers) = ensemble(4, 3);
    let s = servers.clone();
    let writer = add_node(&mut sim, "writer", SEC, move || {
        let mut w = Node::new(&s);
        w.script = vec![
            (3 * SEC, "before", create("/before", false, false)),
            (12 * SEC, "x", create("/x", false, false)),
            (13 * SEC, "y", create("/y", false, false)),
        ];
        w
    });
    run_checked(&mut sim, &[], 10 * SEC);
    // Keep the ensemble leader, crash both followers: the leader still takes the write
    // but can not commit it, and steps down.
    let leader = ensemble_leader(&sim, &servers).expect("leader");
    for f in servers.iter().filter(|s| **s != leader) {
        let name = sim.name(*f).to_string();
        sim.schedule_fault(&Fault::crash(sim.now() + 1, &name, None))
            .unwrap();
    }
    run_checked(&mut sim, &[], 60 * SEC);
    let w = node(&sim, writer);
    assert!(matches!(w.reply("before"), Some(Ok(_))));
    for label in ["x", "y"] {
        assert!(
            !matches!(w.reply(label), Some(Ok(_))),
            "write {label} acknowledged without a majority"
        );
    }
    assert!(
        matches!(w.reply("x"), Some(Err(CoordError::ConnectionLoss))),
        "{:?}",
        w.reply("x")
    );
    assert!(w.count(|e| *e == CoordEvent::Disconnected) >= 1);
    assert!(ensemble_leader(&sim, &servers).is_none());
    let tree = server(&sim, leader).tree();
    assert!(tree.get("/x").is_none() && tree.get("/before").is_some());
}

#[test]
fn committed_data_survives_a_whole_ensemble_restart() {
    let (mut sim, servers) = ensemble(6, 3);
    let s = servers.clone();
    let writer = add_node(&mut sim, "writer", SEC, move || {
        let mut w = Node::new(&s);
        w.script = vec![(3 * SEC, "d", create("/d", false, false))];
        w.script.extend(writes(4 * SEC, 0..5));
        w.script.push((
            60 * SEC,
            "list",
            Op::GetChildren {
                path: "/d".into(),
                watch: false,
            },
        ));
        w
    });
    sim.schedule_fault(&Fault::crash(10 * SEC, "zk*", Some(5 * SEC)))
        .unwrap();
    run_checked(&mut sim, &[], 70 * SEC);
    let w = node(&sim, writer);
    assert!(
        matches!(w.reply("list"), Some(Ok(OpResult::Children(c))) if c.len() == 5),
        "{:?}",
        w.reply("list")
    );
    // The session outlived the outage: a new leader restarts every countdown.
    assert_eq!(w.count(|e| *e == CoordEvent::SessionExpired), 0);
    assert!(ensemble_leader(&sim, &servers).is_some());
}

#[test]
fn the_detector_follows_the_leader() {
    let (mut sim, servers) = ensemble(8, 3);
    let s = servers.clone();
    let det = add_node(&mut sim, "detector", SEC, move || {
        let mut n = Node::new(&s);
        n.detector = Some(LeaderDetector::new("/election"));
        n
    });
    let cands: Vec<ActorId> = (0..3)
        .map(|i| {
            let s = servers.clone();
            let name = format!("c{i}");
            let n2 = name.clone();
            add_node(&mut sim, &name, 5 * SEC + i * 500 * MS, move || {
                candidate(&s, &n2)
            })
        })
        .collect();
    run_checked(&mut sim, &cands, 20 * SEC);
    let first = election_order(&sim, &cands);
    let name = sim.name(first[0]).to_string();
    sim.schedule_fault(&Fault::crash(sim.now() + 1, &name, None))
        .unwrap();
    run_checked(&mut sim, &cands, 40 * SEC);
    let d = node(&sim, det);
    let seen: Vec<Option<Vec<u8>>> = d.detected.iter().map(|(_, x)| x.clone()).collect();
    let second = sim.name(first[1]).as_bytes().to_vec();
    assert_eq!(
        seen,
        vec![None, Some(name.as_bytes().to_vec()), Some(second)],
        "no leader, then the first, then its successor"
    );
}

#[test]
fn same_seed_same_run() {
    let a = election_run(42, 2);
    let b = election_run(42, 2);
    let c = election_run(43, 2);
    assert_eq!(a.fingerprint, b.fingerprint);
    assert_eq!(a.failovers, b.failovers);
    assert_ne!(a.fingerprint, c.fingerprint, "another seed is another run");
}

#[test]
fn watches_follow_a_client_that_was_cut_off_and_reconnected() {
    let (mut sim, servers) = ensemble(12, 3);
    let s = servers.clone();
    add_node(&mut sim, "owner", SEC, move || {
        let mut n = Node::new(&s);
        n.script = vec![
            (3 * SEC, "w", create("/w", false, false)),
            (3 * SEC + 100 * MS, "data", create("/w/data", false, false)),
            (3 * SEC + 200 * MS, "node", create("/w/node", false, false)),
            (
                7 * SEC,
                "set",
                Op::SetData {
                    path: "/w/data".into(),
                    data: b"new".to_vec(),
                    version: None,
                },
            ),
            (
                40 * SEC,
                "delete",
                Op::Delete {
                    path: "/w/node".into(),
                    version: None,
                },
            ),
        ];
        n
    });
    let s = servers.clone();
    let watcher = add_node(&mut sim, "watcher", SEC, move || {
        let mut n = Node::new(&s);
        n.script = vec![
            (
                5 * SEC,
                "get",
                Op::GetData {
                    path: "/w/data".into(),
                    watch: true,
                },
            ),
            (
                5 * SEC,
                "exists",
                Op::Exists {
                    path: "/w/node".into(),
                    watch: true,
                },
            ),
        ];
        n
    });
    // The data changes while the watcher is cut off; the node goes once it is back.
    sim.schedule_fault(&Fault::partition(
        6 * SEC,
        Some(14 * SEC),
        &["watcher"],
        &["zk*"],
    ))
    .unwrap();
    run_checked(&mut sim, &[], 60 * SEC);
    let w = node(&sim, watcher);
    let fired: Vec<(Time, WatchKind, String)> = w
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            CoordEvent::Watch(ev) => Some((*t, ev.kind, ev.path.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(fired.len(), 2, "{fired:?}");
    assert_eq!(
        (fired[0].1, fired[0].2.as_str()),
        (WatchKind::NodeDataChanged, "/w/data")
    );
    assert!(fired[0].0 >= 14 * SEC, "delivered after the reconnection");
    assert_eq!(
        (fired[1].1, fired[1].2.as_str()),
        (WatchKind::NodeDeleted, "/w/node")
    );
    assert!(fired[1].0 >= 40 * SEC);
    assert!(w.count(|e| matches!(e, CoordEvent::Connected { renewed: true, .. })) >= 1);
    assert_eq!(w.count(|e| *e == CoordEvent::SessionExpired), 0);
}

/// Random faults (server and candidate crashes, partitions, a lossy and duplicating
/// link between servers) for three minutes, then a minute of calm. Throughout: never two
/// leading candidates, never two active ensemble leaders of one epoch, committed logs
/// that agree; after the calm: one leader of each kind and identical trees.
fn chaos(seed: u64) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let (mut sim, servers) = ensemble(seed, 3);
    let debug = std::env::var("CHAOS_DEBUG").is_ok();
    let cands: Vec<ActorId> = (0..4)
        .map(|i| {
            let s = servers.clone();
            let name = format!("c{i}");
            let n2 = name.clone();
            add_node(&mut sim, &name, SEC + i * 300 * MS, move || {
                candidate(&s, &n2)
            })
        })
        .collect();
    let mut t = 15 * SEC;
    while t < 180 * SEC {
        let len = rng.gen_range(5..30) * SEC;
        let x = rng.gen_range(0..3);
        let zk = format!("zk{x}");
        let others: Vec<String> = (0..3)
            .filter(|i| *i != x)
            .map(|i| format!("zk{i}"))
            .collect();
        let c = format!("c{}", rng.gen_range(0..4));
        let fault = match rng.gen_range(0..5) {
            0 => Fault::crash(t, &zk, Some(len)),
            1 => Fault::partition(t, Some(t + len), &[&zk], &[&others[0], &others[1]]),
            2 => Fault::crash(t, &c, Some(len)),
            3 => Fault::partition(t, Some(t + len), &[&c], &["zk*"]),
            _ => Fault::Link {
                at: t,
                until: Some(t + len),
                a: vec![zk.clone()],
                b: others.clone(),
                link: LinkModel {
                    latency: Latency::Exponential { mean: 5 * MS },
                    loss: 0.05,
                    duplicate: 0.05,
                    fifo: false,
                },
            },
        };
        if debug {
            eprintln!("fault {fault:?}");
        }
        sim.schedule_fault(&fault).unwrap();
        t += rng.gen_range(3..20) * SEC;
    }
    let end = 260 * SEC;
    let mut steps = 0u64;
    while sim.peek_time().is_some_and(|t| t <= end) {
        sim.step();
        steps += 1;
        check_leaders(&sim, &cands);
        let mut epochs: Vec<u32> = servers
            .iter()
            .filter_map(|s| sim.actor::<CoordServer>(*s))
            .filter(|s| s.is_leader())
            .map(|s| s.epoch())
            .collect();
        let n = epochs.len();
        epochs.dedup();
        assert_eq!(
            n,
            epochs.len(),
            "seed {seed}: two active leaders of one epoch"
        );
        if steps.is_multiple_of(64) {
            committed_logs_agree(&sim, &servers, seed);
        }
    }
    committed_logs_agree(&sim, &servers, seed);
    if debug {
        for s in &servers {
            let sv = server(&sim, *s);
            eprintln!(
                "{}: {} epoch {} last {:x} committed {:x} followers {}",
                sim.name(*s),
                sv.role(),
                sv.epoch(),
                sv.last_zxid(),
                sv.committed_zxid(),
                sv.followers()
            );
        }
        for c in &cands {
            if let Some(n) = sim.actor::<Node>(*c) {
                let e = n.election.as_ref().unwrap();
                eprintln!(
                    "{}: session {:?} connected {} server {:?} leader {} node {:?} watching {:?}",
                    sim.name(*c),
                    n.client.session(),
                    n.client.is_connected(),
                    n.client.server(),
                    e.is_leader(),
                    e.node(),
                    e.watching()
                );
                for (t, ev) in n.events.iter().rev().take(12).rev() {
                    eprintln!("    {:>8} ms {ev:?}", t / MS);
                }
                for (t, ev) in n.elections.iter().rev().take(6).rev() {
                    eprintln!("    {:>8} ms {ev:?}", t / MS);
                }
            }
        }
        for r in sim.log() {
            eprintln!(
                "{:>8} ms {} {} {}",
                r.time / MS,
                sim.name(r.actor),
                r.event,
                r.fields
            );
        }
    }
    eprintln!(
        "seed {seed}: {} events, {steps} steps, elections {:?}",
        sim.events(),
        servers
            .iter()
            .map(|s| server(&sim, *s).elections)
            .collect::<Vec<_>>()
    );
    assert!(
        ensemble_leader(&sim, &servers).is_some(),
        "seed {seed}: no ensemble leader after the calm; replay: CHAOS_DEBUG=1 CHAOS_SEEDS={seed}..{} cargo test --release --test suite coord::chaos_many -- --ignored --nocapture",
        seed + 1
    );
    assert_eq!(
        leaders(&sim, &cands).len(),
        1,
        "seed {seed}: no leading candidate after the calm"
    );
    let first = server(&sim, servers[0]).tree();
    for s in &servers[1..] {
        assert!(
            server(&sim, *s).tree() == first,
            "seed {seed}: replicas differ after the calm"
        );
    }
}

fn committed_logs_agree(sim: &Sim<Mesos>, servers: &[ActorId], seed: u64) {
    let logs: Vec<_> = servers
        .iter()
        .filter_map(|s| sim.actor::<CoordServer>(*s))
        .map(|s| s.committed_log())
        .collect();
    for a in &logs {
        for b in &logs {
            let n = a.len().min(b.len());
            assert!(
                a[..n] == b[..n],
                "seed {seed}: committed logs diverge at {} ns",
                sim.now()
            );
        }
    }
}

#[test]
fn chaos_keeps_safety_and_recovers() {
    for seed in 1..=8 {
        chaos(seed);
    }
}

/// The same over many seeds: `cargo test --release --test suite coord:: -- --ignored`.
#[test]
#[ignore]
fn chaos_many_seeds() {
    let seeds = std::env::var("CHAOS_SEEDS").ok();
    let (a, b) = seeds
        .as_deref()
        .and_then(|s| s.split_once(".."))
        .map_or((100, 400), |(a, b)| {
            (a.parse().unwrap(), b.parse().unwrap())
        });
    for seed in a..b {
        chaos(seed);
    }
}
