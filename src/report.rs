//! Charts and REPORT.md, rebuilt from the files of a run alone (issue 3: not built yet).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::Result;

/// `concbench report` options.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Folder of a run (runs.csv, summary.csv, samples.csv, meta.json)
    #[arg(long, value_name = "DIR", default_value = "results/latest")]
    pub input: PathBuf,
}

/// Regenerate the charts and REPORT.md of the run in `dir`.
pub fn generate(_dir: &Path) -> Result<()> {
    Ok(())
}

pub fn run_cli(args: &ReportArgs) -> Result<()> {
    generate(&args.input)
}
