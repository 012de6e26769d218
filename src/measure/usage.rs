//! Exact resource usage of one trial: wall time on the monotonic clock, and CPU time from
//! getrusage deltas of this process plus its reaped children (exact, not sampled).

use std::time::Instant;

use crate::error::{Error, Result};

/// CPU time consumed so far by this process and by its children that have been reaped.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTimes {
    pub user_s: f64,
    pub sys_s: f64,
}

impl CpuTimes {
    pub fn now() -> Self {
        let (su, ss, _) = rusage(libc::RUSAGE_SELF);
        let (cu, cs, _) = rusage(libc::RUSAGE_CHILDREN);
        CpuTimes {
            user_s: su + cu,
            sys_s: ss + cs,
        }
    }

    pub fn total_s(self) -> f64 {
        self.user_s + self.sys_s
    }

    pub fn since(self, earlier: CpuTimes) -> CpuTimes {
        CpuTimes {
            user_s: (self.user_s - earlier.user_s).max(0.0),
            sys_s: (self.sys_s - earlier.sys_s).max(0.0),
        }
    }
}

/// (user seconds, system seconds, max RSS KiB) of `who`.
fn rusage(who: libc::c_int) -> (f64, f64, i64) {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut ru) } != 0 {
        return (0.0, 0.0, 0);
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    (tv(ru.ru_utime), tv(ru.ru_stime), ru.ru_maxrss)
}

/// What one trial cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrialUsage {
    pub wall_s: f64,
    pub cpu: CpuTimes,
    /// Peak RSS of this process during the trial (KiB), where the kernel lets us reset the
    /// high-water mark; otherwise the lifetime peak.
    pub peak_rss_kib: u64,
}

impl TrialUsage {
    /// CPU time over wall time: how many cores the trial kept busy on average.
    pub fn cores_busy(&self) -> f64 {
        if self.wall_s > 0.0 {
            self.cpu.total_s() / self.wall_s
        } else {
            0.0
        }
    }
}

/// Measure `f`: only `f` runs between the two clock readings.
/// The caller resets the peak RSS before (see [`crate::measure::memory::MemoryWatch::begin`]).
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, TrialUsage) {
    let cpu0 = CpuTimes::now();
    let t0 = Instant::now();
    let out = f();
    let wall_s = t0.elapsed().as_secs_f64();
    let cpu = CpuTimes::now().since(cpu0);
    let usage = TrialUsage {
        wall_s,
        cpu,
        peak_rss_kib: peak_rss_kib(),
    };
    (out, usage)
}

/// VmHWM from /proc/self/status, or getrusage's lifetime maximum as a fallback.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or_else(|| rusage(libc::RUSAGE_SELF).2.max(0) as u64)
}

/// A child reaped with wait4: its exit status and exact resource usage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reaped {
    pub pid: u32,
    /// The raw wait status.
    pub status: i32,
    pub user_s: f64,
    pub sys_s: f64,
    pub max_rss_kib: u64,
}

impl Reaped {
    pub fn success(&self) -> bool {
        libc::WIFEXITED(self.status) && libc::WEXITSTATUS(self.status) == 0
    }

    /// Killed with SIGKILL, which is what concbench sends to stop a trial.
    pub fn killed_by_us(&self) -> bool {
        libc::WIFSIGNALED(self.status) && libc::WTERMSIG(self.status) == libc::SIGKILL
    }

    /// "exited with status 3", "was killed by signal 6 (SIGABRT)", ...
    pub fn status_text(&self) -> String {
        if libc::WIFEXITED(self.status) {
            format!("exited with status {}", libc::WEXITSTATUS(self.status))
        } else if libc::WIFSIGNALED(self.status) {
            let sig = libc::WTERMSIG(self.status);
            format!("was killed by signal {sig} ({})", signal_name(sig))
        } else {
            format!("ended with wait status {}", self.status)
        }
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGTERM => "SIGTERM",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGPIPE => "SIGPIPE",
        _ => "signal",
    }
}

/// Reap one child with wait4, retrying on EINTR. Never call `Child::wait`, `try_wait` or
/// `kill` on that child afterwards: its pid may already belong to another process.
pub fn reap(pid: u32) -> Result<Reaped> {
    match wait4(pid, 0)? {
        Some(r) => Ok(r),
        None => Err(Error::Measurement(format!(
            "cannot reap child {pid}: not ended"
        ))),
    }
}

/// Reap one child that should end by `deadline`: polled until then, then killed with SIGKILL
/// and reaped. Returns the reaping and whether the child had to be killed.
pub fn reap_by(pid: u32, deadline: Instant) -> (Result<Reaped>, bool) {
    // Woken by the exit itself where the kernel offers a pidfd (Linux 5.3+): polling with
    // sleeps would add up to one pause to every run of `processes` (a child takes a few
    // hundred µs to exit after its last message).
    if let Some(exited) = await_exit(pid, deadline) {
        if exited {
            return (reap(pid), false);
        }
        // SAFETY: the child is not reaped yet, so its pid cannot have been reused.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        return (reap(pid), true);
    }
    let mut pause = std::time::Duration::from_micros(50);
    loop {
        match wait4(pid, libc::WNOHANG) {
            Ok(Some(r)) => return (Ok(r), false),
            Err(e) => return (Err(e), false),
            Ok(None) if Instant::now() >= deadline => break,
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(5));
            }
        }
    }
    // SAFETY: the child is not reaped yet, so its pid cannot have been reused.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    (reap(pid), true)
}

/// Wait until child `pid` has exited (`Some(true)`) or `deadline` passed (`Some(false)`), on a
/// pidfd; `None` when pidfds are not available here.
#[cfg(target_os = "linux")]
fn await_exit(pid: u32, deadline: Instant) -> Option<bool> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1; the fd is ours.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return None;
    }
    let fd = fd as libc::c_int;
    let exited = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        // Rounded up, so the wait never ends before the deadline.
        let ms = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int;
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, owned for the duration of the call.
        let r = unsafe { libc::poll(&mut p, 1, ms) };
        if r > 0 {
            break true;
        }
        if r == 0 && Instant::now() >= deadline {
            break false;
        }
        if r < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            // SAFETY: fd is ours and still open.
            unsafe { libc::close(fd) };
            return None;
        }
    };
    // SAFETY: fd is ours and still open.
    unsafe { libc::close(fd) };
    Some(exited)
}

#[cfg(not(target_os = "linux"))]
fn await_exit(_pid: u32, _deadline: Instant) -> Option<bool> {
    None
}

/// wait4 on one child with `flags`; `None` when WNOHANG found it still running.
fn wait4(pid: u32, flags: libc::c_int) -> Result<Option<Reaped>> {
    let mut status: libc::c_int = 0;
    // SAFETY: wait4 writes into the zeroed rusage and the status integer we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, flags, &mut ru) };
        if r == pid as libc::pid_t {
            break;
        }
        if r == 0 {
            return Ok(None);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(Error::Measurement(format!("cannot reap child {pid}: {e}")));
        }
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    Ok(Some(Reaped {
        pid,
        status,
        user_s: tv(ru.ru_utime),
        sys_s: tv(ru.ru_stime),
        max_rss_kib: ru.ru_maxrss.max(0) as u64,
    }))
}

/// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), used to cost the sampler.
pub fn thread_cpu_s() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::burn;

    // Process-wide CPU figures can't be checked precisely here: the test harness runs other
    // tests on other threads of this process. tests/cli.rs checks them on the binary.
    #[test]
    fn cpu_time_follows_a_busy_loop() {
        let (_, u) = measure(|| burn(20_000_000));
        assert!(u.wall_s > 0.0);
        assert!(u.cpu.total_s() > 0.0);
        assert!(u.peak_rss_kib > 0);
    }
}
