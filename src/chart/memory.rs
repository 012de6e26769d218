//! Chart 5: memory per strategy. Left, the peak memory of a trial (concbench and every process
//! it started, above the baseline just before it; median over repetitions); right, that peak
//! divided by the workers. Groups are strategies, clusters inside a group are worker counts,
//! and inside a cluster the sleep-bound bar (lighter, outlined) stands beside the CPU-bound one
//! (solid), both in the strategy's colour. A run from before concbench measured memory still
//! gets the chart, saying so in its plot area.
//!
//! The y axis is linear in the binary unit that suits the panel's largest bar, or logarithmic
//! (base 2, ticks at powers of two) when the panel's bars span more than 100×: a default run
//! has threads that add a few KiB beside processes that add MiB.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, VPos};

use super::bars::draw_names_under;
use super::frame::side_by_side;
use super::wall_time::reps_text;
use super::{
    AXIS_PX, Canvas, Chart, ChartSpec, DrawResult, FAMILY, Frame, GREY, INK, LIGHT, LegendEntry,
    NOTE_PX, Plot, Swatch, TICK_PX, lighter, strategy_color, text,
};
use crate::console::format_bytes;
use crate::records::SummaryRow;
use crate::results::run_folder::RunData;
use crate::workload::Variant;

mod scale;
use scale::Scale;

/// For REPORT.md: what the figure is.
const CAPTION: &str = "Peak memory of concbench and every process it started during one trial, above what was there just before it (median over the repetitions; left), and that peak divided by the workers (right); lighter, outlined bars are sleep-bound trials, solid ones CPU-bound (how it is measured: docs/methodology.md, section Memory).";
pub const SPEC: ChartSpec = ChartSpec::new("memory", "Memory per strategy", (1200, 680), CAPTION);

/// The message in the plot area of a run without memory figures.
pub const NOT_MEASURED: &str = "memory not measured in this run";

/// One configuration's bytes, in its strategy's colour.
struct MemBar {
    bytes: u64,
    color: RGBColor,
    variant: Variant,
}

/// The bars of one worker count, one per variant that has a figure.
struct Cluster {
    workers: usize,
    bars: Vec<MemBar>,
}

struct Group {
    name: String,
    clusters: Vec<Cluster>,
}

struct Panel {
    caption: &'static str,
    /// What the y axis shows, before its unit.
    what: &'static str,
    groups: Vec<Group>,
}

impl Panel {
    fn bytes(&self) -> impl Iterator<Item = u64> + Clone + '_ {
        self.groups
            .iter()
            .flat_map(|g| &g.clusters)
            .flat_map(|c| &c.bars)
            .map(|b| b.bytes)
    }
}

pub struct Memory<'a> {
    data: &'a RunData,
    order: Vec<String>,
}

impl<'a> Memory<'a> {
    pub fn new(data: &'a RunData) -> Self {
        Memory {
            data,
            order: data.strategies(),
        }
    }

    /// Whether any configuration of the run has a memory figure.
    pub fn measured(&self) -> bool {
        self.data.summary.iter().any(|r| r.mem_peak_bytes.is_some())
    }

    fn panels(&self) -> [Panel; 2] {
        [
            Panel {
                caption: "peak memory of a trial",
                what: "peak above baseline",
                groups: self.groups(|r| r.mem_peak_bytes),
            },
            Panel {
                caption: "memory per worker (peak ÷ workers)",
                what: "per worker",
                groups: self.groups(|r| r.mem_per_worker_bytes),
            },
        ]
    }

    /// Strategies in display order, each with its worker counts ascending, each with a bar
    /// per variant (in the run's order) that has a figure.
    fn groups(&self, value: fn(&SummaryRow) -> Option<u64>) -> Vec<Group> {
        let variants = self.data.variants();
        let mut groups = Vec::new();
        for s in &self.order {
            let rows: Vec<&SummaryRow> = self
                .data
                .summary
                .iter()
                .filter(|r| &r.strategy == s)
                .collect();
            let mut workers: Vec<usize> = rows.iter().map(|r| r.workers).collect();
            workers.sort_unstable();
            workers.dedup();
            let color = strategy_color(&self.order, s);
            let clusters: Vec<Cluster> = workers
                .into_iter()
                .filter_map(|w| {
                    let bars: Vec<MemBar> = variants
                        .iter()
                        .filter_map(|&variant| {
                            let r = rows
                                .iter()
                                .find(|r| r.workers == w && r.variant == variant)?;
                            let bytes = value(r)?;
                            Some(MemBar {
                                bytes,
                                color,
                                variant,
                            })
                        })
                        .collect();
                    (!bars.is_empty()).then_some(Cluster { workers: w, bars })
                })
                .collect();
            if !clusters.is_empty() {
                groups.push(Group {
                    name: s.clone(),
                    clusters,
                });
            }
        }
        groups
    }

    fn legend(&self) -> Vec<LegendEntry> {
        if !self.measured() {
            return Vec::new();
        }
        let has = |v: Variant| {
            self.data
                .summary
                .iter()
                .any(|r| r.variant == v && r.mem_peak_bytes.is_some())
        };
        let mut legend = Vec::new();
        if has(Variant::Sleep) {
            legend.push(LegendEntry::new(
                Swatch::LightBox(GREY),
                "sleep-bound: light, outlined",
            ));
        }
        if has(Variant::Cpu) {
            legend.push(LegendEntry::new(Swatch::Box(GREY), "CPU-bound: solid"));
        }
        let zero = |b: Option<u64>| b == Some(0);
        if self
            .data
            .summary
            .iter()
            .any(|r| zero(r.mem_peak_bytes) || zero(r.mem_per_worker_bytes))
        {
            legend.push(LegendEntry::new(
                Swatch::Line(GREY),
                "line on the axis: 0 B, nothing above the baseline",
            ));
        }
        legend
    }

    fn subtitle(&self) -> String {
        if !self.measured() {
            return "no row of summary.csv has mem_peak_bytes: the run was made before concbench measured memory".into();
        }
        let mut s = format!(
            "concbench and every process it started, above the baseline just before each trial; median over {}; colour = strategy; lower is better",
            reps_text(self.data)
        );
        let missing: Vec<&str> = self
            .order
            .iter()
            .filter(|st| {
                self.data
                    .summary
                    .iter()
                    .any(|r| &&r.strategy == st && r.mem_peak_bytes.is_none())
            })
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            s.push_str(&format!("; not measured: {}", missing.join(", ")));
        }
        s
    }
}

impl Chart for Memory<'_> {
    fn frame(&self) -> Frame {
        Frame {
            title: SPEC.title.into(),
            subtitle: self.subtitle(),
            legend: self.legend(),
            footer: self.data.footer(),
        }
    }

    fn plot<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
        if !self.measured() {
            return draw_not_measured(area);
        }
        side_by_side(area, &self.panels(), draw_panel)
    }
}

/// The plot area of a run without memory figures: the message, centred in a light box.
fn draw_not_measured<DB: Canvas>(area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    area.draw(&Rectangle::new(
        [(40, 20), (w - 40, h - 20)],
        LIGHT.stroke_width(2),
    ))?;
    area.draw(&Text::new(
        NOT_MEASURED,
        (w / 2, h / 2 - 16),
        text(AXIS_PX + 5, INK, HPos::Center, VPos::Center),
    ))?;
    area.draw(&Text::new(
        "its files were written before concbench measured memory per trial; run it again to measure it",
        (w / 2, h / 2 + 18),
        text(NOTE_PX + 1, GREY, HPos::Center, VPos::Center),
    ))?;
    Ok(())
}

const BAR: f64 = 0.8;
const CLUSTER_GAP: f64 = 0.35;
const GROUP_GAP: f64 = 0.9;

/// Centre x of every bar, by group and cluster, and the right end of the axis.
fn layout(groups: &[Group]) -> (Vec<Vec<Vec<f64>>>, f64) {
    let mut x = GROUP_GAP / 2.0;
    let mut out = Vec::new();
    for g in groups {
        let mut clusters = Vec::new();
        for (i, c) in g.clusters.iter().enumerate() {
            if i > 0 {
                x += CLUSTER_GAP;
            }
            let mut centres = Vec::new();
            for _ in &c.bars {
                centres.push(x + 0.5);
                x += 1.0;
            }
            clusters.push(centres);
        }
        out.push(clusters);
        x += GROUP_GAP;
    }
    (out, (x - GROUP_GAP / 2.0).max(1.0))
}

/// Pixels around a panel's plot: margins, caption and tick labels.
const MARGIN: u32 = 12;
const MARGIN_RIGHT: u32 = 20;
const Y_LABELS_PX: u32 = 80;
const X_LABELS_PX: u32 = 3 * (TICK_PX + 6) + 14;
const CAPTION_PX: u32 = AXIS_PX + 1;

fn draw_panel<DB: Canvas>(area: &DrawingArea<DB, Shift>, p: &Panel) -> DrawResult<()> {
    let (centres, x_end) = layout(&p.groups);
    let scale = Scale::for_bytes(p.bytes());
    let (w, h) = area.dim_in_pixel();
    let plot_w = w.saturating_sub(MARGIN + MARGIN_RIGHT + Y_LABELS_PX) as f64;
    // A figure is written upwards over its bar where a bar's slot is wider than a line of text.
    let labels = plot_w / x_end >= (NOTE_PX + 4) as f64;
    let plot_h = h.saturating_sub(2 * MARGIN + X_LABELS_PX + CAPTION_PX * 2) as i32;
    let room = if labels { 80 } else { 12 };
    let top = scale.top(p.bytes().max().unwrap_or(0), plot_h, room);
    let mut chart = panel_axes(area, p, scale, x_end, top)?;
    let screen = area.use_screen_coord();
    let base = scale.base();
    let (ax, ay) = chart.backend_coord(&(0.0, base));
    let row_style = text(TICK_PX, GREY, HPos::Right, VPos::Top);
    screen.draw(&Text::new("workers", (ax - 8, ay + 6), row_style))?;
    let workers_style = text(TICK_PX, GREY, HPos::Center, VPos::Top);
    let mut names = Vec::new();
    for (g, clusters) in p.groups.iter().zip(&centres) {
        for (c, xs) in g.clusters.iter().zip(clusters) {
            for (b, &xc) in c.bars.iter().zip(xs) {
                draw_bar(&mut chart, &screen, scale, b, xc, labels)?;
            }
            let mid = (xs[0] + xs[xs.len() - 1]) / 2.0;
            let (px, py) = chart.backend_coord(&(mid, base));
            let label = Text::new(c.workers.to_string(), (px, py + 6), workers_style.clone());
            screen.draw(&label)?;
        }
        let first = clusters.first().and_then(|c| c.first());
        let last = clusters.last().and_then(|c| c.last());
        if let (Some(first), Some(last)) = (first, last) {
            names.push((g.name.as_str(), (first + last) / 2.0));
        }
    }
    draw_names_under(&chart, &screen, &names, base)
}

/// The panel's axes: its own scale, with room above the bars for their labels.
fn panel_axes<'a, DB: Canvas>(
    area: &'a DrawingArea<DB, Shift>,
    p: &Panel,
    scale: Scale,
    x_end: f64,
    top: f64,
) -> DrawResult<Plot<'a, DB>> {
    let base = scale.base();
    let mut chart = ChartBuilder::on(area)
        .caption(p.caption, (FAMILY, CAPTION_PX))
        .margin(MARGIN)
        .margin_right(MARGIN_RIGHT)
        .x_label_area_size(X_LABELS_PX)
        .y_label_area_size(Y_LABELS_PX)
        .build_cartesian_2d(0.0..x_end, base..top)?;
    let step = scale.step(top);
    let tick_of = |v: &f64| scale.tick(*v, step);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(((top - base) / step).ceil() as usize + 1)
        .y_label_formatter(&tick_of)
        .y_desc(scale.desc(p.what))
        .axis_desc_style((FAMILY, AXIS_PX))
        .y_label_style((FAMILY, TICK_PX))
        .bold_line_style(LIGHT)
        .light_line_style(WHITE)
        .draw()?;
    Ok(chart)
}

/// One bar centred on `xc`, with its figure above it, written upwards, where it fits.
fn draw_bar<DB: Canvas>(
    chart: &mut Plot<DB>,
    screen: &DrawingArea<DB, Shift>,
    scale: Scale,
    b: &MemBar,
    xc: f64,
    label: bool,
) -> DrawResult<()> {
    let (x0, x1) = (xc - BAR / 2.0, xc + BAR / 2.0);
    let corners = [(x0, scale.base()), (x1, scale.y(b.bytes))];
    if scale.y(b.bytes) <= scale.base() {
        // Nothing to fill: a line on the axis says the slot is 0, not missing.
        let (l, r) = (
            chart.backend_coord(&(x0, 0.0)).0,
            chart.backend_coord(&(x1, 0.0)).0,
        );
        let (_, y) = chart.backend_coord(&(xc, scale.base()));
        screen.draw(&PathElement::new(
            vec![(l, y - 2), (r, y - 2)],
            b.color.stroke_width(3),
        ))?;
    } else if b.variant == Variant::Sleep {
        chart.draw_series([Rectangle::new(corners, lighter(b.color).filled())])?;
        chart.draw_series([Rectangle::new(corners, b.color.stroke_width(2))])?;
    } else {
        chart.draw_series([Rectangle::new(corners, b.color.filled())])?;
    }
    if !label {
        // No room for the figure: it is in the summary table.
        return Ok(());
    }
    let (px, py) = chart.backend_coord(&(xc, scale.y(b.bytes)));
    let style = text(NOTE_PX, INK, HPos::Left, VPos::Center).transform(FontTransform::Rotate270);
    screen.draw(&Text::new(format_bytes(b.bytes), (px, py - 5), style))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_of_a_group_sit_closer_than_groups() {
        let bar = |variant| MemBar {
            bytes: 1,
            color: INK,
            variant,
        };
        let cluster = |workers| Cluster {
            workers,
            bars: vec![bar(Variant::Sleep), bar(Variant::Cpu)],
        };
        let groups = [
            Group {
                name: "a".into(),
                clusters: vec![cluster(1), cluster(2)],
            },
            Group {
                name: "b".into(),
                clusters: vec![cluster(1)],
            },
        ];
        let (x, end) = layout(&groups);
        let within = x[0][1][0] - x[0][0][1];
        let between = x[1][0][0] - x[0][1][1];
        assert!(within > 1.0 && within < between, "{x:?}");
        assert!(end > x[1][0][1]);
    }
}
