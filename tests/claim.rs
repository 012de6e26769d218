//! `concbench claim`: the verdict rule, the bootstrap, the gil model's hand-over, the claim
//! table's structure, `--expect`, and the CPython strategies' clean skip. No speed targets:
//! every assertion holds on a loaded machine (tiny units, structure and correctness only).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use concbench::claim::{self, Direction, SPEED_CLAIMS, THRESHOLD, Verdict, judge};
use concbench::records::{ClaimRow, SummaryRow};
use concbench::stats::{BootstrapSettings, bootstrap_speedup_ci};
use concbench::strategy::gil::{Gil, SLICE_ITERS};
use concbench::workload::{Variant, burn};

mod python3;

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_concbench")
}

fn concbench(args: &[&str]) -> Output {
    Command::new(exe())
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(args)
        .output()
        .expect("run concbench")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "concbench-claim-test-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn claims(dir: &Path) -> Vec<ClaimRow> {
    concbench::records::read_csv(&dir.join("claims.csv")).unwrap()
}

const VERDICTS: [&str; 3] = ["HOLDS", "DOES NOT HOLD", "INCONCLUSIVE"];

#[test]
fn the_verdict_rule_at_its_edges() {
    let t = THRESHOLD;
    assert_eq!(t, 1.10);
    assert_eq!(judge(Direction::SpeedsUp, (1.101, 2.0), t), Verdict::Holds);
    assert_eq!(
        judge(Direction::SpeedsUp, (0.9, 1.099), t),
        Verdict::DoesNotHold
    );
    assert_eq!(
        judge(Direction::SpeedsUp, (1.099, 1.101), t),
        Verdict::Inconclusive
    );
    assert_eq!(
        judge(Direction::DoesNotSpeedUp, (0.9, 1.099), t),
        Verdict::Holds
    );
    assert_eq!(
        judge(Direction::DoesNotSpeedUp, (1.101, 2.0), t),
        Verdict::DoesNotHold
    );
    assert_eq!(
        judge(Direction::DoesNotSpeedUp, (1.099, 1.101), t),
        Verdict::Inconclusive
    );
}

#[test]
fn the_bootstrap_on_known_samples() {
    let s = BootstrapSettings::default();
    assert_eq!(s.confidence, 0.95);
    // Constant arms: the ratio is exact.
    assert_eq!(
        bootstrap_speedup_ci(&[0.2; 10], &[0.1; 10], &s, 1),
        Some((2.0, 2.0))
    );
    // Baseline {1, 3}: resampled medians are 1, 2 or 3 with p = 1/4, 1/2, 1/4.
    assert_eq!(
        bootstrap_speedup_ci(&[1.0, 3.0], &[1.0], &s, 9),
        Some((1.0, 3.0))
    );
}

#[test]
fn the_gil_is_handed_to_the_thread_that_asked() {
    let interval = Duration::from_millis(2);
    let gil = Arc::new(Gil::new(interval));
    gil.take(0);
    let served = Arc::new(AtomicBool::new(false));
    std::thread::scope(|s| {
        let waiter = s.spawn({
            let (gil, served) = (gil.clone(), served.clone());
            move || {
                let t = Instant::now();
                gil.take(1);
                assert_eq!(gil.holder(), Some(1));
                served.store(true, Ordering::SeqCst);
                gil.release(1, false);
                t.elapsed()
            }
        });
        let guard = Instant::now();
        while !served.load(Ordering::SeqCst) && guard.elapsed() < Duration::from_secs(20) {
            std::hint::black_box(burn(SLICE_ITERS));
            gil.check(0);
        }
        assert!(waiter.join().unwrap() >= interval);
    });
    assert!(served.load(Ordering::SeqCst));
    assert!(gil.stats().forced_switches >= 1);
}

fn summary_row(
    variant: Variant,
    strategy: &str,
    workers: usize,
    ci: Option<(f64, f64)>,
) -> SummaryRow {
    SummaryRow {
        variant,
        strategy: strategy.into(),
        workers,
        items: 4,
        unit_ms: 25.0,
        reps: 10,
        wall_median_s: 0.1,
        wall_min_s: 0.1,
        wall_max_s: 0.1,
        wall_p25_s: 0.1,
        wall_p75_s: 0.1,
        wall_mean_s: 0.1,
        wall_stddev_s: 0.0,
        wall_outliers: 0,
        cpu_total_median_s: 0.1,
        cores_busy_median: 1.0,
        speedup: Some(ci.map_or(1.0, |c| (c.0 + c.1) / 2.0)),
        efficiency: None,
        speedup_ci_low: ci.map(|c| c.0),
        speedup_ci_high: ci.map(|c| c.1),
        all_correct: true,
        ceiling_speedup: None,
        efficiency_vs_ceiling: None,
        mem_peak_bytes: None,
        mem_per_worker_bytes: None,
        server_cpu_median_s: None,
    }
}

#[test]
fn speed_rows_carry_the_interval_and_follow_the_rule() {
    let summary = vec![
        summary_row(Variant::Cpu, "sequential", 1, None),
        summary_row(Variant::Cpu, "threads", 2, Some((1.8, 2.0))),
        summary_row(Variant::Cpu, "gil", 2, Some((0.95, 1.02))),
        summary_row(Variant::Cpu, "rayon", 2, Some((1.05, 1.3))),
    ];
    let spec = |subject: &str| {
        SPEED_CLAIMS
            .iter()
            .find(|c| c.claim == "C2" && c.subject == subject)
            .unwrap()
    };
    let threads = claim::judge_speed(spec("rust-threads"), &summary, 2, "").unwrap();
    assert_eq!(threads.verdict, "DOES NOT HOLD");
    assert!(
        threads.evidence.contains("95% bootstrap CI [1.80, 2.00]"),
        "{}",
        threads.evidence
    );
    assert_eq!(threads.interval_kind, "bootstrap");
    assert_eq!(threads.level_achieved, Some(0.95));
    assert_eq!(
        claim::judge_speed(spec("gil"), &summary, 2, "")
            .unwrap()
            .verdict,
        "HOLDS"
    );
    assert_eq!(
        claim::judge_speed(spec("rayon"), &summary, 2, "")
            .unwrap()
            .verdict,
        "INCONCLUSIVE"
    );
    // One core: CPU-bound claims cannot be decided.
    let one = claim::judge_speed(spec("rust-threads"), &summary, 1, "").unwrap();
    assert_eq!(one.verdict, "INCONCLUSIVE");
    assert!(one.reason.contains("1 core"), "{}", one.reason);
    // No data, no row.
    assert!(claim::judge_speed(spec("cpython-threads"), &summary, 2, "").is_none());
    // The native-kernel subject judges py-threads+native only: a run that measured the
    // bytecode kernel alone has no row for it (it once borrowed py-threads' evidence).
    let mut py = vec![
        summary_row(Variant::Cpu, "py-sequential", 1, None),
        summary_row(Variant::Cpu, "py-threads", 2, Some((0.9, 1.05))),
    ];
    let native = spec("cpython-threads-native");
    assert!(claim::judge_speed(native, &py, 2, "").is_none());
    py.push(summary_row(Variant::Cpu, "py-sequential+native", 1, None));
    py.push(summary_row(
        Variant::Cpu,
        "py-threads+native",
        2,
        Some((1.8, 1.95)),
    ));
    let row = claim::judge_speed(native, &py, 2, "").unwrap();
    assert_eq!(row.verdict, "DOES NOT HOLD");
    assert!(
        row.evidence.contains("py-threads+native"),
        "{}",
        row.evidence
    );
    assert_eq!(
        claim::judge_speed(spec("cpython-threads"), &py, 2, "")
            .unwrap()
            .verdict,
        "HOLDS"
    );
    // A zero median: no interval, and the row says so instead of disappearing.
    let mut zero = summary.clone();
    zero[1].speedup = None;
    zero[1].speedup_ci_low = None;
    zero[1].speedup_ci_high = None;
    zero[1].wall_median_s = 0.0;
    let row = claim::judge_speed(spec("rust-threads"), &zero, 2, "").unwrap();
    assert_eq!(row.verdict, "INCONCLUSIVE");
    assert!(row.reason.contains("no interval"), "{}", row.reason);
}

#[test]
fn run_verdicts_need_6_repetitions() {
    let spec = SPEED_CLAIMS
        .iter()
        .find(|c| c.claim == "C2" && c.subject == "rust-threads")
        .unwrap();
    let with_reps = |reps: usize| {
        let mut summary = vec![
            summary_row(Variant::Cpu, "sequential", 1, None),
            summary_row(Variant::Cpu, "threads", 2, Some((1.96, 2.0))),
        ];
        summary.iter_mut().for_each(|r| r.reps = reps);
        claim::judge_speed(spec, &summary, 2, "").unwrap()
    };
    // `--reps 3`: an interval from 3 trials would decide, wrongly trusted; none is used.
    for reps in [1, 3, 5] {
        let row = with_reps(reps);
        assert_eq!(row.verdict, "INCONCLUSIVE", "{reps} reps");
        assert!(
            row.reason.contains("too few repetitions (n < 6)"),
            "{}",
            row.reason
        );
        assert!(!row.evidence.contains("CI"), "{}", row.evidence);
        assert_eq!((row.level_achieved, row.interval_kind.as_str()), (None, ""));
    }
    // `--reps 6`: decided as before.
    let row = with_reps(6);
    assert_eq!(row.verdict, "DOES NOT HOLD", "{}", row.reason);
    assert_eq!(row.interval_kind, "bootstrap");
}

#[test]
fn the_claim_table_covers_every_claim_and_subject() {
    let out = tmp("table");
    let o = concbench(&[
        "claim",
        "--sleep-ms",
        "2",
        "--cpu-ms",
        "2",
        "--min-reps",
        "6",
        "--max-reps",
        "6",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let header = std::fs::read_to_string(out.join("claims.csv")).unwrap();
    assert_eq!(
        header.lines().next().unwrap(),
        "claim,statement,subject,evidence,verdict,reason,level_achieved,interval_kind"
    );
    let rows = claims(&out);
    let pairs: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.claim.clone(), r.subject.clone()))
        .collect();
    let expected: Vec<(String, String)> = claim::all_subjects()
        .iter()
        .map(|(c, s)| (c.to_string(), s.to_string()))
        .collect();
    for e in &expected {
        assert!(pairs.contains(e), "no row for {e:?}");
    }
    assert_eq!(rows.len(), expected.len());
    for r in &rows {
        assert!(VERDICTS.contains(&r.verdict.as_str()), "{r:?}");
        assert!(
            !r.statement.is_empty() && !r.evidence.is_empty() && !r.reason.is_empty(),
            "{r:?}"
        );
        assert!(stdout.contains(&r.subject));
    }
    // Speed rows state the interval (6 paired rounds and one final look: a 95 % interval,
    // [min, max] of the per-round speedups), the rounds and the cores.
    for r in rows
        .iter()
        .filter(|r| ["C1", "C2", "C3"].contains(&r.claim.as_str()))
    {
        if r.evidence != "not measured" {
            assert!(
                r.evidence.contains("95% order-statistic CI [")
                    && r.evidence.contains("final look")
                    && r.evidence.contains("6 paired rounds")
                    && r.evidence.contains("cores"),
                "{r:?}"
            );
            // [min, max] of 6 covers 1 - 2/64 = 96.875 %, whatever 95 % was asked.
            assert_eq!(r.interval_kind, "order-statistic", "{r:?}");
            let achieved = r.level_achieved.unwrap_or(0.0);
            assert!((achieved - 0.96875).abs() < 1e-9, "{r:?}");
        }
    }
    // The demonstrations are behaviour, not speed: their verdicts are fixed.
    let verdict = |c: &str, s: &str| {
        rows.iter()
            .find(|r| r.claim == c && r.subject == s)
            .unwrap()
            .verdict
            .clone()
    };
    assert_eq!(verdict("C4", "rust-processes"), "HOLDS");
    assert_eq!(verdict("C5", "rust-processes"), "HOLDS");
    assert_eq!(verdict("C5", "rust-threads"), "DOES NOT HOLD");
    // And in numbers: what isolation costs per worker, and the leak's peak beside the parent's.
    let evidence = |c: &str, s: &str| {
        rows.iter()
            .find(|r| r.claim == c && r.subject == s)
            .unwrap()
            .evidence
            .clone()
    };
    let c4 = evidence("C4", "rust-processes");
    let (per_process, per_thread) = (
        mib_after(&c4, "costs in memory: "),
        mib_after(&c4, "per worker process against "),
    );
    // A worker process has its own pages and page tables (about 0.5 MiB here), a thread a
    // few KiB of stack: an order of magnitude apart.
    assert!(
        per_process >= 0.25 && per_process > 4.0 * per_thread,
        "{c4}"
    );
    let c5 = evidence("C5", "rust-processes");
    assert!(mib_after(&c5, "the leaking child's peak ") >= 57.6, "{c5}");
    assert!(
        mib_after(&c5, "concbench's own peak growth ") < 16.0,
        "{c5}"
    );
    let python = python3::usable("the CPython verdicts and meta.json's python section");
    if python {
        assert_eq!(verdict("C4", "cpython-multiprocessing"), "HOLDS");
        assert_eq!(verdict("C5", "cpython-multiprocessing"), "HOLDS");
        assert_eq!(verdict("C5", "cpython-threads"), "DOES NOT HOLD");
        let c4 = evidence("C4", "cpython-multiprocessing");
        let per_process = mib_after(&c4, "costs in memory: ");
        assert!(per_process > 1.0, "{c4}");
        assert!(per_process > mib_after(&c4, "(fork) against "), "{c4}");
        let c5 = evidence("C5", "cpython-multiprocessing");
        assert!(mib_after(&c5, "the leaking child's peak ") >= 57.6, "{c5}");
        assert!(
            mib_after(&c5, "the parent's own peak growth ") < 16.0,
            "{c5}"
        );
    }
    // The numbers behind them, with every speedup's interval, and the seeds.
    let summary: Vec<SummaryRow> = concbench::records::read_csv(&out.join("summary.csv")).unwrap();
    for s in summary
        .iter()
        .filter(|s| concbench::strategy::baseline_of(&s.strategy) != s.strategy)
    {
        let (lo, hi) = (s.speedup_ci_low.unwrap(), s.speedup_ci_high.unwrap());
        assert!(
            lo <= s.speedup.unwrap() && s.speedup.unwrap() <= hi,
            "{s:?}"
        );
        assert!(s.all_correct && s.reps >= 6);
    }
    let meta = concbench::records::read_meta(&out.join("meta.json")).unwrap();
    assert!(meta.bootstrap.is_some());
    let c = meta.claims.unwrap();
    assert_eq!((c.threshold, c.min_reps, c.max_reps), (1.10, 6, 6));
    if python {
        let p = meta.python.unwrap();
        assert!(p.version.starts_with('3'));
        assert!(p.gil_on() || p.gil_enabled == Some(false));
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn expectations_set_the_exit_status() {
    let out = tmp("expect");
    let dir = out.to_str().unwrap();
    let base = [
        "claim",
        "--claims",
        "C4",
        "--python",
        "/nonexistent/python3",
        "--quiet",
        "--out",
        dir,
    ];
    let ok = concbench(&[&base[..], &["--expect", "C4:rust-processes=HOLDS"]].concat());
    assert!(ok.status.success(), "{}", stderr(&ok));
    let bad = concbench(&[&base[..], &["--expect", "C4:rust-processes=DOES_NOT_HOLD"]].concat());
    assert_eq!(bad.status.code(), Some(3));
    assert!(
        stderr(&bad).contains("expected C4:rust-processes to be DOES NOT HOLD, got HOLDS"),
        "{}",
        stderr(&bad)
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn python_strategies_skip_cleanly_without_an_interpreter() {
    let out = tmp("nopython");
    let o = concbench(&[
        "run",
        "--python",
        "/nonexistent/python3",
        "--variant",
        "sleep",
        "--sleep-ms",
        "1",
        "--reps",
        "1",
        "--warmup",
        "0",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let notice: Vec<String> = stderr(&o)
        .lines()
        .filter(|l| l.contains("skipping"))
        .map(String::from)
        .collect();
    assert_eq!(notice.len(), 1, "{}", stderr(&o));
    assert!(
        notice[0].contains("py-sequential, py-threads, py-processes")
            && notice[0].contains("not found")
    );
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(!runs.contains("py-"), "{runs}");
    assert!(runs.contains("gil"));
    // The claims say what was not checked, instead of failing.
    let o = concbench(&[
        "claim",
        "--claims",
        "C1",
        "--python",
        "/nonexistent/python3",
        "--sleep-ms",
        "1",
        "--min-reps",
        "6",
        "--max-reps",
        "6",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = claims(&out);
    let py = rows
        .iter()
        .find(|r| r.subject == "cpython-threads")
        .unwrap();
    assert_eq!(py.verdict, "INCONCLUSIVE");
    assert!(py.reason.starts_with("not checked"), "{}", py.reason);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_flag_values_are_one_line_errors() {
    for args in [
        vec!["claim", "--expect", "C9:gil=HOLDS"],
        vec!["claim", "--expect", "C2:rust-threads=MAYBE"],
        vec!["claim", "--claims", "C7"],
        vec!["claim", "--min-reps", "3"],
        vec!["claim", "--min-reps", "10", "--max-reps", "8"],
        vec!["claim", "--switch-interval-ms", "0"],
        vec!["run", "--switch-interval-ms", "x"],
    ] {
        let o = concbench(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert_eq!(
            stderr(&o).trim().lines().count(),
            1,
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"));
    }
}

/// The figure after `prefix` in `text`, "1.5 MiB" or "24.0 KiB", in MiB.
fn mib_after(text: &str, prefix: &str) -> f64 {
    let rest = &text[text
        .find(prefix)
        .unwrap_or_else(|| panic!("no '{prefix}' in {text}"))
        + prefix.len()..];
    let mut words = rest.split_whitespace();
    let value: f64 = words.next().unwrap().parse().unwrap();
    match words.next().unwrap().trim_end_matches([',', '.', ';']) {
        "MiB" => value,
        "KiB" => value / 1024.0,
        unit => panic!("unit {unit} in {text}"),
    }
}
