//! `CpuSampler`: a background thread that records per-core CPU usage and this process's CPU %
//! with sysinfo, tagging each sample with the trial running at that moment.
//!
//! sysinfo re-reads /proc/stat only when MINIMUM_CPU_UPDATE_INTERVAL (200 ms on Linux) has
//! passed; sampling faster silently returns stale per-core figures and too-low process
//! figures, so the interval is never allowed below that minimum. The sampler measures its own
//! CPU time (CLOCK_THREAD_CPUTIME_ID) so its cost can be reported.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sysinfo::{
    CpuRefreshKind, MINIMUM_CPU_UPDATE_INTERVAL, ProcessRefreshKind, ProcessesToUpdate,
    RefreshKind, System,
};

use super::usage::thread_cpu_s;
use crate::error::{Error, Result};
pub use crate::records::SamplerReport;
use crate::records::{SampleRow, SampleWriter};

/// Default period between samples: comfortably above sysinfo's 200 ms minimum.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(250);

/// The label of the trial running now, shared between the experiment and the sampler.
#[derive(Debug, Clone, Default)]
pub struct TrialTag(Arc<Mutex<String>>);

impl TrialTag {
    pub fn set(&self, label: &str) {
        if let Ok(mut t) = self.0.lock() {
            t.clear();
            t.push_str(label);
        }
    }
    pub fn clear(&self) {
        self.set("");
    }
    fn get(&self) -> String {
        self.0.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

/// The sampler thread's own CPU time so far, published after every sample, so a trial can
/// take out what the sampler cost during it (its getrusage(SELF) includes this thread).
#[derive(Debug, Clone, Default)]
pub struct SamplerClock(Arc<AtomicU64>);

impl SamplerClock {
    /// CPU seconds the sampler has used so far (as of its last finished sample).
    pub fn cpu_s(&self) -> f64 {
        self.0.load(Ordering::Relaxed) as f64 * 1e-9
    }
    fn publish(&self, cpu_s: f64) {
        self.0.store((cpu_s * 1e9) as u64, Ordering::Relaxed);
    }
}

/// A write error of the sampler thread, for the trial loop to notice at once.
#[derive(Debug, Clone, Default)]
pub struct SamplerFailure(Arc<Mutex<Option<String>>>);

impl SamplerFailure {
    pub fn get(&self) -> Option<String> {
        self.0.lock().ok().and_then(|f| f.clone())
    }
    fn set(&self, e: &Error) {
        if let Ok(mut f) = self.0.lock() {
            f.get_or_insert_with(|| e.to_string());
        }
    }
}

/// A running sampler. Call [`CpuSampler::stop`] to end it and get its report.
pub struct CpuSampler {
    stop: mpsc::Sender<()>,
    handle: JoinHandle<Result<SamplerReport>>,
    clock: SamplerClock,
    failure: SamplerFailure,
}

impl CpuSampler {
    /// Start sampling every `interval` (raised to sysinfo's minimum if lower). Times are
    /// seconds since `epoch`, the experiment's start, so samples line up with runs.csv.
    pub fn start(
        interval: Duration,
        epoch: Instant,
        tag: TrialTag,
        mut sink: SampleWriter,
    ) -> Result<Self> {
        let interval = interval.max(MINIMUM_CPU_UPDATE_INTERVAL);
        let pid = sysinfo::get_current_pid()
            .map_err(|e| Error::Measurement(format!("sysinfo cannot find our pid: {e}")))?;
        let mut sys = System::new_with_specifics(
            RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing().with_usage()),
        )
        .map_err(|e| Error::Measurement(format!("sysinfo: {e}")))?;
        let kind = ProcessRefreshKind::nothing().with_cpu().without_tasks();
        let (stop, stopped) = mpsc::channel::<()>();
        let clock = SamplerClock::default();
        let failure = SamplerFailure::default();
        let (published, failed) = (clock.clone(), failure.clone());
        let handle = std::thread::Builder::new()
            .name("concbench-sampler".into())
            .spawn(move || -> Result<SamplerReport> {
                let cpu0 = thread_cpu_s();
                let started = Instant::now();
                // The first reading only primes sysinfo's counters (its figures are meaningless).
                sys.refresh_cpu_usage();
                sys.refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), true, kind);
                let mut samples = 0u64;
                let mut rows = Vec::new();
                // Wake every interval until told to stop (or the experiment is gone).
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    sys.refresh_cpu_usage();
                    sys.refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), true, kind);
                    let t_s = epoch.elapsed().as_secs_f64();
                    let process_cpu_pct = sys.process(pid).map_or(0.0, |p| p.cpu_usage() as f64);
                    let trial = tag.get();
                    rows.clear();
                    rows.extend(sys.cpus().iter().enumerate().map(|(core, cpu)| SampleRow {
                        t_s,
                        core,
                        usage_pct: cpu.usage() as f64,
                        process_cpu_pct,
                        trial: trial.clone(),
                    }));
                    if let Err(e) = sink.write(&rows) {
                        failed.set(&e);
                        return Err(e);
                    }
                    samples += 1;
                    published.publish(thread_cpu_s());
                }
                let wall_s = started.elapsed().as_secs_f64();
                let cpu_s = thread_cpu_s() - cpu0;
                Ok(SamplerReport {
                    interval_ms: interval.as_secs_f64() * 1000.0,
                    samples,
                    cpu_s,
                    wall_s,
                    overhead_pct_of_core: if wall_s > 0.0 {
                        100.0 * cpu_s / wall_s
                    } else {
                        0.0
                    },
                })
            })
            .map_err(|e| Error::Measurement(format!("cannot start the sampler thread: {e}")))?;
        Ok(CpuSampler {
            stop,
            handle,
            clock,
            failure,
        })
    }

    /// The sampler's CPU clock, to subtract its cost from trials.
    pub fn clock(&self) -> SamplerClock {
        self.clock.clone()
    }

    /// Set when the sampler could not write samples.csv.
    pub fn failure(&self) -> SamplerFailure {
        self.failure.clone()
    }

    /// Stop sampling and return what it cost.
    pub fn stop(self) -> Result<SamplerReport> {
        let _ = self.stop.send(());
        self.handle
            .join()
            .map_err(|_| Error::Measurement("the sampler thread panicked".into()))?
    }
}
