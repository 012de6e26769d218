//! C4, processes share no memory: children append to their own copy of a global list, while
//! threads of one process append to the one list.

use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;

use super::{jobs_json, python_demo, row, tutorial_jobs};
use crate::claim::Verdict;
use crate::error::Result;
use crate::measure::memory::{self, MemoryWatch};
use crate::records::ClaimRow;
use crate::strategy::python::Interpreter;
use crate::strategy::{self, StrategyContext};
use crate::worker;
use crate::workload::{WorkUnit, reference_results, run_job};

/// The tutorial's list, for the threads' side of C4: threads of concbench append to it.
static THREAD_RESULT: Mutex<Vec<i128>> = Mutex::new(Vec::new());

/// C4 in Rust: the processes strategy's children append to their own global list; concbench's
/// copy stays empty. Threads of one process append to the one list.
pub fn c4_rust(ctx: &StrategyContext, workers: usize) -> Result<ClaimRow> {
    let jobs = tutorial_jobs();
    let reference = reference_results(&jobs);
    let mut p = (strategy::find("processes")?.build)(workers, ctx)?;
    // Measured as every trial is: the processes' tree sampled, the threads' exact growth.
    let memory = MemoryWatch::start(memory::DEFAULT_INTERVAL);
    memory.begin(true);
    let out = p.run(&jobs, HOLD);
    let processes_mem = memory.end();
    let out = out?;
    let parent = worker::appended_in_this_process();
    let children: usize = out.child_appends.iter().sum();
    let correct = out
        .results
        .iter()
        .zip(&reference)
        .filter(|(a, b)| a == b)
        .count();

    let list = |f: &mut dyn FnMut(&mut Vec<i128>)| {
        let mut l = THREAD_RESULT.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut l)
    };
    list(&mut |l| l.clear());
    memory.begin(false);
    std::thread::scope(|s| {
        for w in 0..workers {
            let jobs = &jobs;
            s.spawn(move || {
                for job in jobs.iter().skip(w).step_by(workers) {
                    let v = run_job(*job, HOLD);
                    THREAD_RESULT
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(v);
                }
            });
        }
    });
    let threads_mem = memory.end();
    let mut threads_len = 0;
    list(&mut |l| threads_len = l.len());

    let holds = parent == 0 && children == jobs.len() && correct == jobs.len();
    let evidence = format!(
        "{workers} worker processes appended {} items to their global list; concbench's list after them: [] ({parent} items); \
         results arrived over pipes ({correct}/{} correct). {workers} threads appending to one global list: {threads_len} items in it. \
         What isolation costs in memory: {} per worker process against {} per thread",
        out.child_appends
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("+"),
        jobs.len(),
        per_worker(processes_mem.peak_bytes, workers),
        per_worker(threads_mem.peak_bytes, workers),
    );
    Ok(if holds && threads_len == jobs.len() {
        row(
            "C4",
            "rust-processes",
            evidence,
            Verdict::Holds,
            "each child changed only its own copy; the results needed IPC (pipes), while threads' appends are shared",
        )
    } else {
        row(
            "C4",
            "rust-processes",
            evidence,
            Verdict::DoesNotHold,
            "the parent saw the children's appends, or results were lost",
        )
    })
}

/// Each job of the C4 demonstrations: long enough for a few memory samples of every worker.
const HOLD: WorkUnit = WorkUnit::sleep(Duration::from_millis(20));

/// `bytes` over `workers`, in words: "1.2 MiB", "24 KiB".
fn per_worker(bytes: u64, workers: usize) -> String {
    super::bytes_text(bytes / workers.max(1) as u64)
}

#[derive(Deserialize)]
struct MemoryDemo {
    processes: MemoryProcesses,
    threads: MemoryThreads,
    /// Peak memory of each half, in KiB, measured by the interpreter itself.
    memory_kib: MemoryPeaks,
}

#[derive(Deserialize)]
struct MemoryPeaks {
    processes: u64,
    threads: u64,
}

#[derive(Deserialize)]
struct MemoryProcesses {
    parent_result: Vec<String>,
    child_lengths: Vec<usize>,
    via_queue: Vec<String>,
    exitcodes: Vec<i32>,
}

#[derive(Deserialize)]
struct MemoryThreads {
    parent_result: Vec<String>,
}

/// C4 in CPython: the tutorial itself (children append to `result`, the parent prints
/// `result []`), plus the results that came back over a Queue and the threads' contrast.
pub fn c4_python(interp: &Interpreter, workers: usize) -> Result<ClaimRow> {
    let jobs = tutorial_jobs();
    let mut reference: Vec<String> = reference_results(&jobs)
        .iter()
        .map(i128::to_string)
        .collect();
    let d: MemoryDemo = python_demo(
        interp,
        "demo-memory",
        serde_json::json!({ "jobs": jobs_json(&jobs), "workers": workers }),
    )?;
    let mut via_queue = d.processes.via_queue.clone();
    via_queue.sort();
    reference.sort();
    let children: usize = d.processes.child_lengths.iter().sum();
    let holds = d.processes.parent_result.is_empty()
        && children == jobs.len()
        && via_queue == reference
        && d.processes.exitcodes.iter().all(|&c| c == 0);
    let evidence = format!(
        "{workers} multiprocessing.Process appended {} items to the global `result`; then the parent printed: result [{}]; \
         the results came back only through a multiprocessing.Queue ({}/{}). {workers} threading.Thread: result has {} items. \
         What isolation costs in memory: {} per worker process (fork) against {} per thread",
        d.processes
            .child_lengths
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("+"),
        d.processes.parent_result.join(", "),
        via_queue.len(),
        jobs.len(),
        d.threads.parent_result.len(),
        per_worker(d.memory_kib.processes * 1024, workers),
        per_worker(d.memory_kib.threads * 1024, workers),
    );
    Ok(if holds && d.threads.parent_result.len() == jobs.len() {
        row(
            "C4",
            "cpython-multiprocessing",
            evidence,
            Verdict::Holds,
            "as in the tutorial: `result []` in the parent; results need IPC (a Queue), while threads share the list",
        )
    } else {
        row(
            "C4",
            "cpython-multiprocessing",
            evidence,
            Verdict::DoesNotHold,
            "the parent saw the children's appends, or results were lost",
        )
    })
}

#[derive(Deserialize)]
struct SubinterpreterDemo {
    module: Option<String>,
    parent_result: Vec<String>,
    child_lengths: Vec<usize>,
    via_queue: Vec<String>,
}

/// C4 for CPython's subinterpreters (3.13+): each appends to its own global `result`, the main
/// interpreter's stays empty, results come back only over a cross-interpreter queue. On an
/// interpreter without them, a row that says why it was not checked.
pub fn c4_python_interpreters(interp: &Interpreter, workers: usize) -> Result<ClaimRow> {
    const SUBJECT: &str = "cpython-interpreters";
    if interp.info.subinterpreters.is_none() {
        let mut r = row(
            "C4",
            SUBJECT,
            "not measured".into(),
            Verdict::Inconclusive,
            "",
        );
        r.reason = format!(
            "not checked: CPython {} has no subinterpreters with their own GIL (3.13+; pass one with --python)",
            interp.info.version
        );
        return Ok(r);
    }
    let jobs = tutorial_jobs();
    let reference: Vec<String> = reference_results(&jobs)
        .iter()
        .map(i128::to_string)
        .collect();
    let d: SubinterpreterDemo = python_demo(
        interp,
        "demo-subinterpreters",
        serde_json::json!({ "jobs": jobs_json(&jobs), "workers": workers }),
    )?;
    let appended: usize = d.child_lengths.iter().sum();
    let holds = d.parent_result.is_empty() && appended == jobs.len() && d.via_queue == reference;
    let correct = d
        .via_queue
        .iter()
        .zip(&reference)
        .filter(|(a, b)| a == b)
        .count();
    let evidence = format!(
        "{} subinterpreters ({}, a GIL each) appended {} items to their global `result`; then the main interpreter's: result [{}]; \
         the results came back only through a cross-interpreter queue ({correct}/{} correct)",
        d.child_lengths.len(),
        d.module.as_deref().unwrap_or("?"),
        d.child_lengths
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("+"),
        d.parent_result.join(", "),
        jobs.len(),
    );
    Ok(if holds {
        row(
            "C4",
            SUBJECT,
            evidence,
            Verdict::Holds,
            "subinterpreters share no objects: each changed only its own list; the results needed a queue",
        )
    } else {
        row(
            "C4",
            SUBJECT,
            evidence,
            Verdict::DoesNotHold,
            "the main interpreter saw a subinterpreter's appends, or results were lost",
        )
    })
}
