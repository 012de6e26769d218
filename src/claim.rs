//! `concbench claim`: the tutorial's claims, checked with statistics (issue 5: not built yet).

use std::process::ExitCode;

use clap::Args;

use crate::error::{Error, Result};

/// `concbench claim` options.
#[derive(Debug, Clone, Args)]
pub struct ClaimArgs {}

pub fn run_cli(_args: &ClaimArgs) -> Result<ExitCode> {
    Err(Error::Usage("concbench claim is not available yet".into()))
}
