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

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{SelfMeasured, Strategy, StrategyContext, StrategyInfo, StrategyOutput};
use crate::error::{Error, Result};
use crate::measure::usage::{CpuTimes, Reaped, reap};
use crate::workload::{self, Calibration, Job, WorkUnit};

/// Every CPython strategy's name starts with this.
pub const PREFIX: &str = "py-";
/// The baseline of the CPython strategies' speedups.
pub const BASELINE: &str = "py-sequential";

/// The workload script, as compiled into this binary.
pub const SCRIPT: &str = include_str!("../../scripts/python/concbench_workload.py");

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
    /// The GIL status in words, with where it comes from.
    pub gil: String,
    /// `sys.getswitchinterval()` in ms.
    pub switch_interval_ms: f64,
    /// `multiprocessing.get_start_method()`: fork, spawn or forkserver.
    pub start_method: String,
    /// Wall time of one `python -I -S script info` launch: interpreter start-up and imports, which
    /// the timed work excludes.
    pub startup_s: f64,
    /// The script that ran (a temporary copy of the embedded one) and its FNV-1a hash.
    pub script: String,
    pub script_fnv1a: String,
    /// The Python kernel's calibration to the run's CPU unit, when the cpu variant ran.
    pub cpu_calibration: Option<PyCalibration>,
    /// What the py-* figures time.
    pub timing: String,
}

impl PythonInfo {
    /// Whether threads share one GIL: `sys._is_gil_enabled()` where it exists, otherwise true
    /// for CPython (every CPython before 3.13 has a GIL).
    pub fn gil_on(&self) -> bool {
        self.gil_enabled.unwrap_or(self.implementation == "CPython")
    }
}

/// The Python kernel's calibration to a number of milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PyCalibration {
    pub target_ms: f64,
    /// Python kernel iterations per ms of one core (fastest of five probes).
    pub iters_per_ms: f64,
    /// Iterations of one Python CPU unit.
    pub iters: u64,
    pub took_s: f64,
}

const TIMING: &str = "work only: perf_counter() and getrusage(SELF)+getrusage(CHILDREN) read inside the interpreter just before the first job and just after the last worker is joined; interpreter start-up excluded (startup_s)";

/// A probed interpreter, ready to run the script.
#[derive(Debug)]
pub struct Interpreter {
    pub exe: PathBuf,
    pub script: PathBuf,
    pub info: PythonInfo,
}

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

/// What `--python` names, for messages.
pub fn describe_request(requested: Option<&Path>) -> String {
    requested.map_or_else(|| "python3".to_string(), |p| p.display().to_string())
}

type Probed = std::result::Result<Arc<Interpreter>, String>;

/// Probe an interpreter once per process (`None`: `python3` from PATH). The error is a
/// one-line reason fit for a notice.
pub fn interpreter(requested: Option<&Path>) -> std::result::Result<Arc<Interpreter>, String> {
    static PROBES: Mutex<Vec<(Option<PathBuf>, Probed)>> = Mutex::new(Vec::new());
    let key = requested.map(Path::to_path_buf);
    let mut probes = PROBES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, p)) = probes.iter().find(|(k, _)| *k == key) {
        return p.clone();
    }
    let probed = probe(requested);
    probes.push((key, probed.clone()));
    probed
}

#[derive(Deserialize)]
struct InfoReply {
    version: String,
    implementation: String,
    executable: String,
    gil_enabled: Option<bool>,
    switch_interval_s: f64,
    start_method: String,
}

fn probe(requested: Option<&Path>) -> Probed {
    let name = describe_request(requested);
    let script = write_script().map_err(|e| format!("cannot write the workload script: {e}"))?;
    let program = requested.map_or_else(|| PathBuf::from("python3"), Path::to_path_buf);
    let run =
        run_script(&program, &script, "info", "", Duration::from_secs(60)).map_err(
            |e| match e {
                ScriptError::Spawn(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    format!("no Python interpreter: '{name}' was not found")
                }
                e => format!("'{name}' is not a usable Python 3 interpreter: {e}"),
            },
        )?;
    let reply: InfoReply = serde_json::from_str(run.stdout.trim())
        .map_err(|_| format!("'{name}' did not answer like Python 3 (needs 3.8 or later)"))?;
    let exe = if !reply.executable.is_empty() && Path::new(&reply.executable).is_file() {
        PathBuf::from(&reply.executable)
    } else {
        program.clone()
    };
    let gil = match reply.gil_enabled {
        Some(true) => "enabled (sys._is_gil_enabled() = True)".to_string(),
        Some(false) => "disabled (sys._is_gil_enabled() = False: free-threaded build)".to_string(),
        None if reply.implementation == "CPython" => format!(
            "enabled (CPython {} predates sys._is_gil_enabled(); every build before 3.13 has a GIL)",
            reply.version
        ),
        None => format!("unknown ({} {})", reply.implementation, reply.version),
    };
    // Start-up measured with the resolved executable, as the runs use it.
    let startup_s = run_script(&exe, &script, "info", "", Duration::from_secs(60))
        .map(|r| r.wall_s)
        .unwrap_or(run.wall_s);
    let info = PythonInfo {
        requested: name,
        executable: exe.display().to_string(),
        version: reply.version,
        implementation: reply.implementation,
        gil_enabled: reply.gil_enabled,
        gil,
        switch_interval_ms: reply.switch_interval_s * 1e3,
        start_method: reply.start_method,
        startup_s,
        script: script.display().to_string(),
        script_fnv1a: format!("{:016x}", fnv1a(SCRIPT)),
        cpu_calibration: None,
        timing: TIMING.into(),
    };
    Ok(Arc::new(Interpreter { exe, script, info }))
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// Write the embedded script to a temporary file named after its content (so concurrent
/// concbench processes share it and a stale copy is never used).
fn write_script() -> std::io::Result<PathBuf> {
    let path = std::env::temp_dir().join(format!("concbench-workload-{:016x}.py", fnv1a(SCRIPT)));
    if std::fs::read_to_string(&path).is_ok_and(|s| s == SCRIPT) {
        return Ok(path);
    }
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&tmp, SCRIPT)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Remove the py-* strategies from `strategies` when the interpreter is unusable; returns the
/// one-line notice to print, or `None` when nothing was removed.
pub fn drop_unavailable(
    strategies: &mut Vec<&'static StrategyInfo>,
    python: Option<&Path>,
) -> Option<String> {
    if !strategies.iter().any(|s| is_python(s)) {
        return None;
    }
    let reason = interpreter(python).err()?;
    let skipped: Vec<&str> = strategies
        .iter()
        .filter(|s| is_python(s))
        .map(|s| s.name)
        .collect();
    strategies.retain(|s| !is_python(s));
    Some(format!(
        "skipping {}: {reason} (install Python 3 or pass --python PATH)",
        skipped.join(", ")
    ))
}

/// The interpreter's description for meta.json when `strategies` include a py-* one,
/// calibrated to the run's CPU unit when there is one (the runs then use exactly that
/// calibration).
pub fn describe_for_plan(
    strategies: &[&'static StrategyInfo],
    calibration: Option<&Calibration>,
    python: Option<&Path>,
) -> Option<PythonInfo> {
    if !strategies.iter().any(|s| is_python(s)) {
        return None;
    }
    let interp = interpreter(python).ok()?;
    let mut info = interp.info.clone();
    if let Some(c) = calibration {
        info.cpu_calibration = calibrate(&interp, c.iters, c.target_ms).ok();
    }
    Some(info)
}

/// The Python kernel calibrated to `target_ms`, cached per interpreter and Rust unit.
pub fn calibrate(interp: &Interpreter, rust_iters: u64, target_ms: f64) -> Result<PyCalibration> {
    static CACHE: Mutex<Option<HashMap<(PathBuf, u64), PyCalibration>>> = Mutex::new(None);
    let key = (interp.exe.clone(), rust_iters);
    if let Some(c) = CACHE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashMap::new)
        .get(&key)
    {
        return Ok(*c);
    }
    let request = serde_json::json!({ "ms": target_ms }).to_string();
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
fn rust_iters_per_ms() -> f64 {
    static RATE: OnceLock<f64> = OnceLock::new();
    *RATE.get_or_init(|| workload::measure_kernel_rate().0)
}

/// One launch of the script.
pub struct ScriptRun {
    pub stdout: String,
    pub stderr_tail: String,
    pub reaped: Reaped,
    /// Wall time from spawn to reaping: the whole interpreter, start-up included.
    pub wall_s: f64,
}

/// Why a launch failed before producing an exit status.
#[derive(Debug)]
pub enum ScriptError {
    Spawn(std::io::Error),
    TimedOut(Duration),
    Other(String),
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScriptError::Spawn(e) => write!(f, "cannot start it: {e}"),
            ScriptError::TimedOut(d) => {
                write!(f, "timed out after {:.1} s and was killed", d.as_secs_f64())
            }
            ScriptError::Other(s) => f.write_str(s),
        }
    }
}

/// Run `python -I -S script mode` (isolated, no site-packages) with `request` on stdin, in its own process group (so a timeout
/// kills multiprocessing children too), and reap it with wait4.
pub fn run_script(
    python: &Path,
    script: &Path,
    mode: &str,
    request: &str,
    timeout: Duration,
) -> std::result::Result<ScriptRun, ScriptError> {
    let started = Instant::now();
    let mut child = Command::new(python)
        .arg("-I")
        .arg("-S")
        .arg(script)
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(ScriptError::Spawn)?;
    let pid = child.id();
    let (stop, stopped) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(timeout) {
            // SAFETY: the child is not reaped yet, so its process group id cannot be reused.
            unsafe { libc::kill(-(pid as libc::pid_t), libc::SIGKILL) };
            return true;
        }
        false
    });
    let mut stderr = child.stderr.take().expect("piped");
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    if let Some(mut stdin) = child.stdin.take() {
        // A child that died early closes its stdin: its status says why, below.
        let _ = stdin.write_all(request.as_bytes());
    }
    let mut stdout = String::new();
    let read = child
        .stdout
        .take()
        .expect("piped")
        .read_to_string(&mut stdout);
    let _ = stop.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    let reaped = reap(pid).map_err(|e| ScriptError::Other(e.to_string()))?;
    let wall_s = started.elapsed().as_secs_f64();
    let stderr_text = err_reader.join().unwrap_or_default();
    if timed_out {
        return Err(ScriptError::TimedOut(timeout));
    }
    read.map_err(|e| ScriptError::Other(format!("reading its output: {e}")))?;
    let stderr_tail = stderr_text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    Ok(ScriptRun {
        stdout,
        stderr_tail,
        reaped,
        wall_s,
    })
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
    fn a_missing_interpreter_is_a_one_line_reason() {
        let e = interpreter(Some(Path::new("/nonexistent/python-for-concbench"))).unwrap_err();
        assert!(e.contains("not found"), "{e}");
        assert!(!e.contains('\n'));
    }

    #[test]
    fn baselines_follow_the_runtime() {
        assert_eq!(THREADS.baseline(), "py-sequential");
        assert_eq!(SEQUENTIAL.baseline(), "py-sequential");
        assert_eq!(super::super::threads::INFO.baseline(), "sequential");
        assert_eq!(super::super::gil::INFO.baseline(), "sequential");
    }

    #[test]
    fn the_script_is_embedded_and_hashed() {
        assert!(SCRIPT.contains("def burn("));
        assert_eq!(fnv1a(""), 0xCBF2_9CE4_8422_2325);
    }
}
