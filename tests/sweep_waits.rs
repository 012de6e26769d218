//! `concbench sweep --waits` as a user meets it: the files a tiny wait sweep writes (sweep.csv
//! with its `waiters` column, the chart, REPORT.md's answer), every trial verified, strategies
//! skipped where they cannot hold the waiters, `report --input` on the folder, and what bad
//! input gets: one line, exit 2. Waits here are 10-20 ms and at most 2,000 waiters.

use std::path::{Path, PathBuf};
use std::process::Output;

use concbench::records::sweep::SweepRow;
use concbench::records::{RunRow, read_csv};

mod binary;
use binary::{concbench, serial, stderr};

fn scratch(name: &str) -> PathBuf {
    binary::scratch("waits", name)
}

fn sweep(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["sweep", "--quiet", "--out", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = concbench(&args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    o
}

fn non_empty(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() > 0)
}

/// `x` lies between the smallest and the largest of `values` (a median does), give or take `eps`.
fn within(x: f64, values: &[f64], eps: f64, p: &SweepRow) {
    let lo = values.iter().copied().fold(f64::MAX, f64::min);
    let hi = values.iter().copied().fold(f64::MIN, f64::max);
    assert!(
        x >= lo - eps && x <= hi + eps,
        "{x} not in {values:?}: {p:?}"
    );
}

#[test]
fn a_tiny_wait_sweep_writes_waiters_the_chart_and_the_answer() {
    let _serial = serial();
    let dir = scratch("tiny");
    let o = sweep(
        &dir,
        &[
            "--waits",
            "4,40",
            "--strategy",
            "threads",
            "--sleep-ms",
            "20",
            "--reps",
            "2",
        ],
    );
    let header = std::fs::read_to_string(dir.join("sweep.csv")).unwrap();
    let header = header.lines().next().unwrap();
    for col in [
        "waiters",
        "wall_over_ideal",
        "cpu_per_waiter_ms",
        "mem_per_waiter_bytes",
    ] {
        assert!(header.split(',').any(|c| c == col), "{col} not in {header}");
    }
    let points: Vec<SweepRow> = read_csv(&dir.join("sweep.csv")).unwrap();
    let waiters: Vec<Option<usize>> = points.iter().map(|p| p.waiters).collect();
    assert_eq!(waiters, [Some(4), Some(40)]);
    for p in &points {
        assert_eq!(
            (p.strategy.as_str(), p.workers),
            ("threads", p.waiters.unwrap())
        );
        assert_eq!((p.reps, p.unit_ms, p.all_correct), (2, 20.0, true));
        // Every waiter waits 20 ms: the wall time cannot be below one wait.
        let over = p.wall_over_ideal.unwrap();
        assert!((0.99..50.0).contains(&over), "{p:?}");
        assert!(p.cpu_per_waiter_ms.unwrap() >= 0.0);
        assert_eq!(p.speedup, None);
    }
    // Every trial ran N jobs on N workers and returned the reference results.
    let runs: Vec<RunRow> = read_csv(&dir.join("runs.csv")).unwrap();
    assert_eq!(runs.len(), 4);
    for r in &runs {
        assert!(r.correct, "{r:?}");
        assert_eq!((r.jobs, r.items), (r.workers, r.workers / 2));
    }
    // Memory per waiter is the point's median peak (between its trials' peaks) ÷ waiters,
    // and CPU per waiter its median CPU ÷ waiters.
    for p in &points {
        let n = p.waiters.unwrap();
        let mine = || runs.iter().filter(move |r| r.workers == n);
        let peaks: Vec<f64> = mine()
            .map(|r| r.mem_peak_bytes.expect("memory measured") as f64)
            .collect();
        let total = p.mem_per_waiter_bytes.expect("memory per waiter") * n as f64;
        within(total, &peaks, 1.0, p);
        let cpu: Vec<f64> = mine().map(|r| r.cpu_total_s).collect();
        within(p.cpu_per_waiter_ms.unwrap() * n as f64 / 1e3, &cpu, 1e-9, p);
    }
    for f in [
        "charts/waits.png",
        "charts/waits.svg",
        "REPORT.md",
        "models.csv",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    assert!(non_empty(&dir.join("charts/waits.png")));
    let report = std::fs::read_to_string(dir.join("REPORT.md")).unwrap();
    assert!(report.contains("## From how many waiters each strategy falls behind"));
    assert!(report.contains("| threads | 40 | 2 |"), "{report}");
    assert!(report.contains("charts/waits.png"));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("wall ÷ ideal"), "{stdout}");
    // The folder rebuilds from its files alone.
    std::fs::remove_dir_all(dir.join("charts")).unwrap();
    std::fs::remove_file(dir.join("REPORT.md")).unwrap();
    let o = concbench(&["report", "--input", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(non_empty(&dir.join("charts/waits.svg")));
    let again = std::fs::read_to_string(dir.join("REPORT.md")).unwrap();
    assert!(again.contains("## From how many waiters each strategy falls behind"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_strategy_that_cannot_hold_the_waiters_is_skipped_with_a_note() {
    let _serial = serial();
    let dir = scratch("skip");
    let o = sweep(
        &dir,
        &[
            "--waits",
            "4,2000",
            "--strategy",
            "threads,processes",
            "--sleep-ms",
            "10",
            "--reps",
            "1",
        ],
    );
    let points: Vec<SweepRow> = read_csv(&dir.join("sweep.csv")).unwrap();
    let got: Vec<(String, Option<usize>)> = points
        .iter()
        .map(|p| (p.strategy.clone(), p.waiters))
        .collect();
    assert_eq!(
        got,
        [
            ("threads".to_string(), Some(4)),
            ("processes".to_string(), Some(4)),
            ("threads".to_string(), Some(2000)),
        ]
    );
    assert!(points.iter().all(|p| p.all_correct));
    let note = "processes skipped at 2000 waiters: it holds at most 1024";
    let report = std::fs::read_to_string(dir.join("REPORT.md")).unwrap();
    assert!(
        report.contains("## Skipped") && report.contains(note),
        "{report}"
    );
    assert!(stderr(&o).contains(note), "{}", stderr(&o));
    // The answer compares processes with the best strategy present (threads, which held the
    // most waiters), at the one count both measured.
    assert!(report.contains("**processes**"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_waits_input_is_one_line_and_exit_2() {
    let dir = scratch("bad");
    let out = dir.to_str().unwrap();
    let cases: [(&[&str], &str); 11] = [
        (&["--waits", "0"], "--waits"),
        (&["--waits", "100001"], "--waits"),
        (
            &["--waits", "10,5000", "--strategy", "processes"],
            "--waits 5000: none of processes can hold 5000 waiters (processes: at most 1024",
        ),
        (&["--waits", "10", "--variant", "cpu"], "--variant cpu"),
        (&["--waits", "10", "--workers", "2"], "--workers"),
        (&["--waits", "10", "--cpu-ms", "1"], "--cpu-ms"),
        (&["--waits", "10", "--numbers", "1,2"], "--numbers"),
        (&["--waits", "10", "--budget-s", "5"], "--budget-s"),
        (&["--waits", "10", "--sleep-ms", "1,2"], "--sleep-ms"),
        (&["--waits", "10", "--strategy", "sequential"], "sequential"),
        (&["--reps", "2"], "--waits"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["sweep", "--quiet", "--out", out];
        all.extend_from_slice(args);
        let o = concbench(&all);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!dir.join("runs.csv").exists(), "{args:?} measured");
    }
}
