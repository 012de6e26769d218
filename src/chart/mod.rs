//! Charts of a run, drawn with plotters from the files of the run alone, each written as SVG and
//! PNG. One file per chart; this one holds the shared style (the embedded font, the colours)
//! and the one way every chart of concbench is drawn and written: a [`Chart`] is its frame
//! (title, subtitle, legend outside the data, footer) plus what it plots, rendered into a
//! [`Staged`] so that a failure never leaves a half-drawn chart looking finished and names the
//! final file (exit 1).

pub mod bars;
pub mod cpu_vs_wall;
pub mod data;
pub mod frame;
pub mod memory;
pub mod python_matrix;
pub mod speedup;
pub mod timeline;
pub mod timeline_blocks;
pub mod wall_time;

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use cpu_vs_wall::CpuVsWall;
use memory::Memory;
use python_matrix::{Matrix, PythonMatrix};
use speedup::Speedup;
use timeline::Timeline;
use wall_time::WallTime;

use crate::error::{Error, Result};
use crate::results::Staged;
pub use frame::{Frame, LegendEntry, Swatch, draw_frame, strategy_legend};

/// DejaVu Sans (licence in assets/DejaVuSans-LICENSE.txt): embedded so text renders on a
/// machine without system fonts (plotters' ab_glyph feature looks nothing up).
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The only family the charts use.
pub const FAMILY: &str = "sans-serif";

/// Errors inside drawing code (plotters' errors are generic over the backend).
pub type DrawResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// A backend every chart can draw on (SVG or PNG): one whose errors can be boxed.
pub trait Canvas: DrawingBackend<ErrorType: 'static> {}
impl<B: DrawingBackend<ErrorType: 'static>> Canvas for B {}

/// One chart: the words around it and what it plots in the area they leave.
pub trait Chart {
    fn frame(&self) -> Frame;
    fn plot<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()>;
}

/// One chart of the report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartSpec {
    /// File stem under charts/: NAME.svg and NAME.png.
    pub name: &'static str,
    pub title: &'static str,
    /// Size in pixels of the PNG (and of the SVG canvas).
    pub size: (u32, u32),
    /// What the reader should look for, for REPORT.md.
    pub caption: &'static str,
}

impl ChartSpec {
    pub const fn new(
        name: &'static str,
        title: &'static str,
        size: (u32, u32),
        caption: &'static str,
    ) -> Self {
        ChartSpec {
            name,
            title,
            size,
            caption,
        }
    }
}

/// A chart with linear axes, as most panels are.
pub type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Every chart, in report order.
pub const CHARTS: [ChartSpec; 5] = [
    wall_time::SPEC,
    speedup::SPEC,
    timeline::SPEC,
    cpu_vs_wall::SPEC,
    memory::SPEC,
];

/// A chart drawn only when the run has what it shows: its size and caption follow the data.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionalChart {
    pub name: &'static str,
    pub title: &'static str,
    pub caption: String,
}

/// The optional charts `data` gets, in report order (none in a run on one interpreter).
pub fn optional_charts(data: &crate::results::run_folder::RunData) -> Vec<OptionalChart> {
    Matrix::of(data)
        .map(|m| OptionalChart {
            name: python_matrix::SPEC.name,
            title: python_matrix::SPEC.title,
            caption: m.caption(),
        })
        .into_iter()
        .collect()
}

/// Remove an optional chart's files that this run does not draw (left by an earlier report of
/// the same folder, whose files then qualified): REPORT.md would not list them, and a stale
/// chart beside a fresh report reads as part of it.
pub fn remove_undrawn(data: &crate::results::run_folder::RunData, dir: &Path) -> Result<()> {
    if Matrix::of(data).is_some() {
        return Ok(());
    }
    for ext in ["svg", "png"] {
        let path = dir.join(format!("{}.{ext}", python_matrix::SPEC.name));
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::write(&path, e));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Register the embedded font once; every text style uses [`FAMILY`].
pub fn register_fonts() -> Result<()> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(Error::Measurement(
            "the embedded chart font cannot be read".into(),
        ))
    }
}

/// Stage every chart of a run as SVG and PNG in `dir`, in report order: the fixed ones, then
/// the [`optional_charts`] the run has.
pub fn stage_all(
    data: &crate::results::run_folder::RunData,
    dir: &Path,
    staged: &mut Staged,
) -> Result<()> {
    register_fonts()?;
    stage_svg_and_png(staged, dir, &wall_time::SPEC, &WallTime::new(data))?;
    stage_svg_and_png(staged, dir, &speedup::SPEC, &Speedup::new(data))?;
    stage_svg_and_png(staged, dir, &timeline::SPEC, &Timeline::new(data))?;
    stage_svg_and_png(staged, dir, &cpu_vs_wall::SPEC, &CpuVsWall::new(data))?;
    stage_svg_and_png(staged, dir, &memory::SPEC, &Memory::new(data))?;
    if let Some(m) = Matrix::of(data) {
        let spec = ChartSpec {
            size: m.size(),
            ..python_matrix::SPEC
        };
        stage_svg_and_png(staged, dir, &spec, &PythonMatrix::new(data, &m))?;
    }
    Ok(())
}

/// Stage DIR/NAME.svg and DIR/NAME.png of `chart`.
pub fn stage_svg_and_png(
    staged: &mut Staged,
    dir: &Path,
    spec: &ChartSpec,
    chart: &impl Chart,
) -> Result<()> {
    for ext in ["svg", "png"] {
        let dest = dir.join(format!("{}.{ext}", spec.name));
        stage_chart(staged, &dest, spec.size, chart)?;
    }
    Ok(())
}

/// Draw `chart` at `size` pixels into `dest`, SVG or PNG by its extension, staged under a
/// temporary name. A drawing error is a measurement error; a file that cannot be written is a
/// write error naming `dest`.
pub fn stage_chart(
    staged: &mut Staged,
    dest: &Path,
    size: (u32, u32),
    chart: &impl Chart,
) -> Result<()> {
    let failed = |e: Box<dyn std::error::Error>| {
        Error::Measurement(format!("drawing {}: {e}", dest.display()))
    };
    let is_svg = dest
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if is_svg {
        let svg = to_svg(chart, size).map_err(failed)?;
        return staged.bytes(dest, svg.as_bytes());
    }
    // The bitmap backend writes its file itself, on present(): that is the write to stage.
    let mut drawn = Ok(());
    staged.with(dest, |tmp| {
        let root = BitMapBackend::new(tmp, size).into_drawing_area();
        drawn = draw_chart(&root, chart);
        if drawn.is_ok() {
            root.present()
        } else {
            Ok(())
        }
    })?;
    drawn.map_err(failed)
}

/// `chart` drawn as an SVG document of `size` pixels.
pub fn to_svg(chart: &impl Chart, size: (u32, u32)) -> DrawResult<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw_chart(&root, chart)?;
        root.present()?;
    }
    Ok(svg)
}

fn draw_chart<DB: Canvas>(root: &DrawingArea<DB, Shift>, chart: &impl Chart) -> DrawResult<()> {
    let area = draw_frame(root, &chart.frame())?;
    chart.plot(&area)
}

// ---- style ----------------------------------------------------------------------------------

pub const TITLE_PX: u32 = 26;
pub const SUBTITLE_PX: u32 = 16;
pub const AXIS_PX: u32 = 17;
pub const TICK_PX: u32 = 14;
pub const NOTE_PX: u32 = 14;
pub const GREY: RGBColor = RGBColor(110, 110, 110);
pub const LIGHT: RGBColor = RGBColor(225, 225, 225);
pub const INK: RGBColor = RGBColor(30, 30, 30);
/// The machine's measured parallel ceiling (speedup chart).
pub const CEILING: RGBColor = RGBColor(200, 40, 40);

/// Okabe–Ito colours (distinguishable with colour-blindness), yellow left out: too pale on white.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(140, 86, 75),
    RGBColor(120, 120, 0),
];
/// Baselines are grey, so the eye goes to the strategies compared with them.
const BASELINE_GREYS: [RGBColor; 2] = [RGBColor(85, 85, 85), RGBColor(160, 160, 160)];

/// The colour of a strategy, the same in every chart: by its place in the run's strategy order.
pub fn strategy_color(order: &[String], name: &str) -> RGBColor {
    let baselines = order.iter().filter(|s| data::is_baseline(s));
    let others = order.iter().filter(|s| !data::is_baseline(s));
    if data::is_baseline(name) {
        let i = baselines.take_while(|s| *s != name).count();
        BASELINE_GREYS[i % BASELINE_GREYS.len()]
    } else {
        let i = others.take_while(|s| *s != name).count();
        PALETTE[i % PALETTE.len()]
    }
}

/// `c` mixed halfway with white: the same hue, lighter (the memory chart's sleep-bound bars).
pub fn lighter(c: RGBColor) -> RGBColor {
    let mix = |v: u8| v + (255 - v) / 2;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

pub fn text(px: u32, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle {
        font: (FAMILY, px as f64).into_font(),
        color: color.to_backend_color(),
        pos: Pos::new(h, v),
    }
}

/// A tick label with no float noise and no more decimals than the step needs.
pub fn tick(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 || step <= 0.0 {
        0
    } else {
        (-step.log10()).ceil() as usize
    };
    format!("{v:.decimals$}")
}
