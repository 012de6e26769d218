//! One writer per output folder: a second run into a folder in use refuses at once and leaves
//! the first one's files whole; a run killed with SIGKILL leaves no lock that blocks the next.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_concbench");
const LOCK: &str = ".concbench.lock";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("concbench-lock-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A small sleep-bound run into `out`: a few hundred milliseconds of trials.
fn run_into(out: &Path, reps: &str) -> Command {
    let mut c = Command::new(BIN);
    c.env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(["run", "--variant", "sleep", "--sleep-ms", "5", "--strategy"])
        .args([
            "sequential,threads",
            "--warmup",
            "0",
            "--reps",
            reps,
            "-q",
            "--out",
        ])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Wait until `child` holds the folder's lock (the lock file names its pid).
fn wait_for_lock(out: &Path, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let pid = child.id().to_string();
    loop {
        let owner = std::fs::read_to_string(out.join(LOCK)).unwrap_or_default();
        if owner.trim() == pid {
            return;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the first run ended before taking its lock"
        );
        assert!(Instant::now() < deadline, "no lock taken in 30 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_second_run_into_a_folder_in_use_refuses_and_the_first_ones_files_are_whole() {
    let out = scratch("busy");
    let mut first = run_into(&out, "40").spawn().unwrap();
    wait_for_lock(&out, &mut first);
    let started = Instant::now();
    let second = run_into(&out, "3").output().unwrap();
    let refused_in = started.elapsed();
    let first = first.wait_with_output().unwrap();

    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "second run: {err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("in use") && err.contains(&format!("pid {}", first_pid(&out))),
        "{err}"
    );
    assert!(
        refused_in < Duration::from_secs(5),
        "refused after {refused_in:?}"
    );

    assert!(
        first.status.success(),
        "first run: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let widths: Vec<usize> = runs.lines().map(|l| l.split(',').count()).collect();
    assert!(widths.iter().all(|&w| w == widths[0]), "ragged runs.csv");
    // 40 reps of sequential and threads, and the header: nothing of the second run in it.
    assert_eq!(runs.lines().count(), 1 + 2 * 40, "{runs}");
}

/// The pid the lock file names (the first run's, which is still there after it ended).
fn first_pid(out: &Path) -> String {
    std::fs::read_to_string(out.join(LOCK))
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn after_a_kill_9_the_next_run_into_the_folder_proceeds() {
    let out = scratch("killed");
    let mut first = run_into(&out, "1000").spawn().unwrap();
    wait_for_lock(&out, &mut first);
    first.kill().unwrap(); // SIGKILL: no handler runs, the lock file stays
    first.wait().unwrap();
    assert!(out.join(LOCK).exists());
    let next = run_into(&out, "2").output().unwrap();
    assert!(
        next.status.success(),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
}

/// A folder made read-only after an earlier run: the new run refuses before touching it (the
/// lock file alone could be writable while the folder is not, and runs.csv would be cut).
/// Root ignores permissions, so as root the run is made as `nobody` through setpriv.
#[test]
fn a_run_into_a_read_only_folder_refuses_and_keeps_the_earlier_files() {
    let base = scratch("read-only");
    std::fs::create_dir_all(&base).unwrap();
    let out = base.join("earlier");
    let first = run_into(&out, "1").output().unwrap();
    assert!(first.status.success());
    let runs_before = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let root = unsafe { libc::geteuid() } == 0;
    let mut cmd = if root {
        if Command::new("setpriv").arg("--version").output().is_err() {
            eprintln!("skipped: running as root and no setpriv to drop to an unprivileged user");
            return;
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN]);
        // nobody owns the earlier files, so they could be written, but not the folder (0o555
        // below): the case where a lock file alone proves nothing.
        for entry in std::fs::read_dir(&out).unwrap() {
            std::os::unix::fs::chown(entry.unwrap().path(), Some(65534), Some(65534)).unwrap();
        }
        std::os::unix::fs::chown(&out, Some(65534), Some(65534)).unwrap();
        // nobody must be able to reach the folder.
        std::fs::set_permissions(&base, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        c
    } else {
        Command::new(BIN)
    };
    std::fs::set_permissions(&out, std::os::unix::fs::PermissionsExt::from_mode(0o555)).unwrap();
    let o = cmd
        .env("CONCBENCH_CACHE_DIR", std::env::temp_dir())
        .args([
            "run",
            "--variant",
            "sleep",
            "--sleep-ms",
            "1",
            "--strategy",
            "threads",
        ])
        .args(["--warmup", "0", "--reps", "1", "-q", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    std::fs::set_permissions(&out, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("Permission denied"), "{err}");
    let runs_after = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(
        runs_before, runs_after,
        "the earlier run's runs.csv was touched"
    );
}
