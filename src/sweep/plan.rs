//! What a sweep measures, validated, and the arms and blocks it gives the engine.
//!
//! A block is one job size of one variant: every (strategy, workers) at that size with the
//! sequential baseline at the same size, so the two sides of each speedup run back to back. The
//! first block is the fixed-cost block: the same jobs with zero work (`WorkUnit::Cpu { iters:
//! 0 }`), whatever the variants, since zero work is neither sleeping nor computing. Which
//! strategies join a block follows `concbench run` ([`crate::experiment::Plan::configurations`]):
//! the `ceiling` reference joins CPU-bound sizes, and the fixed-cost block.

use std::sync::Arc;
use std::time::Duration;

use crate::engine::default_timeout;
use crate::error::Result;
use crate::experiment;
use crate::records::sweep::JobSize;
use crate::strategy::processes::Chunk;
use crate::strategy::python::{Interpreter, PyKernel};
use crate::strategy::{self, StrategyInfo};
use crate::study::{ArmSpec, PythonArm, StudyConfig};
use crate::workload::{Variant, WorkUnit};

/// Job sizes, log-spaced from 1 µs to 30 ms of work per job: from far below any strategy's
/// fixed cost to far above it. Eighth-decade steps (1.33×) from 10 µs to 1.8 ms, where the
/// break-evens of threads, rayon and processes lie on a machine like this one, so a measured
/// break-even is placed within a third; quarter- and half-decade steps outside. Small sizes
/// cost the budget little.
pub const DEFAULT_SIZES_MS: [f64; 26] = [
    0.001, 0.0018, 0.0032, 0.0056, 0.01, 0.013, 0.018, 0.024, 0.032, 0.042, 0.056, 0.075, 0.1,
    0.13, 0.18, 0.24, 0.32, 0.42, 0.56, 0.75, 1.0, 1.3, 1.8, 3.2, 10.0, 30.0,
];

/// The strategies a sweep measures unless told otherwise: the Rust ones and the gil model.
pub const DEFAULT_STRATEGIES: [&str; 5] = ["sequential", "threads", "rayon", "processes", "gil"];

/// The CPU-bound job sizes.
#[derive(Debug, Clone, PartialEq)]
pub enum CpuSizes {
    /// Milliseconds, calibrated on this machine.
    Millis(Vec<f64>),
    /// Fixed kernel iterations, to compare machines.
    Iters(Vec<u64>),
}

/// Everything a sweep needs, already validated.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    pub variants: Vec<Variant>,
    /// As listed, with each one's baseline added.
    pub strategies: Vec<&'static StrategyInfo>,
    /// Ascending, distinct.
    pub workers: Vec<usize>,
    pub cpu: CpuSizes,
    pub sleep_ms: Vec<f64>,
    pub budget: Duration,
    /// The worker counts of py-dask and py-interpreters where they differ from `workers` (one
    /// count, the cores, unless --workers is given: each of their trials starts a cluster, or N
    /// subinterpreters).
    pub dask_workers: Option<Vec<usize>>,
    pub min_reps: u32,
    pub max_reps: u32,
    pub warmup: u32,
    pub ceiling: bool,
    pub chunk: Chunk,
    /// The interpreter of the py-* strategies (none when none is measured) and its kernel.
    pub python: Option<Arc<Interpreter>>,
    /// py-dask's cluster, probed before the sweep (meta.json `dask`).
    pub dask: Option<crate::records::DaskInfo>,
    pub py_kernel: PyKernel,
    pub show_progress: bool,
    pub command_line: Vec<String>,
    /// Per-trial timeout; `None` derives one from the size of the work.
    pub timeout: Option<Duration>,
    /// Where the files go, the numbers, the trial order and each trial's preparation.
    pub study: StudyConfig,
    /// `--waits`: a wait sweep instead of the job-size sweep.
    pub waits: Option<WaitsAxis>,
}

/// The axis of a wait sweep (`--waits`, [`crate::sweep::waits`]), validated.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitsAxis {
    /// Waiter counts: ascending, distinct, even.
    pub waiters: Vec<usize>,
    /// The one wait of every job, in ms.
    pub wait_ms: f64,
    pub reps: u32,
}

/// Worker counts 1 to 2 × the cores: every count up to 8, beyond that about two per octave
/// (1, 2, 3, 4, 6, 8, 12, 16, ...), always with the core count and twice it.
pub fn default_workers(cores: usize) -> Vec<usize> {
    let top = 2 * cores.max(1);
    let mut w: Vec<usize> = Vec::new();
    let mut p = 1;
    while p <= top {
        w.push(p);
        if p >= 2 && p + p / 2 <= top {
            w.push(p + p / 2);
        }
        p *= 2;
    }
    w.extend((1..=top.min(8)).chain([cores.max(1), top]));
    w.sort_unstable();
    w.dedup();
    w
}

/// Add each listed strategy's baseline (a speedup needs it), keeping the listed order.
pub fn with_baselines(listed: &[&'static StrategyInfo]) -> Result<Vec<&'static StrategyInfo>> {
    let mut out: Vec<&'static StrategyInfo> = Vec::new();
    for s in listed {
        let base = strategy::find(&s.baseline())?;
        for x in [base, *s] {
            if !out.iter().any(|o| o.name == x.name) {
                out.push(x);
            }
        }
    }
    Ok(out)
}

/// Add py-pool beside py-dask: the rung below a distributed engine, whose fixed cost and
/// break-even py-dask's are read against.
pub fn with_companions(
    strategies: Vec<&'static StrategyInfo>,
) -> Result<Vec<&'static StrategyInfo>> {
    let mut out = strategies;
    let dask = strategy::python::DASK.name;
    let pool = &strategy::python::POOL;
    if let Some(at) = out.iter().position(|s| s.name == dask)
        && !out.iter().any(|s| s.name == pool.name)
    {
        out.insert(at, pool);
    }
    Ok(out)
}

/// Whether a strategy runs at the cores only in a sweep without --workers (see `dask_workers`).
pub fn at_cores_only(info: &StrategyInfo) -> bool {
    [
        strategy::python::DASK.name,
        strategy::python::INTERPRETERS.name,
    ]
    .contains(&info.name)
}

impl SweepPlan {
    /// The plan's interpreter for a py-* strategy's arm (none for the others).
    pub fn python_arm(&self, info: &StrategyInfo) -> Option<PythonArm> {
        self.python
            .as_ref()
            .filter(|_| strategy::python::is_python(info))
            .map(|p| PythonArm {
                interpreter: Arc::clone(p),
                kernel: self.py_kernel,
                label: String::new(),
            })
    }

    pub fn jobs(&self) -> usize {
        self.study.numbers.len() * 2
    }

    /// Every job size, the fixed-cost size first, then each variant's ascending. `rate` is
    /// the kernel's iterations per ms (needed for CPU-bound sizes).
    pub fn sizes(&self, rate: f64) -> Vec<(JobSize, WorkUnit)> {
        let mut out = vec![(
            JobSize {
                variant: Variant::Cpu,
                unit_ms: 0.0,
                iters: Some(0),
            },
            WorkUnit::cpu(0),
        )];
        for v in Variant::ALL
            .into_iter()
            .filter(|v| self.variants.contains(v))
        {
            let mut these: Vec<(JobSize, WorkUnit)> = match (v, &self.cpu) {
                (Variant::Sleep, _) => self
                    .sleep_ms
                    .iter()
                    .map(|&ms| {
                        let unit = WorkUnit::sleep(Duration::from_secs_f64(ms / 1e3));
                        (sized(v, ms, None), unit)
                    })
                    .collect(),
                (Variant::Cpu, CpuSizes::Millis(ms)) => ms
                    .iter()
                    .map(|&ms| {
                        let iters = ((rate * ms).round() as u64).max(1);
                        (sized(v, ms, Some(iters)), WorkUnit::cpu(iters))
                    })
                    .collect(),
                // Refused by the arguments: a sweep starts no server.
                (Variant::Http, _) => Vec::new(),
                (Variant::Cpu, CpuSizes::Iters(its)) => its
                    .iter()
                    .map(|&iters| {
                        let ms = iters as f64 / rate;
                        (sized(v, ms, Some(iters)), WorkUnit::cpu(iters))
                    })
                    .collect(),
            };
            these.sort_by(|a, b| a.0.unit_ms.total_cmp(&b.0.unit_ms));
            out.extend(these);
        }
        out
    }

    /// Every (strategy, workers) of one variant, by `concbench run`'s rule.
    pub fn configurations(&self, variant: Variant) -> Vec<(&'static StrategyInfo, usize)> {
        let mut p = experiment::Plan::tutorial(&self.study.out_dir);
        p.variants = vec![variant];
        p.strategies = self.strategies.clone();
        p.workers = self.workers.clone();
        p.ceiling = self.ceiling;
        p.configurations()
            .into_iter()
            .map(|(_, info, w)| (info, w))
            .filter(|(info, w)| match &self.dask_workers {
                Some(only) if at_cores_only(info) => only.contains(w),
                _ => true,
            })
            .collect()
    }

    /// The strategies in display order: as listed (baselines included), the ceiling last.
    pub fn display_strategies(&self) -> Vec<String> {
        let mut names: Vec<String> = self.strategies.iter().map(|s| s.name.to_string()).collect();
        for (info, _) in self.configurations(Variant::Cpu) {
            if !names.iter().any(|n| n == info.name) {
                names.push(info.name.to_string());
            }
        }
        names
    }
}

fn sized(variant: Variant, unit_ms: f64, iters: Option<u64>) -> JobSize {
    JobSize {
        variant,
        unit_ms,
        iters,
    }
}

/// The arms of every size, one block per size, in the order of `sizes`; the py-* arms run on
/// the plan's interpreter.
pub fn arm_specs(plan: &SweepPlan, sizes: &[(JobSize, WorkUnit)]) -> Vec<ArmSpec> {
    let mut specs = Vec::new();
    for (block, (size, unit)) in sizes.iter().enumerate() {
        for (info, workers) in plan.configurations(size.variant) {
            let python = plan.python_arm(info);
            specs.push(ArmSpec {
                variant: size.variant,
                unit: *unit,
                unit_ms: size.unit_ms,
                timeout: plan
                    .timeout
                    .unwrap_or_else(|| default_timeout(plan.jobs(), size.unit_ms)),
                strategy: info,
                workers,
                python,
                block,
            });
        }
    }
    specs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_workers_reach_twice_the_cores() {
        assert_eq!(default_workers(1), vec![1, 2]);
        assert_eq!(default_workers(2), vec![1, 2, 3, 4]);
        assert_eq!(default_workers(4), (1..=8).collect::<Vec<_>>());
        assert_eq!(
            default_workers(12),
            vec![1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24]
        );
    }

    #[test]
    fn baselines_join_what_is_listed() {
        let listed = vec![
            strategy::find("threads").unwrap(),
            strategy::find("py-threads").unwrap(),
        ];
        let names: Vec<&str> = with_baselines(&listed)
            .unwrap()
            .iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            vec!["sequential", "threads", "py-sequential", "py-threads"]
        );
    }
}
