//! The documentation stays true: each test checks one promise of README.md and docs/ against
//! what the binary does today.
//!
//! - docs/cli.md is `concbench --help` and every subcommand's `--help`, verbatim;
//! - docs/files.md names every column of every CSV file a real run, sweep and compare write,
//!   and every top-level key of meta.json, summary.json and compare's JSON, in that file's
//!   section;
//! - the README's sample output is what its command prints;
//! - every `--flag` that README.md and docs/*.md name exists in some subcommand's help;
//! - src/lib.rs's overview names every `pub mod` and nothing else.
//!
//! Generated text (docs/cli.md, the README's sample blocks) is rewritten instead of checked when
//! the environment has CONCBENCH_UPDATE_DOCS=1:
//! `CONCBENCH_UPDATE_DOCS=1 cargo test --test docs`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const UPDATE_VAR: &str = "CONCBENCH_UPDATE_DOCS";
const UPDATE_HINT: &str = "run CONCBENCH_UPDATE_DOCS=1 cargo test --test docs";

/// The subcommands docs/cli.md documents, in its order (the hidden internal ones aside).
const SUBCOMMANDS: [&str; 5] = ["run", "report", "compare", "claim", "sweep"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn updating() -> bool {
    std::env::var(UPDATE_VAR).is_ok_and(|v| v == "1")
}

fn read(rel: &str) -> String {
    let path = root().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Run concbench in the repository root; panic with its stderr unless it exits 0.
fn concbench(args: &[&str]) -> String {
    let out = try_concbench(args);
    assert!(
        out.status.success(),
        "`concbench {}` failed ({}):\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

fn try_concbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_concbench"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("start concbench")
}

/// An empty scratch folder in the temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("concbench-docs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// a. docs/cli.md is clap's help

/// The visible subcommands `concbench --help` lists (its "Commands:" block, `help` aside).
fn listed_subcommands(top_help: &str) -> Vec<String> {
    top_help
        .lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

fn expected_cli_md() -> String {
    let mut md = String::from(
        "# Command line\n\
         \n\
         Generated from `concbench --help` and `concbench <subcommand> --help` by tests/docs.rs: \
         do not edit it by hand. After changing a flag or its help, rewrite it with\n\
         `CONCBENCH_UPDATE_DOCS=1 cargo test --test docs`; `cargo test` fails while it is stale.\n\
         \n\
         Every subcommand's options exactly as `--help` prints them. `concbench` without a \
         subcommand is `concbench run`. The worker and probe subcommands are internal and hidden.\n",
    );
    let mut section = |title: &str, args: &[&str]| {
        md.push_str(&format!(
            "\n## `{title}`\n\n```text\n{}```\n",
            concbench(args)
        ));
    };
    section("concbench", &["--help"]);
    for sub in SUBCOMMANDS {
        section(&format!("concbench {sub}"), &[sub, "--help"]);
    }
    md
}

#[test]
fn cli_md_is_the_current_help() {
    let listed = listed_subcommands(&concbench(&["--help"]));
    assert_eq!(
        listed, SUBCOMMANDS,
        "`concbench --help` lists other subcommands than docs/cli.md documents: \
         update SUBCOMMANDS in tests/docs.rs, then {UPDATE_HINT}"
    );
    let expected = expected_cli_md();
    let path = root().join("docs/cli.md");
    if updating() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    if actual != expected {
        let first = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or(actual.lines().count().min(expected.lines().count()));
        panic!(
            "docs/cli.md is not the current --help output (first difference at line {}:\n  docs/cli.md: {:?}\n  --help:      {:?});\n{UPDATE_HINT}",
            first + 1,
            actual.lines().nth(first).unwrap_or("<end of file>"),
            expected.lines().nth(first).unwrap_or("<end of file>"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// b. docs/files.md names every column

/// The part of `doc` under the `## ` heading that names `key` in backticks, up to the next
/// `## ` heading.
fn section<'a>(doc: &'a str, key: &str) -> Option<&'a str> {
    let tick = format!("`{key}`");
    let mut start = None;
    let mut offset = 0;
    for line in doc.split_inclusive('\n') {
        if line.starts_with("## ") {
            if let Some(s) = start {
                return Some(&doc[s..offset]);
            }
            if line.contains(&tick) {
                start = Some(offset + line.len());
            }
        }
        offset += line.len();
    }
    start.map(|s| &doc[s..])
}

/// The CSV header of `path`, split (no column name here needs quoting).
fn csv_header(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let first = text.lines().next().unwrap_or_default();
    first.split(',').map(|c| c.trim().to_string()).collect()
}

fn json_keys(text: &str, what: &str) -> Vec<String> {
    let value: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: {e}"));
    value
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not a JSON object"))
        .keys()
        .cloned()
        .collect()
}

/// Every name in `names` must appear in backticks in the section of docs/files.md for `file`.
fn check_documented(files_md: &str, file: &str, names: &[String], missing: &mut Vec<String>) {
    let Some(text) = section(files_md, file) else {
        missing.push(format!("no `## ` heading naming `{file}`"));
        return;
    };
    for name in names {
        if !text.contains(&format!("`{name}`")) {
            missing.push(format!("{file}: `{name}`"));
        }
    }
}

/// The names of the files in `dir` (and `charts/NAME` for its charts), sorted.
fn produced_files(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() {
            for c in std::fs::read_dir(e.path()).unwrap() {
                names.push(format!(
                    "{name}/{}",
                    c.unwrap().file_name().to_string_lossy()
                ));
            }
        } else {
            names.push(name);
        }
    }
    names.sort();
    names
}

/// Checks one output folder: every CSV's columns, meta.json's and summary.json's keys, and that
/// every file in it is documented (charts by their `charts/NAME` without extension).
fn check_folder(files_md: &str, dir: &Path, missing: &mut Vec<String>) {
    for name in produced_files(dir) {
        let path = dir.join(&name);
        if let Some(chart) = name.strip_prefix("charts/") {
            let stem = chart.rsplit_once('.').map_or(chart, |(s, _)| s);
            check_documented(files_md, "charts/", &[stem.to_string()], missing);
        } else if name.ends_with(".csv") {
            check_documented(files_md, &name, &csv_header(&path), missing);
        } else if name.ends_with(".json") {
            let keys = json_keys(&std::fs::read_to_string(&path).unwrap(), &name);
            check_documented(files_md, &name, &keys, missing);
        } else if section(files_md, &name).is_none() {
            missing.push(format!("no `## ` heading naming `{name}`"));
        }
    }
}

#[test]
fn files_md_names_every_column() {
    let files_md = read("docs/files.md");
    let mut missing = Vec::new();

    // A tiny run: two strategies, one rep, 1 ms sleeps (about a second in a debug build).
    let run = Scratch::new("run");
    let run_dir = run.0.to_str().unwrap();
    concbench(&[
        "run",
        "--variant",
        "sleep",
        "--sleep-ms",
        "1",
        "--strategy",
        "sequential,threads",
        "--reps",
        "1",
        "--warmup",
        "0",
        "--no-ceiling",
        "--out",
        run_dir,
        "-q",
    ]);
    for expected in [
        "runs.csv",
        "summary.csv",
        "samples.csv",
        "claims.csv",
        "meta.json",
    ] {
        assert!(
            run.0.join(expected).is_file(),
            "the tiny run wrote no {expected}: the test no longer exercises it"
        );
    }
    check_folder(&files_md, &run.0, &mut missing);

    // compare's own formats, the run against itself.
    let csv = concbench(&["compare", run_dir, run_dir, "--format", "csv"]);
    let header: Vec<String> = csv
        .lines()
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect();
    check_documented(&files_md, "compare --format csv", &header, &mut missing);
    let json = concbench(&["compare", run_dir, run_dir, "--format", "json"]);
    let keys = json_keys(&json, "compare --format json");
    check_documented(&files_md, "compare --format json", &keys, &mut missing);

    // A tiny sweep: one strategy, two worker counts, two sizes, one rep (about a second).
    let sweep = Scratch::new("sweep");
    concbench(&[
        "sweep",
        "--strategy",
        "threads",
        "--workers",
        "1,2",
        "--cpu-ms",
        "0.01,0.1",
        "--budget-s",
        "10",
        "--min-reps",
        "1",
        "--max-reps",
        "1",
        "--no-ceiling",
        "--out",
        sweep.0.to_str().unwrap(),
        "-q",
    ]);
    for expected in ["sweep.csv", "models.csv", "meta.json"] {
        assert!(
            sweep.0.join(expected).is_file(),
            "the tiny sweep wrote no {expected}: the test no longer exercises it"
        );
    }
    check_folder(&files_md, &sweep.0, &mut missing);

    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "docs/files.md does not document what the writers write (each name must appear in \
         backticks under the `## ` heading that names its file):\n  {}",
        missing.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// c. The README's sample output is its command's output

const SAMPLE_OPEN: &str = "<!-- sample: ";
const SAMPLE_CLOSE: &str = "<!-- /sample -->";

/// One sample block: the command, and the byte range of the text between the markers.
struct Sample {
    command: String,
    body: std::ops::Range<usize>,
}

fn samples(readme: &str) -> Vec<Sample> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = readme[from..].find(SAMPLE_OPEN) {
        let open = from + i;
        let line_end = open + readme[open..].find('\n').expect("a line after the marker");
        let command = readme[open + SAMPLE_OPEN.len()..line_end]
            .trim()
            .trim_end_matches("-->")
            .trim()
            .to_string();
        let close = line_end
            + readme[line_end..]
                .find(SAMPLE_CLOSE)
                .unwrap_or_else(|| panic!("README.md: `{command}` sample has no {SAMPLE_CLOSE}"));
        found.push(Sample {
            command,
            body: line_end + 1..close,
        });
        from = close + SAMPLE_CLOSE.len();
    }
    found
}

/// What belongs between the markers: the command's stdout in a text block.
fn sample_body(stdout: &str) -> String {
    format!("```text\n{}```\n", stdout)
}

#[test]
fn readme_sample_is_the_commands_output() {
    let path = root().join("README.md");
    let mut readme = read("README.md");
    let blocks = samples(&readme);
    assert!(
        !blocks.is_empty(),
        "README.md has no sample block ({SAMPLE_OPEN}concbench ... --> ... {SAMPLE_CLOSE})"
    );
    let mut stale = Vec::new();
    // Back to front, so rewriting a block keeps the ranges before it valid.
    for block in blocks.iter().rev() {
        let words: Vec<&str> = block.command.split_whitespace().collect();
        assert_eq!(
            words.first(),
            Some(&"concbench"),
            "README.md: a sample's command must start with `concbench`: `{}`",
            block.command
        );
        let out = try_concbench(&words[1..]);
        if !out.status.success() {
            panic!(
                "README.md's sample command `{}` failed ({}), so its sample cannot be checked:\n{}",
                block.command,
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end()
            );
        }
        let expected = sample_body(&String::from_utf8(out.stdout).expect("stdout is UTF-8"));
        if readme[block.body.clone()] != expected {
            stale.push(block.command.clone());
            readme.replace_range(block.body.clone(), &expected);
        }
    }
    if updating() {
        std::fs::write(&path, &readme).unwrap();
        return;
    }
    assert!(
        stale.is_empty(),
        "README.md's sample output is not what its command prints now: `{}`;\n{UPDATE_HINT}",
        stale.join("`, `")
    );
}

// ---------------------------------------------------------------------------------------------
// d. Every --flag named in the docs exists

/// Flags of the tools around concbench, accepted only on a line that runs `cargo`: cargo's
/// own, the test harness's (after `cargo test --`) and criterion's (after `cargo bench --`).
/// Flags of Dask's own `dask worker` that the docs name, on the line that runs it.
const DASK_FLAGS: [&str; 2] = ["--nworkers", "--nthreads"];

const OTHER_TOOLS_FLAGS: [&str; 17] = [
    "--release",
    "--all-targets",
    "--check",
    "--test",
    "--tests",
    "--benches",
    "--bench",
    "--nocapture",
    "--save-baseline",
    "--baseline",
    "--list",
    "--quick",
    "--noplot",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
];

/// CPython's configure option and scripts/free-threaded-python.sh's own.
const BUILD_FLAGS: [&str; 2] = ["--disable-gil", "--print-path"];

/// Every `--name` token in `text` (a letter after the dashes; `---` table rules are not flags).
fn flags_in(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut flags = Vec::new();
    let mut i = 0;
    while i + 2 < bytes.len() {
        let starts = bytes[i] == b'-'
            && bytes[i + 1] == b'-'
            && bytes[i + 2].is_ascii_lowercase()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'-'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i + 2;
        while j < bytes.len()
            && (bytes[j].is_ascii_lowercase()
                || bytes[j].is_ascii_digit()
                || (bytes[j] == b'-'
                    && j + 1 < bytes.len()
                    && bytes[j + 1].is_ascii_alphanumeric()))
        {
            j += 1;
        }
        flags.push(text[i..j].to_string());
        i = j;
    }
    flags
}

#[test]
fn every_flag_in_the_docs_exists() {
    let mut known: BTreeSet<String> = flags_in(&concbench(&["--help"])).into_iter().collect();
    for sub in SUBCOMMANDS {
        known.extend(flags_in(&concbench(&[sub, "--help"])));
    }
    let mut docs = vec!["README.md".to_string()];
    let mut listed: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    listed.sort();
    docs.extend(listed);
    let mut unknown = Vec::new();
    for doc in &docs {
        for (n, line) in read(doc).lines().enumerate() {
            for flag in flags_in(line) {
                let other_tool = (line.contains("cargo ")
                    && OTHER_TOOLS_FLAGS.contains(&flag.as_str()))
                    || (line.contains("dask worker") && DASK_FLAGS.contains(&flag.as_str()))
                    || ((line.contains("configure") || line.contains("free-threaded-python.sh"))
                        && BUILD_FLAGS.contains(&flag.as_str()));
                if !known.contains(&flag) && !other_tool {
                    unknown.push(format!("{doc}:{}: {flag}", n + 1));
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "flags named in the docs that no subcommand's --help has:\n  {}",
        unknown.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// e. src/lib.rs's overview names the modules

/// The names in `[`name`]` links of `doc` that look like modules (lower case; a path counts by
/// its first segment).
fn linked_modules(doc: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = doc;
    while let Some(i) = rest.find("[`") {
        rest = &rest[i + 2..];
        let Some(end) = rest.find("`]") else { break };
        let name = rest[..end].split("::").next().unwrap_or_default();
        if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            names.insert(name.to_string());
        }
        rest = &rest[end..];
    }
    names
}

#[test]
fn lib_rs_overview_names_every_module() {
    let lib = read("src/lib.rs");
    let declared: BTreeSet<String> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';').trim().to_string())
        .collect();
    let overview: String = lib
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    let linked = linked_modules(&overview);
    let undocumented: Vec<_> = declared.difference(&linked).collect();
    let gone: Vec<_> = linked.difference(&declared).collect();
    assert!(
        undocumented.is_empty() && gone.is_empty(),
        "src/lib.rs's overview (//! comment) and its `pub mod`s disagree: \
         not named as [`module`] in the overview: {undocumented:?}; \
         named but not a `pub mod`: {gone:?}"
    );
}

#[test]
fn the_checkers_see_what_they_check() {
    // flags_in: table rules and hyphenated words are not flags; flags in paths and lists are.
    assert_eq!(
        flags_in("|---|---| x--y `--cpu-ms/--cpu-iters` --workers 1-8 --x- (--seed)"),
        ["--cpu-ms", "--cpu-iters", "--workers", "--x", "--seed"]
    );
    // section: from its heading to the next `## `, whatever the level-3 headings inside.
    let doc = "# t\n## `a.csv`\nx `c1`\n### sub\n`c2`\n## `b.csv`\n`c3`\n";
    assert_eq!(section(doc, "a.csv"), Some("x `c1`\n### sub\n`c2`\n"));
    assert_eq!(section(doc, "b.csv"), Some("`c3`\n"));
    assert_eq!(section(doc, "c.csv"), None);
    // linked_modules: modules only, a path by its first segment.
    let names = linked_modules("[`workload`], [`claim::stopping`], [`Error`], [`results`]");
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["claim", "results", "workload"]
    );
    // samples: the command and the body between the markers.
    let readme = "a\n<!-- sample: concbench x --y -->\n```text\nout\n```\n<!-- /sample -->\nb\n";
    let s = samples(readme);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].command, "concbench x --y");
    assert_eq!(&readme[s[0].body.clone()], "```text\nout\n```\n");
}
