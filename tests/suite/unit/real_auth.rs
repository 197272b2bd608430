//! Unit tests of `src/real/auth.rs` (moved out of the library: see `unit.rs`).

use schedlab::real::auth::*;

#[test]
fn proofs_bind_secret_nonces_names_and_direction() {
    let (c, s) = (nonce(), nonce());
    assert_ne!(c, s, "fresh nonces");
    let m = server_mac(b"k", &c, &s, "master-0");
    assert!(check_server(b"k", &c, &s, "master-0", &m));
    assert!(
        !check_server(b"other", &c, &s, "master-0", &m),
        "wrong secret"
    );
    assert!(
        !check_server(b"k", &s, &c, "master-0", &m),
        "swapped nonces"
    );
    assert!(!check_server(b"k", &c, &s, "master-1", &m), "other name");
    assert!(
        !check_client(b"k", &c, &s, "master-0", &m),
        "other direction"
    );
    assert!(!check_server(b"k", &c, &s, "master-0", &m[..31]), "cut mac");
    let m = client_mac(b"k", &s, &c, "agent-3");
    assert!(check_client(b"k", &s, &c, "agent-3", &m));
}
