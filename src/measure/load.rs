//! How busy the machine is with other processes: all CPU time the kernel counted minus what
//! this process and its reaped children used (exact, from getrusage).
//!
//! The machine's total comes from the root cgroup's CPU accounting when it is readable
//! (cgroup v1 `cpuacct.usage` or v2 `cpu.stat` `usage_usec`: nanosecond or microsecond
//! resolution), and from /proc/stat otherwise. /proc/stat counts in ticks of 10 ms: on a
//! 100 ms trial that granularity alone is ±20 % of a core, too coarse to judge one trial,
//! which is why the cgroup counters come first. Which source was used, and its resolution, is
//! recorded with every run.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::usage::CpuTimes;

/// Above this share of one core used by other processes, a run gets a warning.
pub const BUSY_THRESHOLD_PCT: f64 = 10.0;

const CGROUP_V1: &str = "/sys/fs/cgroup/cpuacct/cpuacct.usage";
const CGROUP_V2: &str = "/sys/fs/cgroup/cpu.stat";

/// Where the machine's CPU total comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoadSource {
    /// cgroup v1 root `cpuacct.usage`, nanoseconds.
    CgroupV1,
    /// cgroup v2 root `cpu.stat` `usage_usec`, microseconds.
    CgroupV2,
    /// /proc/stat, in USER_HZ ticks.
    ProcStat,
}

impl LoadSource {
    /// The best source this machine offers.
    pub fn detect() -> Option<LoadSource> {
        [
            LoadSource::CgroupV1,
            LoadSource::CgroupV2,
            LoadSource::ProcStat,
        ]
        .into_iter()
        .find(|s| s.busy_s().is_some())
    }

    /// The smallest step of the counter, in seconds.
    pub fn resolution_s(self) -> f64 {
        match self {
            LoadSource::CgroupV1 => 1e-9,
            LoadSource::CgroupV2 => 1e-6,
            LoadSource::ProcStat => 1.0 / clock_ticks(),
        }
    }

    pub fn describe(self) -> String {
        match self {
            LoadSource::CgroupV1 => format!("{CGROUP_V1} (ns)"),
            LoadSource::CgroupV2 => format!("{CGROUP_V2} usage_usec (µs)"),
            LoadSource::ProcStat => format!(
                "/proc/stat ({:.0} ms ticks: too coarse to judge one short trial)",
                1e3 / clock_ticks()
            ),
        }
    }

    /// Busy CPU seconds of the whole machine so far.
    fn busy_s(self) -> Option<f64> {
        match self {
            LoadSource::CgroupV1 => {
                let ns: u64 = std::fs::read_to_string(CGROUP_V1)
                    .ok()?
                    .trim()
                    .parse()
                    .ok()?;
                Some(ns as f64 * 1e-9)
            }
            LoadSource::CgroupV2 => {
                let text = std::fs::read_to_string(CGROUP_V2).ok()?;
                let usec: u64 = text
                    .lines()
                    .find_map(|l| l.strip_prefix("usage_usec "))?
                    .trim()
                    .parse()
                    .ok()?;
                Some(usec as f64 * 1e-6)
            }
            LoadSource::ProcStat => proc_stat_busy_s(),
        }
    }
}

/// A reading to compare a later one with.
#[derive(Debug, Clone, Copy)]
pub struct LoadMark {
    at: Instant,
    machine_busy_s: Option<f64>,
    own: CpuTimes,
}

impl LoadMark {
    /// A reading from the best source this machine offers.
    pub fn now() -> Self {
        Self::with(best_source())
    }

    pub fn with(source: Option<LoadSource>) -> Self {
        LoadMark {
            at: Instant::now(),
            machine_busy_s: source.and_then(LoadSource::busy_s),
            own: CpuTimes::now(),
        }
    }

    /// CPU used by other processes since `earlier`, in % of one core; `None` where the
    /// machine's total cannot be read.
    pub fn others_pct_since(&self, earlier: &LoadMark) -> Option<f64> {
        self.others_pct_besides(earlier, 0.0)
    }

    /// Like [`Self::others_pct_since`], with `unreaped_own_s` more CPU that was ours: used by
    /// children not reaped yet, which getrusage cannot see.
    pub fn others_pct_besides(&self, earlier: &LoadMark, unreaped_own_s: f64) -> Option<f64> {
        let wall = self.at.duration_since(earlier.at).as_secs_f64();
        let machine = self.machine_busy_s? - earlier.machine_busy_s?;
        let own = self.own.since(earlier.own).total_s() + unreaped_own_s;
        (wall > 0.0).then(|| (100.0 * (machine - own) / wall).max(0.0))
    }
}

/// The source every reading of this process uses (detected once).
pub fn best_source() -> Option<LoadSource> {
    static SOURCE: std::sync::OnceLock<Option<LoadSource>> = std::sync::OnceLock::new();
    *SOURCE.get_or_init(LoadSource::detect)
}

/// Watch an otherwise idle moment for `window` and return others' CPU use in % of one core.
pub fn idle_check(window: Duration) -> Option<f64> {
    let start = LoadMark::now();
    std::thread::sleep(window);
    LoadMark::now().others_pct_since(&start)
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64
}

/// Busy CPU seconds of the whole machine since boot from /proc/stat:
/// user+nice+system+irq+softirq+steal.
fn proc_stat_busy_s() -> Option<f64> {
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
    Some(busy as f64 / clock_ticks())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn some_source_is_readable_here_and_readings_are_not_negative() {
        let source = LoadSource::detect();
        assert!(source.is_some(), "neither cgroup accounting nor /proc/stat");
        let a = LoadMark::now();
        std::thread::sleep(Duration::from_millis(20));
        let b = LoadMark::now();
        assert!(b.others_pct_since(&a).is_some_and(|p| p >= 0.0));
        assert!(source.unwrap().resolution_s() <= 0.01 + 1e-12);
    }
}
