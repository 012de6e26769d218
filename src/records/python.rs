//! The CPython interpreter as meta.json describes it: the interpreter, its CPU kernel and
//! that kernel's calibration (the probing lives in `strategy::python`).

use serde::{Deserialize, Serialize};

/// The CPU kernel of the CPython strategies (`--py-kernel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PyKernel {
    /// The multiply-xorshift chain in pure Python: holds the GIL.
    #[default]
    Bytecode,
    /// hashlib.sha256().update() on 64 KiB: releases the GIL inside.
    Native,
}

/// The Python kernel's calibration to a number of milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PyCalibration {
    #[serde(default)]
    pub kernel: PyKernel,
    pub target_ms: f64,
    /// Python kernel iterations per ms of one core: the median over several fresh
    /// interpreters of each one's median probe.
    pub iters_per_ms: f64,
    /// Iterations of one Python CPU unit.
    pub iters: u64,
    pub took_s: f64,
    /// Interpreters probed (the rate is their median), and the slowest and fastest rate.
    #[serde(default)]
    pub processes: u32,
    #[serde(default)]
    pub rate_spread: (f64, f64),
    /// Measured in this run, or kept from an earlier one (see `rate_store`): when and where.
    #[serde(default)]
    pub source: CalibrationSource,
}

/// Where a run's CPython kernel rate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CalibrationSource {
    /// Measured in this run (and kept for the next ones).
    #[default]
    Measured,
    /// Kept from an earlier run on this machine (`python-rates.json` in the cache folder).
    Kept,
}

/// What meta.json records about the interpreter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PythonInfo {
    /// What was asked for: `python3` (from PATH) or the `--python` path.
    pub requested: String,
    /// The interpreter's own `sys.executable`, used for every run.
    pub executable: String,
    pub version: String,
    pub implementation: String,
    /// `sys._is_gil_enabled()`; `None` where it does not exist (before 3.13), see `gil`.
    pub gil_enabled: Option<bool>,
    /// What tells this interpreter's strategies apart in labels (`@3.13t`, `@3.13t+gil`); empty
    /// for a lone interpreter.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// Built with `--disable-gil` (PEP 703, `Py_GIL_DISABLED`): a free-threaded build, whose GIL
    /// is off unless forced on. These fields are left out of meta.json when empty (false), so
    /// folders written before them read and write back unchanged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub free_threaded_build: bool,
    /// The options concbench starts it with before the script (`-X gil=1`: the GIL forced on
    /// in a free-threaded build).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// The build's configure arguments (`sysconfig`'s CONFIG_ARGS).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub config_args: String,
    /// The module that creates interpreters with a GIL of their own (`_interpreters` in 3.13,
    /// `concurrent.interpreters` from 3.14); `None` before 3.13 (py-interpreters is skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subinterpreters: Option<String>,
    /// The GIL status in words, with where it comes from.
    pub gil: String,
    /// `sys.getswitchinterval()` in ms.
    pub switch_interval_ms: f64,
    /// The start method py-processes and py-pool used: `--start-method`, else the
    /// interpreter's default.
    pub start_method: String,
    /// The interpreter's own default (3.14 changed it to forkserver on Linux).
    #[serde(default)]
    pub default_start_method: String,
    /// Wall time of one `python -I -S script info` launch: interpreter start-up and imports, which
    /// the timed work excludes.
    pub startup_s: f64,
    /// The script that ran (a temporary copy of the embedded one) and its FNV-1a hash.
    pub script: String,
    pub script_fnv1a: String,
    /// The CPU kernel of the py-* strategies.
    #[serde(default)]
    pub kernel: PyKernel,
    /// The Python kernel's calibration to the run's CPU unit, when the cpu variant ran.
    pub cpu_calibration: Option<PyCalibration>,
    /// What the py-* figures time.
    pub timing: String,
    /// Whether the GIL was on while each of its arms ran, from the trials' own reports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gil_during_arms: Vec<ArmGil>,
}

/// Whether the GIL was on while one arm ran (runs.csv's gil_enabled over its trials).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmGil {
    /// The arm's label (`py-threads@3.13t`).
    pub arm: String,
    pub trials: usize,
    /// Trials that ended with the GIL on; `None` where the interpreter cannot say (before
    /// 3.13, where it is always on).
    pub gil_on_trials: Option<usize>,
}

/// The interpreter tag of a label: from `@` to the end (`py-threads+native@3.13t+gil` ->
/// `@3.13t+gil`), empty for a lone interpreter's labels.
pub fn interpreter_tag(label: &str) -> &str {
    label.find('@').map_or("", |i| &label[i..])
}

/// Fill each interpreter's `gil_during_arms` from the trials of its arms, and return one line
/// for each arm of a free-threaded interpreter (GIL not forced) that ran with the GIL on.
pub fn note_gil(pythons: &mut [PythonInfo], rows: &[super::RunRow]) -> Vec<String> {
    let mut surprises = Vec::new();
    for p in pythons.iter_mut() {
        let mut arms: Vec<ArmGil> = Vec::new();
        let mine = rows
            .iter()
            .filter(|r| r.strategy.starts_with("py-") && interpreter_tag(&r.strategy) == p.label);
        for r in mine {
            let i = match arms.iter().position(|a| a.arm == r.strategy) {
                Some(i) => i,
                None => {
                    arms.push(ArmGil {
                        arm: r.strategy.clone(),
                        trials: 0,
                        gil_on_trials: Some(0),
                    });
                    arms.len() - 1
                }
            };
            let a = &mut arms[i];
            a.trials += 1;
            a.gil_on_trials = match (a.gil_on_trials, r.gil_enabled) {
                (Some(n), Some(on)) => Some(n + usize::from(on)),
                _ => None,
            };
        }
        let unforced_free_threaded = p.free_threaded_build && p.options.is_empty();
        for a in arms.iter().filter(|_| unforced_free_threaded) {
            if let Some(n) = a.gil_on_trials.filter(|&n| n > 0) {
                surprises.push(format!(
                    "{}: the GIL was on in {n} of {} trials of a free-threaded build (an extension module may have turned it back on)",
                    a.arm, a.trials
                ));
            }
        }
        p.gil_during_arms = arms;
    }
    surprises
}

/// What meta.json records about py-dask's cluster: the versions of the interpreter's Dask, and
/// with `--dask-scheduler` what that scheduler had when the run started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaskInfo {
    pub dask: String,
    pub distributed: String,
    /// `LocalCluster` (N single-threaded worker processes started before each trial's clock),
    /// or the scheduler's address.
    pub scheduler: String,
    /// The scheduler's workers (empty for a LocalCluster): address, host, threads, and whether
    /// it runs on this machine.
    #[serde(default)]
    pub workers: Vec<DaskWorker>,
    /// The `distributed` versions the workers run.
    #[serde(default)]
    pub worker_versions: Vec<String>,
    /// What to keep in mind reading the figures (remote workers, fewer workers than asked).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One worker of an existing Dask scheduler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaskWorker {
    pub address: String,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub nthreads: Option<u32>,
    pub local: bool,
}
