//! summary.json: written by every report (so by every run and claim), one document holding
//! meta.json, summary.csv's rows with their repetitions' wall times, and claims.csv. Its values
//! must be the CSV files' values, read back by a generic JSON parser, not only by concbench.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use concbench::export::{self, SUMMARY_JSON};
use concbench::records::{self, ClaimRow, CsvRecord, RunRow, SummaryRow};
use concbench::results::run_folder::RunData;
use serde_json::Value;

mod python3;

const BIN: &str = env!("CARGO_BIN_EXE_concbench");
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small-run");
const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/results/2026-11-30-2core-amd-epyc"
);

/// A copy of the fixture's four files in a fresh folder.
fn fixture(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "concbench-json-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["runs.csv", "summary.csv", "samples.csv", "meta.json"] {
        std::fs::copy(Path::new(FIXTURE).join(f), dir.join(f)).unwrap();
    }
    dir
}

fn report(dir: &Path) {
    let o = Command::new(BIN)
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(["report", "--input"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A CSV cell and a JSON value hold the same thing: empty is null, numbers are equal as f64.
fn same(cell: &str, v: &Value) -> bool {
    match v {
        Value::Null => cell.is_empty(),
        Value::Bool(b) => cell == b.to_string(),
        Value::Number(n) => cell.parse::<f64>().ok() == n.as_f64(),
        Value::String(s) => cell == s,
        _ => false,
    }
}

/// Every value `file` has, `doc` has too (fields newer than the file may be added in `doc`).
fn assert_contains(doc: &Value, file: &Value, path: &str) {
    match (doc, file) {
        (Value::Object(d), Value::Object(f)) => {
            for (k, v) in f {
                assert_contains(d.get(k).unwrap_or(&Value::Null), v, &format!("{path}.{k}"));
            }
        }
        _ => assert_eq!(doc, file, "{path}"),
    }
}

/// Every value of summary.json equals the run folder's own files: meta.json, summary.csv cell by
/// cell, runs.csv's wall times per configuration, claims.csv when there is one.
fn assert_matches_the_csv_files(dir: &Path) {
    let doc = json(&dir.join(SUMMARY_JSON));
    assert_eq!(doc["schema"], Value::from(export::SCHEMA));
    // meta.json as concbench reads it (fields older files lack are null), and every value the
    // file itself has.
    let meta = records::read_meta(&dir.join("meta.json")).unwrap();
    assert_eq!(doc["meta"], serde_json::to_value(meta).unwrap());
    assert_contains(&doc["meta"], &json(&dir.join("meta.json")), "meta");
    let mut csv = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let rows = doc["summary"].as_array().expect("summary is an array");
    assert_eq!(rows.len(), records.len());
    let runs: Vec<RunRow> = records::read_csv(&dir.join("runs.csv")).unwrap();
    for (i, (row, rec)) in rows.iter().zip(&records).enumerate() {
        let obj = row.as_object().unwrap();
        // Exactly summary.csv's columns plus the wall times: a column added to SummaryRow
        // appears here by itself.
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        let mut expected: Vec<&str> = SummaryRow::HEADER.to_vec();
        expected.push("wall_times_s");
        keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(keys, expected, "summary[{i}]");
        for (col, cell) in header.iter().zip(rec.iter()) {
            assert!(
                same(cell, &obj[col]),
                "summary[{i}].{col}: {cell} vs {}",
                obj[col]
            );
        }
        let walls: Vec<f64> = runs
            .iter()
            .filter(|r| {
                r.variant.name() == obj["variant"]
                    && r.strategy == obj["strategy"]
                    && r.workers == obj["workers"]
            })
            .map(|r| r.wall_s)
            .collect();
        let times: Vec<f64> = obj["wall_times_s"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(times, walls, "summary[{i}].wall_times_s");
        assert_eq!(Value::from(times.len()), obj["reps"]);
    }
    let claims = dir.join("claims.csv");
    if claims.exists() {
        let rows: Vec<ClaimRow> = records::read_csv(&claims).unwrap();
        assert_eq!(doc["claims"], serde_json::to_value(rows).unwrap());
    } else {
        assert!(doc.get("claims").is_none(), "no claims.csv, no claims");
    }
}

#[test]
fn every_report_writes_summary_json_with_the_csv_values() {
    let dir = fixture("values");
    report(&dir);
    assert_matches_the_csv_files(&dir);
    // Written under a temporary name like the charts; nothing of it is left behind.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");
}

#[test]
fn claims_csv_goes_into_summary_json() {
    let dir = fixture("claims");
    let claims = vec![ClaimRow {
        claim: "C1".into(),
        statement: "threads speed up sleep-bound work".into(),
        subject: "rust-threads".into(),
        evidence: "speedup 1.9x".into(),
        verdict: "HOLDS".into(),
        reason: "CI low 1.8 > 1.10".into(),
        level_achieved: Some(0.95),
        interval_kind: "bootstrap".into(),
    }];
    records::write_csv(&dir.join("claims.csv"), &claims).unwrap();
    report(&dir);
    assert_matches_the_csv_files(&dir);
}

#[test]
fn summary_json_round_trips() {
    let dir = fixture("round-trip");
    report(&dir);
    let path = dir.join(SUMMARY_JSON);
    let read = export::read(&path).unwrap();
    assert_eq!(read, export::from_run(&RunData::load(&dir).unwrap()));
    // Read, written again: the same bytes (no field lost or reformatted on the way).
    assert_eq!(
        export::to_string(&read).unwrap(),
        std::fs::read_to_string(&path).unwrap()
    );
}

#[test]
fn another_schema_or_missing_repetitions_are_refused_by_name() {
    let dir = fixture("refused");
    report(&dir);
    let path = dir.join(SUMMARY_JSON);
    let mut doc = json(&path);
    doc["schema"] = Value::from(2);
    std::fs::write(&path, doc.to_string()).unwrap();
    let err = export::read(&path).unwrap_err().to_string();
    assert!(
        err.contains("summary.json") && err.contains("schema 2"),
        "{err}"
    );

    doc["schema"] = Value::from(export::SCHEMA);
    doc["summary"][1]["wall_times_s"] = Value::from(vec![0.1]);
    std::fs::write(&path, doc.to_string()).unwrap();
    let err = export::read(&path).unwrap_err().to_string();
    assert!(
        err.contains("summary[1]") && err.contains("1 wall times for 3 reps"),
        "{err}"
    );

    let text = std::fs::read_to_string(dir.join("meta.json")).unwrap();
    std::fs::write(
        &path,
        format!("{{\"schema\": 1,\n\"meta\": {}", &text[..40]),
    )
    .unwrap();
    let err = export::read(&path).unwrap_err().to_string();
    assert!(err.contains("summary.json: line "), "{err}");
}

/// The committed reference run's summary.json: valid JSON for Python's own parser, the same
/// values as its CSV files, and what `concbench report` would write for them today.
#[test]
fn the_reference_runs_summary_json_matches_its_csv_files() {
    let dir = Path::new(REFERENCE);
    let path = dir.join(SUMMARY_JSON);
    if python3::usable("the check with Python's own JSON parser (serde_json's only)") {
        let o = Command::new("python3")
            .args(["-m", "json.tool"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "python3 -m json.tool: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert_matches_the_csv_files(dir);
    let fresh = export::from_run(&RunData::load(dir).unwrap());
    assert_eq!(
        json(&path),
        serde_json::to_value(fresh).unwrap(),
        "regenerate it: concbench report --input {REFERENCE}"
    );
}
