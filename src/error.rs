//! One error type for the library. Every variant carries enough context to be printed as a
//! single line; the binary maps [`Error::exit_code`] to the process exit status.

use std::path::PathBuf;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in concbench.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user asked for something impossible (bad flag value, overflowing number, ...).
    #[error("{0}")]
    Usage(String),
    /// A file could not be created, written or read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An input file exists but its content is wrong (report regeneration reads files back).
    #[error("{path}: {message}")]
    BadInput { path: PathBuf, message: String },
    /// A trial could not be measured: a worker died, hung, or talked nonsense.
    #[error("trial {trial}: {message}")]
    Trial { trial: String, message: String },
    /// Anything else that stops a measurement (spawning, thread pools, ...).
    #[error("{0}")]
    Measurement(String),
    /// A result file could not be written while measuring (disk full, folder removed): the
    /// rows written before stay valid.
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A stop signal (SIGINT, SIGTERM, SIGHUP) ended the run; what was measured is kept.
    #[error("interrupted by {}", crate::lifecycle::signals::signal_name(*signal))]
    Interrupted { signal: Option<i32> },
}

impl Error {
    /// Exit status: 2 for bad input from the user, 1 for a measurement that failed.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Io { .. } | Error::BadInput { .. } => 2,
            Error::Trial { .. } | Error::Measurement(_) | Error::Write { .. } => 1,
            Error::Interrupted { signal } => {
                i32::from(crate::lifecycle::signals::exit_status(*signal))
            }
        }
    }

    /// Shorthand for a write error on a result file.
    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Write {
            path: path.into(),
            source,
        }
    }

    /// The interruption by the signal that arrived.
    pub fn interrupted() -> Self {
        Error::Interrupted {
            signal: crate::lifecycle::signals::stop_signal(),
        }
    }

    /// Shorthand for an I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<csv::Error> for Error {
    fn from(e: csv::Error) -> Self {
        Error::Measurement(format!("csv: {e}"))
    }
}
