//! The child side of the `processes` strategy: the hidden `concbench worker` subcommand (and
//! the small `concbench-worker` binary, which runs only this).
//!
//! Wire protocol. The few messages of a run's start and end are text lines; a chunk of jobs and
//! its answers are binary frames, because a chunk of `Pool.map`'s size is tens of thousands of
//! jobs of a couple of microseconds each, and formatting, scanning and parsing them as text
//! cost the parent and the child more than a tenth of the work itself:
//! ```text
//! child  -> parent   ready <pid>\n
//! parent -> child    unit <sleep:NS | cpu:ITERS | http:PORT:NS>[,mem:BYTES]\n
//! parent -> child    JOBS frame                                  (a chunk)
//! child  -> parent   DONE frame                                  (its answers)
//! parent closes stdin
//! child  -> parent   bye <appended>\n                            then exit 0
//! ```
//! A frame is a 16-byte header, then its records; every integer is little-endian:
//! ```text
//! header   tag: 4 ASCII bytes ("JOBS" or "DONE") | first: u64 | count: u32
//! JOBS     count x (task: u8, 0 square 1 cube | number: i64)      9 bytes a job
//! DONE     count x result: i128                                    16 bytes a job
//! ```
//! A frame stands for the jobs `first .. first + count`, in order: a DONE frame answers the
//! JOBS frame before it with the same `first` and `count`, which the parent checks. `count` is
//! 1 to [`frame::MAX_COUNT`]. The tags are ASCII so that `strace -e read,write` and a hex dump
//! show where a frame starts, and a child that writes anything but a frame (a panic message, a
//! stray `println!`) is reported with what it wrote, quoted readably ([`frame::readable`]).
//!
//! The text form of a chunk is still understood, for driving a worker by hand (and the C5
//! demo, which does): a line `jobs <index> <square|cube> <number> [<index> <task> <number>
//! ...]` is answered by a line `done <index> <result> [<index> <result> ...]`. The child tells
//! the two apart by the first byte: `J` starts a frame, anything else a line.
//!
//! The parent does not wait for `ready` to send `unit` and the first chunk, and closes stdin
//! with the last chunk it sends: a run of one chunk per child is then one round trip.
//! A chunk is one message each way, whatever its length (`--chunk`): that is how
//! multiprocessing's `Pool.map` amortises its pipe round trips too. `appended` is the length of
//! the child's own global result list: every child appends to it, as the tutorial's processes
//! do, and the parent's copy stays empty.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, Read, Write};
use std::os::fd::AsFd;
use std::str::FromStr;
use std::sync::Mutex;

use crate::workload::{Job, Task, WorkUnit, run_job};

pub mod frame;

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
    let mut input = std::io::stdin().lock();
    // Every message goes out in one write of its own: stdout unbuffered (std's is line
    // buffered, which would cut a frame at each byte 0x0a).
    let Ok(out) = std::io::stdout().as_fd().try_clone_to_owned() else {
        return 1;
    };
    let mut out = File::from(out);
    let mut send = |bytes: &[u8]| -> bool { out.write_all(bytes).is_ok() };
    if !send(format!("ready {}\n", std::process::id()).as_bytes()) {
        return 1;
    }
    let mut unit: Option<WorkUnit> = None;
    // Reused from chunk to chunk: a frame's records, its jobs, their answers, the reply.
    let (mut records, mut jobs, mut values, mut reply) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut line = String::new();
    loop {
        let first_byte = match input.fill_buf() {
            Ok([]) => break,
            Ok(b) => b[0],
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return 1,
        };
        if first_byte == frame::JOBS[0] {
            let h = match read_jobs_frame(&mut input, &mut records, &mut jobs) {
                Ok(h) => h,
                Err(code) => return code,
            };
            let Some(unit) = unit else {
                return protocol_error(&format!("a {} frame (before any unit)", h.describe()));
            };
            match chunk_fault(fault) {
                Some(Misbehaved::Exit(code)) => return code,
                Some(Misbehaved::Garbage) => {
                    send(GARBAGE);
                    continue;
                }
                None => {}
            }
            answer(jobs.iter().copied(), unit, &mut values);
            reply.clear();
            frame::encode_results(&mut reply, h.first as usize, &values);
            if !send(&reply) {
                return 1;
            }
        } else {
            line.clear();
            match input.read_line(&mut line) {
                Ok(0) => break,
                Ok(_) => {}
                Err(_) => return 1,
            }
            let mut words = line.split_whitespace();
            match words.next() {
                Some("unit") => match words.next().and_then(WorkUnit::decode) {
                    Some(u) if words.next().is_none() => unit = Some(u),
                    _ => return protocol_error(&quoted(&line)),
                },
                Some("jobs") => {
                    let (Some(unit), Some(chunk)) = (unit, parse_chunk(words)) else {
                        return protocol_error(&quoted(&line));
                    };
                    match chunk_fault(fault) {
                        Some(Misbehaved::Exit(code)) => return code,
                        Some(Misbehaved::Garbage) => {
                            send(GARBAGE);
                            continue;
                        }
                        None => {}
                    }
                    answer(chunk.iter().map(|&(_, job)| job), unit, &mut values);
                    let mut text = String::with_capacity(6 + 32 * chunk.len());
                    text.push_str("done");
                    for ((i, _), value) in chunk.iter().zip(&values) {
                        let _ = write!(text, " {i} {value}");
                    }
                    text.push('\n');
                    if !send(text.as_bytes()) {
                        return 1;
                    }
                }
                _ => return protocol_error(&quoted(&line)),
            }
        }
    }
    send(format!("bye {}\n", appended_in_this_process()).as_bytes());
    if fault == Some(FaultKind::Linger) {
        loop {
            std::thread::park();
        }
    }
    0
}

/// Read one JOBS frame (its first byte is waiting in `input`) into `records` and decode its
/// jobs into `jobs`; a bad frame is a protocol error, whose exit code is the `Err`.
fn read_jobs_frame(
    input: &mut impl BufRead,
    records: &mut Vec<u8>,
    jobs: &mut Vec<Job>,
) -> Result<frame::Header, i32> {
    let mut head = [0u8; frame::HEADER];
    if let Err(got) = read_fully(input, &mut head) {
        return Err(protocol_error(&format!(
            "'{}' (a frame header cut after {got} of {} bytes)",
            frame::readable(&head[..got]),
            frame::HEADER
        )));
    }
    let h = frame::Header::from_bytes(&head);
    if !h.is(frame::JOBS) {
        return Err(protocol_error(&format!(
            "'{}' (not a JOBS frame header: tag, first {}, count {})",
            frame::readable(&head),
            h.first,
            h.count
        )));
    }
    records.resize(h.count as usize * frame::JOB_BYTES, 0);
    if let Err(got) = read_fully(input, records) {
        return Err(protocol_error(&format!(
            "a {} frame (cut after {got} of its {} bytes of jobs)",
            h.describe(),
            records.len()
        )));
    }
    if let Err(k) = frame::decode_jobs(records, jobs) {
        let at = k * frame::JOB_BYTES;
        return Err(protocol_error(&format!(
            "a {} frame (job {} has task byte {}, not 0 or 1: '{}')",
            h.describe(),
            h.first + k as u64,
            records[at],
            frame::readable(&records[at..at + frame::JOB_BYTES])
        )));
    }
    Ok(h)
}

/// What `--fault garbage` answers instead of a chunk's results: neither a frame nor a `done`
/// line of numbers.
const GARBAGE: &[u8] = b"done ?? not-a-number\n";

/// Run the jobs into `values`, and append each to this process's global list (one lock a chunk).
fn answer(jobs: impl Iterator<Item = Job>, unit: WorkUnit, values: &mut Vec<i128>) {
    values.clear();
    values.extend(jobs.map(|job| run_job(job, unit)));
    if let Ok(mut list) = APPENDED.lock() {
        list.extend_from_slice(values);
    }
}

/// Fill `buf` from `input`; `Err(bytes read)` when the input ends first (or fails).
fn read_fully(input: &mut impl Read, buf: &mut [u8]) -> Result<(), usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => return Err(got),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Err(got),
        }
    }
    Ok(())
}

/// What a faulty worker does instead of answering its chunk.
enum Misbehaved {
    Exit(i32),
    Garbage,
}

/// What a faulty worker does at each chunk (the first one already ends most faults).
fn chunk_fault(fault: Option<FaultKind>) -> Option<Misbehaved> {
    let kind = fault?;
    match misbehave(kind) {
        Some(code) => Some(Misbehaved::Exit(code)),
        None if kind == FaultKind::Garbage => Some(Misbehaved::Garbage),
        None => None,
    }
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

/// `what`: the message, already readable (see [`frame::readable`]).
fn protocol_error(what: &str) -> i32 {
    eprintln!("concbench worker: unexpected message {what}");
    2
}

/// A line, quoted readably.
fn quoted(line: &str) -> String {
    format!("'{}'", frame::readable(line.trim_end().as_bytes()))
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

    #[test]
    fn frames_round_trip_bit_exact() {
        let jobs = [
            Job {
                task: Task::Cube,
                number: -5_541_191_377_756,
            },
            Job {
                task: Task::Square,
                number: i64::MAX,
            },
            Job {
                task: Task::Square,
                number: 0,
            },
        ];
        let mut bytes = Vec::new();
        frame::encode_jobs(&mut bytes, 7, &jobs);
        assert_eq!(bytes.len(), frame::HEADER + 3 * frame::JOB_BYTES);
        assert_eq!(&bytes[..4], b"JOBS");
        let h = frame::Header::from_bytes(bytes[..frame::HEADER].try_into().unwrap());
        assert_eq!(h, frame::Header::new(frame::JOBS, 7, 3));
        assert!(h.is(frame::JOBS) && !h.is(frame::DONE));
        assert_eq!(h.describe(), "JOBS 7..10");
        let mut back = Vec::new();
        frame::decode_jobs(&bytes[frame::HEADER..], &mut back).unwrap();
        assert_eq!(back, jobs);

        let values: Vec<i128> = jobs
            .iter()
            .map(|j| j.task.apply(j.number).unwrap())
            .collect();
        let mut bytes = Vec::new();
        frame::encode_results(&mut bytes, 7, &values);
        assert_eq!(bytes.len(), frame::HEADER + 3 * frame::RESULT_BYTES);
        let mut decoded = [0i128; 3];
        frame::decode_results(&bytes[frame::HEADER..], &mut decoded);
        assert_eq!(decoded.as_slice(), values.as_slice());
    }

    #[test]
    fn bad_frames_are_caught_and_quoted_readably() {
        let mut bytes = Vec::new();
        frame::encode_jobs(
            &mut bytes,
            0,
            &[Job {
                task: Task::Cube,
                number: 2,
            }],
        );
        bytes[frame::HEADER] = 7;
        assert_eq!(
            frame::decode_jobs(&bytes[frame::HEADER..], &mut Vec::new()),
            Err(0)
        );
        let empty = frame::Header::new(frame::JOBS, 0, 0);
        assert!(!empty.is(frame::JOBS), "a frame holds at least one job");
        let huge = frame::Header::new(frame::JOBS, 0, frame::MAX_COUNT as usize + 1);
        assert!(!huge.is(frame::JOBS));
        assert_eq!(
            frame::readable(b"done ?? x\n\x00\xff"),
            "done ?? x\\n\\x00\\xff"
        );
        let long = frame::readable(&[b'a'; 200]);
        assert_eq!(long.len(), 83);
        assert!(long.ends_with("..."));
    }
}
