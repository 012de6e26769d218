//! Any folder concbench wrote, loaded and checked before anything is drawn or compared: a run
//! (`run`, and `claim`, which adds claims.csv) as [`RunData`], a sweep as [`SweepData`]. This
//! module alone knows how to tell them apart ([`kind`]) and where a folder's report and
//! charts go.
//!
//! Everything is validated up front so that a bad file stops the report before a single chart
//! is written: a half-drawn chart must never sit next to complete ones.

use std::path::Path;

use crate::error::{Error, Result};
use crate::records::{CLAIMS_CSV, Machine, Meta, sweep::SWEEP_CSV};

mod run;
mod sweep;

pub use run::RunData;
pub use sweep::SweepData;

/// The report of a folder, beside its files.
pub const REPORT_MD: &str = "REPORT.md";
/// The folder of a report's charts.
pub const CHARTS_DIR: &str = "charts";

/// What wrote a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `concbench run`: runs.csv, summary.csv, samples.csv, meta.json.
    Run,
    /// `concbench claim`: a run's files and claims.csv.
    Claim,
    /// `concbench sweep`: sweep.csv and models.csv beside a run's files.
    Sweep,
}

/// The kind of the folder `dir`, from the files it holds.
pub fn kind(dir: &Path) -> Kind {
    if dir.join(SWEEP_CSV).is_file() {
        Kind::Sweep
    } else if dir.join(CLAIMS_CSV).is_file() {
        Kind::Claim
    } else {
        Kind::Run
    }
}

/// Whether `dir` holds a sweep (rather than a run).
pub fn is_sweep(dir: &Path) -> bool {
    kind(dir) == Kind::Sweep
}

/// "2026-11-29T18:02:27Z" -> "2026-11-29 18:02 UTC"; anything else is shown as it is.
pub fn pretty_date(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(d), Some(t)) if rfc3339.ends_with('Z') => format!("{d} {t} UTC"),
        _ => rfc3339.to_string(),
    }
}

/// A bad `file` of the folder `dir`, at a line when known (the header is line 1, like
/// records::read_csv).
fn bad_input(dir: &Path, file: &str, line: Option<usize>, message: String) -> Error {
    Error::BadInput {
        path: dir.join(file),
        message: match line {
            Some(l) => format!("line {l}: {message}"),
            None => message,
        },
    }
}

/// Check every row of `file` with `check`; the first failure names its line.
fn check_rows<T>(
    dir: &Path,
    file: &str,
    rows: &[T],
    check: impl Fn(&T) -> std::result::Result<(), String>,
) -> Result<()> {
    for (i, row) in rows.iter().enumerate() {
        check(row).map_err(|m| bad_input(dir, file, Some(i + 2), m))?;
    }
    Ok(())
}

/// Numbers the charts rely on must be finite and not negative.
fn check_fields(fields: &[(&str, f64)]) -> std::result::Result<(), String> {
    for (name, v) in fields {
        if !v.is_finite() {
            return Err(format!("{name} is {v}, not a finite number"));
        }
        if *v < 0.0 {
            return Err(format!("{name} is negative ({v})"));
        }
    }
    Ok(())
}

/// An optional figure checked as 0 when absent.
fn or_zero(x: Option<f64>) -> f64 {
    x.unwrap_or(0.0)
}

/// Items in display order: those `listed` on the command line first, then any other in the
/// order it is `present`, each once, keeping only those `keep` accepts.
fn display_order<T: PartialEq + Clone>(
    listed: &[T],
    present: impl Iterator<Item = T>,
    keep: impl Fn(&T) -> bool,
) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in listed.iter().cloned().chain(present) {
        if !out.contains(&item) && keep(&item) {
            out.push(item);
        }
    }
    out
}

/// Cores the workers could use (cgroup quotas count), for capping CPU-bound ideals.
fn usable_cores(machine: &Machine) -> usize {
    machine
        .available_parallelism
        .min(machine.logical_cores)
        .max(1)
}

/// The folder's name, for titles.
fn folder_name(dir: &Path) -> String {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.file_name().map_or_else(
        || abs.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// "2 logical cores, AMD EPYC · host vm · run started 2026-11-29 18:02 UTC · concbench 0.1.0 ·
/// NAME", `what` being "run" or "sweep".
fn footer(meta: &Meta, what: &str, name: &str) -> String {
    format!(
        "{} · host {} · {what} started {} · concbench {} · {name}",
        meta.machine.short(),
        meta.machine.hostname,
        pretty_date(&meta.started_at),
        meta.concbench_version,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(pretty_date("2026-11-29T18:02:27Z"), "2026-11-29 18:02 UTC");
        assert_eq!(pretty_date("yesterday"), "yesterday");
    }

    #[test]
    fn listed_items_come_first_then_the_others_once() {
        let order = display_order(&[3, 1], [2, 1, 4, 2].into_iter(), |x| *x != 4);
        assert_eq!(order, vec![3, 1, 2]);
    }

    #[test]
    fn the_kind_follows_the_files() {
        let dir = std::env::temp_dir().join(format!("concbench-kind-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(kind(&dir), Kind::Run);
        std::fs::write(dir.join(CLAIMS_CSV), "").unwrap();
        assert_eq!(kind(&dir), Kind::Claim);
        std::fs::write(dir.join(SWEEP_CSV), "").unwrap();
        assert_eq!(kind(&dir), Kind::Sweep);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
