//! HMAC-SHA256 message signing, as the connection file's `key` and `signature_scheme` demand.
//!
//! Verification is constant-time (`Mac::verify_slice`), so a client probing signatures learns
//! nothing from timing.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::{HashSet, VecDeque};

type HmacSha256 = Hmac<Sha256>;

/// Signs outgoing and verifies incoming messages. An empty key disables signing, as the
/// messaging spec allows.
#[derive(Clone)]
pub struct Signer {
    mac: Option<HmacSha256>,
}

impl Signer {
    /// Fails on any scheme but `hmac-sha256`, the only one Jupyter clients use.
    pub fn new(scheme: &str, key: &str) -> Result<Signer, String> {
        if key.is_empty() {
            return Ok(Signer { mac: None });
        }
        if scheme != "hmac-sha256" {
            return Err(format!("unsupported signature scheme `{scheme}`"));
        }
        let mac = HmacSha256::new_from_slice(key.as_bytes()).map_err(|e| e.to_string())?;
        Ok(Signer { mac: Some(mac) })
    }

    /// Lowercase hex digest of the concatenated parts (header, parent, metadata, content).
    pub fn sign(&self, parts: &[&[u8]]) -> String {
        let Some(mac) = &self.mac else {
            return String::new();
        };
        let mut mac = mac.clone();
        for part in parts {
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// True when `signature` (hex) is the digest of `parts`, or when signing is disabled.
    pub fn verify(&self, parts: &[&[u8]], signature: &[u8]) -> bool {
        let Some(mac) = &self.mac else {
            return true;
        };
        let Ok(expected) = hex::decode(signature) else {
            return false;
        };
        let mut mac = mac.clone();
        for part in parts {
            mac.update(part);
        }
        mac.verify_slice(&expected).is_ok()
    }
}

/// Signatures of recently accepted messages. A signed message replayed by someone who saw it
/// on the wire is refused instead of run again (jupyter_client keeps the same kind of window).
pub struct ReplayGuard {
    order: VecDeque<Vec<u8>>,
    seen: HashSet<Vec<u8>>,
}

/// Signatures remembered; older ones are forgotten first.
const REPLAY_WINDOW: usize = 65_536;

impl ReplayGuard {
    pub fn new() -> ReplayGuard {
        ReplayGuard {
            order: VecDeque::new(),
            seen: HashSet::new(),
        }
    }

    /// True the first time a signature is seen. Empty signatures (signing disabled) always
    /// pass: without a key there is nothing to tell a replay from a new message.
    pub fn first_time(&mut self, signature: &[u8]) -> bool {
        if signature.is_empty() {
            return true;
        }
        if !self.seen.insert(signature.to_vec()) {
            return false;
        }
        self.order.push_back(signature.to_vec());
        if self.order.len() > REPLAY_WINDOW {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let signer = Signer::new("hmac-sha256", "secret").unwrap();
        let sig = signer.sign(&[b"header", b"content"]);
        assert_eq!(sig.len(), 64);
        assert!(signer.verify(&[b"header", b"content"], sig.as_bytes()));
        assert!(!signer.verify(&[b"header", b"contenT"], sig.as_bytes()));
        assert!(!signer.verify(&[b"header", b"content"], b"zz"));
        assert!(!signer.verify(&[b"header", b"content"], b""));
    }

    #[test]
    fn empty_key_disables_signing() {
        let signer = Signer::new("hmac-sha256", "").unwrap();
        assert_eq!(signer.sign(&[b"x"]), "");
        assert!(signer.verify(&[b"x"], b"anything"));
    }

    #[test]
    fn replays_are_refused_within_the_window() {
        let mut guard = ReplayGuard::new();
        assert!(guard.first_time(b"abc"));
        assert!(!guard.first_time(b"abc"));
        assert!(guard.first_time(b""));
        assert!(guard.first_time(b""));
        for i in 0..REPLAY_WINDOW {
            assert!(guard.first_time(format!("{i}").as_bytes()));
        }
        assert!(
            guard.first_time(b"abc"),
            "forgotten once the window moved on"
        );
    }

    #[test]
    fn rejects_unknown_scheme() {
        assert!(Signer::new("hmac-md5", "k").is_err());
    }
}
