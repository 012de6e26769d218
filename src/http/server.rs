//! The HTTP server of the `http` variant: the hidden `concbench serve-http` subcommand.
//!
//! hyper 1 on a one-thread tokio runtime: one thread serves every connection, so the server's
//! CPU is one process's CPU, readable from /proc and kept apart from the strategy's. It binds
//! 127.0.0.1 on a port the kernel picks, prints that port on stdout (one line), then serves
//! `GET /square/N?delay_ms=D` and `/cube/N?...`: it waits D ms (a tokio timer, so thousands of
//! waiting requests cost no thread each) and answers 200 with the result as decimal text.
//! Anything else is 404. Every connection closes after its one response (`Connection:
//! close`): each job pays the same connect, request and response.
//!
//! It exits when its stdin closes (concbench holds the pipe's other end, so the server never
//! outlives concbench, even after a kill -9), on SIGTERM (the default action: no handler is
//! installed), or when concbench kills it at the end of a run.

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

use crate::workload::Task;

/// Set in the server's environment, it fails at once with one line on stderr: the test hook
/// for "a server that cannot start".
pub const FAIL_ENV: &str = "CONCBENCH_HTTP_SERVER_FAIL";

/// The listen backlog asked for: enough for 10,000 clients connecting at once. The kernel
/// caps it at net.core.somaxconn (4096 by default); a full queue makes clients retry their
/// SYN, which costs time but loses nothing.
const BACKLOG: u32 = 65_535;

/// The longest delay a request may ask for: a typo must not hold a connection for days.
const MAX_DELAY_MS: f64 = 3_600_000.0;

/// The hidden subcommand's body; the process's exit status.
pub fn serve_main() -> i32 {
    if std::env::var_os(FAIL_ENV).is_some() {
        eprintln!("told to fail by {FAIL_ENV}");
        return 1;
    }
    super::raise_open_files_limit();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the tokio runtime: {e}");
            return 1;
        }
    };
    match runtime.block_on(serve()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

async fn serve() -> std::io::Result<()> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    let listener = socket.listen(BACKLOG)?;
    let port = listener.local_addr()?.port();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{port}")?;
    out.flush()?;
    drop(out);
    exit_when_stdin_closes();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of descriptors (EMFILE) or a connection reset before it was accepted:
                // the client sees a refused or reset connection, a wrong result; the server
                // waits a moment for descriptors to come back instead of spinning.
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            }
        };
        tokio::spawn(serve_connection(stream));
    }
}

/// Serve one connection: one request, its answer, then close (no keep-alive).
pub async fn serve_connection(stream: tokio::net::TcpStream) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(answer);
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(false)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// A thread that waits for stdin to close, then ends the process.
fn exit_when_stdin_closes() {
    std::thread::spawn(|| {
        let mut buf = [0u8; 64];
        let mut stdin = std::io::stdin().lock();
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        std::process::exit(0);
    });
}

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let parsed = (req.method() == Method::GET)
        .then(|| parse(req.uri().path(), req.uri().query()))
        .flatten();
    let Some((result, delay)) = parsed else {
        return Ok(reply(StatusCode::NOT_FOUND, "not found\n".into()));
    };
    tokio::time::sleep(delay).await;
    Ok(reply(StatusCode::OK, result.to_string()))
}

fn reply(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    res
}

/// `/square/8` with `delay_ms=25` → (64, 25 ms); `None` for anything else.
pub fn parse(path: &str, query: Option<&str>) -> Option<(i128, Duration)> {
    let mut parts = path.strip_prefix('/')?.split('/');
    let task: Task = parts.next()?.parse().ok()?;
    let number: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let result = task.apply(number)?;
    let mut delay = Duration::ZERO;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=')?;
        if key != "delay_ms" {
            return None;
        }
        let ms: f64 = value.parse().ok()?;
        if !(0.0..=MAX_DELAY_MS).contains(&ms) {
            return None;
        }
        delay = Duration::from_secs_f64(ms / 1e3);
    }
    Some((result, delay))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_parsed_or_refused() {
        let ms = Duration::from_millis;
        assert_eq!(parse("/square/8", Some("delay_ms=25")), Some((64, ms(25))));
        assert_eq!(parse("/cube/-3", Some("delay_ms=0")), Some((-27, ms(0))));
        assert_eq!(parse("/cube/2", None), Some((8, ms(0))));
        assert_eq!(
            parse("/square/3", Some("delay_ms=1.5")),
            Some((9, Duration::from_micros(1500)))
        );
        for (path, query) in [
            ("/", None),
            ("/square", None),
            ("/square/x", None),
            ("/root/8", None),
            ("/square/8/9", None),
            ("/square/8", Some("delay_ms=-1")),
            ("/square/8", Some("delay_ms=x")),
            ("/square/8", Some("sleep=1")),
            ("/cube/5541191377757", None),
        ] {
            assert_eq!(parse(path, query), None, "{path} {query:?}");
        }
    }
}
