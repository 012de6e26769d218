//! What the tests that drive the concbench binary share: the binary itself, one measuring test
//! at a time, and a scratch folder per test. Each test file uses what it needs.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_concbench");

/// The runs here measure: one at a time, so that one test's workers or waiters don't steal
/// another's cores on a 2-core machine.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// A fresh (removed, not created) folder under the temp dir for one test of one file.
pub fn scratch(file: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("concbench-{file}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// concbench with `args`, its calibration cached in cargo's test temp dir.
pub fn concbench(args: &[&str]) -> Output {
    Command::new(BIN)
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(args)
        .output()
        .unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
