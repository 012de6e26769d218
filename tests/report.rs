//! `concbench report`: charts and REPORT.md rebuilt from the files of a run. Everything here
//! starts from a small run checked in under tests/fixtures/small-run (made with
//! `concbench run --reps 3 --sleep-ms 5 --cpu-ms 5 --workers 1,2`), copied to a scratch folder,
//! so no test measures anything or writes into the source tree: the outcome is deterministic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use concbench::chart::CHARTS;
use concbench::records::{self, ClaimRow, RunRow, SampleRow, SummaryRow};

const BIN: &str = env!("CARGO_BIN_EXE_concbench");
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small-run");
const FILES: [&str; 4] = ["runs.csv", "summary.csv", "samples.csv", "meta.json"];

/// A copy of the fixture in a fresh folder of its own.
fn fixture(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "concbench-report-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in FILES {
        std::fs::copy(Path::new(FIXTURE).join(f), dir.join(f)).unwrap();
    }
    dir
}

fn report(dir: &Path) -> Output {
    Command::new(BIN)
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(["report", "--input"])
        .arg(dir)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every file under `dir`, recursively.
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn no_partial_files(dir: &Path) {
    for f in all_files(dir) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.contains(".partial"),
            "temporary file left behind: {}",
            f.display()
        );
    }
}

/// The chart's PNG decodes, at the size the chart declares.
fn check_png(path: &Path, size: (u32, u32)) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), size, "{}", path.display());
    // Not a blank canvas: some pixels are dark (text, axes).
    assert!(
        buf.chunks(3).any(|p| p.iter().all(|&c| c < 80)),
        "{} looks blank",
        path.display()
    );
}

/// The chart's SVG is well-formed XML, of the declared size, with text in it (the memory chart
/// of a run that did not measure memory has its frame and its message only).
fn check_svg(path: &Path, size: (u32, u32)) {
    let text = read(path);
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some(size.0.to_string().as_str()));
    assert_eq!(root.attribute("height"), Some(size.1.to_string().as_str()));
    let texts = doc.descendants().filter(|n| n.has_tag_name("text")).count();
    let least = if text.contains(concbench::chart::memory::NOT_MEASURED) {
        4
    } else {
        10
    };
    assert!(
        texts > least,
        "{}: only {texts} text elements",
        path.display()
    );
}

fn check_all_charts(dir: &Path) {
    for c in &CHARTS {
        check_svg(&dir.join("charts").join(format!("{}.svg", c.name)), c.size);
        check_png(&dir.join("charts").join(format!("{}.png", c.name)), c.size);
    }
}

#[test]
fn report_draws_every_chart_as_svg_and_png_and_names_them_in_report_md() {
    let dir = fixture("all");
    let o = report(&dir);
    assert!(o.status.success(), "{}", stderr(&o));
    check_all_charts(&dir);
    no_partial_files(&dir);
    let md = read(&dir.join("REPORT.md"));
    for c in &CHARTS {
        assert!(
            md.contains(&format!("](charts/{}.png)", c.name)),
            "REPORT.md lacks {}",
            c.name
        );
        assert!(md.contains(&format!("](charts/{}.svg)", c.name)));
        assert!(md.contains(c.title));
    }
    for section in [
        "## What was measured",
        "## Charts",
        "## Summary",
        "## Setup",
    ] {
        assert!(md.contains(section), "REPORT.md lacks {section}");
    }
    assert!(
        !md.contains("## Claims"),
        "no claims.csv, so no Claims section"
    );
    // The findings are written from the data: the fixture's own speedups appear in them.
    let summary: Vec<SummaryRow> = records::read_csv(&dir.join("summary.csv")).unwrap();
    let threads = summary
        .iter()
        .find(|r| r.strategy == "threads" && r.workers == 2 && r.variant.name() == "cpu")
        .unwrap();
    let x = threads.speedup.unwrap();
    let said = format!("`threads` {x:.2}×");
    let said_first = format!("`threads` sped it up {x:.2}×");
    assert!(
        md.contains(&said) || md.contains(&said_first),
        "REPORT.md lacks '{said}'"
    );
}

#[test]
fn the_library_call_rebuilds_the_same_files_again() {
    let dir = fixture("twice");
    concbench::report::generate(&dir).unwrap();
    let first = all_files(&dir);
    let md = read(&dir.join("REPORT.md"));
    concbench::report::generate(&dir).unwrap();
    assert_eq!(all_files(&dir), first);
    assert_eq!(
        read(&dir.join("REPORT.md")),
        md,
        "the report depends on the files only"
    );
    check_all_charts(&dir);
}

#[test]
fn claims_csv_adds_a_claims_table() {
    let dir = fixture("claims");
    let claims = vec![
        ClaimRow {
            claim: "C1".into(),
            statement: "Threads speed up sleep-bound work".into(),
            subject: "rust-threads".into(),
            evidence: "speedup 1.9× | CI 1.8–2.0".into(),
            verdict: "HOLDS".into(),
            reason: "CI low end above 1.1\nover 3 reps".into(),
            level_achieved: None,
            interval_kind: String::new(),
        },
        ClaimRow {
            claim: "C2".into(),
            statement: "Processes speed up CPU-bound work".into(),
            subject: "processes".into(),
            evidence: "speedup 1.4×".into(),
            verdict: "INCONCLUSIVE".into(),
            reason: "CI contains 1.1".into(),
            level_achieved: None,
            interval_kind: String::new(),
        },
    ];
    records::write_csv(&dir.join("claims.csv"), &claims).unwrap();
    let o = report(&dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = read(&dir.join("REPORT.md"));
    assert!(md.contains("## Claims"));
    assert!(
        md.contains("| C1 | rust-threads | Threads speed up sleep-bound work | **HOLDS** |"),
        "{md}"
    );
    // A pipe inside a cell is escaped and a line break flattened, so the table stays one row.
    assert!(md.contains("speedup 1.9× \\| CI 1.8–2.0"));
    assert!(md.contains("CI low end above 1.1 over 3 reps"));
    assert!(md.contains("**INCONCLUSIVE**"));
}

/// Run `report` on a damaged copy of the fixture: exit 2, one line naming `file` and `needle`,
/// no panic, and nothing written.
fn rejected(dir: &Path, file: &str, needle: &str) {
    let o = report(dir);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected, got: {err}"
    );
    assert!(err.contains(file), "{err}");
    assert!(err.contains(needle), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!dir.join("charts").exists(), "charts written for bad input");
    assert!(
        !dir.join("REPORT.md").exists(),
        "REPORT.md written for bad input"
    );
}

#[test]
fn a_row_with_missing_fields_names_the_file_and_line() {
    let dir = fixture("short-row");
    let text = read(&dir.join("runs.csv"));
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let fields: Vec<&str> = lines[2].split(',').collect();
    lines[2] = fields[..5].join(",");
    std::fs::write(dir.join("runs.csv"), lines.join("\n") + "\n").unwrap();
    rejected(&dir, "runs.csv", "line 3");
}

#[test]
fn a_truncated_file_names_the_file_and_line() {
    let dir = fixture("truncated");
    let text = read(&dir.join("summary.csv"));
    // Cut in the middle of the last row, as an interrupted copy would.
    let cut = text.trim_end().len() - 40;
    std::fs::write(dir.join("summary.csv"), &text[..cut]).unwrap();
    let last_line = text.trim_end().lines().count();
    rejected(&dir, "summary.csv", &format!("line {last_line}"));
}

#[test]
fn a_number_that_is_not_one_names_the_file_and_line() {
    // "fast" fails while parsing; "NaN" parses as a float but no chart can place it.
    for (bad, needle) in [
        ("fast", "line 5: field 8"),
        ("NaN", "line 5: wall_s is NaN"),
    ] {
        let dir = fixture("nan");
        let text = read(&dir.join("runs.csv"));
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        let col = header.iter().position(|h| *h == "wall_s").unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let mut f: Vec<String> = lines[4].split(',').map(String::from).collect();
        f[col] = bad.into();
        lines[4] = f.join(",");
        std::fs::write(dir.join("runs.csv"), lines.join("\n") + "\n").unwrap();
        rejected(&dir, "runs.csv", needle);
    }
}

#[test]
fn a_missing_file_is_named() {
    // runs.csv is what everything else is rebuilt from: without it there is nothing to report.
    let dir = fixture("missing");
    std::fs::remove_file(dir.join("runs.csv")).unwrap();
    rejected(&dir, "runs.csv", "No such file");
}

#[test]
fn a_missing_summary_or_samples_file_is_rebuilt_or_done_without() {
    let dir = fixture("rebuilt");
    let before = read(&dir.join("summary.csv"));
    std::fs::remove_file(dir.join("summary.csv")).unwrap();
    std::fs::remove_file(dir.join("samples.csv")).unwrap();
    let o = report(&dir);
    assert!(o.status.success(), "{}", stderr(&o));
    // The same summary, from runs.csv and meta.json's bootstrap settings.
    let after: Vec<SummaryRow> = records::read_csv(&dir.join("summary.csv")).unwrap();
    let rows = before.lines().count() - 1;
    assert_eq!(after.len(), rows);
    check_all_charts(&dir);
}

#[test]
fn broken_meta_json_names_the_file_and_line() {
    let dir = fixture("meta");
    let text = read(&dir.join("meta.json"));
    std::fs::write(dir.join("meta.json"), &text[..text.len() / 2]).unwrap();
    rejected(&dir, "meta.json", "line ");
}

#[test]
fn a_folder_that_is_not_a_run_is_rejected() {
    let dir = std::env::temp_dir().join(format!(
        "concbench-report-{}-nothing-here",
        std::process::id()
    ));
    let o = report(&dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nothing-here"), "{}", stderr(&o));
}

#[test]
fn a_failed_rebuild_leaves_the_previous_complete_charts_and_no_partial_ones() {
    let dir = fixture("keep");
    assert!(report(&dir).status.success());
    let before: Vec<(PathBuf, Vec<u8>)> = all_files(&dir.join("charts"))
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    std::fs::write(dir.join("samples.csv"), "t_s,core\n1.0\n").unwrap();
    let o = report(&dir);
    assert_eq!(o.status.code(), Some(2));
    no_partial_files(&dir);
    for (p, bytes) in before {
        assert_eq!(std::fs::read(&p).unwrap(), bytes, "{} changed", p.display());
    }
}

#[test]
fn charts_fit_any_strategies_worker_lists_and_core_counts() {
    let dir = fixture("more");
    let mut runs: Vec<RunRow> = records::read_csv(&dir.join("runs.csv")).unwrap();
    let mut summary: Vec<SummaryRow> = records::read_csv(&dir.join("summary.csv")).unwrap();
    // New strategies (a Python family with its own baseline) and a third worker count.
    let renames = [
        ("sequential", "py-sequential"),
        ("threads", "py-threads"),
        ("threads", "gil"),
        ("processes", "py-processes"),
    ];
    for (from, to) in renames {
        let mut more: Vec<SummaryRow> = summary
            .iter()
            .filter(|r| r.strategy == from)
            .cloned()
            .collect();
        for r in &mut more {
            r.strategy = to.into();
            r.speedup_ci_low = r.speedup.map(|s| s * 0.9);
            r.speedup_ci_high = r.speedup.map(|s| s * 1.1);
        }
        summary.extend(more);
        let mut more: Vec<RunRow> = runs
            .iter()
            .filter(|r| r.strategy == from)
            .cloned()
            .collect();
        more.iter_mut().for_each(|r| r.strategy = to.into());
        runs.extend(more);
    }
    let mut four: Vec<SummaryRow> = summary.iter().filter(|r| r.workers == 2).cloned().collect();
    four.iter_mut().for_each(|r| r.workers = 4);
    summary.extend(four);
    // The runs behind them too: a summary.csv that runs.csv does not back is rebuilt.
    let mut four: Vec<RunRow> = runs.iter().filter(|r| r.workers == 2).cloned().collect();
    four.iter_mut().for_each(|r| r.workers = 4);
    runs.extend(four);
    // A 16-core machine: the timeline switches to a heat map.
    let samples: Vec<SampleRow> = records::read_csv(&dir.join("samples.csv")).unwrap();
    let wide: Vec<SampleRow> = samples
        .iter()
        .filter(|s| s.core == 0)
        .flat_map(|s| {
            (0..16).map(move |c| SampleRow {
                core: c,
                usage_pct: (c * 6) as f64,
                ..s.clone()
            })
        })
        .collect();
    records::write_csv(&dir.join("runs.csv"), &runs).unwrap();
    records::write_csv(&dir.join("summary.csv"), &summary).unwrap();
    records::write_csv(&dir.join("samples.csv"), &wide).unwrap();
    let o = report(&dir);
    assert!(o.status.success(), "{}", stderr(&o));
    check_all_charts(&dir);
    let md = read(&dir.join("REPORT.md"));
    assert!(
        md.contains("over `py-sequential`"),
        "py-* speedups are relative to py-sequential"
    );
    assert!(md.contains("with 4 workers"));
    assert!(md.contains("| cpu | gil | 4 |"));
}

#[test]
fn a_run_without_samples_still_gets_every_chart() {
    let dir = fixture("no-samples");
    std::fs::write(
        dir.join("samples.csv"),
        "t_s,core,usage_pct,process_cpu_pct,trial\n",
    )
    .unwrap();
    let o = report(&dir);
    assert!(o.status.success(), "{}", stderr(&o));
    check_all_charts(&dir);
}
