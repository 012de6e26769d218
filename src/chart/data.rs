//! The files of a run, read back and checked before anything is drawn, plus the small
//! vocabulary the charts and REPORT.md share (strategy order, baselines, ideal speedups).
//!
//! Everything is validated up front so that a bad file stops the report before a single chart
//! is written: a half-drawn chart must never sit next to complete ones.

use std::path::{Path, PathBuf};

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
    /// Read and check runs.csv, summary.csv, samples.csv, meta.json (and claims.csv if present).
    pub fn load(dir: &Path) -> Result<RunData> {
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
        let summary = summary_of(dir, &meta, &runs)?;
        // A run killed before its sampler wrote anything may have no samples.csv.
        let samples_path = dir.join(SAMPLES_CSV);
        let samples: Vec<SampleRow> = if samples_path.exists() {
            records::read_csv(&samples_path)?
        } else {
            Vec::new()
        };
        let claims_path = dir.join(CLAIMS_CSV);
        let claims = if claims_path.exists() {
            Some(records::read_csv::<ClaimRow>(&claims_path)?)
        } else {
            None
        };
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
        let bad = |file: &str, line: Option<usize>, message: String| Error::BadInput {
            path: self.dir.join(file),
            message: match line {
                Some(l) => format!("line {l}: {message}"),
                None => message,
            },
        };
        if self.runs.is_empty() {
            return Err(bad(RUNS_CSV, None, "no measured trials to report".into()));
        }
        if self.summary.is_empty() {
            return Err(bad(SUMMARY_CSV, None, "no rows to report".into()));
        }
        for (i, r) in self.runs.iter().enumerate() {
            let fields = [
                ("wall_s", r.wall_s),
                ("cpu_total_s", r.cpu_total_s),
                ("cores_busy", r.cores_busy),
                ("started_s", r.started_s),
                ("ended_s", r.ended_s),
            ];
            check_fields(&fields).map_err(|m| bad(RUNS_CSV, Some(i + 2), m))?;
            if r.ended_s < r.started_s {
                return Err(bad(
                    RUNS_CSV,
                    Some(i + 2),
                    "ended_s is before started_s".into(),
                ));
            }
        }
        for (i, s) in self.summary.iter().enumerate() {
            let opt = |v: Option<f64>| v.unwrap_or(0.0);
            let fields = [
                ("wall_median_s", s.wall_median_s),
                ("wall_p25_s", s.wall_p25_s),
                ("wall_p75_s", s.wall_p75_s),
                ("cpu_total_median_s", s.cpu_total_median_s),
                ("cores_busy_median", s.cores_busy_median),
                ("speedup", opt(s.speedup)),
                ("speedup_ci_low", opt(s.speedup_ci_low)),
                ("speedup_ci_high", opt(s.speedup_ci_high)),
            ];
            check_fields(&fields).map_err(|m| bad(SUMMARY_CSV, Some(i + 2), m))?;
            if s.workers == 0 {
                return Err(bad(SUMMARY_CSV, Some(i + 2), "workers is 0".into()));
            }
        }
        for (i, s) in self.samples.iter().enumerate() {
            let fields = [
                ("t_s", s.t_s),
                ("usage_pct", s.usage_pct),
                ("process_cpu_pct", s.process_cpu_pct),
            ];
            check_fields(&fields).map_err(|m| bad(SAMPLES_CSV, Some(i + 2), m))?;
            // A corrupt core index would make the timeline allocate a panel per "core".
            if s.core >= 4096 {
                return Err(bad(
                    SAMPLES_CSV,
                    Some(i + 2),
                    format!("core {} is not a plausible core index", s.core),
                ));
            }
        }
        if self.meta.machine.logical_cores == 0 {
            return Err(bad(META_JSON, None, "machine.logical_cores is 0".into()));
        }
        Ok(())
    }

    /// Strategies in display order: the order of the command line, then any other in the order
    /// it first appears in summary.csv.
    pub fn strategies(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let listed = self.meta.parameters.strategies.iter();
        for s in listed.chain(self.summary.iter().map(|r| &r.strategy)) {
            if !out.contains(s) && self.summary.iter().any(|r| &r.strategy == s) {
                out.push(s.clone());
            }
        }
        for r in &self.runs {
            if !out.contains(&r.strategy) {
                out.push(r.strategy.clone());
            }
        }
        out
    }

    /// Variants that have rows, in the order of the command line.
    pub fn variants(&self) -> Vec<Variant> {
        let mut out: Vec<Variant> = Vec::new();
        let listed = self.meta.parameters.variants.iter().copied();
        for v in listed.chain(self.summary.iter().map(|r| r.variant)) {
            if !out.contains(&v) && self.summary.iter().any(|r| r.variant == v) {
                out.push(v);
            }
        }
        out
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
        let m = &self.meta.machine;
        m.available_parallelism.min(m.logical_cores).max(1)
    }

    /// The number of jobs one trial runs.
    pub fn jobs(&self) -> usize {
        self.runs
            .first()
            .map_or(self.meta.parameters.jobs, |r| r.jobs)
    }

    /// The folder name, for titles.
    pub fn name(&self) -> String {
        let abs = std::fs::canonicalize(&self.dir).unwrap_or_else(|_| self.dir.clone());
        abs.file_name().map_or_else(
            || abs.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// "2 logical cores, AMD EPYC · host vm · run started 2026-11-29 18:02 UTC · concbench 0.1.0"
    pub fn footer(&self) -> String {
        format!(
            "{} · host {} · run started {} · concbench {} · {}",
            self.meta.machine.short(),
            self.meta.machine.hostname,
            pretty_date(&self.meta.started_at),
            self.meta.concbench_version,
            self.name()
        )
    }
}

/// summary.csv, or the summary rebuilt from runs.csv (and written) when summary.csv is missing
/// or does not match runs.csv: a run killed outright never wrote one, and one stopped by a
/// failure may have written it before its last rows.
fn summary_of(dir: &Path, meta: &Meta, runs: &[RunRow]) -> Result<Vec<SummaryRow>> {
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
    if !rebuilt.is_empty() {
        records::write_csv(&path, &rebuilt)?;
    }
    Ok(rebuilt)
}

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

/// "2026-11-29T18:02:27Z" -> "2026-11-29 18:02 UTC"; anything else is shown as it is.
pub fn pretty_date(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(d), Some(t)) if rfc3339.ends_with('Z') => format!("{d} {t} UTC"),
        _ => rfc3339.to_string(),
    }
}

/// Whether `strategy` is a speedup baseline ("sequential", "py-sequential", ...).
pub fn is_baseline(strategy: &str) -> bool {
    crate::strategy::baseline_of(strategy) == strategy
}

/// The baseline a strategy's speedup is relative to (the same rule summary.csv was made with).
pub fn baseline_of(strategy: &str) -> String {
    crate::strategy::baseline_of(strategy)
}

/// The best speedup the hardware and the work allow: one per worker, never more than there are
/// jobs, and for CPU-bound work never more than the cores (waiting work needs no core).
pub fn ideal_speedup(variant: Variant, workers: usize, jobs: usize, cores: usize) -> f64 {
    let mut ideal = workers.min(jobs.max(1));
    if variant == Variant::Cpu {
        ideal = ideal.min(cores);
    }
    ideal.max(1) as f64
}

/// "sleep-bound" / "CPU-bound".
pub fn variant_words(variant: Variant) -> &'static str {
    match variant {
        Variant::Sleep => "sleep-bound",
        Variant::Cpu => "CPU-bound",
    }
}

/// A time unit that keeps the numbers of an axis readable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeUnit {
    pub per_second: f64,
    pub name: &'static str,
}

impl TimeUnit {
    /// The unit for values up to `max_s` seconds.
    pub fn for_max(max_s: f64) -> TimeUnit {
        if max_s >= 1.0 {
            TimeUnit {
                per_second: 1.0,
                name: "s",
            }
        } else if max_s >= 1e-3 {
            TimeUnit {
                per_second: 1e3,
                name: "ms",
            }
        } else {
            TimeUnit {
                per_second: 1e6,
                name: "µs",
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines() {
        assert!(is_baseline("sequential") && is_baseline("py-sequential"));
        assert!(!is_baseline("threads") && !is_baseline("py-threads"));
        assert_eq!(baseline_of("threads"), "sequential");
        assert_eq!(baseline_of("gil"), "sequential");
        assert_eq!(baseline_of("py-threads"), "py-sequential");
    }

    #[test]
    fn ideals() {
        assert_eq!(ideal_speedup(Variant::Sleep, 4, 8, 2), 4.0);
        assert_eq!(ideal_speedup(Variant::Cpu, 4, 8, 2), 2.0);
        assert_eq!(ideal_speedup(Variant::Sleep, 16, 8, 2), 8.0);
        assert_eq!(ideal_speedup(Variant::Cpu, 1, 8, 2), 1.0);
    }

    #[test]
    fn dates() {
        assert_eq!(pretty_date("2026-11-29T18:02:27Z"), "2026-11-29 18:02 UTC");
        assert_eq!(pretty_date("yesterday"), "yesterday");
    }
}
