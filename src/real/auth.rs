//! Peer authentication with a shared secret: a mutual HMAC challenge.
//!
//! The connecting side sends its name and a fresh 16-byte nonce; the accepting side
//! answers with its name, its own nonce and `HMAC-SHA256(secret, "server" | client
//! nonce | server nonce | server name)`; the client checks it (so a process without the
//! secret cannot pose as a master or any node) and answers with `HMAC(secret, "client"
//! | server nonce | client nonce | client name)`, which the server checks (so it cannot
//! join either). Both nonces enter both MACs, so a recorded handshake cannot be
//! replayed; the names enter them, so a proof for one node is not one for another.
//! The secret itself never crosses the wire. MACs are compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// A fresh random nonce from the operating system.
pub fn nonce() -> [u8; 16] {
    use rand::RngCore;
    let mut n = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut n);
    n
}

fn keyed(secret: &[u8], label: &str, a: &[u8; 16], b: &[u8; 16], name: &str) -> HmacSha256 {
    let mut m = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(label.as_bytes());
    m.update(a);
    m.update(b);
    m.update(name.as_bytes());
    m
}

/// The server's proof: over (client nonce, server nonce, server name).
pub fn server_mac(secret: &[u8], client: &[u8; 16], server: &[u8; 16], name: &str) -> Vec<u8> {
    keyed(secret, "schedlab-server", client, server, name)
        .finalize()
        .into_bytes()
        .to_vec()
}

/// The client's proof: over (server nonce, client nonce, client name).
pub fn client_mac(secret: &[u8], server: &[u8; 16], client: &[u8; 16], name: &str) -> Vec<u8> {
    keyed(secret, "schedlab-client", server, client, name)
        .finalize()
        .into_bytes()
        .to_vec()
}

/// Checks a server proof in constant time.
pub fn check_server(
    secret: &[u8],
    client: &[u8; 16],
    server: &[u8; 16],
    name: &str,
    mac: &[u8],
) -> bool {
    keyed(secret, "schedlab-server", client, server, name)
        .verify_slice(mac)
        .is_ok()
}

/// Checks a client proof in constant time.
pub fn check_client(
    secret: &[u8],
    server: &[u8; 16],
    client: &[u8; 16],
    name: &str,
    mac: &[u8],
) -> bool {
    keyed(secret, "schedlab-client", server, client, name)
        .verify_slice(mac)
        .is_ok()
}
