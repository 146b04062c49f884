//! Front matter: the `---` (YAML) or `+++` (TOML) block that may open a text
//! or Markdown file and states what the text cannot (or states it for sure).
//!
//! Both syntaxes are read into one generic shape first, then each known key is
//! converted into a validated value, so that errors name the key and its line
//! and an unknown key is a warning rather than a rejection (editors copy front
//! matter between tools).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};

use crate::attachment::AttachmentNote;
use crate::date::{DateMatch, parse_date};
use crate::error::{ParseError, Warning};
use crate::model::{Lang, ReleaseDate, ReleaseId};

/// What the front matter says about a release; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub date: Option<ReleaseDate>,
    pub lang: Option<Lang>,
    pub place: Option<String>,
    /// `categories` followed by `tags`, without duplicates.
    pub categories: Vec<String>,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub id: Option<ReleaseId>,
    pub embargo: Option<DateTime<FixedOffset>>,
    /// The media contact block, as text (lines kept, blank lines between entries).
    pub contact: Option<String>,
    /// The "About …" boilerplate, as text (blank lines between paragraphs).
    pub about: Option<String>,
    /// What the release says of the files dropped with it (`attachments:`,
    /// a list of file names or of `file`, `alt` (or `caption`), `credit`).
    pub attachments: Vec<AttachmentNote>,
}

/// A text split into its front matter and the rest.
#[derive(Debug)]
pub struct Split<'a> {
    pub front_matter: FrontMatter,
    pub body: &'a str,
    /// The line number (1-based) of the body's first line in the file.
    pub body_first_line: usize,
}

#[derive(Clone, Copy)]
enum Syntax {
    Yaml,
    Toml,
}

impl Syntax {
    fn fence(self) -> &'static str {
        match self {
            Self::Yaml => "---",
            Self::Toml => "+++",
        }
    }
}

/// Splits off and parses the front matter, if the text opens with one.
pub fn split_front_matter<'a>(
    text: &'a str,
    warnings: &mut Vec<Warning>,
) -> Result<Split<'a>, ParseError> {
    let first_line = text.lines().next().unwrap_or_default().trim_end();
    let syntax = match first_line {
        "---" => Syntax::Yaml,
        "+++" => Syntax::Toml,
        _ => {
            return Ok(Split {
                front_matter: FrontMatter::default(),
                body: text,
                body_first_line: 1,
            });
        }
    };
    let content_start = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut offset = content_start;
    for (line_number, line) in (2..).zip(text[content_start..].split_inclusive('\n')) {
        let trimmed = line.trim_end();
        let closes =
            trimmed == syntax.fence() || (matches!(syntax, Syntax::Yaml) && trimmed == "...");
        if closes {
            let content = &text[content_start..offset];
            let front_matter = parse(syntax, content, warnings)?;
            return Ok(Split {
                front_matter,
                body: &text[offset + line.len()..],
                body_first_line: line_number + 1,
            });
        }
        offset += line.len();
    }
    Err(ParseError::UnterminatedFrontMatter {
        fence: syntax.fence(),
        line: 1,
    })
}

/// A front matter value, whatever the syntax it was written in.
#[derive(Debug)]
enum Value {
    Text(String),
    List(Vec<Value>),
    /// A table (YAML mapping) with text keys, in order.
    Table(Vec<(String, Value)>),
    /// Anything else no key of ours expects; holds its kind.
    Other(&'static str),
}

fn parse(
    syntax: Syntax,
    content: &str,
    warnings: &mut Vec<Warning>,
) -> Result<FrontMatter, ParseError> {
    let entries = match syntax {
        Syntax::Yaml => yaml_entries(content)?,
        Syntax::Toml => toml_entries(content)?,
    };
    let mut front_matter = FrontMatter::default();
    let mut tags = Vec::new();
    for (key, value) in entries {
        let line = key_line(content, &key);
        let invalid = |message: String| ParseError::InvalidFrontMatterValue {
            key: key.clone(),
            line,
            message,
        };
        match key.to_ascii_lowercase().as_str() {
            "title" => front_matter.title = non_empty(one_line(&text(value).map_err(invalid)?)),
            "date" => {
                front_matter.date =
                    Some(release_date(&text(value).map_err(invalid)?).map_err(invalid)?)
            }
            "lang" | "language" => {
                let raw = text(value).map_err(invalid)?;
                front_matter.lang = Some(Lang::parse(&raw).map_err(|e| invalid(e.to_string()))?);
            }
            "place" | "location" => {
                front_matter.place = non_empty(one_line(&text(value).map_err(invalid)?))
            }
            "categories" | "category" => front_matter.categories = list(value).map_err(invalid)?,
            "tags" | "keywords" => tags = list(value).map_err(invalid)?,
            "summary" | "description" => {
                front_matter.summary = non_empty(text(value).map_err(invalid)?)
            }
            "author" => front_matter.author = non_empty(one_line(&text(value).map_err(invalid)?)),
            "id" => {
                let raw = text(value).map_err(invalid)?;
                front_matter.id = Some(ReleaseId::parse(&raw).map_err(|e| invalid(e.to_string()))?);
            }
            "embargo" => {
                front_matter.embargo =
                    Some(instant(&text(value).map_err(invalid)?).map_err(invalid)?)
            }
            "contact" => front_matter.contact = non_empty(text(value).map_err(invalid)?),
            "about" => front_matter.about = non_empty(text(value).map_err(invalid)?),
            "attachments" | "attachment" => {
                front_matter.attachments = attachment_notes(value).map_err(invalid)?
            }
            _ => warnings.push(Warning::UnknownFrontMatterKey { key }),
        }
    }
    for tag in tags {
        if !front_matter.categories.contains(&tag) {
            front_matter.categories.push(tag);
        }
    }
    Ok(front_matter)
}

fn yaml_entries(content: &str) -> Result<Vec<(String, Value)>, ParseError> {
    use serde_yaml_ng::Value as Yaml;
    let malformed = |line: Option<usize>, message: String| ParseError::MalformedFrontMatter {
        syntax: "YAML",
        // The YAML starts on the file's second line, after the fence.
        line: line.map(|line| line + 1),
        message,
    };
    if content.trim().is_empty() {
        return Ok(Vec::new());
    }
    let document: Yaml = serde_yaml_ng::from_str(content).map_err(|e| {
        let message = first_sentence(&e.to_string());
        // The parser counts lines from the start of the YAML; editors count
        // them from the start of the file, one line earlier.
        let message = shift_line_numbers(&message, 1);
        let line = if message.contains("line ") {
            None
        } else {
            e.location().map(|l| l.line())
        };
        malformed(line, message)
    })?;
    let Yaml::Mapping(mapping) = document else {
        return Err(malformed(Some(1), "expected 'key: value' lines".to_owned()));
    };
    fn convert(value: Yaml) -> Value {
        match value {
            Yaml::String(s) => Value::Text(s),
            Yaml::Number(n) => Value::Text(n.to_string()),
            Yaml::Bool(b) => Value::Text(b.to_string()),
            Yaml::Sequence(items) => Value::List(items.into_iter().map(convert).collect()),
            Yaml::Null => Value::Other("an empty value"),
            Yaml::Mapping(mapping) => {
                let mut entries = Vec::with_capacity(mapping.len());
                for (key, value) in mapping {
                    match key {
                        Yaml::String(key) => entries.push((key, convert(value))),
                        _ => return Value::Other("a table with a key that is not text"),
                    }
                }
                Value::Table(entries)
            }
            Yaml::Tagged(tagged) => convert(tagged.value),
        }
    }
    mapping
        .into_iter()
        .map(|(key, value)| match key {
            Yaml::String(key) => Ok((key, convert(value))),
            other => Err(malformed(
                None,
                format!("a key must be text, found {other:?}"),
            )),
        })
        .collect()
}

fn toml_entries(content: &str) -> Result<Vec<(String, Value)>, ParseError> {
    let table: toml::Table =
        content
            .parse()
            .map_err(|e: toml::de::Error| ParseError::MalformedFrontMatter {
                syntax: "TOML",
                line: e.span().map(|span| 1 + line_of(content, span.start)),
                message: first_sentence(e.message()),
            })?;
    fn convert(value: toml::Value) -> Value {
        match value {
            toml::Value::String(s) => Value::Text(s),
            toml::Value::Integer(i) => Value::Text(i.to_string()),
            toml::Value::Float(f) => Value::Text(f.to_string()),
            toml::Value::Boolean(b) => Value::Text(b.to_string()),
            toml::Value::Datetime(d) => Value::Text(d.to_string()),
            toml::Value::Array(items) => Value::List(items.into_iter().map(convert).collect()),
            toml::Value::Table(table) => Value::Table(
                table
                    .into_iter()
                    .map(|(key, value)| (key, convert(value)))
                    .collect(),
            ),
        }
    }
    Ok(table
        .into_iter()
        .map(|(key, value)| (key, convert(value)))
        .collect())
}

/// The line (1-based, counted in the file) where `key` is set, for messages.
fn key_line(content: &str, key: &str) -> usize {
    content
        .lines()
        .position(|line| {
            line.strip_prefix(key)
                .or_else(|| line.strip_prefix(&format!("\"{key}\"")))
                .is_some_and(|rest| rest.trim_start().starts_with([':', '=']))
        })
        .map_or(1, |index| index + 2)
}

fn line_of(text: &str, byte_offset: usize) -> usize {
    1 + text.as_bytes()[..byte_offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Adds `by` to every `line N` in a parser's message.
fn shift_line_numbers(message: &str, by: usize) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(index) = rest.find("line ") {
        let (before, after) = rest.split_at(index + "line ".len());
        out.push_str(before);
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        match after[..digits].parse::<usize>() {
            Ok(number) => out.push_str(&(number + by).to_string()),
            Err(_) => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// YAML and TOML errors can run on over several lines; editors need the first.
fn first_sentence(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_owned()
}

fn text(value: Value) -> Result<String, String> {
    match value {
        Value::Text(text) => Ok(text.trim().to_owned()),
        Value::List(_) => Err("expected text, found a list".to_owned()),
        Value::Table(_) => Err("expected text, found a table".to_owned()),
        Value::Other(kind) => Err(format!("expected text, found {kind}")),
    }
}

/// A value that is one line wherever it is shown (a title, a place, a
/// name): line breaks and runs of spaces become one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// A list of names, or one text with names separated by commas.
fn list(value: Value) -> Result<Vec<String>, String> {
    let items = match value {
        Value::Text(text) => text.split(',').map(|item| item.trim().to_owned()).collect(),
        Value::List(items) => items.into_iter().map(text).collect::<Result<Vec<_>, _>>()?,
        Value::Table(_) => return Err("expected a list, found a table".to_owned()),
        Value::Other(kind) => return Err(format!("expected a list, found {kind}")),
    };
    let mut unique: Vec<String> = Vec::new();
    for item in items.into_iter().filter(|item| !item.is_empty()) {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    Ok(unique)
}

/// The `attachments` list: file names, or tables of `file`, `alt` (or
/// `caption`, `title`, `description`) and `credit`.
fn attachment_notes(value: Value) -> Result<Vec<AttachmentNote>, String> {
    let items = match value {
        Value::List(items) => items,
        Value::Table(_) => vec![value],
        Value::Text(_) => {
            return Ok(list(value)?
                .into_iter()
                .map(|file| AttachmentNote {
                    file,
                    ..AttachmentNote::default()
                })
                .collect());
        }
        Value::Other(kind) => return Err(format!("expected a list of files, found {kind}")),
    };
    let mut notes = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let mut note = AttachmentNote::default();
        match item {
            Value::Text(file) => note.file = file.trim().to_owned(),
            Value::Table(entries) => {
                for (key, value) in entries {
                    let value =
                        text(value).map_err(|e| format!("'{key}' of item {}: {e}", index + 1))?;
                    match key.to_ascii_lowercase().as_str() {
                        "file" | "name" => note.file = value,
                        "alt" | "caption" | "title" | "description" => note.alt = non_empty(value),
                        "credit" | "copyright" => note.credit = non_empty(value),
                        _ => {
                            return Err(format!(
                                "unknown key '{key}' in item {}: an attachment has 'file', 'alt' (or 'caption') and 'credit'",
                                index + 1
                            ));
                        }
                    }
                }
            }
            Value::List(_) => return Err(format!("item {} is a list, not a file", index + 1)),
            Value::Other(kind) => return Err(format!("item {} is {kind}, not a file", index + 1)),
        }
        if note.file.is_empty() {
            return Err(format!("item {} names no file (give 'file')", index + 1));
        }
        notes.push(note);
    }
    Ok(notes)
}

/// `2024-03-21`, `2024-03-21T10:00:00+01:00`, `2024-03-21 10:00` (local time),
/// or a date as datelines write it (`21 mars 2024`).
pub(crate) fn release_date(raw: &str) -> Result<ReleaseDate, String> {
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(ReleaseDate::Day(day));
    }
    if let Ok(exact) = DateTime::parse_from_rfc3339(raw) {
        return Ok(ReleaseDate::Exact(exact));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(local) = NaiveDateTime::parse_from_str(raw, format) {
            return Ok(ReleaseDate::Local(local));
        }
    }
    match parse_date(raw) {
        Some(DateMatch::Day(day)) => Ok(ReleaseDate::Day(day)),
        Some(DateMatch::Impossible) => Err(format!("'{raw}' is not a day of the calendar")),
        None => Err(format!(
            "'{raw}' is not a date: write it as 2024-03-21 or 2024-03-21T10:00:00+01:00"
        )),
    }
}

/// An instant with its offset (RFC 3339), as embargoes must be.
fn instant(raw: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(raw).map_err(|_| {
        format!(
            "'{raw}' is not a date and time with an offset: write it as 2024-03-21T09:00:00+01:00"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Result<(FrontMatter, String, usize), ParseError> {
        let mut warnings = Vec::new();
        split_front_matter(text, &mut warnings)
            .map(|s| (s.front_matter, s.body.to_owned(), s.body_first_line))
    }

    #[test]
    fn one_line_values_lose_their_line_breaks() {
        let (fm, _, _) = split(
            "---\ntitle: \"Résultats\\r\\nBcc:  x@evil.org \"\nauthor: \"A\\nB\"\n---\nCorps\n",
        )
        .unwrap();
        assert_eq!(fm.title.as_deref(), Some("Résultats Bcc: x@evil.org"));
        assert_eq!(fm.author.as_deref(), Some("A B"));
    }

    #[test]
    fn yaml_front_matter() {
        let (fm, body, line) = split(
            "---\ntitle: \"Un titre\"\ndate: 2023-10-05T10:00:00+02:00\nlang: fr\nplace: Lyon\ncategories:\n  - Culture\n  - Patrimoine\ntags: [Culture, Musée]\n---\n\nCorps\n",
        )
        .unwrap();
        assert_eq!(fm.title.as_deref(), Some("Un titre"));
        assert_eq!(fm.date.unwrap().to_string(), "2023-10-05T10:00:00+02:00");
        assert_eq!(fm.lang.unwrap().as_str(), "fr");
        assert_eq!(fm.place.as_deref(), Some("Lyon"));
        assert_eq!(fm.categories, ["Culture", "Patrimoine", "Musée"]);
        assert_eq!(body, "\nCorps\n");
        assert_eq!(line, 11);
    }

    #[test]
    fn toml_front_matter_with_a_native_date() {
        let (fm, body, _) =
            split("+++\ntitle = \"T\"\ndate = 2024-02-20\ncategories = [\"Energy\"]\nembargo = 2024-02-20T09:00:00Z\n+++\nBody").unwrap();
        assert_eq!(
            fm.date,
            Some(ReleaseDate::Day(
                NaiveDate::from_ymd_opt(2024, 2, 20).unwrap()
            ))
        );
        assert_eq!(
            fm.embargo.unwrap().to_rfc3339(),
            "2024-02-20T09:00:00+00:00"
        );
        assert_eq!(body, "Body");
    }

    #[test]
    fn no_front_matter_leaves_the_text_alone() {
        let (fm, body, line) = split("Titre\n\n---\n").unwrap();
        assert_eq!(fm, FrontMatter::default());
        assert_eq!(body, "Titre\n\n---\n");
        assert_eq!(line, 1);
    }

    #[test]
    fn unterminated_front_matter_is_an_error() {
        let error = split("---\ntitle: T\n\nBody\n").unwrap_err();
        assert!(error.to_string().contains("front matter"), "{error}");
        assert!(error.to_string().contains("line 1"), "{error}");
    }

    #[test]
    fn malformed_yaml_names_the_line() {
        let error = split("---\ntitle: \"open\ndate: 2024-03-15\n---\nBody\n").unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("malformed front matter (YAML)"),
            "{message}"
        );
        assert!(message.contains("quoted scalar at line 2"), "{message}");
    }

    #[test]
    fn malformed_toml_names_the_line() {
        let error = split("+++\ntitle = \"T\"\ndate = = 2\n+++\nBody\n").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("malformed front matter (TOML) at line 3"),
            "{error}"
        );
    }

    #[test]
    fn bad_values_name_the_key_and_line() {
        let error = split("---\ntitle: T\ndate: 31-02-2022\n---\nBody\n").unwrap_err();
        assert_eq!(
            error,
            ParseError::InvalidFrontMatterValue {
                key: "date".to_owned(),
                line: 3,
                message: "'31-02-2022' is not a day of the calendar".to_owned()
            }
        );
        let error = split("---\nembargo: 2024-03-01\n---\nBody\n").unwrap_err();
        assert!(error.to_string().contains("'embargo' at line 2"), "{error}");
        let error = split("---\nlang: french\n---\nBody\n").unwrap_err();
        assert!(error.to_string().contains("'lang'"), "{error}");
        let error = split("---\nid: a b\n---\nBody\n").unwrap_err();
        assert!(error.to_string().contains("invalid id"), "{error}");
    }

    #[test]
    fn unknown_keys_are_warnings() {
        let mut warnings = Vec::new();
        split_front_matter("---\nlayout: post\n---\nBody", &mut warnings).unwrap();
        assert_eq!(
            warnings,
            [Warning::UnknownFrontMatterKey {
                key: "layout".to_owned()
            }]
        );
    }

    #[test]
    fn contact_and_about_are_text() {
        let (fm, _, _) = split(
            "---\ncontact: |\n  Marie Dupont\n  marie@x.fr\nabout: La Régie est un établissement public.\n---\nB",
        )
        .unwrap();
        assert_eq!(fm.contact.as_deref(), Some("Marie Dupont\nmarie@x.fr"));
        assert_eq!(
            fm.about.as_deref(),
            Some("La Régie est un établissement public.")
        );
        let error = split("---\ncontact: [a, b]\n---\nB").unwrap_err();
        assert!(error.to_string().contains("'contact' at line 2"), "{error}");
    }

    #[test]
    fn attachments_are_names_or_descriptions() {
        let (fm, _, _) = split(
            "---\nattachments:\n  - file: quai.jpg\n    caption: Le quai à l'aube\n    credit: \"Photo : J. Roe\"\n  - fiche.pdf\n---\nB",
        )
        .unwrap();
        assert_eq!(
            fm.attachments,
            [
                AttachmentNote {
                    file: "quai.jpg".to_owned(),
                    alt: Some("Le quai à l'aube".to_owned()),
                    credit: Some("Photo : J. Roe".to_owned()),
                },
                AttachmentNote {
                    file: "fiche.pdf".to_owned(),
                    ..AttachmentNote::default()
                },
            ]
        );
        let (fm, _, _) =
            split("+++\n[[attachments]]\nfile = \"a.png\"\nalt = \"A\"\n+++\nB").unwrap();
        assert_eq!(fm.attachments[0].alt.as_deref(), Some("A"));
        let error = split("---\nattachments:\n  - file: a.jpg\n    size: 3\n---\nB").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("'attachments' at line 2: unknown key 'size' in item 1"),
            "{error}"
        );
        let error = split("---\nattachments:\n  - alt: x\n---\nB").unwrap_err();
        assert!(error.to_string().contains("names no file"), "{error}");
    }

    #[test]
    fn local_dates_and_dateline_style_dates() {
        let (fm, _, _) = split("---\ndate: 2024-03-21 10:30\n---\nB").unwrap();
        assert_eq!(fm.date.unwrap().to_string(), "2024-03-21T10:30:00");
        let (fm, _, _) = split("---\ndate: 21 mars 2024\n---\nB").unwrap();
        assert_eq!(fm.date.unwrap().to_string(), "2024-03-21");
    }
}
