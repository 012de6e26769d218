//! The async client of the `http` variant (for the `async` strategy), and the tests of both
//! clients against a real server. Every client opens one connection per job and says
//! `Connection: close`: each job pays the same TCP connect, request and response, whatever
//! the strategy, in Rust or in Python.

use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

use crate::error::Result;
use crate::workload::Job;

use super::blocking::{failed, parse_body};

/// One job as an async GET (hyper's client over a tokio TcpStream, one connection per
/// request): the server's answer, parsed from the body. The connection is driven beside the
/// request rather than spawned, so it runs on whatever executor awaits it.
pub async fn get_async(port: u16, job: Job, delay: Duration) -> Result<i128> {
    let stream = tokio::net::TcpStream::connect((std::net::Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(failed)?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(failed)?;
    let request = hyper::Request::get(job.http_path(delay))
        .header(hyper::header::HOST, format!("127.0.0.1:{port}"))
        .header(hyper::header::CONNECTION, "close")
        .body(Empty::<Bytes>::new())
        .map_err(failed)?;
    let exchange = async {
        let response = sender.send_request(request).await.map_err(failed)?;
        let status = response.status();
        let body = response.into_body().collect().await.map_err(failed)?;
        if !status.is_success() {
            return Err(failed(format!("the server answered {status}")));
        }
        parse_body(&String::from_utf8_lossy(&body.to_bytes()))
    };
    // The connection ends once the response is read (Connection: close); its own error after
    // a complete answer changes nothing.
    let (answer, _) = tokio::join!(exchange, connection);
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::blocking::{get_blocking, get_or_report};
    use crate::workload::Task;

    /// The server of this test: a real one, in this process, on its own runtime thread.
    fn local_server() -> u16 {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap().port()).unwrap();
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    tokio::spawn(super::super::server::serve_connection(stream));
                }
            });
        });
        rx.recv().unwrap()
    }

    #[test]
    fn both_clients_get_the_result_after_the_delay() {
        let port = local_server();
        let cube = Job {
            task: Task::Cube,
            number: -7,
        };
        let d = Duration::from_millis(20);
        let t = std::time::Instant::now();
        assert_eq!(get_blocking(port, &cube.http_path(d)).unwrap(), -343);
        assert!(t.elapsed() >= d);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let t = std::time::Instant::now();
        let answers = rt.block_on(async {
            let tasks: Vec<_> = (1..=50)
                .map(|n| {
                    let job = Job {
                        task: Task::Square,
                        number: n,
                    };
                    tokio::spawn(get_async(port, job, d))
                })
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap().unwrap());
            }
            out
        });
        assert_eq!(answers, (1..=50).map(|n| n * n).collect::<Vec<i128>>());
        // Concurrent: 50 waits of 20 ms take far less than their sum (1 s).
        assert!(
            t.elapsed() < Duration::from_millis(800),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn a_refused_or_wrong_answer_is_an_error() {
        let port = local_server();
        let bad = Job {
            task: Task::Cube,
            number: 5_541_191_377_757,
        };
        let d = Duration::ZERO;
        assert!(get_blocking(port, &bad.http_path(d)).is_err());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        assert!(rt.block_on(get_async(port, bad, d)).is_err());
        assert_eq!(get_or_report(port, &bad.http_path(d)), i128::MIN);
        // Nothing listens on a port just freed.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let closed_port = closed.local_addr().unwrap().port();
        drop(closed);
        let ok = Job {
            task: Task::Square,
            number: 2,
        };
        assert!(get_blocking(closed_port, &ok.http_path(d)).is_err());
        assert!(rt.block_on(get_async(closed_port, ok, d)).is_err());
    }
}
