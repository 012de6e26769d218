//! `concbench report`: the charts and REPORT.md of a run folder, rebuilt from its files.

use super::Outcome;
use crate::error::Result;
pub use crate::report::ReportArgs;

pub fn execute(args: &ReportArgs) -> Result<Outcome> {
    // Rebuilding writes into the folder: not while a run is writing there. `--table` only
    // reads, and a missing folder gets the loader's own error.
    let _lock = match args.table || !args.input.is_dir() {
        true => None,
        false => Some(crate::results::FolderLock::acquire(&args.input)?),
    };
    crate::report::run_cli(args).map(|()| Outcome::Success)
}
