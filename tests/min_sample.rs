//! No interval from too few trials: `concbench run` gives a speedup interval in summary.csv only
//! from 6 repetitions of both arms on; with fewer the columns are empty and the console and
//! REPORT.md say why. Runs here are tiny (1 ms jobs) so each takes about a second.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use concbench::records::SummaryRow;
use concbench::stats::MIN_INTERVAL_N;

const BIN: &str = env!("CARGO_BIN_EXE_concbench");

/// The runs here measure: one at a time, so one test's workers don't take another's cores.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("concbench-min-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `run --variant cpu --strategy sequential,threads --reps REPS` on 1 ms jobs into `out`,
/// which succeeds.
fn run(out: &Path, reps: usize) -> Output {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let reps = reps.to_string();
    let o = Command::new(BIN)
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args([
            "run",
            "--variant",
            "cpu",
            "--strategy",
            "sequential,threads",
        ])
        .args([
            "--reps",
            &reps,
            "--warmup",
            "0",
            "--cpu-ms",
            "1",
            "--no-ceiling",
        ])
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    o
}

fn threads_row(out: &Path) -> SummaryRow {
    let summary: Vec<SummaryRow> = concbench::records::read_csv(&out.join("summary.csv")).unwrap();
    summary
        .into_iter()
        .find(|r| r.strategy == "threads")
        .unwrap()
}

#[test]
fn a_run_below_six_repetitions_gives_no_interval() {
    let out = scratch("three");
    let o = run(&out, 3);
    let t = threads_row(&out);
    assert_eq!(t.reps, 3);
    assert!(
        t.speedup.is_some(),
        "the speedup itself is still given: {t:?}"
    );
    assert_eq!((t.speedup_ci_low, t.speedup_ci_high), (None, None), "{t:?}");
    // The CSV cells are empty, not a placeholder.
    let text = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "speedup_ci_low").unwrap();
    let line = text.lines().find(|l| l.contains(",threads,")).unwrap();
    assert_eq!(line.split(',').nth(col), Some(""), "{line}");
    // The console and REPORT.md say why the interval is missing.
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("no interval from fewer than 6"), "{stdout}");
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(
        report.contains("95% CI –: no interval from fewer than 6"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_run_of_six_repetitions_gives_intervals() {
    let out = scratch("six");
    let o = run(&out, MIN_INTERVAL_N);
    let t = threads_row(&out);
    let (lo, hi) = (t.speedup_ci_low.unwrap(), t.speedup_ci_high.unwrap());
    assert!(
        lo <= t.speedup.unwrap() && t.speedup.unwrap() <= hi,
        "{t:?}"
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(!stdout.contains("no interval from fewer"), "{stdout}");
    let _ = std::fs::remove_dir_all(&out);
}
