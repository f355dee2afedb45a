//! Numbers shown with a fixed count of decimals ("3.5 h", "42.9 %", SVG
//! coordinates), written with integer arithmetic: `format!("{:.1}", x)`
//! would compile in the whole of Rust's float formatting, about 4 KB
//! gzipped of the settings' chunk (issue 13).

/// `value` with `places` decimals (at most 6), rounded half away from zero.
pub fn fixed(value: f64, places: u32) -> String {
    let scale = 10u64.pow(places.min(6));
    let scaled = (value * scale as f64).round();
    let sign = if scaled < 0.0 { "-" } else { "" };
    let n = scaled.abs() as u64;
    if scale == 1 {
        return format!("{sign}{n}");
    }
    let width = places.min(6) as usize;
    format!("{sign}{}.{:0width$}", n / scale, n % scale)
}

#[cfg(test)]
mod tests {
    use super::fixed;

    #[test]
    fn writes_the_decimals_asked_for() {
        assert_eq!(fixed(3.5, 1), "3.5");
        assert_eq!(fixed(2.0, 1), "2.0");
        assert_eq!(fixed(0.4286 * 100.0, 1), "42.9");
        assert_eq!(fixed(99.999, 2), "100.00");
        assert_eq!(fixed(0.8, 2), "0.80");
        assert_eq!(fixed(12.345, 0), "12");
        assert_eq!(fixed(0.05, 2), "0.05");
    }

    #[test]
    fn rounds_half_away_from_zero_and_keeps_the_sign() {
        assert_eq!(fixed(0.25, 1), "0.3");
        assert_eq!(fixed(-0.25, 1), "-0.3");
        assert_eq!(fixed(-1.5, 0), "-2");
        assert_eq!(fixed(-0.04, 1), "0.0");
    }
}
