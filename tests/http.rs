//! The http variant: the server answers and refuses, runs give verified results and the
//! server's CPU, and no server process (so no listening socket) outlives a run, whether it
//! ends normally, by Ctrl-C, by a failed trial, by a kill -9 of concbench, or because the
//! server could not start.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

mod python3;

const EXE: &str = env!("CARGO_BIN_EXE_concbench");

/// One at a time: each test looks for this binary's servers on the whole machine.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("concbench-http-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(EXE);
    c.env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(args);
    c
}

fn run(args: &[&str]) -> Output {
    command(args).output().unwrap()
}

/// The pids of this binary's `serve-http` processes that are alive (not zombies).
fn servers() -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                s.rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
            .unwrap_or(true);
        if args.len() >= 2 && args[0] == EXE.as_bytes() && args[1] == b"serve-http" && !zombie {
            out.push(pid);
        }
    }
    out
}

/// Wait up to `limit` for `check` to hold.
fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    check()
}

fn no_server_left(when: &str) {
    assert!(
        eventually(Duration::from_secs(3), || servers().is_empty()),
        "{when}: a server is still running: {:?}",
        servers()
    );
}

/// A server started by hand, killed and reaped when dropped (a failed assertion included).
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A server started by hand: (its guard, port). Its stderr is not the harness's, so a server
/// left behind cannot hold the test's output open.
fn serve() -> (Served, u16) {
    let mut child = command(&["serve-http"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (Served(child), line.trim().parse().unwrap())
}

/// A raw HTTP/1.1 GET: (status, body).
fn get(port: u16, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    (
        status,
        text.split("\r\n\r\n").nth(1).unwrap_or("").to_string(),
    )
}

fn listening(port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    // local_address is 0100007F:PORT in hex; state 0A is LISTEN.
    let local = format!("0100007F:{port:04X}");
    table.lines().any(|l| {
        l.split_whitespace().nth(1) == Some(&local) && l.split_whitespace().nth(3) == Some("0A")
    })
}

#[test]
fn the_server_answers_after_the_delay_refuses_bad_paths_and_ends_with_its_stdin() {
    let _g = serial();
    let (mut served, port) = serve();
    let child = &mut served.0;
    assert!(listening(port));
    let t = Instant::now();
    assert_eq!(get(port, "/square/8?delay_ms=50"), (200, "64".into()));
    assert!(t.elapsed() >= Duration::from_millis(50));
    assert_eq!(get(port, "/cube/-3?delay_ms=0"), (200, "-27".into()));
    for bad in [
        "/",
        "/square/x",
        "/root/8",
        "/square/8?delay_ms=-1",
        "/square/8/1",
    ] {
        assert_eq!(get(port, bad).0, 404, "{bad}");
    }
    drop(child.stdin.take());
    let ended = eventually(Duration::from_secs(3), || {
        child.try_wait().unwrap().is_some()
    });
    assert!(ended, "the server outlived its stdin");
    assert!(!listening(port));
}

/// A column of a CSV file.
fn column(path: &std::path::Path, name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header
        .iter()
        .position(|h| *h == name)
        .unwrap_or_else(|| panic!("no {name}"));
    lines
        .map(|l| l.split(',').nth(i).unwrap_or("").to_string())
        .collect()
}

#[test]
fn an_http_run_is_verified_and_reports_the_servers_cpu_apart() {
    let _g = serial();
    let out = scratch("run");
    let o = run(&[
        "run",
        "--variant",
        "http",
        "--strategy",
        "sequential,threads,async,processes,rayon,gil",
        "--workers",
        "2",
        "--sleep-ms",
        "5",
        "--reps",
        "2",
        "--warmup",
        "0",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let runs = out.join("runs.csv");
    assert_eq!(column(&runs, "variant").len(), 12);
    assert!(column(&runs, "variant").iter().all(|v| v == "http"));
    assert!(column(&runs, "correct").iter().all(|c| c == "true"));
    for cpu in column(&runs, "server_cpu_s") {
        assert!(
            cpu.parse::<f64>().is_ok_and(|s| s >= 0.0),
            "server_cpu_s '{cpu}'"
        );
    }
    let summary = out.join("summary.csv");
    assert!(
        column(&summary, "server_cpu_median_s")
            .iter()
            .all(|c| !c.is_empty())
    );
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("**HTTP-bound**"), "{report}");
    assert!(
        report.contains("The HTTP server, a child process"),
        "{report}"
    );
    no_server_left("after a run");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn sleep_and_http_on_one_delay_are_compared_and_only_http_has_server_cpu() {
    let _g = serial();
    let out = scratch("both");
    let o = run(&[
        "run",
        "--variant",
        "sleep,http",
        "--strategy",
        "sequential,threads",
        "--workers",
        "2",
        "--sleep-ms",
        "3",
        "--reps",
        "2",
        "--warmup",
        "0",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let runs = out.join("runs.csv");
    for (variant, cpu) in column(&runs, "variant")
        .iter()
        .zip(column(&runs, "server_cpu_s"))
    {
        assert_eq!(variant == "http", !cpu.is_empty(), "{variant}: '{cpu}'");
    }
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("**Sleep against real I/O.**"), "{report}");
    assert!(report.contains("`threads`/2 "), "{report}");
    no_server_left("after a sleep and http run");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_wrong_answer_fails_verification() {
    // A port with nothing behind it: the jobs' requests are refused, their results wrong.
    let _g = serial();
    let (served, port) = serve();
    drop(served);
    let job = concbench::workload::Job {
        task: concbench::workload::Task::Square,
        number: 3,
    };
    let unit = concbench::workload::WorkUnit::http(Duration::ZERO, port);
    assert_ne!(concbench::workload::run_job(job, unit), 9);
}

#[test]
fn a_failed_trial_leaves_no_server() {
    let _g = serial();
    let out = scratch("fault");
    let o = run(&[
        "run",
        "--variant",
        "http",
        "--strategy",
        "sequential,processes",
        "--workers",
        "2",
        "--sleep-ms",
        "5",
        "--reps",
        "1",
        "--warmup",
        "0",
        "--timeout",
        "2",
        "--quiet",
        "--worker-fault",
        "crash",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("http/processes/2"), "{err}");
    no_server_left("after a failed trial");
    let _ = std::fs::remove_dir_all(&out);
}

/// A run with long waits, in its own process group (as a terminal starts it), once its server
/// is up.
fn long_run(name: &str) -> (Child, PathBuf) {
    let out = scratch(name);
    let child = command(&[
        "run",
        "--variant",
        "http",
        "--strategy",
        "sequential,threads",
        "--workers",
        "2",
        "--sleep-ms",
        "300",
        "--reps",
        "20",
        "--warmup",
        "0",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .process_group(0)
    .spawn()
    .unwrap();
    assert!(
        eventually(Duration::from_secs(20), || !servers().is_empty()),
        "no server started"
    );
    // Mid-trial: the first trial's requests are waiting on the server.
    std::thread::sleep(Duration::from_millis(800));
    (child, out)
}

#[test]
fn ctrl_c_mid_run_leaves_no_server() {
    let _g = serial();
    let (mut child, out) = long_run("sigint");
    // SAFETY: signals the test's own child's group.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    no_server_left("after Ctrl-C");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_killed_concbench_leaves_no_server() {
    let _g = serial();
    let (mut child, out) = long_run("sigkill");
    // Only concbench: its server notices its stdin close.
    let _ = child.kill();
    let _ = child.wait();
    no_server_left("after kill -9 of concbench");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_server_that_cannot_start_is_one_line_and_exit_1() {
    let _g = serial();
    let out = scratch("nostart");
    let o = command(&[
        "run",
        "--variant",
        "http",
        "--strategy",
        "sequential",
        "--reps",
        "1",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ])
    .env("CONCBENCH_HTTP_SERVER_FAIL", "1")
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.contains("warning")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains("the HTTP server cannot start"), "{err}");
    assert!(lines[0].contains("CONCBENCH_HTTP_SERVER_FAIL"), "{err}");
    no_server_left("after a failed start");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn cpython_threads_and_asyncio_clients_get_the_servers_answers() {
    if !python3::usable("the CPython http clients") {
        return;
    }
    let _g = serial();
    let out = scratch("py");
    let o = run(&[
        "run",
        "--variant",
        "http",
        "--strategy",
        "py-sequential,py-threads,py-asyncio",
        "--workers",
        "2",
        "--sleep-ms",
        "5",
        "--reps",
        "2",
        "--warmup",
        "0",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        column(&out.join("runs.csv"), "correct")
            .iter()
            .all(|c| c == "true")
    );
    let _ = std::fs::remove_dir_all(&out);
    // http_job and http_job_async straight from the script, against a real server.
    let (_server, port) = serve();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/python");
    let code = format!(
        "import sys, asyncio; sys.path.insert(0, {script:?}); import concbench_workload as w\n\
         unit = {{'http': {{'port': {port}, 'delay_ms': 20.0}}}}\n\
         jobs = [('square', n) for n in range(1, 41)] + [('cube', -2)]\n\
         async def main():\n    return await asyncio.gather(*(w.http_job_async(j, unit) for j in jobs))\n\
         print(w.http_job(('cube', 3), unit), *asyncio.run(main()))\n\
         try:\n    w.http_job(('root', 3), unit)\nexcept RuntimeError as e:\n    print('refused', e)\n"
    );
    let py = Command::new("python3")
        .args(["-B", "-I", "-S", "-c", &code])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&py.stdout).into_owned();
    assert!(
        py.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let mut lines = text.lines();
    let mut want = vec!["27".to_string()];
    want.extend((1..=40).map(|n: i64| (n * n).to_string()));
    want.push("-8".into());
    assert_eq!(lines.next().unwrap(), want.join(" "));
    assert!(lines.next().unwrap().starts_with("refused"), "{text}");
}
