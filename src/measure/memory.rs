//! Peak memory of one trial, for concbench and every process it started: `mem_peak_bytes`.
//!
//! How it is measured (docs/methodology.md says the same for users):
//! - **Processes that exist when the trial starts** (concbench itself; a shared CPython host):
//!   what they *add*. Just before the clock, each one's peak (VmHWM) is reset through
//!   `/proc/PID/clear_refs` and its resident size read (the baseline); after the clock, VmHWM
//!   minus that baseline is its peak growth, plus what its page tables grew. VmHWM is raised
//!   lazily (at unmap) from per-CPU counters synchronised in batches, so it can read up to
//!   ~128 KiB per CPU short; their VmRSS, read at every sample, is exact and catches any
//!   plateau longer than the interval.
//! - Every process's **page tables** (VmPTE) count too: kernel memory that no resident figure
//!   holds, and most of what a thread or a process costs beyond its pages.
//! - **Processes started during the trial** (workers, multiprocessing children) and the sum
//!   over the whole tree: a sampler thread walks concbench's descendants every
//!   [`DEFAULT_INTERVAL`] (less often when a sample costs more than [`CPU_BUDGET`] allows) and
//!   adds, at each sample, the growth of the processes above plus the PSS and page tables of
//!   each new one (`/proc/PID/smaps_rollup`: pages shared with others count by their share, so
//!   forked children are not counted 7-10 times over as their RSS would be).
//! - The trial's figure is the largest of: the largest sampled total, and each existing
//!   process's exact peak growth. Each is a lower bound of the true peak, so their largest is
//!   too. What sampling can miss: a child that starts and ends between two samples, and a
//!   spike shorter than the interval in a new process.
//! - Arms whose work stays in concbench (sequential, threads, rayon, gil, ceiling) are sampled
//!   too, but only for concbench's own status (one small read every interval, no walk).
//!
//! The sampler reuses its buffers, and its thread and buffers exist before any baseline is
//! read, so its own memory is not in the figures; its CPU time is measured per trial (its
//! CLOCK_THREAD_CPUTIME_ID) and taken out of the trial's CPU like the sysinfo sampler's.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::usage::thread_cpu_s;

mod procfs;
pub use procfs::{Status, available_bytes, proportional_bytes, status};
use procfs::{Walk, reset_peak};

/// Time between two samples of a process tree, at least.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(5);

/// The most of one core the sampler may use: after a sample that cost C of CPU, the next comes
/// no sooner than C / BUDGET later (a safety net: a sample of a few processes costs 30-60 µs).
pub const CPU_BUDGET: f64 = 0.05;

/// What the memory of one trial came to.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MemoryPeak {
    /// Peak memory above the baseline just before the clock, in bytes.
    pub peak_bytes: u64,
    /// Samples taken during the trial (of the whole tree, or of concbench alone when the work
    /// stays in it; 0 where no sampler thread could start).
    pub samples: u32,
    /// CPU the sampler used during the trial, in seconds (CLOCK_THREAD_CPUTIME_ID: exact,
    /// where getrusage's per-thread figures come in scheduler ticks). Nearly all of it is
    /// system time: reading /proc files.
    pub sampler_cpu_s: f64,
    /// concbench's own exact peak growth (part of `peak_bytes`).
    pub own_bytes: u64,
    /// The largest PSS one process started during the trial reached in a sample.
    pub largest_new_bytes: u64,
}

/// What the memory sampler cost over a whole run (meta.json `memory_sampler`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WatchTotals {
    pub sampled_trials: u32,
    pub samples: u64,
    pub cpu_s: f64,
    /// Time spent sampling (between the first and last sample of each sampled trial).
    pub sampling_wall_s: f64,
}

/// A process's resident size when the trial started.
#[derive(Debug, Clone, Copy)]
struct Baseline {
    pid: u32,
    rss: u64,
    page_tables: u64,
}

#[derive(Debug, Default)]
struct Inner {
    /// Sampling now (during a trial).
    sampling: bool,
    /// The trial's work runs in other processes: walk concbench's descendants at each sample,
    /// not only read concbench's own status.
    tree: bool,
    quit: bool,
    /// Processes that existed when the trial started, concbench first.
    existing: Vec<Baseline>,
    peak: u64,
    largest_new: u64,
    samples: u32,
    cpu_s: f64,
    totals: WatchTotals,
    /// When sampling of this trial began.
    started: Option<std::time::Instant>,
}

struct Shared {
    inner: Mutex<Inner>,
    wake: Condvar,
}

/// Measures every trial's peak memory. One per executor; its sampler thread sleeps between
/// trials and while in-process arms run.
pub struct MemoryWatch {
    shared: Arc<Shared>,
    interval: Duration,
    handle: Option<JoinHandle<()>>,
}

impl MemoryWatch {
    /// A watch sampling trees every `interval`. The thread starts at once, so that its stack
    /// and buffers are part of every baseline.
    pub fn start(interval: Duration) -> MemoryWatch {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner::default()),
            wake: Condvar::new(),
        });
        let for_thread = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("concbench-memory".into())
            .spawn(move || sample_loop(&for_thread, interval))
            .ok();
        MemoryWatch {
            shared,
            interval,
            handle,
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.shared
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Just before the clock: take the baselines, and start sampling the tree when the
    /// trial's work runs in other processes (`tree`).
    pub fn begin(&self, tree: bool) {
        let mut pids = vec![std::process::id()];
        if tree {
            let mut walk = Walk::default();
            walk.descendants(std::process::id(), &mut pids);
        }
        let mut inner = self.lock();
        inner.existing.clear();
        for pid in pids {
            reset_peak(pid);
            if let Some(Status {
                rss, page_tables, ..
            }) = status(pid, &mut Vec::new())
            {
                inner.existing.push(Baseline {
                    pid,
                    rss,
                    page_tables,
                });
            }
        }
        inner.peak = 0;
        inner.largest_new = 0;
        inner.samples = 0;
        inner.cpu_s = 0.0;
        inner.sampling = self.handle.is_some();
        inner.tree = tree;
        inner.started = inner.sampling.then(std::time::Instant::now);
        drop(inner);
        self.shared.wake.notify_all();
    }

    /// Just after the clock: stop sampling and give the trial's peak.
    pub fn end(&self) -> MemoryPeak {
        let mut inner = self.lock();
        let sampled = inner.sampling;
        inner.sampling = false;
        // The existing processes' exact peak growth: each a floor for the tree's peak.
        let growth: Vec<u64> = inner
            .existing
            .iter()
            .map(|b| {
                status(b.pid, &mut Vec::new()).map_or(0, |s| {
                    s.peak.saturating_sub(b.rss) + s.page_tables.saturating_sub(b.page_tables)
                })
            })
            .collect();
        let reading = MemoryPeak {
            peak_bytes: growth.iter().copied().fold(inner.peak, u64::max),
            samples: inner.samples,
            sampler_cpu_s: inner.cpu_s,
            // concbench is always the first existing process.
            own_bytes: growth.first().copied().unwrap_or(0),
            largest_new_bytes: inner.largest_new,
        };
        if sampled {
            let wall = inner
                .started
                .take()
                .map_or(0.0, |t| t.elapsed().as_secs_f64());
            let t = &mut inner.totals;
            t.sampled_trials += 1;
            t.samples += u64::from(reading.samples);
            t.cpu_s += reading.sampler_cpu_s;
            t.sampling_wall_s += wall;
        }
        reading
    }

    /// What sampling cost so far.
    pub fn totals(&self) -> WatchTotals {
        self.lock().totals
    }
}

impl Drop for MemoryWatch {
    fn drop(&mut self) {
        self.lock().quit = true;
        self.shared.wake.notify_all();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The last exact PSS reading of a process started during the trial.
#[derive(Debug, Clone, Copy)]
struct Pss {
    pid: u32,
    pss: u64,
    /// Its resident size at that reading.
    rss: u64,
    at: Instant,
}

/// Reading a process's PSS walks its page tables (about 10 µs per resident MiB here), so it is
/// read when the process is first seen and refreshed this often; between readings, what the
/// process touched since (its resident growth, from the cheap /proc/PID/status) is added.
const PSS_REFRESH: Duration = Duration::from_millis(100);

fn sample_loop(shared: &Shared, interval: Duration) {
    let mut walk = Walk::default();
    let mut pids: Vec<u32> = Vec::with_capacity(64);
    let mut known: Vec<Pss> = Vec::with_capacity(64);
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut inner = shared.inner.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        if inner.quit {
            return;
        }
        if !inner.sampling {
            known.clear();
            inner = shared.wake.wait(inner).unwrap_or_else(|p| p.into_inner());
            continue;
        }
        // The lock is held while sampling (tens of µs), so `end` never sees half a sample.
        let cpu0 = thread_cpu_s();
        pids.clear();
        if inner.tree {
            walk.descendants(std::process::id(), &mut pids);
        }
        let mut total: i64 = 0;
        for &b in &inner.existing {
            if let Some(s) = status(b.pid, &mut buf) {
                total += (s.rss + s.page_tables) as i64 - (b.rss + b.page_tables) as i64;
            }
        }
        let own = status(std::process::id(), &mut buf).map(|s| (s.size, s.rss));
        for &pid in pids.iter() {
            if inner.existing.iter().any(|b| b.pid == pid) {
                continue;
            }
            let Some(now) = status(pid, &mut buf) else {
                continue;
            };
            // A child between posix_spawn's vfork and its exec still runs in concbench's own
            // memory (same size, same resident pages): concbench's, already counted.
            if own == Some((now.size, now.rss)) {
                continue;
            }
            let bytes = new_process_bytes(pid, now, &mut known, &mut buf);
            inner.largest_new = inner.largest_new.max(bytes);
            total += bytes as i64;
        }
        inner.peak = inner.peak.max(total.max(0) as u64);
        inner.samples += 1;
        let cost = thread_cpu_s() - cpu0;
        inner.cpu_s += cost;
        let pause = interval.max(Duration::from_secs_f64(cost.max(0.0) / CPU_BUDGET));
        inner = shared
            .wake
            .wait_timeout(inner, pause)
            .unwrap_or_else(|p| p.into_inner())
            .0;
    }
}

/// What a process started during the trial holds now: its PSS (read exactly when first seen
/// and every [`PSS_REFRESH`], in between the last reading plus its resident growth since),
/// plus its page tables.
fn new_process_bytes(pid: u32, now: Status, known: &mut Vec<Pss>, buf: &mut Vec<u8>) -> u64 {
    let fresh = |buf: &mut Vec<u8>| {
        proportional_bytes(pid, buf).map(|pss| Pss {
            pid,
            pss,
            rss: now.rss,
            at: Instant::now(),
        })
    };
    let reading = match known.iter().position(|k| k.pid == pid) {
        Some(i) if known[i].at.elapsed() < PSS_REFRESH => Some(known[i]),
        Some(i) => {
            if let Some(r) = fresh(buf) {
                known[i] = r;
            }
            Some(known[i])
        }
        None => fresh(buf).inspect(|r| known.push(*r)),
    };
    let pss = reading.map_or(0, |r| (r.pss + now.rss).saturating_sub(r.rss));
    pss + now.page_tables
}
