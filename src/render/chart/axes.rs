//! Axes: round 1-2-5 ticks, how their values print, and the flight data as runs of usable
//! points in display units (with their extents and unit divisors).

use super::MAX_VALUE;

// ---------------------------------------------------------------------------------------------
// Ticks.

/// Round tick values covering a range: `lo ≤ min`, `hi ≥ max`, a step of 1, 2 or 5 × 10ⁿ, and
/// `values` from `lo` to `hi` by `step`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    pub lo: f64,
    pub hi: f64,
    pub step: f64,
    pub values: Vec<f64>,
}

/// The roundest ticks covering `[min, max]` in at most `max_intervals` steps (at least 2).
/// A degenerate range (one value) is widened by 10 % of its magnitude, or by 1 around zero;
/// non-finite bounds give `[0, 1]`.
pub fn nice_ticks(min: f64, max: f64, max_intervals: usize) -> Ticks {
    let (mut a, mut b) = if min.is_finite() && max.is_finite() {
        (min.min(max), min.max(max))
    } else if min.is_finite() {
        (min, min)
    } else if max.is_finite() {
        (max, max)
    } else {
        (0.0, 1.0)
    };
    // Far beyond any flight: keep the arithmetic exact.
    a = a.clamp(-1e15, 1e15);
    b = b.clamp(-1e15, 1e15);
    let mag = a.abs().max(b.abs());
    if b - a <= mag * 1e-9 {
        let pad = if mag > 0.0 { mag * 0.1 } else { 1.0 };
        a -= pad;
        b += pad;
    }
    let n = max_intervals.clamp(2, 100);
    let raw = (b - a) / n as f64;
    let exp0 = raw.log10().floor() as i32;
    let mut chosen = None;
    'search: for exp in exp0..exp0 + 40 {
        for m in [1.0, 2.0, 5.0] {
            let step = m * 10f64.powi(exp);
            let lo_k = (a / step + 1e-9).floor();
            let hi_k = (b / step - 1e-9).ceil();
            if step > 0.0 && hi_k - lo_k <= n as f64 && hi_k > lo_k {
                chosen = Some((step, lo_k, hi_k));
                break 'search;
            }
        }
    }
    let (step, lo_k, hi_k) = chosen.unwrap_or_else(|| {
        // Unreachable for finite input; a safe answer anyway.
        let step = (b - a).max(1e-300);
        ((step), (a / step).floor(), (a / step).floor() + 1.0)
    });
    let values: Vec<f64> = (0..=((hi_k - lo_k) as usize).min(100))
        .map(|i| {
            let v = (lo_k + i as f64) * step;
            if v.abs() < step * 1e-9 {
                0.0
            } else {
                v
            }
        })
        .collect();
    Ticks {
        lo: lo_k * step,
        hi: hi_k * step,
        step,
        values,
    }
}

/// Decimals that show a tick step exactly (0 for steps of 1 and more).
fn decimals_for(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) || step >= 1.0 {
        return 0;
    }
    (-(step.log10() + 1e-9)).ceil().clamp(0.0, 12.0) as usize
}

/// A number with fixed decimals, a real minus sign, thin-space thousands groups from five
/// digits on, and never `-0`.
pub(crate) fn fmt_num(v: f64, decimals: usize) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let int = if int.len() >= 5 {
        let mut out = String::with_capacity(int.len() + int.len() / 3);
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push('\u{2009}');
            }
            out.push(ch);
        }
        out
    } else {
        int
    };
    let zero = s.chars().all(|c| c == '0' || c == '.');
    let mut out = String::new();
    if v < 0.0 && !zero {
        out.push('−');
    }
    out.push_str(&int);
    if let Some(f) = frac {
        out.push('.');
        out.push_str(&f);
    }
    out
}

/// An axis in display units: its range, tick values and how they are printed.
#[derive(Debug, Clone)]
pub(super) struct Axis {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) ticks: Vec<f64>,
    decimals: usize,
}

impl Axis {
    /// Ticks covering `[dmin, dmax]`; with `trim`, an end tick interval that the data hardly
    /// enters (less than a quarter) is cut back to the data plus a small margin.
    pub(super) fn new(dmin: f64, dmax: f64, max_intervals: usize, trim: bool) -> Axis {
        let t = nice_ticks(dmin, dmax, max_intervals);
        let (mut lo, mut hi) = (t.lo, t.hi);
        if trim && t.values.len() > 2 && dmin.is_finite() && dmax.is_finite() {
            let pad = 0.02 * (dmax - dmin).max(t.step);
            if (t.values[1] - dmin) / t.step < 0.25 {
                lo = dmin - pad;
            }
            if (dmax - t.values[t.values.len() - 2]) / t.step < 0.25 {
                hi = dmax + pad;
            }
        }
        let eps = t.step * 1e-6;
        let ticks = t
            .values
            .iter()
            .copied()
            .filter(|v| *v >= lo - eps && *v <= hi + eps)
            .collect();
        Axis {
            lo,
            hi,
            ticks,
            decimals: decimals_for(t.step),
        }
    }

    pub(super) fn label(&self, v: f64) -> String {
        fmt_num(v, self.decimals)
    }
}

// ---------------------------------------------------------------------------------------------
// Data.

pub(super) fn usable(v: f64) -> bool {
    v.is_finite() && v.abs() <= MAX_VALUE
}

/// Runs of consecutive usable `(t, value)` points, in display units; a gap ends a run.
pub(super) fn runs_of(
    time: &[f64],
    values: Option<&Vec<Option<f64>>>,
    t_div: f64,
    v_div: f64,
) -> Runs {
    let mut runs = Vec::new();
    let Some(values) = values else {
        return runs;
    };
    let mut cur: Vec<[f64; 2]> = Vec::new();
    for (t, v) in time.iter().zip(values) {
        match v {
            Some(v) if usable(*t) && usable(*v) => cur.push([*t / t_div, *v / v_div]),
            _ => {
                if !cur.is_empty() {
                    runs.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}

pub(super) type Runs = Vec<Vec<[f64; 2]>>;

/// `(min, max)` of coordinate `i` over all points.
pub(super) fn extent(runs: &Runs, i: usize) -> Option<(f64, f64)> {
    runs.iter().flatten().fold(None, |acc, p| match acc {
        None => Some((p[i], p[i])),
        Some((a, b)) => Some((a.min(p[i]), b.max(p[i]))),
    })
}

/// Unit of a quantity axis: the base unit, or its thousandfold (`km`) from 10 000 on.
pub(super) fn unit_divisor(runs_si: &Runs) -> f64 {
    match extent(runs_si, 1) {
        Some((a, b)) if a.abs().max(b.abs()) >= 10_000.0 => 1000.0,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ticks are round (1, 2 or 5 × 10ⁿ), evenly spaced, cover the range, and are not too many.
    fn check_ticks(min: f64, max: f64, n: usize, expected_step: f64) {
        let t = nice_ticks(min, max, n);
        let what = format!("[{min}, {max}] in ≤ {n}: {t:?}");
        assert!(
            (t.step - expected_step).abs() <= expected_step * 1e-9,
            "{what}"
        );
        let m = t.step / 10f64.powf(t.step.log10().floor());
        assert!(
            [1.0, 2.0, 5.0, 10.0].iter().any(|r| (m - r).abs() < 1e-6),
            "not 1-2-5: {what}"
        );
        assert!(t.lo <= min.min(max) && t.hi >= max.max(min), "{what}");
        assert!(
            t.values.len() >= 2 && t.values.len() <= n.max(2) + 1,
            "{what}"
        );
        for w in t.values.windows(2) {
            assert!(((w[1] - w[0]) - t.step).abs() <= t.step * 1e-6, "{what}");
        }
        for v in &t.values {
            let k = v / t.step;
            assert!((k - k.round()).abs() < 1e-6, "not a multiple: {what}");
        }
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        for (min, max, n, step) in [
            (0.0, 612.0, 7, 100.0),
            (0.0, 685.0, 7, 100.0),
            (0.0, 15.888, 10, 2.0),
            (0.0, 83.5, 10, 10.0),
            (0.0, 1000.0, 10, 100.0),
            (0.0, 1.0, 5, 0.2),
            (-4.3, 3403.7, 8, 500.0),
            (-12.0, 95.0, 5, 50.0),
            (0.0, 10.0, 6, 2.0),
            (0.0, 100_000.0, 7, 20_000.0),
            (0.0, 1e9, 7, 2e8),
            (-1e9, 1e9, 8, 5e8),
            (0.001, 0.0042, 5, 0.001),
            (1e9, 1e9 + 1000.0, 4, 500.0),
            (1e9, 1e9 + 0.5, 4, 1e8),
            (2.0, 2.0, 5, 0.1),
            (0.0, 0.0, 5, 0.5),
            (-3.0, -1.0, 4, 0.5),
            (7.0, 3.0, 4, 1.0),
        ] {
            check_ticks(min, max, n, step);
        }
    }

    #[test]
    fn ticks_survive_nonsense() {
        for (a, b) in [
            (f64::NAN, 1.0),
            (f64::NAN, f64::NAN),
            (f64::NEG_INFINITY, f64::INFINITY),
            (-1e300, 1e300),
            (f64::MIN_POSITIVE, f64::MIN_POSITIVE * 2.0),
        ] {
            let t = nice_ticks(a, b, 6);
            assert!(t.step.is_finite() && t.step > 0.0, "{a} {b}: {t:?}");
            assert!(t.values.iter().all(|v| v.is_finite()), "{a} {b}: {t:?}");
            assert!(!t.values.is_empty() && t.values.len() <= 101);
        }
    }

    #[test]
    fn numbers_print_plainly() {
        for (v, d, s) in [
            (0.0, 0, "0"),
            (-0.0, 1, "0.0"),
            (-0.04, 1, "0.0"),
            (-5.0, 0, "−5"),
            (1234.0, 0, "1234"),
            (12345.0, 0, "12\u{2009}345"),
            (1e9, 0, "1\u{2009}000\u{2009}000\u{2009}000"),
            (0.30000000000000004, 1, "0.3"),
            (-250.5, 1, "−250.5"),
            (f64::NAN, 0, "0"),
        ] {
            assert_eq!(fmt_num(v, d), s, "{v} with {d}");
        }
        assert_eq!(decimals_for(0.1), 1);
        assert_eq!(decimals_for(0.5), 1);
        assert_eq!(decimals_for(0.05), 2);
        assert_eq!(decimals_for(2.0), 0);
    }

    #[test]
    fn axis_trims_an_end_the_data_hardly_enters() {
        let a = Axis::new(-4.3, 3800.0, 8, true);
        assert!(a.lo < -4.3 && a.lo > -200.0, "{a:?}");
        assert_eq!(a.ticks.first(), Some(&0.0), "{a:?}");
        let a = Axis::new(0.0, 685.0, 7, true);
        assert_eq!((a.lo, a.hi), (0.0, 700.0));
    }
}
