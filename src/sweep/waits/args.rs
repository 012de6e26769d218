//! `concbench sweep --waits LIST` options turned into a validated [`SweepPlan`] with its
//! [`WaitsAxis`]. Flags that only size the job-size sweep (--cpu-ms, --workers, --numbers,
//! --budget-s, ...) are refused by clap beside --waits; the rest are checked here, each a
//! one-line usage error.

use std::time::Duration;

use super::plan::{DEFAULT_REPS, DEFAULT_WAIT_MS, WaitsAxis, checked_strategies};
use crate::cli::random_seed;
use crate::error::{Error, Result};
use crate::strategy;
use crate::study::StudyConfig;
use crate::sweep::args::{DEFAULT_OUT, SweepArgs};
use crate::sweep::plan::{CpuSizes, SweepPlan};
use crate::workload::Variant;

/// The plan of a wait sweep.
pub fn plan(args: &SweepArgs) -> Result<SweepPlan> {
    let e = &args.engine;
    crate::sweep::one_python(&e.python)?;
    if let Some(v) = args.variant.iter().find(|v| **v != Variant::Sleep) {
        return Err(Error::Usage(format!(
            "--variant {v}: --waits measures waiting, --variant sleep only ({v} jobs do not wait)"
        )));
    }
    if args.sleep_ms.len() > 1 {
        return Err(Error::Usage(format!(
            "--sleep-ms: a wait sweep takes one wait per job ({} given)",
            args.sleep_ms.len()
        )));
    }
    let mut waiters = args.waits.clone();
    waiters.sort_unstable();
    waiters.dedup();
    let listed = if args.strategy.is_empty() {
        super::plan::default_strategies()
    } else {
        let mut out: Vec<&'static strategy::StrategyInfo> = Vec::new();
        for name in &args.strategy {
            let info = strategy::find(name)?;
            if !out.iter().any(|s| s.name == info.name) {
                out.push(info);
            }
        }
        out
    };
    let strategies = checked_strategies(listed, &waiters)?;
    let wait_ms = args.sleep_ms.first().copied().unwrap_or(DEFAULT_WAIT_MS);
    let reps = args.reps.unwrap_or(DEFAULT_REPS);
    Ok(SweepPlan {
        variants: vec![Variant::Sleep],
        strategies,
        workers: waiters.clone(),
        cpu: CpuSizes::Millis(Vec::new()),
        sleep_ms: vec![wait_ms],
        budget: Duration::ZERO,
        dask_workers: None,
        min_reps: reps,
        max_reps: reps,
        warmup: args.warmup,
        ceiling: false,
        chunk: args.chunk,
        python: None,
        dask: None,
        py_kernel: args.py_kernel,
        timeout: e.timeout(),
        show_progress: !e.quiet,
        command_line: std::env::args().collect(),
        study: StudyConfig {
            out_dir: e.out_or(DEFAULT_OUT),
            // Each waiter count has numbers of its own (1..=N/2): see `plan::numbers_for`.
            numbers: Vec::new(),
            order: e.order,
            seed: e.seed_or(random_seed),
            preparation: e.preparation(),
            sample_interval: e.sample_interval(),
        },
        waits: Some(WaitsAxis {
            waiters,
            wait_ms,
            reps,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Sweep {
        #[command(flatten)]
        args: SweepArgs,
    }

    fn plan_of(args: &[&str]) -> Result<SweepPlan> {
        let parsed = Sweep::try_parse_from(std::iter::once("sweep").chain(args.iter().copied()))
            .map_err(|e| Error::Usage(e.to_string()))?;
        crate::sweep::plan(&parsed.args)
    }

    #[test]
    fn waits_default_to_sleep_with_one_wait_and_fixed_reps() {
        let p = plan_of(&["--waits", "100,10,5,10"]).unwrap();
        let axis = p.waits.clone().unwrap();
        assert_eq!(axis.waiters, vec![6, 10, 100]);
        assert_eq!((axis.wait_ms, axis.reps), (DEFAULT_WAIT_MS, DEFAULT_REPS));
        assert_eq!(p.variants, vec![Variant::Sleep]);
        assert!(p.strategies.iter().any(|s| s.name == "threads"));
        // Without --waits nothing changes: cpu by default, no waits axis.
        let p = plan_of(&[]).unwrap();
        assert_eq!((p.variants, p.waits), (vec![Variant::Cpu], None));
    }

    #[test]
    fn bad_waits_are_one_line_usage_errors() {
        for bad in [
            &["--waits", "0"][..],
            &["--waits", "100001"],
            &["--waits", "10", "--variant", "cpu"],
            &["--waits", "10", "--workers", "4"],
            &["--waits", "10", "--cpu-ms", "1"],
            &["--waits", "10", "--sleep-ms", "1,2"],
            &["--waits", "5000", "--strategy", "processes"],
            &["--waits", "10", "--strategy", "sequential,threads"],
            &["--reps", "3"],
        ] {
            let e = plan_of(bad).unwrap_err();
            assert!(matches!(e, Error::Usage(_)), "{bad:?}: {e}");
        }
    }
}
