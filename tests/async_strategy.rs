//! The `async` strategy through the binary: correct results in both variants at a few and at
//! 1,000 workers, each strategy's worker limit refused in one line, and a run without its
//! baseline that prints no speedup but an efficiency against the ideal wall time.

use std::path::{Path, PathBuf};
use std::process::Output;

mod binary;
use binary::{concbench, serial};

fn scratch(name: &str) -> PathBuf {
    let dir = binary::scratch("async", name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `concbench run --quiet --warmup 0 --out OUT ARGS`, which must succeed.
fn run_ok(out: &Path, args: &[&str]) -> Output {
    let mut all = vec![
        "run",
        "--quiet",
        "--warmup",
        "0",
        "--out",
        out.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let o = concbench(&all);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// The rows of a CSV file as maps from column to value.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            let cells = l.split(',').map(String::from);
            header.iter().map(|h| h.to_string()).zip(cells).collect()
        })
        .collect()
}

fn async_rows(out: &Path, file: &str) -> Vec<std::collections::HashMap<String, String>> {
    let rows: Vec<_> = csv_rows(&out.join(file))
        .into_iter()
        .filter(|r| r["strategy"] == "async")
        .collect();
    assert!(!rows.is_empty(), "no async row in {file}");
    rows
}

#[test]
fn async_is_correct_in_both_variants_and_with_job_memory() {
    let _serial = serial();
    let out = scratch("variants");
    run_ok(
        &out,
        &[
            "--strategy",
            "sequential,async",
            "--variant",
            "sleep,cpu",
            "--workers",
            "1,2,3",
            "--numbers",
            "0,-3,5,7,11",
            "--sleep-ms",
            "2",
            "--cpu-ms",
            "1",
            "--job-mb",
            "1",
            "--reps",
            "2",
        ],
    );
    let runs = async_rows(&out, "runs.csv");
    // 2 variants x 3 worker counts x 2 reps, every one verified against the reference.
    assert_eq!(runs.len(), 12);
    assert!(runs.iter().all(|r| r["correct"] == "true"), "{runs:?}");
    let summary = async_rows(&out, "summary.csv");
    assert!(summary.iter().all(|r| r["all_correct"] == "true"));
    assert!(summary.iter().all(|r| !r["speedup"].is_empty()));
}

#[test]
fn a_thousand_waits_run_at_once_and_stay_correct() {
    let _serial = serial();
    let out = scratch("thousand");
    // 2,000 jobs of 100 ms on 1,000 waits: two rounds of waits, so at least 200 ms (a sleep
    // never ends early). With no bound on what is in flight it would be one round (about
    // 100 ms plus spawning); with a few threads' worth, hundreds.
    run_ok(
        &out,
        &[
            "--strategy",
            "async",
            "--variant",
            "sleep",
            "--workers",
            "1000",
            "--items",
            "1000",
            "--sleep-ms",
            "100",
            "--reps",
            "2",
        ],
    );
    for r in async_rows(&out, "runs.csv") {
        assert_eq!(r["correct"], "true");
        assert_eq!(r["jobs"], "2000");
        let wall: f64 = r["wall_s"].parse().unwrap();
        assert!((0.200..2.0).contains(&wall), "wall {wall} s");
    }
    let s = &async_rows(&out, "summary.csv")[0];
    // The heap of a thousand tasks, measured as concbench's growth: some, not megabytes each.
    let per_waiter: f64 = s["mem_per_worker_bytes"].parse().unwrap();
    assert!(
        (16.0..64.0 * 1024.0).contains(&per_waiter),
        "{per_waiter} B"
    );
}

fn assert_refused(args: &[&str], expect: &str) {
    let o = concbench(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    assert!(
        err.contains(expect),
        "{args:?}: expected '{expect}' in {err}"
    );
    assert!(o.stdout.is_empty(), "{args:?}");
}

#[test]
fn each_strategy_refuses_workers_above_its_limit_in_one_line() {
    let _serial = serial();
    let out = scratch("limits");
    let out = out.to_str().unwrap();
    assert_refused(
        &[
            "run",
            "--out",
            out,
            "--workers",
            "100001",
            "--strategy",
            "async",
        ],
        "100001 workers is out of range (1-100000, or auto)",
    );
    assert_refused(
        &[
            "run",
            "--out",
            out,
            "--workers",
            "5000",
            "--strategy",
            "async,processes",
        ],
        "--workers 5000: processes holds at most 1024 workers (one OS thread or process per worker",
    );
    assert_refused(
        &[
            "run",
            "--out",
            out,
            "--workers",
            "2,40000",
            "--strategy",
            "threads",
        ],
        "--workers 40000: threads holds at most 30000 workers",
    );
    assert_refused(
        &[
            "run",
            "--out",
            out,
            "--workers",
            "2000",
            "--strategy",
            "rayon",
        ],
        "rayon holds at most 1024",
    );
    // The default strategies include the CPU pools: 100,000 workers need a list that holds them.
    assert_refused(
        &["run", "--out", out, "--workers", "100000"],
        "holds at most",
    );
}

#[test]
fn without_its_baseline_a_run_shows_efficiency_against_the_ideal_and_no_speedup() {
    let _serial = serial();
    let out = scratch("no-baseline");
    let o = run_ok(
        &out,
        &[
            "--strategy",
            "threads,async",
            "--variant",
            "sleep",
            "--workers",
            "4",
            "--items",
            "4",
            "--sleep-ms",
            "20",
            "--reps",
            "2",
        ],
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    // 8 jobs of 20 ms on 4 workers: ideal 40 ms.
    for r in csv_rows(&out.join("summary.csv")) {
        assert_eq!(r["speedup"], "", "{r:?}");
        let efficiency: f64 = r["efficiency"].parse().unwrap();
        let wall: f64 = r["wall_median_s"].parse().unwrap();
        assert!((efficiency - 0.040 / wall).abs() < 1e-9, "{r:?}");
        assert!(efficiency > 0.0 && efficiency <= 1.0, "{r:?}");
        // The console prints no speedup ("-") and the same efficiency.
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(r["strategy"].as_str()))
            .unwrap_or_else(|| panic!("no line for {} in {stdout}", r["strategy"]));
        assert!(!line.contains('x'), "a speedup in: {line}");
        assert!(
            line.contains(&format!("{:.0}%", efficiency * 100.0)),
            "{line}"
        );
    }
    assert!(stdout.contains("efficiency without a speedup"), "{stdout}");
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("efficiency without a speedup"), "{report}");
}
