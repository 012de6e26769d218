//! `concbench compare BASE NEW`: did the wall times of a run change from those of another?
//!
//! Each run is read from its summary.json when it has one, else from its CSV files (checked as
//! `concbench report` checks them). Two runs that did different work are refused unless
//! `--allow-different-work`; different machines are compared with a warning. The rows, the
//! verdict rule and the output formats are in [`rows`] and [`mod@format`]; the chart in [`chart`].

pub mod chart;
pub mod format;
pub mod holm;
pub mod rows;
pub mod work;

#[cfg(test)]
mod tests;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::export::{self, SUMMARY_JSON, SummaryJson};
use crate::measure::machine::Machine;
use crate::results::run_folder::RunData;
use rows::{ClaimChange, Geomean, Key, Row, Settings, Test, Verdict};

/// `concbench compare` options.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Folder of the run to compare against (the baseline)
    #[arg(value_name = "BASE")]
    pub base: PathBuf,
    /// Folder of the run to judge
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Changes smaller than this many % are `~` even when significant (0-1000)
    #[arg(allow_negative_numbers = true, long, value_name = "PCT", default_value = "5", value_parser = parse_threshold)]
    pub threshold: f64,
    /// Output format [default: table on a terminal; otherwise markdown, or the --out file's
    /// extension: .json, .csv, .md]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the comparison to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also draw the changes with their CIs to FILE (.png or .svg)
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,
    /// Compare runs whose work differs (numbers, variants, --sleep-ms, --cpu-ms/--cpu-iters)
    #[arg(long)]
    pub allow_different_work: bool,
    /// Exit with status 1 when any row is `slower` with its p corrected by Holm's method over
    /// all the rows (so trial-to-trial noise alone fails it at most 5% of the time; the table's
    /// own verdicts judge each row alone)
    #[arg(long)]
    pub fail_on_regression: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Markdown,
    Csv,
    Json,
}

fn parse_threshold(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(t) if (0.0..=1000.0).contains(&t) => Ok(t),
        Ok(t) => Err(format!("{t}% is out of range (0-1000)")),
        Err(_) => Err(format!("'{s}' is not a percentage")),
    }
}

/// One side of a comparison, as read from its folder.
#[derive(Debug, Clone)]
pub struct LoadedRun {
    pub dir: PathBuf,
    /// "summary.json" or "CSV files".
    pub source: &'static str,
    pub doc: SummaryJson,
}

/// Read a run folder: summary.json when present, else runs.csv, summary.csv, samples.csv,
/// meta.json (and claims.csv), all checked before use.
pub fn load(dir: &Path) -> Result<LoadedRun> {
    let json = dir.join(SUMMARY_JSON);
    if dir.is_dir() && json.is_file() {
        return Ok(LoadedRun {
            dir: dir.to_path_buf(),
            source: SUMMARY_JSON,
            doc: export::read(&json)?,
        });
    }
    let data = RunData::load(dir)?;
    let doc = export::from_run(&data);
    export::check(&doc).map_err(|message| Error::BadInput {
        path: dir.join(crate::records::RUNS_CSV),
        message,
    })?;
    Ok(LoadedRun {
        dir: dir.to_path_buf(),
        source: "CSV files",
        doc,
    })
}

/// Where a run came from, for the reader of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub dir: String,
    pub source: String,
    pub started_at: String,
    pub concbench_version: String,
    pub git_commit: Option<String>,
    pub machine: Machine,
    pub python: Option<String>,
}

impl RunInfo {
    fn of(run: &LoadedRun) -> RunInfo {
        let m = &run.doc.meta;
        RunInfo {
            dir: run.dir.display().to_string(),
            source: run.source.into(),
            started_at: m.started_at.clone(),
            concbench_version: m.concbench_version.clone(),
            git_commit: m.machine.git_commit.clone(),
            machine: m.machine.clone(),
            python: m
                .python
                .as_ref()
                .map(|p| format!("{} {}", p.implementation, p.version)),
        }
    }
}

/// Version of the `--format json` layout.
pub const COMPARE_SCHEMA: u32 = 1;

/// Everything a comparison says; every format renders this.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub schema: u32,
    pub base: RunInfo,
    pub new: RunInfo,
    /// The work both runs did (and its calibration on each machine).
    pub work: String,
    /// How the work differs, when compared anyway (--allow-different-work).
    pub work_differences: Vec<String>,
    /// How the machines differ.
    pub machine_differences: Vec<String>,
    /// Other reasons to doubt a run (status, background load, wrong results).
    pub warnings: Vec<String>,
    pub settings: Settings,
    pub rows: Vec<Row>,
    pub geomean: Option<Geomean>,
    pub only_in_base: Vec<Key>,
    pub only_in_new: Vec<Key>,
    /// Claims judged differently; absent unless both runs have claims.
    pub claim_changes: Option<Vec<ClaimChange>>,
    /// Claims judged by both runs (so "none changed" can say out of how many).
    pub claims_compared: usize,
    /// Footnotes for the rows' notes.
    pub footnotes: Vec<String>,
}

impl Comparison {
    /// A row slower even with Holm's correction across the rows: what fails
    /// `--fail-on-regression`.
    pub fn any_regression(&self) -> bool {
        self.rows.iter().any(|r| r.holm_verdict == Verdict::Slower)
    }
}

/// Compare two loaded runs. Refuses different work unless `allow_different_work`.
pub fn compare(
    base: &LoadedRun,
    new: &LoadedRun,
    threshold_pct: f64,
    allow_different_work: bool,
) -> Result<Comparison> {
    let (bm, nm) = (&base.doc.meta, &new.doc.meta);
    let work_differences = work::differences(bm, nm);
    if !work_differences.is_empty() && !allow_different_work {
        return Err(Error::Usage(format!(
            "{} and {} did different work: {}; compare them anyway with --allow-different-work",
            base.dir.display(),
            new.dir.display(),
            work_differences.join("; ")
        )));
    }
    let settings = Settings::new(threshold_pct);
    let (rows, only_in_base, only_in_new) = rows::compare_rows(&base.doc, &new.doc, &settings);
    let mut footnotes: Vec<String> = Vec::new();
    for note in rows.iter().filter_map(|r| r.note) {
        let text = note.footnote();
        if !footnotes.contains(&text) {
            footnotes.push(text);
        }
    }
    footnotes.extend(holm_footnotes(&rows));
    let claims = |run: &LoadedRun| run.doc.claims.clone();
    let (bc, nc) = (claims(base), claims(new));
    let claims_compared = match (&bc, &nc) {
        (Some(b), Some(n)) => b
            .iter()
            .filter(|c| {
                n.iter()
                    .any(|x| x.claim == c.claim && x.subject == c.subject)
            })
            .count(),
        _ => 0,
    };
    let mut warnings = work::trust_notes("base", bm);
    warnings.extend(work::trust_notes("new", nm));
    Ok(Comparison {
        schema: COMPARE_SCHEMA,
        base: RunInfo::of(base),
        new: RunInfo::of(new),
        work: work::describe(bm, nm),
        work_differences,
        machine_differences: work::machine_differences(bm, nm),
        warnings,
        settings,
        geomean: rows::geomean(&rows),
        rows,
        only_in_base,
        only_in_new,
        claim_changes: rows::claim_changes(bc.as_deref(), nc.as_deref()),
        claims_compared,
        footnotes,
    })
}

/// One line per row whose verdict does not survive Holm's correction, so a `slower` that does
/// not fail `--fail-on-regression` says why.
fn holm_footnotes(rows: &[Row]) -> Vec<String> {
    let family = rows.iter().filter(|r| r.test != Test::NotTested).count();
    rows.iter()
        .filter(|r| r.verdict != r.holm_verdict)
        .map(|r| {
            format!(
                "{}: {} at p = {}, but {} after Holm's correction over the {family} rows (p = {}){}",
                format::key(&r.key),
                r.verdict.word(),
                format::p_value(r.p_value),
                r.holm_verdict.word(),
                format::p_value(r.p_holm),
                if r.verdict == Verdict::Slower {
                    ": --fail-on-regression does not fail on it"
                } else {
                    ""
                }
            )
        })
        .collect()
}

/// The format asked for, else the --out file's extension, else by where stdout goes.
fn pick_format(args: &CompareArgs) -> Format {
    if let Some(f) = args.format {
        return f;
    }
    if let Some(out) = &args.out {
        let ext = out
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        return match ext.as_deref() {
            Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            Some("md" | "markdown") => Format::Markdown,
            _ => Format::Table,
        };
    }
    if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Markdown
    }
}

pub fn run_cli(args: &CompareArgs) -> Result<ExitCode> {
    if let Some(path) = &args.chart {
        chart::check_path(path)?;
    }
    let base = load(&args.base)?;
    let new = load(&args.new)?;
    let comparison = compare(&base, &new, args.threshold, args.allow_different_work)?;
    if !comparison.work_differences.is_empty() {
        eprintln!(
            "concbench: warning: the runs did different work, compared anyway: {}",
            comparison.work_differences.join("; ")
        );
    }
    if !comparison.machine_differences.is_empty() {
        eprintln!(
            "concbench: warning: the runs come from different machines ({}): a change may come from the machine, not the code",
            comparison.machine_differences.join("; ")
        );
    }
    for w in &comparison.warnings {
        eprintln!("concbench: warning: {w}");
    }
    let text = format::render(&comparison, pick_format(args))?;
    match &args.out {
        Some(path) => crate::results::write_file(path, text.as_bytes())?,
        None => crate::console::emit(&text),
    }
    if let Some(path) = &args.chart {
        chart::write(&comparison, path)?;
    }
    Ok(if args.fail_on_regression && comparison.any_regression() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
