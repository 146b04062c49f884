//! Reading release files from disk, safely.
//!
//! The inbox is written by people and their tools, so nothing in it is
//! trusted: a symbolic link could point at `/etc/shadow`, a FIFO would block a
//! read forever, a huge file would fill memory. Files are judged with `lstat`
//! before they are opened, opened without following links, checked again
//! once open, and read with a size cap.

use std::fs::Metadata;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use pressroom_core::names;

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

/// Reads a regular file of at most `limit` bytes, without following links.
pub fn read_release_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
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
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
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
