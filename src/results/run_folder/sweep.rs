//! The files of a sweep, read back and checked: sweep.csv, models.csv, meta.json.

use std::path::{Path, PathBuf};

use super::{
    bad_input, check_fields, check_rows, display_order, folder_name, footer, or_zero, usable_cores,
};
use crate::error::Result;
use crate::records::sweep::{MODELS_CSV, ModelRow, SWEEP_CSV, SweepMeta, SweepRow};
use crate::records::{self, META_JSON};
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
        let meta = records::read_json(&dir.join(META_JSON))?;
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
        if self.points.is_empty() {
            let message = "no points to report".into();
            return Err(bad_input(&self.dir, SWEEP_CSV, None, message));
        }
        check_rows(&self.dir, SWEEP_CSV, &self.points, check_point)?;
        check_rows(&self.dir, MODELS_CSV, &self.models, check_model)
    }

    /// Strategies in display order: meta.json's, then any other in the order it appears.
    pub fn strategies(&self) -> Vec<String> {
        display_order(
            &self.meta.meta.parameters.strategies,
            self.points.iter().map(|p| p.strategy.clone()),
            |s| self.points.iter().any(|p| &p.strategy == s),
        )
    }

    /// Variants with job sizes above 0, in the order of the command line.
    pub fn variants(&self) -> Vec<Variant> {
        display_order(
            &self.meta.meta.parameters.variants,
            self.points.iter().map(|p| p.variant),
            |v| {
                self.points
                    .iter()
                    .any(|p| p.variant == *v && p.unit_ms > 0.0)
            },
        )
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
        usable_cores(&self.meta.meta.machine)
    }

    pub fn jobs(&self) -> usize {
        self.meta.sweep.jobs
    }

    /// The folder's name, for titles.
    pub fn name(&self) -> String {
        folder_name(&self.dir)
    }

    pub fn footer(&self) -> String {
        footer(&self.meta.meta, "sweep", &self.name())
    }
}

fn check_point(p: &SweepRow) -> std::result::Result<(), String> {
    check_fields(&[
        ("unit_ms", p.unit_ms),
        ("wall_median_s", p.wall_median_s),
        ("wall_p25_s", p.wall_p25_s),
        ("wall_p75_s", p.wall_p75_s),
        ("speedup", or_zero(p.speedup)),
        ("speedup_ci_low", or_zero(p.speedup_ci_low)),
        ("speedup_ci_high", or_zero(p.speedup_ci_high)),
        ("amdahl_speedup", or_zero(p.amdahl_speedup)),
        ("usl_speedup", or_zero(p.usl_speedup)),
        ("wall_over_ideal", or_zero(p.wall_over_ideal)),
        ("cpu_per_waiter_ms", or_zero(p.cpu_per_waiter_ms)),
        ("mem_per_waiter_bytes", or_zero(p.mem_per_waiter_bytes)),
    ])?;
    if p.workers == 0 || p.waiters == Some(0) {
        return Err("workers is 0".into());
    }
    Ok(())
}

fn check_model(m: &ModelRow) -> std::result::Result<(), String> {
    check_fields(&[
        ("fit_unit_ms", m.fit_unit_ms),
        ("amdahl_serial_fraction", or_zero(m.amdahl_serial_fraction)),
        ("usl_sigma", or_zero(m.usl_sigma)),
        ("usl_kappa", or_zero(m.usl_kappa)),
        ("usl_lambda", or_zero(m.usl_lambda)),
        ("usl_peak_workers", or_zero(m.usl_peak_workers)),
        (
            "predicted_break_even_ms",
            or_zero(m.predicted_break_even_ms),
        ),
        ("break_even_ms", or_zero(m.break_even_ms)),
        ("break_even_below_ms", or_zero(m.break_even_below_ms)),
    ])
}
