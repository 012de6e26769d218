//! The child side of the `processes` strategy: the hidden `concbench worker` subcommand (and
//! the small `concbench-worker` binary, which runs only this).
//!
//! Wire protocol, one line per message, plain text so a broken worker is easy to diagnose:
//! ```text
//! child  -> parent   ready <pid>
//! parent -> child    unit <sleep:NS | cpu:ITERS>
//! parent -> child    jobs <index> <square|cube> <number> [<index> <task> <number> ...]   (a chunk)
//! child  -> parent   done <index> <result> [<index> <result> ...]                         (its answers)
//! parent closes stdin
//! child  -> parent   bye <appended>                          then exit 0
//! ```
//! The parent does not wait for `ready` to send `unit` and the first chunk, and closes stdin
//! with the last chunk it sends: a run of one chunk per child is then one round trip.
//! A chunk is one message each way, whatever its length (`--chunk`): that is how
//! multiprocessing's `Pool.map` amortises its pipe round trips too. `appended` is the length of
//! the child's own global result list: every child appends to it, as the tutorial's processes
//! do, and the parent's copy stays empty.

use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::str::FromStr;
use std::sync::Mutex;

use crate::workload::{Job, Task, WorkUnit, run_job};

/// The tutorial's global `result = []`. Only worker processes append to it; in the parent it
/// stays empty, which is the point the tutorial makes about processes sharing no memory.
static APPENDED: Mutex<Vec<i128>> = Mutex::new(Vec::new());

/// Length of this process's global result list.
pub fn appended_in_this_process() -> usize {
    APPENDED.lock().map(|v| v.len()).unwrap_or(0)
}

/// A deliberate failure, for testing how the parent copes (hidden `--fault` flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// abort() after the first job arrives (like a segfault: no clean exit).
    Crash,
    /// exit(3) after the first job arrives.
    Exit,
    /// Stop answering after the first job arrives.
    Hang,
    /// Answer the first job with a malformed line.
    Garbage,
    /// Say goodbye, then never exit.
    Linger,
    /// Write 256 KiB to stderr before answering (more than a pipe holds).
    Chatter,
}

/// Which worker misbehaves, and how: `KIND` (every worker) or `KIND@INDEX` (one worker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub worker: Option<usize>,
}

impl FaultKind {
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Crash => "crash",
            FaultKind::Exit => "exit",
            FaultKind::Hang => "hang",
            FaultKind::Garbage => "garbage",
            FaultKind::Linger => "linger",
            FaultKind::Chatter => "chatter",
        }
    }
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (kind, worker) = match s.split_once('@') {
            Some((k, i)) => (
                k,
                Some(i.parse().map_err(|_| format!("bad worker index '{i}'"))?),
            ),
            None => (s, None),
        };
        let kind = [
            FaultKind::Crash,
            FaultKind::Exit,
            FaultKind::Hang,
            FaultKind::Garbage,
            FaultKind::Linger,
            FaultKind::Chatter,
        ]
        .into_iter()
        .find(|k| k.name() == kind)
        .ok_or_else(|| format!("unknown fault '{kind}'"))?;
        Ok(Fault { kind, worker })
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind.name())?;
        match self.worker {
            Some(w) => write!(f, "@{w}"),
            None => Ok(()),
        }
    }
}

/// Run the worker loop on stdin/stdout. Returns the process exit code. `parent`: the pid that
/// started us; the worker dies with it (see [`crate::lifecycle::die_with_parent`]).
pub fn worker_main(index: usize, fault: Option<Fault>, parent: Option<u32>) -> i32 {
    crate::lifecycle::die_with_parent(parent);
    let fault = fault
        .filter(|f| f.worker.is_none_or(|w| w == index))
        .map(|f| f.kind);
    let stdin = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    let mut send = |line: &str| -> bool {
        out.write_all(line.as_bytes()).is_ok()
            && out.write_all(b"\n").is_ok()
            && out.flush().is_ok()
    };
    if !send(&format!("ready {}", std::process::id())) {
        return 1;
    }
    let mut unit: Option<WorkUnit> = None;
    for line in stdin.lines() {
        let Ok(line) = line else { return 1 };
        let mut words = line.split_whitespace();
        match words.next() {
            Some("unit") => match words.next().and_then(WorkUnit::decode) {
                Some(u) if words.next().is_none() => unit = Some(u),
                _ => return protocol_error(&line),
            },
            Some("jobs") => {
                let (Some(unit), Some(chunk)) = (unit, parse_chunk(words)) else {
                    return protocol_error(&line);
                };
                if let Some(f) = fault {
                    match misbehave(f) {
                        Some(code) => return code,
                        None if f == FaultKind::Garbage => {
                            send("done ?? not-a-number");
                            continue;
                        }
                        None => {}
                    }
                }
                let mut reply = String::with_capacity(6 + 32 * chunk.len());
                reply.push_str("done");
                for (i, job) in chunk {
                    let value = run_job(job, unit);
                    if let Ok(mut list) = APPENDED.lock() {
                        list.push(value);
                    }
                    // Written in place: a chunk of Pool.map's size is tens of thousands of jobs.
                    let _ = write!(reply, " {i} {value}");
                }
                if !send(&reply) {
                    return 1;
                }
            }
            _ => return protocol_error(&line),
        }
    }
    send(&format!("bye {}", appended_in_this_process()));
    if fault == Some(FaultKind::Linger) {
        loop {
            std::thread::park();
        }
    }
    0
}

/// What a faulty worker does at its first chunk; `Some(code)` ends it with that status.
fn misbehave(kind: FaultKind) -> Option<i32> {
    match kind {
        FaultKind::Crash => std::process::abort(),
        FaultKind::Exit => Some(3),
        FaultKind::Hang => loop {
            std::thread::park();
        },
        FaultKind::Chatter => {
            let line = "x".repeat(1023);
            let mut err = std::io::stderr().lock();
            for _ in 0..256 {
                let _ = writeln!(err, "{line}");
            }
            None
        }
        FaultKind::Garbage | FaultKind::Linger => None,
    }
}

/// `<index> <task> <number>` triples.
fn parse_chunk<'a>(mut words: impl Iterator<Item = &'a str>) -> Option<Vec<(usize, Job)>> {
    let mut chunk = Vec::new();
    while let Some(i) = words.next() {
        let (task, n) = (words.next()?, words.next()?);
        let job = Job {
            task: Task::from_str(task).ok()?,
            number: n.parse().ok()?,
        };
        chunk.push((i.parse().ok()?, job));
    }
    (!chunk.is_empty()).then_some(chunk)
}

fn protocol_error(line: &str) -> i32 {
    eprintln!("concbench worker: unexpected message '{line}'");
    2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse() {
        assert_eq!(
            "crash@1".parse::<Fault>(),
            Ok(Fault {
                kind: FaultKind::Crash,
                worker: Some(1)
            })
        );
        assert_eq!(
            "hang".parse::<Fault>(),
            Ok(Fault {
                kind: FaultKind::Hang,
                worker: None
            })
        );
        assert_eq!("linger@0".parse::<Fault>().unwrap().to_string(), "linger@0");
        assert!("boom".parse::<Fault>().is_err());
        assert!("crash@x".parse::<Fault>().is_err());
    }

    #[test]
    fn chunks_parse_and_reject() {
        let c = parse_chunk("3 cube -2 4 square 5".split_whitespace()).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].0, 3);
        assert_eq!(c[1].1.task, Task::Square);
        assert!(parse_chunk("3 cube".split_whitespace()).is_none());
        assert!(parse_chunk("x cube 2".split_whitespace()).is_none());
        assert!(parse_chunk("".split_whitespace()).is_none());
    }
}
