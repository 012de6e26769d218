//! One writer per output folder. Two runs writing into one folder interleave their rows and
//! destroy both results, so a run, claim, sweep or report takes `DIR/.concbench.lock` first.
//!
//! The lock is `flock(2)` on that file, which holds the owner's pid for the message a second
//! run prints. The kernel drops a flock when its holder dies however it dies (`kill -9`
//! included), so a lock left by a killed run is stale by construction and the next run simply
//! takes it. The file is opened close-on-exec, so child processes never hold it, and it is
//! never removed: removing it would let a third process lock a new file while a second still
//! waits on the old one.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The lock file's name inside an output folder.
pub const LOCK_FILE: &str = ".concbench.lock";

/// A held lock on an output folder: released when dropped (or when the process ends).
#[derive(Debug)]
pub struct FolderLock {
    file: File,
    path: PathBuf,
}

impl FolderLock {
    /// Take the lock on `dir` (created if missing), or refuse at once with one line naming
    /// the process that holds it (exit status 2: the user chose a folder in use).
    pub fn acquire(dir: &Path) -> Result<FolderLock> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = dir.join(LOCK_FILE);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            // Named by the folder the user gave: the lock file is an implementation detail.
            .map_err(|e| Error::io(dir, e))?;
        // SAFETY: flock on a file descriptor this function owns; no memory is involved.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(Error::io(&path, err));
            }
            return Err(Error::Usage(in_use(dir, &mut file)));
        }
        // The pid only names the holder in a second run's message: on a full disk the lock
        // holds without it, and the run goes on to fail (or not) on its real files.
        let owner = format!("{}\n", std::process::id());
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(owner.as_bytes()));
        Ok(FolderLock { file, path })
    }

    /// Take the lock on the folder a run will write into, and check that the folder itself
    /// can be written: a writable lock file proves nothing about a folder made read-only after
    /// an earlier run, whose runs.csv a new run would otherwise truncate before failing. Both
    /// refusals come before any file of the folder is touched (exit status 2).
    pub fn for_output(dir: &Path) -> Result<FolderLock> {
        let lock = FolderLock::acquire(dir)?;
        let probe = dir.join(format!(".concbench-write-test.{}", std::process::id()));
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .map_err(|e| Error::io(dir, e))?;
        let _ = std::fs::remove_file(&probe);
        Ok(lock)
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // SAFETY: unlocking the descriptor this lock owns.
        unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// The refusal: which folder, which process holds it, what to do.
fn in_use(dir: &Path, file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    let owner = match text.trim().parse::<u32>() {
        Ok(pid) => match command_of(pid) {
            Some(cmd) => format!("pid {pid}: {cmd}"),
            None => format!("pid {pid}"),
        },
        Err(_) => "another process".into(),
    };
    format!(
        "{} is in use by another concbench ({owner}); wait for it to finish or choose another --out",
        dir.display()
    )
}

/// A process's command line, shortened to one line, where /proc has it.
fn command_of(pid: u32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let words: Vec<String> = raw
        .split(|&b| b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    let line = words.join(" ");
    let short: String = line.chars().take(120).collect();
    (!short.is_empty()).then_some(short)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("concbench-lock-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_pid() {
        let d = dir("second");
        let held = FolderLock::acquire(&d).unwrap();
        // flock locks belong to open file descriptions: a second open in this process
        // conflicts just as another process would.
        let err = FolderLock::acquire(&d).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let line = err.to_string();
        assert!(
            line.contains(&format!("pid {}", std::process::id())),
            "{line}"
        );
        assert!(!line.contains('\n'), "{line}");
        drop(held);
        FolderLock::acquire(&d).expect("free again once the first is dropped");
    }

    #[test]
    fn a_lock_file_left_behind_without_a_holder_is_taken_over() {
        let d = dir("stale");
        std::fs::create_dir_all(&d).unwrap();
        // What a run killed with SIGKILL leaves: the file, with a pid, and no flock.
        std::fs::write(d.join(LOCK_FILE), "999999999\n").unwrap();
        let lock = FolderLock::acquire(&d).unwrap();
        let owner = std::fs::read_to_string(lock.path()).unwrap();
        assert_eq!(owner.trim(), std::process::id().to_string());
    }
}
