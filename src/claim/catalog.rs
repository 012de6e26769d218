//! What concbench checks: the speed claims (C1-C3) per runtime, the claims in words, and the
//! subjects of the demonstrated claims (C4, C5).

use super::Direction;
use crate::strategy::python::PyKernel;
use crate::workload::Variant;

/// A claim about speed, for one runtime.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpeedClaim {
    pub claim: &'static str,
    /// The runtime judged, as named in claims.csv and `--expect`.
    pub subject: &'static str,
    pub variant: Variant,
    /// The strategy measured (its baseline comes from the registry).
    pub strategy: &'static str,
    pub direction: Direction,
    /// The CPU kernel of a CPython subject (`native` releases the GIL).
    pub kernel: PyKernel,
}

impl SpeedClaim {
    /// The label of the strategy judged, without an interpreter tag: `threads`,
    /// `py-threads`, `py-threads+native`.
    pub fn label(&self) -> String {
        match self.kernel {
            PyKernel::Bytecode => self.strategy.to_string(),
            k => format!("{}+{}", self.strategy, k.name()),
        }
    }
}

/// A claim about the default CPU kernel (CPython's bytecode one for a CPython subject).
const fn speed(
    claim: &'static str,
    subject: &'static str,
    variant: Variant,
    strategy: &'static str,
    direction: Direction,
) -> SpeedClaim {
    SpeedClaim {
        claim,
        subject,
        variant,
        strategy,
        direction,
        kernel: PyKernel::Bytecode,
    }
}

/// A claim on the CPU-bound variant about CPython's `native` kernel (it releases the GIL).
const fn native(
    claim: &'static str,
    subject: &'static str,
    strategy: &'static str,
    direction: Direction,
) -> SpeedClaim {
    let mut c = speed(claim, subject, Variant::Cpu, strategy, direction);
    c.kernel = PyKernel::Native;
    c
}

/// Every speed claim, in table order.
pub const SPEED_CLAIMS: &[SpeedClaim] = &[
    speed(
        "C1",
        "rust-threads",
        Variant::Sleep,
        "threads",
        Direction::SpeedsUp,
    ),
    speed(
        "C1",
        "rust-async",
        Variant::Sleep,
        "async",
        Direction::SpeedsUp,
    ),
    speed("C1", "rayon", Variant::Sleep, "rayon", Direction::SpeedsUp),
    speed("C1", "gil", Variant::Sleep, "gil", Direction::SpeedsUp),
    speed(
        "C1",
        "cpython-threads",
        Variant::Sleep,
        "py-threads",
        Direction::SpeedsUp,
    ),
    speed(
        "C1",
        "cpython-asyncio",
        Variant::Sleep,
        "py-asyncio",
        Direction::SpeedsUp,
    ),
    speed(
        "C2",
        "rust-threads",
        Variant::Cpu,
        "threads",
        Direction::DoesNotSpeedUp,
    ),
    speed(
        "C2",
        "rayon",
        Variant::Cpu,
        "rayon",
        Direction::DoesNotSpeedUp,
    ),
    speed("C2", "gil", Variant::Cpu, "gil", Direction::DoesNotSpeedUp),
    speed(
        "C2",
        "cpython-threads",
        Variant::Cpu,
        "py-threads",
        Direction::DoesNotSpeedUp,
    ),
    native(
        "C2",
        "cpython-threads-native",
        "py-threads",
        Direction::DoesNotSpeedUp,
    ),
    speed(
        "C3",
        "rust-processes",
        Variant::Cpu,
        "processes",
        Direction::SpeedsUp,
    ),
    speed(
        "C3",
        "cpython-multiprocessing",
        Variant::Cpu,
        "py-processes",
        Direction::SpeedsUp,
    ),
    speed(
        "C3",
        "cpython-pool",
        Variant::Cpu,
        "py-pool",
        Direction::SpeedsUp,
    ),
    speed(
        "C3",
        "cpython-dask",
        Variant::Cpu,
        "py-dask",
        Direction::SpeedsUp,
    ),
    speed(
        "C3",
        "cpython-interpreters",
        Variant::Cpu,
        "py-interpreters",
        Direction::SpeedsUp,
    ),
];

/// The claims in words.
pub const STATEMENTS: &[(&str, &str)] = &[
    ("C1", "threads speed up sleep-bound (waiting) work"),
    ("C2", "threads don't speed up CPU-bound work"),
    ("C3", "processes speed up CPU-bound work"),
    (
        "C4",
        "processes don't share memory: a child's appends to a global list never reach the parent; results need IPC",
    ),
    (
        "C5",
        "an error or a memory leak in one process doesn't hurt another",
    ),
];

/// The subjects of the demonstrated claims (C4, C5), in table order.
pub const DEMO_SUBJECTS: &[(&str, &str)] = &[
    ("C4", "rust-processes"),
    ("C4", "cpython-multiprocessing"),
    ("C4", "cpython-interpreters"),
    ("C5", "rust-processes"),
    ("C5", "rust-threads"),
    ("C5", "cpython-multiprocessing"),
    ("C5", "cpython-threads"),
];

pub fn statement(claim: &str) -> &'static str {
    STATEMENTS
        .iter()
        .find(|(c, _)| *c == claim)
        .map_or("", |(_, s)| s)
}

/// Whether a subject runs in CPython (and so needs an interpreter).
pub fn is_cpython(subject: &str) -> bool {
    subject.starts_with("cpython-")
}

/// Every (claim, subject) pair concbench checks.
pub fn all_subjects() -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<(&str, &str)> = SPEED_CLAIMS.iter().map(|c| (c.claim, c.subject)).collect();
    v.extend_from_slice(DEMO_SUBJECTS);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy;

    #[test]
    fn every_claim_has_a_statement_and_unique_subjects() {
        let all = all_subjects();
        for (c, s) in &all {
            assert!(!statement(c).is_empty(), "{c}");
            assert_eq!(all.iter().filter(|x| x == &&(*c, *s)).count(), 1, "{c}:{s}");
        }
        for spec in SPEED_CLAIMS {
            assert!(strategy::find(spec.strategy).is_ok(), "{}", spec.strategy);
        }
    }
}
