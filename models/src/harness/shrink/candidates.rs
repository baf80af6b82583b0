//! The reductions shrinking tries on a scenario's TOML tree, biggest first, and the small
//! edits of arrays of tables (or inline arrays) they are made of.
//!
//! Every function here is pure: it reads a document and returns new documents; none loads,
//! runs or judges anything (that is [`super::shrink`]'s loop and the caller's judge).

use sim::SimDuration;
use toml_edit::{DocumentMut, Item, Value};

/// Number of elements of an array of tables (`[[x]]`) or inline array (`x = [...]`) at `key`.
fn array_len(doc: &DocumentMut, key: &str) -> usize {
    match doc.get(key) {
        Some(Item::ArrayOfTables(a)) => a.len(),
        Some(Item::Value(Value::Array(a))) => a.len(),
        _ => 0,
    }
}

/// Removes element `i` of the array at `key`, and the key with its last element.
fn array_remove(doc: &mut DocumentMut, key: &str, i: usize) {
    match doc.get_mut(key) {
        Some(Item::ArrayOfTables(a)) => {
            a.remove(i);
            if a.is_empty() {
                doc.remove(key);
            }
        }
        Some(Item::Value(Value::Array(a))) => {
            a.remove(i);
            if a.is_empty() {
                doc.remove(key);
            }
        }
        _ => {}
    }
}

/// A string or integer field of element `i` of array `key`.
fn elem_field(doc: &DocumentMut, key: &str, i: usize, field: &str) -> Option<Value> {
    match doc.get(key)? {
        Item::ArrayOfTables(a) => a.get(i)?.get(field)?.as_value().cloned(),
        Item::Value(Value::Array(a)) => a.get(i)?.as_inline_table()?.get(field).cloned(),
        _ => None,
    }
}

/// Sets `field` of element `i` of array `key` (nothing when there is no such element).
fn set_elem_field(doc: &mut DocumentMut, key: &str, i: usize, field: &str, v: Value) {
    match doc.get_mut(key) {
        Some(Item::ArrayOfTables(a)) => {
            if let Some(t) = a.get_mut(i) {
                t[field] = Item::Value(v);
            }
        }
        Some(Item::Value(Value::Array(a))) => {
            if let Some(t) = a.get_mut(i).and_then(Value::as_inline_table_mut) {
                t.insert(field, v);
            }
        }
        _ => {}
    }
}

/// The `name` (else `id`, else `#i`) of element `i` of array `key`.
fn elem_name(doc: &DocumentMut, key: &str, i: usize) -> String {
    elem_field(doc, key, i, "name")
        .or_else(|| elem_field(doc, key, i, "id"))
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("#{i}"))
}

/// A duration field (`at`, `for`) of fault `i`, if written as a plain duration.
fn fault_time(doc: &DocumentMut, i: usize, field: &str) -> Option<SimDuration> {
    elem_field(doc, "faults", i, field)
        .and_then(|v| v.as_str().and_then(|t| SimDuration::parse(t).ok()))
}

/// Every reduction of `doc` to try now, biggest first: (what it does, the reduced document).
/// `slo` is the SLO that must keep failing (the other SLOs may be dropped).
pub fn candidates(doc: &DocumentMut, slo: &str) -> Vec<(String, DocumentMut)> {
    let mut out = Vec::new();
    out.extend(halve_duration(doc));
    out.extend(faults_sooner(doc));
    out.extend(smaller_cohorts(doc));
    for (key, what) in [("faults", "fault"), ("tenants", "tenant")] {
        for i in 0..array_len(doc, key) {
            let name = elem_name(doc, key, i);
            let mut d = doc.clone();
            array_remove(&mut d, key, i);
            out.push((format!("drop {what} {name}"), d));
        }
    }
    out.extend(halve_cells(doc));
    out.extend(drop_other_slos(doc, slo));
    for key in ["job_classes", "jobs"] {
        if doc.contains_key(key) {
            let mut d = doc.clone();
            d.remove(key);
            out.push((format!("drop `{key}`"), d));
        }
    }
    out
}

/// Halves the duration (not below 10 s), dropping faults that start after the new end and
/// clipping the ones that outlast it.
fn halve_duration(doc: &DocumentMut) -> Option<(String, DocumentMut)> {
    let dur = doc
        .get("duration")
        .and_then(Item::as_str)
        .and_then(|t| SimDuration::parse(t).ok())?;
    let half = SimDuration::from_nanos(dur.as_nanos() / 2);
    if half < SimDuration::from_secs(10) {
        return None;
    }
    let mut d = doc.clone();
    d["duration"] = toml_edit::value(half.to_string());
    for i in (0..array_len(&d, "faults")).rev() {
        let Some(at) = fault_time(&d, i, "at") else {
            continue;
        };
        if at >= half {
            array_remove(&mut d, "faults", i);
            continue;
        }
        if let Some(len) = fault_time(&d, i, "for") {
            if at + len > half {
                let clipped = SimDuration::from_nanos(half.as_nanos() - at.as_nanos());
                set_elem_field(&mut d, "faults", i, "for", Value::from(clipped.to_string()));
            }
        }
    }
    Some((format!("halve the duration ({dur} → {half})"), d))
}

/// Halves every fault's start (so the duration can halve again), when one starts at 10 s or
/// later.
fn faults_sooner(doc: &DocumentMut) -> Option<(String, DocumentMut)> {
    let starts: Vec<Option<SimDuration>> = (0..array_len(doc, "faults"))
        .map(|i| fault_time(doc, i, "at"))
        .collect();
    if !starts
        .iter()
        .any(|s| s.is_some_and(|a| a >= SimDuration::from_secs(10)))
    {
        return None;
    }
    let mut d = doc.clone();
    for (i, at) in starts.iter().enumerate() {
        if let Some(at) = at {
            let half = SimDuration::from_nanos(at.as_nanos() / 2);
            set_elem_field(&mut d, "faults", i, "at", Value::from(half.to_string()));
        }
    }
    Some(("start every fault twice as soon".to_string(), d))
}

/// Drops each cohort, then halves each cohort of two or more.
fn smaller_cohorts(doc: &DocumentMut) -> Vec<(String, DocumentMut)> {
    let mut out = Vec::new();
    for i in 0..array_len(doc, "cohorts") {
        let name = elem_name(doc, "cohorts", i);
        let mut d = doc.clone();
        array_remove(&mut d, "cohorts", i);
        out.push((format!("drop cohort {name}"), d));
    }
    for i in 0..array_len(doc, "cohorts") {
        let name = elem_name(doc, "cohorts", i);
        if let Some(n) = elem_field(doc, "cohorts", i, "count").and_then(|v| v.as_integer()) {
            if n >= 2 {
                let mut d = doc.clone();
                set_elem_field(&mut d, "cohorts", i, "count", Value::from(n / 2));
                out.push((format!("halve cohort {name} ({n} → {})", n / 2), d));
            }
        }
    }
    out
}

/// Halves `platform.cells` when there are two or more.
fn halve_cells(doc: &DocumentMut) -> Option<(String, DocumentMut)> {
    let cells = doc
        .get("platform")
        .and_then(|p| p.get("cells"))
        .and_then(Item::as_integer)?;
    if cells < 2 {
        return None;
    }
    let mut d = doc.clone();
    d["platform"]["cells"] = toml_edit::value(cells / 2);
    Some((format!("halve the cells ({cells} → {})", cells / 2), d))
}

/// Drops every SLO but `slo`, all at once.
fn drop_other_slos(doc: &DocumentMut, slo: &str) -> Option<(String, DocumentMut)> {
    let others: Vec<usize> = (0..array_len(doc, "slos"))
        .filter(|&i| elem_name(doc, "slos", i) != slo)
        .collect();
    if others.is_empty() {
        return None;
    }
    let mut d = doc.clone();
    for &i in others.iter().rev() {
        array_remove(&mut d, "slos", i);
    }
    Some((format!("drop the {} other SLOs", others.len()), d))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: the reductions come in the documented order and each edits what it says.
    /// Method: a document with every reducible part; the list's labels, and the halved
    /// duration's fault edits (a fault past the new end dropped, one across it clipped).
    #[test]
    fn reductions_in_order() {
        let doc: DocumentMut = r#"duration = "80s"
platform = { cells = 4 }
job_classes = []
[[cohorts]]
name = "c"
count = 6
[[tenants]]
id = "a"
[[faults]]
name = "early"
at = "30s"
for = "20s"
[[faults]]
name = "late"
at = "50s"
for = "5s"
[[slos]]
name = "keep"
[[slos]]
name = "other"
"#
        .parse()
        .unwrap();
        let c = candidates(&doc, "keep");
        let labels: Vec<&str> = c.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(
            labels,
            [
                "halve the duration (1m20s → 40s)",
                "start every fault twice as soon",
                "drop cohort c",
                "halve cohort c (6 → 3)",
                "drop fault early",
                "drop fault late",
                "drop tenant a",
                "halve the cells (4 → 2)",
                "drop the 1 other SLOs",
                "drop `job_classes`",
            ]
        );
        let halved = &c[0].1;
        assert_eq!(array_len(halved, "faults"), 1);
        assert_eq!(elem_name(halved, "faults", 0), "early");
        assert_eq!(
            fault_time(halved, 0, "for"),
            Some(SimDuration::from_secs(10))
        );
        assert_eq!(
            fault_time(&c[1].1, 1, "at"),
            Some(SimDuration::from_secs(25))
        );
    }
}
