//! Releases with attachments: files dropped beside a document, described by
//! its front matter or by their names, and the images a Word file embeds.

use pressroom_core::{DroppedFile, ParseError, ParseOptions, parse_release, parse_release_group};

const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01";
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n";

fn dropped(name: &str, bytes: &[u8]) -> DroppedFile {
    DroppedFile {
        name: name.to_owned(),
        bytes: bytes.to_vec(),
    }
}

#[test]
fn front_matter_describes_the_files_dropped_with_a_markdown_release() {
    let text = "---\nattachments:\n  - file: quai.jpg\n    alt: Le quai à l'aube\n    credit: Photo J. Roe\n---\n# Le port s'électrifie\n\nNantes, 3 mars 2024 – Le port ouvre un quai électrifié.\n";
    let parsed = parse_release_group(
        "annonce.md",
        text.as_bytes(),
        vec![
            dropped("fiche technique.pdf", PDF),
            dropped("quai.jpg", JPEG),
        ],
        &ParseOptions::default(),
    )
    .unwrap_or_else(|rejected| panic!("{}", rejected.error));
    let attachments = &parsed.release.attachments;
    assert_eq!(attachments.len(), 2);
    assert_eq!(attachments[0].file_name, "quai.jpg");
    assert_eq!(attachments[0].alt, "Le quai à l'aube");
    assert_eq!(attachments[0].credit.as_deref(), Some("Photo J. Roe"));
    assert!(attachments[0].is_image());
    assert_eq!(attachments[1].file_name, "fiche-technique.pdf");
    assert_eq!(attachments[1].alt, "fiche technique");
    assert_eq!(attachments[1].media_type, "application/pdf");
    assert_eq!(parsed.files[1].bytes, PDF);
    assert_eq!(
        parsed.files[1].dropped_as.as_deref(),
        Some("fiche technique.pdf")
    );
}

#[test]
fn one_bad_file_rejects_the_whole_release() {
    let error = parse_release_group(
        "annonce.txt",
        b"Titre\n\nTexte.\n",
        vec![dropped("photo.jpg", JPEG), dropped("plan.jpg", PDF)],
        &ParseOptions::default(),
    )
    .map(|_| ())
    .unwrap_err()
    .error;
    assert!(
        matches!(&error, ParseError::AttachmentMisnamed { file, .. } if file == "plan.jpg"),
        "{error:?}"
    );
}

#[test]
fn a_release_that_lists_files_it_does_not_come_with_is_rejected() {
    let error = parse_release(
        "annonce.md",
        b"---\nattachments: [photo.jpg]\n---\n# Titre\n\nTexte.\n",
        &ParseOptions::default(),
    )
    .map(|_| ())
    .unwrap_err()
    .error;
    assert!(
        matches!(error, ParseError::AttachmentNotFound { .. }),
        "{error:?}"
    );
}

#[test]
fn a_photo_on_its_own_says_how_to_attach_it() {
    let error = parse_release("photo.jpg", JPEG, &ParseOptions::default())
        .map(|_| ())
        .unwrap_err()
        .error
        .to_string();
    assert!(error.starts_with("unsupported file type '.jpg'"), "{error}");
    assert!(error.contains("release's own folder"), "{error}");
}

#[test]
fn a_word_files_images_follow_the_files_dropped_beside_it() {
    let bytes = std::fs::read(format!(
        "{}/tests/data/libreoffice.docx",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let parsed = parse_release_group(
        "shore-power.docx",
        &bytes,
        vec![dropped("shore-power.pdf", PDF)],
        &ParseOptions::default(),
    )
    .unwrap_or_else(|rejected| panic!("{}", rejected.error));
    let names: Vec<&str> = parsed
        .release
        .attachments
        .iter()
        .map(|a| a.file_name.as_str())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[0], "shore-power.pdf");
    assert_eq!(
        parsed.release.attachments[1].alt,
        "The new shore power berth at dawn"
    );
}
