//! py-dask on a real Dask: a LocalCluster started by concbench, and an existing `dask scheduler`
//! with `dask worker`s on 127.0.0.1; a scheduler that does not answer; and the skip where the
//! interpreter has no Dask. Every process concbench started is gone when it has ended.
//!
//! The Dask parts need the interpreter `scripts/dask-python.sh` prepares (CI exports it as
//! CONCBENCH_DASK_PYTHON); without it they say so and skip.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod python3;

const BIN: &str = env!("CARGO_BIN_EXE_concbench");

/// The tests here start clusters: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// The interpreter with dask.distributed, or `None` (said on stderr) without one.
fn dask_python(what: &str) -> Option<PathBuf> {
    let candidate = std::env::var_os("CONCBENCH_DASK_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
            Some(cache.join("concbench/dask-venv/bin/python"))
        })
        .filter(|p| p.is_file());
    if candidate.is_none() {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {what}: no interpreter with Dask (run scripts/dask-python.sh, or set CONCBENCH_DASK_PYTHON)"
        );
    }
    candidate
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("concbench-dask-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Run concbench with a mark in its environment, which every process it starts inherits.
fn concbench(args: &[&str], mark: &str) -> Output {
    Command::new(BIN)
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .env("CONCBENCH_TEST_MARK", mark)
        .args(args)
        .output()
        .unwrap()
}

/// Processes that still carry `mark` (2 s after concbench ended, none may).
fn marked(mark: &str) -> Vec<String> {
    let needle = format!("CONCBENCH_TEST_MARK={mark}");
    let mut left = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let path = entry.path();
        let Ok(env) = std::fs::read(path.join("environ")) else {
            continue;
        };
        if env.split(|&b| b == 0).any(|v| v == needle.as_bytes()) {
            let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
            left.push(format!(
                "{} {}",
                entry.file_name().to_string_lossy(),
                comm.trim()
            ));
        }
    }
    left
}

fn assert_nothing_left(mark: &str) {
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(marked(mark), Vec::<String>::new(), "processes left behind");
}

fn meta(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap()
}

/// (strategy, correct, setup_s) of every row of runs.csv.
fn runs(dir: &Path) -> Vec<(String, bool, String)> {
    let mut r = csv::Reader::from_path(dir.join("runs.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let at = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (s, c, setup) = (at("strategy"), at("correct"), at("setup_s"));
    r.records()
        .map(|x| {
            let x = x.unwrap();
            (x[s].to_string(), &x[c] == "true", x[setup].to_string())
        })
        .collect()
}

fn run_args<'a>(python: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "run",
        "--variant",
        "cpu",
        "--cpu-ms",
        "20",
        "--strategy",
        "py-sequential,py-dask",
        "--workers",
        "2",
        "--reps",
        "2",
        "--warmup",
        "0",
        "-q",
        "--python",
        python,
        "--out",
        out,
    ];
    a.extend_from_slice(extra);
    a
}

#[test]
fn a_local_cluster_runs_the_jobs_and_goes_away() {
    let _serial = serial();
    let Some(python) = dask_python("py-dask on a LocalCluster") else {
        return;
    };
    let out = scratch("local");
    let mark = format!("local-{}", std::process::id());
    let o = concbench(
        &run_args(python.to_str().unwrap(), out.to_str().unwrap(), &[]),
        &mark,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = runs(&out);
    let dask: Vec<_> = rows.iter().filter(|r| r.0 == "py-dask").collect();
    assert_eq!(dask.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r.1), "{rows:?}");
    // The cluster's start-up is measured apart from the work.
    assert!(
        dask.iter()
            .all(|r| r.2.parse::<f64>().is_ok_and(|s| s > 0.0)),
        "{rows:?}"
    );
    let m = meta(&out);
    assert_eq!(m["dask"]["scheduler"], "LocalCluster", "{}", m["dask"]);
    assert!(
        m["dask"]["distributed"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    assert_nothing_left(&mark);
    let _ = std::fs::remove_dir_all(&out);
}

/// A `dask scheduler` and `dask worker --nworkers 2` on 127.0.0.1, killed when dropped.
struct Cluster {
    scheduler: Child,
    worker: Option<Child>,
    address: String,
}

impl Cluster {
    fn start(python: &Path) -> Cluster {
        let dask = python.with_file_name("dask");
        let quiet = ["--no-dashboard", "--dashboard-address", "127.0.0.1:0"];
        let mut scheduler = Command::new(&dask)
            .args(["scheduler", "--host", "127.0.0.1", "--port", "0"])
            .args(quiet)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // "Scheduler at:   tcp://127.0.0.1:PORT" in its log.
        let mut log = BufReader::new(scheduler.stderr.take().unwrap());
        let mut address = String::new();
        let mut line = String::new();
        while address.is_empty() && log.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(at) = line.find("tcp://") {
                address = line[at..].trim().to_string();
            }
            line.clear();
        }
        // Keep draining its log, so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in log.lines() {});
        let worker = Command::new(&dask)
            .args(["worker", &address, "--nworkers", "2", "--nthreads", "1"])
            .args(quiet)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Cluster {
            scheduler,
            worker: Some(worker),
            address,
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in self
            .worker
            .iter_mut()
            .chain(std::iter::once(&mut self.scheduler))
        {
            // SIGTERM first: `dask worker` ends its nannies and workers on it.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn an_existing_scheduler_runs_the_jobs_and_meta_json_names_its_workers() {
    let _serial = serial();
    let Some(python) = dask_python("py-dask on an existing scheduler") else {
        return;
    };
    let cluster = Cluster::start(&python);
    assert!(
        cluster.address.starts_with("tcp://127.0.0.1:"),
        "{}",
        cluster.address
    );
    // The workers take a moment to register: the probe must see both.
    let out = scratch("existing");
    let mark = format!("existing-{}", std::process::id());
    let mut m = serde_json::Value::Null;
    for _ in 0..20 {
        let _ = std::fs::remove_dir_all(&out);
        let o = concbench(
            &run_args(
                python.to_str().unwrap(),
                out.to_str().unwrap(),
                &["--dask-scheduler", &cluster.address],
            ),
            &mark,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        m = meta(&out);
        if m["dask"]["workers"]
            .as_array()
            .is_some_and(|w| w.len() == 2)
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(
        m["dask"]["scheduler"],
        cluster.address.as_str(),
        "{}",
        m["dask"]
    );
    let workers = m["dask"]["workers"].as_array().unwrap();
    assert_eq!(workers.len(), 2, "{}", m["dask"]);
    assert!(workers.iter().all(|w| w["local"] == true), "{}", m["dask"]);
    assert!(runs(&out).iter().all(|r| r.1));
    // concbench's own processes are gone; the cluster it was pointed at is not its to end.
    assert_nothing_left(&mark);
    drop(cluster);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_scheduler_that_does_not_answer_is_one_line_and_exit_2_within_15_s() {
    let _serial = serial();
    let Some(python) = dask_python("an unreachable --dask-scheduler") else {
        return;
    };
    let out = scratch("unreachable");
    let started = Instant::now();
    let o = concbench(
        &run_args(
            python.to_str().unwrap(),
            out.to_str().unwrap(),
            &["--dask-scheduler", "tcp://127.0.0.1:9"],
        ),
        "unreachable",
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("--dask-scheduler") && err.contains("tcp://127.0.0.1:9"),
        "{err}"
    );
    // Refused before anything runs (the output folder is locked first, so it may exist).
    assert!(!out.join("runs.csv").exists() && !out.join("meta.json").exists());
    // An address Dask cannot parse is said to be one, at once.
    let o = concbench(
        &run_args(
            python.to_str().unwrap(),
            out.to_str().unwrap(),
            &["--dask-scheduler", "nonsense"],
        ),
        "unreachable",
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("'nonsense' is not a Dask scheduler address"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn without_dask_py_dask_is_skipped_in_one_line() {
    let _serial = serial();
    if !python3::usable("the py-dask skip") {
        return;
    }
    // A python3 that has Dask would not skip: this one is run isolated from any venv.
    let out = scratch("skip");
    let o = concbench(
        &[
            "run",
            "--strategy",
            "py-dask",
            "--python",
            "python3",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ],
        "skip",
    );
    let err = String::from_utf8_lossy(&o.stderr);
    if err.contains("skipping py-dask") {
        assert!(err.contains("scripts/dask-python.sh"), "{err}");
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("no strategy left to run"), "{err}");
    } else {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the py-dask skip: python3 has Dask here"
        );
    }
}

/// Kill concbench (SIGINT, then SIGKILL) while py-dask's cluster runs: 2 s later no process
/// it started is left (the interpreter kills its process group when concbench goes).
#[test]
fn no_cluster_process_outlives_concbench() {
    let _serial = serial();
    let Some(python) = dask_python("killing concbench during py-dask") else {
        return;
    };
    for signal in [libc::SIGINT, libc::SIGKILL] {
        let out = scratch(&format!("kill{signal}"));
        let mark = format!("kill{signal}-{}", std::process::id());
        let mut child = Command::new(BIN)
            .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
            .env("CONCBENCH_TEST_MARK", &mark)
            .args([
                "run",
                "--variant",
                "cpu",
                "--cpu-ms",
                "2000",
                "--strategy",
                "py-dask",
            ])
            .args(["--workers", "2", "--reps", "1", "-q", "--python"])
            .arg(&python)
            .arg("--out")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // concbench, the interpreter, and the cluster's nannies and workers.
        let deadline = Instant::now() + Duration::from_secs(60);
        while marked(&mark).len() < 5 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(marked(&mark).len() >= 5, "{:?}", marked(&mark));
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let _ = child.wait();
        assert_nothing_left(&mark);
        let _ = std::fs::remove_dir_all(&out);
    }
}
