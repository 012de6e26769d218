//! Memory per trial checked against a known load (`--job-mb`): one job holds exactly N MiB, so
//! a sequential strategy must peak at N and two workers at 2 x N, whether the workers are
//! threads, worker processes or CPython's. Bad `--job-mb` values are refused before anything
//! runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use concbench::engine::{Arm, Executor, Preparation};
use concbench::measure::sampler::{SamplerClock, TrialTag};
use concbench::strategy::{self, StrategyContext};
use concbench::workload::{Variant, WorkUnit};

mod python3;

const BIN: &str = env!("CARGO_BIN_EXE_concbench");
const MIB: f64 = (1 << 20) as f64;

/// The tests here start processes and read their memory: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("concbench-mem-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn concbench(args: &[&str]) -> Output {
    Command::new(BIN)
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(args)
        .output()
        .unwrap()
}

/// summary.csv as (strategy, mem_peak_bytes, mem_per_worker_bytes), in MiB.
fn memory_of(dir: &Path) -> Vec<(String, f64, f64)> {
    let mut reader = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
    let h = reader.headers().unwrap().clone();
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (s, peak, per) = (
        at("strategy"),
        at("mem_peak_bytes"),
        at("mem_per_worker_bytes"),
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let mib = |i: usize| r[i].parse::<f64>().unwrap() / MIB;
            (r[s].to_string(), mib(peak), mib(per))
        })
        .collect()
}

/// The truth of a load of `mb` per job: (strategy, jobs held at once, slack in MiB). Slack
/// covers the strategy's own cost: thread stacks, a worker process's pages, a forked CPython
/// child's share of its parent's pages. The low end is the truth: VmRSS, read at every sample,
/// is exact (VmHWM alone, raised lazily from batched per-CPU counters, read 0.12 MiB short).
fn expected(python: bool) -> Vec<(&'static str, f64, f64)> {
    let mut e = vec![
        ("sequential", 1.0, 8.0),
        ("threads", 2.0, 8.0),
        ("processes", 2.0, 16.0),
    ];
    if python {
        e.extend([
            ("py-sequential", 1.0, 8.0),
            ("py-threads", 2.0, 8.0),
            // Four jobs, two past the semaphore at once, each holding its load while it waits.
            ("py-asyncio", 2.0, 8.0),
            ("py-processes", 2.0, 24.0),
        ]);
    }
    e
}

#[test]
fn peaks_match_a_known_load_and_without_it_a_process_costs_more_than_a_thread() {
    let _serial = serial();
    let python = python3::usable("the py-* memory checks");
    let strategies: Vec<&str> = expected(python).iter().map(|e| e.0).collect();
    let list = strategies.join(",");
    let mb = 16.0;
    for load in [Some(mb), None] {
        let out = scratch(if load.is_some() { "load" } else { "bare" });
        let mut args = vec![
            "run",
            "--variant",
            "sleep",
            "--sleep-ms",
            "100",
            "--numbers",
            "2,3",
            "--workers",
            "2",
            "--reps",
            "2",
            "--warmup",
            "0",
            "--strategy",
            &list,
            "-q",
            "--out",
        ];
        args.push(out.to_str().unwrap());
        let mb_text = format!("{mb}");
        if load.is_some() {
            args.extend(["--job-mb", mb_text.as_str()]);
        }
        let o = concbench(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let measured = memory_of(&out);
        match load {
            Some(mb) => {
                for (name, held, slack) in expected(python) {
                    let (_, peak, _) = measured.iter().find(|m| m.0 == name).unwrap();
                    let truth = held * mb;
                    assert!(
                        (truth - 0.03..=truth + slack).contains(peak),
                        "{name}: peak {peak:.2} MiB, expected {truth} MiB (+ at most {slack}); all: {measured:?}"
                    );
                }
            }
            None => {
                let per = |name: &str| measured.iter().find(|m| m.0 == name).unwrap().2;
                assert!(
                    per("threads") <= 0.25,
                    "threads: {} MiB per worker",
                    per("threads")
                );
                // A worker process has its own pages and page tables: more than a thread,
                // and at least its page tables and stack.
                assert!(per("processes") >= 0.125, "{measured:?}");
                assert!(per("processes") > per("threads"), "{measured:?}");
                if python {
                    assert!(
                        per("py-processes") > per("py-threads") + 1.0,
                        "{measured:?}"
                    );
                }
            }
        }
        let _ = std::fs::remove_dir_all(&out);
    }
}

fn arm(name: &str, unit: WorkUnit) -> Arm {
    let ctx = StrategyContext::with_worker_near(Path::new(BIN), Duration::from_secs(60));
    Arm {
        variant: Variant::Sleep,
        unit,
        unit_ms: 5.0,
        timeout: Duration::from_secs(60),
        strategy: (strategy::find(name).unwrap().build)(2, &ctx).unwrap(),
        measured: 0,
        last_cost: Duration::ZERO,
    }
}

/// The baseline is taken anew before every trial: a trial that holds nothing, right after
/// one that held 32 MiB, is back near zero, in concbench itself and over worker processes.
#[test]
fn each_trial_starts_from_its_own_baseline() {
    let _serial = serial();
    let executor = Executor::new(
        Instant::now(),
        &[2, 3],
        TrialTag::default(),
        SamplerClock::default(),
        Preparation::default(),
    );
    let sleep = WorkUnit::sleep(Duration::from_millis(30));
    for name in ["sequential", "processes"] {
        let mut loaded = arm(name, sleep.holding(32 << 20));
        let mut bare = arm(name, sleep);
        let held = executor.run(&mut loaded, "loaded").unwrap();
        let after = executor.run(&mut bare, "bare").unwrap();
        let (held, after) = (
            held.memory.peak_bytes as f64 / MIB,
            after.memory.peak_bytes as f64 / MIB,
        );
        assert!(held >= 31.5, "{name}: {held:.2} MiB while holding 32");
        assert!(after < 4.0, "{name}: {after:.2} MiB after, holding nothing");
    }
}

#[test]
fn bad_job_mb_is_refused_before_anything_runs() {
    let _serial = serial();
    let out = scratch("refused");
    let out_text = out.to_str().unwrap().to_string();
    for (value, expect) in [
        ("0", "0 MiB is out of range"),
        ("-1", "-1 MiB is out of range"),
        ("1e9", "'1e9' is not a whole number of MiB"),
        ("1048576", "more than the"),
    ] {
        let o = concbench(&["run", "--job-mb", value, "--out", &out_text]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{value}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{value}: {err}");
        assert!(
            err.contains("--job-mb") && err.contains(expect),
            "{value}: {err}"
        );
        assert!(!out.exists(), "{value}: {} was created", out.display());
    }
}
