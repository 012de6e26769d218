//! The binary as a user meets it: the files it writes, their schemas, and what bad input gets.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_concbench");

/// The tests here run concbench processes that measure CPU time: one at a time, so that
/// on a 2-core machine one test's workers don't steal another's cores.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("concbench-cli-{}-{name}", std::process::id()));
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

fn rows(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

fn column(path: &Path, name: &str) -> Vec<String> {
    let i = header(path).iter().position(|h| h == name).unwrap();
    rows(path).into_iter().map(|r| r[i].clone()).collect()
}

#[test]
fn a_small_run_writes_the_four_files_with_their_schemas() {
    let _serial = serial();
    let out = scratch("schemas");
    let o = concbench(&[
        "run",
        "--reps",
        "2",
        "--warmup",
        "0",
        "--sleep-ms",
        "2",
        "--cpu-ms",
        "2",
        "--numbers",
        "0,-3,5",
        "--workers",
        "1,2",
        // The measurement core's four (gil and py-* are covered by tests/claim.rs).
        "--strategy",
        "sequential,threads,rayon,processes",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let runs = out.join("runs.csv");
    for col in [
        "variant",
        "strategy",
        "workers",
        "items",
        "unit_ms",
        "rep",
        "wall_s",
        "cpu_user_s",
        "cpu_sys_s",
        "cpu_total_s",
        "cores_busy",
        "peak_rss_kib",
        "correct",
        "round",
        "position",
        "after",
        "others_cpu_pct",
        "sampler_cpu_s",
        "chunk",
    ] {
        assert!(
            header(&runs).contains(&col.to_string()),
            "runs.csv lacks {col}"
        );
    }
    // 2 variants x (sequential + 3 strategies x 2 worker counts) x 2 reps, plus the ceiling
    // at both worker counts for the CPU-bound variant.
    assert_eq!(rows(&runs).len(), (2 * 7 + 2) * 2);
    assert!(column(&runs, "correct").iter().all(|c| c == "true"));
    assert!(column(&runs, "items").iter().all(|c| c == "3"));

    let summary = out.join("summary.csv");
    for col in [
        "variant",
        "strategy",
        "workers",
        "reps",
        "wall_median_s",
        "wall_min_s",
        "wall_max_s",
        "wall_p25_s",
        "wall_p75_s",
        "cpu_total_median_s",
        "cores_busy_median",
        "speedup",
        "efficiency",
        "ceiling_speedup",
        "efficiency_vs_ceiling",
    ] {
        assert!(
            header(&summary).contains(&col.to_string()),
            "summary.csv lacks {col}"
        );
    }
    assert_eq!(rows(&summary).len(), 2 * 7 + 2);
    // Every CPU-bound Rust row has its ceiling; no sleep-bound row has one.
    let ceilings = column(&summary, "ceiling_speedup");
    for (i, v) in column(&summary, "variant").iter().enumerate() {
        assert_eq!(
            v == "cpu",
            !ceilings[i].is_empty(),
            "row {i}: {v} {}",
            ceilings[i]
        );
    }
    let strategies = column(&summary, "strategy");
    let speedups = column(&summary, "speedup");
    for (s, x) in strategies.iter().zip(&speedups) {
        if s == "sequential" {
            assert_eq!(x, "1.0");
        }
    }

    assert_eq!(
        header(&out.join("samples.csv")),
        ["t_s", "core", "usage_pct", "process_cpu_pct", "trial"]
    );

    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["status"], "complete");
    for key in [
        "hostname",
        "os",
        "kernel",
        "cpu_model",
        "logical_cores",
        "available_parallelism",
        "rustc",
    ] {
        assert!(
            !meta["machine"][key].is_null(),
            "meta.json lacks machine.{key}"
        );
    }
    assert!(meta["calibration"]["iters"].as_u64().unwrap() > 0);
    assert_eq!(meta["parameters"]["numbers"], serde_json::json!([0, -3, 5]));
    assert!(meta["command_line"].as_array().unwrap().len() > 3);
    assert!(meta["sampler"]["overhead_pct_of_core"].is_number());

    // The table on stdout names every strategy, and shows the ceiling beside each speedup.
    let table = String::from_utf8_lossy(&o.stdout);
    for s in [
        "sequential",
        "threads",
        "rayon",
        "processes",
        "ceiling",
        "of ceiling",
    ] {
        assert!(table.contains(s), "{table}");
    }
    // So do REPORT.md's table and its words.
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("| ceiling | of ceiling |"), "{report}");
    assert!(
        report.contains("The machine's ceiling with 2 workers"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn cpu_bound_sequential_keeps_one_core_busy_and_sleep_keeps_none() {
    let _serial = serial();
    // Its own process, so no other test's threads count in its CPU time.
    let out = scratch("cores");
    let o = concbench(&[
        "run",
        "--strategy",
        "sequential",
        "--reps",
        "5",
        "--cpu-ms",
        "30",
        "--sleep-ms",
        "10",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let runs = out.join("runs.csv");
    let variants = column(&runs, "variant");
    let wall = column(&runs, "wall_s");
    let cpu = column(&runs, "cpu_total_s");
    let mut best_cpu_ratio: f64 = 0.0;
    for i in 0..variants.len() {
        let ratio = cpu[i].parse::<f64>().unwrap() / wall[i].parse::<f64>().unwrap();
        match variants[i].as_str() {
            // A busy neighbour can only steal wall time, so the best repetition is the one
            // to hold to "within 10 %".
            "cpu" => best_cpu_ratio = best_cpu_ratio.max(ratio),
            _ => assert!(
                ratio < 0.2,
                "sleep-bound sequential kept {ratio:.2} cores busy"
            ),
        }
    }
    assert!(
        (0.9..=1.1).contains(&best_cpu_ratio),
        "CPU time / wall time of CPU-bound sequential = {best_cpu_ratio:.3}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// One line on stderr, exit status 2, no panic, naming what was wrong.
fn assert_rejected(args: &[&str], expect: &str) {
    let o = concbench(args);
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
fn bad_input_gets_one_line_and_exit_2() {
    let _serial = serial();
    let cases: &[(&[&str], &str)] = &[
        (&["--workers", "0"], "--workers"),
        (&["--workers", "-2"], "--workers"),
        (&["--workers", "100000"], "--workers"),
        (&["--workers", "many"], "--workers"),
        (&["--workers", ""], "--workers"),
        (&["--reps", "0"], "--reps"),
        (&["--reps", "-1"], "--reps"),
        (&["--reps", "99999999999"], "--reps"),
        (&["--reps", "ten"], "--reps"),
        (&["--warmup", "-1"], "--warmup"),
        (&["--numbers", ""], "--numbers"),
        (&["--numbers", "1,,2"], "--numbers"),
        (&["--numbers", "1,two"], "--numbers"),
        (&["--numbers", "9999999999999"], "does not fit"),
        (&["--numbers", "99999999999999999999"], "--numbers"),
        (&["--items", "0"], "--items"),
        (&["--strategy", "fibers"], "unknown strategy 'fibers'"),
        (&["--variant", "gpu"], "unknown variant 'gpu'"),
        (&["--sleep-ms", "-5"], "--sleep-ms"),
        (&["--cpu-ms", "nan"], "--cpu-ms"),
        (&["--cpu-ms", "1e9"], "--cpu-ms"),
        (&["--timeout", "0"], "--timeout"),
        (&["--sample-ms", "50"], "--sample-ms"),
        (&["--dask-scheduler", ""], "an empty address"),
        (&["--no-such-flag"], "--no-such-flag"),
        (&["run", "--items", "3", "--numbers", "1"], "--items"),
    ];
    for (args, expect) in cases {
        assert_rejected(args, expect);
    }
}

#[test]
fn an_unwritable_out_is_rejected_before_anything_runs() {
    let _serial = serial();
    let dir = scratch("unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let target = file.join("sub");
    assert_rejected(&["--out", target.to_str().unwrap(), "--quiet"], "a-file");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failing_worker_fails_the_run_but_keeps_the_rows_measured() {
    let _serial = serial();
    for (fault, expect) in [
        ("crash@1", "SIGABRT"),
        ("hang@0", "timed out"),
        ("garbage@0", "malformed output"),
    ] {
        let out = scratch(&format!("fault-{}", &fault[..4]));
        let o = concbench(&[
            "run",
            "--variant",
            "sleep",
            "--sleep-ms",
            "2",
            "--reps",
            "2",
            "--warmup",
            "0",
            "--timeout",
            "1",
            "--order",
            "round-robin",
            "--quiet",
            "--worker-fault",
            fault,
            "--out",
            out.to_str().unwrap(),
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{fault}: {err}");
        assert!(
            err.contains("trial sleep/processes/2/rep1"),
            "{fault}: {err}"
        );
        assert!(err.contains(expect), "{fault}: {err}");
        assert!(!err.contains("panicked"), "{fault}: {err}");
        // sequential, threads, async and rayon of rep 1 ran before processes failed: still on
        // disk.
        let measured = column(&out.join("runs.csv"), "strategy");
        assert_eq!(
            measured,
            ["sequential", "threads", "async", "rayon"],
            "{fault}"
        );
        let meta = std::fs::read_to_string(out.join("meta.json")).unwrap();
        assert!(
            meta.contains("\"status\": \"failed: trial sleep/processes/2/rep1"),
            "{meta}"
        );
        assert_eq!(rows(&out.join("summary.csv")).len(), 4);
        let _ = std::fs::remove_dir_all(&out);
    }
}

#[test]
fn help_and_version_work() {
    let _serial = serial();
    let o = concbench(&["--help"]);
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout);
    for flag in [
        "--variant",
        "--strategy",
        "--workers",
        "--numbers",
        "--items",
        "--sleep-ms",
        "--cpu-ms",
        "--cpu-iters",
        "--reps",
        "--warmup",
        "--timeout",
        "--out",
        "--quiet",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    assert!(!help.contains("worker-fault"), "hidden flags stay hidden");
    let o = concbench(&["--version"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn a_reader_that_goes_away_is_no_reason_to_panic() {
    let _serial = serial();
    // `concbench | head -1`: stdout closes before the table is printed.
    let out = scratch("epipe");
    let mut child = Command::new(BIN)
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args([
            "--variant",
            "sleep",
            "--strategy",
            "sequential",
            "--reps",
            "1",
        ])
        .args(["--sleep-ms", "1", "--quiet", "--out", out.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.join("runs.csv").exists());
    let _ = std::fs::remove_dir_all(&out);
}

/// README's first command is a bare `cargo run`: with two binaries in the package (the CLI
/// and the lean `processes` worker) cargo refuses it unless `default-run` names the CLI.
#[test]
fn a_bare_cargo_run_picks_the_cli() {
    // On a fresh clone `cargo run` compiles the binary first: never beside a timed test.
    let _serial = serial();
    let o = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--offline", "--", "--version"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "`cargo run -- --version` failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("concbench "));
}
