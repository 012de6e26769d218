//! meta.json of a `concbench claim` run.

use std::time::Instant;

use super::campaign;
use crate::measure::machine;
use crate::records::{self, ClaimSettings, Meta};
use crate::strategy::python::PythonInfo;
use crate::study::{MetaParts, StudyKind, study_meta};
use crate::workload::{Calibration, Variant};

/// The meta.json a claim run starts with (status "running"). `fallback` is the interpreter
/// named when no subject runs on one.
pub(super) fn claim_meta(
    cfg: &campaign::Config,
    calibration: Option<Calibration>,
    before: Option<f64>,
    pythons: Vec<PythonInfo>,
    fallback: Option<PythonInfo>,
) -> Meta {
    let parameters = records::Parameters {
        job_mb: None,
        variants: Vec::new(),
        strategies: Vec::new(),
        workers: vec![cfg.workers],
        numbers: cfg.numbers.clone(),
        items: cfg.numbers.len(),
        jobs: cfg.numbers.len() * 2,
        sleep_ms: cfg.sleep.as_secs_f64() * 1e3,
        cpu_ms: Some(cfg.cpu_ms),
        cpu_iters: None,
        reps: 0,
        warmup: 1,
        order: cfg.order.name().into(),
        seed: Some(cfg.order_seed),
        timeout_s: Vec::new(),
        sample_interval_ms: cfg.sample_interval.as_secs_f64() * 1e3,
    };
    let mut meta = study_meta(
        StudyKind::Claim,
        MetaParts {
            parameters,
            calibration,
            before,
            pythons,
            gil_switch_interval_ms: Some(cfg.switch_interval_ms),
            bootstrap: cfg.bootstrap.clone(),
            command_line: std::env::args().collect(),
        },
    );
    if meta.python.is_none() {
        meta.python = fallback;
    }
    meta
}

/// The meta.json a claim run ends with: the campaign's (status, background load, discipline)
/// plus the verdict rule and how the repetitions went.
pub(super) fn finish_meta(
    initial: Meta,
    measured: Option<&campaign::Outcome>,
    cfg: &campaign::Config,
    started: Instant,
) -> Meta {
    let mut meta = measured.map_or(initial, |m| m.meta.clone());
    if measured.is_none() {
        meta.status = "complete".into();
        meta.finished_at = Some(machine::utc_now());
    }
    meta.total_wall_s = Some(started.elapsed().as_secs_f64());
    let runs = measured.map(|m| m.runs.as_slice()).unwrap_or_default();
    let mut reps_reached: Vec<(String, u32)> = Vec::new();
    for r in runs {
        let key = format!("{}/{}/{}", r.variant, r.strategy, r.workers);
        match reps_reached.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => reps_reached.push((key, 1)),
        }
    }
    let p = &mut meta.parameters;
    p.variants = Variant::ALL
        .into_iter()
        .filter(|v| runs.iter().any(|r| r.variant == *v))
        .collect();
    p.strategies = Vec::new();
    for r in runs {
        if !p.strategies.contains(&r.strategy) {
            p.strategies.push(r.strategy.clone());
        }
    }
    p.reps = reps_reached.iter().map(|r| r.1).max().unwrap_or(0);
    meta.claims = Some(ClaimSettings {
        threshold: cfg.judging.threshold,
        min_reps: cfg.min_reps,
        max_reps: cfg.max_reps,
        step: cfg.step,
        reps_reached,
        stop_reason: measured.map_or_else(
            || "no speed claims selected".into(),
            |m| m.stop_reason.clone(),
        ),
        order_seed: cfg.order_seed,
        budget_s: cfg.budget.as_secs_f64(),
        busy_trial_pct: campaign::BUSY_TRIAL_PCT,
        discarded_busy_trials: measured.map_or(0, |m| m.discarded_busy),
        stopping_rule: Some(cfg.judging.rule),
    });
    meta
}
