//! Characters XML 1.0 cannot carry, removed before anything is rendered.
//!
//! The `rss` and `atom_syndication` crates write whatever strings they are
//! given, so a U+000B or U+FFFE that slipped into a release (or into the
//! site's settings) would make the whole feed unreadable for every
//! subscriber. Parsing already removes most of them; rendering removes them
//! again, from every string, because a feed is only as good as its worst item.

use std::borrow::Cow;

/// Whether XML 1.0 allows `c` in a document (the `Char` production): tab, LF,
/// CR, U+0020–U+D7FF, U+E000–U+FFFD and U+10000–U+10FFFF.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// Whether `text` holds only characters XML 1.0 allows, by a byte scan
/// (every string of every output goes through here, so it must be cheap).
/// In UTF-8 the forbidden characters are the bytes below 0x20 other than
/// tab, LF and CR, and U+FFFE, U+FFFF (`EF BF BE`, `EF BF BF`); surrogates
/// cannot occur in a `str`.
///
/// A branch-free pass, which the compiler vectorises, clears the text a
/// chunk at a time; only a chunk holding a control byte or an `EF` (rare in
/// any language) is looked at byte by byte.
pub(crate) fn is_xml_text(text: &str) -> bool {
    const CHUNK: usize = 64;
    let bytes = text.as_bytes();
    bytes.chunks(CHUNK).enumerate().all(|(n, chunk)| {
        let suspicious = chunk.iter().fold(false, |found, &byte| {
            found
                | (byte < 0x20) & (byte != b'\t') & (byte != b'\n') & (byte != b'\r')
                | (byte == 0xEF)
        });
        !suspicious || (n * CHUNK..n * CHUNK + chunk.len()).all(|index| allowed_at(bytes, index))
    })
}

/// Whether the byte at `index` starts no forbidden character.
fn allowed_at(bytes: &[u8], index: usize) -> bool {
    match bytes[index] {
        b'\t' | b'\n' | b'\r' => true,
        0x00..=0x1F => false,
        0xEF => {
            bytes.get(index + 1) != Some(&0xBF)
                || !matches!(bytes.get(index + 2), Some(0xBE | 0xBF))
        }
        _ => true,
    }
}

/// `text` without the characters XML 1.0 forbids; borrowed when it has none.
pub(crate) fn clean(text: &str) -> Cow<'_, str> {
    if is_xml_text(text) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| is_xml_char(c)).collect())
    }
}

/// [`clean`], as an owned string.
pub(crate) fn cleaned(text: &str) -> String {
    clean(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(clean(input), expected, "cleaning {input:?}");
    }

    #[test]
    fn forbidden_control_characters_are_removed() {
        check("a\u{0}b\u{1}c\u{8}d\u{B}e\u{C}f\u{1F}g", "abcdefg");
    }

    #[test]
    fn tab_line_feed_and_carriage_return_are_kept() {
        check("a\tb\nc\rd", "a\tb\nc\rd");
    }

    #[test]
    fn non_characters_at_the_end_of_the_bmp_are_removed() {
        check("x\u{FFFE}y\u{FFFF}z", "xyz");
        check("\u{FFFD}", "\u{FFFD}");
    }

    #[test]
    fn ordinary_text_in_any_script_is_kept() {
        check(
            "Énergie — الرياض 𝄞 \u{E000} \u{7F}",
            "Énergie — الرياض 𝄞 \u{E000} \u{7F}",
        );
    }

    #[test]
    fn the_byte_scan_agrees_with_the_character_rule() {
        for text in [
            "plain",
            "Énergie — الرياض 𝄞 \u{E000} \u{7F} \u{FFFD} \u{EFBF}",
            "a\u{B}b",
            "x\u{FFFE}",
            "x\u{FFFF}y",
            "\u{0}",
            "tab\tlf\ncr\r",
            "\u{10FFFF}",
        ] {
            assert_eq!(is_xml_text(text), text.chars().all(is_xml_char), "{text:?}");
        }
        // Past the first chunk, and across the boundary of two.
        let long = "é".repeat(100);
        for text in [
            format!("{long}\u{B}"),
            format!("{}\u{FFFF}", "a".repeat(63)),
            format!("{}\u{FFFE}", "a".repeat(62)),
            format!("{}\u{FEFF}{long}", "a".repeat(63)),
            format!("{long}\u{FFFD}"),
        ] {
            assert_eq!(
                is_xml_text(&text),
                text.chars().all(is_xml_char),
                "{text:?}"
            );
        }
    }

    #[test]
    fn clean_text_is_not_copied() {
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
    }
}
