//! The subscriber list the operator maintains, as CSV:
//!
//! ```text
//! address,name,language,digests
//! jean@example.org,Jean Dupont,fr,daily;weekly
//! amira@example.org,أميرة,ar,
//! ```
//!
//! The header line is required (its columns may come in any order); `name`
//! and `language` may be empty (the site's default language is then used);
//! `digests` is a `;`-separated list of digest names, empty for all of them.
//! A bad line is reported with its number and skipped: one typo never stops
//! every other subscriber's digest.

use pressroom_core::Lang;

use crate::address::{Address, InvalidAddress};

/// One subscriber, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub address: Address,
    /// The name to greet and to write in `To:`; may be empty.
    pub name: String,
    /// The language of the digest's labels and dates.
    pub lang: Lang,
    pub digests: Digests,
    /// The line of the list the subscriber was read from.
    pub line: u64,
}

/// Which digests a subscriber receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Digests {
    All,
    /// Digest names as written (compared exactly, after trimming).
    Only(Vec<String>),
}

impl Subscriber {
    /// Whether the subscriber receives the digest named `digest`.
    pub fn wants(&self, digest: &str) -> bool {
        match &self.digests {
            Digests::All => true,
            Digests::Only(names) => names.iter().any(|name| name == digest),
        }
    }
}

/// The result of reading a list: who is subscribed, and which lines were
/// skipped and why.
#[derive(Debug, Clone, Default)]
pub struct SubscriberList {
    pub subscribers: Vec<Subscriber>,
    pub errors: Vec<LineError>,
}

/// A list that cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    /// The first line does not name the columns.
    #[error(
        "the subscriber list must start with the header line 'address,name,language,digests' (found '{found}')"
    )]
    Header { found: String },
}

/// A line that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {cause}")]
pub struct LineError {
    pub line: u64,
    #[source]
    pub cause: LineProblem,
}

/// What is wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    #[error(transparent)]
    Address(#[from] InvalidAddress),
    /// The line does not have as many fields as the header.
    #[error("expected {expected} fields, found {found}")]
    FieldCount { expected: usize, found: usize },
    #[error("invalid language '{0}': expected a language tag such as 'fr', 'ar' or 'en-GB'")]
    Language(String),
    #[error("the line is not valid UTF-8")]
    Encoding,
    /// The CSV itself is broken there (an unterminated quote).
    #[error("malformed CSV: {0}")]
    Csv(String),
    /// The address already appeared; the first line wins.
    #[error("'{address}' is already listed on line {first_line}")]
    Duplicate { address: String, first_line: u64 },
}

const COLUMNS: [&str; 4] = ["address", "name", "language", "digests"];

/// Reads a subscriber list. Subscribers without a language get
/// `default_lang`.
pub fn parse_subscribers(csv: &[u8], default_lang: &Lang) -> Result<SubscriberList, ListError> {
    let csv = csv.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(csv);
    // One line ending, so that line numbers can be counted from byte offsets:
    // csv's own line numbers are wrong after CRLF and blank lines.
    let csv = unix_line_endings(csv);
    let mut lines = LineCounter::new(&csv);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_slice());
    let mut records = reader.byte_records();

    let header = match records.next() {
        Some(Ok(header)) => header,
        _ => {
            return Err(ListError::Header {
                found: String::new(),
            });
        }
    };
    let names: Vec<String> = header
        .iter()
        .map(|field| String::from_utf8_lossy(field).trim().to_ascii_lowercase())
        .collect();
    let position = |column: &str| names.iter().position(|name| name == column);
    let (Some(address_at), Some(name_at), Some(lang_at), Some(digests_at)) = (
        position(COLUMNS[0]),
        position(COLUMNS[1]),
        position(COLUMNS[2]),
        position(COLUMNS[3]),
    ) else {
        return Err(ListError::Header {
            found: names.join(","),
        });
    };
    if names.len() != COLUMNS.len() {
        return Err(ListError::Header {
            found: names.join(","),
        });
    }

    let mut list = SubscriberList::default();
    let mut seen = std::collections::HashMap::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| lines.line_at(p.byte()));
                list.errors.push(LineError {
                    line,
                    cause: LineProblem::Csv(error.to_string()),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        let fields = record.len();
        if fields == 1
            && record
                .get(0)
                .is_some_and(|f| f.iter().all(u8::is_ascii_whitespace))
        {
            continue; // A line of blanks.
        }
        let parsed = if fields != COLUMNS.len() {
            Err(LineProblem::FieldCount {
                expected: COLUMNS.len(),
                found: fields,
            })
        } else {
            subscriber(
                &record,
                [address_at, name_at, lang_at, digests_at],
                default_lang,
                line,
            )
        };
        match parsed {
            Ok(subscriber) => match seen.get(&subscriber.address) {
                Some(&first_line) => list.errors.push(LineError {
                    line,
                    cause: LineProblem::Duplicate {
                        address: subscriber.address.to_string(),
                        first_line,
                    },
                }),
                None => {
                    seen.insert(subscriber.address.clone(), line);
                    list.subscribers.push(subscriber);
                }
            },
            Err(cause) => list.errors.push(LineError { line, cause }),
        }
    }
    Ok(list)
}

/// `bytes` with CRLF and lone CR written LF.
fn unix_line_endings(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut bytes = bytes.iter().peekable();
    while let Some(&byte) = bytes.next() {
        if byte == b'\r' {
            if bytes.peek() == Some(&&b'\n') {
                bytes.next();
            }
            out.push(b'\n');
        } else {
            out.push(byte);
        }
    }
    out
}

/// Line numbers of byte offsets, asked in increasing order.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the record csv says starts at `byte`: csv counts the
    /// blank lines it skipped before a record as part of it.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while self.text.get(start) == Some(&b'\n') {
            start += 1;
        }
        if start >= self.offset {
            let newlines = self.text[self.offset..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line += newlines as u64;
            self.offset = start;
        }
        self.line
    }
}

fn subscriber(
    record: &csv::ByteRecord,
    [address_at, name_at, lang_at, digests_at]: [usize; 4],
    default_lang: &Lang,
    line: u64,
) -> Result<Subscriber, LineProblem> {
    let field = |at: usize| {
        std::str::from_utf8(record.get(at).unwrap_or_default())
            .map(str::trim)
            .map_err(|_| LineProblem::Encoding)
    };
    let address = Address::parse(field(address_at)?)?;
    let name = field(name_at)?.to_owned();
    let lang = match field(lang_at)? {
        "" => default_lang.clone(),
        tag => Lang::parse(tag).map_err(|_| LineProblem::Language(tag.to_owned()))?,
    };
    let names: Vec<String> = field(digests_at)?
        .split(';')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    let digests = if names.is_empty() {
        Digests::All
    } else {
        Digests::Only(names)
    };
    Ok(Subscriber {
        address,
        name,
        lang,
        digests,
        line,
    })
}
