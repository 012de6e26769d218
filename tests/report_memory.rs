//! Memory in what `concbench report` writes and prints: the memory chart (charts/memory.png and
//! .svg), REPORT.md's "peak mem" and "mem/worker" columns and the chart's place in it, and the
//! console table's "peak mem" column. Two folders: tests/fixtures/small-run-mem, a small run
//! that measured memory (`concbench run --reps 3 --sleep-ms 5 --cpu-ms 5 --workers 1,2
//! --job-mb 4 --strategy sequential,threads,processes`), and tests/fixtures/small-run, made
//! before concbench measured memory, whose figures are empty.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use concbench::chart::memory::{NOT_MEASURED, SPEC};
use concbench::chart::{lighter, strategy_color};
use concbench::console::format_bytes;
use concbench::records::{self, SummaryRow};

const BIN: &str = env!("CARGO_BIN_EXE_concbench");
const WITH_MEMORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small-run-mem");
const WITHOUT_MEMORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small-run");
const FILES: [&str; 4] = ["runs.csv", "summary.csv", "samples.csv", "meta.json"];

/// A copy of a fixture's files in a fresh folder of its own.
fn copy_of(fixture: &str, name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "concbench-report-memory-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in FILES {
        std::fs::copy(Path::new(fixture).join(f), dir.join(f)).unwrap();
    }
    dir
}

fn concbench(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN)
        .env("CONCBENCH_CACHE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(args)
        .arg(dir)
        .output()
        .unwrap()
}

/// `concbench report --input DIR`, which must succeed.
fn report(dir: &Path) {
    let o = concbench(&["report", "--input"], dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `concbench report --table --input DIR`: the console table.
fn table(dir: &Path) -> String {
    let o = concbench(&["report", "--table", "--input"], dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn summary(dir: &Path) -> Vec<SummaryRow> {
    records::read_csv(&dir.join("summary.csv")).unwrap()
}

/// The memory chart's PNG, decoded: its RGB pixels, checked to be of the chart's size.
fn memory_png(dir: &Path) -> Vec<[u8; 3]> {
    let path = dir.join("charts/memory.png");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), SPEC.size);
    buf.chunks(3).map(|p| [p[0], p[1], p[2]]).collect()
}

/// The texts of the memory chart's SVG, checked to be well-formed and of the chart's size.
fn memory_svg_texts(dir: &Path) -> Vec<String> {
    let text = read(&dir.join("charts/memory.svg"));
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    assert_eq!(
        root.attribute("width"),
        Some(SPEC.size.0.to_string().as_str())
    );
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

/// REPORT.md's summary table: its column titles and its rows, as cells.
fn report_summary_table(md: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let section = md.split("## Summary").nth(1).expect("a Summary section");
    let mut lines = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'));
    let cells = |l: &str| -> Vec<String> {
        l.trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let titles = cells(lines.next().expect("a header"));
    let rows = lines.skip(1).map(cells).collect();
    (titles, rows)
}

/// The console table's data rows, as whitespace-separated words.
fn console_rows(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .skip(2)
        .filter(|l| l.starts_with("sleep ") || l.starts_with("cpu "))
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[test]
fn a_run_with_memory_gets_the_memory_chart_and_columns() {
    let dir = copy_of(WITH_MEMORY, "measured");
    report(&dir);
    let rows = summary(&dir);
    assert!(rows.iter().all(|r| r.mem_peak_bytes.is_some()), "fixture");

    // The chart writes every configuration's figure over its bar, in both panels.
    let texts = memory_svg_texts(&dir);
    assert!(!texts.iter().any(|t| t == NOT_MEASURED), "{texts:?}");
    for r in &rows {
        for bytes in [r.mem_peak_bytes, r.mem_per_worker_bytes] {
            let label = format_bytes(bytes.unwrap());
            assert!(texts.contains(&label), "no bar labelled {label}: {texts:?}");
        }
    }
    // Sleep-bound bars are the strategy's colour lightened, CPU-bound ones its colour.
    let pixels = memory_png(&dir);
    let order: Vec<String> = ["sequential", "threads", "processes", "ceiling"]
        .map(String::from)
        .to_vec();
    let threads = strategy_color(&order, "threads");
    for c in [threads, lighter(threads)] {
        assert!(pixels.contains(&[c.0, c.1, c.2]), "no bar in {c:?}");
    }

    // REPORT.md shows the chart and both columns, in human units.
    let md = read(&dir.join("REPORT.md"));
    assert!(
        md.contains("![Memory per strategy](charts/memory.png)"),
        "{md}"
    );
    assert!(md.contains("](charts/memory.svg)"));
    assert!(
        md.contains("docs/methodology.md"),
        "the caption says where it is defined"
    );
    let (titles, table_rows) = report_summary_table(&md);
    let peak = titles
        .iter()
        .position(|t| t == "peak mem")
        .expect("peak mem");
    let per_worker = titles
        .iter()
        .position(|t| t == "mem/worker")
        .expect("mem/worker");
    assert_eq!(table_rows.len(), rows.len());
    for cells in &table_rows {
        let r = rows
            .iter()
            .find(|r| {
                r.variant.name() == cells[0]
                    && r.strategy == cells[1]
                    && r.workers.to_string() == cells[2]
            })
            .unwrap_or_else(|| panic!("no summary row for {cells:?}"));
        assert_eq!(cells[peak], format_bytes(r.mem_peak_bytes.unwrap()));
        assert_eq!(
            cells[per_worker],
            format_bytes(r.mem_per_worker_bytes.unwrap())
        );
    }
    assert!(!md.contains("not measured in this run"));

    // The console table: a "peak mem" column after "cores busy".
    let text = table(&dir);
    assert!(text.contains("cores busy   peak mem"), "{text}");
    let printed = console_rows(&text);
    assert_eq!(printed.len(), rows.len(), "{text}");
    for (words, r) in printed.iter().zip(&rows) {
        assert_eq!(
            format!("{} {}", words[8], words[9]),
            format_bytes(r.mem_peak_bytes.unwrap()),
            "{text}"
        );
    }
    assert!(!text.contains("not measured"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_run_from_before_memory_still_gets_the_chart_and_dashes() {
    let dir = copy_of(WITHOUT_MEMORY, "old");
    report(&dir);
    let rows = summary(&dir);
    assert!(rows.iter().all(|r| r.mem_peak_bytes.is_none()), "fixture");

    // The chart is there, and says why it has no bars.
    let texts = memory_svg_texts(&dir);
    assert!(texts.iter().any(|t| t == NOT_MEASURED), "{texts:?}");
    assert!(!texts.iter().any(|t| t.ends_with("iB")), "{texts:?}");
    let pixels = memory_png(&dir);
    assert!(
        pixels.iter().any(|p| p.iter().all(|&c| c < 80)),
        "blank PNG"
    );

    // REPORT.md: the chart, and "–" in both columns of every row, with the note.
    let md = read(&dir.join("REPORT.md"));
    assert!(
        md.contains("![Memory per strategy](charts/memory.png)"),
        "{md}"
    );
    let (titles, table_rows) = report_summary_table(&md);
    let peak = titles
        .iter()
        .position(|t| t == "peak mem")
        .expect("peak mem");
    let per_worker = titles
        .iter()
        .position(|t| t == "mem/worker")
        .expect("mem/worker");
    assert_eq!(table_rows.len(), rows.len());
    for cells in &table_rows {
        assert_eq!(
            (cells[peak].as_str(), cells[per_worker].as_str()),
            ("–", "–")
        );
    }
    assert!(md.contains("peak mem –: not measured in this run."), "{md}");

    // The console table: "-" in the peak mem column, and the note under the table.
    let text = table(&dir);
    let printed = console_rows(&text);
    assert_eq!(printed.len(), rows.len(), "{text}");
    for words in &printed {
        assert_eq!(words[8], "-", "{text}");
    }
    assert!(
        text.contains("peak mem -: not measured in this run"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
