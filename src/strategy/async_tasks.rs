//! `async`: the Rust answer for waiting — a tokio multi-thread runtime, one task per job.
//!
//! What "N workers" means here: N concurrent waits, not N OS threads. The runtime has
//! min(N, available parallelism) worker threads ([`runtime_threads`]); at most N jobs are in
//! flight at once. Ten thousand OS threads would be the `threads` strategy again; a task costs a
//! few hundred bytes of heap where a thread costs a stack and kernel state.
//!
//! The runtime is built when the strategy is built, before any clock: its worker threads are
//! part of the strategy, as rayon's pool is part of `rayon`. The timed region holds spawning the
//! tasks, the waits and collecting the results.
//!
//! At most N in flight: the driver (on the trial thread, in `block_on`) spawns a job's task only
//! when fewer than N are running, into a `JoinSet`, and takes a result out each time one ends.
//! So a new job starts as soon as any one finishes (a queue, like `threads`' shared index, not
//! waves that wait for the slowest of each wave), and no more than N tasks exist at once, so
//! the memory measured is that of N waiters, not of every job spawned up front waiting for a
//! permit (a Semaphore acquired inside the task would have all of them allocated). With jobs ≤
//! N every job starts at once.
//!
//! Sleep variant: `tokio::time::sleep`. Its timer is a wheel with 1 ms granularity: a sleep is
//! rounded up to the next millisecond tick, so a 25 ms sleep takes 25-26 ms, where
//! `thread::sleep` overshoots by the kernel's timer slack (about 50-100 µs). That overshoot is
//! in the wall time like every strategy's own (docs/methodology.md).
//!
//! CPU variant: the kernel runs inside the tasks, on the runtime's workers. That is not what
//! tokio is for: a task that computes for 25 ms never yields, so it blocks its worker thread
//! and every task queued behind it. Tokio's tools for that are `spawn_blocking` (a separate
//! pool) or rayon; it is measured anyway, so the table shows what a runtime built for waiting
//! does with CPU work (with N ≤ cores, about what `threads` does).

use std::time::Duration;

use tokio::task::JoinSet;

use super::{Role, Strategy, StrategyContext, StrategyInfo, StrategyOutput, WorkerLimit};
use crate::error::{Error, Result};
use crate::workload::{Effort, Job, JobMemory, WorkUnit, run_job};

pub const INFO: StrategyInfo = StrategyInfo {
    name: "async",
    summary: "a tokio runtime (min(N, cores) threads), one task per job, N in flight",
    uses_workers: true,
    role: Role::Default,
    max_workers: WorkerLimit::WAITS,
    build: |workers, _ctx: &StrategyContext| Ok(Box::new(AsyncTasks::new(workers)?)),
};

/// How often the driver looks at the stop flag while tasks wait: a stop signal ends a trial
/// within this, at the cost of one timer tick per interval (not one per task).
const STOP_CHECK: Duration = Duration::from_millis(50);

pub struct AsyncTasks {
    runtime: tokio::runtime::Runtime,
    workers: usize,
    /// The trial's jobs, copied before the clock for the driver task (which must own them).
    jobs: Option<std::sync::Arc<[Job]>>,
}

/// The runtime's worker threads for N concurrent waits: one per core at most, fewer when N is
/// smaller (2 waits need no more than 2 threads).
pub fn runtime_threads(workers: usize) -> usize {
    workers.clamp(1, crate::measure::machine::available_parallelism())
}

impl AsyncTasks {
    pub fn new(workers: usize) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(runtime_threads(workers))
            .thread_name("concbench-async")
            .enable_time()
            .enable_io()
            .build()
            .map_err(|e| Error::Measurement(format!("cannot build a tokio runtime: {e}")))?;
        Ok(AsyncTasks {
            runtime,
            workers,
            jobs: None,
        })
    }

    /// The runtime's worker-thread count (what `runtime_threads` gave when it was built).
    pub fn runtime_threads(&self) -> usize {
        self.runtime.metrics().num_workers()
    }
}

impl Strategy for AsyncTasks {
    fn name(&self) -> &'static str {
        INFO.name
    }
    fn workers(&self) -> usize {
        self.workers
    }
    fn prepare(&mut self, jobs: &[Job], _unit: WorkUnit) -> Result<()> {
        self.jobs = Some(jobs.into());
        // Untimed, before the memory baseline: memory other trials freed (10,000 threads leave
        // their per-thread allocator caches behind) goes back to the kernel, so the tasks'
        // heap is measured as growth, not hidden in free pages still resident from before.
        release_freed_memory();
        Ok(())
    }
    fn run(&mut self, jobs: &[Job], unit: WorkUnit) -> Result<StrategyOutput> {
        // The driver runs as a task on the runtime's workers, not on this thread: every job's
        // end wakes the driver, and a wake-up inside the runtime is a queue push, where waking
        // a thread parked in block_on is a futex call and a context switch (100,000 of them at
        // 100,000 waiters: a fifth of a second of wall time here).
        // The executor prepares every trial with the jobs it then runs; a run without
        // `prepare` (a unit test) copies them here.
        let jobs = match self.jobs.take() {
            Some(prepared) if prepared.len() == jobs.len() => prepared,
            _ => jobs.into(),
        };
        let workers = self.workers;
        let driver = self
            .runtime
            .spawn(async move { run_bounded(workers, &jobs, unit).await });
        let results = self
            .runtime
            .block_on(driver)
            .map_err(|e| Error::Measurement(format!("the async driver failed: {e}")))??;
        Ok(StrategyOutput::in_process(results))
    }
}

/// One job as a task: hold its memory (`--job-mb`), spend its unit, compute its result.
async fn job_task(index: usize, job: Job, unit: WorkUnit) -> (usize, i128) {
    let value = match unit.effort {
        Effort::Sleep(d) => {
            let held = Held(JobMemory::hold(unit.job_bytes));
            tokio::time::sleep(d).await;
            drop(held);
            job.task.apply(job.number).unwrap_or(0)
        }
        // One connection per job through hyper's client: the task waits on the socket.
        Effort::Http { delay, port } => {
            let held = Held(JobMemory::hold(unit.job_bytes));
            // Boxed: hyper's connection state is kilobytes, and a future inlined here would make
            // every task that large, the sleep variant's too (1.8 KiB a waiter instead of
            // a few hundred bytes).
            let answer = Box::pin(crate::http::client::get_async(port, job, delay)).await;
            drop(held);
            crate::http::blocking::result_or_report(answer)
        }
        // Blocks this worker thread for the whole job: see the module's documentation.
        Effort::Cpu { .. } => run_job(job, unit),
    };
    (index, value)
}

/// A job's memory, held across the wait: a task can resume on another worker thread.
struct Held(#[allow(dead_code)] JobMemory);

// SAFETY: the mapping belongs to this one value (nothing else points into it), and munmap may
// be called from any thread, so moving it to another thread is sound.
unsafe impl Send for Held {}

/// Run every job as a task, at most `in_flight` at once, and return the results in job order.
async fn run_bounded(in_flight: usize, jobs: &[Job], unit: WorkUnit) -> Result<Vec<i128>> {
    let mut results = vec![0i128; jobs.len()];
    let mut running = JoinSet::new();
    let mut next = jobs.iter().enumerate();
    let mut stop_check = tokio::time::interval(STOP_CHECK);
    loop {
        while running.len() < in_flight.max(1) {
            let Some((i, &job)) = next.next() else { break };
            running.spawn(job_task(i, job, unit));
        }
        tokio::select! {
            done = running.join_next() => match done {
                None => break,
                Some(Ok((i, value))) => results[i] = value,
                Some(Err(e)) => {
                    return Err(Error::Measurement(format!("an async task failed: {e}")));
                }
            },
            _ = stop_check.tick() => {
                if crate::lifecycle::stop_requested() {
                    running.abort_all();
                    return Err(Error::interrupted());
                }
            }
        }
    }
    Ok(results)
}

/// Return the allocator's free memory to the kernel (glibc's `malloc_trim`).
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{jobs_for, reference_results};

    #[test]
    fn results_come_back_in_job_order_at_any_bound() {
        let jobs = jobs_for(&[2, 3, 8, 9, -4]);
        let unit = WorkUnit::sleep(Duration::from_micros(200));
        for workers in [1, 2, 3, 10, 64] {
            let mut s = AsyncTasks::new(workers).unwrap();
            let out = s.run(&jobs, unit).unwrap();
            assert_eq!(out.results, reference_results(&jobs), "{workers} workers");
        }
        let mut s = AsyncTasks::new(2).unwrap();
        let out = s.run(&jobs, WorkUnit::cpu(1000).holding(1 << 16)).unwrap();
        assert_eq!(out.results, reference_results(&jobs));
    }

    #[test]
    fn at_most_n_waits_in_flight_and_threads_capped_by_cores() {
        let cores = crate::measure::machine::available_parallelism();
        assert_eq!(runtime_threads(1), 1);
        assert_eq!(runtime_threads(10_000), cores);
        assert_eq!(AsyncTasks::new(10_000).unwrap().runtime_threads(), cores);
        // 8 jobs of 30 ms, 4 in flight: two rounds of waits (about 60 ms), never one (30 ms)
        // and never eight (240 ms). Wide margins: the machine is shared.
        let jobs = jobs_for(&[1, 2, 3, 4]);
        let mut s = AsyncTasks::new(4).unwrap();
        let t = std::time::Instant::now();
        s.run(&jobs, WorkUnit::sleep(Duration::from_millis(30)))
            .unwrap();
        let took = t.elapsed();
        assert!(took >= Duration::from_millis(60), "{took:?}");
        assert!(took < Duration::from_millis(200), "{took:?}");
    }
}
