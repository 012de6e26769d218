//! The /proc readers behind the memory figures: a process's descendants, its PSS, its status
//! (resident size, peak, page tables), and the machine's available memory. Every reader reuses
//! the caller's buffer, so the sampler allocates nothing once it is running.

use std::io::Read;

/// Finds a process's descendants through `/proc/PID/task/TID/children` (every thread's
/// children: a child belongs to the thread that started it).
#[derive(Default)]
pub struct Walk {
    buf: Vec<u8>,
    path: String,
}

impl Walk {
    /// Append every descendant of `root` (not `root`) to `out`.
    pub fn descendants(&mut self, root: u32, out: &mut Vec<u32>) {
        let start = out.len();
        self.children(root, out);
        let mut i = start;
        while i < out.len() {
            let pid = out[i];
            self.children(pid, out);
            i += 1;
        }
    }

    fn children(&mut self, pid: u32, out: &mut Vec<u32>) {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return;
        };
        for task in tasks.flatten() {
            self.path.clear();
            self.path.push_str("/proc/");
            self.path.push_str(&pid.to_string());
            self.path.push_str("/task/");
            self.path.push_str(&task.file_name().to_string_lossy());
            self.path.push_str("/children");
            if read_into(&self.path, &mut self.buf).is_none() {
                continue;
            }
            for word in self.buf.split(|b| b.is_ascii_whitespace()) {
                if let Some(child) = std::str::from_utf8(word).ok().and_then(|w| w.parse().ok())
                    && !out.contains(&child)
                {
                    out.push(child);
                }
            }
        }
    }
}

/// Read a whole (small) file into `buf`, reusing its capacity.
pub fn read_into(path: &str, buf: &mut Vec<u8>) -> Option<()> {
    buf.clear();
    std::fs::File::open(path).ok()?.read_to_end(buf).ok()?;
    Some(())
}

/// The value of `key` (e.g. `Pss:`) in a /proc file of `key  123 kB` lines, in bytes.
pub fn kib_field(text: &[u8], key: &[u8]) -> Option<u64> {
    text.split(|&b| b == b'\n').find_map(|line| {
        let rest = line.strip_prefix(key)?;
        let digits = std::str::from_utf8(rest)
            .ok()?
            .trim()
            .trim_end_matches("kB");
        digits.trim().parse::<u64>().ok().map(|kib| kib * 1024)
    })
}

/// Proportional set size of `pid` now (`/proc/PID/smaps_rollup`).
pub fn proportional_bytes(pid: u32, buf: &mut Vec<u8>) -> Option<u64> {
    read_into(&format!("/proc/{pid}/smaps_rollup"), buf)?;
    kib_field(buf, b"Pss:")
}

/// What `/proc/PID/status` says of a process's memory, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct Status {
    /// Total size of its mappings (VmSize).
    pub size: u64,
    /// Resident size now (VmRSS).
    pub rss: u64,
    /// Peak resident size since the last reset (VmHWM).
    pub peak: u64,
    /// Its page tables (VmPTE): kernel memory that is in no resident figure.
    pub page_tables: u64,
}

pub fn status(pid: u32, buf: &mut Vec<u8>) -> Option<Status> {
    read_into(&format!("/proc/{pid}/status"), buf)?;
    Some(Status {
        size: kib_field(buf, b"VmSize:")?,
        rss: kib_field(buf, b"VmRSS:")?,
        peak: kib_field(buf, b"VmHWM:")?,
        page_tables: kib_field(buf, b"VmPTE:").unwrap_or(0),
    })
}

/// Reset `pid`'s peak resident size to its current size (Linux >= 4.0); silently nothing
/// where that is not allowed (the figure is then the process's lifetime peak, still a floor).
pub fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// Memory the machine can give without swapping (`MemAvailable`), in bytes.
pub fn available_bytes() -> Option<u64> {
    let mut buf = Vec::new();
    read_into("/proc/meminfo", &mut buf)?;
    kib_field(&buf, b"MemAvailable:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_parse_in_bytes() {
        let text = b"Rss:  100 kB\nPss:   42 kB\nShared: 3 kB\n";
        assert_eq!(kib_field(text, b"Pss:"), Some(42 * 1024));
        assert_eq!(kib_field(text, b"Private:"), None);
        assert!(available_bytes().is_some_and(|b| b > 0));
        let mut buf = Vec::new();
        let me = std::process::id();
        assert!(proportional_bytes(me, &mut buf).is_some_and(|b| b > 0));
        let s = status(me, &mut buf).unwrap();
        assert!(s.peak >= s.rss && s.rss > 0 && s.page_tables > 0, "{s:?}");
    }

    #[test]
    fn a_child_is_found_and_its_memory_counted() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let mut pids = Vec::new();
        Walk::default().descendants(std::process::id(), &mut pids);
        let found = pids.contains(&child.id());
        let pss = proportional_bytes(child.id(), &mut Vec::new());
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(found, "{pids:?} lacks {}", child.id());
        assert!(pss.is_some_and(|b| b > 0));
    }
}
