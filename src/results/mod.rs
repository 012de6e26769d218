//! The results layer: how concbench's files reach the disk and are found again. Every file,
//! chart and report is written through [`atomic`] (whole or not at all, a failure names the
//! final file and exits 1).

pub mod atomic;
pub mod markdown;
pub mod run_folder;

pub use atomic::{Staged, write_file};
