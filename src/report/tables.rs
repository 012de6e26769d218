//! The tables of REPORT.md: summary.csv, claims.csv and meta.json (the setup).

use std::fmt::Write;

use crate::chart::wall_time::trim;
use crate::console::format_seconds;
use crate::records::ClaimRow;
use crate::results::run_folder::RunData;

pub fn summary_table(data: &RunData) -> String {
    let mut s = String::from(
        "| variant | strategy | workers | reps | median wall | p25–p75 wall | min–max wall | CPU (median) | cores busy | speedup | 95% CI | efficiency | ceiling | of ceiling | outliers | correct |\n\
         |---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n",
    );
    for v in data.variants() {
        for r in data.summary_of(v) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {}–{} | {}–{} | {} | {:.2} | {} | {} | {} | {} | {} | {} | {} |",
                r.variant.name(),
                cell(&r.strategy),
                r.workers,
                r.reps,
                format_seconds(r.wall_median_s),
                format_seconds(r.wall_p25_s),
                format_seconds(r.wall_p75_s),
                format_seconds(r.wall_min_s),
                format_seconds(r.wall_max_s),
                format_seconds(r.cpu_total_median_s),
                r.cores_busy_median,
                r.speedup.map_or("–".into(), |x| format!("{x:.2}×")),
                match (r.speedup_ci_low, r.speedup_ci_high) {
                    (Some(lo), Some(hi)) => format!("{lo:.2}–{hi:.2}"),
                    _ => "–".into(),
                },
                r.efficiency
                    .map_or("–".into(), |x| format!("{:.0}%", x * 100.0)),
                r.ceiling_speedup.map_or("–".into(), |x| format!("{x:.2}×")),
                r.efficiency_vs_ceiling
                    .map_or("–".into(), |x| format!("{:.0}%", x * 100.0)),
                r.wall_outliers,
                if r.all_correct { "yes" } else { "**NO**" }
            );
        }
    }
    s
}

pub fn claims_table(claims: &[ClaimRow]) -> String {
    let mut s = String::from(
        "| claim | subject | statement | verdict | evidence | reason |\n|---|---|---|---|---|---|\n",
    );
    for c in claims {
        let _ = writeln!(
            s,
            "| {} | {} | {} | **{}** | {} | {} |",
            cell(&c.claim),
            cell(&c.subject),
            cell(&c.statement),
            cell(&c.verdict),
            cell(&c.evidence),
            cell(&c.reason)
        );
    }
    if claims.is_empty() {
        s.push_str("| – | – | claims.csv has no rows | – | – | – |\n");
    }
    s
}

pub fn setup_table(data: &RunData) -> String {
    let m = &data.meta;
    let mc = &m.machine;
    let p = &m.parameters;
    let opt = |x: Option<f64>, unit: &str| x.map_or("–".into(), |v| format!("{v:.1}{unit}"));
    let list = |xs: Vec<String>| xs.join(", ");
    let mut rows: Vec<(&str, String)> = vec![
        ("host", mc.hostname.clone()),
        (
            "CPU",
            format!(
                "{} ({} logical, {} physical cores; {} available)",
                mc.cpu_model,
                mc.logical_cores,
                mc.physical_cores.map_or("?".into(), |n| n.to_string()),
                mc.available_parallelism
            ),
        ),
        ("memory", format!("{:.1} GiB", mc.total_memory_gib)),
        (
            "OS",
            format!("{}, kernel {}, {}", mc.os, mc.kernel, mc.arch),
        ),
        (
            "variants",
            list(p.variants.iter().map(|v| v.to_string()).collect()),
        ),
        ("strategies", list(p.strategies.clone())),
        (
            "workers",
            list(p.workers.iter().map(|w| w.to_string()).collect()),
        ),
        (
            "numbers",
            format!(
                "{} ({} items, {} jobs: square and cube of each)",
                list(p.numbers.iter().map(|n| n.to_string()).collect()),
                p.items,
                p.jobs
            ),
        ),
        ("sleep per job", format!("{} ms", trim(p.sleep_ms))),
        (
            "CPU per job",
            match (&m.calibration, p.cpu_iters) {
                (Some(c), _) => format!(
                    "{} ms = {} kernel iterations (calibrated at {:.0} iterations/ms in {})",
                    trim(c.target_ms),
                    c.iters,
                    c.iters_per_ms,
                    format_seconds(c.took_s)
                ),
                (None, Some(n)) => format!("{n} kernel iterations"),
                (None, None) => p.cpu_ms.map_or("–".into(), |ms| format!("{} ms", trim(ms))),
            },
        ),
        (
            "repetitions",
            format!(
                "{} measured after {} warm-up, order {}{}",
                p.reps,
                p.warmup,
                p.order,
                p.seed.map_or(String::new(), |s| format!(" (seed {s})"))
            ),
        ),
        (
            "trial timeout",
            list(
                p.timeout_s
                    .iter()
                    .map(|(v, t)| format!("{v} {t:.1} s"))
                    .collect(),
            ),
        ),
        (
            "sample interval",
            format!("{} ms", trim(p.sample_interval_ms)),
        ),
        (
            "background load",
            format!(
                "{} before, {} during (% of one core; threshold {:.0}%): {}",
                opt(m.background.before_pct_of_core, "%"),
                opt(m.background.during_pct_of_core, "%"),
                m.background.threshold_pct_of_core,
                if m.background.trustworthy {
                    "quiet enough"
                } else {
                    "too busy, figures not trustworthy"
                }
            ),
        ),
        (
            "sampler cost",
            m.sampler.map_or("–".into(), |sp| {
                format!(
                    "{} samples, {} of CPU over {} ({:.2}% of a core)",
                    sp.samples,
                    format_seconds(sp.cpu_s),
                    format_seconds(sp.wall_s),
                    sp.overhead_pct_of_core
                )
            }),
        ),
        (
            "concbench",
            format!(
                "{}, git {}{}",
                m.concbench_version,
                mc.git_commit
                    .as_deref()
                    .map_or("unknown", |c| c.get(..12).unwrap_or(c)),
                if mc.git_dirty == Some(true) {
                    " (uncommitted changes)"
                } else {
                    ""
                }
            ),
        ),
        ("rustc", mc.rustc.clone()),
        (
            "crates",
            list(
                mc.crate_versions
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect(),
            ),
        ),
        (
            "command line",
            format!("`{}`", m.command_line.join(" ").replace('`', "'")),
        ),
        (
            "started / finished",
            format!(
                "{} / {}",
                m.started_at,
                m.finished_at.as_deref().unwrap_or("–")
            ),
        ),
        (
            "total wall time",
            m.total_wall_s.map_or("–".into(), format_seconds),
        ),
        ("status", m.status.clone()),
    ];
    rows.push(("mismatched trials", m.mismatches.to_string()));
    // Written only by runs that had them (older files lack them).
    if let Some(py) = &m.python {
        rows.push((
            "Python",
            format!(
                "{} {} ({}); GIL: {}; start method {}; interpreter start-up {} (not timed)",
                py.implementation,
                py.version,
                py.executable,
                py.gil,
                py.start_method,
                format_seconds(py.startup_s)
            ),
        ));
        if let Some(c) = &py.cpu_calibration {
            let how = match (c.processes, c.source) {
                // Written before runs kept their rate.
                (0, _) => "calibrated in this run".to_string(),
                (n, source) => format!(
                    "the median of {n} fresh interpreters, which ranged {:.0}–{:.0}; {}",
                    c.rate_spread.0,
                    c.rate_spread.1,
                    match source {
                        crate::strategy::python::CalibrationSource::Measured =>
                            "measured in this run and kept for the next ones",
                        crate::strategy::python::CalibrationSource::Kept =>
                            "kept from an earlier run on this machine, so runs do the same work; CONCBENCH_RECALIBRATE=1 measures again",
                    }
                ),
            };
            rows.push((
                "Python CPU per job",
                format!(
                    "{} ms = {} iterations ({:.0} iterations/ms, {how})",
                    trim(c.target_ms),
                    c.iters,
                    c.iters_per_ms
                ),
            ));
        }
        rows.push(("py-* timing", py.timing.clone()));
    }
    if let Some(ms) = m.gil_switch_interval_ms {
        rows.push(("gil model switch interval", format!("{} ms", trim(ms))));
    }
    if let Some(b) = &m.bootstrap {
        rows.push((
            "speedup CIs",
            format!(
                "{:.0}% bootstrap of the ratio of medians, {} resamples, seed {} ({})",
                b.confidence * 100.0,
                b.resamples,
                b.seed,
                b.rng
            ),
        ));
    }
    if let Some(c) = &m.claims {
        rows.push((
            "claim repetitions",
            format!(
                "threshold {}; {}–{} reps in steps of {}; {}",
                trim(c.threshold),
                c.min_reps,
                c.max_reps,
                c.step,
                c.stop_reason
            ),
        ));
    }
    let mut s = String::from("| | |\n|---|---|\n");
    for (k, v) in rows {
        let _ = writeln!(s, "| {k} | {} |", cell(&v));
    }
    s
}

/// A Markdown table cell: no line breaks, pipes escaped.
fn cell(s: &str) -> String {
    s.replace(['\r', '\n'], " ").replace('|', "\\|")
}
