//! Simulated time: integer nanoseconds since the start of a run.
//!
//! [`SimTime`] is an instant, [`SimDuration`] a span; both are `u64` nanoseconds, which covers
//! 584 years, far beyond any run. Arithmetic saturates instead of wrapping, so a model can
//! never make time go backwards by overflow.
//!
//! Human units parse and print the way people write them: `250ms`, `1.5s`, `10m`, `1h30m`,
//! `100us` (or `µs`), `20ns`, `2d`. Fractions are allowed on any component and are rounded to
//! the nearest nanosecond.

use std::fmt;

/// Every spelling of a time unit the parsers accept (durations, and rates after `/`), with its
/// length in nanoseconds. One table for both, documented in `scenarios/README.md` ("Values").
/// The first spelling of each unit is the canonical one, the one durations print with.
pub const UNIT_ALIASES: &[(&str, u64)] = &[
    ("ns", 1),
    ("nsec", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("usec", 1_000),
    ("ms", 1_000_000),
    ("msec", 1_000_000),
    ("s", 1_000_000_000),
    ("sec", 1_000_000_000),
    ("secs", 1_000_000_000),
    ("second", 1_000_000_000),
    ("seconds", 1_000_000_000),
    ("m", 60_000_000_000),
    ("min", 60_000_000_000),
    ("mins", 60_000_000_000),
    ("minute", 60_000_000_000),
    ("minutes", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("hr", 3_600_000_000_000),
    ("hrs", 3_600_000_000_000),
    ("hour", 3_600_000_000_000),
    ("hours", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
    ("day", 86_400_000_000_000),
    ("days", 86_400_000_000_000),
];

/// Nanoseconds in one time unit written any way [`UNIT_ALIASES`] allows (`min`, `sec`, ...).
pub fn unit_nanos(unit: &str) -> Option<u64> {
    UNIT_ALIASES
        .iter()
        .find(|(u, _)| *u == unit)
        .map(|(_, n)| *n)
}

/// The unit to suggest for a number written without one in `text`: after a compound's last
/// unit, the next smaller one (`5m30` → `s`, `1h30` → `m`); alone, seconds.
fn suggested_unit(text: &str) -> &'static str {
    let before: String = text
        .trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '_')
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_alphabetic())
        .collect::<Vec<char>>()
        .into_iter()
        .rev()
        .collect();
    match unit_nanos(&before) {
        Some(86_400_000_000_000) => "h",
        Some(3_600_000_000_000) => "m",
        Some(60_000_000_000) => "s",
        Some(1_000_000_000) => "ms",
        Some(1_000_000) => "us",
        Some(1_000) => "ns",
        _ => "s",
    }
}

/// A span of simulated time in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

/// An instant of simulated time: nanoseconds since the run started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimDuration {
    /// Zero length.
    pub const ZERO: SimDuration = SimDuration(0);
    /// The longest representable span; used as "never".
    pub const MAX: SimDuration = SimDuration(u64::MAX);
    /// `n` nanoseconds.
    pub const fn from_nanos(n: u64) -> Self {
        SimDuration(n)
    }
    /// `n` microseconds.
    pub const fn from_micros(n: u64) -> Self {
        SimDuration(n.saturating_mul(1_000))
    }
    /// `n` milliseconds.
    pub const fn from_millis(n: u64) -> Self {
        SimDuration(n.saturating_mul(1_000_000))
    }
    /// `n` seconds.
    pub const fn from_secs(n: u64) -> Self {
        SimDuration(n.saturating_mul(1_000_000_000))
    }
    /// From fractional seconds, rounded to the nearest nanosecond; negative and NaN give zero.
    pub fn from_secs_f64(s: f64) -> Self {
        Self::from_nanos_f64(s * 1e9)
    }
    /// From fractional nanoseconds, rounded to nearest; negative and NaN give zero, too large
    /// saturates.
    pub fn from_nanos_f64(ns: f64) -> Self {
        if ns.is_nan() || ns <= 0.0 {
            SimDuration(0)
        } else if ns >= u64::MAX as f64 {
            SimDuration(u64::MAX)
        } else {
            // Round half away from zero, as `libm::round`, without the call: the integer part
            // and the fraction are both exact in f64 for every finite value below 2^64 (above
            // 2^53 every f64 is an integer), so this is bit-for-bit the same answer
            // (`rounding_matches_libm` checks it).
            let whole = ns as u64;
            if ns - whole as f64 >= 0.5 {
                SimDuration(whole + 1)
            } else {
                SimDuration(whole)
            }
        }
    }
    /// Nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Fractional seconds (for reports; never fed back into the simulation's ordering).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    /// Fractional milliseconds.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    /// Saturating addition.
    pub const fn saturating_add(self, o: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(o.0))
    }
    /// Saturating subtraction.
    pub const fn saturating_sub(self, o: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(o.0))
    }
    /// Saturating multiplication by an integer.
    pub const fn saturating_mul(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }
    /// Parses a human duration such as `250ms`, `1h30m`, `1.5s`. A bare `0` is accepted.
    pub fn parse(text: &str) -> Result<SimDuration, ParseDurationError> {
        parse_duration(text)
    }
}

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The far future; used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);
    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Fractional seconds since the start (for reports).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    /// Instant `d` after `self`, saturating at [`SimTime::MAX`].
    pub const fn after(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
    /// Span from `earlier` to `self`, zero if `earlier` is later.
    pub const fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
    /// The instant as a duration since the start.
    pub const fn as_duration(self) -> SimDuration {
        SimDuration(self.0)
    }
}

impl std::ops::Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        self.after(d)
    }
}

impl std::ops::Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        self.saturating_add(d)
    }
}

/// Why a duration did not parse; the message says what would be right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseDurationError {
    /// Nothing to parse.
    #[error("empty duration; expected something like `250ms`, `10s`, `1h30m`")]
    Empty,
    /// A number without a unit (other than `0`).
    #[error(
        "`{0}` has no unit; write it with one of ns, us, ms, s, m, h, d (e.g. `{0}{unit}`)",
        unit = suggested_unit(.0)
    )]
    MissingUnit(String),
    /// A unit we do not know.
    #[error(
        "unknown time unit `{unit}` in `{text}`; expected one of ns, us, ms, s, m, h, d \
         (also written nsec, usec/µs, msec, sec/secs/second(s), min/mins/minute(s), \
         hr/hrs/hour(s), day(s))"
    )]
    UnknownUnit {
        /// The offending unit.
        unit: String,
        /// The whole text.
        text: String,
    },
    /// Something that is not a number where a number must be.
    #[error(
        "`{0}` is not a duration; expected a number followed by a unit, e.g. `250ms`, `1h30m`"
    )]
    BadNumber(String),
    /// A negative sign.
    #[error("`{0}` is negative; durations are zero or more")]
    Negative(String),
    /// Overflow of u64 nanoseconds.
    #[error("`{0}` is too long (the limit is about 584 years)")]
    Overflow(String),
}

fn parse_duration(text: &str) -> Result<SimDuration, ParseDurationError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ParseDurationError::Empty);
    }
    if t.starts_with('-') {
        return Err(ParseDurationError::Negative(t.to_string()));
    }
    if t == "0" {
        return Ok(SimDuration::ZERO);
    }
    let mut total: u128 = 0;
    let mut rest = t;
    let mut any = false;
    while !rest.is_empty() {
        rest = rest.trim_start();
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(ParseDurationError::BadNumber(t.to_string()));
        }
        let num_text: String = rest[..num_len].chars().filter(|&c| c != '_').collect();
        let value: f64 = num_text
            .parse()
            .map_err(|_| ParseDurationError::BadNumber(t.to_string()))?;
        rest = rest[num_len..].trim_start();
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        if unit.is_empty() {
            return Err(ParseDurationError::MissingUnit(t.to_string()));
        }
        let scale = unit_nanos(unit).ok_or_else(|| ParseDurationError::UnknownUnit {
            unit: unit.to_string(),
            text: t.to_string(),
        })?;
        let ns = value * scale as f64;
        if !ns.is_finite() || ns >= u64::MAX as f64 {
            return Err(ParseDurationError::Overflow(t.to_string()));
        }
        total += libm::round(ns) as u128;
        rest = &rest[unit_len..];
        any = true;
    }
    if !any {
        return Err(ParseDurationError::BadNumber(t.to_string()));
    }
    u64::try_from(total)
        .map(SimDuration)
        .map_err(|_| ParseDurationError::Overflow(t.to_string()))
}

impl fmt::Display for SimDuration {
    /// Prints the shortest exact form for whole units (`1h30m`, `250ms`) and three significant
    /// decimals otherwise (`1.234s`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        if ns == 0 {
            return f.write_str("0s");
        }
        if ns == u64::MAX {
            return f.write_str("never");
        }
        if ns.is_multiple_of(1_000_000_000) && ns >= 60_000_000_000 {
            // whole seconds of a minute or more: compose d/h/m/s
            let mut rest = ns;
            for (u, s) in [
                ("d", 86_400_000_000_000u64),
                ("h", 3_600_000_000_000),
                ("m", 60_000_000_000),
                ("s", 1_000_000_000),
            ] {
                if rest >= s {
                    write!(f, "{}{}", rest / s, u)?;
                    rest %= s;
                }
            }
            return Ok(());
        }
        for (u, s) in [
            ("s", 1_000_000_000u64),
            ("ms", 1_000_000),
            ("us", 1_000),
            ("ns", 1),
        ] {
            if ns >= s {
                if ns.is_multiple_of(s) {
                    return write!(f, "{}{}", ns / s, u);
                }
                let v = ns as f64 / s as f64;
                let s = format!("{v:.3}");
                let s = s.trim_end_matches('0').trim_end_matches('.');
                return write!(f, "{s}{u}");
            }
        }
        write!(f, "{ns}ns")
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}", SimDuration(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_human_units() {
        let ms = 1_000_000;
        assert_eq!(SimDuration::parse("250ms").unwrap().0, 250 * ms);
        assert_eq!(SimDuration::parse("10m").unwrap().0, 600_000 * ms);
        assert_eq!(SimDuration::parse("1h30m").unwrap().0, 5_400_000 * ms);
        assert_eq!(SimDuration::parse("1.5s").unwrap().0, 1_500 * ms);
        assert_eq!(SimDuration::parse("100us").unwrap().0, 100_000);
        assert_eq!(SimDuration::parse("100µs").unwrap().0, 100_000);
        assert_eq!(SimDuration::parse("7ns").unwrap().0, 7);
        assert_eq!(SimDuration::parse("1_000ms").unwrap().0, 1_000 * ms);
        assert_eq!(SimDuration::parse("2m 30s").unwrap().0, 150_000 * ms);
        assert_eq!(SimDuration::parse("0").unwrap().0, 0);
    }

    /// The review found `5min` rejected while `30/min` was accepted (D6): every spelling in
    /// `UNIT_ALIASES` works in durations, alone, combined and spaced.
    #[test]
    fn unit_aliases_work_in_durations() {
        let min = 60_000_000_000;
        for t in [
            "5min",
            "5 min",
            "5mins",
            "5 minutes",
            "5minute",
            "300s",
            "300sec",
            "300 seconds",
        ] {
            assert_eq!(SimDuration::parse(t).unwrap().0, 5 * min, "{t}");
        }
        assert_eq!(SimDuration::parse("1hr30min").unwrap().0, 90 * min);
        assert_eq!(SimDuration::parse("2 hours").unwrap().0, 120 * min);
        assert_eq!(SimDuration::parse("1day").unwrap().0, 1440 * min);
        assert_eq!(SimDuration::parse("250msec").unwrap().0, 250_000_000);
        assert_eq!(SimDuration::parse("3usec").unwrap().0, 3_000);
        for (u, ns) in UNIT_ALIASES {
            assert_eq!(
                SimDuration::parse(&format!("2{u}")).unwrap().0,
                2 * ns,
                "{u}"
            );
        }
    }

    /// A number without a unit gets a suggestion that fits where it stands (D6: `5m30`
    /// suggested `5m30ms`, a bare `90` suggested `90ms`).
    #[test]
    fn missing_units_get_a_fitting_suggestion() {
        let msg = |t: &str| SimDuration::parse(t).unwrap_err().to_string();
        assert!(msg("5m30").contains("e.g. `5m30s`"), "{}", msg("5m30"));
        assert!(msg("1h30").contains("e.g. `1h30m`"), "{}", msg("1h30"));
        assert!(msg("2s500").contains("e.g. `2s500ms`"), "{}", msg("2s500"));
        assert!(msg("90").contains("e.g. `90s`"), "{}", msg("90"));
        assert!(
            msg("1min 30").contains("e.g. `1min 30s`"),
            "{}",
            msg("1min 30")
        );
        assert!(msg("5 parsecs").contains("min/mins/minute(s)"));
    }

    #[test]
    fn rejects_bad_durations_with_helpful_messages() {
        let e = SimDuration::parse("10 parsecs").unwrap_err();
        assert!(matches!(e, ParseDurationError::UnknownUnit { ref unit, .. } if unit == "parsecs"));
        assert!(e.to_string().contains("expected one of"));
        assert!(matches!(
            SimDuration::parse("10"),
            Err(ParseDurationError::MissingUnit(_))
        ));
        assert!(matches!(
            SimDuration::parse("-5s"),
            Err(ParseDurationError::Negative(_))
        ));
        assert!(matches!(
            SimDuration::parse(""),
            Err(ParseDurationError::Empty)
        ));
        assert!(matches!(
            SimDuration::parse("ms"),
            Err(ParseDurationError::BadNumber(_))
        ));
        assert!(matches!(
            SimDuration::parse("1..2s"),
            Err(ParseDurationError::BadNumber(_))
        ));
        assert!(matches!(
            SimDuration::parse("999999999d"),
            Err(ParseDurationError::Overflow(_))
        ));
    }

    #[test]
    fn formats_round_trip() {
        for text in [
            "1h30m", "250ms", "10m", "1.5s", "100us", "7ns", "2d3h", "0s", "1.234ms", "2m30s",
            "59s",
        ] {
            let d = SimDuration::parse(text).unwrap();
            assert_eq!(d.to_string(), text, "format of {text}");
            assert_eq!(SimDuration::parse(&d.to_string()).unwrap(), d);
        }
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(SimTime::MAX.after(SimDuration(5)), SimTime::MAX);
        assert_eq!(SimTime(5).since(SimTime(9)), SimDuration::ZERO);
        assert_eq!(SimDuration::from_nanos_f64(-3.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_nanos_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_nanos_f64(2.5), SimDuration(3));
    }

    /// The hand-written rounding of `from_nanos_f64` gives `libm::round`'s answer on the
    /// awkward values (just below a half, halves, around 2^52 and 2^53, near 2^64) and on a
    /// million values spread over every exponent from 2^-20 to 2^63.
    #[test]
    fn rounding_matches_libm() {
        let reference = |ns: f64| {
            if ns.is_nan() || ns <= 0.0 {
                0
            } else if ns >= u64::MAX as f64 {
                u64::MAX
            } else {
                libm::round(ns) as u64
            }
        };
        let mut awkward = vec![
            0.49999999999999994,
            0.5,
            1.5,
            2.5,
            4503599627370495.5,
            4503599627370497.0,
            9007199254740993.0,
            1.844_674_407_370_955e19,
            f64::MIN_POSITIVE,
        ];
        let mut rng = crate::rng::RngStream::new(11, "round", 0);
        for _ in 0..1_000_000 {
            let e = (rng.below(84) as i32) - 20;
            awkward.push(libm::ldexp(1.0 + rng.next_f64(), e));
        }
        for ns in awkward {
            assert_eq!(
                SimDuration::from_nanos_f64(ns).0,
                reference(ns),
                "at {ns:e}"
            );
        }
    }
}
