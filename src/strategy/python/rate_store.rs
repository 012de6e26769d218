//! The CPython kernel's measured rate, kept between runs on this machine.
//!
//! Every interpreter process runs the pure-Python kernel at its own speed (±20 % from one
//! process to the next here), so any calibration, even the median of several interpreters,
//! lands a few percent away from the last one. Calibrated afresh in every run, `--cpu-ms 25`
//! would then be slightly different CPython work each time, and two runs could not be
//! compared row by row (`concbench compare`). So the rate is measured once per interpreter,
//! kernel and machine, kept in `python-rates.json` in concbench's cache folder
//! (`$CONCBENCH_CACHE_DIR`, else `$XDG_CACHE_HOME/concbench`, else `~/.cache/concbench`), and
//! reused; meta.json says where a run's rate came from. `CONCBENCH_RECALIBRATE=1` measures
//! again (and keeps the new rate). Without a writable cache folder, every run measures.
//! A program can name the folder itself ([`use_dir`]; the tests keep theirs under target/).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::{Interpreter, PyKernel};

const FILE: &str = "python-rates.json";

/// One kept rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRate {
    pub executable: String,
    pub version: String,
    pub kernel: PyKernel,
    pub host: String,
    pub cpu_model: String,
    pub iters_per_ms: f64,
    pub rate_spread: (f64, f64),
    pub processes: u32,
    pub measured_at: String,
}

/// The folder named by [`use_dir`], which wins over the environment.
static DIR: OnceLock<PathBuf> = OnceLock::new();

/// Keep the rates in `dir` for the rest of this process, whatever the environment says: how a
/// test binary keeps the user's cache out of its calibrations (setting the environment from a
/// test would race with the threads that read it). The first call decides; returns the folder
/// in use.
pub fn use_dir(dir: impl Into<PathBuf>) -> &'static Path {
    DIR.get_or_init(|| dir.into())
}

/// Where the rates are kept, if anywhere.
pub fn path() -> Option<PathBuf> {
    cache_dir(DIR.get().map(PathBuf::as_path), |name| {
        std::env::var_os(name)
    })
    .map(|dir| dir.join(FILE))
}

/// The cache folder: the one set by the program, else from the environment (`var`).
fn cache_dir(set: Option<&Path>, var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    set.map(Path::to_path_buf)
        .or_else(|| var("CONCBENCH_CACHE_DIR").map(PathBuf::from))
        .or_else(|| var("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("concbench")))
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache/concbench")))
}

/// Whether a kept rate may be used (`CONCBENCH_RECALIBRATE=1` says no).
pub fn reuse() -> bool {
    std::env::var("CONCBENCH_RECALIBRATE").map_or(true, |v| v != "1")
}

/// What a kept rate must match to be used: the interpreter, the kernel and the machine.
#[derive(Debug, Clone, PartialEq)]
struct RateKey {
    executable: String,
    version: String,
    kernel: PyKernel,
    host: String,
    cpu_model: String,
}

impl RateKey {
    /// `interp` running `kernel` on this machine.
    fn here(interp: &Interpreter, kernel: PyKernel) -> Self {
        let host = sysinfo::System::host_name().unwrap_or_default();
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("model name"))
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).trim().to_string())
            })
            .unwrap_or_default();
        RateKey {
            executable: interp.info.executable.clone(),
            version: interp.info.version.clone(),
            kernel,
            host,
            cpu_model,
        }
    }

    fn matches(&self, r: &StoredRate) -> bool {
        r.executable == self.executable
            && r.version == self.version
            && r.kernel == self.kernel
            && r.host == self.host
            && r.cpu_model == self.cpu_model
            && r.iters_per_ms.is_finite()
            && r.iters_per_ms > 0.0
    }
}

/// The kept rates in `path`; none when it is missing or unreadable (then it is rewritten).
fn read(path: &Path) -> Vec<StoredRate> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn find_in(path: &Path, key: &RateKey) -> Option<StoredRate> {
    read(path).into_iter().find(|r| key.matches(r))
}

fn store_in(path: &Path, key: &RateKey, iters_per_ms: f64, spread: (f64, f64), processes: u32) {
    let mut rates = read(path);
    rates.retain(|r| !key.matches(r));
    rates.push(StoredRate {
        executable: key.executable.clone(),
        version: key.version.clone(),
        kernel: key.kernel,
        host: key.host.clone(),
        cpu_model: key.cpu_model.clone(),
        iters_per_ms,
        rate_spread: spread,
        processes,
        measured_at: crate::measure::machine::utc_now(),
    });
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(text) = serde_json::to_string_pretty(&rates) {
        // Written whole, then renamed: a run stopped mid-write leaves the old file.
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, path);
        }
    }
}

/// The kept rate of `interp` and `kernel` on this machine, with where it came from.
pub fn load(interp: &Interpreter, kernel: PyKernel) -> Option<(StoredRate, PathBuf)> {
    if !reuse() {
        return None;
    }
    let path = path()?;
    find_in(&path, &RateKey::here(interp, kernel)).map(|r| (r, path))
}

/// Keep a measured rate (replacing the one it supersedes). Best effort: a cache that cannot be
/// written only means the next run measures again.
pub fn save(
    interp: &Interpreter,
    kernel: PyKernel,
    iters_per_ms: f64,
    spread: (f64, f64),
    processes: u32,
) {
    if let Some(path) = path() {
        let key = RateKey::here(interp, kernel);
        store_in(&path, &key, iters_per_ms, spread, processes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kernel: PyKernel, host: &str) -> RateKey {
        RateKey {
            executable: "/usr/bin/python3".into(),
            version: "3.12.1".into(),
            kernel,
            host: host.into(),
            cpu_model: "AMD EPYC".into(),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("concbench-rates-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("sub").join(FILE)
    }

    #[test]
    fn a_rate_is_kept_per_kernel_and_machine_and_replaced_when_measured_again() {
        let path = scratch("roundtrip");
        let (bytecode, native) = (key(PyKernel::Bytecode, "vm"), key(PyKernel::Native, "vm"));
        assert_eq!(find_in(&path, &bytecode), None);
        store_in(&path, &bytecode, 7000.0, (6000.0, 8000.0), 5);
        store_in(&path, &native, 27.0, (26.0, 28.0), 5);
        assert_eq!(find_in(&path, &bytecode).unwrap().iters_per_ms, 7000.0);
        assert_eq!(find_in(&path, &native).unwrap().iters_per_ms, 27.0);
        // Another machine or interpreter version never borrows it.
        assert_eq!(find_in(&path, &key(PyKernel::Bytecode, "other")), None);
        let mut newer = bytecode.clone();
        newer.version = "3.13.0".into();
        assert_eq!(find_in(&path, &newer), None);
        // Measured again: replaced, not duplicated.
        store_in(&path, &bytecode, 7100.0, (7000.0, 7200.0), 5);
        assert_eq!(read(&path).len(), 2);
        assert_eq!(find_in(&path, &bytecode).unwrap().iters_per_ms, 7100.0);
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn the_folder_set_by_the_program_wins_then_the_environment_in_order() {
        let env = |vars: &'static [(&str, &str)]| {
            move |name: &str| {
                let found = vars.iter().find(|(k, _)| *k == name);
                found.map(|(_, v)| OsString::from(v))
            }
        };
        let all = env(&[
            ("CONCBENCH_CACHE_DIR", "/c"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ]);
        let set = Path::new("/set");
        assert_eq!(cache_dir(Some(set), all), Some(PathBuf::from("/set")));
        assert_eq!(cache_dir(None, all), Some(PathBuf::from("/c")));
        let xdg = env(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(cache_dir(None, xdg), Some(PathBuf::from("/x/concbench")));
        let home = env(&[("HOME", "/h")]);
        assert_eq!(
            cache_dir(None, home),
            Some(PathBuf::from("/h/.cache/concbench"))
        );
        assert_eq!(cache_dir(None, env(&[])), None);
    }

    #[test]
    fn a_damaged_or_nonsense_file_is_not_trusted() {
        let path = scratch("damaged");
        let k = key(PyKernel::Bytecode, "vm");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{ not json").unwrap();
        assert_eq!(find_in(&path, &k), None);
        store_in(&path, &k, 0.0, (0.0, 0.0), 5);
        assert_eq!(find_in(&path, &k), None, "a zero rate is never used");
        store_in(&path, &k, 6500.0, (6000.0, 7000.0), 5);
        assert_eq!(find_in(&path, &k).unwrap().iters_per_ms, 6500.0);
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }
}
