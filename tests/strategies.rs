//! Every strategy returns exactly the sequential reference, and `processes` really runs in
//! other processes that share no memory with concbench.

use std::time::Duration;

use concbench::strategy::{self, REGISTRY, StrategyContext};
use concbench::worker::appended_in_this_process;
use concbench::workload::{Job, WorkUnit, jobs_for, reference_results};

fn ctx() -> StrategyContext {
    StrategyContext {
        worker_exe: env!("CARGO_BIN_EXE_concbench").into(),
        worker_args: Vec::new(),
        timeout: Duration::from_secs(60),
        runtime: Default::default(),
    }
}

/// Lists with 0, negatives, the largest cube that fits, odd lengths and a single item.
fn lists() -> Vec<Vec<i64>> {
    vec![
        vec![2, 3, 8, 9],
        vec![0],
        vec![-7, 0, 7, -1, 1],
        vec![5_541_191_377_756, -5_541_191_377_756, 123_456_789],
        (1..=13).collect(),
    ]
}

fn units() -> [WorkUnit; 2] {
    [
        WorkUnit::Sleep(Duration::from_micros(200)),
        WorkUnit::Cpu { iters: 10_000 },
    ]
}

#[test]
fn every_strategy_returns_the_sequential_results() {
    for info in REGISTRY {
        for workers in [1, 2, 3] {
            let mut s = (info.build)(workers, &ctx()).unwrap();
            for numbers in lists() {
                let jobs = jobs_for(&numbers);
                for unit in units() {
                    let out = s.run(&jobs, unit).unwrap();
                    assert_eq!(
                        out.results,
                        reference_results(&jobs),
                        "{} with {workers} workers on {numbers:?} ({unit:?})",
                        info.name
                    );
                }
            }
        }
    }
}

#[test]
fn the_reference_is_the_sequential_strategy() {
    let jobs: Vec<Job> = jobs_for(&[-3, 0, 4]);
    let mut seq = (strategy::find("sequential").unwrap().build)(1, &ctx()).unwrap();
    let out = seq.run(&jobs, WorkUnit::Sleep(Duration::ZERO)).unwrap();
    assert_eq!(out.results, vec![9, 0, 16, -27, 0, 64]);
}

#[test]
fn processes_run_elsewhere_and_share_no_memory() {
    let jobs = jobs_for(&[2, 3, 8, 9]);
    let mut p = (strategy::find("processes").unwrap().build)(3, &ctx()).unwrap();
    let out = p.run(&jobs, WorkUnit::Cpu { iters: 1000 }).unwrap();
    assert_eq!(out.results, reference_results(&jobs));

    // Three distinct children, none of them us.
    let me = std::process::id();
    let mut pids = out.child_pids.clone();
    assert_eq!(pids.len(), 3);
    assert!(pids.iter().all(|&p| p != me));
    pids.sort();
    pids.dedup();
    assert_eq!(pids.len(), 3, "pids {:?}", out.child_pids);

    // The tutorial's point: every child appended its results to its own global list...
    assert_eq!(out.child_appends.iter().sum::<usize>(), jobs.len());
    // ...and none of that reached ours: the results came back over the pipes.
    assert_eq!(appended_in_this_process(), 0);
    assert!(out.child_peak_rss_kib.is_some_and(|k| k > 0));
}

#[test]
fn threads_stay_in_this_process() {
    let jobs = jobs_for(&[1, 2]);
    for name in ["threads", "rayon"] {
        let mut s = (strategy::find(name).unwrap().build)(2, &ctx()).unwrap();
        let out = s.run(&jobs, WorkUnit::Cpu { iters: 10 }).unwrap();
        assert!(out.child_pids.is_empty());
    }
}

#[test]
fn a_missing_worker_binary_is_a_clear_error() {
    let mut c = ctx();
    c.worker_exe = "/nonexistent/concbench".into();
    let mut p = (strategy::find("processes").unwrap().build)(2, &c).unwrap();
    let err = p
        .run(&jobs_for(&[1]), WorkUnit::Cpu { iters: 1 })
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot start worker process"), "{err}");
}

#[test]
fn faulty_workers_are_reported_and_reaped() {
    let jobs = jobs_for(&[2, 3, 8, 9]);
    for (fault, expect) in [
        ("crash@1", "SIGABRT"),
        ("exit@0", "exited with status 3"),
        ("garbage@1", "malformed output"),
        ("hang@0", "timed out"),
    ] {
        let mut c = ctx();
        c.worker_args = vec!["--fault".into(), fault.into()];
        c.timeout = Duration::from_millis(1500);
        let mut p = (strategy::find("processes").unwrap().build)(2, &c).unwrap();
        let started = std::time::Instant::now();
        let err = p
            .run(&jobs, WorkUnit::Sleep(Duration::from_millis(1)))
            .unwrap_err()
            .to_string();
        assert!(err.contains(expect), "{fault}: {err}");
        assert!(err.contains("worker"), "{fault}: {err}");
        // Never waits much past the timeout.
        assert!(started.elapsed() < Duration::from_secs(20), "{fault}");
    }
}
