//! REPORT.md's carry-over section, from a run whose runs.csv is written here: the small run of
//! tests/fixtures/small-run with its CPU-bound trials replaced by four arms in a balanced order
//! (each after every other one 4 times), wall times 100 ms ± 3 %, and in one run `threads/2`
//! 10 % slower right after `sequential/1`. Nothing is measured.

use std::path::{Path, PathBuf};
use std::process::Command;

use concbench::records::{self, RunRow};
use concbench::workload::Variant;

const BIN: &str = env!("CARGO_BIN_EXE_concbench");
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small-run");
const ARMS: [(&str, usize); 4] = [
    ("sequential", 1),
    ("threads", 2),
    ("rayon", 2),
    ("processes", 2),
];

/// A run folder whose runs.csv holds the balanced trials; `planted` slows `threads/2` after
/// `sequential/1` by that fraction.
fn run_folder(name: &str, planted: f64) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("concbench-carryover-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["summary.csv", "samples.csv", "meta.json"] {
        std::fs::copy(Path::new(FIXTURE).join(f), dir.join(f)).unwrap();
    }
    let template: Vec<RunRow> = records::read_csv(&Path::new(FIXTURE).join("runs.csv")).unwrap();
    let mut rows = Vec::new();
    let mut noise = 7u64;
    let mut t = 0.0;
    for _cycle in 0..4 {
        for (strategy, workers) in ARMS {
            for (before, before_workers) in ARMS.iter().filter(|(s, _)| *s != strategy) {
                let mut r = template
                    .iter()
                    .find(|r| {
                        r.variant == Variant::Cpu && r.strategy == strategy && r.workers == workers
                    })
                    .unwrap()
                    .clone();
                // A small LCG: uniform noise of ±3 %, the same in every run of the test.
                noise = noise.wrapping_mul(6364136223846793005).wrapping_add(1);
                let u = (noise >> 11) as f64 / (1u64 << 53) as f64;
                r.wall_s = 0.1 * (1.0 + 0.03 * (2.0 * u - 1.0));
                if strategy == "threads" && *before == "sequential" {
                    r.wall_s *= 1.0 + planted;
                }
                r.after = format!("cpu/{before}/{before_workers}");
                r.rep = rows.len() as u32 + 1;
                (r.started_s, r.ended_s) = (t, t + r.wall_s);
                t += r.wall_s;
                rows.push(r);
            }
        }
    }
    records::write_csv(&dir.join("runs.csv"), &rows).unwrap();
    dir
}

/// REPORT.md's carry-over section after `concbench report --input dir`.
fn carryover_section(dir: &Path) -> String {
    let out = Command::new(BIN)
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(["report", "--input"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(dir.join("REPORT.md")).unwrap();
    let start = report.find("## Carry-over").expect("a carry-over section");
    let end = start + report[start..].find("## Setup").unwrap();
    report[start..end].to_string()
}

#[test]
fn a_planted_carry_over_is_reported_per_arm_and_across_arms() {
    let dir = run_folder("planted", 0.10);
    let s = carryover_section(&dir);
    let row = s
        .lines()
        .find(|l| l.starts_with("| threads/2 |"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(row.contains("| cpu/sequential/1 |"), "{row}");
    let effect: f64 = row
        .split('|')
        .nth(3)
        .unwrap()
        .trim()
        .trim_end_matches(" %")
        .parse()
        .unwrap();
    assert!((6.0..14.0).contains(&effect), "{row}");
    // m is the family: 4 arms × 3 predecessors each.
    assert!(row.ends_with("| 12 | 4 / 8 |"), "{row}");
    assert!(
        s.contains("1 of 4 arms depend on what ran before them beyond noise, most of all `threads/2` after `cpu/sequential/1`"),
        "{s}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_carry_over_the_section_says_so() {
    let dir = run_folder("none", 0.0);
    let s = carryover_section(&dir);
    assert!(
        s.contains("Per arm: no arm's time depends on what ran before it beyond noise."),
        "{s}"
    );
    assert!(
        s.contains("Across arms: 0 of 4 predecessors change the time"),
        "{s}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
