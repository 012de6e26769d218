//! The engine's knobs are one argument group: `run`, `claim` and `sweep` each take `--order
//! --seed --prime-ms --timeout --sample-ms --python --out`, and the same wrong value gives the
//! same one-line error (exit 2) on all three. Nothing here measures: every command stops at
//! its input, before the first trial.

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_concbench");
const SUBCOMMANDS: [&str; 3] = ["run", "claim", "sweep"];

fn concbench(args: &[&str]) -> Output {
    Command::new(BIN)
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(args)
        .output()
        .expect("concbench runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A folder that cannot be created (under a regular file): every subcommand refuses it in one
/// line before measuring, after its flags were parsed.
fn unwritable_out(name: &str) -> PathBuf {
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("engine-args-{name}"));
    std::fs::write(&file, b"").unwrap();
    file.join("out")
}

#[test]
fn run_claim_and_sweep_take_the_seven_knobs() {
    let out = unwritable_out("knobs");
    let out = out.to_str().unwrap();
    for sub in SUBCOMMANDS {
        let o = concbench(&[
            sub,
            "--order",
            "round-robin",
            "--seed",
            "7",
            "--prime-ms",
            "5",
            "--timeout",
            "30",
            "--sample-ms",
            "500",
            "--python",
            "python3",
            "--out",
            out,
            "--quiet",
        ]);
        let err = stderr(&o);
        // Past the parser: the one complaint is the folder, which only a parsed --out names.
        assert_eq!(o.status.code(), Some(2), "{sub}: {err}");
        assert_eq!(err.lines().count(), 1, "{sub}: {err}");
        assert!(
            err.contains(out) && err.contains("Not a directory"),
            "{sub}: {err}"
        );
    }
}

#[test]
fn a_wrong_value_gives_the_same_line_on_all_three() {
    let cases: [(&str, &str, &str); 6] = [
        ("--order", "bogus", "unknown order 'bogus'"),
        ("--prime-ms", "-1", "-1 ms is out of range (0-1000)"),
        ("--prime-ms", "1001", "1001 ms is out of range (0-1000)"),
        ("--timeout", "0", "0 s is out of range (0.01-86400)"),
        ("--sample-ms", "10", "10 ms is out of range (200-60000)"),
        ("--seed", "x", "--seed <N>"),
    ];
    for (flag, value, says) in cases {
        let lines: Vec<String> = SUBCOMMANDS
            .iter()
            .map(|sub| {
                let o = concbench(&[sub, flag, value]);
                let err = stderr(&o);
                assert_eq!(o.status.code(), Some(2), "{sub} {flag} {value}: {err}");
                assert_eq!(err.lines().count(), 1, "{sub} {flag} {value}: {err}");
                assert!(err.contains(says), "{sub} {flag} {value}: {err}");
                err
            })
            .collect();
        assert!(
            lines.iter().all(|l| *l == lines[0]),
            "{flag} {value}: {lines:?}"
        );
    }
}
