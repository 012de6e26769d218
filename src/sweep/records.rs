//! A sweep's files, from the results layer: the schemas live in
//! [`crate::records::sweep`], the loader in [`crate::results::run_folder`].

use std::path::Path;

use crate::error::Result;
use crate::records;
pub use crate::records::sweep::*;

/// Write the sweep's meta.json (atomically) into `dir`.
pub fn write_meta(dir: &Path, meta: &SweepMeta) -> Result<()> {
    records::write_json(&dir.join(records::META_JSON), meta)
}

/// Read the sweep's meta.json from `dir`.
pub fn read_meta(dir: &Path) -> Result<SweepMeta> {
    records::read_json(&dir.join(records::META_JSON))
}
