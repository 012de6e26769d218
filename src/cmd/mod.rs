//! The subcommands, each `execute(args) -> Result<Outcome>`, and the exit policy in one place:
//! an error is one line on stderr and its exit status (2 bad input, 1 a failed run), an
//! [`Outcome`] is its own status.

pub mod claim;
pub mod compare;
pub mod report;
pub mod run;
pub mod sweep;

use std::process::ExitCode;

use crate::error::{Error, Result};

/// How a subcommand that ran to its end finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was done: exit 0.
    Success,
    /// Done, with something to report through the exit status: wrong results (1), a run ended
    /// early after its files were kept (its error's status), an unmet `--expect` (3), a
    /// compare that found a change (1).
    Exit(u8),
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Exit(code) => code,
        }
    }

    /// The outcome of a run that ended early with `e` once its files were written.
    pub fn ended_by(e: &Error) -> Outcome {
        Outcome::Exit(e.exit_code() as u8)
    }

    /// One with `mismatches` trials that returned wrong results: say so, and exit 1.
    pub fn after_mismatches(mismatches: usize) -> Outcome {
        if mismatches == 0 {
            return Outcome::Success;
        }
        eprintln!(
            "concbench: {mismatches} trial(s) returned wrong results (marked correct=false in runs.csv)"
        );
        Outcome::Exit(1)
    }
}

impl From<ExitCode> for Outcome {
    /// For the library functions that still answer with an exit code (0 or 1).
    fn from(code: ExitCode) -> Outcome {
        if code == ExitCode::SUCCESS {
            Outcome::Success
        } else {
            Outcome::Exit(1)
        }
    }
}

/// The exit status of a subcommand's result, the error said in one line on stderr.
pub fn exit_status(result: Result<Outcome>) -> ExitCode {
    match result {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(e) => {
            eprintln!("concbench: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// A command line clap refused: help and version to stdout (exit 0), anything else one line
/// naming the flag, instead of clap's usage block (exit 2).
pub fn parse_failure(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("error: invalid arguments");
    eprintln!("concbench: {}", first.trim_start_matches("error: "));
    ExitCode::from(2)
}
