//! Measurement: exact usage around one trial, the background sysinfo sampler, the machine's
//! description, and the background-load check.

pub mod load;
pub mod machine;
pub mod memory;
pub mod sampler;
pub mod usage;
