//! Slugs: the URL-safe names of releases (`2022-03-24-le-chef-d-etat-major…`).
//!
//! Titles are transliterated to ASCII (Arabic included) so that every slug
//! works in any URL, file system and feed reader. The date prefix keeps slugs
//! of releases with the same title apart, and the length bound keeps paths
//! short whatever the title.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

/// The longest slug, in bytes (a date prefix included).
pub const MAX_SLUG_LEN: usize = 80;

/// Builds the slug of a release from its date (if any) and title; a long
/// title is cut at a word boundary to fit.
pub fn slugify(date: Option<NaiveDate>, title: &str) -> String {
    let mut words = String::with_capacity(title.len());
    for c in deunicode::deunicode(title).chars() {
        if c.is_ascii_alphanumeric() {
            words.push(c.to_ascii_lowercase());
        } else if !words.is_empty() && !words.ends_with('-') && !matches!(c, '`' | '\'' | '"') {
            words.push('-');
        }
    }
    let words = words.trim_end_matches('-');
    let mut slug = match date {
        Some(date) => date.format("%Y-%m-%d").to_string(),
        None => String::new(),
    };
    let words = if words.is_empty() {
        // Nothing transliterable (emoji, symbols): a short hash keeps it unique.
        let hash = Sha256::digest(title.as_bytes());
        format!(
            "release-{:02x}{:02x}{:02x}{:02x}",
            hash[0], hash[1], hash[2], hash[3]
        )
    } else {
        words.to_owned()
    };
    let room = MAX_SLUG_LEN - slug.len() - usize::from(!slug.is_empty());
    let words = if words.len() > room {
        let cut = &words[..room];
        cut.rfind('-').map_or(cut, |dash| &cut[..dash])
    } else {
        &words
    };
    if !slug.is_empty() {
        slug.push('-');
    }
    slug.push_str(words);
    slug
}

/// The slug of a category name, under which its feeds live
/// (`category/<slug>/`) and the store indexes it, so that `Énergie` (front
/// matter) and `energie` (an inbox folder) are one category: transliterated
/// to ASCII, lowercased, every run of other characters than ASCII letters
/// and digits turned into one `-`, with no `-` at either end.
///
/// A name with nothing transliterable (`★`) gets `c-` and a hash of the
/// name, stable across versions, so that it still has a feed of its own.
pub fn category_slug(name: &str) -> String {
    let ascii = deunicode::deunicode(name);
    let words: Vec<&str> = ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    if words.is_empty() {
        return format!("c-{:08x}", fnv1a(name.as_bytes()) as u32);
    }
    words.join("-").to_ascii_lowercase()
}

/// FNV-1a: a tiny hash whose value never changes between Rust versions, as
/// folder names must not.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn french_titles_lose_their_accents_and_apostrophes() {
        let slug = slugify(
            day(2022, 3, 24),
            "Le chef d'état-major de l'armée rend visite à la CIMCT",
        );
        assert_eq!(
            slug,
            "2022-03-24-le-chef-detat-major-de-larmee-rend-visite-a-la-cimct"
        );
    }

    #[test]
    fn arabic_titles_are_transliterated() {
        let slug = slugify(day(2023, 3, 12), "المركز العربي للطاقة المتجددة");
        assert!(slug.starts_with("2023-03-12-"), "{slug}");
        assert!(slug.len() > "2023-03-12-".len() + 10, "{slug}");
        assert!(
            slug.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{slug}"
        );
    }

    #[test]
    fn long_titles_are_cut_at_a_word() {
        let slug = slugify(None, &"Nouvelle annonce ".repeat(200));
        assert!(slug.len() <= MAX_SLUG_LEN);
        assert!(
            slug.ends_with("annonce") || slug.ends_with("nouvelle"),
            "{slug}"
        );
    }

    #[test]
    fn untransliterable_titles_still_get_a_slug() {
        let slug = slugify(None, "★★★");
        assert!(slug.starts_with("release-"), "{slug}");
    }

    #[test]
    fn category_slugs_are_ascii_words_joined_by_dashes() {
        let check = |name: &str, expected: &str| {
            assert_eq!(category_slug(name), expected, "slug of {name:?}");
        };
        check("Énergie verte", "energie-verte");
        check("Énergie", "energie");
        check("energie", "energie");
        check("  R&D / Innovation  ", "r-d-innovation");
        check("Économie_sociale", "economie-sociale");
        check("2024 Élections", "2024-elections");
        check("ÉNERGIE RENOUVELABLE", "energie-renouvelable");
        check("  Santé & Social -- 2024 ", "sante-social-2024");
        check("l'Économie", "l-economie");
        check("C++/Rust!", "c-rust");
        check("Культура", "kul-tura");
    }

    #[test]
    fn arabic_categories_are_transliterated() {
        let slug = category_slug("الطاقة");
        assert!(!slug.is_empty());
        assert!(
            slug.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{slug}"
        );
    }

    #[test]
    fn categories_without_letters_get_a_stable_non_empty_slug() {
        let slug = category_slug("★");
        assert_eq!(
            slug, "c-88960946",
            "the slug of a published feed never changes"
        );
        assert_ne!(slug, category_slug("--"));
        assert!(!category_slug("").is_empty());
    }
}
