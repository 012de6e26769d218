//! The pure parts of `compare`: the verdict rule at its edges, Holm's correction, the test each
//! row used, what counts as the same work, the geometric mean and the claims' changes.

use super::holm::holm_adjust;
use super::rows::{
    ClaimChange, Key, MIN_REPS_TO_DETECT, RepsNote, Row, Settings, Test, Verdict, claim_changes,
    compare_rows, geomean, verdict,
};
use super::work;
use crate::export::{self, SummaryJson};
use crate::records::{ClaimRow, Meta, read_meta};
use crate::results::run_folder::RunData;
use crate::workload::{Calibration, Variant};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small-run");

fn fixture_meta() -> Meta {
    read_meta(&std::path::Path::new(FIXTURE).join("meta.json")).unwrap()
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
}

#[test]
fn holm_adjusts_the_textbook_examples() {
    // Wikipedia's example of the Holm–Bonferroni method: 4 hypotheses at α = 0.05; H4 (0.005
    // < 0.05/4) and H1 (0.01 < 0.05/3) are rejected, H3 (0.03 > 0.05/2) stops the procedure.
    let adjusted = holm_adjust(&[0.01, 0.04, 0.03, 0.005]);
    assert!(close(&adjusted, &[0.03, 0.06, 0.06, 0.02]), "{adjusted:?}");
    let rejected: Vec<bool> = adjusted.iter().map(|&p| p < 0.05).collect();
    assert_eq!(rejected, [true, false, false, true]);
    // R's p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm"): the running maximum keeps the
    // adjusted values in the order of the raw ones.
    let adjusted = holm_adjust(&[0.01, 0.02, 0.03, 0.04, 0.05]);
    assert!(
        close(&adjusted, &[0.05, 0.08, 0.09, 0.09, 0.09]),
        "{adjusted:?}"
    );
    // Capped at 1; NaN is no evidence; one hypothesis is not corrected; none, nothing.
    assert!(close(&holm_adjust(&[0.6, 0.7]), &[1.0, 1.0]));
    assert!(close(&holm_adjust(&[0.4, 0.3, f64::NAN]), &[0.9, 0.9, 1.0]));
    assert!(close(&holm_adjust(&[0.03]), &[0.03]));
    assert!(holm_adjust(&[]).is_empty());
}

/// The small fixture run with its wall times replaced: `walls[i]` for the i-th configuration.
fn fixture_with(walls: &[&[f64]]) -> SummaryJson {
    let mut doc = export::from_run(&RunData::load(std::path::Path::new(FIXTURE)).unwrap());
    doc.summary.truncate(walls.len());
    for (c, w) in doc.summary.iter_mut().zip(walls) {
        c.wall_times_s = w.to_vec();
    }
    doc
}

#[test]
fn each_row_names_the_test_it_used_or_none() {
    let distinct: &[f64] = &[1.0, 1.1, 1.2, 1.3, 1.4];
    let tied: &[f64] = &[1.0, 1.0, 1.2, 1.3, 1.4];
    let constant: &[f64] = &[1.0; 5];
    let base = fixture_with(&[distinct, tied, constant]);
    let new = fixture_with(&[&[1.05, 1.15, 1.25, 1.35, 1.45], tied, constant]);
    let (rows, _, _) = compare_rows(&base, &new, &Settings::new(5.0));
    let tests: Vec<Test> = rows.iter().map(|r| r.test).collect();
    assert_eq!(tests, [Test::Exact, Test::Asymptotic, Test::NotTested]);
    let labels: Vec<&str> = tests.iter().map(|t| t.label()).collect();
    assert_eq!(labels, ["exact", "asymptotic", "none"]);
    // No test: p is 1 and the row is left out of Holm's family (2 rows, not 3).
    assert_eq!((rows[2].p_value, rows[2].p_holm), (1.0, 1.0));
    let (p0, p1) = (rows[0].p_value, rows[1].p_value);
    assert!(p0 < p1, "{rows:?}");
    assert!(
        (rows[0].p_holm - (2.0 * p0).min(1.0)).abs() < 1e-12,
        "{rows:?}"
    );
    assert!((rows[1].p_holm - p1.max(2.0 * p0).min(1.0)).abs() < 1e-12);
}

#[test]
fn the_verdict_needs_significance_and_the_whole_ci_beyond_the_threshold() {
    let n = 10;
    // Significant, CI beyond +5 / below -5.
    assert_eq!(verdict(0.01, Some((6.0, 9.0)), 5.0, n), Verdict::Slower);
    assert_eq!(verdict(0.01, Some((-9.0, -6.0)), 5.0, n), Verdict::Faster);
    // Edges: p exactly α is not significant; a CI end exactly on the threshold is not beyond it.
    assert_eq!(verdict(0.05, Some((6.0, 9.0)), 5.0, n), Verdict::Same);
    assert_eq!(verdict(0.0499, Some((6.0, 9.0)), 5.0, n), Verdict::Slower);
    assert_eq!(verdict(0.01, Some((5.0, 9.0)), 5.0, n), Verdict::Same);
    assert_eq!(verdict(0.01, Some((5.001, 9.0)), 5.0, n), Verdict::Slower);
    assert_eq!(verdict(0.01, Some((-9.0, -5.0)), 5.0, n), Verdict::Same);
    assert_eq!(verdict(0.01, Some((-9.0, -5.001)), 5.0, n), Verdict::Faster);
    // A CI straddling the threshold, or 0, is no verdict however small p is.
    assert_eq!(verdict(1e-9, Some((2.0, 9.0)), 5.0, n), Verdict::Same);
    assert_eq!(verdict(1e-9, Some((-3.0, 3.0)), 5.0, n), Verdict::Same);
    // A large, clear change but not significant.
    assert_eq!(verdict(0.2, Some((30.0, 40.0)), 5.0, n), Verdict::Same);
    // No interval, no verdict.
    assert_eq!(verdict(0.001, None, 5.0, n), Verdict::Same);
    // Threshold 0: any significant change whose CI excludes 0.
    assert_eq!(verdict(0.01, Some((0.1, 0.3)), 0.0, n), Verdict::Slower);
}

#[test]
fn never_a_verdict_below_four_repetitions() {
    let ci = Some((30.0, 40.0));
    assert_eq!(MIN_REPS_TO_DETECT, 4);
    assert_eq!(verdict(0.001, ci, 5.0, 3), Verdict::Same);
    assert_eq!(verdict(0.001, ci, 5.0, 4), Verdict::Slower);
    assert_eq!(RepsNote::of(3), Some(RepsNote::TooFewToDetect));
    assert_eq!(RepsNote::of(4), Some(RepsNote::TooFewForCi));
    assert_eq!(RepsNote::of(5), Some(RepsNote::TooFewForCi));
    assert_eq!(RepsNote::of(6), None);
}

#[test]
fn the_same_cpu_ms_on_two_machines_is_the_same_work() {
    let base = fixture_meta();
    let mut new = base.clone();
    // Another machine calibrates 5 ms to another iteration count: still the same work.
    new.calibration = Some(Calibration {
        iters: 3_000_000,
        ..base.calibration.unwrap()
    });
    new.machine.cpu_model = "Some Other CPU".into();
    assert!(work::differences(&base, &new).is_empty());
    let said = work::describe(&base, &new);
    let base_iters = base.calibration.unwrap().iters;
    assert!(
        said.contains(&format!(
            "{base_iters} kernel iterations (base) and 3000000 (new)"
        )),
        "{said}"
    );
    assert_eq!(
        work::machine_differences(&base, &new),
        vec!["CPU AMD EPYC vs Some Other CPU".to_string()]
    );
}

#[test]
fn another_unit_numbers_variants_or_sleep_is_other_work() {
    let base = fixture_meta();
    let differs = |change: &dyn Fn(&mut Meta)| {
        let mut new = base.clone();
        change(&mut new);
        work::differences(&base, &new)
    };
    assert_eq!(
        differs(&|m| m.parameters.cpu_ms = Some(6.0)),
        vec!["--cpu-ms 5 (base) vs --cpu-ms 6 (new)".to_string()]
    );
    assert_eq!(
        differs(&|m| {
            m.parameters.cpu_ms = None;
            m.parameters.cpu_iters = Some(2_000_000);
        }),
        vec!["--cpu-ms 5 (base) vs --cpu-iters 2000000 (new)".to_string()]
    );
    assert_eq!(
        differs(&|m| m.parameters.sleep_ms = 25.0),
        vec!["--sleep-ms 5 (base) vs 25 (new)".to_string()]
    );
    assert_eq!(
        differs(&|m| m.parameters.numbers = vec![2, 3, 8]),
        vec!["numbers 2,3,8,9 (base) vs 2,3,8 (new)".to_string()]
    );
    let only_cpu = differs(&|m| {
        m.parameters.variants = vec![Variant::Cpu];
        // The sleep unit no longer matters when only one run slept.
        m.parameters.sleep_ms = 99.0;
    });
    assert_eq!(
        only_cpu,
        vec!["variants sleep,cpu (base) vs cpu (new)".to_string()]
    );
    // The order of the variants on the command line is not the work.
    assert!(differs(&|m| m.parameters.variants.reverse()).is_empty());
}

fn row(base: f64, new: f64) -> Row {
    Row {
        key: Key {
            variant: Variant::Cpu,
            strategy: "threads".into(),
            workers: 2,
        },
        base_reps: 10,
        new_reps: 10,
        base_median_s: base,
        new_median_s: new,
        change_pct: (new / base - 1.0) * 100.0,
        change_ci_low_pct: None,
        change_ci_high_pct: None,
        p_value: 1.0,
        p_holm: 1.0,
        test: Test::Asymptotic,
        verdict: Verdict::Same,
        holm_verdict: Verdict::Same,
        base_speedup: None,
        new_speedup: None,
        speedup_change_pct: None,
        note: None,
    }
}

#[test]
fn geomean_of_ratios() {
    // Twice as slow and twice as fast cancel out.
    let g = geomean(&[row(1.0, 2.0), row(2.0, 1.0)]).unwrap();
    assert!((g.ratio - 1.0).abs() < 1e-12 && g.change_pct.abs() < 1e-9);
    let g = geomean(&[row(1.0, 1.21), row(1.0, 1.0)]).unwrap();
    assert!((g.change_pct - 10.0).abs() < 1e-9, "{g:?}");
    assert_eq!(g.rows, 2);
    assert_eq!(geomean(&[]), None);
}

fn claim(id: &str, subject: &str, verdict: &str) -> ClaimRow {
    ClaimRow::verdict_only(id, subject, verdict)
}

#[test]
fn claims_that_changed_or_are_judged_once() {
    let base = vec![
        claim("C1", "rust-threads", "HOLDS"),
        claim("C2", "cpython-threads", "HOLDS"),
        claim("C3", "rayon", "HOLDS"),
    ];
    let new = vec![
        claim("C1", "rust-threads", "HOLDS"),
        claim("C2", "cpython-threads", "INCONCLUSIVE"),
        claim("C4", "rust-processes", "HOLDS"),
    ];
    let changes = claim_changes(Some(&base), Some(&new)).unwrap();
    let change = |c: &str, s: &str, b: Option<&str>, n: Option<&str>| ClaimChange {
        claim: c.into(),
        subject: s.into(),
        base: b.map(String::from),
        new: n.map(String::from),
    };
    assert_eq!(
        changes,
        vec![
            change("C2", "cpython-threads", Some("HOLDS"), Some("INCONCLUSIVE")),
            change("C3", "rayon", Some("HOLDS"), None),
            change("C4", "rust-processes", None, Some("HOLDS")),
        ]
    );
    assert_eq!(claim_changes(Some(&base), None), None);
    assert_eq!(claim_changes(Some(&base), Some(&base)), Some(vec![]));
}
