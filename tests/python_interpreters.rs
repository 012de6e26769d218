//! `py-interpreters`: N CPython subinterpreters with their own GIL (3.13+). On a 3.13+
//! interpreter (pyenv's, or CONCBENCH_PY313) its results are verified like every other
//! strategy's and C4's `cpython-interpreters` row holds; on an older python3 it is skipped with
//! one line and the run goes on. Without a 3.13+ interpreter the tests that need one say so and
//! skip. Nothing here asserts speed.

use std::path::{Path, PathBuf};

mod binary;
mod python3;

use binary::{concbench, scratch, serial, stderr};

const SKIP_LINE: &str = "concbench: skipping py-interpreters on";

/// A CPython 3.13+ (not free-threaded): CONCBENCH_PY313, else the newest such version under
/// pyenv's root (PYENV_ROOT or ~/.pyenv). Says why when there is none.
fn python313(what: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CONCBENCH_PY313") {
        return Some(PathBuf::from(p));
    }
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")));
    let found = root
        .and_then(|r| std::fs::read_dir(r.join("versions")).ok())
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let mut parts = name.split('.').map(|p| p.parse::<u32>().ok());
            let (major, minor) = (parts.next()??, parts.next()??);
            let exe = e.path().join("bin/python3");
            (major == 3 && minor >= 13 && exe.exists()).then_some(((major, minor), exe))
        })
        .max()
        .map(|(_, exe)| exe);
    if found.is_none() {
        eprintln!(
            "skipped: {what}: no CPython 3.13+ (set CONCBENCH_PY313 or install one with pyenv)"
        );
    }
    found
}

/// summary.csv's (strategy, all_correct) pairs.
fn verified(dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (strategy, correct) = (col("strategy"), col("all_correct"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[strategy].to_string(), f[correct].to_string())
        })
        .collect()
}

/// claims.csv's (subject, verdict, reason) rows of `claim`.
fn claim_rows(dir: &Path, claim: &str) -> Vec<(String, String, String)> {
    let mut r = csv::Reader::from_path(dir.join("claims.csv")).unwrap();
    r.records()
        .map(|x| x.unwrap())
        .filter(|x| &x[0] == claim)
        .map(|x| (x[2].to_string(), x[4].to_string(), x[5].to_string()))
        .collect()
}

fn run_args<'a>(out: &'a str, python: Option<&'a str>) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        "--variant",
        "cpu",
        "--cpu-ms",
        "5",
        "--strategy",
        "py-sequential,py-interpreters",
        "--workers",
        "2",
        "--reps",
        "2",
        "--quiet",
        "--out",
        out,
    ];
    if let Some(p) = python {
        args.extend(["--python", p]);
    }
    args
}

#[test]
fn subinterpreters_return_every_result_verified() {
    let _serial = serial();
    let Some(py) = python313("py-interpreters on 3.13+") else {
        return;
    };
    let out = scratch("python_interpreters", "run");
    let o = concbench(&run_args(out.to_str().unwrap(), py.to_str()));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains(SKIP_LINE), "{}", stderr(&o));
    let rows = verified(&out);
    assert_eq!(
        rows,
        [
            ("py-sequential".to_string(), "true".to_string()),
            ("py-interpreters".to_string(), "true".to_string())
        ],
        "summary.csv of {}",
        out.display()
    );
}

#[test]
fn an_interpreter_without_them_is_skipped_in_one_line() {
    let _serial = serial();
    if !python3::usable("py-interpreters' skip on python3") {
        return;
    }
    let info = concbench::strategy::python::interpreter(None).unwrap();
    if info.info.subinterpreters.is_some() {
        eprintln!("skipped: python3 on PATH has subinterpreters: nothing to skip");
        return;
    }
    let out = scratch("python_interpreters", "skip");
    let o = concbench(&run_args(out.to_str().unwrap(), None));
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("py-interpreters"))
        .collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].starts_with(SKIP_LINE), "{err}");
    assert!(lines[0].ends_with("need CPython 3.13+"), "{err}");
    let rows = verified(&out);
    assert_eq!(rows, [("py-sequential".to_string(), "true".to_string())]);
}

#[test]
fn c4_subinterpreters_share_no_objects() {
    let _serial = serial();
    let Some(py) = python313("C4's cpython-interpreters") else {
        return;
    };
    let out = scratch("python_interpreters", "c4");
    let args = ["claim", "--claims", "C4", "--quiet", "--out"];
    let o = concbench(
        &[
            &args[..],
            &[out.to_str().unwrap(), "--python", py.to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = claim_rows(&out, "C4");
    let row = rows.iter().find(|r| r.0 == "cpython-interpreters").unwrap();
    assert_eq!(row.1, "HOLDS", "{row:?}");
    assert!(row.2.contains("share no objects"), "{row:?}");
}

#[test]
fn c4_on_an_interpreter_without_them_is_not_checked() {
    let _serial = serial();
    if !python3::usable("C4's cpython-interpreters on python3") {
        return;
    }
    if concbench::strategy::python::interpreter(None)
        .unwrap()
        .info
        .subinterpreters
        .is_some()
    {
        eprintln!("skipped: python3 on PATH has subinterpreters");
        return;
    }
    let out = scratch("python_interpreters", "c4-none");
    let o = concbench(&[
        "claim",
        "--claims",
        "C4",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = claim_rows(&out, "C4");
    let row = rows.iter().find(|r| r.0 == "cpython-interpreters").unwrap();
    assert_eq!(row.1, "INCONCLUSIVE", "{row:?}");
    assert!(row.2.starts_with("not checked:"), "{row:?}");
    assert!(row.2.contains("3.13+"), "{row:?}");
}
