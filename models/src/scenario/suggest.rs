//! "Did you mean …?": the one closest known name to a misspelt one.
//!
//! Used for unknown keys, enum values (schedulers, fault kinds, placement policies, jitter…),
//! metrics and tenant/cell/tier/fault ids. One suggestion at most, and only when it is close
//! enough to be a likely typo (see [`closest`]); otherwise nothing, so a message never points
//! at an unrelated name. Comparison ignores ASCII case and treats `-` as `_`, so `Round-Robin`
//! finds `round_robin`.

/// Edit distance (Levenshtein: insertions, deletions, substitutions; an adjacent swap costs
/// 1, as in Damerau's optimal string alignment) between `a` and `b`, in characters.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: the one before last (for swaps), the last, and the current.
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn fold(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// The candidate closest to `word`, if close enough to be a typo: an exact match after
/// folding case and `-`/`_`, or within an edit distance of 1 for words of up to 4
/// characters, 2 up to 8, 3 beyond. Ties go to the earlier candidate (deterministic). Inputs
/// longer than 64 characters get no suggestion (bounded work whatever the input).
pub fn closest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    if word.chars().count() > 64 {
        return None;
    }
    let w = fold(word);
    let limit = match w.chars().count() {
        0 => return None,
        1..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == word || c.chars().count() > 64 {
            continue;
        }
        let d = distance(&w, &fold(c));
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `" (did you mean `x`?)"` for the closest candidate, or `""`: ready to follow the
/// misspelt word in a message.
pub fn hint<'a, I>(word: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    match closest(word, candidates) {
        Some(c) => format!(" (did you mean `{c}`?)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        // Goal: the metric is the one typos need. Method: known pairs.
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("drr", "drr"), 0);
        assert_eq!(distance("dr", "drr"), 1);
        assert_eq!(distance("fifo", "ffio"), 1, "a swap costs one");
    }

    #[test]
    fn one_close_suggestion_or_none() {
        // Goal: one likely name for a typo, nothing for a word unlike any candidate.
        let keys = ["cells", "workers", "scheduler", "quantum", "tenant_cap"];
        assert_eq!(closest("shceduler", keys), Some("scheduler"));
        assert_eq!(closest("worker", keys), Some("workers"));
        assert_eq!(closest("Tenant-Cap", keys), Some("tenant_cap"));
        assert_eq!(closest("zebra", keys), None);
        assert_eq!(closest("x", keys), None);
        let placements = ["round_robin", "power_of_two", "bin_pack"];
        assert_eq!(closest("power_of_too", placements), Some("power_of_two"));
        assert_eq!(hint("bin_pak", placements), " (did you mean `bin_pack`?)");
        assert_eq!(hint("nothing_like_it", placements), "");
        assert_eq!(closest(&"a".repeat(1000), placements), None);
    }
}

/// serde's "unknown field `x`, expected one of `a`, `b`, …" (and "unknown variant …")
/// reworded for a scenario author: the one likely key or value when there is one, instead of
/// the whole list (serde's wording of the first part is kept: tests and users grep for it); the list (it is all there is to go on) when none is close. `None` when
/// `msg` is not such a message.
pub fn reword_unknown(msg: &str) -> Option<String> {
    let (what, rest) = if let Some(r) = msg.strip_prefix("unknown field `") {
        ("field", r)
    } else if let Some(r) = msg.strip_prefix("unknown variant `") {
        ("variant", r)
    } else {
        return None;
    };
    let (word, tail) = rest.split_once('`')?;
    let expected: Vec<&str> = tail
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.starts_with("$__"))
        .collect();
    let tail = tail.trim_start_matches(',').trim();
    Some(match closest(word, expected.iter().copied()) {
        Some(c) => format!("unknown {what} `{word}`; did you mean `{c}`?"),
        None if expected.is_empty() => format!("unknown {what} `{word}`; {tail}"),
        None => format!(
            "unknown {what} `{word}`; expected one of {}",
            expected
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

#[cfg(test)]
mod reword_tests {
    use super::*;

    #[test]
    fn serde_messages_get_one_suggestion() {
        // Goal: a typo'd key or enum value gets the one close name, not the 22-key list; a
        // word like none keeps the list. Method: serde's message texts as toml passes them.
        let keys =
            "unknown field `shceduler`, expected one of `cells`, `workers`, `scheduler`, `quantum`";
        assert_eq!(
            reword_unknown(keys).unwrap(),
            "unknown field `shceduler`; did you mean `scheduler`?"
        );
        let far = "unknown field `zebra`, expected one of `cells`, `workers`";
        assert_eq!(
            reword_unknown(far).unwrap(),
            "unknown field `zebra`; expected one of `cells`, `workers`"
        );
        let variant =
            "unknown variant `drrr`, expected one of `fifo`, `drr`, `tenant_cap`, `drr_cap`";
        assert_eq!(
            reword_unknown(variant).unwrap(),
            "unknown variant `drrr`; did you mean `drr`?"
        );
        assert_eq!(reword_unknown("invalid type: string"), None);
    }
}
