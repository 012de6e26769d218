#!/usr/bin/env bash
# Regenerate the committed reference run in results/2026-11-30-2core-amd-epyc: measure with a
# release build, then (as every `concbench run` does) write its charts, claims.csv and REPORT.md.
#
#   scripts/reproduce.sh            # the reference settings
#   scripts/reproduce.sh --reps 20  # extra flags go to `concbench run`
#
# Run it on an idle machine: other processes' CPU use distorts the timings, and REPORT.md says
# so (meta.json records the background load before and during the run).
# To rebuild only the charts and REPORT.md from the committed files, without measuring:
#   cargo run --release -- report --input results/2026-11-30-2core-amd-epyc
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=results/2026-11-30-2core-amd-epyc

# Build first, so compiling neither competes with the measurement nor counts in its load check.
cargo build --release --quiet
# Generated files only: a stale chart or claim must not survive next to new measurements.
rm -rf "$OUT/charts" "$OUT/REPORT.md" "$OUT/claims.csv"
cargo run --release --quiet -- run --out "$OUT" --workers 1,2,4 "$@"
