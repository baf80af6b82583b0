//! `[[variants]]`: named sets of overrides and the SLO verdicts each expects.

use super::super::schema::VariantConfig;
use super::super::{load_checked, overrides, Checker, Override, Variant, Variants};
use std::collections::{BTreeMap, BTreeSet};

/// Checks `[[variants]]`: unique names, known SLOs, and overrides that apply to this file.
/// With `check_variants` (and no overrides of its own, and no error so far), each variant is
/// loaded, one level deep.
pub(in crate::scenario) fn variants(
    c: &mut Checker,
    raw_variants: &[VariantConfig],
    slo_names: &BTreeSet<String>,
    overrides: &[String],
    check_variants: Variants,
) -> Vec<Variant> {
    let mut variants = Vec::new();
    let mut variant_names = BTreeSet::new();
    for v in raw_variants {
        let name = v.name.get_ref().clone();
        let ok_name = !name.is_empty()
            && name != "base"
            && name
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_');
        if !ok_name {
            c.err(v.name.span(), format!("variant name `{name}` must be lowercase letters, digits, `-` or `_` (and not `base`)"));
        }
        if !variant_names.insert(name.clone()) {
            c.err(v.name.span(), format!("two variants are named `{name}`"));
        }
        let overrides = variant_overrides(c, v, &name);
        let expect_pass = expectations(c, v, &name, slo_names);
        variants.push(Variant {
            name,
            description: v.description.clone().unwrap_or_default(),
            overrides,
            expect_pass,
        });
    }
    if c.errors.is_empty() && overrides.is_empty() && check_variants == Variants::Check {
        each_variant_loads(c, &variants, raw_variants);
    }
    variants
}

/// A variant's `set` table as overrides (`key=value`, as on the command line), each one
/// checked, and no key set twice.
fn variant_overrides(c: &mut Checker, v: &VariantConfig, name: &str) -> Vec<Override> {
    let text = c.text;
    let mut overrides = Vec::new();
    if let Some(set) = &v.set {
        for (k, val) in set.get_ref() {
            let o = Override {
                key: k.clone(),
                value: override_value(val),
            };
            if let Err(msg) = o.check() {
                c.err(set.span(), format!("variant `{name}`: {msg}"));
            }
            overrides.push(o);
        }
        if let Some((a, b)) = overrides::same_key_twice(text, &overrides) {
            c.err(
                set.span(),
                format!("variant `{name}` sets one key twice: `{a}` and `{b}`; keep one"),
            );
        }
    }
    overrides
}

/// A `set` value as an override's value text.
fn override_value(val: &toml::Value) -> String {
    match val {
        // A string stays a string: quoted when bare text would read as another
        // type (`"true"`, `"4"`) or as more than one line.
        toml::Value::String(s) => {
            let probe = format!("v = {s}").parse::<toml::Table>();
            let other_type = probe
                .is_ok_and(|t| t.len() != 1 || !matches!(t.get("v"), Some(toml::Value::String(_))));
            if other_type || s.contains(['\n', '\r']) {
                val.to_string()
            } else {
                s.clone()
            }
        }
        other => other.to_string(),
    }
}

/// A variant's `expect` table: each SLO declared, each verdict `pass` or `fail`.
fn expectations(
    c: &mut Checker,
    v: &VariantConfig,
    name: &str,
    slo_names: &BTreeSet<String>,
) -> BTreeMap<String, bool> {
    let mut expect_pass = BTreeMap::new();
    if let Some(e) = &v.expect {
        for (slo, verdict) in e.get_ref() {
            if !slo_names.contains(slo) {
                c.err(
                    e.span(),
                    format!("variant `{name}` expects SLO `{slo}`, which is not declared"),
                );
            }
            match verdict.as_str() {
                "pass" => {
                    expect_pass.insert(slo.clone(), true);
                }
                "fail" => {
                    expect_pass.insert(slo.clone(), false);
                }
                other => c.err(
                    e.span(),
                    format!("expectation `{other}` for `{slo}`: write \"pass\" or \"fail\""),
                ),
            }
        }
    }
    expect_pass
}

/// Each variant must load: its overrides are checked against this very file (one level
/// deep); the first error of one that does not is reported at its `set`.
fn each_variant_loads(c: &mut Checker, variants: &[Variant], raw_variants: &[VariantConfig]) {
    let (file, text) = (c.file, c.text);
    for (v, raw_v) in variants.iter().zip(raw_variants) {
        if let Err(errs) = load_checked(file, text, &v.overrides, Variants::Skip) {
            let first = errs
                .0
                .into_iter()
                .next()
                .map(|e| e.message)
                .unwrap_or_default();
            let span = raw_v
                .set
                .as_ref()
                .map(|s| s.span())
                .unwrap_or(raw_v.name.span());
            c.err(span, format!("variant `{}` does not load: {first}", v.name));
        }
    }
}
