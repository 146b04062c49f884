//! One daemon per workspace: an exclusive `flock(2)` on `state/pressroom.lock`;
//! one digest delivery at a time: the same on `state/digest.lock` (the daemon
//! and `pressroom digest send` may both deliver; never the same run at once).
//!
//! A lock held by the kernel disappears with its process, so a daemon killed
//! with SIGKILL never leaves a stale lock behind; the file keeps the holder's
//! pid only to make the refusal message useful.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

/// The lock, held until dropped.
#[derive(Debug)]
pub struct WorkspaceLock {
    _file: File,
}

impl WorkspaceLock {
    pub const FILE_NAME: &'static str = "pressroom.lock";

    /// Takes the workspace's lock, or explains who holds it.
    pub fn acquire(state: &Path) -> anyhow::Result<Self> {
        Self::acquire_file(
            state,
            Self::FILE_NAME,
            "another pressroom process is running on this workspace",
        )
    }

    /// Takes the lock that one process at a time holds while it delivers
    /// digests.
    pub fn acquire_delivery(state: &Path) -> anyhow::Result<Self> {
        Self::acquire_file(
            state,
            "digest.lock",
            "another pressroom process is delivering digests on this workspace",
        )
    }

    /// [`WorkspaceLock::acquire_delivery`], waiting up to `patience` for
    /// another process's delivery to end (the daemon's scheduled run).
    pub fn acquire_delivery_waiting(
        state: &Path,
        patience: std::time::Duration,
    ) -> anyhow::Result<Self> {
        let deadline = std::time::Instant::now() + patience;
        let mut told = false;
        loop {
            match Self::acquire_delivery(state) {
                Ok(lock) => return Ok(lock),
                Err(error) if std::time::Instant::now() >= deadline => return Err(error),
                Err(error) => {
                    if !told {
                        eprintln!("pressroom: {error:#}; waiting for it");
                        told = true;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            }
        }
    }

    fn acquire_file(state: &Path, name: &str, held: &str) -> anyhow::Result<Self> {
        let path = state.join(name);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| anyhow::anyhow!("cannot open the lock file '{}': {e}", path.display()))?;
        // SAFETY: flock only uses the descriptor, which `file` keeps open.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            anyhow::bail!(
                "{held}{} (lock '{}'); stop it first or try again later",
                if holder.is_empty() {
                    String::new()
                } else {
                    format!(" (pid {holder})")
                },
                path.display()
            );
        }
        // Written over the last holder's pid, then cut to length: emptying
        // the file first would free its block, which some file systems
        // discard at once, waiting for the disk at every start.
        let pid = format!("{}\n", std::process::id());
        file.rewind()?;
        file.write_all(pid.as_bytes())?;
        file.set_len(pid.len() as u64)?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = WorkspaceLock::acquire(dir.path()).unwrap();
        let error = WorkspaceLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("another pressroom process")
                && error.contains(&std::process::id().to_string()),
            "{error}"
        );
        drop(first);
        WorkspaceLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn the_lock_file_names_only_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(WorkspaceLock::FILE_NAME);
        // A longer pid left by an earlier holder.
        std::fs::write(&path, "4194304123\n").unwrap();
        let lock = WorkspaceLock::acquire(dir.path()).unwrap();
        let holder = std::fs::read_to_string(&path).unwrap();
        assert_eq!(holder, format!("{}\n", std::process::id()));
        drop(lock);
    }
}
