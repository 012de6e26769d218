//! The findings of REPORT.md: for each variant, a paragraph in plain words with the numbers
//! (what ran, the speedups per worker count, where the CPU went, the machine's ceiling, and
//! whether every trial was correct).

use std::fmt::Write;

use crate::chart::data::{baseline_of, ideal_speedup, is_baseline, variant_words};
use crate::chart::speedup::baseline_row;
use crate::chart::wall_time::trim;
use crate::claim::verdict::ORDER_STATISTIC;
use crate::console::{format_seconds, verdict_family_note};
use crate::records::{ClaimRow, SummaryRow};
use crate::results::run_folder::RunData;
use crate::workload::Variant;

/// A paragraph in plain words, with the numbers, about one variant.
pub fn findings(data: &RunData, v: Variant) -> String {
    let rows = data.summary_of(v);
    let mut s = what_was_run(data, v, &rows);
    s.push_str(&speedup_words_per_workers(data, v, &rows));
    s.push_str(&cpu_words(data, &rows));
    s.push_str(&super::http::server_words(&rows));
    s.push_str(&ceiling_words(&rows));
    s.push_str(&correctness_words(data, v, &rows));
    s
}

/// The work, the repetitions and what each baseline took.
fn what_was_run(data: &RunData, v: Variant, rows: &[&SummaryRow]) -> String {
    let jobs = data.jobs();
    let reps = rows.iter().map(|r| r.reps).max().unwrap_or(0);
    let unit = rows.first().map_or(0.0, |r| r.unit_ms);
    let what = match v {
        Variant::Sleep => "sleeping",
        Variant::Cpu => "burning CPU for",
        Variant::Http => "an HTTP request the server answers after",
    };
    let mut s = format!(
        "**{}** ({jobs} jobs, each {what} {} ms; {reps} repetitions per configuration; medians).",
        capitalise(variant_words(v)),
        trim(unit)
    );
    for b in rows.iter().filter(|r| is_baseline(&r.strategy)) {
        let _ = write!(
            s,
            " `{}` took {} ({} of CPU, {} cores busy).",
            b.strategy,
            format_seconds(b.wall_median_s),
            format_seconds(b.cpu_total_median_s),
            cores_busy(b.cores_busy_median)
        );
    }
    s
}

/// For each worker count, the fastest strategy first, then the others, against the ideal.
fn speedup_words_per_workers(data: &RunData, v: Variant, rows: &[&SummaryRow]) -> String {
    let (cores, jobs) = (data.cores(), data.jobs());
    let mut s = String::new();
    let mut workers: Vec<usize> = rows
        .iter()
        .filter(|r| !is_baseline(&r.strategy))
        .map(|r| r.workers)
        .collect();
    workers.sort_unstable();
    workers.dedup();
    for w in workers {
        let mut these: Vec<&&SummaryRow> = rows
            .iter()
            .filter(|r| r.workers == w && !is_baseline(&r.strategy) && r.speedup.is_some())
            .collect();
        if these.is_empty() {
            continue;
        }
        these.sort_by(|a, b| {
            b.speedup
                .unwrap_or(0.0)
                .total_cmp(&a.speedup.unwrap_or(0.0))
        });
        let ideal = ideal_speedup(v, w, jobs, cores);
        let lead = if pace(these[0]) == Pace::Faster {
            format!(
                "{} sped it up {}",
                name_of(these[0]),
                speedup_words(these[0])
            )
        } else {
            format!(
                "no strategy was clearly faster: {} {}",
                name_of(these[0]),
                speedup_words(these[0])
            )
        };
        let parts: Vec<String> = these[1..]
            .iter()
            .map(|r| format!("{} {}", name_of(r), speedup_words(r)))
            .collect();
        let _ = write!(
            s,
            " On {cores} core{} with {w} worker{} (ideal {}×{}): {lead}{}{}.",
            plural(cores),
            plural(w),
            trim(ideal),
            if ideal <= 1.0 {
                ", so this shows the overhead"
            } else {
                ""
            },
            if parts.is_empty() { "" } else { "; " },
            parts.join("; ")
        );
    }
    s
}

/// How many cores each strategy kept busy, and where the CPU time went.
fn cpu_words(data: &RunData, rows: &[&SummaryRow]) -> String {
    let mut s = String::new();
    let several = |r: &SummaryRow| rows.iter().filter(|x| x.strategy == r.strategy).count() > 1;
    let busy: Vec<String> = rows
        .iter()
        .map(|r| {
            let w = if several(r) {
                format!(" ({})", r.workers)
            } else {
                String::new()
            };
            format!("`{}`{w} {}", r.strategy, cores_busy(r.cores_busy_median))
        })
        .collect();
    let _ = write!(s, " Cores busy on average: {}.", busy.join(", "));
    let base_busy = rows
        .iter()
        .filter(|r| is_baseline(&r.strategy))
        .map(|r| r.cores_busy_median)
        .fold(0.0, f64::max);
    let hungriest = rows
        .iter()
        .filter(|r| !is_baseline(&r.strategy))
        .max_by(|a, b| a.cpu_total_median_s.total_cmp(&b.cpu_total_median_s));
    if base_busy < WAITING_BUSY {
        let _ = write!(
            s,
            " The jobs wait rather than compute: the baseline kept {} cores busy",
            cores_busy(base_busy)
        );
        if let Some(h) = hungriest {
            let _ = write!(
                s,
                "; the most CPU went to `{}` with {} worker{}, {} per trial",
                h.strategy,
                h.workers,
                plural(h.workers),
                format_seconds(h.cpu_total_median_s)
            );
        }
        s.push('.');
    } else if let Some((lo, hi)) = cpu_ratio_range(data, rows) {
        let _ = write!(
            s,
            " The other strategies used {lo:.2}–{hi:.2}× the CPU time of their sequential baseline, \
             spread over less wall time where they sped up."
        );
    }
    s
}

/// Whether every trial returned the sequential results, and the outliers.
fn correctness_words(data: &RunData, v: Variant, rows: &[&SummaryRow]) -> String {
    let mut s = String::new();
    let n: usize = rows.iter().map(|r| r.reps).sum();
    let wrong = data
        .runs
        .iter()
        .filter(|r| r.variant == v && !r.correct)
        .count();
    if wrong == 0 && rows.iter().all(|r| r.all_correct) {
        let _ = write!(
            s,
            " All {n} measured trials returned exactly the sequential results."
        );
    } else {
        let _ = write!(s, " {wrong} of {n} measured trials returned wrong results.");
    }
    let outliers: usize = rows.iter().map(|r| r.wall_outliers).sum();
    if outliers > 0 {
        let _ = write!(
            s,
            " {outliers} repetition(s) lay outside Tukey's fences (counted, not removed)."
        );
    }
    s
}

/// The machine's ceiling in words: per worker count, what the ceiling reached and how much of
/// it each strategy on the same kernel reached.
fn ceiling_words(rows: &[&SummaryRow]) -> String {
    let mut s = String::new();
    let ceiling = crate::strategy::ceiling::INFO.name;
    for c in rows.iter().filter(|r| r.strategy == ceiling) {
        let Some(top) = c.speedup else { continue };
        let parts: Vec<String> = rows
            .iter()
            .filter(|r| r.workers == c.workers && r.strategy != ceiling)
            .filter_map(|r| {
                Some(format!(
                    "`{}` {:.0}%",
                    r.strategy,
                    r.efficiency_vs_ceiling? * 100.0
                ))
            })
            .collect();
        let _ = write!(
            s,
            " The machine's ceiling with {} worker{} (threads started before the clock, jobs \
             assigned in advance) was {top:.2}×{}{}.",
            c.workers,
            plural(c.workers),
            if parts.is_empty() { "" } else { "; of it, " },
            parts.join(", ")
        );
    }
    s
}

/// Speedups inside this band are too close to 1 to call faster or slower in words.
const SAME_SPEED_LO: f64 = 0.98;
const SAME_SPEED_HI: f64 = 1.02;
/// A baseline keeping fewer cores busy than this is waiting, not computing.
const WAITING_BUSY: f64 = 0.25;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Pace {
    Faster,
    /// Within the ±2 % band: a difference too small to speak of, even if the CI excludes 1.
    Same,
    /// The CI contains 1.
    Unclear,
    Slower,
}

/// In words, a speedup is faster or slower only when it is outside the ±2 % band and, when
/// summary.csv has a 95 % CI, that CI excludes 1.
fn pace(r: &SummaryRow) -> Pace {
    let x = r.speedup.unwrap_or(0.0);
    let ci = r.speedup_ci_low.zip(r.speedup_ci_high);
    if ci.is_some_and(|(lo, hi)| lo <= 1.0 && hi >= 1.0) {
        Pace::Unclear
    } else if x >= SAME_SPEED_HI {
        Pace::Faster
    } else if x <= SAME_SPEED_LO {
        Pace::Slower
    } else {
        Pace::Same
    }
}

/// "`threads`", or "`py-threads` over `py-sequential`" for a family with its own baseline.
fn name_of(r: &SummaryRow) -> String {
    let base = baseline_of(&r.strategy);
    if base == crate::strategy::BASELINE {
        format!("`{}`", r.strategy)
    } else {
        format!("`{}` (over `{base}`)", r.strategy)
    }
}

/// "1.96× (95% CI 1.93–1.99)", "0.90× (slower)", "1.01× (no clear difference, 95% CI 0.95–1.08)",
/// "1.00× (within 2%)".
fn speedup_words(r: &SummaryRow) -> String {
    let x = r.speedup.unwrap_or(0.0);
    let mut notes: Vec<String> = Vec::new();
    match pace(r) {
        Pace::Faster => {}
        Pace::Same => notes.push("within 2%".into()),
        Pace::Unclear => notes.push("no clear difference".into()),
        Pace::Slower => notes.push("slower".into()),
    }
    if let (Some(lo), Some(hi)) = (r.speedup_ci_low, r.speedup_ci_high) {
        notes.push(format!("95% CI {lo:.2}–{hi:.2}"));
    }
    if notes.is_empty() {
        format!("{x:.2}×")
    } else {
        format!("{x:.2}× ({})", notes.join(", "))
    }
}

/// Cores busy with enough digits that a waiting strategy does not read as exactly 0.
fn cores_busy(x: f64) -> String {
    if x < 0.1 {
        format!("{x:.3}")
    } else {
        format!("{x:.2}")
    }
}

/// CPU time of every non-baseline configuration relative to its baseline's: (min, max).
fn cpu_ratio_range(data: &RunData, rows: &[&SummaryRow]) -> Option<(f64, f64)> {
    let ratios: Vec<f64> = rows
        .iter()
        .filter(|r| !is_baseline(&r.strategy))
        .filter_map(|r| {
            let b = baseline_row(data, r)?;
            (b.cpu_total_median_s > 0.0).then(|| r.cpu_total_median_s / b.cpu_total_median_s)
        })
        .collect();
    let lo = ratios.iter().copied().reduce(f64::min)?;
    let hi = ratios.iter().copied().reduce(f64::max)?;
    Some((lo, hi))
}

pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Under REPORT.md's claims table: the verdicts as a family, and, for a `concbench claim` run,
/// why its Summary table's intervals are not the claims' intervals.
pub fn claims_notes(data: &RunData, claims: &[ClaimRow]) -> String {
    let mut s = String::new();
    if let Some(note) = verdict_family_note(claims) {
        let _ = write!(s, "\n{note}\n");
    }
    let paired = claims.iter().any(|c| c.interval_kind == ORDER_STATISTIC);
    if paired && !data.summary.is_empty() {
        s.push_str(
            "\nThe Summary's speedup and 95% CI are not the claims': the Summary divides the \
             arms' medians and bootstraps them apart (unpaired), while a claim takes the median \
             of the speedups measured within each round (paired: both arms back to back) with \
             its order-statistic interval at the look's level. For the same comparison the two \
             can differ; the verdicts rest on the claims' intervals.\n",
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(kind: &str, level: Option<f64>) -> ClaimRow {
        ClaimRow {
            claim: "C2".into(),
            statement: String::new(),
            subject: "rust-threads".into(),
            evidence: String::new(),
            verdict: "HOLDS".into(),
            reason: String::new(),
            level_achieved: level,
            interval_kind: kind.into(),
        }
    }

    #[test]
    fn a_claim_runs_report_tells_its_paired_intervals_from_the_summarys() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small-run");
        let data = RunData::read(&dir).unwrap();
        let claim = [verdict("order-statistic", Some(0.96875)), verdict("", None)];
        let notes = claims_notes(&data, &claim);
        assert!(
            notes.contains("The 1 speed verdicts are a family"),
            "{notes}"
        );
        assert!(notes.contains("at most 5% (2.5% each way"), "{notes}");
        assert!(notes.contains("not the claims'"), "{notes}");
        // A run's own verdicts use the Summary's interval: nothing to tell apart.
        let run = [
            verdict("bootstrap", Some(0.95)),
            verdict("bootstrap", Some(0.95)),
        ];
        let notes = claims_notes(&data, &run);
        assert!(
            notes.contains("The 2 speed verdicts are a family"),
            "{notes}"
        );
        assert!(notes.contains("5%, nominal"), "{notes}");
        assert!(!notes.contains("not the claims'"), "{notes}");
        // Demonstrations only: no interval, no note.
        assert_eq!(claims_notes(&data, &[verdict("", None)]), "");
        assert_eq!(
            crate::console::interval_words(&claim[0]),
            "order-statistic, covers 96.9%"
        );
        assert_eq!(crate::console::interval_words(&claim[1]), "");
    }
}
