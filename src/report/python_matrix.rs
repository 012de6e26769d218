//! REPORT.md's "Python across interpreters": the matrix of the python_matrix chart as a table,
//! and the single-thread price of a free-threaded build (py-sequential with the GIL off against
//! the same binary with it forced on, and against the GIL build of the same version). Written
//! only when the chart is drawn; nothing in a run on one interpreter.

use std::fmt::Write;

use crate::chart::python_matrix::{Matrix, about};
use crate::records::{PythonInfo, RunRow};
use crate::results::markdown;
use crate::results::run_folder::RunData;
use crate::stats::{MIN_INTERVAL_N, median};
use crate::strategy::python;
use crate::summary::speedup_interval;
use crate::workload::Variant;

/// The whole section, or nothing when the chart is not drawn.
pub fn section(data: &RunData) -> String {
    let Some(m) = Matrix::of(data) else {
        return String::new();
    };
    let mut s = String::from("## Python across interpreters\n\n");
    let _ = writeln!(
        s,
        "The chart *Python across interpreters* as a table. {}\n",
        m.caption()
    );
    s.push_str(&table(&m));
    for sentence in prices(data) {
        let _ = write!(s, "\n{sentence}\n");
    }
    s.push('\n');
    s
}

/// One row per interpreter, one column per strategy: "1.94× [1.90, 1.98], C2 DOES NOT HOLD".
pub fn table(m: &Matrix) -> String {
    let mut titles = vec!["interpreter"];
    titles.extend(m.columns.iter().map(String::as_str));
    let mut align = vec!["---"];
    align.extend(m.columns.iter().map(|_| "---:"));
    let mut s = markdown::header(&titles, &align);
    for r in &m.rows {
        let mut head = format!("`{}`", r.name());
        if r.about != r.name() {
            let _ = write!(head, " ({})", r.about);
        }
        let mut cells = vec![head];
        cells.extend(r.cells.iter().map(|c| match c {
            None => "–".to_string(),
            Some(c) => {
                let mut t = c.figure();
                if let Some(ci) = c.interval() {
                    let _ = write!(t, " {ci}");
                }
                if let Some(j) = &c.judged {
                    let _ = write!(t, ", {}", j.words());
                }
                t
            }
        }));
        s.push_str(&markdown::row(&cells));
    }
    s
}

/// A ratio of two arms' median times with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio {
    pub ratio: f64,
    pub ci: Option<(f64, f64)>,
}

/// One sentence per free-threaded build (GIL off) with py-sequential on CPU-bound work and
/// something to compare it with.
pub fn prices(data: &RunData) -> Vec<String> {
    let pythons = &data.meta.pythons;
    let gil_off = pythons
        .iter()
        .filter(|p| p.free_threaded_build && p.gil_enabled != Some(true));
    let mut out = Vec::new();
    for ft in gil_off {
        let forced = pythons.iter().find(|p| {
            p.free_threaded_build
                && p.gil_enabled == Some(true)
                && p.executable == ft.executable
                && p.version == ft.version
        });
        let gil_build = pythons.iter().find(|p| {
            !p.free_threaded_build && major_minor(&p.version) == major_minor(&ft.version)
        });
        let against_forced = forced.and_then(|f| price(data, ft, f).map(|r| (f, r)));
        let against_build = gil_build.and_then(|g| price(data, ft, g).map(|r| (g, r)));
        if let Some(s) = sentence(ft, against_forced, against_build) {
            out.push(s);
        }
    }
    out
}

fn major_minor(version: &str) -> Vec<&str> {
    version.split('.').take(2).collect()
}

/// "12 % slower than" for a time ratio of 1.12, "8 % faster than" for 0.92, "as fast as"
/// within half a per cent.
fn slower_or_faster(r: f64) -> (String, &'static str) {
    let pct = ((r - 1.0) * 100.0).abs().round();
    if pct == 0.0 {
        ("as fast".into(), "as")
    } else if r > 1.0 {
        (format!("{pct:.0} % slower"), "than")
    } else {
        (format!("{pct:.0} % faster"), "than")
    }
}

fn figures(r: &Ratio) -> String {
    match r.ci {
        Some((lo, hi)) => format!(
            "time per kernel iteration ×{:.2}, 95 % CI [{lo:.2}, {hi:.2}]",
            r.ratio
        ),
        None => format!(
            "time per kernel iteration ×{:.2}, too few trials for an interval",
            r.ratio
        ),
    }
}

fn sentence(
    ft: &PythonInfo,
    forced: Option<(&PythonInfo, Ratio)>,
    build: Option<(&PythonInfo, Ratio)>,
) -> Option<String> {
    let name = |p: &PythonInfo| format!("`{}`", p.label.trim_start_matches('@'));
    let mut parts = Vec::new();
    if let Some((f, r)) = forced {
        let (how, than) = slower_or_faster(r.ratio);
        parts.push(format!(
            "{how} with the GIL off {than} with it forced on ({}: {})",
            name(f),
            figures(&r)
        ));
    }
    if let Some((g, r)) = build {
        let (how, than) = slower_or_faster(r.ratio);
        parts.push(format!(
            "{how} {than} {}'s GIL build ({}: {})",
            g.version,
            name(g),
            figures(&r)
        ));
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!(
        "**The single-thread price.** On {} ({}), py-sequential runs the CPU kernel {}.",
        name(ft),
        about(ft),
        parts.join(", and ")
    ))
}

/// Median time per kernel iteration of `a`'s py-sequential over `b`'s, on CPU-bound work,
/// with the bootstrap interval summary.csv's speedups get (same resampling, seeded by the pair).
/// A job spends one CPU unit (the script's run_job: one spend() of `cpu_iters` iterations), so
/// a trial's time per iteration is its wall time / (jobs × iterations of the unit). Without
/// both calibrations, only two arms of one binary compare (they share the iterations).
pub fn price(data: &RunData, a: &PythonInfo, b: &PythonInfo) -> Option<Ratio> {
    let iters = |p: &PythonInfo| p.cpu_calibration.as_ref().map(|c| (c.iters, c.kernel));
    let per_iteration = match (iters(a), iters(b)) {
        (Some(x), Some(y)) if x.1 == y.1 => true,
        _ if a.executable == b.executable => false,
        _ => return None,
    };
    let arm = |p: &PythonInfo| -> Vec<RunRow> {
        let label = format!("{}{}", python::BASELINE, p.label);
        let units = p.cpu_calibration.as_ref().map_or(1, |c| c.iters).max(1) as f64;
        data.runs
            .iter()
            .filter(|r| r.variant == Variant::Cpu && r.strategy == label)
            .map(|r| {
                let mut r = r.clone();
                if per_iteration {
                    r.wall_s /= r.jobs.max(1) as f64 * units;
                }
                r
            })
            .collect()
    };
    let (arm_a, arm_b) = (arm(a), arm(b));
    let med = |rows: &[RunRow]| median(&rows.iter().map(|r| r.wall_s).collect::<Vec<_>>());
    let (ma, mb) = (med(&arm_a)?, med(&arm_b)?);
    if mb <= 0.0 {
        return None;
    }
    let ci = if arm_a.len().min(arm_b.len()) >= MIN_INTERVAL_N {
        let settings = data.meta.bootstrap.clone().unwrap_or_default();
        let key = format!("single-thread-price/{}/{}", a.label, b.label);
        let (refs_a, refs_b): (Vec<&RunRow>, Vec<&RunRow>) =
            (arm_a.iter().collect(), arm_b.iter().collect());
        speedup_interval(&refs_a, &refs_b, &settings, &key)
    } else {
        None
    };
    Some(Ratio { ratio: ma / mb, ci })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ratio_reads_as_slower_or_faster() {
        assert_eq!(slower_or_faster(1.124), ("12 % slower".into(), "than"));
        assert_eq!(slower_or_faster(0.92), ("8 % faster".into(), "than"));
        assert_eq!(slower_or_faster(1.002), ("as fast".into(), "as"));
    }

    #[test]
    fn versions_compare_by_major_and_minor() {
        assert_eq!(major_minor("3.13.5"), major_minor("3.13.0"));
        assert_ne!(major_minor("3.13.5"), major_minor("3.12.5"));
    }
}
