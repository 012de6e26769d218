//! C5, a crash or a leak in one process does not hurt another: an abort and a leak in one
//! process beside its siblings, and the same in one thread of a process as the contrast.

use std::io::{BufRead, BufReader, Read, Write};
use std::time::Duration;

use serde::Deserialize;

use super::probe::{field, probe};
use super::{LEAK_MIB, jobs_json, mib, python_demo, row, spawn_self, tutorial_jobs, vm_rss_kib};
use crate::claim::Verdict;
use crate::error::{Error, Result};
use crate::measure::memory::{self, MemoryPeak, MemoryWatch};
use crate::measure::usage::reap;
use crate::records::ClaimRow;
use crate::strategy::python::Interpreter;
use crate::strategy::{self, StrategyContext};
use crate::workload::{Job, WorkUnit, reference_results};

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
        if writeln!(stdin, "jobs {i} {} {}", job.task.name(), job.number).is_err()
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

/// What became of three workers, one of which aborts at its first job.
struct Crash {
    /// How the worker that aborted ended.
    status: String,
    crashed: bool,
    /// Its siblings' correct results, of how many they were given.
    sibling_ok: usize,
    sibling_expected: usize,
    siblings_fine: bool,
}

/// Three workers through the worker protocol, each with its share of the jobs; worker 1 has
/// `--fault crash@1` and aborts at its first job.
fn crash_beside_siblings(ctx: &StrategyContext, jobs: &[Job]) -> Result<Crash> {
    let reference = reference_results(jobs);
    let workers = 3;
    let share = |w: usize| -> Vec<usize> { (w..jobs.len()).step_by(workers).collect() };
    let mut children = Vec::new();
    for w in 0..workers {
        let index = w.to_string();
        children.push(spawn_self(
            ctx,
            &["worker", "--index", &index, "--fault", "crash@1"],
        )?);
    }
    let pids: Vec<u32> = children.iter().map(|c| c.id()).collect();
    let unit = WorkUnit::sleep(Duration::from_millis(5));
    let driven: Vec<Driven> = std::thread::scope(|s| {
        let handles: Vec<_> = children
            .iter_mut()
            .enumerate()
            .map(|(w, child)| s.spawn(move || drive(child, jobs, &share(w), unit)))
            .collect();
        let lost = || Driven {
            results: Vec::new(),
            finished: false,
        };
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| lost()))
            .collect()
    });
    let reaped = pids.iter().map(|&p| reap(p)).collect::<Result<Vec<_>>>()?;
    // Worker 1 is the one `crash@1` aborts.
    let siblings = [0, 2];
    let correct = |w: usize| {
        let results = &driven[w].results;
        results
            .iter()
            .filter(|(i, v)| reference.get(*i) == Some(v))
            .count()
    };
    Ok(Crash {
        status: reaped[1].status_text(),
        crashed: libc::WIFSIGNALED(reaped[1].status)
            && libc::WTERMSIG(reaped[1].status) == libc::SIGABRT,
        sibling_ok: siblings.iter().map(|&w| correct(w)).sum(),
        sibling_expected: siblings.iter().map(|&w| share(w).len()).sum(),
        siblings_fine: siblings
            .iter()
            .all(|&w| driven[w].finished && reaped[w].success()),
    })
}

/// What became of a child that leaked, of a trial beside it, and of concbench.
struct Leak {
    leaker_rss: u64,
    leaker_status: String,
    /// The leaker's exit was a success, and it held the leak until then.
    leaker_fine: bool,
    gone: bool,
    sibling_ok: bool,
    rss_before: u64,
    rss_after: u64,
    parent_unharmed: bool,
    /// The whole demonstration measured as a trial is: the leaker's peak PSS, and concbench's
    /// own peak growth meanwhile.
    memory: MemoryPeak,
}

/// A child holds [`LEAK_MIB`] while a pair of `processes` workers does a trial beside it, then
/// exits with its leak.
fn leak_beside_a_trial(ctx: &StrategyContext, jobs: &[Job]) -> Result<Leak> {
    let watch = MemoryWatch::start(memory::DEFAULT_INTERVAL);
    watch.begin(true);
    let rss_before = vm_rss_kib(None).unwrap_or(0);
    let mut leaker = spawn_self(ctx, &["claim-probe", "leak", &LEAK_MIB.to_string()])?;
    let leaker_pid = leaker.id();
    let mut line = String::new();
    let mut leaker_out = BufReader::new(leaker.stdout.take().expect("piped"));
    let _ = leaker_out.read_line(&mut line);
    let leaker_rss = vm_rss_kib(Some(leaker_pid)).unwrap_or(0);
    let mut sibling = (strategy::find("processes")?.build)(2, ctx)?;
    let sibling_out = sibling.run(jobs, WorkUnit::sleep(Duration::from_millis(2)));
    drop(leaker.stdin.take()); // EOF: the leaker exits with its leak
    let mut rest = String::new();
    let _ = leaker_out.read_to_string(&mut rest);
    let leaker_reaped = reap(leaker_pid);
    let memory = watch.end();
    let leaker_reaped = leaker_reaped?;
    let gone = !std::path::Path::new(&format!("/proc/{leaker_pid}")).exists();
    let rss_after = vm_rss_kib(None).unwrap_or(0);
    let leak_kib = LEAK_MIB * 1024;
    Ok(Leak {
        leaker_rss,
        leaker_status: leaker_reaped.status_text(),
        leaker_fine: leaker_rss >= leak_kib * 9 / 10
            && leaker_reaped.max_rss_kib >= leak_kib * 9 / 10
            && leaker_reaped.success(),
        gone,
        sibling_ok: sibling_out.is_ok_and(|o| o.results == reference_results(jobs)),
        rss_before,
        rss_after,
        parent_unharmed: rss_after < rss_before + leak_kib / 4
            && memory.own_bytes < leak_kib * 1024 / 4,
        memory,
    })
}

/// C5 with Rust processes: one of three workers aborts at its first job while its siblings
/// finish; a child that leaks 64 MiB gives it all back when it exits.
pub fn c5_rust_processes(ctx: &StrategyContext) -> Result<ClaimRow> {
    let jobs = tutorial_jobs();
    let crash = crash_beside_siblings(ctx, &jobs)?;
    let leak = leak_beside_a_trial(ctx, &jobs)?;
    let evidence = format!(
        "worker 1 of 3 {} at its first job; workers 0 and 2 finished and {}/{} of their results arrived correct. \
         A child leaked {LEAK_MIB} MiB (its RSS {}); a 2-process trial beside it {}; after it exited (status: {}) {}, and concbench's RSS went {} -> {}. \
         In one measurement: the leaking child's peak {} (PSS), concbench's own peak growth {}",
        crash.status,
        crash.sibling_ok,
        crash.sibling_expected,
        mib(leak.leaker_rss),
        if leak.sibling_ok {
            "returned correct results"
        } else {
            "FAILED"
        },
        leak.leaker_status,
        if leak.gone {
            "the process and its memory were gone"
        } else {
            "the process was still listed"
        },
        mib(leak.rss_before),
        mib(leak.rss_after),
        super::bytes_text(leak.memory.largest_new_bytes),
        super::bytes_text(leak.memory.own_bytes),
    );
    let holds = crash.crashed
        && crash.siblings_fine
        && crash.sibling_ok == crash.sibling_expected
        && leak.leaker_fine
        && leak.sibling_ok
        && leak.parent_unharmed;
    let (verdict, reason) = if holds {
        (
            Verdict::Holds,
            "the abort killed only its own process and the leak ended with its process: separate address spaces",
        )
    } else {
        (
            Verdict::DoesNotHold,
            "a crash or leak in one process reached its siblings or the parent",
        )
    };
    Ok(row("C5", "rust-processes", evidence, verdict, reason))
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
    /// The leaking child's peak PSS and the parent's own peak growth, from one measurement by
    /// the interpreter (absent from an older script).
    #[serde(default)]
    largest_child_pss_kib: Option<u64>,
    #[serde(default)]
    parent_peak_growth_kib: Option<u64>,
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
    let processes_row = multiprocessing_row(&d.processes);
    let threads_row = threading_row(interp, &jobs, &d.threads)?;
    Ok(vec![processes_row, threads_row])
}

/// C5's row for multiprocessing, from what the isolation demo saw.
fn multiprocessing_row(p: &IsolationProcesses) -> ClaimRow {
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
    let parent_unharmed =
        pa < pb + leak_kib / 4 && p.parent_peak_growth_kib.unwrap_or(0) < leak_kib / 4;
    let holds = aborted
        && others_ok
        && p.sibling_results_ok == p.sibling_results_expected
        && leak_held
        && parent_unharmed;
    row(
        "C5",
        "cpython-multiprocessing",
        format!(
            "child 1 of 3 called os.abort() (exit codes {:?}); the other children's results arrived over the Queue: {}/{}; \
             the child that leaked {LEAK_MIB} MiB (its RSS {}) exited, the parent's RSS went {} -> {}; \
             in one measurement: the leaking child's peak {} (PSS), the parent's own peak growth {}",
            p.exitcodes
                .iter()
                .map(|c| c.map_or("none".into(), |c| c.to_string()))
                .collect::<Vec<_>>(),
            p.sibling_results_ok,
            p.sibling_results_expected,
            mib(p.leaker_rss_kib.unwrap_or(0)),
            mib(pb),
            mib(pa),
            super::bytes_text(p.largest_child_pss_kib.unwrap_or(0) * 1024),
            super::bytes_text(p.parent_peak_growth_kib.unwrap_or(0) * 1024),
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
    )
}

/// C5's row for threading: a separate interpreter whose thread calls os.abort(), and what the
/// isolation demo's threads saw.
fn threading_row(interp: &Interpreter, jobs: &[Job], t: &IsolationThreads) -> Result<ClaimRow> {
    let abort = interp.run_mode("demo-thread-abort",
        &serde_json::json!({ "jobs": jobs_json(jobs), "workers": 3, "unit": { "sleep_s": 0.02 } })
            .to_string(),
        Duration::from_secs(60),
    )
    .map_err(|e| Error::Measurement(format!("python demo-thread-abort: {e}")))?;
    let abort_killed_all = !abort.reaped.success() && !abort.stdout.contains("results");
    let (tb, ta) = (
        t.rss_before_leak_kib.unwrap_or(0),
        t.rss_after_leak_kib.unwrap_or(0),
    );
    let leak_stayed = ta >= tb + LEAK_MIB * 1024 * 9 / 10;
    Ok(row(
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
    ))
}
