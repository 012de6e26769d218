//! `cargo bench`: criterion benchmarks of concbench's strategies, run through the library.
//!
//! Groups (ids are `group/strategy/workers`, or `group/sequential`):
//! - `sleep_bound`: the tutorial's 8 jobs (square and cube of 2, 3, 8, 9), each sleeping
//!   [`SLEEP`];
//! - `cpu_bound`: the same jobs, each burning [`CPU_ITERS`] kernel iterations (about 2.3 ms
//!   on the reference 2-core machine);
//! - `overhead`: one job of zero work (`WorkUnit::cpu(0)`), so what is left is each
//!   strategy's fixed cost per run: spawning and joining threads, dispatching into an already
//!   built rayon pool, spawning worker processes, one round trip over their pipes and reaping
//!   them; and `overhead/spawn_floor`, spawning and waiting for `/bin/true`, the floor under
//!   any process;
//! - `chunking`: 2,000 jobs of zero work on 2 worker processes, one job per message against
//!   `--chunk auto` (Pool.map's rule).
//!
//! Strategies are looked up in `concbench::strategy::REGISTRY` (by name, see [`STRATEGIES`])
//! and built outside the timed region (a rayon pool is built once per benchmark). Only
//! `Strategy::run` is timed; its results are checked against the reference after the clock
//! stops. Processes run the real binary (`env!("CARGO_BIN_EXE_concbench")`).
//!
//! Sizes keep a full `cargo bench` to about a minute on 2 cores and `cargo bench -- --quick`
//! to about 20 s; `cargo test --benches` runs every benchmark once as a smoke test.

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use concbench::measure::machine::available_parallelism;
use concbench::strategy::processes::Chunk;
use concbench::strategy::{self, Strategy, StrategyContext, StrategyInfo};
use concbench::workload::{self, Job, Task, WorkUnit};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, criterion_group};

/// The tutorial's list: 2 tasks x 4 numbers = 8 jobs.
const NUMBERS: [i64; 4] = [2, 3, 8, 9];
/// One sleep-bound unit of work. Short enough to keep runs quick; long enough that the fixed
/// costs of a run (about 0.1 ms to start and join 2 threads, see `overhead`) and sleep
/// overshoot (about 0.1 ms per sleep) stay near 1 % of a 2-worker run (16 ms).
const SLEEP: Duration = Duration::from_millis(4);
/// One CPU-bound unit of work, in kernel iterations: about 2.3 ms of one core on the reference
/// machine (440k iterations per ms), so a 2-worker run lasts about 9 ms and its fixed costs
/// stay near 1 %. A fixed count rather than a calibration, so saved baselines stay comparable.
const CPU_ITERS: u64 = 1_000_000;
/// The strategies benchmarked, looked up in `concbench::strategy::REGISTRY` by name (a
/// renamed one fails the smoke test): concbench's in-process and process strategies. The
/// list is explicit so that a strategy added to the registry does not silently lengthen
/// `cargo bench` (each one adds about 8 benchmarks, some 15 s).
const STRATEGIES: [&str; 4] = ["sequential", "threads", "rayon", "processes"];
/// A run that takes longer has hung (processes only); runs here take milliseconds.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The worker counts of the matrix: 1, 2, the available parallelism and twice that, deduped.
fn matrix_workers() -> Vec<usize> {
    let p = available_parallelism();
    dedup(vec![1, 2, p, 2 * p])
}

/// The worker counts of the overhead group: one worker, and one per core.
fn overhead_workers() -> Vec<usize> {
    dedup(vec![1, available_parallelism()])
}

fn dedup(mut v: Vec<usize>) -> Vec<usize> {
    v.sort_unstable();
    v.dedup();
    v
}

/// What the processes strategy needs: the package's own binaries, built by cargo for benches
/// (`concbench-worker` beside `concbench`).
fn context() -> StrategyContext {
    StrategyContext::with_worker_near(
        std::path::Path::new(env!("CARGO_BIN_EXE_concbench")),
        TIMEOUT,
    )
}

/// Every (strategy, workers) configuration; strategies that ignore workers (sequential)
/// appear once.
fn configurations(workers: &[usize]) -> Vec<(&'static StrategyInfo, usize)> {
    STRATEGIES
        .iter()
        .map(|name| strategy::find(name).unwrap_or_else(|e| panic!("{e}")))
        .flat_map(|info| {
            let counts = if info.uses_workers {
                workers.to_vec()
            } else {
                vec![1]
            };
            counts.into_iter().map(move |w| (info, w))
        })
        .collect()
}

/// `group/sequential` for strategies without workers, `group/threads/2` for the others.
fn bench_id(info: &StrategyInfo, workers: usize) -> BenchmarkId {
    if info.uses_workers {
        BenchmarkId::new(info.name, workers)
    } else {
        BenchmarkId::from_parameter(info.name)
    }
}

/// The jobs, their unit of work and the results every run must return.
struct Work {
    jobs: Vec<Job>,
    unit: WorkUnit,
    expected: Vec<i128>,
}

impl Work {
    fn new(jobs: Vec<Job>, unit: WorkUnit) -> Self {
        let expected = workload::reference_results(&jobs);
        Work {
            jobs,
            unit,
            expected,
        }
    }

    /// Run once (outside any timed region) and check the results; returns the output's
    /// child pids, which tell process-based strategies apart.
    fn probe(&self, s: &mut dyn Strategy) -> usize {
        let out = s
            .run(&self.jobs, self.unit)
            .unwrap_or_else(|e| panic!("{}/{} failed: {e}", s.name(), s.workers()));
        assert_eq!(out.results, self.expected, "{}/{}", s.name(), s.workers());
        out.child_pids.len()
    }

    /// `iters` runs; only `Strategy::run` is inside the clock (`prepare` and `finish`, as in
    /// `concbench run`, are outside). Results are checked, and dropped, after it stops.
    fn time(&self, s: &mut dyn Strategy, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let fail = |s: &dyn Strategy, e: concbench::Error| -> ! {
            panic!("{}/{} failed: {e}", s.name(), s.workers())
        };
        for _ in 0..iters {
            if let Err(e) = s.prepare(&self.jobs, self.unit) {
                fail(s, e)
            }
            let started = Instant::now();
            let out = s.run(black_box(&self.jobs), black_box(self.unit));
            total += started.elapsed();
            if let Err(e) = s.finish() {
                fail(s, e)
            }
            let out = out.unwrap_or_else(|e| fail(s, e));
            assert_eq!(out.results, self.expected, "{}/{}", s.name(), s.workers());
        }
        total
    }
}

/// Build one configuration, check it works, and benchmark it in `g`.
fn bench_configuration(
    g: &mut BenchmarkGroup<'_, WallTime>,
    info: &StrategyInfo,
    workers: usize,
    ctx: &StrategyContext,
    work: &Work,
    mode: impl Fn(bool) -> SamplingMode,
) {
    // Built here, outside the timed region: a rayon pool exists before the clock starts.
    let mut s = (info.build)(workers, ctx)
        .unwrap_or_else(|e| panic!("cannot build {}/{workers}: {e}", info.name));
    let spawns_processes = work.probe(s.as_mut()) > 0;
    g.sampling_mode(mode(spawns_processes));
    g.bench_function(bench_id(info, workers), |b| {
        b.iter_custom(|iters| work.time(s.as_mut(), iters))
    });
}

/// `sleep_bound` or `cpu_bound`: the tutorial's jobs under every configuration. Every routine
/// here takes milliseconds, so sampling is flat (the same iteration count in every sample).
fn matrix(c: &mut Criterion, group: &str, unit: WorkUnit) {
    let ctx = context();
    let work = Work::new(workload::jobs_for(&NUMBERS), unit);
    let mut g = c.benchmark_group(group);
    for (info, workers) in configurations(&matrix_workers()) {
        bench_configuration(&mut g, info, workers, &ctx, &work, |_| SamplingMode::Flat);
    }
    g.finish();
}

fn sleep_bound(c: &mut Criterion) {
    matrix(c, "sleep_bound", WorkUnit::sleep(SLEEP));
}

fn cpu_bound(c: &mut Criterion) {
    matrix(c, "cpu_bound", WorkUnit::cpu(CPU_ITERS));
}

/// `overhead`: a single job of zero work, so each figure is the strategy's fixed cost per
/// run. In-process strategies take microseconds (linear sampling, criterion's slope);
/// process-based ones take milliseconds (flat sampling).
fn overhead(c: &mut Criterion) {
    let ctx = context();
    let job = Job {
        task: Task::Square,
        number: 2,
    };
    let work = Work::new(vec![job], WorkUnit::cpu(0));
    let mut g = c.benchmark_group("overhead");
    for (info, workers) in configurations(&overhead_workers()) {
        bench_configuration(&mut g, info, workers, &ctx, &work, |slow| {
            if slow {
                SamplingMode::Flat
            } else {
                SamplingMode::Linear
            }
        });
    }
    // The floor under every process-based figure: spawning and waiting for the smallest
    // program there is, measured in the same run so `processes/1` can be read against it.
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("spawn_floor", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                let status = std::process::Command::new(SPAWN_FLOOR)
                    .status()
                    .unwrap_or_else(|e| panic!("cannot start {SPAWN_FLOOR}: {e}"));
                assert!(status.success());
            }
            started.elapsed()
        })
    });
    g.finish();
}

/// The minimal program of `overhead/spawn_floor`.
const SPAWN_FLOOR: &str = "/bin/true";

/// `chunking`: 2,000 jobs of zero work on two worker processes, one job per message against
/// Pool.map's chunk rule (`--chunk auto`): what the pipe round trips cost, and what chunking
/// saves.
fn chunking(c: &mut Criterion) {
    let work = Work::new(
        workload::jobs_for(&(1..=1000).collect::<Vec<i64>>()),
        WorkUnit::cpu(0),
    );
    let mut g = c.benchmark_group("chunking");
    g.sampling_mode(SamplingMode::Flat);
    let processes = strategy::find("processes").unwrap_or_else(|e| panic!("{e}"));
    for chunk in [Chunk::Fixed(1), Chunk::Auto] {
        let mut ctx = context();
        ctx.chunk = chunk;
        let mut s = (processes.build)(2, &ctx).unwrap_or_else(|e| panic!("{e}"));
        work.probe(s.as_mut());
        g.bench_function(BenchmarkId::new("processes/2", chunk.to_string()), |b| {
            b.iter_custom(|iters| work.time(s.as_mut(), iters))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    // Short on purpose (the defaults, 100 samples after 3 s of warm-up and 5 s of
    // measurement, would take several minutes). Set here rather than on the groups so that
    // `--sample-size`, `--warm-up-time` and `--measurement-time` on the command line still
    // override them.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        // Criterion's default of 100 000 bootstrap resamples makes its plots cost 2-6 s per
        // benchmark here (a kernel density over every resample, for every estimate); 10 000 is
        // plenty for 95 % intervals from 20 samples and keeps the plots under 1 s.
        .nresamples(10_000);
    targets = overhead, sleep_bound, cpu_bound, chunking
}

/// Replaces `criterion_main!`: the plot font first (see `support`).
fn main() {
    support::register_plot_font();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
