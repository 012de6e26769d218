//! REPORT.md's carry-over section: for each variant, every arm's clearest effect of the trial
//! that ran just before it, and the predecessors that slow or speed up whatever runs next
//! ([`crate::stats::carryover`]), from runs.csv's `after` column.

use std::fmt::Write;

use super::findings::{capitalise, plural};
use crate::chart::data::variant_words;
use crate::records::RunRow;
use crate::results::markdown;
use crate::results::run_folder::RunData;
use crate::stats::carryover::{
    ALPHA, ArmCarryover, MIN_EFFECT, MIN_TRIALS, Observation, PredecessorEffect, beyond_noise,
    carryover, clearest_first, pooled,
};

/// How many predecessors the across-arms table lists (the clearest ones).
const POOLED_SHOWN: usize = 3;

/// The "## Carry-over" section of REPORT.md.
pub fn section(data: &RunData) -> String {
    let prime = match data.meta.discipline.as_ref().map(|d| d.prime_ms) {
        None => String::new(),
        Some(0.0) => " This run did not prime the cores (`--prime-ms 0`).".into(),
        Some(ms) => {
            format!(" This run kept every core busy for {ms} ms before each trial (`--prime-ms`).")
        }
    };
    let mut s = format!(
        "## Carry-over\n\nWhat ran just before a trial can change its time (a core left idle by \
         `sequential` is slow to wake), and no arm ever follows itself, so such an effect does \
         not cancel in a speedup. *Per arm*: the predecessor with the clearest effect, the \
         arm's median wall time right after it against its median after every other \
         predecessor. *Across arms*: each trial divided by its own arm's median, pooled over \
         the variant's arms, after one predecessor against after the others. p is a two-sided \
         Mann–Whitney test with at least {MIN_TRIALS} trials on each side, Bonferroni-corrected \
         over its family of m tests (every arm and predecessor of the variant per arm; every \
         predecessor across arms); an effect counts when its corrected p is below {ALPHA} and \
         it is at least {min_effect:.0} %.{prime}\n\n",
        min_effect = MIN_EFFECT * 100.0
    );
    for v in data.variants() {
        let rows: Vec<&RunRow> = data.runs.iter().filter(|r| r.variant == v).collect();
        // Arms named as in the summary; `after` keeps runs.csv's `variant/strategy/workers`.
        let names: Vec<String> = rows
            .iter()
            .map(|r| format!("{}/{}", r.strategy, r.workers))
            .collect();
        let observations = || {
            rows.iter().zip(&names).map(|(r, arm)| Observation {
                arm,
                after: &r.after,
                wall_s: r.wall_s,
            })
        };
        let _ = writeln!(s, "### {}\n", capitalise(variant_words(v)));
        s.push_str(&per_arm(&carryover(observations())));
        s.push_str(&across_arms(pooled(observations())));
    }
    s
}

/// The per-arm table, and what it says.
fn per_arm(arms: &[ArmCarryover]) -> String {
    let family: usize = arms.iter().map(|a| a.effects.len()).sum();
    let tested: Vec<(&ArmCarryover, &PredecessorEffect)> = arms
        .iter()
        .filter_map(|a| a.worst().map(|w| (a, w)))
        .collect();
    if tested.is_empty() {
        return format!(
            "Per arm: no arm has {MIN_TRIALS} trials after one predecessor and {MIN_TRIALS} \
             after the others (too few repetitions to tell).\n\n"
        );
    }
    let mut table = markdown::header(
        &[
            "arm",
            "clearest predecessor",
            "effect",
            "p (corrected)",
            "m",
            "n after it / others",
        ],
        &["---", "---", "--:", "--:", "--:", "--:"],
    );
    for (a, w) in &tested {
        table.push_str(&markdown::row(&[
            a.arm.clone(),
            w.after.clone(),
            percent(w.effect),
            format_p(w.p_adjusted),
            family.to_string(),
            format!("{} / {}", w.n_after, w.n_others),
        ]));
    }
    let mut beyond: Vec<&(&ArmCarryover, &PredecessorEffect)> =
        tested.iter().filter(|(_, w)| beyond_noise(w)).collect();
    beyond.sort_by(|x, y| y.1.effect.abs().total_cmp(&x.1.effect.abs()));
    let mut s = match beyond.first() {
        None => "Per arm: no arm's time depends on what ran before it beyond noise.".into(),
        Some((a, w)) => format!(
            "Per arm: {} of {} arms depend on what ran before them beyond noise, most of all \
             `{}` after `{}` ({}): that arm's median, and every speedup with it, carries the \
             effect.",
            beyond.len(),
            tested.len(),
            a.arm,
            w.after,
            percent(w.effect)
        ),
    };
    let untested = arms.len() - tested.len();
    if untested > 0 {
        let _ = write!(
            s,
            " {untested} arm{} had too few trials after any one predecessor to be tested.",
            plural(untested)
        );
    }
    s.push_str("\n\n");
    s.push_str(&table);
    s.push('\n');
    s
}

/// The clearest predecessors over all arms, and what they say.
fn across_arms(mut effects: Vec<PredecessorEffect>) -> String {
    if effects.is_empty() {
        return format!(
            "Across arms: no predecessor has {MIN_TRIALS} trials after it and {MIN_TRIALS} \
             after the others.\n\n"
        );
    }
    let m = effects.len();
    effects.sort_by(clearest_first);
    let beyond = effects.iter().filter(|e| beyond_noise(e)).count();
    let mut s = format!(
        "Across arms: {beyond} of {m} predecessors change the time of the trial after them \
         beyond noise (the {} clearest listed).\n\n",
        POOLED_SHOWN.max(beyond).min(m)
    );
    s += &markdown::header(
        &[
            "predecessor",
            "effect on the next trial",
            "p (corrected)",
            "m",
            "n after it / others",
        ],
        &["---", "--:", "--:", "--:", "--:"],
    );
    for e in effects.iter().take(POOLED_SHOWN.max(beyond)) {
        s.push_str(&markdown::row(&[
            e.after.clone(),
            percent(e.effect),
            format_p(e.p_adjusted),
            m.to_string(),
            format!("{} / {}", e.n_after, e.n_others),
        ]));
    }
    s.push('\n');
    s
}

fn percent(effect: f64) -> String {
    format!("{:+.1} %", effect * 100.0)
}

fn format_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
    }
}
