//! Tidy check: `reports/README.md` documents every field of `summary.json` and every column
//! of the CSV files.
//!
//! Method: serialise a summary with every optional part present, collect every JSON key
//! (recursively), and require each to appear in backticks in the README; same for the CSV
//! headers. A field added to the schema without documentation fails here.

use reports::summary::{
    EvidencePoint, FaultRow, Fingerprint, GroupRow, MetastabilityRow, MetastableFault, RunSummary,
    SloRow, TenantRow,
};
use std::collections::BTreeSet;

const README: &str = include_str!("../README.md");

fn keys(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn every_summary_field_is_documented() {
    let s = RunSummary {
        variant: Some("v".into()),
        fingerprint: Some(Fingerprint::default()),
        tiers: vec![GroupRow::default()],
        slos: vec![SloRow {
            worst_tenant: Some("t".into()),
            ..Default::default()
        }],
        faults: vec![FaultRow {
            target: Some("cell 0".into()),
            recovery_s: Some(1.0),
            resolved: None,
            ..Default::default()
        }],
        metastability: MetastabilityRow {
            faults: vec![MetastableFault {
                goodput: Some(0.5),
                amplification: Some(2.0),
                evidence: vec![EvidencePoint {
                    goodput: Some(0.5),
                    amplification: Some(2.0),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
        tenants: vec![TenantRow {
            cohort: Some("c".into()),
            ..Default::default()
        }],
        waits: reports::waits::WaitsRow {
            tiers: vec![Default::default()],
            cells: vec![Default::default()],
            ..Default::default()
        },
        ..Default::default()
    };
    let v: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
    let mut all = BTreeSet::new();
    keys(&v, &mut all);
    assert!(all.len() > 40, "{all:?}");
    let missing: Vec<&String> = all
        .iter()
        .filter(|k| !README.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md does not document: {missing:?}"
    );
}

#[test]
fn every_csv_column_is_documented() {
    for col in reports::csv::TIMESERIES_HEADER
        .iter()
        .chain(reports::csv::TENANTS_HEADER.iter())
    {
        assert!(
            README.contains(&format!("`{col}`")),
            "README.md: column {col}"
        );
    }
}

#[test]
fn every_chart_is_documented() {
    for k in reports::charts::ChartKind::ALL {
        assert!(
            README.contains(&format!("| `{}` |", k.name())),
            "{}",
            k.name()
        );
    }
}
