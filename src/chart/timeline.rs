//! Chart 3: CPU usage over the run. One panel per core (a heat map past 8 cores), concbench's
//! own CPU use above them, and a strip below with every trial where it ran, so one sees which
//! cores were busy under which strategy. Each usage block spans the sampling interval it
//! averages over, which is honest about sysinfo's resolution (trials are often shorter).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::data::variant_words;
use super::timeline_blocks::{Block, step_points, usage_blocks, variant_blocks, warmup_of};
use super::{
    AXIS_PX, Canvas, Chart, ChartSpec, DrawResult, FAMILY, Frame, GREY, INK, LIGHT, LegendEntry,
    NOTE_PX, Plot, Swatch, TICK_PX, strategy_color, strategy_legend, text, tick,
};
use crate::records::SampleRow;
use crate::results::run_folder::RunData;
use crate::workload::Variant;

const CORE: RGBColor = RGBColor(88, 78, 150);
const Y_LABELS_PX: u32 = 118;
const MAX_CORE_PANELS: usize = 8;

/// Phase tints behind the usage, one per variant.
fn tint(v: Variant) -> RGBColor {
    match v {
        Variant::Sleep => RGBColor(226, 238, 250),
        Variant::Cpu => RGBColor(252, 236, 220),
        Variant::Http => RGBColor(228, 244, 230),
    }
}

/// For REPORT.md: what the reader should look for.
const CAPTION: &str = "Per-core usage sampled during the run (each block covers one sampling interval), concbench's own CPU use, and every trial marked along the time axis.";
pub const SPEC: ChartSpec =
    ChartSpec::new("cpu_timeline", "CPU usage over time", (1400, 800), CAPTION);

pub struct Timeline<'a> {
    data: &'a RunData,
    order: Vec<String>,
    variants: Vec<Variant>,
    interval_s: f64,
    cores: usize,
    t_end: f64,
    blocks: Vec<Block>,
}

impl<'a> Timeline<'a> {
    pub fn new(data: &'a RunData) -> Self {
        let interval_s = (data.meta.parameters.sample_interval_ms / 1e3).max(1e-3);
        let cores = data
            .samples
            .iter()
            .map(|s| s.core + 1)
            .max()
            .unwrap_or(0)
            .max(data.meta.machine.logical_cores);
        let t_end = data
            .samples
            .iter()
            .map(|s| s.t_s)
            .chain(data.runs.iter().map(|r| r.ended_s))
            .fold(0.0, f64::max)
            .max(interval_s)
            * 1.01;
        let blocks = variant_blocks(
            data.runs
                .iter()
                .map(|r| (r.variant, r.started_s, r.ended_s)),
        );
        Timeline {
            data,
            order: data.strategies(),
            variants: data.variants(),
            interval_s,
            cores,
            t_end,
            blocks,
        }
    }

    fn samples_of(&self, core: usize) -> Vec<&'a SampleRow> {
        self.data
            .samples
            .iter()
            .filter(|s| s.core == core)
            .collect()
    }

    /// concbench's own CPU (children not included): 0 .. cores × 100 % of one core.
    fn own_cpu<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
        let own_max = (self.cores as f64 * 100.0).max(100.0);
        let mut chart = panel(area, self.t_end, own_max, "concbench", "(% of a core)")?;
        shade(&mut chart, &self.blocks)?;
        let steps = step_points(&self.samples_of(0), self.interval_s, |s| {
            s.process_cpu_pct.min(own_max)
        });
        chart.draw_series(LineSeries::new(steps, INK.stroke_width(2)))?;
        Ok(())
    }

    /// One panel per core, a heat map past [`MAX_CORE_PANELS`], or a note when nothing was
    /// sampled.
    fn cores<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
        if self.data.samples.is_empty() {
            let c = panel(area, self.t_end, 100.0, "cores", "(%)")?;
            let (x, y) = c.backend_coord(&(self.t_end / 2.0, 50.0));
            let style = text(AXIS_PX, GREY, HPos::Center, VPos::Center);
            area.use_screen_coord().draw(&Text::new(
                "no samples: the run was shorter than one sampling interval",
                (x, y),
                style,
            ))?;
            return Ok(());
        }
        if self.cores > MAX_CORE_PANELS {
            return self.heat_map(area);
        }
        for (core, cell) in area.split_evenly((self.cores, 1)).iter().enumerate() {
            let mut c = panel(cell, self.t_end, 100.0, &format!("core {core}"), "busy (%)")?;
            shade(&mut c, &self.blocks)?;
            let mine = self.samples_of(core);
            c.draw_series(usage_blocks(&mine, self.interval_s).map(|(t0, t1, u)| {
                Rectangle::new(
                    [(t0, 0.0), (t1, u.clamp(0.0, 100.0))],
                    CORE.mix(0.85).filled(),
                )
            }))?;
        }
        Ok(())
    }
}

impl Chart for Timeline<'_> {
    fn frame(&self) -> Frame {
        let mut legend = strategy_legend(&self.order, &self.order);
        legend.push(LegendEntry::new(
            Swatch::Ring(INK),
            "warm-up trial (when sampled)",
        ));
        legend.push(LegendEntry::new(Swatch::Box(CORE), "core usage"));
        legend.push(LegendEntry::new(
            Swatch::Line(INK),
            "concbench itself (its child processes not included)",
        ));
        for &v in &self.variants {
            legend.push(LegendEntry::new(
                Swatch::Box(tint(v)),
                format!("{} phase", variant_words(v)),
            ));
        }
        Frame {
            title: SPEC.title.into(),
            subtitle: format!(
                "sysinfo samples every {} ms (each block is the average over that interval); other processes' load counts too",
                super::wall_time::trim(self.interval_s * 1e3)
            ),
            legend,
            footer: self.data.footer(),
        }
    }

    fn plot<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
        let (_, h) = area.dim_in_pixel();
        let strip_h = 40 + 30 * self.variants.len().max(1) as u32 + 2 * AXIS_PX;
        let (upper, strip) = area.split_vertically(h.saturating_sub(strip_h));
        let (_, uh) = upper.dim_in_pixel();
        let (proc_area, cores_area) = upper.split_vertically(uh / 5);
        self.own_cpu(&proc_area)?;
        self.cores(&cores_area)?;
        self.trial_strip(&strip)
    }
}

/// A chart on the time axis shared by every panel, with the names column on its left.
fn on_time_axis<'a, 'b, DB: Canvas>(area: &'a DrawingArea<DB, Shift>) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_left(12)
        .margin_right(24)
        .y_label_area_size(Y_LABELS_PX);
    builder
}

/// One horizontal panel sharing the time axis; the x axis is drawn only on the strip below.
fn panel<'a, DB: Canvas>(
    area: &'a DrawingArea<DB, Shift>,
    t_end: f64,
    y_max: f64,
    name: &str,
    unit: &str,
) -> DrawResult<Plot<'a, DB>> {
    let mut chart = on_time_axis(area)
        .margin_top(6)
        // Headroom so the top label of one panel does not touch the bottom label of the next.
        .build_cartesian_2d(0.0..t_end, 0.0..y_max * 1.12)?;
    let step = if y_max > 100.0 {
        super::bars::nice_step(y_max / 3.0).max(100.0)
    } else {
        50.0
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels((y_max * 1.12 / step) as usize + 1)
        .y_label_formatter(&|v| {
            if *v <= y_max + 1e-9 {
                tick(*v, step)
            } else {
                String::new()
            }
        })
        .y_label_style((FAMILY, TICK_PX))
        .bold_line_style(LIGHT)
        .light_line_style(WHITE)
        .draw()?;
    // Two-line name left of the axis ("core 0" / "busy (%)"), instead of a rotated description.
    let (x, y) = chart.backend_coord(&(0.0, y_max / 2.0));
    two_line_name(area, (x - 38, y), name, unit)?;
    Ok(chart)
}

/// A name over a grey second line, right-aligned at `at` (the names column).
fn two_line_name<DB: Canvas>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    name: &str,
    second: &str,
) -> DrawResult<()> {
    let screen = area.use_screen_coord();
    let style = text(NOTE_PX + 1, INK, HPos::Right, VPos::Bottom);
    screen.draw(&Text::new(name.to_string(), at, style))?;
    let style = text(NOTE_PX - 1, GREY, HPos::Right, VPos::Top);
    screen.draw(&Text::new(second.to_string(), (at.0, at.1 + 2), style))?;
    Ok(())
}

/// Tint every block of the run by the variant that ran in it.
fn shade<DB: Canvas>(chart: &mut Plot<DB>, blocks: &[Block]) -> DrawResult<()> {
    let y_max = chart.y_range().end;
    chart.draw_series(blocks.iter().map(|b| {
        Rectangle::new(
            [(b.start_s, 0.0), (b.end_s, y_max)],
            tint(b.variant).filled(),
        )
    }))?;
    Ok(())
}

impl Timeline<'_> {
    /// Past 8 cores, panels get too thin: one row per core, darker = busier.
    fn heat_map<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
        let cores = self.cores;
        let mut chart = on_time_axis(area)
            .margin_top(6)
            .build_cartesian_2d(0.0..self.t_end, 0.0..cores as f64)?;
        let step = super::bars::nice_step(cores as f64 / 8.0);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_labels((cores as f64 / step) as usize + 1)
            .y_label_formatter(&|v| tick(*v, 1.0))
            .y_desc("core (darker = busier, 0–100%)")
            .axis_desc_style((FAMILY, NOTE_PX))
            .y_label_style((FAMILY, TICK_PX))
            .draw()?;
        for core in 0..cores {
            let mine = self.samples_of(core);
            chart.draw_series(usage_blocks(&mine, self.interval_s).map(|(t0, t1, u)| {
                let f = (u / 100.0).clamp(0.0, 1.0);
                let mix = |c: u8| (255.0 - (255.0 - c as f64) * f) as u8;
                let color = RGBColor(mix(CORE.0), mix(CORE.1), mix(CORE.2));
                Rectangle::new([(t0, core as f64), (t1, core as f64 + 0.9)], color.filled())
            }))?;
        }
        Ok(())
    }

    /// The row of a variant in the trial strip, from the top.
    fn row_of(&self, v: Variant) -> Option<f64> {
        let rows = self.variants.len().max(1) as f64;
        self.variants
            .iter()
            .position(|x| *x == v)
            .map(|i| rows - 1.0 - i as f64)
    }

    /// The trials along the time axis: one row per variant, one block per measured trial
    /// coloured by strategy, rings where a sample caught a warm-up trial (runs.csv does not list
    /// warm-ups).
    fn trial_strip<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
        let t_end = self.t_end;
        let rows = self.variants.len().max(1) as f64;
        let mut chart = on_time_axis(area)
            .margin_top(8)
            .x_label_area_size(2 * AXIS_PX + 14)
            .build_cartesian_2d(0.0..t_end, 0.0..rows)?;
        let step = super::bars::nice_step(t_end / 12.0);
        chart
            .configure_mesh()
            .disable_mesh()
            .y_labels(0)
            .x_labels((t_end / step) as usize + 2)
            .x_label_formatter(&|v| tick(*v, step))
            .x_desc("time since the run started (s)")
            .axis_desc_style((FAMILY, AXIS_PX))
            .x_label_style((FAMILY, TICK_PX))
            .draw()?;
        chart.draw_series(self.data.runs.iter().filter_map(|r| {
            let y = self.row_of(r.variant)?;
            let c = strategy_color(&self.order, &r.strategy);
            Some(Rectangle::new(
                [(r.started_s, y + 0.15), (r.ended_s, y + 0.85)],
                c.filled(),
            ))
        }))?;
        self.warmup_rings(&mut chart)?;
        let screen = area.use_screen_coord();
        for &v in &self.variants {
            let Some(y) = self.row_of(v) else { continue };
            let (x, py) = chart.backend_coord(&(0.0, y + 0.5));
            let style = text(NOTE_PX, INK, HPos::Right, VPos::Bottom);
            screen.draw(&Text::new(
                variant_words(v).to_string(),
                (x - 10, py + 1),
                style,
            ))?;
            let style = text(NOTE_PX - 1, GREY, HPos::Right, VPos::Top);
            screen.draw(&Text::new("trials".to_string(), (x - 10, py + 1), style))?;
        }
        Ok(())
    }

    /// A ring wherever a sample caught a warm-up trial, one per sampling instant.
    fn warmup_rings<DB: Canvas>(&self, chart: &mut Plot<DB>) -> DrawResult<()> {
        let mut last_t = f64::NAN;
        for s in &self.data.samples {
            let Some((v, strategy)) = warmup_of(&s.trial) else {
                continue;
            };
            let Some(y) = self.row_of(v) else { continue };
            if s.t_s == last_t {
                continue; // one ring per sampling instant, not one per core
            }
            last_t = s.t_s;
            let c = strategy_color(&self.order, strategy);
            chart.draw_series(std::iter::once(Circle::new(
                (s.t_s, y + 0.5),
                6,
                c.stroke_width(2),
            )))?;
        }
        Ok(())
    }
}
