//! Property tests: no input, however broken, panics the parser.
//!
//! The default run is sized for CI. For a long run (the one documented in
//! the README used 300,000 cases per property):
//! `PROPTEST_CASES=300000 cargo test --release -p pressroom-core --test never_panics`.

use pressroom_core::{ParseOptions, parse_release};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    // PROPTEST_CASES overrides this default when set.
    ProptestConfig {
        cases: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Fragments that steer random text into the parser's interesting corners.
fn release_like_text() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("---\n".to_owned()),
        Just("+++\n".to_owned()),
        Just("\n\n".to_owned()),
        Just("title: \"".to_owned()),
        Just("date = 2024-02-20\n".to_owned()),
        Just("PARIS, le 1er mars 2023 – ".to_owned()),
        Just("الرياض، ٢٤ مارس ٢٠٢٢ - ".to_owned()),
        Just("Tuesday, May 16, 2023\n".to_owned()),
        Just("31-02-2022".to_owned()),
        Just("# Titre\n".to_owned()),
        Just("- item\n1. item\n".to_owned()),
        Just("<script>alert(1)</script>".to_owned()),
        Just("###\n".to_owned()),
        Just("\u{301}\u{202F}\u{A0}\r\n\r".to_owned()),
        "\\PC{0,40}",
        "[a-zA-Zéà ,.:\\-–—]{0,40}",
    ];
    proptest::collection::vec(fragment, 0..24).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for name in ["r.txt", "r.md"] {
            let _ = parse_release(name, &bytes, &ParseOptions::default());
        }
    }

    #[test]
    fn arbitrary_utf8_never_panics(text in "\\PC{0,1000}") {
        for name in ["r.txt", "r.md"] {
            let _ = parse_release(name, text.as_bytes(), &ParseOptions::default());
        }
    }

    #[test]
    fn release_like_text_never_panics_and_publishable_results_are_sound(text in release_like_text()) {
        for name in ["r.txt", "r.md"] {
            if let Ok(parsed) = parse_release(name, text.as_bytes(), &ParseOptions::default()) {
                let release = parsed.release;
                prop_assert!(!release.title.trim().is_empty());
                prop_assert!(!release.paragraphs.is_empty());
                prop_assert!(!release.slug.is_empty() && release.slug.len() <= 80);
                prop_assert!(!release.body_html.to_lowercase().contains("<script"));
                let all_text = format!("{}{}{}", release.title, release.paragraphs.concat(), release.body_html);
                prop_assert!(all_text.chars().all(pressroom_core::decode::is_publishable_char));
            }
        }
    }
}
