//! The tutorial's workload: the square and the cube of every number in a list, one unit of
//! work (a sleep or a CPU burn) per job.

use std::fmt;
use std::hint::black_box;
use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What is computed for one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Square,
    Cube,
}

impl Task {
    pub const ALL: [Task; 2] = [Task::Square, Task::Cube];

    /// Exact result; `None` when it does not fit an i128.
    pub fn apply(self, n: i64) -> Option<i128> {
        let n = n as i128;
        match self {
            Task::Square => n.checked_mul(n),
            Task::Cube => n.checked_mul(n)?.checked_mul(n),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Task::Square => "square",
            Task::Cube => "cube",
        }
    }
}

impl FromStr for Task {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "square" => Ok(Task::Square),
            "cube" => Ok(Task::Cube),
            _ => Err(Error::Usage(format!("unknown task '{s}'"))),
        }
    }
}

/// One job: a task applied to one number. The tutorial has 2 tasks x 4 numbers = 8 jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    pub task: Task,
    pub number: i64,
}

impl Job {
    /// The http variant's request for this job, `/square/8?delay_ms=25`. The delay is in
    /// milliseconds, written with as many decimals as it needs (`0.5`), so any `--sleep-ms`
    /// travels exactly to the microsecond.
    pub fn http_path(self, delay: Duration) -> String {
        let us = delay.as_micros();
        let ms = if us.is_multiple_of(1000) {
            format!("{}", us / 1000)
        } else {
            format!("{}.{:03}", us / 1000, us % 1000)
        };
        format!("/{}/{}?delay_ms={ms}", self.task.name(), self.number)
    }
}

/// Defined with the file schemas it is recorded in.
pub use crate::records::Variant;

impl Variant {
    /// The default run's variants. `http` is asked for by name only: it starts a server.
    pub const ALL: [Variant; 2] = [Variant::Sleep, Variant::Cpu];
    /// Every variant, in the canonical order plans list them in.
    pub const EVERY: [Variant; 3] = [Variant::Sleep, Variant::Cpu, Variant::Http];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Sleep => "sleep",
            Variant::Cpu => "cpu",
            Variant::Http => "http",
        }
    }

    /// Whether each job waits (sleep, http) rather than computes: the unit is `--sleep-ms`.
    pub fn waits(self) -> bool {
        matches!(self, Variant::Sleep | Variant::Http)
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Variant {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "sleep" => Ok(Variant::Sleep),
            "cpu" => Ok(Variant::Cpu),
            "http" => Ok(Variant::Http),
            _ => Err(Error::Usage(format!(
                "unknown variant '{s}' (expected sleep, cpu or http)"
            ))),
        }
    }
}

/// What one job spends its time on, fully resolved (no calibration left to do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    Sleep(Duration),
    Cpu {
        iters: u64,
    },
    /// A real HTTP/1.1 GET to concbench's server on 127.0.0.1:`port`, answered after `delay`.
    Http {
        delay: Duration,
        port: u16,
    },
}

/// The cost of one job: its effort, and the memory it holds while it works (`--job-mb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkUnit {
    pub effort: Effort,
    /// Bytes every job maps and touches before its effort and frees after it: a load whose
    /// peak is known (one job holds exactly this much), so memory figures can be checked.
    pub job_bytes: u64,
}

impl WorkUnit {
    /// A sleep of `d` per job, holding no memory.
    pub const fn sleep(d: Duration) -> Self {
        WorkUnit {
            effort: Effort::Sleep(d),
            job_bytes: 0,
        }
    }

    /// `iters` iterations of the CPU kernel per job, holding no memory.
    pub const fn cpu(iters: u64) -> Self {
        WorkUnit {
            effort: Effort::Cpu { iters },
            job_bytes: 0,
        }
    }

    /// A GET per job to the server on 127.0.0.1:`port`, which answers after `delay`.
    pub const fn http(delay: Duration, port: u16) -> Self {
        WorkUnit {
            effort: Effort::Http { delay, port },
            job_bytes: 0,
        }
    }

    /// The same unit, each job holding `bytes` while it works.
    pub const fn holding(self, bytes: u64) -> Self {
        WorkUnit {
            job_bytes: bytes,
            ..self
        }
    }

    /// Spend one unit of work. Returns a value the caller must not ignore, so the CPU kernel
    /// stays observable. An http unit needs its job (the request names it): see [`run_job`];
    /// spent without one, it asks for the square of 0.
    pub fn spend(self) -> u64 {
        let held = JobMemory::hold(self.job_bytes);
        let value = match self.effort {
            Effort::Sleep(d) => {
                // One timed kernel wait, like thread::sleep, that a stop signal can cut short.
                crate::lifecycle::sleep(d);
                0
            }
            Effort::Cpu { iters } => burn(iters),
            Effort::Http { delay, port } => {
                let job = Job {
                    task: Task::Square,
                    number: 0,
                };
                crate::http::blocking::get_or_report(port, &job.http_path(delay)) as u64
            }
        };
        // Held until the effort is spent, then unmapped.
        drop(held);
        value
    }

    pub fn variant(self) -> Variant {
        match self.effort {
            Effort::Sleep(_) => Variant::Sleep,
            Effort::Cpu { .. } => Variant::Cpu,
            Effort::Http { .. } => Variant::Http,
        }
    }

    /// Encoding for the worker protocol and logs: `sleep:<ns>`, `cpu:<iters>` or
    /// `http:<port>:<delay ns>`, then `,mem:<bytes>` when jobs hold memory.
    pub fn encode(self) -> String {
        let effort = match self.effort {
            Effort::Sleep(d) => format!("sleep:{}", d.as_nanos()),
            Effort::Cpu { iters } => format!("cpu:{iters}"),
            Effort::Http { delay, port } => format!("http:{port}:{}", delay.as_nanos()),
        };
        match self.job_bytes {
            0 => effort,
            b => format!("{effort},mem:{b}"),
        }
    }

    pub fn decode(s: &str) -> Option<Self> {
        let (effort, mem) = match s.split_once(',') {
            Some((e, m)) => (e, Some(m.strip_prefix("mem:")?.parse::<u64>().ok()?)),
            None => (s, None),
        };
        let (kind, value) = effort.split_once(':')?;
        if kind == "http" {
            let (port, delay) = value.split_once(':')?;
            let unit = WorkUnit::http(
                Duration::from_nanos(delay.parse().ok()?),
                port.parse().ok()?,
            );
            return Some(unit.holding(mem.unwrap_or(0)));
        }
        let value: u64 = value.parse().ok()?;
        let unit = match kind {
            "sleep" => WorkUnit::sleep(Duration::from_nanos(value)),
            "cpu" => WorkUnit::cpu(value),
            _ => return None,
        };
        Some(unit.holding(mem.unwrap_or(0)))
    }
}

/// Memory one job holds while it works: an anonymous private mapping of exactly the asked
/// size, every page written once so it is resident, unmapped when dropped. Mapped directly
/// rather than through the allocator, so that what is held and when it goes back to the
/// kernel do not depend on malloc's thresholds and caches.
pub struct JobMemory {
    ptr: *mut u8,
    len: usize,
}

impl JobMemory {
    const PAGE: usize = 4096;

    pub fn hold(bytes: u64) -> JobMemory {
        let len = bytes as usize;
        if len == 0 {
            return JobMemory {
                ptr: std::ptr::null_mut(),
                len: 0,
            };
        }
        // SAFETY: a new anonymous private mapping; nothing else refers to it.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            // Checked against free memory before anything runs; failing here is a machine
            // that changed since. Dying at once is better than a figure that lies.
            eprintln!("concbench: cannot map {bytes} bytes for --job-mb");
            std::process::abort();
        }
        let ptr = ptr as *mut u8;
        for offset in (0..len).step_by(Self::PAGE) {
            // SAFETY: offset < len, inside the mapping; volatile so the write is not elided.
            unsafe { std::ptr::write_volatile(ptr.add(offset), 1) };
        }
        JobMemory { ptr, len }
    }
}

impl Drop for JobMemory {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: the mapping made in `hold`, unmapped once.
            unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
        }
    }
}

/// Run one job: spend its unit of work, then compute its exact result.
/// The burn's value is passed through `black_box` so the kernel cannot be optimised away.
/// An http job's result is the server's answer, parsed from its body, so a server that
/// answered wrongly (or not at all) fails the trial's verification like any wrong result.
pub fn run_job(job: Job, unit: WorkUnit) -> i128 {
    if let Effort::Http { delay, port } = unit.effort {
        let _held = JobMemory::hold(unit.job_bytes);
        return crate::http::blocking::get_or_report(port, &job.http_path(delay));
    }
    black_box(unit.spend());
    // Overflow was ruled out when the list was validated.
    job.task.apply(job.number).unwrap_or(0)
}

/// Iterations of the kernel between two looks at the stop flag: about 0.15 ms of work, so a
/// stop signal ends a long job at once, at the cost of one relaxed load per 65,536 steps.
const STOP_CHECK_ITERS: u64 = 1 << 16;

/// The CPU kernel: a multiply-xorshift chain. Each step depends on the previous one, so it
/// cannot be vectorised, parallelised or folded into a closed form; `black_box` on the input
/// and output keeps the compiler from computing it at build time. A stop signal
/// ([`crate::lifecycle`]) ends it early; the value is then meaningless, and so is the trial.
#[inline(never)]
pub fn burn(iters: u64) -> u64 {
    let mut x: u64 = black_box(0x9E37_79B9_7F4A_7C15);
    let iters = black_box(iters);
    let mut i = 0;
    while i < iters {
        let end = iters.min(i + STOP_CHECK_ITERS);
        for j in i..end {
            x = x.wrapping_mul(0x5851_F42D_4C95_7F2D).wrapping_add(j);
            x ^= x >> 29;
        }
        i = end;
        if crate::lifecycle::stop_requested() {
            break;
        }
    }
    black_box(x)
}

/// Defined with the file schemas it is recorded in.
pub use crate::records::Calibration;

/// Measure the kernel's speed: run probes of about 20 ms and keep the fastest (least disturbed).
pub fn measure_kernel_rate() -> (f64, f64) {
    let started = Instant::now();
    // A short first pass sizes the probes; the fastest of five probes gives the rate.
    let mut probe_iters: u64 = 200_000;
    loop {
        let t = Instant::now();
        black_box(burn(probe_iters));
        if t.elapsed() >= Duration::from_millis(5) || probe_iters > 1 << 40 {
            break;
        }
        probe_iters *= 2;
    }
    probe_iters *= 4; // about 20 ms
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        black_box(burn(probe_iters));
        best = best.min(t.elapsed().as_secs_f64());
    }
    let rate = probe_iters as f64 / (best * 1000.0);
    (rate, started.elapsed().as_secs_f64())
}

/// Calibrate `target_ms` of CPU work to an iteration count on this machine.
pub fn calibrate(target_ms: f64) -> Calibration {
    let (rate, took) = measure_kernel_rate();
    Calibration::for_rate(rate, target_ms, took)
}

impl Calibration {
    /// The unit of `target_ms` at `rate` iterations per ms (at least one iteration).
    pub fn for_rate(rate: f64, target_ms: f64, took_s: f64) -> Calibration {
        Calibration {
            iters_per_ms: rate,
            iters: ((rate * target_ms).round() as u64).max(1),
            target_ms,
            took_s,
        }
    }
}

/// A fixed iteration count (`--cpu-iters`): still measure the rate so the unit can be reported
/// in milliseconds.
pub fn fixed_iters(iters: u64) -> Calibration {
    let (rate, took) = measure_kernel_rate();
    Calibration {
        iters_per_ms: rate,
        iters,
        target_ms: iters as f64 / rate,
        took_s: took,
    }
}

/// The jobs of a list: every task for every number, squares first as in the tutorial.
pub fn jobs_for(numbers: &[i64]) -> Vec<Job> {
    Task::ALL
        .iter()
        .flat_map(|&task| numbers.iter().map(move |&number| Job { task, number }))
        .collect()
}

/// The reference results, computed directly (no work units): what every strategy must return.
pub fn reference_results(jobs: &[Job]) -> Vec<i128> {
    jobs.iter()
        .map(|j| j.task.apply(j.number).unwrap_or(0))
        .collect()
}

/// Check that every square and cube of the list fits the result type.
pub fn validate_numbers(numbers: &[i64]) -> Result<()> {
    if numbers.is_empty() {
        return Err(Error::Usage("the list is empty".into()));
    }
    for &n in numbers {
        if Task::Cube.apply(n).is_none() {
            return Err(Error::Usage(format!(
                "the cube of {n} does not fit a 128-bit integer (|n| must be at most 5541191377756)"
            )));
        }
    }
    Ok(())
}

/// Parse `--numbers`: a comma-separated list of integers.
pub fn parse_numbers(s: &str) -> Result<Vec<i64>> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Error::Usage("the list is empty".into()));
    }
    let numbers = s
        .split(',')
        .map(|part| {
            let part = part.trim();
            part.parse::<i64>().map_err(|_| {
                Error::Usage(format!(
                    "'{part}' is not an integer (expected a list such as 2,3,8,9)"
                ))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    validate_numbers(&numbers)?;
    Ok(numbers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_are_exact_and_detect_overflow() {
        assert_eq!(Task::Square.apply(-3), Some(9));
        assert_eq!(Task::Cube.apply(-3), Some(-27));
        assert_eq!(Task::Cube.apply(0), Some(0));
        assert_eq!(
            Task::Cube.apply(5_541_191_377_756),
            Some(5_541_191_377_756i128.pow(3))
        );
        assert_eq!(Task::Cube.apply(5_541_191_377_757), None);
        assert_eq!(
            Task::Square.apply(i64::MIN),
            Some((i64::MIN as i128).pow(2))
        );
    }

    #[test]
    fn numbers_parse_and_reject() {
        assert_eq!(parse_numbers("2,3,8,9").unwrap(), vec![2, 3, 8, 9]);
        assert_eq!(parse_numbers(" -1, 0 ,7").unwrap(), vec![-1, 0, 7]);
        assert!(parse_numbers("").is_err());
        assert!(parse_numbers("1,,2").is_err());
        assert!(parse_numbers("1,x").is_err());
        assert!(parse_numbers("9223372036854775807").is_err());
    }

    #[test]
    fn http_paths_name_the_job_and_the_exact_delay() {
        let job = Job {
            task: Task::Cube,
            number: -8,
        };
        let path = |d| job.http_path(d);
        assert_eq!(path(Duration::from_millis(25)), "/cube/-8?delay_ms=25");
        assert_eq!(path(Duration::from_micros(1500)), "/cube/-8?delay_ms=1.500");
        assert_eq!(path(Duration::ZERO), "/cube/-8?delay_ms=0");
    }

    #[test]
    fn jobs_follow_the_tutorial_order() {
        let jobs = jobs_for(&[2, 3]);
        assert_eq!(jobs.len(), 4);
        assert_eq!(reference_results(&jobs), vec![4, 9, 8, 27]);
    }

    #[test]
    fn units_round_trip_through_the_wire_encoding() {
        for u in [
            WorkUnit::sleep(Duration::from_millis(25)),
            WorkUnit::cpu(123),
            WorkUnit::cpu(7).holding(64 << 20),
            WorkUnit::http(Duration::from_millis(25), 40123),
            WorkUnit::http(Duration::from_micros(1500), 1).holding(4096),
        ] {
            assert_eq!(WorkUnit::decode(&u.encode()), Some(u));
        }
        assert_eq!(WorkUnit::cpu(7).holding(3).encode(), "cpu:7,mem:3");
        assert_eq!(WorkUnit::decode("cpu:x"), None);
        assert_eq!(WorkUnit::decode("nap:1"), None);
        assert_eq!(WorkUnit::decode("cpu:1,mem:x"), None);
        assert_eq!(WorkUnit::decode("cpu:1,rss:3"), None);
        assert_eq!(
            WorkUnit::http(Duration::from_millis(5), 8080).encode(),
            "http:8080:5000000"
        );
        assert_eq!(WorkUnit::decode("http:8080"), None);
        assert_eq!(WorkUnit::decode("http:70000:1"), None);
        assert_eq!(WorkUnit::decode("http:80:x"), None);
    }

    #[test]
    fn calibration_scales_with_the_target() {
        // The unit is the rate times the target, rounded, never below one iteration.
        assert_eq!(
            Calibration::for_rate(440_000.0, 25.0, 0.0).iters,
            11_000_000
        );
        assert_eq!(
            Calibration::for_rate(440_000.0, 50.0, 0.0).iters,
            22_000_000
        );
        assert_eq!(Calibration::for_rate(1.5, 1.0, 0.0).iters, 2);
        assert_eq!(Calibration::for_rate(0.1, 1.0, 0.0).iters, 1);
        // Measured here: a rate, and a unit that is the rate times the target.
        let c = calibrate(2.0);
        assert!(c.iters_per_ms > 1000.0, "{c:?}");
        assert_eq!(c.iters, (c.iters_per_ms * 2.0).round() as u64);
    }

    /// The kernel's chain, unchunked: what `burn` must compute when nothing stops it.
    fn chain(iters: u64) -> u64 {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..iters {
            x = x.wrapping_mul(0x5851_F42D_4C95_7F2D).wrapping_add(i);
            x ^= x >> 29;
        }
        x
    }

    /// Set in the child process that `the_kernel_stops_early_on_a_stop_request_only` starts.
    const STOP_CHILD: &str = "CONCBENCH_TEST_STOPPED_KERNEL";

    #[test]
    fn the_kernel_stops_early_on_a_stop_request_only() {
        if std::env::var_os(STOP_CHILD).is_some() {
            // In the child: a stop request, then a long burn ends after its first chunk.
            crate::lifecycle::request_stop();
            assert!(crate::lifecycle::stop_requested());
            assert_eq!(burn(40 * STOP_CHECK_ITERS), chain(STOP_CHECK_ITERS));
            return;
        }
        // Chunked for the stop flag, the chain is still the same chain.
        assert_eq!(burn(200_000), chain(200_000));
        // The stop flag is process-wide and cannot be cleared, so the stop is requested in a
        // child: this test binary again, running only this test.
        let name = "workload::tests::the_kernel_stops_early_on_a_stop_request_only";
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--nocapture", "--test-threads", "1"])
            .env(STOP_CHILD, "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}");
        // Filtered to nothing, the child would pass without running the check.
        assert!(text.contains("1 passed"), "{text}");
    }
}
