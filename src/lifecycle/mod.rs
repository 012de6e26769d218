//! The lifecycle guard: what happens when a run is interrupted.
//!
//! - SIGINT, SIGTERM and SIGHUP set a stop flag inside the signal handler (so it is set the
//!   moment the signal arrives, before any worker's death is noticed), and a watcher thread
//!   then kills every child process concbench has registered (whole process groups for the
//!   CPython interpreters, so their multiprocessing children go too) and wakes every job that
//!   is sleeping. The trial in progress ends early and is discarded; the front end writes what
//!   the finished trials support and exits with 128 + the signal's number.
//! - A second signal exits at once with that status. Children still die: concbench's workers
//!   ask the kernel for SIGKILL when their parent goes (PR_SET_PDEATHSIG), and the CPython
//!   script kills its own process group when its stdin (a pipe from concbench) closes.
//!
//! Signals are process-wide, so the flag and the child registry are too: they are the one
//! piece of global state concbench keeps, and only this module touches it.

pub mod signals;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

pub use signals::{STOP_SIGNALS, exit_status, signal_name, stop_signal};

struct State {
    stop: Arc<AtomicBool>,
    children: Mutex<Vec<Registered>>,
    next_id: AtomicUsize,
    /// Sleeping jobs wait on this, so a stop can wake them.
    sleepers: (Mutex<()>, Condvar),
}

#[derive(Debug, Clone, Copy)]
struct Registered {
    id: usize,
    target: Target,
}

/// What to kill for a registered child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One process.
    Process(u32),
    /// A process group (the CPython interpreter and every process it started).
    Group(u32),
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| State {
        stop: Arc::new(AtomicBool::new(false)),
        children: Mutex::new(Vec::new()),
        next_id: AtomicUsize::new(1),
        sleepers: (Mutex::new(()), Condvar::new()),
    })
}

/// Install the handlers (once per process; later calls do nothing).
pub fn install() -> Result<()> {
    static INSTALLED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| install_once().map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| Error::Measurement(format!("cannot install signal handlers: {e}")))
}

fn install_once() -> std::io::Result<()> {
    let s = state();
    for sig in STOP_SIGNALS {
        // Registered first, so it sees the flag as it was before this signal: the first
        // signal only sets the flag, a second one exits at once.
        signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&s.stop))?;
        signal_hook::flag::register_usize(sig, Arc::clone(signals::arrived()), sig as usize)?;
        signal_hook::flag::register(sig, Arc::clone(&s.stop))?;
    }
    let mut signals = signal_hook::iterator::Signals::new(STOP_SIGNALS)?;
    std::thread::Builder::new()
        .name("concbench-signals".into())
        .spawn(move || {
            for _ in signals.forever() {
                kill_children();
                wake_sleepers();
            }
        })?;
    Ok(())
}

/// Whether a stop signal has arrived (or [`request_stop`] was called).
pub fn stop_requested() -> bool {
    state().stop.load(Ordering::Relaxed)
}

/// Stop as a signal would (tests, and a front end that must abandon the run).
pub fn request_stop() {
    state().stop.store(true, Ordering::SeqCst);
    kill_children();
    wake_sleepers();
}

/// A child registered to be killed on a stop. Dropping it unregisters the child: do that
/// before reaping, so a stop can never signal a pid that was reaped and reused.
#[must_use = "dropping the registration at once leaves the child unguarded"]
#[derive(Debug)]
pub struct ChildRegistration {
    id: usize,
}

/// Register a child to be killed when a stop signal arrives. If a stop was already requested,
/// it is killed at once.
pub fn register_child(target: Target) -> ChildRegistration {
    let s = state();
    let id = s.next_id.fetch_add(1, Ordering::Relaxed);
    let mut children = s.children.lock().unwrap_or_else(|p| p.into_inner());
    children.push(Registered { id, target });
    if stop_requested() {
        kill(target);
    }
    ChildRegistration { id }
}

impl Drop for ChildRegistration {
    fn drop(&mut self) {
        let mut children = state().children.lock().unwrap_or_else(|p| p.into_inner());
        children.retain(|c| c.id != self.id);
    }
}

fn kill(target: Target) {
    // SAFETY: kill has no memory-safety preconditions; registered children are not reaped
    // yet (they are unregistered before reaping), so their pids cannot have been reused.
    unsafe {
        match target {
            Target::Process(pid) => libc::kill(pid as libc::pid_t, libc::SIGKILL),
            Target::Group(pgid) => libc::kill(-(pgid as libc::pid_t), libc::SIGKILL),
        };
    }
}

fn kill_children() {
    let children = state().children.lock().unwrap_or_else(|p| p.into_inner());
    for c in children.iter() {
        kill(c.target);
    }
}

/// How many children are registered now (tests).
pub fn registered_children() -> usize {
    state().children.lock().map_or(0, |c| c.len())
}

fn wake_sleepers() {
    let (lock, cvar) = &state().sleepers;
    let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
    cvar.notify_all();
}

/// Sleep for `d`, or less if a stop is requested meanwhile. One timed kernel wait, like
/// `thread::sleep`, so the overshoot is the same.
pub fn sleep(d: Duration) {
    let deadline = Instant::now() + d;
    let (lock, cvar) = &state().sleepers;
    let mut guard = lock.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let now = Instant::now();
        if now >= deadline || stop_requested() {
            return;
        }
        guard = cvar
            .wait_timeout(guard, deadline - now)
            .unwrap_or_else(|p| p.into_inner())
            .0;
    }
}

/// For the child side (`concbench worker`): die with the parent. PR_SET_PDEATHSIG asks the
/// kernel for SIGKILL when the thread that started us ends; if the parent is already gone
/// (we were reparented before the call), exit at once.
pub fn die_with_parent(expected_parent: Option<u32>) {
    // SAFETY: prctl(PR_SET_PDEATHSIG) and getppid have no memory-safety preconditions.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
        if let Some(parent) = expected_parent
            && libc::getppid() as u32 != parent
        {
            libc::_exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations_come_and_go() {
        let before = registered_children();
        let r = register_child(Target::Process(u32::MAX / 2));
        assert_eq!(registered_children(), before + 1);
        drop(r);
        assert_eq!(registered_children(), before);
    }

    #[test]
    fn sleep_sleeps() {
        let t = Instant::now();
        sleep(Duration::from_millis(20));
        assert!(t.elapsed() >= Duration::from_millis(20));
    }
}
