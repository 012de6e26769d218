//! The interpreter: found (`python3` from PATH or `--python`), probed once per process, and
//! described for meta.json.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;

use super::calibration::calibrate;
use super::script::{LiveScript, ScriptError, ScriptRun, run_script};
use super::{PyKernel, SCRIPT};
use crate::workload::Calibration;

/// Defined with the file schemas it is recorded in.
pub use crate::records::PythonInfo;

impl PythonInfo {
    /// Whether threads share one GIL: `sys._is_gil_enabled()` where it exists, otherwise true
    /// for CPython (every CPython before 3.13 has a GIL).
    pub fn gil_on(&self) -> bool {
        self.gil_enabled.unwrap_or(self.implementation == "CPython")
    }
}

const TIMING: &str = "work only: perf_counter() and getrusage(SELF)+getrusage(CHILDREN) read inside the interpreter when concbench says go (after start-up, and after a pool was started and warmed) and just after the last worker is joined; interpreter start-up excluded (startup_s); a pool's workers' CPU from /proc/<pid>/stat (10 ms ticks)";

/// A probed interpreter, ready to run the script.
#[derive(Debug)]
pub struct Interpreter {
    pub exe: PathBuf,
    pub script: PathBuf,
    pub info: PythonInfo,
}

/// What a `--python` entry ending in this asks for: the same free-threaded binary with its GIL
/// forced on (`-X gil=1`; `PYTHON_GIL=1` would be ignored under `-I`).
pub const FORCE_GIL_SUFFIX: &str = "+gil";
const FORCE_GIL_OPTIONS: [&str; 2] = ["-X", "gil=1"];

impl Interpreter {
    /// Start one mode of the script in this interpreter (with its options), `request` as the
    /// first line.
    pub fn start_mode(
        &self,
        mode: &str,
        request: &str,
        timeout: Duration,
    ) -> std::result::Result<LiveScript, ScriptError> {
        LiveScript::start(
            &self.exe,
            &self.info.options,
            &self.script,
            mode,
            request,
            timeout,
        )
    }

    /// Run one short mode of the script to its end.
    pub fn run_mode(
        &self,
        mode: &str,
        request: &str,
        timeout: Duration,
    ) -> std::result::Result<ScriptRun, ScriptError> {
        run_script(
            &self.exe,
            &self.info.options,
            &self.script,
            mode,
            request,
            timeout,
        )
    }

    /// The GIL forced on in a free-threaded build (`+gil`).
    pub fn gil_forced(&self) -> bool {
        !self.info.options.is_empty()
    }
}

/// A `--python` entry split into the path and whether it asks for the GIL forced on.
pub fn split_request(requested: &Path) -> (PathBuf, bool) {
    let text = requested.to_string_lossy();
    match text.strip_suffix(FORCE_GIL_SUFFIX) {
        Some(path) if !path.is_empty() => (PathBuf::from(path), true),
        _ => (requested.to_path_buf(), false),
    }
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
    #[serde(default)]
    default_start_method: String,
    #[serde(default)]
    free_threaded_build: bool,
    #[serde(default)]
    config_args: String,
    #[serde(default)]
    subinterpreters: Option<String>,
}

fn probe(requested: Option<&Path>) -> Probed {
    let name = describe_request(requested);
    let script = write_script().map_err(|e| format!("cannot write the workload script: {e}"))?;
    let (program, force_gil) =
        requested.map_or_else(|| (PathBuf::from("python3"), false), split_request);
    let options: Vec<String> = if force_gil {
        FORCE_GIL_OPTIONS.iter().map(|o| o.to_string()).collect()
    } else {
        Vec::new()
    };
    let run = run_script(
        &program,
        &options,
        &script,
        "info",
        "",
        Duration::from_secs(60),
    )
    .map_err(|e| match e {
        ScriptError::Spawn(e) if e.kind() == std::io::ErrorKind::NotFound => {
            format!("no Python interpreter: '{name}' was not found")
        }
        e => format!("'{name}' is not a usable Python 3 interpreter: {e}"),
    })?;
    let reply: InfoReply = serde_json::from_str(run.stdout.trim())
        .map_err(|_| format!("'{name}' did not answer like Python 3 (needs 3.8 or later)"))?;
    let mut parts = reply
        .version
        .split('.')
        .map(|x| x.parse::<u32>().unwrap_or(0));
    if (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) < (3, 8) {
        return Err(format!(
            "'{name}' is Python {}, too old (needs 3.8 or later)",
            reply.version
        ));
    }
    if force_gil && !reply.free_threaded_build {
        return Err(format!(
            "'{name}': {FORCE_GIL_SUFFIX} asks for a free-threaded build's GIL forced on, and Python {} at {} is not a free-threaded build",
            reply.version,
            program.display()
        ));
    }
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
    let startup_s = run_script(&exe, &options, &script, "info", "", Duration::from_secs(60))
        .map(|r| r.wall_s)
        .unwrap_or(run.wall_s);
    let info = PythonInfo {
        requested: name,
        executable: exe.display().to_string(),
        version: reply.version,
        implementation: reply.implementation,
        gil_enabled: reply.gil_enabled,
        gil,
        label: String::new(),
        free_threaded_build: reply.free_threaded_build,
        options,
        config_args: reply.config_args,
        subinterpreters: reply.subinterpreters,
        switch_interval_ms: reply.switch_interval_s * 1e3,
        start_method: reply.start_method,
        default_start_method: reply.default_start_method,
        startup_s,
        script: script.display().to_string(),
        script_fnv1a: format!("{:016x}", fnv1a(SCRIPT)),
        kernel: PyKernel::default(),
        cpu_calibration: None,
        timing: TIMING.into(),
        gil_during_arms: Vec::new(),
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

/// The interpreters of `--python LIST` that can run the py-* strategies, each probed once, and
/// for each unusable (missing, too old, not Python) or repeated one, why it is skipped. An
/// empty list means python3 from PATH.
pub fn usable(requested: &[PathBuf]) -> (Vec<Arc<Interpreter>>, Vec<String>) {
    let (requested, mut skipped) = super::discover::expand(requested);
    let wanted: Vec<Option<&Path>> = if requested.is_empty() {
        vec![None]
    } else {
        requested.iter().map(|p| Some(p.as_path())).collect()
    };
    let mut out: Vec<Arc<Interpreter>> = Vec::new();
    for w in wanted {
        match interpreter(w) {
            Ok(i)
                if out.iter().any(|o| {
                    o.info.executable == i.info.executable && o.info.options == i.info.options
                }) =>
            {
                skipped.push(format!(
                    "{}: the same interpreter as one before it",
                    describe_request(w)
                ))
            }
            Ok(i) => out.push(i),
            Err(reason) => skipped.push(reason),
        }
    }
    (out, skipped)
}

/// What tells each interpreter's strategies apart in labels (`@3.12`; `@3.13t` for a
/// free-threaded build; the full version or the executable when that is shared), or nothing
/// for a lone interpreter.
pub fn version_tags(all: &[Arc<Interpreter>]) -> Vec<String> {
    if all.len() < 2 {
        return vec![String::new(); all.len()];
    }
    let t = |q: &Interpreter| match (q.info.free_threaded_build, q.gil_forced()) {
        (true, true) => "t+gil",
        (true, false) => "t",
        // A build that predates the flag but says its GIL is off.
        _ if q.info.gil_enabled == Some(false) => "t",
        _ => "",
    };
    let short = |q: &Interpreter| {
        let mm: Vec<&str> = q.info.version.split('.').take(2).collect();
        format!("{}{}", mm.join("."), t(q))
    };
    let full = |q: &Interpreter| format!("{}{}", q.info.version, t(q));
    all.iter()
        .map(|p| {
            let unique = |f: &dyn Fn(&Interpreter) -> String| {
                all.iter().filter(|q| f(q) == f(p)).count() == 1
            };
            let tag = if unique(&short) {
                short(p)
            } else if unique(&full) {
                full(p)
            } else {
                format!(
                    "{}{}",
                    p.info.executable,
                    if p.gil_forced() { FORCE_GIL_SUFFIX } else { "" }
                )
            };
            format!("@{tag}")
        })
        .collect()
}

/// The interpreter's description for meta.json, calibrated to the run's CPU unit when there is
/// one (the runs then use exactly that calibration).
pub fn describe(
    interp: &Interpreter,
    calibration: Option<&Calibration>,
    kernel: PyKernel,
) -> PythonInfo {
    let mut info = interp.info.clone();
    info.kernel = kernel;
    if let Some(c) = calibration {
        info.cpu_calibration = calibrate(interp, c.iters, c.target_ms, kernel).ok();
    }
    info
}

/// Every interpreter's description, each with its label tag (`@3.13t+gil`; empty alone).
pub fn describe_all(
    all: &[Arc<Interpreter>],
    calibration: Option<&Calibration>,
    kernel: PyKernel,
) -> Vec<PythonInfo> {
    all.iter()
        .zip(version_tags(all))
        .map(|(p, tag)| PythonInfo {
            label: tag,
            ..describe(p, calibration, kernel)
        })
        .collect()
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
    fn the_script_is_embedded_and_hashed() {
        assert!(SCRIPT.contains("def burn("));
        assert_eq!(fnv1a(""), 0xCBF2_9CE4_8422_2325);
    }
}
