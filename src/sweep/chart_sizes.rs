//! Sweep chart 2, `speedup_vs_job_size`: at the break-even worker count, the speedup of every
//! strategy against the work per job, both axes logarithmic (from 1 µs to 30 ms, speedups
//! from a thousandth to the core count), with 95 % CI whiskers. Per strategy, a triangle marks
//! the measured break-even (the size from which on the CI stays above 1) and a ring on the 1×
//! line the break-even predicted from the fixed cost. One panel per variant.

use plotters::coord::Shift;
use plotters::coord::combinators::{LogCoord, WithKeyPoints};
use plotters::prelude::*;

use super::chart_workers::{panel_builder, shown_strategies};
use super::data::size_words;
use crate::chart::data::{ideal_speedup, variant_words};
use crate::chart::frame::{house_mesh, side_by_side};
use crate::chart::{
    Canvas, Chart, ChartSpec, DrawResult, Frame, GREY, INK, LIGHT, LegendEntry, Swatch,
    strategy_color, strategy_legend,
};
use crate::records::sweep::{ModelRow, SweepRow};
use crate::results::run_folder::SweepData;
use crate::workload::Variant;

/// For REPORT.md: what the reader should look for.
const CAPTION: &str = "At the break-even worker count: speedup over sequential against the work per job, both axes logarithmic. A triangle marks where a strategy starts to pay off for good (its CI above 1 from that size on); a ring on the 1× line, where its fixed cost predicts it would.";
pub const SPEC: ChartSpec = ChartSpec::new(
    "speedup_vs_job_size",
    "Speedup against work per job",
    (1200, 720),
    CAPTION,
);

type LogAxis = WithKeyPoints<LogCoord<f64>>;
type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<LogAxis, LogAxis>>;

pub struct SpeedupVsJobSize<'a> {
    data: &'a SweepData,
    order: Vec<String>,
    /// The strategies drawn: every one but the baselines.
    shown: Vec<String>,
    /// The worker count every point is taken at.
    workers: usize,
}

impl<'a> SpeedupVsJobSize<'a> {
    pub fn new(data: &'a SweepData) -> Self {
        let order = data.strategies();
        SpeedupVsJobSize {
            data,
            shown: shown_strategies(&order),
            order,
            workers: data.meta.sweep.break_even_workers.unwrap_or(1),
        }
    }

    fn panel<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>, v: Variant) -> DrawResult<()> {
        let pts: Vec<&SweepRow> = self
            .shown
            .iter()
            .flat_map(|s| self.data.points_of(v, s))
            .filter(|p| p.workers == self.workers)
            .collect();
        let Some(mut chart) = self.axes(area, v, &pts)? else {
            return Ok(());
        };
        for s in &self.shown {
            let c = strategy_color(&self.order, s);
            let mut mine: Vec<&SweepRow> =
                pts.iter().copied().filter(|p| &p.strategy == s).collect();
            mine.sort_by(|a, b| a.unit_ms.total_cmp(&b.unit_ms));
            points(&mut chart, &mine, c)?;
            if let Some(m) = self
                .data
                .models_of(v)
                .into_iter()
                .find(|m| &m.strategy == s)
            {
                break_evens(&mut chart, m, &mine, c)?;
            }
        }
        Ok(())
    }

    /// Log axes around the points, with the ideal and the 1× line drawn first; `None` when there
    /// is nothing to draw.
    fn axes<'b, DB: Canvas>(
        &self,
        area: &'b DrawingArea<DB, Shift>,
        v: Variant,
        pts: &[&SweepRow],
    ) -> DrawResult<Option<Plot<'b, DB>>> {
        let sizes = || pts.iter().map(|p| p.unit_ms);
        let x_lo = sizes().fold(f64::INFINITY, f64::min);
        let x_hi = sizes().fold(0.0, f64::max);
        if !(x_lo.is_finite() && x_hi > 0.0) {
            return Ok(None);
        }
        let ideal = ideal_speedup(v, self.workers, self.data.jobs(), self.data.cores());
        let lows = pts
            .iter()
            .filter_map(|p| p.speedup_ci_low.or(p.speedup))
            .filter(|&y| y > 0.0);
        let y_lo = lows.fold(1.0, f64::min) / 1.5;
        let y_hi = pts
            .iter()
            .filter_map(|p| p.speedup_ci_high.or(p.speedup))
            .fold(ideal, f64::max)
            * 1.4;
        let (x0, x1) = (x_lo / 1.8, x_hi * 1.8);
        let mut chart = panel_builder(area, variant_words(v)).build_cartesian_2d(
            (x0..x1).log_scale().with_key_points(size_ticks(pts)),
            (y_lo..y_hi)
                .log_scale()
                .with_key_points(speedup_ticks(y_lo, y_hi)),
        )?;
        house_mesh(
            chart
                .configure_mesh()
                .x_labels(16)
                .y_labels(16)
                .x_label_formatter(&|x| size_words(*x))
                .y_label_formatter(&|y| speedup_tick(*y))
                .x_desc("work per job (log scale)")
                .y_desc("speedup (log scale)"),
        )
        .draw()?;
        chart.draw_series(LineSeries::new(
            [(x0, ideal), (x1, ideal)],
            LIGHT.stroke_width(5),
        ))?;
        chart.draw_series(LineSeries::new(
            [(x0, 1.0), (x1, 1.0)],
            GREY.stroke_width(2),
        ))?;
        Ok(Some(chart))
    }
}

/// One strategy's points, connected (speedup changes smoothly with the size of the work
/// between them), with their CI whiskers.
fn points<DB: Canvas>(chart: &mut Plot<DB>, mine: &[&SweepRow], c: RGBColor) -> DrawResult<()> {
    chart.draw_series(LineSeries::new(
        mine.iter()
            .filter_map(|p| p.speedup.map(|y| (p.unit_ms, y))),
        c.stroke_width(2),
    ))?;
    for p in mine {
        if let (Some(lo), Some(hi)) = (p.speedup_ci_low, p.speedup_ci_high) {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(p.unit_ms, lo), (p.unit_ms, hi)],
                c.stroke_width(2),
            )))?;
        }
        if let Some(y) = p.speedup {
            chart.draw_series(std::iter::once(Circle::new((p.unit_ms, y), 4, c.filled())))?;
        }
    }
    Ok(())
}

/// The measured break-even (a triangle on its point) and the predicted one (a ring on 1×).
fn break_evens<DB: Canvas>(
    chart: &mut Plot<DB>,
    m: &ModelRow,
    mine: &[&SweepRow],
    c: RGBColor,
) -> DrawResult<()> {
    if let Some(at) = m.break_even_ms
        && let Some(y) = mine
            .iter()
            .find(|p| p.unit_ms == at)
            .and_then(|p| p.speedup)
    {
        chart.draw_series(std::iter::once(TriangleMarker::new(
            (at, y),
            11,
            c.filled(),
        )))?;
    }
    let (x0, x1) = (chart.x_range().start, chart.x_range().end);
    if let Some(pred) = m.predicted_break_even_ms.filter(|&p| p > x0 && p < x1) {
        chart.draw_series(std::iter::once(Circle::new(
            (pred, 1.0),
            8,
            c.stroke_width(3),
        )))?;
    }
    Ok(())
}

impl Chart for SpeedupVsJobSize<'_> {
    fn frame(&self) -> Frame {
        let mut legend = strategy_legend(&self.order, &self.shown);
        legend.extend([
            LegendEntry::new(Swatch::Whisker(INK), "median speedup, 95% CI"),
            LegendEntry::new(
                Swatch::Triangle(INK),
                "measured break-even (CI above 1 from here on)",
            ),
            LegendEntry::new(
                Swatch::Ring(INK),
                "predicted from the fixed cost F: F·N/(J·(N−1))",
            ),
            LegendEntry::new(Swatch::Line(GREY), "1× = as fast as sequential"),
            LegendEntry::new(Swatch::Line(LIGHT), "ideal"),
        ]);
        Frame {
            title: SPEC.title.into(),
            subtitle: format!(
                "{} workers, {} jobs; speedup = sequential median ÷ this median at the same job size; log scales",
                self.workers,
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

/// Labels at the sizes measured (at most 12 of them, else one per decade).
fn size_ticks(pts: &[&SweepRow]) -> Vec<f64> {
    let mut sizes: Vec<f64> = pts.iter().map(|p| p.unit_ms).collect();
    sizes.sort_by(f64::total_cmp);
    sizes.dedup();
    if sizes.len() <= 12 {
        return sizes;
    }
    let (lo, hi) = (sizes[0], sizes[sizes.len() - 1]);
    decades(lo, hi, &[1.0])
}

/// 1-2-5 labels within [lo, hi], or one per decade when that would be more than 12.
fn speedup_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let fine = decades(lo, hi, &[1.0, 2.0, 5.0]);
    if fine.len() <= 12 {
        fine
    } else {
        decades(lo, hi, &[1.0])
    }
}

fn decades(lo: f64, hi: f64, steps: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    let mut p = 10f64.powf(lo.log10().floor());
    while p <= hi {
        for m in steps {
            let v = m * p;
            if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                out.push(v);
            }
        }
        p *= 10.0;
    }
    out
}

/// "0.001", "0.5", "2", "10" for a log axis of speedups.
fn speedup_tick(y: f64) -> String {
    if y >= 10.0 {
        format!("{y:.0}")
    } else if y >= 1.0 {
        let s = format!("{y:.1}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let digits = (-y.log10()).ceil() as usize + 1;
        let s = format!("{y:.digits$}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
