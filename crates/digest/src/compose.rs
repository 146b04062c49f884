//! Composing one digest message for one recipient (pure: inputs in, an
//! [`Email`] out).
//!
//! One message per recipient, never a shared message with Bcc: each carries
//! its own unsubscribe links, which one-click unsubscribe (RFC 8058) needs.
//! The message is `multipart/alternative` with a text part and an HTML part
//! (inline styles only, no remote resources), and the headers bulk senders
//! are expected to send: List-Id, List-Unsubscribe (+ `-Post`) and
//! `Auto-Submitted: auto-generated`. Every header goes through the `mime`
//! module, so titles and names can never add a header line.

use chrono::{DateTime, FixedOffset, NaiveDate};
use pressroom_core::Lang;
use pressroom_core::date::long_day;
use sha2::{Digest as _, Sha256};

use crate::address::Address;
use crate::message::{Email, MessageId};
use crate::mime::{HeaderWriter, LineTooLong, TextKind, TransferEncoding, one_line};
use crate::subscribers::Subscriber;
use crate::templates::{
    Context, DigestContext, Labels, RecipientContext, ReleaseContext, SiteContext, TemplateError,
    Templates, align,
};

/// Who sends the digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub title: String,
    /// The public URL of the site, for templates.
    pub base_url: String,
    /// `From:` and the envelope sender (where bounces go).
    pub from: Address,
    /// The name shown with `from` (`Press Office`); may be empty.
    pub from_name: String,
    /// The domain of List-Id (`press.example.org` gives
    /// `<weekly.press.example.org>`): a domain the sender controls.
    pub list_id_domain: String,
}

/// One digest, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// The name subscribers' `digests` column and unsubscribe tokens use
    /// (`weekly`); also the List-Id's first label.
    pub name: String,
    /// The subject, a template (see [`DEFAULT_SUBJECT`](crate::DEFAULT_SUBJECT)).
    pub subject: String,
    /// What the digest covers, in words (`Every release, weekly`): shown under
    /// the title and in List-Id.
    pub description: String,
}

/// Who a message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub address: Address,
    /// May be empty.
    pub name: String,
    /// The language of labels and of today's date.
    pub lang: Lang,
}

impl From<&Subscriber> for Recipient {
    fn from(subscriber: &Subscriber) -> Recipient {
        Recipient {
            address: subscriber.address.clone(),
            name: subscriber.name.clone(),
            lang: subscriber.lang.clone(),
        }
    }
}

/// A release as a digest lists it; the daemon builds these from stored
/// releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRelease {
    pub title: String,
    /// The release's own date, if it gives one.
    pub date: Option<NaiveDate>,
    pub place: Option<String>,
    pub summary: String,
    /// The absolute `http(s)` URL of the release's page.
    pub url: String,
    /// The release's language: its dateline is written in it, and its block
    /// in the HTML part carries it (`lang`, `dir`).
    pub lang: Lang,
}

/// The recipient's unsubscribe links; at least one is required.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Unsubscribe {
    /// `mailto:unsubscribe@press.example.org?subject=...`.
    pub mailto: Option<String>,
    /// The one-click endpoint (RFC 8058): an `https://` URL that
    /// unsubscribes on POST, carrying the recipient's token.
    pub https: Option<String>,
}

/// Everything one message is made from.
#[derive(Debug, Clone, Copy)]
pub struct DigestInput<'a> {
    pub site: &'a Site,
    pub digest: &'a Digest,
    pub recipient: &'a Recipient,
    /// In the order the digest lists them (newest first, usually).
    pub releases: &'a [DigestRelease],
    /// Written in `Date:`; its day, in the recipient's language, in the body.
    pub now: DateTime<FixedOffset>,
    pub message_id: &'a MessageId,
    pub unsubscribe: &'a Unsubscribe,
    pub templates: &'a Templates,
}

/// Why a message could not be composed.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// Bulk mail without a way to unsubscribe is not sent.
    #[error("no unsubscribe link: give a mailto or an https one")]
    NoUnsubscribeLink,
    #[error("invalid unsubscribe link '{link}': {reason}")]
    UnsubscribeLink { link: String, reason: &'static str },
    #[error("invalid List-Id domain '{0}': expected a domain name such as press.example.org")]
    ListIdDomain(String),
    #[error("invalid URL '{url}' for the release '{title}': expected an absolute http(s) URL")]
    ReleaseUrl { title: String, url: String },
    #[error(transparent)]
    LineTooLong(#[from] LineTooLong),
}

/// Composes the digest message for one recipient.
pub fn compose(input: &DigestInput<'_>) -> Result<Email, ComposeError> {
    let unsubscribe = checked_unsubscribe(input.unsubscribe)?;
    let list_id = list_id(&input.digest.name, &input.site.list_id_domain)?;
    let context = context(input, &unsubscribe)?;
    let rendered = input.templates.render(&input.digest.subject, &context)?;

    let boundary = boundary(input.message_id);
    let mut head = String::with_capacity(2048);
    let date = input.now.format("%a, %d %b %Y %H:%M:%S %z").to_string();
    single(&mut head, "Date", &date)?;
    mailbox(&mut head, "From", &input.site.from_name, &input.site.from)?;
    mailbox(
        &mut head,
        "To",
        &input.recipient.name,
        &input.recipient.address,
    )?;
    let mut subject = HeaderWriter::new(&mut head, "Subject");
    subject.text(&rendered.subject, TextKind::Unstructured)?;
    subject.finish();
    single(&mut head, "Message-ID", &format!("<{}>", input.message_id))?;
    single(&mut head, "MIME-Version", "1.0")?;
    let list_name = match input.digest.description.trim() {
        "" => format!("{} {}", input.site.title, input.digest.name),
        description => format!("{}: {description}", input.site.title),
    };
    let mut list = HeaderWriter::new(&mut head, "List-Id");
    list.text(&list_name, TextKind::Phrase)?;
    list.token(&format!("<{list_id}>"))?;
    list.finish();
    // `<mailto:…>, <https://…>`, folded after the comma when long.
    let links: Vec<&String> = [&unsubscribe.mailto, &unsubscribe.https]
        .into_iter()
        .flatten()
        .collect();
    let mut list_unsubscribe = HeaderWriter::new(&mut head, "List-Unsubscribe");
    for (index, link) in links.iter().enumerate() {
        let comma = if index + 1 < links.len() { "," } else { "" };
        list_unsubscribe.token(&format!("<{link}>{comma}"))?;
    }
    list_unsubscribe.finish();
    if unsubscribe.https.is_some() {
        single(
            &mut head,
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click",
        )?;
    }
    single(&mut head, "Auto-Submitted", "auto-generated")?;
    let mut content_type = HeaderWriter::new(&mut head, "Content-Type");
    content_type.token("multipart/alternative;")?;
    content_type.token(&format!("boundary=\"{boundary}\""))?;
    content_type.finish();
    head.push_str("\r\n");

    let mut message =
        Vec::with_capacity(head.len() + rendered.text.len() + rendered.html.len() * 5 / 4);
    message.extend_from_slice(head.as_bytes());
    for (media_type, body) in [
        ("text/plain", &rendered.text),
        ("text/html", &rendered.html),
    ] {
        let encoding = TransferEncoding::for_text(body);
        for piece in [
            "--",
            &boundary,
            "\r\nContent-Type: ",
            media_type,
            "; charset=utf-8\r\nContent-Transfer-Encoding: ",
            encoding.name(),
            "\r\n\r\n",
        ] {
            message.extend_from_slice(piece.as_bytes());
        }
        encoding.encode(body, &mut message);
    }
    for piece in ["--", &boundary, "--\r\n"] {
        message.extend_from_slice(piece.as_bytes());
    }

    Ok(Email {
        message_id: input.message_id.clone(),
        recipient: input.recipient.address.clone(),
        envelope_sender: input.site.from.clone(),
        bytes: message,
    })
}

/// A header whose value is one token.
fn single(out: &mut String, header: &'static str, value: &str) -> Result<(), LineTooLong> {
    let mut writer = HeaderWriter::new(out, header);
    writer.token(value)?;
    writer.finish();
    Ok(())
}

/// `Name <address>`, or the bare address without a name.
fn mailbox(
    out: &mut String,
    header: &'static str,
    name: &str,
    address: &Address,
) -> Result<(), LineTooLong> {
    let mut writer = HeaderWriter::new(out, header);
    if one_line(name).is_empty() {
        writer.token(address.as_str())?;
    } else {
        writer.text(name, TextKind::Phrase)?;
        writer.token(&format!("<{address}>"))?;
    }
    writer.finish();
    Ok(())
}

/// The links, checked: they are written between `<>` in a header and in
/// `href`s, so they must be printable ASCII without spaces, quotes or
/// angle brackets, and short enough for one header line.
fn checked_unsubscribe(links: &Unsubscribe) -> Result<Unsubscribe, ComposeError> {
    let check = |link: &Option<String>,
                 scheme: &str,
                 reason|
     -> Result<Option<String>, ComposeError> {
        let Some(link) = link
            .as_deref()
            .map(str::trim)
            .filter(|link| !link.is_empty())
        else {
            return Ok(None);
        };
        let invalid = |reason| ComposeError::UnsubscribeLink {
            link: link.to_owned(),
            reason,
        };
        if !link
            .get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
        {
            return Err(invalid(reason));
        }
        if !link
            .chars()
            .all(|c| c.is_ascii_graphic() && !"<>\"".contains(c))
        {
            return Err(invalid(
                "it must be printable ASCII without spaces, quotes or angle brackets (percent-encode them)",
            ));
        }
        if link.len() > 900 {
            return Err(invalid("longer than 900 characters"));
        }
        Ok(Some(link.to_owned()))
    };
    // Plain http is accepted for a loopback host only: a site tried out on
    // one machine, where no mail client will ever see the link.
    let scheme = match links.https.as_deref().map(str::trim) {
        Some(link) if is_loopback_http(link) => "http://",
        _ => "https://",
    };
    let checked = Unsubscribe {
        mailto: check(&links.mailto, "mailto:", "it must start with 'mailto:'")?,
        https: check(
            &links.https,
            scheme,
            "one-click unsubscribe needs an 'https://' URL (RFC 8058)",
        )?,
    };
    if checked.mailto.is_none() && checked.https.is_none() {
        return Err(ComposeError::NoUnsubscribeLink);
    }
    Ok(checked)
}

/// `http://127.0.0.1:8080/…`, `http://localhost/…`, `http://[::1]/…`.
fn is_loopback_http(link: &str) -> bool {
    let Some(rest) = link
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
        .map(|_| &link[7..])
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `weekly.press.example.org`: the digest name made a DNS label, under the
/// sender's domain.
fn list_id(digest: &str, domain: &str) -> Result<String, ComposeError> {
    let domain_ok = !domain.is_empty()
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !domain_ok {
        return Err(ComposeError::ListIdDomain(domain.to_owned()));
    }
    let mut label = String::new();
    for c in digest.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            label.push(c);
        } else if !label.is_empty() && !label.ends_with('-') {
            label.push('-');
        }
    }
    let mut label = label.trim_end_matches('-').to_owned();
    label.truncate(63);
    let label = label.trim_end_matches('-');
    let label = if label.is_empty() { "digest" } else { label };
    Ok(format!("{label}.{}", domain.to_ascii_lowercase()))
}

/// A boundary that cannot occur in the parts: quoted-printable never writes
/// `=_`, and base64 never writes `=` followed by anything but `=` or a line end.
fn boundary(message_id: &MessageId) -> String {
    let hash = Sha256::digest(message_id.as_str().as_bytes());
    let hex: String = hash[..12]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("=_pressroom_{hex}")
}

fn context(input: &DigestInput<'_>, unsubscribe: &Unsubscribe) -> Result<Context, ComposeError> {
    let lang = &input.recipient.lang;
    let labels = Labels::for_lang(lang);
    let releases = input
        .releases
        .iter()
        .map(release_context)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Context {
        site: SiteContext {
            title: one_line(&input.site.title),
            base_url: one_line(&input.site.base_url),
        },
        digest: DigestContext {
            name: one_line(&input.digest.name),
            description: one_line(&input.digest.description),
        },
        recipient: RecipientContext {
            name: one_line(&input.recipient.name),
            address: input.recipient.address.to_string(),
            lang: lang.to_string(),
            dir: lang.direction(),
            align: align(lang),
        },
        count: releases.len(),
        releases,
        date_text: long_day(input.now.date_naive(), lang),
        unsubscribe_url: unsubscribe
            .https
            .clone()
            .or_else(|| unsubscribe.mailto.clone())
            .unwrap_or_default(),
        labels,
    })
}

fn release_context(release: &DigestRelease) -> Result<ReleaseContext, ComposeError> {
    let title = one_line(&release.title);
    let url = release.url.trim();
    let scheme_ok = ["https://", "http://"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
    });
    if !scheme_ok
        || url.len() > 2000
        || !url
            .chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && !"<>\"".contains(c))
    {
        return Err(ComposeError::ReleaseUrl {
            title,
            url: url.to_owned(),
        });
    }
    let lang = &release.lang;
    let place = release.place.as_deref().map(one_line).unwrap_or_default();
    let date_text = release
        .date
        .map(|day| long_day(day, lang))
        .unwrap_or_default();
    let dateline = match (place.is_empty(), date_text.is_empty()) {
        (true, _) => date_text.clone(),
        (false, true) => place.clone(),
        (false, false) => format!("{place}{}{date_text}", Labels::for_lang(lang).comma),
    };
    Ok(ReleaseContext {
        title,
        url: url.to_owned(),
        date: release
            .date
            .map(|day| day.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        date_text,
        place,
        dateline,
        summary: one_line(&release.summary),
        lang: lang.to_string(),
        dir: lang.direction(),
        align: align(lang),
    })
}
