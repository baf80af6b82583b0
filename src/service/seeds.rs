//! `--seeds`: which seeds a `check` or `compare` runs.

/// Most seeds one command may run.
const MAX_SEEDS: u64 = 100_000;

/// Parses `1..=20`, `1..21`, `7`, `1,3,9`: at most [`MAX_SEEDS`], no seed twice.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>, String> {
    let t = text.trim();
    let bad = || {
        format!("`--seeds {t}`: write a range like `1..=20` or `1..21`, one seed like `7`, or a list like `1,3,9`")
    };
    let too_many = |n: u128| {
        format!("`--seeds {t}`: {n} seeds is more than the {MAX_SEEDS} allowed; use a smaller range (or shard the sweep)")
    };
    let num = |s: &str| s.trim().parse::<u64>().map_err(|_| bad());
    let range = |a: u64, end_exclusive: u128| -> Result<Vec<u64>, String> {
        let n = end_exclusive.saturating_sub(u128::from(a));
        if n > u128::from(MAX_SEEDS) {
            return Err(too_many(n));
        }
        Ok((0..n as u64).map(|i| a + i).collect())
    };
    let seeds: Vec<u64> = if let Some((a, b)) = t.split_once("..=") {
        let (a, b) = (num(a)?, num(b)?);
        if b < a {
            return Err(bad());
        }
        range(a, u128::from(b) + 1)?
    } else if let Some((a, b)) = t.split_once("..") {
        let (a, b) = (num(a)?, num(b)?);
        range(a, u128::from(b))?
    } else {
        let list = t.split(',').map(num).collect::<Result<Vec<_>, _>>()?;
        if list.len() as u128 > u128::from(MAX_SEEDS) {
            return Err(too_many(list.len() as u128));
        }
        if let Some(d) = list
            .iter()
            .enumerate()
            .find(|(i, x)| list[..*i].contains(x))
        {
            return Err(format!(
                "`--seeds {t}`: seed {} is given twice; each seed runs once",
                d.1
            ));
        }
        list
    };
    if seeds.is_empty() {
        return Err(bad());
    }
    Ok(seeds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse() {
        assert_eq!(parse_seeds("1..=3").unwrap(), vec![1, 2, 3]);
        assert_eq!(parse_seeds("1..3").unwrap(), vec![1, 2]);
        assert_eq!(parse_seeds("7").unwrap(), vec![7]);
        assert_eq!(parse_seeds("1,5,9").unwrap(), vec![1, 5, 9]);
        assert!(parse_seeds("3..=1").is_err());
        assert!(parse_seeds("x").is_err());
        assert!(parse_seeds("1..1").is_err());
        // Limits are checked before anything is allocated.
        assert!(parse_seeds("1..=100000").is_ok());
        assert!(parse_seeds("1..=100001")
            .unwrap_err()
            .contains("100001 seeds"));
        assert!(parse_seeds("1..=18446744073709551615").is_err());
        assert!(parse_seeds("0..18446744073709551615").is_err());
        assert_eq!(
            parse_seeds("18446744073709551615..=18446744073709551615").unwrap(),
            vec![u64::MAX]
        );
        assert!(parse_seeds("1,3,1")
            .unwrap_err()
            .contains("seed 1 is given twice"));
    }
}
