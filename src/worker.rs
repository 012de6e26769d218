//! The child side of the `processes` strategy: the hidden `concbench worker` subcommand.
//!
//! Wire protocol, one line per message, plain text so a broken worker is easy to diagnose:
//! ```text
//! child  -> parent   ready <pid>
//! parent -> child    unit <sleep:NS | cpu:ITERS>
//! parent -> child    job <index> <square|cube> <number>      (any number of times)
//! child  -> parent   done <index> <result>                   (one per job, in order)
//! parent closes stdin
//! child  -> parent   bye <appended>                          then exit 0
//! ```
//! `appended` is the length of the child's own global result list: every child appends to
//! it, as the tutorial's processes do, and the parent's copy stays empty.

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
}

/// Which worker misbehaves, and how: `KIND` (every worker) or `KIND@INDEX` (one worker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub worker: Option<usize>,
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
        let kind = match kind {
            "crash" => FaultKind::Crash,
            "exit" => FaultKind::Exit,
            "hang" => FaultKind::Hang,
            "garbage" => FaultKind::Garbage,
            _ => return Err(format!("unknown fault '{kind}'")),
        };
        Ok(Fault { kind, worker })
    }
}

/// Run the worker loop on stdin/stdout. Returns the process exit code.
pub fn worker_main(index: usize, fault: Option<Fault>) -> i32 {
    let fault = fault
        .filter(|f| f.worker.is_none_or(|w| w == index))
        .map(|f| f.kind);
    let stdin = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    let mut send = |line: String| -> bool {
        out.write_all(line.as_bytes()).is_ok()
            && out.write_all(b"\n").is_ok()
            && out.flush().is_ok()
    };
    if !send(format!("ready {}", std::process::id())) {
        return 1;
    }
    let mut unit: Option<WorkUnit> = None;
    for line in stdin.lines() {
        let Ok(line) = line else { return 1 };
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next(), words.next()) {
            (Some("unit"), Some(u), None, None) => match WorkUnit::decode(u) {
                Some(u) => unit = Some(u),
                None => return protocol_error(&line),
            },
            (Some("job"), Some(i), Some(task), Some(n)) => {
                let (Ok(i), Ok(task), Ok(n), Some(unit)) = (
                    i.parse::<usize>(),
                    Task::from_str(task),
                    n.parse::<i64>(),
                    unit,
                ) else {
                    return protocol_error(&line);
                };
                match fault {
                    Some(FaultKind::Crash) => std::process::abort(),
                    Some(FaultKind::Exit) => std::process::exit(3),
                    Some(FaultKind::Hang) => loop {
                        std::thread::park();
                    },
                    Some(FaultKind::Garbage) => {
                        send("done ?? not-a-number".into());
                        continue;
                    }
                    None => {}
                }
                let value = run_job(Job { task, number: n }, unit);
                if let Ok(mut list) = APPENDED.lock() {
                    list.push(value);
                }
                if !send(format!("done {i} {value}")) {
                    return 1;
                }
            }
            _ => return protocol_error(&line),
        }
    }
    send(format!("bye {}", appended_in_this_process()));
    0
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
        assert!("boom".parse::<Fault>().is_err());
        assert!("crash@x".parse::<Fault>().is_err());
    }
}
