//! `threads`: N std::thread workers, spawned and joined inside the timed region (that cost is
//! part of what the tutorial's `threading.Thread` pays too).
//!
//! Jobs are spread through a shared queue (an atomic index into the job list) rather than in
//! fixed chunks: every job costs the same here, but a queue keeps all workers busy when the job
//! count does not divide by N (5 numbers on 3 threads), and it is what the processes strategy
//! does too, so the two differ only in where the workers live.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Role, Strategy, StrategyContext, StrategyInfo, StrategyOutput, WorkerLimit};
use crate::error::{Error, Result};
use crate::workload::{Job, WorkUnit, run_job};

pub const INFO: StrategyInfo = StrategyInfo {
    name: "threads",
    summary: "N std::thread workers taking jobs from a shared queue",
    uses_workers: true,
    role: Role::Default,
    max_workers: WorkerLimit::WAITS,
    build: |workers, _ctx: &StrategyContext| Ok(Box::new(Threads { workers })),
};

pub struct Threads {
    workers: usize,
}

impl Threads {
    pub fn new(workers: usize) -> Self {
        Threads { workers }
    }
}

impl Strategy for Threads {
    fn name(&self) -> &'static str {
        INFO.name
    }
    fn workers(&self) -> usize {
        self.workers
    }
    fn run(&mut self, jobs: &[Job], unit: WorkUnit) -> Result<StrategyOutput> {
        let results = run_on_queue(
            self.workers,
            jobs,
            |_| {},
            |_, job| run_job(job, unit),
            |_| {},
        )?;
        Ok(StrategyOutput::in_process(results))
    }
}

/// Run `jobs` on `workers` scoped threads that take job indices from a shared queue, and return
/// the results in job order. `work(me, job)` runs one job on worker `me`; `enter(me)` and
/// `leave(me)` run once per worker around its jobs (the gil model takes and releases its lock
/// there). Shared by `threads` and `gil`, so the two differ only in the lock.
pub(crate) fn run_on_queue(
    workers: usize,
    jobs: &[Job],
    enter: impl Fn(usize) + Sync,
    work: impl Fn(usize, Job) -> i128 + Sync,
    leave: impl Fn(usize) + Sync,
) -> Result<Vec<i128>> {
    let next = AtomicUsize::new(0);
    let (enter, work, leave, next) = (&enter, &work, &leave, &next);
    let parts = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|me| {
                s.spawn(move || {
                    enter(me);
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&job) = jobs.get(i) else { break };
                        done.push((i, work(me, job)));
                    }
                    leave(me);
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join())
            .collect::<Result<Vec<_>, _>>()
    })
    .map_err(|_| Error::Measurement("a worker thread panicked".into()))?;
    let mut results = vec![0i128; jobs.len()];
    for (i, value) in parts.into_iter().flatten() {
        results[i] = value;
    }
    Ok(results)
}
