//! The speed claims' verdicts in words: from a run's summary (the ratio of medians and its
//! bootstrap interval, from 6 repetitions on) and from `concbench claim`'s decisions (the
//! median of paired speedups and its order-statistic interval).

use std::fmt::Write as _;

use super::decide::Decision;
use super::verdict::{BOOTSTRAP, ORDER_STATISTIC};
use super::{SPEED_CLAIMS, SpeedClaim, THRESHOLD, Verdict, is_cpython, judge, statement, verdict};
use crate::records::{ClaimRow, Meta, SummaryRow};
use crate::stats::{BootstrapSettings, MIN_INTERVAL_N};
use crate::strategy;
use crate::workload::Variant;

/// The verdict of one speed claim from a summary (the row of its strategy with the most
/// workers, and that row's baseline). `None` when the summary lacks the data.
pub fn judge_speed(
    spec: &SpeedClaim,
    summary: &[SummaryRow],
    cores: usize,
    context: &str,
) -> Option<ClaimRow> {
    // By label, so `cpython-threads-native` judges `py-threads+native`, never `py-threads`.
    let label = spec.label();
    let row = summary
        .iter()
        .filter(|r| r.variant == spec.variant && r.strategy == label && r.workers >= 2)
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
    let label = spec.label();
    let baseline = strategy::baseline_of(&label);
    let base = summary
        .iter()
        .find(|r| r.variant == spec.variant && r.strategy == baseline && r.items == row.items)?;
    let fmt_ms = |s: f64| format!("{:.1} ms", s * 1e3);
    let reps = row.reps.min(base.reps);
    let too_few = reps < MIN_INTERVAL_N;
    let ci = row
        .speedup_ci_low
        .zip(row.speedup_ci_high)
        .filter(|(lo, hi)| lo.is_finite() && hi.is_finite() && !too_few);
    let speedup = row.speedup.filter(|s| s.is_finite());
    let level = BootstrapSettings::default().confidence;
    let mut evidence = match (speedup, ci) {
        (Some(s), Some(ci)) => format!(
            "speedup {s:.2}x (ratio of medians), {:.0}% {BOOTSTRAP} CI [{}, {}]",
            level * 100.0,
            verdict::bound(ci.0, THRESHOLD),
            verdict::bound(ci.1, THRESHOLD)
        ),
        (Some(s), None) => format!("speedup {s:.2}x (ratio of medians), no interval"),
        _ => "no speedup interval".to_string(),
    };
    let _ = write!(
        evidence,
        "; medians {baseline} {} vs {} {}; {} reps, {} workers, {} cores",
        fmt_ms(base.wall_median_s),
        label,
        fmt_ms(row.wall_median_s),
        reps,
        row.workers,
        cores
    );
    if !context.is_empty() {
        let _ = write!(evidence, "; {context}");
    }
    if !row.all_correct || !base.all_correct {
        evidence.push_str("; WRONG RESULTS in some trials");
    }
    let (verdict, reason) = match (speedup, ci) {
        _ if spec.variant == Variant::Cpu && cores < 2 => (
            Verdict::Inconclusive,
            "only 1 core available: CPU-bound work cannot run in parallel on this machine".into(),
        ),
        _ if too_few => (
            Verdict::Inconclusive,
            format!("too few repetitions (n < {MIN_INTERVAL_N}): {reps} give no interval"),
        ),
        (Some(_), Some(ci)) => {
            let v = judge(spec.direction, ci, THRESHOLD);
            let mut reason = verdict::reason(spec.direction, ci, THRESHOLD);
            if v == Verdict::Inconclusive {
                let _ = write!(reason, " after {} reps", row.reps);
            }
            (v, reason)
        }
        // Never a missing row: say why there is no interval.
        _ => (
            Verdict::Inconclusive,
            format!(
                "no interval: a median wall time is zero or not finite ({baseline} {}, {} {})",
                base.wall_median_s, label, row.wall_median_s
            ),
        ),
    };
    Some(ClaimRow {
        claim: spec.claim.into(),
        statement: statement(spec.claim).into(),
        subject: spec.subject.into(),
        evidence,
        verdict: verdict.to_string(),
        reason,
        level_achieved: ci.map(|_| level),
        interval_kind: ci.map_or(String::new(), |_| BOOTSTRAP.into()),
    })
}

/// The claims.csv row of a claim decided by `concbench claim`'s sequential rule.
pub fn decision_row(d: &Decision, cores: usize, workers: usize) -> ClaimRow {
    let spec = d.subject.spec;
    let baseline = d.subject.baseline();
    let context = d.subject.context.as_str();
    let mut evidence = match (d.speedup, d.ci) {
        (Some(s), Some(ci)) => format!(
            "speedup {s:.2}x (median of {} paired rounds), {} {ORDER_STATISTIC} CI [{}, {}] (covers {:.1}%) at the {}",
            d.reps,
            d.level,
            verdict::bound(ci.0, THRESHOLD),
            verdict::bound(ci.1, THRESHOLD),
            d.level_achieved.unwrap_or(f64::NAN) * 100.0,
            d.look
        ),
        (Some(s), None) => format!(
            "speedup {s:.2}x (median of {} paired rounds), no interval",
            d.reps
        ),
        _ => "not measured".to_string(),
    };
    if let Some((b, c)) = d.medians {
        let _ = write!(
            evidence,
            "; medians {baseline} {:.1} ms vs {} {:.1} ms; {workers} workers, {cores} cores",
            b * 1e3,
            d.subject.label,
            c * 1e3,
        );
    }
    if !context.is_empty() {
        let _ = write!(evidence, "; {context}");
    }
    let mut reason = d.reason.clone();
    if let Some(note) = &d.subject.note {
        let _ = write!(reason, " ({note})");
    }
    ClaimRow {
        claim: spec.claim.into(),
        statement: statement(spec.claim).into(),
        subject: d.subject.name.clone(),
        evidence,
        verdict: d.verdict.to_string(),
        reason,
        level_achieved: d.level_achieved,
        interval_kind: d.ci.map_or(String::new(), |_| ORDER_STATISTIC.into()),
    }
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
                    "{} {}, GIL {}{}",
                    p.implementation,
                    p.version,
                    if p.gil_on() { "on" } else { "off" },
                    if spec.kernel == strategy::python::PyKernel::Native {
                        ", native kernel"
                    } else if spec.strategy == strategy::python::INTERPRETERS.name {
                        " in each subinterpreter (a GIL of its own)"
                    } else {
                        ""
                    }
                )
            })
            .unwrap_or_default();
    }
    String::new()
}
