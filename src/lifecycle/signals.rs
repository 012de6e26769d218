//! Which signals stop a run, their names and exit statuses, and the number of the one that
//! arrived: the part of the lifecycle the error type needs, kept below it (a leaf) so `error`
//! and `lifecycle` do not import each other.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// The signals that stop a run.
pub const STOP_SIGNALS: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

/// The number of the stop signal that arrived (0: none), set by the signal handler.
pub(crate) fn arrived() -> &'static Arc<AtomicUsize> {
    static ARRIVED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();
    ARRIVED.get_or_init(|| Arc::new(AtomicUsize::new(0)))
}

/// The signal that stopped the run, if one did.
pub fn stop_signal() -> Option<i32> {
    match arrived().load(Ordering::Relaxed) {
        0 => None,
        s => Some(s as i32),
    }
}

/// The exit status for a stop by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM).
pub fn exit_status(signal: Option<i32>) -> u8 {
    signal.map_or(130, |s| (128 + s).clamp(0, 255) as u8)
}

/// "SIGINT", "SIGTERM", "SIGHUP".
pub fn signal_name(signal: Option<i32>) -> &'static str {
    match signal {
        Some(SIGINT) | None => "SIGINT",
        Some(SIGTERM) => "SIGTERM",
        Some(SIGHUP) => "SIGHUP",
        Some(_) => "a signal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_signal() {
        assert_eq!(exit_status(Some(SIGINT)), 130);
        assert_eq!(exit_status(Some(SIGTERM)), 143);
        assert_eq!(exit_status(Some(SIGHUP)), 129);
        assert_eq!(signal_name(Some(SIGTERM)), "SIGTERM");
    }
}
