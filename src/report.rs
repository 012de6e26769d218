//! `concbench report`: the charts and REPORT.md, rebuilt from the files of a run alone
//! (runs.csv, summary.csv, samples.csv, meta.json, and claims.csv when present). Every input is
//! read and checked before anything is written; charts and the report are written under
//! temporary names and renamed into place only when all of them are complete.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::chart::{self, CHARTS};
use crate::error::{Error, Result};
use crate::results::Staged;
use crate::results::markdown;
use crate::results::run_folder::{Kind, RunData, kind, pretty_date};

mod carryover;
mod findings;
mod http;
pub mod python_matrix;
mod tables;

pub use findings::findings;

pub use crate::results::run_folder::{CHARTS_DIR, REPORT_MD};

/// `concbench report` options.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Folder of a run (runs.csv, summary.csv, samples.csv, meta.json; claims.csv if present)
    #[arg(long, value_name = "DIR", default_value = "results/latest")]
    pub input: PathBuf,
    /// Print the run's console tables to stdout instead (the summary table, and the claims
    /// table when DIR has claims.csv, as `concbench run` printed them), writing nothing
    #[arg(long)]
    pub table: bool,
}

/// Regenerate the charts (DIR/charts/*.svg, *.png), DIR/summary.json and DIR/REPORT.md of the
/// run in `dir`.
pub fn generate(dir: &Path) -> Result<()> {
    generate_counted(dir).map(|_| ())
}

/// [`generate`], returning how many charts it drew (the fixed ones and the optional ones).
fn generate_counted(dir: &Path) -> Result<usize> {
    let data = RunData::load(dir)?;
    let charts_dir = dir.join(CHARTS_DIR);
    std::fs::create_dir_all(&charts_dir).map_err(|e| Error::write(&charts_dir, e))?;
    let mut staged = Staged::default();
    chart::stage_all(&data, &charts_dir, &mut staged)?;
    crate::export::stage(&data, dir, &mut staged)?;
    staged.bytes(&dir.join(REPORT_MD), markdown(&data).as_bytes())?;
    staged.commit()?;
    chart::remove_undrawn(&data, &charts_dir)?;
    Ok(CHARTS.len() + chart::optional_charts(&data).len())
}

pub fn run_cli(args: &ReportArgs) -> Result<()> {
    if args.table {
        crate::console::emit(&console_tables(&args.input)?);
        return Ok(());
    }
    if crate::results::run_folder::is_sweep(&args.input) {
        return crate::sweep::report::run_cli(&args.input);
    }
    let started = std::time::Instant::now();
    let charts = generate_counted(&args.input)?;
    crate::console::emit(&format!(
        "wrote {} and {} charts (SVG + PNG) in {} in {:.2} s\n",
        args.input.join(REPORT_MD).display(),
        charts,
        args.input.join(CHARTS_DIR).display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// What `concbench run` printed for the folder `dir`: its summary table and, when the folder
/// has claims.csv, the claims table (with the pointer to `concbench claim` for a run's own
/// claims). Read only: nothing is written, not even a rebuilt summary.csv.
pub fn console_tables(dir: &Path) -> Result<String> {
    if kind(dir) == Kind::Sweep {
        return Err(Error::BadInput {
            path: dir.to_path_buf(),
            message: "a sweep has no console table; its answer is in REPORT.md".into(),
        });
    }
    let data = RunData::read(dir)?;
    let mut s = crate::console::summary_table(&data.summary, &data.meta);
    if let Some(claims) = data.claims.as_ref().filter(|c| !c.is_empty()) {
        let cores = data.meta.machine.available_parallelism;
        s.push_str(&crate::console::claims_table(claims, cores));
        if data.meta.claims.is_none() {
            s.push_str(crate::console::RUN_CLAIMS_NOTE);
        }
    }
    Ok(s)
}

/// The whole REPORT.md.
pub fn markdown(data: &RunData) -> String {
    let m = &data.meta;
    let mut s = String::new();
    let _ = writeln!(s, "# concbench report: {}\n", data.name());
    let _ = writeln!(
        s,
        "Run started {} on `{}` ({}); status: **{}**. Generated from the run's files by \
         `concbench report --input <this folder>`; every figure below comes from them.\n",
        pretty_date(&m.started_at),
        m.machine.hostname,
        m.machine.short(),
        m.status
    );
    if let Some(note) = status_note(m) {
        let _ = writeln!(s, "{note}\n");
    }
    s.push_str(&markdown::warnings(m, "run"));
    s.push_str("## What was measured\n\n");
    for v in data.variants() {
        let _ = writeln!(s, "{}\n", findings(data, v));
    }
    if let Some(compared) = http::sleep_vs_http(data) {
        let _ = writeln!(s, "{compared}\n");
    }
    let optional = chart::optional_charts(data);
    s.push_str(&markdown::charts_section(
        CHARTS.iter().map(|c| (c.name, c.title, c.caption)).chain(
            optional
                .iter()
                .map(|c| (c.name, c.title, c.caption.as_str())),
        ),
    ));
    s.push_str("## Summary\n\n");
    s.push_str(&tables::summary_table(data));
    if let Some(claims) = &data.claims {
        s.push_str("\n## Claims\n\n");
        s.push_str(&tables::claims_table(claims));
        s.push_str(&findings::claims_notes(data, claims));
    }
    s.push('\n');
    s.push_str(&python_matrix::section(data));
    s.push_str(&carryover::section(data));
    s.push_str("## Setup\n\n");
    s.push_str(&tables::setup_table(data));
    s.push_str(
        "\n## Files\n\n[runs.csv](runs.csv) (one row per measured trial), [summary.csv](summary.csv) \
         (statistics per configuration), [samples.csv](samples.csv) (per-core CPU samples), \
         [meta.json](meta.json) (machine, parameters, versions).\n",
    );
    s
}

/// A warning when the run did not complete: what its figures are, and are not.
fn status_note(m: &crate::records::Meta) -> Option<String> {
    let when = m
        .finished_at
        .as_deref()
        .map(pretty_date)
        .unwrap_or_default();
    if m.status == "complete" {
        None
    } else if m.status == "interrupted" {
        Some(format!(
            "> **Interrupted** by {} at {when}: the figures below come from the trials that finished; \
             configurations have fewer repetitions than planned, or none.",
            m.signal.as_deref().unwrap_or("a signal")
        ))
    } else if m.status == "running" {
        Some(
            "> **Unfinished:** the run never closed (its process was killed, or is still running); \
             the summary was rebuilt from the trials in runs.csv."
                .into(),
        )
    } else {
        Some(format!(
            "> **Stopped early** ({}): the figures below come from the trials before it.",
            m.status
        ))
    }
}
