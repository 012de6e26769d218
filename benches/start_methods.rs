//! `cargo bench --bench start_methods`: the fixed cost of each multiprocessing start method
//! (`--start-method`), side by side.
//!
//! Groups (ids are `group/METHOD`):
//! - `start_method`: py-processes with 2 workers on 2 jobs that sleep 0 s, timed by the
//!   interpreter itself (the strategy's `self_measured().wall_s`), so interpreter start-up is
//!   out and what remains is starting 2 processes, the queue round trips and joining them:
//!   the fixed cost the method adds to every call;
//! - `pool_startup`: py-pool's start-up with 2 workers (`setup_s`, the pool started and
//!   warmed before the clock), the cost paid once per pool.
//!
//! Each iteration starts a fresh interpreter (untimed), as `concbench run` does. A forkserver is
//! started before the clock, once per interpreter (see docs/methodology.md). Without a usable
//! python3 on PATH the bench says why and measures nothing.

mod support;

use std::path::Path;
use std::time::Duration;

use concbench::strategy::python::{self, StartMethod};
use concbench::strategy::{Strategy, StrategyContext, StrategyInfo};
use concbench::workload::{self, Job, WorkUnit};
use criterion::{BenchmarkGroup, Criterion, SamplingMode, criterion_group, measurement::WallTime};

const WORKERS: usize = 2;
/// A trial that takes longer has hung; these take well under a second.
const TIMEOUT: Duration = Duration::from_secs(60);

/// One figure of one trial, from what the strategy measured itself.
type Figure = fn(&mut dyn Strategy) -> Duration;

fn context(method: StartMethod) -> StrategyContext {
    let mut ctx =
        StrategyContext::with_worker_near(Path::new(env!("CARGO_BIN_EXE_concbench")), TIMEOUT);
    ctx.runtime.start_method = Some(method);
    ctx
}

/// `iters` trials of `info` under `method`, each in a fresh interpreter; the sum of `figure`
/// over them. Results are checked after each trial.
fn trials(info: &StrategyInfo, method: StartMethod, iters: u64, figure: Figure) -> Duration {
    let jobs: Vec<Job> = workload::jobs_for(&[2]);
    let unit = WorkUnit::sleep(Duration::ZERO);
    let expected = workload::reference_results(&jobs);
    let ctx = context(method);
    let mut s = (info.build)(WORKERS, &ctx).unwrap_or_else(|e| panic!("{e}"));
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        s.prepare(&jobs, unit)
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        let out = s
            .run(&jobs, unit)
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        total += figure(s.as_mut());
        s.finish().unwrap_or_else(|e| panic!("{method}: {e}"));
        assert_eq!(out.results, expected, "{}/{method}", info.name);
    }
    total
}

/// The work's wall time as the interpreter measured it.
fn work_wall(s: &mut dyn Strategy) -> Duration {
    let m = s.self_reporting().and_then(|r| r.self_measured());
    Duration::from_secs_f64(m.expect("py-processes measures its own work").wall_s)
}

/// The pool's start-up, measured before the clock.
fn pool_setup(s: &mut dyn Strategy) -> Duration {
    let m = s.self_reporting().and_then(|r| r.self_measured());
    let setup = m
        .and_then(|m| m.setup_s)
        .expect("py-pool reports its start-up");
    Duration::from_secs_f64(setup)
}

fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    // Every iteration also starts an interpreter (untimed, tens of ms): few and short samples
    // keep the whole bench under a minute.
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(50))
        .measurement_time(Duration::from_millis(200));
    g
}

fn bench_methods(c: &mut Criterion, name: &str, info: &'static StrategyInfo, figure: Figure) {
    if let Err(why) = python::interpreter(None) {
        println!("{name}: skipped, no usable python3 on PATH ({why})");
        return;
    }
    let mut g = group(c, name);
    for method in StartMethod::ALL {
        g.bench_function(method.name(), |b| {
            b.iter_custom(|iters| trials(info, method, iters, figure))
        });
    }
    g.finish();
}

fn start_method(c: &mut Criterion) {
    bench_methods(c, "start_method", &python::PROCESSES, work_wall);
}

fn pool_startup(c: &mut Criterion) {
    bench_methods(c, "pool_startup", &python::POOL, pool_setup);
}

criterion_group! {
    name = benches;
    config = Criterion::default().nresamples(10_000);
    targets = start_method, pool_startup
}

/// Replaces `criterion_main!`: the plot font first (see `support`).
fn main() {
    support::register_plot_font();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
