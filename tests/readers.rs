//! Every reader of a run folder, fed generated and corrupted input: an error naming the file
//! (and, where the format has lines, the line), never a panic.
//!
//! Inputs are the checked-in fixture's real files, corrupted (cut short, bytes flipped, bytes
//! inserted, lines dropped or repeated, fields replaced by hostile values), and arbitrary
//! bytes. 10,000 cases per reader; the readers work on bytes, so no case touches the disk.
//! The whole-folder check gets only files that parse but hold wrong values, and counts that
//! its cases reached the check and were refused.

use std::path::{Path, PathBuf};

use concbench::records::{self, ClaimRow, RunRow, SampleRow, SummaryRow};
use concbench::results::run_folder::RunData;
use proptest::prelude::*;

const CASES: u32 = 10_000;

fn fixture(name: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small-run");
    std::fs::read(dir.join(name)).unwrap()
}

fn claims_text() -> Vec<u8> {
    b"claim,statement,subject,evidence,verdict,reason\n\
      C1,\"threads speed up, sleep\",rust-threads,\"speedup 1.99x, 95% CI [1.98, 2.00]\",HOLDS,ok\n\
      C2,x,gil,y,DOES NOT HOLD,\"a \"\"quoted\"\" reason\"\n"
        .to_vec()
}

/// Values a field may be replaced with: not numbers, not finite, negative, huge, empty,
/// quoted, with separators and line breaks.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("-1".to_string()),
        Just("1e309".to_string()),
        Just("18446744073709551616".to_string()),
        Just("\"".to_string()),
        Just("a,b".to_string()),
        Just("\"x\ny\"".to_string()),
        Just("true".to_string()),
        Just("cpu".to_string()),
        Just("💥".to_string()),
        any::<f64>().prop_map(|x| x.to_string()),
        any::<i64>().prop_map(|x| x.to_string()),
        "[ -~]{0,12}",
    ]
}

#[derive(Debug, Clone)]
enum Corruption {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, u8),
    DropLine(usize),
    RepeatLine(usize),
    ReplaceField(usize, usize, String),
    Replace(Vec<u8>),
}

fn corruption() -> impl Strategy<Value = Corruption> {
    prop_oneof![
        any::<usize>().prop_map(Corruption::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Corruption::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Corruption::Insert(i, b)),
        any::<usize>().prop_map(Corruption::DropLine),
        any::<usize>().prop_map(Corruption::RepeatLine),
        (any::<usize>(), any::<usize>(), hostile())
            .prop_map(|(l, f, v)| Corruption::ReplaceField(l, f, v)),
        prop::collection::vec(any::<u8>(), 0..600).prop_map(Corruption::Replace),
    ]
}

/// Apply up to three corruptions to `base`.
fn corrupted(base: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(corruption(), 0..3).prop_map(move |cs| {
        let mut bytes = base.clone();
        for c in cs {
            bytes = apply(bytes, c);
        }
        bytes
    })
}

fn apply(mut bytes: Vec<u8>, c: Corruption) -> Vec<u8> {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
    match c {
        Corruption::Truncate(i) => bytes.truncate(at(i, bytes.len())),
        Corruption::Flip(i, b) if !bytes.is_empty() => {
            let n = bytes.len();
            bytes[i % n] ^= b | 1;
        }
        Corruption::Flip(..) => {}
        Corruption::Insert(i, b) => bytes.insert(at(i, bytes.len()), b),
        Corruption::DropLine(i) | Corruption::RepeatLine(i) => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let mut lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let k = i % lines.len();
                if matches!(c, Corruption::DropLine(_)) {
                    lines.remove(k);
                } else {
                    lines.insert(k, lines[k]);
                }
            }
            bytes = (lines.join("\n") + "\n").into_bytes();
        }
        Corruption::ReplaceField(l, f, v) => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let mut lines: Vec<String> = text.lines().map(String::from).collect();
            if !lines.is_empty() {
                let k = l % lines.len();
                let mut fields: Vec<String> = lines[k].split(',').map(String::from).collect();
                let n = fields.len();
                fields[f % n] = v;
                lines[k] = fields.join(",");
            }
            bytes = (lines.join("\n") + "\n").into_bytes();
        }
        Corruption::Replace(b) => bytes = b,
    }
    bytes
}

/// summary.json of the fixture run, as concbench writes it.
fn summary_json_text() -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small-run");
    let meta = records::parse_meta(&fixture("meta.json"), &dir.join("meta.json")).unwrap();
    let data = RunData {
        dir,
        meta,
        runs: records::parse_csv(&fixture("runs.csv"), &path("runs.csv")).unwrap(),
        summary: records::parse_csv(&fixture("summary.csv"), &path("summary.csv")).unwrap(),
        samples: Vec::new(),
        claims: None,
    };
    concbench::export::to_string(&concbench::export::from_run(&data))
        .unwrap()
        .into_bytes()
}

fn path(name: &str) -> PathBuf {
    PathBuf::from("/run-folder").join(name)
}

/// An error must name the file; a CSV data error must name the line too.
fn check_error(result: concbench::Result<impl Sized>, name: &str) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        let text = e.to_string();
        prop_assert!(text.contains(name), "error without the file: {text}");
        prop_assert!(!text.contains('\n'), "not one line: {text}");
        prop_assert_eq!(e.exit_code(), 2, "{}", text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn runs_csv(bytes in corrupted(fixture("runs.csv"))) {
        let parsed = records::parse_csv::<RunRow>(&bytes, &path("runs.csv"));
        check_error(parsed, "runs.csv")?;
    }

    #[test]
    fn summary_csv(bytes in corrupted(fixture("summary.csv"))) {
        check_error(records::parse_csv::<SummaryRow>(&bytes, &path("summary.csv")), "summary.csv")?;
    }

    #[test]
    fn samples_csv(bytes in corrupted(fixture("samples.csv"))) {
        check_error(records::parse_csv::<SampleRow>(&bytes, &path("samples.csv")), "samples.csv")?;
    }

    #[test]
    fn claims_csv(bytes in corrupted(claims_text())) {
        check_error(records::parse_csv::<ClaimRow>(&bytes, &path("claims.csv")), "claims.csv")?;
    }

    #[test]
    fn meta_json(bytes in corrupted(fixture("meta.json"))) {
        check_error(records::parse_meta(&bytes, &path("meta.json")), "meta.json")?;
    }

    #[test]
    fn summary_json(bytes in corrupted(summary_json_text())) {
        let text = String::from_utf8_lossy(&bytes);
        check_error(concbench::export::parse(&text, &path("summary.json")), "summary.json")?;
    }
}

/// Values that no measurement gives, yet parse as a field's own type: for a float (or text)
/// field and for an integer field.
const WRONG_FLOAT: [&str; 6] = ["NaN", "inf", "-inf", "-1", "-0.5", "1e308"];
const WRONG_INT: [&str; 3] = ["0", "4096", "18446744073709551615"];

/// Damage that the CSV readers accept but `RunData::check` may have to refuse: a field given a
/// wrong value of its own type, a data line dropped or repeated.
#[derive(Debug, Clone)]
enum Damage {
    Field(usize, usize, usize),
    DropLine(usize),
    RepeatLine(usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        4 => (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(l, f, k)| Damage::Field(l, f, k)),
        1 => any::<usize>().prop_map(Damage::DropLine),
        1 => any::<usize>().prop_map(Damage::RepeatLine),
    ]
}

/// A file and what its reader made of it.
type Parsed<T> = (Vec<u8>, Vec<T>);

/// `d` done to the file where its reader still parses the result (else the file as it was);
/// the header line is never touched.
fn damage_to<T: serde::de::DeserializeOwned>(file: Parsed<T>, d: &Damage, name: &str) -> Parsed<T> {
    let text = String::from_utf8_lossy(&file.0).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() < 2 {
        return file;
    }
    let data_line = |l: usize| 1 + l % (lines.len() - 1);
    let bytes = file.0.clone();
    let damaged = match *d {
        Damage::Field(l, f, k) => {
            // A wrong value of the field's type: an integer field refuses "NaN".
            let fields: Vec<&str> = lines[data_line(l)].split(',').collect();
            let wrong: &[&str] = match fields[f % fields.len()].parse::<u64>() {
                Ok(_) => &WRONG_INT,
                Err(_) => &WRONG_FLOAT,
            };
            let value = wrong[k % wrong.len()].to_string();
            apply(bytes, Corruption::ReplaceField(data_line(l), f, value))
        }
        Damage::DropLine(l) => apply(bytes, Corruption::DropLine(data_line(l))),
        Damage::RepeatLine(l) => apply(bytes, Corruption::RepeatLine(data_line(l))),
    };
    match records::parse_csv::<T>(&damaged, &path(name)) {
        Ok(rows) => (damaged, rows),
        Err(_) => file,
    }
}

/// The rows of the fixture's `name` with up to three damages that its reader accepts: every
/// value reaches `check`.
fn damaged<T>(name: &'static str) -> impl Strategy<Value = Vec<T>>
where
    T: serde::de::DeserializeOwned + Clone + std::fmt::Debug,
{
    let base = fixture(name);
    let rows: Vec<T> = records::parse_csv(&base, &path(name)).unwrap();
    prop::collection::vec(damage(), 0..4).prop_map(move |ds| {
        let file = (base.clone(), rows.clone());
        ds.iter().fold(file, |f, d| damage_to(f, d, name)).1
    })
}

/// The checks `report` makes on what parsed (finite, not negative, a plausible core, ...): every
/// case reaches them, and a good share of the cases must be refused, each with one line that
/// names its file.
#[test]
fn a_whole_folder() {
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
    let (checked, refused) = (AtomicU32::new(0), AtomicU32::new(0));
    let folder = (
        damaged::<RunRow>("runs.csv"),
        damaged::<SummaryRow>("summary.csv"),
        damaged::<SampleRow>("samples.csv"),
    );
    let config = ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let meta = records::parse_meta(&fixture("meta.json"), &path("meta.json")).unwrap();
    let result = runner.run(&folder, |(runs, summary, samples)| {
        let data = RunData {
            dir: PathBuf::from("/run-folder"),
            meta: meta.clone(),
            runs,
            summary,
            samples,
            claims: None,
        };
        checked.fetch_add(1, Relaxed);
        if let Err(e) = data.check() {
            refused.fetch_add(1, Relaxed);
            let text = e.to_string();
            let files = ["runs.csv", "summary.csv", "samples.csv"];
            prop_assert!(files.iter().any(|f| text.contains(f)), "{}", text);
            prop_assert!(!text.contains('\n'), "not one line: {}", text);
            prop_assert_eq!(e.exit_code(), 2, "{}", text);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (checked, refused) = (checked.into_inner(), refused.into_inner());
    // A generator whose folders stopped parsing, or stopped being wrong, would pass the loop
    // above without testing anything.
    assert!(
        checked >= CASES,
        "only {checked} of {CASES} folders reached check"
    );
    assert!(
        refused >= checked / 4 && refused < checked,
        "check refused {refused} of {checked} damaged folders"
    );
}

#[test]
fn the_fixture_itself_reads_cleanly() {
    assert!(records::parse_csv::<RunRow>(&fixture("runs.csv"), &path("runs.csv")).is_ok());
    assert!(records::parse_meta(&fixture("meta.json"), &path("meta.json")).is_ok());
    assert!(records::parse_csv::<ClaimRow>(&claims_text(), &path("claims.csv")).is_ok());
    // And a corrupted value is caught with its line.
    let bad = apply(
        fixture("runs.csv"),
        Corruption::ReplaceField(2, 7, "not-a-number".into()),
    );
    let err = records::parse_csv::<RunRow>(&bad, &path("runs.csv"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("runs.csv") && err.contains("line 3"), "{err}");
}
