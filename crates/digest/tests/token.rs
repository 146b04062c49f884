//! Unsubscribe tokens: valid for the address and digest they were made for,
//! and for nothing else.

use pressroom_digest::token::{Secret, sign, verify};

fn secret(seed: u8) -> Secret {
    Secret::new(&[seed; 32]).expect("32 bytes")
}

#[test]
fn a_token_verifies_for_its_own_address_and_digest() {
    let token = sign(&secret(1), "jean@example.org", "weekly");
    assert_eq!(token.len(), 43);
    assert!(
        token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "URL-safe: {token}"
    );
    assert!(verify(&secret(1), "jean@example.org", "weekly", &token));
    // The same address as the subscriber list normalises it.
    assert!(verify(&secret(1), " jean@EXAMPLE.org ", "weekly", &token));
    assert_eq!(token, sign(&secret(1), "jean@example.org", "weekly"));
}

#[test]
fn a_token_replayed_for_another_address_or_digest_fails() {
    let token = sign(&secret(1), "jean@example.org", "weekly");
    assert!(!verify(&secret(1), "amira@example.org", "weekly", &token));
    assert!(
        !verify(&secret(1), "Jean@example.org", "weekly", &token),
        "local parts are case-sensitive"
    );
    assert!(!verify(&secret(1), "jean@example.org", "daily", &token));
    // Field boundaries count: ("ab", "c") is not ("a", "bc").
    let split = sign(&secret(1), "a@example.orgx", "y");
    assert!(!verify(&secret(1), "a@example.org", "xy", &split));
}

#[test]
fn a_forged_or_altered_token_fails() {
    let token = sign(&secret(1), "jean@example.org", "weekly");
    assert!(
        !verify(&secret(2), "jean@example.org", "weekly", &token),
        "another secret"
    );
    let forged = sign(&secret(2), "jean@example.org", "weekly");
    assert!(!verify(&secret(1), "jean@example.org", "weekly", &forged));
    for index in 0..token.len() {
        let mut altered = token.clone().into_bytes();
        altered[index] = if altered[index] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).expect("ASCII");
        assert!(
            !verify(&secret(1), "jean@example.org", "weekly", &altered),
            "{altered}"
        );
    }
    for bad in [
        "",
        "x",
        &token[..42],
        &format!("{token}A"),
        &format!("{token}="),
        "not base64!",
    ] {
        assert!(
            !verify(&secret(1), "jean@example.org", "weekly", bad),
            "{bad}"
        );
    }
}

#[test]
fn short_secrets_are_refused() {
    assert!(Secret::new(b"too short").is_err());
    assert!(Secret::new(&[0; 31]).is_err());
    assert!(Secret::new(&[0; 32]).is_ok());
    assert_eq!(format!("{:?}", secret(7)), "Secret(..)");
}
