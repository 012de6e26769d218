//! py-dask's cluster, asked before anything runs: whether the interpreter can import
//! dask.distributed (prepared by `scripts/dask-python.sh`), its versions, and with
//! `--dask-scheduler` whether that scheduler answers and which workers it has.

use std::time::Duration;

use serde::Deserialize;

use super::Interpreter;
use crate::records::{DaskInfo, DaskWorker};

/// The whole probe, interpreter start-up included: the script's own connection timeout is 10 s.
const PROBE_TIMEOUT: Duration = Duration::from_secs(14);

/// Why py-dask cannot run.
#[derive(Debug, Clone, PartialEq)]
pub enum DaskProblem {
    /// The interpreter has no dask.distributed: py-dask is skipped.
    NotImportable(String),
    /// `--dask-scheduler` names a scheduler that does not answer: bad input.
    Unreachable(String),
}

#[derive(Deserialize)]
struct Reply {
    importable: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    dask: String,
    #[serde(default)]
    distributed: String,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    workers: Vec<DaskWorker>,
    #[serde(default)]
    worker_versions: Vec<String>,
}

/// Ask `interp` about Dask, and about the scheduler at `address` when there is one. With a
/// scheduler, `workers` (the most any strategy asks for) is checked against what it has.
pub fn probe(
    interp: &Interpreter,
    address: Option<&str>,
    workers: usize,
) -> Result<DaskInfo, DaskProblem> {
    let request = serde_json::json!({ "address": address, "timeout": "10s" }).to_string();
    let asked = match address {
        Some(a) => format!("the Dask scheduler at {a}"),
        None => "dask".into(),
    };
    let run = interp
        .run_mode("dask-info", &request, PROBE_TIMEOUT)
        .map_err(|e| {
            DaskProblem::Unreachable(format!("asking about {asked}: the interpreter {e}"))
        })?;
    let reply: Reply = serde_json::from_str(run.stdout.trim()).map_err(|_| {
        DaskProblem::NotImportable(format!(
            "{} could not say whether it has dask ({})",
            interp.exe.display(),
            run.stderr_tail
        ))
    })?;
    if !reply.importable {
        return Err(DaskProblem::NotImportable(format!(
            "{} cannot import dask.distributed ({})",
            interp.exe.display(),
            reply.error.unwrap_or_default()
        )));
    }
    if let (Some(a), Some(e)) = (address, &reply.error) {
        // Dask refuses an address it cannot parse with a ValueError, at once.
        return Err(DaskProblem::Unreachable(if e.starts_with("ValueError") {
            format!("--dask-scheduler: '{a}' is not a Dask scheduler address ({e})")
        } else {
            format!("--dask-scheduler: no Dask scheduler answered at {a} within 10 s ({e})")
        }));
    }
    let mut info = DaskInfo {
        dask: reply.dask,
        distributed: reply.distributed,
        scheduler: reply.address.unwrap_or_else(|| "LocalCluster".into()),
        workers: reply.workers,
        worker_versions: reply.worker_versions,
        warnings: Vec::new(),
    };
    if address.is_some() {
        info.warnings = warnings(&info, workers);
    }
    Ok(info)
}

/// What an existing scheduler's figures need said beside them.
fn warnings(info: &DaskInfo, workers: usize) -> Vec<String> {
    let mut out = Vec::new();
    let remote: Vec<&str> = info
        .workers
        .iter()
        .filter(|w| !w.local)
        .map(|w| w.address.as_str())
        .collect();
    if !remote.is_empty() {
        out.push(format!(
            "{} of the scheduler's {} workers run on other machines ({}): py-dask's times include the network, and their CPU is not in its CPU figures",
            remote.len(),
            info.workers.len(),
            remote.join(", ")
        ));
    }
    let threads: u32 = info.workers.iter().map(|w| w.nthreads.unwrap_or(1)).sum();
    if (threads as usize) < workers {
        out.push(format!(
            "the scheduler has {} worker thread(s) for --workers {workers}: py-dask runs on what it has",
            threads
        ));
    }
    out
}
