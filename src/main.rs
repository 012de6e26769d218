//! The concbench command line: parse once into typed options and hand them to the library's
//! subcommands (`concbench::cmd`), which also hold the exit policy: an error is one line on
//! stderr and exit status 2 (bad input) or 1 (a failed run).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use concbench::cmd::{self, claim::ClaimArgs, compare::CompareArgs, report::ReportArgs};
use concbench::cmd::{run::RunArgs, sweep::SweepArgs};
use concbench::worker::{self, Fault};

#[derive(Parser)]
#[command(
    name = "concbench",
    version,
    about = "Measure the threads-vs-processes tutorial: square and cube of a list, sleep-bound and CPU-bound, under sequential, threads, rayon and processes",
    long_about = "Measure the threads-vs-processes tutorial: the square and the cube of every number in a list, one unit of work per job, sleep-bound and CPU-bound, under sequential, threads, rayon and processes. Every result is checked against the sequential one. Writes runs.csv, summary.csv, samples.csv and meta.json.\n\nWithout a subcommand, runs the default experiment (same as `concbench run`).",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment (the default when no subcommand is given).
    Run(Box<RunArgs>),
    /// Rebuild the charts and REPORT.md from the files of a run, without running any workload.
    Report(ReportArgs),
    /// Compare two runs: did the wall times change, by how much, and is it more than noise?
    Compare(Box<CompareArgs>),
    /// Check the tutorial's claims and print a verdict for each.
    Claim(Box<ClaimArgs>),
    /// Where does parallelism pay? Every strategy over worker counts and job sizes, with
    /// scaling models and break-even job sizes.
    Sweep(Box<SweepArgs>),
    /// Internal: a child that misbehaves on purpose for `concbench claim` (C5).
    #[command(hide = true, name = "claim-probe")]
    ClaimProbe {
        #[arg(num_args = 0.., allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Internal: the child side of the processes strategy (reads jobs on stdin).
    #[command(hide = true)]
    Worker {
        #[arg(long, default_value_t = 0)]
        index: usize,
        #[arg(long)]
        fault: Option<Fault>,
        #[arg(long)]
        parent: Option<u32>,
    },
    /// Internal: the `http` variant's server (prints its port, serves until stdin closes).
    #[command(hide = true, name = "serve-http")]
    ServeHttp,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return cmd::parse_failure(&e),
    };
    let result = match &cli.command {
        Some(Command::ClaimProbe { args }) => {
            return ExitCode::from(concbench::claim::demos::probe_main(args) as u8);
        }
        Some(Command::Worker {
            index,
            fault,
            parent,
        }) => {
            return ExitCode::from(worker::worker_main(*index, *fault, *parent) as u8);
        }
        Some(Command::ServeHttp) => {
            return ExitCode::from(concbench::http::server::serve_main() as u8);
        }
        Some(Command::Run(args)) => cmd::run::execute(args),
        Some(Command::Report(args)) => cmd::report::execute(args),
        Some(Command::Compare(args)) => cmd::compare::execute(args),
        Some(Command::Claim(args)) => cmd::claim::execute(args),
        Some(Command::Sweep(args)) => cmd::sweep::execute(args),
        None => cmd::run::execute(&cli.run),
    };
    cmd::exit_status(result)
}
