//! Interrupted or killed, a run leaves valid results and no stray processes.
//!
//! Each test starts concbench in a process group of its own (as a terminal does), lets it
//! measure for a moment, then signals the group (as Ctrl-C does) or SIGKILLs concbench, and
//! checks what is left: the exit status, meta.json's status, a summary of the finished
//! trials, REPORT.md, and that no process concbench started is still alive.
//!
//! Times here are generous on purpose (a noisy 2-core machine, a debug build); the 1 s figure
//! is checked on a release build (see the README, "Interruption").

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

mod python3;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("concbench-int-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn start(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_concbench"))
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap()
}

/// (pid, ppid, state, command name) of every process.
fn processes() -> Vec<(u32, u32, char, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        let mut f = stat[close + 1..].split_whitespace();
        let state = f.next().and_then(|s| s.chars().next()).unwrap_or('?');
        let ppid = f.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        out.push((pid, ppid, state, name));
    }
    out
}

/// Every living (not zombie) descendant of `root`.
fn descendants(root: u32) -> Vec<(u32, String)> {
    let all = processes();
    let mut found: Vec<(u32, String)> = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (pid, ppid, state, name) in &all {
            if *ppid == p && *state != 'Z' && !found.iter().any(|f| f.0 == *pid) {
                found.push((*pid, name.clone()));
                frontier.push(*pid);
            }
        }
    }
    found
}

fn alive(pid: u32) -> bool {
    processes().iter().any(|p| p.0 == pid && p.2 != 'Z')
}

/// Wait until `cond` holds (polling), or panic after `limit`.
fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(t.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn rows(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

fn signal_group(child: &Child, sig: i32) {
    // SAFETY: kill has no memory-safety preconditions; the group is the child's own.
    unsafe { libc::kill(-(child.id() as i32), sig) };
}

/// Wait for the child to exit; returns its status and how long it took.
fn exit_of(child: &mut Child, limit: Duration) -> (std::process::ExitStatus, Duration, String) {
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            return (status, t.elapsed(), err);
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            panic!("concbench did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What an interrupted run must leave: status, summary rows, a report, a readable folder.
fn assert_interrupted_folder(out: &Path, signal: &str) {
    let meta = concbench::records::read_meta(&out.join("meta.json")).unwrap();
    assert_eq!(meta.status, "interrupted");
    assert_eq!(meta.signal.as_deref(), Some(signal));
    assert!(meta.finished_at.is_some());
    let runs = rows(&out.join("runs.csv"));
    assert!(runs > 0, "no measured trial kept");
    let summary: Vec<concbench::records::SummaryRow> =
        concbench::records::read_csv(&out.join("summary.csv")).unwrap();
    let kept: usize = summary.iter().map(|s| s.reps).sum();
    assert_eq!(kept, runs, "the summary must cover every finished trial");
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("Interrupted"), "REPORT.md does not say so");
    assert!(out.join("charts/speedup.png").exists());
    let o = Command::new(env!("CARGO_BIN_EXE_concbench"))
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(["report", "--input", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn ctrl_c_during_the_sleep_phase_keeps_what_was_measured() {
    let _s = serial();
    let out = scratch("sleep");
    let mut child = start(&[
        "run",
        "--variant",
        "sleep",
        "--sleep-ms",
        "40",
        "--reps",
        "50",
        "--strategy",
        "sequential,threads,processes",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let runs = out.join("runs.csv");
    wait_for("some measured trials", Duration::from_secs(60), || {
        rows(&runs) >= 4
    });
    signal_group(&child, libc::SIGINT);
    let (status, took, err) = exit_of(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(err.contains("interrupted by SIGINT"), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.contains("interrupted")).count(),
        1,
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_interrupted_folder(&out, "SIGINT");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn sigterm_during_cpu_work_exits_143() {
    let _s = serial();
    let out = scratch("term");
    let mut child = start(&[
        "run",
        "--variant",
        "cpu",
        "--cpu-ms",
        "60",
        "--reps",
        "50",
        "--strategy",
        "sequential,threads,rayon",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let runs = out.join("runs.csv");
    wait_for("some measured trials", Duration::from_secs(60), || {
        rows(&runs) >= 4
    });
    signal_group(&child, libc::SIGTERM);
    let (status, _took, err) = exit_of(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(143), "{err}");
    assert_interrupted_folder(&out, "SIGTERM");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn ctrl_c_during_a_cpython_trial_kills_the_interpreter_tree() {
    if !python3::usable("ctrl_c_during_a_cpython_trial_kills_the_interpreter_tree") {
        return;
    }
    let _s = serial();
    let out = scratch("python");
    let mut child = start(&[
        "run",
        "--variant",
        "cpu",
        "--cpu-ms",
        "100",
        "--reps",
        "20",
        "--strategy",
        "py-sequential,py-processes",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let runs = out.join("runs.csv");
    wait_for("a measured trial", Duration::from_secs(120), || {
        rows(&runs) >= 1
    });
    // Wait for a moment when an interpreter with children (py-processes) is running.
    let me = child.id();
    let mut tree = Vec::new();
    wait_for("a multiprocessing child", Duration::from_secs(60), || {
        tree = descendants(me);
        tree.iter().filter(|p| p.1.starts_with("python")).count() >= 2
    });
    signal_group(&child, libc::SIGINT);
    let (status, _took, err) = exit_of(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(130), "{err}");
    std::thread::sleep(Duration::from_millis(500));
    for (pid, name) in &tree {
        assert!(!alive(*pid), "{name} ({pid}) outlived concbench");
    }
    assert_interrupted_folder(&out, "SIGINT");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn ctrl_c_during_claim_keeps_the_runs_and_the_verdicts_so_far() {
    let _s = serial();
    let out = scratch("claim");
    let mut child = start(&[
        "claim",
        "--claims",
        "C1,C2",
        "--sleep-ms",
        "20",
        "--cpu-ms",
        "20",
        "--python",
        "/nonexistent/python",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let runs = out.join("runs.csv");
    // claim streams runs.csv as it goes.
    wait_for("streamed rows", Duration::from_secs(60), || {
        rows(&runs) >= 6
    });
    signal_group(&child, libc::SIGINT);
    let (status, _took, err) = exit_of(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(130), "{err}");
    let claims: Vec<concbench::records::ClaimRow> =
        concbench::records::read_csv(&out.join("claims.csv")).unwrap();
    assert!(!claims.is_empty());
    for c in &claims {
        assert!(
            c.verdict != "INCONCLUSIVE"
                || c.reason.contains("interrupted")
                || c.reason.contains("not checked"),
            "{c:?}"
        );
    }
    assert_interrupted_folder(&out, "SIGINT");
    let _ = std::fs::remove_dir_all(&out);
}

/// Whether `sig` was sent to `pid` and not yet taken by it (its handler has not started).
fn pending(pid: u32, sig: i32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    let bit = 1u64 << (sig - 1);
    status
        .lines()
        .filter_map(|l| {
            l.strip_prefix("ShdPnd:")
                .or_else(|| l.strip_prefix("SigPnd:"))
        })
        .filter_map(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .any(|mask| mask & bit != 0)
}

#[test]
fn a_second_ctrl_c_exits_at_once() {
    let _s = serial();
    let out = scratch("twice");
    let mut child = start(&[
        "run",
        "--variant",
        "cpu",
        "--cpu-ms",
        "50",
        "--reps",
        "50",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let runs = out.join("runs.csv");
    wait_for("some measured trials", Duration::from_secs(120), || {
        rows(&runs) >= 3
    });
    signal_group(&child, libc::SIGINT);
    // Two SIGINTs pending at once are one: send the second as soon as the first is taken,
    // while the orderly stop (summary, charts, REPORT.md) is still under way.
    let taken = Instant::now();
    while pending(child.id(), libc::SIGINT) {
        assert!(
            taken.elapsed() < Duration::from_secs(10),
            "SIGINT never taken"
        );
        std::thread::sleep(Duration::from_micros(100));
    }
    signal_group(&child, libc::SIGINT);
    let (status, _took, err) = exit_of(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(130), "{err}");
    // The orderly stop ends with this line and a finished meta.json; the second signal must
    // have cut it short (with one SIGINT only, both would be there).
    assert!(
        !err.contains("interrupted by"),
        "the second SIGINT let the orderly stop finish: {err}"
    );
    let meta = concbench::records::read_meta(&out.join("meta.json"));
    assert!(
        meta.is_err() || meta.as_ref().is_ok_and(|m| m.status != "interrupted"),
        "the second SIGINT let the orderly stop finish: {meta:?}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// SIGKILL leaves no time to clean up: the children must go by themselves.
fn killed_leaves_no_orphans(strategy: &str) {
    let _s = serial();
    let out = scratch(strategy);
    let mut child = start(&[
        "run",
        "--variant",
        "cpu",
        "--cpu-ms",
        "100",
        "--reps",
        "20",
        "--workers",
        "2",
        "--strategy",
        strategy,
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let me = child.id();
    let mut tree = Vec::new();
    let wanted = if strategy == "processes" { 2 } else { 3 };
    wait_for("the workers", Duration::from_secs(120), || {
        tree = descendants(me);
        tree.len() >= wanted
    });
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(me as i32, libc::SIGKILL) };
    let _ = child.wait();
    std::thread::sleep(Duration::from_secs(2));
    for (pid, name) in &tree {
        assert!(
            !alive(*pid),
            "{name} ({pid}) outlived a SIGKILLed concbench by 2 s"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn sigkill_during_processes_leaves_no_worker() {
    killed_leaves_no_orphans("processes");
}

#[test]
fn sigkill_during_py_processes_leaves_no_interpreter() {
    if !python3::usable("sigkill_during_py_processes_leaves_no_interpreter") {
        return;
    }
    killed_leaves_no_orphans("py-processes");
}

#[test]
fn a_killed_runs_folder_still_makes_a_report() {
    let _s = serial();
    let out = scratch("killed");
    let mut child = start(&[
        "run",
        "--variant",
        "sleep",
        "--sleep-ms",
        "20",
        "--reps",
        "50",
        "--strategy",
        "sequential,threads",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let runs = out.join("runs.csv");
    wait_for("some measured trials", Duration::from_secs(60), || {
        rows(&runs) >= 4
    });
    child.kill().unwrap();
    let _ = child.wait();
    assert!(!out.join("summary.csv").exists());
    let o = Command::new(env!("CARGO_BIN_EXE_concbench"))
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(["report", "--input", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The summary was rebuilt from runs.csv, and the report says the run never finished.
    let summary: Vec<concbench::records::SummaryRow> =
        concbench::records::read_csv(&out.join("summary.csv")).unwrap();
    assert_eq!(summary.iter().map(|s| s.reps).sum::<usize>(), rows(&runs));
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("Unfinished"), "{report}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_full_disk_stops_the_run_with_one_line_and_valid_csv() {
    let _s = serial();
    let out = scratch("full");
    // Every file concbench writes may grow to 16 KiB: past that, a write fails as it would on
    // a full disk (EFBIG instead of ENOSPC; SIGXFSZ ignored so the write returns the error).
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_concbench"));
    cmd.env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"));
    cmd.args([
        "run",
        "--variant",
        "sleep",
        "--sleep-ms",
        "1",
        "--reps",
        "200",
        "--warmup",
        "0",
        "--strategy",
        "sequential,threads",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    // SAFETY: setrlimit and signal are async-signal-safe and touch only the child.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 16 * 1024,
                rlim_max: 16 * 1024,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let o = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    // One line says what failed (a busy machine may add its load warnings).
    let lines: Vec<&str> = err.lines().filter(|l| !l.contains("warning:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("cannot write") && lines[0].contains(".csv"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    // What was written stays valid CSV, whole records only.
    let rows: Vec<concbench::records::RunRow> =
        concbench::records::read_csv(&out.join("runs.csv")).unwrap();
    assert!(!rows.is_empty());
    let text = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(text.ends_with('\n'));
    let _ = std::fs::remove_dir_all(&out);
}
