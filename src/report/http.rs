//! REPORT.md's words on the http variant: the server's own CPU, and how far the sleep
//! simulation is from real I/O on the same delays.

use std::fmt::Write;

use crate::console::format_seconds;
use crate::records::SummaryRow;
use crate::results::run_folder::RunData;
use crate::workload::Variant;

use crate::console::server_cpu_range;

/// The http variant's server's CPU, said apart from the strategies' (it is in none of them).
pub fn server_words(rows: &[&SummaryRow]) -> String {
    let Some(range) = server_cpu_range(rows.iter().copied()) else {
        return String::new();
    };
    format!(
        " The HTTP server, a child process of concbench (one connection per job), used {range} \
         of CPU per trial (median per configuration, 10 ms ticks): counted in no strategy's CPU \
         and not as other processes' load."
    )
}

/// For a run with both sleep and http on the same delay: per configuration, the http wall
/// over the sleep wall, and the server's CPU. `None` when the run lacks one of them.
pub fn sleep_vs_http(data: &RunData) -> Option<String> {
    let sleep = data.summary_of(Variant::Sleep);
    let http = data.summary_of(Variant::Http);
    let pairs: Vec<(&SummaryRow, &SummaryRow)> = http
        .iter()
        .filter_map(|h| {
            let s = sleep.iter().find(|s| {
                s.strategy == h.strategy && s.workers == h.workers && s.unit_ms == h.unit_ms
            })?;
            Some((*s, *h))
        })
        .collect();
    let (first_sleep, _) = pairs.first()?;
    let mut s = format!(
        "**Sleep against real I/O.** The same jobs, each waiting {} ms: as a sleep, and as an HTTP \
         request to a local server that answers after that delay (one TCP connection per job). \
         Wall time of http over sleep, per configuration:",
        crate::chart::wall_time::trim(first_sleep.unit_ms)
    );
    for (i, (sl, ht)) in pairs.iter().enumerate() {
        let sep = if i == 0 { " " } else { "; " };
        let _ = write!(
            s,
            "{sep}`{}`/{} {:.2}× ({} against {}",
            ht.strategy,
            ht.workers,
            ht.wall_median_s / sl.wall_median_s,
            format_seconds(ht.wall_median_s),
            format_seconds(sl.wall_median_s)
        );
        if let Some(cpu) = ht.server_cpu_median_s {
            let _ = write!(s, ", server {}", format_seconds(cpu));
        }
        s.push(')');
    }
    s.push_str(
        ". What the ratio adds above 1 is the real request's cost the sleep leaves out: a \
         connect, a request and a response through the kernel, on the client's CPU and the \
         server's.",
    );
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::server_note;

    fn row(variant: Variant, strategy: &str, wall: f64, server: Option<f64>) -> SummaryRow {
        let mut r = crate::records::rows_tests::run_row(variant, strategy, 2, 5.0, wall);
        r.server_cpu_s = server;
        crate::summary::summarize(&[r]).remove(0)
    }

    #[test]
    fn server_cpu_is_said_as_a_range_or_not_at_all() {
        let a = row(Variant::Http, "threads", 0.1, Some(0.01));
        let b = row(Variant::Http, "sequential", 0.2, Some(0.03));
        let words = server_words(&[&a, &b]);
        assert!(words.contains("10.0 ms–30.0 ms"), "{words}");
        let none = row(Variant::Sleep, "threads", 0.1, None);
        assert_eq!(server_words(&[&none]), "");
        assert_eq!(server_note(&[none]), None);
        let note = server_note(&[a.clone(), a]).unwrap();
        assert!(note.starts_with("http server: 10.0 ms of CPU"), "{note}");
    }
}
