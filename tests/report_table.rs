//! `concbench report --input DIR --table`: the console tables of a finished run, printed from
//! its files alone, writing nothing. The README's sample output is this command on the
//! committed reference run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use concbench::console;
use concbench::records::{self, ClaimRow, Meta, SummaryRow};

const BIN: &str = env!("CARGO_BIN_EXE_concbench");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const REFERENCE: &str = "results/2026-11-30-2core-amd-epyc";
const REFERENCE_SWEEP: &str = "results/2026-11-30-2core-amd-epyc-sweep";

fn table(dir: &Path) -> Output {
    Command::new(BIN)
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(["report", "--table", "--input"])
        .arg(dir)
        .output()
        .unwrap()
}

/// A copy of the reference run's files (not its charts) in a fresh scratch folder.
fn reference_copy(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "concbench-report-table-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in std::fs::read_dir(Path::new(ROOT).join(REFERENCE)).unwrap() {
        let p = f.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Every file of `dir` (not recursive) with its content.
fn contents(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_default();
            (p, bytes)
        })
        .collect()
}

/// The tables `concbench run` printed, rebuilt here from the files through the library's
/// readers and console formatters, not through `report`.
fn expected_tables(dir: &Path) -> String {
    let meta: Meta = records::read_meta(&dir.join(records::META_JSON)).unwrap();
    let summary: Vec<SummaryRow> = records::read_csv(&dir.join(records::SUMMARY_CSV)).unwrap();
    let claims: Vec<ClaimRow> = records::read_csv(&dir.join(records::CLAIMS_CSV)).unwrap();
    let mut s = console::summary_table(&summary, &meta);
    s.push_str(&console::claims_table(
        &claims,
        meta.machine.available_parallelism,
    ));
    s.push_str(console::RUN_CLAIMS_NOTE);
    s
}

#[test]
fn the_reference_run_prints_the_tables_the_run_printed() {
    let dir = Path::new(ROOT).join(REFERENCE);
    let out = table(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, expected_tables(&dir));
    assert!(text.starts_with("concbench "), "{text}");
    assert!(text.contains("\nclaims ("), "no claims table:\n{text}");
}

#[test]
fn nothing_is_written_not_even_a_rebuilt_summary() {
    let dir = reference_copy("nowrite");
    std::fs::remove_file(dir.join(records::SUMMARY_CSV)).unwrap();
    let before = contents(&dir);
    let out = table(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("sequential"));
    assert_eq!(contents(&dir), before, "--table changed the folder");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_run_without_claims_prints_the_summary_table_alone() {
    let dir = reference_copy("noclaims");
    std::fs::remove_file(dir.join(records::CLAIMS_CSV)).unwrap();
    let out = table(&dir);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("concbench ") && !text.contains("claims ("),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_sweep_folder_is_refused_in_one_line() {
    let out = table(&Path::new(ROOT).join(REFERENCE_SWEEP));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("sweep"), "{err}");
}

#[test]
fn the_help_documents_the_flag() {
    let out = Command::new(BIN)
        .args(["report", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--table") && help.contains("writing nothing"),
        "{help}"
    );
}
