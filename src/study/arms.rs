//! Arms from declarative specs: which strategy, how many workers, what unit of work, which
//! interpreter, which block. The CPython arms of one block and interpreter share one
//! interpreter per round (see [`PyHost`]), so the two sides of a speedup run in the same one.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::Arm;
use crate::error::Result;
use crate::strategy::python::{Interpreter, PyHost, PyKernel};
use crate::strategy::{StrategyContext, StrategyInfo};
use crate::workload::{Variant, WorkUnit};

/// Arm indices, one list per block: a block's arms run back to back in every round.
pub type Blocks = Vec<Vec<usize>>;

/// The interpreter of a py-* arm.
#[derive(Clone)]
pub struct PythonArm {
    pub interpreter: Arc<Interpreter>,
    pub kernel: PyKernel,
    /// Appended to the strategy's name in every label (`+native`, `@3.12`).
    pub label: String,
}

/// One arm to build.
#[derive(Clone)]
pub struct ArmSpec {
    pub variant: Variant,
    pub unit: WorkUnit,
    pub unit_ms: f64,
    pub timeout: Duration,
    pub strategy: &'static StrategyInfo,
    pub workers: usize,
    pub python: Option<PythonArm>,
    /// Arms with the same key form one block; blocks are numbered as their keys first appear.
    pub block: usize,
}

/// Build the arms of `specs`, in order, and their blocks.
pub fn build_arms(specs: &[ArmSpec], ctx: &StrategyContext) -> Result<(Vec<Arm>, Blocks)> {
    let mut arms: Vec<Arm> = Vec::with_capacity(specs.len());
    let mut keys: Vec<usize> = Vec::new();
    let mut blocks: Blocks = Vec::new();
    let mut hosts: Vec<(usize, PathBuf, Arc<PyHost>)> = Vec::new();
    for spec in specs {
        let b = match keys.iter().position(|&k| k == spec.block) {
            Some(b) => b,
            None => {
                keys.push(spec.block);
                blocks.push(Vec::new());
                blocks.len() - 1
            }
        };
        let mut ctx = ctx.clone();
        if let Some(p) = &spec.python {
            // One host per binary and options: a free-threaded build and the same binary with
            // its GIL forced on are two interpreters.
            let exe = PathBuf::from(&p.interpreter.info.requested);
            let host = match hosts.iter().find(|h| h.0 == b && h.1 == exe) {
                Some(h) => Arc::clone(&h.2),
                None => {
                    let h = Arc::new(PyHost::default());
                    hosts.push((b, exe, Arc::clone(&h)));
                    h
                }
            };
            ctx.py_host = Some(host);
            ctx.runtime.python = Some(PathBuf::from(&p.interpreter.info.requested));
            ctx.runtime.py_kernel = p.kernel;
            ctx.runtime.py_label = p.label.clone();
        }
        blocks[b].push(arms.len());
        arms.push(Arm {
            variant: spec.variant,
            unit: spec.unit,
            unit_ms: spec.unit_ms,
            timeout: spec.timeout,
            strategy: (spec.strategy.build)(spec.workers, &ctx)?,
            measured: 0,
            last_cost: Duration::ZERO,
        });
    }
    Ok((arms, blocks))
}

/// The usable interpreters of `requested` (python3 from PATH when empty). Each one skipped
/// beside a usable one gets a notice here; when none is usable, the reasons come back for the
/// front end to say what it skips.
pub fn usable_pythons(requested: &[PathBuf]) -> std::result::Result<Vec<Arc<Interpreter>>, String> {
    let (pythons, skipped) = crate::strategy::python::usable(requested);
    if pythons.is_empty() {
        return Err(skipped.join("; "));
    }
    for reason in skipped {
        eprintln!("concbench: skipping an interpreter: {reason}");
    }
    Ok(pythons)
}

/// The per-variant timeouts of `arms` for meta.json (the longest of each variant's arms),
/// variants in the order they first appear.
pub fn timeouts(arms: &[Arm]) -> Vec<(Variant, f64)> {
    let mut out: Vec<(Variant, f64)> = Vec::new();
    for a in arms {
        let t = a.timeout.as_secs_f64();
        match out.iter_mut().find(|x| x.0 == a.variant) {
            Some(x) => x.1 = x.1.max(t),
            None => out.push((a.variant, t)),
        }
    }
    out
}

/// The interpreters for the py-* strategies among `strategies` (none when none is listed).
/// When no requested interpreter is usable, the py-* strategies are dropped from
/// `strategies`, with one line saying which and why.
pub fn pythons_for(
    strategies: &mut Vec<&'static StrategyInfo>,
    requested: &[PathBuf],
) -> Vec<Arc<Interpreter>> {
    let is_python = |s: &StrategyInfo| crate::strategy::python::is_python(s);
    if !strategies.iter().any(|s| is_python(s)) {
        return Vec::new();
    }
    match usable_pythons(requested) {
        Ok(pythons) => pythons,
        Err(reasons) => {
            let listed = strategies.iter().filter(|s| is_python(s));
            let names: Vec<&str> = listed.map(|s| s.name).collect();
            eprintln!(
                "concbench: skipping {}: {reasons} (install Python 3 or pass --python PATH)",
                names.join(", ")
            );
            strategies.retain(|s| !is_python(s));
            Vec::new()
        }
    }
}

/// py-dask's cluster when `strategies` lists py-dask: probed on the first interpreter before
/// anything runs. Without dask there, py-dask is dropped with one line saying why (and how to
/// get it); a `--dask-scheduler` that does not answer is bad input.
pub fn dask_for(
    strategies: &mut Vec<&'static StrategyInfo>,
    pythons: &[Arc<Interpreter>],
    address: Option<&str>,
    workers: usize,
) -> crate::error::Result<Option<crate::records::DaskInfo>> {
    use crate::strategy::python::dask::{DaskProblem, probe};
    let dask = crate::strategy::python::DASK.name;
    if !strategies.iter().any(|s| s.name == dask) {
        if address.is_some() {
            eprintln!(
                "concbench: warning: --dask-scheduler has no effect without py-dask in --strategy"
            );
        }
        return Ok(None);
    }
    let Some(first) = pythons.first() else {
        return Ok(None);
    };
    match probe(first, address, workers) {
        Ok(info) => {
            for w in &info.warnings {
                eprintln!("concbench: warning: py-dask: {w}");
            }
            Ok(Some(info))
        }
        Err(DaskProblem::Unreachable(why)) => Err(crate::error::Error::Usage(why)),
        Err(DaskProblem::NotImportable(why)) => {
            eprintln!(
                "concbench: skipping py-dask: {why} (scripts/dask-python.sh prepares an interpreter that has it; pass it with --python)"
            );
            strategies.retain(|s| s.name != dask);
            Ok(None)
        }
    }
}
