//! Sweep chart 1, `speedup_vs_workers`: at the largest job size (the one the fits use), the
//! speedup of every strategy against its worker count, with 95 % CI whiskers, the fitted USL
//! (solid) and Amdahl (dashed) curves in the strategy's colour, and the ideal (grey): one per
//! worker, capped by the jobs and, for CPU-bound work, by the cores. One panel per variant.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::size_words;
use crate::chart::bars::nice_step;
use crate::chart::data::{ideal_speedup, is_baseline, variant_words};
use crate::chart::frame::{house_mesh, side_by_side, vertical_whisker};
use crate::chart::{
    AXIS_PX, Canvas, Chart, ChartSpec, DrawResult, FAMILY, Frame, GREY, INK, LIGHT, LegendEntry,
    Plot, Swatch, strategy_color, strategy_legend, tick,
};
use crate::records::sweep::{ModelRow, SweepRow};
use crate::results::run_folder::SweepData;
use crate::stats::scaling::amdahl_speedup;
use crate::workload::Variant;

/// Points of neighbouring strategies are drawn this far apart (in workers), so their whiskers
/// do not hide each other.
const NUDGE: f64 = 0.07;
/// Samples per fitted curve.
const CURVE_SAMPLES: usize = 120;

/// For REPORT.md: what the reader should look for.
const CAPTION: &str = "At the largest job size: each strategy's median speedup over sequential with its 95% CI, the USL (solid) and Amdahl (dashed) curves fitted to those points, and the ideal (grey: one per worker, capped by the jobs and, for CPU-bound work, by the cores).";
pub const SPEC: ChartSpec = ChartSpec::new(
    "speedup_vs_workers",
    "Speedup against workers",
    (1200, 700),
    CAPTION,
);

pub struct SpeedupVsWorkers<'a> {
    data: &'a SweepData,
    order: Vec<String>,
    /// The strategies drawn: every one but the baselines.
    shown: Vec<String>,
}

/// A panel's builder for both sweep charts: its caption above, axes on the left and below.
pub fn panel_builder<'a, 'b, DB: Canvas>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(caption, (FAMILY, AXIS_PX + 1))
        .margin(12)
        .margin_right(24)
        .x_label_area_size(2 * AXIS_PX + 16)
        .y_label_area_size(64);
    builder
}

/// The strategies a sweep chart shows: all but the baselines.
pub fn shown_strategies(order: &[String]) -> Vec<String> {
    order.iter().filter(|s| !is_baseline(s)).cloned().collect()
}

impl<'a> SpeedupVsWorkers<'a> {
    pub fn new(data: &'a SweepData) -> Self {
        let order = data.strategies();
        SpeedupVsWorkers {
            data,
            shown: shown_strategies(&order),
            order,
        }
    }

    fn panel<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>, v: Variant) -> DrawResult<()> {
        let models = self.data.models_of(v);
        let fit_unit = models.first().map_or(0.0, |m| m.fit_unit_ms);
        let at_fit: Vec<&SweepRow> = self
            .data
            .points
            .iter()
            .filter(|p| p.variant == v && p.unit_ms == fit_unit && !is_baseline(&p.strategy))
            .collect();
        let max_w = at_fit.iter().map(|p| p.workers).max().unwrap_or(1).max(2);
        let caption = format!("{}, {} per job", variant_words(v), size_words(fit_unit));
        let mut chart = self.axes(area, &caption, v, &at_fit, max_w)?;
        let k = self.shown.len() as f64;
        for (i, s) in self.shown.iter().enumerate() {
            let c = strategy_color(&self.order, s);
            if let Some(m) = models.iter().find(|m| &m.strategy == s) {
                fitted_curves(&mut chart, m, max_w, c)?;
            }
            let dx = (i as f64 - (k - 1.0) / 2.0) * NUDGE;
            let mine = at_fit.iter().filter(|p| &p.strategy == s);
            for p in mine {
                let x = p.workers as f64 + dx;
                if let (Some(lo), Some(hi)) = (p.speedup_ci_low, p.speedup_ci_high) {
                    chart.draw_series(vertical_whisker(x, lo, hi, 0.05, c.stroke_width(2)))?;
                }
                if let Some(sp) = p.speedup {
                    chart.draw_series(std::iter::once(Circle::new((x, sp), 5, c.filled())))?;
                }
            }
        }
        Ok(())
    }

    /// Linear axes up to the most workers, with the ideal and the 1× line drawn first, under
    /// everything.
    fn axes<'b, DB: Canvas>(
        &self,
        area: &'b DrawingArea<DB, Shift>,
        caption: &str,
        v: Variant,
        at_fit: &[&SweepRow],
        max_w: usize,
    ) -> DrawResult<Plot<'b, DB>> {
        let (jobs, cores) = (self.data.jobs(), self.data.cores());
        let top = at_fit
            .iter()
            .map(|p| p.speedup_ci_high.or(p.speedup).unwrap_or(0.0))
            .chain((1..=max_w).map(|n| ideal_speedup(v, n, jobs, cores)))
            .fold(1.0, f64::max);
        let y_max = top * 1.12;
        let x_max = max_w as f64 + 0.5;
        let mut chart = panel_builder(area, caption).build_cartesian_2d(0.5..x_max, 0.0..y_max)?;
        let ystep = nice_step(y_max / 8.0);
        let xstep = nice_step(max_w as f64 / 12.0).max(1.0);
        house_mesh(
            chart
                .configure_mesh()
                .x_labels((max_w as f64 / xstep) as usize + 1)
                .y_labels((y_max / ystep) as usize + 2)
                .x_label_formatter(&|x| tick(*x, xstep))
                .y_label_formatter(&|y| tick(*y, ystep))
                .x_desc("workers")
                .y_desc("speedup (× faster than sequential)"),
        )
        .draw()?;
        chart.draw_series(LineSeries::new(
            (1..=max_w).map(|n| (n as f64, ideal_speedup(v, n, jobs, cores))),
            LIGHT.stroke_width(5),
        ))?;
        chart.draw_series(LineSeries::new(
            [(0.5, 1.0), (x_max, 1.0)],
            GREY.stroke_width(1),
        ))?;
        Ok(chart)
    }
}

/// The USL (solid) and Amdahl (dashed) curves of one strategy, where they were fitted.
fn fitted_curves<DB: Canvas>(
    chart: &mut Plot<DB>,
    m: &ModelRow,
    max_w: usize,
    c: RGBColor,
) -> DrawResult<()> {
    let y_max = chart.y_range().end;
    let xs =
        (0..=CURVE_SAMPLES).map(|j| 1.0 + (max_w as f64 - 1.0) * j as f64 / CURVE_SAMPLES as f64);
    if let (Some(l), Some(sg), Some(kp)) = (m.usl_lambda, m.usl_sigma, m.usl_kappa) {
        let curve: Vec<(f64, f64)> = xs
            .clone()
            .map(|n| (n, l * n / (1.0 + sg * (n - 1.0) + kp * n * (n - 1.0))))
            .filter(|p| p.1 <= y_max)
            .collect();
        chart.draw_series(LineSeries::new(curve, c.stroke_width(2)))?;
    }
    if let Some(sf) = m.amdahl_serial_fraction {
        let curve: Vec<(f64, f64)> = xs
            .map(|n| (n, amdahl_speedup(sf, n)))
            .filter(|p| p.1 <= y_max)
            .collect();
        chart.draw_series(DashedLineSeries::new(curve, 8, 5, c.stroke_width(2)))?;
    }
    Ok(())
}

impl Chart for SpeedupVsWorkers<'_> {
    fn frame(&self) -> Frame {
        let mut legend = strategy_legend(&self.order, &self.shown);
        legend.extend([
            LegendEntry::new(Swatch::Dot(INK), "median speedup"),
            LegendEntry::new(Swatch::Whisker(INK), "95% CI (bootstrap)"),
            LegendEntry::new(Swatch::Line(INK), "USL fit"),
            LegendEntry::new(Swatch::Dashed(INK), "Amdahl fit"),
            LegendEntry::new(Swatch::Line(LIGHT), "ideal"),
        ]);
        Frame {
            title: SPEC.title.into(),
            subtitle: format!(
                "at the largest job size; {} jobs; speedup = sequential median ÷ this median; a missing curve was not fitted (see models.csv)",
                self.data.jobs()
            ),
            legend,
            footer: self.data.footer(),
        }
    }

    fn plot<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
        side_by_side(area, &self.data.variants(), |cell, v| self.panel(cell, *v))
    }
}
