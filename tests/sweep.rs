//! `concbench sweep` as a user meets it: the files it writes and their schemas, the budget it
//! keeps, a stop signal, `concbench report` on a sweep folder, and what bad input gets. Sweeps
//! here are tiny (microsecond jobs, two worker counts, a few repetitions) so each takes seconds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use concbench::records::CsvRecord;
use concbench::records::sweep::{ModelRow, SweepRow};

const BIN: &str = env!("CARGO_BIN_EXE_concbench");

/// The sweeps here measure: one at a time, so one test's workers don't take another's cores.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("concbench-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn concbench(args: &[&str]) -> Output {
    Command::new(BIN)
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn header(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .next()
        .unwrap_or("")
        .split(',')
        .map(String::from)
        .collect()
}

fn meta(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap()
}

/// A sweep small enough for a test: 1 µs and 10 µs jobs, 1 and 2 workers, threads only.
fn tiny<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "sweep",
        "--cpu-ms",
        "0.001,0.01",
        "--workers",
        "1,2",
        "--strategy",
        "threads",
        "--quiet",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn a_tiny_sweep_writes_its_files_and_report_rebuilds_them() {
    let _serial = serial();
    let dir = scratch("files");
    let out = dir.to_str().unwrap();
    let o = concbench(&tiny(
        out,
        &["--min-reps", "3", "--max-reps", "3", "--budget-s", "60"],
    ));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("On this machine"), "{stdout}");
    assert!(stdout.contains("threads"), "{stdout}");
    // Schemas: the headers are the records' own.
    assert_eq!(header(&dir.join("sweep.csv")), SweepRow::HEADER);
    assert_eq!(header(&dir.join("models.csv")), ModelRow::HEADER);
    assert_eq!(
        header(&dir.join("runs.csv")),
        concbench::records::RunRow::HEADER
    );
    let points: Vec<SweepRow> = concbench::records::read_csv(&dir.join("sweep.csv")).unwrap();
    // Zero work (the fixed cost) and both sizes, each with its baseline; the ceiling joins.
    let mut sizes: Vec<f64> = points.iter().map(|p| p.unit_ms).collect();
    sizes.dedup();
    assert_eq!(sizes, vec![0.0, 0.001, 0.01]);
    for s in ["sequential", "threads", "ceiling"] {
        assert!(points.iter().any(|p| p.strategy == s), "{s}: {points:?}");
    }
    assert!(points.iter().all(|p| p.reps == 3 && p.all_correct));
    // 3 repetitions are too few for an interval, so no break-even is claimed.
    assert!(
        points.iter().all(|p| p.speedup_ci_low.is_none()),
        "{points:?}"
    );
    let models: Vec<ModelRow> = concbench::records::read_csv(&dir.join("models.csv")).unwrap();
    let t = models.iter().find(|m| m.strategy == "threads").unwrap();
    assert_eq!(t.break_even_workers, Some(2));
    assert!(t.fixed_cost_ms.is_some() && t.predicted_break_even_ms.is_some());
    assert_eq!(t.break_even_ms, None, "{t:?}");
    // Two worker counts: no USL, and it says why.
    assert!(t.usl_sigma.is_none() && t.usl_note.contains("at least 6"));
    let m = meta(&dir);
    assert_eq!(m["status"], "complete");
    assert_eq!(m["sweep"]["stopped_by"], "planned-reps");
    assert_eq!(m["sweep"]["reps_done"], 3);
    assert!(m["sweep"]["round_cost_s"].as_f64().unwrap() > 0.0);
    let report = std::fs::read_to_string(dir.join("REPORT.md")).unwrap();
    assert!(report.contains("## The answer") && report.contains("threads"));
    // `concbench report` rebuilds the charts and the same REPORT.md from the files alone.
    let charts = ["speedup_vs_workers", "speedup_vs_job_size"];
    for c in charts {
        for ext in ["png", "svg"] {
            std::fs::remove_file(dir.join("charts").join(format!("{c}.{ext}"))).unwrap();
        }
    }
    std::fs::remove_file(dir.join("REPORT.md")).unwrap();
    let o = concbench(&["report", "--input", out]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for c in charts {
        for ext in ["png", "svg"] {
            let f = dir.join("charts").join(format!("{c}.{ext}"));
            assert!(std::fs::metadata(&f).unwrap().len() > 1000, "{f:?}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("REPORT.md")).unwrap(),
        report
    );
    // A broken sweep.csv stops the report with one line naming the file and line.
    let text = std::fs::read_to_string(dir.join("sweep.csv")).unwrap();
    std::fs::write(dir.join("sweep.csv"), text.replacen(",true,", ",maybe,", 1)).unwrap();
    let o = concbench(&["report", "--input", out]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("sweep.csv: line 2"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn six_repetitions_give_every_point_and_the_fixed_cost_an_interval() {
    let _serial = serial();
    let dir = scratch("six");
    let out = dir.to_str().unwrap();
    // The default --min-reps is 6: --max-reps 6 plans exactly that many.
    let o = concbench(&tiny(out, &["--max-reps", "6", "--budget-s", "60"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let points: Vec<SweepRow> = concbench::records::read_csv(&dir.join("sweep.csv")).unwrap();
    for p in points.iter().filter(|p| p.strategy == "threads") {
        assert!(p.reps == 6 && p.speedup_ci_low.is_some(), "{p:?}");
    }
    let models: Vec<ModelRow> = concbench::records::read_csv(&dir.join("models.csv")).unwrap();
    let t = models.iter().find(|m| m.strategy == "threads").unwrap();
    let (f, lo, hi) = (
        t.fixed_cost_ms.unwrap(),
        t.fixed_cost_ci_low_ms.unwrap(),
        t.fixed_cost_ci_high_ms.unwrap(),
    );
    assert!(lo <= f && f <= hi, "{t:?}");
    assert!(t.fixed_cost_unit_ms.is_some(), "{t:?}");
    let report = std::fs::read_to_string(dir.join("REPORT.md")).unwrap();
    assert!(report.contains("predicted crossing (from F)"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_budget_stops_a_sweep_that_plans_more_than_fits() {
    let _serial = serial();
    let dir = scratch("budget");
    let out = dir.to_str().unwrap();
    // 5 ms jobs: a round is about 0.2 s; 1000 reps are planned, 6 s cannot hold them.
    let started = Instant::now();
    let o = concbench(&[
        "sweep",
        "--cpu-ms",
        "5",
        "--workers",
        "2",
        "--strategy",
        "threads",
        "--no-ceiling",
        "--min-reps",
        "1000",
        "--max-reps",
        "1000",
        "--budget-s",
        "6",
        "--quiet",
        "--out",
        out,
    ]);
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("fewer than --min-reps"),
        "{}",
        stderr(&o)
    );
    let m = meta(&dir);
    assert_eq!(m["sweep"]["stopped_by"], "budget", "{m}");
    let done = m["sweep"]["reps_done"].as_u64().unwrap();
    assert!((1..1000).contains(&done), "{done}");
    // Everything, the report included, within the budget (plus process start and exit).
    assert!(took < Duration::from_secs_f64(6.0 + 1.0), "{took:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_stop_signal_keeps_what_was_measured() {
    let _serial = serial();
    let dir = scratch("signal");
    let out = dir.to_str().unwrap();
    let child = Command::new(BIN)
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(tiny(
            out,
            &[
                "--min-reps",
                "1000",
                "--max-reps",
                "1000",
                "--budget-s",
                "120",
            ],
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for measured rows (past the header and the warm-up), then interrupt.
    let runs = dir.join("runs.csv");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(&runs).map_or(0, |t| t.lines().count()) < 40 {
        assert!(Instant::now() < deadline, "no measured rows");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("interrupted by SIGINT"),
        "{}",
        stderr(&o)
    );
    let m = meta(&dir);
    assert_eq!(m["status"], "interrupted");
    assert_eq!(m["signal"], "SIGINT");
    assert_eq!(m["sweep"]["stopped_by"], "interrupted");
    let points: Vec<SweepRow> = concbench::records::read_csv(&dir.join("sweep.csv")).unwrap();
    assert!(!points.is_empty());
    assert!(dir.join("REPORT.md").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

/// One line on stderr, exit status 2, no panic, naming what was wrong.
fn assert_rejected(args: &[&str], expect: &str) {
    let mut all = vec!["sweep"];
    all.extend_from_slice(args);
    let o = concbench(&all);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    assert!(
        err.contains(expect),
        "{args:?}: expected '{expect}' in {err}"
    );
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(o.stdout.is_empty(), "{args:?}");
}

#[test]
fn every_flag_rejects_bad_input_with_one_line_and_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--variant", "gpu"], "--variant"),
        (&["--strategy", "fibers"], "--strategy"),
        (&["--strategy", "sequential"], "--strategy"),
        (&["--workers", "0"], "--workers"),
        (&["--workers", "-2"], "--workers"),
        (&["--workers", "4-2"], "--workers"),
        (&["--workers", "1-5000"], "--workers"),
        (&["--workers", "many"], "--workers"),
        (&["--cpu-ms", "0"], "--cpu-ms"),
        (&["--cpu-ms", "nan"], "--cpu-ms"),
        (&["--cpu-ms", "1,1e9"], "--cpu-ms"),
        (&["--cpu-ms", "-1"], "--cpu-ms"),
        (&["--cpu-iters", "0"], "--cpu-iters"),
        (&["--cpu-iters", "lots"], "--cpu-iters"),
        (&["--cpu-ms", "1", "--cpu-iters", "5"], "--cpu-iters"),
        (&["--sleep-ms", "-1"], "--sleep-ms"),
        (&["--sleep-ms", "0.0001"], "--sleep-ms"),
        (&["--numbers", "1,,2"], "--numbers"),
        (&["--numbers", "9999999999999"], "does not fit"),
        (&["--items", "0"], "--items"),
        (&["--items", "3", "--numbers", "1"], "--items"),
        (&["--chunk", "0"], "--chunk"),
        (&["--chunk", "some"], "--chunk"),
        (&["--budget-s", "0"], "--budget-s"),
        (&["--budget-s", "soon"], "--budget-s"),
        (&["--min-reps", "0"], "--min-reps"),
        (&["--max-reps", "0"], "--max-reps"),
        (&["--min-reps", "5", "--max-reps", "3"], "--max-reps"),
        (&["--warmup", "0"], "--warmup"),
        (&["--order", "random"], "--order"),
        (&["--seed", "-1"], "--seed"),
        (&["--switch-interval-ms", "0"], "--switch-interval-ms"),
        (&["--py-kernel", "jit"], "--py-kernel"),
        (&["--no-such-flag"], "--no-such-flag"),
    ];
    for (args, expect) in cases {
        assert_rejected(args, expect);
    }
}

#[test]
fn an_unwritable_out_is_rejected_before_anything_runs() {
    let dir = scratch("unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let target = file.join("sub");
    assert_rejected(&["--out", target.to_str().unwrap(), "--quiet"], "a-file");
    let _ = std::fs::remove_dir_all(&dir);
}
