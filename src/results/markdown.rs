//! Markdown tables for every report (REPORT.md of a run or a sweep, `compare --format
//! markdown`): one header and row writer, with the escaping that keeps a table whole whatever
//! a cell holds; and the sections every report opens or ends with.

use std::fmt::Write;

use crate::records::Meta;
use crate::results::run_folder::CHARTS_DIR;

/// One cell's text made safe inside a table row: a `|` is escaped (a backslash just before
/// it too, so it cannot escape the escape) and line breaks become spaces, since a row is one
/// line.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut backslashes = 0;
    for c in text.chars() {
        match c {
            '|' => {
                // Double the backslashes before the pipe, then escape the pipe itself.
                out.push_str(&"\\".repeat(backslashes));
                out.push_str("\\|");
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
        backslashes = if c == '\\' { backslashes + 1 } else { 0 };
    }
    out
}

/// A table's first two lines: the column titles and the alignment row, each marker as given
/// ("---" left, "--:" or "---:" right). An empty title stays one space wide ("| | |").
pub fn header(titles: &[&str], align: &[&str]) -> String {
    let titles: Vec<String> = titles
        .iter()
        .map(|t| {
            if t.is_empty() {
                " ".to_string()
            } else {
                format!(" {} ", cell(t))
            }
        })
        .collect();
    format!("|{}|\n|{}|\n", titles.join("|"), align.join("|"))
}

/// One row, every cell escaped with [`cell`]. Markup around a cell (`**bold**`) is the
/// caller's, applied to text that holds no `|`.
pub fn row<S: AsRef<str>>(cells: &[S]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| cell(c.as_ref())).collect();
    format!("| {} |\n", cells.join(" | "))
}

/// Two-column rows of a setup table ("| key | value |"), under an empty header.
pub fn key_value_table<K: AsRef<str>>(rows: &[(K, String)]) -> String {
    let mut s = header(&["", ""], &["---", "---"]);
    for (k, v) in rows {
        s.push_str(&row(&[k.as_ref(), v.as_str()]));
    }
    s
}

/// The warnings a report opens with, each a quoted paragraph: other processes kept the
/// machine too busy to trust the figures, or trials returned wrong results. `what` is "run"
/// or "sweep".
pub fn warnings(meta: &Meta, what: &str) -> String {
    let mut s = String::new();
    let b = &meta.background;
    if !b.trustworthy {
        let pct = |x: Option<f64>| x.map_or("unknown".into(), |p| format!("{p:.0}%"));
        let _ = writeln!(
            s,
            "> **Warning:** other processes used {} of a core before and {} during the {what} \
             (threshold {:.0}%); these figures are not to be trusted.\n",
            pct(b.before_pct_of_core),
            pct(b.during_pct_of_core),
            b.threshold_pct_of_core
        );
    }
    if meta.mismatches > 0 {
        let _ = writeln!(
            s,
            "> **Warning:** {} trial(s) returned wrong results (correct=false in runs.csv).\n",
            meta.mismatches
        );
    }
    s
}

/// "## Charts": for each chart (name, title, caption) its PNG, caption and SVG link.
pub fn charts_section<'a>(charts: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> String {
    let mut s = String::from("## Charts\n\n");
    for (name, title, caption) in charts {
        let _ = writeln!(
            s,
            "### {title}\n\n![{title}]({CHARTS_DIR}/{name}.png)\n\n{caption} ([SVG]({CHARTS_DIR}/{name}.svg))\n",
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cells of a row as a Markdown reader splits it: at every pipe not escaped by an odd
    /// number of backslashes.
    fn split(line: &str) -> Vec<String> {
        let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
        let mut cells = vec![String::new()];
        let mut backslashes = 0;
        for c in inner.chars() {
            if c == '|' && backslashes % 2 == 0 {
                cells.push(String::new());
            } else {
                cells.last_mut().unwrap().push(c);
            }
            backslashes = if c == '\\' { backslashes + 1 } else { 0 };
        }
        cells
    }

    #[test]
    fn a_pipe_or_a_newline_in_a_cell_keeps_the_row_whole() {
        let line = row(&["a|b", "two\nlines", "ends in \\", "c:\\|d", "plain"]);
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        assert_eq!(split(&line).len(), 5, "{line}");
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(cell("x\r\ny"), "x  y");
        assert_eq!(cell("c:\\|d"), "c:\\\\\\|d");
        assert_eq!(cell("plain – text **bold**"), "plain – text **bold**");
    }

    #[test]
    fn headers_and_setup_tables_keep_their_layout() {
        assert_eq!(
            header(&["a", "b"], &["---", "--:"]),
            "| a | b |\n|---|--:|\n"
        );
        assert_eq!(
            key_value_table(&[("host", "vm".to_string())]),
            "| | |\n|---|---|\n| host | vm |\n"
        );
    }
}
