//! The `http` variant: every job is a real HTTP/1.1 GET to a server concbench starts on
//! 127.0.0.1 (port 0) before the first trial, which answers `/square/8?delay_ms=25` after the
//! delay with the result as decimal text.
//!
//! - [`server`]: the server, hyper 1 on a one-thread tokio runtime, run as a child process (the
//!   hidden `concbench serve-http`) so that its CPU is separable from the strategy's;
//! - [`child`]: concbench's side of that child: starting it untimed, reading its CPU around
//!   each trial, killing and reaping it at the end, on a stop signal or a failed run;
//! - [`client`]: the clients, one connection per job (`Connection: close`) for every client,
//!   so each job pays the same TCP connect, request and response: a blocking one (ureq) for
//!   sequential, threads, rayon and the processes workers ([`blocking`]), an async one
//!   (hyper) for `async`.

pub mod blocking;
pub mod child;
pub mod client;
pub mod server;

/// Raise this process's open-file limit to its hard limit when the soft limit is lower: every
/// concurrent job holds a socket (10,000 connections at once need more than the usual 1024
/// descriptors), on the client side and on the server's. Best effort: the limit it got.
pub fn raise_open_files_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit write or read only the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return raised.rlim_cur;
            }
        }
    }
    lim.rlim_cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lowered_open_file_limit_is_raised_to_the_hard_limit() {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit read or write the struct passed. Lowering the soft
        // limit is always allowed; the call under test raises it again.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
            let low = libc::rlimit {
                rlim_cur: lim.rlim_max.min(256),
                rlim_max: lim.rlim_max,
            };
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &low), 0);
        }
        assert_eq!(raise_open_files_limit(), lim.rlim_max);
    }
}
