//! The CPU timeline shades each stretch of the run by the variant whose trials ran in it: the
//! variants interleave in blocks, so no sleep-bound trial may sit in CPU-bound shading.

use std::path::Path;

use concbench::chart::timeline::{SPEC, Timeline};
use concbench::chart::timeline_blocks::variant_blocks;
use concbench::chart::{register_fonts, to_svg};
use concbench::results::run_folder::RunData;

const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/results/2026-11-30-2core-amd-epyc"
);
/// The tints of chart/timeline.rs: sleep-bound and CPU-bound.
const SLEEP_TINT: &str = "#E2EEFA";
const CPU_TINT: &str = "#FCECDC";

/// (x, y, width) of every shaded rectangle of `fill` in the SVG's panels (legend swatches, 14 px
/// high, left out).
fn shading(doc: &roxmltree::Document, fill: &str) -> Vec<(f64, f64, f64)> {
    let num = |n: roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(fill))
        .filter(|n| num(*n, "height") > 20.0)
        .map(|n| (num(n, "x"), num(n, "y"), num(n, "width")))
        .collect()
}

#[test]
fn each_block_of_trials_is_shaded_by_its_own_variant() {
    let data = RunData::load(Path::new(REFERENCE)).unwrap();
    let blocks = variant_blocks(
        data.runs
            .iter()
            .map(|r| (r.variant, r.started_s, r.ended_s)),
    );
    // The reference run interleaves its variants: the test means nothing otherwise.
    assert!(blocks.len() > 2, "{} blocks", blocks.len());
    register_fonts().unwrap();
    let svg = to_svg(&Timeline::new(&data), SPEC.size).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let (sleep, cpu) = (shading(&doc, SLEEP_TINT), shading(&doc, CPU_TINT));
    // Every panel (concbench's own CPU, then one per core) shades every block once.
    let panels = 1 + data.meta.machine.logical_cores;
    assert_eq!(sleep.len() + cpu.len(), panels * blocks.len());
    // Within a panel no sleep-bound shading lies under CPU-bound shading (1 px for rounding).
    for &(sx, sy, sw) in &sleep {
        for &(cx, cy, cw) in cpu.iter().filter(|c| c.1 == sy) {
            let overlap = (sx + sw).min(cx + cw) - sx.max(cx);
            assert!(
                overlap <= 1.0,
                "sleep-bound shading at x {sx}..{} under CPU-bound shading at x {cx}..{} (panel y {cy})",
                sx + sw,
                cx + cw
            );
        }
    }
}
