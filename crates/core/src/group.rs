//! Which files of a folder make one release, from their names alone.
//!
//! Editors attach photos and PDFs to a release in the two ways their desks
//! already know: a folder of its own (`inbox/parc-eolien/` holding
//! `annonce.docx`, `photo.jpg`, `fiche.pdf`), or files named after the
//! document (`statement.docx`, `statement.pdf`, `statement-photo.jpg`).
//!
//! A folder holding exactly one release document, at least one other file
//! and no subfolder is a *release folder*: every file in it belongs to the
//! document. Any other folder keeps meaning a category (the inbox itself is
//! never a release folder), and there a file belongs to the document whose
//! name it extends: the same stem, or the stem followed by `-`, `_`, `.` or
//! a space, compared without case. When several documents' stems fit, the
//! longest wins (`statement-en-photo.jpg` goes with `statement-en.docx`,
//! not `statement.docx`); a file that fits two documents equally well
//! (`statement.md` and `statement.docx`), or none, belongs to no release.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use crate::model::SourceFormat;
use crate::names;

/// A release document and the files that go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub document: String,
    /// Sorted by name.
    pub attachments: Vec<String>,
}

/// How the files of one folder form releases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grouping {
    /// Sorted by document name.
    pub groups: Vec<Group>,
    /// Files that are no release document and go with none (sorted).
    pub strays: Vec<String>,
    /// The folder is a release folder: one group holds every file.
    pub release_folder: bool,
}

impl Grouping {
    /// The group a file belongs to (as its document or an attachment).
    pub fn group_of(&self, name: &str) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.document == name || g.attachments.iter().any(|a| a == name))
    }
}

/// Groups the names of the files directly in one folder (editors' temporary
/// files are left out). `may_be_release_folder` is false for the inbox itself
/// and for folders that hold subfolders.
pub fn group_folder(names: &[String], may_be_release_folder: bool) -> Grouping {
    let mut documents: Vec<&String> = Vec::new();
    let mut others: Vec<&String> = Vec::new();
    for name in names.iter().filter(|n| !names::is_ignored(n)) {
        if SourceFormat::from_file_name(name).is_some() {
            documents.push(name);
        } else {
            others.push(name);
        }
    }
    documents.sort();
    others.sort();
    if may_be_release_folder && documents.len() == 1 && !others.is_empty() {
        return Grouping {
            groups: vec![Group {
                document: documents[0].clone(),
                attachments: others.into_iter().cloned().collect(),
            }],
            strays: Vec::new(),
            release_folder: true,
        };
    }
    // Documents by folded stem, so that each file looks up its name's
    // prefixes instead of comparing itself with every document.
    let mut by_stem: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, document) in documents.iter().enumerate() {
        by_stem.entry(fold(stem(document))).or_default().push(index);
    }
    let mut groups: Vec<Group> = documents
        .iter()
        .map(|d| Group {
            document: (*d).clone(),
            attachments: Vec::new(),
        })
        .collect();
    let mut strays = Vec::new();
    for other in others {
        match longest_fitting_stem(&fold(stem(other)), &by_stem) {
            Some([only]) => groups[*only].attachments.push(other.clone()),
            _ => strays.push(other.clone()),
        }
    }
    Grouping {
        groups,
        strays,
        release_folder: false,
    }
}

/// The name without its last extension.
fn stem(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    }
}

fn fold(text: &str) -> String {
    text.nfc().collect::<String>().to_lowercase()
}

/// The documents of the longest stem a file's stem is, or extends after a
/// separator (`-`, `_`, `.`, space).
fn longest_fitting_stem<'a>(
    file_stem: &str,
    by_stem: &'a HashMap<String, Vec<usize>>,
) -> Option<&'a [usize]> {
    let cuts = file_stem
        .char_indices()
        .filter(|(_, c)| matches!(c, '-' | '_' | '.' | ' '))
        .map(|(index, _)| index)
        .chain(std::iter::once(file_stem.len()));
    let mut best = None;
    for cut in cuts {
        if let Some(documents) = by_stem.get(&file_stem[..cut]) {
            best = Some(documents.as_slice());
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| (*n).to_owned()).collect()
    }

    fn group(document: &str, attachments: &[&str]) -> Group {
        Group {
            document: document.to_owned(),
            attachments: names(attachments),
        }
    }

    #[test]
    fn a_folder_with_one_document_and_other_files_is_a_release_folder() {
        let grouping = group_folder(
            &names(&["photo 2.jpg", "annonce.docx", "fiche.pdf", ".DS_Store"]),
            true,
        );
        assert!(grouping.release_folder);
        assert_eq!(
            grouping.groups,
            [group("annonce.docx", &["fiche.pdf", "photo 2.jpg"])]
        );
        assert!(grouping.strays.is_empty());
    }

    #[test]
    fn the_inbox_and_folders_of_several_documents_group_by_stem() {
        for may_be in [false, true] {
            let grouping = group_folder(
                &names(&[
                    "statement.docx",
                    "statement.pdf",
                    "Statement-Photo.JPG",
                    "statement-en.md",
                    "statement-en-photo.jpg",
                    "statements.pdf",
                    "other.txt",
                    "logo.png",
                ]),
                may_be,
            );
            assert!(!grouping.release_folder);
            assert_eq!(
                grouping.groups,
                [
                    group("other.txt", &[]),
                    group("statement-en.md", &["statement-en-photo.jpg"]),
                    group("statement.docx", &["Statement-Photo.JPG", "statement.pdf"]),
                ]
            );
            assert_eq!(grouping.strays, ["logo.png", "statements.pdf"]);
        }
    }

    #[test]
    fn one_document_alone_in_the_inbox_takes_only_its_namesakes() {
        let grouping = group_folder(&names(&["a.txt", "a.jpg", "b.jpg"]), false);
        assert_eq!(grouping.groups, [group("a.txt", &["a.jpg"])]);
        assert_eq!(grouping.strays, ["b.jpg"]);
        assert_eq!(grouping.group_of("a.jpg"), Some(&grouping.groups[0]));
        assert_eq!(grouping.group_of("b.jpg"), None);
    }

    #[test]
    fn a_file_that_fits_two_documents_equally_goes_with_neither() {
        let grouping = group_folder(&names(&["a.md", "a.docx", "a.pdf"]), false);
        assert_eq!(grouping.groups, [group("a.docx", &[]), group("a.md", &[])]);
        assert_eq!(grouping.strays, ["a.pdf"]);
    }

    #[test]
    fn a_folder_of_documents_only_is_a_category() {
        let grouping = group_folder(&names(&["a.md", "b.txt"]), true);
        assert!(!grouping.release_folder);
        assert_eq!(grouping.groups.len(), 2);
        let lone = group_folder(&names(&["a.md"]), true);
        assert!(
            !lone.release_folder,
            "one document alone is not a release folder"
        );
    }
}
