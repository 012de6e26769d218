//! Whether two runs can be compared: the same work (refused otherwise), and the same machine
//! (a warning otherwise), from their meta.json.
//!
//! The work is what the user asked for, not what it became on a machine: `--cpu-ms 25` on two
//! machines is the same work even though each calibrates it to its own iteration count (both
//! counts are shown), while `--cpu-ms 25` against `--cpu-ms 30`, or against `--cpu-iters N`, is
//! not.

use crate::chart::wall_time::trim;
use crate::records::{Meta, Parameters};
use crate::workload::Variant;

/// Every way the work of `new` differs from that of `base`, in words; empty when it is the same.
pub fn differences(base: &Meta, new: &Meta) -> Vec<String> {
    let (b, n) = (&base.parameters, &new.parameters);
    let mut out = Vec::new();
    let (bv, nv) = (variant_set(b), variant_set(n));
    if bv != nv {
        out.push(format!(
            "variants {} (base) vs {} (new)",
            names(&bv),
            names(&nv)
        ));
    }
    if b.numbers != n.numbers {
        out.push(format!(
            "numbers {} (base) vs {} (new)",
            numbers(b),
            numbers(n)
        ));
    }
    let both = |v: Variant| bv.contains(&v) && nv.contains(&v);
    if both(Variant::Sleep) && !same_number(b.sleep_ms, n.sleep_ms) {
        out.push(format!(
            "--sleep-ms {} (base) vs {} (new)",
            trim(b.sleep_ms),
            trim(n.sleep_ms)
        ));
    }
    if both(Variant::Cpu) && cpu_unit(b) != cpu_unit(n) {
        out.push(format!("{} (base) vs {} (new)", cpu_unit(b), cpu_unit(n)));
    }
    out
}

/// The work both runs did, in words, with each machine's calibration of the CPU unit; where
/// the runs differ (compared anyway), both values.
pub fn describe(base: &Meta, new: &Meta) -> String {
    let (b, n) = (&base.parameters, &new.parameters);
    let either = |x: String, y: String| {
        if x == y {
            x
        } else {
            format!("{x} (base) / {y} (new)")
        }
    };
    let jobs = either(b.jobs.to_string(), n.jobs.to_string());
    let mut parts = vec![format!(
        "numbers {} ({jobs} jobs)",
        either(numbers(b), numbers(n))
    )];
    let mut variants = variant_set(b);
    variants.extend(variant_set(n));
    if variants.contains(&Variant::Sleep) {
        let ms = either(trim(b.sleep_ms), trim(n.sleep_ms));
        parts.push(format!("sleep {ms} ms per job"));
    }
    if variants.contains(&Variant::Cpu) {
        let mut cpu = format!("CPU {} per job", either(cpu_unit(b), cpu_unit(n)));
        let iters = |m: &Meta| m.calibration.as_ref().map(|c| c.iters);
        if let (Some(bi), Some(ni)) = (iters(base), iters(new))
            && b.cpu_iters.is_none()
        {
            cpu.push_str(&format!(
                ", calibrated to {bi} kernel iterations (base) and {ni} (new)"
            ));
        }
        let py_iters = |m: &Meta| {
            m.python
                .as_ref()
                .and_then(|py| py.cpu_calibration.as_ref())
                .map(|c| c.iters)
        };
        if let (Some(bi), Some(ni)) = (py_iters(base), py_iters(new)) {
            cpu.push_str(&format!(
                "; the CPython kernel to {bi} (base) and {ni} (new)"
            ));
        }
        parts.push(cpu);
    }
    parts.join("; ")
}

/// How the machines (and toolchains) of the two runs differ, "what: base vs new" each.
pub fn machine_differences(base: &Meta, new: &Meta) -> Vec<String> {
    let (b, n) = (&base.machine, &new.machine);
    let mut out = Vec::new();
    let mut differ = |what: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{what} {x} vs {y}"));
        }
    };
    differ(
        "logical cores",
        b.logical_cores.to_string(),
        n.logical_cores.to_string(),
    );
    differ(
        "available parallelism",
        b.available_parallelism.to_string(),
        n.available_parallelism.to_string(),
    );
    differ("CPU", b.cpu_model.clone(), n.cpu_model.clone());
    differ("OS", b.os.clone(), n.os.clone());
    differ("rustc", b.rustc.clone(), n.rustc.clone());
    if let (Some(bp), Some(np)) = (&base.python, &new.python) {
        differ(
            "Python",
            format!("{} {}", bp.implementation, bp.version),
            format!("{} {}", np.implementation, np.version),
        );
    }
    out
}

/// Reasons not to trust one run's figures, from its own meta.json.
pub fn trust_notes(side: &str, meta: &Meta) -> Vec<String> {
    let mut out = Vec::new();
    if meta.status != "complete" {
        out.push(format!("the {side} run's status is \"{}\"", meta.status));
    }
    if !meta.background.trustworthy {
        let pct = |x: Option<f64>| x.map_or("an unknown share".into(), |p| format!("{p:.0}%"));
        out.push(format!(
            "other processes used {} of a core during the {side} run: its figures are not to be trusted",
            pct(meta.background.during_pct_of_core)
        ));
    }
    if meta.mismatches > 0 {
        out.push(format!(
            "{} trial(s) of the {side} run returned wrong results",
            meta.mismatches
        ));
    }
    out
}

/// The CPU unit as the user gave it.
fn cpu_unit(p: &Parameters) -> String {
    match (p.cpu_iters, p.cpu_ms) {
        (Some(n), _) => format!("--cpu-iters {n}"),
        (None, Some(ms)) => format!("--cpu-ms {}", trim(ms)),
        (None, None) => "an unrecorded CPU unit".into(),
    }
}

fn variant_set(p: &Parameters) -> Vec<Variant> {
    let mut v = p.variants.clone();
    v.sort();
    v.dedup();
    v
}

fn names(variants: &[Variant]) -> String {
    let v: Vec<&str> = variants.iter().map(|v| v.name()).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(",")
    }
}

fn numbers(p: &Parameters) -> String {
    let v: Vec<String> = p.numbers.iter().map(i64::to_string).collect();
    v.join(",")
}

/// Milliseconds come from the command line (or from a Duration): equal up to rounding.
fn same_number(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}
