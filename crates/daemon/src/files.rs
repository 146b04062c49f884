//! Durable file operations: atomic writes, moves that never overwrite, and
//! the fsyncs that make them survive a crash or a power cut.
//!
//! Readers and web servers must never see half a feed, and an editor's file
//! must never be lost between the inbox and the archive. Every write goes to
//! a temporary file in the destination folder, is flushed to disk, renamed
//! over the target, and the folder itself is flushed so that the rename is
//! durable too (`tempfile`'s `persist` skips that last step).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

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
    Ok(replace_if_changed(path, bytes)?.is_some())
}

/// What [`replace_if_changed`] wrote over.
#[derive(Debug)]
pub struct Replaced {
    /// The version the write replaced, still open (none for a new file).
    /// Its blocks are freed only once it is closed: a file system that
    /// discards freed blocks right away (ext4 with `discard` and no journal)
    /// makes the rename wait for the disk otherwise. [`PendingFlush`]
    /// closes it while the disk is busy anyway.
    pub old: Option<File>,
}

/// [`write_if_changed`], handing back the replaced version still open
/// (`None` when the file already held these bytes).
pub fn replace_if_changed(path: &Path, bytes: &[u8]) -> io::Result<Option<Replaced>> {
    let old = match File::open(path) {
        Ok(mut file) => {
            if file_holds_exactly(&mut file, bytes)? {
                return Ok(None);
            }
            Some(file)
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(error),
    };
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
    result.map(|()| Some(Replaced { old }))
}

/// Whether the file at `path` exists and holds exactly `bytes`. A file of
/// another size is not read at all, and reading stops at the first chunk
/// that differs: a changed feed usually differs in length, or at least in
/// its first lines (its updated time).
pub fn holds_exactly(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    match File::open(path) {
        Ok(mut file) => file_holds_exactly(&mut file, bytes),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
    }
}

fn file_holds_exactly(file: &mut File, bytes: &[u8]) -> io::Result<bool> {
    const CHUNK: usize = 64 * 1024;
    if file.metadata()?.len() != bytes.len() as u64 {
        return Ok(false);
    }
    let mut chunk = vec![0; CHUNK.min(bytes.len()).max(1)];
    let mut expected = bytes;
    loop {
        let read = match file.read(&mut chunk) {
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if read == 0 {
            return Ok(expected.is_empty());
        }
        match expected.split_at_checked(read) {
            Some((head, rest)) if head == &chunk[..read] => expected = rest,
            // Different bytes, or more of them than its size said (it grew).
            _ => return Ok(false),
        }
    }
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

/// Flushes a file's data (and the size that reading it needs) to disk.
pub fn sync_file(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_data()
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

/// What identifies a file's content without reading it: its inode, size
/// and modification time. A file an editor has since replaced (a save by
/// rename) or rewritten in place no longer matches: a different inode, or a
/// new size or time. (A rewrite of the same size within the file system's
/// clock tick would pass; editors' saves are far apart.) The settler watches
/// stamps until they stand still; the ingest keeps the stamp of what it read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    device: u64,
    inode: u64,
    size: u64,
    modified: (i64, i64),
}

impl FileStamp {
    pub fn of(metadata: &fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            device: metadata.dev(),
            inode: metadata.ino(),
            size: metadata.size(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
        }
    }

    /// The stamp of `path` (not following links), or `None` if it is gone.
    pub fn at(path: &Path) -> Option<Self> {
        fs::symlink_metadata(path)
            .ok()
            .map(|metadata| Self::of(&metadata))
    }

    /// Whether `path` (not followed if a link) is still the file stamped.
    pub fn matches(&self, path: &Path) -> bool {
        Self::at(path) == Some(*self)
    }

    /// Whether `path` is the file stamped, only this process's user can
    /// change it, and it has no other name than the inbox's and `path`.
    fn is_ours_alone(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let user = unsafe { libc::geteuid() };
        fs::symlink_metadata(path).is_ok_and(|metadata| {
            Self::of(&metadata) == *self
                && metadata.nlink() == 2
                && metadata.uid() == user
                && metadata.mode() & 0o022 == 0
        })
    }
}

/// Archives an original from the inbox under `name` in `folder` (or a free
/// variant of it, never replacing a file) and returns the path. `bytes` are
/// what was read from `original` when it had `stamp`.
///
/// The archive name is a hard link to the original: the first half of a
/// move, whose second half (removing the inbox name) waits for the store's
/// commit. No byte is copied, and removing the inbox name later frees no
/// disk block, which is most of what archiving a backlog used to cost. When
/// the file system cannot link (another file system, a foreign owner under
/// `protected_hardlinks`), the original is no longer the file read, it has
/// other names than the inbox's, or another user owns it or may write to
/// it (an editor's own file, which they could change in the archive), the
/// archive gets a new file of this process's, holding `bytes`, instead. Nothing is flushed: see
/// [`store_new_file`].
pub fn archive_original(
    original: &Path,
    stamp: &FileStamp,
    folder: &Path,
    name: &str,
    bytes: &[u8],
) -> io::Result<PathBuf> {
    let mut path = folder.join(name);
    let mut made_folder = false;
    loop {
        match fs::hard_link(original, &path) {
            // The archive's file is the one read, its only other name is
            // the inbox's, and no one else may write to it: nothing can
            // change it under the archive. An editor's later save replaces
            // the inbox name, not this one.
            Ok(()) if stamp.is_ours_alone(&path) => return Ok(path),
            Ok(()) => {
                fs::remove_file(&path)?;
                break;
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                path = free_name(folder, name);
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound && !made_folder => {
                // The month's folder, or the original, is missing.
                fs::create_dir_all(folder)?;
                made_folder = true;
            }
            Err(_) => break,
        }
    }
    store_new_file(folder, name, bytes)
}

/// Creates a file that must not exist yet, and its folder if missing.
/// Whatever the umask, only its owner may write to it (archived originals
/// must not change; pages are for everyone to read).
fn create_new(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let open = || {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(path)
    };
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
///
/// After [`PendingFlush::flush_as_added`], a file's flush begins as soon as
/// it is added, on a few threads, while the caller renders and writes the
/// next ones: a publish of one release otherwise waited for its twenty
/// flushes only once everything was written. Only the folders wait for
/// [`PendingFlush::flush`], as a rename into them may still come. (Flushing
/// early is never wrong: the kernel may write anything back at any moment.)
///
/// The versions those writes replaced are held open until the flush (a few
/// dozen at most, so that a rebuild stays far from the limit on open
/// files), and closed while it waits on the disk: freeing their blocks can
/// wait on the disk too.
#[derive(Debug, Default)]
pub struct PendingFlush {
    files: Vec<PathBuf>,
    folders: std::collections::BTreeSet<PathBuf>,
    many: bool,
    replaced: Vec<File>,
    /// Whether files are flushed as they are added.
    as_added: bool,
    flushes: FlushThreads,
}

/// One piece of a flush.
#[derive(Debug)]
enum FlushWork {
    File(PathBuf),
    Folder(PathBuf),
    Close(File),
}

impl FlushWork {
    fn run(self) -> io::Result<()> {
        match self {
            FlushWork::Folder(path) => match sync_folder(&path) {
                // Removed since (a release's folder emptied by an update):
                // nothing of ours left in it to flush.
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
                flushed => flushed,
            },
            FlushWork::File(path) => match File::open(path) {
                Ok(handle) => handle.sync_data(),
                // Replaced or removed since: nothing of ours to flush.
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(error) => Err(error),
            },
            FlushWork::Close(old) => {
                drop(old);
                Ok(())
            }
        }
    }
}

impl PendingFlush {
    const ONE_BY_ONE: usize = 64;

    pub fn add(&mut self, path: &Path) {
        if self.many {
            return;
        }
        if self.files.len() < Self::ONE_BY_ONE {
            self.files.push(path.to_owned());
            self.folders.insert(parent(path).to_owned());
            if self.as_added {
                self.flushes.start(FlushWork::File(path.to_owned()));
            }
        } else {
            self.many = true;
        }
    }

    /// [`PendingFlush::add`] for a file [`replace_if_changed`] wrote.
    pub fn add_replaced(&mut self, path: &Path, replaced: Replaced) {
        self.add(path);
        if let Some(old) = replaced.old
            && self.replaced.len() < Self::ONE_BY_ONE
        {
            self.replaced.push(old);
        }
        // Past the threshold the old version is closed here, as it drops.
    }

    /// From now until the next [`PendingFlush::flush`], a file's flush
    /// begins when it is added (and those of the files added so far begin
    /// now), unless there are so many that one `syncfs` will flush them.
    /// Not for a backlog's ingest, whose files pass the threshold anyway:
    /// the flush threads would keep memory arenas busy meanwhile.
    pub fn flush_as_added(&mut self) {
        if self.as_added {
            return;
        }
        self.as_added = true;
        if !self.many {
            for file in &self.files {
                self.flushes.start(FlushWork::File(file.clone()));
            }
        }
    }

    /// Waits until what was added is on disk; `root` is any path on the
    /// same file system. The fsyncs still to do are issued together, from
    /// a few threads, joining those under way: the file system commits
    /// concurrent flushes together, so a regeneration that wrote twenty
    /// files waits for about one disk commit, not forty. Every piece is
    /// done even when one fails; the first error is returned.
    pub fn flush(&mut self, root: &Path) -> io::Result<()> {
        let mut taken = std::mem::take(self);
        if taken.many {
            // One thread closes them all: a thread more for each would each
            // take a memory arena at its end, and the threads of the next
            // round of a backlog would spread over them (100,000 releases
            // peaked at 106 MB instead of 77).
            let replaced = std::mem::take(&mut taken.replaced);
            let closing = std::thread::Builder::new()
                .name("close".to_owned())
                .spawn(move || drop(replaced));
            let synced = sync_filesystem(root);
            if let Ok(closing) = closing
                && let Err(panic) = closing.join()
            {
                std::panic::resume_unwind(panic);
            }
            return synced.and(taken.flushes.finish());
        }
        for old in taken.replaced {
            taken.flushes.start(FlushWork::Close(old));
        }
        if !taken.as_added {
            for file in taken.files {
                taken.flushes.start(FlushWork::File(file));
            }
        }
        for folder in taken.folders {
            taken.flushes.start(FlushWork::Folder(folder));
        }
        taken.flushes.finish()
    }
}

/// Threads that take [`FlushWork`] as it comes, up to eight at once
/// (flushes wait on the disk, not on the CPU): a piece that finds no thread
/// waiting for work starts another, until eight run. They wait for more
/// until [`FlushThreads::finish`] (or a drop) closes the queue.
#[derive(Debug, Default)]
struct FlushThreads {
    shared: Arc<FlushShared>,
    threads: Vec<std::thread::JoinHandle<io::Result<()>>>,
}

#[derive(Debug, Default)]
struct FlushShared {
    queue: Mutex<FlushQueue>,
    /// Signalled when work comes or the queue closes.
    changed: Condvar,
}

#[derive(Debug, Default)]
struct FlushQueue {
    work: std::collections::VecDeque<FlushWork>,
    /// Threads started and not yet gone.
    running: usize,
    /// Of those, how many wait for work.
    waiting: usize,
    closed: bool,
}

impl FlushThreads {
    const THREADS: usize = 8;

    fn start(&mut self, work: FlushWork) {
        let another = {
            let mut queue = self.shared.lock();
            queue.work.push_back(work);
            if queue.waiting > 0 {
                self.shared.changed.notify_one();
                false
            } else {
                let another = queue.running < Self::THREADS;
                queue.running += usize::from(another);
                another
            }
        };
        if !another {
            return;
        }
        let shared = Arc::clone(&self.shared);
        match std::thread::Builder::new()
            .name("flush".to_owned())
            .spawn(move || shared.take_work())
        {
            Ok(thread) => self.threads.push(thread),
            // No thread to be had: the ones running take the work, or
            // `finish` does.
            Err(_) => self.shared.lock().running -= 1,
        }
    }

    /// Waits for every piece started; the first error.
    fn finish(mut self) -> io::Result<()> {
        self.close();
        let mut result = Ok(());
        for thread in std::mem::take(&mut self.threads) {
            let done = match thread.join() {
                Ok(done) => done,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            result = result.and(done);
        }
        // A thread leaves only when it finds the queue closed and empty:
        // what is left here found no thread that could start.
        result.and(self.shared.take_work_here())
    }

    fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_all();
    }
}

impl Drop for FlushThreads {
    /// Dropped without [`FlushThreads::finish`] (a run that failed before
    /// its flush): the threads do what is queued, then leave.
    fn drop(&mut self) {
        self.close();
    }
}

impl FlushShared {
    fn lock(&self) -> MutexGuard<'_, FlushQueue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A flush thread: every piece until the queue closes and is empty;
    /// the first error, the others done all the same.
    fn take_work(&self) -> io::Result<()> {
        let mut result = Ok(());
        let mut queue = self.lock();
        loop {
            if let Some(work) = queue.work.pop_front() {
                drop(queue);
                result = result.and(work.run());
                queue = self.lock();
            } else if queue.closed {
                queue.running -= 1;
                return result;
            } else {
                queue.waiting += 1;
                queue = self
                    .changed
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
                queue.waiting -= 1;
            }
        }
    }

    /// Does what is queued on the calling thread; the first error.
    fn take_work_here(&self) -> io::Result<()> {
        let work = std::mem::take(&mut self.lock().work);
        let mut result = Ok(());
        for work in work {
            result = result.and(work.run());
        }
        result
    }
}

/// Moves `from` into `folder` under its own name (or a free variant of it),
/// never replacing a file. Works on links, FIFOs and devices without opening
/// them. Falls back to copy and remove across file systems.
pub fn move_into(from: &Path, folder: &Path) -> io::Result<PathBuf> {
    let target = rename_into(from, folder, "file", |_, name| {
        let bytes = fs::read(from)?;
        let target = store_new_file(folder, name, &bytes)?;
        File::open(&target)?.sync_all()?;
        fs::remove_file(from)?;
        Ok(Some(target))
    })?;
    sync_folder(folder)?;
    sync_folder(parent(from))?;
    Ok(target)
}

/// Renames `from` into `folder` under its own name (`fallback` for a path
/// without one) or a free variant of it, never replacing anything. Across
/// file systems, `across` moves it instead, given a free target and the
/// name; it says `None` when that target was taken meanwhile (then another
/// is tried).
fn rename_into(
    from: &Path,
    folder: &Path,
    fallback: &str,
    mut across: impl FnMut(&Path, &str) -> io::Result<Option<PathBuf>>,
) -> io::Result<PathBuf> {
    fs::create_dir_all(folder)?;
    let name = from
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| fallback.to_owned());
    loop {
        let target = free_name(folder, &name);
        match rename_no_replace(from, &target) {
            Ok(()) => return Ok(target),
            // Taken since free_name looked (another thread or process).
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) if error.raw_os_error() == Some(libc::EXDEV) => {
                if let Some(moved) = across(&target, &name)? {
                    return Ok(moved);
                }
            }
            Err(error) => return Err(error),
        }
    }
}

/// Renames `from` to `to` on the same file system, never replacing a file
/// (`AlreadyExists` then, `from` left as it is). A missing folder of `to`
/// is made, and flushed into its parent; the rename itself is flushed by
/// the caller, with `to`'s folder.
pub fn move_to(from: &Path, to: &Path) -> io::Result<()> {
    let folder = parent(to);
    let mut missing = Vec::new();
    let mut ancestor = folder;
    while fs::symlink_metadata(ancestor).is_err() {
        missing.push(ancestor);
        let up = parent(ancestor);
        if up == ancestor {
            break;
        }
        ancestor = up;
    }
    if !missing.is_empty() {
        fs::create_dir_all(folder)?;
        for made in missing {
            sync_folder(parent(made))?;
        }
    }
    rename_no_replace(from, to)
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
    let target = rename_into(from, folder, "folder", |target, _| {
        match fs::create_dir(target) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => return Ok(None),
            Err(error) => return Err(error),
        }
        for entry in fs::read_dir(from)? {
            move_into(&entry?.path(), target)?;
        }
        fs::remove_dir(from)?;
        Ok(Some(target.to_owned()))
    })?;
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
    fn a_change_anywhere_is_seen_whatever_the_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.json");
        // Larger than one chunk of the comparison, the change near the end.
        let old = vec![b'a'; 200_000];
        let mut late_change = old.clone();
        late_change[199_999] = b'b';
        assert!(write_if_changed(&path, &old).unwrap());
        assert!(!write_if_changed(&path, &old).unwrap());
        assert!(write_if_changed(&path, &late_change).unwrap());
        assert_eq!(fs::read(&path).unwrap(), late_change);
        // Shorter, longer, empty and back.
        for bytes in [&b"short"[..], &[b'a'; 200_001][..], b"", b"", b"x"] {
            let changed = fs::read(&path).unwrap() != bytes;
            assert_eq!(write_if_changed(&path, bytes).unwrap(), changed);
            assert_eq!(fs::read(&path).unwrap(), bytes);
        }
    }

    /// Open descriptors of this process to files once in `folder` that
    /// have been replaced or removed since.
    fn open_replaced_files(folder: &Path) -> usize {
        let folder = folder.to_string_lossy().into_owned();
        fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|entry| fs::read_link(entry.ok()?.path()).ok())
            .map(|target| target.to_string_lossy().into_owned())
            .filter(|target| target.starts_with(&folder) && target.ends_with(" (deleted)"))
            .count()
    }

    #[test]
    fn a_replaced_version_stays_readable_until_the_flush_closes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("atom.xml");
        let new = replace_if_changed(&path, b"first")
            .unwrap()
            .expect("written");
        assert!(new.old.is_none(), "nothing was replaced");
        assert!(replace_if_changed(&path, b"first").unwrap().is_none());

        let mut replaced = replace_if_changed(&path, b"second")
            .unwrap()
            .expect("written");
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let mut old = String::new();
        let handle = replaced.old.as_mut().expect("the first version");
        handle.read_to_string(&mut old).unwrap();
        assert_eq!(old, "first", "the handle is to the version replaced");

        let mut pending = PendingFlush::default();
        pending.add_replaced(&path, replaced);
        assert_eq!(open_replaced_files(dir.path()), 1);
        pending.flush(dir.path()).unwrap();
        assert_eq!(open_replaced_files(dir.path()), 0, "closed by the flush");
        assert_eq!(fs::read(&path).unwrap(), b"second");
    }

    #[test]
    fn a_flush_does_all_it_can_and_reports_what_failed() {
        for as_added in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let kept = dir.path().join("atom.xml");
            write_if_changed(&kept, b"first").unwrap();
            let replaced = replace_if_changed(&kept, b"second")
                .unwrap()
                .expect("written");
            let mut pending = PendingFlush::default();
            pending.add_replaced(&kept, replaced);
            if as_added {
                pending.flush_as_added();
            }
            let broken = dir.path().join("fr").join("sub").join("atom.xml");
            write_if_changed(&broken, b"<feed/>").unwrap();
            pending.add(&broken);
            // A file takes the place of a folder above it before the flush,
            // which then cannot open the folder to flush.
            fs::remove_dir_all(dir.path().join("fr")).unwrap();
            fs::write(dir.path().join("fr"), b"not a folder").unwrap();

            let error = pending
                .flush(dir.path())
                .expect_err("a folder to flush cannot be opened");
            assert_eq!(
                error.kind(),
                io::ErrorKind::NotADirectory,
                "as added: {as_added}"
            );
            assert_eq!(
                open_replaced_files(dir.path()),
                0,
                "the replaced version is closed all the same (as added: {as_added})"
            );
            pending
                .flush(dir.path())
                .expect("a flush starts afresh after a failure");
        }
    }

    #[test]
    fn a_folder_removed_before_the_flush_has_nothing_left_to_flush() {
        for as_added in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let mut pending = PendingFlush::default();
            if as_added {
                pending.flush_as_added();
            }
            // A release's attachment, then an update without it that
            // removes the release's folder, in one run.
            let photo = dir.path().join("releases").join("r").join("photo.jpg");
            write_if_changed(&photo, b"jpeg").unwrap();
            pending.add(&photo);
            fs::remove_dir_all(dir.path().join("releases").join("r")).unwrap();
            pending
                .flush(dir.path())
                .unwrap_or_else(|error| panic!("as added: {as_added}: {error}"));
        }
    }

    #[test]
    fn only_a_few_replaced_versions_are_held_open() {
        let dir = tempfile::tempdir().unwrap();
        let mut pending = PendingFlush::default();
        for n in 0..PendingFlush::ONE_BY_ONE + 10 {
            let path = dir.path().join(format!("{n}.html"));
            write_if_changed(&path, b"old").unwrap();
            let replaced = replace_if_changed(&path, b"new").unwrap().expect("written");
            pending.add_replaced(&path, replaced);
        }
        assert_eq!(open_replaced_files(dir.path()), PendingFlush::ONE_BY_ONE);
        pending.flush(dir.path()).unwrap();
        assert_eq!(open_replaced_files(dir.path()), 0);
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

    /// An inbox file, read as the ingest reads it: its path and stamp.
    fn dropped(folder: &Path, name: &str, bytes: &[u8]) -> (PathBuf, FileStamp) {
        let path = folder.join(name);
        fs::write(&path, bytes).unwrap();
        let stamp = FileStamp::at(&path).expect("the file just written");
        (path, stamp)
    }

    fn inode(path: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(path).unwrap().ino()
    }

    #[test]
    fn an_original_is_archived_as_itself_under_a_free_name() {
        let dir = tempfile::tempdir().unwrap();
        let (original, stamp) = dropped(dir.path(), "note.txt", b"read");
        let month = dir.path().join("archive/2026/11");
        fs::create_dir_all(&month).unwrap();
        fs::write(month.join("note.txt"), "an older note").unwrap();
        let archived = archive_original(&original, &stamp, &month, "note.txt", b"read").unwrap();
        assert_eq!(archived, month.join("note-1.txt"));
        assert_eq!(inode(&archived), inode(&original), "a link, not a copy");
        assert_eq!(
            fs::read_to_string(month.join("note.txt")).unwrap(),
            "an older note"
        );
        // Removing the inbox name completes the move.
        fs::remove_file(&original).unwrap();
        assert_eq!(fs::read(&archived).unwrap(), b"read");
    }

    #[test]
    fn the_month_folder_is_made_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let (original, stamp) = dropped(dir.path(), "note.txt", b"read");
        let month = dir.path().join("archive/2026/12");
        let archived = archive_original(&original, &stamp, &month, "note.txt", b"read").unwrap();
        assert_eq!(inode(&archived), inode(&original));
    }

    #[test]
    fn a_file_saved_again_since_it_was_read_is_archived_as_read() {
        let dir = tempfile::tempdir().unwrap();
        let month = dir.path().join("archive");
        // Saved by an editor the usual way: a new file renamed over the old.
        let (original, stamp) = dropped(dir.path(), "replaced.txt", b"read");
        fs::write(dir.path().join("new"), "saved since").unwrap();
        fs::rename(dir.path().join("new"), &original).unwrap();
        let archived =
            archive_original(&original, &stamp, &month, "replaced.txt", b"read").unwrap();
        assert_eq!(fs::read(&archived).unwrap(), b"read");
        assert_ne!(inode(&archived), inode(&original));
        // Rewritten in place, longer.
        let (original, stamp) = dropped(dir.path(), "rewritten.txt", b"read");
        fs::write(&original, "rewritten since").unwrap();
        let archived =
            archive_original(&original, &stamp, &month, "rewritten.txt", b"read").unwrap();
        assert_eq!(fs::read(&archived).unwrap(), b"read");
        assert_ne!(inode(&archived), inode(&original));
        assert_eq!(
            fs::read_dir(&month).unwrap().count(),
            2,
            "no link left behind"
        );
    }

    #[test]
    fn a_file_with_a_name_outside_the_inbox_is_copied() {
        let dir = tempfile::tempdir().unwrap();
        let (original, stamp) = dropped(dir.path(), "shared.txt", b"read");
        let elsewhere = dir.path().join("the editor's own copy");
        fs::hard_link(&original, &elsewhere).unwrap();
        let month = dir.path().join("archive");
        let archived = archive_original(&original, &stamp, &month, "shared.txt", b"read").unwrap();
        assert_ne!(inode(&archived), inode(&original));
        fs::write(&elsewhere, "changed outside").unwrap();
        assert_eq!(fs::read(&archived).unwrap(), b"read");
    }

    /// A file others may write to could be changed in the archive: the
    /// archive gets a copy of its own.
    #[test]
    fn a_file_others_may_write_to_is_copied() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.txt");
        fs::write(&path, "read").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o664)).unwrap();
        let stamp = FileStamp::at(&path).expect("the file just written");
        let month = dir.path().join("archive");
        let archived = archive_original(&path, &stamp, &month, "shared.txt", b"read").unwrap();
        assert_ne!(inode(&archived), inode(&path));
        assert_eq!(
            fs::metadata(&archived).unwrap().permissions().mode() & 0o022,
            0,
            "the copy is writable by its owner only"
        );
    }

    #[test]
    fn a_vanished_original_is_archived_from_the_bytes_read() {
        let dir = tempfile::tempdir().unwrap();
        let (original, stamp) = dropped(dir.path(), "gone.txt", b"read");
        fs::remove_file(&original).unwrap();
        let month = dir.path().join("archive");
        let archived = archive_original(&original, &stamp, &month, "gone.txt", b"read").unwrap();
        assert_eq!(fs::read(&archived).unwrap(), b"read");
    }

    /// Across file systems no link is possible: the archive gets a copy.
    #[test]
    fn an_archive_on_another_file_system_gets_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        let (original, stamp) = dropped(dir.path(), "far.txt", b"read");
        let other = elsewhere();
        let archived =
            archive_original(&original, &stamp, other.path(), "far.txt", b"read").unwrap();
        assert_eq!(fs::read(&archived).unwrap(), b"read");
        use std::os::unix::fs::MetadataExt;
        if fs::metadata(other.path()).unwrap().dev() != fs::metadata(dir.path()).unwrap().dev() {
            assert_ne!(inode(&archived), inode(&original));
        }
        assert!(original.exists(), "the inbox name stays until the commit");
    }

    /// A folder on another file system than the disk's (`/dev/shm` where
    /// there is one), so that renames from it fail with `EXDEV`.
    fn elsewhere() -> tempfile::TempDir {
        let shm = Path::new("/dev/shm");
        if shm.is_dir() {
            tempfile::tempdir_in(shm).unwrap()
        } else {
            tempfile::tempdir().unwrap()
        }
    }

    #[test]
    fn files_and_folders_move_across_file_systems_beside_what_is_there() {
        let from = elsewhere();
        let to = tempfile::tempdir().unwrap();
        let rejected = to.path().join("rejected");
        fs::create_dir_all(&rejected).unwrap();
        fs::write(rejected.join("note.txt"), b"older").unwrap();
        fs::write(from.path().join("note.txt"), b"newer").unwrap();
        let moved = move_into(&from.path().join("note.txt"), &rejected).unwrap();
        assert_ne!(moved, rejected.join("note.txt"), "nothing is replaced");
        assert_eq!(fs::read(&moved).unwrap(), b"newer");
        assert_eq!(fs::read(rejected.join("note.txt")).unwrap(), b"older");
        assert!(!from.path().join("note.txt").exists());

        let release = from.path().join("release");
        fs::create_dir(&release).unwrap();
        fs::write(release.join("index.md"), b"# Title").unwrap();
        fs::write(release.join("photo.jpg"), b"jpeg").unwrap();
        fs::create_dir(rejected.join("release")).unwrap();
        let moved = move_folder_into(&release, &rejected).unwrap();
        assert_ne!(moved, rejected.join("release"), "nothing is replaced");
        assert_eq!(fs::read(moved.join("index.md")).unwrap(), b"# Title");
        assert_eq!(fs::read(moved.join("photo.jpg")).unwrap(), b"jpeg");
        assert!(!release.exists());
    }
}
