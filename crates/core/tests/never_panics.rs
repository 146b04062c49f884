//! Property tests: no input, however broken, panics the parser.
//!
//! The default run is sized for CI. For a long run (the one documented in
//! the README used 300,000 cases per property):
//! `PROPTEST_CASES=300000 cargo test --release -p pressroom-core --test never_panics`.

use std::io::{Cursor, Read, Write};

use pressroom_core::group::group_folder;
use pressroom_core::{DroppedFile, ParseOptions, parse_release, parse_release_group};
use proptest::prelude::*;

/// `cases` unless PROPTEST_CASES says otherwise (an explicit `cases` in a
/// config would otherwise win over the environment).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(2_000),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Word files and web pages go through a zip reader, an HTML parser and
/// readability, slow without optimisation: fewer cases by default.
fn structured_config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(400),
        ..config()
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

/// Fragments that steer random text into the HTML reader's corners.
fn page_like_text() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("<html lang=\"fr\"><head>".to_owned()),
        Just("<title>Un titre | Site</title>".to_owned()),
        Just("<meta charset=\"windows-1252\">".to_owned()),
        Just(
            "<meta property=\"article:published_time\" content=\"2024-02-30T10:00:00Z\">"
                .to_owned()
        ),
        Just("<script type=\"application/ld+json\">{\"@graph\":[{\"datePublished\":".to_owned()),
        Just("<base href=\"https://example.org/a/\">".to_owned()),
        Just("<link rel=canonical href=\"//x\">".to_owned()),
        Just("<article><h1>".to_owned()),
        Just("<p>".to_owned()),
        Just("</p></div>".to_owned()),
        Just("<ul><li>".to_owned()),
        Just("<table><tr><td>".to_owned()),
        Just("<a href=\"javascript:alert(1)\" onclick=\"x()\">".to_owned()),
        Just("<a href=\"../rel\">".to_owned()),
        Just("<strong><em>".to_owned()),
        Just("<br>".to_owned()),
        Just("<time datetime=\"2024-03-12\">".to_owned()),
        Just("<script>alert(1)</script>".to_owned()),
        Just("<!-- ".to_owned()),
        Just("&amp;&#0;&#x110000;&nbsp;".to_owned()),
        Just("PARIS, le 1er mars 2023 – ".to_owned()),
        Just("Contact presse :<br>marie@x.fr<br>06 12 34 56 78".to_owned()),
        Just("<h2>À propos de la Régie</h2>".to_owned()),
        Just("<div>".repeat(8)),
        "\\PC{0,40}",
    ];
    proptest::collection::vec(fragment, 0..32).prop_map(|parts| parts.concat())
}

/// The parts of the python-docx fixture, uncompressed, for mutation.
fn word_parts() -> &'static [(String, Vec<u8>)] {
    static PARTS: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    PARTS.get_or_init(read_word_parts)
}

fn read_word_parts() -> Vec<(String, Vec<u8>)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/python-docx.docx");
    let bytes = std::fs::read(path).expect("the python-docx fixture");
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    (0..archive.len())
        .map(|index| {
            let mut entry = archive.by_index(index).expect("an entry");
            let mut content = Vec::new();
            entry.read_to_end(&mut content).expect("readable");
            (entry.name().to_owned(), content)
        })
        .collect()
}

/// A Word file whose XML parts (stored, not compressed) had some bytes changed.
fn damaged_word_file(edits: &[(prop::sample::Index, u8)], parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, content) in parts {
        let mut content = content.clone();
        if name.ends_with(".xml") || name.ends_with(".rels") {
            for (index, byte) in edits {
                if !content.is_empty() {
                    let at = index.index(content.len());
                    content[at] = *byte;
                }
            }
        }
        writer.start_file(name.as_str(), options).expect("an entry");
        writer.write_all(&content).expect("written");
    }
    writer.finish().expect("a zip").into_inner()
}

proptest! {
    #![proptest_config(structured_config())]

    #[test]
    fn arbitrary_bytes_named_docx_or_html_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for name in ["r.docx", "r.html", "r.htm"] {
            let _ = parse_release(name, &bytes, &ParseOptions::default());
        }
    }

    #[test]
    fn a_real_word_file_cut_or_with_bytes_changed_never_panics(
        cut in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/libreoffice.docx")).unwrap();
        let _ = parse_release("r.docx", &bytes[..cut.index(bytes.len())], &ParseOptions::default());
        let mut flipped = bytes.clone();
        for (index, byte) in &edits {
            let at = index.index(flipped.len());
            flipped[at] = *byte;
        }
        let _ = parse_release("r.docx", &flipped, &ParseOptions::default());
        let damaged = damaged_word_file(&edits, word_parts());
        if let Ok(parsed) = parse_release("r.docx", &damaged, &ParseOptions::default()) {
            let release = parsed.release;
            prop_assert!(!release.title.trim().is_empty());
            prop_assert!(!release.paragraphs.is_empty());
            let all_text = format!("{}{}{}", release.title, release.paragraphs.concat(), release.body_html);
            prop_assert!(all_text.chars().all(pressroom_core::decode::is_publishable_char));
        }
    }

    #[test]
    fn page_like_text_never_panics_and_publishable_results_are_sound(text in page_like_text()) {
        if let Ok(parsed) = parse_release("r.html", text.as_bytes(), &ParseOptions::default()) {
            let release = parsed.release;
            prop_assert!(!release.title.trim().is_empty());
            prop_assert!(!release.paragraphs.is_empty());
            let html = release.body_html.to_lowercase();
            prop_assert!(!html.contains("<script") && !html.contains("onclick") && !html.contains("javascript:"), "{}", html);
            let all_text = format!("{}{}{}", release.title, release.paragraphs.concat(), release.body_html);
            prop_assert!(all_text.chars().all(pressroom_core::decode::is_publishable_char));
        }
    }
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

/// File names as editors' tools write them, and worse.
fn file_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _.\\-]{0,12}\\.(txt|md|docx|html|jpg|JPEG|png|pdf|gif|webp|zip)",
        "\\PC{0,16}",
        Just(".".to_owned()),
        Just("..".to_owned()),
        Just("statement.docx".to_owned()),
        Just("statement-photo.jpg".to_owned()),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Whatever a folder holds, every file is in at most one group, and a
    /// release folder's group holds them all.
    #[test]
    fn grouping_any_names_never_panics_and_places_each_file_once(
        names in proptest::collection::vec(file_name(), 0..12),
        may_be in any::<bool>(),
    ) {
        // A folder holds each name once.
        let mut names = names;
        names.sort();
        names.dedup();
        let grouping = group_folder(&names, may_be);
        let mut placed: Vec<&String> = grouping
            .groups
            .iter()
            .flat_map(|g| std::iter::once(&g.document).chain(&g.attachments))
            .chain(&grouping.strays)
            .collect();
        let total = placed.len();
        placed.sort();
        placed.dedup();
        prop_assert_eq!(placed.len(), total);
        prop_assert!(total <= names.len());
        if grouping.release_folder {
            prop_assert_eq!(grouping.groups.len(), 1);
        }
    }

    /// Any files dropped with a release: published names are safe, unique
    /// and as many as the files' bytes.
    #[test]
    fn any_dropped_files_never_panic_and_published_names_are_safe(
        files in proptest::collection::vec(
            (file_name(), proptest::collection::vec(any::<u8>(), 0..64), any::<bool>()),
            0..6,
        ),
    ) {
        let dropped: Vec<DroppedFile> = files
            .into_iter()
            .map(|(name, mut bytes, jpeg)| {
                if jpeg {
                    bytes.splice(0..0, *b"\xFF\xD8\xFF");
                }
                DroppedFile { name, bytes }
            })
            .collect();
        let text = b"Titre\n\nTexte du communique.\n";
        if let Ok(parsed) = parse_release_group("r.txt", text, dropped, &ParseOptions::default()) {
            let names: Vec<&str> = parsed.release.attachments.iter().map(|a| a.file_name.as_str()).collect();
            prop_assert_eq!(names.len(), parsed.files.len());
            for name in &names {
                prop_assert!(
                    name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c)),
                    "{}", name
                );
                prop_assert!(!name.starts_with('.') && name != &"index.html");
            }
            let mut unique = names.clone();
            unique.sort();
            unique.dedup();
            prop_assert_eq!(unique.len(), names.len());
        }
    }
}
