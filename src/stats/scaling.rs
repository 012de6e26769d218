//! Scaling models over worker counts: Karp–Flatt's serial fraction, Amdahl's law and Neil
//! Gunther's Universal Scalability Law (USL). Pure functions of (workers, speedup) points, where
//! speedup is over the best sequential run (T1 / TN, Hoefler & Belli's rule 1), so a strategy
//! whose one-worker run costs more than sequential shows it (USL's λ < 1).
//!
//! - Amdahl: S(N) = 1 / (s + (1 − s)/N). Fitted by least squares on 1/S, where the model is
//!   linear in s (1/S − 1/N = s·(1 − 1/N)), then refined by Gauss–Newton on S itself, so the
//!   fit minimises the same errors it reports; s is kept in [0, 1].
//! - USL: X(N) = λN / (1 + σ(N − 1) + κN(N − 1)). Started from Gunther's linearisation
//!   (C(N) = X(N)/X(1), y = N/C − 1 = κx² + (σ + κ)x with x = N − 1, a quadratic with no
//!   intercept), then refined by Levenberg–Marquardt on X(N) for (λ, σ, κ), constrained to
//!   0 ≤ σ ≤ 1, κ ≥ 0. Peak at N* = √((1 − σ)/κ) when κ > 0.
//!
//! A fit with too few distinct worker counts is refused with the reason, never guessed: USL has
//! three parameters and needs at least [`USL_MIN_WORKER_COUNTS`] worker counts including N = 1;
//! Amdahl needs [`AMDAHL_MIN_PARALLEL_COUNTS`] counts above 1.

/// USL needs this many distinct worker counts (codahale/usl's rule; Gunther's advice).
pub const USL_MIN_WORKER_COUNTS: usize = 6;
/// Amdahl needs this many distinct worker counts above 1.
pub const AMDAHL_MIN_PARALLEL_COUNTS: usize = 2;

/// A fitted κ below this is taken as 0: its peak, √((1 − σ)/κ), would lie beyond 30,000
/// workers, far outside any sweep, and such a κ is rounding left over from a κ = 0 curve.
const NEGLIGIBLE_KAPPA: f64 = 1e-9;

/// One measured point: `workers` and the speedup over sequential there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalingPoint {
    pub workers: usize,
    pub speedup: f64,
}

/// How well a fitted curve matches the points it was fitted to.
#[derive(Debug, Clone, PartialEq)]
pub struct FitQuality {
    /// 1 − SS_res / SS_tot over the speedups; `None` when every speedup is the same.
    pub r2: Option<f64>,
    /// The largest |measured − predicted| speedup.
    pub max_residual: f64,
    pub points: usize,
}

/// Amdahl's serial fraction.
#[derive(Debug, Clone, PartialEq)]
pub struct AmdahlFit {
    pub serial_fraction: f64,
    pub quality: FitQuality,
}

/// The USL's three parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct UslFit {
    /// Contention (serialisation): Amdahl's serial fraction.
    pub sigma: f64,
    /// Coherency (crosstalk): what makes the curve fall again past its peak.
    pub kappa: f64,
    /// The speedup at one worker (X(1)): below 1 when one worker costs more than sequential.
    pub lambda: f64,
    pub quality: FitQuality,
}

/// Karp–Flatt's experimentally determined serial fraction e = (1/ψ − 1/p) / (1 − 1/p) for a
/// speedup ψ on p > 1 workers. Flat in p: a true serial part; rising: overhead; 1: no speedup
/// at all; above 1: a slowdown. `None` for p ≤ 1 or a speedup that is not positive.
pub fn karp_flatt(speedup: f64, workers: usize) -> Option<f64> {
    if workers <= 1 || !speedup.is_finite() || speedup <= 0.0 {
        return None;
    }
    let p = workers as f64;
    Some((1.0 / speedup - 1.0 / p) / (1.0 - 1.0 / p))
}

/// Amdahl's speedup on `n` workers with serial fraction `s`.
pub fn amdahl_speedup(s: f64, n: f64) -> f64 {
    1.0 / (s + (1.0 - s) / n)
}

impl UslFit {
    /// The fitted speedup on `n` workers.
    pub fn speedup(&self, n: f64) -> f64 {
        usl(self.lambda, self.sigma, self.kappa, n)
    }

    /// The worker count of the highest speedup, √((1 − σ)/κ); `None` when κ = 0 (no peak:
    /// the curve rises to λ/σ).
    pub fn peak_workers(&self) -> Option<f64> {
        (self.kappa > 0.0).then(|| ((1.0 - self.sigma) / self.kappa).sqrt())
    }
}

fn usl(lambda: f64, sigma: f64, kappa: f64, n: f64) -> f64 {
    lambda * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
}

/// Points checked for fitting: finite, positive speedups and workers ≥ 1.
fn usable(points: &[ScalingPoint]) -> Result<Vec<ScalingPoint>, String> {
    if let Some(p) = points
        .iter()
        .find(|p| p.workers == 0 || !p.speedup.is_finite() || p.speedup <= 0.0)
    {
        return Err(format!(
            "a point is not usable ({} workers, speedup {})",
            p.workers, p.speedup
        ));
    }
    Ok(points.to_vec())
}

fn distinct_workers(points: &[ScalingPoint]) -> Vec<usize> {
    let mut w: Vec<usize> = points.iter().map(|p| p.workers).collect();
    w.sort_unstable();
    w.dedup();
    w
}

/// Fit Amdahl's law. Refused with fewer than [`AMDAHL_MIN_PARALLEL_COUNTS`] distinct worker
/// counts above 1.
pub fn fit_amdahl(points: &[ScalingPoint]) -> Result<AmdahlFit, String> {
    let points = usable(points)?;
    let parallel = distinct_workers(&points)
        .into_iter()
        .filter(|&w| w > 1)
        .count();
    if parallel < AMDAHL_MIN_PARALLEL_COUNTS {
        return Err(format!(
            "Amdahl needs at least {AMDAHL_MIN_PARALLEL_COUNTS} worker counts above 1, has {parallel}"
        ));
    }
    // Linear start: 1/S − 1/N = s·(1 − 1/N).
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for p in &points {
        let n = p.workers as f64;
        let x = 1.0 - 1.0 / n;
        sxy += x * (1.0 / p.speedup - 1.0 / n);
        sxx += x * x;
    }
    let mut s = (sxy / sxx).clamp(0.0, 1.0);
    // Gauss–Newton on S: dS/ds = −(1 − 1/N)·S².
    let sse = |s: f64| -> f64 {
        points
            .iter()
            .map(|p| (p.speedup - amdahl_speedup(s, p.workers as f64)).powi(2))
            .sum()
    };
    for _ in 0..50 {
        let (mut jtr, mut jtj) = (0.0, 0.0);
        for p in &points {
            let n = p.workers as f64;
            let m = amdahl_speedup(s, n);
            let j = -(1.0 - 1.0 / n) * m * m;
            jtr += j * (p.speedup - m);
            jtj += j * j;
        }
        if jtj <= 0.0 {
            break;
        }
        let mut step = jtr / jtj;
        let before = sse(s);
        // Halve the step until it helps (or is negligible).
        while step.abs() > 1e-15 && sse((s + step).clamp(0.0, 1.0)) > before {
            step /= 2.0;
        }
        let next = (s + step).clamp(0.0, 1.0);
        let moved = (next - s).abs();
        s = next;
        if moved < 1e-13 {
            break;
        }
    }
    let quality = quality(&points, |n| amdahl_speedup(s, n));
    Ok(AmdahlFit {
        serial_fraction: s,
        quality,
    })
}

/// Fit the USL. Refused without the one-worker point (the linearisation divides by it) or with
/// fewer than [`USL_MIN_WORKER_COUNTS`] distinct worker counts.
pub fn fit_usl(points: &[ScalingPoint]) -> Result<UslFit, String> {
    let points = usable(points)?;
    let counts = distinct_workers(&points).len();
    if counts < USL_MIN_WORKER_COUNTS {
        return Err(format!(
            "USL needs at least {USL_MIN_WORKER_COUNTS} worker counts, has {counts}"
        ));
    }
    let ones: Vec<f64> = points
        .iter()
        .filter(|p| p.workers == 1)
        .map(|p| p.speedup)
        .collect();
    if ones.is_empty() {
        return Err("USL needs the 1-worker point".into());
    }
    let x1 = ones.iter().sum::<f64>() / ones.len() as f64;
    let (sigma, kappa) = linearised_usl(&points, x1);
    let (lambda, sigma, mut kappa) = refine_usl(&points, [x1, sigma, kappa]);
    if kappa < NEGLIGIBLE_KAPPA {
        // Rounding left over from a κ = 0 curve: its "peak" would lie at 10⁴·⁵ workers or more.
        kappa = 0.0;
    }
    let quality = quality(&points, |n| usl(lambda, sigma, kappa, n));
    Ok(UslFit {
        sigma,
        kappa,
        lambda,
        quality,
    })
}

/// Gunther's linearisation: y = N/C(N) − 1 = a·x² + b·x with x = N − 1, no intercept; then
/// κ = a, σ = b − a, with the constraints applied by refitting the one-parameter model when
/// the two-parameter one leaves them.
fn linearised_usl(points: &[ScalingPoint], x1: f64) -> (f64, f64) {
    let (mut s4, mut s3, mut s2, mut s2y, mut s1y) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for p in points.iter().filter(|p| p.workers > 1) {
        let n = p.workers as f64;
        let x = n - 1.0;
        let y = n / (p.speedup / x1) - 1.0;
        s4 += x.powi(4);
        s3 += x.powi(3);
        s2 += x * x;
        s2y += x * x * y;
        s1y += x * y;
    }
    let det = s4 * s2 - s3 * s3;
    let (a, b) = if det.abs() > 1e-300 {
        ((s2y * s2 - s3 * s1y) / det, (s4 * s1y - s3 * s2y) / det)
    } else {
        (0.0, s1y / s2)
    };
    let (mut sigma, mut kappa) = (b - a, a);
    if kappa < 0.0 {
        // κ = 0: y = σx.
        kappa = 0.0;
        sigma = s1y / s2;
    }
    if sigma < 0.0 {
        // σ = 0: y = κ(x² + x).
        sigma = 0.0;
        let (mut num, mut den) = (0.0, 0.0);
        for p in points.iter().filter(|p| p.workers > 1) {
            let n = p.workers as f64;
            let x = n - 1.0;
            let y = n / (p.speedup / x1) - 1.0;
            num += (x * x + x) * y;
            den += (x * x + x).powi(2);
        }
        kappa = (num / den).max(0.0);
    }
    (sigma.clamp(0.0, 1.0), kappa.max(0.0))
}

/// Levenberg–Marquardt on X(N) for (λ, σ, κ), each step projected onto the constraints.
fn refine_usl(points: &[ScalingPoint], start: [f64; 3]) -> (f64, f64, f64) {
    let project = |p: [f64; 3]| [p[0].max(1e-12), p[1].clamp(0.0, 1.0), p[2].max(0.0)];
    let sse = |p: [f64; 3]| -> f64 {
        points
            .iter()
            .map(|q| (q.speedup - usl(p[0], p[1], p[2], q.workers as f64)).powi(2))
            .sum()
    };
    let mut p = project(start);
    let mut cost = sse(p);
    let mut mu = 1e-3;
    for _ in 0..200 {
        let mut jtj = [[0.0; 3]; 3];
        let mut jtr = [0.0; 3];
        for q in points {
            let n = q.workers as f64;
            let d = 1.0 + p[1] * (n - 1.0) + p[2] * n * (n - 1.0);
            let f = p[0] * n / d;
            let j = [n / d, -f * (n - 1.0) / d, -f * n * (n - 1.0) / d];
            let r = q.speedup - f;
            for a in 0..3 {
                jtr[a] += j[a] * r;
                for b in 0..3 {
                    jtj[a][b] += j[a] * j[b];
                }
            }
        }
        let mut improved = false;
        while mu < 1e12 {
            let mut m = jtj;
            for (a, row) in m.iter_mut().enumerate() {
                row[a] += mu * jtj[a][a].max(1e-300);
            }
            let Some(delta) = solve3(m, jtr) else {
                mu *= 10.0;
                continue;
            };
            let next = project([p[0] + delta[0], p[1] + delta[1], p[2] + delta[2]]);
            let c = sse(next);
            if c < cost {
                let gain = cost - c;
                p = next;
                cost = c;
                mu = (mu / 10.0).max(1e-12);
                improved = gain > 1e-15 * (1.0 + cost);
                break;
            }
            mu *= 10.0;
        }
        if !improved {
            break;
        }
    }
    (p[0], p[1], p[2])
}

/// Solve a 3×3 system by Cramer's rule; `None` when it is singular.
fn solve3(m: [[f64; 3]; 3], v: [f64; 3]) -> Option<[f64; 3]> {
    let det = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(&m);
    if !d.is_normal() {
        return None;
    }
    let mut out = [0.0; 3];
    for (c, o) in out.iter_mut().enumerate() {
        let mut mc = m;
        for r in 0..3 {
            mc[r][c] = v[r];
        }
        *o = det(&mc) / d;
    }
    out.iter().all(|x| x.is_finite()).then_some(out)
}

fn quality(points: &[ScalingPoint], model: impl Fn(f64) -> f64) -> FitQuality {
    let mean = points.iter().map(|p| p.speedup).sum::<f64>() / points.len() as f64;
    let (mut ss_res, mut ss_tot, mut max_residual) = (0.0, 0.0, 0.0f64);
    for p in points {
        let r = p.speedup - model(p.workers as f64);
        ss_res += r * r;
        ss_tot += (p.speedup - mean).powi(2);
        max_residual = max_residual.max(r.abs());
    }
    FitQuality {
        r2: (ss_tot > 0.0).then(|| 1.0 - ss_res / ss_tot),
        max_residual,
        points: points.len(),
    }
}

#[cfg(test)]
mod tests;
