//! Holm's step-down correction (Holm 1979) of the rows' p-values, so that deciding the exit
//! status on all rows at once keeps the chance of any false "slower" at α, whatever the number
//! of rows and however their tests depend on each other (they share the two runs).

use std::cmp::Ordering;

/// Holm-adjusted p-values, in the order of `p`: sort ascending, multiply the i-th smallest
/// (from 0) by m − i, keep the running maximum so the adjusted values stay in the same order,
/// cap at 1. A row is rejected at level α exactly when its adjusted p is below α, which is
/// Holm's procedure (compare the i-th smallest with α / (m − i), stop at the first that is not
/// below). NaN counts as 1: no evidence.
pub fn holm_adjust(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let clean = |x: f64| if x.is_nan() { 1.0 } else { x.clamp(0.0, 1.0) };
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| {
        clean(p[a])
            .partial_cmp(&clean(p[b]))
            .unwrap_or(Ordering::Equal)
    });
    let mut adjusted = vec![1.0; m];
    let mut running_max: f64 = 0.0;
    for (i, &at) in order.iter().enumerate() {
        running_max = running_max.max(((m - i) as f64 * clean(p[at])).min(1.0));
        adjusted[at] = running_max;
    }
    adjusted
}
