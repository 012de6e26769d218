//! `py-sequential`, `py-threads`, `py-asyncio`, `py-processes`: the tutorial's own runtime (and
//! its answer for many waits). The same jobs, variant and unit of work run in CPython under
//! sequential code, `threading.Thread`, asyncio coroutines and `multiprocessing.Process`, through the script `scripts/python/concbench_workload.py`
//! (embedded in the binary, written to a content-named temporary file, run as
//! `python -I -S <file> run`: isolated from the environment, standard library only).
//!
//! - **Interpreter.** `python3` from PATH, or `--python PATH` (a free-threaded 3.13t build, say).
//!   It is probed once: version, implementation, GIL status (`sys._is_gil_enabled()` where it
//!   exists, 3.13+), switch interval, multiprocessing start method and start-up time go into
//!   meta.json. Later runs use the interpreter's own `sys.executable`, which skips launcher
//!   shims such as pyenv's.
//! - **Unit of work.** A sleep is the same sleep. A CPU unit of N Rust kernel iterations is N /
//!   (Rust iterations per ms) milliseconds; the script calibrates its own Python kernel (the same
//!   multiply-xorshift chain) to that many milliseconds on this machine, once per interpreter
//!   and unit.
//! - **What is timed.** Only the work, as for the Rust strategies, whose timed region holds the
//!   work and the spawning and joining of their workers but not concbench's own start-up:
//!   the script reads perf_counter() and getrusage(RUSAGE_SELF) + getrusage(RUSAGE_CHILDREN)
//!   just before the jobs start and just after the last thread or process is joined, and
//!   reports them ([`Strategy::self_measured`]). Interpreter start-up (tens of ms, more than
//!   some trials) is not part of what the tutorial compares; it is measured separately
//!   (`python.startup_s` in meta.json). concbench still measures the whole child from outside
//!   (wall, and CPU from wait4), and refuses a report that claims more than that.
//! - **Where the work runs.** Always in started threads, never in a main thread: `py-sequential`
//!   runs every job in turn in one started thread, `py-asyncio` its event loop, and each
//!   `py-processes` child its jobs in one too.
//!   CPython ran the same bytecode 2-6 % faster in a started thread on the development
//!   machine (`scripts/python/main_thread_effect.py`), which would otherwise pass for a speedup
//!   of `py-threads` (and a slowdown of the processes).
//! - **Verification.** The script prints every result; they are parsed and returned in job
//!   order, so the experiment checks them against the reference like any other strategy's.
//!
//! - **py-interpreters** (CPython 3.13+, on request): N subinterpreters with their own GIL in
//!   the one interpreter process ([`subinterpreters`] says where it can run; the script does
//!   the rest; docs/methodology.md describes it).
//!
//! Layout: this module (the strategy and its host protocol), [`kind`] (the registry entries),
//! [`interpreter`] (probing one, its description for meta.json), [`discover`] (`--python
//! all`), [`calibration`] (the Python kernel's), [`script`] (one launch), [`start_method`]
//! (`--start-method`), [`subinterpreters`] (where py-interpreters runs), [`dask`] (py-dask's
//! cluster).

mod calibration;
pub mod dask;
pub mod discover;
mod host;
mod interpreter;
mod kind;
pub mod rate_store;
mod script;
mod start_method;
pub mod subinterpreters;

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{SelfMeasured, SelfReporting, Strategy, StrategyContext, StrategyInfo, StrategyOutput};
use crate::error::{Error, Result};
use crate::measure::usage::CpuTimes;
use crate::workload::{Effort, Job, WorkUnit};
use calibration::rust_iters_per_ms;

pub use calibration::{CalibrationSource, PyCalibration, calibrate};
pub use host::PyHost;
pub use interpreter::{
    FORCE_GIL_SUFFIX, Interpreter, PythonInfo, describe, describe_all, describe_request,
    interpreter, split_request, usable, version_tags,
};
pub use script::{LiveScript, ScriptError, ScriptRun, run_script};
pub use start_method::{StartMethod, recorded};

/// Every CPython strategy's name starts with this.
pub const PREFIX: &str = "py-";
/// The baseline of the CPython strategies' speedups.
pub const BASELINE: &str = "py-sequential";

/// The workload script, as compiled into this binary.
pub const SCRIPT: &str = include_str!("../../../scripts/python/concbench_workload.py");

use kind::Kind;
pub use kind::{
    ASYNCIO, DASK, DASK_LIMIT, INTERPRETERS, POOL, PROCESSES, PY_THREADS_LIMIT, SEQUENTIAL, THREADS,
};

/// Defined with the file schemas it is recorded in.
pub use crate::records::PyKernel;

impl PyKernel {
    pub fn name(self) -> &'static str {
        match self {
            PyKernel::Bytecode => "bytecode",
            PyKernel::Native => "native",
        }
    }
}

impl std::str::FromStr for PyKernel {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "bytecode" => Ok(PyKernel::Bytecode),
            "native" => Ok(PyKernel::Native),
            other => Err(format!(
                "unknown kernel '{other}' (expected bytecode or native)"
            )),
        }
    }
}

fn build(kind: Kind, workers: usize, ctx: &StrategyContext) -> Result<Box<dyn Strategy>> {
    let interp = interpreter(ctx.runtime.python.as_deref()).map_err(Error::Measurement)?;
    let (host, shared) = match &ctx.py_host {
        Some(h) => (Arc::clone(h), true),
        None => (Arc::new(PyHost::default()), false),
    };
    Ok(Box::new(PyStrategy {
        kind,
        label: format!("{}{}", kind.info().name, ctx.runtime.py_label),
        workers,
        interp,
        kernel: ctx.runtime.py_kernel,
        dask_scheduler: ctx.runtime.dask_scheduler.clone(),
        start_method: ctx.runtime.start_method,
        timeout: ctx.timeout,
        host,
        shared,
        launch: None,
        last: None,
        external_cpu_s: 0.0,
    }))
}

/// Whether a strategy runs in Python.
pub fn is_python(info: &StrategyInfo) -> bool {
    info.name.starts_with(PREFIX)
}

/// One of the CPython strategies.
pub struct PyStrategy {
    kind: Kind,
    label: String,
    workers: usize,
    interp: Arc<Interpreter>,
    kernel: PyKernel,
    /// py-dask: the scheduler to run on instead of a LocalCluster (`--dask-scheduler`).
    dask_scheduler: Option<String>,
    /// py-processes, py-pool: `--start-method`; `None` is the interpreter's default.
    start_method: Option<StartMethod>,
    timeout: Duration,
    /// The interpreter process(es) it runs in: shared with the block's other py-* arms, or
    /// its own (one trial per process).
    host: Arc<PyHost>,
    shared: bool,
    /// The interpreter of the current trial.
    launch: Option<u64>,
    last: Option<SelfMeasured>,
    /// CPU the (still running) interpreter used for the current trial.
    external_cpu_s: f64,
}

#[derive(Deserialize)]
struct Ready {
    ready: bool,
    #[serde(default)]
    pool_startup_s: Option<f64>,
    /// Why it is not ready, in one line (a start method this interpreter lacks).
    #[serde(default)]
    error: Option<String>,
    /// py-processes, py-pool: the start method the workers will use.
    #[serde(default)]
    start_method: Option<String>,
}

#[derive(Deserialize)]
struct RunReply {
    results: Vec<String>,
    wall_s: f64,
    cpu_user_s: f64,
    cpu_sys_s: f64,
    #[serde(default)]
    child_appends: Vec<usize>,
    #[serde(default)]
    process_cpu_s: f64,
    /// CPU of the work's processes that are not the interpreter's children (a Dask cluster's
    /// workers: an existing scheduler's on this machine, or a LocalCluster's, forked by its
    /// forkserver): in the work's CPU, never in the interpreter's own.
    #[serde(default)]
    outside_cpu_s: f64,
    /// CPU the work's processes used outside the clock that no getrusage of concbench's will
    /// ever see (a LocalCluster's workers are its forkserver's children): not other
    /// processes' use.
    #[serde(default)]
    unreaped_cpu_s: f64,
    /// `sys._is_gil_enabled()` after the work (3.13+).
    #[serde(default)]
    gil_enabled: Option<bool>,
}

impl PyStrategy {
    /// The Python unit matching a Rust unit.
    fn python_unit(&self, unit: WorkUnit) -> Result<serde_json::Value> {
        let mut json = match unit.effort {
            Effort::Sleep(d) => serde_json::json!({ "sleep_s": d.as_secs_f64() }),
            Effort::Http { delay, port } => serde_json::json!({
                "http": { "port": port, "delay_ms": delay.as_secs_f64() * 1e3 }
            }),
            Effort::Cpu { iters } => {
                let ms = iters as f64 / rust_iters_per_ms();
                let c = calibrate(&self.interp, iters, ms, self.kernel)?;
                serde_json::json!({ "cpu_iters": c.iters, "kernel": self.kernel.name() })
            }
        };
        if unit.job_bytes > 0 {
            json["job_bytes"] = unit.job_bytes.into();
        }
        Ok(json)
    }

    fn fail(&self, what: String) -> Error {
        Error::Measurement(format!(
            "{} ({}): {what}",
            self.name(),
            self.interp.info.requested
        ))
    }

    /// End the interpreter after a failure (its status may say why) and return the failure.
    fn abandon(&self, what: String) -> Error {
        let status = match self.host.end() {
            Err(e) => format!("; {e}"),
            Ok(()) => String::new(),
        };
        self.fail(format!("{what}{status}"))
    }
}

/// The interpreter's own measurement of the work, and the shared interpreter's round.
impl SelfReporting for PyStrategy {
    fn self_measured(&self) -> Option<SelfMeasured> {
        self.last
    }
    fn process_id(&self) -> Option<u64> {
        self.launch
    }
    fn external_cpu_s(&self) -> f64 {
        self.external_cpu_s
    }
    /// A shared interpreter ends with the round, so its reaping (and the CPU that reaping
    /// hands to concbench's getrusage) falls between trials.
    fn end_round(&mut self) -> Result<()> {
        if self.shared {
            self.host.end().map_err(|e| self.fail(e.to_string()))?;
        }
        Ok(())
    }
}

impl Strategy for PyStrategy {
    fn name(&self) -> &'static str {
        self.kind.info().name
    }
    fn label(&self) -> String {
        self.label.clone()
    }
    fn workers(&self) -> usize {
        self.workers
    }
    fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }
    fn uses_child_processes(&self) -> bool {
        true
    }
    fn self_reporting(&mut self) -> Option<&mut dyn SelfReporting> {
        Some(self)
    }

    /// Get an interpreter ready for this trial (a pool started and warmed): all before the
    /// clock.
    fn prepare(&mut self, jobs: &[Job], unit: WorkUnit) -> Result<()> {
        self.last = None;
        self.launch = None;
        self.external_cpu_s = 0.0;
        let request = serde_json::json!({
            "strategy": self.kind.script_name(),
            "workers": self.workers,
            "jobs": jobs.iter().map(|j| (j.task.name(), j.number)).collect::<Vec<_>>(),
            "unit": self.python_unit(unit)?,
            "dask_scheduler": self.dask_scheduler,
            "start_method": self.start_method,
        })
        .to_string();
        let (interp, timeout) = (&self.interp, self.timeout);
        let (line, launch) = self
            .host
            .begin(&self.label, &request, |request| {
                interp
                    .start_mode("run", request, timeout)
                    .map_err(|e| Error::Measurement(e.to_string()))
            })
            .map_err(|e| self.fail(e.to_string()))?;
        match serde_json::from_str::<Ready>(line.trim()) {
            Ok(Ready {
                start_method: Some(used),
                ..
            }) if self.start_method.is_some_and(|m| m.name() != used) => {
                Err(self.abandon(format!(
                    "the interpreter would start its workers with {used}, not the requested {}",
                    self.start_method.map_or("", |m| m.name())
                )))
            }
            Ok(r) if r.ready => {
                self.launch = Some(launch);
                self.last = r.pool_startup_s.map(|s| SelfMeasured {
                    wall_s: 0.0,
                    cpu: CpuTimes::default(),
                    setup_s: Some(s),
                    gil_enabled: None,
                });
                Ok(())
            }
            Ok(Ready {
                error: Some(why), ..
            }) => Err(self.abandon(why)),
            _ => Err(self.abandon(format!("not ready ('{}')", line.trim()))),
        }
    }

    /// "go", then the answer: the work, timed inside the interpreter.
    fn run(&mut self, jobs: &[Job], unit: WorkUnit) -> Result<StrategyOutput> {
        if self.launch.is_none() {
            // Called without prepare (tests, benches): prepare now, and end after.
            self.prepare(jobs, unit)?;
            let out = self.run(jobs, unit);
            let ended = self.finish();
            return out.and_then(|o| ended.map(|()| o));
        }
        let line = self.host.go().map_err(|e| self.abandon(e.to_string()))?;
        let reply: RunReply = serde_json::from_str(line.trim()).map_err(|e| {
            self.abandon(format!(
                "malformed report '{}': {e}",
                line.trim().chars().take(80).collect::<String>()
            ))
        })?;
        if reply.results.len() != jobs.len() {
            return Err(self.fail(format!(
                "{} results for {} jobs",
                reply.results.len(),
                jobs.len()
            )));
        }
        let results = reply
            .results
            .iter()
            .map(|v| {
                v.parse::<i128>()
                    .map_err(|_| self.fail(format!("result '{v}' is not an integer")))
            })
            .collect::<Result<Vec<_>>>()?;
        let own_cpu_s = reply.cpu_user_s + reply.cpu_sys_s - reply.outside_cpu_s;
        self.external_cpu_s = reply.outside_cpu_s
            + reply.unreaped_cpu_s
            + if self.shared {
                self.host
                    .account(reply.wall_s, own_cpu_s, reply.process_cpu_s)
            } else {
                // Reaped at finish, inside the trial: concbench's own getrusage counts it.
                self.host.account(reply.wall_s, own_cpu_s, 0.0);
                0.0
            };
        self.last = Some(SelfMeasured {
            wall_s: reply.wall_s,
            cpu: CpuTimes {
                user_s: reply.cpu_user_s,
                sys_s: reply.cpu_sys_s,
            },
            setup_s: self.last.and_then(|l| l.setup_s),
            gil_enabled: reply.gil_enabled,
        });
        Ok(StrategyOutput {
            results,
            child_pids: Vec::new(),
            child_peak_rss_kib: None,
            child_appends: reply.child_appends,
        })
    }

    /// A strategy alone in its host ends its interpreter after every trial; a shared host
    /// ends it when an arm comes back, or when the host is dropped.
    fn finish(&mut self) -> Result<()> {
        if self.shared {
            return Ok(());
        }
        self.launch = None;
        self.host.end().map_err(|e| {
            self.last = None;
            self.fail(e.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_follow_the_runtime() {
        assert_eq!(THREADS.baseline(), "py-sequential");
        assert_eq!(ASYNCIO.baseline(), "py-sequential");
        assert_eq!(SEQUENTIAL.baseline(), "py-sequential");
        assert_eq!(super::super::threads::INFO.baseline(), "sequential");
        assert_eq!(super::super::gil::INFO.baseline(), "sequential");
    }
}
