//! `concbench report`: the charts and REPORT.md of a run folder, rebuilt from its files.

use super::Outcome;
use crate::error::Result;
pub use crate::report::ReportArgs;

pub fn execute(args: &ReportArgs) -> Result<Outcome> {
    crate::report::run_cli(args).map(|()| Outcome::Success)
}
