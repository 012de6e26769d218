//! `--start-method`: py-processes and py-pool verified under spawn with meta.json saying so, a
//! run without it recording the interpreter's default, an unknown method refused in one line,
//! and a method the interpreter lacks answered in one line by the script, not a traceback.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

mod binary;
mod python3;
use binary::{concbench, scratch, serial, stderr};

/// `concbench run --quiet --warmup 0 --reps 2 --out OUT` on 2 tiny CPU jobs with `args`; it
/// must succeed, with every result verified.
fn run_tiny(out: &Path, args: &[&str]) -> concbench::records::Meta {
    let mut all = vec![
        "run",
        "--quiet",
        "--warmup",
        "0",
        "--reps",
        "2",
        "--variant",
        "cpu",
        "--numbers",
        "2",
        "--cpu-ms",
        "1",
        "--workers",
        "2",
        "--out",
    ];
    all.push(out.to_str().unwrap());
    all.extend_from_slice(args);
    let o = concbench(&all);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut lines = summary.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let (strategy, correct) = (column(&header, "strategy"), column(&header, "all_correct"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3, "{summary}");
    for r in &rows {
        assert_eq!(r[correct], "true", "{}: {summary}", r[strategy]);
    }
    concbench::records::read_meta(&out.join("meta.json")).unwrap()
}

fn column(header: &[&str], name: &str) -> usize {
    header.iter().position(|h| *h == name).unwrap()
}

const ARMS: [&str; 2] = ["--strategy", "py-sequential,py-processes,py-pool"];

#[test]
fn spawn_runs_verified_and_is_recorded() {
    let _serial = serial();
    if !python3::usable("--start-method spawn") {
        return;
    }
    let out = scratch("start-method", "spawn");
    let meta = run_tiny(&out, &[ARMS[0], ARMS[1], "--start-method", "spawn"]);
    let py = meta.python.expect("meta.json's python section");
    assert_eq!(py.start_method, "spawn");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn without_the_flag_the_interpreters_default_is_recorded() {
    let _serial = serial();
    if !python3::usable("the default start method") {
        return;
    }
    let out = scratch("start-method", "default");
    let meta = run_tiny(&out, &ARMS);
    let py = meta.python.expect("meta.json's python section");
    assert!(!py.default_start_method.is_empty());
    assert_eq!(py.start_method, py.default_start_method);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn an_unknown_method_is_refused_in_one_line() {
    let o = concbench(&["run", "--start-method", "bogus"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("'bogus'"), "{err}");
    for m in ["fork", "forkserver", "spawn"] {
        assert!(err.contains(m), "{err}");
    }
}

/// The script itself, sent a method its interpreter does not have (a name no multiprocessing
/// has, since clap stops those before any interpreter): not ready, with the reason in one line,
/// and a clean exit.
#[test]
fn a_method_the_interpreter_lacks_is_one_line_from_the_script() {
    if !python3::usable("the script's answer to a missing start method") {
        return;
    }
    let dir = scratch("start-method", "script");
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("concbench_workload.py");
    std::fs::write(&script, concbench::strategy::python::SCRIPT).unwrap();
    let request = serde_json::json!({
        "strategy": "processes", "workers": 2, "jobs": [["square", 2]],
        "unit": {"sleep_s": 0.0}, "start_method": "threadserver",
    });
    let mut child = Command::new("python3")
        .args(["-I", "-S"])
        .arg(&script)
        .arg("run")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The request; its answer; then the end of stdin, as concbench gives up on it: the
    // script exits cleanly. (Stdin ending before the answer would mean concbench is gone.)
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{request}").unwrap();
    let mut answer = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut answer)
        .unwrap();
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{answer} {}", stderr(&o));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    let reply: serde_json::Value = serde_json::from_str(answer.trim()).unwrap();
    assert_eq!(reply["ready"], false, "{answer}");
    let why = reply["error"].as_str().unwrap();
    assert!(
        why.contains("'threadserver'") && why.contains("fork"),
        "{why}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
