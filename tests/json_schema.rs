//! The shipped JSON Schema of scenario files stays true.
//!
//! Goal: `scenarios/tenantsim.schema.json` is exactly what `tenantsim schema` derives from
//! the scenario types today (a key added in code and not regenerated fails here), every
//! shipped scenario points editors at it with taplo's `#:schema` directive on its first line,
//! and every shipped scenario validates against it — while a misspelt key, a wrong type or a
//! missing required key does not.
//!
//! Method: the binary's `schema` output is compared byte for byte with the checked-in file
//! (`TENANTSIM_BLESS=1` rewrites it). Validation uses a small validator for the keywords the
//! derived schema uses (type, enum, properties, required, additionalProperties, items as one
//! schema or a tuple, minItems/maxItems, minimum); it refuses any other keyword, so a schema
//! that grew one it cannot check fails loudly. `.ci/run` checks the same files with the
//! independent `check-jsonschema` (draft-07 metaschema included).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const DIRECTIVE: &str = "#:schema ./tenantsim.schema.json";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn derived() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tenantsim"))
        .arg("schema")
        .output()
        .expect("run tenantsim schema");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn shipped_scenarios() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    assert!(v.len() >= 10, "{v:?}");
    v
}

#[test]
fn checked_in_schema_is_current() {
    let path = root().join("scenarios/tenantsim.schema.json");
    let now = derived();
    if std::env::var_os("TENANTSIM_BLESS").is_some() {
        std::fs::write(&path, &now).expect("write schema");
        return;
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == now,
        "scenarios/tenantsim.schema.json is stale: regenerate it with\n  \
         cargo run -- schema --out scenarios/tenantsim.schema.json\n\
         (or TENANTSIM_BLESS=1 cargo test --test json_schema)"
    );
    // It is the JSON it claims to be, and knows the keys people write most.
    let v: Value = serde_json::from_str(&now).expect("json");
    for key in [
        "version", "duration", "platform", "tenants", "faults", "slos", "variants",
    ] {
        assert!(v["properties"][key].is_object(), "{key}");
    }
}

#[test]
fn every_shipped_scenario_has_the_directive_and_validates() {
    let schema: Value = serde_json::from_str(&derived()).expect("json");
    for path in shipped_scenarios() {
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            text.lines().next(),
            Some(DIRECTIVE),
            "{}: the first line must be `{DIRECTIVE}` (taplo / Even Better TOML read it)",
            path.display()
        );
        let doc = to_json(&text, &path);
        let mut errors = Vec::new();
        validate(&schema, &doc, "", &mut errors);
        assert!(
            errors.is_empty(),
            "{}:\n{}",
            path.display(),
            errors.join("\n")
        );
    }
}

#[test]
fn the_schema_rejects_what_validate_rejects_structurally() {
    // Goal: the validation above can fail. Method: a valid file, then one typo'd key in a
    // nested table, a wrong type, a missing required key and an unknown enum value, each
    // reported at its path.
    let schema: Value = serde_json::from_str(&derived()).expect("json");
    let good = "version = 1\nduration = \"1m\"\n[platform]\ncells = 2\nscheduler = \"drr\"\n";
    let mut errors = Vec::new();
    validate(&schema, &to_json(good, Path::new("good")), "", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    for (text, at) in [
        (
            "version = 1\nduration = \"1m\"\n[platform]\ncels = 2\n",
            "/platform/cels",
        ),
        (
            "version = 1\nduration = \"1m\"\n[platform]\ncells = \"two\"\n",
            "/platform/cells",
        ),
        ("version = 1\n", "/duration"),
        (
            "version = 1\nduration = \"1m\"\n[platform]\nscheduler = \"drrr\"\n",
            "/platform/scheduler",
        ),
        (
            "version = 1\nduration = \"1m\"\n[[faults]]\nkind = \"hot_tenat\"\nat = \"1s\"\n",
            "/faults/0/kind",
        ),
    ] {
        let mut errors = Vec::new();
        validate(&schema, &to_json(text, Path::new("bad")), "", &mut errors);
        assert!(
            errors.iter().any(|e| e.starts_with(at)),
            "{text}: expected an error at {at}, got {errors:?}"
        );
    }
}

fn to_json(text: &str, path: &Path) -> Value {
    let t: toml::Value = toml::from_str(text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::to_value(t).expect("toml to json")
}

/// Validates `v` against `s` (the keywords the derived schema uses), pushing `path: problem`.
fn validate(s: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(s) = s.as_object() else {
        errors.push(format!("{path}: schema is not an object"));
        return;
    };
    for k in s.keys() {
        let known = [
            "$schema",
            "$comment",
            "title",
            "description",
            "type",
            "enum",
            "properties",
            "required",
            "additionalProperties",
            "items",
            "additionalItems",
            "minItems",
            "maxItems",
            "minimum",
            "minLength",
            "maxLength",
        ];
        assert!(
            known.contains(&k.as_str()),
            "validator does not know keyword `{k}`"
        );
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(x) => vec![x.as_str()],
            Value::Array(xs) => xs.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{path}: {v} is not of type {t}"));
            return;
        }
    }
    if let Some(Value::Array(e)) = s.get("enum") {
        if !e.contains(v) {
            errors.push(format!(
                "{path}: {v} is not one of {}",
                Value::Array(e.clone())
            ));
        }
    }
    if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
        if v.as_f64().is_some_and(|x| x < min) {
            errors.push(format!("{path}: {v} is below {min}"));
        }
    }
    if let Value::Object(m) = v {
        let props = s.get("properties").and_then(Value::as_object);
        if let Some(Value::Array(req)) = s.get("required") {
            for r in req.iter().filter_map(Value::as_str) {
                if !m.contains_key(r) {
                    errors.push(format!("{path}/{r}: required key missing"));
                }
            }
        }
        for (k, x) in m {
            let sub = format!("{path}/{k}");
            match props.and_then(|p| p.get(k)) {
                Some(ps) => validate(ps, x, &sub, errors),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => errors.push(format!("{sub}: unknown key")),
                    Some(ap @ Value::Object(_)) => validate(ap, x, &sub, errors),
                    _ => {}
                },
            }
        }
    }
    if let Value::Array(xs) = v {
        if let Some(n) = s.get("minItems").and_then(Value::as_u64) {
            if (xs.len() as u64) < n {
                errors.push(format!("{path}: fewer than {n} items"));
            }
        }
        if let Some(n) = s.get("maxItems").and_then(Value::as_u64) {
            if (xs.len() as u64) > n {
                errors.push(format!("{path}: more than {n} items"));
            }
        }
        match s.get("items") {
            Some(Value::Array(tuple)) => {
                for (i, (x, ts)) in xs.iter().zip(tuple).enumerate() {
                    validate(ts, x, &format!("{path}/{i}"), errors);
                }
            }
            Some(one @ Value::Object(_)) => {
                for (i, x) in xs.iter().enumerate() {
                    validate(one, x, &format!("{path}/{i}"), errors);
                }
            }
            _ => {}
        }
    }
}
