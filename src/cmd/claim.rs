//! `concbench claim`: the tutorial's claims, each with a verdict, on the console, in
//! claims.csv and in REPORT.md.

use std::process::ExitCode;
use std::time::Instant;

use super::Outcome;
pub use crate::claim::ClaimArgs;
use crate::claim::{self, Checked, EXIT_EXPECTATION_FAILED, check_expectations, claims_table};
use crate::console;
use crate::error::Result;

pub fn execute(args: &ClaimArgs) -> Result<Outcome> {
    let started = Instant::now();
    let out = args.engine.out_or(claim::DEFAULT_OUT);
    // Bad input first, then one writer per folder, held until the report is written.
    claim::check_args(args)?;
    let _lock = crate::results::FolderLock::for_output(&out)?;
    let Checked {
        rows,
        measured,
        cores,
        written,
    } = claim::check(args, &out, started)?;
    console::emit(&claims_table(&rows, cores));
    if let Some(e) = measured.as_ref().and_then(|m| m.error.as_ref()) {
        // The first error is the one to report; the files were written as far as they could be.
        let reported = written.is_ok() && crate::report::generate(&out).is_ok();
        eprintln!(
            "concbench: {e}; the claims decided so far and the runs behind them{} are in {}",
            if reported { ", with REPORT.md," } else { "" },
            out.display()
        );
        return Ok(Outcome::ended_by(e));
    }
    written?;
    if measured.as_ref().is_some_and(|m| !m.runs.is_empty())
        && let Err(e) = crate::report::generate(&out)
    {
        eprintln!("concbench: no report: {e}");
    }
    console::emit(&format!(
        "claims.csv, REPORT.md and the runs behind them in {} ({:.1} s)\n",
        out.display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(
        if check_expectations(&args.expect, &rows) == ExitCode::SUCCESS {
            Outcome::Success
        } else {
            Outcome::Exit(EXIT_EXPECTATION_FAILED)
        },
    )
}
