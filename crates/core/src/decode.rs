//! From bytes to clean text: encoding detection, line endings, Unicode
//! normalisation and removal of characters that XML cannot carry.
//!
//! Editors save files from Word, Notepad, mail clients and PDFs. We accept
//! UTF-8 (with or without BOM) and UTF-16 with a BOM as they are, fall back to
//! Windows-1252 for anything else (the encoding of legacy Western European
//! files), and say so in a warning, because that last step is a guess.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use crate::error::{ParseError, Warning};

/// Decodes `bytes` into NFC text with LF line endings and without control
/// characters (other than tab and newline).
pub fn decode(bytes: &[u8], warnings: &mut Vec<Warning>) -> Result<String, ParseError> {
    if bytes.is_empty() {
        return Err(ParseError::Empty {
            whitespace_only: false,
        });
    }
    let text: Cow<'_, str> = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Cow::Owned(decode_utf8_or_legacy(rest, warnings)?)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        Cow::Owned(decode_utf16(rest, encoding_rs::UTF_16LE))
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        Cow::Owned(decode_utf16(rest, encoding_rs::UTF_16BE))
    } else {
        Cow::Owned(decode_utf8_or_legacy(bytes, warnings)?)
    };
    let scan = scan(text.as_bytes());
    let text: Cow<'_, str> = if scan.line_endings {
        Cow::Owned(normalise_line_endings(&text).into_owned())
    } else {
        text
    };
    let text = if scan.controls {
        let (cleaned, removed) = remove_control_characters(&text);
        if removed > 0 {
            warnings.push(Warning::ControlCharactersRemoved { count: removed });
        }
        Cow::Owned(cleaned.into_owned())
    } else {
        text
    };
    let text = if !scan.may_compose || is_nfc_by_its_script(&text) {
        text.into_owned()
    } else {
        match is_nfc_quick(text.chars()) {
            IsNormalized::Yes => text.into_owned(),
            _ => text.nfc().collect(),
        }
    };
    if text.trim().is_empty() {
        return Err(ParseError::Empty {
            whitespace_only: true,
        });
    }
    Ok(text)
}

/// What a quick pass over the UTF-8 bytes found, so that the costlier
/// character-level steps run only on text that needs them.
struct Scan {
    /// CR, NEL or a Unicode line or paragraph separator.
    line_endings: bool,
    /// A C0 or C1 control (other than tab, LF, CR), DEL, or U+FFFE/U+FFFF.
    controls: bool,
    /// A character at or above U+0300, where combining marks and other
    /// characters that NFC may change begin; below it, text is already NFC.
    may_compose: bool,
}

fn scan(bytes: &[u8]) -> Scan {
    let mut scan = Scan {
        line_endings: false,
        controls: false,
        may_compose: false,
    };
    let mut index = 0;
    while index < bytes.len() {
        // Most of a release is plain ASCII: eight such bytes at a time.
        if let Some(eight) = bytes.get(index..index + 8) {
            let word = u64::from_le_bytes(eight.try_into().expect("eight bytes"));
            if is_printable_ascii(word) {
                index += 8;
                continue;
            }
        }
        let byte = bytes[index];
        match byte {
            b'\r' => scan.line_endings = true,
            b'\t' | b'\n' => {}
            0x00..=0x1F | 0x7F => scan.controls = true,
            0xC2 => {
                // U+0080..U+00BF: U+0085 is NEL, U+0080..U+009F are C1 controls.
                match bytes.get(index + 1) {
                    Some(0x85) => scan.line_endings = true,
                    Some(0x80..=0x9F) => scan.controls = true,
                    _ => {}
                }
            }
            0xCC..=0xFF if byte & 0xC0 == 0xC0 => {
                scan.may_compose = true;
                // U+2028, U+2029 (E2 80 A8/A9) and U+FFFE, U+FFFF (EF BF BE/BF).
                match (byte, bytes.get(index + 1), bytes.get(index + 2)) {
                    (0xE2, Some(0x80), Some(0xA8 | 0xA9)) => scan.line_endings = true,
                    (0xEF, Some(0xBF), Some(0xBE | 0xBF)) => scan.controls = true,
                    _ => {}
                }
            }
            _ => {}
        }
        index += 1;
    }
    scan
}

/// Characters from U+0300 up that NFC keeps as they are whatever surrounds
/// them: each is its own normal form, has combining class 0, and is never
/// the second of two characters that compose. Arabic letters, digits and
/// punctuation (not the vowel marks, nor the madda and hamza that compose
/// with a letter), typographic punctuation, the euro sign.
const STABLE_UNDER_NFC: &[(char, char)] = &[
    ('\u{60C}', '\u{60C}'),
    ('\u{61B}', '\u{61B}'),
    ('\u{61F}', '\u{61F}'),
    ('\u{621}', '\u{64A}'),
    ('\u{660}', '\u{66D}'),
    ('\u{671}', '\u{6D3}'),
    ('\u{2010}', '\u{2027}'),
    ('\u{2030}', '\u{205E}'),
    ('\u{20AC}', '\u{20AC}'),
];

/// Whether `text` is NFC because every character from U+0300 up is one of
/// [`STABLE_UNDER_NFC`]: a range check per character, where the general
/// check looks each up in two tables (2.5% of a backlog's time, on Arabic
/// text, which is all above U+0300). Anything else, such as a vowel mark or
/// a combining accent, leaves it to the general check.
fn is_nfc_by_its_script(text: &str) -> bool {
    text.chars().all(|c| {
        c < '\u{300}'
            || STABLE_UNDER_NFC
                .iter()
                .any(|&(first, last)| (first..=last).contains(&c))
    })
}

/// Whether all eight bytes of `word` are printable ASCII (U+0020..U+007E),
/// which [`scan`] may step over: nothing there is a line ending, a control
/// or a character NFC may change.
fn is_printable_ascii(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    if word & HIGH != 0 {
        return false;
    }
    // With every high bit clear, a byte below 0x20 borrows into its own high
    // bit when 0x20 is taken from it, and only then; likewise for DEL (0x7F)
    // once it is turned into zero.
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let del = word ^ (ONES * 0x7F);
    let has_del = del.wrapping_sub(ONES) & !del & HIGH;
    below_space == 0 && has_del == 0
}

fn decode_utf8_or_legacy(bytes: &[u8], warnings: &mut Vec<Warning>) -> Result<String, ParseError> {
    if let Some(offset) = memchr_nul(bytes) {
        return Err(ParseError::Binary { offset });
    }
    // simdutf8 checks UTF-8 several times faster than the standard library
    // (a backlog checks every byte of every release); it says only whether
    // the bytes are UTF-8, which is all this needs.
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(_) => {
            warnings.push(Warning::DecodedAsWindows1252);
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            Ok(text.into_owned())
        }
    }
}

fn decode_utf16(bytes: &[u8], encoding: &'static encoding_rs::Encoding) -> String {
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    text.into_owned()
}

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(0, bytes)
}

/// CRLF and lone CR become LF; so do the Unicode line and paragraph separators
/// and NEL that some word processors write.
fn normalise_line_endings(text: &str) -> Cow<'_, str> {
    if !text.contains(['\r', '\u{2028}', '\u{2029}', '\u{85}']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\u{85}' | '\u{2028}' => out.push('\n'),
            '\u{2029}' => out.push_str("\n\n"),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether XML 1.0 can carry `c` (and it is not a control character that
/// would only confuse readers). Tab and LF are kept; everything else in the
/// C0 and C1 ranges, DEL, and the non-characters U+FFFE and U+FFFF go.
pub fn is_publishable_char(c: char) -> bool {
    match c {
        '\t' | '\n' => true,
        '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}' => false,
        '\u{FFFE}' | '\u{FFFF}' => false,
        _ => true,
    }
}

/// Makes text read from a structured document (a Word part, a web page)
/// publishable as [`decode`] makes a text file: line endings as LF, no
/// characters XML cannot carry, NFC.
pub fn clean_text(text: &str) -> String {
    let text = normalise_line_endings(text);
    let (text, _) = remove_control_characters(&text);
    match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => text.into_owned(),
        _ => text.nfc().collect(),
    }
}

fn remove_control_characters(text: &str) -> (Cow<'_, str>, usize) {
    if text.chars().all(is_publishable_char) {
        return (Cow::Borrowed(text), 0);
    }
    let mut removed = 0;
    let cleaned = text
        .chars()
        .filter(|&c| {
            let keep = is_publishable_char(c);
            removed += usize::from(!keep);
            keep
        })
        .collect();
    (Cow::Owned(cleaned), removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_needs_cleaning_is_found_at_any_offset_in_long_ascii_text() {
        // (inserted, what decoding makes of it)
        let cases = [
            ("\r\n", "\n"),
            ("\r", "\n"),
            ("\u{85}", "\n"),
            ("\u{2028}", "\n"),
            ("\u{1}", ""),
            ("\u{7f}", ""),
            ("\u{9b}", ""),
            ("\u{fffe}", ""),
            ("e\u{301}", "\u{e9}"),
        ];
        for (inserted, expected) in cases {
            for offset in 0..17 {
                let plain = "Le port de Nantes electrifie son quai";
                let text = format!("{}{inserted}{}", &plain[..offset], &plain[offset..]);
                let mut warnings = Vec::new();
                let decoded = decode(text.as_bytes(), &mut warnings).expect("decodes");
                assert_eq!(
                    decoded,
                    format!("{}{expected}{}", &plain[..offset], &plain[offset..]),
                    "{inserted:?} at {offset}"
                );
            }
        }
    }

    #[test]
    fn characters_stable_under_nfc_are_so_by_unicode_data() {
        use unicode_normalization::char::{canonical_combining_class, compose};
        let stable: Vec<char> = STABLE_UNDER_NFC
            .iter()
            .flat_map(|&(first, last)| first..=last)
            .collect();
        for &c in &stable {
            assert_eq!(canonical_combining_class(c), 0, "{c:?}");
            assert_eq!(is_nfc_quick(std::iter::once(c)), IsNormalized::Yes, "{c:?}");
            assert_eq!(
                c.to_string().nfc().collect::<String>(),
                c.to_string(),
                "{c:?}"
            );
        }
        // Never the second of a composition, whatever comes first. (Only
        // first characters from the Basic Multilingual Plane are tried:
        // scripts beyond it compose only with marks of their own, beyond
        // it too, and none of these is one.)
        for first in ('\u{0}'..='\u{FFFF}').filter(|c| !c.is_ascii()) {
            for &c in &stable {
                assert_eq!(compose(first, c), None, "{first:?} + {c:?}");
            }
        }
        // What the general check would say, on text that mixes them.
        let arabic = "قال المدير، في ٣ آذار ٢٠٢٤: «نحن فخورون» – €";
        assert!(is_nfc_by_its_script(arabic));
        assert_eq!(arabic.nfc().collect::<String>(), arabic);
        // A vowel mark, or a combining accent, takes the general check.
        assert!(!is_nfc_by_its_script("مُدير"));
        assert!(!is_nfc_by_its_script("e\u{301}"));
    }

    #[test]
    fn eight_printable_ascii_bytes_are_told_apart_from_anything_else() {
        let word = |bytes: &[u8; 8]| u64::from_le_bytes(*bytes);
        assert!(is_printable_ascii(word(b"Paris, 3")));
        assert!(is_printable_ascii(word(b" ~!09AZ}")));
        for special in [0x00, b'\t', b'\n', b'\r', 0x1F, 0x7F, 0x80, 0xC2, 0xFF] {
            for position in 0..8 {
                let mut bytes = *b"abcdefgh";
                bytes[position] = special;
                assert!(
                    !is_printable_ascii(word(&bytes)),
                    "{special:#04x} at {position}"
                );
            }
        }
        // Every single byte, alone among printable ones, as the loop sees it.
        for byte in 0..=255u8 {
            let mut bytes = *b"        ";
            bytes[3] = byte;
            assert_eq!(
                is_printable_ascii(word(&bytes)),
                (0x20..=0x7E).contains(&byte),
                "{byte:#04x}"
            );
        }
    }

    fn check(bytes: &[u8], expected: &str, expected_warnings: usize) {
        let mut warnings = Vec::new();
        let text = decode(bytes, &mut warnings).unwrap();
        assert_eq!(text, expected);
        assert_eq!(warnings.len(), expected_warnings, "{warnings:?}");
    }

    #[test]
    fn utf8_with_and_without_bom() {
        check("Café\n".as_bytes(), "Café\n", 0);
        check(b"\xEF\xBB\xBFCaf\xC3\xA9\n", "Café\n", 0);
    }

    #[test]
    fn utf16_with_bom_in_both_byte_orders() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Été\r\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        check(&le, "Été\n", 0);
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("Été\r\n".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        check(&be, "Été\n", 0);
    }

    #[test]
    fn windows_1252_is_the_fallback_with_a_warning() {
        // "Théâtre de l’Œil" in Windows-1252, with its curly apostrophe and Œ.
        check(b"Th\xE9\xE2tre de l\x92\x8Cil", "Théâtre de l’Œil", 1);
    }

    #[test]
    fn line_endings_become_lf() {
        check(b"a\r\nb\rc\n", "a\nb\nc\n", 0);
    }

    #[test]
    fn decomposed_accents_are_composed() {
        check("E\u{301}vreux".as_bytes(), "Évreux", 0);
    }

    #[test]
    fn control_characters_are_removed_with_a_warning() {
        check(b"a\x0Bb\x1Bc\td\x7F", "abc\td", 1);
    }

    #[test]
    fn empty_and_binary_files_are_refused() {
        let mut warnings = Vec::new();
        assert_eq!(
            decode(b"", &mut warnings),
            Err(ParseError::Empty {
                whitespace_only: false
            })
        );
        assert_eq!(
            decode(b" \n\t\r\n", &mut warnings),
            Err(ParseError::Empty {
                whitespace_only: true
            })
        );
        assert_eq!(
            decode(b"\x89PNG\r\n\x1a\n\0\0", &mut warnings),
            Err(ParseError::Binary { offset: 8 })
        );
    }
}
