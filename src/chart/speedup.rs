//! Chart 2: speedup of every strategy over its sequential baseline, per variant, with the ideal
//! drawn over each bar, so one sees at once which strategy reaches it on which kind of work.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::bars::{Bar, Group, Panel, draw_panels};
use super::data::{RunData, baseline_of, ideal_speedup, is_baseline, variant_words};
use super::{
    CEILING, ChartSpec, DrawResult, Frame, GREY, INK, LegendEntry, Swatch, draw_frame,
    strategy_color,
};
use crate::records::SummaryRow;

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

pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
    spec: &ChartSpec,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let order = data.strategies();
    let cores = data.cores();
    let jobs = data.jobs();
    let (mut any_ci, mut any_spread) = (false, false);
    let own_baselines = order
        .iter()
        .any(|s| is_baseline(s) && s != crate::strategy::BASELINE);
    let y_desc = if own_baselines {
        "speedup (× faster than its sequential baseline)"
    } else {
        "speedup (× faster than sequential)"
    }
    .to_string();
    let mut missing: Vec<String> = Vec::new();
    let panels: Vec<Panel> = data
        .variants()
        .into_iter()
        .map(|v| {
            let mut groups: Vec<Group> = Vec::new();
            for r in data.summary_of(v) {
                let Some(s) = r.speedup else {
                    if !missing.contains(&r.strategy) {
                        missing.push(r.strategy.clone());
                    }
                    continue;
                };
                let w = if is_baseline(&r.strategy) {
                    None
                } else {
                    whiskers(data, r)
                };
                match w {
                    Some((_, _, true)) => any_ci = true,
                    Some((_, _, false)) => any_spread = true,
                    None => {}
                }
                let bar = Bar {
                    workers: r.workers,
                    value: s,
                    low: w.map(|w| w.0),
                    high: w.map(|w| w.1),
                    ideal: (!is_baseline(&r.strategy))
                        .then(|| ideal_speedup(v, r.workers, jobs, cores)),
                    ceiling: r
                        .ceiling_speedup
                        .filter(|_| r.strategy != crate::strategy::ceiling::INFO.name),
                    label: format!("{s:.2}×"),
                    color: strategy_color(&order, &r.strategy),
                };
                match groups.iter_mut().find(|g| g.name == r.strategy) {
                    Some(g) => g.bars.push(bar),
                    None => groups.push(Group {
                        name: r.strategy.clone(),
                        bars: vec![bar],
                    }),
                }
            }
            Panel {
                caption: variant_words(v).to_string(),
                y_desc: y_desc.clone(),
                groups,
                reference: Some(1.0),
            }
        })
        .collect();

    let mut legend = vec![
        LegendEntry::new(Swatch::Box(GREY), "median speedup (colour = strategy)"),
        LegendEntry::new(
            Swatch::Dashed(INK),
            format!("ideal: workers, ≤ {jobs} jobs; CPU-bound also ≤ {cores} cores"),
        ),
        LegendEntry::new(Swatch::Line(GREY), "1× = no faster than sequential"),
    ];
    if data.summary.iter().any(|r| r.ceiling_speedup.is_some()) {
        legend.push(LegendEntry::new(
            Swatch::Triangle(CEILING),
            "the machine's ceiling: N pre-started threads, jobs pre-assigned",
        ));
    }
    if any_ci {
        legend.push(LegendEntry::new(Swatch::Whisker(INK), "95% CI (bootstrap)"));
    }
    if any_spread {
        legend.push(LegendEntry::new(
            Swatch::Whisker(INK),
            "spread of reps: sequential median ÷ p75…p25",
        ));
    }
    let mut subtitle =
        "sequential median wall time ÷ this strategy's; higher is better".to_string();
    // A family with its own baseline ("py-sequential") is measured against it, not against ours.
    for b in order
        .iter()
        .filter(|s| is_baseline(s) && *s != crate::strategy::BASELINE)
    {
        let family = b.trim_end_matches(crate::strategy::BASELINE);
        subtitle.push_str(&format!("; {family}* over {b}"));
    }
    if !missing.is_empty() {
        subtitle.push_str(&format!("; no baseline for: {}", missing.join(", ")));
    }
    let area = draw_frame(
        root,
        &Frame {
            title: spec.title,
            subtitle: &subtitle,
            legend: &legend,
            footer: &data.footer(),
        },
    )?;
    draw_panels(&area, &panels)
}
