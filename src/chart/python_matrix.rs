//! Optional chart: the CPython strategies across interpreters. Rows are the run's interpreters
//! (meta.json's `pythons`, in order), columns the py-* strategies measured on CPU-bound work
//! other than py-sequential (registry order), each cell that label's speedup over the same
//! interpreter's py-sequential with its 95 % interval, filled by the verdict of the claim that
//! judges it. Drawn only for a folder with two interpreters or more and at least one such
//! figure: a run on one interpreter has no use for it. REPORT.md shows the same matrix as a
//! table (report::python_matrix).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    Canvas, Chart, ChartSpec, DrawResult, Frame, GREY, INK, LIGHT, LegendEntry, NOTE_PX, Swatch,
    lighter, text,
};
use crate::results::run_folder::RunData;

mod matrix;
pub use matrix::{Cell, Judged, Judgement, Matrix, Row, about, judged, tag_of, untagged};

/// Size and caption follow the data ([`Matrix::size`], [`Matrix::caption`]).
pub const SPEC: ChartSpec = ChartSpec::new(
    "python_matrix",
    "Python across interpreters",
    (900, 400),
    "",
);

/// Grid geometry in pixels: fixed cells, so text stays legible, and an image sized by the grid.
const ROW_HEAD_W: i32 = 290;
const COL_HEAD_H: i32 = 44;
const CELL_W: i32 = 210;
const CELL_H: i32 = 72;
const MARGIN: i32 = 24;
/// Title, subtitle, two legend rows and the footer (chart::frame).
const FRAME_H: i32 = 150;

/// Okabe–Ito hues mixed with white, so a cell's black text stays readable.
fn fill(j: Judgement) -> RGBColor {
    lighter(match j {
        Judgement::Holds => RGBColor(0, 158, 115),
        Judgement::DoesNotHold => RGBColor(213, 94, 0),
        Judgement::Inconclusive => RGBColor(230, 159, 0),
        Judgement::NoVerdict => RGBColor(86, 180, 233),
    })
}

impl Matrix {
    /// Pixels: a fixed cell size, so 10 rows by 7 columns stays as legible as 2 by 1.
    pub fn size(&self) -> (u32, u32) {
        let w = 2 * MARGIN + ROW_HEAD_W + self.columns.len() as i32 * CELL_W;
        let h = FRAME_H + COL_HEAD_H + self.rows.len() as i32 * CELL_H + MARGIN;
        (w.max(900) as u32, h as u32)
    }
}

pub struct PythonMatrix<'a> {
    data: &'a RunData,
    matrix: &'a Matrix,
}

impl<'a> PythonMatrix<'a> {
    pub fn new(data: &'a RunData, matrix: &'a Matrix) -> Self {
        PythonMatrix { data, matrix }
    }
}

impl Chart for PythonMatrix<'_> {
    fn frame(&self) -> Frame {
        let m = self.matrix;
        let mut legend: Vec<LegendEntry> = Judgement::ALL
            .iter()
            .map(|j| LegendEntry::new(Swatch::Box(fill(*j)), j.words()))
            .collect();
        legend.push(LegendEntry::new(Swatch::Box(LIGHT), "not measured"));
        Frame {
            title: SPEC.title.into(),
            subtitle: format!(
                "speedup over each interpreter's py-sequential [95 % CI], CPU-bound, {} workers ({})",
                m.workers, m.workers_short
            ),
            legend,
            footer: self.data.footer(),
        }
    }

    fn plot<DB: Canvas>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<()> {
        let m = self.matrix;
        let (w, _) = area.dim_in_pixel();
        let grid_w = ROW_HEAD_W + m.columns.len() as i32 * CELL_W;
        let x0 = ((w as i32 - grid_w) / 2).max(MARGIN) + ROW_HEAD_W;
        for (ci, c) in m.columns.iter().enumerate() {
            let x = x0 + ci as i32 * CELL_W + CELL_W / 2;
            let st = text(15, INK, HPos::Center, VPos::Center);
            area.draw_text(c, &st, (x, COL_HEAD_H / 2))?;
        }
        for (ri, row) in m.rows.iter().enumerate() {
            let y = COL_HEAD_H + ri as i32 * CELL_H;
            // The version in words under the tag, unless the tag is the version.
            let about = row.about != row.name();
            let head = text(16, INK, HPos::Right, VPos::Center);
            let lift = if about { 9 } else { 0 };
            area.draw_text(row.name(), &head, (x0 - 12, y + CELL_H / 2 - lift))?;
            if about {
                let small = text(NOTE_PX, GREY, HPos::Right, VPos::Center);
                area.draw_text(&row.about, &small, (x0 - 12, y + CELL_H / 2 + 11))?;
            }
            for (ci, cell) in row.cells.iter().enumerate() {
                let x = x0 + ci as i32 * CELL_W;
                draw_cell(area, (x, y), cell.as_ref())?;
            }
        }
        Ok(())
    }
}

/// One cell with its top-left corner at `at`: the speedup, its interval, the verdict.
fn draw_cell<DB: Canvas>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    cell: Option<&Cell>,
) -> DrawResult<()> {
    let (x, y) = at;
    let corners = [(x + 2, y + 2), (x + CELL_W - 2, y + CELL_H - 2)];
    let mid = x + CELL_W / 2;
    let Some(cell) = cell else {
        area.draw(&Rectangle::new(corners, LIGHT.filled()))?;
        let st = text(22, GREY, HPos::Center, VPos::Center);
        return Ok(area.draw_text("–", &st, (mid, y + CELL_H / 2))?);
    };
    area.draw(&Rectangle::new(corners, fill(cell.judgement()).filled()))?;
    let figure = match cell.interval() {
        Some(ci) => format!("{} {ci}", cell.figure()),
        None => cell.figure(),
    };
    // Centred alone; above the verdict when there is one.
    let line = if cell.judged.is_some() {
        24
    } else {
        CELL_H / 2
    };
    let big = text(16, INK, HPos::Center, VPos::Center);
    area.draw_text(&figure, &big, (mid, y + line))?;
    if let Some(j) = &cell.judged {
        let small = text(NOTE_PX, INK, HPos::Center, VPos::Center);
        area.draw_text(&j.words(), &small, (mid, y + 50))?;
    }
    Ok(())
}
