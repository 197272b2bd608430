//! Unit tests of `src/actor.rs` (moved out of the library: see `unit.rs`).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use schedlab::actor::*;

#[derive(Clone, Debug, Hash, PartialEq)]
struct M(u8);
impl Message for M {
    fn kind(&self) -> &'static str {
        "m"
    }
}
#[derive(Debug)]
struct P;
impl Protocol for P {
    type Msg = M;
    type Timer = u8;
}

/// A runtime that buffers effects (the real-network one) sees them in order, with
/// timer ids from its own counter.
#[test]
fn buffering_runtime_gets_effects_in_order() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut out: Vec<Effect<P>> = Vec::new();
    let mut next_timer = 40;
    let mut disk = Durable::default();
    let mut ctx = Ctx::new(
        5,
        ActorId(3),
        &mut rng,
        &mut out,
        &mut next_timer,
        &mut disk,
        None,
    );
    ctx.send(ActorId(1), M(9));
    let t = ctx.set_timer(10, 7);
    ctx.cancel_timer(t);
    ctx.stop_run();
    ctx.durable().put("k", &1u8);
    assert!(!ctx.logging());
    assert_eq!((ctx.now(), ctx.me(), t), (5, ActorId(3), TimerId(40)));
    assert_eq!(next_timer, 41);
    assert_eq!(disk.get::<u8>("k"), Some(1));
    let shown: Vec<String> = out.iter().map(|e| format!("{e:?}")).collect();
    assert_eq!(
        shown,
        [
            "Send { to: ActorId(1), msg: M(9) }",
            "SetTimer { id: TimerId(40), after: 10, timer: 7 }",
            "CancelTimer(TimerId(40))",
            "Stop"
        ]
    );
}
