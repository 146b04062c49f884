//! Email addresses: validated once, normalised, and safe to write in a
//! header or an SMTP command.
//!
//! Only the common `local@domain.tld` form is accepted: the local part a
//! dot-atom, the domain DNS labels. Quoted local parts, comments, IP literals
//! and non-ASCII addresses (which would need SMTPUTF8) are refused with a
//! reason, so that a subscriber list with one odd line reports it instead of
//! sending a message the relay would bounce.

use std::fmt;

/// A normalised email address: trimmed, domain lowercased, the local part
/// kept as written (it may be case-sensitive).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(String);

/// Why a text is not an address we can send to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid address '{address}': {reason}")]
pub struct InvalidAddress {
    /// The text as given.
    pub address: String,
    pub reason: &'static str,
}

impl Address {
    /// The longest address SMTP carries (RFC 5321's path limit, less `<>`).
    pub const MAX_LEN: usize = 254;

    /// Validates and normalises `raw`.
    pub fn parse(raw: &str) -> Result<Address, InvalidAddress> {
        let invalid = |reason| InvalidAddress {
            address: raw.to_owned(),
            reason,
        };
        let address = raw.trim();
        if address.is_empty() {
            return Err(invalid("empty"));
        }
        if !address.is_ascii() {
            return Err(invalid("non-ASCII addresses are not supported"));
        }
        let (local, domain) = address
            .rsplit_once('@')
            .ok_or_else(|| invalid("missing '@'"))?;
        if local.is_empty() {
            return Err(invalid("nothing before '@'"));
        }
        if local.len() > 64 {
            return Err(invalid("the part before '@' is longer than 64 characters"));
        }
        let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
        if !local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atext))
        {
            return Err(invalid(
                "the part before '@' has a character or dot an address cannot have",
            ));
        }
        let domain = domain.to_ascii_lowercase();
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if domain.is_empty() || !domain.split('.').all(label_ok) {
            return Err(invalid("the domain is not a valid host name"));
        }
        if !domain.contains('.') {
            return Err(invalid("the domain has no dot"));
        }
        let normalised = format!("{local}@{domain}");
        if normalised.len() > Self::MAX_LEN {
            return Err(invalid("longer than 254 characters"));
        }
        Ok(Address(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Address {
    type Err = InvalidAddress;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Address::parse(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expected: Result<&str, &str>) {
        let got = Address::parse(raw);
        match expected {
            Ok(address) => assert_eq!(got.map(|a| a.0), Ok(address.to_owned()), "{raw:?}"),
            Err(reason) => assert_eq!(got.map_err(|e| e.reason), Err(reason), "{raw:?}"),
        }
    }

    #[test]
    fn addresses_are_trimmed_and_their_domain_lowercased() {
        check("  Jean.Dupont@Example.ORG ", Ok("Jean.Dupont@example.org"));
        check("a+tag@sub.example.co.uk", Ok("a+tag@sub.example.co.uk"));
        check("o'brien@example.ie", Ok("o'brien@example.ie"));
    }

    #[test]
    fn what_cannot_be_sent_to_is_refused_with_a_reason() {
        check("", Err("empty"));
        check("jean.example.org", Err("missing '@'"));
        check("@example.org", Err("nothing before '@'"));
        check(
            "jean dupont@example.org",
            Err("the part before '@' has a character or dot an address cannot have"),
        );
        check(
            "jean..dupont@example.org",
            Err("the part before '@' has a character or dot an address cannot have"),
        );
        check(
            "a@b@example.org",
            Err("the part before '@' has a character or dot an address cannot have"),
        );
        check("jean@", Err("the domain is not a valid host name"));
        check(
            "jean@-example.org",
            Err("the domain is not a valid host name"),
        );
        check(
            "jean@exa mple.org",
            Err("the domain is not a valid host name"),
        );
        check("jean@localhost", Err("the domain has no dot"));
        check(
            "jean@exemple.org\r\nBcc: x@evil.org",
            Err("the part before '@' has a character or dot an address cannot have"),
        );
        check("jean@exemple.org\r\n", Ok("jean@exemple.org"));
        check(
            "jean@exemple.org\nBcc",
            Err("the domain is not a valid host name"),
        );
        check(
            "élodie@example.fr",
            Err("non-ASCII addresses are not supported"),
        );
        check(
            "<jean@example.org>",
            Err("the part before '@' has a character or dot an address cannot have"),
        );
    }
}
