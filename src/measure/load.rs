//! How busy the machine is with other processes: all CPU time the kernel counted (from
//! /proc/stat) minus what this process and its reaped children used (exact, from getrusage).
//! A run during which others used more than [`BUSY_THRESHOLD_PCT`] of a core is not to be
//! trusted.

use std::time::{Duration, Instant};

use super::usage::CpuTimes;

/// Above this share of one core used by other processes, a run gets a warning.
pub const BUSY_THRESHOLD_PCT: f64 = 10.0;

/// A reading to compare a later one with.
#[derive(Debug, Clone, Copy)]
pub struct LoadMark {
    at: Instant,
    machine_busy_s: Option<f64>,
    own: CpuTimes,
}

impl LoadMark {
    pub fn now() -> Self {
        LoadMark {
            at: Instant::now(),
            machine_busy_s: machine_busy_s(),
            own: CpuTimes::now(),
        }
    }

    /// CPU used by other processes since `self`, in % of one core; `None` where /proc/stat
    /// cannot be read.
    pub fn others_pct_since(&self, earlier: &LoadMark) -> Option<f64> {
        let wall = self.at.duration_since(earlier.at).as_secs_f64();
        let machine = self.machine_busy_s? - earlier.machine_busy_s?;
        let own = self.own.since(earlier.own).total_s();
        (wall > 0.0).then(|| (100.0 * (machine - own) / wall).max(0.0))
    }
}

/// Watch an otherwise idle moment for `window` and return others' CPU use in % of one core.
pub fn idle_check(window: Duration) -> Option<f64> {
    let start = LoadMark::now();
    std::thread::sleep(window);
    LoadMark::now().others_pct_since(&start)
}

/// Busy CPU seconds of the whole machine since boot: user+nice+system+irq+softirq+steal.
fn machine_busy_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    if v.len() < 8 {
        return None;
    }
    // Steal is time the hypervisor gave to others: it is lost to us as much as a busy
    // neighbour's time is, so it counts as busy.
    let busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Some(busy as f64 / hz)
}
