//! meta.json of a `concbench claim` run.

use std::time::Instant;

use super::{ClaimArgs, campaign};
use crate::measure::machine;
use crate::records::{self, ClaimSettings, Meta};
use crate::strategy;

pub(super) fn claim_meta(
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
