//! `--expect CLAIM:SUBJECT=VERDICT`: the verdicts a caller (CI, say) insists on, and the exit
//! status when one does not come out.

use std::process::ExitCode;

use super::{Verdict, all_subjects};
use crate::records::ClaimRow;

/// `--expect CLAIM:SUBJECT=VERDICT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub claim: String,
    pub subject: String,
    pub verdict: Verdict,
}

pub(super) fn parse_expectation(s: &str) -> std::result::Result<Expectation, String> {
    let (target, verdict) = s.split_once('=').ok_or_else(|| {
        format!("'{s}' is not CLAIM:SUBJECT=VERDICT (e.g. C2:rust-threads=DOES_NOT_HOLD)")
    })?;
    let (claim, subject) = target.split_once(':').ok_or_else(|| {
        format!("'{s}' is not CLAIM:SUBJECT=VERDICT (e.g. C2:rust-threads=DOES_NOT_HOLD)")
    })?;
    let claim = claim.trim().to_ascii_uppercase();
    let subject = subject.trim().to_string();
    if !all_subjects().contains(&(claim.as_str(), subject.as_str())) {
        let known: Vec<String> = all_subjects()
            .iter()
            .filter(|(c, _)| *c == claim)
            .map(|(_, s)| s.to_string())
            .collect();
        return Err(if known.is_empty() {
            format!("unknown claim '{claim}' (expected C1-C5)")
        } else {
            format!(
                "{claim} has no subject '{subject}' (expected one of: {})",
                known.join(", ")
            )
        });
    }
    Ok(Expectation {
        claim,
        subject,
        verdict: verdict.parse()?,
    })
}

/// Exit status when the claims were checked but an `--expect` was not met.
pub const EXIT_EXPECTATION_FAILED: u8 = 3;

/// Compare the verdicts with `--expect`; print every difference.
pub fn check_expectations(expect: &[Expectation], rows: &[ClaimRow]) -> ExitCode {
    let mut failed = 0;
    for e in expect {
        let got = rows
            .iter()
            .find(|r| r.claim == e.claim && r.subject == e.subject)
            .map(|r| r.verdict.as_str());
        if got != Some(e.verdict.as_str()) {
            failed += 1;
            eprintln!(
                "concbench: expected {}:{} to be {}, got {}",
                e.claim,
                e.subject,
                e.verdict,
                got.unwrap_or("no verdict (not checked)")
            );
        }
    }
    if failed > 0 {
        ExitCode::from(EXIT_EXPECTATION_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_parse_and_name_what_is_wrong() {
        let e = parse_expectation("C2:rust-threads=DOES_NOT_HOLD").unwrap();
        assert_eq!(e.claim, "C2");
        assert_eq!(e.subject, "rust-threads");
        assert_eq!(e.verdict, Verdict::DoesNotHold);
        assert!(parse_expectation("c1:gil=holds").is_ok());
        assert!(
            parse_expectation("C9:gil=HOLDS")
                .unwrap_err()
                .contains("unknown claim")
        );
        assert!(
            parse_expectation("C3:gil=HOLDS")
                .unwrap_err()
                .contains("no subject")
        );
        assert!(parse_expectation("C3:rust-processes=MAYBE").is_err());
        assert!(parse_expectation("C3").is_err());
    }
}
