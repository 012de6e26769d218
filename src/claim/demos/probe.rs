//! The hidden `claim-probe` subcommand, both sides: the child misbehaves on purpose
//! ([`probe_main`]), the parent runs it and reads what it printed ([`probe`]).

use std::io::{Read, Write};
use std::sync::Mutex;
use std::time::Duration;

use super::{spawn_self, tutorial_jobs, vm_rss_kib};
use crate::error::Result;
use crate::measure::usage::reap;
use crate::strategy::StrategyContext;
use crate::workload::{Job, WorkUnit, run_job};

/// What a `claim-probe` child printed and how it ended.
pub(super) struct Probe {
    pub(super) stdout: String,
    pub(super) status: crate::measure::usage::Reaped,
}

pub(super) fn probe(ctx: &StrategyContext, args: &[&str]) -> Result<Probe> {
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

pub(super) fn field(text: &str, key: &str) -> Option<u64> {
    text.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
}

/// The hidden `claim-probe` subcommand: misbehave in a controlled way inside this (child)
/// process. Returns the exit code.
pub fn probe_main(args: &[String]) -> i32 {
    let leak_mib = |i: usize| -> Option<u64> { args.get(i)?.parse().ok() };
    match (args.first().map(String::as_str), leak_mib(1)) {
        (Some("leak"), Some(mib)) => leak(mib),
        (Some("threads-abort"), _) => threads_abort(),
        (Some("threads-panic"), _) => threads_panic(),
        (Some("threads-leak"), Some(mib)) => threads_leak(mib),
        (Some("leak" | "threads-leak"), None) => 2,
        _ => {
            eprintln!(
                "concbench claim-probe: expected leak MIB, threads-abort, threads-panic or threads-leak MIB"
            );
            2
        }
    }
}

/// The threads of the probes, and the tutorial's jobs of each.
const WORKERS: usize = 3;

fn share(jobs: &[Job], w: usize) -> Vec<Job> {
    jobs.iter().skip(w).step_by(WORKERS).copied().collect()
}

/// Leak `mib` MiB, say so, and hold it until stdin closes.
fn leak(mib: u64) -> i32 {
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

/// One of three threads aborts: the process dies before any result is printed.
fn threads_abort() -> i32 {
    let jobs = tutorial_jobs();
    let unit = WorkUnit::sleep(Duration::from_millis(20));
    let results: Vec<i128> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..WORKERS)
            .map(|w| {
                let mine = share(&jobs, w);
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

/// One of three threads panics holding a Mutex: the others' results, and the poisoning.
fn threads_panic() -> i32 {
    let jobs = tutorial_jobs();
    std::panic::set_hook(Box::new(|_| {}));
    let unit = WorkUnit::sleep(Duration::from_millis(5));
    let shared = Mutex::new(Vec::<i128>::new());
    let outcomes: Vec<std::thread::Result<Vec<i128>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..WORKERS)
            .map(|w| {
                let (mine, shared) = (share(&jobs, w), &shared);
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
    let expected: usize = (0..WORKERS)
        .filter(|&w| w != 1)
        .map(|w| share(&jobs, w).len())
        .sum();
    let ok: usize = outcomes
        .iter()
        .enumerate()
        .filter(|(w, _)| *w != 1)
        .filter_map(|(w, r)| r.as_ref().ok().map(|v| (w, v)))
        .map(|(w, v)| {
            let want: Vec<i128> = share(&jobs, w)
                .iter()
                .map(|j| run_job(*j, WorkUnit::sleep(Duration::ZERO)))
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

/// A thread leaks `mib` MiB and ends: the process's RSS before and after.
fn threads_leak(mib: u64) -> i32 {
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
}
