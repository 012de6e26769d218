//! The verdict table on the console: written in [`crate::console`], beside the summary table,
//! so `concbench report --table` prints it without importing the claim layer.

pub use crate::console::claims_table;
