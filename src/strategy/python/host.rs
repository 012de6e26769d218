//! An interpreter process shared by the py-* arms of one block.
//!
//! CPython's speed differs from one interpreter process to the next far more than from one
//! call to the next inside a process: on the development machine, 14 fresh interpreters ran the
//! same loop at 4,400 to 7,200 iterations per ms, each within 1-2 % of its own speed. Two arms
//! measured in different processes carry that ±20 % into their ratio; measured in the same
//! process, it cancels. So the py-* arms of one block share a host: one interpreter serves one
//! trial of each arm, and when an arm comes back (the next round) a fresh interpreter starts,
//! so every round still draws a new process (and a new memory layout: the layouts are sampled,
//! not fixed, as Mytkowicz et al. ask). Every trial records which interpreter ran it
//! ([`PyHost::launch`]), and the speedup intervals resample whole interpreters.
//!
//! A host of one strategy alone serves one trial per process, as before.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::script::LiveScript;
use crate::error::{Error, Result};

/// Launch numbers are unique within one concbench process (pids could be reused).
static LAUNCHES: AtomicU64 = AtomicU64::new(1);

/// How long an interpreter may take to exit once its stdin is closed.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// See the module documentation.
#[derive(Default)]
pub struct PyHost {
    state: Mutex<HostState>,
}

#[derive(Default)]
struct HostState {
    live: Option<LiveScript>,
    launch: Option<u64>,
    /// The arms this interpreter has served.
    served: Vec<String>,
    /// Wall and CPU the interpreter reported for its trials, checked against its whole run.
    reported_wall_s: f64,
    reported_cpu_s: f64,
    /// Its whole CPU use at its last answer.
    process_cpu_s: f64,
}

impl PyHost {
    /// Get an interpreter ready for one trial of `arm` and return its "ready" line and its
    /// launch number: the current interpreter if it has not served `arm` yet, else a fresh one
    /// (the old one is ended and checked first). `start` launches one with `request` as its
    /// first line; a running one is sent `request`.
    pub fn begin(
        &self,
        arm: &str,
        request: &str,
        start: impl FnOnce(&str) -> Result<LiveScript>,
    ) -> Result<(String, u64)> {
        let mut state = self.lock();
        if state.live.is_some() && state.served.iter().any(|a| a == arm) {
            end(&mut state)?;
        }
        match state.live.as_mut() {
            Some(live) => {
                if live.send(request).is_err() {
                    // It died since its last answer: its status says why.
                    end(&mut state)?;
                    return Err(Error::Measurement(
                        "the interpreter ended between two trials".into(),
                    ));
                }
            }
            None => {
                state.live = Some(start(request)?);
                state.launch = Some(LAUNCHES.fetch_add(1, Ordering::Relaxed));
            }
        }
        state.served.push(arm.to_string());
        let line = state
            .live
            .as_mut()
            .and_then(LiveScript::read_line)
            .unwrap_or_default();
        Ok((line, state.launch.unwrap_or(0)))
    }

    /// Say "go" and return the answer line.
    pub fn go(&self) -> Result<String> {
        let mut state = self.lock();
        let live = state
            .live
            .as_mut()
            .ok_or_else(|| Error::Measurement("no interpreter is ready".into()))?;
        live.send("go")
            .map_err(|e| Error::Measurement(format!("cannot start the work: {e}")))?;
        Ok(live.read_line().unwrap_or_default())
    }

    /// The work the interpreter reported for one trial, for the check at its end, and its
    /// whole CPU use so far; returns the CPU it used since its previous answer (all of this
    /// trial's, start-up included for a fresh interpreter).
    pub fn account(&self, wall_s: f64, cpu_s: f64, process_cpu_s: f64) -> f64 {
        let mut state = self.lock();
        state.reported_wall_s += wall_s;
        state.reported_cpu_s += cpu_s;
        let since = (process_cpu_s - state.process_cpu_s).max(0.0);
        state.process_cpu_s = process_cpu_s;
        since
    }

    /// End the current interpreter now: reap it and check its exit and its reports (a
    /// strategy alone in its host does this after each trial; an error ends it at once).
    pub fn end(&self) -> Result<()> {
        end(&mut self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HostState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Close the interpreter's stdin, reap it, and check its exit and its reports.
fn end(state: &mut HostState) -> Result<()> {
    let reported = (
        state.reported_wall_s,
        state.reported_cpu_s,
        state.served.len(),
    );
    state.served.clear();
    state.launch = None;
    state.reported_wall_s = 0.0;
    state.reported_cpu_s = 0.0;
    state.process_cpu_s = 0.0;
    let Some(live) = state.live.take() else {
        return Ok(());
    };
    let run = live
        .finish(EXIT_GRACE)
        .map_err(|e| Error::Measurement(format!("the interpreter {e}")))?;
    if !run.reaped.success() {
        return Err(Error::Measurement(format!(
            "the interpreter {}; its stderr: {}",
            run.reaped.status_text(),
            run.stderr_tail
        )));
    }
    // Honesty check: its trials cannot have taken longer than its whole life did.
    let (wall, cpu, trials) = reported;
    let outer_cpu = run.reaped.user_s + run.reaped.sys_s;
    if wall > run.wall_s + 1e-3 || cpu > outer_cpu + 0.02 * trials.max(1) as f64 {
        return Err(Error::Measurement(format!(
            "the interpreter reported {wall:.3} s wall / {cpu:.3} s CPU of work over {trials} trial(s), more than its whole run ({:.3} s / {outer_cpu:.3} s)",
            run.wall_s
        )));
    }
    Ok(())
}

impl std::fmt::Debug for PyHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PyHost")
    }
}

impl Drop for PyHost {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|p| p.into_inner());
        let _ = end(state);
    }
}
