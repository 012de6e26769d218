//! Grouped bars, one panel per variant, each panel with its own y scale: shared by the wall
//! time and speedup charts. Groups are strategies, bars inside a group are worker counts, so
//! any number of strategies and any `--workers` list fits.
//!
//! Labels under the axis and above the bars are placed by hand in pixels: plotters' own x
//! labels only sit at round numbers, not under each bar.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::frame::{side_by_side, vertical_whisker};
use super::{
    AXIS_PX, CEILING, Canvas, DrawResult, FAMILY, GREY, INK, LIGHT, NOTE_PX, Plot, TICK_PX, text,
    tick,
};

#[derive(Debug, Clone)]
pub struct Bar {
    pub workers: usize,
    pub value: f64,
    /// Whisker ends, drawn when both are present.
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// A dashed mark over the bar (the ideal speedup).
    pub ideal: Option<f64>,
    /// A triangle beside the bar (the machine's measured ceiling).
    pub ceiling: Option<f64>,
    /// Text on the bar ("103 ms", "1.96×").
    pub label: String,
    pub color: RGBColor,
}

impl Bar {
    /// The highest thing drawn for this bar: its value, whisker, ideal or ceiling.
    fn top(&self) -> f64 {
        self.value
            .max(self.high.unwrap_or(0.0))
            .max(self.ideal.unwrap_or(0.0))
            .max(self.ceiling.unwrap_or(0.0))
    }
}

#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub bars: Vec<Bar>,
}

#[derive(Debug, Clone)]
pub struct Panel {
    pub caption: String,
    pub y_desc: String,
    pub groups: Vec<Group>,
    /// A horizontal reference line across the panel (1× for speedups).
    pub reference: Option<f64>,
}

const BAR: f64 = 0.8;
const GROUP_GAP: f64 = 0.7;

/// Centre x of every bar, group by group, and the right end of the axis.
fn layout(groups: &[Group]) -> (Vec<Vec<f64>>, f64) {
    let mut x = GROUP_GAP / 2.0;
    let mut centres = Vec::new();
    for g in groups {
        let mut c = Vec::new();
        for _ in &g.bars {
            c.push(x + 0.5);
            x += 1.0;
        }
        centres.push(c);
        x += GROUP_GAP;
    }
    (centres, (x - GROUP_GAP / 2.0).max(1.0))
}

/// Bars gathered into groups by strategy name, groups in order of first appearance.
pub fn group_bars(bars: impl IntoIterator<Item = (String, Bar)>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (name, bar) in bars {
        match groups.iter_mut().find(|g| g.name == name) {
            Some(g) => g.bars.push(bar),
            None => groups.push(Group {
                name,
                bars: vec![bar],
            }),
        }
    }
    groups
}

/// Draw the panels side by side in `area`.
pub fn draw_panels<DB: Canvas>(area: &DrawingArea<DB, Shift>, panels: &[Panel]) -> DrawResult<()> {
    side_by_side(area, panels, draw_panel)
}

fn draw_panel<DB: Canvas>(area: &DrawingArea<DB, Shift>, p: &Panel) -> DrawResult<()> {
    let (centres, x_end) = layout(&p.groups);
    let mut chart = panel_axes(area, p, x_end)?;
    if let Some(r) = p.reference {
        chart.draw_series(LineSeries::new(
            [(0.0, r), (x_end, r)],
            GREY.stroke_width(2),
        ))?;
    }
    let screen = area.use_screen_coord();
    let (ax, ay) = chart.backend_coord(&(0.0, 0.0));
    let row_style = text(TICK_PX, GREY, HPos::Right, VPos::Top);
    screen.draw(&Text::new("workers", (ax - 8, ay + 6), row_style))?;
    for (g, xs) in p.groups.iter().zip(&centres) {
        for (b, &xc) in g.bars.iter().zip(xs) {
            draw_bar(&mut chart, &screen, b, xc)?;
        }
    }
    draw_group_names(&chart, &screen, p, &centres)
}

/// The panel's axes: its own y scale, with headroom for the labels above short bars.
fn panel_axes<'a, DB: Canvas>(
    area: &'a DrawingArea<DB, Shift>,
    p: &Panel,
    x_end: f64,
) -> DrawResult<Plot<'a, DB>> {
    let top = p
        .groups
        .iter()
        .flat_map(|g| &g.bars)
        .map(Bar::top)
        .chain(p.reference)
        .fold(0.0, f64::max);
    let y_max = if top > 0.0 { top * 1.15 } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .caption(&p.caption, (FAMILY, AXIS_PX + 1))
        .margin(12)
        .margin_right(20)
        .x_label_area_size(3 * (TICK_PX + 6) + 14)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..x_end, 0.0..y_max)?;
    let step = nice_step(y_max / 8.0);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels((y_max / step).ceil() as usize + 1)
        .y_label_formatter(&|v| tick(*v, step))
        .y_desc(p.y_desc.as_str())
        .axis_desc_style((FAMILY, AXIS_PX))
        .y_label_style((FAMILY, TICK_PX))
        .bold_line_style(LIGHT)
        .light_line_style(WHITE)
        .draw()?;
    Ok(chart)
}

/// One bar centred on `xc`, with what goes over it and its worker count under it.
fn draw_bar<DB: Canvas>(
    chart: &mut Plot<DB>,
    screen: &DrawingArea<DB, Shift>,
    b: &Bar,
    xc: f64,
) -> DrawResult<()> {
    let (x0, x1) = (xc - BAR / 2.0, xc + BAR / 2.0);
    chart.draw_series(std::iter::once(Rectangle::new(
        [(x0, 0.0), (x1, b.value)],
        b.color.filled(),
    )))?;
    if let (Some(lo), Some(hi)) = (b.low, b.high) {
        // Drawn by hand: plotters' ErrorBar also puts a circle on the median, which the top
        // of the bar already shows.
        chart.draw_series(vertical_whisker(xc, lo, hi, BAR / 5.0, INK.stroke_width(2)))?;
    }
    if let Some(ideal) = b.ideal {
        let pad = BAR * 0.12;
        chart.draw_series(DashedLineSeries::new(
            [(x0 - pad, ideal), (x1 + pad, ideal)],
            7,
            4,
            INK.stroke_width(2),
        ))?;
    }
    if let Some(ceiling) = b.ceiling {
        let (px, py) = chart.backend_coord(&(x1, ceiling));
        screen.draw(&TriangleMarker::new((px + 6, py), 6, CEILING.filled()))?;
    }
    let bar_px = (chart.backend_coord(&(BAR, 0.0)).0 - chart.backend_coord(&(0.0, 0.0)).0).max(1);
    draw_value_label(screen, chart, b, xc, bar_px)?;
    // Worker count under each bar; the row is named once, left of the axis.
    let (px, py) = chart.backend_coord(&(xc, 0.0));
    let workers_style = text(TICK_PX, GREY, HPos::Center, VPos::Top);
    screen.draw(&Text::new(
        b.workers.to_string(),
        (px, py + 6),
        workers_style,
    ))?;
    Ok(())
}

/// Strategy names under their groups.
fn draw_group_names<DB: Canvas>(
    chart: &Plot<DB>,
    screen: &DrawingArea<DB, Shift>,
    p: &Panel,
    centres: &[Vec<f64>],
) -> DrawResult<()> {
    let names: Vec<(&str, f64)> = p
        .groups
        .iter()
        .zip(centres)
        .filter_map(|(g, xs)| Some((g.name.as_str(), (xs.first()? + xs.last()?) / 2.0)))
        .collect();
    draw_names_under(chart, screen, &names, 0.0)
}

/// Names centred under the x axis (at data y `base`) at data x, one row below the worker
/// counts; when neighbours would overlap, every other name goes one row lower.
pub fn draw_names_under<DB: Canvas>(
    chart: &Plot<DB>,
    screen: &DrawingArea<DB, Shift>,
    names: &[(&str, f64)],
    base: f64,
) -> DrawResult<()> {
    let name_style = text(TICK_PX + 1, INK, HPos::Center, VPos::Top);
    let mut placed: Vec<(i32, i32, &str)> = Vec::new();
    for &(name, x) in names {
        let (px, _) = chart.backend_coord(&(x, base));
        let (tw, _) = screen.estimate_text_size(name, &name_style)?;
        placed.push((px, tw as i32, name));
    }
    let stagger = placed
        .windows(2)
        .any(|w| w[1].0 - w[0].0 < (w[0].1 + w[1].1) / 2 + 10);
    let row = TICK_PX as i32 + 6;
    let (_, ay) = chart.backend_coord(&(0.0, base));
    for (i, (px, _, name)) in placed.iter().enumerate() {
        let y = ay + 8 + row + if stagger && i % 2 == 1 { row } else { 0 };
        screen.draw(&Text::new(name.to_string(), (*px, y), name_style.clone()))?;
    }
    Ok(())
}

/// Above everything drawn over the bar (whisker, ideal mark), where a reader looks for it.
fn draw_value_label<DB: Canvas>(
    screen: &DrawingArea<DB, Shift>,
    chart: &Plot<DB>,
    b: &Bar,
    xc: f64,
    bar_px: i32,
) -> DrawResult<()> {
    let style = text(NOTE_PX, INK, HPos::Center, VPos::Bottom);
    let (tw, _) = screen.estimate_text_size(&b.label, &style)?;
    // Bars sit one slot (BAR / 0.8 of the bar) apart: a wider label would run into its
    // neighbour's. Then the numbers are left to REPORT.md's table.
    let slot_px = (bar_px as f64 / BAR) as i32;
    if tw as i32 + 4 > slot_px {
        return Ok(());
    }
    let (x, y) = chart.backend_coord(&(xc, b.top()));
    screen.draw(&Text::new(b.label.clone(), (x, y - 5), style))?;
    Ok(())
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
pub fn nice_step(raw: f64) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}
