//! `ceiling`: the most this machine gives for this kernel with N workers. Not a way anyone
//! would run the jobs, but the upper bound every strategy is measured against (Hoefler &
//! Belli's rule 11: show the bound).
//!
//! N fully independent workers: the jobs are assigned before the clock starts (worker w takes
//! jobs w, w+N, w+2N, ...), the threads are started before the clock and wait at a barrier,
//! the clock starts when they are released together, and stops when the last has finished.
//! There is no queue, no result channel and no spawning inside the timed region: each worker
//! writes its results into its own slot, read after the clock stops. What is left between the
//! ceiling and N is what the hardware (and the operating system) takes; what is left between a
//! strategy and the ceiling is the strategy's own cost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread::JoinHandle;

use super::{Role, Strategy, StrategyInfo, StrategyOutput, WorkerLimit};
use crate::error::{Error, Result};
use crate::workload::{Job, WorkUnit, run_job};

pub const INFO: StrategyInfo = StrategyInfo {
    name: "ceiling",
    summary: "the machine's parallel ceiling: N pre-started threads, jobs pre-assigned, released together (a reference, added automatically for CPU-bound work)",
    uses_workers: true,
    role: Role::Reference,
    max_workers: WorkerLimit::CPU_POOL,
    build: |workers, _ctx| Ok(Box::new(Ceiling::new(workers))),
};

type Slot = Arc<Mutex<Vec<(usize, i128)>>>;

pub struct Ceiling {
    workers: usize,
    start: Option<Arc<Barrier>>,
    /// Set before releasing threads that must not work (an abandoned trial).
    cancelled: Arc<AtomicBool>,
    threads: Vec<(JoinHandle<()>, Slot)>,
}

impl Ceiling {
    pub fn new(workers: usize) -> Self {
        Ceiling {
            workers,
            start: None,
            cancelled: Arc::new(AtomicBool::new(false)),
            threads: Vec::new(),
        }
    }

    /// Release parked threads without work (when a trial is abandoned before `run`).
    fn abandon(&mut self) {
        self.cancelled.store(true, Ordering::SeqCst);
        if let Some(start) = self.start.take() {
            start.wait();
        }
        for (handle, _) in self.threads.drain(..) {
            let _ = handle.join();
        }
        self.cancelled = Arc::new(AtomicBool::new(false));
    }
}

impl Strategy for Ceiling {
    fn name(&self) -> &'static str {
        INFO.name
    }
    fn workers(&self) -> usize {
        self.workers
    }

    fn prepare(&mut self, jobs: &[Job], unit: WorkUnit) -> Result<()> {
        self.abandon();
        let start = Arc::new(Barrier::new(self.workers + 1));
        for w in 0..self.workers {
            let mine: Vec<(usize, Job)> = (w..jobs.len())
                .step_by(self.workers)
                .map(|i| (i, jobs[i]))
                .collect();
            let slot: Slot = Arc::new(Mutex::new(Vec::with_capacity(mine.len())));
            let (start, out) = (Arc::clone(&start), Arc::clone(&slot));
            let cancelled = Arc::clone(&self.cancelled);
            let handle = std::thread::Builder::new()
                .name(format!("concbench-ceiling-{w}"))
                .spawn(move || {
                    start.wait();
                    if cancelled.load(Ordering::SeqCst) {
                        return;
                    }
                    let done: Vec<(usize, i128)> = mine
                        .into_iter()
                        .map(|(i, j)| (i, run_job(j, unit)))
                        .collect();
                    if let Ok(mut o) = out.lock() {
                        *o = done;
                    }
                })
                .map_err(|e| Error::Measurement(format!("cannot start a ceiling thread: {e}")))?;
            self.threads.push((handle, slot));
        }
        self.start = Some(start);
        Ok(())
    }

    fn run(&mut self, jobs: &[Job], unit: WorkUnit) -> Result<StrategyOutput> {
        if self.start.is_none() {
            // Called without prepare (benches, tests): prepare now, outside nobody's clock.
            self.prepare(jobs, unit)?;
        }
        if let Some(start) = self.start.take() {
            start.wait();
        }
        let mut results = vec![0i128; jobs.len()];
        let mut answered = 0;
        for (handle, slot) in self.threads.drain(..) {
            handle
                .join()
                .map_err(|_| Error::Measurement("a ceiling thread panicked".into()))?;
            let done = slot.lock().map(|d| d.clone()).unwrap_or_default();
            for (i, v) in done {
                results[i] = v;
                answered += 1;
            }
        }
        if answered != jobs.len() {
            return Err(Error::Measurement(format!(
                "the ceiling's threads answered {answered} of {} jobs",
                jobs.len()
            )));
        }
        Ok(StrategyOutput::in_process(results))
    }
}

impl Drop for Ceiling {
    fn drop(&mut self) {
        self.abandon();
    }
}
