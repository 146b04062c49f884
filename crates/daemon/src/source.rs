//! Reading release files from disk, safely.
//!
//! The inbox is written by people and their tools, so nothing in it is
//! trusted: a symbolic link could point at `/etc/shadow`, a FIFO would block a
//! read forever, a huge file would fill memory. Files are judged with `lstat`
//! before they are opened, opened without following links, checked again
//! once open, and read with a size cap.
//!
//! It also says which files go together ([`Unit`]): a release document with
//! the photos and PDFs of its release folder or named after it, as
//! `pressroom_core::group` decides from the names of each folder.

use std::collections::HashSet;
use std::fs::Metadata;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use pressroom_core::group::{Grouping, group_folder};
use pressroom_core::{DroppedFile, ParseError, ParseOptions, SourceFormat, names};

use crate::files::FileStamp;

/// Why a file could not be read as a release.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(
        "it is a symbolic link; Pressroom does not follow links out of the inbox (copy the file itself)"
    )]
    Symlink,
    #[error("it is {kind}, not a regular file")]
    NotRegular { kind: &'static str },
    #[error("the file is too large: {size} bytes, the limit is {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("the file disappeared before it could be read")]
    Vanished,
    #[error("the file changed while it was read; it will be read again")]
    Changed,
    #[error("the file cannot be read: {0}")]
    Io(#[source] io::Error),
}

/// What kind of thing a non-regular file is, for messages.
pub fn describe_kind(metadata: &Metadata) -> &'static str {
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        "a folder"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_fifo() {
        "a named pipe (FIFO)"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_block_device() || file_type.is_char_device() {
        "a device"
    } else {
        "a regular file"
    }
}

/// Whether an office suite holds a lock on this document (it is still
/// being edited): its lock file stands beside it.
pub fn is_locked(path: &Path) -> bool {
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
        return false;
    };
    folder
        .join(names::lock_file_of(&name.to_string_lossy()))
        .exists()
}

/// Reads a regular file of at most `limit` bytes, without following links.
/// Also returns the file's stamp, which the file kept during the whole read:
/// a file still being written is [`ReadError::Changed`], not half read.
pub fn read_release_file(path: &Path, limit: u64) -> Result<(Vec<u8>, FileStamp), ReadError> {
    let before = std::fs::symlink_metadata(path).map_err(not_found_as_vanished)?;
    check_kind(&before)?;
    if before.len() > limit {
        return Err(ReadError::TooLarge {
            size: before.len(),
            limit,
        });
    }
    // O_NOFOLLOW refuses a link swapped in since the lstat; O_NONBLOCK keeps a
    // FIFO swapped in from blocking the open.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|error| match error.raw_os_error() {
            Some(libc::ELOOP) => ReadError::Symlink,
            _ => not_found_as_vanished(error),
        })?;
    let opened = file.metadata().map_err(ReadError::Io)?;
    check_kind(&opened)?;
    if opened.ino() != before.ino() || opened.dev() != before.dev() {
        return Err(ReadError::Changed);
    }
    let mut bytes = Vec::with_capacity(opened.len().min(limit) as usize);
    let mut file = file.take(limit + 1);
    file.read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    let stamp = FileStamp::of(&opened);
    let read = file.into_inner().metadata().map_err(ReadError::Io)?;
    if FileStamp::of(&read) != stamp || bytes.len() as u64 != opened.len() {
        return Err(ReadError::Changed);
    }
    Ok((bytes, stamp))
}

fn check_kind(metadata: &Metadata) -> Result<(), ReadError> {
    let file_type = metadata.file_type();
    if file_type.is_symlink() {
        Err(ReadError::Symlink)
    } else if !file_type.is_file() {
        Err(ReadError::NotRegular {
            kind: describe_kind(metadata),
        })
    } else {
        Ok(())
    }
}

fn not_found_as_vanished(error: io::Error) -> ReadError {
    if error.kind() == io::ErrorKind::NotFound {
        ReadError::Vanished
    } else {
        ReadError::Io(error)
    }
}

/// The release files under `root` (or `root` itself when it is not a folder),
/// sorted, skipping editors' temporary and hidden files and folders. Links are
/// listed, not followed, so that they can be refused.
pub fn release_files(root: &Path) -> io::Result<Vec<PathBuf>> {
    let metadata = std::fs::symlink_metadata(root)?;
    if !metadata.is_dir() {
        return Ok(vec![root.to_owned()]);
    }
    let mut found = Vec::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let name = entry.file_name();
            if names::is_ignored(&name.to_string_lossy()) {
                continue;
            }
            if entry.file_type()?.is_dir() {
                folders.push(entry.path());
            } else {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The files that make one release: a document and what goes with it. A
/// file that is no release document and goes with none (a *stray*) is a unit
/// of its own, so that it is reported like any file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unit {
    /// The release document, or the stray file.
    pub path: PathBuf,
    /// The files dropped with the document, sorted.
    pub attachments: Vec<PathBuf>,
    /// The document's folder is a release folder (its own, holding only it
    /// and its attachments), so the folder's name is no category.
    pub release_folder: bool,
    /// An office suite's lock file stood beside the document when its
    /// folder was listed: it is still being edited.
    pub locked: bool,
}

impl Unit {
    /// A file on its own, with no attachments.
    pub fn alone(path: PathBuf) -> Self {
        Self {
            path,
            attachments: Vec::new(),
            release_folder: false,
            locked: false,
        }
    }

    /// Every file of the unit, the document first.
    pub fn files(&self) -> impl Iterator<Item = &PathBuf> {
        std::iter::once(&self.path).chain(&self.attachments)
    }

    /// A file that is no release document and goes with none.
    pub fn is_stray(&self) -> bool {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        SourceFormat::from_file_name(&name).is_none()
    }

    /// The release folder, when the unit is one.
    pub fn folder(&self) -> Option<&Path> {
        self.release_folder.then(|| self.path.parent()).flatten()
    }
}

/// The bytes of a unit's files, read as safely as any release file.
#[derive(Debug)]
pub struct UnitBytes {
    pub document: Vec<u8>,
    /// The attachments with the names they were dropped under.
    pub dropped: Vec<DroppedFile>,
    /// What each file was when read, in [`Unit::files`] order.
    pub stamps: Vec<FileStamp>,
}

/// Why a unit could not be read.
#[derive(Debug)]
pub enum UnitReadError {
    /// A file vanished or changed while read: try the unit again later.
    Later(String),
    /// A file can never be read (a link, a FIFO, too large…): the unit
    /// cannot be published; the reason names the file when it is an attachment.
    Refused(String),
}

/// Reads a unit's document (up to the release size limit) and attachments
/// (up to the attachment size limit). `check` and the daemon both read
/// units through here, then parse them with `parse_release_group`.
pub fn read_unit(unit: &Unit, options: &ParseOptions) -> Result<UnitBytes, UnitReadError> {
    let (document, stamp) =
        read_release_file(&unit.path, options.max_bytes).map_err(|error| match error {
            ReadError::Vanished | ReadError::Changed => UnitReadError::Later(error.to_string()),
            error => UnitReadError::Refused(error.to_string()),
        })?;
    let mut stamps = Vec::with_capacity(1 + unit.attachments.len());
    stamps.push(stamp);
    let mut dropped = Vec::with_capacity(unit.attachments.len());
    for path in &unit.attachments {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match read_release_file(path, options.attachments.max_bytes) {
            Ok((bytes, stamp)) => {
                dropped.push(DroppedFile { name, bytes });
                stamps.push(stamp);
            }
            Err(error @ (ReadError::Vanished | ReadError::Changed)) => {
                return Err(UnitReadError::Later(format!("'{name}': {error}")));
            }
            Err(ReadError::TooLarge { size, limit }) => {
                let error = ParseError::AttachmentTooLarge {
                    file: name,
                    size,
                    limit,
                };
                return Err(UnitReadError::Refused(error.to_string()));
            }
            Err(error) => {
                return Err(UnitReadError::Refused(format!(
                    "the attachment '{name}' cannot be read: {error}"
                )));
            }
        }
    }
    Ok(UnitBytes {
        document,
        dropped,
        stamps,
    })
}

/// The files directly in a folder (editors' files left out), and whether it
/// has subfolders.
/// What a folder holds: its files (but those editors' tools leave, which
/// are never touched), its subfolders, and the documents an office suite
/// has open (named by the lock files beside them).
struct Listing {
    files: Vec<String>,
    subfolders: Vec<PathBuf>,
    locked: HashSet<String>,
}

fn list_folder(folder: &Path) -> io::Result<Listing> {
    let mut listing = Listing {
        files: Vec::new(),
        subfolders: Vec::new(),
        locked: HashSet::new(),
    };
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if names::is_ignored(&name) {
            if let Some(document) = names::locked_document(&name) {
                listing.locked.insert(document.to_owned());
            }
            continue;
        }
        if entry.file_type()?.is_dir() {
            listing.subfolders.push(entry.path());
        } else {
            listing.files.push(name);
        }
    }
    Ok(listing)
}

fn units_of(folder: &Path, grouping: Grouping, locked: &HashSet<String>) -> Vec<Unit> {
    let release_folder = grouping.release_folder;
    grouping
        .groups
        .into_iter()
        .map(|group| Unit {
            path: folder.join(&group.document),
            attachments: group
                .attachments
                .iter()
                .map(|name| folder.join(name))
                .collect(),
            release_folder,
            locked: locked.contains(&group.document),
        })
        .chain(grouping.strays.into_iter().map(|name| Unit {
            locked: locked.contains(&name),
            ..Unit::alone(folder.join(name))
        }))
        .collect()
}

/// The units under `root`, recursively, sorted by path. `root` itself may be
/// a release folder unless it is the `inbox`, which never is. A `root` that
/// is a file is the unit it belongs to in its folder.
pub fn release_units(root: &Path, inbox: &Path) -> io::Result<Vec<Unit>> {
    let metadata = std::fs::symlink_metadata(root)?;
    if !metadata.is_dir() {
        let unit = unit_of(root, inbox)?;
        return Ok(vec![unit.unwrap_or_else(|| Unit::alone(root.to_owned()))]);
    }
    let mut units = Vec::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        let listing = list_folder(&folder)?;
        let may_be = !same_folder(&folder, inbox) && listing.subfolders.is_empty();
        let grouping = group_folder(&listing.files, may_be);
        units.extend(units_of(&folder, grouping, &listing.locked));
        folders.extend(listing.subfolders);
    }
    units.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(units)
}

/// The unit `path` belongs to, as its folder's files stand now; `None` when
/// the file is gone. The `inbox` is never a release folder.
pub fn unit_of(path: &Path, inbox: &Path) -> io::Result<Option<Unit>> {
    let folder = path.parent().unwrap_or(Path::new(""));
    let units = folder_units(folder, inbox)?;
    Ok(find_unit(&units, path).cloned())
}

/// The units of the files directly in `folder`, as they stand now (none
/// when the folder is gone). The `inbox` is never a release folder.
pub fn folder_units(folder: &Path, inbox: &Path) -> io::Result<Vec<Unit>> {
    // A bare file name lies in the current folder, and stays a bare name.
    let listed = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let listing = match list_folder(listed) {
        Ok(listing) => listing,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let may_be = !same_folder(listed, inbox) && listing.subfolders.is_empty();
    let grouping = group_folder(&listing.files, may_be);
    Ok(units_of(folder, grouping, &listing.locked))
}

/// The unit among `units` (of one folder) that holds `path`.
pub fn find_unit<'a>(units: &'a [Unit], path: &Path) -> Option<&'a Unit> {
    units.iter().find(|unit| {
        unit.files()
            .any(|file| file.file_name() == path.file_name())
    })
}

/// Whether two paths name the same folder, however they are written.
fn same_folder(a: &Path, b: &Path) -> bool {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    a == b || absolute(a) == absolute(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"x").unwrap();
    }

    #[test]
    fn release_folders_stem_groups_and_strays() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = dir.path();
        for name in [
            "statement.docx",
            "statement-photo.jpg",
            "lone.jpg",
            "Port/parc/annonce.md",
            "Port/parc/photo.jpg",
            "Port/parc/fiche.pdf",
            "Port/autre.txt",
            "solo/only.txt",
        ] {
            touch(&inbox.join(name));
        }
        let units = release_units(inbox, inbox).unwrap();
        let summary: Vec<(String, usize, bool)> = units
            .iter()
            .map(|u| {
                (
                    u.path.strip_prefix(inbox).unwrap().display().to_string(),
                    u.attachments.len(),
                    u.release_folder,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("Port/autre.txt".to_owned(), 0, false),
                ("Port/parc/annonce.md".to_owned(), 2, true),
                ("lone.jpg".to_owned(), 0, false),
                ("solo/only.txt".to_owned(), 0, false),
                ("statement.docx".to_owned(), 1, false),
            ]
        );
        assert!(units[2].is_stray());
        let unit = unit_of(&inbox.join("Port/parc/photo.jpg"), inbox)
            .unwrap()
            .unwrap();
        assert_eq!(unit.path, inbox.join("Port/parc/annonce.md"));
        assert_eq!(unit.folder(), Some(inbox.join("Port/parc").as_path()));
        // Checking a release folder itself.
        let units = release_units(&inbox.join("Port/parc"), inbox).unwrap();
        assert_eq!(units.len(), 1);
        assert!(units[0].release_folder);
    }
}
