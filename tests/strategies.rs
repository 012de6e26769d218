//! Every strategy returns exactly the sequential reference, and `processes` really runs in
//! other processes that share no memory with concbench, reaps every child whatever they do,
//! and never hangs on one.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use concbench::strategy::python::rate_store;
use concbench::strategy::{self, REGISTRY, StrategyContext, StrategyInfo};
use concbench::workload::{Job, WorkUnit, jobs_for, reference_results};

mod python3;

/// Tests that start child processes run one at a time, so each can check that none of its
/// children is left behind.
static CHILDREN: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    CHILDREN.lock().unwrap_or_else(|p| p.into_inner())
}

/// The context every test here builds its strategies with. The py-* strategies calibrate with
/// it, so it first points the CPython rate store at target/tmp: never the user's cache.
fn ctx() -> StrategyContext {
    rate_store::use_dir(env!("CARGO_TARGET_TMPDIR"));
    StrategyContext::with_worker_near(
        Path::new(env!("CARGO_BIN_EXE_concbench")),
        Duration::from_secs(60),
    )
}

/// Children of this process that still exist (running or zombie: not reaped).
fn our_children() -> Vec<(u32, char)> {
    let me = std::process::id();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces, so split after its ')'.
        let Some(rest) = stat.rsplit_once(')').map(|x| x.1) else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let state = f.next().and_then(|s| s.chars().next()).unwrap_or('?');
        if f.next().and_then(|p| p.parse::<u32>().ok()) == Some(me) {
            out.push((pid, state));
        }
    }
    out
}

/// The registry entries this machine can build: py-* only with a Python 3, said once.
fn buildable() -> Vec<&'static StrategyInfo> {
    let python = python3::usable("the py-* strategies");
    REGISTRY
        .iter()
        .filter(|s| python || !strategy::python::is_python(s))
        // py-dask needs an interpreter with Dask, not python3: tests/dask.rs runs it.
        .filter(|s| s.name != strategy::python::DASK.name)
        // py-interpreters needs CPython 3.13+: tests/python_interpreters.rs runs it.
        .filter(|s| s.name != strategy::python::INTERPRETERS.name)
        .collect()
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
        WorkUnit::sleep(Duration::from_micros(200)),
        WorkUnit::cpu(10_000),
    ]
}

#[test]
fn every_strategy_returns_the_sequential_results() {
    let _serial = serial();
    for info in buildable() {
        for workers in [1, 2, 3] {
            let mut s = (info.build)(workers, &ctx()).unwrap();
            for numbers in lists() {
                let jobs = jobs_for(&numbers);
                for unit in units() {
                    // As the engine runs a trial: prepare, run, finish.
                    s.prepare(&jobs, unit).unwrap();
                    let out = s.run(&jobs, unit).unwrap();
                    s.finish().unwrap();
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
    assert_eq!(our_children(), vec![], "children left behind");
}

/// Where a calibration here keeps its CPython rate: under target/, not in ~/.cache/concbench
/// (nor wherever the environment of `cargo test` points).
#[test]
fn calibrations_here_keep_their_rates_under_target() {
    let _ = ctx();
    let kept = rate_store::path().unwrap();
    assert!(
        kept.starts_with(env!("CARGO_TARGET_TMPDIR")),
        "the py-* calibrations here would write {}",
        kept.display()
    );
}

#[test]
fn the_reference_is_the_sequential_strategy() {
    let jobs: Vec<Job> = jobs_for(&[-3, 0, 4]);
    let mut seq = (strategy::find("sequential").unwrap().build)(1, &ctx()).unwrap();
    let out = seq.run(&jobs, WorkUnit::sleep(Duration::ZERO)).unwrap();
    assert_eq!(out.results, vec![9, 0, 16, -27, 0, 64]);
}

#[test]
fn processes_run_elsewhere_and_share_no_memory() {
    let _serial = serial();
    let jobs = jobs_for(&[2, 3, 8, 9]);
    let mut p = (strategy::find("processes").unwrap().build)(3, &ctx()).unwrap();
    let mut seen: Vec<u32> = Vec::new();
    for run in 0..2 {
        let out = p.run(&jobs, WorkUnit::cpu(1000)).unwrap();
        assert_eq!(out.results, reference_results(&jobs));
        // Three distinct children, none of them us, none of them from the run before.
        let me = std::process::id();
        let mut pids = out.child_pids.clone();
        assert_eq!(pids.len(), 3);
        assert!(
            pids.iter().all(|&p| p != me && !seen.contains(&p)),
            "run {run}: {pids:?}"
        );
        pids.sort();
        pids.dedup();
        assert_eq!(pids.len(), 3, "pids {:?}", out.child_pids);
        seen.extend(pids);
        // The tutorial's point: each child appended to its own global list, which started
        // empty: every run the counts add up to exactly the jobs. Shared memory would carry
        // the first run's appends into the second.
        assert_eq!(
            out.child_appends.iter().sum::<usize>(),
            jobs.len(),
            "run {run}"
        );
        assert!(out.child_peak_rss_kib.is_some_and(|k| k > 0));
    }
    assert_eq!(our_children(), vec![], "children left behind");
}

#[test]
fn chunks_carry_several_jobs_per_message_and_still_return_everything() {
    let _serial = serial();
    let jobs = jobs_for(&(1..=50).collect::<Vec<i64>>());
    for chunk in [
        strategy::processes::Chunk::Auto,
        strategy::processes::Chunk::Fixed(7),
    ] {
        let mut c = ctx();
        c.chunk = chunk;
        let mut p = (strategy::find("processes").unwrap().build)(2, &c).unwrap();
        assert_eq!(
            p.chunk_size(jobs.len()),
            Some(chunk.size(jobs.len(), 2)),
            "{chunk}"
        );
        let out = p.run(&jobs, WorkUnit::cpu(100)).unwrap();
        assert_eq!(out.results, reference_results(&jobs), "{chunk}");
    }
}

#[test]
fn threads_stay_in_this_process() {
    let jobs = jobs_for(&[1, 2]);
    for name in ["threads", "rayon", "ceiling"] {
        let mut s = (strategy::find(name).unwrap().build)(2, &ctx()).unwrap();
        let out = s.run(&jobs, WorkUnit::cpu(10)).unwrap();
        assert!(out.child_pids.is_empty());
    }
}

#[test]
fn a_missing_worker_binary_is_a_clear_error() {
    let mut c = ctx();
    c.worker_exe = "/nonexistent/concbench".into();
    let mut p = (strategy::find("processes").unwrap().build)(2, &c).unwrap();
    let err = p
        .run(&jobs_for(&[1]), WorkUnit::cpu(1))
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot start worker process"), "{err}");
}

fn faulty(fault: &str, timeout: Duration) -> (Result<(), String>, Duration) {
    let mut c = ctx();
    c.worker_args = vec!["--fault".into(), fault.into()];
    c.timeout = timeout;
    let mut p = (strategy::find("processes").unwrap().build)(2, &c).unwrap();
    let started = Instant::now();
    let jobs = jobs_for(&[2, 3, 8, 9]);
    let result = p
        .run(&jobs, WorkUnit::sleep(Duration::from_millis(1)))
        .map(|out| assert_eq!(out.results, reference_results(&jobs)))
        .map_err(|e| e.to_string());
    (result, started.elapsed())
}

#[test]
fn faulty_workers_are_reported_and_reaped() {
    let _serial = serial();
    for (fault, expect) in [
        ("crash@1", "SIGABRT"),
        ("exit@0", "exited with status 3"),
        ("garbage@1", "malformed output"),
        ("hang@0", "timed out"),
        // Says goodbye, then never exits: killed after the grace period, not waited for.
        ("linger@1", "did not exit"),
    ] {
        let (result, took) = faulty(fault, Duration::from_millis(1500));
        let err = result.expect_err(fault);
        assert!(err.contains(expect), "{fault}: {err}");
        assert!(err.contains("worker"), "{fault}: {err}");
        // Never waits much past the timeout or the grace period.
        assert!(took < Duration::from_secs(10), "{fault}: {took:?}");
        // Every child was reaped: none is left, not even as a zombie.
        assert_eq!(our_children(), vec![], "{fault}: children left behind");
    }
}

#[test]
fn a_worker_that_floods_its_stderr_does_not_block() {
    let _serial = serial();
    // 256 KiB of stderr is four times what a pipe holds: unread, the child would block on it
    // and the trial would time out.
    let (result, took) = faulty("chatter", Duration::from_secs(5));
    result.unwrap();
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert_eq!(our_children(), vec![]);
}
