//! What file names in the inbox mean, before any file is opened.
//!
//! Editors' tools leave temporary, lock and backup files beside the documents
//! they edit. Those are never release files: touching them would break the
//! editor's save, and rejecting them would fill `rejected/` with noise.

/// Whether a file name belongs to an editor's temporary, lock, backup or
/// hidden file, which Pressroom must never read, move or reject.
pub fn is_ignored(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')                       // dotfiles, .~lock.NAME#, .NAME.swp, .DS_Store
        || name.starts_with("~$")               // Office owner files
        || name.ends_with('~')                  // vim, emacs and gedit backups
        || name == "4913"                       // vim's probe for a writable folder
        || name.starts_with('#') && name.ends_with('#') // emacs auto-save
        || [".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".swx", ".bak"]
            .iter()
            .any(|suffix| lower.ends_with(suffix))
        || lower == "thumbs.db"
        || lower == "desktop.ini"
}

/// For a LibreOffice lock file (`.~lock.NAME#`), the name of the document it
/// locks: while the lock exists, NAME is still being edited.
pub fn locked_document(name: &str) -> Option<&str> {
    name.strip_prefix(".~lock.")?.strip_suffix('#')
}

/// The name of the LibreOffice lock file that says `document` is being
/// edited: the reverse of [`locked_document`].
pub fn lock_file_of(document: &str) -> String {
    format!(".~lock.{document}#")
}

/// For a Microsoft Office owner file (`~$NAME`), the end of the locked
/// document's name (Office replaces its first characters when the name is long).
pub fn office_owner_suffix(name: &str) -> Option<&str> {
    name.strip_prefix("~$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_files_are_ignored() {
        for name in [
            ".hidden.txt",
            ".~lock.release.docx#",
            "~$release.docx",
            ".release.txt.swp",
            "release.txt~",
            "4913",
            "upload.txt.part",
            "file.crdownload",
            "draft.tmp",
            ".DS_Store",
            "#notes.txt#",
            "Thumbs.db",
        ] {
            assert!(is_ignored(name), "{name}");
        }
    }

    #[test]
    fn release_files_are_not_ignored() {
        for name in [
            "release.txt",
            "communiqué.md",
            "2024-03-21 annonce.markdown",
            "bad.pdf",
            "tmp-notes.txt",
        ] {
            assert!(!is_ignored(name), "{name}");
        }
    }

    #[test]
    fn lock_files_name_their_document() {
        assert_eq!(
            locked_document(".~lock.release.docx#"),
            Some("release.docx")
        );
        assert_eq!(locked_document("release.docx"), None);
        assert_eq!(
            locked_document(&lock_file_of("release.docx")),
            Some("release.docx")
        );
        assert_eq!(office_owner_suffix("~$lease.docx"), Some("lease.docx"));
    }
}
