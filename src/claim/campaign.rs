//! The measurements behind the speed claims (C1-C3), with adaptive repetitions.
//!
//! Every configuration a claim needs (its strategy and that strategy's sequential baseline, in
//! the claim's variant) runs once as warm-up, then `min_reps` interleaved rounds in a seeded
//! shuffled order (configurations compared with each other run back to back). After that, every `step` rounds the 95 % bootstrap intervals are computed;
//! only the configurations of claims whose interval still contains the threshold keep
//! running, until every claim is decided or `max_reps` is reached. Each trial is measured like
//! `concbench run` measures (wall clock and getrusage of concbench and its reaped children, or
//! the work's own figures for the py-* strategies) and its results are checked against the
//! reference; wrong results are an error, not a verdict.

use std::time::{Duration, Instant};

use super::{SpeedClaim, Verdict, judge};
use crate::error::{Error, Result};
use crate::experiment::default_timeout;
use crate::measure::load::{BUSY_THRESHOLD_PCT, LoadMark, idle_check};
use crate::measure::machine;
use crate::measure::usage::measure;
use crate::records::{BackgroundLoad, RunRow, SummaryRow};
use crate::stats::{BootstrapSettings, SplitMix64};
use crate::strategy::python::PythonInfo;
use crate::strategy::{self, Strategy, StrategyContext};
use crate::summary::summarize_with;
use crate::workload::{self, Calibration, Variant, WorkUnit};

/// What the campaign measures and how long it may go on.
#[derive(Debug, Clone)]
pub struct Config {
    pub workers: usize,
    pub numbers: Vec<i64>,
    pub sleep: Duration,
    pub cpu_ms: f64,
    pub min_reps: u32,
    pub max_reps: u32,
    pub step: u32,
    pub order_seed: u64,
    pub bootstrap: BootstrapSettings,
    pub threshold: f64,
    /// Available parallelism: with one core the CPU-bound claims cannot be decided.
    pub cores: usize,
    pub quiet: bool,
    /// No repetitions are added once the measurements have taken this long.
    pub budget: Duration,
}

/// A trial during which other processes used more than this share of one core (from
/// /proc/stat, minus concbench's own exact CPU time) is discarded and run again, at most
/// [`MAX_RETRIES`] times and only during the first half of the time budget: on a shared
/// machine a neighbour's burst would otherwise decide a verdict.
pub const BUSY_TRIAL_PCT: f64 = 25.0;
pub const MAX_RETRIES: u32 = 2;

/// What the campaign measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub runs: Vec<RunRow>,
    pub summary: Vec<SummaryRow>,
    pub calibration: Option<Calibration>,
    /// Repetitions per `variant/strategy/workers`.
    pub reps_reached: Vec<(String, u32)>,
    pub stop_reason: String,
    pub python: Option<PythonInfo>,
    pub switch_interval_ms: f64,
    pub strategies: Vec<String>,
    pub variants: Vec<Variant>,
    pub timeouts: Vec<(Variant, f64)>,
    pub started_at: String,
    pub background: BackgroundLoad,
    /// Trials discarded because other processes were busy during them.
    pub discarded_busy: u32,
}

impl Outcome {
    pub fn max_reps_reached(&self) -> u32 {
        self.reps_reached.iter().map(|r| r.1).max().unwrap_or(0)
    }

    /// The runtime details a claim's evidence should carry.
    pub fn context(&self, spec: &SpeedClaim) -> String {
        super::context_for(spec, self.python.as_ref(), Some(self.switch_interval_ms))
    }
}

struct Config1 {
    variant: Variant,
    unit: WorkUnit,
    unit_ms: f64,
    timeout: Duration,
    strategy: Box<dyn Strategy>,
    reps: u32,
}

impl Config1 {
    fn key(&self) -> (Variant, &'static str) {
        (self.variant, self.strategy.name())
    }
}

/// Whether a claim can be decided on this machine at all.
fn decidable(spec: &SpeedClaim, cores: usize) -> bool {
    !(spec.variant == Variant::Cpu && cores < 2)
}

/// Run the measurements the claims need.
pub fn run(cfg: &Config, claims: &[&SpeedClaim], ctx: &StrategyContext) -> Result<Outcome> {
    let started_at = machine::utc_now();
    let before = idle_check(Duration::from_millis(300));
    if before.is_some_and(|b| b > BUSY_THRESHOLD_PCT) {
        warn_busy("before the claims", before.unwrap_or(0.0));
    }
    let jobs = workload::jobs_for(&cfg.numbers);
    let reference = workload::reference_results(&jobs);
    let mut wanted: Vec<(Variant, &'static str)> = Vec::new();
    for c in claims {
        for name in [strategy::baseline_of(c.strategy), c.strategy] {
            if !wanted.contains(&(c.variant, name)) {
                wanted.push((c.variant, name));
            }
        }
    }
    let calibration = wanted
        .iter()
        .any(|w| w.0 == Variant::Cpu)
        .then(|| workload::calibrate(cfg.cpu_ms));
    let infos: Vec<&'static strategy::StrategyInfo> = wanted
        .iter()
        .map(|&(_, name)| strategy::find(name))
        .collect::<Result<_>>()?;
    let python = strategy::python::describe_for_plan(
        &infos,
        calibration.as_ref(),
        ctx.runtime.python.as_deref(),
    );
    let mut configs: Vec<Config1> = Vec::new();
    for (&(variant, _), info) in wanted.iter().zip(&infos) {
        let (unit, unit_ms) = match variant {
            Variant::Sleep => (WorkUnit::Sleep(cfg.sleep), cfg.sleep.as_secs_f64() * 1e3),
            Variant::Cpu => {
                let c = calibration.expect("calibrated when a CPU-bound claim is checked");
                (WorkUnit::Cpu { iters: c.iters }, c.target_ms)
            }
        };
        let workers = if info.uses_workers { cfg.workers } else { 1 };
        configs.push(Config1 {
            variant,
            unit,
            unit_ms,
            timeout: default_timeout(jobs.len(), unit_ms),
            strategy: (info.build)(workers, ctx)?,
            reps: 0,
        });
    }

    let epoch = Instant::now();
    let load_start = LoadMark::now();
    let mut rng = SplitMix64::new(cfg.order_seed);
    let mut runs: Vec<RunRow> = Vec::new();
    let mut active: Vec<bool> = vec![true; configs.len()];
    let mut round = 0u32; // 0 is the warm-up
    let mut summary: Vec<SummaryRow>;
    let mut discarded_busy = 0u32;
    let stop_reason;
    loop {
        // Blocks of configurations compared with each other (same variant, same baseline) run
        // back to back, in a shuffled order of blocks and of trials within each block, so that
        // the arms of one speedup are measured seconds apart at most and see the same machine.
        let mut blocks: Vec<Vec<usize>> = Vec::new();
        for (i, c) in configs.iter().enumerate().filter(|(i, _)| active[*i]) {
            let block = (c.variant, strategy::baseline_of(c.strategy.name()));
            match blocks.iter_mut().find(|b| {
                let f = &configs[b[0]];
                (f.variant, strategy::baseline_of(f.strategy.name())) == block
            }) {
                Some(b) => b.push(i),
                None => blocks.push(vec![i]),
            }
        }
        rng.shuffle(&mut blocks);
        let mut order: Vec<usize> = Vec::new();
        for mut b in blocks {
            rng.shuffle(&mut b);
            order.extend(b);
        }
        let mut queue: std::collections::VecDeque<(usize, u32)> =
            order.into_iter().map(|i| (i, 0)).collect();
        while let Some((i, retries)) = queue.pop_front() {
            let c = &mut configs[i];
            let warm = round == 0;
            let label = format!(
                "{}/{}/{}/{}",
                c.variant,
                c.strategy.name(),
                c.strategy.workers(),
                if warm {
                    "warmup".to_string()
                } else {
                    format!("rep{}", c.reps + 1)
                }
            );
            c.strategy.set_timeout(c.timeout);
            let started_s = epoch.elapsed().as_secs_f64();
            let mark = LoadMark::now();
            let (output, mut usage) = measure(|| c.strategy.run(&jobs, c.unit));
            let others = LoadMark::now().others_pct_since(&mark);
            let ended_s = epoch.elapsed().as_secs_f64();
            let output = output.map_err(|e| Error::Trial {
                trial: label.clone(),
                message: e.to_string(),
            })?;
            if let Some(work) = c.strategy.self_measured() {
                usage.wall_s = work.wall_s;
                usage.cpu = work.cpu;
            }
            if output.results != reference {
                return Err(Error::Trial {
                    trial: label,
                    message: "returned wrong results: the claims cannot rest on it".into(),
                });
            }
            if warm {
                continue;
            }
            // Re-run a disturbed trial while there is time for it (under constant load, every
            // trial is disturbed: then the warning says the figures are not to be trusted).
            if others.is_some_and(|o| o > BUSY_TRIAL_PCT)
                && retries < MAX_RETRIES
                && epoch.elapsed() < cfg.budget / 2
            {
                discarded_busy += 1;
                queue.push_front((i, retries + 1));
                continue;
            }
            c.reps += 1;
            runs.push(RunRow {
                variant: c.variant,
                strategy: c.strategy.name().to_string(),
                workers: c.strategy.workers(),
                items: cfg.numbers.len(),
                jobs: jobs.len(),
                unit_ms: c.unit_ms,
                rep: c.reps,
                wall_s: usage.wall_s,
                cpu_user_s: usage.cpu.user_s,
                cpu_sys_s: usage.cpu.sys_s,
                cpu_total_s: usage.cpu.total_s(),
                cores_busy: usage.cores_busy(),
                peak_rss_kib: usage.peak_rss_kib,
                child_peak_rss_kib: output.child_peak_rss_kib,
                correct: true,
                started_s,
                ended_s,
            });
        }
        if round >= cfg.min_reps
            && ((round - cfg.min_reps).is_multiple_of(cfg.step) || round >= cfg.max_reps)
        {
            summary = summarize_with(&runs, &cfg.bootstrap);
            let undecided: Vec<&&SpeedClaim> = claims
                .iter()
                .filter(|c| decidable(c, cfg.cores) && !decided(c, &summary, cfg.threshold))
                .collect();
            if undecided.is_empty() {
                stop_reason = format!("every decidable verdict decided after {round} reps");
                break;
            }
            let names: Vec<String> = undecided
                .iter()
                .map(|c| format!("{}:{}", c.claim, c.subject))
                .collect();
            if epoch.elapsed() >= cfg.budget {
                stop_reason = format!(
                    "time budget of {:.0} s spent after {round} reps with {} undecided ({})",
                    cfg.budget.as_secs_f64(),
                    undecided.len(),
                    names.join(", ")
                );
                break;
            }
            if round >= cfg.max_reps {
                stop_reason = format!(
                    "cap of {} reps reached with {} undecided ({})",
                    cfg.max_reps,
                    undecided.len(),
                    names.join(", ")
                );
                break;
            }
            let next = (round + cfg.step).min(cfg.max_reps);
            if !cfg.quiet {
                eprintln!(
                    "concbench claim: {round} reps: {} undecided ({}), measuring up to {next}",
                    undecided.len(),
                    names.join(", ")
                );
            }
            for (i, c) in configs.iter().enumerate() {
                active[i] = undecided.iter().any(|u| {
                    c.variant == u.variant
                        && (c.strategy.name() == u.strategy
                            || c.strategy.name() == strategy::baseline_of(u.strategy))
                });
            }
        }
        round += 1;
    }
    let during = LoadMark::now().others_pct_since(&load_start);
    if during.is_some_and(|d| d > BUSY_THRESHOLD_PCT) {
        warn_busy("during the claims", during.unwrap_or(0.0));
    }
    let reps_reached = configs
        .iter()
        .map(|c| {
            let (v, name) = c.key();
            (format!("{v}/{name}/{}", c.strategy.workers()), c.reps)
        })
        .collect();
    let mut variants: Vec<Variant> = Vec::new();
    for (v, _) in &wanted {
        if !variants.contains(v) {
            variants.push(*v);
        }
    }
    let mut strategies: Vec<String> = Vec::new();
    for (_, name) in &wanted {
        if !strategies.iter().any(|s| s == name) {
            strategies.push(name.to_string());
        }
    }
    let timeouts = variants
        .iter()
        .filter_map(|v| {
            configs
                .iter()
                .find(|c| c.variant == *v)
                .map(|c| (*v, c.timeout.as_secs_f64()))
        })
        .collect();
    Ok(Outcome {
        runs,
        summary,
        calibration,
        reps_reached,
        stop_reason,
        python,
        switch_interval_ms: ctx.runtime.switch_interval.as_secs_f64() * 1e3,
        strategies,
        variants,
        timeouts,
        started_at,
        discarded_busy,
        background: BackgroundLoad {
            before_pct_of_core: before,
            during_pct_of_core: during,
            threshold_pct_of_core: BUSY_THRESHOLD_PCT,
            trustworthy: [before, during]
                .iter()
                .all(|x| x.is_none_or(|p| p <= BUSY_THRESHOLD_PCT)),
        },
    })
}

fn decided(spec: &SpeedClaim, summary: &[SummaryRow], threshold: f64) -> bool {
    summary
        .iter()
        .find(|r| r.variant == spec.variant && r.strategy == spec.strategy)
        .and_then(|r| Some((r.speedup_ci_low?, r.speedup_ci_high?)))
        .is_some_and(|ci| judge(spec.direction, ci, threshold) != Verdict::Inconclusive)
}

fn warn_busy(when: &str, pct: f64) {
    eprintln!(
        "concbench: warning: other processes used {pct:.0}% of a core {when} (threshold {BUSY_THRESHOLD_PCT:.0}%): the speedups are not to be trusted"
    );
}
