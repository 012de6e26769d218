//! The readable table printed on stdout at the end of a run.

use std::fmt::Write;
use std::io::Write as _;

use crate::claim::verdict::{ORDER_STATISTIC, THRESHOLD};
use crate::records::{ClaimRow, Meta, SummaryRow};
use crate::stats::MIN_INTERVAL_N;

/// variant x strategy: median wall, CPU, cores busy, peak memory, speedup, efficiency,
/// correctness.
pub fn summary_table(rows: &[SummaryRow], meta: &Meta) -> String {
    let mut s = String::new();
    let m = &meta.machine;
    let _ = writeln!(
        s,
        "concbench {} on {} ({} logical cores, {}), {} reps after {} warm-up; medians, speedup = baseline median / this median",
        meta.concbench_version,
        m.hostname,
        m.logical_cores,
        m.cpu_model,
        meta.parameters.reps,
        meta.parameters.warmup
    );
    let w = rows
        .iter()
        .map(|r| r.strategy.chars().count())
        .max()
        .unwrap_or(13)
        .max(13);
    let [speedup, ci, efficiency, ceiling, of_ceiling] = SPEEDUP_COLUMNS;
    let _ = writeln!(
        s,
        "{:<8} {:<w$} {:>7} {:>11} {:>11} {:>10} {:>10} {:>8} {:>14} {:>10} {:>8} {:>10} {:>7}",
        "variant",
        "strategy",
        "workers",
        "wall",
        "cpu",
        "cores busy",
        "peak mem",
        speedup,
        ci,
        efficiency,
        ceiling,
        of_ceiling,
        "correct"
    );
    for r in rows {
        let [speedup, ci, efficiency, ceiling, of_ceiling] = speedup_figures(r, &CONSOLE_STYLE);
        let _ = writeln!(
            s,
            "{:<8} {:<w$} {:>7} {:>11} {:>11} {:>10.2} {:>10} {:>8} {:>14} {:>10} {:>8} {:>10} {:>7}",
            r.variant.name(),
            r.strategy,
            r.workers,
            format_seconds(r.wall_median_s),
            format_seconds(r.cpu_total_median_s),
            r.cores_busy_median,
            format_bytes_or(r.mem_peak_bytes, CONSOLE_STYLE.none),
            speedup,
            ci,
            efficiency,
            ceiling,
            of_ceiling,
            if r.all_correct { "yes" } else { "NO" }
        );
    }
    if let Some(note) = missing_interval_note(rows, CONSOLE_STYLE.none) {
        let _ = writeln!(s, "{note}");
    }
    if let Some(note) = missing_memory_note(rows, CONSOLE_STYLE.none) {
        let _ = writeln!(s, "{note}");
    }
    if let Some(note) = server_note(rows) {
        let _ = writeln!(s, "{note}");
    }
    if let Some(note) = ideal_efficiency_note(rows) {
        let _ = writeln!(s, "{note}");
    }
    if rows.iter().any(|r| r.ceiling_speedup.is_some()) {
        let _ = writeln!(
            s,
            "ceiling = the machine's parallel ceiling for that many workers (pre-started threads, jobs pre-assigned); of ceiling = speedup / ceiling"
        );
    }
    s
}

/// The verdict table of `concbench claim` and `concbench run`.
pub fn claims_table(rows: &[ClaimRow], cores: usize) -> String {
    let mut s = String::new();
    if rows.is_empty() {
        return s;
    }
    let _ = writeln!(
        s,
        "\nclaims ({cores} cores; a speed claim is decided by where the confidence interval of its speedup lies against {THRESHOLD:.2})"
    );
    let w_subject = rows
        .iter()
        .map(|r| r.subject.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let _ = writeln!(
        s,
        "{:<5} {:<w$} {:<13} evidence / reason",
        "claim",
        "subject",
        "verdict",
        w = w_subject
    );
    let mut last = "";
    for r in rows {
        if r.claim != last {
            let _ = writeln!(s, "{}: {}", r.claim, r.statement);
            last = &r.claim;
        }
        let _ = writeln!(
            s,
            "{:<5} {:<w$} {:<13} {}",
            r.claim,
            r.subject,
            r.verdict,
            r.evidence,
            w = w_subject
        );
        let _ = writeln!(
            s,
            "{:<5} {:<w$} {:<13} -> {}",
            "",
            "",
            "",
            r.reason,
            w = w_subject
        );
    }
    if let Some(note) = verdict_family_note(rows) {
        let _ = writeln!(s, "{note}");
    }
    s
}

/// The interval a verdict used and the coverage it has: "order-statistic, covers 96.9%";
/// empty for a verdict without one.
pub fn interval_words(r: &ClaimRow) -> String {
    match r.level_achieved {
        Some(level) if !r.interval_kind.is_empty() => {
            format!("{}, covers {:.1}%", r.interval_kind, level * 100.0)
        }
        _ => String::new(),
    }
}

/// One sentence under a claims table: its speed verdicts are a family of separate tests, each
/// with its own error rate. `None` when no verdict rests on an interval.
pub fn verdict_family_note(rows: &[ClaimRow]) -> Option<String> {
    let n = rows.iter().filter(|r| !r.interval_kind.is_empty()).count();
    if n == 0 {
        return None;
    }
    let per_verdict = if rows.iter().any(|r| r.interval_kind == ORDER_STATISTIC) {
        "at most 5% (2.5% each way, whatever the number of looks)"
    } else {
        "5%, nominal (the bootstrap's level)"
    };
    Some(format!(
        "The {n} speed verdicts are a family of separate tests: each one's chance of being wrong is {per_verdict}, per verdict, not for the family; that at least one of the {n} is wrong is likelier (up to {n} x 5% by the union bound)."
    ))
}

/// How a table writes a summary row's ratios: the times sign, the mark of an empty figure and
/// the interval.
pub struct FigureStyle {
    pub times: &'static str,
    pub none: &'static str,
    pub interval: fn(f64, f64) -> String,
}

/// The console's plain ASCII: "1.98x", "-", "[1.96, 2.00]".
pub const CONSOLE_STYLE: FigureStyle = FigureStyle {
    times: "x",
    none: "-",
    interval: |lo, hi| format!("[{lo:.2}, {hi:.2}]"),
};

/// The titles of [`speedup_figures`]' columns.
pub const SPEEDUP_COLUMNS: [&str; 5] = ["speedup", "95% CI", "efficiency", "ceiling", "of ceiling"];

/// A summary row's speedup, its 95% CI, efficiency, the ceiling and the share of it reached,
/// as both the console and REPORT.md show them.
pub fn speedup_figures(r: &SummaryRow, style: &FigureStyle) -> [String; 5] {
    let ratio = |x: Option<f64>| x.map_or(style.none.into(), |x| format!("{x:.2}{}", style.times));
    let percent = |x: Option<f64>| x.map_or(style.none.into(), |x| format!("{:.0}%", x * 100.0));
    [
        ratio(r.speedup),
        match (r.speedup_ci_low, r.speedup_ci_high) {
            (Some(lo), Some(hi)) => (style.interval)(lo, hi),
            _ => style.none.into(),
        },
        percent(r.efficiency),
        ratio(r.ceiling_speedup),
        percent(r.efficiency_vs_ceiling),
    ]
}

/// The line under a summary table where a speedup has no interval (`none` in its 95% CI
/// column) though it is not its own baseline: too few repetitions for one.
pub fn missing_interval_note(rows: &[SummaryRow], none: &str) -> Option<String> {
    let missing = |r: &&SummaryRow| {
        r.speedup.is_some()
            && r.speedup_ci_low.is_none()
            && crate::strategy::baseline_of(&r.strategy) != r.strategy
    };
    rows.iter().any(|r| missing(&r)).then(|| {
        format!(
            "95% CI {none}: no interval from fewer than {MIN_INTERVAL_N} repetitions of the strategy or of its baseline"
        )
    })
}

/// The line under a summary table where a row's efficiency is against the ideal wall time,
/// not a speedup (its baseline was not in the run).
pub fn ideal_efficiency_note(rows: &[SummaryRow]) -> Option<String> {
    rows.iter()
        .any(|r| r.speedup.is_none() && r.efficiency.is_some())
        .then(|| {
            "efficiency without a speedup (no baseline in the run): the ideal wall time / the median wall, the ideal being one job's wait x ceil(jobs / workers)".to_string()
        })
}

/// The line under a summary table where a row has no peak memory (`none` in its column):
/// the run was made before concbench measured memory, or the trial's was not measured.
pub fn missing_memory_note(rows: &[SummaryRow], none: &str) -> Option<String> {
    rows.iter()
        .any(|r| r.mem_peak_bytes.is_none())
        .then(|| format!("peak mem {none}: not measured in this run"))
}

/// The http variant's server's median CPU per trial over `rows`' configurations: one figure
/// or a range.
pub fn server_cpu_range<'a>(rows: impl Iterator<Item = &'a SummaryRow>) -> Option<String> {
    let cpu: Vec<f64> = rows.filter_map(|r| r.server_cpu_median_s).collect();
    let lo = cpu.iter().copied().reduce(f64::min)?;
    let hi = cpu.iter().copied().reduce(f64::max)?;
    // /proc counts CPU in clock ticks (10 ms): a server that used less shows none at all.
    Some(if hi == 0.0 {
        "less than /proc's 10 ms tick".to_string()
    } else if hi - lo < 5e-4 {
        format_seconds(lo)
    } else {
        format!("{}–{}", format_seconds(lo), format_seconds(hi))
    })
}

/// The line under a summary table when the http variant ran: its server's CPU, which is in
/// no strategy's.
pub fn server_note(rows: &[SummaryRow]) -> Option<String> {
    let range = server_cpu_range(rows.iter())?;
    Some(format!(
        "http server: {range} of CPU per trial (median; a child process, in no cpu column)"
    ))
}

/// What `concbench run` prints after its claims table: its verdicts are the speed claims
/// only.
pub const RUN_CLAIMS_NOTE: &str =
    "(C4 and C5 are demonstrations, and undecided intervals get more reps: `concbench claim`)\n";

/// Seconds with a unit that keeps three significant digits readable.
pub fn format_seconds(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

/// A binary unit of memory (B, KiB, MiB, GiB): the one the console, REPORT.md and the memory
/// chart write bytes in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ByteUnit {
    pub bytes: f64,
    pub name: &'static str,
}

impl ByteUnit {
    const ALL: [ByteUnit; 4] = [
        ByteUnit {
            bytes: 1.0,
            name: "B",
        },
        ByteUnit {
            bytes: 1024.0,
            name: "KiB",
        },
        ByteUnit {
            bytes: 1048576.0,
            name: "MiB",
        },
        ByteUnit {
            bytes: 1073741824.0,
            name: "GiB",
        },
    ];

    /// The largest unit that `max_bytes` is at least one of (bytes below 1 KiB).
    pub fn for_max(max_bytes: f64) -> ByteUnit {
        let all = Self::ALL;
        all.into_iter()
            .rev()
            .find(|u| max_bytes >= u.bytes)
            .unwrap_or(all[0])
    }

    /// The next larger unit, if any.
    fn larger(self) -> Option<ByteUnit> {
        let all = Self::ALL;
        let i = all.iter().position(|u| *u == self)?;
        all.get(i + 1).copied()
    }
}

/// Bytes in a binary unit with three significant digits: "512 B", "1.50 KiB", "212 KiB",
/// "63.9 MiB".
pub fn format_bytes(b: u64) -> String {
    let mut unit = ByteUnit::for_max(b as f64);
    if unit.name == "B" {
        return format!("{b} B");
    }
    let mut v = b as f64 / unit.bytes;
    // 1023.7 KiB would print "1024 KiB": that is 1.00 MiB.
    if v.round() >= 1024.0
        && let Some(larger) = unit.larger()
    {
        unit = larger;
        v = b as f64 / unit.bytes;
    }
    let decimals = if v >= 99.95 {
        0
    } else if v >= 9.995 {
        1
    } else {
        2
    };
    format!("{v:.decimals$} {}", unit.name)
}

/// A byte count, or `none` when it was not measured.
pub fn format_bytes_or(b: Option<u64>, none: &str) -> String {
    b.map_or(none.to_string(), format_bytes)
}

/// Print to stdout, ignoring a closed pipe (`concbench | head`): results are already on disk,
/// and a reader that went away is no reason to panic or to fail the run.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_keep_three_significant_digits_in_a_binary_unit() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1024), "1.00 KiB");
        assert_eq!(format_bytes(1536), "1.50 KiB");
        assert_eq!(format_bytes(10 * 1024), "10.0 KiB");
        assert_eq!(format_bytes(212 * 1024 + 100), "212 KiB");
        assert_eq!(format_bytes(67_004_416), "63.9 MiB");
        assert_eq!(format_bytes(16 << 20), "16.0 MiB");
        assert_eq!(format_bytes(3 << 30), "3.00 GiB");
        // Rounding never writes 1024 of a unit.
        assert_eq!(format_bytes((1 << 20) - 1), "1.00 MiB");
        assert_eq!(format_bytes((1 << 20) - 600), "1023 KiB");
        // Beyond GiB there is no larger unit.
        assert_eq!(format_bytes(5 << 40), "5120 GiB");
        assert_eq!(format_bytes_or(None, "-"), "-");
        assert_eq!(format_bytes_or(Some(2048), "-"), "2.00 KiB");
    }

    #[test]
    fn byte_units_fit_the_largest_value() {
        assert_eq!(ByteUnit::for_max(0.0).name, "B");
        assert_eq!(ByteUnit::for_max(1000.0).name, "B");
        assert_eq!(ByteUnit::for_max(2048.0).name, "KiB");
        assert_eq!(ByteUnit::for_max(45e6).name, "MiB");
        assert_eq!(ByteUnit::for_max(2e9).name, "GiB");
    }
}
