//! Chart 4: CPU time against wall time, one point per measured trial. The slope from the origin
//! is the number of cores busy: sleep-bound trials lie on the floor (almost no CPU), CPU-bound
//! parallel trials keep the CPU of sequential but move left (less wall time).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::data::{RunData, TimeUnit, variant_words};
use super::{
    AXIS_PX, ChartSpec, DrawResult, FAMILY, Frame, GREY, INK, LIGHT, LegendEntry, NOTE_PX, Swatch,
    TICK_PX, draw_frame, strategy_color, text, tick,
};
use crate::workload::Variant;

/// Reference lines drawn at most (a 64-core machine would be a fan of lines).
const MAX_LINES: usize = 8;

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
    let mut legend: Vec<LegendEntry> = order
        .iter()
        .map(|s| LegendEntry::new(Swatch::Box(strategy_color(&order, s)), s.clone()))
        .collect();
    let variants = data.variants();
    for &v in &variants {
        legend.push(LegendEntry::new(
            marker_swatch(v),
            format!("{} trial", variant_words(v)),
        ));
    }
    legend.push(LegendEntry::new(
        Swatch::Dashed(GREY),
        "k cores busy all along (CPU = k × wall)",
    ));
    let subtitle = "CPU = user + system time of concbench and its worker processes during the trial; slope from 0 = cores busy";
    let area = draw_frame(
        root,
        &Frame {
            title: spec.title,
            subtitle,
            legend: &legend,
            footer: &data.footer(),
        },
    )?;

    // One unit for both axes, so the k-cores lines keep their meaning.
    let max_wall = data.runs.iter().map(|r| r.wall_s).fold(0.0, f64::max);
    let max_cpu = data.runs.iter().map(|r| r.cpu_total_s).fold(0.0, f64::max);
    let unit = TimeUnit::for_max(max_wall.max(max_cpu));
    let k = unit.per_second;
    let x_max = if max_wall > 0.0 {
        max_wall * k * 1.08
    } else {
        1.0
    };
    let y_max = if max_cpu > 0.0 {
        max_cpu * k * 1.12
    } else {
        1.0
    };
    let mut chart = ChartBuilder::on(&area)
        .margin(14)
        .margin_right(30)
        .x_label_area_size(2 * AXIS_PX + 16)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
    let (xs, ys) = (
        super::bars::nice_step(x_max / 10.0),
        super::bars::nice_step(y_max / 8.0),
    );
    chart
        .configure_mesh()
        .x_labels((x_max / xs) as usize + 2)
        .y_labels((y_max / ys) as usize + 2)
        .x_label_formatter(&|v| tick(*v, xs))
        .y_label_formatter(&|v| tick(*v, ys))
        .x_desc(format!("wall time of the trial ({})", unit.name))
        .y_desc(format!("CPU time of the trial ({})", unit.name))
        .axis_desc_style((FAMILY, AXIS_PX))
        .label_style((FAMILY, TICK_PX))
        .bold_line_style(LIGHT)
        .light_line_style(WHITE)
        .draw()?;

    // k cores busy: CPU = k × wall, each line labelled where it leaves the plot.
    let screen = area.use_screen_coord();
    let lines = cores.min(MAX_LINES);
    let mut ks: Vec<usize> = (1..=lines).collect();
    if cores > lines {
        ks.push(cores);
    }
    for kk in ks {
        let kf = kk as f64;
        let end = if kf * x_max <= y_max {
            (x_max, kf * x_max)
        } else {
            (y_max / kf, y_max)
        };
        chart.draw_series(DashedLineSeries::new(
            [(0.0, 0.0), end],
            8,
            5,
            GREY.stroke_width(1),
        ))?;
        let (px, py) = chart.backend_coord(&end);
        let label = format!("{kk} core{}", if kk == 1 { "" } else { "s" });
        let style = if end.0 >= x_max {
            text(NOTE_PX, GREY, HPos::Right, VPos::Bottom)
        } else {
            text(NOTE_PX, GREY, HPos::Left, VPos::Top)
        };
        let pos = if end.0 >= x_max {
            (px - 4, py - 3)
        } else {
            (px + 5, py + 3)
        };
        screen.draw(&Text::new(label, pos, style))?;
    }

    // Sleep first so the CPU-bound markers, fewer and further up, are drawn on top.
    for v in variants.iter().copied() {
        for r in data.runs.iter().filter(|r| r.variant == v) {
            let c = strategy_color(&order, &r.strategy);
            let p = (r.wall_s * k, r.cpu_total_s * k);
            match v {
                Variant::Sleep => {
                    chart.draw_series(std::iter::once(Circle::new(p, 5, c.stroke_width(2))))?
                }
                Variant::Cpu => chart.draw_series(std::iter::once(TriangleMarker::new(
                    p,
                    7,
                    c.mix(0.85).filled(),
                )))?,
            };
        }
    }
    Ok(())
}

fn marker_swatch(v: Variant) -> Swatch {
    match v {
        Variant::Sleep => Swatch::Ring(INK),
        Variant::Cpu => Swatch::Triangle(INK),
    }
}
