//! Unit tests of `src/proto.rs` (moved out of the library: see `unit.rs`).

use schedlab::proto::{Msg, Reason};

/// Every queued event carries a `Msg` and is moved several times on its way to a
/// handler: a large variant makes all of them large. Box the payload of any new
/// big, rare message instead (as `RegisterAgent` does).
#[test]
fn a_message_fits_in_56_bytes() {
    assert!(
        std::mem::size_of::<Msg>() <= 56,
        "{}",
        std::mem::size_of::<Msg>()
    );
    assert!(std::mem::size_of::<schedlab::coord::CoordMsg>() <= 48);
}

/// The task table prints `Reason::name`, events.jsonl serde's name: they must agree.
#[test]
fn reason_names_are_serdes() {
    use Reason::*;
    let all = [
        None,
        Reconciliation,
        InvalidOffers,
        TaskInvalid,
        KilledByFramework,
        FrameworkRemoved,
        AgentRemoved,
        AgentRemovedByOperator,
        AgentReregistered,
        AgentRestarted,
        AgentShutdown,
        CommandFailed,
    ];
    for r in all {
        assert_eq!(serde_json::to_value(r).unwrap(), r.name(), "{r:?}");
    }
}
