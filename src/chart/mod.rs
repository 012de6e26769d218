//! Charts of a run, drawn with plotters from the files of the run alone, each written as SVG and
//! PNG. One file per chart; this one holds the shared style: the embedded font, the colours,
//! and the frame every chart sits in (title, subtitle, legend outside the data, footer).
//!
//! Charts are first written under temporary names and only renamed once every chart (and the
//! report) is complete, so a failure never leaves a half-drawn chart looking finished.

pub mod bars;
pub mod cpu_vs_wall;
pub mod data;
pub mod frame;
pub mod speedup;
pub mod timeline;
pub mod wall_time;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};
pub use data::RunData;
pub use frame::{Frame, LegendEntry, Swatch, draw_frame};

/// DejaVu Sans (licence in assets/DejaVuSans-LICENSE.txt): embedded so text renders on a
/// machine without system fonts (plotters' ab_glyph feature looks nothing up).
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The only family the charts use.
pub const FAMILY: &str = "sans-serif";

/// Errors inside drawing code (plotters' errors are generic over the backend).
pub type DrawResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

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

/// Every chart, in report order.
pub const CHARTS: [ChartSpec; 4] = [
    ChartSpec {
        name: "wall_time",
        title: "Wall time per strategy",
        size: (1200, 680),
        caption: "Median wall time of one trial for each strategy and worker count, one panel per variant (each with its own scale), whiskers over the spread of the repetitions.",
    },
    ChartSpec {
        name: "speedup",
        title: "Speedup over sequential",
        size: (1200, 680),
        caption: "Sequential median wall time divided by each strategy's; the dashed mark over each bar is the ideal (one per worker, capped by the jobs and, for CPU-bound work, by the cores).",
    },
    ChartSpec {
        name: "cpu_timeline",
        title: "CPU usage over time",
        size: (1400, 800),
        caption: "Per-core usage sampled during the run (each block covers one sampling interval), concbench's own CPU use, and every trial marked along the time axis.",
    },
    ChartSpec {
        name: "cpu_vs_wall",
        title: "CPU time against wall time",
        size: (1200, 760),
        caption: "One point per trial: CPU time used against wall time taken. The dashed lines are 1, 2, ... cores busy for the whole trial.",
    },
];

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

/// A chart's temporary file and where it goes once everything succeeded.
#[derive(Debug)]
pub struct Pending {
    pub tmp: PathBuf,
    pub dest: PathBuf,
}

/// Rename every pending file into place; on the first failure remove what is left.
pub fn commit(pending: Vec<Pending>) -> Result<()> {
    let mut iter = pending.into_iter();
    while let Some(p) = iter.next() {
        if let Err(e) = std::fs::rename(&p.tmp, &p.dest) {
            let _ = std::fs::remove_file(&p.tmp);
            discard(iter.collect());
            return Err(Error::write(&p.dest, e));
        }
    }
    Ok(())
}

/// Remove temporary files after a failure.
pub fn discard(pending: Vec<Pending>) {
    for p in pending {
        let _ = std::fs::remove_file(&p.tmp);
    }
}

/// Temporary name beside `dest`, keeping the extension (the PNG encoder picks the format by it).
pub fn temp_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let ext = dest
        .extension()
        .map_or_else(String::new, |e| e.to_string_lossy().into_owned());
    dest.with_file_name(format!(".{name}.partial.{ext}"))
}

/// Draw every chart into `charts_dir` under temporary names. On error nothing is left behind.
pub fn render_all(data: &RunData, charts_dir: &Path) -> Result<Vec<Pending>> {
    register_fonts()?;
    let mut pending = Vec::new();
    for spec in &CHARTS {
        if let Err(e) = render_one(spec, data, charts_dir, &mut pending) {
            discard(pending);
            return Err(e);
        }
    }
    Ok(pending)
}

fn render_one(
    spec: &ChartSpec,
    data: &RunData,
    dir: &Path,
    pending: &mut Vec<Pending>,
) -> Result<()> {
    let failed = |e: Box<dyn std::error::Error>| {
        Error::Measurement(format!("drawing chart {}: {e}", spec.name))
    };
    let svg_dest = dir.join(format!("{}.svg", spec.name));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, spec.size).into_drawing_area();
        draw(spec, &root, data).map_err(failed)?;
        root.present().map_err(|e| failed(e.into()))?;
    }
    let svg_tmp = temp_path(&svg_dest);
    pending.push(Pending {
        tmp: svg_tmp.clone(),
        dest: svg_dest,
    });
    std::fs::write(&svg_tmp, svg)
        .map_err(|e| Error::write(dir.join(format!("{}.svg", spec.name)), e))?;

    let png_dest = dir.join(format!("{}.png", spec.name));
    let png_tmp = temp_path(&png_dest);
    pending.push(Pending {
        tmp: png_tmp.clone(),
        dest: png_dest,
    });
    let root = BitMapBackend::new(&png_tmp, spec.size).into_drawing_area();
    draw(spec, &root, data).map_err(failed)?;
    // The bitmap is written to its file here: a failure is a write failure of that file.
    root.present().map_err(|e| {
        Error::write(
            dir.join(format!("{}.png", spec.name)),
            std::io::Error::other(e.to_string()),
        )
    })
}

fn draw<DB: DrawingBackend>(
    spec: &ChartSpec,
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    match spec.name {
        "wall_time" => wall_time::draw(root, data, spec),
        "speedup" => speedup::draw(root, data, spec),
        "cpu_timeline" => timeline::draw(root, data, spec),
        "cpu_vs_wall" => cpu_vs_wall::draw(root, data, spec),
        other => Err(format!("unknown chart {other}").into()),
    }
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
