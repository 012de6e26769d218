//! The blocking client of the `http` variant (ureq), for sequential, threads, rayon, the gil
//! model and the processes workers: one connection per job (`Connection: close`, no pool).
//! It takes the request's path, not the job, so the workload can call it without this module
//! knowing the workload's types.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

pub(super) fn failed(what: impl std::fmt::Display) -> Error {
    Error::Measurement(format!("http job: {what}"))
}

/// The blocking client, shared by every thread: no connection pool (one connection per
/// job), no proxy from the environment (the server is on this machine), a 4xx or 5xx answer an
/// error.
fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .proxy(None)
            .http_status_as_error(true)
            .build()
            .new_agent()
    })
}

/// One job's request (`path`, from `Job::http_path`) as a blocking GET: the server's answer,
/// parsed from the body.
pub fn get_blocking(port: u16, path: &str) -> Result<i128> {
    let url = format!("http://127.0.0.1:{port}{path}");
    let mut response = agent()
        .get(&url)
        .header("Connection", "close")
        .call()
        .map_err(failed)?;
    let body = response.body_mut().read_to_string().map_err(failed)?;
    parse_body(&body)
}

/// [`get_blocking`] for the jobs' loops, which return values, not errors: a failed request
/// gives a value no job ever has (`i128::MIN`: no square is negative, no cube within the
/// validated numbers reaches -2^127), so the trial fails verification; the first failure in
/// a process is said once on stderr, so the reason is not lost.
pub fn get_or_report(port: u16, path: &str) -> i128 {
    result_or_report(get_blocking(port, path))
}

/// A request's result, or `i128::MIN` (no square or cube) with the reason said once on stderr:
/// a failed request marks the job wrong, as a wrong answer does.
pub fn result_or_report(result: Result<i128>) -> i128 {
    result.unwrap_or_else(|e| {
        static SAID: AtomicBool = AtomicBool::new(false);
        if !SAID.swap(true, Ordering::Relaxed) {
            eprintln!("concbench: {e} (the job's result is marked wrong)");
        }
        i128::MIN
    })
}

pub(super) fn parse_body(body: &str) -> Result<i128> {
    body.trim()
        .parse()
        .map_err(|_| failed(format!("the server answered '{}'", body.trim())))
}
