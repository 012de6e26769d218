//! Chart 3: CPU usage over the run. One panel per core (a heat map past 8 cores), concbench's
//! own CPU use above them, and a strip below with every trial where it ran, so one sees which
//! cores were busy under which strategy. Each usage block spans the sampling interval it
//! averages over, which is honest about sysinfo's resolution (trials are often shorter).

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::data::{RunData, variant_words};
use super::{
    AXIS_PX, ChartSpec, DrawResult, FAMILY, Frame, GREY, INK, LIGHT, LegendEntry, NOTE_PX, Swatch,
    TICK_PX, draw_frame, strategy_color, text, tick,
};
use crate::records::SampleRow;
use crate::workload::Variant;

const CORE: RGBColor = RGBColor(88, 78, 150);
const Y_LABELS_PX: u32 = 118;
const MAX_CORE_PANELS: usize = 8;

/// Phase tints behind the usage, one per variant.
fn tint(v: Variant) -> RGBColor {
    match v {
        Variant::Sleep => RGBColor(226, 238, 250),
        Variant::Cpu => RGBColor(252, 236, 220),
    }
}

/// A sample's tag "cpu/threads/2/warmup1" as (variant, strategy) when it is a warm-up trial.
fn warmup_of(tag: &str) -> Option<(Variant, &str)> {
    let mut parts = tag.split('/');
    let (v, s, _w, round) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    round.starts_with("warmup").then_some(())?;
    Some((v.parse().ok()?, s))
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
    let variants = data.variants();
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

    let mut legend: Vec<LegendEntry> = order
        .iter()
        .map(|s| LegendEntry::new(Swatch::Box(strategy_color(&order, s)), s.clone()))
        .collect();
    legend.push(LegendEntry::new(
        Swatch::Ring(INK),
        "warm-up trial (when sampled)",
    ));
    legend.push(LegendEntry::new(Swatch::Box(CORE), "core usage"));
    legend.push(LegendEntry::new(
        Swatch::Line(INK),
        "concbench itself (its child processes not included)",
    ));
    for &v in &variants {
        legend.push(LegendEntry::new(
            Swatch::Box(tint(v)),
            format!("{} phase", variant_words(v)),
        ));
    }
    let subtitle = format!(
        "sysinfo samples every {} ms (each block is the average over that interval); other processes' load counts too",
        super::wall_time::trim(interval_s * 1e3)
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

    let (_, h) = area.dim_in_pixel();
    let strip_h = 40 + 30 * variants.len().max(1) as u32 + 2 * AXIS_PX;
    let (upper, strip) = area.split_vertically(h.saturating_sub(strip_h));
    let (_, uh) = upper.dim_in_pixel();
    let (proc_area, cores_area) = upper.split_vertically(uh / 5);
    let phases = phases(data);

    // concbench's own CPU (children not included): 0 .. cores × 100 % of one core.
    let own: Vec<&SampleRow> = data.samples.iter().filter(|s| s.core == 0).collect();
    let own_max = (cores as f64 * 100.0).max(100.0);
    let mut chart = panel(&proc_area, t_end, own_max, "concbench", "(% of a core)")?;
    shade(&mut chart, &phases)?;
    let steps = step_points(&own, interval_s, |s| s.process_cpu_pct.min(own_max));
    chart.draw_series(LineSeries::new(steps, INK.stroke_width(2)))?;

    if data.samples.is_empty() {
        let c = panel(&cores_area, t_end, 100.0, "cores", "(%)")?;
        let (x, y) = c.backend_coord(&(t_end / 2.0, 50.0));
        let style = text(AXIS_PX, GREY, HPos::Center, VPos::Center);
        cores_area.use_screen_coord().draw(&Text::new(
            "no samples: the run was shorter than one sampling interval",
            (x, y),
            style,
        ))?;
    } else if cores <= MAX_CORE_PANELS {
        for (core, cell) in cores_area.split_evenly((cores, 1)).iter().enumerate() {
            let mut c = panel(cell, t_end, 100.0, &format!("core {core}"), "busy (%)")?;
            shade(&mut c, &phases)?;
            let mine: Vec<&SampleRow> = data.samples.iter().filter(|s| s.core == core).collect();
            c.draw_series(blocks(&mine, interval_s).map(|(t0, t1, u)| {
                Rectangle::new(
                    [(t0, 0.0), (t1, u.clamp(0.0, 100.0))],
                    CORE.mix(0.85).filled(),
                )
            }))?;
        }
    } else {
        heat_map(&cores_area, data, cores, t_end, interval_s)?;
    }
    trial_strip(&strip, data, &order, &variants, t_end)
}

/// One horizontal panel sharing the time axis; the x axis is drawn only on the strip below.
fn panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    t_end: f64,
    y_max: f64,
    name: &str,
    unit: &str,
) -> DrawResult<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .margin_left(12)
        .margin_right(24)
        .margin_top(6)
        .y_label_area_size(Y_LABELS_PX)
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
    let screen = area.use_screen_coord();
    let style = text(NOTE_PX + 1, INK, HPos::Right, VPos::Bottom);
    screen.draw(&Text::new(name.to_string(), (x - 38, y), style))?;
    let style = text(NOTE_PX - 1, GREY, HPos::Right, VPos::Top);
    screen.draw(&Text::new(unit.to_string(), (x - 38, y + 2), style))?;
    Ok(chart)
}

/// When each variant's measured trials ran: [first start, last end].
fn phases(data: &RunData) -> Vec<(Variant, f64, f64)> {
    data.variants()
        .into_iter()
        .filter_map(|v| {
            let rs = data.runs.iter().filter(|r| r.variant == v);
            let start = rs.clone().map(|r| r.started_s).reduce(f64::min)?;
            let end = rs.map(|r| r.ended_s).reduce(f64::max)?;
            Some((v, start, end))
        })
        .collect()
}

fn shade<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    phases: &[(Variant, f64, f64)],
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let y_max = chart.y_range().end;
    chart.draw_series(
        phases
            .iter()
            .map(|&(v, a, b)| Rectangle::new([(a, 0.0), (b, y_max)], tint(v).filled())),
    )?;
    Ok(())
}

/// (start, end, value) of every sample of one core: a sample averages over the interval before it.
fn blocks<'a>(
    samples: &'a [&SampleRow],
    interval_s: f64,
) -> impl Iterator<Item = (f64, f64, f64)> + 'a {
    samples.iter().enumerate().map(move |(i, s)| {
        let prev = if i > 0 {
            samples[i - 1].t_s
        } else {
            s.t_s - interval_s
        };
        // A gap (the sampler missed a beat) is not averaged over: cap at twice the interval.
        let t0 = prev.max(s.t_s - 2.0 * interval_s).max(0.0);
        (t0, s.t_s, s.usage_pct)
    })
}

fn step_points(
    samples: &[&SampleRow],
    interval_s: f64,
    value: impl Fn(&SampleRow) -> f64,
) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        let prev = if i > 0 {
            samples[i - 1].t_s
        } else {
            (s.t_s - interval_s).max(0.0)
        };
        pts.push((prev, value(s)));
        pts.push((s.t_s, value(s)));
    }
    pts
}

/// Past 8 cores, panels get too thin: one row per core, darker = busier.
fn heat_map<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &RunData,
    cores: usize,
    t_end: f64,
    interval_s: f64,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .margin_left(12)
        .margin_right(24)
        .margin_top(6)
        .y_label_area_size(Y_LABELS_PX)
        .build_cartesian_2d(0.0..t_end, 0.0..cores as f64)?;
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
        let mine: Vec<&SampleRow> = data.samples.iter().filter(|s| s.core == core).collect();
        chart.draw_series(blocks(&mine, interval_s).map(|(t0, t1, u)| {
            let f = (u / 100.0).clamp(0.0, 1.0);
            let mix = |c: u8| (255.0 - (255.0 - c as f64) * f) as u8;
            let color = RGBColor(mix(CORE.0), mix(CORE.1), mix(CORE.2));
            Rectangle::new([(t0, core as f64), (t1, core as f64 + 0.9)], color.filled())
        }))?;
    }
    Ok(())
}

/// The trials along the time axis: one row per variant, one block per measured trial coloured by
/// strategy, rings where a sample caught a warm-up trial (runs.csv does not list warm-ups).
fn trial_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &RunData,
    order: &[String],
    variants: &[Variant],
    t_end: f64,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let rows = variants.len().max(1) as f64;
    let row_of = |v: Variant| {
        variants
            .iter()
            .position(|x| *x == v)
            .map(|i| rows - 1.0 - i as f64)
    };
    let mut chart = ChartBuilder::on(area)
        .margin_left(12)
        .margin_right(24)
        .margin_top(8)
        .x_label_area_size(2 * AXIS_PX + 14)
        .y_label_area_size(Y_LABELS_PX)
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
    chart.draw_series(data.runs.iter().filter_map(|r| {
        let y = row_of(r.variant)?;
        let c = strategy_color(order, &r.strategy);
        Some(Rectangle::new(
            [(r.started_s, y + 0.15), (r.ended_s, y + 0.85)],
            c.filled(),
        ))
    }))?;
    let mut last_t = f64::NAN;
    for s in &data.samples {
        let Some((v, strategy)) = warmup_of(&s.trial) else {
            continue;
        };
        let Some(y) = row_of(v) else { continue };
        if s.t_s == last_t {
            continue; // one ring per sampling instant, not one per core
        }
        last_t = s.t_s;
        let c = strategy_color(order, strategy);
        chart.draw_series(std::iter::once(Circle::new(
            (s.t_s, y + 0.5),
            6,
            c.stroke_width(2),
        )))?;
    }
    let screen = area.use_screen_coord();
    for &v in variants {
        let Some(y) = row_of(v) else { continue };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_tags() {
        assert_eq!(
            warmup_of("cpu/threads/2/warmup1"),
            Some((Variant::Cpu, "threads"))
        );
        assert_eq!(
            warmup_of("sleep/py-threads/4/warmup12"),
            Some((Variant::Sleep, "py-threads"))
        );
        assert_eq!(warmup_of("cpu/threads/2/rep1"), None);
        assert_eq!(warmup_of(""), None);
        assert_eq!(warmup_of("bogus/threads/2/warmup1"), None);
    }
}
