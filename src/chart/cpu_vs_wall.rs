//! Chart 4: CPU time against wall time, one point per measured trial. The slope from the origin
//! is the number of cores busy: sleep-bound trials lie on the floor (almost no CPU), CPU-bound
//! parallel trials keep the CPU of sequential but move left (less wall time).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::bars::nice_step;
use super::data::{TimeUnit, variant_words};
use super::{
    AXIS_PX, Canvas, Chart, ChartSpec, DrawResult, FAMILY, Frame, GREY, INK, LIGHT, LegendEntry,
    NOTE_PX, Plot, Swatch, TICK_PX, strategy_color, strategy_legend, text, tick,
};
use crate::results::run_folder::RunData;
use crate::workload::Variant;

/// Reference lines drawn at most (a 64-core machine would be a fan of lines).
const MAX_LINES: usize = 8;

/// For REPORT.md: what the reader should look for.
const CAPTION: &str = "One point per trial: CPU time used against wall time taken. The dashed lines are 1, 2, ... cores busy for the whole trial.";
pub const SPEC: ChartSpec = ChartSpec::new(
    "cpu_vs_wall",
    "CPU time against wall time",
    (1200, 760),
    CAPTION,
);

pub struct CpuVsWall<'a> {
    data: &'a RunData,
    order: Vec<String>,
}

impl<'a> CpuVsWall<'a> {
    pub fn new(data: &'a RunData) -> Self {
        CpuVsWall {
            data,
            order: data.strategies(),
        }
    }

    /// Both axes in one unit, so the k-cores lines keep their meaning; returns the chart and
    /// seconds to that unit.
    fn axes<'b, DB: Canvas>(
        &self,
        area: &'b DrawingArea<DB, Shift>,
    ) -> DrawResult<(Plot<'b, DB>, f64)> {
        let runs = &self.data.runs;
        let max_wall = runs.iter().map(|r| r.wall_s).fold(0.0, f64::max);
        let max_cpu = runs.iter().map(|r| r.cpu_total_s).fold(0.0, f64::max);
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
        let mut chart = ChartBuilder::on(area)
            .margin(14)
            .margin_right(30)
            .x_label_area_size(2 * AXIS_PX + 16)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
        let (xs, ys) = (nice_step(x_max / 10.0), nice_step(y_max / 8.0));
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
        Ok((chart, k))
    }

    /// k cores busy: CPU = k × wall, each line labelled where it leaves the plot.
    fn core_lines<DB: Canvas>(
        &self,
        chart: &mut Plot<DB>,
        screen: &DrawingArea<DB, Shift>,
    ) -> DrawResult<()> {
        let (x_max, y_max) = (chart.x_range().end, chart.y_range().end);
        let cores = self.data.cores();
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
            let (style, pos) = if end.0 >= x_max {
                (
                    text(NOTE_PX, GREY, HPos::Right, VPos::Bottom),
                    (px - 4, py - 3),
                )
            } else {
                (text(NOTE_PX, GREY, HPos::Left, VPos::Top), (px + 5, py + 3))
            };
            screen.draw(&Text::new(label, pos, style))?;
        }
        Ok(())
    }

    /// One marker per trial; sleep first so the CPU-bound markers, fewer and further up, are
    /// drawn on top.
    fn points<DB: Canvas>(&self, chart: &mut Plot<DB>, k: f64) -> DrawResult<()> {
        for v in self.data.variants() {
            for r in self.data.runs.iter().filter(|r| r.variant == v) {
                let c = strategy_color(&self.order, &r.strategy);
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
                    Variant::Http => {
                        chart.draw_series(std::iter::once(Circle::new(p, 4, c.filled())))?
                    }
                };
            }
        }
        Ok(())
    }
}

impl Chart for CpuVsWall<'_> {
    fn frame(&self) -> Frame {
        let mut legend = strategy_legend(&self.order, &self.order);
        for v in self.data.variants() {
            legend.push(LegendEntry::new(
                marker_swatch(v),
                format!("{} trial", variant_words(v)),
            ));
        }
        legend.push(LegendEntry::new(
            Swatch::Dashed(GREY),
            "k cores busy all along (CPU = k × wall)",
        ));
        Frame {
            title: SPEC.title.into(),
            subtitle: "CPU = user + system time of concbench and its worker processes during the trial; slope from 0 = cores busy".into(),
            legend,
            footer: self.data.footer(),
        }
    }

    fn plot<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
        let (mut chart, k) = self.axes(area)?;
        self.core_lines(&mut chart, &area.use_screen_coord())?;
        self.points(&mut chart, k)
    }
}

fn marker_swatch(v: Variant) -> Swatch {
    match v {
        Variant::Sleep => Swatch::Ring(INK),
        Variant::Cpu => Swatch::Triangle(INK),
        Variant::Http => Swatch::Dot(INK),
    }
}
