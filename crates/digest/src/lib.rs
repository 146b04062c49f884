//! Digest emails: composing them from the releases published in a window
//! (pure) and delivering them over SMTP or into an outbox folder.
//!
//! The daemon owns the store of digest runs, the config, the scheduling
//! loop and the unsubscribe endpoints; this crate gives it the parts:
//!
//! - [`Schedule`]: when a digest is due (`daily 08:00`, `weekly monday
//!   08:00`), across daylight saving changes.
//! - [`parse_subscribers`]: the operator's CSV list, bad lines reported
//!   with their number and skipped.
//! - [`token`]: HMAC unsubscribe tokens.
//! - [`compose`]: one RFC 5322 message per recipient, text and HTML, from
//!   [`Templates`] operators can override.
//! - [`Outbox`] (`.eml` files, written atomically) and [`Smtp`] (parallel
//!   connections, pipelining, rate limit, retries), both taking [`Email`]s.
//!
//! Composition, schedules, subscribers and tokens do no I/O; only
//! [`outbox`] and [`smtp`] touch the file system and the network.

pub mod address;
pub mod compose;
pub mod message;
mod mime;
pub mod outbox;
pub mod schedule;
pub mod smtp;
pub mod subscribers;
pub mod templates;
pub mod token;

pub use address::{Address, InvalidAddress};
pub use compose::{
    ComposeError, Digest, DigestInput, DigestRelease, Recipient, Site, Unsubscribe, compose,
};
pub use message::{Email, InvalidMessageId, MessageId};
pub use mime::LineTooLong;
pub use outbox::{Outbox, OutboxError};
pub use schedule::{InvalidSchedule, Schedule};
pub use smtp::{
    Credentials, Delivery, DeliveryResult, Reply, Retry, Smtp, SmtpConfig, SmtpError, Summary, Tls,
};
pub use subscribers::{
    Digests, LineError, LineProblem, ListError, Subscriber, SubscriberList, parse_subscribers,
};
pub use templates::{DEFAULT_SUBJECT, TemplateError, Templates};
pub use token::{Secret, WeakSecret};
