//! `concbench report`: the charts and REPORT.md of a run folder, rebuilt from its files.

use super::Outcome;
use crate::error::{Error, Result};
pub use crate::report::ReportArgs;
use crate::results::FolderLock;

pub fn execute(args: &ReportArgs) -> Result<Outcome> {
    // Rebuilding writes into the folder: not while a run is writing there. `--table` only
    // reads; a folder concbench did not write gets the loader's own error and no lock file;
    // and one that cannot be written fails on the first file it cannot write (exit 1), as it
    // would without the lock.
    let ours = args.input.join(crate::records::META_JSON).is_file();
    let _lock = if args.table || !ours {
        None
    } else {
        match FolderLock::acquire(&args.input) {
            Ok(lock) => Some(lock),
            Err(e @ Error::Usage(_)) => return Err(e),
            Err(_) => None,
        }
    };
    crate::report::run_cli(args).map(|()| Outcome::Success)
}
