//! `[email]`, `[email.smtp]` and `[[digest]]`: who digests come from, how
//! they travel, who may unsubscribe and how, and when each digest goes out.
//!
//! Everything a digest run needs is checked here, when the config loads
//! (templates compiled and tried, schedules parsed, the secret long enough,
//! the unsubscribe link usable), so that a mistake stops `pressroom run` at
//! start, or is refused by a reload, rather than failing at 8 a.m.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use chrono_tz::Tz;
use pressroom_core::Lang;
use pressroom_digest::{Address, Credentials, Retry, Schedule, Secret, SmtpConfig, Templates, Tls};
use serde::Deserialize;

/// The environment variable that gives the unsubscribe secret (it wins
/// over `[email] secret`, so the secret can stay out of the config file).
pub const SECRET_ENV: &str = "PRESSROOM_UNSUBSCRIBE_SECRET";
/// The environment variable that gives the SMTP password.
pub const SMTP_PASSWORD_ENV: &str = "PRESSROOM_SMTP_PASSWORD";

/// `[email]` as written.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailSection {
    /// The sender of digests; required as soon as a digest is configured.
    pub from: String,
    /// The name shown with `from`; empty means the site's title.
    pub from_name: String,
    /// The domain of the List-Id header; empty means the domain of `from`.
    pub list_id_domain: String,
    /// The subscriber list (CSV: address,name,language,digests).
    pub subscribers: PathBuf,
    /// The one-click unsubscribe endpoint; empty means `<base_url>unsubscribe`.
    pub unsubscribe_url: String,
    /// An address that takes unsubscribe requests by mail (optional).
    pub unsubscribe_mailto: String,
    /// The key unsubscribe links are signed with (32 bytes or more).
    pub secret: String,
    /// Where messages are written as .eml files when no SMTP host is set.
    pub outbox: PathBuf,
    /// A folder of templates overriding the built-in digest.txt and digest.html.
    pub templates: PathBuf,
    pub smtp: SmtpSection,
}

impl Default for EmailSection {
    fn default() -> Self {
        Self {
            from: String::new(),
            from_name: String::new(),
            list_id_domain: String::new(),
            subscribers: "subscribers.csv".into(),
            unsubscribe_url: String::new(),
            unsubscribe_mailto: String::new(),
            secret: String::new(),
            outbox: "outbox".into(),
            templates: PathBuf::new(),
            smtp: SmtpSection::default(),
        }
    }
}

/// `[email.smtp]` as written.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSection {
    /// The relay's host name; empty means no SMTP: messages go to the outbox.
    pub host: String,
    /// 0 means the usual port for `tls`: 587, 465, or 25.
    pub port: u16,
    /// "starttls", "implicit" or "none" (a relay on this host only).
    pub tls: String,
    pub username: String,
    pub password: String,
    /// Sessions opened in parallel.
    pub connections: usize,
    /// At most this many messages a second (0: as fast as the relay takes them).
    pub rate_per_second: u32,
    /// Seconds to wait for the relay's replies.
    pub timeout_s: u64,
    /// Attempts per message before it is deferred to a later pass.
    pub attempts: u32,
    /// The name given in EHLO; empty means this machine's host name.
    pub helo_name: String,
    /// Certificates (PEM) to trust besides the usual roots.
    pub ca_file: PathBuf,
}

impl Default for SmtpSection {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 0,
            tls: "starttls".to_owned(),
            username: String::new(),
            password: String::new(),
            connections: 4,
            rate_per_second: 0,
            timeout_s: 30,
            attempts: 5,
            helo_name: String::new(),
            ca_file: PathBuf::new(),
        }
    }
}

/// One `[[digest]]` as written.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DigestSection {
    pub name: String,
    /// "daily HH:MM" or "weekly DAY HH:MM".
    pub schedule: String,
    /// The IANA zone of the schedule; empty means the site's.
    pub time_zone: String,
    /// What the digest covers, in words.
    pub description: String,
    /// The subject, a template; empty means the built-in one.
    pub subject: String,
    /// Only releases in these languages (empty: all).
    pub languages: Vec<String>,
    /// Only releases in these categories (empty: all).
    pub categories: Vec<String>,
    /// Send nothing when no release was published in the window.
    pub skip_if_empty: bool,
}

impl Default for DigestSection {
    fn default() -> Self {
        Self {
            name: String::new(),
            schedule: String::new(),
            time_zone: String::new(),
            description: String::new(),
            subject: String::new(),
            languages: Vec::new(),
            categories: Vec::new(),
            skip_if_empty: true,
        }
    }
}

/// Validated email settings; present only when at least one digest is
/// configured.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    pub from: Address,
    pub from_name: String,
    pub list_id_domain: String,
    pub subscribers: PathBuf,
    /// The one-click endpoint, without query.
    pub unsubscribe_url: String,
    /// `mailto:` link target, if any.
    pub unsubscribe_mailto: Option<Address>,
    pub secret: Secret,
    pub outbox: PathBuf,
    /// `None`: the outbox.
    pub smtp: Option<SmtpConfig>,
    pub templates: Templates,
    pub digests: Vec<DigestSettings>,
}

/// One validated digest.
#[derive(Debug, Clone)]
pub struct DigestSettings {
    pub name: String,
    pub schedule: Schedule,
    pub time_zone: Tz,
    pub description: String,
    pub subject: String,
    /// Empty: every language.
    pub languages: Vec<Lang>,
    /// Category slugs; empty: every category.
    pub categories: Vec<String>,
    pub skip_if_empty: bool,
}

impl DigestSettings {
    /// Whether a release in `lang` with `categories` belongs in this digest.
    pub fn wants(&self, lang: &Lang, categories: &[String]) -> bool {
        let language_ok = self.languages.is_empty()
            || self
                .languages
                .iter()
                .any(|wanted| wanted == lang || lang.as_str().starts_with(&format!("{wanted}-")));
        let category_ok = self.categories.is_empty()
            || categories.iter().any(|name| {
                self.categories
                    .contains(&pressroom_store::category_slug(name))
            });
        language_ok && category_ok
    }
}

/// What the rest of the config gives the email settings.
pub struct Surroundings<'a> {
    pub text: &'a str,
    pub base: &'a Path,
    pub base_url: &'a str,
    pub site_title: &'a str,
    pub site_zone: Tz,
}

/// Validates `[email]` and the `[[digest]]` tables. `None` when no digest
/// is configured (email is then off, whatever `[email]` says).
pub fn validate(
    email: &EmailSection,
    digests: &[DigestSection],
    context: &Surroundings<'_>,
) -> anyhow::Result<Option<EmailSettings>> {
    if digests.is_empty() {
        return Ok(None);
    }
    let at = |key: &str| super::key_location(context.text, "email", key);
    let smtp_at = |key: &str| super::key_location(context.text, "email.smtp", key);

    let from = Address::parse(&email.from).map_err(|error| {
        anyhow::anyhow!(
            "{}: the sender of digests is required when a [[digest]] is configured: {error}",
            at("from")
        )
    })?;
    let list_id_domain = match email.list_id_domain.trim() {
        "" => from.domain().to_owned(),
        domain => domain.to_ascii_lowercase(),
    };
    let unsubscribe_url = match email.unsubscribe_url.trim() {
        "" => format!("{}unsubscribe", context.base_url),
        url => url.to_owned(),
    };
    check_unsubscribe_url(&unsubscribe_url).map_err(|reason| {
        anyhow::anyhow!(
            "{}: '{unsubscribe_url}' {reason}",
            if email.unsubscribe_url.trim().is_empty() {
                format!("{} (from [site] base_url)", at("unsubscribe_url"))
            } else {
                at("unsubscribe_url")
            }
        )
    })?;
    let unsubscribe_mailto = match email.unsubscribe_mailto.trim() {
        "" => None,
        address => Some(
            Address::parse(address)
                .map_err(|error| anyhow::anyhow!("{}: {error}", at("unsubscribe_mailto")))?,
        ),
    };
    let secret_text = std::env::var(SECRET_ENV)
        .ok()
        .filter(|secret| !secret.trim().is_empty())
        .unwrap_or_else(|| email.secret.clone());
    if secret_text.trim().is_empty() {
        anyhow::bail!(
            "{}: unsubscribe links need a secret: set it here or in the environment variable {SECRET_ENV} (for example the output of `openssl rand -base64 32`)",
            at("secret")
        );
    }
    let secret = Secret::new(secret_text.trim().as_bytes())
        .map_err(|error| anyhow::anyhow!("{}: {error}", at("secret")))?;

    let templates =
        load_templates(&email.templates, context.base).with_context(|| at("templates"))?;
    let smtp = smtp_config(&email.smtp, context.base, &smtp_at)?;

    let mut names: Vec<&str> = Vec::new();
    let mut validated = Vec::with_capacity(digests.len());
    for (index, digest) in digests.iter().enumerate() {
        let at = |key: &str| digest_key_location(context.text, index, key);
        let name = digest.name.trim();
        if name.is_empty()
            || name.len() > 40
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            anyhow::bail!(
                "{}: '{name}' is not a digest name: use 1 to 40 lowercase ASCII letters, digits, '-' or '_' (it is written in headers and links)",
                at("name")
            );
        }
        if names.contains(&name) {
            anyhow::bail!(
                "{}: a digest named '{name}' is already configured",
                at("name")
            );
        }
        names.push(name);
        let schedule = Schedule::parse(&digest.schedule)
            .map_err(|error| anyhow::anyhow!("{}: {error}", at("schedule")))?;
        let time_zone = match digest.time_zone.trim() {
            "" => context.site_zone,
            zone => zone.parse().map_err(|_| {
                anyhow::anyhow!(
                    "{}: unknown time zone '{zone}': use an IANA name such as 'Europe/Paris'",
                    at("time_zone")
                )
            })?,
        };
        let subject = match digest.subject.trim() {
            "" => pressroom_digest::DEFAULT_SUBJECT.to_owned(),
            subject => subject.to_owned(),
        };
        templates
            .check_subject(&subject)
            .map_err(|error| anyhow::anyhow!("{}: {error}", at("subject")))?;
        let languages = digest
            .languages
            .iter()
            .map(|tag| {
                Lang::parse(tag).map_err(|error| anyhow::anyhow!("{}: {error}", at("languages")))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let categories = digest
            .categories
            .iter()
            .map(|name| {
                let slug = pressroom_store::category_slug(name);
                if slug.is_empty() {
                    anyhow::bail!("{}: '{name}' is not a category name", at("categories"));
                }
                Ok(slug)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        validated.push(DigestSettings {
            name: name.to_owned(),
            schedule,
            time_zone,
            description: digest.description.trim().to_owned(),
            subject,
            languages,
            categories,
            skip_if_empty: digest.skip_if_empty,
        });
    }

    let from_name = match email.from_name.trim() {
        "" => context.site_title.to_owned(),
        name => name.to_owned(),
    };
    Ok(Some(EmailSettings {
        from,
        from_name,
        list_id_domain,
        subscribers: context.base.join(&email.subscribers),
        unsubscribe_url,
        unsubscribe_mailto,
        secret,
        outbox: context.base.join(&email.outbox),
        smtp,
        templates,
        digests: validated,
    }))
}

/// One-click unsubscribe (RFC 8058) needs an `https://` URL; plain `http://`
/// is accepted for a loopback host only, for trying Pressroom out locally.
fn check_unsubscribe_url(url: &str) -> Result<(), &'static str> {
    if url.contains(['?', '#']) || url.contains(char::is_whitespace) {
        return Err("must be a URL without spaces, query or fragment");
    }
    if let Some(rest) = url.strip_prefix("https://") {
        return if rest.split('/').next().is_some_and(|host| !host.is_empty()) {
            Ok(())
        } else {
            Err("has no host")
        };
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let authority = rest.split('/').next().unwrap_or_default();
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => authority.split(':').next().unwrap_or_default(),
        };
        if host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
        {
            return Ok(());
        }
    }
    Err(
        "is not usable for one-click unsubscribe, which needs an https:// URL (RFC 8058): set [email] unsubscribe_url to the https address that reaches this daemon's /unsubscribe",
    )
}

fn load_templates(folder: &Path, base: &Path) -> anyhow::Result<Templates> {
    if folder.as_os_str().is_empty() {
        return Ok(Templates::builtin());
    }
    let folder = base.join(folder);
    let mut overrides = Vec::new();
    for entry in std::fs::read_dir(&folder)
        .with_context(|| format!("cannot read the templates folder '{}'", folder.display()))?
    {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if path.is_file() && (name.ends_with(".txt") || name.ends_with(".html")) {
            let source = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read the template '{}'", path.display()))?;
            overrides.push((name.to_owned(), source));
        }
    }
    Ok(Templates::with_overrides(overrides)?)
}

fn smtp_config(
    smtp: &SmtpSection,
    base: &Path,
    at: &dyn Fn(&str) -> String,
) -> anyhow::Result<Option<SmtpConfig>> {
    let host = smtp.host.trim();
    if host.is_empty() {
        return Ok(None);
    }
    let tls = match smtp.tls.trim() {
        "starttls" => Tls::StartTls,
        "implicit" => Tls::Implicit,
        "none" => Tls::None,
        other => anyhow::bail!(
            "{}: unknown TLS mode '{other}': use \"starttls\", \"implicit\" or \"none\"",
            at("tls")
        ),
    };
    let port = match (smtp.port, tls) {
        (0, Tls::StartTls) => 587,
        (0, Tls::Implicit) => 465,
        (0, Tls::None) => 25,
        (port, _) => port,
    };
    let password = std::env::var(SMTP_PASSWORD_ENV)
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| smtp.password.clone());
    let credentials = match (smtp.username.trim(), password.is_empty()) {
        ("", true) => None,
        ("", false) => anyhow::bail!("{}: a password is set but no username", at("username")),
        (_, true) => anyhow::bail!(
            "{}: a username is set but no password (set it here or in {SMTP_PASSWORD_ENV})",
            at("password")
        ),
        (username, false) => Some(Credentials {
            username: username.to_owned(),
            password,
        }),
    };
    if smtp.connections == 0 || smtp.connections > 64 {
        anyhow::bail!("{}: use 1 to 64", at("connections"));
    }
    if smtp.attempts == 0 {
        anyhow::bail!("{}: must be at least 1", at("attempts"));
    }
    if smtp.timeout_s == 0 {
        anyhow::bail!("{}: must be at least 1", at("timeout_s"));
    }
    let helo_name = match smtp.helo_name.trim() {
        "" => host_name(),
        name => name.to_owned(),
    };
    let extra_roots_pem = if smtp.ca_file.as_os_str().is_empty() {
        None
    } else {
        let path = base.join(&smtp.ca_file);
        Some(
            std::fs::read(&path)
                .with_context(|| format!("{}: cannot read '{}'", at("ca_file"), path.display()))?,
        )
    };
    let config = SmtpConfig {
        host: host.to_owned(),
        port,
        tls,
        credentials,
        connections: smtp.connections,
        rate_per_second: (smtp.rate_per_second > 0).then_some(smtp.rate_per_second),
        timeout: Duration::from_secs(smtp.timeout_s),
        retry: Retry {
            attempts: smtp.attempts,
            ..Retry::default()
        },
        helo_name,
        extra_roots_pem,
    };
    // Checks what can be checked without connecting (TLS roots, names).
    pressroom_digest::Smtp::new(config.clone())
        .map_err(|error| anyhow::anyhow!("[email.smtp]: {error}"))?;
    Ok(Some(config))
}

/// This machine's host name, for EHLO; `localhost` when it has none usable.
fn host_name() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most `len` bytes into the buffer it is given.
    let ok = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) } == 0;
    let name = buffer
        .iter()
        .position(|&b| b == 0)
        .map(|end| String::from_utf8_lossy(&buffer[..end]).into_owned())
        .unwrap_or_default();
    if ok
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
    {
        name
    } else {
        "localhost".to_owned()
    }
}

/// `[[digest]] key` (the `index`th table, counted from 0) and its line when
/// the key is written.
fn digest_key_location(text: &str, index: usize, key: &str) -> String {
    let mut tables = 0usize;
    let mut inside = false;
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            inside = trimmed.replace(' ', "") == "[[digest]]" && {
                tables += 1;
                tables == index + 1
            };
        } else if inside
            && trimmed
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return format!("line {}: [[digest]] {key}", number + 1);
        }
    }
    format!("[[digest]] number {} {key}", index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn load(text: &str) -> anyhow::Result<Option<EmailSettings>> {
        let file: super::super::ConfigFile = toml::from_str(text)?;
        validate(
            &file.email,
            &file.digest,
            &Surroundings {
                text,
                base: Path::new("/srv/press"),
                base_url: "https://press.example.org/",
                site_title: "Press",
                site_zone: chrono_tz::Europe::Paris,
            },
        )
    }

    fn error(text: &str) -> String {
        format!("{:#}", load(text).unwrap_err())
    }

    /// A config with one digest; `digest` lines replace its defaults.
    fn with_digest(email: &str, digest: &str) -> String {
        let mut table = String::from("[[digest]]\n");
        for (key, default) in [("name", "\"daily\""), ("schedule", "\"daily 08:00\"")] {
            if !digest.lines().any(|line| line.starts_with(key)) {
                table.push_str(&format!("{key} = {default}\n"));
            }
        }
        table.push_str(digest);
        format!("[email]\nfrom = \"press@example.org\"\nsecret = \"{SECRET}\"\n{email}\n{table}")
    }

    #[test]
    fn without_a_digest_email_is_off() {
        assert!(load("[email]\nfrom = \"\"\n").unwrap().is_none());
    }

    #[test]
    fn a_minimal_digest_gets_every_default() {
        let email = load(&with_digest("", "")).unwrap().unwrap();
        assert_eq!(email.from.as_str(), "press@example.org");
        assert_eq!(email.from_name, "Press");
        assert_eq!(email.list_id_domain, "example.org");
        assert_eq!(
            email.unsubscribe_url,
            "https://press.example.org/unsubscribe"
        );
        assert_eq!(email.subscribers, Path::new("/srv/press/subscribers.csv"));
        assert_eq!(email.outbox, Path::new("/srv/press/outbox"));
        assert!(email.smtp.is_none());
        let digest = &email.digests[0];
        assert_eq!(digest.time_zone, chrono_tz::Europe::Paris);
        assert!(digest.skip_if_empty);
        assert_eq!(digest.subject, pressroom_digest::DEFAULT_SUBJECT);
    }

    #[test]
    fn mistakes_name_their_key_and_line() {
        let message = error(&with_digest("", "schedule = \"hourly\"\n"));
        assert!(message.contains("[[digest]] schedule"), "{message}");
        let message = error(&with_digest("", "name = \"Daily News\"\n"));
        assert!(message.contains("[[digest]] name"), "{message}");
        let message = error(&with_digest("", "time_zone = \"Mars/Olympus\"\n"));
        assert!(
            message.contains("time_zone") && message.contains("Mars/Olympus"),
            "{message}"
        );
        let message = error(&with_digest("", "subject = \"{{ broken\"\n"));
        assert!(message.contains("[[digest]] subject"), "{message}");
        let message = error(&with_digest("", "languages = [\"french\"]\n"));
        assert!(message.contains("languages"), "{message}");
        let message = error(&with_digest(
            "[email.smtp]\nhost = \"mail\"\ntls = \"ssl\"\n",
            "",
        ));
        assert!(message.contains("[email.smtp] tls"), "{message}");
        let message = error(&with_digest(
            "[email.smtp]\nhost = \"mail\"\nusername = \"u\"\n",
            "",
        ));
        assert!(message.contains("no password"), "{message}");
        let message = error("[[digest]]\nname = \"daily\"\nschedule = \"daily 08:00\"\n");
        assert!(message.contains("[email] from"), "{message}");
    }

    #[test]
    fn the_secret_must_be_long_and_present() {
        let message = error(
            "[email]\nfrom = \"p@example.org\"\nsecret = \"short\"\n[[digest]]\nname = \"d\"\nschedule = \"daily 08:00\"\n",
        );
        assert!(
            message.contains("[email] secret") && message.contains("32"),
            "{message}"
        );
    }

    #[test]
    fn one_click_needs_https_except_on_loopback() {
        assert!(check_unsubscribe_url("https://press.example.org/unsubscribe").is_ok());
        assert!(check_unsubscribe_url("http://127.0.0.1:8080/unsubscribe").is_ok());
        assert!(check_unsubscribe_url("http://localhost/unsubscribe").is_ok());
        assert!(check_unsubscribe_url("http://[::1]:8080/unsubscribe").is_ok());
        assert!(check_unsubscribe_url("http://press.example.org/unsubscribe").is_err());
        assert!(check_unsubscribe_url("http://127.0.0.1.evil.org/unsubscribe").is_err());
        assert!(check_unsubscribe_url("https://press.example.org/u?x=1").is_err());
    }

    #[test]
    fn digests_filter_by_language_and_category() {
        let email = load(&with_digest(
            "",
            "languages = [\"fr\"]\ncategories = [\"Énergie\"]\n",
        ))
        .unwrap()
        .unwrap();
        let digest = &email.digests[0];
        let fr = Lang::parse("fr").unwrap();
        let fr_ca = Lang::parse("fr-CA").unwrap();
        let en = Lang::parse("en").unwrap();
        assert!(digest.wants(&fr, &["energie".to_owned()]));
        assert!(digest.wants(&fr_ca, &["ÉNERGIE".to_owned()]));
        assert!(!digest.wants(&en, &["energie".to_owned()]));
        assert!(!digest.wants(&fr, &["Transport".to_owned()]));
        assert!(!digest.wants(&fr, &[]));
    }
}
