//! The Python kernel's calibration to the run's CPU unit, and the Rust kernel's speed that
//! turns a unit in iterations back into milliseconds.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::{Interpreter, PyKernel};
use crate::error::{Error, Result};
use crate::workload;

/// Defined with the file schemas it is recorded in.
pub use crate::records::PyCalibration;

/// Defined with the file schemas it is recorded in.
pub use crate::records::CalibrationSource;

/// The Python kernel calibrated to `target_ms`, cached per interpreter, Rust unit and kernel.
pub fn calibrate(
    interp: &Interpreter,
    rust_iters: u64,
    target_ms: f64,
    kernel: PyKernel,
) -> Result<PyCalibration> {
    let key = (interp.exe.clone(), rust_iters, kernel);
    if let Some(c) = CACHE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashMap::new)
        .get(&key)
    {
        return Ok(*c);
    }
    if let Some((kept, _)) = super::rate_store::load(interp, kernel) {
        let c = PyCalibration {
            kernel,
            target_ms,
            iters_per_ms: kept.iters_per_ms,
            iters: ((kept.iters_per_ms * target_ms).round() as u64).max(1),
            took_s: 0.0,
            processes: kept.processes,
            rate_spread: kept.rate_spread,
            source: CalibrationSource::Kept,
        };
        remember(key, c);
        return Ok(c);
    }
    // One interpreter process runs at its own speed, up to ±20 % from the next one's: the
    // median rate of several fresh interpreters is what the trials (a fresh one every round)
    // will see. Kept for later runs, so `--cpu-ms` stays the same work from run to run.
    let mut probes = Vec::with_capacity(PROCESSES);
    let started = std::time::Instant::now();
    for _ in 0..PROCESSES {
        probes.push(probe(interp, target_ms, kernel)?);
    }
    let mut rates: Vec<f64> = probes.iter().map(|p| p.iters_per_ms).collect();
    rates.sort_by(f64::total_cmp);
    let rate = rates[rates.len() / 2];
    let c = PyCalibration {
        kernel,
        target_ms,
        iters_per_ms: rate,
        iters: ((rate * target_ms).round() as u64).max(1),
        took_s: started.elapsed().as_secs_f64(),
        processes: PROCESSES as u32,
        rate_spread: (rates[0], rates[rates.len() - 1]),
        source: CalibrationSource::Measured,
    };
    super::rate_store::save(interp, kernel, rate, c.rate_spread, c.processes);
    remember(key, c);
    Ok(c)
}

type Key = (PathBuf, u64, PyKernel);
static CACHE: Mutex<Option<HashMap<Key, PyCalibration>>> = Mutex::new(None);

fn remember(key: Key, c: PyCalibration) {
    CACHE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(key, c);
}

/// Fresh interpreters whose median kernel rate is the calibration.
const PROCESSES: usize = 5;

/// One interpreter's kernel rate.
fn probe(interp: &Interpreter, target_ms: f64, kernel: PyKernel) -> Result<PyCalibration> {
    let request = serde_json::json!({ "ms": target_ms, "kernel": kernel.name() }).to_string();
    let run = interp
        .run_mode("calibrate", &request, Duration::from_secs(120))
        .map_err(|e| Error::Measurement(format!("python calibration: {e}")))?;
    if !run.reaped.success() {
        return Err(Error::Measurement(format!(
            "python calibration {}: {}",
            run.reaped.status_text(),
            run.stderr_tail
        )));
    }
    serde_json::from_str(run.stdout.trim()).map_err(|e| {
        Error::Measurement(format!(
            "python calibration answered '{}': {e}",
            run.stdout.trim()
        ))
    })
}

/// The Rust kernel's speed on this machine, measured once per process, to turn a CPU unit
/// given in iterations back into milliseconds when no calibration was handed over.
pub(super) fn rust_iters_per_ms() -> f64 {
    static RATE: OnceLock<f64> = OnceLock::new();
    *RATE.get_or_init(|| workload::measure_kernel_rate().0)
}
