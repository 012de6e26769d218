//! The frame every chart sits in: title, subtitle, a legend laid out above the plot (so it
//! can never hide data) and a footer naming the machine and the run.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::Ranged;

use super::{
    AXIS_PX, Canvas, DrawResult, FAMILY, GREY, INK, LIGHT, NOTE_PX, SUBTITLE_PX, TICK_PX, TITLE_PX,
    lighter, strategy_color, text,
};

/// What a legend entry shows before its label.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    Box(RGBColor),
    /// A lighter box outlined in the colour (the memory chart's sleep-bound bars).
    LightBox(RGBColor),
    Line(RGBColor),
    Dashed(RGBColor),
    Whisker(RGBColor),
    Dot(RGBColor),
    Ring(RGBColor),
    Triangle(RGBColor),
}

#[derive(Debug, Clone)]
pub struct LegendEntry {
    pub swatch: Swatch,
    pub label: String,
}

impl LegendEntry {
    pub fn new(swatch: Swatch, label: impl Into<String>) -> Self {
        LegendEntry {
            swatch,
            label: label.into(),
        }
    }
}

/// The words around a chart.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    pub title: String,
    pub subtitle: String,
    pub legend: Vec<LegendEntry>,
    pub footer: String,
}

/// The house style of a mesh: descriptions and labels in the chart font, a light grid.
pub fn house_mesh<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.axis_desc_style((FAMILY, AXIS_PX))
        .label_style((FAMILY, TICK_PX))
        .bold_line_style(LIGHT)
        .light_line_style(WHITE)
}

/// One legend entry per strategy, a box in its colour.
pub fn strategy_legend<S: AsRef<str>>(order: &[String], shown: &[S]) -> Vec<LegendEntry> {
    shown
        .iter()
        .map(|s| {
            let s = s.as_ref();
            LegendEntry::new(Swatch::Box(strategy_color(order, s)), s)
        })
        .collect()
}

/// The cells of `area` side by side, one per item, each drawn by `draw`.
pub fn side_by_side<DB: Canvas, T>(
    area: &DrawingArea<DB, Shift>,
    items: &[T],
    mut draw: impl FnMut(&DrawingArea<DB, Shift>, &T) -> DrawResult<()>,
) -> DrawResult<()> {
    if items.is_empty() {
        return Ok(());
    }
    for (item, cell) in items.iter().zip(area.split_evenly((1, items.len())).iter()) {
        draw(cell, item)?;
    }
    Ok(())
}

/// A whisker from `lo` to `hi` at `x` with caps `cap` wide each side, in data coordinates.
pub fn vertical_whisker(
    x: f64,
    lo: f64,
    hi: f64,
    cap: f64,
    st: ShapeStyle,
) -> [PathElement<(f64, f64)>; 3] {
    [
        PathElement::new(vec![(x, lo), (x, hi)], st),
        PathElement::new(vec![(x - cap, lo), (x + cap, lo)], st),
        PathElement::new(vec![(x - cap, hi), (x + cap, hi)], st),
    ]
}

const SWATCH_W: i32 = 26;
const LEGEND_ROW: i32 = 24;

/// Fill the background, write the title, subtitle, legend (above the data, so it can hide
/// none) and footer, and return the area left for the plot.
pub fn draw_frame<DB: Canvas>(
    root: &DrawingArea<DB, Shift>,
    f: &Frame,
) -> DrawResult<DrawingArea<DB, Shift>> {
    root.fill(&WHITE)?;
    let (w, h) = root.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    root.draw_text(
        &f.title,
        &text(TITLE_PX, INK, HPos::Center, VPos::Top),
        (w / 2, 10),
    )?;
    let mut y = 10 + TITLE_PX as i32 + 8;
    if !f.subtitle.is_empty() {
        root.draw_text(
            &f.subtitle,
            &text(SUBTITLE_PX, GREY, HPos::Center, VPos::Top),
            (w / 2, y),
        )?;
        y += SUBTITLE_PX as i32 + 10;
    }
    y += draw_legend(root, &f.legend, y, w)?;
    let footer_h = NOTE_PX as i32 + 16;
    root.draw(&PathElement::new(
        vec![(10, h - footer_h), (w - 10, h - footer_h)],
        LIGHT,
    ))?;
    root.draw_text(
        &f.footer,
        &text(NOTE_PX, GREY, HPos::Left, VPos::Center),
        (12, h - footer_h / 2),
    )?;
    let area = root
        .clone()
        .shrink((0, y + 4), (w, (h - footer_h - y - 4).max(1)));
    Ok(area)
}

/// Legend entries laid out left to right, centred, wrapping onto more rows. Returns its height.
fn draw_legend<DB: Canvas>(
    root: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    top: i32,
    width: i32,
) -> DrawResult<i32> {
    if entries.is_empty() {
        return Ok(0);
    }
    let style = text(NOTE_PX + 1, INK, HPos::Left, VPos::Center);
    let widths: Vec<i32> = entries
        .iter()
        .map(|e| {
            root.estimate_text_size(&e.label, &style)
                .map(|(tw, _)| SWATCH_W + 6 + tw as i32 + 22)
        })
        .collect::<std::result::Result<_, _>>()?;
    // Greedy rows, then each row centred.
    let mut rows: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0;
    for (i, &ew) in widths.iter().enumerate() {
        if used + ew > width - 40 && !rows.last().is_some_and(|r| r.is_empty()) {
            rows.push(Vec::new());
            used = 0;
        }
        used += ew;
        if let Some(r) = rows.last_mut() {
            r.push(i);
        }
    }
    for (ri, row) in rows.iter().enumerate() {
        let row_w: i32 = row.iter().map(|&i| widths[i]).sum();
        let mut x = (width - row_w) / 2;
        let y = top + ri as i32 * LEGEND_ROW + LEGEND_ROW / 2;
        for &i in row {
            draw_swatch(root, entries[i].swatch, x, y)?;
            root.draw_text(&entries[i].label, &style, (x + SWATCH_W + 6, y))?;
            x += widths[i];
        }
    }
    Ok(rows.len() as i32 * LEGEND_ROW + 6)
}

fn draw_swatch<DB: Canvas>(
    root: &DrawingArea<DB, Shift>,
    s: Swatch,
    x: i32,
    y: i32,
) -> DrawResult<()> {
    let mid = x + SWATCH_W / 2;
    match s {
        Swatch::Box(c) => root.draw(&Rectangle::new(
            [(x + 3, y - 7), (x + SWATCH_W - 3, y + 7)],
            c.filled(),
        ))?,
        Swatch::LightBox(c) => {
            let corners = [(x + 3, y - 7), (x + SWATCH_W - 3, y + 7)];
            root.draw(&Rectangle::new(corners, lighter(c).filled()))?;
            root.draw(&Rectangle::new(corners, c.stroke_width(2)))?;
        }
        Swatch::Line(c) => root.draw(&PathElement::new(
            vec![(x, y), (x + SWATCH_W, y)],
            c.stroke_width(2),
        ))?,
        Swatch::Dashed(c) => {
            for k in 0..3 {
                let x0 = x + k * 10;
                root.draw(&PathElement::new(
                    vec![(x0, y), (x0 + 6, y)],
                    c.stroke_width(2),
                ))?;
            }
        }
        Swatch::Whisker(c) => {
            let st = c.stroke_width(2);
            root.draw(&PathElement::new(vec![(mid, y - 9), (mid, y + 9)], st))?;
            root.draw(&PathElement::new(
                vec![(mid - 6, y - 9), (mid + 6, y - 9)],
                st,
            ))?;
            root.draw(&PathElement::new(
                vec![(mid - 6, y + 9), (mid + 6, y + 9)],
                st,
            ))?;
        }
        Swatch::Dot(c) => root.draw(&Circle::new((mid, y), 5, c.filled()))?,
        Swatch::Ring(c) => root.draw(&Circle::new((mid, y), 5, c.stroke_width(2)))?,
        Swatch::Triangle(c) => root.draw(&TriangleMarker::new((mid, y), 7, c.filled()))?,
    }
    Ok(())
}
