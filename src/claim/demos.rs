//! Demonstrations behind C4 (processes share no memory) and C5 (a crash or a leak in one
//! process does not hurt another), each with threads as the contrast.
//!
//! Everything that could take a process down runs in a child: the worker processes (the hidden
//! `worker` subcommand, with its `--fault crash@1`), the hidden `claim-probe` subcommand
//! ([`probe_main`]) for what threads do inside one process, and the Python script's demo modes.
//! concbench itself only watches, reads /proc and reaps.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;

use super::Verdict;
use crate::error::{Error, Result};
use crate::measure::usage::reap;
use crate::records::ClaimRow;
use crate::strategy::python::{Interpreter, run_script};
use crate::strategy::{self, StrategyContext};
use crate::worker;
use crate::workload::{Job, WorkUnit, jobs_for, reference_results, run_job};

/// Memory the leak demonstrations leak, in MiB.
pub const LEAK_MIB: u64 = 64;

/// The tutorial's list, for the threads' side of C4: threads of concbench append to it.
static THREAD_RESULT: Mutex<Vec<i128>> = Mutex::new(Vec::new());

fn row(claim: &str, subject: &str, evidence: String, verdict: Verdict, reason: &str) -> ClaimRow {
    ClaimRow {
        claim: claim.into(),
        statement: super::statement(claim).into(),
        subject: subject.into(),
        evidence,
        verdict: verdict.to_string(),
        reason: reason.into(),
    }
}

fn tutorial_jobs() -> Vec<Job> {
    jobs_for(&[2, 3, 8, 9])
}

/// VmRSS of a process (`None`: this one), in KiB.
pub fn vm_rss_kib(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".into(),
    };
    std::fs::read_to_string(path).ok()?.lines().find_map(|l| {
        l.strip_prefix("VmRSS:")
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    })
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

/// C4 in Rust: the processes strategy's children append to their own global list; concbench's
/// copy stays empty. Threads of one process append to the one list.
pub fn c4_rust(ctx: &StrategyContext, workers: usize) -> Result<ClaimRow> {
    let jobs = tutorial_jobs();
    let reference = reference_results(&jobs);
    let mut p = (strategy::find("processes")?.build)(workers, ctx)?;
    let out = p.run(&jobs, WorkUnit::Sleep(Duration::from_millis(1)))?;
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
    std::thread::scope(|s| {
        for w in 0..workers {
            let jobs = &jobs;
            s.spawn(move || {
                for job in jobs.iter().skip(w).step_by(workers) {
                    let v = run_job(*job, WorkUnit::Sleep(Duration::from_millis(1)));
                    THREAD_RESULT
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(v);
                }
            });
        }
    });
    let mut threads_len = 0;
    list(&mut |l| threads_len = l.len());

    let holds = parent == 0 && children == jobs.len() && correct == jobs.len();
    let evidence = format!(
        "{workers} worker processes appended {} items to their global list; concbench's list after them: [] ({parent} items); \
         results arrived over pipes ({correct}/{} correct). {workers} threads appending to one global list: {threads_len} items in it",
        out.child_appends
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("+"),
        jobs.len()
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

#[derive(Deserialize)]
struct MemoryDemo {
    processes: MemoryProcesses,
    threads: MemoryThreads,
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

fn jobs_json(jobs: &[Job]) -> serde_json::Value {
    serde_json::json!(
        jobs.iter()
            .map(|j| (j.task.name(), j.number))
            .collect::<Vec<_>>()
    )
}

fn python_demo<T: for<'de> Deserialize<'de>>(
    interp: &Interpreter,
    mode: &str,
    request: serde_json::Value,
) -> Result<T> {
    let run = run_script(
        &interp.exe,
        &interp.script,
        mode,
        &request.to_string(),
        Duration::from_secs(60),
    )
    .map_err(|e| Error::Measurement(format!("python {mode}: {e}")))?;
    if !run.reaped.success() {
        return Err(Error::Measurement(format!(
            "python {mode} {}: {}",
            run.reaped.status_text(),
            run.stderr_tail
        )));
    }
    serde_json::from_str(run.stdout.trim()).map_err(|e| {
        Error::Measurement(format!(
            "python {mode} answered '{}': {e}",
            run.stdout.trim().chars().take(80).collect::<String>()
        ))
    })
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
         the results came back only through a multiprocessing.Queue ({}/{}). {workers} threading.Thread: result has {} items",
        d.processes
            .child_lengths
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("+"),
        d.processes.parent_result.join(", "),
        via_queue.len(),
        jobs.len(),
        d.threads.parent_result.len()
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

/// One worker process driven through the worker protocol with a fixed share of the jobs.
struct Driven {
    results: Vec<(usize, i128)>,
    finished: bool,
}

fn drive(child: &mut std::process::Child, jobs: &[Job], share: &[usize], unit: WorkUnit) -> Driven {
    let mut out = Driven {
        results: Vec::new(),
        finished: false,
    };
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return out;
    };
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    let mut next = |line: &mut String| {
        line.clear();
        matches!(reader.read_line(line), Ok(n) if n > 0)
    };
    if !next(&mut line) || writeln!(stdin, "unit {}", unit.encode()).is_err() {
        return out;
    }
    for &i in share {
        let job = jobs[i];
        if writeln!(stdin, "job {i} {} {}", job.task.name(), job.number).is_err()
            || stdin.flush().is_err()
            || !next(&mut line)
        {
            return out;
        }
        let mut w = line.split_whitespace();
        if let (Some("done"), Some(idx), Some(v)) = (w.next(), w.next(), w.next())
            && let (Ok(idx), Ok(v)) = (idx.parse(), v.parse())
        {
            out.results.push((idx, v));
        }
    }
    drop(stdin);
    out.finished = next(&mut line) && line.starts_with("bye ");
    out
}

fn spawn_self(ctx: &StrategyContext, args: &[&str]) -> Result<std::process::Child> {
    Command::new(&ctx.worker_exe)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::Measurement(format!("cannot start {}: {e}", ctx.worker_exe.display())))
}

/// C5 with Rust processes: one of three workers aborts at its first job while its siblings
/// finish; a child that leaks 64 MiB gives it all back when it exits.
pub fn c5_rust_processes(ctx: &StrategyContext) -> Result<ClaimRow> {
    let jobs = tutorial_jobs();
    let reference = reference_results(&jobs);
    let workers = 3;
    let mut children = Vec::new();
    for w in 0..workers {
        let index = w.to_string();
        children.push(spawn_self(
            ctx,
            &["worker", "--index", &index, "--fault", "crash@1"],
        )?);
    }
    let pids: Vec<u32> = children.iter().map(|c| c.id()).collect();
    let unit = WorkUnit::Sleep(Duration::from_millis(5));
    let driven: Vec<Driven> = std::thread::scope(|s| {
        let handles: Vec<_> = children
            .iter_mut()
            .enumerate()
            .map(|(w, child)| {
                let jobs = &jobs;
                s.spawn(move || {
                    let share: Vec<usize> = (w..jobs.len()).step_by(workers).collect();
                    drive(child, jobs, &share, unit)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or(Driven {
                    results: Vec::new(),
                    finished: false,
                })
            })
            .collect()
    });
    let reaped = pids.iter().map(|&p| reap(p)).collect::<Result<Vec<_>>>()?;
    let crashed =
        libc::WIFSIGNALED(reaped[1].status) && libc::WTERMSIG(reaped[1].status) == libc::SIGABRT;
    let sibling_expected: usize = (0..workers)
        .filter(|&w| w != 1)
        .map(|w| (w..jobs.len()).step_by(workers).count())
        .sum();
    let sibling_ok: usize = (0..workers)
        .filter(|&w| w != 1)
        .map(|w| {
            driven[w]
                .results
                .iter()
                .filter(|(i, v)| reference.get(*i) == Some(v))
                .count()
        })
        .sum();
    let siblings_fine = (0..workers)
        .filter(|&w| w != 1)
        .all(|w| driven[w].finished && reaped[w].success());

    // The leak: a child holds 64 MiB while a sibling pair of workers does a trial.
    let rss_before = vm_rss_kib(None).unwrap_or(0);
    let mut leaker = spawn_self(ctx, &["claim-probe", "leak", &LEAK_MIB.to_string()])?;
    let leaker_pid = leaker.id();
    let mut line = String::new();
    let mut leaker_out = BufReader::new(leaker.stdout.take().expect("piped"));
    let _ = leaker_out.read_line(&mut line);
    let leaker_rss = vm_rss_kib(Some(leaker_pid)).unwrap_or(0);
    let mut sibling = (strategy::find("processes")?.build)(2, ctx)?;
    let sibling_out = sibling.run(&jobs, WorkUnit::Sleep(Duration::from_millis(2)));
    drop(leaker.stdin.take()); // EOF: the leaker exits with its leak
    let mut rest = String::new();
    let _ = leaker_out.read_to_string(&mut rest);
    let leaker_reaped = reap(leaker_pid)?;
    let gone = !std::path::Path::new(&format!("/proc/{leaker_pid}")).exists();
    let rss_after = vm_rss_kib(None).unwrap_or(0);
    let sibling_ok_leak = sibling_out.is_ok_and(|o| o.results == reference);
    let leak_kib = LEAK_MIB * 1024;
    let leak_held =
        leaker_rss >= leak_kib * 9 / 10 && leaker_reaped.max_rss_kib >= leak_kib * 9 / 10;
    let parent_unharmed = rss_after < rss_before + leak_kib / 4;

    let evidence = format!(
        "worker 1 of 3 {} at its first job; workers 0 and 2 finished and {sibling_ok}/{sibling_expected} of their results arrived correct. \
         A child leaked {LEAK_MIB} MiB (its RSS {}); a 2-process trial beside it {}; after it exited (status: {}) {}, and concbench's RSS went {} -> {}",
        reaped[1].status_text(),
        mib(leaker_rss),
        if sibling_ok_leak {
            "returned correct results"
        } else {
            "FAILED"
        },
        leaker_reaped.status_text(),
        if gone {
            "the process and its memory were gone"
        } else {
            "the process was still listed"
        },
        mib(rss_before),
        mib(rss_after)
    );
    let holds = crashed
        && siblings_fine
        && sibling_ok == sibling_expected
        && leak_held
        && sibling_ok_leak
        && leaker_reaped.success()
        && parent_unharmed;
    Ok(if holds {
        row(
            "C5",
            "rust-processes",
            evidence,
            Verdict::Holds,
            "the abort killed only its own process and the leak ended with its process: separate address spaces",
        )
    } else {
        row(
            "C5",
            "rust-processes",
            evidence,
            Verdict::DoesNotHold,
            "a crash or leak in one process reached its siblings or the parent",
        )
    })
}

/// What a `claim-probe` child printed and how it ended.
struct Probe {
    stdout: String,
    status: crate::measure::usage::Reaped,
}

fn probe(ctx: &StrategyContext, args: &[&str]) -> Result<Probe> {
    let mut child = spawn_self(ctx, &[&["claim-probe"], args].concat())?;
    let pid = child.id();
    drop(child.stdin.take());
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    Ok(Probe {
        stdout,
        status: reap(pid)?,
    })
}

fn field(text: &str, key: &str) -> Option<u64> {
    text.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
}

/// C5's contrast in Rust: an abort, a panic and a leak in one thread of a process (a child
/// of concbench, so concbench survives).
pub fn c5_rust_threads(ctx: &StrategyContext) -> Result<ClaimRow> {
    let abort = probe(ctx, &["threads-abort"])?;
    let panic = probe(ctx, &["threads-panic"])?;
    let leak = probe(ctx, &["threads-leak", &LEAK_MIB.to_string()])?;
    let abort_killed_all = !abort.status.success() && !abort.stdout.contains("results");
    let panic_contained = panic.status.success() && panic.stdout.contains("survived");
    let before = field(&leak.stdout, "rss_before_kib").unwrap_or(0);
    let after = field(&leak.stdout, "rss_after_kib").unwrap_or(0);
    let leak_stayed = after >= before + LEAK_MIB * 1024 * 9 / 10;
    let evidence = format!(
        "abort in 1 of 3 threads: the whole process {}, no sibling result arrived; panic in 1 of 3 threads: {}; \
         {LEAK_MIB} MiB leaked by a thread that ended: process RSS {} -> {}",
        abort.status.status_text(),
        if panic_contained {
            format!(
                "process survived, siblings' results {}/{} arrived, the Mutex it held is {}",
                field(&panic.stdout, "siblings_ok").unwrap_or(0),
                field(&panic.stdout, "expected").unwrap_or(0),
                if panic.stdout.contains("poisoned=true") {
                    "poisoned"
                } else {
                    "fine"
                }
            )
        } else {
            format!("the process {}", panic.status.status_text())
        },
        mib(before),
        mib(after)
    );
    let (verdict, reason) = if abort_killed_all || leak_stayed {
        (
            Verdict::DoesNotHold,
            "threads share one process: an abort kills every thread and a leak stays until the process exits; only a panic stays in its thread",
        )
    } else {
        (
            Verdict::Holds,
            "the abort and the leak stayed within their thread (unexpected for threads)",
        )
    };
    Ok(row("C5", "rust-threads", evidence, verdict, reason))
}

#[derive(Deserialize)]
struct IsolationDemo {
    processes: IsolationProcesses,
    threads: IsolationThreads,
}

#[derive(Deserialize)]
struct IsolationProcesses {
    exitcodes: Vec<Option<i32>>,
    sibling_results_ok: usize,
    sibling_results_expected: usize,
    leaker_rss_kib: Option<u64>,
    parent_rss_before_kib: Option<u64>,
    parent_rss_after_kib: Option<u64>,
}

#[derive(Deserialize)]
struct IsolationThreads {
    exceptions: Vec<String>,
    sibling_results_ok: usize,
    sibling_results_expected: usize,
    rss_before_leak_kib: Option<u64>,
    rss_after_leak_kib: Option<u64>,
}

/// C5 in CPython: multiprocessing (one child calls os.abort(), one leaks) and threading (one
/// raises, one calls os.abort() in a separate interpreter, one leaks).
pub fn c5_python(interp: &Interpreter) -> Result<Vec<ClaimRow>> {
    let jobs = tutorial_jobs();
    let unit = serde_json::json!({ "sleep_s": 0.005 });
    let d: IsolationDemo = python_demo(
        interp,
        "demo-isolation",
        serde_json::json!({ "jobs": jobs_json(&jobs), "workers": 3, "unit": unit, "leak_mib": LEAK_MIB }),
    )?;
    let p = &d.processes;
    let leak_kib = LEAK_MIB * 1024;
    let aborted = p.exitcodes.get(1) == Some(&Some(-libc::SIGABRT));
    let others_ok = p
        .exitcodes
        .iter()
        .enumerate()
        .all(|(i, c)| i == 1 || *c == Some(0));
    let leak_held = p.leaker_rss_kib.unwrap_or(0) >= leak_kib * 9 / 10;
    let (pb, pa) = (
        p.parent_rss_before_kib.unwrap_or(0),
        p.parent_rss_after_kib.unwrap_or(0),
    );
    let parent_unharmed = pa < pb + leak_kib / 4;
    let holds = aborted
        && others_ok
        && p.sibling_results_ok == p.sibling_results_expected
        && leak_held
        && parent_unharmed;
    let processes_row = row(
        "C5",
        "cpython-multiprocessing",
        format!(
            "child 1 of 3 called os.abort() (exit codes {:?}); the other children's results arrived over the Queue: {}/{}; \
             the child that leaked {LEAK_MIB} MiB (its RSS {}) exited, the parent's RSS went {} -> {}",
            p.exitcodes
                .iter()
                .map(|c| c.map_or("none".into(), |c| c.to_string()))
                .collect::<Vec<_>>(),
            p.sibling_results_ok,
            p.sibling_results_expected,
            mib(p.leaker_rss_kib.unwrap_or(0)),
            mib(pb),
            mib(pa)
        ),
        if holds {
            Verdict::Holds
        } else {
            Verdict::DoesNotHold
        },
        if holds {
            "the abort and the leak stayed in their own processes"
        } else {
            "a crash or leak in one child reached its siblings or the parent"
        },
    );

    let abort = run_script(
        &interp.exe,
        &interp.script,
        "demo-thread-abort",
        &serde_json::json!({ "jobs": jobs_json(&jobs), "workers": 3, "unit": { "sleep_s": 0.02 } })
            .to_string(),
        Duration::from_secs(60),
    )
    .map_err(|e| Error::Measurement(format!("python demo-thread-abort: {e}")))?;
    let t = &d.threads;
    let abort_killed_all = !abort.reaped.success() && !abort.stdout.contains("results");
    let (tb, ta) = (
        t.rss_before_leak_kib.unwrap_or(0),
        t.rss_after_leak_kib.unwrap_or(0),
    );
    let leak_stayed = ta >= tb + leak_kib * 9 / 10;
    let threads_row = row(
        "C5",
        "cpython-threads",
        format!(
            "os.abort() in 1 of 3 threads: the interpreter {}, no result arrived; {} raised in 1 of 3 threads: it stayed there, \
             siblings' results {}/{}; {LEAK_MIB} MiB kept by a thread that ended: RSS {} -> {}",
            abort.reaped.status_text(),
            t.exceptions.first().map_or("an exception", String::as_str),
            t.sibling_results_ok,
            t.sibling_results_expected,
            mib(tb),
            mib(ta)
        ),
        if abort_killed_all || leak_stayed {
            Verdict::DoesNotHold
        } else {
            Verdict::Holds
        },
        if abort_killed_all || leak_stayed {
            "threads share one interpreter: an abort ends all of them and a leak stays; an exception stays in its thread"
        } else {
            "the abort and the leak stayed within their thread (unexpected for threads)"
        },
    );
    Ok(vec![processes_row, threads_row])
}

/// The hidden `claim-probe` subcommand: misbehave in a controlled way inside this (child)
/// process. Returns the exit code.
pub fn probe_main(args: &[String]) -> i32 {
    let jobs = tutorial_jobs();
    let workers = 3;
    let share = |w: usize| -> Vec<Job> { jobs.iter().skip(w).step_by(workers).copied().collect() };
    let leak_mib = |i: usize| -> Option<u64> { args.get(i)?.parse().ok() };
    match args.first().map(String::as_str) {
        Some("leak") => {
            let Some(mib) = leak_mib(1) else { return 2 };
            // Touched (non-zero) so every page is resident, then leaked.
            let leaked: &'static mut [u8] = Vec::leak(vec![1u8; (mib as usize) << 20]);
            std::hint::black_box(&leaked);
            println!(
                "leaked_kib={} rss_kib={}",
                mib * 1024,
                vm_rss_kib(None).unwrap_or(0)
            );
            let _ = std::io::stdout().flush();
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
            0
        }
        Some("threads-abort") => {
            let unit = WorkUnit::Sleep(Duration::from_millis(20));
            let results: Vec<i128> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..workers)
                    .map(|w| {
                        let mine = share(w);
                        s.spawn(move || {
                            if w == 1 {
                                std::process::abort();
                            }
                            mine.iter().map(|&j| run_job(j, unit)).collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .filter_map(|h| h.join().ok())
                    .flatten()
                    .collect()
            });
            println!("results={}", results.len());
            0
        }
        Some("threads-panic") => {
            std::panic::set_hook(Box::new(|_| {}));
            let unit = WorkUnit::Sleep(Duration::from_millis(5));
            let shared = Mutex::new(Vec::<i128>::new());
            let outcomes: Vec<std::thread::Result<Vec<i128>>> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..workers)
                    .map(|w| {
                        let (mine, shared) = (share(w), &shared);
                        s.spawn(move || {
                            if w == 1 {
                                let _held = shared.lock();
                                panic!("an error in one thread");
                            }
                            mine.iter().map(|&j| run_job(j, unit)).collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join()).collect()
            });
            let expected: usize = (0..workers)
                .filter(|&w| w != 1)
                .map(|w| share(w).len())
                .sum();
            let ok: usize = outcomes
                .iter()
                .enumerate()
                .filter(|(w, _)| *w != 1)
                .filter_map(|(w, r)| r.as_ref().ok().map(|v| (w, v)))
                .map(|(w, v)| {
                    let want: Vec<i128> = share(w)
                        .iter()
                        .map(|j| run_job(*j, WorkUnit::Sleep(Duration::ZERO)))
                        .collect();
                    v.iter().zip(&want).filter(|(a, b)| a == b).count()
                })
                .sum();
            println!(
                "survived siblings_ok={ok} expected={expected} panicked={} poisoned={}",
                outcomes.iter().filter(|r| r.is_err()).count(),
                shared.is_poisoned()
            );
            0
        }
        Some("threads-leak") => {
            let Some(mib) = leak_mib(1) else { return 2 };
            let before = vm_rss_kib(None).unwrap_or(0);
            std::thread::spawn(move || {
                let leaked: &'static mut [u8] = Vec::leak(vec![1u8; (mib as usize) << 20]);
                std::hint::black_box(&leaked);
            })
            .join()
            .ok();
            let after = vm_rss_kib(None).unwrap_or(0);
            println!("rss_before_kib={before} rss_after_kib={after}");
            0
        }
        _ => {
            eprintln!(
                "concbench claim-probe: expected leak MIB, threads-abort, threads-panic or threads-leak MIB"
            );
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_parse() {
        assert_eq!(
            field("rss_before_kib=10 rss_after_kib=74000", "rss_after_kib"),
            Some(74000)
        );
        assert_eq!(
            field("survived siblings_ok=5 expected=5", "expected"),
            Some(5)
        );
        assert_eq!(field("nothing", "expected"), None);
    }

    #[test]
    fn own_rss_is_readable() {
        assert!(vm_rss_kib(None).unwrap_or(0) > 0);
    }
}
