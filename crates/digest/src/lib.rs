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
//! - [`compose()`]: one RFC 5322 message per recipient, text and HTML, from
//!   [`Templates`] operators can override.
//! - [`Outbox`] (`.eml` files, written atomically) and [`Smtp`] (parallel
//!   connections, pipelining, rate limit, retries), both taking [`Email`]s.
//!
//! Composition, schedules, subscribers and tokens do no I/O; only
//! [`Outbox`] and [`Smtp`] touch the file system and the network.

mod address;
mod compose;
mod message;
mod mime;
mod outbox;
mod schedule;
mod smtp;
mod subscribers;
mod templates;
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
