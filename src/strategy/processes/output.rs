//! A child's two output pipes read by one thread: protocol lines and frames from stdout, while
//! whatever it writes to stderr is drained (its last few KiB kept for error messages). One `poll` over both,
//! so a child that floods stderr never blocks, and no thread per child is spent on stderr
//! (spawning one costs about 60 µs here, on every run of `processes`).

use std::io::Read;
use std::os::fd::AsRawFd;
use std::process::{ChildStderr, ChildStdout};
use std::time::{Duration, Instant};

/// How much of stderr is kept: its end, where the message that matters usually is.
const TAIL: usize = 4096;

/// Why no line came.
#[derive(Debug)]
pub enum LineError {
    /// stdout closed before any byte of a line.
    Closed,
    /// A line longer than its limit, or cut short by the end of stdout.
    Malformed(String),
    /// The deadline passed first.
    TimedOut,
}

/// Why a frame's bytes did not all come.
#[derive(Debug)]
pub enum ReadError {
    /// stdout closed before any byte of them.
    Closed,
    /// stdout closed after this many of them.
    Cut(usize),
    /// The deadline passed first.
    TimedOut,
}

#[derive(Debug)]
pub struct ChildOutput {
    stdout: ChildStdout,
    stderr: Option<ChildStderr>,
    /// Read from stdout but not consumed yet.
    pending: Vec<u8>,
    /// How much of `pending` is known to hold no newline.
    scanned: usize,
    tail: Vec<u8>,
}

impl ChildOutput {
    pub fn new(stdout: ChildStdout, stderr: Option<ChildStderr>) -> Self {
        ChildOutput {
            stdout,
            stderr,
            pending: Vec::new(),
            scanned: 0,
            tail: Vec::new(),
        }
    }

    /// The next line from stdout (newline included), at most `limit` bytes, by `deadline` if
    /// there is one; stderr is drained meanwhile.
    pub fn read_line(
        &mut self,
        line: &mut String,
        limit: usize,
        deadline: Option<Instant>,
    ) -> Result<(), LineError> {
        let mut buf = [0u8; 16 * 1024];
        loop {
            // Only the bytes not looked at yet: a long line comes in many reads.
            if let Some(pos) = self.pending[self.scanned..]
                .iter()
                .position(|&b| b == b'\n')
            {
                let rest = self.pending.split_off(self.scanned + pos + 1);
                let bytes = std::mem::replace(&mut self.pending, rest);
                self.scanned = 0;
                *line = String::from_utf8_lossy(&bytes).into_owned();
                return if bytes.len() > limit {
                    Err(LineError::Malformed(line.clone()))
                } else {
                    Ok(())
                };
            }
            self.scanned = self.pending.len();
            if self.pending.len() > limit {
                return Err(LineError::Malformed(
                    String::from_utf8_lossy(&self.pending).into_owned(),
                ));
            }
            let Some((out_ready, err_ready)) = self.wait(deadline) else {
                return Err(LineError::TimedOut);
            };
            if err_ready && !self.drain_some(&mut buf) {
                self.stderr = None;
            }
            if out_ready {
                match self.stdout.read(&mut buf) {
                    Ok(0) | Err(_) if self.pending.is_empty() => return Err(LineError::Closed),
                    Ok(0) | Err(_) => {
                        self.scanned = 0;
                        return Err(LineError::Malformed(
                            String::from_utf8_lossy(&std::mem::take(&mut self.pending))
                                .into_owned(),
                        ));
                    }
                    Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                }
            }
        }
    }

    /// Fill `buf` from stdout, by `deadline` if there is one; stderr is drained meanwhile.
    /// Bytes already read (with a line) come first, the rest is read straight into `buf`.
    pub fn read_exact(
        &mut self,
        buf: &mut [u8],
        deadline: Option<Instant>,
    ) -> Result<(), ReadError> {
        let mut got = self.pending.len().min(buf.len());
        buf[..got].copy_from_slice(&self.pending[..got]);
        self.pending.drain(..got);
        self.scanned = 0;
        let mut err_buf = [0u8; 16 * 1024];
        while got < buf.len() {
            let Some((out_ready, err_ready)) = self.wait(deadline) else {
                return Err(ReadError::TimedOut);
            };
            if err_ready && !self.drain_some(&mut err_buf) {
                self.stderr = None;
            }
            if out_ready {
                match self.stdout.read(&mut buf[got..]) {
                    Ok(0) | Err(_) if got == 0 => return Err(ReadError::Closed),
                    Ok(0) | Err(_) => return Err(ReadError::Cut(got)),
                    Ok(n) => got += n,
                }
            }
        }
        Ok(())
    }

    /// Up to `max` more bytes of stdout, to quote what a child wrote instead of a frame: what
    /// comes within `wait`, up to a newline or the end of stdout.
    pub fn read_some(&mut self, max: usize, wait: Duration) -> Vec<u8> {
        let deadline = Instant::now() + wait;
        let mut more = Vec::new();
        let mut buf = [0u8; 256];
        while more.len() < max && !more.contains(&b'\n') {
            if !self.pending.is_empty() {
                let n = self.pending.len().min(max - more.len());
                more.extend(self.pending.drain(..n));
                self.scanned = 0;
                continue;
            }
            let Some((out_ready, err_ready)) = self.wait(Some(deadline)) else {
                break;
            };
            if err_ready && !self.drain_some(&mut buf) {
                self.stderr = None;
            }
            if out_ready {
                let n = buf.len().min(max - more.len());
                match self.stdout.read(&mut buf[..n]) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => more.extend_from_slice(&buf[..n]),
                }
            }
        }
        if let Some(end) = more.iter().position(|&b| b == b'\n') {
            more.truncate(end + 1);
        }
        more
    }

    /// Block until stdout or stderr has something (data, end or error): which of them; `None`
    /// when the deadline passed first.
    fn wait(&self, deadline: Option<Instant>) -> Option<(bool, bool)> {
        let mut fds = [
            libc::pollfd {
                fd: self.stdout.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: self.stderr.as_ref().map_or(-1, |e| e.as_raw_fd()),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        loop {
            let timeout = deadline.map_or(-1, |d| {
                // Rounded up, so the wait never ends before the deadline.
                let left = d.saturating_duration_since(Instant::now());
                left.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int
            });
            // SAFETY: two valid pollfds (a negative fd is ignored by poll), owned for the call.
            let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, timeout) };
            if r > 0 {
                return Some((fds[0].revents != 0, fds[1].revents != 0));
            }
            if r == 0 && deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            if r < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                // poll itself failed: let the blocking read on stdout decide.
                return Some((true, false));
            }
        }
    }

    /// Read what stderr has (it is ready); false at its end.
    fn drain_some(&mut self, buf: &mut [u8]) -> bool {
        let Some(err) = self.stderr.as_mut() else {
            return false;
        };
        match err.read(buf) {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                keep_tail(&mut self.tail, &buf[..n]);
                true
            }
        }
    }

    /// Everything stderr said, to its end, once the child is gone (reaped, so its end comes).
    pub fn into_stderr_tail(mut self) -> String {
        if let Some(mut err) = self.stderr.take() {
            let mut buf = [0u8; 16 * 1024];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                keep_tail(&mut self.tail, &buf[..n]);
            }
        }
        String::from_utf8_lossy(&self.tail).into_owned()
    }
}

fn keep_tail(tail: &mut Vec<u8>, more: &[u8]) {
    tail.extend_from_slice(more);
    if tail.len() > 4 * TAIL {
        tail.drain(..tail.len() - TAIL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn child(script: &str) -> (std::process::Child, ChildOutput) {
        let mut c = Command::new("sh")
            .args(["-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = ChildOutput::new(c.stdout.take().unwrap(), c.stderr.take());
        (c, out)
    }

    #[test]
    fn lines_come_whole_while_a_flood_on_stderr_is_drained() {
        // 256 KiB on stderr before the first line: more than a pipe holds, so a reader that
        // did not drain stderr would wait forever.
        let (mut c, mut out) = child(
            "head -c 262144 /dev/zero | tr '\\0' e >&2; echo one; printf 'two\\nlast words' >&2; echo two",
        );
        let mut line = String::new();
        out.read_line(&mut line, 100, None).unwrap();
        assert_eq!(line, "one\n");
        out.read_line(&mut line, 100, None).unwrap();
        assert_eq!(line, "two\n");
        assert!(matches!(
            out.read_line(&mut line, 100, None),
            Err(LineError::Closed)
        ));
        c.wait().unwrap();
        let tail = out.into_stderr_tail();
        assert!(
            tail.ends_with("two\nlast words"),
            "{:?}",
            &tail[tail.len() - 20..]
        );
        assert!(tail.len() <= 4 * TAIL);
    }

    #[test]
    fn a_deadline_ends_the_wait() {
        let (mut c, mut out) = child("echo early; sleep 5; echo late");
        let mut line = String::new();
        let soon = Instant::now() + std::time::Duration::from_millis(100);
        out.read_line(&mut line, 100, Some(soon)).unwrap();
        assert_eq!(line, "early\n");
        let started = Instant::now();
        assert!(matches!(
            out.read_line(&mut line, 100, Some(soon)),
            Err(LineError::TimedOut)
        ));
        assert!(started.elapsed() < std::time::Duration::from_secs(3));
        let _ = c.kill();
        c.wait().unwrap();
    }

    #[test]
    fn frames_follow_a_line_and_a_cut_one_says_how_far_it_came() {
        // A line, then binary bytes that arrive in the same read as it, then a cut frame.
        let (mut c, mut out) = child("printf 'ready 1\\nJOBS\\000\\n'; sleep 0.1; printf ab");
        let mut line = String::new();
        out.read_line(&mut line, 100, None).unwrap();
        assert_eq!(line, "ready 1\n");
        let mut frame = [0u8; 6];
        out.read_exact(&mut frame, None).unwrap();
        assert_eq!(&frame, b"JOBS\0\n");
        let mut more = [0u8; 4];
        assert!(matches!(
            out.read_exact(&mut more, None),
            Err(ReadError::Cut(2))
        ));
        assert_eq!(&more[..2], b"ab");
        assert!(matches!(
            out.read_exact(&mut more, None),
            Err(ReadError::Closed)
        ));
        c.wait().unwrap();
    }

    #[test]
    fn a_long_or_cut_line_is_malformed() {
        let (mut c, mut out) = child("echo 0123456789; printf half");
        let mut line = String::new();
        assert!(matches!(
            out.read_line(&mut line, 5, None),
            Err(LineError::Malformed(_))
        ));
        assert!(
            matches!(out.read_line(&mut line, 100, None), Err(LineError::Malformed(l)) if l == "half")
        );
        c.wait().unwrap();
    }
}
