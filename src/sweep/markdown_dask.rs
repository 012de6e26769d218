//! REPORT.md's paragraph on a distributed engine, when a sweep measured py-dask: from which job
//! size it pays on this machine, beside py-pool's, and how that moves when its workers are on
//! other machines (the model: every task adds one network round trip).

use super::breakeven::{Crossing, predicted_break_even_ms};
use super::data::size_words;
use crate::records::sweep::ModelRow;
use crate::results::run_folder::SweepData;
use crate::workload::Variant;

/// Round trips to price remote workers with: a LAN's and a cloud region's.
const ROUND_TRIPS_MS: [f64; 2] = [0.2, 1.0];

/// Tasks per trial: one per chunk, with Pool.map's chunk rule (what py-dask submits).
pub fn tasks_per_trial(jobs: usize, workers: usize) -> usize {
    let chunk = crate::strategy::processes::pool_map_chunksize(jobs, workers);
    jobs.div_ceil(chunk.max(1))
}

/// The paragraph, or `None` when py-dask was not swept (or has no fixed cost at the break-even
/// worker count).
pub fn paragraph(data: &SweepData, v: Variant) -> Option<String> {
    let models = data.models_of(v);
    let dask = models.iter().find(|m| m.strategy == "py-dask")?;
    let workers = dask.break_even_workers?;
    let fixed = dask.fixed_cost_ms?;
    let jobs = data.jobs();
    let pool = models.iter().find(|m| m.strategy == "py-pool");
    let tasks = tasks_per_trial(jobs, workers);
    let mut s = format!(
        "**A distributed engine.** {} on this machine; its fixed cost is {} per trial{}.",
        pays(dask),
        ms_words(fixed),
        match pool.and_then(|p| p.fixed_cost_ms.map(|f| (p, f))) {
            Some((p, f)) => format!(" against py-pool's {} ({})", ms_words(f), pays(p)),
            None => String::new(),
        }
    );
    let moved: Vec<String> = ROUND_TRIPS_MS
        .iter()
        .filter_map(|&rtt| {
            let extra = tasks as f64 / workers as f64 * rtt;
            let at = predicted_break_even_ms(fixed + extra, workers, jobs)?;
            Some(format!(
                "a {} round trip adds about {} per trial and moves the predicted crossing to {} per job",
                ms_words(rtt),
                ms_words(extra),
                size_words(at)
            ))
        })
        .collect();
    if !moved.is_empty() {
        s.push_str(&format!(
            " Its workers here are local. On other machines every task pays a network round trip: with {tasks} tasks per trial over {workers} workers, {}; the model's crossing here is {} (F × N / (jobs × (N − 1))).",
            moved.join(", and "),
            dask.predicted_break_even_ms
                .map_or("not predicted".into(), size_words)
        ));
    }
    Some(s)
}

fn pays(m: &ModelRow) -> String {
    match Crossing::from_columns(m.break_even_ms, m.break_even_below_ms) {
        Crossing::Between { below, at } => format!(
            "{} pays off above {} per job (between {} and {})",
            m.strategy,
            size_words(below),
            size_words(below),
            size_words(at)
        ),
        Crossing::AtOrBelow(at) => {
            format!(
                "{} pays off at every size measured, even {} per job",
                m.strategy,
                size_words(at)
            )
        }
        Crossing::Beyond(last) => {
            format!(
                "{} does not pay off up to {} per job",
                m.strategy,
                size_words(last)
            )
        }
        Crossing::NoData => format!("{} was not measured at that worker count", m.strategy),
    }
}

fn ms_words(ms: f64) -> String {
    crate::console::format_seconds(ms / 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_follow_the_chunk_rule() {
        // The tutorial's 8 jobs on 2 workers: one job per task.
        assert_eq!(tasks_per_trial(8, 2), 8);
        // Many jobs: about four chunks per worker.
        assert_eq!(tasks_per_trial(200_000, 2), 8);
        assert_eq!(tasks_per_trial(9, 2), 5);
    }
}
