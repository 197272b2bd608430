//! How agents and frameworks find the leading master: Mesos' `MasterDetector`.
//!
//! A standalone detector names one fixed master (a single-master cluster). The
//! ZooKeeper detector keeps a session with the coordination service and follows the
//! masters' election ([`crate::coord::LeaderDetector`]): each master's candidate znode
//! holds its actor id, and the smallest sequence number leads. A message from any
//! actor but the current leader is dropped, as a Mesos driver ignores messages from a
//! master it no longer follows.

use crate::actor::{ActorId, Ctx, Time};
use crate::coord::{CoordClient, CoordEvent, ElectionEvent, LeaderDetector};
use crate::proto::{Mesos, Msg, Timer};

/// The election path the masters contend on.
pub const ELECTION_DIR: &str = "/mesos/leader";

/// What a message or timer meant to the actor embedding the detector.
#[derive(Debug)]
pub enum Inbound {
    /// A message from the leading master.
    Master(Msg),
    /// The leader changed (`None`: no master leads right now).
    NewLeader(Option<ActorId>),
    /// Consumed by the detector (coordination traffic) or from a master not followed.
    Nothing,
    /// A timer that is not the detector's.
    Timer(Timer),
}

/// Finds the leading master.
#[derive(Clone, Debug)]
pub enum MasterDetector {
    Standalone(ActorId),
    ZooKeeper {
        client: Box<CoordClient>,
        detector: LeaderDetector,
        leader: Option<ActorId>,
    },
}

/// The data a master puts in its candidate znode: its actor id.
pub fn candidate_data(me: ActorId) -> Vec<u8> {
    me.0.to_string().into_bytes()
}

fn parse_candidate(data: &[u8]) -> Option<ActorId> {
    std::str::from_utf8(data).ok()?.parse().ok().map(ActorId)
}

impl MasterDetector {
    pub fn standalone(master: ActorId) -> Self {
        MasterDetector::Standalone(master)
    }

    pub fn zookeeper(servers: Vec<ActorId>, session_timeout: Time) -> Self {
        MasterDetector::ZooKeeper {
            client: Box::new(CoordClient::new(servers, session_timeout)),
            detector: LeaderDetector::new(ELECTION_DIR),
            leader: None,
        }
    }

    /// The master to talk to now.
    pub fn leader(&self) -> Option<ActorId> {
        match self {
            MasterDetector::Standalone(m) => Some(*m),
            MasterDetector::ZooKeeper { leader, .. } => *leader,
        }
    }

    /// Opens the coordination session (in `on_start`; again after a restart).
    pub fn start(&mut self, ctx: &mut Ctx<Mesos>) {
        if let MasterDetector::ZooKeeper {
            client,
            detector,
            leader,
        } = self
        {
            *leader = None;
            *detector = LeaderDetector::new(ELECTION_DIR);
            client.start(ctx);
        }
    }

    /// Sends to the leading master, if one is known (else the message is dropped, as
    /// a disconnected driver drops calls).
    pub fn send(&self, ctx: &mut Ctx<Mesos>, msg: Msg) {
        if let Some(m) = self.leader() {
            ctx.send(m, msg);
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<Mesos>, from: ActorId, msg: Msg) -> Inbound {
        match (self, msg) {
            (
                MasterDetector::ZooKeeper {
                    client,
                    detector,
                    leader,
                },
                Msg::Coord(m),
            ) => {
                let events = client.on_message(ctx, from, m);
                feed(client, detector, leader, ctx, Vec::new(), events)
            }
            (d, msg) if d.leader() == Some(from) => Inbound::Master(msg),
            _ => Inbound::Nothing,
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<Mesos>, timer: Timer) -> Inbound {
        match (self, timer) {
            (
                MasterDetector::ZooKeeper {
                    client,
                    detector,
                    leader,
                },
                Timer::Coord(t),
            ) => {
                let expired = detector.on_timer(client, ctx, &t);
                let events = client.on_timer(ctx, t);
                feed(client, detector, leader, ctx, expired, events)
            }
            (_, t) => Inbound::Timer(t),
        }
    }
}

fn feed(
    client: &mut CoordClient,
    detector: &mut LeaderDetector,
    leader: &mut Option<ActorId>,
    ctx: &mut Ctx<Mesos>,
    mut learnt: Vec<ElectionEvent>,
    events: Vec<CoordEvent>,
) -> Inbound {
    let before = *leader;
    for ev in events {
        learnt.extend(detector.handle(client, ctx, &ev));
    }
    for e in learnt {
        if let ElectionEvent::LeaderIs(data) = e {
            *leader = data.as_deref().and_then(parse_candidate);
        }
    }
    if *leader != before {
        Inbound::NewLeader(*leader)
    } else {
        Inbound::Nothing
    }
}
