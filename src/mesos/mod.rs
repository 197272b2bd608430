//! Mesos itself: the master and the agent actors.

pub mod agent;
pub mod detector;
pub mod ha;
pub mod health;
pub mod master;
pub mod operator;
pub mod oversubscription;
pub mod pings;
