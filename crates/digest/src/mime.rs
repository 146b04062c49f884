//! The small part of RFC 5322, 2045 and 2047 a digest needs: header fields
//! folded and encoded, and bodies in quoted-printable or base64.
//!
//! Every header value goes through [`HeaderWriter`], which is the one place
//! where text from outside (titles, names, subjects) meets the header
//! section. Control characters, CR and LF included, are turned into spaces
//! before anything is written, and the only line breaks in a header are the
//! folds this module inserts (always followed by a space), so no value can
//! start a header line of its own. Text that is not plain ASCII words
//! becomes RFC 2047 encoded words (`=?UTF-8?B?...?=`), each made of whole
//! characters and at most 75 characters long.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Lines are folded to this length where possible (RFC 5322 §2.1.1).
pub(crate) const FOLD_AT: usize = 78;
/// The hard limit for a line, CRLF excluded.
pub(crate) const MAX_LINE: usize = 998;
/// Body lines in quoted-printable and base64 (RFC 2045).
const BODY_LINE: usize = 76;

/// A token longer than a line may ever be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {header} header would need a line longer than 998 characters")]
pub struct LineTooLong {
    pub header: String,
}

/// Writes one header field, folding it at spaces.
pub(crate) struct HeaderWriter<'a> {
    out: &'a mut String,
    name: &'static str,
    line_len: usize,
}

impl<'a> HeaderWriter<'a> {
    pub(crate) fn new(out: &'a mut String, name: &'static str) -> Self {
        out.push_str(name);
        out.push(':');
        HeaderWriter {
            out,
            name,
            line_len: name.len() + 1,
        }
    }

    /// Adds a token that must not be split (an address in `<>`, an
    /// already-safe ASCII word), after a space or a fold.
    pub(crate) fn token(&mut self, token: &str) -> Result<(), LineTooLong> {
        debug_assert!(!token.contains(['\r', '\n']), "tokens are single-line");
        // A fold is possible wherever the line holds something already,
        // even if that is only the field name.
        if self.line_len > 0 && self.line_len + 1 + token.len() > FOLD_AT {
            self.fold();
        }
        if self.line_len + 1 + token.len() > MAX_LINE {
            return Err(LineTooLong {
                header: self.name.to_owned(),
            });
        }
        self.out.push(' ');
        self.out.push_str(token);
        self.line_len += 1 + token.len();
        Ok(())
    }

    /// Adds free text: plain ASCII words as they are, anything else as
    /// encoded words. Controls become spaces; runs of spaces become one.
    pub(crate) fn text(&mut self, text: &str, kind: TextKind) -> Result<(), LineTooLong> {
        let text = one_line(text);
        if text.is_empty() {
            return Ok(());
        }
        let plain = text
            .split(' ')
            .all(|word| word.len() + 2 <= FOLD_AT && word.chars().all(|c| kind.allows(c)))
            && !text.contains("=?");
        if plain {
            for word in text.split(' ') {
                self.token(word)?;
            }
        } else {
            self.encoded_words(&text);
        }
        Ok(())
    }

    /// Writes `text` as B-encoded words, filling each line and never
    /// splitting a character between two words.
    fn encoded_words(&mut self, text: &str) {
        const OVERHEAD: usize = "=?UTF-8?B??=".len();
        let mut rest = text;
        while !rest.is_empty() {
            let room = FOLD_AT.saturating_sub(self.line_len + 1 + OVERHEAD);
            // Base64 writes 4 characters for 3 bytes; at most 45 bytes keeps
            // a word within RFC 2047's 75 characters.
            let capacity = (room / 4 * 3).min(45);
            let take = prefix_within(rest, capacity);
            if take == 0 {
                if self.line_len > 0 {
                    self.fold();
                    continue;
                }
                // Unreachable (a fresh line has room for 45 bytes); take one
                // character rather than loop.
                let first = rest.chars().next().map_or(1, char::len_utf8);
                self.push_word(&rest[..first]);
                rest = &rest[first..];
                continue;
            }
            self.push_word(&rest[..take]);
            rest = &rest[take..];
        }
    }

    fn push_word(&mut self, chunk: &str) {
        let word = format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk));
        self.out.push(' ');
        self.out.push_str(&word);
        self.line_len += 1 + word.len();
    }

    fn fold(&mut self) {
        self.out.push_str("\r\n");
        self.line_len = 0;
    }

    pub(crate) fn finish(self) {
        self.out.push_str("\r\n");
    }
}

/// Which ASCII characters may stay as they are.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TextKind {
    /// Unstructured text (Subject): any printable ASCII.
    Unstructured,
    /// A display name (a phrase): letters, digits and the atext symbols
    /// only; anything else (`,`, `"`, `<`, `(`…) is encoded.
    Phrase,
}

impl TextKind {
    fn allows(self, c: char) -> bool {
        match self {
            TextKind::Unstructured => c.is_ascii_graphic(),
            TextKind::Phrase => c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c),
        }
    }
}

/// `text` on one line: every control character (CR, LF, tab, NUL…) and
/// every Unicode line or paragraph separator a space, runs of spaces
/// collapsed, trimmed.
pub(crate) fn one_line(text: &str) -> String {
    let already = !text.starts_with(' ')
        && !text.ends_with(' ')
        && !text.contains("  ")
        && !text
            .chars()
            .any(|c| c != ' ' && (c.is_control() || c.is_whitespace()));
    if already {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The length of the longest prefix of `text` made of whole characters and
/// at most `max_bytes` long.
fn prefix_within(text: &str, max_bytes: usize) -> usize {
    if text.len() <= max_bytes {
        return text.len();
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// How a body part is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransferEncoding {
    QuotedPrintable,
    Base64,
}

impl TransferEncoding {
    /// Quoted-printable for mostly-ASCII text (readable in the source),
    /// base64 when so much is non-ASCII (Arabic) that quoted-printable
    /// would triple the size.
    pub(crate) fn for_text(text: &str) -> Self {
        let non_ascii = text.bytes().filter(|b| !b.is_ascii()).count();
        if non_ascii * 4 > text.len() {
            TransferEncoding::Base64
        } else {
            TransferEncoding::QuotedPrintable
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            TransferEncoding::QuotedPrintable => "quoted-printable",
            TransferEncoding::Base64 => "base64",
        }
    }

    /// Appends `text` encoded, lines at most 76 characters and CRLF-ended.
    /// Line breaks in `text` (LF, CRLF or CR) become CRLF.
    pub(crate) fn encode(self, text: &str, out: &mut Vec<u8>) {
        match self {
            TransferEncoding::QuotedPrintable => {
                out.reserve(text.len() + text.len() / 8);
                for line in lines(text.as_bytes()) {
                    quoted_printable_line(line, out);
                }
            }
            TransferEncoding::Base64 => {
                let mut canonical = Vec::with_capacity(text.len() + text.len() / 32 + 2);
                for line in lines(text.as_bytes()) {
                    canonical.extend_from_slice(line);
                    canonical.extend_from_slice(b"\r\n");
                }
                let encoded = STANDARD.encode(canonical);
                out.reserve(encoded.len() + encoded.len() / BODY_LINE * 2 + 2);
                for chunk in encoded.as_bytes().chunks(BODY_LINE) {
                    out.extend_from_slice(chunk);
                    out.extend_from_slice(b"\r\n");
                }
            }
        }
    }
}

/// The lines of `text`, split at LF, CRLF or CR, without their ends; a
/// final line break does not start another line.
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(end) => {
                let line = &rest[..end];
                let skip = if rest[end..].starts_with(b"\r\n") {
                    2
                } else {
                    1
                };
                rest = &rest[end + skip..];
                Some(line)
            }
            None => {
                let line = rest;
                rest = &[];
                Some(line)
            }
        }
    })
}

/// Bytes quoted-printable writes as they are (printable ASCII but `=`).
const fn literal_bytes() -> [bool; 256] {
    let mut table = [false; 256];
    let mut byte = 33;
    while byte <= 126 {
        table[byte] = byte != b'=' as usize;
        byte += 1;
    }
    table
}
const LITERAL: [bool; 256] = literal_bytes();

/// One line in quoted-printable (RFC 2045 §6.7), CRLF-ended: soft breaks
/// keep every output line within 76 characters, spaces and tabs at the end
/// are encoded, and so is a `.` starting a line, for transports that do not
/// stuff dots.
fn quoted_printable_line(line: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // Written as it is: printable ASCII but `=`, and spaces and tabs
    // unless they end the line.
    let plain = |index: usize| {
        let byte = line[index];
        LITERAL[usize::from(byte)] || (matches!(byte, b' ' | b'\t') && index + 1 < line.len())
    };
    let mut len = 0;
    let mut index = 0;
    while index < line.len() {
        let byte = line[index];
        if plain(index) && !(byte == b'.' && len == 0) {
            // Copy the run of plain bytes, as much as fits before a soft
            // break (which takes the 76th column).
            let mut end = index + 1;
            while end < line.len() && plain(end) {
                end += 1;
            }
            let take = (end - index).min((BODY_LINE - 1).saturating_sub(len));
            if take == 0 {
                out.extend_from_slice(b"=\r\n");
                len = 0;
                continue;
            }
            out.extend_from_slice(&line[index..index + take]);
            len += take;
            index += take;
            continue;
        }
        let last = index + 1 == line.len();
        // An encoded byte may end the line in its last three columns.
        let limit = if last { BODY_LINE } else { BODY_LINE - 1 };
        if len + 3 > limit {
            out.extend_from_slice(b"=\r\n");
            len = 0;
        }
        out.extend_from_slice(&[
            b'=',
            HEX[usize::from(byte >> 4)],
            HEX[usize::from(byte & 0x0F)],
        ]);
        len += 3;
        index += 1;
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &'static str, text: &str, kind: TextKind) -> String {
        let mut out = String::new();
        let mut writer = HeaderWriter::new(&mut out, name);
        writer.text(text, kind).expect("fits");
        writer.finish();
        out
    }

    #[test]
    fn plain_ascii_stays_readable_and_folds_at_spaces() {
        assert_eq!(
            header("Subject", "Weekly digest", TextKind::Unstructured),
            "Subject: Weekly digest\r\n"
        );
        let long = "word ".repeat(30);
        let folded = header("Subject", &long, TextKind::Unstructured);
        assert!(folded.split("\r\n").all(|line| line.len() <= FOLD_AT));
        assert_eq!(
            folded.replace("\r\n", ""),
            format!("Subject: {}\r\n", long.trim_end()).replace("\r\n", "")
        );
    }

    #[test]
    fn line_breaks_never_reach_the_header_section() {
        let out = header(
            "Subject",
            "Hello\r\nBcc: x@evil.org\n\rX: y",
            TextKind::Unstructured,
        );
        assert_eq!(out, "Subject: Hello Bcc: x@evil.org X: y\r\n");
    }

    #[test]
    fn non_ascii_becomes_encoded_words_of_whole_characters() {
        let out = header("Subject", &"é".repeat(100), TextKind::Unstructured);
        for line in out.trim_end().split("\r\n") {
            assert!(line.len() <= FOLD_AT, "{line}");
        }
        for word in out.split_whitespace().filter(|w| w.starts_with("=?")) {
            assert!(word.len() <= 75);
            let b64 = &word["=?UTF-8?B?".len()..word.len() - 2];
            let bytes = STANDARD.decode(b64).expect("base64");
            assert!(
                String::from_utf8(bytes).is_ok(),
                "{word} splits a character"
            );
        }
    }

    #[test]
    fn phrases_encode_specials() {
        assert_eq!(
            header("From", "Press Office", TextKind::Phrase),
            "From: Press Office\r\n"
        );
        assert!(header("From", "Dupont, Jean", TextKind::Phrase).starts_with("From: =?UTF-8?B?"));
    }

    /// Decodes quoted-printable as a reader does.
    fn decode_qp(encoded: &[u8]) -> Vec<u8> {
        let text = std::str::from_utf8(encoded).expect("ASCII");
        let mut out = Vec::new();
        for line in text.split_terminator("\r\n") {
            let (line, soft) = match line.strip_suffix('=') {
                Some(line) => (line, true),
                None => (line, false),
            };
            let bytes = line.as_bytes();
            let mut index = 0;
            while index < bytes.len() {
                if bytes[index] == b'=' {
                    let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).expect("hex");
                    out.push(u8::from_str_radix(hex, 16).expect("hex"));
                    index += 3;
                } else {
                    out.push(bytes[index]);
                    index += 1;
                }
            }
            if !soft {
                out.extend_from_slice(b"\r\n");
            }
        }
        out
    }

    #[test]
    fn quoted_printable_round_trips_mixed_text() {
        let pieces = [
            "a", " ", "\t", "=", ".", "é", "\n", "longword", "ب", "\r\n", "  ",
        ];
        let mut seed = 7u64;
        for _ in 0..2000 {
            let mut text = String::new();
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let count = (seed >> 33) % 300;
            for _ in 0..count {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push_str(pieces[((seed >> 33) % pieces.len() as u64) as usize]);
            }
            let mut encoded = Vec::new();
            TransferEncoding::QuotedPrintable.encode(&text, &mut encoded);
            let canonical: Vec<u8> = lines(text.as_bytes())
                .flat_map(|line| [line, b"\r\n"].concat())
                .collect();
            assert_eq!(decode_qp(&encoded), canonical, "{text:?}");
            for line in std::str::from_utf8(&encoded).expect("ASCII").split("\r\n") {
                assert!(line.len() <= BODY_LINE, "{line}");
                assert!(!line.starts_with('.'), "{line}");
                assert!(!line.ends_with(' ') && !line.ends_with('\t'), "{line:?}");
            }
        }
    }

    #[test]
    fn quoted_printable_keeps_lines_short_and_escapes_what_it_must() {
        let encode = |input: &str| {
            let mut out = Vec::new();
            TransferEncoding::QuotedPrintable.encode(input, &mut out);
            String::from_utf8(out).expect("ASCII")
        };
        let check = |input: &str, expected: &str| assert_eq!(encode(input), expected, "{input:?}");
        check("a=b", "a=3Db\r\n");
        check("trailing \nx", "trailing=20\r\nx\r\n");
        check(".\n..", "=2E\r\n=2E.\r\n");
        check("é", "=C3=A9\r\n");
        check("a\r\nb\rc\n", "a\r\nb\r\nc\r\n");
        check("a\n\nb", "a\r\n\r\nb\r\n");
        let out = encode(&"é".repeat(100));
        assert!(out.split("\r\n").all(|line| line.len() <= BODY_LINE));
        let out = encode(&"x".repeat(200));
        assert!(out.split("\r\n").all(|line| line.len() <= BODY_LINE));
        assert_eq!(out.replace("=\r\n", ""), format!("{}\r\n", "x".repeat(200)));
    }
}
