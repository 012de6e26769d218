//! Launches of the workload script: isolated (`-I -S`), in its own process group (so a timeout
//! or a stop signal kills its multiprocessing children too), registered with the lifecycle
//! guard, with a watchdog, its stderr drained while it runs, reaped with wait4.
//!
//! The watchdog times each request, not the interpreter's life: its clock starts when a line is
//! sent and stops when the answer is read, so a shared interpreter that serves a round of
//! several trials (and waits idle between them) is killed only when one of them runs past the
//! timeout. (It used to run from the launch: any round longer than one trial's timeout was
//! killed halfway, "the interpreter timed out after 11.0 s", with several interpreters.)
//!
//! The script reads one request line and answers with JSON lines. Its stdin stays open until
//! concbench has its answer: the script kills its own process group if stdin closes before
//! that, which is how no interpreter outlives a concbench that was killed.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::lifecycle::{self, ChildRegistration, Target};
use crate::measure::usage::{Reaped, reap_by};

/// One finished launch of the script.
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

/// A running script: started, its request sent, answering line by line.
pub struct LiveScript {
    pid: u32,
    started: Instant,
    timeout: Duration,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: Option<JoinHandle<String>>,
    registration: Option<ChildRegistration>,
    watchdog: Option<(mpsc::Sender<Watch>, JoinHandle<bool>)>,
}

/// What the watchdog is told.
#[derive(Debug, Clone, Copy)]
enum Watch {
    /// A request went out: the answer is due within the timeout from now.
    Due,
    /// The answer came: nothing is due until the next request.
    Answered,
    /// The script is being ended: stop watching.
    Stop,
}

/// The watchdog of one interpreter: kills its process group when an answer is overdue.
/// Returns whether it did.
fn watch(pid: u32, timeout: Duration, told: mpsc::Receiver<Watch>) -> bool {
    // The first request goes out with the launch.
    let mut due = Some(Instant::now() + timeout);
    loop {
        let message = match due {
            Some(at) => match told.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(m) => m,
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            },
            None => match told.recv() {
                Ok(m) => m,
                Err(_) => return false,
            },
        };
        due = match message {
            Watch::Due => Some(Instant::now() + timeout),
            Watch::Answered => None,
            Watch::Stop => return false,
        };
    }
    // SAFETY: the child is not reaped before this thread is joined, so its process group id
    // cannot have been reused.
    unsafe { libc::kill(-(pid as libc::pid_t), libc::SIGKILL) };
    true
}

impl LiveScript {
    /// Start `python OPTIONS -I -S script mode` and send `request` as its first line.
    pub fn start(
        python: &Path,
        options: &[String],
        script: &Path,
        mode: &str,
        request: &str,
        timeout: Duration,
    ) -> Result<LiveScript, ScriptError> {
        let started = Instant::now();
        let mut child = Command::new(python)
            .args(options)
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
        let registration = Some(lifecycle::register_child(Target::Group(pid)));
        let (tell, told) = mpsc::channel::<Watch>();
        let watchdog = std::thread::spawn(move || watch(pid, timeout, told));
        let stderr = child.stderr.take().map(|mut err| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = err.read_to_string(&mut text);
                text
            })
        });
        let mut live = LiveScript {
            pid,
            started,
            timeout,
            stdin: child.stdin.take(),
            stdout: BufReader::new(child.stdout.take().expect("piped")),
            stderr,
            registration,
            watchdog: Some((tell, watchdog)),
        };
        // A child that died early closes its stdin: its status says why, at finish.
        if let Some(stdin) = live.stdin.as_mut() {
            let _ = stdin
                .write_all(request.as_bytes())
                .and_then(|()| stdin.write_all(b"\n"))
                .and_then(|()| stdin.flush());
        }
        Ok(live)
    }

    /// The next line the script writes (`None` at the end of its output): the answer to the
    /// last request, so the watchdog stops counting.
    pub fn read_line(&mut self) -> Option<String> {
        let mut line = String::new();
        let read = match self.stdout.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line),
        };
        self.tell(Watch::Answered);
        read
    }

    /// Send one line (a request, or `go`): its answer is due within the timeout.
    pub fn send(&mut self, line: &str) -> std::io::Result<()> {
        self.tell(Watch::Due);
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| std::io::Error::other("stdin already closed"))?;
        stdin.write_all(line.as_bytes())?;
        stdin.write_all(b"\n")?;
        stdin.flush()
    }

    fn tell(&self, message: Watch) {
        if let Some((tell, _)) = &self.watchdog {
            let _ = tell.send(message);
        }
    }

    /// Close stdin (the script is answered), read what is left, reap it (killed if it does not
    /// exit within `grace`), and report.
    pub fn finish(mut self, grace: Duration) -> Result<ScriptRun, ScriptError> {
        drop(self.stdin.take());
        let mut rest = String::new();
        let _ = self.stdout.read_to_string(&mut rest);
        let timed_out = self
            .watchdog
            .take()
            .map(|(tell, h)| {
                let _ = tell.send(Watch::Stop);
                h.join().unwrap_or(false)
            })
            .unwrap_or(false);
        drop(self.registration.take());
        let (reaped, _) = reap_by(self.pid, Instant::now() + grace);
        let reaped = reaped.map_err(|e| ScriptError::Other(e.to_string()))?;
        let wall_s = self.started.elapsed().as_secs_f64();
        let stderr_text = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        if timed_out {
            return Err(ScriptError::TimedOut(self.timeout));
        }
        Ok(ScriptRun {
            stdout: rest,
            stderr_tail: last_line(&stderr_text),
            reaped,
            wall_s,
        })
    }
}

impl Drop for LiveScript {
    fn drop(&mut self) {
        if self.registration.is_some() {
            // Abandoned before finish (an error elsewhere): kill and reap it.
            // SAFETY: not reaped yet, so the group id cannot have been reused.
            unsafe { libc::kill(-(self.pid as libc::pid_t), libc::SIGKILL) };
            drop(self.registration.take());
            let _ = reap_by(self.pid, Instant::now());
            if let Some((tell, h)) = self.watchdog.take() {
                let _ = tell.send(Watch::Stop);
                let _ = h.join();
            }
        }
    }
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

/// Run one short mode of the script to its end: `request` as its first line, every line it
/// writes collected.
pub fn run_script(
    python: &Path,
    options: &[String],
    script: &Path,
    mode: &str,
    request: &str,
    timeout: Duration,
) -> std::result::Result<ScriptRun, ScriptError> {
    let mut live = LiveScript::start(python, options, script, mode, request, timeout)?;
    let mut out = String::new();
    // The script answers with one line; read it before closing its stdin (closing first would
    // look like a vanished concbench to its parent watch).
    if let Some(line) = live.read_line() {
        out.push_str(&line);
    }
    let mut run = live.finish(Duration::from_secs(5))?;
    out.push_str(&run.stdout);
    run.stdout = out;
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for python: echoes every line after `delay_s` (its arguments are ignored).
    fn echo_after(delay_s: f64) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!(
            "concbench-echo-{}-{}",
            std::process::id(),
            (delay_s * 1000.0) as u64
        ));
        let text =
            format!("#!/bin/sh\nwhile read line; do sleep {delay_s}; echo \"$line\"; done\n");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        path
    }

    /// The timeout is per request: three answers of 0.4 s each and an idle pause, 1.8 s in
    /// all, within a 1 s timeout; an answer that takes longer than the timeout is killed.
    #[test]
    fn the_watchdog_times_each_request_not_the_whole_life() {
        let fake = echo_after(0.4);
        let timeout = Duration::from_secs(1);
        let mut live = LiveScript::start(&fake, &[], &fake, "run", "first", timeout).unwrap();
        assert_eq!(live.read_line().as_deref(), Some("first\n"));
        live.send("second").unwrap();
        assert_eq!(live.read_line().as_deref(), Some("second\n"));
        std::thread::sleep(Duration::from_millis(600)); // idle between trials
        live.send("go").unwrap();
        assert_eq!(live.read_line().as_deref(), Some("go\n"));
        let run = live.finish(Duration::from_secs(5)).unwrap();
        assert!(run.wall_s > 1.5, "{}", run.wall_s);

        let slow = echo_after(1.5);
        let mut live = LiveScript::start(&slow, &[], &slow, "run", "first", timeout).unwrap();
        let started = Instant::now();
        assert_eq!(live.read_line(), None);
        assert!(started.elapsed() < Duration::from_millis(1400));
        assert!(matches!(
            live.finish(Duration::from_secs(5)),
            Err(ScriptError::TimedOut(_))
        ));
        let _ = std::fs::remove_file(fake);
        let _ = std::fs::remove_file(slow);
    }
}
