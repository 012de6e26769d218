//! The files of a run and their schemas: runs.csv and samples.csv (streamed, flushed after
//! every row so an interrupted run keeps what it measured), summary.csv and meta.json.
//! Readers give errors that name the file and the line, for `concbench report`.

use std::fs::File;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::results::atomic;

mod meta;
mod python;
mod rows;
pub mod sweep;
mod work;

pub use meta::{
    BackgroundLoad, ClaimSettings, Discipline, Machine, MemorySamplerReport, Meta, Parameters,
    SamplerReport, StoppingRule,
};
pub use python::{
    ArmGil, CalibrationSource, DaskInfo, DaskWorker, PyCalibration, PyKernel, PythonInfo,
    interpreter_tag, note_gil,
};
#[cfg(test)]
pub(crate) use rows::tests as rows_tests;
pub use rows::{ClaimRow, CsvRecord, RunRow, SampleRow, SummaryRow};
pub use work::{Calibration, Variant};

pub const RUNS_CSV: &str = "runs.csv";
pub const SUMMARY_CSV: &str = "summary.csv";
pub const SAMPLES_CSV: &str = "samples.csv";
pub const META_JSON: &str = "meta.json";
pub const CLAIMS_CSV: &str = "claims.csv";

/// A CSV file written one record at a time, each record in one write and synced to the file
/// at once, so an interrupted run keeps what it measured. A write that fails (disk full, folder
/// removed) is cut back to the last whole record, so the file stays valid CSV.
pub struct StreamWriter<T> {
    path: PathBuf,
    file: File,
    /// Bytes of whole records written so far.
    len: u64,
    _row: std::marker::PhantomData<fn(&T)>,
}

impl<T: CsvRecord> StreamWriter<T> {
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let mut w = StreamWriter {
            path: path.to_path_buf(),
            file,
            len: 0,
            _row: std::marker::PhantomData,
        };
        let header = encode(|c| c.write_record(T::HEADER))
            .map_err(|e| Error::io(path, std::io::Error::other(e)))?;
        w.append(&header).map_err(|e| match e {
            Error::Write { source, .. } => Error::io(path, source),
            e => e,
        })?;
        Ok(w)
    }

    pub fn write(&mut self, rows: &[T]) -> Result<()>
    where
        T: Serialize,
    {
        let bytes = encode(|c| rows.iter().try_for_each(|r| c.serialize(r)))
            .map_err(|e| Error::write(&self.path, std::io::Error::other(e)))?;
        self.append(&bytes)
    }

    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        use std::io::Write as _;
        if let Err(e) = self.file.write_all(bytes) {
            // Cut a half-written record off (truncating needs no free space).
            let _ = self.file.set_len(self.len);
            return Err(Error::write(&self.path, e));
        }
        self.len += bytes.len() as u64;
        Ok(())
    }
}

/// CSV records encoded in memory, to be written in one piece.
fn encode(
    f: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> std::result::Result<(), csv::Error>,
) -> std::result::Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    f(&mut w)?;
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

pub type RunWriter = StreamWriter<RunRow>;
pub type SampleWriter = StreamWriter<SampleRow>;

/// Write a whole CSV file at once, atomically (see [`atomic`]): a failed write never leaves
/// half a file where a whole one was, and names `path`.
pub fn write_csv<T: CsvRecord>(path: &Path, rows: &[T]) -> Result<()> {
    let bytes = encode(|c| {
        c.write_record(T::HEADER)?;
        rows.iter().try_for_each(|r| c.serialize(r))
    })
    .map_err(|e| Error::write(path, std::io::Error::other(e)))?;
    atomic::write_file(path, &bytes)
}

/// Read a whole CSV file, with errors naming the file and the line.
pub fn read_csv<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_csv(&bytes, path)
}

/// Parse CSV text read from `path` (named in errors, with the line).
pub fn parse_csv<T: DeserializeOwned>(bytes: &[u8], path: &Path) -> Result<Vec<T>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let mut rows = Vec::new();
    for row in reader.deserialize() {
        rows.push(row.map_err(|e| {
            let line = e.position().map(|p| p.line());
            Error::BadInput {
                path: path.to_path_buf(),
                message: match line {
                    Some(line) => format!("line {line}: {}", csv_reason(&e)),
                    None => csv_reason(&e),
                },
            }
        })?);
    }
    Ok(rows)
}

/// A message fit for one line: control characters (a quoted field may hold a line break)
/// escaped, and cut at 200 characters.
pub fn one_line(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<char>>()
            } else {
                vec![c]
            }
        })
        .collect();
    match escaped.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &escaped[..cut]),
        None => escaped,
    }
}

fn csv_reason(e: &csv::Error) -> String {
    one_line(&match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(field) => format!("field {}: {}", field + 1, err.kind()),
            None => err.kind().to_string(),
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        _ => e.to_string(),
    })
}

/// Write meta.json atomically, so a reader never sees half a file.
pub fn write_meta(path: &Path, meta: &Meta) -> Result<()> {
    write_json(path, meta)
}

/// Write any JSON file (meta.json of a run or a sweep) atomically, pretty and ending in a
/// newline.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Measurement(format!("cannot encode {}: {e}", file_name(path))))?;
    atomic::write_file(path, (text + "\n").as_bytes())
}

pub fn read_meta(path: &Path) -> Result<Meta> {
    read_json(path)
}

/// Read a JSON file, with errors naming the file and the line.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_json(&bytes, path)
}

/// Parse meta.json text read from `path` (named in errors, with the line).
pub fn parse_meta(bytes: &[u8], path: &Path) -> Result<Meta> {
    parse_json(bytes, path)
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8], path: &Path) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::BadInput {
        path: path.to_path_buf(),
        message: format!("line {}: {}", e.line(), one_line(&e.to_string())),
    })
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_files_still_have_a_header_and_bad_rows_name_the_line() {
        let dir = std::env::temp_dir().join(format!("concbench-records-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("runs.csv");
        write_csv::<RunRow>(&path, &[]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim_end(), RunRow::HEADER.join(","));
        assert!(read_csv::<RunRow>(&path).unwrap().is_empty());
        std::fs::write(
            &path,
            format!("{}\ncpu,threads,two\n", RunRow::HEADER.join(",")),
        )
        .unwrap();
        let err = read_csv::<RunRow>(&path).unwrap_err().to_string();
        assert!(err.contains("runs.csv") && err.contains("line 2"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
