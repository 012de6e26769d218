//! `concbench compare`: two runs side by side (exit 1 when a wall time changed beyond noise).

use super::Outcome;
pub use crate::compare::CompareArgs;
use crate::error::Result;

pub fn execute(args: &CompareArgs) -> Result<Outcome> {
    crate::compare::run_cli(args).map(Outcome::from)
}
