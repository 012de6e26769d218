//! The python_matrix chart's figures, from the files of a run or a claim: which interpreters,
//! which strategies, which worker count, and each cell's speedup, interval and verdict.

use crate::claim::catalog::{SPEED_CLAIMS, is_cpython};
use crate::records::{ClaimRow, PythonInfo, SummaryRow};
use crate::results::run_folder::RunData;
use crate::strategy::{self, python};
use crate::workload::Variant;

/// What the claims said about a cell's label (the chart's fill colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    Holds,
    DoesNotHold,
    Inconclusive,
    /// A claims.csv row that is not a verdict (not checked, not measured), or none at all.
    NoVerdict,
}

impl Judgement {
    pub const ALL: [Judgement; 4] = [
        Judgement::Holds,
        Judgement::DoesNotHold,
        Judgement::Inconclusive,
        Judgement::NoVerdict,
    ];

    pub fn of(verdict: &str) -> Judgement {
        match verdict {
            "HOLDS" => Judgement::Holds,
            "DOES NOT HOLD" => Judgement::DoesNotHold,
            "INCONCLUSIVE" => Judgement::Inconclusive,
            _ => Judgement::NoVerdict,
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Judgement::Holds => "HOLDS",
            Judgement::DoesNotHold => "DOES NOT HOLD",
            Judgement::Inconclusive => "INCONCLUSIVE",
            Judgement::NoVerdict => "no verdict",
        }
    }
}

/// The claim that judges a cell's label on its interpreter.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub claim: String,
    pub judgement: Judgement,
}

impl Judged {
    /// "C2 DOES NOT HOLD"
    pub fn words(&self) -> String {
        format!("{} {}", self.claim, self.judgement.words())
    }
}

/// One measured label on one interpreter.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub speedup: f64,
    pub ci: Option<(f64, f64)>,
    pub judged: Option<Judged>,
}

impl Cell {
    /// "1.94×"
    pub fn figure(&self) -> String {
        format!("{:.2}×", self.speedup)
    }

    /// "[1.90, 1.98]"
    pub fn interval(&self) -> Option<String> {
        self.ci.map(|(lo, hi)| format!("[{lo:.2}, {hi:.2}]"))
    }

    pub fn judgement(&self) -> Judgement {
        self.judged
            .as_ref()
            .map_or(Judgement::NoVerdict, |j| j.judgement)
    }
}

/// One interpreter.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Its label tag: `@3.13t+gil`.
    pub tag: String,
    /// The interpreter in words: `3.13.5, free-threaded, GIL forced on`.
    pub about: String,
    /// One per column; `None` where the label was not measured (or has no speedup).
    pub cells: Vec<Option<Cell>>,
}

impl Row {
    /// The tag without its `@`: `3.13t+gil`.
    pub fn name(&self) -> &str {
        self.tag.trim_start_matches('@')
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Labels without the interpreter tag: `py-threads`, `py-threads+native`.
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    pub workers: usize,
    /// Why that worker count: the claims', or the most measured within the cores.
    pub workers_why: String,
    /// The same in a few words, for the chart's subtitle.
    pub workers_short: String,
    /// Whether the folder has claims.csv (else no cell can have a verdict).
    pub judged: bool,
}

/// The interpreter tag of a label: `py-threads+native@3.13t+gil` -> `@3.13t+gil`. The tag may
/// hold a `+` itself, so it is everything from the `@`.
pub fn tag_of(label: &str) -> Option<&str> {
    label.find('@').map(|i| &label[i..])
}

/// A label without its interpreter tag: `py-threads+native@3.12` -> `py-threads+native`.
pub fn untagged(label: &str) -> &str {
    label.find('@').map_or(label, |i| &label[..i])
}

/// The interpreter in a few words, for a row head.
pub fn about(p: &PythonInfo) -> String {
    match (p.free_threaded_build, p.gil_enabled) {
        (true, Some(true)) => format!("{}, free-threaded, GIL forced on", p.version),
        (true, _) => format!("{}, free-threaded", p.version),
        _ => p.version.clone(),
    }
}

impl Matrix {
    /// The matrix of `data`, or `None` when the folder has fewer than two interpreters or no
    /// py-* speedup on CPU-bound work on any of them.
    pub fn of(data: &RunData) -> Option<Matrix> {
        let pythons = &data.meta.pythons;
        if pythons.len() < 2 {
            return None;
        }
        let measured: Vec<&SummaryRow> = data
            .summary
            .iter()
            .filter(|r| r.variant == Variant::Cpu && r.speedup.is_some())
            .filter(|r| r.strategy.starts_with(python::PREFIX))
            .filter(|r| strategy::name_in_label(&r.strategy) != python::BASELINE)
            .filter(|r| tag_of(&r.strategy).is_some_and(|t| pythons.iter().any(|p| p.label == t)))
            .collect();
        let (workers, workers_why, workers_short) = workers_of(data, &measured)?;
        let columns = columns_of(&measured);
        let claims = data.claims.as_deref();
        let rows: Vec<Row> = pythons
            .iter()
            .map(|p| Row {
                tag: p.label.clone(),
                about: about(p),
                cells: columns
                    .iter()
                    .map(|c| cell_of(&measured, claims, c, &p.label, workers))
                    .collect(),
            })
            .collect();
        let any = rows.iter().any(|r| r.cells.iter().any(Option::is_some));
        any.then_some(Matrix {
            columns,
            rows,
            workers,
            workers_why,
            workers_short,
            judged: claims.is_some(),
        })
    }

    /// For REPORT.md: what the figure is, and which worker count it shows.
    pub fn caption(&self) -> String {
        let colour = if self.judged {
            "a cell's colour is the verdict of the claim that judges it (claims.csv: it rests on \
             the claim's own interval, which can differ from the Summary's shown here)"
        } else {
            "no claim was judged in this folder (no claims.csv), so no cell has a verdict"
        };
        format!(
            "Each CPython strategy's speedup over the same interpreter's py-sequential on CPU-bound \
             work (a `+native` one over py-sequential on the same kernel) at {} workers ({}), with \
             its 95 % bootstrap interval; {colour}; light grey where it was not measured.",
            self.workers, self.workers_why
        )
    }
}

/// The worker count the matrix shows: the claims' single one, or in a run the most measured
/// within the cores (the fewest measured when every count is above them).
/// Returns the count, why (for REPORT.md) and why in a few words (for the subtitle).
fn workers_of(data: &RunData, measured: &[&SummaryRow]) -> Option<(usize, String, String)> {
    if data.meta.claims.is_some()
        && let Some(&w) = data.meta.parameters.workers.first()
    {
        let why = "the worker count the claims judged";
        return Some((w, why.into(), "as the claims judged".into()));
    }
    let cores = data.cores();
    let within = measured.iter().map(|r| r.workers).filter(|&w| w <= cores);
    if let Some(w) = within.max() {
        let why = format!("the most measured within the {cores} usable cores");
        return Some((w, why, format!("most measured ≤ {cores} cores")));
    }
    let fewest = measured.iter().map(|r| r.workers).min()?;
    let why = format!("the fewest measured; every count is above the {cores} usable cores");
    Some((fewest, why, format!("fewest measured, all > {cores} cores")))
}

/// The untagged labels of `measured`, in registry order (kernels after the plain label).
fn columns_of(measured: &[&SummaryRow]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for r in measured {
        let c = untagged(&r.strategy);
        if !columns.iter().any(|x| x == c) {
            columns.push(c.to_string());
        }
    }
    let place = |c: &String| {
        let name = strategy::name_in_label(c);
        let known = strategy::REGISTRY.iter().position(|s| s.name == name);
        (known.unwrap_or(usize::MAX), c.clone())
    };
    columns.sort_by_key(place);
    columns
}

fn cell_of(
    measured: &[&SummaryRow],
    claims: Option<&[ClaimRow]>,
    column: &str,
    tag: &str,
    workers: usize,
) -> Option<Cell> {
    let label = format!("{column}{tag}");
    let r = measured
        .iter()
        .find(|r| r.strategy == label && r.workers == workers)?;
    Some(Cell {
        speedup: r.speedup?,
        ci: r.speedup_ci_low.zip(r.speedup_ci_high),
        judged: claims.and_then(|c| judged(c, column, tag)),
    })
}

/// The verdict on `column` at `tag` from claims.csv: the CPU-bound CPython claim whose label it
/// is (catalog), on that interpreter's subject (`cpython-threads@3.13t`).
pub fn judged(claims: &[ClaimRow], column: &str, tag: &str) -> Option<Judged> {
    SPEED_CLAIMS
        .iter()
        .filter(|s| s.variant == Variant::Cpu && is_cpython(s.subject) && s.label() == column)
        .find_map(|s| {
            let subject = format!("{}{tag}", s.subject);
            claims
                .iter()
                .find(|c| c.claim == s.claim && c.subject == subject)
        })
        .map(|c| Judged {
            claim: c.claim.clone(),
            judgement: Judgement::of(&c.verdict),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_everything_from_the_at_sign_and_a_kernel_comes_before_it() {
        assert_eq!(tag_of("py-sequential@3.13t+gil"), Some("@3.13t+gil"));
        assert_eq!(untagged("py-threads+native@3.13t+gil"), "py-threads+native");
        assert_eq!(tag_of("py-threads"), None);
        assert_eq!(untagged("py-threads"), "py-threads");
    }

    fn python(label: &str) -> PythonInfo {
        serde_json::from_value(serde_json::json!({
            "requested": "python3", "executable": "python3", "version": "3.12.1",
            "implementation": "CPython", "gil_enabled": null, "label": label, "gil": "on",
            "switch_interval_ms": 5.0, "start_method": "fork", "startup_s": 0.02,
            "script": "s", "script_fnv1a": "0", "cpu_calibration": null, "timing": "t"
        }))
        .unwrap()
    }

    #[test]
    fn a_run_shows_the_most_workers_measured_within_the_cores_in_registry_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small-run");
        let mut data = RunData::read(&dir).unwrap();
        assert_eq!(data.cores(), 2);
        let template = data.summary[0].clone();
        let row = |label: &str, workers: usize| SummaryRow {
            variant: Variant::Cpu,
            strategy: label.into(),
            workers,
            speedup: Some(workers as f64 * 0.9),
            ..template.clone()
        };
        data.summary = vec![
            row("py-processes@3.12", 2),
            row("py-threads@3.12", 1),
            row("py-threads@3.12", 2),
            row("py-threads@3.12", 4),
            row("py-processes@3.13", 4),
            row("py-sequential@3.13", 1),
        ];
        assert_eq!(Matrix::of(&data), None, "no interpreter: no matrix");
        data.meta.pythons = vec![python("@3.12")];
        assert_eq!(Matrix::of(&data), None, "one interpreter: no matrix");
        data.meta.pythons = vec![python("@3.12"), python("@3.13")];
        let m = Matrix::of(&data).unwrap();
        assert_eq!(m.workers, 2);
        assert_eq!(m.columns, ["py-threads", "py-processes"]);
        assert_eq!(
            m.rows[0].cells[0].as_ref().map(|c| c.figure()),
            Some("1.80×".into())
        );
        assert!(
            m.rows[1].cells.iter().all(Option::is_none),
            "3.13 has nothing at 2"
        );
        data.summary.retain(|r| r.workers == 4);
        let m = Matrix::of(&data).unwrap();
        assert_eq!(m.workers, 4, "every count above the cores: the fewest");
    }

    #[test]
    fn a_verdict_is_found_through_the_catalog_on_the_interpreters_subject() {
        let row = ClaimRow::verdict_only;
        let claims = [
            row("C1", "cpython-threads@3.13t", "HOLDS"),
            row("C5", "cpython-threads@3.13t", "HOLDS"),
            row("C2", "cpython-threads@3.13t", "DOES NOT HOLD"),
            row("C2", "cpython-threads-native@3.13t", "HOLDS"),
            row(
                "C3",
                "cpython-multiprocessing@3.12",
                "not checked: one core",
            ),
        ];
        let j = judged(&claims, "py-threads", "@3.13t").unwrap();
        assert_eq!(j.words(), "C2 DOES NOT HOLD");
        let native = judged(&claims, "py-threads+native", "@3.13t").unwrap();
        assert_eq!(native.judgement, Judgement::Holds);
        let other = judged(&claims, "py-processes", "@3.12").unwrap();
        assert_eq!(other.judgement, Judgement::NoVerdict);
        assert_eq!(judged(&claims, "py-threads", "@3.12"), None);
    }
}
