//! `tenantsim validate FILE...`: parse and check without running.

use crate::cli::ValidateArgs;
use crate::exit;
use crate::service::load::load;

/// Validates every file; exit 2 if any is invalid.
pub fn validate(a: ValidateArgs) -> i32 {
    let mut bad = 0;
    for f in &a.files {
        match load(f, &[]) {
            Ok(sc) => {
                let tenants: u64 = sc.tenants.len() as u64
                    + sc.cohorts.iter().map(|c| c.count as u64).sum::<u64>();
                let n = |k: u64, one: &str, many: &str| {
                    format!("{k} {}", if k == 1 { one } else { many })
                };
                println!(
                    "{}: ok — {}, {}, {}, {}, {}",
                    f.display(),
                    n(u64::from(sc.platform.cells), "cell", "cells"),
                    n(tenants, "tenant", "tenants"),
                    n(sc.faults.len() as u64, "fault", "faults"),
                    n(sc.slos.len() as u64, "SLO", "SLOs"),
                    sc.duration
                );
            }
            Err(msg) => {
                bad += 1;
                eprintln!("{msg}");
            }
        }
    }
    if bad > 0 {
        eprintln!("{bad} of {} file(s) invalid", a.files.len());
        exit::INVALID_INPUT
    } else {
        exit::OK
    }
}
