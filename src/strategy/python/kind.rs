//! The py-* strategies' registry entries: one `Kind` per strategy, its name, summary, role,
//! worker limit and how it is built, and the name the workload script knows it by.

use super::{build, subinterpreters};
use crate::strategy::{Role, StrategyInfo, WorkerLimit};

/// py-threads: one OS thread per worker in the interpreter, each with a mapped stack, under
/// Linux's 65,530 maps per process (vm.max_map_count), as for `threads`. 30,000 threads ran on
/// the reference machine.
pub const PY_THREADS_LIMIT: WorkerLimit = WorkerLimit {
    max: 30_000,
    why: "one OS thread per worker, each with a mapped stack, and Linux allows 65,530 maps per process by default (vm.max_map_count)",
};

/// py-dask: a LocalCluster starts one Dask worker process per worker (tens of MB and about a
/// second of CPU each). 16 started and ran on the reference machine; 32 and 64 were not ready within
/// the interpreter's timeout.
pub const DASK_LIMIT: WorkerLimit = WorkerLimit {
    max: 16,
    why: "one Dask worker process per worker, each tens of MB and a second of start-up; 32 did not start in time on a 2-core machine",
};

pub const SEQUENTIAL: StrategyInfo = Kind::Sequential.registry_entry();
pub const THREADS: StrategyInfo = Kind::Threads.registry_entry();
pub const ASYNCIO: StrategyInfo = Kind::Asyncio.registry_entry();
pub const PROCESSES: StrategyInfo = Kind::Processes.registry_entry();
pub const POOL: StrategyInfo = Kind::Pool.registry_entry();
pub const DASK: StrategyInfo = Kind::Dask.registry_entry();
pub const INTERPRETERS: StrategyInfo = Kind::Interpreters.registry_entry();

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Sequential,
    Threads,
    Asyncio,
    Processes,
    Pool,
    Dask,
    Interpreters,
}

impl Kind {
    /// The registry entry: every kind but the pool runs by default, every kind but
    /// sequential with N workers.
    const fn registry_entry(self) -> StrategyInfo {
        let (name, summary) = match self {
            Kind::Sequential => (
                "py-sequential",
                "CPython: every job in turn (the baseline of the py-* strategies)",
            ),
            Kind::Threads => (
                "py-threads",
                "CPython: N threading.Thread workers (one GIL)",
            ),
            Kind::Asyncio => (
                "py-asyncio",
                "CPython: asyncio.gather over one coroutine per job, at most N in flight (one thread, one event loop)",
            ),
            Kind::Processes => (
                "py-processes",
                "CPython: N multiprocessing.Process started per call (the tutorial's way), results over a Queue",
            ),
            Kind::Pool => (
                "py-pool",
                "CPython: a multiprocessing.Pool of N workers started before the clock, jobs sent with map",
            ),
            Kind::Interpreters => (
                "py-interpreters",
                "CPython 3.13+: N subinterpreters, each with its own GIL, created before the clock, results over a cross-interpreter queue",
            ),
            Kind::Dask => (
                "py-dask",
                "CPython + Dask: a chunk of jobs per task on N single-threaded workers (a LocalCluster started before the clock, or --dask-scheduler's)",
            ),
        };
        StrategyInfo {
            name,
            summary,
            uses_workers: !matches!(self, Kind::Sequential),
            role: if matches!(
                self,
                Kind::Pool | Kind::Dask | Kind::Asyncio | Kind::Interpreters
            ) {
                Role::OnRequest
            } else {
                Role::Default
            },
            max_workers: match self {
                Kind::Threads => PY_THREADS_LIMIT,
                Kind::Dask => DASK_LIMIT,
                Kind::Interpreters => subinterpreters::LIMIT,
                // Coroutines in one thread: a waiter costs a task, not a thread.
                Kind::Asyncio => WorkerLimit::WAITS,
                _ => WorkerLimit::CPU_POOL,
            },
            build: match self {
                Kind::Sequential => |_, ctx| build(Kind::Sequential, 1, ctx),
                Kind::Threads => |workers, ctx| build(Kind::Threads, workers, ctx),
                Kind::Asyncio => |workers, ctx| build(Kind::Asyncio, workers, ctx),
                Kind::Processes => |workers, ctx| build(Kind::Processes, workers, ctx),
                Kind::Pool => |workers, ctx| build(Kind::Pool, workers, ctx),
                Kind::Dask => |workers, ctx| build(Kind::Dask, workers, ctx),
                Kind::Interpreters => |workers, ctx| build(Kind::Interpreters, workers, ctx),
            },
        }
    }

    pub(super) fn script_name(self) -> &'static str {
        match self {
            Kind::Sequential => "sequential",
            Kind::Threads => "threads",
            Kind::Asyncio => "asyncio",
            Kind::Processes => "processes",
            Kind::Pool => "pool",
            Kind::Dask => "dask",
            Kind::Interpreters => "interpreters",
        }
    }
    pub(super) fn info(self) -> &'static StrategyInfo {
        match self {
            Kind::Sequential => &SEQUENTIAL,
            Kind::Threads => &THREADS,
            Kind::Asyncio => &ASYNCIO,
            Kind::Processes => &PROCESSES,
            Kind::Pool => &POOL,
            Kind::Dask => &DASK,
            Kind::Interpreters => &INTERPRETERS,
        }
    }
}
