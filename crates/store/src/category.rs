//! Category slugs: the URL-safe names under which category feeds live.
//!
//! The store indexes categories by slug so that `Énergie` (front matter) and
//! `energie` (the inbox folder) are one feed. `pressroom-feeds` names the
//! feed's folder with the same rule; the two must stay identical, or a feed
//! would be rendered from one set of releases and published under another
//! name.

/// The slug of a category name: transliterated to ASCII with `deunicode`,
/// lowercased, every run of other characters than ASCII letters and digits
/// turned into one `-`, with no `-` at either end. `pressroom-feeds` uses
/// the same rule for category feed folders.
///
/// A name with nothing transliterable (`★`) has an empty slug.
pub fn category_slug(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in deunicode::deunicode(name).chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    if slug.ends_with('-') {
        slug.pop();
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::category_slug;

    fn check(name: &str, expected: &str) {
        assert_eq!(category_slug(name), expected, "slug of {name:?}");
    }

    #[test]
    fn accents_and_case_disappear() {
        check("Énergie", "energie");
        check("energie", "energie");
        check("ÉNERGIE RENOUVELABLE", "energie-renouvelable");
    }

    #[test]
    fn punctuation_collapses_to_one_dash_and_is_trimmed() {
        check("  Santé & Social -- 2024 ", "sante-social-2024");
        check("l'Économie", "l-economie");
        check("C++/Rust!", "c-rust");
    }

    #[test]
    fn other_scripts_are_transliterated() {
        check("Культура", "kul-tura");
        let arabic = category_slug("الطاقة");
        assert!(!arabic.is_empty());
        assert!(
            arabic
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{arabic}"
        );
    }

    #[test]
    fn nothing_transliterable_is_empty() {
        check("", "");
        check("--", "");
    }
}
