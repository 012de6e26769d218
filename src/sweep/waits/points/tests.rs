use super::*;
use crate::workload::Variant;

/// A wait-sweep point: `over` = wall ÷ ideal, `mem` = bytes per waiter.
fn pt(strategy: &str, waiters: usize, over: f64, mem: Option<f64>) -> SweepRow {
    SweepRow {
        variant: Variant::Sleep,
        strategy: strategy.into(),
        workers: waiters,
        unit_ms: 100.0,
        chunk: None,
        reps: 3,
        wall_median_s: over * 0.1,
        wall_p25_s: over * 0.1,
        wall_p75_s: over * 0.1,
        cores_busy_median: 0.1,
        speedup: None,
        speedup_ci_low: None,
        speedup_ci_high: None,
        efficiency: None,
        karp_flatt: None,
        amdahl_speedup: None,
        usl_speedup: None,
        all_correct: true,
        waiters: Some(waiters),
        wall_over_ideal: Some(over),
        cpu_per_waiter_ms: Some(0.01),
        mem_per_waiter_bytes: mem,
    }
}

#[test]
fn behind_on_time_from_the_first_count_more_than_ten_percent_slower() {
    let async_ = [
        pt("async", 10, 1.00, None),
        pt("async", 100, 1.00, None),
        pt("async", 1000, 1.01, None),
    ];
    // 9 % slower at 100 is not behind; 12 % at 1000 is.
    let threads = [
        pt("threads", 10, 1.0, None),
        pt("threads", 100, 1.09, None),
        pt("threads", 1000, 1.132, None),
    ];
    let (a, t): (Vec<&SweepRow>, Vec<&SweepRow>) =
        (async_.iter().collect(), threads.iter().collect());
    assert_eq!(
        falls_behind(&t, &a),
        Behind::At {
            waiters: 1000,
            wall: true,
            memory: false
        }
    );
    // As fast as the reference everywhere: not behind up to the largest common count.
    assert_eq!(falls_behind(&a, &a), Behind::NotUpTo(1000));
    assert_eq!(falls_behind(&t, &[]), Behind::NoCommonCount);
}

#[test]
fn behind_on_memory_at_four_times_the_reference_once_the_peak_is_a_mebibyte() {
    let a = [
        pt("async", 100, 1.0, Some(500.0)),
        pt("async", 1000, 1.0, Some(500.0)),
    ];
    // 10 KB per waiter: 20× async's, but at 100 waiters only 1 MB in all (below the floor).
    let t = [
        pt("threads", 100, 1.0, Some(10_000.0)),
        pt("threads", 1000, 1.0, Some(10_000.0)),
    ];
    let (a, t): (Vec<&SweepRow>, Vec<&SweepRow>) = (a.iter().collect(), t.iter().collect());
    assert_eq!(
        falls_behind(&t, &a),
        Behind::At {
            waiters: 1000,
            wall: false,
            memory: true
        }
    );
    // 3.9× is not behind.
    let close = [pt("threads", 1000, 1.0, Some(1950.0))];
    let close: Vec<&SweepRow> = close.iter().collect();
    assert_eq!(falls_behind(&close, &a), Behind::NotUpTo(1000));
}

#[test]
fn references_are_async_and_py_asyncio_or_the_best_present() {
    let points = vec![
        pt("threads", 10, 1.2, None),
        pt("threads", 10000, 1.6, None),
        pt("py-threads", 10, 1.3, None),
        pt("py-threads", 10000, 2.6, None),
        pt("processes", 10, 1.1, None),
    ];
    let present: Vec<String> = ["threads", "py-threads", "processes"]
        .map(String::from)
        .to_vec();
    // Without async: the strategy measured at the most waiters, the faster one there.
    assert_eq!(best_present(&present, &points).as_deref(), Some("threads"));
    assert_eq!(references_for("py-threads", &present, &points), ["threads"]);
    assert!(references_for("threads", &present, &points).is_empty());
    let mut with_async = present.clone();
    with_async.extend(["async".to_string(), "py-asyncio".to_string()]);
    assert_eq!(references_for("threads", &with_async, &points), ["async"]);
    assert_eq!(
        references_for("py-threads", &with_async, &points),
        ["async", "py-asyncio"]
    );
    assert_eq!(
        references_for("py-asyncio", &with_async, &points),
        ["async"]
    );
    assert!(references_for("async", &with_async, &points).is_empty());
}
