//! Demonstrations behind C4 (processes share no memory) and C5 (a crash or a leak in one
//! process does not hurt another), each with threads as the contrast.
//!
//! Everything that could take a process down runs in a child: the worker processes (the hidden
//! `worker` subcommand, with its `--fault crash@1`), the hidden `claim-probe` subcommand
//! ([`probe_main`], in [`probe`]) for what threads do inside one process, and the Python
//! script's demo modes. concbench itself only watches, reads /proc and reaps.
//!
//! [`c4`] and [`c5`] hold one claim each, processes beside their threads contrast; this module
//! holds what they share.

mod c4;
mod c5;
mod probe;

use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Deserialize;

use crate::claim::Verdict;
use crate::error::{Error, Result};
use crate::records::ClaimRow;
use crate::strategy::StrategyContext;
use crate::strategy::python::Interpreter;
use crate::workload::{Job, jobs_for};
pub use c4::{c4_python, c4_python_interpreters, c4_rust};
pub use c5::{c5_python, c5_rust_processes, c5_rust_threads};
pub use probe::probe_main;

/// Memory the leak demonstrations leak, in MiB.
pub const LEAK_MIB: u64 = 64;

fn row(claim: &str, subject: &str, evidence: String, verdict: Verdict, reason: &str) -> ClaimRow {
    ClaimRow {
        claim: claim.into(),
        statement: crate::claim::statement(claim).into(),
        subject: subject.into(),
        evidence,
        verdict: verdict.to_string(),
        reason: reason.into(),
        level_achieved: None,
        interval_kind: String::new(),
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

/// Bytes in words, to one decimal: "1.2 MiB", "24.0 KiB".
fn bytes_text(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

fn spawn_self(ctx: &StrategyContext, args: &[&str]) -> Result<std::process::Child> {
    Command::new(&ctx.concbench_exe)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            Error::Measurement(format!("cannot start {}: {e}", ctx.concbench_exe.display()))
        })
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
    let run = interp
        .run_mode(mode, &request.to_string(), Duration::from_secs(60))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_rss_is_readable() {
        assert!(vm_rss_kib(None).unwrap_or(0) > 0);
    }
}
