//! `processes`: N child processes of the concbench binary itself (the hidden `worker`
//! subcommand). Jobs go to the children over their stdin and results come back over their
//! stdout (see `worker.rs` for the protocol); parent and children share no memory.
//!
//! Like `threads`, jobs are handed out from a shared queue: one parent thread drives each
//! child, taking the next job index when its child answers. Spawning, the pipe round trips
//! and reaping all happen inside the timed region: they are what processes cost.
//!
//! Children are reaped with wait4, which reports each child's exact CPU time and peak RSS;
//! the experiment's getrusage(RUSAGE_CHILDREN) delta then includes their CPU time too.
//! A child that dies, hangs past the trial's timeout or writes malformed output is killed
//! and reaped, and the trial fails with an error saying which worker did what.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use super::{Strategy, StrategyContext, StrategyInfo, StrategyOutput};
use crate::error::{Error, Result};
use crate::measure::usage::{Reaped, reap};
use crate::workload::{Job, WorkUnit};

pub const INFO: StrategyInfo = StrategyInfo {
    name: "processes",
    summary: "N child processes fed over pipes (no shared memory)",
    uses_workers: true,
    build: |workers, ctx| {
        Ok(Box::new(Processes {
            workers,
            ctx: ctx.clone(),
        }))
    },
};

pub struct Processes {
    workers: usize,
    ctx: StrategyContext,
}

/// What went wrong while talking to one child.
#[derive(Debug)]
enum Trouble {
    /// The child closed its stdout (it died or exited early).
    Closed,
    /// The child wrote something that is not the protocol.
    Malformed(String),
    /// Writing to the child failed (its stdin is closed: it died).
    Write(std::io::Error),
}

/// What one driver thread learned from its child.
#[derive(Debug, Default)]
struct Conversation {
    reported_pid: Option<u32>,
    results: Vec<(usize, i128)>,
    appended: Option<usize>,
    trouble: Option<Trouble>,
}

impl Strategy for Processes {
    fn name(&self) -> &'static str {
        INFO.name
    }
    fn workers(&self) -> usize {
        self.workers
    }

    fn set_timeout(&mut self, timeout: std::time::Duration) {
        self.ctx.timeout = timeout;
    }

    fn run(&mut self, jobs: &[Job], unit: WorkUnit) -> Result<StrategyOutput> {
        let started = Instant::now();
        let deadline = started + self.ctx.timeout;
        let mut children: Vec<Child> = Vec::with_capacity(self.workers);
        for index in 0..self.workers {
            match self.spawn(index) {
                Ok(child) => children.push(child),
                Err(e) => {
                    kill_and_reap(&children);
                    return Err(e);
                }
            }
        }
        let pids: Vec<u32> = children.iter().map(Child::id).collect();
        let pipes: Vec<(ChildStdin, ChildStdout)> = children
            .iter_mut()
            .map(|c| {
                (
                    c.stdin.take().expect("piped"),
                    c.stdout.take().expect("piped"),
                )
            })
            .collect();

        let next = AtomicUsize::new(0);
        let (tx, rx) = mpsc::channel::<(usize, Conversation)>();
        let mut conversations: Vec<Option<Conversation>> =
            (0..self.workers).map(|_| None).collect();
        let mut timed_out = false;
        // The first worker to report trouble is the cause; the others were killed because of it.
        let mut first_trouble: Option<usize> = None;
        std::thread::scope(|s| {
            for (index, (stdin, stdout)) in pipes.into_iter().enumerate() {
                let (tx, next) = (tx.clone(), &next);
                s.spawn(move || {
                    let conversation = converse(stdin, stdout, jobs, unit, next);
                    let _ = tx.send((index, conversation));
                });
            }
            drop(tx);
            let mut killed = false;
            for _ in 0..self.workers {
                let left = deadline.saturating_duration_since(Instant::now());
                match rx.recv_timeout(left) {
                    Ok((index, conversation)) => {
                        if conversation.trouble.is_some() && !killed {
                            // One bad worker fails the trial: stop the others now rather
                            // than letting them finish work nobody will use.
                            kill(&pids);
                            killed = true;
                            first_trouble = Some(index);
                        }
                        conversations[index] = Some(conversation);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        timed_out = true;
                        kill(&pids);
                        // The drivers see EOF now and finish; collect what they say.
                        for (index, conversation) in rx.iter() {
                            if conversations[index].is_none() {
                                conversations[index] = Some(conversation);
                            }
                        }
                        break;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
        });
        let reaped: Vec<Reaped> = pids.iter().map(|&pid| reap(pid)).collect::<Result<_>>()?;
        let stderr_tails: Vec<String> = children.iter_mut().map(stderr_tail).collect();

        let describe = |index: usize| -> String {
            format!(
                "worker {index} (pid {}) {}{}",
                pids[index],
                reaped[index].status_text(),
                if stderr_tails[index].is_empty() {
                    String::new()
                } else {
                    format!("; its stderr: {}", stderr_tails[index])
                }
            )
        };
        if timed_out {
            let hung: Vec<String> = (0..self.workers)
                .filter(|&i| {
                    conversations[i]
                        .as_ref()
                        .is_none_or(|c| c.appended.is_none())
                })
                .map(|i| format!("worker {i} (pid {})", pids[i]))
                .collect();
            return Err(Error::Measurement(format!(
                "timed out after {:.1} s (--timeout); killed {} that had not finished",
                self.ctx.timeout.as_secs_f64(),
                hung.join(", ")
            )));
        }
        if let Some(i) = first_trouble {
            let what = match conversations[i].as_ref().and_then(|c| c.trouble.as_ref()) {
                Some(Trouble::Malformed(line)) => format!("wrote malformed output '{line}'"),
                Some(Trouble::Write(e)) => format!("stopped reading its jobs ({e})"),
                Some(Trouble::Closed) | None => "closed its output before finishing".into(),
            };
            return Err(Error::Measurement(format!("{what}: {}", describe(i))));
        }
        if let Some(i) = (0..self.workers).find(|&i| !reaped[i].success()) {
            return Err(Error::Measurement(format!(
                "finished its jobs but {}",
                describe(i)
            )));
        }

        let mut results = vec![0i128; jobs.len()];
        let mut answered = 0;
        let mut child_appends = Vec::with_capacity(self.workers);
        let mut child_pids = Vec::with_capacity(self.workers);
        for (i, c) in conversations.into_iter().enumerate() {
            let c = c.expect("every conversation was collected");
            if c.reported_pid != Some(pids[i]) {
                return Err(Error::Measurement(format!(
                    "worker {i} reported pid {:?}, but its pid is {}",
                    c.reported_pid, pids[i]
                )));
            }
            for (job, value) in c.results {
                results[job] = value;
                answered += 1;
            }
            child_appends.push(c.appended.unwrap_or(0));
            child_pids.push(pids[i]);
        }
        if answered != jobs.len() {
            return Err(Error::Measurement(format!(
                "the workers answered {answered} of {} jobs",
                jobs.len()
            )));
        }
        Ok(StrategyOutput {
            results,
            child_pids,
            child_peak_rss_kib: reaped.iter().map(|r| r.max_rss_kib).max(),
            child_appends,
        })
    }
}

impl Processes {
    fn spawn(&self, index: usize) -> Result<Child> {
        Command::new(&self.ctx.worker_exe)
            .arg("worker")
            .arg("--index")
            .arg(index.to_string())
            .args(&self.ctx.worker_args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                Error::Measurement(format!(
                    "cannot start worker process {}: {e}",
                    self.ctx.worker_exe.display()
                ))
            })
    }
}

/// Drive one child through the protocol until the queue is empty or something goes wrong.
fn converse(
    mut stdin: ChildStdin,
    stdout: ChildStdout,
    jobs: &[Job],
    unit: WorkUnit,
    next: &AtomicUsize,
) -> Conversation {
    let mut reader = BufReader::new(stdout);
    let mut c = Conversation::default();
    let mut line = String::new();
    let mut read = |line: &mut String| -> Result<(), Trouble> {
        line.clear();
        // A line longer than this is nonsense; taking at most 4 KiB bounds the memory spent.
        match (&mut reader).take(4096).read_line(line) {
            Ok(0) => Err(Trouble::Closed),
            Ok(_) if !line.ends_with('\n') => Err(Trouble::Malformed(truncate(line))),
            Ok(_) => Ok(()),
            Err(_) => Err(Trouble::Closed),
        }
    };
    let result = (|| -> Result<(), Trouble> {
        read(&mut line)?;
        c.reported_pid = Some(
            line.trim_end()
                .strip_prefix("ready ")
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| Trouble::Malformed(truncate(&line)))?,
        );
        writeln!(stdin, "unit {}", unit.encode()).map_err(Trouble::Write)?;
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break };
            writeln!(stdin, "job {i} {} {}", job.task.name(), job.number)
                .and_then(|_| stdin.flush())
                .map_err(Trouble::Write)?;
            read(&mut line)?;
            let value = parse_done(&line, i).ok_or_else(|| Trouble::Malformed(truncate(&line)))?;
            c.results.push((i, value));
        }
        drop(stdin);
        read(&mut line)?;
        c.appended = Some(
            line.trim_end()
                .strip_prefix("bye ")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| Trouble::Malformed(truncate(&line)))?,
        );
        Ok(())
    })();
    c.trouble = result.err();
    c
}

/// Parse `done <index> <value>` for the expected index.
fn parse_done(line: &str, expected: usize) -> Option<i128> {
    let mut words = line.split_whitespace();
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some("done"), Some(i), Some(v), None) if i.parse() == Ok(expected) => v.parse().ok(),
        _ => None,
    }
}

fn truncate(s: &str) -> String {
    let s = s.trim_end();
    match s.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s.to_string(),
    }
}

fn kill(pids: &[u32]) {
    for &pid in pids {
        // Safe: none of these pids has been reaped yet, so none can have been reused.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGKILL);
        }
    }
}

fn kill_and_reap(children: &[Child]) {
    let pids: Vec<u32> = children.iter().map(Child::id).collect();
    kill(&pids);
    for pid in pids {
        let _ = reap(pid);
    }
}

/// The last line a (dead) child wrote on stderr, for the error message.
fn stderr_tail(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut text);
    }
    truncate(
        text.lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or(""),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_lines_are_checked() {
        assert_eq!(parse_done("done 3 -27\n", 3), Some(-27));
        assert_eq!(parse_done("done 3 -27\n", 2), None);
        assert_eq!(parse_done("done 3\n", 3), None);
        assert_eq!(parse_done("done 3 x\n", 3), None);
        assert_eq!(parse_done("done 3 1 2\n", 3), None);
    }
}
