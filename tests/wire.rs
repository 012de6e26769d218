//! The worker's wire protocol, driven by hand: binary JOBS/DONE frames (what `processes`
//! sends), the text form kept for people and the C5 demo, and bad frames reported readably on
//! both sides.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use concbench::strategy::{self, StrategyContext};
use concbench::worker::frame::{self, Header};
use concbench::workload::{Job, Task, WorkUnit, jobs_for, reference_results};

fn worker() -> Child {
    Command::new(env!("CARGO_BIN_EXE_concbench-worker"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn line(out: &mut BufReader<ChildStdout>) -> String {
    let mut l = String::new();
    out.read_line(&mut l).unwrap();
    l
}

fn stderr_of(mut child: Child) -> (Option<i32>, String) {
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn a_frame_is_answered_by_a_frame_and_a_line_by_a_line() {
    let mut child = worker();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    assert_eq!(line(&mut out), format!("ready {}\n", child.id()));

    // Jobs 5..9 of a list, as `processes` sends them: one frame.
    let jobs = jobs_for(&[-5_541_191_377_756, 3]);
    let mut message = format!("unit {}\n", WorkUnit::cpu(10).encode()).into_bytes();
    frame::encode_jobs(&mut message, 5, &jobs);
    stdin.write_all(&message).unwrap();
    let mut head = [0u8; frame::HEADER];
    out.read_exact(&mut head).unwrap();
    assert_eq!(
        Header::from_bytes(&head),
        Header::new(frame::DONE, 5, jobs.len())
    );
    let mut records = vec![0u8; frame::RESULT_BYTES * jobs.len()];
    out.read_exact(&mut records).unwrap();
    let mut results = vec![0i128; jobs.len()];
    frame::decode_results(&records, &mut results);
    assert_eq!(results, reference_results(&jobs));

    // The text form, by hand, in the same conversation.
    writeln!(stdin, "jobs 4 cube -3 9 square 2").unwrap();
    assert_eq!(line(&mut out), "done 4 -27 9 4\n");

    drop(stdin);
    // Every job of both forms went to the child's own list.
    assert_eq!(line(&mut out), format!("bye {}\n", jobs.len() + 2));
    assert_eq!(stderr_of(child), (Some(0), String::new()));
}

/// Sends `bytes` after a unit; the worker must refuse them with exit 2 and a stderr that says
/// `expect`.
fn refused(bytes: &[u8], expect: &str) {
    let mut child = worker();
    let mut stdin = child.stdin.take().unwrap();
    let mut message = format!("unit {}\n", WorkUnit::cpu(10).encode()).into_bytes();
    message.extend_from_slice(bytes);
    stdin.write_all(&message).unwrap();
    drop(stdin);
    let (code, err) = stderr_of(child);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(expect), "expected {expect:?} in {err:?}");
}

#[test]
fn bad_frames_are_refused_with_a_readable_reason() {
    let job = Job {
        task: Task::Cube,
        number: 2,
    };
    let mut bad_task = Vec::new();
    frame::encode_jobs(&mut bad_task, 3, &[job, job]);
    bad_task[frame::HEADER + frame::JOB_BYTES] = 9;
    refused(
        &bad_task,
        r"a JOBS 3..5 frame (job 4 has task byte 9, not 0 or 1: '\t\x02\x00",
    );

    let mut cut = Vec::new();
    frame::encode_jobs(&mut cut, 0, &[job, job]);
    cut.truncate(cut.len() - 4);
    refused(
        &cut,
        "a JOBS 0..2 frame (cut after 14 of its 18 bytes of jobs)",
    );

    refused(
        b"JOBX\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00",
        r"'JOBX\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00' (not a JOBS frame header",
    );
    refused(b"JOB", r"'JOB' (a frame header cut after 3 of 16 bytes)");
    refused(b"jobs 1 cube x\n", "unexpected message 'jobs 1 cube x'");
}

#[test]
fn the_parent_quotes_what_a_child_wrote_instead_of_a_frame() {
    let mut ctx = StrategyContext::with_worker_near(
        Path::new(env!("CARGO_BIN_EXE_concbench")),
        Duration::from_secs(60),
    );
    ctx.worker_args = vec!["--fault".into(), "garbage".into()];
    let mut p = (strategy::find("processes").unwrap().build)(2, &ctx).unwrap();
    let jobs = jobs_for(&(1..=40).collect::<Vec<i64>>());
    let err = p.run(&jobs, WorkUnit::cpu(10)).unwrap_err().to_string();
    assert!(
        err.contains("wrote malformed output 'done ?? not-a-number' (expected a DONE "),
        "{err}"
    );
    assert!(err.contains(" (pid "), "{err}");
}
