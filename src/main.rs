//! The concbench command line: parse once into typed options, hand them to the library, and
//! turn every error into one line on stderr and an exit status (2 bad input, 1 failed run).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use concbench::engine::Order;
use concbench::experiment::{self, CpuUnit, Plan};
use concbench::strategy::{self, StrategyContext};
use concbench::worker::{self, Fault};
use concbench::workload::{self, Variant};
use concbench::{Error, claim, console, measure, records};

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
    Report(concbench::report::ReportArgs),
    /// Compare two runs: did the wall times change, by how much, and is it more than noise?
    Compare(Box<concbench::compare::CompareArgs>),
    /// Check the tutorial's claims and print a verdict for each.
    Claim(Box<concbench::claim::ClaimArgs>),
    /// Where does parallelism pay? Every strategy over worker counts and job sizes, with
    /// scaling models and break-even job sizes.
    Sweep(Box<concbench::sweep::SweepArgs>),
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
}

#[derive(Args, Clone)]
struct RunArgs {
    /// Workload variants, comma-separated: sleep (each job sleeps) and/or cpu (each job burns CPU)
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_value = "sleep,cpu", value_parser = parse_variant)]
    variant: Vec<Variant>,

    /// Strategies, comma-separated [default: all but ceiling, which joins CPU-bound runs by
    /// itself]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_strategy, long_help = strategy_help())]
    strategy: Vec<String>,

    /// Worker counts, comma-separated (1-1024 or `auto` = available parallelism); every
    /// strategy runs with each
    #[arg(allow_negative_numbers = true, long, value_name = "LIST", value_delimiter = ',', default_value = "2", value_parser = parse_workers)]
    workers: Vec<usize>,

    /// The numbers to square and cube, comma-separated integers (negatives and 0 allowed)
    #[arg(allow_hyphen_values = true, long, value_name = "LIST", default_value = "2,3,8,9", value_parser = parse_numbers, conflicts_with = "items")]
    numbers: NumberList,

    /// Use the numbers 1..=N instead of --numbers (1-100000)
    #[arg(allow_negative_numbers = true, long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    items: Option<u64>,

    /// Milliseconds each job sleeps in the sleep variant (0.001-60000)
    #[arg(allow_negative_numbers = true, long, value_name = "MS", default_value = "25", value_parser = parse_ms)]
    sleep_ms: f64,

    /// Milliseconds of CPU each job burns in the cpu variant, calibrated on this machine
    /// (0.001-60000)
    #[arg(allow_negative_numbers = true, long, value_name = "MS", default_value = "25", value_parser = parse_ms, conflicts_with = "cpu_iters")]
    cpu_ms: f64,

    /// Fixed kernel iterations per CPU job instead of --cpu-ms, to compare machines
    #[arg(allow_negative_numbers = true, long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000_000))]
    cpu_iters: Option<u64>,

    /// Measured repetitions of every configuration (1-100000)
    #[arg(allow_negative_numbers = true, long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    reps: u32,

    /// Discarded warm-up repetitions before the measured ones (0-1000)
    #[arg(allow_negative_numbers = true, long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=1000))]
    warmup: u32,

    /// Trial order within each round: counterbalanced (a Williams design: every strategy in
    /// every position and after every other equally often), round-robin (as listed), shuffle
    #[arg(long, value_name = "ORDER", default_value = "counterbalanced", value_parser = parse_order)]
    order: Order,

    /// Same as --order shuffle
    #[arg(long, hide = true)]
    shuffle: bool,

    /// Seed of the trial order [default: random, recorded in meta.json]
    #[arg(allow_negative_numbers = true, long, value_name = "N")]
    seed: Option<u64>,

    /// Milliseconds every core is kept busy (untimed) just before each trial (0-1000; 0 = none)
    #[arg(allow_negative_numbers = true, long, value_name = "MS", default_value_t = experiment::DEFAULT_PRIME_MS, value_parser = clap::value_parser!(u64).range(0..=1000))]
    prime_ms: u64,

    /// Run every trial on the calling thread instead of a thread started for it (to measure
    /// what that changes)
    #[arg(long, hide = true)]
    same_thread: bool,

    /// Don't measure the machine's parallel ceiling beside CPU-bound strategies
    #[arg(long)]
    no_ceiling: bool,

    /// Seconds a single trial may take before its workers are killed and the run fails
    /// [default: 10 + 5 x the sequential cost of the work]
    #[arg(allow_negative_numbers = true, long, value_name = "SECONDS", value_parser = parse_timeout)]
    timeout: Option<f64>,

    /// Milliseconds between sysinfo CPU samples (200-60000; sysinfo gives wrong figures faster
    /// than 200)
    #[arg(allow_negative_numbers = true, long, value_name = "MS", default_value_t = 250, value_parser = clap::value_parser!(u64).range(200..=60_000))]
    sample_ms: u64,

    /// Output folder for runs.csv, summary.csv, samples.csv and meta.json
    #[arg(long, value_name = "DIR", default_value = "results/latest")]
    out: PathBuf,

    /// No progress bar
    #[arg(long, short)]
    quiet: bool,

    /// Python interpreters of the py-* strategies, comma-separated paths or names; with
    /// several, each strategy runs on each, labelled with the version (py-threads@3.12)
    /// [default: python3 from PATH; without a usable one they are skipped]
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    python: Vec<PathBuf>,

    /// Switch interval of the gil model in ms, like sys.setswitchinterval (0.01-10000)
    #[arg(long, value_name = "MS", default_value = "5", value_parser = parse_switch_interval)]
    switch_interval_ms: f64,

    /// CPU kernel of the py-* strategies: bytecode (pure Python, holds the GIL) or native
    /// (hashlib.sha256 on 64 KiB buffers, releases the GIL)
    #[arg(long, value_name = "KERNEL", default_value = "bytecode")]
    py_kernel: strategy::python::PyKernel,

    /// Jobs per message to a worker process (processes): a number, or auto (Pool.map's rule,
    /// about 4 chunks per worker)
    #[arg(long, value_name = "N|auto", default_value = "auto")]
    chunk: strategy::processes::Chunk,

    /// Internal: make worker processes misbehave (crash, exit, hang, garbage; KIND@INDEX for one)
    #[arg(long, hide = true, value_name = "FAULT")]
    worker_fault: Option<Fault>,
}

fn parse_variant(s: &str) -> Result<Variant, String> {
    s.trim().parse::<Variant>().map_err(|e| e.to_string())
}

fn parse_strategy(s: &str) -> Result<String, String> {
    let s = s.trim();
    strategy::find(s).map(|i| i.name.to_string()).map_err(|_| {
        format!(
            "unknown strategy '{s}' (expected one of: {})",
            strategy::names().join(", ")
        )
    })
}

fn parse_order(s: &str) -> Result<Order, String> {
    s.parse()
}

fn strategy_help() -> String {
    format!(
        "Strategies, comma-separated [default: all but ceiling, which joins CPU-bound runs by itself]:\n{}",
        strategy::help_lines()
    )
}

fn parse_workers(s: &str) -> Result<usize, String> {
    let s = s.trim();
    if s == "auto" {
        return Ok(measure::machine::available_parallelism());
    }
    match s.parse::<i64>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n as usize),
        Ok(n) => Err(format!("{n} workers is out of range (1-1024, or auto)")),
        Err(_) => Err(format!("'{s}' is not a worker count (1-1024, or auto)")),
    }
}

/// A parsed `--numbers` list (a newtype so clap treats it as one value, not many).
#[derive(Clone)]
struct NumberList(Vec<i64>);

fn parse_numbers(s: &str) -> Result<NumberList, String> {
    workload::parse_numbers(s)
        .map(NumberList)
        .map_err(|e| e.to_string())
}

fn parse_ms(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(ms) if (0.001..=60_000.0).contains(&ms) => Ok(ms),
        Ok(ms) => Err(format!("{ms} ms is out of range (0.001-60000)")),
        Err(_) => Err(format!("'{s}' is not a number of milliseconds")),
    }
}

fn parse_switch_interval(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(ms) if (0.01..=10_000.0).contains(&ms) => Ok(ms),
        Ok(ms) => Err(format!("{ms} ms is out of range (0.01-10000)")),
        Err(_) => Err(format!("'{s}' is not a number of milliseconds")),
    }
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(t) if (0.01..=86_400.0).contains(&t) => Ok(t),
        Ok(t) => Err(format!("{t} s is out of range (0.01-86400)")),
        Err(_) => Err(format!("'{s}' is not a number of seconds")),
    }
}

impl RunArgs {
    fn plan(&self) -> Result<Plan, Error> {
        let mut plan = Plan::tutorial(&self.out);
        plan.variants = dedup(self.variant.clone());
        if !self.strategy.is_empty() {
            plan.strategies = dedup(self.strategy.clone())
                .iter()
                .map(|s| strategy::find(s))
                .collect::<Result<_, _>>()?;
        }
        plan.workers = dedup(self.workers.clone());
        plan.numbers = match self.items {
            Some(n) => (1..=n as i64).collect(),
            None => self.numbers.0.clone(),
        };
        plan.sleep = Duration::from_secs_f64(self.sleep_ms / 1e3);
        plan.cpu = match self.cpu_iters {
            Some(n) => CpuUnit::Iters(n),
            None => CpuUnit::Millis(self.cpu_ms),
        };
        plan.reps = self.reps;
        plan.warmup = self.warmup;
        plan.order = if self.shuffle {
            Order::Shuffled
        } else {
            self.order
        };
        plan.seed = self.seed.unwrap_or_else(random_seed);
        plan.preparation.prime = Duration::from_millis(self.prime_ms);
        plan.preparation.fresh_thread = !self.same_thread;
        plan.ceiling = !self.no_ceiling;
        plan.timeout = self.timeout.map(Duration::from_secs_f64);
        plan.sample_interval = Duration::from_millis(self.sample_ms);
        plan.show_progress = !self.quiet;
        Ok(plan)
    }
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for x in items {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

fn random_seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    t ^ (u64::from(std::process::id()) << 32)
}

fn run(args: &RunArgs) -> Result<ExitCode, Error> {
    let runtime = strategy::RuntimeSettings {
        switch_interval: Duration::from_secs_f64(args.switch_interval_ms / 1e3),
        py_kernel: args.py_kernel,
        ..strategy::RuntimeSettings::default()
    };
    let mut plan = args.plan()?;
    plan.py_kernel = args.py_kernel;
    // Bad input first: an unwritable --out gets its one line before any interpreter is probed.
    experiment::check_writable(&plan.out_dir)?;
    if plan
        .strategies
        .iter()
        .any(|s| strategy::python::is_python(s))
    {
        let (pythons, skipped) = strategy::python::usable(&args.python);
        plan.pythons = pythons;
        if plan.pythons.is_empty() {
            let names: Vec<&str> = plan
                .strategies
                .iter()
                .filter(|s| strategy::python::is_python(s))
                .map(|s| s.name)
                .collect();
            eprintln!(
                "concbench: skipping {}: {} (install Python 3 or pass --python PATH)",
                names.join(", "),
                skipped.join("; ")
            );
            plan.strategies.retain(|s| !strategy::python::is_python(s));
            if plan.strategies.is_empty() {
                return Err(Error::Usage("no strategy left to run".into()));
            }
        } else {
            for reason in skipped {
                eprintln!("concbench: skipping an interpreter: {reason}");
            }
        }
    }
    concbench::lifecycle::install()?;
    let mut ctx = StrategyContext::current_exe(Duration::from_secs(60))?;
    ctx.runtime = runtime;
    ctx.chunk = args.chunk;
    if let Some(f) = &args.worker_fault {
        ctx.worker_args = vec!["--fault".into(), f.to_string()];
    }
    let outcome = experiment::run(&plan, &ctx)?;
    let out = &outcome.out_dir;
    if !outcome.summary.is_empty() {
        console::emit(&console::summary_table(&outcome.summary, &outcome.meta));
    }
    // The speed claims this run's data supports (C4 and C5 need `concbench claim`).
    let verdicts = claim::speedup_verdicts(&outcome.summary, &outcome.meta);
    let claims_csv = out.join(records::CLAIMS_CSV);
    if verdicts.is_empty() {
        let _ = std::fs::remove_file(&claims_csv);
    } else {
        let written = records::write_csv(&claims_csv, &verdicts);
        // After a failure, the first error is the one to report; this is best effort.
        if outcome.error.is_none() {
            written?;
        }
        console::emit(&claim::claims_table(
            &verdicts,
            outcome.meta.machine.available_parallelism,
        ));
        console::emit(console::RUN_CLAIMS_NOTE);
    }
    let reported = if outcome.summary.is_empty() {
        Ok(())
    } else {
        concbench::report::generate(out)
    };
    if let Some(e) = outcome.error {
        // What was measured is on disk; say where, and how the run ended.
        let kept = outcome.summary.iter().map(|r| r.reps).sum::<usize>();
        let summary_written = out.join(records::SUMMARY_CSV).exists();
        eprintln!(
            "concbench: {e}; {kept} measured trial(s) kept in {}: runs.csv{}{}",
            out.display(),
            if summary_written { ", summary.csv" } else { "" },
            if reported.is_ok() && kept > 0 {
                ", REPORT.md and charts"
            } else {
                ""
            },
        );
        return Ok(ExitCode::from(e.exit_code() as u8));
    }
    reported?;
    console::emit(&format!(
        "results, charts and REPORT.md in {}\n",
        out.display()
    ));
    if outcome.meta.mismatches > 0 {
        eprintln!(
            "concbench: {} trial(s) returned wrong results (marked correct=false in runs.csv)",
            outcome.meta.mismatches
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // One line, naming the flag, instead of clap's multi-line usage block.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("error: invalid arguments");
            eprintln!("concbench: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let result = match &cli.command {
        Some(Command::ClaimProbe { args }) => {
            return ExitCode::from(claim::demos::probe_main(args) as u8);
        }
        Some(Command::Worker {
            index,
            fault,
            parent,
        }) => {
            return ExitCode::from(worker::worker_main(*index, *fault, *parent) as u8);
        }
        Some(Command::Run(args)) => run(args),
        Some(Command::Report(args)) => concbench::report::run_cli(args).map(|()| ExitCode::SUCCESS),
        Some(Command::Compare(args)) => concbench::compare::run_cli(args),
        Some(Command::Claim(args)) => concbench::claim::run_cli(args),
        Some(Command::Sweep(args)) => concbench::sweep::run_cli(args),
        None => run(&cli.run),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("concbench: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
