//! The binary frames of the worker protocol (see `worker`'s module docs), shared by the child
//! and the parent.

use crate::workload::{Job, Task};

/// A chunk of jobs, parent to child.
pub const JOBS: [u8; 4] = *b"JOBS";
/// A chunk's answers, child to parent.
pub const DONE: [u8; 4] = *b"DONE";
/// Tag, first index, count.
pub const HEADER: usize = 16;
/// One job in a JOBS frame: task byte, number.
pub const JOB_BYTES: usize = 9;
/// One answer in a DONE frame.
pub const RESULT_BYTES: usize = 16;
/// The most jobs a frame may hold: the largest `--chunk`.
pub const MAX_COUNT: u32 = 1_000_000;

/// A frame's header, as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub tag: [u8; 4],
    pub first: u64,
    pub count: u32,
}

impl Header {
    pub fn new(tag: [u8; 4], first: usize, count: usize) -> Self {
        Header {
            tag,
            first: first as u64,
            count: count as u32,
        }
    }

    pub fn to_bytes(self) -> [u8; HEADER] {
        let mut b = [0u8; HEADER];
        b[..4].copy_from_slice(&self.tag);
        b[4..12].copy_from_slice(&self.first.to_le_bytes());
        b[12..].copy_from_slice(&self.count.to_le_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; HEADER]) -> Self {
        Header {
            tag: [b[0], b[1], b[2], b[3]],
            first: u64::from_le_bytes(b[4..12].try_into().expect("8 bytes")),
            count: u32::from_le_bytes(b[12..].try_into().expect("4 bytes")),
        }
    }

    /// Whether this is a `tag` frame of a count the protocol allows.
    pub fn is(&self, tag: [u8; 4]) -> bool {
        self.tag == tag && (1..=MAX_COUNT).contains(&self.count)
    }

    /// The jobs it stands for, readably: `DONE 0..25000`.
    pub fn describe(&self) -> String {
        format!(
            "{} {}..{}",
            readable(&self.tag),
            self.first,
            self.first + u64::from(self.count)
        )
    }
}

/// Append a JOBS frame for `jobs`, the first of them being job `first`.
pub fn encode_jobs(out: &mut Vec<u8>, first: usize, jobs: &[Job]) {
    out.reserve(HEADER + JOB_BYTES * jobs.len());
    out.extend_from_slice(&Header::new(JOBS, first, jobs.len()).to_bytes());
    for job in jobs {
        out.push(match job.task {
            Task::Square => 0,
            Task::Cube => 1,
        });
        out.extend_from_slice(&job.number.to_le_bytes());
    }
}

/// The jobs of a JOBS frame's records, into `jobs`; `Err(k)` when job `k` has no valid task.
pub fn decode_jobs(records: &[u8], jobs: &mut Vec<Job>) -> Result<(), usize> {
    jobs.clear();
    for (k, r) in records.chunks_exact(JOB_BYTES).enumerate() {
        let task = match r[0] {
            0 => Task::Square,
            1 => Task::Cube,
            _ => return Err(k),
        };
        let number = i64::from_le_bytes(r[1..].try_into().expect("8 bytes"));
        jobs.push(Job { task, number });
    }
    Ok(())
}

/// Append a DONE frame for `results`, the first of them answering job `first`.
pub fn encode_results(out: &mut Vec<u8>, first: usize, results: &[i128]) {
    out.reserve(HEADER + RESULT_BYTES * results.len());
    out.extend_from_slice(&Header::new(DONE, first, results.len()).to_bytes());
    for r in results {
        out.extend_from_slice(&r.to_le_bytes());
    }
}

/// A DONE frame's records into `results` (one record per slot).
pub fn decode_results(records: &[u8], results: &mut [i128]) {
    for (slot, r) in results.iter_mut().zip(records.chunks_exact(RESULT_BYTES)) {
        *slot = i128::from_le_bytes(r.try_into().expect("16 bytes"));
    }
}

/// Bytes as readable text for an error message: printable ASCII as is, the rest escaped
/// (`\n`, `\x00`), cut to 80 characters with `...`.
pub fn readable(bytes: &[u8]) -> String {
    let text = bytes.escape_ascii().to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}
