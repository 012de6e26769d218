//! The tables of REPORT.md: summary.csv, claims.csv and meta.json (the setup).

use crate::chart::wall_time::trim;
use crate::console::format_seconds;
use crate::console::{
    FigureStyle, SPEEDUP_COLUMNS, format_bytes_or, ideal_efficiency_note, missing_interval_note,
    missing_memory_note, speedup_figures,
};
use crate::records::{ClaimRow, Machine, Meta};
use crate::results::markdown;
use crate::results::run_folder::RunData;
use crate::strategy::python::PythonInfo;

/// REPORT.md's figures: "1.98×", "–", "1.96–2.00".
const REPORT_STYLE: FigureStyle = FigureStyle {
    times: "×",
    none: "–",
    interval: |lo, hi| format!("{lo:.2}–{hi:.2}"),
};

pub fn summary_table(data: &RunData) -> String {
    let titles = [
        "variant",
        "strategy",
        "workers",
        "reps",
        "median wall",
        "p25–p75 wall",
        "min–max wall",
        "CPU (median)",
        "cores busy",
        "peak mem",
        "mem/worker",
    ]
    .into_iter()
    .chain(SPEEDUP_COLUMNS)
    .chain(["outliers", "correct"])
    .collect::<Vec<_>>();
    let mut s = markdown::header(
        &titles,
        &[
            "---", "---", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:",
            "--:", "--:", "--:", "--:", "--:", "---",
        ],
    );
    for v in data.variants() {
        for r in data.summary_of(v) {
            let [speedup, ci, efficiency, ceiling, of_ceiling] = speedup_figures(r, &REPORT_STYLE);
            s.push_str(&markdown::row(&[
                r.variant.name().to_string(),
                r.strategy.clone(),
                r.workers.to_string(),
                r.reps.to_string(),
                format_seconds(r.wall_median_s),
                format!(
                    "{}–{}",
                    format_seconds(r.wall_p25_s),
                    format_seconds(r.wall_p75_s)
                ),
                format!(
                    "{}–{}",
                    format_seconds(r.wall_min_s),
                    format_seconds(r.wall_max_s)
                ),
                format_seconds(r.cpu_total_median_s),
                format!("{:.2}", r.cores_busy_median),
                format_bytes_or(r.mem_peak_bytes, REPORT_STYLE.none),
                format_bytes_or(r.mem_per_worker_bytes, REPORT_STYLE.none),
                speedup,
                ci,
                efficiency,
                ceiling,
                of_ceiling,
                r.wall_outliers.to_string(),
                if r.all_correct { "yes" } else { "**NO**" }.to_string(),
            ]));
        }
    }
    if let Some(note) = missing_interval_note(&data.summary, REPORT_STYLE.none) {
        s.push_str(&format!("\n{note}.\n"));
    }
    if let Some(note) = missing_memory_note(&data.summary, REPORT_STYLE.none) {
        s.push_str(&format!("\n{note}.\n"));
    }
    if let Some(note) = ideal_efficiency_note(&data.summary) {
        s.push_str(&format!("\n{}.\n", note.replace(" x ", " × ")));
    }
    s
}

pub fn claims_table(claims: &[ClaimRow]) -> String {
    let mut s = markdown::header(
        &[
            "claim",
            "subject",
            "statement",
            "verdict",
            "interval",
            "evidence",
            "reason",
        ],
        &["---"; 7],
    );
    for c in claims {
        let interval = crate::console::interval_words(c);
        s.push_str(&markdown::row(&[
            c.claim.as_str(),
            &c.subject,
            &c.statement,
            &format!("**{}**", c.verdict),
            if interval.is_empty() {
                "–"
            } else {
                &interval
            },
            &c.evidence,
            &c.reason,
        ]));
    }
    if claims.is_empty() {
        s.push_str("| – | – | claims.csv has no rows | – | – | – | – |\n");
    }
    s
}

pub fn setup_table(data: &RunData) -> String {
    let m = &data.meta;
    let mut rows = machine_rows(&m.machine);
    rows.extend(work_rows(m));
    rows.extend(condition_rows(m));
    rows.extend(build_rows(m));
    // Written only by runs that had them (older files lack them).
    if let Some(py) = &m.python {
        rows.extend(python_rows(py));
    }
    rows.extend(method_rows(m));
    markdown::key_value_table(&rows)
}

type Rows = Vec<(&'static str, String)>;

fn list(xs: Vec<String>) -> String {
    xs.join(", ")
}

/// The host: name, CPU, memory, OS.
fn machine_rows(mc: &Machine) -> Rows {
    vec![
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
    ]
}

/// What was measured and how often: the work, the unit, the repetitions, the limits.
fn work_rows(m: &Meta) -> Rows {
    let p = &m.parameters;
    vec![
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
    ]
}

/// How quiet the machine was, and what the sampler cost.
fn condition_rows(m: &Meta) -> Rows {
    let opt = |x: Option<f64>, unit: &str| x.map_or("–".into(), |v| format!("{v:.1}{unit}"));
    vec![
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
            "memory sampler cost",
            m.memory_sampler.map_or("–".into(), |ms| {
                format!(
                    "{} samples every {:.0} ms over {} trial(s) (the whole process tree where the work ran in other processes, concbench alone otherwise), {} of CPU over {} of sampling ({:.2}% of a core)",
                    ms.samples,
                    ms.interval_ms,
                    ms.sampled_trials,
                    format_seconds(ms.cpu_s),
                    format_seconds(ms.sampling_wall_s),
                    ms.overhead_pct_of_core
                )
            }),
        ),
    ]
}

/// The build and the command: versions, command line, timing, status.
fn build_rows(m: &Meta) -> Rows {
    let mc = &m.machine;
    vec![
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
        ("mismatched trials", m.mismatches.to_string()),
    ]
}

/// The interpreter behind the py-* strategies.
fn python_rows(py: &PythonInfo) -> Rows {
    let mut rows = Rows::new();
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
    rows
}

/// The gil model's interval, the bootstrap and the claim rule, where the run had them.
fn method_rows(m: &Meta) -> Rows {
    let mut rows = Rows::new();
    if let Some(ms) = m.gil_switch_interval_ms {
        rows.push(("gil model switch interval", format!("{} ms", trim(ms))));
    }
    if let Some(b) = &m.bootstrap {
        rows.push((
            "speedup CIs",
            format!(
                "{:.0}% bootstrap of the ratio of medians, {} resamples, seed {} ({}); none from fewer than {} repetitions of either arm",
                b.confidence * 100.0,
                b.resamples,
                b.seed,
                b.rng,
                crate::stats::MIN_INTERVAL_N
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
    rows
}
