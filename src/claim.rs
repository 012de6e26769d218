//! `concbench claim`: the tutorial's claims, each checked on real runs and decided by
//! statistics, never by one number.
//!
//! - C1 threads speed up sleep-bound (waiting) work; C2 threads don't speed up CPU-bound work;
//!   C3 processes speed up CPU-bound work. Judged per runtime (Rust threads, rayon, the gil
//!   model, CPython threads; Rust processes, CPython multiprocessing) from the speedup over the
//!   runtime's own sequential run, measured within each round (the median of these paired
//!   speedups), and its order-statistic interval at the look's level (99.9 % at an interim
//!   look, 95-97.5 % at the final one): "speeds up" holds when the interval's low end is above
//!   1.10, "doesn't speed up" when its high end is below 1.10, and an interval that contains
//!   1.10 is INCONCLUSIVE. Repetitions are added ([`campaign`]) until
//!   every interval decides or the time budget is spent, with a stopping rule that accounts
//!   for looking repeatedly ([`stopping`]). On one core the CPU-bound claims are
//!   INCONCLUSIVE: nothing can run in parallel there.
//! - C4 processes don't share memory and C5 a crash or a leak in one process doesn't hurt
//!   another are shown by demonstrations ([`demos`]), with threads as the contrast.
//!
//! The verdicts go to the console, claims.csv and (through `report::generate`) REPORT.md.

pub mod campaign;
pub(crate) mod catalog;
mod decide;
pub mod demos;
mod expect;
pub mod looks;
mod meta;
mod speed;
pub mod stopping;
pub mod subject;
mod table;
pub mod verdict;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;

use crate::cli::{EngineArgs, parse};
use crate::strategy::python::{INTERPRETERS, Interpreter};

use crate::error::{Error, Result};
use crate::measure::machine;
use crate::records::{self, ClaimRow};
use crate::stats::{BootstrapSettings, DEFAULT_BOOTSTRAP_SEED};
use crate::strategy::{self, RuntimeSettings, StrategyContext};

pub use catalog::{
    DEMO_SUBJECTS, SPEED_CLAIMS, STATEMENTS, SpeedClaim, all_subjects, is_cpython, statement,
};
use expect::parse_expectation;
pub use expect::{EXIT_EXPECTATION_FAILED, Expectation, check_expectations};
use meta::{claim_meta, finish_meta};
pub use speed::{context_for, decision_row, judge_speed, speedup_verdicts};
pub use table::claims_table;
pub use verdict::{Direction, THRESHOLD, Verdict, judge};

fn parse_claim_id(s: &str) -> std::result::Result<String, String> {
    let id = s.trim().to_ascii_uppercase();
    if STATEMENTS.iter().any(|(c, _)| *c == id) {
        Ok(id)
    } else {
        Err(format!(
            "unknown claim '{s}' (expected C1, C2, C3, C4 or C5)"
        ))
    }
}

/// `concbench claim` options.
#[derive(Debug, Clone, Args)]
pub struct ClaimArgs {
    /// Claims to check, comma-separated (C1,C2,C3,C4,C5) [default: all]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_claim_id)]
    pub claims: Vec<String>,

    /// Workers of the threaded and multi-process runs (2-64)
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(2..=64))]
    pub workers: u32,

    /// Milliseconds each job sleeps in the sleep-bound runs (0.001-60000)
    #[arg(long, value_name = "MS", default_value = "25", value_parser = parse::job_ms)]
    pub sleep_ms: f64,

    /// Milliseconds of CPU each job burns in the CPU-bound runs, calibrated here (0.001-60000)
    #[arg(long, value_name = "MS", default_value = "25", value_parser = parse::job_ms)]
    pub cpu_ms: f64,

    /// Repetitions of every configuration before the first look (6-1000; an interim look's
    /// 99.9 % interval needs 11 paired rounds)
    #[arg(long, value_name = "N", default_value_t = 11, value_parser = clap::value_parser!(u32).range(6..=1000))]
    pub min_reps: u32,

    /// Hard cap on repetitions; the time budget usually stops earlier (6-100000)
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(6..=100_000))]
    pub max_reps: u32,

    /// Repetitions between two looks while a verdict is undecided (1-1000)
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub step: u32,

    /// Seconds of measuring: no step is started that would end later; the look it leaves
    /// for last is the final one (1-86400) [default: 40, plus 15 per extra interpreter]
    #[arg(long, value_name = "SECONDS", value_parser = parse::budget_s)]
    pub budget_s: Option<f64>,

    /// Switch interval of the gil model in ms, like sys.setswitchinterval (0.01-10000)
    #[arg(long, value_name = "MS", default_value = "5", value_parser = parse::switch_interval_ms)]
    pub switch_interval_ms: f64,

    /// Fail (exit 3) unless this verdict comes out, e.g. C2:rust-threads=DOES_NOT_HOLD (repeatable)
    #[arg(long = "expect", value_name = "CLAIM:SUBJECT=VERDICT", value_parser = parse_expectation)]
    pub expect: Vec<Expectation>,

    #[command(flatten)]
    pub engine: EngineArgs,
}

/// The results folder of `claim` unless `--out` says otherwise.
pub const DEFAULT_OUT: &str = "results/claims";

/// What `concbench claim` found: the claims.csv rows, the measurements behind the speed
/// claims, and whether the files could be written.
pub struct Checked {
    pub rows: Vec<ClaimRow>,
    pub measured: Option<campaign::Outcome>,
    pub cores: usize,
    /// claims.csv, summary.csv and meta.json (the first write error, if one failed).
    pub written: Result<()>,
}

/// What clap cannot check of the options alone: one line, exit status 2.
pub fn check_args(args: &ClaimArgs) -> Result<()> {
    if args.max_reps < args.min_reps {
        return Err(Error::Usage(format!(
            "--max-reps {} is below --min-reps {}",
            args.max_reps, args.min_reps
        )));
    }
    Ok(())
}

/// Check the selected claims: measure the speed claims, run the demonstrations, write
/// claims.csv, summary.csv and meta.json into `out`. Errors before the first trial come back as
/// `Err`; once measuring has started, what was decided comes back, with the error that ended
/// it (in `measured`).
pub fn check(args: &ClaimArgs, out: &Path, started: Instant) -> Result<Checked> {
    check_args(args)?;
    crate::lifecycle::install()?;
    let e = &args.engine;
    let mut ctx = StrategyContext::current_exe(Duration::from_secs(60))?;
    ctx.runtime = RuntimeSettings {
        python: e.python.first().cloned(),
        switch_interval: Duration::from_secs_f64(args.switch_interval_ms / 1e3),
        dask_scheduler: e.dask_scheduler.clone(),
        start_method: e.start_method,
        ..RuntimeSettings::default()
    };
    let selected: Vec<&str> = STATEMENTS
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| args.claims.is_empty() || args.claims.iter().any(|x| x == c))
        .collect();
    let (pythons, python) = interpreters(&e.python, &selected);
    let cfg = config(args, pythons.len());
    let (dask, no_dask) = dask_subject(&pythons, &selected, e.dask_scheduler.as_deref(), args)?;
    let dask_name = strategy::python::DASK.name;
    let specs: Vec<&'static SpeedClaim> = SPEED_CLAIMS
        .iter()
        .filter(|c| selected.contains(&c.claim))
        .filter(|c| c.strategy != dask_name || no_dask.is_none())
        .collect();
    let subjects = subject::subjects(&specs, &pythons, args.switch_interval_ms);
    let wants_interpreters = specs.iter().any(|s| s.strategy == INTERPRETERS.name);
    let no_interpreters = wants_interpreters
        .then(|| strategy::python::subinterpreters::announce(&pythons))
        .flatten();
    if let Ok(first) = &python {
        ctx.runtime.python = Some(first.info.requested.clone().into());
    }
    let fallback = match &python {
        Ok(first) => Some(first.info.clone()),
        Err(_) if strategy::python::discover::asks_for_all(&e.python) => None,
        Err(_) => strategy::python::interpreter(e.python.first().map(|p| p.as_path()))
            .ok()
            .map(|i| i.info.clone()),
    };
    // What meta.json says when nothing is measured: started now, like a measured run's.
    let initial = claim_meta(&cfg, None, None, Vec::new(), fallback.clone());
    let measured = if subjects.is_empty() {
        None
    } else {
        let meta_of = |p: &crate::study::Prepared, pythons| {
            claim_meta(&cfg, p.calibration, p.before, pythons, fallback.clone())
        };
        Some(campaign::run(&cfg, &subjects, &ctx, out, meta_of)?)
    };
    let stopped =
        crate::lifecycle::stop_requested() || measured.as_ref().is_some_and(|m| m.error.is_some());
    let mut rows: Vec<ClaimRow> = Vec::new();
    for &claim in &selected {
        let mut speed = speed_rows(claim, &python, measured.as_ref(), cfg.cores, cfg.workers);
        // Subjects whose runtime is missing here (Dask, subinterpreters): "not checked", why.
        let missing = [(dask_name, &no_dask), (INTERPRETERS.name, &no_interpreters)];
        for (name, reason) in missing.iter().filter(|_| python.is_ok()) {
            let spec = SPEED_CLAIMS
                .iter()
                .find(|c| c.strategy == *name && c.claim == claim);
            if let (Some(spec), Some(reason)) = (spec, reason) {
                speed.push(not_checked(spec.claim, spec.subject, reason));
            }
        }
        rows.extend(speed);
        if !stopped {
            // C4's cpython-interpreters runs on the first interpreter that has them.
            let sub = pythons.iter().find(|p| p.info.subinterpreters.is_some());
            let sub = sub.or(pythons.first());
            rows.extend(demo_rows(
                claim,
                (&python, sub),
                &ctx,
                args.workers as usize,
            )?);
        }
    }
    let mut meta = finish_meta(initial, measured.as_ref(), &cfg, started);
    meta.dask = dask;
    let written = write_claim_files(out, &rows, measured.as_ref(), &meta);
    Ok(Checked {
        rows,
        measured,
        cores: cfg.cores,
        written,
    })
}

/// py-dask's cluster for C3's `cpython-dask` subject, probed on the first interpreter; or,
/// where the interpreter has no Dask, why that subject is not checked. A `--dask-scheduler` that
/// does not answer is bad input.
#[allow(clippy::type_complexity)]
fn dask_subject(
    pythons: &[Arc<Interpreter>],
    selected: &[&str],
    address: Option<&str>,
    args: &ClaimArgs,
) -> Result<(Option<records::DaskInfo>, Option<String>)> {
    use strategy::python::dask::{DaskProblem, probe};
    let wanted = SPEED_CLAIMS
        .iter()
        .any(|c| c.strategy == strategy::python::DASK.name && selected.contains(&c.claim));
    if !wanted && address.is_some() {
        eprintln!("concbench: warning: --dask-scheduler has no effect without C3 in --claims");
    }
    let Some(first) = pythons.first().filter(|_| wanted) else {
        return Ok((None, None));
    };
    match probe(first, address, args.workers as usize) {
        Ok(info) => {
            for w in &info.warnings {
                eprintln!("concbench: warning: py-dask: {w}");
            }
            Ok((Some(info), None))
        }
        Err(DaskProblem::Unreachable(why)) => Err(crate::error::Error::Usage(why)),
        Err(DaskProblem::NotImportable(why)) => Ok((
            None,
            Some(format!(
                "{why} (scripts/dask-python.sh prepares an interpreter that has it)"
            )),
        )),
    }
}

/// The usable interpreters, when a selected claim has a CPython subject, and the one the
/// demonstrations (C4, C5) run on (or why there is none).
fn interpreters(
    requested: &[PathBuf],
    selected: &[&str],
) -> (
    Vec<Arc<Interpreter>>,
    std::result::Result<Arc<Interpreter>, String>,
) {
    let wants_python = all_subjects()
        .iter()
        .any(|(c, s)| selected.contains(c) && is_cpython(s));
    if !wants_python {
        return (Vec::new(), Err(String::new()));
    }
    match crate::study::usable_pythons(requested) {
        Ok(pythons) => {
            let first = Arc::clone(&pythons[0]);
            (pythons, Ok(first))
        }
        Err(reason) => {
            eprintln!("concbench: skipping the CPython checks: {reason}");
            (Vec::new(), Err(reason))
        }
    }
}

/// claims.csv, summary.csv (or empty runs and samples when nothing was measured) and meta.json.
fn write_claim_files(
    out: &std::path::Path,
    rows: &[ClaimRow],
    measured: Option<&campaign::Outcome>,
    meta: &records::Meta,
) -> Result<()> {
    records::write_csv(&out.join(records::CLAIMS_CSV), rows)?;
    match measured {
        Some(m) => records::write_csv(&out.join(records::SUMMARY_CSV), &m.summary)?,
        None => {
            records::write_csv::<records::RunRow>(&out.join(records::RUNS_CSV), &[])?;
            records::write_csv::<records::SampleRow>(&out.join(records::SAMPLES_CSV), &[])?;
        }
    }
    records::write_meta(&out.join(records::META_JSON), meta)
}

/// Seconds of measuring by default: enough for one interpreter's subjects to be decided on this
/// kind of machine (2 cores), and more for every further interpreter's.
const BUDGET_S: f64 = 40.0;
const BUDGET_PER_EXTRA_PYTHON_S: f64 = 15.0;

fn config(args: &ClaimArgs, pythons: usize) -> campaign::Config {
    let e = &args.engine;
    let seed = e.seed_or(|| DEFAULT_BOOTSTRAP_SEED);
    campaign::Config {
        workers: args.workers as usize,
        numbers: vec![2, 3, 8, 9],
        sleep: Duration::from_secs_f64(args.sleep_ms / 1e3),
        cpu_ms: args.cpu_ms,
        min_reps: args.min_reps,
        max_reps: args.max_reps,
        step: args.step,
        order_seed: seed,
        bootstrap: BootstrapSettings {
            seed,
            ..BootstrapSettings::default()
        },
        judging: campaign::Judging {
            threshold: THRESHOLD,
            rule: stopping::StoppingRule::default(),
        },
        cores: machine::available_parallelism(),
        quiet: e.quiet,
        budget: Duration::from_secs_f64(
            args.budget_s
                .unwrap_or(BUDGET_S + BUDGET_PER_EXTRA_PYTHON_S * pythons.saturating_sub(1) as f64),
        ),
        preparation: e.preparation_or(crate::cli::engine_args::CLAIM_DEFAULT_PRIME_MS),
        order: e.order,
        timeout: e.timeout(),
        sample_interval: e.sample_interval(),
        switch_interval_ms: args.switch_interval_ms,
    }
}

/// The rows of one claim's speed subjects (C1-C3): decided, or why not, in catalog order
/// (and interpreter order within a subject).
fn speed_rows(
    claim: &str,
    python: &std::result::Result<Arc<Interpreter>, String>,
    measured: Option<&campaign::Outcome>,
    cores: usize,
    workers: usize,
) -> Vec<ClaimRow> {
    let mut rows = Vec::new();
    for spec in SPEED_CLAIMS.iter().filter(|c| c.claim == claim) {
        if let (Err(reason), true) = (python, is_cpython(spec.subject)) {
            rows.push(not_checked(spec.claim, spec.subject, reason));
            continue;
        }
        if let Some(m) = measured {
            rows.extend(
                m.decisions
                    .iter()
                    .filter(|d| std::ptr::eq(d.subject.spec, spec))
                    .map(|d| decision_row(d, cores, workers)),
            );
        }
    }
    rows
}

/// The rows of the demonstrated claims (C4, C5).
fn demo_rows(
    claim: &str,
    // The first usable interpreter (or why there is none), and the one for C4's
    // cpython-interpreters (the first that has subinterpreters, else the first).
    (python, sub): (
        &std::result::Result<Arc<Interpreter>, String>,
        Option<&Arc<Interpreter>>,
    ),
    ctx: &StrategyContext,
    workers: usize,
) -> Result<Vec<ClaimRow>> {
    let mut rows = Vec::new();
    match claim {
        "C4" => {
            rows.push(demos::c4_rust(ctx, workers)?);
            rows.push(match python {
                Ok(interp) => demos::c4_python(interp, workers)?,
                Err(reason) => not_checked("C4", "cpython-multiprocessing", reason),
            });
            rows.push(match (sub, python) {
                (Some(interp), _) => demos::c4_python_interpreters(interp, workers)?,
                (None, Err(reason)) => not_checked("C4", "cpython-interpreters", reason),
                (None, Ok(interp)) => demos::c4_python_interpreters(interp, workers)?,
            });
        }
        "C5" => {
            rows.push(demos::c5_rust_processes(ctx)?);
            rows.push(demos::c5_rust_threads(ctx)?);
            match python {
                Ok(interp) => rows.extend(demos::c5_python(interp)?),
                Err(reason) => {
                    rows.push(not_checked("C5", "cpython-multiprocessing", reason));
                    rows.push(not_checked("C5", "cpython-threads", reason));
                }
            }
        }
        _ => {}
    }
    Ok(rows)
}

fn not_checked(claim: &str, subject: &str, reason: &str) -> ClaimRow {
    ClaimRow {
        claim: claim.into(),
        statement: statement(claim).into(),
        subject: subject.into(),
        evidence: "not measured".into(),
        verdict: Verdict::Inconclusive.to_string(),
        reason: format!("not checked: {reason}"),
        level_achieved: None,
        interval_kind: String::new(),
    }
}
