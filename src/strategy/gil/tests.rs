//! The gil model checked on real threads: hand-over, release on sleep, mutual exclusion, and
//! the strategy end to end.

use super::*;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

/// A holder that never lets go on its own hands the GIL to a waiting thread once the
/// waiter has waited a whole switch interval and asked; the requester gets it, not the
/// dropper.
#[test]
fn a_waiting_thread_gets_the_gil_by_forced_hand_over() {
    let interval = Duration::from_millis(5);
    let gil = Arc::new(Gil::new(interval));
    gil.take(0);
    let got_it = Arc::new(AtomicBool::new(false));
    let waited = std::thread::scope(|s| {
        let waiter = s.spawn({
            let (gil, got_it) = (gil.clone(), got_it.clone());
            move || {
                let t = Instant::now();
                gil.take(1);
                let waited = t.elapsed();
                assert_eq!(gil.holder(), Some(1), "the requester holds it");
                got_it.store(true, SeqCst);
                gil.release(1, false);
                waited
            }
        });
        // Thread 0 burns "forever" (until the waiter has had its turn, or a generous
        // guard), checking the request between slices as a CPU-bound job does.
        let guard = Instant::now();
        while !got_it.load(SeqCst) && guard.elapsed() < Duration::from_secs(20) {
            black_box(burn(SLICE_ITERS));
            gil.check(0);
        }
        waiter.join().unwrap()
    });
    assert!(got_it.load(SeqCst), "the waiter never got the GIL");
    assert!(
        waited >= interval,
        "asked before a whole interval: {waited:?}"
    );
    let st = gil.stats();
    assert!(st.drop_requests >= 1, "{st:?}");
    assert!(st.forced_switches >= 1, "{st:?}");
    gil.release(0, false);
}

/// Releasing to sleep lets a waiter in at once, without any drop request.
#[test]
fn sleeping_releases_the_gil_without_a_request() {
    // A long interval: the waiter must get the GIL through the release, not a request.
    let gil = Arc::new(Gil::new(Duration::from_secs(30)));
    gil.take(0);
    std::thread::scope(|s| {
        let waiter = s.spawn({
            let gil = gil.clone();
            move || {
                gil.take(1);
                gil.release(1, false);
            }
        });
        std::thread::sleep(Duration::from_millis(2));
        gil.release(0, false); // "time.sleep"
        waiter.join().unwrap();
        gil.take(0);
        gil.release(0, false);
    });
    assert_eq!(gil.stats().drop_requests, 0);
    assert_eq!(gil.stats().forced_switches, 0);
    assert_eq!(gil.stats().acquisitions, 3);
}

/// A forced release with nobody waiting returns at once.
#[test]
fn forced_release_without_waiters_does_not_block() {
    let gil = Gil::new(Duration::from_millis(5));
    gil.take(0);
    gil.release(0, true);
    assert_eq!(gil.holder(), None);
    assert!(!gil.check(0), "no request, no switch");
}

/// Never two holders: every thread counts itself in while it holds the GIL.
#[test]
fn at_most_one_thread_computes_at_a_time() {
    let gil = Gil::new(Duration::from_millis(1));
    let inside = AtomicI64::new(0);
    let max_inside = AtomicI64::new(0);
    std::thread::scope(|s| {
        for me in 0..3 {
            let (gil, inside, max_inside) = (&gil, &inside, &max_inside);
            s.spawn(move || {
                gil.take(me);
                for _ in 0..200 {
                    let n = inside.fetch_add(1, SeqCst) + 1;
                    max_inside.fetch_max(n, SeqCst);
                    black_box(burn(SLICE_ITERS / 4));
                    inside.fetch_sub(1, SeqCst);
                    // Dropping the GIL happens outside the counted region.
                    if gil.drop_requested() {
                        gil.release(me, true);
                        gil.take(me);
                    }
                }
                gil.release(me, false);
            });
        }
    });
    assert_eq!(max_inside.load(SeqCst), 1);
}

#[test]
fn the_strategy_returns_the_reference_and_switches_on_cpu_work() {
    use crate::workload::{jobs_for, reference_results};
    let jobs = jobs_for(&[2, 3, 8, 9]);
    let mut g = GilThreads::new(2, Duration::from_millis(1));
    let out = g
        .run(&jobs, WorkUnit::sleep(Duration::from_micros(200)))
        .unwrap();
    assert_eq!(out.results, reference_results(&jobs));
    // Each thread takes the GIL once to start and once after each of its sleeps.
    let st = g.last_stats();
    assert_eq!(st.acquisitions, 2 + jobs.len() as u64, "{st:?}");
    // CPU jobs of several switch intervals each: the waiting thread must ask, and the holder
    // must hand the GIL over (a model that never switched would run one thread to the end).
    let iters = 4 * crate::workload::measure_kernel_rate().0 as u64; // about 4 ms per job
    let out = g.run(&jobs, WorkUnit::cpu(iters)).unwrap();
    assert_eq!(out.results, reference_results(&jobs));
    let st = g.last_stats();
    assert!(st.drop_requests >= 1 && st.forced_switches >= 1, "{st:?}");
    assert!(st.acquisitions >= 2 + st.forced_switches, "{st:?}");
}
