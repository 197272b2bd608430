//! ZooKeeper-like coordination service (issue 4): placeholder types, filled in by the
//! coordination work.

use serde::{Deserialize, Serialize};

/// Messages of the coordination protocol (client <-> server, server <-> server).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CoordMsg {}

/// Timers of coordination servers and clients.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CoordTimer {}
