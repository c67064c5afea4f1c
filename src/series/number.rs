//! Numbers as OpenRocket writes them in data rows: short decimals (`0.248`, `1.013e5`, `-3`),
//! `NaN`, `Inf`/`Infinity`. A fast path reads the common form exactly; anything else goes
//! through the standard library's parser ([`parse_text`], which the XML reader also uses for
//! every other number in a file). It depends on nothing else in the crate.

/// Exact powers of ten representable in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Parses one value. `None` for text that is not a number.
///
/// The fast path takes `[-]digits[.digits][e[-]digits]` with at most 15 significant digits and a
/// decimal exponent within ±22: the mantissa and the power of ten are then both exact, so one
/// multiplication or division gives the correctly rounded result (Clinger's fast path), the
/// same value `str::parse` gives.
#[inline]
pub fn parse(s: &[u8]) -> Option<f64> {
    if s == b"NaN" {
        return Some(f64::NAN);
    }
    let (neg, body) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    // Digits with at most one point, in one pass.
    let mut mantissa: u64 = 0;
    let mut digits = 0u32;
    let mut point: Option<usize> = None;
    let mut i = 0;
    while let Some(&c) = body.get(i) {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
            digits += 1;
        } else if c == b'.' && point.is_none() {
            point = Some(i);
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 {
        return slow(s);
    }
    let mut exp: i32 = match point {
        Some(at) => -((i - at - 1) as i32),
        None => 0,
    };
    if let Some(&c) = body.get(i) {
        if c != b'e' && c != b'E' {
            return slow(s);
        }
        i += 1;
        let eneg = body.get(i) == Some(&b'-');
        if matches!(body.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let es = i;
        let mut e: i32 = 0;
        while let Some(&c) = body.get(i) {
            let d = c.wrapping_sub(b'0');
            if d >= 10 || e >= 10_000 {
                break;
            }
            e = e * 10 + i32::from(d);
            i += 1;
        }
        if i == es || i != body.len() {
            return slow(s);
        }
        exp += if eneg { -e } else { e };
    }
    if digits > 15 {
        return slow(s);
    }
    let m = mantissa as f64;
    let v = if exp == 0 {
        m
    } else if (1..=22).contains(&exp) {
        m * POW10[exp as usize]
    } else if (-22..0).contains(&exp) {
        m / POW10[(-exp) as usize]
    } else {
        return slow(s);
    };
    Some(if neg { -v } else { v })
}

#[cold]
fn slow(s: &[u8]) -> Option<f64> {
    parse_text(std::str::from_utf8(s).ok()?.trim())
}

/// Parses a number the way OpenRocket writes it anywhere in a file (attributes, element text);
/// `NaN`, `Infinity` and `-Infinity` allowed. The XML reader's parser for every number outside
/// data rows, and the slow path of [`parse`].
pub fn parse_text(s: &str) -> Option<f64> {
    match s {
        "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn check(input: &str, expected: Option<f64>) {
        let got = parse(input.as_bytes());
        match (got, expected) {
            (Some(g), Some(e)) if e.is_nan() => assert!(g.is_nan(), "{input}: {g}"),
            (Some(g), Some(e)) => assert_eq!(g.to_bits(), e.to_bits(), "{input}"),
            (g, e) => assert_eq!(g, e, "{input}"),
        }
    }

    #[test]
    fn forms_openrocket_writes() {
        for (input, expected) in [
            ("0", Some(0.0)),
            ("-0", Some(-0.0)),
            ("0.248", Some(0.248)),
            ("1.013e5", Some(1.013e5)),
            ("1.001e-5", Some(1.001e-5)),
            ("-3.5E-2", Some(-0.035)),
            ("340.389", Some(340.389)),
            ("6.216e4", Some(62160.0)),
            ("NaN", Some(f64::NAN)),
            ("Inf", Some(f64::INFINITY)),
            ("Infinity", Some(f64::INFINITY)),
            ("-Infinity", Some(f64::NEG_INFINITY)),
            ("12345678901234567890", Some(12345678901234567890.0)),
            ("0.1000000000000000055511151231257827", Some(0.1)),
            ("1e300", Some(1e300)),
            ("1e999", Some(f64::INFINITY)),
            (" 2.5 ", Some(2.5)),
            ("", None),
            ("-", None),
            ("abc", None),
            ("1.2.3", None),
            ("1e", None),
            ("12,5", None),
            ("123456789012", Some(123456789012.0)),
            ("0.123456789012", Some(0.123456789012)),
            ("-98765432.1234567", Some(-98765432.1234567)),
            ("12345678.12345678", Some(12345678.12345678)),
            ("00000000000000001", Some(1.0)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("+5", Some(5.0)),
            ("1e-22", Some(1e-22)),
            ("1e23", Some(1e23)),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn fast_path_agrees_with_the_standard_parser() {
        // A spread of short decimals, as the rows hold them.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mant = x % 100_000_000;
            let scale = (x >> 40) % 12;
            let e = ((x >> 50) % 30) as i32 - 15;
            for s in [
                format!("{}", mant as f64 / 10f64.powi(scale as i32)),
                format!("{mant}e{e}"),
                format!("-{}.{}", mant / 1000, mant % 1000),
            ] {
                let expected: f64 = s.parse().unwrap();
                check(&s, Some(expected));
            }
        }
    }
}
