//! `compare --chart FILE.png|svg`: one line per configuration, the change of its median wall
//! time as a dot with its 95 % CI as a horizontal whisker, around 0, over the shaded ±threshold
//! band, coloured by verdict; the geometric mean last. Drawn and written like the report charts
//! (same frame and font, whole or not at all).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::Comparison;
use super::rows::Verdict;
use crate::chart::bars::nice_step;
use crate::chart::wall_time::trim;
use crate::chart::{
    AXIS_PX, Canvas, Chart, DrawResult, FAMILY, Frame, GREY, INK, LIGHT, LegendEntry, NOTE_PX,
    Plot, Swatch, TICK_PX, register_fonts, stage_chart, text, tick,
};
use crate::error::{Error, Result};
use crate::results::Staged;

const WIDTH: u32 = 1100;
const ROW_PX: u32 = 26;
/// Okabe–Ito bluish green and vermillion, as in the report charts' palette.
const FASTER: RGBColor = RGBColor(0, 158, 115);
const SLOWER: RGBColor = RGBColor(213, 94, 0);
const BAND: RGBColor = RGBColor(232, 236, 242);

fn color(v: Verdict) -> RGBColor {
    match v {
        Verdict::Faster => FASTER,
        Verdict::Slower => SLOWER,
        Verdict::Same => GREY,
    }
}

/// The chart's format comes from its extension: refuse anything else before any work is done.
pub fn check_path(path: &Path) -> Result<()> {
    match extension(path).as_deref() {
        Some("png" | "svg") => Ok(()),
        _ => Err(Error::Usage(format!(
            "--chart {}: the file must end in .png or .svg",
            path.display()
        ))),
    }
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

/// Height in pixels: a fixed frame plus one line per row (and the geomean).
pub fn size(c: &Comparison) -> (u32, u32) {
    let lines = c.rows.len() + usize::from(c.geomean.is_some());
    (WIDTH, (230 + ROW_PX * lines as u32).max(360))
}

/// Draw the chart into `path` (PNG or SVG by its extension), whole or not at all: a file that
/// cannot be written is one write error naming `path`.
pub fn write(c: &Comparison, path: &Path) -> Result<()> {
    check_path(path)?;
    register_fonts()?;
    let mut staged = Staged::default();
    stage_chart(&mut staged, path, size(c), &ChangeChart { c })?;
    staged.commit()
}

/// One line of the chart.
struct Line {
    label: String,
    change: f64,
    ci: Option<(f64, f64)>,
    color: RGBColor,
}

fn lines(c: &Comparison) -> Vec<Line> {
    let mut out: Vec<Line> = c
        .rows
        .iter()
        .map(|r| Line {
            label: format!("{} · {} · {}", r.key.variant, r.key.strategy, r.key.workers),
            change: r.change_pct,
            ci: r.change_ci_low_pct.zip(r.change_ci_high_pct),
            color: color(r.verdict),
        })
        .collect();
    if let Some(g) = &c.geomean {
        out.push(Line {
            label: "geomean".into(),
            change: g.change_pct,
            ci: None,
            color: INK,
        });
    }
    out
}

struct ChangeChart<'a> {
    c: &'a Comparison,
}

impl ChangeChart<'_> {
    /// The change axis around 0 (room on the right for the value labels) with the ±threshold
    /// band and the 0 line; the labels' column on the left as wide as the longest label.
    fn axes<'b, DB: Canvas>(
        &self,
        area: &'b DrawingArea<DB, Shift>,
        lines: &[Line],
    ) -> DrawResult<Plot<'b, DB>> {
        let t = self.c.settings.threshold_pct;
        let n = lines.len().max(1) as f64;
        let values = lines.iter().flat_map(|l| {
            [
                l.change,
                l.ci.map_or(l.change, |x| x.0),
                l.ci.map_or(l.change, |x| x.1),
            ]
        });
        let lo = values.clone().fold(-t, f64::min).min(-1.0);
        let hi = values.fold(t, f64::max).max(1.0);
        let (x0, x1) = (lo - 0.08 * (hi - lo), hi + 0.22 * (hi - lo));
        let label_px = lines
            .iter()
            .map(|l| {
                area.estimate_text_size(&l.label, &label_style())
                    .map(|s| s.0)
            })
            .collect::<std::result::Result<Vec<u32>, _>>()?
            .into_iter()
            .max()
            .unwrap_or(0);
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(AXIS_PX * 3 + 10)
            .y_label_area_size(label_px + 20)
            .build_cartesian_2d(x0..x1, 0.0..n)?;
        let step = nice_step((x1 - x0) / 10.0);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(((x1 - x0) / step).ceil() as usize + 1)
            .x_label_formatter(&|v| format!("{}%", tick(*v, step)))
            .x_desc("change in median wall time, new vs base (%; negative is faster)")
            .axis_desc_style((FAMILY, AXIS_PX))
            .x_label_style((FAMILY, TICK_PX))
            .bold_line_style(LIGHT)
            .light_line_style(WHITE)
            .draw()?;
        if t > 0.0 {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(-t, 0.0), (t, n)],
                BAND.filled(),
            )))?;
        }
        chart.draw_series(LineSeries::new(
            [(0.0, 0.0), (0.0, n)],
            GREY.stroke_width(2),
        ))?;
        Ok(chart)
    }
}

fn label_style() -> TextStyle<'static> {
    text(TICK_PX + 1, INK, HPos::Right, VPos::Center)
}

/// One line of the chart at height `y`: its CI whisker, its dot, its label left of the axis and
/// its value right of everything drawn.
fn draw_line<DB: Canvas>(
    chart: &mut Plot<DB>,
    screen: &DrawingArea<DB, Shift>,
    l: &Line,
    y: f64,
) -> DrawResult<()> {
    let st = l.color.stroke_width(2);
    if let Some((a, b)) = l.ci {
        let cap = 0.22;
        chart.draw_series([
            PathElement::new(vec![(a, y), (b, y)], st),
            PathElement::new(vec![(a, y - cap), (a, y + cap)], st),
            PathElement::new(vec![(b, y - cap), (b, y + cap)], st),
        ])?;
    }
    chart.draw_series(std::iter::once(Circle::new(
        (l.change, y),
        5,
        l.color.filled(),
    )))?;
    let (ax, py) = chart.backend_coord(&(chart.x_range().start, y));
    screen.draw(&Text::new(l.label.clone(), (ax - 10, py), label_style()))?;
    let right = l.ci.map_or(l.change, |x| x.1.max(l.change));
    let (px, _) = chart.backend_coord(&(right, y));
    let value_style = text(NOTE_PX, INK, HPos::Left, VPos::Center);
    screen.draw(&Text::new(
        format!("{:+.1}%", l.change),
        (px + 10, py),
        value_style,
    ))?;
    Ok(())
}

impl Chart for ChangeChart<'_> {
    fn frame(&self) -> Frame {
        let c = self.c;
        let t = c.settings.threshold_pct;
        Frame {
            title: "Change in wall time".into(),
            subtitle: format!(
                "{} → {}: new median ÷ base median − 1; faster/slower when Mann–Whitney p < {} and the CI lies beyond ±{}%",
                short_dir(&c.base.dir),
                short_dir(&c.new.dir),
                c.settings.alpha,
                trim(t)
            ),
            legend: vec![
                LegendEntry::new(Swatch::Dot(FASTER), "faster"),
                LegendEntry::new(Swatch::Dot(SLOWER), "slower"),
                LegendEntry::new(Swatch::Dot(GREY), "~ (no clear change)"),
                LegendEntry::new(Swatch::Line(INK), "95% CI (bootstrap)"),
                LegendEntry::new(Swatch::Box(BAND), format!("±{}% threshold", trim(t))),
            ],
            footer: format!(
                "base: {} · new: {} · concbench compare",
                c.base.machine.short(),
                c.new.machine.short()
            ),
        }
    }

    fn plot<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
        let lines = lines(self.c);
        let mut chart = self.axes(area, &lines)?;
        let screen = area.use_screen_coord();
        let n = lines.len().max(1) as f64;
        for (i, l) in lines.iter().enumerate() {
            draw_line(&mut chart, &screen, l, n - i as f64 - 0.5)?;
        }
        Ok(())
    }
}

/// The last component of a folder, for the subtitle.
fn short_dir(dir: &str) -> String {
    Path::new(dir)
        .file_name()
        .map_or_else(|| dir.to_string(), |n| n.to_string_lossy().into_owned())
}
