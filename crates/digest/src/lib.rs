//! Digest emails: composing them from the releases published in a window
//! (pure) and delivering them over SMTP or into an outbox folder.
