//! The results layer: how concbench's files reach the disk and are found again, above the
//! file schemas of [`crate::records`].
//! - [`atomic`]: every file, chart and report is written through it (whole or not at all; a
//!   failure names the final file and exits 1).
//! - [`run_folder`]: loads any folder concbench wrote (a run, a claim, a sweep), knows its
//!   kind and where its report and charts go.
//! - [`markdown`]: the Markdown tables and sections every report shares.

pub mod atomic;
pub mod lock;
pub mod markdown;
pub mod run_folder;

pub use atomic::{Staged, write_file};
pub use lock::FolderLock;
