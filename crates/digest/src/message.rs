//! A composed message and its identity: what [`compose()`](crate::compose())
//! returns and what the outbox and the SMTP client take.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::address::Address;

/// A message ready to send: one recipient, the envelope sender (where
/// bounces go), and the whole RFC 5322 message, CRLF line endings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub message_id: MessageId,
    pub recipient: Address,
    pub envelope_sender: Address,
    pub bytes: Vec<u8>,
}

/// A Message-ID without its angle brackets: `left@domain`, where both sides
/// use only ASCII letters, digits and `.`, `-`, `_`, `+`, `=`. That keeps it
/// valid in the header and usable as a file name (`<id>.eml`) as it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(String);

/// A Message-ID that does not have that shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid Message-ID '{0}': expected 'left@domain' with ASCII letters, digits, '.', '-', '_', '+' or '=' (at most 200 characters)"
)]
pub struct InvalidMessageId(pub String);

impl MessageId {
    /// Validates `raw` (angle brackets allowed around it).
    pub fn parse(raw: &str) -> Result<MessageId, InvalidMessageId> {
        let invalid = || InvalidMessageId(raw.to_owned());
        let id = raw.trim();
        let id = id
            .strip_prefix('<')
            .and_then(|id| id.strip_suffix('>'))
            .unwrap_or(id);
        let (left, right) = id.split_once('@').ok_or_else(invalid)?;
        let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_+=".contains(c);
        let part_ok = |part: &str| {
            !part.is_empty()
                && part.chars().all(allowed)
                && !part.starts_with('.')
                && !part.ends_with('.')
                && !part.contains("..")
        };
        if id.len() > 200 || !part_ok(left) || !part_ok(right) {
            return Err(invalid());
        }
        Ok(MessageId(id.to_owned()))
    }

    /// The Message-ID of the digest run `run` for `recipient`: the same
    /// inputs always give the same id, so a message composed again after a
    /// crash replaces its outbox file, and receivers can recognise a resend.
    pub fn for_delivery(
        run: &str,
        recipient: &Address,
        domain: &str,
    ) -> Result<MessageId, InvalidMessageId> {
        let mut hash = Sha256::new();
        for field in [run.as_bytes(), recipient.as_str().as_bytes()] {
            hash.update((field.len() as u64).to_be_bytes());
            hash.update(field);
        }
        let hex: String = hash.finalize()[..16]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        MessageId::parse(&format!(
            "digest.{hex}@{}",
            domain.trim().to_ascii_lowercase()
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_safe_in_headers_and_file_names() {
        assert_eq!(
            MessageId::parse("<run-1.42@press.example.org>").map(|id| id.0),
            Ok("run-1.42@press.example.org".to_owned())
        );
        for bad in [
            "",
            "no-at",
            "a@",
            "@b",
            "a/b@c",
            "../x@y",
            "a b@c",
            "a@b>\r\nBcc: x",
        ] {
            assert!(MessageId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn delivery_ids_are_stable_and_distinct() {
        let jean = Address::parse("jean@example.org").expect("valid");
        let amira = Address::parse("amira@example.org").expect("valid");
        let id = |run: &str, to: &Address| {
            MessageId::for_delivery(run, to, "press.example.org").expect("valid")
        };
        assert_eq!(id("run-7", &jean), id("run-7", &jean));
        assert_ne!(id("run-7", &jean), id("run-7", &amira));
        assert_ne!(id("run-7", &jean), id("run-8", &jean));
        assert!(id("run-7", &jean).as_str().ends_with("@press.example.org"));
    }
}
