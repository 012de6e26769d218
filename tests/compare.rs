//! `concbench compare BASE NEW`, run as a user runs it. The runs are the committed reference run
//! cut to the default run's 17 configurations (workers 2 and the baselines), copied to scratch
//! folders and changed on purpose: wall times scaled as a bigger `--cpu-ms` would, another
//! machine in meta.json, rows left out, claims changed, files damaged. Nothing is measured.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use concbench::export::{self, SUMMARY_JSON};
use concbench::records::{self, ClaimRow, RunRow, SummaryRow};
use concbench::results::run_folder::RunData;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_concbench");
const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/results/2026-11-30-2core-amd-epyc"
);
const FILES: [&str; 5] = [
    "runs.csv",
    "summary.csv",
    "samples.csv",
    "meta.json",
    "claims.csv",
];

fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "concbench-compare-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The reference run's CSV files and meta.json (no summary.json), cut to the 17 configurations
/// of a default run: every baseline (1 worker) and every other strategy, the ceiling included,
/// with 2 workers.
fn default_run(name: &str) -> PathBuf {
    let dir = scratch(name);
    for f in FILES {
        std::fs::copy(Path::new(REFERENCE).join(f), dir.join(f)).unwrap();
    }
    let keep = |strategy: &str, workers: usize| {
        workers == 2 || (workers == 1 && strategy.ends_with("sequential"))
    };
    edit_runs(&dir, |runs| runs.retain(|r| keep(&r.strategy, r.workers)));
    let mut summary: Vec<SummaryRow> = records::read_csv(&dir.join("summary.csv")).unwrap();
    summary.retain(|r| keep(&r.strategy, r.workers));
    assert_eq!(summary.len(), 17);
    records::write_csv(&dir.join("summary.csv"), &summary).unwrap();
    edit_meta(&dir, |m| m.parameters.workers = vec![2]);
    dir
}

fn edit_runs(dir: &Path, edit: impl FnOnce(&mut Vec<RunRow>)) {
    let mut runs: Vec<RunRow> = records::read_csv(&dir.join("runs.csv")).unwrap();
    edit(&mut runs);
    records::write_csv(&dir.join("runs.csv"), &runs).unwrap();
}

fn edit_meta(dir: &Path, edit: impl FnOnce(&mut records::Meta)) {
    let mut meta = records::read_meta(&dir.join("meta.json")).unwrap();
    edit(&mut meta);
    records::write_meta(&dir.join("meta.json"), &meta).unwrap();
}

/// Make summary.csv agree with runs.csv again, as a real run's would.
fn resummarize(dir: &Path) {
    let runs: Vec<RunRow> = records::read_csv(&dir.join("runs.csv")).unwrap();
    let meta = records::read_meta(&dir.join("meta.json")).unwrap();
    let summary = concbench::summary::summarize_with(&runs, &meta.bootstrap.unwrap_or_default());
    records::write_csv(&dir.join("summary.csv"), &summary).unwrap();
}

/// What a run with `--cpu-ms 25 * factor` would have measured if every CPU-bound trial took
/// `factor` times as long.
fn scale_cpu(dir: &Path, factor: f64) {
    edit_runs(dir, |runs| {
        for r in runs.iter_mut().filter(|r| r.variant.name() == "cpu") {
            r.wall_s *= factor;
        }
    });
    resummarize(dir);
    edit_meta(dir, |m| {
        m.parameters.cpu_ms = m.parameters.cpu_ms.map(|ms| ms * factor);
        if let Some(c) = m.calibration.as_mut() {
            c.iters = (c.iters as f64 * factor) as u64;
        }
    });
}

fn compare(base: &Path, new: &Path, flags: &[&str]) -> Output {
    Command::new(BIN)
        .arg("compare")
        .arg(base)
        .arg(new)
        .args(flags)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `--format json` output, parsed, after checking the exit status.
fn json_of(o: &Output, code: i32) -> Value {
    assert_eq!(o.status.code(), Some(code), "stderr: {}", stderr(o));
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

fn rows(doc: &Value) -> &Vec<Value> {
    doc["rows"].as_array().unwrap()
}

#[test]
fn a_run_against_itself_is_all_unchanged_even_when_read_from_summary_json() {
    let csv_only = default_run("self");
    let with_json = default_run("self-json");
    let doc = export::from_run(&RunData::load(&with_json).unwrap());
    std::fs::write(
        with_json.join(SUMMARY_JSON),
        export::to_string(&doc).unwrap(),
    )
    .unwrap();
    let flags = ["--format", "json", "--fail-on-regression"];
    let from_csv = json_of(&compare(&csv_only, &csv_only, &flags), 0);
    let from_json = json_of(&compare(&with_json, &with_json, &flags), 0);
    assert_eq!(from_json["base"]["source"], "summary.json");
    assert_eq!(from_csv["base"]["source"], "CSV files");
    assert_eq!(rows(&from_csv).len(), 17);
    for r in rows(&from_csv) {
        assert_eq!(r["verdict"], "~", "{r}");
        assert_eq!(r["change_pct"], 0.0, "{r}");
        assert_eq!(r["p_value"], 1.0, "{r}");
    }
    assert_eq!(from_csv["geomean"]["change_pct"], 0.0);
    // Both sources hold the same figures, so the comparison is the same, bit for bit.
    assert_eq!(from_csv["rows"], from_json["rows"]);
    // And it is reproducible (the bootstrap is seeded).
    let again = json_of(&compare(&csv_only, &csv_only, &flags), 0);
    assert_eq!(again["rows"], from_csv["rows"]);
}

#[test]
fn another_cpu_unit_is_refused_unless_allowed() {
    let base = default_run("base-25");
    let new = default_run("new-30");
    scale_cpu(&new, 1.2);
    let o = compare(&base, &new, &["--fail-on-regression"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("--cpu-ms 25 (base) vs --cpu-ms 30 (new)")
            && err.contains("--allow-different-work"),
        "{err}"
    );
    assert!(stdout(&o).is_empty());

    let flags = ["--allow-different-work", "--format", "json"];
    let doc = json_of(&compare(&base, &new, &flags), 0);
    assert!(stderr(&compare(&base, &new, &flags)).contains("different work"));
    for r in rows(&doc) {
        let (lo, hi) = (
            r["change_ci_low_pct"].as_f64().unwrap(),
            r["change_ci_high_pct"].as_f64().unwrap(),
        );
        let change = r["change_pct"].as_f64().unwrap();
        if r["variant"] == "sleep" {
            assert_eq!(r["verdict"], "~", "{r}");
        } else {
            assert!((change - 20.0).abs() < 1e-9, "{r}");
            assert!(lo <= 20.0 && 20.0 <= hi, "{r}");
            assert_ne!(r["verdict"], "faster", "{r}");
            // The Rust strategies vary by a few % here: clearly slower. (CPython's CPU-bound
            // times vary by 10-25 % on this VM, too much for every py-* row to be called.)
            if !r["strategy"].as_str().unwrap().starts_with("py-") {
                assert_eq!(r["verdict"], "slower", "{r}");
            }
        }
    }
    let mut all = flags.to_vec();
    all.push("--fail-on-regression");
    json_of(&compare(&base, &new, &all), 1);
    // A threshold above the change: nothing is slower, so nothing fails.
    all.extend(["--threshold", "25"]);
    let doc = json_of(&compare(&base, &new, &all), 0);
    assert!(rows(&doc).iter().all(|r| r["verdict"] == "~"));
}

#[test]
fn the_same_cpu_ms_on_another_machine_is_compared_with_a_warning() {
    let base = default_run("machine-a");
    let new = default_run("machine-b");
    let calibrated = records::read_meta(&base.join("meta.json"))
        .unwrap()
        .calibration
        .unwrap()
        .iters;
    edit_meta(&new, |m| {
        m.machine.logical_cores = 8;
        m.machine.cpu_model = "Intel Xeon".into();
        if let Some(c) = m.calibration.as_mut() {
            c.iters = 20_000_000;
        }
    });
    let o = compare(&base, &new, &["--format", "markdown"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for said in [&err, &stdout(&o)] {
        assert!(said.contains("different machines"), "{said}");
        assert!(said.contains("logical cores 2 vs 8"), "{said}");
        assert!(said.contains("CPU AMD EPYC vs Intel Xeon"), "{said}");
    }
    assert!(
        stdout(&o).contains(&format!(
            "calibrated to {calibrated} kernel iterations (base) and 20000000 (new)"
        )),
        "{}",
        stdout(&o)
    );
}

#[test]
fn fewer_than_four_repetitions_never_give_a_verdict() {
    let base = default_run("few-base");
    let new = default_run("few-new");
    let first = |n: u32| move |runs: &mut Vec<RunRow>| runs.retain(|r| r.rep <= n);
    // 3 against 10: the test alone could call a 50 % slowdown (p = 0.007 at best), the rule
    // does not.
    edit_runs(&base, first(3));
    resummarize(&base);
    scale_cpu(&new, 1.5);
    edit_meta(&new, |m| m.parameters.cpu_ms = Some(25.0));
    let o = compare(&base, &new, &["--format", "json", "--fail-on-regression"]);
    let doc = json_of(&o, 0);
    for r in rows(&doc) {
        assert_eq!(r["verdict"], "~", "{r}");
        assert_eq!(r["note"], "n<4", "{r}");
    }
    let sequential = rows(&doc)
        .iter()
        .find(|r| r["variant"] == "cpu" && r["strategy"] == "sequential")
        .unwrap();
    assert!(
        sequential["p_value"].as_f64().unwrap() < 0.05,
        "{sequential}"
    );
    assert!(doc["footnotes"][0].as_str().unwrap().starts_with("n<4"));
    // With 4 they can: a 50 % slowdown is called, and the CI is flagged as rough.
    let (base, new) = (default_run("four-base"), default_run("four-new"));
    edit_runs(&base, first(4));
    resummarize(&base);
    edit_runs(&new, first(4));
    scale_cpu(&new, 1.5);
    edit_meta(&new, |m| m.parameters.cpu_ms = Some(25.0));
    let doc = json_of(&compare(&base, &new, &["--format", "json"]), 0);
    let threads = rows(&doc)
        .iter()
        .find(|r| r["variant"] == "cpu" && r["strategy"] == "threads")
        .unwrap();
    assert_eq!(threads["verdict"], "slower", "{threads}");
    assert_eq!(threads["note"], "n<6");
}

/// Make one configuration's trials `factor` times as long, as a regression in it alone would.
fn slow_down(dir: &Path, strategy: &str, factor: f64) {
    edit_runs(dir, |runs| {
        for r in runs.iter_mut() {
            if r.variant.name() == "cpu" && r.strategy == strategy && r.workers == 2 {
                r.wall_s *= factor;
            }
        }
    });
    resummarize(dir);
}

#[test]
fn one_row_just_significant_among_17_does_not_fail_after_holms_correction() {
    // 4 repetitions a side: cpu/threads/2 50 % slower in every trial gives the smallest p 4
    // against 4 can give, 2/70 = 0.029, with its whole CI beyond +5 %; the 16 other rows are
    // the same in both runs.
    let (base, new) = (default_run("holm-base"), default_run("holm-new"));
    for dir in [&base, &new] {
        edit_runs(dir, |runs| runs.retain(|r| r.rep <= 4));
        resummarize(dir);
    }
    slow_down(&new, "threads", 1.5);
    let o = compare(&base, &new, &["--format", "json", "--fail-on-regression"]);
    let doc = json_of(&o, 0);
    assert_eq!(doc["settings"]["correction"], "holm");
    let threads = rows(&doc)
        .iter()
        .find(|r| r["variant"] == "cpu" && r["strategy"] == "threads" && r["workers"] == 2)
        .unwrap();
    let p = threads["p_value"].as_f64().unwrap();
    assert!((p - 2.0 / 70.0).abs() < 1e-12, "{threads}");
    assert_eq!(threads["test"], "exact");
    // Alone, the row is slower; as one of 17 it is not: Holm multiplies the smallest p by 17.
    assert_eq!(threads["verdict"], "slower", "{threads}");
    assert_eq!(threads["holm_verdict"], "~", "{threads}");
    let p_holm = threads["p_holm"].as_f64().unwrap();
    assert!((p_holm - 17.0 * p).abs() < 1e-12, "{threads}");
    let said = doc["footnotes"].as_array().unwrap();
    assert!(
        said.iter().any(|f| {
            let f = f.as_str().unwrap();
            f.starts_with("cpu/threads/2: slower at p = 0.029, but ~ after Holm's correction over the 17 rows (p = 0.486)")
                && f.ends_with("--fail-on-regression does not fail on it")
        }),
        "{said:?}"
    );
    let table = stdout(&compare(&base, &new, &["--format", "table"]));
    assert!(table.contains("Holm-corrected over the 17 rows"), "{table}");
    assert!(table.contains("p Holm"), "{table}");

    // With all 10 repetitions the same slowdown is clear even as one of 17: it fails.
    let (base, new) = (default_run("holm-base-10"), default_run("holm-new-10"));
    slow_down(&new, "threads", 1.5);
    let doc = json_of(
        &compare(&base, &new, &["--format", "json", "--fail-on-regression"]),
        1,
    );
    let slower: Vec<&Value> = rows(&doc)
        .iter()
        .filter(|r| r["holm_verdict"] == "slower")
        .collect();
    assert_eq!(slower.len(), 1, "{slower:?}");
    assert_eq!(slower[0]["strategy"], "threads");
}

#[test]
fn rows_on_one_side_and_changed_claims_are_listed() {
    let base = default_run("one-side-base");
    let new = default_run("one-side-new");
    let gone = |r: &RunRow| r.strategy == "rayon";
    edit_runs(&new, |runs| runs.retain(|r| !gone(r)));
    resummarize(&new);
    let mut claims: Vec<ClaimRow> = records::read_csv(&new.join("claims.csv")).unwrap();
    let changed = claims
        .iter_mut()
        .find(|c| c.claim == "C2" && c.subject == "cpython-threads")
        .unwrap();
    let before = changed.verdict.clone();
    // Whatever the reference run decided, the new run says something else.
    let after = if before == "INCONCLUSIVE" {
        "HOLDS"
    } else {
        "INCONCLUSIVE"
    };
    changed.verdict = after.into();
    records::write_csv(&new.join("claims.csv"), &claims).unwrap();
    let doc = json_of(&compare(&base, &new, &["--format", "json"]), 0);
    // 17 configurations less rayon/2 in each variant.
    assert_eq!(rows(&doc).len(), 15);
    let only: Vec<String> = doc["only_in_base"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| format!("{}/{}/{}", k["variant"], k["strategy"], k["workers"]))
        .collect();
    assert_eq!(only, ["\"sleep\"/\"rayon\"/2", "\"cpu\"/\"rayon\"/2"]);
    assert_eq!(
        doc["claim_changes"],
        serde_json::json!([{"claim": "C2", "subject": "cpython-threads", "base": before, "new": after}])
    );
    let table = stdout(&compare(&base, &new, &["--format", "table"]));
    assert!(
        table.contains("only in base: sleep/rayon/2, cpu/rayon/2"),
        "{table}"
    );
    assert!(
        table.contains(&format!("C2 cpython-threads: {before} → {after}")),
        "{table}"
    );
}

/// Exit 2, one line on stderr naming what is wrong, nothing on stdout, no panic.
fn rejected(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(stdout(o).is_empty());
}

#[test]
fn bad_input_exits_2_naming_the_file_and_line() {
    let good = default_run("bad-good");
    let missing = good.with_file_name("concbench-compare-no-such-run");
    rejected(
        &compare(&good, &missing, &[]),
        &["concbench-compare-no-such-run"],
    );

    let truncated = default_run("bad-truncated");
    let text = std::fs::read_to_string(truncated.join("summary.csv")).unwrap();
    std::fs::write(
        truncated.join("summary.csv"),
        &text[..text.trim_end().len() - 40],
    )
    .unwrap();
    let last_line = text.trim_end().lines().count();
    rejected(
        &compare(&truncated, &good, &[]),
        &["summary.csv", &format!("line {last_line}")],
    );

    let json = default_run("bad-json");
    let doc = export::from_run(&RunData::load(&json).unwrap());
    let text = export::to_string(&doc).unwrap();
    std::fs::write(json.join(SUMMARY_JSON), &text[..text.len() / 2]).unwrap();
    rejected(&compare(&good, &json, &[]), &["summary.json", "line "]);

    let chart = good.join("changes.gif");
    rejected(
        &compare(&good, &good, &["--chart", chart.to_str().unwrap()]),
        &["--chart", ".png or .svg"],
    );
    assert!(!chart.exists());
}

#[test]
fn every_format_and_the_out_file() {
    let run = default_run("formats");
    // Not a terminal: markdown by default.
    let md = stdout(&compare(&run, &run, &[]));
    assert!(md.contains("| variant | strategy | workers |"), "{md}");
    assert!(md.contains("| **geomean** |"), "{md}");
    let table = stdout(&compare(&run, &run, &["--format", "table"]));
    assert!(
        table.lines().any(|l| l.starts_with("variant  strategy")),
        "{table}"
    );
    assert!(table.lines().any(|l| l.starts_with("geomean")), "{table}");

    let csv = stdout(&compare(&run, &run, &["--format", "csv"]));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "row");
    assert!(header.iter().any(|h| h == "p_value"));
    let kinds: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "both").count(), 17);
    assert_eq!(kinds.last().map(String::as_str), Some("geomean"));

    // --out: the extension picks the format, stdout stays empty.
    let out = run.join("comparison.json");
    let o = compare(&run, &run, &["--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["settings"]["threshold_pct"], 5.0);
    assert_eq!(doc["settings"]["alpha"], 0.05);
}

#[test]
fn the_chart_is_a_valid_svg_and_png() {
    let base = default_run("chart-base");
    let new = default_run("chart-new");
    scale_cpu(&new, 1.2);
    let svg = new.join("changes.svg");
    let png = new.join("changes.png");
    for path in [&svg, &png] {
        let o = compare(
            &base,
            &new,
            &[
                "--allow-different-work",
                "--format",
                "csv",
                "--chart",
                path.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("width"), Some("1100"));
    let labels: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    for label in ["cpu · threads · 2", "geomean", "slower", "+20.0%"] {
        assert!(labels.iter().any(|l| l.contains(label)), "{label} missing");
    }
    let file = std::fs::File::open(&png).unwrap();
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.width, 1100);
    assert_eq!(
        Some(info.height.to_string().as_str()),
        root.attribute("height")
    );
}
