//! The wait sweep's chart, `waits`: two log–log panels against the number of concurrent
//! waiters, one line per strategy: wall time over the ideal (one wait; 1× is no overhead), and
//! memory per waiter (the trial's peak above its baseline ÷ waiters).

use plotters::coord::Shift;
use plotters::coord::combinators::{LogCoord, WithKeyPoints};
use plotters::prelude::*;

use super::markdown::count_words;
use super::{points_of, strategies};
use crate::chart::frame::{house_mesh, side_by_side};
use crate::chart::{
    AXIS_PX, Canvas, Chart, ChartSpec, DrawResult, FAMILY, Frame, GREY, INK, LegendEntry, Swatch,
    strategy_color, strategy_legend,
};
use crate::console::{format_bytes, format_seconds};
use crate::records::sweep::SweepRow;
use crate::results::run_folder::SweepData;

const CAPTION: &str = "Against the number of concurrent waiters, both axes logarithmic: each strategy's median wall time over the ideal (one wait; the grey line is no overhead at all), and its memory per waiter (the trial's peak above its baseline, divided by the waiters). A missing point was not measured (the strategy cannot hold that many waiters) or its peak was not above the baseline.";
pub const SPEC: ChartSpec = ChartSpec::new("waits", "Waiting at scale", (1400, 720), CAPTION);

type LogAxis = WithKeyPoints<LogCoord<f64>>;
type LogPlot<'a, DB> = ChartContext<'a, DB, Cartesian2d<LogAxis, LogAxis>>;

/// The two panels.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Panel {
    Overhead,
    Memory,
}

impl Panel {
    fn value(self, p: &SweepRow) -> Option<f64> {
        match self {
            Panel::Overhead => p.wall_over_ideal,
            Panel::Memory => p.mem_per_waiter_bytes,
        }
        .filter(|&y| y > 0.0 && y.is_finite())
    }
}

pub struct Waits<'a> {
    data: &'a SweepData,
    order: Vec<String>,
}

impl<'a> Waits<'a> {
    pub fn new(data: &'a SweepData) -> Self {
        Waits {
            data,
            order: strategies(data),
        }
    }

    fn panel<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>, panel: Panel) -> DrawResult<()> {
        let pts: Vec<&SweepRow> = self.data.points.iter().collect();
        let xs: Vec<f64> = pts
            .iter()
            .filter_map(|p| p.waiters)
            .map(|n| n as f64)
            .collect();
        let ys: Vec<f64> = pts.iter().filter_map(|p| panel.value(p)).collect();
        let (Some(x_lo), Some(x_hi)) = (min(&xs), max(&xs)) else {
            return Ok(());
        };
        let (y_lo, y_hi) = match panel {
            // The ideal (1×) always shows, so a small overhead reads as small.
            Panel::Overhead => (
                min(&ys).unwrap_or(1.0).min(1.0) / 1.15,
                max(&ys).unwrap_or(1.0).max(1.0) * 1.4,
            ),
            Panel::Memory => match (min(&ys), max(&ys)) {
                (Some(lo), Some(hi)) => (lo / 2.0, hi * 2.0),
                _ => (1.0, 1024.0),
            },
        };
        let (x0, x1) = (x_lo / 1.6, x_hi * 1.6);
        let mut ticks_x: Vec<f64> = xs.clone();
        ticks_x.sort_by(f64::total_cmp);
        ticks_x.dedup();
        let caption = match panel {
            Panel::Overhead => "Wall time over the ideal (one wait)",
            Panel::Memory => "Memory per waiter",
        };
        let mut builder = ChartBuilder::on(area);
        builder
            .caption(caption, (FAMILY, AXIS_PX + 1))
            .margin(12)
            .margin_right(24)
            .x_label_area_size(2 * AXIS_PX + 16)
            // Room for "512 KiB" beside the axis description.
            .y_label_area_size(100);
        let mut chart: LogPlot<DB> = builder.build_cartesian_2d(
            (x0..x1).log_scale().with_key_points(ticks_x),
            (y_lo..y_hi)
                .log_scale()
                .with_key_points(y_ticks(y_lo, y_hi, panel)),
        )?;
        let y_desc = match panel {
            Panel::Overhead => "wall ÷ ideal (log scale; 1 = no overhead)",
            Panel::Memory => "peak memory ÷ waiters (log scale)",
        };
        house_mesh(
            chart
                .configure_mesh()
                .x_labels(12)
                .y_labels(16)
                .x_label_formatter(&|x| count_words(x.round() as usize))
                .y_label_formatter(&|y| match panel {
                    Panel::Overhead => format!("{}×", trim(*y)),
                    Panel::Memory => byte_tick(*y),
                })
                .x_desc("concurrent waiters (log scale)")
                .y_desc(y_desc),
        )
        .draw()?;
        if panel == Panel::Overhead {
            chart.draw_series(LineSeries::new(
                [(x0, 1.0), (x1, 1.0)],
                GREY.stroke_width(2),
            ))?;
        }
        for s in &self.order {
            let c = strategy_color(&self.order, s);
            let line: Vec<(f64, f64)> = points_of(self.data, s)
                .iter()
                .filter_map(|p| Some((p.waiters? as f64, panel.value(p)?)))
                .collect();
            chart.draw_series(LineSeries::new(line.clone(), c.stroke_width(3)))?;
            chart.draw_series(line.iter().map(|&xy| Circle::new(xy, 6, c.filled())))?;
        }
        Ok(())
    }
}

fn min(v: &[f64]) -> Option<f64> {
    v.iter().copied().reduce(f64::min)
}

fn max(v: &[f64]) -> Option<f64> {
    v.iter().copied().reduce(f64::max)
}

/// "1", "1.2", "10" for a ratio.
fn trim(y: f64) -> String {
    let s = if y >= 10.0 {
        format!("{y:.0}")
    } else {
        format!("{y:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// "512 B", "4 KiB", "1 MiB" at the powers of two the memory axis is labelled at.
fn byte_tick(y: f64) -> String {
    let text = format_bytes(y.round() as u64);
    match text.split_once(' ') {
        Some((v, unit)) if v.contains('.') => {
            format!("{} {unit}", v.trim_end_matches('0').trim_end_matches('.'))
        }
        _ => text,
    }
}

/// Labels within [lo, hi]: 1-1.2-1.5-2-3-5 per decade for ratios (they sit near 1), powers
/// of two for bytes (so KiB and MiB read round); thinned to at most 12.
fn y_ticks(lo: f64, hi: f64, panel: Panel) -> Vec<f64> {
    let mut out = Vec::new();
    match panel {
        Panel::Overhead => {
            let mut p = 10f64.powf(lo.log10().floor());
            while p <= hi {
                for m in [1.0, 1.1, 1.2, 1.5, 2.0, 3.0, 5.0] {
                    let v = m * p;
                    if v >= lo && v <= hi {
                        out.push(v);
                    }
                }
                p *= 10.0;
            }
        }
        Panel::Memory => {
            let mut v = 2f64.powf(lo.max(1.0).log2().floor());
            while v <= hi {
                if v >= lo {
                    out.push(v);
                }
                v *= 2.0;
            }
        }
    }
    while out.len() > 12 {
        out = out.iter().step_by(2).copied().collect();
    }
    out
}

impl Chart for Waits<'_> {
    fn frame(&self) -> Frame {
        let mut legend = strategy_legend(&self.order, &self.order);
        legend.push(LegendEntry::new(
            Swatch::Line(GREY),
            "1× = the ideal: one wait",
        ));
        legend.push(LegendEntry::new(
            Swatch::Dot(INK),
            "median over the repetitions",
        ));
        let wait = self
            .data
            .meta
            .sweep
            .sizes
            .first()
            .map_or(0.0, |z| z.unit_ms);
        Frame {
            title: SPEC.title.into(),
            subtitle: format!(
                "N waiters = N jobs on N workers, one wait of {} each, all at once; log scales",
                format_seconds(wait / 1e3)
            ),
            legend,
            footer: self.data.footer(),
        }
    }

    fn plot<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
        side_by_side(area, &[Panel::Overhead, Panel::Memory], |cell, p| {
            self.panel(cell, *p)
        })
    }
}
