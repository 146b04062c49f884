//! A release's text as the store keeps it: its HTML and its plain paragraphs,
//! compressed together with LZ4 (the `text` column).
//!
//! These two are nine tenths of a release's row, and mostly the same words
//! twice. Stored as they were, a release took about 12 KB of database, and a
//! backlog's time went into SQLite copying those bytes into its log, then into
//! the database, and the disk writing them twice. Compressed together, the
//! paragraphs cost little beside the HTML: a generated release's 10 KB of text
//! becomes about 2.4 KB. LZ4 rather than Zstandard: Zstandard's fastest level
//! makes a third less, at three times the CPU time, and CPU is what a backlog
//! runs out of.
//!
//! The column holds the text's length in bytes (`u32`, little-endian), then
//! the LZ4 block (the framing of `lz4_flex`'s `compress_prepend_size`) of:
//! the HTML's length in bytes (`u32`, little-endian), the HTML, the
//! paragraphs as a JSON array. Compressing runs on the thread that builds
//! the version (the daemon's parse threads: see [`ReleaseText::encode`]), so
//! that the store's single writer does not pay for it. Decoding checks every
//! length and offset, and caps the text's length before it allocates (which
//! the library's own reader does not): a damaged row is an error, never a
//! panic or a huge allocation.

use pressroom_core::Release;

use crate::error::Cause;

/// The largest text a stored row may claim to hold. Releases are parsed
/// from files of a few megabytes at most; a row claiming more is damaged,
/// and is refused before anything is allocated for it.
const MAX_TEXT: usize = 256 * 1024 * 1024;

/// The compressed text of one release, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseText(Vec<u8>);

impl ReleaseText {
    /// Compresses `release.body_html` and `release.paragraphs`.
    ///
    /// The store does this itself for a version given without its text; a
    /// caller that stores many releases compresses them on its own threads
    /// and hands them over in [`NewVersion::text`](crate::NewVersion::text).
    pub fn encode(release: &Release) -> Self {
        Self::from_parts(&release.body_html, &release.paragraphs)
    }

    pub(crate) fn from_parts(html: &str, paragraphs: &[String]) -> Self {
        let paragraphs =
            serde_json::to_vec(paragraphs).expect("a list of strings always serializes");
        let mut plain = Vec::with_capacity(4 + html.len() + paragraphs.len());
        plain.extend_from_slice(&length_prefix(html.len()));
        plain.extend_from_slice(html.as_bytes());
        plain.extend_from_slice(&paragraphs);
        // The library's own framing (the length, then the block), in a
        // buffer shrunk to what it holds: thousands of these wait in the
        // parse threads' batches.
        Self(lz4_flex::block::compress_prepend_size(&plain))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

fn length_prefix(length: usize) -> [u8; 4] {
    u32::try_from(length)
        .expect("release text is far below 4 GiB")
        .to_le_bytes()
}

/// Splits a `u32` little-endian length off the front of `bytes`.
fn split_length(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let (length, rest) = bytes.split_first_chunk::<4>()?;
    Some((usize::try_from(u32::from_le_bytes(*length)).ok()?, rest))
}

/// The HTML and paragraphs of a `text` column.
pub(crate) fn decode(stored: &[u8]) -> Result<(String, Vec<String>), Cause> {
    let (size, block) = split_length(stored).ok_or("the text has no length")?;
    if size > MAX_TEXT {
        return Err(format!("the text claims {size} bytes").into());
    }
    let mut plain = vec![0; size];
    let written = lz4_flex::block::decompress_into(block, &mut plain)?;
    if written != size {
        return Err(format!("the text holds {written} bytes, not {size}").into());
    }
    let (html_length, rest) = split_length(&plain).ok_or("the text has no HTML length")?;
    if html_length > rest.len() {
        return Err(format!("the text's HTML length {html_length} is past its end").into());
    }
    // One UTF-8 check for both parts: the JSON reader then skips its own.
    let text = std::str::from_utf8(rest)?;
    let (html, paragraphs) = text
        .split_at_checked(html_length)
        .ok_or("the text's HTML length splits a character")?;
    let paragraphs = serde_json::from_str(paragraphs)?;
    Ok((html.to_owned(), paragraphs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(html: &str, paragraphs: &[&str]) -> Release {
        let mut release =
            pressroom_core::parse_release("r.txt", b"Title\n\nBody.", &Default::default())
                .expect("a plain release parses")
                .release;
        release.body_html = html.to_owned();
        release.paragraphs = paragraphs.iter().map(|p| (*p).to_owned()).collect();
        release
    }

    #[test]
    fn text_reads_back_exactly_as_it_was_stored() {
        let cases = [
            release(
                "<p>Un.</p>\n<p>Deux « trois ».</p>",
                &["Un.", "Deux « trois »."],
            ),
            release("<p dir=\"rtl\">مرحبا</p>", &["مرحبا"]),
            release("", &[]),
            release("<p>\"quoted\" \\ back</p>", &["\"quoted\" \\ back", "a\nb"]),
        ];
        for release in cases {
            let text = ReleaseText::encode(&release);
            let (html, paragraphs) = decode(text.as_bytes()).expect("its own text decodes");
            assert_eq!(html, release.body_html);
            assert_eq!(paragraphs, release.paragraphs);
        }
    }

    #[test]
    fn the_paragraphs_cost_little_beside_the_same_words_in_html() {
        // Forty sentences of made-up words: text that LZ4 cannot shrink by
        // itself, so that what the paragraphs add shows alone.
        let mut seed = 7u64;
        let mut next = move |below: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % below
        };
        let words: Vec<String> = (0..40)
            .map(|_| {
                let words: Vec<String> = (0..12)
                    .map(|_| {
                        (0..3 + next(6))
                            .map(|_| char::from(b'a' + next(26) as u8))
                            .collect()
                    })
                    .collect();
                format!("{}.", words.join(" "))
            })
            .collect();
        let html: String = words.iter().map(|w| format!("<p>{w}</p>\n")).collect();
        let paragraphs: Vec<&str> = words.iter().map(String::as_str).collect();
        let both = ReleaseText::encode(&release(&html, &paragraphs))
            .as_bytes()
            .len();
        let html_only = ReleaseText::encode(&release(&html, &[])).as_bytes().len();
        // The same words a second time, as paragraphs, add under a tenth.
        assert!(
            both < html_only + html_only / 10,
            "{both} against {html_only}"
        );
    }

    #[test]
    fn a_damaged_text_is_an_error_not_a_panic() {
        let good = ReleaseText::encode(&release("<p>Un.</p>", &["Un."])).0;
        let truncated = &good[..good.len() / 2];
        // The stored length one more or one less than the text.
        let (mut longer, mut shorter) = (good.clone(), good.clone());
        longer[0] += 1;
        shorter[0] -= 1;
        for stored in [
            &b""[..],
            b"abc",
            b"not lz4 at all",
            truncated,
            &longer,
            &shorter,
        ] {
            assert!(decode(stored).is_err(), "{stored:?} decoded");
        }
        // Every single byte changed: an error or other text, never a panic.
        for index in 0..good.len() {
            for bit in 0..8 {
                let mut damaged = good.clone();
                damaged[index] ^= 1 << bit;
                let _ = decode(&damaged);
            }
        }
        // A text that holds less than the HTML length it gives.
        let plain = [200, 0, 0, 0, b'<'];
        let mut short = length_prefix(plain.len()).to_vec();
        short.extend_from_slice(&lz4_flex::block::compress(&plain));
        assert!(decode(&short).is_err());
        // An HTML length that splits "é" in two.
        let plain = [2, 0, 0, 0, b'<', 0xC3, 0xA9, b'[', b']'];
        let mut split = length_prefix(plain.len()).to_vec();
        split.extend_from_slice(&lz4_flex::block::compress(&plain));
        assert!(decode(&split).is_err());
        // The same text with the right length decodes.
        let mut whole = plain;
        whole[0] = 3;
        let mut right = length_prefix(whole.len()).to_vec();
        right.extend_from_slice(&lz4_flex::block::compress(&whole));
        assert_eq!(decode(&right).unwrap(), ("<é".to_owned(), Vec::new()));
        // A length of 4 GiB: refused before anything is allocated.
        let mut huge = good.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode(&huge).is_err());
    }
}
