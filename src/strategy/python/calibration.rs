//! The Python kernel's calibration to the run's CPU unit, and the Rust kernel's speed that
//! turns a unit in iterations back into milliseconds.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::script::run_script;
use super::{Interpreter, PyKernel};
use crate::error::{Error, Result};
use crate::workload;

/// The Python kernel's calibration to a number of milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PyCalibration {
    #[serde(default)]
    pub kernel: PyKernel,
    pub target_ms: f64,
    /// Python kernel iterations per ms of one core (fastest of five probes).
    pub iters_per_ms: f64,
    /// Iterations of one Python CPU unit.
    pub iters: u64,
    pub took_s: f64,
}

/// The Python kernel calibrated to `target_ms`, cached per interpreter, Rust unit and kernel.
pub fn calibrate(
    interp: &Interpreter,
    rust_iters: u64,
    target_ms: f64,
    kernel: PyKernel,
) -> Result<PyCalibration> {
    type Key = (PathBuf, u64, PyKernel);
    static CACHE: Mutex<Option<HashMap<Key, PyCalibration>>> = Mutex::new(None);
    let key = (interp.exe.clone(), rust_iters, kernel);
    if let Some(c) = CACHE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashMap::new)
        .get(&key)
    {
        return Ok(*c);
    }
    let request = serde_json::json!({ "ms": target_ms, "kernel": kernel.name() }).to_string();
    let run = run_script(
        &interp.exe,
        &interp.script,
        "calibrate",
        &request,
        Duration::from_secs(120),
    )
    .map_err(|e| Error::Measurement(format!("python calibration: {e}")))?;
    if !run.reaped.success() {
        return Err(Error::Measurement(format!(
            "python calibration {}: {}",
            run.reaped.status_text(),
            run.stderr_tail
        )));
    }
    let c: PyCalibration = serde_json::from_str(run.stdout.trim()).map_err(|e| {
        Error::Measurement(format!(
            "python calibration answered '{}': {e}",
            run.stdout.trim()
        ))
    })?;
    CACHE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(key, c);
    Ok(c)
}

/// The Rust kernel's speed on this machine, measured once per process, to turn a CPU unit
/// given in iterations back into milliseconds when no calibration was handed over.
pub(super) fn rust_iters_per_ms() -> f64 {
    static RATE: OnceLock<f64> = OnceLock::new();
    *RATE.get_or_init(|| workload::measure_kernel_rate().0)
}
