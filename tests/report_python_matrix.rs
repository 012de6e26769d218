//! `concbench report` of a folder with several CPython interpreters: the python_matrix chart and
//! REPORT.md's "Python across interpreters" (the matrix as a table, the single-thread price).
//! The folder is synthetic: the small-run fixture's meta.json with three interpreters (a GIL
//! build, a free-threaded build, and that build with the GIL forced on), and py-* trials with
//! chosen wall times written with the library's own writers, so every figure is known.

mod binary;

use std::path::{Path, PathBuf};

use binary::{concbench, scratch, stderr};
use concbench::records::{
    self, CalibrationSource, ClaimRow, PyCalibration, PyKernel, PythonInfo, RunRow,
};
use concbench::workload::Variant;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small-run");
const CHART: &str = "python_matrix";
const SECTION: &str = "## Python across interpreters";

/// One interpreter of the synthetic folder and the walls of its arms (seconds, before noise).
struct Interp {
    label: &'static str,
    version: &'static str,
    executable: &'static str,
    free_threaded: bool,
    gil_enabled: Option<bool>,
    iters: u64,
    sequential_s: f64,
    threads_s: f64,
    /// `None`: py-processes not measured on it.
    processes_s: Option<f64>,
}

/// 3.13 (GIL build), 3.13t (GIL off) and 3.13t+gil. Per kernel iteration 3.13t's py-sequential
/// takes 1.2 / 1500 against 1.0 / 1500 forced on (ratio 1.2) and 1.0 / 2000 on 3.13 (1.6).
fn three() -> Vec<Interp> {
    vec![
        Interp {
            label: "@3.13",
            version: "3.13.1",
            executable: "/usr/bin/python3.13",
            free_threaded: false,
            gil_enabled: Some(true),
            iters: 2000,
            sequential_s: 1.0,
            threads_s: 1.0,
            processes_s: Some(1.0 / 1.8),
        },
        Interp {
            label: "@3.13t",
            version: "3.13.5",
            executable: "/usr/bin/python3.13t",
            free_threaded: true,
            gil_enabled: Some(false),
            iters: 1500,
            sequential_s: 1.2,
            threads_s: 1.2 / 1.9,
            processes_s: Some(1.2 / 1.8),
        },
        Interp {
            label: "@3.13t+gil",
            version: "3.13.5",
            executable: "/usr/bin/python3.13t",
            free_threaded: true,
            gil_enabled: Some(true),
            iters: 1500,
            sequential_s: 1.0,
            threads_s: 1.0,
            processes_s: None,
        },
    ]
}

fn info(p: &Interp) -> PythonInfo {
    PythonInfo {
        requested: p.executable.into(),
        executable: p.executable.into(),
        version: p.version.into(),
        implementation: "CPython".into(),
        gil_enabled: p.gil_enabled,
        label: p.label.into(),
        free_threaded_build: p.free_threaded,
        options: if p.label.ends_with("+gil") {
            vec!["-X".into(), "gil=1".into()]
        } else {
            Vec::new()
        },
        config_args: String::new(),
        subinterpreters: None,
        gil: "synthetic".into(),
        switch_interval_ms: 5.0,
        start_method: "fork".into(),
        default_start_method: "fork".into(),
        startup_s: 0.02,
        script: "concbench_workload.py".into(),
        script_fnv1a: "0".into(),
        kernel: PyKernel::Bytecode,
        cpu_calibration: Some(PyCalibration {
            kernel: PyKernel::Bytecode,
            target_ms: 5.0,
            iters_per_ms: p.iters as f64 / 5.0,
            iters: p.iters,
            took_s: 0.1,
            processes: 3,
            rate_spread: (1.0, 1.0),
            source: CalibrationSource::Measured,
        }),
        timing: "synthetic".into(),
        gil_during_arms: Vec::new(),
    }
}

/// Six trials of `label` around `wall` (symmetric noise, so the median is `wall` itself).
fn trials(template: &RunRow, label: &str, workers: usize, wall: f64) -> Vec<RunRow> {
    (0..6)
        .map(|rep| RunRow {
            variant: Variant::Cpu,
            strategy: label.into(),
            workers,
            rep,
            wall_s: wall * (1.0 + 0.004 * (f64::from(rep) - 2.5)),
            interpreter: None,
            ..template.clone()
        })
        .collect()
}

fn claim(claim: &str, subject: &str, verdict: &str) -> ClaimRow {
    ClaimRow::verdict_only(claim, subject, verdict)
}

/// The fixture with `interps` added: meta.pythons, their py-* trials, summary.csv rebuilt from
/// every trial, and claims.csv when `claims` is not empty.
fn folder(name: &str, interps: &[Interp], claims: &[ClaimRow]) -> PathBuf {
    let dir = scratch("report-python-matrix", name);
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["samples.csv", "meta.json"] {
        std::fs::copy(Path::new(FIXTURE).join(f), dir.join(f)).unwrap();
    }
    let mut meta = records::read_meta(&dir.join("meta.json")).unwrap();
    meta.pythons = interps.iter().map(info).collect();
    meta.python = meta.pythons.first().cloned();
    records::write_meta(&dir.join("meta.json"), &meta).unwrap();
    let mut runs: Vec<RunRow> = records::read_csv(&Path::new(FIXTURE).join("runs.csv")).unwrap();
    let template = runs[0].clone();
    for p in interps {
        runs.extend(trials(
            &template,
            &format!("py-sequential{}", p.label),
            1,
            p.sequential_s,
        ));
        runs.extend(trials(
            &template,
            &format!("py-threads{}", p.label),
            2,
            p.threads_s,
        ));
        if let Some(w) = p.processes_s {
            runs.extend(trials(&template, &format!("py-processes{}", p.label), 2, w));
        }
    }
    records::write_csv(&dir.join("runs.csv"), &runs).unwrap();
    let summary = concbench::summary::summarize(&runs);
    records::write_csv(&dir.join("summary.csv"), &summary).unwrap();
    if !claims.is_empty() {
        records::write_csv(&dir.join("claims.csv"), claims).unwrap();
    }
    dir
}

fn report(dir: &Path) -> String {
    let o = concbench(&["report", "--input", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The PNG decodes, is big enough for its grid and not blank; returns its size.
fn png_size(path: &Path) -> (u32, u32) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert!(
        buf.chunks(3).any(|p| p.iter().all(|&c| c < 80)),
        "{} looks blank",
        path.display()
    );
    (info.width, info.height)
}

/// The markdown row of the interpreter `name`.
fn table_row<'a>(md: &'a str, name: &str) -> &'a str {
    let start = format!("| `{name}` (");
    md.lines()
        .find(|l| l.starts_with(&start))
        .unwrap_or_else(|| panic!("no row {name} in:\n{md}"))
}

#[test]
fn three_interpreters_get_the_matrix_chart_its_table_and_the_single_thread_price() {
    let claims = [
        claim("C2", "cpython-threads@3.13", "HOLDS"),
        claim("C2", "cpython-threads@3.13t", "DOES NOT HOLD"),
        claim("C2", "cpython-threads@3.13t+gil", "INCONCLUSIVE"),
        claim("C3", "cpython-multiprocessing@3.13", "HOLDS"),
    ];
    let dir = folder("three", &three(), &claims);
    let said = report(&dir);
    assert!(said.contains("and 6 charts"), "{said}");

    let charts = dir.join("charts");
    let (w, h) = png_size(&charts.join(format!("{CHART}.png")));
    assert!(w >= 900 && (300..1200).contains(&h), "{w}x{h}");
    let svg = read(&charts.join(format!("{CHART}.svg")));
    for words in [
        "3.13t+gil",
        "py-threads",
        "py-processes",
        "C2 DOES NOT HOLD",
        "1.90×",
    ] {
        assert!(svg.contains(words), "the SVG lacks {words}");
    }

    let md = read(&dir.join("REPORT.md"));
    assert!(md.contains(&format!("](charts/{CHART}.png)")), "{md}");
    assert!(md.contains(SECTION), "{md}");
    assert!(
        md.contains("| interpreter | py-threads | py-processes |"),
        "{md}"
    );
    let ft = table_row(&md, "3.13t");
    assert!(ft.contains("| 1.90× ["), "{ft}");
    assert!(ft.contains(", C2 DOES NOT HOLD |"), "{ft}");
    assert!(ft.contains("| 1.80× ["), "{ft}");
    let gil = table_row(&md, "3.13");
    assert!(gil.contains("1.00× [") && gil.contains("C2 HOLDS"), "{gil}");
    assert!(gil.contains("C3 HOLDS"), "{gil}");
    let forced = table_row(&md, "3.13t+gil");
    assert!(
        forced.contains("(3.13.5, free-threaded, GIL forced on)"),
        "{forced}"
    );
    assert!(forced.contains("C2 INCONCLUSIVE"), "{forced}");
    assert!(
        forced.trim_end().ends_with("| – |"),
        "py-processes not measured: {forced}"
    );

    let price = md
        .lines()
        .find(|l| l.starts_with("**The single-thread price.**"))
        .unwrap_or_else(|| panic!("no price in:\n{md}"));
    assert!(price.contains("On `3.13t`"), "{price}");
    assert!(
        price.contains("20 % slower with the GIL off than with it forced on (`3.13t+gil`: time per kernel iteration ×1.20, 95 % CI ["),
        "{price}"
    );
    assert!(
        price.contains("60 % slower than 3.13.1's GIL build (`3.13`: time per kernel iteration ×1.60, 95 % CI ["),
        "{price}"
    );
}

#[test]
fn without_a_free_threaded_build_the_matrix_has_no_price() {
    let mut interps = three();
    interps.truncate(1);
    interps.push(Interp {
        label: "@3.12",
        version: "3.12.3",
        executable: "/usr/bin/python3.12",
        ..three().remove(0)
    });
    let dir = folder("no-ft", &interps, &[]);
    report(&dir);
    let md = read(&dir.join("REPORT.md"));
    assert!(md.contains(SECTION), "{md}");
    assert!(!md.contains("single-thread price"), "{md}");
    // No claims: no verdict in any cell, and the caption says why.
    assert!(!table_row(&md, "3.12").contains(" C2 "), "{md}");
    assert!(md.contains("no claim was judged in this folder"), "{md}");
}

#[test]
fn one_interpreter_gets_neither_the_chart_nor_the_section() {
    let mut one = three();
    one.truncate(1);
    one[0].label = "";
    let dir = folder("one", &one, &[claim("C2", "cpython-threads", "HOLDS")]);
    // A matrix left by an earlier report of this folder (when it had more interpreters) goes.
    std::fs::create_dir_all(dir.join("charts")).unwrap();
    for ext in ["png", "svg"] {
        std::fs::write(dir.join("charts").join(format!("{CHART}.{ext}")), "stale").unwrap();
    }
    let said = report(&dir);
    assert!(said.contains("and 5 charts"), "{said}");
    assert!(!dir.join("charts").join(format!("{CHART}.png")).exists());
    assert!(!dir.join("charts").join(format!("{CHART}.svg")).exists());
    let md = read(&dir.join("REPORT.md"));
    assert!(!md.contains(SECTION) && !md.contains(CHART), "{md}");
}
