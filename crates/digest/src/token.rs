//! Unsubscribe tokens: proof that an unsubscribe link was sent to the
//! address it names, without storing anything per link.
//!
//! A token is HMAC-SHA256 over the address and the digest name, keyed by a
//! secret from the config, written in URL-safe base64 without padding (43
//! characters), so it can sit in a URL path or query as it is. The address is
//! normalised first (as [`Address`] does), so `Jean@Example.org` and
//! `Jean@example.org` share a token. Changing the secret invalidates every
//! link already sent.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::address::Address;

type HmacSha256 = Hmac<Sha256>;

/// The key tokens are signed with: at least [`Secret::MIN_LEN`] bytes.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

/// A secret too short to resist guessing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the unsubscribe secret is {len} bytes long; use at least 32 (for example the output of `openssl rand -base64 32`)"
)]
pub struct WeakSecret {
    pub len: usize,
}

impl Secret {
    pub const MIN_LEN: usize = 32;

    /// Accepts a secret of at least 32 bytes (such as 32 random bytes
    /// written in base64, used as the text it is).
    pub fn new(bytes: &[u8]) -> Result<Secret, WeakSecret> {
        if bytes.len() < Self::MIN_LEN {
            return Err(WeakSecret { len: bytes.len() });
        }
        Ok(Secret(bytes.to_vec()))
    }

    fn mac(&self, address: &str, digest: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        let address =
            Address::parse(address).map_or_else(|_| address.to_owned(), |a| a.to_string());
        // Length-prefixed fields: ("ab", "c") and ("a", "bc") sign differently.
        for field in [address.as_bytes(), digest.as_bytes()] {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field);
        }
        mac
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The token that lets `address` unsubscribe from the digest named `digest`.
pub fn sign(secret: &Secret, address: &str, digest: &str) -> String {
    URL_SAFE_NO_PAD.encode(secret.mac(address, digest).finalize().into_bytes())
}

/// Whether `token` was signed for `address` and `digest` with `secret`,
/// compared in constant time.
pub fn verify(secret: &Secret, address: &str, digest: &str, token: &str) -> bool {
    let Ok(tag) = URL_SAFE_NO_PAD.decode(token.trim()) else {
        return false;
    };
    secret.mac(address, digest).verify_slice(&tag).is_ok()
}
