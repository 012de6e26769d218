//! REPORT.md of a wait sweep: from how many waiters each strategy falls behind async (and
//! the CPython ones behind py-asyncio), and why; the points; what was skipped; the chart and
//! the setup.

use std::fmt::Write;

use super::points::{Behind, MEMORY_FACTOR, WALL_MARGIN, falls_behind, references_for};
use super::{WAITS_CHART, points_of, strategies};
use crate::console::{format_bytes, format_seconds};
use crate::records::sweep::SweepRow;
use crate::results::markdown;
use crate::results::run_folder::{SweepData, pretty_date};
use crate::strategy;

/// "10,000" for people.
pub fn count_words(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn bytes(b: Option<f64>) -> String {
    b.map_or("-".into(), |b| format_bytes(b.max(0.0).round() as u64))
}

fn over(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{x:.3}×"))
}

/// Whether a strategy holds each waiter in a task (an async runtime) rather than a thread.
fn holds_tasks(name: &str) -> bool {
    strategy::name_in_label(name).contains("async")
}

/// Why `s` falls behind `r`, from what each holds a waiter in.
fn why(s: &str, r: &str) -> &'static str {
    match (holds_tasks(s), holds_tasks(r)) {
        (false, true) => {
            "a thread (or process) per waiter costs its stack pages, its page tables and the kernel's scheduling of every one, where a task is a heap object of a few hundred bytes polled by a few threads"
        }
        (true, true) => {
            "both hold a task per waiter; what differs is the runtime's cost per task (an interpreter's coroutine and its frame against a compiled future)"
        }
        _ => {
            "each waiter's thread costs its stack pages, its page tables and the kernel's scheduling; what differs is what each runtime adds per thread (an interpreter's thread state, its lock handovers)"
        }
    }
}

fn at<'a>(pts: &[&'a SweepRow], waiters: usize) -> Option<&'a SweepRow> {
    pts.iter().find(|p| p.waiters == Some(waiters)).copied()
}

/// One sentence: from how many waiters `s` falls behind `r`, and why.
pub fn behind_sentence(data: &SweepData, s: &str, r: &str) -> String {
    let (mine, theirs) = (points_of(data, s), points_of(data, r));
    match falls_behind(&mine, &theirs) {
        Behind::At {
            waiters,
            wall,
            memory,
        } => {
            let (p, q) = (at(&mine, waiters), at(&theirs, waiters));
            let mut what = Vec::new();
            if let (true, Some(p), Some(q)) = (wall, p, q) {
                what.push(format!(
                    "its wall time is {} the ideal against {}",
                    over(p.wall_over_ideal),
                    over(q.wall_over_ideal)
                ));
            }
            if let (true, Some(p), Some(q)) = (memory, p, q) {
                what.push(format!(
                    "it takes {} per waiter against {}",
                    bytes(p.mem_per_waiter_bytes),
                    bytes(q.mem_per_waiter_bytes)
                ));
            }
            format!(
                "**{s}** falls behind **{r}** from **{} waiters**: {}. Why: {}.",
                count_words(waiters),
                what.join(", and "),
                why(s, r)
            )
        }
        Behind::NotUpTo(n) => format!(
            "**{s}** keeps up with **{r}** up to {} waiters, the most both were measured at.",
            count_words(n)
        ),
        Behind::NoCommonCount => {
            format!("**{s}** and **{r}** were not measured at any common waiter count.")
        }
    }
}

/// The answer: one sentence per (strategy, reference).
pub fn answer(data: &SweepData) -> Vec<String> {
    let present = strategies(data);
    let mut out = Vec::new();
    for s in &present {
        for r in references_for(s, &present, &data.points) {
            out.push(behind_sentence(data, s, &r));
        }
    }
    out
}

/// The whole REPORT.md of a wait sweep.
pub fn markdown(data: &SweepData) -> String {
    let m = &data.meta.meta;
    let sw = &data.meta.sweep;
    let wait_ms = sw.sizes.first().map_or(0.0, |z| z.unit_ms);
    let mut s = String::new();
    let _ = writeln!(s, "# concbench sweep --waits: {}\n", data.name());
    let _ = writeln!(
        s,
        "Wait sweep started {} on `{}` ({}); status: **{}**; {} repetitions per point after {} warm-up round(s): {}. Generated from the sweep's files by `concbench report --input <this folder>`.\n",
        pretty_date(&m.started_at),
        m.machine.hostname,
        m.machine.short(),
        m.status,
        sw.reps_done,
        sw.warmup,
        sw.stop_reason
    );
    s.push_str(&markdown::warnings(m, "sweep"));
    s.push_str("## From how many waiters each strategy falls behind\n\n");
    let sentences = answer(data);
    if sentences.is_empty() {
        s.push_str("One strategy only: nothing to compare it with.\n\n");
    }
    for a in sentences {
        let _ = writeln!(s, "- {a}");
    }
    let _ = writeln!(
        s,
        "\nN waiters are N jobs on N workers, each one wait of {}: all wait at once, so the ideal wall time is one wait. A strategy falls behind another at the smallest waiter count where its wall time over the ideal is more than {:.0} % above the other's, or its memory per waiter more than {MEMORY_FACTOR:.0}× the other's (counted only where its peak reaches 1 MiB). Memory is the trial's peak above its baseline (runs.csv `mem_peak_bytes`) divided by the waiters. Where wall ÷ ideal is well above 1, starting the waiters took longer than one wait: the first finished before the last started, so not all waited at once and the memory per waiter is a lower bound (a longer `--sleep-ms` overlaps them).\n",
        format_seconds(wait_ms / 1e3),
        (WALL_MARGIN - 1.0) * 100.0
    );
    s.push_str(&points_table(data));
    let skipped = super::skipped_notes(data);
    if !skipped.is_empty() {
        s.push_str("\n## Skipped\n\n");
        for n in skipped {
            let _ = writeln!(s, "- {n}");
        }
    }
    s.push('\n');
    let c = &WAITS_CHART;
    s.push_str(&markdown::charts_section([(c.name, c.title, c.caption)]));
    s.push_str("\n## Setup\n\n");
    let rows = [
        ("wait per job", format_seconds(wait_ms / 1e3)),
        (
            "waiters",
            sw.workers
                .iter()
                .map(|&n| count_words(n))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "repetitions",
            format!(
                "{} measured, after {} warm-up round(s)",
                sw.reps_done, sw.warmup
            ),
        ),
        (
            "order",
            m.discipline.as_ref().map_or("?".into(), |d| {
                format!(
                    "{} (seed {}), a block per (strategy, waiters)",
                    d.order, d.seed
                )
            }),
        ),
        ("took", m.total_wall_s.map_or("?".into(), format_seconds)),
    ];
    s.push_str(&markdown::key_value_table(&rows));
    s.push_str(
        "\n## Files\n\n[sweep.csv](sweep.csv) (one row per strategy and waiter count, `waiters` filled), [runs.csv](runs.csv) (every measured trial), [samples.csv](samples.csv) (per-core CPU samples), [meta.json](meta.json) (machine, parameters, the sweep's plan). models.csv is empty: a wait sweep fits no scaling model.\n",
    );
    s
}

fn points_table(data: &SweepData) -> String {
    let mut s = markdown::header(
        &[
            "strategy",
            "waiters",
            "reps",
            "wall (median)",
            "wall ÷ ideal",
            "CPU per waiter",
            "memory per waiter",
            "all correct",
        ],
        &["---", "--:", "--:", "--:", "--:", "--:", "--:", "---"],
    );
    for name in strategies(data) {
        for p in points_of(data, &name) {
            s.push_str(&markdown::row(&[
                p.strategy.clone(),
                count_words(p.waiters.unwrap_or(0)),
                p.reps.to_string(),
                format_seconds(p.wall_median_s),
                over(p.wall_over_ideal),
                p.cpu_per_waiter_ms
                    .map_or("-".into(), |c| format_seconds(c / 1e3)),
                bytes(p.mem_per_waiter_bytes),
                if p.all_correct { "yes" } else { "**no**" }.to_string(),
            ]));
        }
    }
    s
}
