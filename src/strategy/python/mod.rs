//! `py-sequential`, `py-threads`, `py-processes`: the tutorial's own runtime. The same jobs,
//! variant and unit of work run in CPython under sequential code, `threading.Thread` and
//! `multiprocessing.Process`, through the script `scripts/python/concbench_workload.py`
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
//!   runs every job in turn in one started thread and each `py-processes` child in one too.
//!   CPython ran the same bytecode 2-6 % faster in a started thread on the development
//!   machine (`scripts/python/main_thread_effect.py`), which would otherwise pass for a speedup
//!   of `py-threads` (and a slowdown of the processes).
//! - **Verification.** The script prints every result; they are parsed and returned in job
//!   order, so the experiment checks them against the reference like any other strategy's.
//!
//! Layout: this module (the strategies), [`interpreter`] (finding and probing it, its
//! description for meta.json), [`calibration`] (the Python kernel's), [`script`] (one launch).

mod calibration;
mod interpreter;
mod script;

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{SelfMeasured, Strategy, StrategyContext, StrategyInfo, StrategyOutput};
use crate::error::{Error, Result};
use crate::measure::usage::CpuTimes;
use crate::workload::{Job, WorkUnit};
use calibration::rust_iters_per_ms;
pub use calibration::{PyCalibration, calibrate};
pub use interpreter::{
    Interpreter, PythonInfo, describe_for_plan, describe_request, drop_unavailable, interpreter,
};
pub use script::{ScriptError, ScriptRun, run_script};

/// Every CPython strategy's name starts with this.
pub const PREFIX: &str = "py-";
/// The baseline of the CPython strategies' speedups.
pub const BASELINE: &str = "py-sequential";

/// The workload script, as compiled into this binary.
pub const SCRIPT: &str = include_str!("../../../scripts/python/concbench_workload.py");

pub const SEQUENTIAL: StrategyInfo = StrategyInfo {
    name: "py-sequential",
    summary: "CPython: every job in turn (the baseline of the py-* strategies)",
    uses_workers: false,
    build: |_, ctx| build(Kind::Sequential, 1, ctx),
};

pub const THREADS: StrategyInfo = StrategyInfo {
    name: "py-threads",
    summary: "CPython: N threading.Thread workers (one GIL)",
    uses_workers: true,
    build: |workers, ctx| build(Kind::Threads, workers, ctx),
};

pub const PROCESSES: StrategyInfo = StrategyInfo {
    name: "py-processes",
    summary: "CPython: N multiprocessing.Process workers, results over a Queue",
    uses_workers: true,
    build: |workers, ctx| build(Kind::Processes, workers, ctx),
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sequential,
    Threads,
    Processes,
}

impl Kind {
    fn script_name(self) -> &'static str {
        match self {
            Kind::Sequential => "sequential",
            Kind::Threads => "threads",
            Kind::Processes => "processes",
        }
    }
    fn info(self) -> &'static StrategyInfo {
        match self {
            Kind::Sequential => &SEQUENTIAL,
            Kind::Threads => &THREADS,
            Kind::Processes => &PROCESSES,
        }
    }
}

fn build(kind: Kind, workers: usize, ctx: &StrategyContext) -> Result<Box<dyn Strategy>> {
    let interp = interpreter(ctx.runtime.python.as_deref()).map_err(Error::Measurement)?;
    Ok(Box::new(PyStrategy {
        kind,
        workers,
        interp,
        timeout: ctx.timeout,
        last: None,
    }))
}

/// Whether a strategy runs in Python.
pub fn is_python(info: &StrategyInfo) -> bool {
    info.name.starts_with(PREFIX)
}

/// One of the three CPython strategies.
pub struct PyStrategy {
    kind: Kind,
    workers: usize,
    interp: Arc<Interpreter>,
    timeout: Duration,
    last: Option<SelfMeasured>,
}

#[derive(Deserialize)]
struct RunReply {
    results: Vec<String>,
    wall_s: f64,
    cpu_user_s: f64,
    cpu_sys_s: f64,
    #[serde(default)]
    child_appends: Vec<usize>,
}

impl PyStrategy {
    /// The Python unit matching a Rust unit.
    fn python_unit(&self, unit: WorkUnit) -> Result<serde_json::Value> {
        Ok(match unit {
            WorkUnit::Sleep(d) => serde_json::json!({ "sleep_s": d.as_secs_f64() }),
            WorkUnit::Cpu { iters } => {
                let ms = iters as f64 / rust_iters_per_ms();
                let c = calibrate(&self.interp, iters, ms)?;
                serde_json::json!({ "cpu_iters": c.iters })
            }
        })
    }
}

impl Strategy for PyStrategy {
    fn name(&self) -> &'static str {
        self.kind.info().name
    }
    fn workers(&self) -> usize {
        self.workers
    }
    fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }
    fn self_measured(&self) -> Option<SelfMeasured> {
        self.last
    }

    fn run(&mut self, jobs: &[Job], unit: WorkUnit) -> Result<StrategyOutput> {
        self.last = None;
        let request = serde_json::json!({
            "strategy": self.kind.script_name(),
            "workers": self.workers,
            "jobs": jobs.iter().map(|j| (j.task.name(), j.number)).collect::<Vec<_>>(),
            "unit": self.python_unit(unit)?,
        })
        .to_string();
        let run = run_script(
            &self.interp.exe,
            &self.interp.script,
            "run",
            &request,
            self.timeout,
        )
        .map_err(|e| {
            Error::Measurement(format!(
                "{} ({}): {e}",
                self.name(),
                self.interp.info.requested
            ))
        })?;
        if !run.reaped.success() {
            return Err(Error::Measurement(format!(
                "{}: the interpreter {}; its stderr: {}",
                self.name(),
                run.reaped.status_text(),
                run.stderr_tail
            )));
        }
        let reply: RunReply = serde_json::from_str(run.stdout.trim()).map_err(|e| {
            Error::Measurement(format!(
                "{}: malformed report '{}': {e}",
                self.name(),
                run.stdout.trim().chars().take(80).collect::<String>()
            ))
        })?;
        if reply.results.len() != jobs.len() {
            return Err(Error::Measurement(format!(
                "{}: {} results for {} jobs",
                self.name(),
                reply.results.len(),
                jobs.len()
            )));
        }
        let results = reply
            .results
            .iter()
            .map(|v| {
                v.parse::<i128>().map_err(|_| {
                    Error::Measurement(format!("{}: result '{v}' is not an integer", self.name()))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Honesty check: the work cannot have taken longer than the whole interpreter did.
        let outer_cpu = run.reaped.user_s + run.reaped.sys_s;
        let inner_cpu = reply.cpu_user_s + reply.cpu_sys_s;
        if reply.wall_s > run.wall_s + 1e-3 || inner_cpu > outer_cpu + 0.02 {
            return Err(Error::Measurement(format!(
                "{}: the script reported {:.3} s wall / {:.3} s CPU of work, more than its whole run ({:.3} s / {:.3} s)",
                self.name(),
                reply.wall_s,
                inner_cpu,
                run.wall_s,
                outer_cpu
            )));
        }
        self.last = Some(SelfMeasured {
            wall_s: reply.wall_s,
            cpu: CpuTimes {
                user_s: reply.cpu_user_s,
                sys_s: reply.cpu_sys_s,
            },
        });
        Ok(StrategyOutput {
            results,
            child_pids: vec![run.reaped.pid],
            child_peak_rss_kib: Some(run.reaped.max_rss_kib),
            child_appends: reply.child_appends,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_follow_the_runtime() {
        assert_eq!(THREADS.baseline(), "py-sequential");
        assert_eq!(SEQUENTIAL.baseline(), "py-sequential");
        assert_eq!(super::super::threads::INFO.baseline(), "sequential");
        assert_eq!(super::super::gil::INFO.baseline(), "sequential");
    }
}
