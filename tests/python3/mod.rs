//! Whether the CPython checks can run here: every test that goes without them says so.

use std::io::Write;

/// Whether concbench finds a usable python3 on PATH (the probe `run` makes before the py-*
/// strategies). When it does not, says on stderr that `what` is skipped. Written to the stream
/// itself: the test harness captures `eprintln!` and shows it only for a failing test.
pub fn usable(what: &str) -> bool {
    match concbench::strategy::python::interpreter(None) {
        Ok(_) => true,
        Err(why) => {
            let line = format!("skipped: {what}: no usable python3 on PATH ({why})");
            let _ = writeln!(std::io::stderr(), "{line}");
            false
        }
    }
}
