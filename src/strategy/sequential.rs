//! `sequential`: every job in turn on the calling thread. The baseline for every speedup.

use super::{Role, Strategy, StrategyInfo, StrategyOutput, WorkerLimit};
use crate::error::Result;
use crate::workload::{Job, WorkUnit, run_job};

pub const INFO: StrategyInfo = StrategyInfo {
    name: "sequential",
    summary: "every job in turn on the calling thread (the baseline)",
    uses_workers: false,
    role: Role::Default,
    max_workers: WorkerLimit::CPU_POOL,
    build: |_, _| Ok(Box::new(Sequential)),
};

pub struct Sequential;

impl Strategy for Sequential {
    fn name(&self) -> &'static str {
        INFO.name
    }
    fn workers(&self) -> usize {
        1
    }
    fn run(&mut self, jobs: &[Job], unit: WorkUnit) -> Result<StrategyOutput> {
        Ok(StrategyOutput::in_process(
            jobs.iter().map(|&j| run_job(j, unit)).collect(),
        ))
    }
}
