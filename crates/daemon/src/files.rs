//! Durable file operations: atomic writes, moves that never overwrite, and
//! the fsyncs that make them survive a crash or a power cut.
//!
//! Readers and web servers must never see half a feed, and an editor's file
//! must never be lost between the inbox and the archive. Every write goes to
//! a temporary file in the destination folder, is flushed to disk, renamed
//! over the target, and the folder itself is flushed so that the rename is
//! durable too (`tempfile`'s `persist` skips that last step).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Like [`write_if_changed`], for a file that nothing links to before it is
/// complete (a release's page, written before any feed lists it): a new
/// file is written in place, without a temporary file and a rename. A crash
/// midway leaves the outputs' pending marker, and the next run writes it
/// again. An existing file is still replaced atomically.
pub fn write_if_changed_unlinked(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    match create_new(path) {
        Ok(mut file) => {
            file.write_all(bytes)?;
            Ok(true)
        }
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => write_if_changed(path, bytes),
        Err(error) => Err(error),
    }
}

/// Writes `bytes` to `path` atomically (readers see the old file or the new,
/// never half), unless the file already holds exactly these bytes. Returns
/// whether the file was written. Nothing is flushed to disk: this is for
/// derived files, which the caller flushes together with [`sync_filesystem`]
/// (thousands of fsyncs would cost seconds) and can always render again.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    match fs::read(path) {
        Ok(existing) if existing == bytes => return Ok(false),
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let folder = parent(path);
    fs::create_dir_all(folder)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temporary = folder.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = fs::write(&temporary, bytes).and_then(|()| fs::rename(&temporary, path));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.map(|()| true)
}

/// Writes `bytes` to `path` through a temporary file, fsync and rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let folder = parent(path);
    fs::create_dir_all(folder)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temporary = folder.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        sync_folder(folder)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// Creates the marker file `path` and makes its name durable (its content
/// is for people; only its existence counts, so the file itself is not
/// flushed: one disk flush instead of two).
pub fn create_marker(path: &Path, note: &[u8]) -> io::Result<()> {
    let folder = parent(path);
    fs::create_dir_all(folder)?;
    File::create(path)?.write_all(note)?;
    sync_folder(folder)
}

/// Flushes a folder's entries (new names, renames, removals) to disk.
pub fn sync_folder(folder: &Path) -> io::Result<()> {
    File::open(folder)?.sync_all()
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// A name in `folder` based on `name` that no file has yet: `name`, then
/// `stem-1.ext`, `stem-2.ext`…
pub fn free_name(folder: &Path, name: &str) -> PathBuf {
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, Some(extension)),
        _ => (name, None),
    };
    let mut candidate = folder.join(name);
    let mut counter = 1;
    while fs::symlink_metadata(&candidate).is_ok() {
        let next = match extension {
            Some(extension) => format!("{stem}-{counter}.{extension}"),
            None => format!("{stem}-{counter}"),
        };
        candidate = folder.join(next);
        counter += 1;
    }
    candidate
}

/// Stores `bytes` as a new file in `folder`, named after `name` but never
/// replacing an existing file (`create_new` closes the race with another
/// writer). Returns the path written. Nothing is flushed: the caller flushes
/// a whole batch at once with [`sync_filesystem`].
pub fn store_new_file(folder: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    // The name as given first: it is almost always free.
    let mut path = folder.join(name);
    loop {
        let mut file = match create_new(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                path = free_name(folder, name);
                continue;
            }
            Err(error) => return Err(error),
        };
        if let Err(error) = file.write_all(bytes) {
            let _ = fs::remove_file(&path);
            return Err(error);
        }
        return Ok(path);
    }
}

/// Creates a file that must not exist yet, and its folder if missing.
fn create_new(path: &Path) -> io::Result<File> {
    let open = || OpenOptions::new().write(true).create_new(true).open(path);
    match open() {
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(parent(path))?;
            open()
        }
        result => result,
    }
}

/// Flushes everything written to the file system holding `path` (file data
/// and folder entries) with one `syncfs(2)`: far cheaper than an fsync per
/// file for a batch of thousands.
pub fn sync_filesystem(path: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let handle = File::open(path)?;
    // SAFETY: syncfs only reads the descriptor, which `handle` keeps open.
    if unsafe { libc::syncfs(handle.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Files written without a flush, to be flushed together. A few files are
/// flushed one by one (with their folders); past a threshold one `syncfs`
/// flushes them all, which is far cheaper for thousands but, on a busy
/// machine, also waits for everyone else's writes.
#[derive(Debug, Default)]
pub struct PendingFlush {
    files: Vec<PathBuf>,
    folders: std::collections::BTreeSet<PathBuf>,
    many: bool,
}

impl PendingFlush {
    const ONE_BY_ONE: usize = 64;

    pub fn add(&mut self, path: &Path) {
        if self.files.len() < Self::ONE_BY_ONE {
            self.files.push(path.to_owned());
            self.folders.insert(parent(path).to_owned());
        } else {
            self.many = true;
        }
    }

    /// Flushes what was added; `root` is any path on the same file system.
    /// The files' fsyncs are issued together from a few threads, then the
    /// folders': the file system commits concurrent flushes together, so a
    /// regeneration that wrote twenty files waits for about two disk
    /// commits, not forty.
    pub fn flush(&mut self, root: &Path) -> io::Result<()> {
        let taken = std::mem::take(self);
        if taken.many {
            return sync_filesystem(root);
        }
        let files: Vec<&Path> = taken.files.iter().map(PathBuf::as_path).collect();
        concurrently(&files, |file| match File::open(file) {
            Ok(handle) => handle.sync_data(),
            // Replaced or removed since: nothing of ours to flush.
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(error),
        })?;
        let folders: Vec<&Path> = taken.folders.iter().map(PathBuf::as_path).collect();
        concurrently(&folders, sync_folder)
    }
}

/// Runs `f` on every path, from up to eight threads at once (flushes wait
/// on the disk, not on the CPU); the first error wins.
fn concurrently(paths: &[&Path], f: impl Fn(&Path) -> io::Result<()> + Sync) -> io::Result<()> {
    const THREADS: usize = 8;
    if paths.len() <= 1 {
        return paths.iter().try_for_each(|path| f(path));
    }
    let chunk = paths.len().div_ceil(THREADS);
    std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|chunk| scope.spawn(|| chunk.iter().try_for_each(|path| f(path))))
            .collect();
        handles
            .into_iter()
            .try_for_each(|handle| match handle.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            })
    })
}

/// Moves `from` into `folder` under its own name (or a free variant of it),
/// never replacing a file. Works on links, FIFOs and devices without opening
/// them. Falls back to copy and remove across file systems.
pub fn move_into(from: &Path, folder: &Path) -> io::Result<PathBuf> {
    fs::create_dir_all(folder)?;
    let name = from
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned());
    let target = loop {
        let target = free_name(folder, &name);
        match rename_no_replace(from, &target) {
            Ok(()) => break target,
            // Taken since free_name looked (another thread or process).
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) if error.raw_os_error() == Some(libc::EXDEV) => {
                let bytes = fs::read(from)?;
                let target = store_new_file(folder, &name, &bytes)?;
                File::open(&target)?.sync_all()?;
                fs::remove_file(from)?;
                break target;
            }
            Err(error) => return Err(error),
        }
    };
    sync_folder(folder)?;
    sync_folder(parent(from))?;
    Ok(target)
}

/// `rename(2)` that fails with `AlreadyExists` instead of replacing `to`
/// (`renameat2` with `RENAME_NOREPLACE`). On a file system that cannot do
/// that atomically, a hard link (which never replaces) then an unlink, for
/// files; for a folder, a check then a plain rename.
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c_path = |path: &Path| {
        CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path with a NUL byte"))
    };
    let (c_from, c_to) = (c_path(from)?, c_path(to)?);
    // SAFETY: both paths are NUL-terminated strings that outlive the call.
    let result = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            c_from.as_ptr(),
            libc::AT_FDCWD,
            c_to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if result == 0 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    if !matches!(error.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) {
        return Err(error);
    }
    if fs::symlink_metadata(from)?.is_dir() {
        if fs::symlink_metadata(to).is_ok() {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        return fs::rename(from, to);
    }
    fs::hard_link(from, to)?;
    fs::remove_file(from)
}

/// Moves the folder `from` into `folder` under its own name (or a free
/// variant of it), never replacing anything. Across file systems, its files
/// are moved one by one into a new folder (a release folder holds no
/// subfolder) and the emptied original is removed.
pub fn move_folder_into(from: &Path, folder: &Path) -> io::Result<PathBuf> {
    fs::create_dir_all(folder)?;
    let name = from
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "folder".to_owned());
    let target = loop {
        let target = free_name(folder, &name);
        match rename_no_replace(from, &target) {
            Ok(()) => break target,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) if error.raw_os_error() == Some(libc::EXDEV) => {
                match fs::create_dir(&target) {
                    Ok(()) => {}
                    Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                    Err(error) => return Err(error),
                }
                for entry in fs::read_dir(from)? {
                    move_into(&entry?.path(), &target)?;
                }
                fs::remove_dir(from)?;
                break target;
            }
            Err(error) => return Err(error),
        }
    };
    sync_folder(folder)?;
    sync_folder(parent(from))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_only_when_bytes_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/atom.xml");
        assert!(write_if_changed(&path, b"one").unwrap());
        assert!(!write_if_changed(&path, b"one").unwrap());
        assert!(write_if_changed(&path, b"two").unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("sub")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn moves_never_replace_even_when_racing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("rejected");
        // Eight files with the same name, moved by eight threads at once.
        let sources: Vec<PathBuf> = (0..8)
            .map(|n| {
                let folder = dir.path().join(format!("inbox/{n}"));
                fs::create_dir_all(&folder).unwrap();
                let path = folder.join("communique.txt");
                fs::write(&path, n.to_string()).unwrap();
                path
            })
            .collect();
        std::thread::scope(|scope| {
            for source in &sources {
                let target = &target;
                scope.spawn(move || move_into(source, target).unwrap());
            }
        });
        let mut contents: Vec<String> = fs::read_dir(&target)
            .unwrap()
            .map(|entry| fs::read_to_string(entry.unwrap().path()).unwrap())
            .collect();
        contents.sort();
        assert_eq!(contents, ["0", "1", "2", "3", "4", "5", "6", "7"]);
    }

    #[test]
    fn new_files_never_replace_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let first = store_new_file(dir.path(), "note.txt", b"1").unwrap();
        let second = store_new_file(dir.path(), "note.txt", b"2").unwrap();
        let third = store_new_file(dir.path(), "note.txt", b"3").unwrap();
        assert_eq!(first.file_name().unwrap(), "note.txt");
        assert_eq!(second.file_name().unwrap(), "note-1.txt");
        assert_eq!(third.file_name().unwrap(), "note-2.txt");
        assert_eq!(fs::read(first).unwrap(), b"1");
    }

    #[test]
    fn folders_move_whole_and_keep_both_on_a_clash() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("rejected");
        fs::create_dir_all(target.join("parc")).unwrap();
        fs::create_dir_all(dir.path().join("inbox/parc")).unwrap();
        fs::write(dir.path().join("inbox/parc/photo.jpg"), "new").unwrap();
        let moved = move_folder_into(&dir.path().join("inbox/parc"), &target).unwrap();
        assert_eq!(moved.file_name().unwrap(), "parc-1");
        assert_eq!(fs::read_to_string(moved.join("photo.jpg")).unwrap(), "new");
        assert!(!dir.path().join("inbox/parc").exists());
    }

    #[test]
    fn moves_keep_both_files_on_a_clash() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("rejected");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("bad.txt"), "old").unwrap();
        fs::write(dir.path().join("bad.txt"), "new").unwrap();
        let moved = move_into(&dir.path().join("bad.txt"), &target).unwrap();
        assert_eq!(moved.file_name().unwrap(), "bad-1.txt");
        assert_eq!(fs::read_to_string(target.join("bad.txt")).unwrap(), "old");
        assert_eq!(fs::read_to_string(moved).unwrap(), "new");
    }
}
