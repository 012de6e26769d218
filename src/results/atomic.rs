//! Whole files or none: everything concbench writes goes to a temporary file beside its
//! destination and is renamed into place once complete, so a reader (or a later `report`)
//! never sees half a chart, half a CSV or half a report. A failure is one
//! [`crate::error::Error::Write`] naming the final file, never the temporary
//! one (exit status 1), and the temporary file is removed.
//!
//! [`Staged`] holds several files that must appear together (a report and its charts): each
//! is written under its temporary name, and [`Staged::commit`] renames them all; dropping a
//! `Staged` that was not committed removes what it wrote.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The temporary name beside `dest`, hidden, keeping the extension (plotters' bitmap encoder
/// picks the image format by it).
pub fn temp_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let ext = dest
        .extension()
        .map_or_else(String::new, |e| e.to_string_lossy().into_owned());
    dest.with_file_name(format!(".{name}.partial.{ext}"))
}

/// Write `bytes` to `dest` atomically.
pub fn write_file(dest: &Path, bytes: &[u8]) -> Result<()> {
    let mut staged = Staged::default();
    staged.bytes(dest, bytes)?;
    staged.commit()
}

/// Files written under temporary names, renamed into place together by [`Staged::commit`].
#[derive(Debug, Default)]
pub struct Staged {
    files: Vec<(PathBuf, PathBuf)>,
}

impl Staged {
    /// Stage `bytes` as the content of `dest`.
    pub fn bytes(&mut self, dest: &Path, bytes: &[u8]) -> Result<()> {
        self.with(dest, |tmp| std::fs::write(tmp, bytes))
    }

    /// Stage `dest` as whatever `write` puts at the temporary path it is given (for writers
    /// that take a path, like plotters' bitmap backend). Any error `write` returns is a write
    /// failure of `dest`.
    pub fn with<E: std::fmt::Display>(
        &mut self,
        dest: &Path,
        write: impl FnOnce(&Path) -> std::result::Result<(), E>,
    ) -> Result<()> {
        let tmp = temp_path(dest);
        self.files.push((tmp.clone(), dest.to_path_buf()));
        write(&tmp).map_err(|e| Error::write(dest, as_io(e)))
    }

    /// The final paths staged so far, in order.
    pub fn destinations(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|(_, dest)| dest.as_path())
    }

    /// Rename every staged file into place. On the first failure, what is not yet renamed is
    /// removed and the error names that file.
    pub fn commit(mut self) -> Result<()> {
        let files = std::mem::take(&mut self.files);
        let mut iter = files.into_iter();
        while let Some((tmp, dest)) = iter.next() {
            if let Err(e) = std::fs::rename(&tmp, &dest) {
                let _ = std::fs::remove_file(&tmp);
                for (rest, _) in iter {
                    let _ = std::fs::remove_file(rest);
                }
                return Err(Error::write(dest, e));
            }
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for (tmp, _) in &self.files {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// An error from any writer as an I/O error. plotters wraps the operating system's error in
/// three layers of Debug text (`backend error: Drawing backend error: ImageError(IoError(...`)
/// and does not expose the types to unwrap it, so an `(os error N)` inside the text is taken
/// as the error itself: a full disk reads "No space left on device (os error 28)".
fn as_io<E: std::fmt::Display>(e: E) -> std::io::Error {
    let text = e.to_string();
    let code = text
        .rsplit_once("(os error ")
        .and_then(|(_, rest)| rest.split(')').next())
        .and_then(|n| n.parse::<i32>().ok());
    match code {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => std::io::Error::other(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("concbench-atomic-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_file_is_written_whole_and_nothing_else_is_left() {
        let d = dir("whole");
        write_file(&d.join("a.csv"), b"x,y\n").unwrap();
        assert_eq!(std::fs::read(d.join("a.csv")).unwrap(), b"x,y\n");
        let names: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.csv")]);
    }

    #[test]
    fn a_failure_names_the_final_file_and_leaves_nothing() {
        let d = dir("fail");
        let mut staged = Staged::default();
        staged.bytes(&d.join("report.md"), b"ok").unwrap();
        let err = staged
            .with(&d.join("chart.png"), |_| {
                Err::<(), _>("No space left on device")
            })
            .unwrap_err();
        assert_eq!(err.exit_code(), 1);
        let line = err.to_string();
        assert!(
            line.contains("chart.png") && !line.contains("partial"),
            "{line}"
        );
        drop(staged);
        let wrapped = "backend error: ImageError(IoError(Custom { error: \"No space left on device (os error 28)\" }))";
        let line = Staged::default()
            .with(&d.join("chart.svg"), |_| Err::<(), _>(wrapped))
            .unwrap_err()
            .to_string();
        assert!(
            line.ends_with("chart.svg: No space left on device (os error 28)"),
            "{line}"
        );
        assert_eq!(
            std::fs::read_dir(&d).unwrap().count(),
            0,
            "temporary files left"
        );
    }

    #[test]
    fn staged_files_appear_together_on_commit() {
        let d = dir("commit");
        let mut staged = Staged::default();
        staged.bytes(&d.join("a"), b"1").unwrap();
        staged.bytes(&d.join("b"), b"2").unwrap();
        assert!(!d.join("a").exists());
        staged.commit().unwrap();
        assert_eq!(std::fs::read(d.join("b")).unwrap(), b"2");
    }
}
