//! `--python all`: every CPython found, each once, in version order, too-old ones skipped with
//! one line each; a free-threaded build (scripts/free-threaded-python.sh's, when present) also
//! runs as `+gil`, the same binary with the GIL forced on, and runs.csv and meta.json say
//! whether the GIL was on in each arm. What this machine lacks is skipped and said.

use std::path::PathBuf;

use concbench::strategy::python::discover::free_threaded_builds_dir;

mod binary;
use binary::{concbench, scratch, serial, stderr};

/// Started with options (`+gil`): meta.json leaves `options` out when there are none.
fn forced(p: &serde_json::Value) -> bool {
    p["options"].as_array().is_some_and(|a| !a.is_empty())
}

fn meta(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap()
}

/// A free-threaded build of the script's folder, if one was built on this machine.
fn free_threaded_build() -> Option<PathBuf> {
    let dirs = std::fs::read_dir(free_threaded_builds_dir()).ok()?;
    dirs.filter_map(|d| d.ok())
        .filter_map(|d| std::fs::read_dir(d.path().join("bin")).ok())
        .flat_map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()))
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("python3.") && name.ends_with('t')
        })
}

fn tiny_sleep_run(dir: &std::path::Path, python: &str) -> std::process::Output {
    concbench(&[
        "run",
        "--variant",
        "sleep",
        "--strategy",
        "py-sequential,py-threads",
        "--items",
        "2",
        "--sleep-ms",
        "2",
        "--reps",
        "1",
        "--warmup",
        "0",
        "--python",
        python,
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ])
}

#[test]
fn all_finds_each_interpreter_once_in_version_order() {
    let _s = serial();
    let dir = scratch("python_all", "all");
    let out = tiny_sleep_run(&dir, "all");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    // Each skipped interpreter is named once.
    let skips: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("skipping an interpreter"))
        .collect();
    for s in &skips {
        assert_eq!(
            skips.iter().filter(|x| x == &s).count(),
            1,
            "said twice: {s}"
        );
        assert!(s.contains("too old") || s.contains("Python 3"), "{s}");
    }
    let m = meta(&dir);
    let pythons = m["pythons"].as_array().cloned().unwrap_or_default();
    if pythons.len() < 2 {
        eprintln!(
            "skipped the order checks: this machine has {} usable CPython",
            pythons.len()
        );
        return;
    }
    let labels: Vec<String> = pythons
        .iter()
        .map(|p| p["label"].as_str().unwrap().to_string())
        .collect();
    let executables: Vec<(String, bool)> = pythons
        .iter()
        .map(|p| (p["executable"].as_str().unwrap().to_string(), forced(p)))
        .collect();
    for (i, l) in labels.iter().enumerate() {
        assert!(l.starts_with('@'), "{l}");
        assert_eq!(
            labels.iter().filter(|x| *x == l).count(),
            1,
            "label {l} twice"
        );
        assert_eq!(
            executables.iter().filter(|x| **x == executables[i]).count(),
            1
        );
    }
    let version = |p: &serde_json::Value| -> Vec<u32> {
        p["version"]
            .as_str()
            .unwrap()
            .split('.')
            .map(|x| x.parse().unwrap_or(0))
            .collect()
    };
    for w in pythons.windows(2) {
        assert!(
            version(&w[0]) <= version(&w[1]),
            "{} before {}",
            w[0]["version"],
            w[1]["version"]
        );
    }
    // Every free-threaded build is followed by its +gil twin, and the trials say how the GIL was.
    for (i, p) in pythons.iter().enumerate() {
        if p["free_threaded_build"] == true && !forced(p) {
            let twin = &pythons[i + 1];
            assert_eq!(
                twin["label"].as_str().unwrap(),
                format!("{}+gil", labels[i])
            );
            assert_eq!(twin["executable"], p["executable"]);
            for (info, on) in [(p, false), (twin, true)] {
                let arms = info["gil_during_arms"].as_array().unwrap();
                assert_eq!(arms.len(), 2, "{info}");
                for a in arms {
                    let want = if on {
                        a["trials"].clone()
                    } else {
                        serde_json::json!(0)
                    };
                    assert_eq!(a["gil_on_trials"], want, "{a}");
                }
            }
        }
    }
    if free_threaded_build().is_none() {
        eprintln!(
            "skipped the free-threaded checks: no build under {} (scripts/free-threaded-python.sh makes one)",
            free_threaded_builds_dir().display()
        );
    } else {
        assert!(labels.iter().any(|l| l.ends_with("t+gil")), "{labels:?}");
    }
}

/// `+gil` asks for a free-threaded build's GIL forced on: on a GIL build it is refused with one
/// line, and the py-* strategies are skipped (the run itself goes on).
#[test]
fn plus_gil_on_a_gil_build_is_one_line() {
    let _s = serial();
    let dir = scratch("python_all", "plus_gil");
    let python = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output();
    let Some(exe) = python.ok().filter(|o| o.status.success()) else {
        eprintln!("skipped: no python3 on PATH");
        return;
    };
    let exe = String::from_utf8_lossy(&exe.stdout).trim().to_string();
    let out = tiny_sleep_run(&dir, &format!("{exe}+gil"));
    let err = stderr(&out);
    let said: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("not a free-threaded build"))
        .collect();
    assert_eq!(said.len(), 1, "{err}");
}

#[test]
fn the_free_threaded_build_runs_with_the_gil_off_and_forced_on() {
    let Some(ft) = free_threaded_build() else {
        eprintln!(
            "skipped: no free-threaded build under {} (scripts/free-threaded-python.sh makes one)",
            free_threaded_builds_dir().display()
        );
        return;
    };
    let _s = serial();
    let dir = scratch("python_all", "ft");
    let ft = ft.to_str().unwrap();
    let out = tiny_sleep_run(&dir, &format!("{ft},{ft}+gil"));
    assert!(out.status.success(), "{}", stderr(&out));
    let runs = std::fs::read_to_string(dir.join("runs.csv")).unwrap();
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let (s, g) = (
        header.iter().position(|h| *h == "strategy").unwrap(),
        header.iter().position(|h| *h == "gil_enabled").unwrap(),
    );
    let rows: Vec<Vec<&str>> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert!(!rows.is_empty());
    for r in rows {
        let want = if r[s].ends_with("+gil") {
            "true"
        } else {
            "false"
        };
        assert_eq!(r[g], want, "{}", r[s]);
    }
}

#[test]
fn sweep_refuses_all() {
    let out = concbench(&["sweep", "--python", "all", "--strategy", "py-threads"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("one interpreter"), "{err}");
}
