//! `concbench claim`: the tutorial's claims, each checked on real runs and decided by
//! statistics, never by one number.
//!
//! - C1 threads speed up sleep-bound (waiting) work; C2 threads don't speed up CPU-bound work;
//!   C3 processes speed up CPU-bound work. Judged per runtime (Rust threads, rayon, the gil
//!   model, CPython threads; Rust processes, CPython multiprocessing) from the 95 % bootstrap
//!   interval of the speedup over the runtime's own sequential run: "speeds up" holds when the
//!   interval's low end is above 1.10, "doesn't speed up" when its high end is below 1.10, and an
//!   interval that contains 1.10 is INCONCLUSIVE. Repetitions are added ([`campaign`]) until
//!   every interval decides or a cap is reached. On one core the CPU-bound claims are
//!   INCONCLUSIVE: nothing can run in parallel there.
//! - C4 processes don't share memory and C5 a crash or a leak in one process doesn't hurt
//!   another are shown by demonstrations ([`demos`]), with threads as the contrast.
//!
//! The verdicts go to the console, claims.csv and (through `report::generate`) REPORT.md.

pub mod campaign;
pub mod demos;
pub mod verdict;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;

use crate::error::{Error, Result};
use crate::experiment;
use crate::measure::machine;
use crate::records::{self, ClaimRow, ClaimSettings, Meta, SummaryRow};
use crate::stats::{BootstrapSettings, DEFAULT_BOOTSTRAP_SEED};
use crate::strategy::{self, RuntimeSettings, StrategyContext};
use crate::workload::Variant;
pub use verdict::{Direction, THRESHOLD, Verdict, judge};

/// A claim about speed, for one runtime.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpeedClaim {
    pub claim: &'static str,
    /// The runtime judged, as named in claims.csv and `--expect`.
    pub subject: &'static str,
    pub variant: Variant,
    /// The strategy measured (its baseline comes from the registry).
    pub strategy: &'static str,
    pub direction: Direction,
}

const fn speed(
    claim: &'static str,
    subject: &'static str,
    variant: Variant,
    strategy: &'static str,
    direction: Direction,
) -> SpeedClaim {
    SpeedClaim {
        claim,
        subject,
        variant,
        strategy,
        direction,
    }
}

/// Every speed claim, in table order.
pub const SPEED_CLAIMS: &[SpeedClaim] = &[
    speed(
        "C1",
        "rust-threads",
        Variant::Sleep,
        "threads",
        Direction::SpeedsUp,
    ),
    speed("C1", "rayon", Variant::Sleep, "rayon", Direction::SpeedsUp),
    speed("C1", "gil", Variant::Sleep, "gil", Direction::SpeedsUp),
    speed(
        "C1",
        "cpython-threads",
        Variant::Sleep,
        "py-threads",
        Direction::SpeedsUp,
    ),
    speed(
        "C2",
        "rust-threads",
        Variant::Cpu,
        "threads",
        Direction::DoesNotSpeedUp,
    ),
    speed(
        "C2",
        "rayon",
        Variant::Cpu,
        "rayon",
        Direction::DoesNotSpeedUp,
    ),
    speed("C2", "gil", Variant::Cpu, "gil", Direction::DoesNotSpeedUp),
    speed(
        "C2",
        "cpython-threads",
        Variant::Cpu,
        "py-threads",
        Direction::DoesNotSpeedUp,
    ),
    speed(
        "C3",
        "rust-processes",
        Variant::Cpu,
        "processes",
        Direction::SpeedsUp,
    ),
    speed(
        "C3",
        "cpython-multiprocessing",
        Variant::Cpu,
        "py-processes",
        Direction::SpeedsUp,
    ),
];

/// The claims in words.
pub const STATEMENTS: &[(&str, &str)] = &[
    ("C1", "threads speed up sleep-bound (waiting) work"),
    ("C2", "threads don't speed up CPU-bound work"),
    ("C3", "processes speed up CPU-bound work"),
    (
        "C4",
        "processes don't share memory: a child's appends to a global list never reach the parent; results need IPC",
    ),
    (
        "C5",
        "an error or a memory leak in one process doesn't hurt another",
    ),
];

/// The subjects of the demonstrated claims (C4, C5), in table order.
pub const DEMO_SUBJECTS: &[(&str, &str)] = &[
    ("C4", "rust-processes"),
    ("C4", "cpython-multiprocessing"),
    ("C5", "rust-processes"),
    ("C5", "rust-threads"),
    ("C5", "cpython-multiprocessing"),
    ("C5", "cpython-threads"),
];

pub fn statement(claim: &str) -> &'static str {
    STATEMENTS
        .iter()
        .find(|(c, _)| *c == claim)
        .map_or("", |(_, s)| s)
}

/// Whether a subject runs in CPython (and so needs an interpreter).
pub fn is_cpython(subject: &str) -> bool {
    subject.starts_with("cpython-")
}

/// Every (claim, subject) pair concbench checks.
pub fn all_subjects() -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<(&str, &str)> = SPEED_CLAIMS.iter().map(|c| (c.claim, c.subject)).collect();
    v.extend_from_slice(DEMO_SUBJECTS);
    v
}

/// `--expect CLAIM:SUBJECT=VERDICT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub claim: String,
    pub subject: String,
    pub verdict: Verdict,
}

fn parse_expectation(s: &str) -> std::result::Result<Expectation, String> {
    let (target, verdict) = s.split_once('=').ok_or_else(|| {
        format!("'{s}' is not CLAIM:SUBJECT=VERDICT (e.g. C2:rust-threads=DOES_NOT_HOLD)")
    })?;
    let (claim, subject) = target.split_once(':').ok_or_else(|| {
        format!("'{s}' is not CLAIM:SUBJECT=VERDICT (e.g. C2:rust-threads=DOES_NOT_HOLD)")
    })?;
    let claim = claim.trim().to_ascii_uppercase();
    let subject = subject.trim().to_string();
    if !all_subjects().contains(&(claim.as_str(), subject.as_str())) {
        let known: Vec<String> = all_subjects()
            .iter()
            .filter(|(c, _)| *c == claim)
            .map(|(_, s)| s.to_string())
            .collect();
        return Err(if known.is_empty() {
            format!("unknown claim '{claim}' (expected C1-C5)")
        } else {
            format!(
                "{claim} has no subject '{subject}' (expected one of: {})",
                known.join(", ")
            )
        });
    }
    Ok(Expectation {
        claim,
        subject,
        verdict: verdict.parse()?,
    })
}

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

fn parse_unit_ms(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(ms) if (0.001..=60_000.0).contains(&ms) => Ok(ms),
        Ok(ms) => Err(format!("{ms} ms is out of range (0.001-60000)")),
        Err(_) => Err(format!("'{s}' is not a number of milliseconds")),
    }
}

fn parse_budget(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if (1.0..=86_400.0).contains(&x) => Ok(x),
        Ok(x) => Err(format!("{x} s is out of range (1-86400)")),
        Err(_) => Err(format!("'{s}' is not a number of seconds")),
    }
}

fn parse_interval_ms(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(ms) if (0.01..=10_000.0).contains(&ms) => Ok(ms),
        Ok(ms) => Err(format!("{ms} ms is out of range (0.01-10000)")),
        Err(_) => Err(format!("'{s}' is not a number of milliseconds")),
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
    #[arg(long, value_name = "MS", default_value = "25", value_parser = parse_unit_ms)]
    pub sleep_ms: f64,

    /// Milliseconds of CPU each job burns in the CPU-bound runs, calibrated here (0.001-60000)
    #[arg(long, value_name = "MS", default_value = "25", value_parser = parse_unit_ms)]
    pub cpu_ms: f64,

    /// Repetitions of every configuration before the first verdict (6-1000)
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(6..=1000))]
    pub min_reps: u32,

    /// Cap: undecided claims get more repetitions, --step at a time, up to this many (6-10000)
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(6..=10_000))]
    pub max_reps: u32,

    /// Repetitions added at a time while a verdict is undecided (1-1000)
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub step: u32,

    /// Seconds of measuring after which no more repetitions are added (1-86400)
    #[arg(long, value_name = "SECONDS", default_value = "45", value_parser = parse_budget)]
    pub budget_s: f64,

    /// Seed of the trial order and of the bootstrap [default: a fixed seed, recorded in meta.json]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Python interpreter for the CPython checks [default: python3 from PATH]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,

    /// Switch interval of the gil model in ms, like sys.setswitchinterval (0.01-10000)
    #[arg(long, value_name = "MS", default_value = "5", value_parser = parse_interval_ms)]
    pub switch_interval_ms: f64,

    /// Fail (exit 3) unless this verdict comes out, e.g. C2:rust-threads=DOES_NOT_HOLD (repeatable)
    #[arg(long = "expect", value_name = "CLAIM:SUBJECT=VERDICT", value_parser = parse_expectation)]
    pub expect: Vec<Expectation>,

    /// Output folder: claims.csv, runs.csv, summary.csv, meta.json, REPORT.md, charts
    #[arg(long, value_name = "DIR", default_value = "results/claims")]
    pub out: PathBuf,

    /// No progress lines on stderr
    #[arg(long, short)]
    pub quiet: bool,
}

/// Exit status when the claims were checked but an `--expect` was not met.
pub const EXIT_EXPECTATION_FAILED: u8 = 3;

pub fn run_cli(args: &ClaimArgs) -> Result<ExitCode> {
    if args.max_reps < args.min_reps {
        return Err(Error::Usage(format!(
            "--max-reps {} is below --min-reps {}",
            args.max_reps, args.min_reps
        )));
    }
    let started = Instant::now();
    experiment::check_writable(&args.out)?;
    let mut ctx = StrategyContext::current_exe(Duration::from_secs(60))?;
    ctx.runtime = RuntimeSettings {
        python: args.python.clone(),
        switch_interval: Duration::from_secs_f64(args.switch_interval_ms / 1e3),
    };
    let selected: Vec<&str> = STATEMENTS
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| args.claims.is_empty() || args.claims.iter().any(|x| x == c))
        .collect();
    let python = strategy::python::interpreter(args.python.as_deref());
    let wants_python = all_subjects()
        .iter()
        .any(|(c, s)| selected.contains(c) && is_cpython(s));
    if let (Err(reason), true) = (&python, wants_python) {
        eprintln!("concbench: skipping the CPython checks: {reason}");
    }
    let cores = machine::available_parallelism();
    let seed = args.seed.unwrap_or(DEFAULT_BOOTSTRAP_SEED);
    let bootstrap = BootstrapSettings {
        seed,
        ..BootstrapSettings::default()
    };
    let speed_claims: Vec<&SpeedClaim> = SPEED_CLAIMS
        .iter()
        .filter(|c| selected.contains(&c.claim) && (python.is_ok() || !is_cpython(c.subject)))
        .collect();
    let cfg = campaign::Config {
        workers: args.workers as usize,
        numbers: vec![2, 3, 8, 9],
        sleep: Duration::from_secs_f64(args.sleep_ms / 1e3),
        cpu_ms: args.cpu_ms,
        min_reps: args.min_reps,
        max_reps: args.max_reps,
        step: args.step,
        order_seed: seed,
        bootstrap: bootstrap.clone(),
        threshold: THRESHOLD,
        cores,
        quiet: args.quiet,
        budget: Duration::from_secs_f64(args.budget_s),
    };
    let measured = if speed_claims.is_empty() {
        None
    } else {
        Some(campaign::run(&cfg, &speed_claims, &ctx)?)
    };

    let mut rows: Vec<ClaimRow> = Vec::new();
    for &claim in &selected {
        for spec in SPEED_CLAIMS.iter().filter(|c| c.claim == claim) {
            match (&python, &measured) {
                (Err(reason), _) if is_cpython(spec.subject) => {
                    rows.push(not_checked(spec.claim, spec.subject, reason))
                }
                (_, Some(m)) => {
                    if let Some(row) = judge_speed(spec, &m.summary, cores, &m.context(spec)) {
                        rows.push(row);
                    }
                }
                _ => {}
            }
        }
        match claim {
            "C4" => {
                rows.push(demos::c4_rust(&ctx, args.workers as usize)?);
                rows.push(match &python {
                    Ok(interp) => demos::c4_python(interp, args.workers as usize)?,
                    Err(reason) => not_checked("C4", "cpython-multiprocessing", reason),
                });
            }
            "C5" => {
                rows.push(demos::c5_rust_processes(&ctx)?);
                rows.push(demos::c5_rust_threads(&ctx)?);
                match &python {
                    Ok(interp) => rows.extend(demos::c5_python(interp)?),
                    Err(reason) => {
                        rows.push(not_checked("C5", "cpython-multiprocessing", reason));
                        rows.push(not_checked("C5", "cpython-threads", reason));
                    }
                }
            }
            _ => {}
        }
    }

    let out = &args.out;
    records::write_csv(&out.join(records::CLAIMS_CSV), &rows)?;
    let meta = claim_meta(args, &cfg, measured.as_ref(), started);
    if let Some(m) = &measured {
        records::write_csv(&out.join(records::RUNS_CSV), &m.runs)?;
        records::write_csv(&out.join(records::SUMMARY_CSV), &m.summary)?;
        records::write_csv::<records::SampleRow>(&out.join(records::SAMPLES_CSV), &[])?;
    }
    records::write_meta(&out.join(records::META_JSON), &meta)?;
    print!("{}", claims_table(&rows, cores));
    if measured.is_some() {
        crate::report::generate(out)?;
        println!(
            "claims.csv, REPORT.md and the runs behind them in {} ({:.1} s)",
            out.display(),
            started.elapsed().as_secs_f64()
        );
    } else {
        println!(
            "claims.csv in {} ({:.1} s)",
            out.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(check_expectations(&args.expect, &rows))
}

/// Compare the verdicts with `--expect`; print every difference.
pub fn check_expectations(expect: &[Expectation], rows: &[ClaimRow]) -> ExitCode {
    let mut failed = 0;
    for e in expect {
        let got = rows
            .iter()
            .find(|r| r.claim == e.claim && r.subject == e.subject)
            .map(|r| r.verdict.as_str());
        if got != Some(e.verdict.as_str()) {
            failed += 1;
            eprintln!(
                "concbench: expected {}:{} to be {}, got {}",
                e.claim,
                e.subject,
                e.verdict,
                got.unwrap_or("no verdict (not checked)")
            );
        }
    }
    if failed > 0 {
        ExitCode::from(EXIT_EXPECTATION_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

fn not_checked(claim: &str, subject: &str, reason: &str) -> ClaimRow {
    ClaimRow {
        claim: claim.into(),
        statement: statement(claim).into(),
        subject: subject.into(),
        evidence: "not measured".into(),
        verdict: Verdict::Inconclusive.to_string(),
        reason: format!("not checked: {reason}"),
    }
}

/// The verdict of one speed claim from a summary (the row of its strategy with the most
/// workers, and that row's baseline). `None` when the summary lacks the data.
pub fn judge_speed(
    spec: &SpeedClaim,
    summary: &[SummaryRow],
    cores: usize,
    context: &str,
) -> Option<ClaimRow> {
    let row = summary
        .iter()
        .filter(|r| r.variant == spec.variant && r.strategy == spec.strategy && r.workers >= 2)
        .max_by_key(|r| r.workers)?;
    speed_row(spec, row, summary, cores, context)
}

fn speed_row(
    spec: &SpeedClaim,
    row: &SummaryRow,
    summary: &[SummaryRow],
    cores: usize,
    context: &str,
) -> Option<ClaimRow> {
    let baseline = strategy::baseline_of(spec.strategy);
    let base = summary
        .iter()
        .find(|r| r.variant == spec.variant && r.strategy == baseline && r.items == row.items)?;
    let speedup = row.speedup?;
    let ci = (row.speedup_ci_low?, row.speedup_ci_high?);
    let fmt_ms = |s: f64| format!("{:.1} ms", s * 1e3);
    let mut evidence = format!(
        "speedup {speedup:.2}x, 95% CI [{}, {}]; medians {baseline} {} vs {} {}; {} reps, {} workers, {} cores",
        verdict::bound(ci.0, THRESHOLD),
        verdict::bound(ci.1, THRESHOLD),
        fmt_ms(base.wall_median_s),
        spec.strategy,
        fmt_ms(row.wall_median_s),
        row.reps.min(base.reps),
        row.workers,
        cores
    );
    if !context.is_empty() {
        let _ = write!(evidence, "; {context}");
    }
    if !row.all_correct || !base.all_correct {
        evidence.push_str("; WRONG RESULTS in some trials");
    }
    let (verdict, reason) = if spec.variant == Variant::Cpu && cores < 2 {
        (
            Verdict::Inconclusive,
            "only 1 core available: CPU-bound work cannot run in parallel on this machine".into(),
        )
    } else {
        let v = judge(spec.direction, ci, THRESHOLD);
        let mut reason = verdict::reason(spec.direction, ci, THRESHOLD);
        if v == Verdict::Inconclusive {
            let _ = write!(reason, " after {} reps", row.reps);
        }
        (v, reason)
    };
    Some(ClaimRow {
        claim: spec.claim.into(),
        statement: statement(spec.claim).into(),
        subject: spec.subject.into(),
        evidence,
        verdict: verdict.to_string(),
        reason,
    })
}

/// Verdicts of the speed claims that a run's summary supports (the default run prints these).
pub fn speedup_verdicts(summary: &[SummaryRow], meta: &Meta) -> Vec<ClaimRow> {
    let cores = meta.machine.available_parallelism;
    SPEED_CLAIMS
        .iter()
        .filter_map(|spec| {
            let context = context_for(spec, meta.python.as_ref(), meta.gil_switch_interval_ms);
            let mut row = judge_speed(spec, summary, cores, &context)?;
            if row.verdict == Verdict::Inconclusive.as_str() && !row.reason.starts_with("only 1") {
                row.reason
                    .push_str(" (fixed --reps; `concbench claim` adds reps until it decides)");
            }
            Some(row)
        })
        .collect()
}

/// What a speed claim's evidence should say about its runtime.
pub fn context_for(
    spec: &SpeedClaim,
    python: Option<&strategy::python::PythonInfo>,
    switch_interval_ms: Option<f64>,
) -> String {
    if spec.strategy == strategy::gil::INFO.name {
        return switch_interval_ms
            .map(|ms| format!("model switch interval {ms} ms"))
            .unwrap_or_default();
    }
    if is_cpython(spec.subject) {
        return python
            .map(|p| {
                format!(
                    "{} {}, GIL {}",
                    p.implementation,
                    p.version,
                    if p.gil_on() { "on" } else { "off" }
                )
            })
            .unwrap_or_default();
    }
    String::new()
}

/// The verdict table for the console.
pub fn claims_table(rows: &[ClaimRow], cores: usize) -> String {
    let mut s = String::new();
    if rows.is_empty() {
        return s;
    }
    let _ = writeln!(
        s,
        "\nclaims ({cores} cores; speed verdicts from the 95% bootstrap CI of the speedup vs {THRESHOLD:.2})"
    );
    let w_subject = rows
        .iter()
        .map(|r| r.subject.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let _ = writeln!(
        s,
        "{:<5} {:<w$} {:<13} evidence / reason",
        "claim",
        "subject",
        "verdict",
        w = w_subject
    );
    let mut last = "";
    for r in rows {
        if r.claim != last {
            let _ = writeln!(s, "{}: {}", r.claim, r.statement);
            last = &r.claim;
        }
        let _ = writeln!(
            s,
            "{:<5} {:<w$} {:<13} {}",
            r.claim,
            r.subject,
            r.verdict,
            r.evidence,
            w = w_subject
        );
        let _ = writeln!(
            s,
            "{:<5} {:<w$} {:<13} -> {}",
            "",
            "",
            "",
            r.reason,
            w = w_subject
        );
    }
    s
}

fn claim_meta(
    args: &ClaimArgs,
    cfg: &campaign::Config,
    measured: Option<&campaign::Outcome>,
    started: Instant,
) -> Meta {
    let jobs = cfg.numbers.len() * 2;
    let parameters = records::Parameters {
        variants: measured.map(|m| m.variants.clone()).unwrap_or_default(),
        strategies: measured.map(|m| m.strategies.clone()).unwrap_or_default(),
        workers: vec![cfg.workers],
        numbers: cfg.numbers.clone(),
        items: cfg.numbers.len(),
        jobs,
        sleep_ms: cfg.sleep.as_secs_f64() * 1e3,
        cpu_ms: Some(cfg.cpu_ms),
        cpu_iters: None,
        reps: measured.map_or(0, |m| m.max_reps_reached()),
        warmup: 1,
        order: "shuffled".into(),
        seed: Some(cfg.order_seed),
        timeout_s: measured.map(|m| m.timeouts.clone()).unwrap_or_default(),
        sample_interval_ms: 0.0,
    };
    Meta {
        concbench_version: env!("CARGO_PKG_VERSION").into(),
        status: "complete".into(),
        command_line: std::env::args().collect(),
        started_at: measured.map_or_else(machine::utc_now, |m| m.started_at.clone()),
        finished_at: Some(machine::utc_now()),
        total_wall_s: Some(started.elapsed().as_secs_f64()),
        machine: machine::describe(),
        parameters,
        calibration: measured.and_then(|m| m.calibration),
        background: measured.map(|m| m.background.clone()).unwrap_or_default(),
        sampler: None,
        mismatches: 0,
        python: measured.and_then(|m| m.python.clone()).or_else(|| {
            strategy::python::interpreter(args.python.as_deref())
                .ok()
                .map(|i| i.info.clone())
        }),
        gil_switch_interval_ms: Some(args.switch_interval_ms),
        bootstrap: Some(cfg.bootstrap.clone()),
        claims: Some(ClaimSettings {
            threshold: cfg.threshold,
            min_reps: cfg.min_reps,
            max_reps: cfg.max_reps,
            step: cfg.step,
            reps_reached: measured.map(|m| m.reps_reached.clone()).unwrap_or_default(),
            stop_reason: measured.map_or_else(
                || "no speed claims selected".into(),
                |m| m.stop_reason.clone(),
            ),
            order_seed: cfg.order_seed,
            budget_s: cfg.budget.as_secs_f64(),
            busy_trial_pct: campaign::BUSY_TRIAL_PCT,
            discarded_busy_trials: measured.map_or(0, |m| m.discarded_busy),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_parse_and_name_what_is_wrong() {
        let e = parse_expectation("C2:rust-threads=DOES_NOT_HOLD").unwrap();
        assert_eq!(e.claim, "C2");
        assert_eq!(e.subject, "rust-threads");
        assert_eq!(e.verdict, Verdict::DoesNotHold);
        assert!(parse_expectation("c1:gil=holds").is_ok());
        assert!(
            parse_expectation("C9:gil=HOLDS")
                .unwrap_err()
                .contains("unknown claim")
        );
        assert!(
            parse_expectation("C3:gil=HOLDS")
                .unwrap_err()
                .contains("no subject")
        );
        assert!(parse_expectation("C3:rust-processes=MAYBE").is_err());
        assert!(parse_expectation("C3").is_err());
    }

    #[test]
    fn every_claim_has_a_statement_and_unique_subjects() {
        let all = all_subjects();
        for (c, s) in &all {
            assert!(!statement(c).is_empty(), "{c}");
            assert_eq!(all.iter().filter(|x| x == &&(*c, *s)).count(), 1, "{c}:{s}");
        }
        for spec in SPEED_CLAIMS {
            assert!(strategy::find(spec.strategy).is_ok(), "{}", spec.strategy);
        }
    }
}
