//! meta.json as a study starts it (status "running"): built here and nowhere else. What
//! differs between the kinds of study is typed: the parameters each front end fills in, and
//! which interpreters are listed.

use crate::measure::load::BUSY_THRESHOLD_PCT;
use crate::measure::machine;
use crate::records::{BackgroundLoad, Meta, Parameters};
use crate::stats::BootstrapSettings;
use crate::strategy::python::PythonInfo;
use crate::workload::Calibration;

/// Which question a study answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StudyKind {
    /// `concbench run`: fixed repetitions.
    Run,
    /// `concbench claim`: sequential looks until the verdicts decide.
    Claim,
    /// `concbench sweep`: repetitions planned to fill a time budget.
    Sweep,
}

/// What a front end knows that meta.json records.
#[derive(Debug, Clone)]
pub struct MetaParts {
    pub parameters: Parameters,
    pub calibration: Option<Calibration>,
    /// Other processes' CPU just before the study, in % of one core.
    pub before: Option<f64>,
    /// The interpreters of the py-* arms, described, in the order given.
    pub pythons: Vec<PythonInfo>,
    pub gil_switch_interval_ms: Option<f64>,
    pub bootstrap: BootstrapSettings,
    pub command_line: Vec<String>,
}

/// The meta.json a study of `kind` starts with. The first interpreter is `python`; a run lists
/// them all in `pythons` only when there are several, a claim always.
pub fn study_meta(kind: StudyKind, parts: MetaParts) -> Meta {
    let list_all = kind == StudyKind::Claim || parts.pythons.len() > 1;
    Meta {
        concbench_version: env!("CARGO_PKG_VERSION").into(),
        status: "running".into(),
        command_line: parts.command_line,
        started_at: machine::utc_now(),
        finished_at: None,
        total_wall_s: None,
        machine: machine::describe(),
        parameters: parts.parameters,
        calibration: parts.calibration,
        background: BackgroundLoad {
            before_pct_of_core: parts.before,
            threshold_pct_of_core: BUSY_THRESHOLD_PCT,
            ..Default::default()
        },
        sampler: None,
        memory_sampler: None,
        mismatches: 0,
        python: parts.pythons.first().cloned(),
        pythons: if list_all { parts.pythons } else { Vec::new() },
        dask: None,
        gil_switch_interval_ms: parts.gil_switch_interval_ms,
        bootstrap: Some(parts.bootstrap),
        claims: None,
        discipline: None,
        signal: None,
    }
}
