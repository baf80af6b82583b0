//! `--set KEY=VALUE` overrides, applied to the scenario's own TOML tree before it is parsed.
//!
//! KEY is the scenario's TOML path: `platform.cells`, `classes.api.timeout`. Inside arrays
//! of tables an element is picked by index (`tenants.0.rate`) or by its `id`/`name`
//! (`tenants.acme.rate`, `faults.spike.factor`). VALUE is TOML (`4`, `true`, `"x"`,
//! `[1, 2]`); anything that is not valid TOML is taken as a string, so
//! `--set platform.scheduler=drr` and `--set duration=10m` need no quotes. Tables missing on the
//! path are created (`--set control_plane.placement_params.choices=3` works in a file without
//! `[control_plane]`), inside inline tables too.

use toml_edit::{DocumentMut, Item, Value};

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
                "`{flag}`: the key `{k}` is not a dotted path like `platform.cells`"
            ));
        }
        Ok(Override {
            key: k.to_string(),
            value: v.trim().to_string(),
        })
    }

    /// The flag as the user would write it.
    pub fn flag(&self) -> String {
        format!("--set {}={}", self.key, self.value)
    }

    fn toml_value(&self) -> Value {
        let probe = format!("v = {}", self.value);
        if let Ok(doc) = probe.parse::<DocumentMut>() {
            if let Some(v) = doc.get("v").and_then(Item::as_value) {
                return v.clone();
            }
        }
        Value::from(self.value.as_str())
    }

    /// Applies the override to `doc`.
    pub fn apply(&self, doc: &mut DocumentMut) -> Result<(), String> {
        let parts: Vec<&str> = self.key.split('.').collect();
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
                    // Descend into the table; the next part is a key of it.
                    let next = parts[i + 1];
                    if i + 2 == parts.len() {
                        t.insert(next, Item::Value(self.toml_value()));
                        return Ok(());
                    }
                    let rest = Override {
                        key: parts[i + 1..].join("."),
                        value: self.value.clone(),
                    };
                    let mut sub = DocumentMut::new();
                    *sub.as_table_mut() = t.clone();
                    rest.apply(&mut sub)?;
                    *t = sub.as_table().clone();
                    return Ok(());
                }
                Item::Table(_) | Item::None => {
                    if item.is_none() {
                        *item = Item::Table(toml_edit::Table::new());
                    }
                    let Some(table) = item.as_table_like_mut() else {
                        return Err(format!("`{here}` is not a table"));
                    };
                    if last {
                        table.insert(part, Item::Value(self.toml_value()));
                        return Ok(());
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
                    return set_inline(t, &parts[i..], &here, self.toml_value());
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
