//! The simulated network: per-link latency distributions, loss, duplication, FIFO
//! links, partitions and temporary link changes ("slow link").
//!
//! Links are configured per pair of actor groups (masters -> agents, ...), directed;
//! a pair with no entry uses the default link. Partitions and link changes are applied
//! between two sides (sets of actors) and can overlap. A message is dropped if a
//! partition separates its ends when it is sent or when it would arrive: a link cut
//! while a packet is in flight loses it, as on a real network.
//!
//! Latencies ([`Latency`]) are drawn from the engine's own ChaCha stream, so the network
//! adds no nondeterminism; all arithmetic ends in integer nanoseconds.

pub use super::latency::Latency;
use super::latency::Sampler;
use crate::actor::{ActorId, Time};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How one directed link behaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinkModel {
    pub latency: Latency,
    /// Probability that a message is lost.
    pub loss: f64,
    /// Probability that a message is delivered twice (the copy has its own latency).
    pub duplicate: f64,
    /// Deliver in send order on this link (as one TCP connection does).
    pub fifo: bool,
}

impl Default for LinkModel {
    fn default() -> Self {
        LinkModel {
            latency: Latency::default(),
            loss: 0.0,
            duplicate: 0.0,
            fifo: false,
        }
    }
}

impl LinkModel {
    pub fn validate(&self) -> Result<(), String> {
        self.latency.validate()?;
        for (name, p) in [("loss", self.loss), ("duplicate", self.duplicate)] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("{name} must be a probability in [0, 1], got {p}"));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
struct CompiledLink {
    sampler: Sampler,
    loss: f64,
    duplicate: f64,
    fifo: bool,
    /// No loss, no duplication, no FIFO: the fate of a message is its latency alone.
    plain: bool,
    /// FIFO with a constant latency and neither loss nor duplication: messages on such
    /// a link arrive in send order by themselves (see [`Network::in_flight`]).
    self_ordered: bool,
}

impl From<&LinkModel> for CompiledLink {
    fn from(m: &LinkModel) -> Self {
        CompiledLink {
            sampler: m.latency.sampler(),
            loss: m.loss,
            duplicate: m.duplicate,
            fifo: m.fifo,
            plain: m.loss == 0.0 && m.duplicate == 0.0 && !m.fifo,
            self_ordered: m.loss == 0.0
                && m.duplicate == 0.0
                && m.fifo
                && matches!(m.latency, Latency::Constant { .. }),
        }
    }
}

/// Index of an actor group in the network (masters, agents, ...).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub u16);

/// Which side of a cut an actor is on: 0 = neither, 1 = side A, 2 = side B.
type Sides = Vec<u8>;

#[inline]
fn separated(sides: &Sides, a: ActorId, b: ActorId) -> bool {
    let x = sides.get(a.index()).copied().unwrap_or(0);
    let y = sides.get(b.index()).copied().unwrap_or(0);
    x | y == 3
}

struct ActiveCut {
    id: u32,
    sides: Sides,
}

struct ActiveChange {
    id: u32,
    sides: Sides,
    link: CompiledLink,
}

/// The fate of one sent message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Dropped,
    Partitioned,
    Deliver(Time),
    /// Delivered twice, at these two arrival times.
    Duplicated(Time, Time),
}

/// The network model of one run.
#[derive(Default)]
pub struct Network {
    group_names: Vec<String>,
    actor_group: Vec<GroupId>,
    default_link: Option<LinkModel>,
    links: Vec<(GroupId, GroupId, LinkModel)>,
    compiled: Vec<CompiledLink>,
    matrix: Vec<u16>,
    groups_compiled: usize,
    /// No partition or link change is active and the links are compiled, so a send on
    /// a plain link needs no more than its latency. Kept up to date by every method
    /// that changes one of those (false, the default, is always safe).
    fast: bool,
    /// Latest arrival per (from, to) on self-ordered links.
    fifo_last: crate::keymap::KeyMap<(u32, u32), Time>,
    /// The latest arrival `fifo_last` holds. Once the clock has passed it, no entry can
    /// delay a message sent now, so a send on a self-ordered link skips the map (a hash
    /// lookup that misses the cache on every message of a 12,500-agent cell) and is
    /// only noted here.
    fifo_horizon: Time,
    /// (arrival, from, to) of the messages sent on self-ordered links without touching
    /// `fifo_last`, while they may still be in flight; folded into `fifo_last` before the
    /// general path reads it, so FIFO delivery is exactly what it would be had every
    /// send updated the map (an arrival already past cannot delay a send made now).
    in_flight: std::collections::VecDeque<(Time, u32, u32)>,
    cuts: Vec<ActiveCut>,
    changes: Vec<ActiveChange>,
}

impl Network {
    /// The group named `name`, created if new.
    pub fn group(&mut self, name: &str) -> GroupId {
        if let Some(i) = self.group_names.iter().position(|g| g == name) {
            return GroupId(i as u16);
        }
        self.group_names.push(name.to_string());
        self.groups_compiled = 0;
        self.fast = false;
        GroupId((self.group_names.len() - 1) as u16)
    }

    pub fn group_name(&self, g: GroupId) -> &str {
        &self.group_names[g.0 as usize]
    }

    pub fn find_group(&self, name: &str) -> Option<GroupId> {
        self.group_names
            .iter()
            .position(|g| g == name)
            .map(|i| GroupId(i as u16))
    }

    pub fn group_of(&self, a: ActorId) -> GroupId {
        self.actor_group[a.index()]
    }

    pub(crate) fn register_actor(&mut self, g: GroupId) {
        self.actor_group.push(g);
    }

    /// The link used between groups that have no link of their own.
    pub fn set_default(&mut self, model: LinkModel) {
        self.default_link = Some(model);
        self.groups_compiled = 0;
        self.fast = false;
    }

    /// Sets the directed link `from -> to`.
    pub fn set_link(&mut self, from: GroupId, to: GroupId, model: LinkModel) {
        self.links.retain(|(f, t, _)| !(*f == from && *t == to));
        self.links.push((from, to, model));
        self.groups_compiled = 0;
        self.fast = false;
    }

    /// Sets both directions between two groups.
    pub fn set_link_both(&mut self, a: GroupId, b: GroupId, model: LinkModel) {
        self.set_link(a, b, model.clone());
        self.set_link(b, a, model);
    }

    fn compile(&mut self) {
        let g = self.group_names.len().max(1);
        self.compiled.clear();
        self.compiled.push(CompiledLink::from(
            &self.default_link.clone().unwrap_or_default(),
        ));
        self.matrix = vec![0; g * g];
        for (from, to, model) in &self.links {
            self.compiled.push(CompiledLink::from(model));
            self.matrix[from.0 as usize * g + to.0 as usize] = (self.compiled.len() - 1) as u16;
        }
        self.groups_compiled = g;
        self.update_fast();
    }

    fn update_fast(&mut self) {
        self.fast = self.cuts.is_empty()
            && self.changes.is_empty()
            && self.groups_compiled == self.group_names.len().max(1);
    }

    pub(crate) fn start_cut(&mut self, id: u32, sides: Sides) {
        self.cuts.push(ActiveCut { id, sides });
        self.update_fast();
    }

    pub(crate) fn end_cut(&mut self, id: u32) {
        self.cuts.retain(|c| c.id != id);
        self.update_fast();
    }

    pub(crate) fn start_change(&mut self, id: u32, sides: Sides, model: &LinkModel) {
        self.changes.push(ActiveChange {
            id,
            sides,
            link: CompiledLink::from(model),
        });
        self.update_fast();
    }

    pub(crate) fn end_change(&mut self, id: u32) {
        self.changes.retain(|c| c.id != id);
        self.update_fast();
    }

    /// True if an active partition separates `a` and `b`.
    #[inline]
    pub fn partitioned(&self, a: ActorId, b: ActorId) -> bool {
        !self.cuts.is_empty() && self.cuts.iter().any(|c| separated(&c.sides, a, b))
    }

    /// Decides what happens to a message sent now from `from` to `to`.
    #[inline]
    pub fn route(&mut self, now: Time, from: ActorId, to: ActorId, rng: &mut ChaCha8Rng) -> Route {
        if self.fast {
            let g = self.groups_compiled;
            let fg = self.actor_group[from.index()].0 as usize;
            let tg = self.actor_group[to.index()].0 as usize;
            let link = &self.compiled[self.matrix[fg * g + tg] as usize];
            if link.plain {
                return Route::Deliver(now + link.sampler.sample(rng));
            }
            if link.self_ordered && now >= self.fifo_horizon {
                let at = now + link.sampler.sample(rng);
                while self.in_flight.front().is_some_and(|f| f.0 <= now) {
                    self.in_flight.pop_front();
                }
                self.in_flight.push_back((at, from.0, to.0));
                return Route::Deliver(at);
            }
        }
        self.route_general(now, from, to, rng)
    }

    /// `route` with partitions, link changes, loss, duplication and FIFO.
    fn route_general(
        &mut self,
        now: Time,
        from: ActorId,
        to: ActorId,
        rng: &mut ChaCha8Rng,
    ) -> Route {
        if self.partitioned(from, to) {
            return Route::Partitioned;
        }
        if self.groups_compiled != self.group_names.len().max(1) {
            self.compile();
        }
        let link = self
            .changes
            .iter()
            .rev()
            .find(|c| separated(&c.sides, from, to))
            .map(|c| &c.link)
            .unwrap_or_else(|| {
                let g = self.groups_compiled;
                let fg = self.actor_group[from.index()].0 as usize;
                let tg = self.actor_group[to.index()].0 as usize;
                &self.compiled[self.matrix[fg * g + tg] as usize]
            });
        if link.loss > 0.0 && rng.gen::<f64>() < link.loss {
            return Route::Dropped;
        }
        let mut at = now + link.sampler.sample(rng);
        let dup = link.duplicate > 0.0 && rng.gen::<f64>() < link.duplicate;
        let second = if dup {
            Some(now + link.sampler.sample(rng))
        } else {
            None
        };
        if link.fifo {
            for (t, f, to) in self.in_flight.drain(..) {
                let last = self.fifo_last.entry((f, to)).or_insert(0);
                *last = (*last).max(t);
                self.fifo_horizon = self.fifo_horizon.max(t);
            }
            let last = self.fifo_last.entry((from.0, to.0)).or_insert(0);
            at = at.max(*last);
            *last = at;
            let route = match second {
                Some(s) => {
                    let s = s.max(at);
                    *last = s;
                    Route::Duplicated(at, s)
                }
                None => Route::Deliver(at),
            };
            self.fifo_horizon = self.fifo_horizon.max(*last);
            return route;
        }
        match second {
            Some(s) => Route::Duplicated(at, s),
            None => Route::Deliver(at),
        }
    }
}
