//! The claim runner's measuring loop ([`super::SequentialLooks`] through
//! [`campaign::measure`]) on a fake executor that times nothing: every trial's wall time comes
//! from a model (a true speedup per strategy, noise, drift, carry-over from the trial before),
//! and the budget is spent in those modelled seconds ([`RowClock`]). So the budget's end, the
//! final look forced at 6 rounds and a claim that takes every look it may are checked exactly.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::super::campaign::{Config, Outcome, arm_specs, measure, study_config};
use super::super::decide::{Decision, Judging};
use super::super::meta::claim_meta;
use super::super::stopping::StoppingRule;
use super::super::subject::Subject;
use super::super::{SPEED_CLAIMS, THRESHOLD, Verdict};
use super::{Clock, Schedule};
use crate::engine::{Arm, Order, Preparation, RunTrial, Trial};
use crate::error::Result;
use crate::measure::usage::{CpuTimes, TrialUsage};
use crate::stats::{BootstrapSettings, SplitMix64};
use crate::strategy::{StrategyContext, StrategyOutput};
use crate::study::{self, Study};

/// The budget in modelled seconds: the recorded trials' wall times, and each wanted arm's
/// last one for the next round.
struct RowClock;

impl Clock for RowClock {
    fn elapsed(&self, study: &Study) -> Duration {
        let rows = &study.engine.session.rows;
        Duration::from_secs_f64(rows.iter().map(|r| r.wall_s).sum())
    }
    fn round_cost(&self, study: &Study, wanted: &[bool]) -> Duration {
        let rows = &study.engine.session.rows;
        let last = |a: &Arm| {
            let label = a.strategy.label();
            rows.iter()
                .rev()
                .find(|r| r.variant == a.variant && r.strategy == label)
                .map_or(0.0, |r| r.wall_s)
        };
        let arms = study.engine.arms.iter().zip(wanted);
        Duration::from_secs_f64(arms.filter(|(_, w)| **w).map(|(a, _)| last(a)).sum())
    }
}

/// How the fake trials' wall times are made.
#[derive(Debug, Clone, Copy)]
struct Model {
    /// The sequential arm takes 1 s, the judged one 1 s ÷ this.
    speedup: f64,
    /// Each trial × a factor uniform in [1 − noise, 1 + noise].
    noise: f64,
    /// The judged arm's k-th trial × (1 − swing) for even k, (1 + swing) for odd k: paired
    /// speedups on both sides of `speedup`, so its interval never excludes it.
    swing: f64,
    /// Every trial × (1 + drift × trials so far): the machine slows down as it goes.
    drift: f64,
    /// A trial right after a sequential one × (1 + carry): an idle core slow to come back.
    carry: f64,
}

const STEADY: Model = Model {
    speedup: 2.0,
    noise: 0.01,
    swing: 0.0,
    drift: 0.0,
    carry: 0.0,
};

struct FakeState {
    rng: SplitMix64,
    trials: u32,
    judged_trials: u32,
    after_sequential: bool,
}

struct FakeExecutor {
    model: Model,
    state: Mutex<FakeState>,
}

impl RunTrial for FakeExecutor {
    fn run(&self, arm: &mut Arm, _label: &str) -> Result<Trial> {
        let m = self.model;
        let mut s = self.state.lock().unwrap();
        let sequential = arm.strategy.name() == "sequential";
        let mut wall = if sequential { 1.0 } else { 1.0 / m.speedup };
        if !sequential {
            let even = s.judged_trials.is_multiple_of(2);
            wall /= if even { 1.0 - m.swing } else { 1.0 + m.swing };
            s.judged_trials += 1;
        }
        let u = (s.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        wall *= 1.0 + m.noise * (2.0 * u - 1.0);
        wall *= 1.0 + m.drift * f64::from(s.trials);
        if s.after_sequential {
            wall *= 1.0 + m.carry;
        }
        s.trials += 1;
        s.after_sequential = sequential;
        let usage = TrialUsage {
            wall_s: wall,
            cpu: CpuTimes::default(),
            peak_rss_kib: 0,
        };
        Ok(Trial {
            output: StrategyOutput::in_process(Vec::new()),
            usage,
            started_s: 0.0,
            ended_s: wall,
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

fn config(min_reps: u32, step: u32, max_reps: u32, budget_s: f64) -> Config {
    Config {
        workers: 2,
        numbers: vec![2, 3, 8, 9],
        sleep: Duration::from_millis(1),
        cpu_ms: 1.0,
        min_reps,
        max_reps,
        step,
        order_seed: 7,
        bootstrap: BootstrapSettings {
            resamples: 200,
            ..BootstrapSettings::default()
        },
        judging: Judging {
            threshold: THRESHOLD,
            rule: StoppingRule::default(),
        },
        cores: 2,
        quiet: true,
        budget: Duration::from_secs_f64(budget_s),
        preparation: Preparation::default(),
        order: Order::Counterbalanced,
        timeout: None,
        sample_interval: Duration::from_secs(1),
        switch_interval_ms: 5.0,
    }
}

/// The catalog's subject `claim`:`subject`, as measured on Rust.
fn subject(claim: &str, subject: &str) -> Subject {
    let spec = SPEED_CLAIMS
        .iter()
        .find(|c| c.claim == claim && c.subject == subject)
        .unwrap();
    super::super::subject::subjects(&[spec], &[], 5.0).remove(0)
}

/// The campaign on the fake executor, in a fresh folder named after `name`.
fn fake_campaign(
    name: &str,
    cfg: &Config,
    subjects: &[Subject],
    model: Model,
    seed: u64,
) -> Outcome {
    let dir = std::env::temp_dir().join(format!("concbench-looks-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ctx = StrategyContext::current_exe(Duration::from_secs(60)).unwrap();
    let arms = study::build_arms(&arm_specs(cfg, subjects, None).unwrap(), &ctx).unwrap();
    let meta = claim_meta(cfg, None, None, Vec::new(), None);
    let executor = move |_: &crate::engine::Session| -> Box<dyn RunTrial> {
        Box::new(FakeExecutor {
            model,
            state: Mutex::new(FakeState {
                rng: SplitMix64::new(seed),
                trials: 0,
                judged_trials: 0,
                after_sequential: false,
            }),
        })
    };
    let config = study_config(cfg, &dir);
    let study = Study::open_with(&config, Instant::now(), arms, meta, None, executor).unwrap();
    let out = measure(cfg, subjects, study, RowClock);
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// C2 rust-threads alone on `model`: its decision as (verdict, paired rounds, look, level),
/// the decision, and the trials recorded.
fn one_claim(name: &str, cfg: &Config, model: Model) -> (Decision, usize) {
    let mut out = fake_campaign(name, cfg, &[subject("C2", "rust-threads")], model, 1);
    (out.decisions.remove(0), out.runs.len())
}

fn summary(d: &Decision) -> (Verdict, usize, &str, &str) {
    (d.verdict, d.reps, d.look.as_str(), d.level.as_str())
}

/// Paired speedups on both sides of 1.10: never decided.
const SWINGING: Model = Model {
    speedup: THRESHOLD,
    swing: 0.05,
    ..STEADY
};

#[test]
fn the_budget_forces_the_final_look_at_6_rounds() {
    // A round costs 1.5 s; 9.2 s fit 6 rounds and not a 7th, so the final look is the first,
    // at 6 rounds (before --min-reps 11), with [min, max] of 6 at 95 %.
    let (d, trials) = one_claim("forced", &config(11, 4, 1000, 9.2), STEADY);
    let expected = (Verdict::DoesNotHold, 6, "final look", "95%");
    assert_eq!(summary(&d), expected, "{}", d.reason);
    assert!((d.level_achieved.unwrap() - 0.96875).abs() < 1e-9);
    assert_eq!(trials, 12);
    // The schedule tests/stopping_exact.rs enumerates says the same of a 6-round budget.
    let schedule = Schedule {
        min_reps: 11,
        step: 4,
        max_reps: 1000,
    };
    assert_eq!(schedule.looks(6), vec![(6, true)]);
}

#[test]
fn a_budget_ending_after_a_look_makes_it_the_final_one() {
    // Looks at 11, 15, 19 fit, 23 does not: the final look is at 19 rounds, after 3 interim
    // looks (α left 0.047).
    let (d, _) = one_claim("between", &config(11, 4, 1000, 40.0), SWINGING);
    let expected = (Verdict::Inconclusive, 19, "final look", "95.3%");
    assert_eq!(summary(&d), expected, "{}", d.reason);
    assert!(
        d.reason.contains("at the final look (19 paired rounds)"),
        "{}",
        d.reason
    );
}

#[test]
fn many_looks_stop_at_the_interim_cap_and_the_final_look_keeps_half_of_alpha() {
    // A look after every round from 6 on and a budget that never ends: 25 interim looks, then
    // measured on to --max-reps 150 without looking, and a final look at 97.5 %.
    let (d, trials) = one_claim("many", &config(6, 1, 150, 1e9), SWINGING);
    let expected = (Verdict::Inconclusive, 150, "final look", "97.5%");
    assert_eq!(summary(&d), expected, "{}", d.reason);
    assert_eq!(trials, 300);
    // The enumerated schedule ends where the loop did: the final look at --max-reps.
    let schedule = Schedule {
        min_reps: 6,
        step: 1,
        max_reps: 150,
    };
    let looks = schedule.looks(u32::MAX);
    assert_eq!(looks.first(), Some(&(6, false)));
    assert_eq!(looks.last(), Some(&(150, true)));
}

#[test]
fn drift_and_carry_over_do_not_turn_clear_verdicts() {
    // The machine slows by 0.2 % a trial (10 % over the first look's 48) and a trial right
    // after a sequential one is 10 % slower; each trial varies ±5 %. Paired rounds cancel the drift;
    // the carry-over moves the paired speedups by at most 10 %, short of the threshold's
    // distance from 2.0 and from 0.8.
    let subjects = [subject("C1", "rust-threads"), subject("C2", "gil")];
    for seed in 0..8 {
        for (speedup, expected) in [
            (2.0, [Verdict::Holds, Verdict::DoesNotHold]),
            (0.8, [Verdict::DoesNotHold, Verdict::Holds]),
        ] {
            let model = Model {
                speedup,
                noise: 0.05,
                swing: 0.0,
                drift: 0.002,
                carry: 0.10,
            };
            let cfg = config(11, 4, 1000, 1e9);
            let out = fake_campaign("drift", &cfg, &subjects, model, seed);
            let verdicts: Vec<Verdict> = out.decisions.iter().map(|d| d.verdict).collect();
            assert_eq!(verdicts, expected, "seed {seed}, speedup {speedup}");
            // Decided at the first look, 99.9 %, both.
            assert!(
                out.decisions
                    .iter()
                    .all(|d| d.reps == 11 && d.level == "99.9%")
            );
        }
    }
}
