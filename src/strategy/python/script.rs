//! One launch of the workload script: isolated, in its own process group, with a watchdog,
//! reaped with wait4.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::measure::usage::{Reaped, reap};

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
