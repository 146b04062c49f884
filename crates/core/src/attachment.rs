//! Attachments: the photos and documents published with a release.
//!
//! A release may come with files: dropped beside its document (in the
//! release's own folder, or named after it) or embedded in it (a Word file's
//! images). Here they are judged and described, from their names and bytes
//! alone; where they are published is the caller's business.
//!
//! A file is known by its first bytes, never by its name only: a `.jpg` that
//! holds a PDF, or an executable renamed `.png`, is refused, because a
//! browser or feed reader trusts the type it is served with. The name must
//! agree with the content, so that what an editor sees on their desk is what
//! subscribers get.
//!
//! Dropped files are the editor's explicit choice, so a dropped file that
//! cannot be published rejects the whole release: nothing is published half.
//! Images embedded in a Word document of a type pages cannot show (the EMF
//! and WMF previews Word makes of charts and equations) are left out with a
//! warning instead, since the editor never chose them as files.

use std::collections::HashSet;
use std::fmt;

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use crate::document::EmbeddedImage;
use crate::error::{ParseError, Warning};
use crate::model::{Attachment, AttachmentFile};

/// A kind of file Pressroom publishes with a release, known by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    Jpeg,
    Png,
    Gif,
    Webp,
    Pdf,
}

impl FileType {
    /// Every type, in the order messages list them.
    pub const ALL: [FileType; 5] = [
        FileType::Jpeg,
        FileType::Png,
        FileType::Gif,
        FileType::Webp,
        FileType::Pdf,
    ];

    /// The type's name in the config (`jpeg`, `png`, `gif`, `webp`, `pdf`).
    pub fn name(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpeg",
            FileType::Png => "png",
            FileType::Gif => "gif",
            FileType::Webp => "webp",
            FileType::Pdf => "pdf",
        }
    }

    /// The type named `name` in the config (`jpg` is `jpeg`), any case.
    pub fn from_name(name: &str) -> Option<FileType> {
        match name.trim().to_ascii_lowercase().as_str() {
            "jpg" => Some(FileType::Jpeg),
            name => Self::ALL.into_iter().find(|t| t.name() == name),
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Gif => "image/gif",
            FileType::Webp => "image/webp",
            FileType::Pdf => "application/pdf",
        }
    }

    /// The type for people: "a JPEG image", "a PDF document".
    pub fn description(self) -> &'static str {
        match self {
            FileType::Jpeg => "a JPEG image",
            FileType::Png => "a PNG image",
            FileType::Gif => "a GIF image",
            FileType::Webp => "a WebP image",
            FileType::Pdf => "a PDF document",
        }
    }

    /// The extensions a file of this type may have, the usual one first.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileType::Jpeg => &["jpg", "jpeg", "jpe"],
            FileType::Png => &["png"],
            FileType::Gif => &["gif"],
            FileType::Webp => &["webp"],
            FileType::Pdf => &["pdf"],
        }
    }

    /// The type a file name's extension announces, if it is one of these.
    pub fn from_file_name(name: &str) -> Option<FileType> {
        let (_, extension) = name.rsplit_once('.')?;
        let extension = extension.to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|t| t.extensions().contains(&extension.as_str()))
    }

    /// The type of a file from its first bytes (its "magic number").
    pub fn sniff(bytes: &[u8]) -> Option<FileType> {
        if bytes.starts_with(b"\xFF\xD8\xFF") {
            Some(FileType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileType::Png)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(FileType::Gif)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(FileType::Webp)
        } else if bytes
            .get(..1024.min(bytes.len()))
            .is_some_and(|head| head.windows(5).any(|w| w == b"%PDF-"))
        {
            // Readers accept a PDF header anywhere in the first kilobyte.
            Some(FileType::Pdf)
        } else {
            None
        }
    }

    pub fn is_image(self) -> bool {
        self != FileType::Pdf
    }
}

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What attachments may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRules {
    /// The largest file, in bytes.
    pub max_bytes: u64,
    /// The types allowed.
    pub types: Vec<FileType>,
}

impl AttachmentRules {
    /// The default size limit: 20 MiB, room for a press photo at full resolution.
    pub const DEFAULT_MAX_BYTES: u64 = 20 * 1024 * 1024;

    /// The allowed types for messages: "jpeg, png, gif, webp, pdf".
    pub fn allowed(&self) -> String {
        if self.types.is_empty() {
            return "none (no attachment is allowed)".to_owned();
        }
        self.types
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Default for AttachmentRules {
    fn default() -> Self {
        Self {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            types: FileType::ALL.to_vec(),
        }
    }
}

/// A file dropped beside a release document: in the release's folder, or
/// named after the document (`statement-photo.jpg` beside `statement.docx`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedFile {
    /// Its file name, as dropped.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What the front matter says of one dropped file (`attachments:` list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttachmentNote {
    /// The file name, as dropped.
    pub file: String,
    /// Its alternative text (`alt`, or `caption`, `title`, `description`).
    pub alt: Option<String>,
    pub credit: Option<String>,
}

/// Judges, orders, names and describes a release's attachments: the files
/// dropped with it (described by `notes`) and the images its document
/// embeds. `title` is the alternative text of embedded images that have
/// none. Returns the attachments and their bytes, in the same order.
pub(crate) fn assemble(
    notes: &[AttachmentNote],
    dropped: Vec<DroppedFile>,
    embedded: Vec<EmbeddedImage>,
    title: &str,
    rules: &AttachmentRules,
    warnings: &mut Vec<Warning>,
) -> Result<(Vec<Attachment>, Vec<AttachmentFile>), ParseError> {
    let mut dropped = dropped;
    // The listed files first, in the front matter's order; the rest by name.
    dropped.sort_by(|a, b| a.name.cmp(&b.name));
    let mut ordered: Vec<(DroppedFile, Option<&AttachmentNote>)> = Vec::new();
    for note in notes {
        let Some(index) = dropped.iter().position(|f| same_name(&f.name, &note.file)) else {
            if ordered.iter().any(|(f, _)| same_name(&f.name, &note.file)) {
                continue; // listed twice: the first entry counts
            }
            return Err(ParseError::AttachmentNotFound {
                file: note.file.clone(),
                present: if dropped.is_empty() && ordered.is_empty() {
                    "no file is".to_owned()
                } else {
                    let names: Vec<&str> = ordered
                        .iter()
                        .map(|(f, _)| f.name.as_str())
                        .chain(dropped.iter().map(|f| f.name.as_str()))
                        .collect();
                    let verb = if names.len() == 1 { "is" } else { "are" };
                    format!("only {} {verb}", quoted_list(&names))
                },
            });
        };
        ordered.push((dropped.remove(index), Some(note)));
    }
    ordered.extend(dropped.into_iter().map(|file| (file, None)));

    let mut names = UniqueNames::default();
    let mut attachments = Vec::new();
    let mut files = Vec::new();
    for (file, note) in ordered {
        let kind = judge_dropped(&file, rules)?;
        let alt = note
            .and_then(|n| n.alt.as_deref())
            .map(clean_line)
            .filter(|alt| !alt.is_empty())
            .unwrap_or_else(|| words_of(&file.name));
        let credit = note
            .and_then(|n| n.credit.as_deref())
            .map(clean_line)
            .filter(|credit| !credit.is_empty());
        let file_name = names.claim(&public_name(&file.name, kind));
        attachments.push(describe(&file_name, kind, &file.bytes, alt, credit));
        files.push(AttachmentFile {
            file_name,
            dropped_as: Some(file.name),
            bytes: file.bytes,
        });
    }
    for image in embedded {
        let Some(kind) = FileType::sniff(&image.bytes).filter(|k| rules.types.contains(k)) else {
            warnings.push(Warning::EmbeddedImageLeftOut {
                name: image.file_name,
                kind: FileType::sniff(&image.bytes).map(FileType::description),
            });
            continue;
        };
        let size = image.bytes.len() as u64;
        if size > rules.max_bytes {
            return Err(ParseError::AttachmentTooLarge {
                file: format!("{} (embedded in the document)", image.file_name),
                size,
                limit: rules.max_bytes,
            });
        }
        let alt = image
            .alt
            .as_deref()
            .map(clean_line)
            .filter(|alt| !alt.is_empty())
            .unwrap_or_else(|| clean_line(title));
        let file_name = names.claim(&public_name(&image.file_name, kind));
        attachments.push(describe(&file_name, kind, &image.bytes, alt, None));
        files.push(AttachmentFile {
            file_name,
            dropped_as: None,
            bytes: image.bytes,
        });
    }
    Ok((attachments, files))
}

/// The type of a dropped file, or why it cannot be published.
fn judge_dropped(file: &DroppedFile, rules: &AttachmentRules) -> Result<FileType, ParseError> {
    let size = file.bytes.len() as u64;
    if size > rules.max_bytes {
        return Err(ParseError::AttachmentTooLarge {
            file: file.name.clone(),
            size,
            limit: rules.max_bytes,
        });
    }
    let Some(kind) = FileType::sniff(&file.bytes) else {
        return Err(ParseError::AttachmentUnsupported {
            file: file.name.clone(),
            empty: file.bytes.is_empty(),
            allowed: rules.allowed(),
        });
    };
    if FileType::from_file_name(&file.name) != Some(kind) {
        return Err(ParseError::AttachmentMisnamed {
            file: file.name.clone(),
            content: kind.description(),
            extension: kind.extensions()[0],
        });
    }
    if !rules.types.contains(&kind) {
        return Err(ParseError::AttachmentTypeNotAllowed {
            file: file.name.clone(),
            kind: kind.description(),
            allowed: rules.allowed(),
        });
    }
    Ok(kind)
}

fn describe(
    file_name: &str,
    kind: FileType,
    bytes: &[u8],
    alt: String,
    credit: Option<String>,
) -> Attachment {
    Attachment {
        file_name: file_name.to_owned(),
        media_type: kind.media_type().to_owned(),
        size: bytes.len() as u64,
        sha256: Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        alt,
        credit,
    }
}

/// Whether a front matter entry names a file: the same name once both are
/// NFC and lowercase (macOS writes names decomposed; editors mistype case).
fn same_name(a: &str, b: &str) -> bool {
    let fold = |s: &str| s.trim().nfc().collect::<String>().to_lowercase();
    fold(a) == fold(b)
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line of text, without control characters and runs of spaces.
fn clean_line(text: &str) -> String {
    crate::decode::clean_text(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of a file name, as a default description: `photo-equipe_2024.jpg`
/// is "photo equipe 2024".
fn words_of(name: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let words = clean_line(&stem.replace(['-', '_', '.'], " "));
    if words.is_empty() {
        clean_line(name)
    } else {
        words
    }
}

/// The name a file is published under: transliterated to ASCII, lowercase,
/// letters, digits and `-` only, with an extension of its type (`Photo
/// équipe.JPG` is `photo-equipe.jpg`, an embedded `image3.jpeg` that holds
/// a PNG image is `image3.png`).
pub fn public_name(name: &str, kind: FileType) -> String {
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => {
            let extension = extension.to_ascii_lowercase();
            if kind.extensions().contains(&extension.as_str()) {
                (stem, extension)
            } else {
                (stem, kind.extensions()[0].to_owned())
            }
        }
        _ => (name, kind.extensions()[0].to_owned()),
    };
    let mut words = String::with_capacity(stem.len());
    for c in deunicode::deunicode(stem).chars() {
        if c.is_ascii_alphanumeric() {
            words.push(c.to_ascii_lowercase());
        } else if !words.is_empty() && !words.ends_with('-') {
            words.push('-');
        }
    }
    let mut words = words.trim_end_matches('-').to_owned();
    if words.len() > MAX_STEM_LEN {
        words.truncate(MAX_STEM_LEN);
        words = words.trim_end_matches('-').to_owned();
    }
    if words.is_empty() {
        words = if kind.is_image() { "image" } else { "document" }.to_owned();
    }
    format!("{words}.{extension}")
}

/// The longest stem of a published name, in bytes.
const MAX_STEM_LEN: usize = 80;

/// Published names already given within one release.
#[derive(Default)]
struct UniqueNames {
    taken: HashSet<String>,
}

impl UniqueNames {
    /// `name`, or `stem-2.ext`, `stem-3.ext`… when it is taken.
    fn claim(&mut self, name: &str) -> String {
        let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
        let mut candidate = name.to_owned();
        let mut counter = 1;
        while !self.taken.insert(candidate.clone()) {
            counter += 1;
            candidate = format!("{stem}-{counter}.{extension}");
        }
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const PDF: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";

    fn dropped(name: &str, bytes: &[u8]) -> DroppedFile {
        DroppedFile {
            name: name.to_owned(),
            bytes: bytes.to_vec(),
        }
    }

    fn note(file: &str, alt: Option<&str>, credit: Option<&str>) -> AttachmentNote {
        AttachmentNote {
            file: file.to_owned(),
            alt: alt.map(str::to_owned),
            credit: credit.map(str::to_owned),
        }
    }

    fn check(
        notes: &[AttachmentNote],
        files: Vec<DroppedFile>,
        rules: &AttachmentRules,
    ) -> Result<Vec<Attachment>, ParseError> {
        let mut warnings = Vec::new();
        assemble(notes, files, Vec::new(), "Title", rules, &mut warnings).map(|(a, _)| a)
    }

    #[test]
    fn types_are_known_by_their_first_bytes() {
        assert_eq!(FileType::sniff(JPEG), Some(FileType::Jpeg));
        assert_eq!(FileType::sniff(PNG), Some(FileType::Png));
        assert_eq!(FileType::sniff(b"GIF89a\x01\0"), Some(FileType::Gif));
        assert_eq!(
            FileType::sniff(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(FileType::Webp)
        );
        assert_eq!(FileType::sniff(PDF), Some(FileType::Pdf));
        assert_eq!(FileType::sniff(b"\r\n%PDF-1.4"), Some(FileType::Pdf));
        assert_eq!(FileType::sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(FileType::sniff(b"MZ\x90\0"), None);
        assert_eq!(FileType::sniff(b""), None);
    }

    #[test]
    fn listed_files_come_first_with_their_descriptions() {
        let attachments = check(
            &[
                note(
                    "Photo équipe.JPG",
                    Some("The team on the quay"),
                    Some("Photo: J. Roe"),
                ),
                note("fiche.pdf", Some("  Fact\nsheet "), None),
            ],
            vec![
                dropped("annexe.pdf", PDF),
                dropped("fiche.pdf", PDF),
                dropped("Photo équipe.JPG", JPEG),
            ],
            &AttachmentRules::default(),
        )
        .unwrap();
        let summary: Vec<(&str, &str, &str, Option<&str>)> = attachments
            .iter()
            .map(|a| {
                (
                    a.file_name.as_str(),
                    a.media_type.as_str(),
                    a.alt.as_str(),
                    a.credit.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "photo-equipe.jpg",
                    "image/jpeg",
                    "The team on the quay",
                    Some("Photo: J. Roe")
                ),
                ("fiche.pdf", "application/pdf", "Fact sheet", None),
                // Not listed: after the listed ones, described by its name.
                ("annexe.pdf", "application/pdf", "annexe", None),
            ]
        );
        assert_eq!(attachments[0].size, JPEG.len() as u64);
        assert_eq!(attachments[0].sha256.len(), 64);
    }

    #[test]
    fn a_listed_file_that_is_missing_is_an_error_naming_what_is_there() {
        let error = check(
            &[note("photo.jpg", None, None)],
            vec![dropped("foto.jpg", JPEG)],
            &AttachmentRules::default(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the front matter lists the attachment 'photo.jpg', but only 'foto.jpg' is beside the release"
        );
        let error = check(
            &[note("photo.jpg", None, None)],
            vec![],
            &AttachmentRules::default(),
        )
        .unwrap_err();
        assert!(error.to_string().contains("no file is beside"), "{error}");
    }

    #[test]
    fn names_must_agree_with_contents() {
        let rules = AttachmentRules::default();
        let error = check(&[], vec![dropped("photo.jpg", PDF)], &rules).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the attachment 'photo.jpg' holds a PDF document, not what its name says: rename it with the extension '.pdf'"
        );
        let error = check(&[], vec![dropped("setup.png", b"MZ\x90\0\x03")], &rules).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("'setup.png' is not a file Pressroom publishes"),
            "{error}"
        );
        let error = check(&[], vec![dropped("notes.txt~", b"")], &rules).unwrap_err();
        assert!(error.to_string().contains("is empty"), "{error}");
    }

    #[test]
    fn limits_come_from_the_rules() {
        let rules = AttachmentRules {
            max_bytes: 10,
            types: vec![FileType::Jpeg],
        };
        let error = check(&[], vec![dropped("scan.pdf", PDF)], &rules).unwrap_err();
        assert!(
            matches!(&error, ParseError::AttachmentTooLarge { file, size: 15, limit: 10 } if file == "scan.pdf"),
            "{error:?}"
        );
        let rules = AttachmentRules {
            max_bytes: 100,
            types: vec![FileType::Jpeg],
        };
        let error = check(&[], vec![dropped("scan.pdf", PDF)], &rules).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the attachment 'scan.pdf' is a PDF document, a type not allowed here (allowed: jpeg)"
        );
    }

    #[test]
    fn published_names_are_safe_and_unique() {
        assert_eq!(
            public_name("Photo équipe.JPG", FileType::Jpeg),
            "photo-equipe.jpg"
        );
        let arabic = public_name("صورة.png", FileType::Png);
        assert!(
            arabic.ends_with(".png") && arabic.len() > 4 && arabic.is_ascii(),
            "{arabic}"
        );
        assert_eq!(
            public_name("../../etc/passwd.pdf", FileType::Pdf),
            "etc-passwd.pdf"
        );
        assert_eq!(public_name("★.pdf", FileType::Pdf), "document.pdf");
        assert_eq!(public_name("image1", FileType::Png), "image1.png");
        assert_eq!(public_name("index.html", FileType::Png), "index.png");
        let attachments = check(
            &[],
            vec![dropped("Photo.jpg", JPEG), dropped("photo.JPG", JPEG)],
            &AttachmentRules::default(),
        )
        .unwrap();
        let names: Vec<&str> = attachments.iter().map(|a| a.file_name.as_str()).collect();
        assert_eq!(names, ["photo.jpg", "photo-2.jpg"]);
    }

    #[test]
    fn embedded_images_follow_dropped_files_and_unshowable_ones_are_left_out() {
        let mut warnings = Vec::new();
        let embedded = vec![
            EmbeddedImage {
                file_name: "image1.png".to_owned(),
                alt: None,
                bytes: PNG.to_vec(),
            },
            EmbeddedImage {
                file_name: "image2.emf".to_owned(),
                alt: Some("A chart".to_owned()),
                bytes: b"\x01\0\0\0EMF".to_vec(),
            },
            EmbeddedImage {
                file_name: "image3.jpeg".to_owned(),
                alt: Some("The quay".to_owned()),
                bytes: PNG.to_vec(),
            },
        ];
        let (attachments, files) = assemble(
            &[],
            vec![dropped("image1.png", PNG)],
            embedded,
            "Ferries switch off",
            &AttachmentRules::default(),
            &mut warnings,
        )
        .unwrap();
        let summary: Vec<(&str, &str)> = attachments
            .iter()
            .map(|a| (a.file_name.as_str(), a.alt.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("image1.png", "image1"),
                // Without a description of its own, the release's title.
                ("image1-2.png", "Ferries switch off"),
                // Named after what it holds.
                ("image3.png", "The quay"),
            ]
        );
        assert_eq!(files[1].dropped_as, None);
        assert_eq!(files[0].dropped_as.as_deref(), Some("image1.png"));
        assert_eq!(
            warnings,
            [Warning::EmbeddedImageLeftOut {
                name: "image2.emf".to_owned(),
                kind: None
            }]
        );
    }
}
