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
    max_workers: THREADS_LIMIT,
    build: |workers, _ctx: &StrategyContext| Ok(Box::new(Threads { workers })),
};

/// One OS thread per waiter: each thread's stack and signal stack are memory maps, and Linux
/// allows 65,530 maps per process by default (vm.max_map_count). 32,000 threads ran on the
/// reference machine, 34,000 did not (a thread that cannot map its signal stack aborts the
/// process, which no error handling can catch), so the limit stays below with a margin.
pub const THREADS_LIMIT: WorkerLimit = WorkerLimit {
    max: 30_000,
    why: "one OS thread per worker, each with its stack and signal stack mapped, and Linux allows 65,530 maps per process by default (vm.max_map_count); 34,000 threads failed to start",
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
    let mut spawn_error = None;
    let parts = std::thread::scope(|s| {
        let mut handles = Vec::with_capacity(workers);
        for me in 0..workers {
            // Builder rather than `s.spawn`, which panics when the OS refuses a thread: a
            // refusal (the process's thread or memory-map limit) is one error line instead.
            let spawned = std::thread::Builder::new().spawn_scoped(s, move || {
                enter(me);
                let mut done = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&job) = jobs.get(i) else { break };
                    done.push((i, work(me, job)));
                }
                leave(me);
                done
            });
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => {
                    spawn_error = Some(format!("cannot start thread {} of {workers}: {e}", me + 1));
                    break;
                }
            }
        }
        // The threads already started take every job; they are joined either way.
        handles
            .into_iter()
            .map(|h| h.join())
            .collect::<Result<Vec<_>, _>>()
    })
    .map_err(|_| Error::Measurement("a worker thread panicked".into()))?;
    if let Some(e) = spawn_error {
        return Err(Error::Measurement(e));
    }
    let mut results = vec![0i128; jobs.len()];
    for (i, value) in parts.into_iter().flatten() {
        results[i] = value;
    }
    Ok(results)
}
