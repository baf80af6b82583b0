//! `--vary KEY=V1,V2,...` (`tenantsim compare`): the varied scenario keys and every
//! combination of their values, each a variant made of `KEY=VALUE` overrides.
//!
//! A sibling of [`super::overrides`]: a variant of a sweep is a list of overrides applied
//! after the common `--set`s, so the flags that make one are parsed here, next to the
//! parser that applies them. The types are the comparison schema's
//! (`reports::comparison::{Vary, VariantSpec}`), which a comparison file records.
//!
//! **Guarantees.** Values split at commas outside brackets, braces and quotes (`[1,2]` is one
//! value); a key is a dotted path; no key or value is given twice. [`combinations`] lists
//! variants with the first key slowest, so a sweep's grid order (and every file written from
//! it) is a function of the flags' order alone.

use reports::comparison::{VariantSpec, Vary};

/// Splits `V1,V2,...` at commas outside brackets, braces and quotes (so `[1,2]` is one value).
fn split_values(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for ch in text.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(ch),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    out.push(cur.trim().to_string());
    out
}

/// Parses the `--vary` flags.
pub fn parse_vary(flags: &[String]) -> Result<Vec<Vary>, String> {
    let mut vary: Vec<Vary> = Vec::new();
    for f in flags {
        let (k, v) = f.split_once('=').ok_or_else(|| {
            format!("`--vary {f}` is not KEY=V1,V2,...; write e.g. `--vary control_plane.placement=least_loaded,shuffle_shard`")
        })?;
        let key = k.trim();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(format!(
                "`--vary {f}`: the key `{key}` is not a dotted scenario path like `platform.scheduler`"
            ));
        }
        let values = split_values(v);
        if values.iter().any(String::is_empty) {
            return Err(format!(
                "`--vary {f}`: a value is empty; separate values with single commas"
            ));
        }
        if let Some(d) = values
            .iter()
            .enumerate()
            .find(|(i, x)| values[..*i].contains(x))
        {
            return Err(format!("`--vary {f}`: the value `{}` is given twice", d.1));
        }
        if vary.iter().any(|x| x.key == key) {
            return Err(format!(
                "`--vary {key}=...` is given twice; list all its values in one flag"
            ));
        }
        vary.push(Vary {
            key: key.to_string(),
            values,
        });
    }
    if vary.is_empty() {
        return Err("give at least one `--vary KEY=V1,V2,...`".to_string());
    }
    Ok(vary)
}

/// Every combination of the varied values, first key slowest.
pub fn combinations(vary: &[Vary]) -> Vec<VariantSpec> {
    let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for v in vary {
        combos = combos
            .into_iter()
            .flat_map(|prefix| {
                v.values.iter().map(move |val| {
                    let mut c = prefix.clone();
                    c.push((v.key.clone(), val.clone()));
                    c
                })
            })
            .collect();
    }
    combos
        .into_iter()
        .map(|c| VariantSpec {
            label: c
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(" · "),
            sets: c.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: values split at top-level commas only, combinations come first key slowest
    /// with ` · ` labels, and each class of malformed flag is refused.
    #[test]
    fn vary_parsing() {
        let v = parse_vary(&[
            "control_plane.placement=a,b".into(),
            "platform.cells=[1, 2],3".into(),
        ])
        .unwrap();
        assert_eq!(v[1].values, vec!["[1, 2]", "3"]);
        let c = combinations(&v);
        assert_eq!(c.len(), 4);
        assert_eq!(c[1].label, "a · 3");
        assert_eq!(
            c[1].sets,
            vec!["control_plane.placement=a", "platform.cells=3"]
        );
        assert!(parse_vary(&["x".into()]).is_err());
        assert!(parse_vary(&["a=1,,2".into()]).is_err());
        assert!(parse_vary(&["a=1,1".into()]).is_err());
        assert!(parse_vary(&["a=1".into(), "a=2".into()]).is_err());
        assert!(parse_vary(&[]).is_err());
    }
}
