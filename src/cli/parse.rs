//! The value parsers of every subcommand's flags, written once: a bad value is one line naming
//! what is wrong (clap adds the flag), and the same flag says the same thing everywhere.

use crate::engine::Order;
use crate::strategy;
use crate::workload::{self, Variant};

type Parsed<T> = std::result::Result<T, String>;

pub fn variant(s: &str) -> Parsed<Variant> {
    s.trim().parse::<Variant>().map_err(|e| e.to_string())
}

/// A strategy of the registry, by name.
pub fn strategy_name(s: &str) -> Parsed<String> {
    let s = s.trim();
    strategy::find(s).map(|i| i.name.to_string()).map_err(|_| {
        format!(
            "unknown strategy '{s}' (expected one of: {})",
            strategy::names().join(", ")
        )
    })
}

pub fn order(s: &str) -> Parsed<Order> {
    s.parse()
}

/// A parsed `--numbers` list (a newtype so clap treats it as one value, not many).
#[derive(Debug, Clone)]
pub struct NumberList(pub Vec<i64>);

pub fn numbers(s: &str) -> Parsed<NumberList> {
    workload::parse_numbers(s)
        .map(NumberList)
        .map_err(|e| e.to_string())
}

/// A number within `range`, in `unit` (the words of the error).
fn number_in(s: &str, range: std::ops::RangeInclusive<f64>, unit: Unit) -> Parsed<f64> {
    match s.trim().parse::<f64>() {
        Ok(x) if range.contains(&x) => Ok(x),
        Ok(x) => Err(format!(
            "{x} {} is out of range ({}-{})",
            unit.symbol,
            range.start(),
            range.end()
        )),
        Err(_) => Err(format!("'{s}' is not a number of {}", unit.words)),
    }
}

/// A whole number within `range`, in `unit`: a negative one is out of range, not "an invalid
/// digit" (what parsing it as unsigned would say).
fn whole_in(s: &str, range: std::ops::RangeInclusive<i64>, unit: Unit) -> Parsed<u64> {
    match s.trim().parse::<i64>() {
        Ok(x) if range.contains(&x) => Ok(x as u64),
        Ok(x) => Err(format!(
            "{x} {} is out of range ({}-{})",
            unit.symbol,
            range.start(),
            range.end()
        )),
        Err(_) => Err(format!("'{s}' is not a whole number of {}", unit.words)),
    }
}

/// Milliseconds every core is kept busy before each trial (0-1000).
pub fn prime_ms(s: &str) -> Parsed<u64> {
    whole_in(s, 0..=1000, MS)
}

/// Milliseconds between sysinfo samples (200-60000).
pub fn sample_ms(s: &str) -> Parsed<u64> {
    whole_in(s, 200..=60_000, MS)
}

#[derive(Clone, Copy)]
struct Unit {
    symbol: &'static str,
    words: &'static str,
}

const MS: Unit = Unit {
    symbol: "ms",
    words: "milliseconds",
};
const S: Unit = Unit {
    symbol: "s",
    words: "seconds",
};

/// Milliseconds of work per job (0.001-60000).
pub fn job_ms(s: &str) -> Parsed<f64> {
    number_in(s, 0.001..=60_000.0, MS)
}

/// The gil model's switch interval in ms (0.01-10000).
pub fn switch_interval_ms(s: &str) -> Parsed<f64> {
    number_in(s, 0.01..=10_000.0, MS)
}

/// Seconds a single trial may take (0.01-86400).
pub fn timeout_s(s: &str) -> Parsed<f64> {
    number_in(s, 0.01..=86_400.0, S)
}

/// Seconds of a time budget (1-86400).
pub fn budget_s(s: &str) -> Parsed<f64> {
    number_in(s, 1.0..=86_400.0, S)
}

/// `--job-mb`: MiB every job holds while it works (1-1048576).
pub fn job_mb(s: &str) -> Parsed<u64> {
    whole_in(s, 1..=1_048_576, MIB)
}

const MIB: Unit = Unit {
    symbol: "MiB",
    words: "MiB",
};

/// `--dask-scheduler`: a scheduler address, such as tcp://127.0.0.1:8786 (Dask says whether it
/// answers; an empty one is not an address).
pub fn dask_address(s: &str) -> Parsed<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("an empty address (expected one such as tcp://127.0.0.1:8786)".into());
    }
    Ok(s.to_string())
}

/// A worker count: 1-100000 (the most concurrent waits any strategy holds), or `auto` (the
/// available parallelism). Each strategy's own limit is checked when the plan is built.
pub fn worker_count(s: &str) -> Parsed<usize> {
    let s = s.trim();
    if s == "auto" {
        return Ok(crate::measure::machine::available_parallelism());
    }
    let max = strategy::WorkerLimit::WAITS.max;
    match s.parse::<i64>() {
        Ok(n) if (1..=max as i64).contains(&n) => Ok(n as usize),
        Ok(n) => Err(format!("{n} workers is out of range (1-{max}, or auto)")),
        Err(_) => Err(format!("'{s}' is not a worker count (1-{max}, or auto)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_range_pass_and_others_say_why() {
        assert_eq!(job_ms("25"), Ok(25.0));
        assert_eq!(
            job_ms("0"),
            Err("0 ms is out of range (0.001-60000)".into())
        );
        assert_eq!(
            timeout_s("0"),
            Err("0 s is out of range (0.01-86400)".into())
        );
        assert_eq!(budget_s("x"), Err("'x' is not a number of seconds".into()));
        assert_eq!(
            switch_interval_ms("20000"),
            Err("20000 ms is out of range (0.01-10000)".into())
        );
        assert_eq!(job_mb("64"), Ok(64));
        assert_eq!(job_mb("0"), Err("0 MiB is out of range (1-1048576)".into()));
        assert_eq!(
            job_mb("-1"),
            Err("-1 MiB is out of range (1-1048576)".into())
        );
        assert_eq!(
            job_mb("1e9"),
            Err("'1e9' is not a whole number of MiB".into())
        );
        assert_eq!(worker_count("100000"), Ok(100_000));
        assert_eq!(
            worker_count("100001"),
            Err("100001 workers is out of range (1-100000, or auto)".into())
        );
        assert_eq!(
            worker_count("0"),
            Err("0 workers is out of range (1-100000, or auto)".into())
        );
    }
}
