//! When things happened along a run's time axis, for the CPU timeline: the blocks in which
//! each variant's trials ran, the interval each CPU sample averages over, and which samples
//! caught a warm-up trial. Pure functions over the rows of runs.csv and samples.csv.

use crate::records::SampleRow;
use crate::workload::Variant;

/// A sample's tag "cpu/threads/2/warmup1" as (variant, strategy) when it is a warm-up trial.
pub fn warmup_of(tag: &str) -> Option<(Variant, &str)> {
    let mut parts = tag.split('/');
    let (v, s, _w, round) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    round.starts_with("warmup").then_some(())?;
    Some((v.parse().ok()?, s))
}

/// A stretch of the run in which trials of one variant ran back to back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Block {
    pub variant: Variant,
    pub start_s: f64,
    pub end_s: f64,
}

/// Where each variant actually ran: consecutive trials (in order of start) of one variant form
/// a block from the first one's start to the last one's end. Variants run interleaved in
/// blocks, so one span per variant would shade the other variant's trials too.
pub fn variant_blocks(trials: impl IntoIterator<Item = (Variant, f64, f64)>) -> Vec<Block> {
    let mut trials: Vec<(Variant, f64, f64)> = trials.into_iter().collect();
    trials.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut out: Vec<Block> = Vec::new();
    for (variant, start_s, end_s) in trials {
        match out.last_mut() {
            Some(b) if b.variant == variant => b.end_s = b.end_s.max(end_s),
            _ => out.push(Block {
                variant,
                start_s,
                end_s,
            }),
        }
    }
    out
}

/// (start, end, value) of every sample of one core: a sample averages over the interval before it.
pub fn usage_blocks<'a>(
    samples: &'a [&SampleRow],
    interval_s: f64,
) -> impl Iterator<Item = (f64, f64, f64)> + 'a {
    samples.iter().enumerate().map(move |(i, s)| {
        let prev = if i > 0 {
            samples[i - 1].t_s
        } else {
            s.t_s - interval_s
        };
        // A gap (the sampler missed a beat) is not averaged over: cap at twice the interval.
        let t0 = prev.max(s.t_s - 2.0 * interval_s).max(0.0);
        (t0, s.t_s, s.usage_pct)
    })
}

/// The staircase of one value per sample, each held over the interval before it.
pub fn step_points(
    samples: &[&SampleRow],
    interval_s: f64,
    value: impl Fn(&SampleRow) -> f64,
) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        let prev = if i > 0 {
            samples[i - 1].t_s
        } else {
            (s.t_s - interval_s).max(0.0)
        };
        pts.push((prev, value(s)));
        pts.push((s.t_s, value(s)));
    }
    pts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_tags() {
        assert_eq!(
            warmup_of("cpu/threads/2/warmup1"),
            Some((Variant::Cpu, "threads"))
        );
        assert_eq!(
            warmup_of("sleep/py-threads/4/warmup12"),
            Some((Variant::Sleep, "py-threads"))
        );
        assert_eq!(warmup_of("cpu/threads/2/rep1"), None);
        assert_eq!(warmup_of(""), None);
        assert_eq!(warmup_of("bogus/threads/2/warmup1"), None);
    }

    #[test]
    fn consecutive_trials_of_a_variant_form_one_block_each_time_it_runs() {
        use Variant::{Cpu, Sleep};
        // Listed out of order, as runs.csv may be: the blocks follow the start times.
        let trials = [
            (Cpu, 3.0, 4.0),
            (Sleep, 0.0, 1.0),
            (Sleep, 1.5, 2.5),
            (Cpu, 4.0, 5.5),
            (Sleep, 6.0, 7.0),
        ];
        let block = |variant, start_s, end_s| Block {
            variant,
            start_s,
            end_s,
        };
        assert_eq!(
            variant_blocks(trials),
            vec![
                block(Sleep, 0.0, 2.5),
                block(Cpu, 3.0, 5.5),
                block(Sleep, 6.0, 7.0)
            ]
        );
        assert!(variant_blocks([]).is_empty());
    }
}
