//! `processes`: N worker processes (the small `concbench-worker` binary, or the hidden
//! `concbench worker` subcommand). Jobs go to the children over their stdin and results come
//! back over their stdout (see `worker.rs` for the protocol); parent and children share no
//! memory.
//!
//! Jobs are handed out from a shared queue, a chunk at a time (`--chunk`; `auto` is Python
//! `Pool.map`'s rule, about four chunks per worker): one parent thread drives each child,
//! taking the next chunk when its child answers. Spawning, the pipe round trips and reaping all
//! happen inside the timed region: they are what processes cost.
//!
//! A chunk travels as a binary frame each way (see `worker.rs`), so the parent's work per job
//! is a few bytes copied: the answers land straight in the results, each chunk in its own
//! slice of them. The child's next chunk is sent before this one's answers are decoded, so the
//! child waits for the pipe only; and the pipes are made big enough for a whole frame when the
//! kernel allows (`F_SETPIPE_SZ`, up to 1 MiB), so a frame is one write and one read, not one
//! wake-up of the other side per 64 KiB.
//!
//! Hardened against misbehaving children: each child's stderr is drained while it runs, by the
//! thread that reads its stdout (a chatty child never blocks on a full pipe); every child is
//! reaped with a deadline and killed when it passes (a child that says goodbye and never exits
//! cannot hang the trial), and every child is reaped whatever else fails. Children are
//! registered with the lifecycle guard, so a stop signal kills them, and they ask the kernel to
//! kill them if concbench dies.

use std::os::fd::AsRawFd;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{Strategy, StrategyContext, StrategyInfo, StrategyOutput};
use crate::error::{Error, Result};
use crate::lifecycle::{self, ChildRegistration, Target};
use crate::measure::usage::{Reaped, reap_by};
use crate::worker::frame;
use crate::workload::{Job, WorkUnit};

mod conversation;
mod output;
use conversation::{Conversation, Queue, Trouble, converse};
use output::ChildOutput;

pub const INFO: StrategyInfo = StrategyInfo::parallel(
    "processes",
    "N worker processes fed over pipes, a chunk of jobs per message (no shared memory)",
    |workers, ctx| {
        let ctx = ctx.clone();
        Ok(Box::new(Processes { workers, ctx }))
    },
);

/// How many jobs go to a worker in one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Chunk {
    /// CPython `Pool.map`'s rule: `divmod(jobs, 4 * workers)`, plus one if there is a rest.
    #[default]
    Auto,
    Fixed(usize),
}

impl Chunk {
    /// The chunk size for `jobs` jobs on `workers` workers.
    pub fn size(self, jobs: usize, workers: usize) -> usize {
        match self {
            Chunk::Fixed(n) => n.max(1),
            Chunk::Auto => pool_map_chunksize(jobs, workers),
        }
    }
}

impl std::str::FromStr for Chunk {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "auto" => Ok(Chunk::Auto),
            n => match n.parse::<i64>() {
                Ok(n) if (1..=1_000_000).contains(&n) => Ok(Chunk::Fixed(n as usize)),
                Ok(n) => Err(format!("chunk {n} is out of range (1-1000000, or auto)")),
                Err(_) => Err(format!("'{n}' is not a chunk size (1-1000000, or auto)")),
            },
        }
    }
}

impl std::fmt::Display for Chunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Chunk::Auto => f.write_str("auto"),
            Chunk::Fixed(n) => write!(f, "{n}"),
        }
    }
}

/// `multiprocessing.Pool.map`'s chunk size when none is given (CPython `Lib/multiprocessing/
/// pool.py`): `chunksize, extra = divmod(len, 4 * workers); if extra: chunksize += 1`.
pub fn pool_map_chunksize(jobs: usize, workers: usize) -> usize {
    let per = 4 * workers.max(1);
    (jobs / per + usize::from(!jobs.is_multiple_of(per))).max(1)
}

/// How long a child may take to exit after its last message before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// The longest a `ready` or `bye` line may be.
const LINE_LIMIT: usize = 4096;

/// The largest pipe asked for: Linux's default `/proc/sys/fs/pipe-max-size`, which an
/// unprivileged process may ask for.
const PIPE_MAX: usize = 1 << 20;

pub struct Processes {
    workers: usize,
    ctx: StrategyContext,
}

/// A started child: its pid and registration.
struct Started {
    pid: u32,
    registration: Option<ChildRegistration>,
}

impl Strategy for Processes {
    fn name(&self) -> &'static str {
        INFO.name
    }
    fn workers(&self) -> usize {
        self.workers
    }
    fn set_timeout(&mut self, timeout: Duration) {
        self.ctx.timeout = timeout;
    }
    fn chunk_size(&self, jobs: usize) -> Option<usize> {
        Some(self.ctx.chunk.size(jobs, self.workers))
    }
    fn uses_child_processes(&self) -> bool {
        true
    }

    fn run(&mut self, jobs: &[Job], unit: WorkUnit) -> Result<StrategyOutput> {
        let deadline = Instant::now() + self.ctx.timeout;
        let chunk = self.ctx.chunk.size(jobs.len(), self.workers);
        let mut started: Vec<Started> = Vec::with_capacity(self.workers);
        let mut pipes: Vec<(ChildStdin, ChildOutput)> = Vec::with_capacity(self.workers);
        for index in 0..self.workers {
            match self.spawn(index, chunk) {
                Ok((s, p)) => {
                    started.push(s);
                    pipes.push(p);
                }
                Err(e) => {
                    let pids: Vec<u32> = started.iter().map(|s| s.pid).collect();
                    kill(&pids);
                    finish_all(started, Instant::now(), &mut []);
                    return Err(e);
                }
            }
        }
        let pids: Vec<u32> = started.iter().map(|s| s.pid).collect();
        let mut results = vec![0i128; jobs.len()];
        let queue = Queue::new(jobs, &mut results, chunk);
        let (mut conversations, timed_out, first_trouble) =
            self.drive(pipes, &queue, unit, chunk, deadline, &pids);
        // Every child is reaped, whatever happened: with a deadline, then killed.
        let grace = Instant::now() + EXIT_GRACE;
        let reap_deadline = if timed_out { Instant::now() } else { grace };
        let ends = finish_all(started, reap_deadline, &mut conversations);
        self.judge(
            results,
            &pids,
            conversations,
            ends,
            timed_out,
            first_trouble,
        )
    }
}

/// How a child ended: its reaping, whether it had to be killed to end, and its stderr's last line.
struct Ended {
    reaped: Result<Reaped>,
    killed_late: bool,
    stderr_tail: String,
}

impl Processes {
    fn spawn(&self, index: usize, chunk: usize) -> Result<(Started, (ChildStdin, ChildOutput))> {
        let mut cmd = Command::new(&self.ctx.worker_exe);
        if let Some(sub) = &self.ctx.worker_subcommand {
            cmd.arg(sub);
        }
        let mut child: Child = cmd
            .arg("--index")
            .arg(index.to_string())
            .arg("--parent")
            .arg(std::process::id().to_string())
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
            })?;
        let pid = child.id();
        let registration = Some(lifecycle::register_child(Target::Process(pid)));
        let (stdin, stdout) = (
            child.stdin.take().expect("piped"),
            child.stdout.take().expect("piped"),
        );
        // Room for a whole frame each way, when the kernel allows (else the default 64 KiB).
        let biggest = frame::HEADER + frame::RESULT_BYTES * chunk;
        if biggest > 64 * 1024 {
            let size = biggest.next_power_of_two().min(PIPE_MAX) as libc::c_int;
            for fd in [stdin.as_raw_fd(), stdout.as_raw_fd()] {
                // SAFETY: fcntl on a pipe this process owns; a failure leaves the pipe as it was.
                unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, size) };
            }
        }
        // stderr is drained by the thread that reads stdout (see `output`).
        let output = ChildOutput::new(stdout, child.stderr.take());
        let pipes = (stdin, output);
        // The Child handle is dropped without waiting: the pid is reaped with wait4 below.
        Ok((Started { pid, registration }, pipes))
    }

    /// Drive every child through the protocol; returns what each said, whether the deadline
    /// passed, and which worker's trouble came first.
    fn drive(
        &self,
        pipes: Vec<(ChildStdin, ChildOutput)>,
        queue: &Queue<'_>,
        unit: WorkUnit,
        chunk: usize,
        deadline: Instant,
        pids: &[u32],
    ) -> (Vec<Option<Conversation>>, bool, Option<usize>) {
        // Which worker's trouble came first: whoever sets it stops the others at once.
        let first = AtomicUsize::new(usize::MAX);
        let (tx, rx) = mpsc::channel::<(usize, Conversation)>();
        let mut conversations: Vec<Option<Conversation>> =
            (0..self.workers).map(|_| None).collect();
        let mut timed_out = false;
        let talk = |index: usize, stdin, output, deadline| {
            let c = converse(stdin, output, deadline, queue, unit, chunk);
            if c.trouble.is_some()
                && !c.timed_out
                && first
                    .compare_exchange(usize::MAX, index, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
            {
                // One bad worker fails the trial: stop the others now.
                kill(pids);
            }
            c
        };
        std::thread::scope(|s| {
            let mut pipes = pipes.into_iter().enumerate();
            // This thread drives the first child itself and keeps the deadline meanwhile, so a
            // run of one worker spawns no thread; every other child gets a thread of its own.
            let own = pipes.next();
            for (index, (stdin, output)) in pipes {
                let (tx, talk) = (tx.clone(), &talk);
                s.spawn(move || {
                    let _ = tx.send((index, talk(index, stdin, output, None)));
                });
            }
            drop(tx);
            let mut waiting = self.workers;
            if let Some((index, (stdin, output))) = own {
                let c = talk(index, stdin, output, Some(deadline));
                timed_out = c.timed_out;
                conversations[index] = Some(c);
                waiting -= 1;
            }
            while waiting > 0 && !timed_out {
                let left = deadline.saturating_duration_since(Instant::now());
                match rx.recv_timeout(left) {
                    Ok((index, c)) => {
                        conversations[index] = Some(c);
                        waiting -= 1;
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => timed_out = true,
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
            if timed_out {
                kill(pids);
                for (index, c) in rx.iter() {
                    conversations[index].get_or_insert(c);
                }
            }
        });
        let first_trouble = Some(first.into_inner()).filter(|&i| i != usize::MAX);
        (conversations, timed_out, first_trouble)
    }

    fn judge(
        &self,
        results: Vec<i128>,
        pids: &[u32],
        conversations: Vec<Option<Conversation>>,
        ends: Vec<Ended>,
        timed_out: bool,
        first_trouble: Option<usize>,
    ) -> Result<StrategyOutput> {
        let describe = |i: usize| -> String {
            let status = match &ends[i].reaped {
                Ok(r) => r.status_text(),
                Err(e) => e.to_string(),
            };
            let tail = last_line(&ends[i].stderr_tail);
            format!(
                "worker {i} (pid {}) {status}{}",
                pids[i],
                if tail.is_empty() {
                    String::new()
                } else {
                    format!("; its stderr: {tail}")
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
                Some(Trouble::Malformed(what)) => format!("wrote malformed output {what}"),
                Some(Trouble::Cut(what)) => format!("closed its output in the middle of {what}"),
                Some(Trouble::Write(e)) => format!("stopped reading its jobs ({e})"),
                Some(Trouble::Closed) | None => "closed its output before finishing".into(),
                // Never first: a timeout is reported as one, above.
                Some(Trouble::TimedOut) => "did not answer in time".into(),
            };
            return Err(Error::Measurement(format!("{what}: {}", describe(i))));
        }
        if let Some(i) = (0..self.workers).find(|&i| ends[i].killed_late) {
            return Err(Error::Measurement(format!(
                "finished its jobs but did not exit within {:.0} s and was killed: {}",
                EXIT_GRACE.as_secs_f64(),
                describe(i)
            )));
        }
        if let Some(i) =
            (0..self.workers).find(|&i| ends[i].reaped.as_ref().map_or(true, |r| !r.success()))
        {
            return Err(Error::Measurement(format!(
                "finished its jobs but {}",
                describe(i)
            )));
        }
        let mut answered = 0;
        let mut child_appends = Vec::with_capacity(self.workers);
        for (i, c) in conversations.into_iter().enumerate() {
            let c = c.ok_or_else(|| Error::Measurement(format!("worker {i} never reported")))?;
            if c.reported_pid != Some(pids[i]) {
                return Err(Error::Measurement(format!(
                    "worker {i} reported pid {:?}, but its pid is {}",
                    c.reported_pid, pids[i]
                )));
            }
            answered += c.answered;
            child_appends.push(c.appended.unwrap_or(0));
        }
        if answered != results.len() {
            return Err(Error::Measurement(format!(
                "the workers answered {answered} of {} jobs",
                results.len()
            )));
        }
        Ok(StrategyOutput {
            results,
            child_pids: pids.to_vec(),
            child_peak_rss_kib: ends
                .iter()
                .filter_map(|e| e.reaped.as_ref().ok())
                .map(|r| r.max_rss_kib)
                .max(),
            child_appends,
        })
    }
}

/// Reap every child, each by `deadline` (then killed and reaped), and collect the rest of its
/// stderr (it has exited, so its stderr ends).
fn finish_all(
    started: Vec<Started>,
    deadline: Instant,
    conversations: &mut [Option<Conversation>],
) -> Vec<Ended> {
    started
        .into_iter()
        .enumerate()
        .map(|(i, mut s)| {
            // Unregister before reaping: a stop signal must never hit a reused pid.
            drop(s.registration.take());
            let (reaped, killed_late) = reap_by(s.pid, deadline);
            let stderr_tail = conversations
                .get_mut(i)
                .and_then(|c| c.as_mut())
                .and_then(|c| c.output.take())
                .map(ChildOutput::into_stderr_tail)
                .unwrap_or_default();
            Ended {
                reaped,
                killed_late,
                stderr_tail,
            }
        })
        .collect()
}

fn truncate(s: &str) -> String {
    let s = s.trim_end();
    match s.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s.to_string(),
    }
}

fn last_line(text: &str) -> String {
    truncate(
        text.lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or(""),
    )
}

fn kill(pids: &[u32]) {
    for &pid in pids {
        // SAFETY: none of these pids has been reaped yet, so none can have been reused.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chunk_rule_is_pool_maps() {
        // divmod(len, 4 * workers), plus one for a rest.
        assert_eq!(pool_map_chunksize(8, 2), 1);
        assert_eq!(pool_map_chunksize(200_000, 2), 25_000);
        assert_eq!(pool_map_chunksize(9, 2), 2);
        assert_eq!(pool_map_chunksize(3, 2), 1);
        assert_eq!(pool_map_chunksize(0, 2), 1);
        assert_eq!(Chunk::Fixed(5).size(100, 2), 5);
        assert_eq!("auto".parse::<Chunk>(), Ok(Chunk::Auto));
        assert!("0".parse::<Chunk>().is_err() && "x".parse::<Chunk>().is_err());
    }
}
