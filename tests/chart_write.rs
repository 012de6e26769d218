//! A chart or report that cannot be written stops `run`, `report` (on a run and on a sweep) and
//! `compare --chart` with one line naming the file asked for, never its temporary name, and exit
//! status 1 (a write failure, not bad input); nothing half-written is left.
//!
//! The failure is forced by putting a folder where the chart's temporary file goes: that works
//! as root too (a read-only folder would not stop root).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_concbench");
const RUN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/results/2026-11-30-2core-amd-epyc"
);
const SWEEP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/results/2026-11-30-2core-amd-epyc-sweep"
);

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "concbench-chart-write-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A copy of the inputs of `from` (its CSV files and meta.json: no charts, report or
/// summary.json) in a fresh folder.
fn copy_inputs(from: &str, name: &str) -> PathBuf {
    let dir = scratch(name);
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let keep = path.extension().is_some_and(|e| e == "csv") || path.ends_with("meta.json");
        if keep && path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Make `dest` unwritable: a folder where its temporary file would go.
fn block(dest: &Path) {
    let name = dest.file_name().unwrap().to_string_lossy();
    let ext = dest.extension().unwrap().to_string_lossy();
    std::fs::create_dir_all(dest.with_file_name(format!(".{name}.partial.{ext}"))).unwrap();
}

fn concbench(args: &[&str]) -> Output {
    Command::new(BIN)
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(args)
        .output()
        .unwrap()
}

/// One error line on stderr naming `dest` (not a temporary file), and exit status 1. Warnings
/// (a loaded machine during `run`) are not errors.
fn assert_write_failure(o: &Output, dest: &Path) {
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("concbench: warning:"))
        .collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{err}");
    let line = lines[0];
    assert!(
        line.contains(&format!("cannot write {}:", dest.display())),
        "{line}"
    );
    assert!(!line.contains("partial"), "{line}");
    assert_eq!(o.status.code(), Some(1), "{line}");
}

/// Nothing staged was renamed into place, and only the blocking folder is left beside it.
fn assert_nothing_written(dir: &Path, files: &[&str]) {
    for f in files {
        assert!(!dir.join(f).exists(), "{f} was written");
    }
    let partial: Vec<_> = walk(dir)
        .into_iter()
        .filter(|p| p.is_file() && p.to_string_lossy().contains(".partial."))
        .collect();
    assert!(partial.is_empty(), "temporary files left: {partial:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

#[test]
fn report_on_a_run_names_the_chart_it_cannot_write() {
    for (name, chart) in [("run-svg", "wall_time.svg"), ("run-png", "speedup.png")] {
        let dir = copy_inputs(RUN, name);
        let dest = dir.join("charts").join(chart);
        block(&dest);
        let o = concbench(&["report", "--input", dir.to_str().unwrap()]);
        assert_write_failure(&o, &dest);
        assert_nothing_written(
            &dir,
            &["REPORT.md", "summary.json", "charts/cpu_vs_wall.png"],
        );
    }
}

#[test]
fn report_on_a_sweep_names_the_chart_it_cannot_write() {
    let dir = copy_inputs(SWEEP, "sweep");
    let dest = dir.join("charts").join("speedup_vs_workers.svg");
    block(&dest);
    let o = concbench(&["report", "--input", dir.to_str().unwrap()]);
    assert_write_failure(&o, &dest);
    assert_nothing_written(&dir, &["REPORT.md", "charts/speedup_vs_job_size.png"]);
}

#[test]
fn report_names_its_report_when_it_cannot_write_it() {
    let dir = copy_inputs(SWEEP, "sweep-report");
    let dest = dir.join("REPORT.md");
    block(&dest);
    let o = concbench(&["report", "--input", dir.to_str().unwrap()]);
    assert_write_failure(&o, &dest);
    assert_nothing_written(&dir, &["charts/speedup_vs_workers.svg"]);
}

#[test]
fn compare_chart_names_the_chart_it_cannot_write() {
    let out = scratch("compare");
    for chart in ["changes.png", "changes.svg"] {
        let dest = out.join(chart);
        block(&dest);
        let o = concbench(&[
            "compare",
            RUN,
            RUN,
            "--format",
            "csv",
            "--chart",
            dest.to_str().unwrap(),
        ]);
        assert_write_failure(&o, &dest);
        assert_nothing_written(&out, &[chart]);
    }
}

#[test]
fn run_names_the_chart_it_cannot_write() {
    let out = scratch("run");
    let dest = out.join("charts").join("cpu_timeline.png");
    block(&dest);
    let o = concbench(&[
        "run",
        "--variant",
        "sleep",
        "--reps",
        "1",
        "--warmup",
        "0",
        "--sleep-ms",
        "1",
        "--strategy",
        "sequential,threads",
        "--workers",
        "2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_write_failure(&o, &dest);
    // The measurements are kept; only the report and its charts are missing.
    assert!(out.join("runs.csv").is_file());
    assert_nothing_written(&out, &["REPORT.md", "charts/wall_time.svg"]);
}
