//! Tests of the scaling models: known parameters recovered from synthetic points, too few
//! points refused.

use super::*;

fn points(workers: &[usize], f: impl Fn(f64) -> f64) -> Vec<ScalingPoint> {
    workers
        .iter()
        .map(|&w| ScalingPoint {
            workers: w,
            speedup: f(w as f64),
        })
        .collect()
}

fn within_1pct(got: f64, want: f64) -> bool {
    (got - want).abs() <= 0.01 * want.abs()
}

#[test]
fn usl_recovers_known_parameters_from_exact_points() {
    for (lambda, sigma, kappa) in [
        (0.95, 0.05, 0.002),
        (1.0, 0.2, 0.01),
        (0.8, 0.01, 0.0005),
        (1.0, 0.3, 0.0),
    ] {
        let pts = points(&[1, 2, 3, 4, 6, 8, 12, 16], |n| {
            usl(lambda, sigma, kappa, n)
        });
        let fit = fit_usl(&pts).unwrap();
        assert!(within_1pct(fit.lambda, lambda), "λ {fit:?}");
        assert!(within_1pct(fit.sigma, sigma), "σ {fit:?}");
        assert!(
            (fit.kappa - kappa).abs() <= 0.01 * kappa.max(1e-6),
            "κ {fit:?}"
        );
        assert!(fit.quality.r2.unwrap() > 0.999_999, "{fit:?}");
        assert!(fit.quality.max_residual < 1e-6, "{fit:?}");
        if kappa > 0.0 {
            let peak = ((1.0 - sigma) / kappa).sqrt();
            assert!(within_1pct(fit.peak_workers().unwrap(), peak), "{fit:?}");
        } else {
            assert_eq!(fit.peak_workers(), None);
        }
    }
}

#[test]
fn usl_gets_close_from_noisy_points_and_keeps_its_constraints() {
    // ±1 % alternating noise around a known curve.
    let (lambda, sigma, kappa) = (0.97, 0.08, 0.004);
    let ws = [1usize, 2, 3, 4, 5, 6, 8, 10];
    let pts: Vec<ScalingPoint> = ws
        .iter()
        .enumerate()
        .map(|(i, &w)| ScalingPoint {
            workers: w,
            speedup: usl(lambda, sigma, kappa, w as f64) * if i % 2 == 0 { 1.01 } else { 0.99 },
        })
        .collect();
    let fit = fit_usl(&pts).unwrap();
    assert!((fit.sigma - sigma).abs() < 0.03, "{fit:?}");
    assert!((fit.lambda - lambda).abs() < 0.03, "{fit:?}");
    assert!(fit.quality.r2.unwrap() > 0.98, "{fit:?}");
    // Superlinear points would want σ < 0: the fit stays at σ = 0.
    let superlinear = points(&[1, 2, 3, 4, 5, 6], |n| n * (1.0 + 0.02 * n));
    let fit = fit_usl(&superlinear).unwrap();
    assert!(fit.sigma >= 0.0 && fit.kappa >= 0.0, "{fit:?}");
}

#[test]
fn gunthers_linearisation_alone_recovers_exact_parameters() {
    // The start of the refinement: exact on exact points (κ = a, σ = b − a).
    let (sigma, kappa) = (0.15, 0.008);
    let pts = points(&[1, 2, 3, 4, 6, 8], |n| usl(0.9, sigma, kappa, n));
    let (s, k) = linearised_usl(&pts, pts[0].speedup);
    assert!(
        (s - sigma).abs() < 1e-9 && (k - kappa).abs() < 1e-9,
        "{s} {k}"
    );
    // Constrained: a concave deviation (y = 0.3x − 0.01x²) wants κ < 0; it gets κ = 0 and σ
    // from the one-parameter fit y = σx.
    let ws = [1usize, 2, 3, 4, 6, 8];
    let concave = points(&ws, |n| {
        n / (1.0 + 0.3 * (n - 1.0) - 0.01 * (n - 1.0).powi(2))
    });
    let (s, k) = linearised_usl(&concave, 1.0);
    let (sxy, sxx) = ws.iter().fold((0.0, 0.0), |(a, b), &w| {
        let x = w as f64 - 1.0;
        (a + x * (0.3 * x - 0.01 * x * x), b + x * x)
    });
    assert_eq!(k, 0.0);
    assert!((s - sxy / sxx).abs() < 1e-9, "{s} vs {}", sxy / sxx);
}

#[test]
fn the_refinement_improves_on_the_linearisation() {
    // Exact points, but the one-worker point 4 % low: the linearisation divides every point
    // by it and is thrown off; least squares on X(N) should recover most of the truth.
    let (lambda, sigma, kappa) = (1.0, 0.1, 0.005);
    let mut pts = points(&[1, 2, 3, 4, 6, 8, 10, 12], |n| {
        usl(lambda, sigma, kappa, n)
    });
    pts[0].speedup *= 0.96;
    let x1 = pts[0].speedup;
    let (s0, k0) = linearised_usl(&pts, x1);
    let start = quality(&pts, |n| usl(x1, s0, k0, n));
    let fit = fit_usl(&pts).unwrap();
    let unexplained = |q: &FitQuality| 1.0 - q.r2.unwrap();
    assert!(
        unexplained(&fit.quality) < unexplained(&start) / 2.0,
        "{fit:?} vs linearised {start:?}"
    );
    assert!((fit.sigma - sigma).abs() < 0.02, "{fit:?}");
}

#[test]
fn usl_refuses_too_few_worker_counts_or_no_single_worker() {
    let five = points(&[1, 2, 3, 4, 5], |n| usl(1.0, 0.1, 0.01, n));
    let e = fit_usl(&five).unwrap_err();
    assert!(e.contains("at least 6 worker counts, has 5"), "{e}");
    // Repeating a count adds no information.
    let mut repeated = five.clone();
    repeated.extend(five.iter().copied());
    assert!(fit_usl(&repeated).is_err());
    let no_one = points(&[2, 3, 4, 5, 6, 7], |n| usl(1.0, 0.1, 0.01, n));
    assert!(fit_usl(&no_one).unwrap_err().contains("1-worker"));
    let bad = points(&[1, 2, 3, 4, 5, 6], |n| if n == 3.0 { 0.0 } else { n });
    assert!(fit_usl(&bad).is_err());
}

#[test]
fn amdahl_recovers_its_serial_fraction_and_refuses_too_few_points() {
    for s in [0.0, 0.05, 0.25, 0.6, 1.0] {
        let pts = points(&[1, 2, 4], |n| amdahl_speedup(s, n));
        let fit = fit_amdahl(&pts).unwrap();
        assert!(
            (fit.serial_fraction - s).abs() <= 0.01 * s.max(1e-6),
            "{s}: {fit:?}"
        );
        assert!(fit.quality.max_residual < 1e-9, "{fit:?}");
    }
    // The one-worker point does not count towards the minimum.
    let e = fit_amdahl(&points(&[1, 2], |n| amdahl_speedup(0.1, n))).unwrap_err();
    assert!(e.contains("at least 2 worker counts above 1, has 1"), "{e}");
    assert!(fit_amdahl(&points(&[2, 3], |n| amdahl_speedup(0.1, n))).is_ok());
    // A slowdown is clamped to s = 1 (no speedup at all), not beyond.
    let slower = points(&[1, 2, 4], |_| 0.8);
    assert_eq!(fit_amdahl(&slower).unwrap().serial_fraction, 1.0);
}

#[test]
fn karp_flatt_on_known_speedups() {
    // Linear speedup: no serial part.
    assert_eq!(karp_flatt(4.0, 4), Some(0.0));
    // No speedup: all serial.
    assert!((karp_flatt(1.0, 8).unwrap() - 1.0).abs() < 1e-12);
    // Consistent with Amdahl: e = s for S = amdahl(s, p).
    for (s, p) in [(0.1, 2usize), (0.25, 4), (0.05, 16)] {
        let e = karp_flatt(amdahl_speedup(s, p as f64), p).unwrap();
        assert!((e - s).abs() < 1e-12, "{s} {p} {e}");
    }
    // Beazley's old GIL, 2 threads at 0.51x: e = 2.92 (a slowdown is e > 1).
    assert!((karp_flatt(0.51, 2).unwrap() - 2.9216).abs() < 1e-3);
    assert_eq!(karp_flatt(2.0, 1), None);
    assert_eq!(karp_flatt(0.0, 2), None);
}
