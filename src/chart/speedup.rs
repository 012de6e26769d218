//! Chart 2: speedup of every strategy over its sequential baseline, per variant, with the ideal
//! drawn over each bar, so one sees at once which strategy reaches it on which kind of work.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::bars::{Bar, Panel, draw_panels, group_bars};
use super::data::{baseline_of, ideal_speedup, is_baseline, variant_words};
use super::{
    CEILING, Canvas, Chart, ChartSpec, DrawResult, Frame, GREY, INK, LegendEntry, Swatch,
    strategy_color,
};
use crate::records::SummaryRow;
use crate::results::run_folder::RunData;
use crate::workload::Variant;

/// For REPORT.md: what the reader should look for.
const CAPTION: &str = "Sequential median wall time divided by each strategy's; the dashed mark over each bar is the ideal (one per worker, capped by the jobs and, for CPU-bound work, by the cores).";
pub const SPEC: ChartSpec =
    ChartSpec::new("speedup", "Speedup over sequential", (1200, 680), CAPTION);

/// Whisker ends of one speedup: the 95 % CI from summary.csv when it is there; otherwise the
/// spread of this strategy's repetitions (baseline median ÷ its p75 … ÷ its p25).
pub fn whiskers(data: &RunData, r: &SummaryRow) -> Option<(f64, f64, bool)> {
    if let (Some(lo), Some(hi)) = (r.speedup_ci_low, r.speedup_ci_high) {
        return Some((lo, hi, true));
    }
    let base = baseline_row(data, r)?;
    if r.wall_p25_s <= 0.0 || r.wall_p75_s <= 0.0 {
        return None;
    }
    Some((
        base.wall_median_s / r.wall_p75_s,
        base.wall_median_s / r.wall_p25_s,
        false,
    ))
}

/// The summary row a speedup is relative to (same variant and list).
pub fn baseline_row<'a>(data: &'a RunData, r: &SummaryRow) -> Option<&'a SummaryRow> {
    let name = baseline_of(&r.strategy);
    data.summary
        .iter()
        .find(|b| b.strategy == name && b.variant == r.variant && b.items == r.items)
}

pub struct Speedup<'a> {
    data: &'a RunData,
    order: Vec<String>,
}

/// Which whiskers the panels drew, and which strategies had no speedup: for the legend and
/// subtitle.
#[derive(Default)]
struct Drawn {
    any_ci: bool,
    any_spread: bool,
    missing: Vec<String>,
}

impl<'a> Speedup<'a> {
    pub fn new(data: &'a RunData) -> Self {
        Speedup {
            data,
            order: data.strategies(),
        }
    }

    /// Whether a family brings its own baseline ("py-sequential"), measured against it.
    fn own_baselines(&self) -> impl Iterator<Item = &String> {
        self.order
            .iter()
            .filter(|s| is_baseline(s) && *s != crate::strategy::BASELINE)
    }

    fn panels(&self) -> (Vec<Panel>, Drawn) {
        let mut drawn = Drawn::default();
        let y_desc = if self.own_baselines().next().is_some() {
            "speedup (× faster than its sequential baseline)"
        } else {
            "speedup (× faster than sequential)"
        };
        let panels = self
            .data
            .variants()
            .into_iter()
            .map(|v| Panel {
                caption: variant_words(v).to_string(),
                y_desc: y_desc.to_string(),
                groups: group_bars(self.bars(v, &mut drawn)),
                reference: Some(1.0),
            })
            .collect();
        (panels, drawn)
    }

    /// One bar per configuration of `v` that has a speedup.
    fn bars(&self, v: Variant, drawn: &mut Drawn) -> Vec<(String, Bar)> {
        let (cores, jobs) = (self.data.cores(), self.data.jobs());
        let mut out = Vec::new();
        for r in self.data.summary_of(v) {
            let Some(s) = r.speedup else {
                if !drawn.missing.contains(&r.strategy) {
                    drawn.missing.push(r.strategy.clone());
                }
                continue;
            };
            let own = is_baseline(&r.strategy);
            let w = if own { None } else { whiskers(self.data, r) };
            match w {
                Some((_, _, true)) => drawn.any_ci = true,
                Some((_, _, false)) => drawn.any_spread = true,
                None => {}
            }
            let bar = Bar {
                workers: r.workers,
                value: s,
                low: w.map(|w| w.0),
                high: w.map(|w| w.1),
                ideal: (!own).then(|| ideal_speedup(v, r.workers, jobs, cores)),
                ceiling: r
                    .ceiling_speedup
                    .filter(|_| r.strategy != crate::strategy::ceiling::INFO.name),
                label: format!("{s:.2}×"),
                color: strategy_color(&self.order, &r.strategy),
            };
            out.push((r.strategy.clone(), bar));
        }
        out
    }

    fn legend(&self, drawn: &Drawn) -> Vec<LegendEntry> {
        let (cores, jobs) = (self.data.cores(), self.data.jobs());
        let mut legend = vec![
            LegendEntry::new(Swatch::Box(GREY), "median speedup (colour = strategy)"),
            LegendEntry::new(
                Swatch::Dashed(INK),
                format!("ideal: workers, ≤ {jobs} jobs; CPU-bound also ≤ {cores} cores"),
            ),
            LegendEntry::new(Swatch::Line(GREY), "1× = no faster than sequential"),
        ];
        if self
            .data
            .summary
            .iter()
            .any(|r| r.ceiling_speedup.is_some())
        {
            legend.push(LegendEntry::new(
                Swatch::Triangle(CEILING),
                "the machine's ceiling: N pre-started threads, jobs pre-assigned",
            ));
        }
        if drawn.any_ci {
            legend.push(LegendEntry::new(Swatch::Whisker(INK), "95% CI (bootstrap)"));
        }
        if drawn.any_spread {
            legend.push(LegendEntry::new(
                Swatch::Whisker(INK),
                "spread of reps: sequential median ÷ p75…p25",
            ));
        }
        legend
    }

    fn subtitle(&self, drawn: &Drawn) -> String {
        let mut subtitle =
            "sequential median wall time ÷ this strategy's; higher is better".to_string();
        for b in self.own_baselines() {
            let family = b.trim_end_matches(crate::strategy::BASELINE);
            subtitle.push_str(&format!("; {family}* over {b}"));
        }
        if !drawn.missing.is_empty() {
            subtitle.push_str(&format!("; no baseline for: {}", drawn.missing.join(", ")));
        }
        subtitle
    }
}

impl Chart for Speedup<'_> {
    fn frame(&self) -> Frame {
        let (_, drawn) = self.panels();
        Frame {
            title: SPEC.title.into(),
            subtitle: self.subtitle(&drawn),
            legend: self.legend(&drawn),
            footer: self.data.footer(),
        }
    }

    fn plot<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
        draw_panels(area, &self.panels().0)
    }
}
