//! concbench: the classic "threads vs processes" tutorial as a measurement instrument.
//!
//! The tutorial computes the square and the cube of `[2, 3, 8, 9]`, one unit of work per
//! item. concbench runs that workload sleep-bound and CPU-bound under several strategies
//! (sequential, threads, rayon, processes, a GIL model and CPython's own), measures wall time
//! and exact CPU time, samples per-core usage, checks every result against the sequential
//! reference, writes CSV, charts and a report, and judges the tutorial's claims.
//!
//! Layout, from the work up to the command line:
//! - what is computed and how: [`workload`] (tasks, jobs, the CPU kernel), [`strategy`] (one
//!   file per way of running the jobs), [`worker`] (the child side of `processes`), [`http`]
//!   (the `http` variant's server, run as a child, and its clients);
//! - measuring: [`measure`] (clocks, rusage, the sysinfo sampler, the machine), [`lifecycle`]
//!   (stop signals, the child registry), [`engine`] (schedule, executor, session: one trial
//!   engine), [`study`] (arms, calibration, meta.json, warm-up and rounds under a policy);
//! - the questions, each a front end over a study: [`experiment`] (`run`: fixed repetitions),
//!   [`claim`] (verdicts under a sequential stopping rule), [`sweep`] (worker counts × job
//!   sizes within a budget, scaling models), and [`compare`] (two finished runs);
//! - statistics, pure functions over samples: [`stats`], [`summary`];
//! - results: [`records`] (the file schemas, a leaf), [`results`] (atomic writes, the folder
//!   lock, loading any run folder, Markdown tables), [`chart`], [`report`] (REPORT.md),
//!   [`export`] (summary.json), [`console`] (the tables on stdout);
//! - the command line: [`cli`] (the options shared by run, claim and sweep, value parsers),
//!   [`cmd`] (one `execute` per subcommand and the exit policy); [`error`] (one error type,
//!   each variant one line and an exit status).

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
pub mod http;
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
