//! One driver thread's conversation with one worker: the queue of chunks it takes from, the
//! frames it sends and reads, and what it learned (see `worker` for the protocol).

use std::io::Write;
use std::process::ChildStdin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::LINE_LIMIT;
use super::output::{ChildOutput, LineError, ReadError};
use crate::worker::frame::{self, Header};
use crate::workload::{Job, WorkUnit};

/// What went wrong while talking to one child.
#[derive(Debug)]
pub(super) enum Trouble {
    /// The child closed its stdout (it died or exited early).
    Closed,
    /// The child wrote something that is not the protocol: what, readably.
    Malformed(String),
    /// The child's output ended in the middle of a frame: which, and how far it came.
    Cut(String),
    /// Writing to the child failed (its stdin is closed: it died).
    Write(std::io::Error),
    /// The run's deadline passed while waiting for it.
    TimedOut,
}

/// What one driver thread learned from its child.
#[derive(Debug, Default)]
pub(super) struct Conversation {
    pub(super) reported_pid: Option<u32>,
    /// How many jobs its answers filled in.
    pub(super) answered: usize,
    pub(super) appended: Option<usize>,
    pub(super) trouble: Option<Trouble>,
    /// The child's stdout and stderr, kept for the rest of its stderr once it is reaped.
    pub(super) output: Option<ChildOutput>,
    /// The run's deadline passed while this conversation waited (only the one driven by the
    /// supervising thread has a deadline of its own).
    pub(super) timed_out: bool,
}

/// The jobs not handed out yet, a chunk at a time, each with the slice of the results its
/// answers go to: every driver thread writes only the chunks it took, with no copy afterwards.
pub(super) struct Queue<'a> {
    /// The next chunk's first job, and the chunks left.
    left: Mutex<(usize, Chunks<'a>)>,
}

type Chunks<'a> = std::iter::Zip<std::slice::Chunks<'a, Job>, std::slice::ChunksMut<'a, i128>>;

/// A chunk taken from the queue.
struct Piece<'a> {
    first: usize,
    jobs: &'a [Job],
    results: &'a mut [i128],
    /// Whether it was the last one: no more work for anyone.
    last: bool,
}

impl<'a> Queue<'a> {
    pub(super) fn new(jobs: &'a [Job], results: &'a mut [i128], chunk: usize) -> Self {
        Queue {
            left: Mutex::new((0, jobs.chunks(chunk).zip(results.chunks_mut(chunk)))),
        }
    }

    fn take(&self) -> Option<Piece<'a>> {
        let mut left = self.left.lock().unwrap_or_else(|p| p.into_inner());
        let (jobs, results) = left.1.next()?;
        let first = left.0;
        left.0 += jobs.len();
        Some(Piece {
            first,
            jobs,
            results,
            last: left.1.len() == 0,
        })
    }
}

/// Drive one child through the protocol until the queue is empty or something goes wrong.
pub(super) fn converse(
    stdin: ChildStdin,
    mut output: ChildOutput,
    deadline: Option<Instant>,
    queue: &Queue<'_>,
    unit: WorkUnit,
    chunk: usize,
) -> Conversation {
    let mut c = Conversation::default();
    let mut line = String::new();
    // Reused from chunk to chunk: the next JOBS frame, and a DONE frame's answers.
    let mut message: Vec<u8> = Vec::new();
    let mut answers = vec![0u8; frame::RESULT_BYTES * chunk];
    let mut stdin = Some(stdin);
    // Writes a message; closes stdin after the last one, so the child says goodbye without
    // waiting for us.
    let send = |stdin: &mut Option<ChildStdin>, bytes: &[u8], last: bool| {
        let written = match stdin.as_mut() {
            Some(pipe) => pipe.write_all(bytes),
            None => Ok(()),
        };
        if last {
            *stdin = None;
        }
        written
    };
    let result = (|| -> Result<(), Trouble> {
        // The unit and the first chunk go out before the child has said `ready`: the pipe holds
        // them, so the child finds its work waiting instead of each side waking the other for
        // every message (one round trip per run, not three). A write that fails here is
        // reported only if the child did start; otherwise reading `ready` says why.
        let mut current = queue.take();
        message.extend_from_slice(format!("unit {}\n", unit.encode()).as_bytes());
        if let Some(piece) = &current {
            frame::encode_jobs(&mut message, piece.first, piece.jobs);
        }
        let last = current.as_ref().is_none_or(|p| p.last);
        let early = send(&mut stdin, &message, last);
        read_line(&mut output, &mut line, deadline)?;
        c.reported_pid = Some(
            line.trim_end()
                .strip_prefix("ready ")
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| Trouble::Malformed(quoted(&line)))?,
        );
        early.map_err(Trouble::Write)?;
        while let Some(piece) = current.take() {
            let expected = Header::new(frame::DONE, piece.first, piece.jobs.len());
            let records = &mut answers[..frame::RESULT_BYTES * piece.jobs.len()];
            read_frame(&mut output, expected, records, deadline)?;
            // The child waits for its next chunk: send it before decoding these answers.
            current = queue.take();
            if let Some(next) = &current {
                message.clear();
                frame::encode_jobs(&mut message, next.first, next.jobs);
                send(&mut stdin, &message, next.last).map_err(Trouble::Write)?;
            }
            frame::decode_results(records, piece.results);
            c.answered += piece.results.len();
        }
        stdin = None;
        read_line(&mut output, &mut line, deadline)?;
        c.appended = Some(
            line.trim_end()
                .strip_prefix("bye ")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| Trouble::Malformed(quoted(&line)))?,
        );
        Ok(())
    })();
    c.trouble = result.err();
    c.timed_out = matches!(c.trouble, Some(Trouble::TimedOut));
    c.output = Some(output);
    c
}

/// The next line (`ready`, `bye`).
fn read_line(
    output: &mut ChildOutput,
    line: &mut String,
    deadline: Option<Instant>,
) -> Result<(), Trouble> {
    output
        .read_line(line, LINE_LIMIT, deadline)
        .map_err(|e| match e {
            LineError::Closed => Trouble::Closed,
            LineError::Malformed(l) => Trouble::Malformed(quoted(&l)),
            LineError::TimedOut => Trouble::TimedOut,
        })
}

/// A line the child wrote, quoted readably for an error message.
fn quoted(line: &str) -> String {
    format!("'{}'", frame::readable(line.trim_end().as_bytes()))
}

/// Read the frame `expected` (its header must match exactly), its records into `records`.
fn read_frame(
    output: &mut ChildOutput,
    expected: Header,
    records: &mut [u8],
    deadline: Option<Instant>,
) -> Result<(), Trouble> {
    let mut head = [0u8; frame::HEADER];
    match output.read_exact(&mut head, deadline) {
        Ok(()) => {}
        Err(ReadError::Closed) => return Err(Trouble::Closed),
        Err(ReadError::TimedOut) => return Err(Trouble::TimedOut),
        Err(ReadError::Cut(got)) => {
            return Err(Trouble::Malformed(format!(
                "'{}' (then nothing: {got} bytes of a {} frame's header)",
                frame::readable(&head[..got]),
                expected.describe()
            )));
        }
    }
    let got = Header::from_bytes(&head);
    if got != expected {
        if got.tag == expected.tag {
            return Err(Trouble::Malformed(format!(
                "'{}' (a frame header for the wrong jobs: {} was due)",
                got.describe(),
                expected.describe()
            )));
        }
        // Not a frame at all: quote it with what follows (up to a line of it).
        let mut seen = head.to_vec();
        if !seen.contains(&b'\n') {
            seen.extend(output.read_some(80, Duration::from_millis(100)));
        }
        let seen = seen.strip_suffix(b"\n").unwrap_or(&seen);
        return Err(Trouble::Malformed(format!(
            "'{}' (expected a {} frame)",
            frame::readable(seen),
            expected.describe()
        )));
    }
    match output.read_exact(records, deadline) {
        Ok(()) => Ok(()),
        Err(ReadError::TimedOut) => Err(Trouble::TimedOut),
        Err(ReadError::Closed) => Err(Trouble::Cut(format!(
            "a {} frame (its header, then none of its {} bytes)",
            expected.describe(),
            records.len()
        ))),
        Err(ReadError::Cut(got)) => Err(Trouble::Cut(format!(
            "a {} frame ({got} of its {} bytes)",
            expected.describe(),
            records.len()
        ))),
    }
}
