//! Sweep chart 1, `speedup_vs_workers`: at the largest job size (the one the fits use), the
//! speedup of every strategy against its worker count, with 95 % CI whiskers, the fitted USL
//! (solid) and Amdahl (dashed) curves in the strategy's colour, and the ideal (grey): one per
//! worker, capped by the jobs and, for CPU-bound work, by the cores. One panel per variant.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{SweepData, size_words};
use crate::chart::bars::nice_step;
use crate::chart::data::{ideal_speedup, is_baseline, variant_words};
use crate::chart::{
    AXIS_PX, ChartSpec, DrawResult, FAMILY, Frame, GREY, INK, LIGHT, LegendEntry, Swatch, TICK_PX,
    draw_frame, strategy_color, tick,
};
use crate::stats::scaling::amdahl_speedup;
use crate::workload::Variant;

/// Points of neighbouring strategies are drawn this far apart (in workers), so their whiskers
/// do not hide each other.
const NUDGE: f64 = 0.07;
/// Samples per fitted curve.
const CURVE_SAMPLES: usize = 120;

pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &SweepData,
    spec: &ChartSpec,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let order = data.strategies();
    let shown: Vec<&String> = order.iter().filter(|s| !is_baseline(s)).collect();
    let mut legend: Vec<LegendEntry> = shown
        .iter()
        .map(|s| LegendEntry::new(Swatch::Box(strategy_color(&order, s)), s.to_string()))
        .collect();
    legend.extend([
        LegendEntry::new(Swatch::Dot(INK), "median speedup"),
        LegendEntry::new(Swatch::Whisker(INK), "95% CI (bootstrap)"),
        LegendEntry::new(Swatch::Line(INK), "USL fit"),
        LegendEntry::new(Swatch::Dashed(INK), "Amdahl fit"),
        LegendEntry::new(Swatch::Line(LIGHT), "ideal"),
    ]);
    let subtitle = format!(
        "at the largest job size; {} jobs; speedup = sequential median ÷ this median; a missing curve was not fitted (see models.csv)",
        data.jobs()
    );
    let area = draw_frame(
        root,
        &Frame {
            title: spec.title,
            subtitle: &subtitle,
            legend: &legend,
            footer: &data.footer(),
        },
    )?;
    let variants = data.variants();
    if variants.is_empty() {
        return Ok(());
    }
    let cells = area.split_evenly((1, variants.len()));
    for (v, cell) in variants.iter().zip(cells.iter()) {
        panel(cell, data, &order, &shown, *v)?;
    }
    Ok(())
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &SweepData,
    order: &[String],
    shown: &[&String],
    v: Variant,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let models = data.models_of(v);
    let fit_unit = models.first().map_or(0.0, |m| m.fit_unit_ms);
    let at_fit: Vec<_> = data
        .points
        .iter()
        .filter(|p| p.variant == v && p.unit_ms == fit_unit && !is_baseline(&p.strategy))
        .collect();
    let max_w = at_fit.iter().map(|p| p.workers).max().unwrap_or(1).max(2);
    let (jobs, cores) = (data.jobs(), data.cores());
    let top = at_fit
        .iter()
        .map(|p| p.speedup_ci_high.or(p.speedup).unwrap_or(0.0))
        .chain((1..=max_w).map(|n| ideal_speedup(v, n, jobs, cores)))
        .fold(1.0, f64::max);
    let y_max = top * 1.12;
    let x_max = max_w as f64 + 0.5;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{}, {} per job", variant_words(v), size_words(fit_unit)),
            (FAMILY, AXIS_PX + 1),
        )
        .margin(12)
        .margin_right(24)
        .x_label_area_size(2 * AXIS_PX + 16)
        .y_label_area_size(64)
        .build_cartesian_2d(0.5..x_max, 0.0..y_max)?;
    let ystep = nice_step(y_max / 8.0);
    let xstep = nice_step(max_w as f64 / 12.0).max(1.0);
    chart
        .configure_mesh()
        .x_labels((max_w as f64 / xstep) as usize + 1)
        .y_labels((y_max / ystep) as usize + 2)
        .x_label_formatter(&|x| tick(*x, xstep))
        .y_label_formatter(&|y| tick(*y, ystep))
        .x_desc("workers")
        .y_desc("speedup (× faster than sequential)")
        .axis_desc_style((FAMILY, AXIS_PX))
        .label_style((FAMILY, TICK_PX))
        .bold_line_style(LIGHT)
        .light_line_style(WHITE)
        .draw()?;
    // The ideal first, under everything.
    chart.draw_series(LineSeries::new(
        (1..=max_w).map(|n| (n as f64, ideal_speedup(v, n, jobs, cores))),
        LIGHT.stroke_width(5),
    ))?;
    chart.draw_series(LineSeries::new(
        [(0.5, 1.0), (x_max, 1.0)],
        GREY.stroke_width(1),
    ))?;
    let k = shown.len() as f64;
    for (i, s) in shown.iter().enumerate() {
        let c = strategy_color(order, s);
        let dx = (i as f64 - (k - 1.0) / 2.0) * NUDGE;
        if let Some(m) = models.iter().find(|m| &m.strategy == *s) {
            let xs = (0..=CURVE_SAMPLES)
                .map(|j| 1.0 + (max_w as f64 - 1.0) * j as f64 / CURVE_SAMPLES as f64);
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
        }
        for p in at_fit.iter().filter(|p| &p.strategy == *s) {
            let x = p.workers as f64 + dx;
            if let (Some(lo), Some(hi)) = (p.speedup_ci_low, p.speedup_ci_high) {
                let st = c.stroke_width(2);
                chart.draw_series([
                    PathElement::new(vec![(x, lo), (x, hi)], st),
                    PathElement::new(vec![(x - 0.05, lo), (x + 0.05, lo)], st),
                    PathElement::new(vec![(x - 0.05, hi), (x + 0.05, hi)], st),
                ])?;
            }
            if let Some(sp) = p.speedup {
                chart.draw_series(std::iter::once(Circle::new((x, sp), 5, c.filled())))?;
            }
        }
    }
    Ok(())
}
