//! The trial engine's knobs, one argument group flattened into `run`, `claim` and `sweep`
//! (`#[command(flatten)]`): the same flags, values, meanings and errors on all three. Where a
//! default differs between the subcommands, the help says so and [`EngineArgs`]'s methods
//! take the subcommand's default.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use super::parse;
use crate::engine::{DEFAULT_PRIME_MS, Order, Preparation};
use crate::strategy::python::StartMethod;

/// `claim`'s default `--prime-ms`: the one place to change it. Priming keeps the cores busy
/// (untimed) before each trial, so a core left idle by the trial before (after `sequential`)
/// is awake when the clock starts; whether it reduces the carry-over in REPORT.md is measured
/// per machine (docs/methodology.md, carry-over). `run` and `sweep` use the engine's
/// [`DEFAULT_PRIME_MS`].
pub const CLAIM_DEFAULT_PRIME_MS: u64 = 0;

fn prime_help() -> String {
    format!(
        "Milliseconds every core is kept busy (untimed) just before each trial (0-1000; 0 = \
         none) [default: {DEFAULT_PRIME_MS} in run and sweep, {CLAIM_DEFAULT_PRIME_MS} in claim]"
    )
}

/// `--order --seed --prime-ms --timeout --sample-ms --python --dask-scheduler --start-method
/// --out --quiet`.
#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// Trial order within each round: counterbalanced (a Williams design: every strategy in
    /// every position and after every other equally often), round-robin (as listed), shuffle
    #[arg(long, value_name = "ORDER", default_value = "counterbalanced", value_parser = parse::order)]
    pub order: Order,

    /// Seed of the trial order (and, in claim, of the bootstrap) [default: run and sweep a
    /// random one, claim a fixed one; recorded in meta.json]
    #[arg(allow_negative_numbers = true, long, value_name = "N")]
    pub seed: Option<u64>,

    // Its help is built from the defaults (`prime_help`), so it cannot go stale.
    #[arg(allow_negative_numbers = true, long, value_name = "MS", help = prime_help(), value_parser = parse::prime_ms)]
    pub prime_ms: Option<u64>,

    /// Seconds a single trial may take before its workers are killed and the run fails
    /// (0.01-86400) [default: 10 + 5 x the sequential cost of the work]
    #[arg(allow_negative_numbers = true, long, value_name = "SECONDS", value_parser = parse::timeout_s)]
    pub timeout: Option<f64>,

    /// Milliseconds between sysinfo CPU samples (200-60000; sysinfo gives wrong figures faster
    /// than 200)
    #[arg(allow_negative_numbers = true, long, value_name = "MS", default_value_t = 250, value_parser = parse::sample_ms)]
    pub sample_ms: u64,

    /// Python interpreters of the py-* strategies, comma-separated paths or names; with
    /// several, run and claim measure each one, labelled with its version (py-threads@3.12),
    /// and sweep refuses more than one. `all`: every CPython found on PATH, in pyenv's versions
    /// and among scripts/free-threaded-python.sh's builds, each free-threaded build also with
    /// its GIL forced on (PATH+gil: the same binary with -X gil=1, labelled @3.13t+gil)
    /// [default: python3 from PATH; without a usable one the py-* strategies are skipped]
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub python: Vec<PathBuf>,

    /// An existing Dask scheduler for py-dask (tcp://HOST:PORT) instead of a LocalCluster
    /// started for each trial; its workers and versions go into meta.json
    #[arg(long, value_name = "ADDRESS", value_parser = parse::dask_address)]
    pub dask_scheduler: Option<String>,

    /// How py-processes and py-pool start their worker processes: fork, forkserver or spawn
    /// (multiprocessing's start methods; recorded in meta.json) [default: the interpreter's
    /// own: fork on Linux up to Python 3.13, forkserver from 3.14]
    #[arg(long, value_name = "METHOD")]
    pub start_method: Option<StartMethod>,

    /// Output folder [default: results/latest for run, results/claims for claim,
    /// results/sweep for sweep]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// No progress bar or progress lines
    #[arg(long, short)]
    pub quiet: bool,
}

impl EngineArgs {
    /// `--out`, or the subcommand's own folder.
    pub fn out_or(&self, default: &str) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| Path::new(default).into())
    }

    /// `--seed`, or `default` (a random one for run and sweep, a fixed one for claim).
    pub fn seed_or(&self, default: impl FnOnce() -> u64) -> u64 {
        self.seed.unwrap_or_else(default)
    }

    /// What every trial of `run` and `sweep` goes through before its clock starts.
    pub fn preparation(&self) -> Preparation {
        self.preparation_or(DEFAULT_PRIME_MS)
    }

    /// What every trial goes through before its clock starts, priming `default_prime_ms`
    /// unless `--prime-ms` says otherwise (claim passes [`CLAIM_DEFAULT_PRIME_MS`]).
    pub fn preparation_or(&self, default_prime_ms: u64) -> Preparation {
        Preparation {
            prime: Duration::from_millis(self.prime_ms.unwrap_or(default_prime_ms)),
            ..Preparation::default()
        }
    }

    /// `--timeout`; `None` derives one from the size of the work.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout.map(Duration::from_secs_f64)
    }

    pub fn sample_interval(&self) -> Duration {
        Duration::from_millis(self.sample_ms)
    }
}

/// A seed from the clock and the process id, for runs not given `--seed` (recorded in
/// meta.json, so the order can be replayed).
pub fn random_seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    t ^ (u64::from(std::process::id()) << 32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Knobs {
        #[command(flatten)]
        engine: EngineArgs,
    }

    fn parse(args: &[&str]) -> EngineArgs {
        Knobs::try_parse_from(std::iter::once("t").chain(args.iter().copied()))
            .unwrap()
            .engine
    }

    #[test]
    fn out_falls_back_to_the_subcommands_folder() {
        assert_eq!(
            parse(&[]).out_or("results/sweep"),
            Path::new("results/sweep")
        );
        assert_eq!(
            parse(&["--out", "x"]).out_or("results/sweep"),
            Path::new("x")
        );
    }

    #[test]
    fn the_help_shows_each_subcommands_default_priming() {
        let help = Knobs::command().render_long_help().to_string();
        let want = format!(
            "[default: {DEFAULT_PRIME_MS} in run and sweep, {CLAIM_DEFAULT_PRIME_MS} in claim]"
        );
        assert!(help.contains(&want), "{help}");
    }

    #[test]
    fn the_knobs_become_engine_settings() {
        let e = parse(&["--prime-ms", "7", "--timeout", "2.5", "--sample-ms", "300"]);
        assert_eq!(e.preparation().prime, Duration::from_millis(7));
        assert!(e.preparation().fresh_thread);
        assert_eq!(e.timeout(), Some(Duration::from_secs_f64(2.5)));
        assert_eq!(e.sample_interval(), Duration::from_millis(300));
        assert_eq!(parse(&[]).timeout(), None);
        assert_eq!(parse(&[]).preparation_or(9).prime, Duration::from_millis(9));
        assert_eq!(
            parse(&["--prime-ms", "7"]).preparation_or(9).prime,
            Duration::from_millis(7)
        );
        assert_eq!(
            parse(&[]).preparation().prime,
            Duration::from_millis(DEFAULT_PRIME_MS)
        );
        assert_eq!(parse(&["--seed", "3"]).seed_or(|| 9), 3);
        assert_eq!(parse(&[]).seed_or(|| 9), 9);
    }
}
