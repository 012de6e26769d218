//! The files of a run (or a claim), read back and checked: runs.csv, summary.csv,
//! samples.csv, meta.json, and claims.csv when present.

use std::path::{Path, PathBuf};

use super::{
    bad_input, check_fields, check_rows, display_order, folder_name, footer, or_zero, usable_cores,
};
use crate::error::{Error, Result};
use crate::records::{
    self, CLAIMS_CSV, ClaimRow, META_JSON, Meta, RUNS_CSV, RunRow, SAMPLES_CSV, SUMMARY_CSV,
    SampleRow, SummaryRow,
};
use crate::workload::Variant;

/// Everything a report is drawn from.
#[derive(Debug, Clone)]
pub struct RunData {
    pub dir: PathBuf,
    pub meta: Meta,
    pub runs: Vec<RunRow>,
    pub summary: Vec<SummaryRow>,
    pub samples: Vec<SampleRow>,
    /// claims.csv, when the run has one.
    pub claims: Option<Vec<ClaimRow>>,
}

impl RunData {
    /// Read and check runs.csv, summary.csv, samples.csv, meta.json (and claims.csv if present);
    /// a missing or stale summary.csv is rebuilt from runs.csv and written.
    pub fn load(dir: &Path) -> Result<RunData> {
        Self::open(dir, true)
    }

    /// [`RunData::load`] that writes nothing: a missing or stale summary.csv is rebuilt in
    /// memory only.
    pub fn read(dir: &Path) -> Result<RunData> {
        Self::open(dir, false)
    }

    fn open(dir: &Path, write_rebuilt: bool) -> Result<RunData> {
        if !dir.is_dir() {
            return Err(Error::BadInput {
                path: dir.to_path_buf(),
                message:
                    "not a folder of a run (expected runs.csv, summary.csv, samples.csv, meta.json)"
                        .into(),
            });
        }
        let meta = records::read_meta(&dir.join(META_JSON))?;
        let runs: Vec<RunRow> = records::read_csv(&dir.join(RUNS_CSV))?;
        let summary = summary_of(dir, &meta, &runs, write_rebuilt)?;
        // A run killed before its sampler wrote anything may have no samples.csv.
        let samples: Vec<SampleRow> = read_if_present(&dir.join(SAMPLES_CSV))?.unwrap_or_default();
        let claims = read_if_present::<ClaimRow>(&dir.join(CLAIMS_CSV))?;
        let data = RunData {
            dir: dir.to_path_buf(),
            meta,
            runs,
            summary,
            samples,
            claims,
        };
        data.check()?;
        Ok(data)
    }

    /// Numbers the charts rely on must be finite and not negative; an empty file has nothing to
    /// draw. Line numbers count the header as line 1, like records::read_csv.
    pub fn check(&self) -> Result<()> {
        let dir = &self.dir;
        if self.runs.is_empty() {
            let message = "no measured trials to report".into();
            return Err(bad_input(dir, RUNS_CSV, None, message));
        }
        if self.summary.is_empty() {
            return Err(bad_input(
                dir,
                SUMMARY_CSV,
                None,
                "no rows to report".into(),
            ));
        }
        check_rows(dir, RUNS_CSV, &self.runs, check_run)?;
        check_rows(dir, SUMMARY_CSV, &self.summary, check_summary)?;
        check_rows(dir, SAMPLES_CSV, &self.samples, check_sample)?;
        if self.meta.machine.logical_cores == 0 {
            let message = "machine.logical_cores is 0".into();
            return Err(bad_input(dir, META_JSON, None, message));
        }
        Ok(())
    }

    /// Strategies in display order: the order of the command line, then any other in the order
    /// it first appears in summary.csv, then those only runs.csv has.
    pub fn strategies(&self) -> Vec<String> {
        let in_summary = |s: &String| self.summary.iter().any(|r| &r.strategy == s);
        let mut out = display_order(
            &self.meta.parameters.strategies,
            self.summary.iter().map(|r| r.strategy.clone()),
            in_summary,
        );
        for r in &self.runs {
            if !out.contains(&r.strategy) {
                out.push(r.strategy.clone());
            }
        }
        out
    }

    /// Variants that have rows, in the order of the command line.
    pub fn variants(&self) -> Vec<Variant> {
        display_order(
            &self.meta.parameters.variants,
            self.summary.iter().map(|r| r.variant),
            |v| self.summary.iter().any(|r| r.variant == *v),
        )
    }

    /// Summary rows of one variant, grouped by strategy in display order, workers ascending.
    pub fn summary_of(&self, variant: Variant) -> Vec<&SummaryRow> {
        let order = self.strategies();
        let mut rows: Vec<&SummaryRow> = self
            .summary
            .iter()
            .filter(|r| r.variant == variant)
            .collect();
        rows.sort_by_key(|r| (order.iter().position(|s| s == &r.strategy), r.workers));
        rows
    }

    /// Cores the workers could use (cgroup quotas count), for capping CPU-bound ideals.
    pub fn cores(&self) -> usize {
        usable_cores(&self.meta.machine)
    }

    /// The number of jobs one trial runs.
    pub fn jobs(&self) -> usize {
        self.runs
            .first()
            .map_or(self.meta.parameters.jobs, |r| r.jobs)
    }

    /// The folder name, for titles.
    pub fn name(&self) -> String {
        folder_name(&self.dir)
    }

    /// "2 logical cores, AMD EPYC · host vm · run started 2026-11-29 18:02 UTC · concbench 0.1.0"
    pub fn footer(&self) -> String {
        footer(&self.meta, "run", &self.name())
    }
}

fn read_if_present<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<Vec<T>>> {
    if path.exists() {
        records::read_csv(path).map(Some)
    } else {
        Ok(None)
    }
}

fn check_run(r: &RunRow) -> std::result::Result<(), String> {
    check_fields(&[
        ("wall_s", r.wall_s),
        ("cpu_total_s", r.cpu_total_s),
        ("cores_busy", r.cores_busy),
        ("started_s", r.started_s),
        ("ended_s", r.ended_s),
    ])?;
    if r.ended_s < r.started_s {
        return Err("ended_s is before started_s".into());
    }
    Ok(())
}

fn check_summary(s: &SummaryRow) -> std::result::Result<(), String> {
    check_fields(&[
        ("wall_median_s", s.wall_median_s),
        ("wall_p25_s", s.wall_p25_s),
        ("wall_p75_s", s.wall_p75_s),
        ("cpu_total_median_s", s.cpu_total_median_s),
        ("cores_busy_median", s.cores_busy_median),
        ("speedup", or_zero(s.speedup)),
        ("speedup_ci_low", or_zero(s.speedup_ci_low)),
        ("speedup_ci_high", or_zero(s.speedup_ci_high)),
    ])?;
    if s.workers == 0 {
        return Err("workers is 0".into());
    }
    Ok(())
}

fn check_sample(s: &SampleRow) -> std::result::Result<(), String> {
    check_fields(&[
        ("t_s", s.t_s),
        ("usage_pct", s.usage_pct),
        ("process_cpu_pct", s.process_cpu_pct),
    ])?;
    // A corrupt core index would make the timeline allocate a panel per "core".
    if s.core >= 4096 {
        return Err(format!("core {} is not a plausible core index", s.core));
    }
    Ok(())
}

/// summary.csv, or the summary rebuilt from runs.csv (and written if `write`) when summary.csv
/// is missing or does not match runs.csv: a run killed outright never wrote one, and one
/// stopped by a failure may have written it before its last rows.
fn summary_of(dir: &Path, meta: &Meta, runs: &[RunRow], write: bool) -> Result<Vec<SummaryRow>> {
    let path = dir.join(SUMMARY_CSV);
    let counts = |rows: &mut dyn Iterator<Item = (Variant, String, usize, usize, usize)>| {
        let mut v: Vec<_> = rows.collect();
        v.sort();
        v
    };
    let mut from_runs: Vec<(Variant, String, usize, usize, usize)> = Vec::new();
    for r in runs {
        match from_runs.iter_mut().find(|k| {
            (k.0, k.1.as_str(), k.2, k.3) == (r.variant, r.strategy.as_str(), r.workers, r.items)
        }) {
            Some(k) => k.4 += 1,
            None => from_runs.push((r.variant, r.strategy.clone(), r.workers, r.items, 1)),
        }
    }
    let expected = counts(&mut from_runs.into_iter());
    if path.exists() {
        let summary: Vec<SummaryRow> = records::read_csv(&path)?;
        let found = counts(
            &mut summary
                .iter()
                .map(|s| (s.variant, s.strategy.clone(), s.workers, s.items, s.reps)),
        );
        if found == expected {
            return Ok(summary);
        }
    }
    let settings = meta.bootstrap.clone().unwrap_or_default();
    let rebuilt = crate::summary::sort_like(
        crate::summary::summarize_with(runs, &settings),
        &meta.parameters.variants,
        &meta.parameters.strategies,
    );
    if write && !rebuilt.is_empty() {
        records::write_csv(&path, &rebuilt)?;
    }
    Ok(rebuilt)
}
