//! A sweep's files, from the results layer: the schemas live in
//! [`crate::records::sweep`], the loader in [`crate::results::run_folder`]
//! ([`SweepData`](crate::results::run_folder::SweepData)).

use std::path::Path;

use crate::error::Result;
use crate::records;
pub use crate::records::sweep::*;

/// Write the sweep's meta.json (atomically) into `dir`.
pub fn write_meta(dir: &Path, meta: &SweepMeta) -> Result<()> {
    records::write_json(&dir.join(records::META_JSON), meta)
}
