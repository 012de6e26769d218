//! The study and its policies driven by a fake executor (hyperfine's `MockExecutor` is the
//! model): rounds, rows, narrowing and the close are checked without timing anything.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::*;
use crate::engine::{RunTrial, Trial};
use crate::measure::usage::{CpuTimes, TrialUsage};
use crate::records::{self, Parameters};
use crate::strategy::{Strategy, StrategyOutput};
use crate::workload::{Job, Variant, WorkUnit};

/// A strategy the fake executor never runs: it only names an arm.
struct Named(&'static str);

impl Strategy for Named {
    fn name(&self) -> &'static str {
        self.0
    }
    fn workers(&self) -> usize {
        1
    }
    fn run(&mut self, _: &[Job], _: WorkUnit) -> Result<StrategyOutput> {
        unreachable!("the fake executor runs no strategy")
    }
}

/// "Runs" every trial in no time: the sequential arm takes 1 s, any other 0.5 s. The trial
/// numbered `fail_at` (counting from 1, warm-up included) fails.
struct FakeExecutor {
    trials: AtomicU32,
    fail_at: Option<u32>,
}

impl RunTrial for FakeExecutor {
    fn run(&self, arm: &mut Arm, label: &str) -> Result<Trial> {
        let n = self.trials.fetch_add(1, Ordering::SeqCst) + 1;
        if self.fail_at == Some(n) {
            return Err(Error::Trial {
                trial: label.into(),
                message: "the fake executor fails here".into(),
            });
        }
        let wall_s = if arm.strategy.name() == "sequential" {
            1.0
        } else {
            0.5
        };
        Ok(Trial {
            output: StrategyOutput::in_process(Vec::new()),
            usage: TrialUsage {
                wall_s,
                cpu: CpuTimes::default(),
                peak_rss_kib: 0,
            },
            started_s: 0.0,
            ended_s: wall_s,
            others_pct: None,
            server_cpu_s: None,
            sampler_cpu_s: 0.0,
            memory: Default::default(),
            correct: true,
            difference: None,
        })
    }
    fn jobs(&self) -> usize {
        8
    }
}

fn arm(name: &'static str) -> Arm {
    Arm {
        variant: Variant::Sleep,
        unit: WorkUnit::sleep(Duration::from_millis(1)),
        unit_ms: 1.0,
        timeout: Duration::from_secs(10),
        strategy: Box::new(Named(name)),
        measured: 0,
        last_cost: Duration::ZERO,
    }
}

fn open(name: &str, fail_at: Option<u32>) -> (Study, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("concbench-study-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = StudyConfig {
        out_dir: dir.clone(),
        numbers: vec![2, 3, 8, 9],
        order: Order::RoundRobin,
        seed: 1,
        preparation: Preparation::default(),
        sample_interval: Duration::from_millis(250),
    };
    let parameters = Parameters {
        job_mb: None,
        variants: vec![Variant::Sleep],
        strategies: vec!["sequential".into(), "threads".into()],
        workers: vec![1],
        numbers: cfg.numbers.clone(),
        items: 4,
        jobs: 8,
        sleep_ms: 1.0,
        cpu_ms: None,
        cpu_iters: None,
        reps: 3,
        warmup: 1,
        order: cfg.order.name().into(),
        seed: Some(cfg.seed),
        timeout_s: Vec::new(),
        sample_interval_ms: 250.0,
    };
    let meta = study_meta(
        StudyKind::Run,
        MetaParts {
            parameters,
            calibration: None,
            before: None,
            pythons: Vec::new(),
            gil_switch_interval_ms: None,
            bootstrap: crate::stats::BootstrapSettings::default(),
            command_line: vec!["test".into()],
        },
    );
    // One block per arm.
    let arms = (
        vec![arm("sequential"), arm("threads")],
        vec![vec![0], vec![1]],
    );
    let fake = move |_: &Session| -> Box<dyn RunTrial> {
        Box::new(FakeExecutor {
            trials: AtomicU32::new(0),
            fail_at,
        })
    };
    let study = Study::open_with(&cfg, Instant::now(), arms, meta, None, fake).unwrap();
    (study, dir)
}

fn status(dir: &std::path::Path) -> String {
    records::read_meta(&dir.join(records::META_JSON))
        .unwrap()
        .status
}

#[test]
fn fixed_reps_record_every_arm_once_a_round_and_no_warm_up() {
    let (study, dir) = open("fixed", None);
    let closed = study.run(&mut FixedReps {
        warmup: 1,
        reps: 3,
        show_progress: false,
    });
    assert!(closed.error.is_none(), "{:?}", closed.error);
    let rounds: Vec<(String, u32)> = closed
        .rows
        .iter()
        .map(|r| (r.strategy.clone(), r.round))
        .collect();
    let expected: Vec<(String, u32)> = (0..3)
        .flat_map(|round| [("sequential".into(), round), ("threads".into(), round)])
        .collect();
    assert_eq!(rounds, expected);
    assert!(closed.rows.iter().all(|r| r.wall_s > 0.0 && r.jobs == 8));
    assert_eq!(closed.meta.status, "complete");
    assert!(closed.meta.discipline.is_some());
    assert_eq!(status(&dir), "complete");
    let runs = std::fs::read_to_string(dir.join(records::RUNS_CSV)).unwrap();
    assert_eq!(runs.lines().count(), 1 + 6);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two measured rounds, the second on the first arm only.
struct NarrowAfterOne;

impl Policy for NarrowAfterOne {
    fn measure(&mut self, study: &mut Study) -> Result<()> {
        study.round()?;
        study.narrow(&[true, false], 1);
        study.round()
    }
}

#[test]
fn a_narrowed_study_runs_only_the_active_arms() {
    let (study, dir) = open("narrow", None);
    let closed = study.run(&mut NarrowAfterOne);
    let names: Vec<&str> = closed.rows.iter().map(|r| r.strategy.as_str()).collect();
    assert_eq!(names, vec!["sequential", "threads", "sequential"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_trial_ends_the_study_and_keeps_what_was_measured() {
    // Trials 1-2 are the warm-up, 3-4 the first round: the second round's first trial fails.
    let (study, dir) = open("failed", Some(5));
    let closed = study.run(&mut FixedReps {
        warmup: 1,
        reps: 3,
        show_progress: false,
    });
    assert!(matches!(closed.error, Some(Error::Trial { .. })));
    assert_eq!(closed.rows.len(), 2);
    assert!(status(&dir).starts_with("failed: "), "{}", status(&dir));
    let _ = std::fs::remove_dir_all(&dir);
}
