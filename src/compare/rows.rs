//! The rows of a comparison: per (variant, strategy, workers) in both runs, the change of the
//! median wall time with its bootstrap CI, the Mann–Whitney U p-value (raw and Holm-adjusted
//! across the rows) and the verdicts; the geometric mean of the changes; the rows only one run
//! has; the claims whose verdict changed.

use serde::Serialize;

use super::holm::holm_adjust;
use crate::export::{Configuration, SummaryJson};
use crate::records::ClaimRow;
use crate::stats::mann_whitney::{Method, mann_whitney_u};
use crate::stats::{BootstrapSettings, bootstrap_speedup_ci, median, stream_seed};
use crate::workload::Variant;

/// Significance level of the Mann–Whitney U test.
pub const ALPHA: f64 = 0.05;
/// benchstat's minimums: fewer repetitions than this on a side cannot show a difference at
/// α = 0.05 (3 against 3 gives p >= 0.1), so such a row is never called faster or slower ...
pub const MIN_REPS_TO_DETECT: usize = 4;
/// ... and fewer than this give no trustworthy 95 % confidence interval.
pub const MIN_REPS_FOR_CI: usize = 6;
/// Default of `--threshold`: changes smaller than this (in %) are not worth a verdict.
pub const DEFAULT_THRESHOLD_PCT: f64 = 5.0;

/// The verdict on one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    #[serde(rename = "faster")]
    Faster,
    #[serde(rename = "slower")]
    Slower,
    /// No difference shown: not significant, or within the threshold, or too few repetitions.
    #[serde(rename = "~")]
    Same,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::Same => "~",
        }
    }
}

/// Faster or slower only when the difference is significant (p < α) AND the whole confidence
/// interval of the change lies beyond ±threshold %, and both sides have at least
/// [`MIN_REPS_TO_DETECT`] repetitions; `~` otherwise (also when there is no interval).
pub fn verdict(
    p_value: f64,
    change_ci_pct: Option<(f64, f64)>,
    threshold_pct: f64,
    min_reps: usize,
) -> Verdict {
    let Some((low, high)) = change_ci_pct else {
        return Verdict::Same;
    };
    if min_reps < MIN_REPS_TO_DETECT || p_value.is_nan() || p_value >= ALPHA {
        Verdict::Same
    } else if low > threshold_pct {
        Verdict::Slower
    } else if high < -threshold_pct {
        Verdict::Faster
    } else {
        Verdict::Same
    }
}

/// What a row's repetitions allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RepsNote {
    /// Fewer than [`MIN_REPS_TO_DETECT`] on a side: no verdict possible.
    #[serde(rename = "n<4")]
    TooFewToDetect,
    /// Fewer than [`MIN_REPS_FOR_CI`] on a side: the interval is rough.
    #[serde(rename = "n<6")]
    TooFewForCi,
}

impl RepsNote {
    pub fn of(min_reps: usize) -> Option<RepsNote> {
        if min_reps < MIN_REPS_TO_DETECT {
            Some(RepsNote::TooFewToDetect)
        } else if min_reps < MIN_REPS_FOR_CI {
            Some(RepsNote::TooFewForCi)
        } else {
            None
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RepsNote::TooFewToDetect => "n<4",
            RepsNote::TooFewForCi => "n<6",
        }
    }

    pub fn footnote(self) -> String {
        match self {
            RepsNote::TooFewToDetect => format!(
                "n<4: fewer than {MIN_REPS_TO_DETECT} repetitions on a side are too few to detect a difference at α = {ALPHA} (benchstat's minimum); such a row is never called faster or slower"
            ),
            RepsNote::TooFewForCi => format!(
                "n<6: fewer than {MIN_REPS_FOR_CI} repetitions on a side give only a rough 95% CI (benchstat's minimum for one is {MIN_REPS_FOR_CI})"
            ),
        }
    }
}

/// Which Mann–Whitney U test gave a row's p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Test {
    /// The exact null distribution of U (a small sample, no ties).
    #[serde(rename = "exact")]
    Exact,
    /// The normal approximation (ties, or both samples large).
    #[serde(rename = "asymptotic")]
    Asymptotic,
    /// No test: every wall time of both runs is the same value, so there is nothing to rank;
    /// p is then 1.
    #[serde(rename = "none")]
    NotTested,
}

impl Test {
    fn of(method: Option<Method>) -> Test {
        match method {
            Some(Method::Exact) => Test::Exact,
            Some(Method::Asymptotic) => Test::Asymptotic,
            None => Test::NotTested,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Test::Exact => "exact",
            Test::Asymptotic => "asymptotic",
            Test::NotTested => "none",
        }
    }
}

/// How the rows' p-values are corrected for `holm_verdict` and `--fail-on-regression`.
pub const CORRECTION: &str = "holm";

/// The verdict rule's settings, recorded with every comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    pub alpha: f64,
    /// The correction of p across the rows that `holm_verdict` and the exit status of
    /// `--fail-on-regression` use (each row's own `verdict` uses its raw p).
    pub correction: &'static str,
    pub threshold_pct: f64,
    pub min_reps_to_detect: usize,
    pub min_reps_for_ci: usize,
    /// The change's CI: a percentile bootstrap of median(new) / median(base), each side
    /// resampled on its own, one seeded stream per row (key `compare/variant/strategy/workers`).
    pub bootstrap: BootstrapSettings,
}

impl Settings {
    pub fn new(threshold_pct: f64) -> Settings {
        Settings {
            alpha: ALPHA,
            correction: CORRECTION,
            threshold_pct,
            min_reps_to_detect: MIN_REPS_TO_DETECT,
            min_reps_for_ci: MIN_REPS_FOR_CI,
            bootstrap: BootstrapSettings::default(),
        }
    }
}

/// A configuration: (variant, strategy, workers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Key {
    pub variant: Variant,
    pub strategy: String,
    pub workers: usize,
}

impl Key {
    fn of(c: &Configuration) -> Key {
        Key {
            variant: c.row.variant,
            strategy: c.row.strategy.clone(),
            workers: c.row.workers,
        }
    }
}

/// One configuration present in both runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    #[serde(flatten)]
    pub key: Key,
    pub base_reps: usize,
    pub new_reps: usize,
    pub base_median_s: f64,
    pub new_median_s: f64,
    /// (new median / base median - 1) in %: positive means slower.
    pub change_pct: f64,
    pub change_ci_low_pct: Option<f64>,
    pub change_ci_high_pct: Option<f64>,
    /// Two-sided Mann–Whitney U p-value of the two runs' wall times (1 without a test).
    pub p_value: f64,
    /// `p_value` adjusted by Holm's step-down method over every row with a test.
    pub p_holm: f64,
    pub test: Test,
    /// By the raw p: this row judged on its own (benchstat's and criterion's reading).
    pub verdict: Verdict,
    /// By the Holm-adjusted p: this row judged as one of all the rows, as the exit status of
    /// `--fail-on-regression` judges it.
    pub holm_verdict: Verdict,
    /// The speedups over the baseline within each run (summary.csv's), and their change in %.
    pub base_speedup: Option<f64>,
    pub new_speedup: Option<f64>,
    pub speedup_change_pct: Option<f64>,
    pub note: Option<RepsNote>,
}

/// The geometric mean of the rows' new/base median ratios.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Geomean {
    pub rows: usize,
    pub ratio: f64,
    pub change_pct: f64,
}

/// A claim whose verdict is not the same in both runs (`None`: the run did not judge it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimChange {
    pub claim: String,
    pub subject: String,
    pub base: Option<String>,
    pub new: Option<String>,
}

/// The rows in both runs (in the base run's order), then the keys only in base, only in new.
pub fn compare_rows(
    base: &SummaryJson,
    new: &SummaryJson,
    settings: &Settings,
) -> (Vec<Row>, Vec<Key>, Vec<Key>) {
    let find = |doc: &'_ SummaryJson, key: &Key| -> Option<Configuration> {
        doc.summary.iter().find(|c| Key::of(c) == *key).cloned()
    };
    let mut rows = Vec::new();
    let mut only_base = Vec::new();
    for b in &base.summary {
        let key = Key::of(b);
        match find(new, &key) {
            Some(n) => rows.push(row(key, b, &n, settings)),
            None => only_base.push(key),
        }
    }
    let only_new = new
        .summary
        .iter()
        .map(Key::of)
        .filter(|k| find(base, k).is_none())
        .collect();
    apply_holm(&mut rows, settings);
    (rows, only_base, only_new)
}

/// Fill in `p_holm` and `holm_verdict`: the family is every row with a test (a row without one
/// has no hypothesis to reject and keeps p = 1).
fn apply_holm(rows: &mut [Row], settings: &Settings) {
    let tested: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].test != Test::NotTested)
        .collect();
    let raw: Vec<f64> = tested.iter().map(|&i| rows[i].p_value).collect();
    for (&i, p) in tested.iter().zip(holm_adjust(&raw)) {
        rows[i].p_holm = p;
    }
    for r in rows.iter_mut() {
        let ci = r.change_ci_low_pct.zip(r.change_ci_high_pct);
        let min_reps = r.base_reps.min(r.new_reps);
        r.holm_verdict = verdict(r.p_holm, ci, settings.threshold_pct, min_reps);
    }
}

fn row(key: Key, base: &Configuration, new: &Configuration, settings: &Settings) -> Row {
    let (b, n) = (&base.wall_times_s, &new.wall_times_s);
    // Both medians are positive (export::check), so the ratio is defined.
    let (bm, nm) = (median(b).unwrap_or(f64::NAN), median(n).unwrap_or(f64::NAN));
    let seed = stream_seed(
        settings.bootstrap.seed,
        &format!("compare/{}/{}/{}", key.variant, key.strategy, key.workers),
    );
    // bootstrap_speedup_ci gives median(first) / median(second): new over base here.
    let ci = bootstrap_speedup_ci(n, b, &settings.bootstrap, seed)
        .map(|(lo, hi)| ((lo - 1.0) * 100.0, (hi - 1.0) * 100.0));
    let test = mann_whitney_u(b, n);
    let p_value = test.map_or(1.0, |t| t.p_value);
    let min_reps = b.len().min(n.len());
    let (bs, ns) = (base.row.speedup, new.row.speedup);
    Row {
        key,
        base_reps: b.len(),
        new_reps: n.len(),
        base_median_s: bm,
        new_median_s: nm,
        change_pct: (nm / bm - 1.0) * 100.0,
        change_ci_low_pct: ci.map(|c| c.0),
        change_ci_high_pct: ci.map(|c| c.1),
        p_value,
        // Set over all the rows by apply_holm.
        p_holm: p_value,
        test: Test::of(test.map(|t| t.method)),
        verdict: verdict(p_value, ci, settings.threshold_pct, min_reps),
        holm_verdict: Verdict::Same,
        base_speedup: bs,
        new_speedup: ns,
        speedup_change_pct: bs
            .zip(ns)
            .filter(|(b, _)| *b > 0.0)
            .map(|(b, n)| (n / b - 1.0) * 100.0),
        note: RepsNote::of(min_reps),
    }
}

/// Geometric mean of new/base over the rows; `None` without rows.
pub fn geomean(rows: &[Row]) -> Option<Geomean> {
    if rows.is_empty() {
        return None;
    }
    let mean_log = rows
        .iter()
        .map(|r| (r.new_median_s / r.base_median_s).ln())
        .sum::<f64>()
        / rows.len() as f64;
    let ratio = mean_log.exp();
    Some(Geomean {
        rows: rows.len(),
        ratio,
        change_pct: (ratio - 1.0) * 100.0,
    })
}

/// The claims judged differently (or judged by one run only); `None` unless both runs have
/// claims.
pub fn claim_changes(
    base: Option<&[ClaimRow]>,
    new: Option<&[ClaimRow]>,
) -> Option<Vec<ClaimChange>> {
    let (base, new) = (base?, new?);
    let verdict_in = |rows: &[ClaimRow], c: &ClaimRow| {
        rows.iter()
            .find(|r| r.claim == c.claim && r.subject == c.subject)
            .map(|r| r.verdict.clone())
    };
    let mut out: Vec<ClaimChange> = Vec::new();
    for c in base.iter().chain(new) {
        let (b, n) = (verdict_in(base, c), verdict_in(new, c));
        let seen = out
            .iter()
            .any(|x| x.claim == c.claim && x.subject == c.subject);
        if b != n && !seen {
            out.push(ClaimChange {
                claim: c.claim.clone(),
                subject: c.subject.clone(),
                base: b,
                new: n,
            });
        }
    }
    Some(out)
}
