//! Mesos itself: the master and the agent actors.

pub mod agent;
pub mod health;
pub mod master;
