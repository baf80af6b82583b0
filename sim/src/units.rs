//! Quantities written the way people write them: rates (`200/s`), percentages (`2%`),
//! byte sizes (`4KiB`), plain counts — and durations via [`crate::time`].
//!
//! Every quantity is stored in a base unit: durations in nanoseconds, rates per second,
//! sizes in bytes, fractions as 0..=1.

use crate::time::SimDuration;

/// Why a quantity did not parse. The message names what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseQuantityError(pub String);

fn number(text: &str, what: &str) -> Result<f64, ParseQuantityError> {
    let cleaned: String = text.trim().chars().filter(|&c| c != '_').collect();
    let v: f64 = cleaned.parse().map_err(|_| {
        ParseQuantityError(format!(
            "`{}` is not a number; expected {what}",
            text.trim()
        ))
    })?;
    if !v.is_finite() {
        return Err(ParseQuantityError(format!(
            "`{}` is not a finite number; expected {what}",
            text.trim()
        )));
    }
    Ok(v)
}

/// A rate in events per second: `200/s`, `5/m`, `30/min`, `3600/h`, `2.5/ms`, or a bare number
/// (per second). The unit after `/` is any spelling a duration accepts.
pub fn parse_rate(text: &str) -> Result<f64, ParseQuantityError> {
    const WHAT: &str = "a rate like `200/s`, `30/m` or `1000/h`";
    let t = text.trim();
    let (num, per) = match t.split_once('/') {
        Some((n, u)) => {
            // The same unit spellings as durations (`crate::time::UNIT_ALIASES`). Dividing by
            // the period in seconds gives the very values of the former per-unit literals
            // (1e-3 for /ms, 60 for /m, ...): rates in shipped scenarios are unchanged.
            let per = match crate::time::unit_nanos(u.trim()) {
                Some(ns) => ns as f64 / 1e9,
                None => {
                    return Err(ParseQuantityError(format!(
                        "unknown rate unit `/{}` in `{t}`; expected /ms, /s, /m, /h or /d \
                         (also written /sec, /min, /hour, /day and the other spellings of \
                         durations' units)",
                        u.trim()
                    )))
                }
            };
            (number(n, WHAT)?, per)
        }
        None => (number(t, WHAT)?, 1.0),
    };
    if num < 0.0 {
        return Err(ParseQuantityError(format!(
            "rate `{t}` is negative; rates are zero or more"
        )));
    }
    if num / per > 1e9 {
        return Err(ParseQuantityError(format!(
            "rate `{t}` is above 10^9/s; tenantsim models request rates up to 1e9/s"
        )));
    }
    Ok(num / per)
}

/// A fraction: `2%`, `99.9%`, or a bare number in [0, 1].
pub fn parse_fraction(text: &str) -> Result<f64, ParseQuantityError> {
    const WHAT: &str = "a percentage like `2%` or a fraction like `0.02`";
    let t = text.trim();
    let v = match t.strip_suffix('%') {
        Some(n) => number(n, WHAT)? / 100.0,
        None => number(t, WHAT)?,
    };
    if !(0.0..=1.0).contains(&v) {
        return Err(ParseQuantityError(format!(
            "`{t}` is outside 0%..100%; expected {WHAT}"
        )));
    }
    Ok(v)
}

/// A size in bytes: `512B`, `4KB` (10^3), `4KiB` (2^10), `1MB`, `1MiB`, `2GB`, or a bare number.
pub fn parse_bytes(text: &str) -> Result<f64, ParseQuantityError> {
    const WHAT: &str = "a size like `512B`, `4KiB` or `1MB`";
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let scale = match unit.trim() {
        "" | "B" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(ParseQuantityError(format!(
                "unknown size unit `{other}` in `{t}`; expected B, KB, MB, GB, KiB, MiB or GiB"
            )))
        }
    };
    let v = number(n, WHAT)? * scale;
    if v < 0.0 {
        return Err(ParseQuantityError(format!("size `{t}` is negative")));
    }
    Ok(v)
}

/// A plain non-negative count (`3`, `2.5` for a mean).
pub fn parse_count(text: &str) -> Result<f64, ParseQuantityError> {
    let v = number(text, "a number like `3`")?;
    if v < 0.0 {
        return Err(ParseQuantityError(format!(
            "`{}` is negative; expected zero or more",
            text.trim()
        )));
    }
    Ok(v)
}

/// A duration in nanoseconds as f64 (see [`SimDuration::parse`]).
pub fn parse_duration_ns(text: &str) -> Result<f64, ParseQuantityError> {
    SimDuration::parse(text)
        .map(|d| d.as_nanos() as f64)
        .map_err(|e| ParseQuantityError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("200/s").unwrap(), 200.0);
        assert_eq!(parse_rate("60/m").unwrap(), 1.0);
        assert_eq!(parse_rate("3600/h").unwrap(), 1.0);
        assert_eq!(parse_rate("2/ms").unwrap(), 2000.0);
        assert_eq!(parse_rate("7").unwrap(), 7.0);
        assert!(parse_rate("-5/s").unwrap_err().0.contains("negative"));
        assert!(parse_rate("5/fortnight")
            .unwrap_err()
            .0
            .contains("unknown rate unit"));
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("2e12/s").unwrap_err().0.contains("above"));
        // The same spellings as durations, including `/ns` (which was missing).
        assert_eq!(parse_rate("30/min").unwrap(), 0.5);
        assert_eq!(parse_rate("30/sec").unwrap(), 30.0);
        assert_eq!(parse_rate("7200/hour").unwrap(), 2.0);
        assert_eq!(parse_rate("86400/day").unwrap(), 1.0);
        assert!((parse_rate("1/ns").unwrap() - 1e9).abs() < 1e-6);
    }

    #[test]
    fn fractions_and_sizes() {
        assert!((parse_fraction("2%").unwrap() - 0.02).abs() < 1e-15);
        assert!((parse_fraction("99.9%").unwrap() - 0.999).abs() < 1e-15);
        assert_eq!(parse_fraction("0.5").unwrap(), 0.5);
        assert!(parse_fraction("150%").is_err());
        assert_eq!(parse_bytes("4KiB").unwrap(), 4096.0);
        assert_eq!(parse_bytes("1MB").unwrap(), 1e6);
        assert_eq!(parse_bytes("10").unwrap(), 10.0);
        assert!(parse_bytes("3 parsecs").is_err());
        assert!(parse_count("-1").is_err());
    }
}
