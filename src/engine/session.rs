//! The record side of a run: its folder, runs.csv and samples.csv streamed as trials finish,
//! the sampler, meta.json and its status. Whatever happens (a failed trial, a full disk, a
//! stop signal) the session can still be closed, leaving files that `concbench report` reads.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::measure::load::{BUSY_THRESHOLD_PCT, LoadMark};
use crate::measure::machine;
use crate::measure::sampler::{CpuSampler, SamplerClock, SamplerFailure, TrialTag};
use crate::records::{
    self, META_JSON, Meta, RUNS_CSV, RunRow, RunWriter, SAMPLES_CSV, SampleWriter,
};

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Complete,
    Interrupted { signal: Option<i32> },
    Failed(String),
}

impl Status {
    /// The status of a run that ended with `result`.
    pub fn of<T>(result: &Result<T>) -> Status {
        match result {
            Ok(_) => Status::Complete,
            Err(Error::Interrupted { signal }) => Status::Interrupted { signal: *signal },
            Err(e) => Status::Failed(e.to_string()),
        }
    }

    fn text(&self) -> String {
        match self {
            Status::Complete => "complete".into(),
            Status::Interrupted { .. } => "interrupted".into(),
            Status::Failed(e) => format!("failed: {e}"),
        }
    }
}

/// A section of meta.json that only one kind of study has (a sweep's `sweep`), written beside
/// the common fields on every write, so no write (the close included) drops it.
pub trait MetaSection: Send {
    /// meta.json's whole text: `meta` with this section beside it.
    fn render(&self, meta: &Meta) -> Result<String>;
}

/// An open run folder.
pub struct Session {
    pub dir: PathBuf,
    pub epoch: Instant,
    pub meta: Meta,
    /// The kind-specific part of meta.json, if the study has one.
    pub section: Option<Box<dyn MetaSection>>,
    runs: RunWriter,
    /// Every measured row, in the order measured.
    pub rows: Vec<RunRow>,
    sampler: Option<CpuSampler>,
    sampler_failure: SamplerFailure,
    pub tag: TrialTag,
    load_start: LoadMark,
}

impl Session {
    /// Create the folder's files (runs.csv and samples.csv with their headers, meta.json with
    /// status "running", with `section` beside it) and start the sampler when
    /// `sample_interval` is given.
    pub fn open(
        dir: &Path,
        epoch: Instant,
        mut meta: Meta,
        section: Option<Box<dyn MetaSection>>,
        sample_interval: Option<Duration>,
    ) -> Result<Session> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let runs = RunWriter::create(&dir.join(RUNS_CSV))?;
        let samples = SampleWriter::create(&dir.join(SAMPLES_CSV))?;
        meta.status = "running".into();
        write_meta(dir, &meta, section.as_deref())?;
        let tag = TrialTag::default();
        let sampler = match sample_interval {
            Some(interval) => Some(CpuSampler::start(interval, epoch, tag.clone(), samples)?),
            None => None,
        };
        let sampler_failure = sampler
            .as_ref()
            .map(CpuSampler::failure)
            .unwrap_or_default();
        Ok(Session {
            dir: dir.to_path_buf(),
            epoch,
            meta,
            section,
            runs,
            rows: Vec::new(),
            sampler,
            sampler_failure,
            tag,
            load_start: LoadMark::now(),
        })
    }

    /// The sampler's CPU clock (zero when there is no sampler).
    pub fn sampler_clock(&self) -> SamplerClock {
        self.sampler
            .as_ref()
            .map(CpuSampler::clock)
            .unwrap_or_default()
    }

    /// Stream one measured row to runs.csv (and keep it).
    pub fn record(&mut self, row: RunRow) -> Result<()> {
        if let Some(e) = self.sampler_failure.get() {
            return Err(Error::write(
                self.dir.join(SAMPLES_CSV),
                std::io::Error::other(e),
            ));
        }
        self.runs.write(std::slice::from_ref(&row))?;
        self.rows.push(row);
        Ok(())
    }

    /// Rewrite meta.json as it stands (while running).
    pub fn write_meta(&self) -> Result<()> {
        write_meta(&self.dir, &self.meta, self.section.as_deref())
    }

    /// Stop the sampler, note the background load and how the run ended, and write meta.json.
    /// Returns the meta as written (or as it would have been, when writing failed: the error
    /// comes second).
    pub fn close(mut self, status: &Status) -> (Meta, Vec<RunRow>, Result<()>) {
        let during = LoadMark::now().others_pct_since(&self.load_start);
        let sampler_result = self.sampler.take().map(CpuSampler::stop);
        let bg = &mut self.meta.background;
        bg.during_pct_of_core = during;
        bg.trustworthy = [bg.before_pct_of_core, during]
            .iter()
            .all(|x| x.is_none_or(|p| p <= BUSY_THRESHOLD_PCT));
        if let Some(Ok(report)) = &sampler_result {
            self.meta.sampler = Some(*report);
        }
        let mut surprises = records::note_gil(&mut self.meta.pythons, &self.rows);
        if let Some(p) = self.meta.python.as_mut() {
            let first = records::note_gil(std::slice::from_mut(p), &self.rows);
            if self.meta.pythons.is_empty() {
                surprises = first;
            }
        }
        for s in surprises {
            eprintln!("concbench: warning: {s}");
        }
        self.meta.finished_at = Some(machine::utc_now());
        self.meta.total_wall_s = Some(self.epoch.elapsed().as_secs_f64());
        self.meta.status = status.text();
        if let Status::Interrupted { signal } = status {
            self.meta.signal = Some(crate::lifecycle::signal_name(*signal).into());
        }
        let mut written = self.write_meta();
        if let (Ok(()), Some(Err(e))) = (&written, sampler_result) {
            written = Err(e);
        }
        (self.meta, self.rows, written)
    }
}

/// meta.json in `dir`: the common fields, and the kind's section when there is one.
fn write_meta(dir: &Path, meta: &Meta, section: Option<&dyn MetaSection>) -> Result<()> {
    let path = dir.join(META_JSON);
    match section {
        None => records::write_meta(&path, meta),
        Some(s) => crate::results::atomic::write_file(&path, (s.render(meta)? + "\n").as_bytes()),
    }
}
