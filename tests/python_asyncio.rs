//! `py-asyncio` with many waiters: every result, in job order, and the waits overlap (far less
//! wall time than jobs × wait), while its semaphore lets at most N jobs wait at once. Its
//! correctness on every list, variant and small worker count is checked with every other
//! strategy's (tests/strategies.rs), its `--job-mb` load in tests/memory.rs.
//!
//! Timing is asserted only where it cannot flake: a lower bound that sleeps guarantee, and an
//! upper bound with a wide margin (a quarter of what one-by-one would take).

use std::path::Path;
use std::time::Duration;

use concbench::strategy::python::{ASYNCIO, rate_store};
use concbench::strategy::{Strategy, StrategyContext};
use concbench::workload::{Job, WorkUnit, jobs_for, reference_results};

mod python3;

/// The tests here start interpreters: one at a time, so their timings do not mix.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

fn ctx() -> StrategyContext {
    rate_store::use_dir(env!("CARGO_TARGET_TMPDIR"));
    StrategyContext::with_worker_near(
        Path::new(env!("CARGO_BIN_EXE_concbench")),
        Duration::from_secs(120),
    )
}

/// One trial as the engine runs it (prepare, run, finish): the results, and the wall time the
/// interpreter measured around the work alone.
fn trial(workers: usize, jobs: &[Job], unit: WorkUnit) -> (Vec<i128>, f64) {
    let mut s: Box<dyn Strategy> = (ASYNCIO.build)(workers, &ctx()).unwrap();
    s.prepare(jobs, unit).unwrap();
    let out = s.run(jobs, unit).unwrap();
    s.finish().unwrap();
    let wall_s = s
        .self_reporting()
        .and_then(|r| r.self_measured())
        .expect("py-asyncio measures its own work")
        .wall_s;
    (out.results, wall_s)
}

#[test]
fn two_thousand_waiters_on_a_thousand_workers_overlap_and_return_every_result() {
    let _serial = serial();
    if !python3::usable("py-asyncio with many waiters") {
        return;
    }
    let numbers: Vec<i64> = (1..=1000).collect();
    let jobs = jobs_for(&numbers);
    assert_eq!(jobs.len(), 2000);
    let wait = Duration::from_millis(20);
    let (results, wall_s) = trial(1000, &jobs, WorkUnit::sleep(wait));
    assert_eq!(results, reference_results(&jobs));
    let one_by_one = jobs.len() as f64 * wait.as_secs_f64();
    // Two waves through the semaphore: never less than two waits.
    assert!(wall_s >= 2.0 * wait.as_secs_f64(), "{wall_s:.3} s");
    assert!(
        wall_s < 0.25 * one_by_one,
        "{wall_s:.3} s for {} jobs of {wait:?} on 1000 workers: the waits did not overlap",
        jobs.len()
    );
}

#[test]
fn at_most_n_jobs_wait_at_once() {
    let _serial = serial();
    if !python3::usable("py-asyncio's semaphore") {
        return;
    }
    let jobs = jobs_for(&[2, 3, 4]); // 6 jobs
    let wait = Duration::from_millis(100);
    // Two at a time: three waits one after another, whatever the machine's load.
    let (results, gated_s) = trial(2, &jobs, WorkUnit::sleep(wait));
    assert_eq!(results, reference_results(&jobs));
    assert!(
        gated_s >= 0.3,
        "6 jobs of 100 ms, 2 at a time, in {gated_s:.3} s"
    );
    // All six at once: one wait, with room for a loaded machine (under three).
    let (results, all_s) = trial(6, &jobs, WorkUnit::sleep(wait));
    assert_eq!(results, reference_results(&jobs));
    assert!(
        all_s < 0.3,
        "6 jobs of 100 ms, all at once, in {all_s:.3} s"
    );
}

/// 100,000 jobs at once: a request of about 2 MB to the interpreter and 100,000 results back,
/// all correct (`--workers` on the command line may stop short of this; the strategy does not).
#[test]
fn a_hundred_thousand_waiters_at_once() {
    let _serial = serial();
    if !python3::usable("py-asyncio with 100,000 waiters") {
        return;
    }
    let numbers: Vec<i64> = (1..=50_000).collect();
    let jobs = jobs_for(&numbers);
    let wait = Duration::from_millis(50);
    let (results, wall_s) = trial(100_000, &jobs, WorkUnit::sleep(wait));
    assert_eq!(results, reference_results(&jobs));
    assert!(wall_s >= wait.as_secs_f64(), "{wall_s:.3} s");
}
