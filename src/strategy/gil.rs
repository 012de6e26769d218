//! `gil`: N threads that must hold one global lock to compute: a model of CPython's "new GIL"
//! (CPython 3.2+, `Python/ceval_gil.c`), so the tutorial's claim about threads can be shown on
//! the same Rust work that `threads` runs in parallel.
//!
//! The rules, as in CPython:
//! - A thread computes only while it holds the GIL. A CPU-bound job keeps it: the kernel is
//!   burnt in slices of [`SLICE_ITERS`] iterations, and between two slices the holder looks at
//!   the *drop request* (CPython's eval breaker, checked between bytecodes).
//! - A thread that wants the GIL waits on a condition variable for at most the *switch
//!   interval* (5 ms by default, `sys.getswitchinterval()`, `--switch-interval-ms`). If a whole
//!   interval passes with no switch, it sets the drop request and waits again.
//! - The holder that sees the request drops the GIL and then waits until another thread has
//!   taken it (CPython's FORCE_SWITCHING), so the requester really gets it instead of the
//!   dropper grabbing it straight back; then it queues for the GIL like everybody else.
//! - Sleeping releases the GIL (like `time.sleep` and blocking I/O) and takes it back after.
//!
//! Consequences it reproduces: CPU-bound jobs on N threads run one at a time, switching every
//! interval (speedup about 1x, a little less for the switches); sleep-bound jobs overlap
//! (speedup about N).

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::threads::run_on_queue;
use super::{Strategy, StrategyInfo, StrategyOutput};
use crate::error::Result;
use crate::workload::{Effort, Job, JobMemory, WorkUnit, burn};

/// CPython's default switch interval (`sys.getswitchinterval()` = 0.005).
pub const DEFAULT_SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// Kernel iterations between two looks at the drop request: tens of microseconds of work, small
/// against the switch interval, as CPython's check between bytecodes is.
pub const SLICE_ITERS: u64 = 1 << 14;

pub const INFO: StrategyInfo = StrategyInfo::parallel(
    "gil",
    "N threads that must hold one global lock to compute (a model of CPython's GIL)",
    |workers, ctx| {
        Ok(Box::new(GilThreads::new(
            workers,
            ctx.runtime.switch_interval,
        )))
    },
);

/// Counters of one GIL's life, for tests and evidence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GilStats {
    /// Times a thread took the GIL.
    pub acquisitions: u64,
    /// Times a waiting thread asked the holder to drop it (a whole interval without a switch).
    pub drop_requests: u64,
    /// Times a holder dropped it because of a request and waited for the hand-over.
    pub forced_switches: u64,
}

#[derive(Debug)]
struct State {
    locked: bool,
    holder: Option<usize>,
    /// Incremented on every acquisition: a waiter that sees it unchanged after a whole
    /// interval knows nobody switched meanwhile.
    switch_number: u64,
    /// Threads blocked in [`Gil::take`].
    waiting: usize,
}

/// The global interpreter lock of the model. Threads identify themselves with a small integer.
#[derive(Debug)]
pub struct Gil {
    state: Mutex<State>,
    /// Signalled when the GIL is released.
    released: Condvar,
    /// Signalled when a thread takes the GIL (the forced hand-over waits for it).
    switched: Condvar,
    drop_request: AtomicBool,
    interval: Duration,
    acquisitions: AtomicU64,
    drop_requests: AtomicU64,
    forced_switches: AtomicU64,
}

impl Gil {
    pub fn new(interval: Duration) -> Self {
        Gil {
            state: Mutex::new(State {
                locked: false,
                holder: None,
                switch_number: 0,
                waiting: 0,
            }),
            released: Condvar::new(),
            switched: Condvar::new(),
            drop_request: AtomicBool::new(false),
            interval,
            acquisitions: AtomicU64::new(0),
            drop_requests: AtomicU64::new(0),
            forced_switches: AtomicU64::new(0),
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a few integers updated atomically under the lock: a panic elsewhere
        // cannot leave it half-written, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Block until thread `me` holds the GIL. Every whole switch interval spent waiting with
    /// no switch sets the drop request.
    pub fn take(&self, me: usize) {
        let mut s = self.lock();
        if s.locked {
            s.waiting += 1;
            while s.locked {
                let saved = s.switch_number;
                let deadline = Instant::now() + self.interval;
                // Wait out the interval, whatever spurious wake-ups happen.
                loop {
                    let now = Instant::now();
                    if !s.locked || now >= deadline {
                        break;
                    }
                    s = self
                        .released
                        .wait_timeout(s, deadline - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
                if s.locked && s.switch_number == saved && !self.drop_request.swap(true, SeqCst) {
                    self.drop_requests.fetch_add(1, Ordering::Relaxed);
                }
            }
            s.waiting -= 1;
        }
        s.locked = true;
        s.holder = Some(me);
        s.switch_number += 1;
        // Whoever asked has been served (or will ask again after its own interval).
        self.drop_request.store(false, SeqCst);
        self.acquisitions.fetch_add(1, Ordering::Relaxed);
        self.switched.notify_all();
    }

    /// Release the GIL held by `me`. `forced`: it is dropped because of a request, so wait until
    /// another thread has taken it (when anyone is waiting) before returning.
    pub fn release(&self, me: usize, forced: bool) {
        let mut s = self.lock();
        debug_assert_eq!(
            s.holder,
            Some(me),
            "released by a thread that does not hold it"
        );
        s.locked = false;
        s.holder = None;
        self.released.notify_one();
        if forced {
            self.forced_switches.fetch_add(1, Ordering::Relaxed);
            let taken_at = s.switch_number;
            while s.switch_number == taken_at && s.waiting > 0 {
                s = self.switched.wait(s).unwrap_or_else(|p| p.into_inner());
            }
        }
    }

    /// Whether a waiting thread has asked the holder to let go.
    pub fn drop_requested(&self) -> bool {
        self.drop_request.load(SeqCst)
    }

    /// The holder's periodic check: on a request, hand the GIL over and queue for it again.
    /// Returns whether it switched.
    pub fn check(&self, me: usize) -> bool {
        if self.drop_requested() {
            self.release(me, true);
            self.take(me);
            true
        } else {
            false
        }
    }

    /// The thread holding the GIL now, if any.
    pub fn holder(&self) -> Option<usize> {
        self.lock().holder
    }

    pub fn stats(&self) -> GilStats {
        GilStats {
            acquisitions: self.acquisitions.load(Ordering::Relaxed),
            drop_requests: self.drop_requests.load(Ordering::Relaxed),
            forced_switches: self.forced_switches.load(Ordering::Relaxed),
        }
    }
}

use std::sync::atomic::Ordering::SeqCst;

/// Burn `iters` kernel iterations in slices, looking at the drop request between slices.
pub fn burn_holding(gil: &Gil, me: usize, iters: u64) -> u64 {
    let mut left = iters;
    let mut acc = 0u64;
    while left > 0 {
        let n = left.min(SLICE_ITERS);
        acc ^= burn(n);
        left -= n;
        gil.check(me);
    }
    black_box(acc)
}

/// The strategy: N threads taking jobs from a shared queue, as `threads` does, but computing
/// only while holding the GIL.
pub struct GilThreads {
    workers: usize,
    interval: Duration,
    last_stats: GilStats,
}

impl GilThreads {
    pub fn new(workers: usize, interval: Duration) -> Self {
        GilThreads {
            workers,
            interval,
            last_stats: GilStats::default(),
        }
    }

    /// The GIL's counters of the last run.
    pub fn last_stats(&self) -> GilStats {
        self.last_stats
    }
}

impl Strategy for GilThreads {
    fn name(&self) -> &'static str {
        INFO.name
    }
    fn workers(&self) -> usize {
        self.workers
    }
    fn run(&mut self, jobs: &[Job], unit: WorkUnit) -> Result<StrategyOutput> {
        let gil = Gil::new(self.interval);
        let results = run_on_queue(
            self.workers,
            jobs,
            // A new Python thread must take the GIL before running any bytecode.
            |me| gil.take(me),
            |me, job| {
                let _held = JobMemory::hold(unit.job_bytes);
                match unit.effort {
                    Effort::Sleep(d) => {
                        gil.release(me, false);
                        std::thread::sleep(d);
                        gil.take(me);
                    }
                    Effort::Cpu { iters } => {
                        black_box(burn_holding(&gil, me, iters));
                    }
                    Effort::Http { delay, port } => {
                        // CPython releases the GIL around socket I/O, as around a sleep; the
                        // answer is the server's, so a wrong one fails verification.
                        gil.release(me, false);
                        let answer =
                            crate::http::blocking::get_or_report(port, &job.http_path(delay));
                        gil.take(me);
                        return answer;
                    }
                }
                // Overflow was ruled out when the list was validated.
                job.task.apply(job.number).unwrap_or(0)
            },
            |me| gil.release(me, false),
        )?;
        self.last_stats = gil.stats();
        Ok(StrategyOutput::in_process(results))
    }
}

#[cfg(test)]
mod tests;
