//! Chart 1: median wall time per strategy and worker count, one panel per variant. Each panel
//! has its own scale, so a sleep-bound run of milliseconds and a CPU-bound run of seconds both
//! stay readable.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::bars::{Bar, Panel, draw_panels, group_bars};
use super::data::{TimeUnit, variant_words};
use super::{
    Canvas, Chart, ChartSpec, DrawResult, Frame, INK, LegendEntry, Swatch, strategy_color,
};
use crate::results::run_folder::RunData;

/// For REPORT.md: what the reader should look for.
const CAPTION: &str = "Median wall time of one trial for each strategy and worker count, one panel per variant (each with its own scale), whiskers over the spread of the repetitions.";
pub const SPEC: ChartSpec =
    ChartSpec::new("wall_time", "Wall time per strategy", (1200, 680), CAPTION);

pub struct WallTime<'a> {
    data: &'a RunData,
}

impl<'a> WallTime<'a> {
    pub fn new(data: &'a RunData) -> Self {
        WallTime { data }
    }

    /// One panel per variant, in the unit that suits its longest bar.
    fn panel(&self, order: &[String], v: crate::workload::Variant) -> Panel {
        let rows = self.data.summary_of(v);
        let max = rows
            .iter()
            .map(|r| r.wall_p75_s.max(r.wall_median_s))
            .fold(0.0, f64::max);
        let unit = TimeUnit::for_max(max);
        let k = unit.per_second;
        let bars = rows.iter().map(|r| {
            let bar = Bar {
                workers: r.workers,
                value: r.wall_median_s * k,
                low: Some(r.wall_p25_s * k),
                high: Some(r.wall_p75_s * k),
                ideal: None,
                ceiling: None,
                // The unit is on the axis; a bare number fits on narrower bars.
                label: format_value(r.wall_median_s * k),
                color: strategy_color(order, &r.strategy),
            };
            (r.strategy.clone(), bar)
        });
        let unit_ms = rows.first().map_or(0.0, |r| r.unit_ms);
        Panel {
            caption: format!(
                "{} ({} ms {} per job)",
                variant_words(v),
                trim(unit_ms),
                verb(v)
            ),
            y_desc: format!("median wall time ({})", unit.name),
            groups: group_bars(bars),
            reference: None,
        }
    }
}

impl Chart for WallTime<'_> {
    fn frame(&self) -> Frame {
        let reps = reps_text(self.data);
        Frame {
            title: SPEC.title.into(),
            subtitle: format!(
                "{} jobs per trial; lower is better; each panel has its own scale",
                self.data.jobs()
            ),
            legend: vec![
                LegendEntry::new(
                    Swatch::Box(super::GREY),
                    "median wall time of one trial (colour = strategy)",
                ),
                LegendEntry::new(Swatch::Whisker(INK), format!("p25–p75 over {reps}")),
            ],
            footer: self.data.footer(),
        }
    }

    fn plot<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
        let order = self.data.strategies();
        let panels: Vec<Panel> = self
            .data
            .variants()
            .into_iter()
            .map(|v| self.panel(&order, v))
            .collect();
        draw_panels(area, &panels)
    }
}

fn verb(v: crate::workload::Variant) -> &'static str {
    match v {
        crate::workload::Variant::Sleep => "sleep",
        crate::workload::Variant::Cpu => "CPU",
        crate::workload::Variant::Http => "HTTP",
    }
}

/// "10 repetitions" or "3–10 repetitions" when configurations differ.
pub fn reps_text(data: &RunData) -> String {
    let lo = data.summary.iter().map(|r| r.reps).min().unwrap_or(0);
    let hi = data.summary.iter().map(|r| r.reps).max().unwrap_or(0);
    if lo == hi {
        format!("{lo} repetition{}", if lo == 1 { "" } else { "s" })
    } else {
        format!("{lo}–{hi} repetitions")
    }
}

/// Three significant digits: "103", "9.92", "1.23".
pub fn format_value(v: f64) -> String {
    let decimals = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.decimals$}")
}

/// 25.0 -> "25", 2.5 -> "2.5".
pub fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
