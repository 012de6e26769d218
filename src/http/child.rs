//! concbench's side of the HTTP server: a child process (`concbench serve-http`), started once
//! per run before the first trial (untimed), killed and reaped when the run ends, on a stop
//! signal (through the lifecycle's registry) and when a trial fails (its handle is dropped
//! on every way out of the run).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::lifecycle::{self, ChildRegistration, Target};

/// How long the server may take to print its port.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The pid of the server this process runs, 0 for none: the executor reads its CPU around
/// each http trial. Process-wide because the server is (one per run, like the signals).
static RUNNING: AtomicU32 = AtomicU32::new(0);

/// The running server's pid, if this process runs one.
pub fn running_pid() -> Option<u32> {
    Some(RUNNING.load(Ordering::Relaxed)).filter(|&p| p != 0)
}

/// The server of a run whose variants include http, started from `exe`; `None` otherwise.
pub fn start_if_planned(
    variants: &[crate::workload::Variant],
    exe: &Path,
) -> Result<Option<HttpServer>> {
    if !variants.contains(&crate::workload::Variant::Http) {
        return Ok(None);
    }
    HttpServer::start(exe).map(Some)
}

/// A running server. Dropping it kills and reaps the process.
#[derive(Debug)]
pub struct HttpServer {
    child: Child,
    port: u16,
    /// Held open: the server exits when it closes (concbench gone, even by kill -9).
    stdin: Option<ChildStdin>,
    registration: Option<ChildRegistration>,
}

impl HttpServer {
    /// Start `concbench serve-http` from `exe` and wait for its port. On failure: an error in
    /// one line (the server's own first line of stderr when it said one), nothing left
    /// running.
    pub fn start(exe: &Path) -> Result<HttpServer> {
        let cannot =
            |why: String| Error::Measurement(format!("the HTTP server cannot start: {why}"));
        // Every concurrent job holds a socket on this side too.
        super::raise_open_files_limit();
        let mut child = Command::new(exe)
            .arg("serve-http")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| cannot(format!("{}: {e}", exe.display())))?;
        let registration = lifecycle::register_child(Target::Process(child.id()));
        let mut server = HttpServer {
            stdin: child.stdin.take(),
            port: 0,
            registration: Some(registration),
            child,
        };
        match server.read_port() {
            Some(port) => server.port = port,
            None => {
                server.stop();
                return Err(cannot(server.first_error_line()));
            }
        }
        if let Some(mut stderr) = server.child.stderr.take() {
            // Anything it says later goes to concbench's stderr.
            std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::stderr()));
        }
        RUNNING.store(server.child.id(), Ordering::Relaxed);
        Ok(server)
    }

    /// The first line of stdout, the port, within the start timeout.
    fn read_port(&mut self) -> Option<u16> {
        let stdout = self.child.stdout.take()?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(START_TIMEOUT).ok()?;
        line.trim().parse().ok().filter(|&p| p != 0)
    }

    /// What the server said on stderr before it died, in one line.
    fn first_error_line(&mut self) -> String {
        let mut text = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = stderr.read_to_string(&mut text);
        }
        match text.lines().map(str::trim).find(|l| !l.is_empty()) {
            Some(line) => line.to_string(),
            None => format!("no port within {} s", START_TIMEOUT.as_secs()),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kill and reap it (once; later calls do nothing).
    fn stop(&mut self) {
        // Unregistered before it is reaped, so a stop signal never hits a reused pid.
        if self.registration.take().is_none() {
            return;
        }
        RUNNING
            .compare_exchange(self.child.id(), 0, Ordering::Relaxed, Ordering::Relaxed)
            .ok();
        self.stdin.take();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// CPU seconds (user + system) a process has used, from /proc/PID/stat (10 ms ticks).
pub fn process_cpu_s(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Some((utime + stime) as f64 / ticks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_cpu_is_read_from_proc() {
        let pid = std::process::id();
        let thread_cpu_s = || {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: writes the struct passed.
            unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
            ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
        };
        let before = process_cpu_s(pid).unwrap();
        // 60 ms of this thread's own CPU, however busy the machine is.
        let start = thread_cpu_s();
        while thread_cpu_s() - start < 0.06 {
            std::hint::black_box(crate::workload::burn(10_000));
        }
        let after = process_cpu_s(pid).unwrap();
        // At least the burn, less a tick at each end.
        assert!(after - before >= 0.04 - 1e-9, "{before} {after}");
        assert_eq!(process_cpu_s(u32::MAX), None);
    }
}
