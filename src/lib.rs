//! concbench: the classic "threads vs processes" tutorial as a measurement instrument.
//!
//! The tutorial computes the square and the cube of `[2, 3, 8, 9]`, one unit of work per
//! item. concbench runs that workload sleep-bound and CPU-bound under several strategies
//! (sequential, threads, rayon, processes), measures wall time and exact CPU time, samples
//! per-core usage, checks every result against the sequential reference and writes CSV.
//!
//! Layout: [`workload`] (what is computed), [`strategy`] (how it is run, one file each),
//! [`measure`] (clocks, rusage, the sysinfo sampler, the machine), [`experiment`] (the plan and
//! the loop), [`stats`] and [`summary`] (pure statistics), [`records`] (file schemas),
//! [`console`] (the table on stdout), [`worker`] (the child side of `processes`).

pub mod chart;
pub mod claim;
pub mod cli;
pub mod cmd;
pub mod compare;
pub mod console;
pub mod engine;
pub mod error;
pub mod experiment;
pub mod export;
pub mod lifecycle;
pub mod measure;
pub mod records;
pub mod report;
pub mod results;
pub mod stats;
pub mod strategy;
pub mod study;
pub mod summary;
pub mod sweep;
pub mod worker;
pub mod workload;

pub use error::{Error, Result};
