//! `rayon`: a dedicated rayon ThreadPool of N threads, built when the strategy is built, so
//! the timed region holds only the dispatch into the pool and the work.

use rayon::prelude::*;

use super::{Role, Strategy, StrategyContext, StrategyInfo, StrategyOutput, WorkerLimit};
use crate::error::{Error, Result};
use crate::workload::{Job, WorkUnit, run_job};

pub const INFO: StrategyInfo = StrategyInfo {
    name: "rayon",
    summary: "a dedicated rayon pool of N threads, one task per job",
    uses_workers: true,
    role: Role::Default,
    max_workers: WorkerLimit::CPU_POOL,
    build: |workers, _ctx: &StrategyContext| Ok(Box::new(Rayon::new(workers)?)),
};

pub struct Rayon {
    pool: rayon::ThreadPool,
    workers: usize,
}

impl Rayon {
    pub fn new(workers: usize) -> Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("concbench-rayon-{i}"))
            .build()
            .map_err(|e| Error::Measurement(format!("cannot build a rayon pool: {e}")))?;
        Ok(Rayon { pool, workers })
    }
}

impl Strategy for Rayon {
    fn name(&self) -> &'static str {
        INFO.name
    }
    fn workers(&self) -> usize {
        self.workers
    }
    fn run(&mut self, jobs: &[Job], unit: WorkUnit) -> Result<StrategyOutput> {
        // with_max_len(1): every job is its own task, so work stealing balances single jobs
        // (the default splitting could hand a whole half of the list to one thread).
        let results = self.pool.install(|| {
            jobs.par_iter()
                .with_max_len(1)
                .map(|&job| run_job(job, unit))
                .collect()
        });
        Ok(StrategyOutput::in_process(results))
    }
}
