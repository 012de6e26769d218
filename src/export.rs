//! summary.json: a run in one JSON document — meta.json, every summary.csv row with the wall
//! times of its repetitions (like hyperfine's `times`), and claims.csv when the run has one — so a
//! consumer (and `concbench compare`) can work from this file alone.
//!
//! The rows are the records' own types, serialised by serde: a column added to `SummaryRow`,
//! `Meta` or `ClaimRow` appears here without a change to this file. `schema` changes only when
//! a reader of the previous layout would misread the new one.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::records::{ClaimRow, Meta, SummaryRow};
use crate::results::Staged;
use crate::results::run_folder::RunData;
use crate::workload::Variant;

pub const SUMMARY_JSON: &str = "summary.json";

/// The layout version written in `schema`; readers refuse another.
pub const SCHEMA: u32 = 1;

/// The whole of summary.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryJson {
    pub schema: u32,
    pub meta: Meta,
    /// One entry per (variant, strategy, workers, items), in summary.csv's order.
    pub summary: Vec<Configuration>,
    /// claims.csv's rows, when the run has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimRow>>,
}

/// One summary.csv row, its columns at the top level of the object, plus its repetitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Configuration {
    #[serde(flatten)]
    pub row: SummaryRow,
    /// Wall time of every measured repetition, in runs.csv's order (seconds).
    pub wall_times_s: Vec<f64>,
}

impl Configuration {
    /// "cpu/threads/2", for messages.
    pub fn key(&self) -> String {
        format!(
            "{}/{}/{}",
            self.row.variant, self.row.strategy, self.row.workers
        )
    }
}

/// The document of a run, from its checked files.
pub fn from_run(data: &RunData) -> SummaryJson {
    let walls = |variant: Variant, strategy: &str, workers: usize, items: usize| {
        data.runs
            .iter()
            .filter(|r| {
                r.variant == variant
                    && r.strategy == strategy
                    && r.workers == workers
                    && r.items == items
            })
            .map(|r| r.wall_s)
            .collect()
    };
    SummaryJson {
        schema: SCHEMA,
        meta: data.meta.clone(),
        summary: data
            .summary
            .iter()
            .map(|row| Configuration {
                row: row.clone(),
                wall_times_s: walls(row.variant, &row.strategy, row.workers, row.items),
            })
            .collect(),
        claims: data.claims.clone(),
    }
}

/// Stage DIR/summary.json in `staged` (renamed into place with the charts, all or nothing).
pub fn stage(data: &RunData, dir: &Path, staged: &mut Staged) -> Result<()> {
    let text = to_string(&from_run(data))?;
    staged.bytes(&dir.join(SUMMARY_JSON), text.as_bytes())
}

pub fn to_string(doc: &SummaryJson) -> Result<String> {
    serde_json::to_string_pretty(doc)
        .map(|text| text + "\n")
        .map_err(|e| Error::Measurement(format!("cannot encode {SUMMARY_JSON}: {e}")))
}

/// Read and check a summary.json: errors name the file and, for bad JSON, the line.
pub fn read(path: &Path) -> Result<SummaryJson> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse(&text, path)
}

/// Parse and check summary.json text read from `path` (named in errors).
pub fn parse(text: &str, path: &Path) -> Result<SummaryJson> {
    let bad = |message: String| Error::BadInput {
        path: path.to_path_buf(),
        message,
    };
    let json_error = |e: serde_json::Error| {
        bad(format!(
            "line {}: {}",
            e.line(),
            crate::records::one_line(&e.to_string())
        ))
    };
    // The version first, so a newer layout gets a clear refusal rather than a field error.
    #[derive(Deserialize)]
    struct Version {
        schema: Option<u32>,
    }
    let version: Version = serde_json::from_str(text).map_err(json_error)?;
    match version.schema {
        Some(SCHEMA) => {}
        Some(other) => {
            return Err(bad(format!(
                "schema {other} is not one this concbench reads (it reads {SCHEMA})"
            )));
        }
        None => {
            return Err(bad(
                "no \"schema\" field: not a concbench summary.json".into()
            ));
        }
    }
    let doc: SummaryJson = serde_json::from_str(text).map_err(json_error)?;
    check(&doc).map_err(bad)?;
    Ok(doc)
}

/// What a comparison relies on: every configuration once, its repetitions all there, finite
/// and not negative, with a positive median.
pub fn check(doc: &SummaryJson) -> std::result::Result<(), String> {
    if doc.summary.is_empty() {
        return Err("no configurations".into());
    }
    for (i, c) in doc.summary.iter().enumerate() {
        let at = format!("summary[{i}] ({})", c.key());
        if doc.summary[..i]
            .iter()
            .any(|d| d.key() == c.key() && d.row.items == c.row.items)
        {
            return Err(format!("{at}: the configuration appears twice"));
        }
        if c.wall_times_s.len() != c.row.reps {
            return Err(format!(
                "{at}: {} wall times for {} reps",
                c.wall_times_s.len(),
                c.row.reps
            ));
        }
        if let Some(v) = c.wall_times_s.iter().find(|v| !v.is_finite() || **v < 0.0) {
            return Err(format!("{at}: wall time {v} is not a time"));
        }
        if crate::stats::median(&c.wall_times_s).is_none_or(|m| m <= 0.0) {
            return Err(format!("{at}: the median wall time is not positive"));
        }
    }
    Ok(())
}
