//! The verdict table on the console.

use std::fmt::Write as _;

use super::THRESHOLD;
use crate::records::ClaimRow;

/// The verdict table for the console.
pub fn claims_table(rows: &[ClaimRow], cores: usize) -> String {
    let mut s = String::new();
    if rows.is_empty() {
        return s;
    }
    let _ = writeln!(
        s,
        "\nclaims ({cores} cores; a speed claim is decided by where the confidence interval of its speedup lies against {THRESHOLD:.2})"
    );
    let w_subject = rows
        .iter()
        .map(|r| r.subject.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let _ = writeln!(
        s,
        "{:<5} {:<w$} {:<13} evidence / reason",
        "claim",
        "subject",
        "verdict",
        w = w_subject
    );
    let mut last = "";
    for r in rows {
        if r.claim != last {
            let _ = writeln!(s, "{}: {}", r.claim, r.statement);
            last = &r.claim;
        }
        let _ = writeln!(
            s,
            "{:<5} {:<w$} {:<13} {}",
            r.claim,
            r.subject,
            r.verdict,
            r.evidence,
            w = w_subject
        );
        let _ = writeln!(
            s,
            "{:<5} {:<w$} {:<13} -> {}",
            "",
            "",
            "",
            r.reason,
            w = w_subject
        );
    }
    s
}
