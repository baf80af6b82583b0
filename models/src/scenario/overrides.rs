//! `--set KEY=VALUE` overrides, applied to the scenario's own TOML tree before it is parsed.
//!
//! KEY is the scenario's TOML path: `platform.cells`, `classes.api.timeout`. Inside arrays
//! of tables an element is picked by index (`tenants.0.rate`) or by its `id`/`name`
//! (`tenants.acme.rate`, `faults.spike.factor`). VALUE is TOML (`4`, `true`, `"x"`,
//! `[1, 2]`); anything that is not valid TOML is taken as a string, so
//! `--set platform.scheduler=drr` and `--set duration=10m` need no quotes. Tables missing on the
//! path are created (`--set control_plane.placement_params.choices=3` works in a file without
//! `[control_plane]`), inside inline tables too.

//!
//! Bounds, whatever the source (a flag or a variant's `set`): a key has at most
//! [`MAX_KEY_PARTS`] parts (each level costs a copy of the path, so thousands of parts once
//! cost gigabytes); a value is exactly one TOML value on one line (`a=1<newline>b=2` is an
//! error, not `a=1`); `variants.*` cannot be overridden (variants are chosen with
//! `--variant`, and a variant that rewrote variants would be silently ignored).

use toml_edit::{DocumentMut, Item, Value};

/// Most dotted parts in an override's key (the deepest shipped key has 5).
pub const MAX_KEY_PARTS: usize = 32;

/// One parsed `--set` flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// Dotted path.
    pub key: String,
    /// Value text as given.
    pub value: String,
}

impl Override {
    /// Parses `KEY=VALUE`.
    pub fn parse(flag: &str) -> Result<Override, String> {
        let (k, v) = flag.split_once('=').ok_or_else(|| {
            format!("`{flag}` is not KEY=VALUE; write e.g. `--set platform.cells=4`")
        })?;
        let k = k.trim();
        if k.is_empty() || k.split('.').any(str::is_empty) {
            return Err(format!(
                "`{}`: the key `{}` is not a dotted path like `platform.cells`",
                clip(flag),
                clip(k)
            ));
        }
        if flag.contains(['\n', '\r']) {
            return Err(format!(
                "`{}` spans several lines; give one KEY=VALUE per --set flag",
                clip(&flag.replace(['\n', '\r'], "⏎"))
            ));
        }
        let o = Override {
            key: k.to_string(),
            value: v.trim().to_string(),
        };
        o.check()?;
        Ok(o)
    }

    /// Checks the bounds every override obeys, from a flag or from a variant (see the
    /// module docs).
    pub fn check(&self) -> Result<(), String> {
        let parts = self.key.split('.').count();
        if parts > MAX_KEY_PARTS {
            return Err(format!(
                "the key `{}` has {parts} dotted parts; the most is {MAX_KEY_PARTS}",
                clip(&self.key)
            ));
        }
        if self.key == "variants" || self.key.starts_with("variants.") {
            return Err(format!(
                "`{}` overrides the variants themselves, which does nothing; pick a variant with --variant and override the scenario's own keys",
                clip(&self.key)
            ));
        }
        Ok(())
    }

    /// The flag as the user would write it.
    pub fn flag(&self) -> String {
        format!("--set {}={}", self.key, self.value)
    }

    /// The value as TOML: exactly one value, else (not TOML at all) a string. Text that
    /// parses as more than one key (`1\nb = 2`) is refused rather than cut short.
    fn toml_value(&self) -> Result<Value, String> {
        let probe = format!("v = {}", self.value);
        if let Ok(doc) = probe.parse::<DocumentMut>() {
            if doc.len() > 1 {
                return Err(format!(
                    "the value of `{}` holds more than one TOML value; give one KEY=VALUE per override",
                    clip(&self.key)
                ));
            }
            if let Some(v) = doc.get("v").and_then(Item::as_value) {
                return Ok(v.clone());
            }
        }
        if self.value.contains(['\n', '\r']) {
            return Err(format!(
                "the value of `{}` spans several lines; give one KEY=VALUE per override",
                clip(&self.key)
            ));
        }
        Ok(Value::from(self.value.as_str()))
    }

    /// Applies the override to `doc`; returns the path it set, with array elements named by
    /// index (`tenants.acme.rate` in a file whose first tenant is `acme` → `tenants.0.rate`),
    /// so two overrides of one key can be told apart from two of different keys.
    pub fn apply(&self, doc: &mut DocumentMut) -> Result<Vec<String>, String> {
        self.check()?;
        let value = self.toml_value()?;
        self.apply_value(doc, value)
    }

    fn apply_value(&self, doc: &mut DocumentMut, value: Value) -> Result<Vec<String>, String> {
        let parts: Vec<&str> = self.key.split('.').collect();
        let mut resolved: Vec<String> = Vec::with_capacity(parts.len());
        let mut item: &mut Item = doc.as_item_mut();
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let here = parts[..i].join(".");
            item = match item {
                Item::ArrayOfTables(arr) => {
                    let idx = match part.parse::<usize>() {
                        Ok(n) => Some(n),
                        Err(_) => arr.iter().position(|t| {
                            ["id", "name"]
                                .iter()
                                .any(|k| t.get(k).and_then(|v| v.as_str()) == Some(part))
                        }),
                    };
                    let len = arr.len();
                    let Some(idx) = idx.filter(|&n| n < len) else {
                        return Err(format!(
                            "`{here}` has no element `{part}` (it has {len}; use an index 0..{len} or an id/name)"
                        ));
                    };
                    if last {
                        return Err(format!(
                            "`{}` names a whole table; set one of its keys",
                            self.key
                        ));
                    }
                    let Some(t) = arr.get_mut(idx) else {
                        return Err(format!("`{here}` has no element {idx}"));
                    };
                    resolved.push(idx.to_string());
                    // Descend into the table; the next part is a key of it.
                    let next = parts[i + 1];
                    if i + 2 == parts.len() {
                        t.insert(next, Item::Value(value));
                        resolved.push(next.to_string());
                        return Ok(resolved);
                    }
                    let rest = Override {
                        key: parts[i + 1..].join("."),
                        value: self.value.clone(),
                    };
                    let mut sub = DocumentMut::new();
                    *sub.as_table_mut() = t.clone();
                    resolved.extend(rest.apply_value(&mut sub, value)?);
                    *t = sub.as_table().clone();
                    return Ok(resolved);
                }
                Item::Table(_) | Item::None => {
                    if item.is_none() {
                        *item = Item::Table(toml_edit::Table::new());
                    }
                    let Some(table) = item.as_table_like_mut() else {
                        return Err(format!("`{here}` is not a table"));
                    };
                    resolved.push(part.to_string());
                    if last {
                        table.insert(part, Item::Value(value));
                        return Ok(resolved);
                    }
                    if table.get(part).is_none() {
                        table.insert(part, Item::Table(toml_edit::Table::new()));
                    }
                    match table.get_mut(part) {
                        Some(it) => it,
                        None => return Err(format!("cannot create `{part}` under `{here}`")),
                    }
                }
                Item::Value(Value::InlineTable(t)) => {
                    set_inline(t, &parts[i..], &here, value)?;
                    resolved.extend(parts[i..].iter().map(|p| p.to_string()));
                    return Ok(resolved);
                }
                Item::Value(_) => {
                    return Err(format!(
                        "`{here}` is a value, not a table, so `{}` cannot be set",
                        self.key
                    ));
                }
            };
        }
        Err(format!("`{}` could not be set", self.key))
    }
}

/// The first two of `overrides` that set one key (or one inside the other) in `text`, as
/// written: `tenants.acme.rate` and `tenants.0.rate` are the same key when `acme` is the
/// first tenant. A variant's `set` is a table, applied in key order, not in the order
/// written, so such a pair would silently keep one value. Overrides that do not apply are
/// skipped (loading reports them).
pub fn same_key_twice(text: &str, overrides: &[Override]) -> Option<(String, String)> {
    let mut doc: DocumentMut = text.parse().ok()?;
    let mut seen: Vec<(Vec<String>, &str)> = Vec::with_capacity(overrides.len());
    for o in overrides {
        let Ok(path) = o.apply(&mut doc) else {
            continue;
        };
        for (p, key) in &seen {
            let n = p.len().min(path.len());
            if p[..n] == path[..n] {
                return Some((key.to_string(), o.key.clone()));
            }
        }
        seen.push((path, &o.key));
    }
    None
}

/// Where each override's value ended up in `text` (the scenario after every override, as
/// written out): `(index into the overrides, byte range of the value)`, for the overrides
/// whose resolved path (what [`Override::apply`] returned) names a value in `text`. An error
/// whose span lies inside such a range is about that override's value, and is shown on the
/// flag instead of on a line of a file the user never wrote.
pub fn value_spans(
    text: &str,
    resolved: &[(usize, Vec<String>)],
) -> Vec<(usize, std::ops::Range<usize>)> {
    let Ok(doc) = toml_edit::Document::parse(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, path) in resolved {
        let mut item: Option<&Item> = Some(doc.as_item());
        for part in path {
            item = item.and_then(|it| match part.parse::<usize>() {
                Ok(n) if matches!(it, Item::ArrayOfTables(_)) => it.get(n),
                _ => it.get(part.as_str()),
            });
        }
        if let Some(span) = item.and_then(Item::span) {
            out.push((*i, span));
        }
    }
    out
}

/// The byte range of the value within [`Override::flag`]'s text.
pub fn value_range_in_flag(o: &Override) -> std::ops::Range<usize> {
    let start = "--set ".len() + o.key.len() + 1;
    start..start + o.value.len()
}

/// `s`, or its first 60 characters and an ellipsis (for messages about hostile input).
fn clip(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Sets `path` (relative to the inline table `t` found at `here`) to `value`, creating
/// missing inline tables on the way, as `apply` does for ordinary tables.
fn set_inline(
    t: &mut toml_edit::InlineTable,
    path: &[&str],
    here: &str,
    value: Value,
) -> Result<(), String> {
    let Some((part, rest)) = path.split_first() else {
        return Err(format!("`{here}` names a whole table; set one of its keys"));
    };
    if rest.is_empty() {
        t.insert(*part, value);
        return Ok(());
    }
    if t.get(part).is_none() {
        t.insert(*part, Value::InlineTable(toml_edit::InlineTable::new()));
    }
    let next = format!("{here}.{part}");
    match t.get_mut(part) {
        Some(Value::InlineTable(inner)) => set_inline(inner, rest, &next, value),
        _ => Err(format!(
            "`{next}` is a value, not a table, so `{}` cannot be set inside it",
            rest.join(".")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, flag: &str) -> Result<String, String> {
        let mut doc: DocumentMut = text.parse().unwrap();
        Override::parse(flag)?.apply(&mut doc)?;
        Ok(doc.to_string())
    }

    #[test]
    fn sets_scalars_tables_and_array_elements() {
        let text = "duration = \"5m\"\n[platform]\ncells = 2\n\n[[tenants]]\nid = \"acme\"\nrate = \"5/s\"\n";
        let out = apply(text, "platform.cells=4").unwrap();
        assert!(out.contains("cells = 4"));
        let out = apply(text, "platform.scheduler=drr").unwrap();
        assert!(out.contains("scheduler = \"drr\""));
        let out = apply(text, "tenants.acme.rate=50/s").unwrap();
        assert!(out.contains("rate = \"50/s\""), "{out}");
        let out = apply(text, "tenants.0.cell=1").unwrap();
        assert!(out.contains("cell = 1"));
        let out = apply(text, "platform.db.cores=2").unwrap();
        assert!(out.contains("cores = 2"), "{out}");
    }

    #[test]
    fn missing_intermediate_tables_are_created() {
        // Goal: a nested key can be set whether its tables exist, are implicit, are inline,
        // or are missing altogether; the result parses back to the value.
        let get = |out: &str| -> i64 {
            let doc: toml::Table = toml::from_str(out).unwrap();
            doc["control_plane"]["placement_params"]["choices"]
                .as_integer()
                .unwrap()
        };
        let flag = "control_plane.placement_params.choices=3";
        for text in [
            "duration = \"5m\"\n",
            "duration = \"5m\"\n[control_plane]\nplacement = \"power_of_two\"\n",
            "duration = \"5m\"\n[control_plane.placement_params]\nchoices = 2\n",
            "duration = \"5m\"\ncontrol_plane = { placement = \"power_of_two\" }\n",
            "duration = \"5m\"\n[control_plane]\nplacement_params = { ceiling = 0.5 }\n",
        ] {
            let out = apply(text, flag).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(get(&out), 3, "{text} → {out}");
        }
        let err = apply(
            "duration = \"5m\"\ncontrol_plane = { placement_params = 1 }\n",
            flag,
        )
        .unwrap_err();
        assert!(err.contains("is a value"), "{err}");
    }

    #[test]
    fn hostile_overrides_are_bounded_errors() {
        // Goal: each class of hostile override is an error that says why, at a bounded cost.
        // Method: a key of 20,000 parts (once ~10 GB and a minute), a value with a newline
        // (once silently cut to its first line), and keys under `variants` (once accepted
        // and ignored), each from a flag and as a constructed override (a variant's `set`).
        let text = "duration = \"5m\"\n[[tenants]]\nid = \"acme\"\n";
        let deep = vec!["k"; 20_000].join(".");
        let err = apply(text, &format!("{deep}=1")).unwrap_err();
        assert!(err.contains("20000 dotted parts"), "{err}");
        assert!(
            err.len() < 300,
            "the message is clipped: {} bytes",
            err.len()
        );
        let mut doc: DocumentMut = text.parse().unwrap();
        let o = Override {
            key: deep,
            value: "1".into(),
        };
        assert!(o.apply(&mut doc).unwrap_err().contains("dotted parts"));

        let err = apply(text, "duration=1s\nseed=2").unwrap_err();
        assert!(err.contains("several lines"), "{err}");
        let o = Override {
            key: "duration".into(),
            value: "\"1s\"\nseed = 2".into(),
        };
        let err = o.apply(&mut doc).unwrap_err();
        assert!(err.contains("more than one TOML value"), "{err}");

        for key in ["variants", "variants.0.set", "variants.x.name"] {
            let err = apply(text, &format!("{key}=1")).unwrap_err();
            assert!(err.contains("overrides the variants"), "{key}: {err}");
        }
    }

    #[test]
    fn apply_names_the_key_it_set() {
        // Goal: two spellings of one key resolve to one path (so a variant setting a key
        // twice can be caught). Method: by index and by id, in tables and inline tables.
        let text = "duration = \"5m\"\nc = { x = 1 }\n[[tenants]]\nid = \"acme\"\n[[tenants]]\nid = \"b\"\n";
        let at = |flag: &str| {
            let mut doc: DocumentMut = text.parse().unwrap();
            Override::parse(flag)
                .unwrap()
                .apply(&mut doc)
                .unwrap()
                .join(".")
        };
        assert_eq!(at("tenants.b.rate=1"), "tenants.1.rate");
        assert_eq!(at("tenants.1.rate=2"), "tenants.1.rate");
        assert_eq!(at("platform.db.cores=2"), "platform.db.cores");
        assert_eq!(at("c.y.z=2"), "c.y.z");
    }

    #[test]
    fn value_spans_find_the_set_values() {
        // Goal: the text an override wrote can be found again in the re-written file, for a
        // key in a table, in an array of tables, and in a table the override created.
        let text = "duration = \"5m\"\n[[tenants]]\nid = \"acme\"\n";
        let mut doc: DocumentMut = text.parse().unwrap();
        let mut resolved = Vec::new();
        for (i, f) in [
            "tenants.acme.rate=7/s",
            "control_plane.placement=power_of_too",
        ]
        .iter()
        .enumerate()
        {
            resolved.push((i, Override::parse(f).unwrap().apply(&mut doc).unwrap()));
        }
        let t = doc.to_string();
        let spans = value_spans(&t, &resolved);
        let shown: Vec<(usize, &str)> = spans.iter().map(|(i, r)| (*i, &t[r.clone()])).collect();
        assert_eq!(shown, [(0, "\"7/s\""), (1, "\"power_of_too\"")], "{t}");
        let o = Override::parse("platform.scheduler=drrr").unwrap();
        assert_eq!(&o.flag()[value_range_in_flag(&o)], "drrr");
    }

    #[test]
    fn bad_overrides_say_why() {
        let text = "duration = \"5m\"\n[[tenants]]\nid = \"acme\"\n";
        assert!(apply(text, "platform.cells")
            .unwrap_err()
            .contains("KEY=VALUE"));
        assert!(apply(text, "tenants.nobody.rate=1")
            .unwrap_err()
            .contains("no element"));
        assert!(apply(text, "duration.x=1")
            .unwrap_err()
            .contains("is a value"));
        assert!(apply(text, "a..b=1").unwrap_err().contains("dotted path"));
    }
}
