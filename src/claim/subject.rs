//! The subjects a claim run judges: a catalog claim applied to one runtime, as it runs here.
//!
//! A Rust subject is its catalog entry as it is. A CPython subject is its catalog entry on one
//! interpreter (with `--python LIST`, one subject per interpreter, named `cpython-threads@3.12`
//! and judging the strategy labelled `py-threads@3.12`) and one kernel (`cpython-threads-native`
//! judges `py-threads+native`, whose CPU work releases the GIL).

use std::sync::Arc;

use super::catalog::{SpeedClaim, is_cpython};
use crate::strategy::python::{Interpreter, PyKernel, subinterpreters};
use crate::strategy::{self, gil};
use crate::workload::Variant;

/// One claim about one runtime, as measured in this run.
#[derive(Debug, Clone)]
pub struct Subject {
    pub spec: &'static SpeedClaim,
    /// In tables, claims.csv and `--expect`: `cpython-threads`, `cpython-threads@3.12`.
    pub name: String,
    /// The judged strategy's label: `threads`, `py-threads+native@3.12`.
    pub label: String,
    /// The interpreter of a CPython subject.
    pub python: Option<Arc<Interpreter>>,
    /// The runtime in words, for the evidence: `CPython 3.12.1, GIL on`.
    pub context: String,
    /// Why this subject's verdict is what it is expected to be, when that is not obvious.
    pub note: Option<String>,
}

impl Subject {
    pub fn variant(&self) -> Variant {
        self.spec.variant
    }

    /// The label of the baseline this subject's speedup is measured against.
    pub fn baseline(&self) -> String {
        strategy::baseline_of(&self.label)
    }

    /// The suffix of every label on this subject's runtime (`+native@3.12`).
    pub fn label_suffix(&self) -> &str {
        strategy::label_suffix(&self.label)
    }

    pub fn kernel(&self) -> PyKernel {
        self.spec.kernel
    }
}

/// The subjects of `specs` on `pythons` (the usable interpreters, in the order given). With
/// more than one interpreter, CPython subjects and labels carry the interpreter's version.
pub fn subjects(
    specs: &[&'static SpeedClaim],
    pythons: &[Arc<Interpreter>],
    switch_interval_ms: f64,
) -> Vec<Subject> {
    let tags = crate::strategy::python::version_tags(pythons);
    let mut out = Vec::new();
    for &spec in specs {
        if !is_cpython(spec.subject) {
            out.push(Subject {
                spec,
                name: spec.subject.to_string(),
                label: spec.strategy.to_string(),
                python: None,
                context: if spec.strategy == gil::INFO.name {
                    format!("model switch interval {switch_interval_ms} ms")
                } else {
                    String::new()
                },
                note: None,
            });
            continue;
        }
        // py-interpreters only where subinterpreters have their own GIL (3.13+): the claim
        // front end says which it skips.
        let each = pythons.iter().zip(&tags);
        for (p, tag) in each.filter(|(p, _)| subinterpreters::runs_on(spec.strategy, p)) {
            let kernel = match spec.kernel {
                PyKernel::Bytecode => String::new(),
                k => format!("+{}", k.name()),
            };
            let gil_on = p.info.gil_on();
            out.push(Subject {
                spec,
                name: format!("{}{tag}", spec.subject),
                label: format!("{}{kernel}{tag}", spec.strategy),
                python: Some(Arc::clone(p)),
                context: format!(
                    "{} {}{}, GIL {}{}",
                    p.info.implementation,
                    p.info.version,
                    if p.info.free_threaded_build {
                        " free-threaded build"
                    } else {
                        ""
                    },
                    match (gil_on, p.gil_forced()) {
                        (true, true) => "forced on (-X gil=1)",
                        (true, false) => "on",
                        (false, _) => "off",
                    },
                    if spec.kernel == PyKernel::Native {
                        ", native kernel (hashlib.sha256 on 64 KiB: the GIL is released inside)"
                    } else if spec.strategy == crate::strategy::python::INTERPRETERS.name {
                        " in each subinterpreter (a GIL of its own)"
                    } else {
                        ""
                    }
                ),
                note: note(spec, gil_on, p.gil_forced()),
            });
        }
    }
    out
}

/// A sentence on why a subject comes out as it does.
fn note(spec: &SpeedClaim, gil_on: bool, gil_forced: bool) -> Option<String> {
    match (spec.claim, spec.kernel, gil_on) {
        ("C2", PyKernel::Bytecode, true) if gil_forced => Some(
            "the free-threaded binary with its GIL forced on (-X gil=1): the same code as the GIL-off row, one GIL again, so C2 is expected to hold".into(),
        ),
        ("C2", PyKernel::Native, _) => Some(
            "the CPU work is C code that releases the GIL (hashlib), so CPython threads run it in parallel".into(),
        ),
        ("C2", _, false) => Some(
            "GIL off: a free-threaded build runs Python threads in parallel, so the tutorial's C2 is not expected to hold".into(),
        ),
        _ => None,
    }
}
