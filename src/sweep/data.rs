//! The files of a sweep, read back and checked before anything is drawn (sweep.csv,
//! models.csv, meta.json), and the vocabulary its charts and report share.

use std::path::{Path, PathBuf};

use super::records::{MODELS_CSV, ModelRow, SWEEP_CSV, SweepMeta, SweepRow, read_meta};
use crate::error::{Error, Result};
use crate::records;
use crate::workload::Variant;

/// Everything a sweep's report is drawn from.
#[derive(Debug, Clone)]
pub struct SweepData {
    pub dir: PathBuf,
    pub meta: SweepMeta,
    pub points: Vec<SweepRow>,
    pub models: Vec<ModelRow>,
}

impl SweepData {
    pub fn load(dir: &Path) -> Result<SweepData> {
        let meta = read_meta(dir)?;
        let points: Vec<SweepRow> = records::read_csv(&dir.join(SWEEP_CSV))?;
        let models: Vec<ModelRow> = records::read_csv(&dir.join(MODELS_CSV))?;
        let data = SweepData {
            dir: dir.to_path_buf(),
            meta,
            points,
            models,
        };
        data.check()?;
        Ok(data)
    }

    /// What the charts rely on: finite, non-negative numbers, workers ≥ 1, something to draw.
    fn check(&self) -> Result<()> {
        let bad = |file: &str, line: Option<usize>, message: String| Error::BadInput {
            path: self.dir.join(file),
            message: match line {
                Some(l) => format!("line {l}: {message}"),
                None => message,
            },
        };
        if self.points.is_empty() {
            return Err(bad(SWEEP_CSV, None, "no points to report".into()));
        }
        for (i, p) in self.points.iter().enumerate() {
            let o = |x: Option<f64>| x.unwrap_or(0.0);
            let fields = [
                ("unit_ms", p.unit_ms),
                ("wall_median_s", p.wall_median_s),
                ("wall_p25_s", p.wall_p25_s),
                ("wall_p75_s", p.wall_p75_s),
                ("speedup", o(p.speedup)),
                ("speedup_ci_low", o(p.speedup_ci_low)),
                ("speedup_ci_high", o(p.speedup_ci_high)),
                ("amdahl_speedup", o(p.amdahl_speedup)),
                ("usl_speedup", o(p.usl_speedup)),
            ];
            check_fields(&fields).map_err(|m| bad(SWEEP_CSV, Some(i + 2), m))?;
            if p.workers == 0 {
                return Err(bad(SWEEP_CSV, Some(i + 2), "workers is 0".into()));
            }
        }
        for (i, m) in self.models.iter().enumerate() {
            let o = |x: Option<f64>| x.unwrap_or(0.0);
            let fields = [
                ("fit_unit_ms", m.fit_unit_ms),
                ("amdahl_serial_fraction", o(m.amdahl_serial_fraction)),
                ("usl_sigma", o(m.usl_sigma)),
                ("usl_kappa", o(m.usl_kappa)),
                ("usl_lambda", o(m.usl_lambda)),
                ("usl_peak_workers", o(m.usl_peak_workers)),
                ("predicted_break_even_ms", o(m.predicted_break_even_ms)),
                ("break_even_ms", o(m.break_even_ms)),
                ("break_even_below_ms", o(m.break_even_below_ms)),
            ];
            check_fields(&fields).map_err(|m| bad(MODELS_CSV, Some(i + 2), m))?;
        }
        Ok(())
    }

    /// Strategies in display order: meta.json's, then any other in the order it appears.
    pub fn strategies(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let listed = self.meta.meta.parameters.strategies.iter();
        for s in listed.chain(self.points.iter().map(|p| &p.strategy)) {
            if !out.contains(s) && self.points.iter().any(|p| &p.strategy == s) {
                out.push(s.clone());
            }
        }
        out
    }

    /// Variants with job sizes above 0, in the order of the command line.
    pub fn variants(&self) -> Vec<Variant> {
        let mut out: Vec<Variant> = Vec::new();
        let listed = self.meta.meta.parameters.variants.iter().copied();
        for v in listed.chain(self.points.iter().map(|p| p.variant)) {
            if !out.contains(&v)
                && self
                    .points
                    .iter()
                    .any(|p| p.variant == v && p.unit_ms > 0.0)
            {
                out.push(v);
            }
        }
        out
    }

    /// The models of one variant, in display order.
    pub fn models_of(&self, v: Variant) -> Vec<&ModelRow> {
        let order = self.strategies();
        let mut rows: Vec<&ModelRow> = self.models.iter().filter(|m| m.variant == v).collect();
        rows.sort_by_key(|m| order.iter().position(|s| *s == m.strategy));
        rows
    }

    /// The points of one strategy on one variant, sizes above 0.
    pub fn points_of(&self, v: Variant, strategy: &str) -> Vec<&SweepRow> {
        self.points
            .iter()
            .filter(|p| p.variant == v && p.strategy == strategy && p.unit_ms > 0.0)
            .collect()
    }

    pub fn cores(&self) -> usize {
        let m = &self.meta.meta.machine;
        m.available_parallelism.min(m.logical_cores).max(1)
    }

    pub fn jobs(&self) -> usize {
        self.meta.sweep.jobs
    }

    /// The folder's name, for titles.
    pub fn name(&self) -> String {
        let abs = std::fs::canonicalize(&self.dir).unwrap_or_else(|_| self.dir.clone());
        abs.file_name().map_or_else(
            || abs.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    pub fn footer(&self) -> String {
        let m = &self.meta.meta;
        format!(
            "{} · host {} · sweep started {} · concbench {} · {}",
            m.machine.short(),
            m.machine.hostname,
            crate::chart::data::pretty_date(&m.started_at),
            m.concbench_version,
            self.name()
        )
    }
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

/// A job size for people: "1 µs", "30 µs", "1.5 ms", "30 ms", "2.5 s".
pub fn size_words(ms: f64) -> String {
    let (v, unit) = if ms >= 1000.0 {
        (ms / 1000.0, "s")
    } else if ms >= 1.0 {
        (ms, "ms")
    } else if ms >= 0.001 {
        (ms * 1000.0, "µs")
    } else {
        (ms * 1e6, "ns")
    };
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(size_words(0.001), "1 µs");
        assert_eq!(size_words(0.03), "30 µs");
        assert_eq!(size_words(0.3), "300 µs");
        assert_eq!(size_words(1.0), "1 ms");
        assert_eq!(size_words(2.345), "2.35 ms");
        assert_eq!(size_words(30.0), "30 ms");
        assert_eq!(size_words(2500.0), "2.5 s");
        assert_eq!(size_words(0.0005), "500 ns");
    }
}
