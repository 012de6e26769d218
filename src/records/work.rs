//! What a run's work is: its variant and the calibration of the CPU kernel (the types the
//! workload computes with, recorded in every file).

use serde::{Deserialize, Serialize};

/// Whether the unit of work waits or computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// Every job sleeps: waiting work, like I/O.
    Sleep,
    /// Every job burns CPU in a kernel the compiler cannot remove.
    Cpu,
    /// Every job is a real HTTP/1.1 request to a local server that answers after the sleep's
    /// delay: the waiting the sleep variant simulates, done for real.
    Http,
}

/// Result of calibrating the CPU kernel on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Kernel iterations per millisecond of one core (the fastest of several probes).
    pub iters_per_ms: f64,
    /// The iteration count chosen for one unit of CPU work.
    pub iters: u64,
    /// The milliseconds asked for (`--cpu-ms`), or the equivalent of `--cpu-iters`.
    pub target_ms: f64,
    /// Wall time the calibration itself took.
    pub took_s: f64,
}
