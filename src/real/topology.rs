//! Which nodes a scenario has, by name, id and role.
//!
//! Every process of a real-mode cluster builds the same [`Cluster`] from the same
//! scenario and seed, exactly as a simulated run does, and so agrees on every actor's
//! id (the index used in frames) and configuration; it then instantiates only the
//! actors it hosts.

use crate::actor::{Actor, ActorId, Time};
use crate::proto::Mesos;
use crate::run::Cluster;
use crate::scenario::Scenario;
use crate::sim::SimConfig;

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Role {
    Master,
    Agent,
    Coord,
    Framework,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Master => "master",
            Role::Agent => "agent",
            Role::Coord => "coord",
            Role::Framework => "framework",
        }
    }
}

/// A scenario's actors, as nodes.
pub struct Topology {
    pub cluster: Cluster,
    pub names: Vec<String>,
    pub roles: Vec<Role>,
}

impl Topology {
    /// The nodes of `scn`, refused if real mode cannot honour all of it
    /// ([`super::unsupported`]).
    pub fn build(scn: &Scenario, seed: u64) -> Result<Topology, String> {
        super::unsupported::check(scn)?;
        let cluster = Cluster::build(scn, seed, SimConfig::default())?;
        let n = cluster.sim.actor_count();
        let names: Vec<String> = (0..n)
            .map(|i| cluster.sim.name(ActorId(i as u32)).to_string())
            .collect();
        let roles = (0..n as u32)
            .map(|i| {
                let id = ActorId(i);
                if cluster.masters.contains(&id) {
                    Role::Master
                } else if cluster.coord.contains(&id) {
                    Role::Coord
                } else if cluster.agents.contains(&id) {
                    Role::Agent
                } else {
                    Role::Framework
                }
            })
            .collect();
        Ok(Topology {
            cluster,
            names,
            roles,
        })
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn find(&self, name: &str) -> Option<ActorId> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| ActorId(i as u32))
    }

    pub fn name(&self, id: ActorId) -> &str {
        &self.names[id.index()]
    }

    pub fn role(&self, id: ActorId) -> Role {
        self.roles[id.index()]
    }

    /// A fresh instance of node `id`'s actor and the virtual time it starts at.
    pub fn instantiate(&mut self, id: ActorId) -> (Box<dyn Actor<Mesos>>, Time) {
        let start = self.cluster.sim.start_time(id);
        (self.cluster.sim.instantiate(id), start)
    }

    /// The masters' ids.
    pub fn masters(&self) -> &[ActorId] {
        &self.cluster.masters
    }
}
