//! The configuration file, `pressroom.toml`.
//!
//! The file is parsed strictly (an unknown key is an error, so a typo never
//! silently falls back to a default) into serde types that mirror it, then
//! validated into [`Settings`], the typed values the rest of the binary uses.
//! Errors name the key and its line. Paths are relative to the folder holding
//! the config file, so a workspace can be moved or mounted anywhere.

mod email;

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono_tz::Tz;
use pressroom_core::Lang;
use pressroom_feeds::Format;
use serde::Deserialize;

/// The config file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfigFile {
    pub site: SiteSection,
    pub paths: PathsSection,
    pub feeds: FeedsSection,
    pub inbox: InboxSection,
    pub attachments: AttachmentsSection,
    pub watch: WatchSection,
    pub serve: ServeSection,
    pub email: email::EmailSection,
    /// `[[digest]]` tables.
    pub digest: Vec<email::DigestSection>,
}

/// `[site]`: who publishes, and where the feeds live.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteSection {
    /// The title of the site and of its feeds.
    pub title: String,
    /// One sentence describing the site, used in feeds.
    pub description: String,
    /// The public URL of `public/`: every link in feeds and pages starts with it.
    pub base_url: String,
    /// The authority of `tag:` ids (RFC 4151): a domain or email you own.
    /// Empty means the host of `base_url`. Never change it once published.
    pub tag_authority: String,
    /// The language of the site, and of releases whose language cannot be detected.
    pub default_lang: String,
    /// The IANA time zone in which dates are shown and datelines are read.
    pub time_zone: String,
    /// The author shown in feeds when a release names none.
    pub author_name: String,
    /// The press office's contact address, shown in feeds (optional).
    pub author_email: String,
}

impl Default for SiteSection {
    fn default() -> Self {
        Self {
            title: "Press releases".to_owned(),
            description: "The latest press releases.".to_owned(),
            base_url: "http://localhost:8080/".to_owned(),
            tag_authority: String::new(),
            default_lang: "en".to_owned(),
            time_zone: "UTC".to_owned(),
            author_name: "Press Office".to_owned(),
            author_email: String::new(),
        }
    }
}

/// `[paths]`: the workspace's folders, relative to the config file.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PathsSection {
    /// Where editors drop release files.
    pub inbox: PathBuf,
    /// Where the originals of published releases are kept (with a journal that `rebuild` replays).
    pub archive: PathBuf,
    /// Where files that cannot be published are moved, each with a `.error.txt` note.
    pub rejected: PathBuf,
    /// Where feeds and pages are written: serve this folder.
    pub public: PathBuf,
    /// Where the store (SQLite) and the daemon's lock live.
    pub state: PathBuf,
    /// Folder of templates overriding the built-in ones (`release.html`, `index.html`); empty for none.
    pub templates: PathBuf,
}

impl Default for PathsSection {
    fn default() -> Self {
        Self {
            inbox: "inbox".into(),
            archive: "archive".into(),
            rejected: "rejected".into(),
            public: "public".into(),
            state: "state".into(),
            templates: PathBuf::new(),
        }
    }
}

/// `[feeds]`: which feeds are written.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedsSection {
    /// How many releases each feed and listing page holds, newest first.
    pub limit: usize,
    /// Which formats to write: any of "atom", "rss", "json".
    pub formats: Vec<String>,
    /// Write a feed per language (`public/<lang>/atom.xml`…).
    pub per_language: bool,
    /// Write a feed per category (`public/category/<slug>/atom.xml`…).
    pub per_category: bool,
}

impl Default for FeedsSection {
    fn default() -> Self {
        Self {
            limit: 50,
            formats: vec!["atom".to_owned(), "rss".to_owned(), "json".to_owned()],
            per_language: true,
            per_category: true,
        }
    }
}

/// `[inbox]`: how dropped files are read.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboxSection {
    /// Files larger than this many bytes are rejected without being read.
    pub max_file_size: u64,
}

impl Default for InboxSection {
    fn default() -> Self {
        Self {
            max_file_size: pressroom_core::ParseOptions::DEFAULT_MAX_BYTES,
        }
    }
}

/// `[attachments]`: the photos and documents published with releases.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttachmentsSection {
    /// The largest attachment, in bytes; a release with a larger one is
    /// rejected whole.
    pub max_bytes: u64,
    /// The types allowed, known by their content: any of "jpeg", "png",
    /// "gif", "webp", "pdf". Empty allows none.
    pub types: Vec<String>,
}

impl Default for AttachmentsSection {
    fn default() -> Self {
        Self {
            max_bytes: pressroom_core::AttachmentRules::DEFAULT_MAX_BYTES,
            types: pressroom_core::FileType::ALL
                .iter()
                .map(|t| t.name().to_owned())
                .collect(),
        }
    }
}

/// `[watch]`: how the daemon notices files.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatchSection {
    /// How long (milliseconds) a file's size, time and inode must stand still
    /// before it is read: a file being copied or uploaded is never read half-written.
    pub settle_ms: u64,
    /// How often (seconds) the whole inbox is scanned anyway, for what a
    /// network file system did not report. 0 turns it off.
    pub rescan_interval_s: u64,
    /// Poll the inbox instead of using inotify (for NFS, SMB and other file
    /// systems that report no events).
    pub poll: bool,
    /// How often (milliseconds) to poll when `poll` is on.
    pub poll_interval_ms: u64,
}

impl Default for WatchSection {
    fn default() -> Self {
        Self {
            settle_ms: 300,
            rescan_interval_s: 300,
            poll: false,
            poll_interval_ms: 1000,
        }
    }
}

/// `[serve]`: the daemon's own HTTP server for `public/`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeSection {
    /// Address to serve `public/` on, for example "127.0.0.1:8080"; empty for
    /// none (`pressroom run --serve ADDR` overrides it).
    pub address: String,
}

pub use email::{DigestSettings, EmailSettings};

/// Validated settings, with absolute paths.
#[derive(Debug, Clone)]
pub struct Settings {
    pub site: pressroom_feeds::Site,
    pub tag_authority: String,
    pub time_zone: Tz,
    pub inbox: PathBuf,
    pub archive: PathBuf,
    pub rejected: PathBuf,
    pub public: PathBuf,
    pub state: PathBuf,
    pub templates: Option<PathBuf>,
    pub feed_limit: usize,
    pub formats: Vec<Format>,
    pub per_language: bool,
    pub per_category: bool,
    pub parse: pressroom_core::ParseOptions,
    pub settle: std::time::Duration,
    pub rescan_interval: Option<std::time::Duration>,
    pub poll: Option<std::time::Duration>,
    pub serve: Option<std::net::SocketAddr>,
    /// Digest emails; `None` when no `[[digest]]` is configured.
    pub email: Option<EmailSettings>,
}

impl Settings {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the config file '{}'", path.display()))?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let base = std::path::absolute(base)
            .with_context(|| format!("cannot resolve '{}'", base.display()))?;
        Self::parse(&text, &base)
            .with_context(|| format!("invalid config file '{}'", path.display()))
    }

    /// Validates config text; relative paths are resolved against `base`.
    pub fn parse(text: &str, base: &Path) -> anyhow::Result<Self> {
        let file: ConfigFile = toml::from_str(text).map_err(|error| {
            let line = error
                .span()
                .map(|span| 1 + text[..span.start].matches('\n').count());
            let message = error.message().trim().to_owned();
            match line {
                Some(line) => anyhow::anyhow!("line {line}: {message}"),
                None => anyhow::anyhow!("{message}"),
            }
        })?;
        let at = |section: &str, key: &str| key_location(text, section, key);

        let site = &file.site;
        let base_url = normalise_base_url(&site.base_url)
            .map_err(|message| anyhow::anyhow!("{}: {message}", at("site", "base_url")))?;
        let lang = Lang::parse(&site.default_lang)
            .map_err(|error| anyhow::anyhow!("{}: {error}", at("site", "default_lang")))?;
        let time_zone: Tz = site.time_zone.parse().map_err(|_| {
            anyhow::anyhow!(
                "{}: unknown time zone '{}': use an IANA name such as 'Europe/Paris' or 'UTC'",
                at("site", "time_zone"),
                site.time_zone
            )
        })?;
        let author_email = match site.author_email.trim() {
            "" => None,
            email if is_plausible_email(email) => Some(email.to_owned()),
            email => anyhow::bail!(
                "{}: '{email}' is not an email address",
                at("site", "author_email")
            ),
        };
        let tag_authority = match site.tag_authority.trim() {
            "" => host_of(&base_url).to_owned(),
            authority
                if authority
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.@".contains(c)) =>
            {
                authority.to_ascii_lowercase()
            }
            authority => anyhow::bail!(
                "{}: '{authority}' is not a domain name or email address",
                at("site", "tag_authority")
            ),
        };
        for (key, value) in [("title", &site.title), ("author_name", &site.author_name)] {
            if value.trim().is_empty() {
                anyhow::bail!("{}: must not be empty", at("site", key));
            }
        }

        let feeds = &file.feeds;
        if feeds.limit == 0 {
            anyhow::bail!("{}: must be at least 1", at("feeds", "limit"));
        }
        let mut formats = Vec::new();
        for name in &feeds.formats {
            let format = match name.as_str() {
                "atom" => Format::Atom,
                "rss" => Format::Rss,
                "json" => Format::Json,
                other => anyhow::bail!(
                    "{}: unknown format '{other}': use \"atom\", \"rss\" or \"json\"",
                    at("feeds", "formats")
                ),
            };
            if !formats.contains(&format) {
                formats.push(format);
            }
        }
        if formats.is_empty() {
            anyhow::bail!("{}: list at least one format", at("feeds", "formats"));
        }
        if file.inbox.max_file_size == 0 {
            anyhow::bail!("{}: must be at least 1", at("inbox", "max_file_size"));
        }
        if file.attachments.max_bytes == 0 {
            anyhow::bail!("{}: must be at least 1", at("attachments", "max_bytes"));
        }
        let mut attachment_types = Vec::new();
        for name in &file.attachments.types {
            let kind = pressroom_core::FileType::from_name(name).ok_or_else(|| {
                anyhow::anyhow!(
                    "{}: unknown type '{name}': use any of \"jpeg\", \"png\", \"gif\", \"webp\", \"pdf\"",
                    at("attachments", "types")
                )
            })?;
            if !attachment_types.contains(&kind) {
                attachment_types.push(kind);
            }
        }

        let watch = &file.watch;
        if watch.settle_ms > 60_000 {
            anyhow::bail!("{}: at most 60000 (one minute)", at("watch", "settle_ms"));
        }
        if watch.poll && watch.poll_interval_ms == 0 {
            anyhow::bail!("{}: must be at least 1", at("watch", "poll_interval_ms"));
        }
        let serve = match file.serve.address.trim() {
            "" => None,
            address => Some(address.parse().map_err(|_| {
                anyhow::anyhow!(
                    "{}: '{address}' is not an address such as 127.0.0.1:8080",
                    at("serve", "address")
                )
            })?),
        };

        let email = email::validate(
            &file.email,
            &file.digest,
            &email::Surroundings {
                text,
                base,
                base_url: &base_url,
                site_title: site.title.trim(),
                site_zone: time_zone,
            },
        )?;

        let paths = &file.paths;
        let resolve = |path: &Path| base.join(path);
        Ok(Self {
            site: pressroom_feeds::Site {
                title: site.title.trim().to_owned(),
                description: site.description.trim().to_owned(),
                base_url,
                lang: lang.clone(),
                author_name: site.author_name.trim().to_owned(),
                author_email,
                generator: format!("Pressroom {}", env!("CARGO_PKG_VERSION")),
            },
            tag_authority,
            time_zone,
            inbox: resolve(&paths.inbox),
            archive: resolve(&paths.archive),
            rejected: resolve(&paths.rejected),
            public: resolve(&paths.public),
            state: resolve(&paths.state),
            templates: (!paths.templates.as_os_str().is_empty()).then(|| resolve(&paths.templates)),
            feed_limit: feeds.limit,
            formats,
            per_language: feeds.per_language,
            per_category: feeds.per_category,
            parse: pressroom_core::ParseOptions {
                max_bytes: file.inbox.max_file_size,
                default_lang: lang,
                attachments: pressroom_core::AttachmentRules {
                    max_bytes: file.attachments.max_bytes,
                    types: attachment_types,
                },
            },
            settle: std::time::Duration::from_millis(watch.settle_ms),
            rescan_interval: (watch.rescan_interval_s > 0)
                .then(|| std::time::Duration::from_secs(watch.rescan_interval_s)),
            poll: watch
                .poll
                .then(|| std::time::Duration::from_millis(watch.poll_interval_ms)),
            serve,
            email,
        })
    }

    /// Everything in the settings that shapes the outputs, in a stable form.
    pub fn output_settings(&self) -> String {
        format!(
            "{:?} {} {} {:?} {} {} {}",
            self.site,
            self.tag_authority,
            self.time_zone,
            self.formats,
            self.feed_limit,
            self.per_language,
            self.per_category
        )
    }

    /// The effective settings, one `key = value` per line, for `config check`.
    pub fn describe(&self) -> String {
        let site = &self.site;
        let formats: Vec<&str> = self.formats.iter().map(|f| f.file_name()).collect();
        let duration = |d: Option<std::time::Duration>| {
            d.map_or_else(|| "off".to_owned(), |d| format!("{} ms", d.as_millis()))
        };
        let lines = [
            ("site.title", site.title.clone()),
            ("site.description", site.description.clone()),
            ("site.base_url", site.base_url.clone()),
            ("site.tag_authority", self.tag_authority.clone()),
            ("site.default_lang", site.lang.to_string()),
            ("site.time_zone", self.time_zone.to_string()),
            ("site.author_name", site.author_name.clone()),
            (
                "site.author_email",
                site.author_email
                    .clone()
                    .unwrap_or_else(|| "(none)".to_owned()),
            ),
            ("paths.inbox", self.inbox.display().to_string()),
            ("paths.archive", self.archive.display().to_string()),
            ("paths.rejected", self.rejected.display().to_string()),
            ("paths.public", self.public.display().to_string()),
            ("paths.state", self.state.display().to_string()),
            (
                "paths.templates",
                self.templates
                    .as_ref()
                    .map_or_else(|| "(built-in)".to_owned(), |t| t.display().to_string()),
            ),
            ("feeds.limit", self.feed_limit.to_string()),
            ("feeds.formats", formats.join(", ")),
            ("feeds.per_language", self.per_language.to_string()),
            ("feeds.per_category", self.per_category.to_string()),
            (
                "inbox.max_file_size",
                format!("{} bytes", self.parse.max_bytes),
            ),
            (
                "attachments.max_bytes",
                format!("{} bytes", self.parse.attachments.max_bytes),
            ),
            ("attachments.types", self.parse.attachments.allowed()),
            ("watch.settle", format!("{} ms", self.settle.as_millis())),
            ("watch.rescan_interval", duration(self.rescan_interval)),
            ("watch.poll", duration(self.poll)),
            (
                "serve.address",
                self.serve
                    .map_or_else(|| "(none)".to_owned(), |a| a.to_string()),
            ),
        ];
        let mut lines = lines.to_vec();
        lines.extend(self.describe_email());
        lines
            .iter()
            .map(|(key, value)| format!("{key:<22} = {value}\n"))
            .collect()
    }

    /// The email lines of [`Settings::describe`]; secrets are never shown.
    fn describe_email(&self) -> Vec<(&'static str, String)> {
        let Some(email) = &self.email else {
            return vec![("email", "off (no [[digest]] configured)".to_owned())];
        };
        let mut lines = vec![
            (
                "email.from",
                format!("{} <{}>", email.from_name, email.from),
            ),
            ("email.list_id_domain", email.list_id_domain.clone()),
            ("email.subscribers", email.subscribers.display().to_string()),
            ("email.unsubscribe_url", email.unsubscribe_url.clone()),
            (
                "email.unsubscribe_mailto",
                email
                    .unsubscribe_mailto
                    .as_ref()
                    .map_or_else(|| "(none)".to_owned(), ToString::to_string),
            ),
            ("email.secret", "(set)".to_owned()),
            (
                "email.delivery",
                match &email.smtp {
                    None => format!("outbox {}", email.outbox.display()),
                    Some(smtp) => format!(
                        "smtp {}:{} ({:?}, {} connection(s){})",
                        smtp.host,
                        smtp.port,
                        smtp.tls,
                        smtp.connections,
                        smtp.rate_per_second
                            .map(|rate| format!(", at most {rate}/s"))
                            .unwrap_or_default()
                    ),
                },
            ),
        ];
        for digest in &email.digests {
            let filter = |values: Vec<String>| {
                if values.is_empty() {
                    "all".to_owned()
                } else {
                    values.join(", ")
                }
            };
            lines.push((
                "digest",
                format!(
                    "{}: {} ({}), languages {}, categories {}{}",
                    digest.name,
                    digest.schedule,
                    digest.time_zone,
                    filter(digest.languages.iter().map(ToString::to_string).collect()),
                    filter(digest.categories.clone()),
                    if digest.skip_if_empty {
                        ", skipped when empty"
                    } else {
                        ""
                    }
                ),
            ));
        }
        lines
    }

    /// The SQLite store's file.
    pub fn store_path(&self) -> PathBuf {
        self.state.join("pressroom.db")
    }
}

/// `[section] key` and, when the key is written in the file, its line.
pub(crate) fn key_location(text: &str, section: &str, key: &str) -> String {
    let mut current = String::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(name) = trimmed
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            current = name.trim().to_owned();
        } else if current == section
            && trimmed
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return format!("line {}: [{section}] {key}", index + 1);
        }
    }
    format!("[{section}] {key}")
}

/// An absolute http(s) URL ending with '/'.
fn normalise_base_url(raw: &str) -> Result<String, String> {
    let url = raw.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("'{url}' must be an absolute http:// or https:// URL"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || url.contains(char::is_whitespace) || url.contains(['?', '#']) {
        return Err(format!(
            "'{url}' is not a usable base URL (a host is required; no spaces, query or fragment)"
        ));
    }
    Ok(if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    })
}

fn host_of(base_url: &str) -> &str {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority.split(':').next().unwrap_or(authority)
}

fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !email.contains(char::is_whitespace)
        && !email.contains(['<', '>', ','])
}

/// The config `pressroom init` writes: every setting, with its default and a comment.
///
/// `secret` signs unsubscribe links: `pressroom init` gives a fresh random one.
pub fn default_config_text(base_url: &str, secret: &str) -> String {
    format!(
        r#"# Pressroom configuration. Every setting is shown with its default value.
# Paths are relative to this file's folder. Reload a running daemon with SIGHUP.

[site]
# The title of the site and of its feeds.
title = "Press releases"
# One sentence describing the site, used in feeds.
description = "The latest press releases."
# The public URL of the public/ folder: every link in feeds and pages starts with it.
base_url = "{base_url}"
# The authority of the permanent tag: ids of releases (a domain or an email you own).
# Empty means the host of base_url. Never change it once releases are published.
tag_authority = ""
# The site's language, and that of releases whose language cannot be detected.
default_lang = "en"
# The IANA time zone in which dates are shown (for example "Europe/Paris").
time_zone = "UTC"
# The author shown in feeds when a release names none.
author_name = "Press Office"
# The press office's contact address, shown in feeds ("" for none).
author_email = ""

[paths]
# Where editors drop release files (.txt, .md, .markdown, .docx, .html, .htm). A subfolder's
# name is a category, except a release folder: one holding a single release document and
# the photos and PDFs that go with it.
inbox = "inbox"
# Where originals of published releases are kept, with the journal that `pressroom rebuild` replays.
archive = "archive"
# Where files that cannot be published are moved, each with a NAME.error.txt note.
rejected = "rejected"
# Where feeds and pages are written: serve this folder.
public = "public"
# Where the store and the daemon's lock live.
state = "state"
# A folder of templates overriding the built-in release.html and index.html ("" for none).
templates = ""

[feeds]
# How many releases each feed and listing holds, newest first.
limit = 50
# Formats to write: any of "atom", "rss", "json".
formats = ["atom", "rss", "json"]
# Also write a feed per language (public/<lang>/...) and per category (public/category/<slug>/...).
per_language = true
per_category = true

[inbox]
# Files larger than this many bytes are rejected without being read (10 MiB).
max_file_size = 10485760

[attachments]
# Photos and PDFs published with a release: the files of its release folder, the files
# named after its document (statement.docx, statement.pdf, statement-photo.jpg), and the
# images inside a Word document. A release whose attachment is refused is rejected whole.
# The largest attachment, in bytes (20 MiB).
max_bytes = 20971520
# The types allowed, recognised by their content, not only their name:
# any of "jpeg", "png", "gif", "webp", "pdf".
types = ["jpeg", "png", "gif", "webp", "pdf"]

[watch]
# How long (ms) a dropped file must stand still before it is read, so that a file
# being copied or uploaded is never read half-written.
settle_ms = 300
# How often (s) the whole inbox is scanned anyway, for what a network file system
# did not report (0: never).
rescan_interval_s = 300
# Poll instead of using inotify (for NFS, SMB and other file systems without events).
poll = false
poll_interval_ms = 1000

[serve]
# Serve public/ over HTTP on this address, e.g. "127.0.0.1:8080" ("" for none;
# `pressroom run --serve ADDR` overrides it). Put a reverse proxy in front for TLS.
# The same server answers unsubscribe links (/unsubscribe) when digests are on.
address = ""

[email]
# Digest emails are off until a [[digest]] table is added (see the example below).
# The sender of digests (required with a digest), and the name shown with it
# ("" means the site's title).
from = ""
from_name = ""
# The domain of the List-Id header ("" means the domain of `from`).
list_id_domain = ""
# The subscriber list, a CSV file with the header line address,name,language,digests
# (digests: names separated by ';', empty for all). Read again at every digest run;
# a bad line is reported and skipped.
subscribers = "subscribers.csv"
# Where one-click unsubscribe links point ("" means <base_url>unsubscribe). It must be
# https:// (plain http only on a loopback host) and reach this daemon's /unsubscribe.
unsubscribe_url = ""
# An address that also takes unsubscribe requests by mail ("" for none); handle
# them with `pressroom unsubscribe ADDRESS`.
unsubscribe_mailto = ""
# The key unsubscribe links are signed with. Keep it secret; changing it breaks every
# link already sent. The environment variable PRESSROOM_UNSUBSCRIBE_SECRET overrides it.
secret = "{secret}"
# Where messages are written as .eml files when no SMTP host is set.
outbox = "outbox"
# A folder with digest.txt and/or digest.html overriding the built-in templates ("" for none).
templates = ""

[email.smtp]
# The relay that sends digests ("" writes them to the outbox instead).
host = ""
# 0 means the usual port for `tls`: 587 for "starttls", 465 for "implicit", 25 for "none".
port = 0
# "starttls", "implicit", or "none" (only for a relay on this machine).
tls = "starttls"
# Credentials for the relay, if it asks for them; PRESSROOM_SMTP_PASSWORD overrides
# the password.
username = ""
password = ""
# Sessions opened in parallel, and at most this many messages a second (0: no limit).
connections = 4
rate_per_second = 0
# Seconds to wait for the relay, and attempts per message before it is retried later.
timeout_s = 30
attempts = 5
# The name given in EHLO ("" means this machine's host name), and extra trusted
# certificates (PEM) for a relay with a private CA ("" for none).
helo_name = ""
ca_file = ""

# A digest: uncomment and adapt. Add one [[digest]] table per digest.
# [[digest]]
# # The name subscribers list in their `digests` column; also in List-Id and links.
# name = "daily"
# # "daily HH:MM" or "weekly DAY HH:MM", in time_zone ("" means [site] time_zone).
# schedule = "daily 08:00"
# time_zone = ""
# # What the digest covers, in words, and its subject (a template; "" for the default).
# description = "Every release of the day"
# subject = ""
# # Only releases in these languages and categories ([] for all).
# languages = []
# categories = []
# # Send nothing when no release was published since the last digest.
# skip_if_empty = true
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<Settings> {
        Settings::parse(text, Path::new("/srv/press"))
    }

    fn error(text: &str) -> String {
        format!("{:#}", parse(text).unwrap_err())
    }

    #[test]
    fn the_written_default_config_is_valid_and_complete() {
        let settings = parse(&default_config_text(
            "https://press.example.org",
            "0123456789abcdef0123456789abcdef",
        ))
        .unwrap();
        assert_eq!(settings.site.base_url, "https://press.example.org/");
        assert_eq!(settings.tag_authority, "press.example.org");
        assert_eq!(settings.inbox, Path::new("/srv/press/inbox"));
        assert_eq!(settings.feed_limit, 50);
        assert_eq!(settings.formats, [Format::Atom, Format::Rss, Format::Json]);
        assert_eq!(settings.templates, None);
        // The written file says what an empty one means.
        assert_eq!(
            settings.parse.attachments,
            parse("").unwrap().parse.attachments
        );
        assert_eq!(settings.parse.max_bytes, parse("").unwrap().parse.max_bytes);
        assert!(settings.email.is_none());
        // The commented example digest, once uncommented, is valid too.
        let mut text = default_config_text(
            "https://press.example.org",
            "0123456789abcdef0123456789abcdef",
        )
        .replace("from = \"\"", "from = \"press@example.org\"");
        let example = text.split_off(text.find("# [[digest]]").unwrap());
        for line in example.lines() {
            let line = line.strip_prefix("# ").unwrap_or(line);
            text.push_str(line);
            text.push('\n');
        }
        let settings = parse(&text).unwrap();
        let email = settings.email.unwrap();
        assert_eq!(email.digests[0].name, "daily");
    }

    #[test]
    fn an_empty_file_means_every_default() {
        let settings = parse("").unwrap();
        assert_eq!(settings.time_zone, chrono_tz::UTC);
        assert_eq!(settings.parse.max_bytes, 10 * 1024 * 1024);
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_key_and_line() {
        let message = error("[site]\ntitle = \"T\"\ntitel = \"typo\"\n");
        assert!(
            message.contains("line 3") && message.contains("titel"),
            "{message}"
        );
        let message = error("[sitee]\n");
        assert!(
            message.contains("line 1") && message.contains("sitee"),
            "{message}"
        );
    }

    #[test]
    fn bad_values_name_the_key_and_line() {
        let message = error("[site]\ntime_zone = \"Europe/Pariss\"\n");
        assert!(
            message.contains("line 2: [site] time_zone") && message.contains("Europe/Pariss"),
            "{message}"
        );
        let message = error("[site]\nbase_url = \"press.example.org\"\n");
        assert!(message.contains("line 2: [site] base_url"), "{message}");
        let message = error("[feeds]\nlimit = 0\n");
        assert!(message.contains("line 2: [feeds] limit"), "{message}");
        let message = error("[feeds]\nformats = [\"atom\", \"xml\"]\n");
        assert!(message.contains("unknown format 'xml'"), "{message}");
        let message = error("[site]\ndefault_lang = \"french\"\n");
        assert!(message.contains("[site] default_lang"), "{message}");
        let message = error("[feeds]\nlimit = \"ten\"\n");
        assert!(message.contains("line 2"), "{message}");
        let message = error("[site]\nauthor_email = \"not an email\"\n");
        assert!(message.contains("[site] author_email"), "{message}");
        let message = error("[attachments]\ntypes = [\"jpeg\", \"tiff\"]\n");
        assert!(
            message.contains("line 2: [attachments] types") && message.contains("'tiff'"),
            "{message}"
        );
        let message = error("[attachments]\nmax_bytes = 0\n");
        assert!(
            message.contains("line 2: [attachments] max_bytes"),
            "{message}"
        );
    }
}
