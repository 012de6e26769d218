//! A comparison as text: an aligned table (for a terminal), markdown (for a pull request or a
//! CI job summary), CSV (one line per configuration) and JSON (everything, for programs).

use std::fmt::Write;

use super::rows::{Key, Row, Test, Verdict};
use super::{Comparison, Format, RunInfo};
use crate::console::format_seconds;
use crate::error::{Error, Result};
use crate::results::markdown::{self, cell};
use crate::results::run_folder::pretty_date;

pub fn render(c: &Comparison, format: Format) -> Result<String> {
    match format {
        Format::Table => Ok(table(c)),
        Format::Markdown => Ok(markdown(c)),
        Format::Csv => csv(c),
        Format::Json => serde_json::to_string_pretty(c)
            .map(|s| s + "\n")
            .map_err(|e| Error::Measurement(format!("cannot encode the comparison: {e}"))),
    }
}

const HEADER: [&str; 12] = [
    "variant",
    "strategy",
    "workers",
    "base",
    "new",
    "change",
    "95% CI",
    "p",
    "p Holm",
    "verdict",
    "speedup base → new",
    "note",
];
/// Which columns are numbers (right-aligned).
const NUMERIC: [bool; 12] = [
    false, false, true, true, true, true, true, true, true, false, true, false,
];
/// Where the verdict is.
const VERDICT_COLUMN: usize = 9;

/// The cells of one row, as both the table and markdown show them.
fn cells(r: &Row) -> [String; 12] {
    [
        r.key.variant.name().into(),
        r.key.strategy.clone(),
        r.key.workers.to_string(),
        format_seconds(r.base_median_s),
        format_seconds(r.new_median_s),
        pct(r.change_pct),
        match (r.change_ci_low_pct, r.change_ci_high_pct) {
            (Some(lo), Some(hi)) => format!("[{}, {}]", pct(lo), pct(hi)),
            _ => "-".into(),
        },
        p_value(r.p_value),
        p_value(r.p_holm),
        r.verdict.word().into(),
        match (r.base_speedup, r.new_speedup) {
            (Some(b), Some(n)) => format!(
                "{b:.2}x → {n:.2}x{}",
                r.speedup_change_pct
                    .map_or(String::new(), |x| format!(" ({})", pct(x)))
            ),
            _ => "-".into(),
        },
        r.note.map_or(String::new(), |n| n.label().into()),
    ]
}

fn geomean_cells(c: &Comparison) -> Option<[String; 12]> {
    let g = c.geomean.as_ref()?;
    let mut cells: [String; 12] = Default::default();
    cells[0] = "geomean".into();
    cells[5] = pct(g.change_pct);
    cells[11] = format!("{} rows", g.rows);
    Some(cells)
}

/// "+20.0%", with no "-0.0%" for a change that rounds to nothing.
fn pct(x: f64) -> String {
    let rounded = (x * 10.0).round() / 10.0 + 0.0;
    format!("{rounded:+.1}%")
}

/// Three decimals, or scientific notation below 0.001 (where "0.000" would hide the value).
pub fn p_value(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.3}")
    } else {
        format!("{p:.1e}")
    }
}

pub fn key(k: &Key) -> String {
    format!("{}/{}/{}", k.variant, k.strategy, k.workers)
}

fn run_line(r: &RunInfo) -> String {
    let commit = r
        .git_commit
        .as_deref()
        .map_or(String::new(), |c| format!(", commit {}", short_commit(c)));
    format!(
        "{} (started {}, {}{}; from {})",
        r.dir,
        pretty_date(&r.started_at),
        r.machine.short(),
        commit,
        r.source
    )
}

/// The first seven characters of a commit (characters, not bytes: meta.json is anyone's
/// file, and a byte slice would panic inside a multi-byte character).
fn short_commit(commit: &str) -> &str {
    commit
        .char_indices()
        .nth(7)
        .map_or(commit, |(end, _)| &commit[..end])
}

fn rule(c: &Comparison) -> String {
    let family = c.rows.iter().filter(|r| r.test != Test::NotTested).count();
    format!(
        "faster/slower when the Mann-Whitney U p < {alpha} and the whole 95% CI of the change lies beyond ±{}%; otherwise ~. change = new median / base median - 1 (negative is faster). Each verdict judges its row alone; --fail-on-regression fails only on a row still slower with p Holm-corrected over the {family} rows (p Holm), so trial-to-trial noise alone fails it at most {}% of the time",
        c.settings.threshold_pct,
        c.settings.alpha * 100.0,
        alpha = c.settings.alpha,
    )
}

/// Warnings of every kind, each one line.
fn warnings(c: &Comparison) -> Vec<String> {
    let mut out = Vec::new();
    if !c.work_differences.is_empty() {
        out.push(format!(
            "the runs did different work (compared with --allow-different-work): {}",
            c.work_differences.join("; ")
        ));
    }
    if !c.machine_differences.is_empty() {
        out.push(format!(
            "the runs come from different machines: {}; a change may come from the machine, not the code",
            c.machine_differences.join("; ")
        ));
    }
    out.extend(c.warnings.iter().cloned());
    out
}

/// The lines after the table: one-sided rows and changed claims.
fn tail(c: &Comparison) -> Vec<String> {
    let mut out = Vec::new();
    let list = |keys: &[Key]| keys.iter().map(key).collect::<Vec<_>>().join(", ");
    if !c.only_in_base.is_empty() {
        out.push(format!("only in base: {}", list(&c.only_in_base)));
    }
    if !c.only_in_new.is_empty() {
        out.push(format!("only in new: {}", list(&c.only_in_new)));
    }
    match &c.claim_changes {
        Some(changes) if changes.is_empty() => out.push(format!(
            "claims: the {} verdicts both runs judged are the same",
            c.claims_compared
        )),
        Some(changes) => {
            let each: Vec<String> = changes
                .iter()
                .map(|x| {
                    let v = |s: &Option<String>| s.clone().unwrap_or_else(|| "(not judged)".into());
                    format!("{} {}: {} → {}", x.claim, x.subject, v(&x.base), v(&x.new))
                })
                .collect();
            out.push(format!("claims whose verdict changed: {}", each.join("; ")));
        }
        None => {}
    }
    out
}

pub fn table(c: &Comparison) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "base: {}", run_line(&c.base));
    let _ = writeln!(s, "new:  {}", run_line(&c.new));
    let _ = writeln!(s, "work: {}", c.work);
    let _ = writeln!(s, "verdict: {}", rule(c));
    for w in warnings(c) {
        let _ = writeln!(s, "warning: {w}");
    }
    s.push('\n');
    let mut lines: Vec<[String; 12]> = vec![HEADER.map(String::from)];
    lines.extend(c.rows.iter().map(cells));
    lines.extend(geomean_cells(c));
    let width = |i: usize| {
        lines
            .iter()
            .map(|l| l[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..HEADER.len()).map(width).collect();
    for l in &lines {
        let mut line = String::new();
        for (i, cell) in l.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i > 0 {
                line.push_str("  ");
            }
            if NUMERIC[i] {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
        }
        let _ = writeln!(s, "{}", line.trim_end());
    }
    if c.rows.is_empty() {
        s.push_str("(no configuration is in both runs)\n");
    }
    let tail = tail(c);
    if !tail.is_empty() {
        s.push('\n');
    }
    for l in tail {
        let _ = writeln!(s, "{l}");
    }
    for f in &c.footnotes {
        let _ = writeln!(s, "{f}");
    }
    s
}

pub fn markdown(c: &Comparison) -> String {
    let mut s = String::from("## concbench compare\n\n");
    let _ = writeln!(s, "- **base**: {}", code_dir(&run_line(&c.base)));
    let _ = writeln!(s, "- **new**: {}", code_dir(&run_line(&c.new)));
    let _ = writeln!(s, "- **work**: {}", cell(&c.work));
    let _ = writeln!(s, "- **verdict**: {}\n", cell(&rule(c)));
    for w in warnings(c) {
        let _ = writeln!(s, "> **Warning:** {}\n", cell(&w));
    }
    let align = NUMERIC.map(|n| if n { "--:" } else { "---" });
    s.push_str(&markdown::header(&HEADER, &align));
    for r in &c.rows {
        let mut l = cells(r);
        if r.verdict != Verdict::Same {
            l[VERDICT_COLUMN] = format!("**{}**", l[VERDICT_COLUMN]);
        }
        s.push_str(&markdown::row(&l));
    }
    if let Some(mut l) = geomean_cells(c) {
        l[0] = "**geomean**".into();
        l[5] = format!("**{}**", l[5]);
        s.push_str(&markdown::row(&l));
    }
    if c.rows.is_empty() {
        s.push_str("\nNo configuration is in both runs.\n");
    }
    let tail = tail(c);
    if !tail.is_empty() || !c.footnotes.is_empty() {
        s.push('\n');
    }
    for l in tail.iter().chain(&c.footnotes) {
        let _ = writeln!(s, "- {}", cell(l));
    }
    s
}

/// The folder (up to its first " (") in backticks.
fn code_dir(line: &str) -> String {
    match line.split_once(" (") {
        Some((dir, rest)) => format!("`{dir}` ({}", cell(rest)),
        None => format!("`{line}`"),
    }
}

const CSV_HEADER: [&str; 20] = [
    "row",
    "variant",
    "strategy",
    "workers",
    "base_reps",
    "new_reps",
    "base_median_s",
    "new_median_s",
    "change_pct",
    "change_ci_low_pct",
    "change_ci_high_pct",
    "p_value",
    "p_holm",
    "test",
    "verdict",
    "holm_verdict",
    "base_speedup",
    "new_speedup",
    "speedup_change_pct",
    "note",
];

/// One line per configuration: `row` is `both`, `base-only`, `new-only` or `geomean`.
pub fn csv(c: &Comparison) -> Result<String> {
    let num = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for r in &c.rows {
        w.write_record([
            "both".into(),
            r.key.variant.name().into(),
            r.key.strategy.clone(),
            r.key.workers.to_string(),
            r.base_reps.to_string(),
            r.new_reps.to_string(),
            r.base_median_s.to_string(),
            r.new_median_s.to_string(),
            r.change_pct.to_string(),
            num(r.change_ci_low_pct),
            num(r.change_ci_high_pct),
            r.p_value.to_string(),
            r.p_holm.to_string(),
            r.test.label().into(),
            r.verdict.word().into(),
            r.holm_verdict.word().into(),
            num(r.base_speedup),
            num(r.new_speedup),
            num(r.speedup_change_pct),
            r.note.map_or(String::new(), |n| n.label().into()),
        ])?;
    }
    let one_sided = |kind: &str, k: &Key| {
        let mut rec = vec![String::new(); CSV_HEADER.len()];
        rec[0] = kind.into();
        rec[1] = k.variant.name().into();
        rec[2] = k.strategy.clone();
        rec[3] = k.workers.to_string();
        rec
    };
    for k in &c.only_in_base {
        w.write_record(one_sided("base-only", k))?;
    }
    for k in &c.only_in_new {
        w.write_record(one_sided("new-only", k))?;
    }
    if let Some(g) = &c.geomean {
        let mut rec = vec![String::new(); CSV_HEADER.len()];
        rec[0] = "geomean".into();
        rec[8] = g.change_pct.to_string();
        w.write_record(rec)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Measurement(format!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Measurement(format!("csv: {e}")))
}

#[cfg(test)]
mod tests {
    use super::short_commit;

    #[test]
    fn a_commit_is_cut_at_seven_characters_even_non_ascii_ones() {
        assert_eq!(short_commit("d686d85c0ffee"), "d686d85");
        assert_eq!(short_commit("abc"), "abc");
        assert_eq!(short_commit("éééééééé"), "ééééééé");
        assert_eq!(short_commit("日本語のコミット"), "日本語のコミッ");
    }
}
