//! Golden runs: every shipped scenario's behaviour is pinned.
//!
//! Goal: a change that is meant to keep behaviour (a refactor, a speed-up, a new feature left
//! off) must leave every shipped game day byte-identical; a change that alters behaviour on
//! purpose must say so by re-pinning here, in one commit whose message says why.
//!
//! Method: run the binary as a user would (`tenantsim run FILE --seed N [--variant V] --json`)
//! for every shipped scenario at seeds 1 and 2 and every variant at seed 1, and compare three
//! figures with the pinned ones: the run digest (every event, in order), the number of events,
//! and a 64-bit FNV-1a hash of `summary.json` with the build's commit blanked (it changes with
//! every commit, not with behaviour, and so does the inputs digest that folds it in). The two one-hour, 12,000-tenant scenarios are pinned at
//! seed 1 in an ignored test (about 45 s each in release):
//! `cargo test --release --test golden -- --ignored`.
//!
//! To re-pin after a deliberate change: `TENANTSIM_BLESS=1 cargo test --test golden -- --nocapture
//! --include-ignored` prints the table to paste below.

use std::path::PathBuf;
use std::process::Command;

/// (file, variant, seed, digest, events, summary.json hash)
type Pin = (
    &'static str,
    &'static str,
    u64,
    &'static str,
    u64,
    &'static str,
);

const PINS: &[Pin] = &[
    // BEGIN PINS
    (
        "scenarios/autoscale-db-bottleneck.toml",
        "",
        1,
        "ac227f4380ffc83b",
        1002947,
        "700a84667a1ca13a",
    ),
    (
        "scenarios/autoscale-db-bottleneck.toml",
        "",
        2,
        "c96b48a3d33ba10f",
        997557,
        "14924ab4b0dd456e",
    ),
    (
        "scenarios/autoscale-db-bottleneck.toml",
        "uncapped",
        1,
        "8def374b20a76189",
        837823,
        "158a90f3440b8d89",
    ),
    (
        "scenarios/autoscale-db-bottleneck.toml",
        "no-autoscaler",
        1,
        "a7abb268eadc9c5d",
        1004545,
        "321df6a2be35b9ef",
    ),
    (
        "scenarios/bad-config-rollout.toml",
        "",
        1,
        "ae364425e5c36dd0",
        1092342,
        "47a38472e944625f",
    ),
    (
        "scenarios/bad-config-rollout.toml",
        "",
        2,
        "472455851b19fa01",
        993116,
        "a1845ca5afa30e43",
    ),
    (
        "scenarios/bad-config-rollout.toml",
        "everyone-at-once",
        1,
        "e1d81722270e0372",
        595357,
        "90d8200a3035179f",
    ),
    (
        "scenarios/bad-migration.toml",
        "",
        1,
        "1ca1957d9aa29343",
        1230037,
        "1d47a7c23eaa21f9",
    ),
    (
        "scenarios/bad-migration.toml",
        "",
        2,
        "50062d057e0d25de",
        1158385,
        "3c031740b5953189",
    ),
    (
        "scenarios/bad-migration.toml",
        "no-gate",
        1,
        "5906010d73213a93",
        1213549,
        "4d967ca3e4a633a1",
    ),
    (
        "scenarios/bad-migration.toml",
        "changed-only",
        1,
        "4358782b2ee05034",
        1230517,
        "2fae054300c3757c",
    ),
    (
        "scenarios/cell-outage.toml",
        "",
        1,
        "4d6b484cda1de5af",
        541433,
        "b1f94eb971e71284",
    ),
    (
        "scenarios/cell-outage.toml",
        "",
        2,
        "bd0989114860e0d3",
        542085,
        "8cf82b5929101e1f",
    ),
    (
        "scenarios/cell-outage.toml",
        "no-evacuation",
        1,
        "eba6077c7f3ca381",
        495847,
        "e69cf5a8a7be0ed9",
    ),
    (
        "scenarios/cell-outage.toml",
        "over-eager",
        1,
        "377013245d163ddc",
        567934,
        "8e9ae825ec7d1357",
    ),
    (
        "scenarios/cell-outage.toml",
        "fail-back",
        1,
        "a4e724c97ecd8bc7",
        545819,
        "732776f1b44c0fd6",
    ),
    (
        "scenarios/config-ttl-expiry.toml",
        "",
        1,
        "6c87885c5cc92925",
        1176009,
        "88a12f4688b7f871",
    ),
    (
        "scenarios/config-ttl-expiry.toml",
        "",
        2,
        "8a0a33a3a37392cf",
        1205407,
        "4d79ce37424dd6cb",
    ),
    (
        "scenarios/config-ttl-expiry.toml",
        "fall-back-to-defaults",
        1,
        "d9656e73f550a8d4",
        987453,
        "5fdf1b0e569137d9",
    ),
    (
        "scenarios/config-ttl-expiry.toml",
        "ttl-outlasts-outage",
        1,
        "6c87885c5cc92925",
        1176009,
        "34397843e0161714",
    ),
    (
        "scenarios/control-plane-outage.toml",
        "",
        1,
        "01ea03ef0d1db21a",
        831489,
        "0cf79587c462650a",
    ),
    (
        "scenarios/control-plane-outage.toml",
        "",
        2,
        "57f7d434a32dec72",
        871806,
        "cda6724ab581d27d",
    ),
    (
        "scenarios/control-plane-outage.toml",
        "fail-closed",
        1,
        "4bf9950cdf3223a1",
        609576,
        "dcfa15dda1c80a6b",
    ),
    (
        "scenarios/control-plane-outage.toml",
        "fail-closed-long-ttl",
        1,
        "8eb7d468a1b4ba4f",
        804726,
        "077e4e619d4e1853",
    ),
    (
        "scenarios/explore-gold-cell.toml",
        "",
        1,
        "20b3cf5755878060",
        628088,
        "4da8f334d3e2809f",
    ),
    (
        "scenarios/explore-gold-cell.toml",
        "",
        2,
        "7c976264ad7be361",
        627857,
        "3a5b381d5f223c48",
    ),
    (
        "scenarios/explore-gold-cell.toml",
        "migration-on-gold",
        1,
        "19b3ff1852d0078b",
        610252,
        "1d763916c4d8032b",
    ),
    (
        "scenarios/fleet-migration.toml",
        "",
        1,
        "29acdbb63e7c6fe0",
        1327531,
        "6adc6a884540c06e",
    ),
    (
        "scenarios/fleet-migration.toml",
        "",
        2,
        "e234b60dfa6890be",
        1320210,
        "65525420b9d4057c",
    ),
    (
        "scenarios/fleet-scale-out.toml",
        "",
        1,
        "55418ff7a25b8d99",
        427237,
        "4cb671293f1bfaaf",
    ),
    (
        "scenarios/fleet-scale-out.toml",
        "",
        2,
        "85222491118396db",
        425821,
        "83ccfb508cdafb9d",
    ),
    (
        "scenarios/fleet-scale-out.toml",
        "no-scale-out",
        1,
        "510250e3043a7fcb",
        436708,
        "8ef9500072791ed9",
    ),
    (
        "scenarios/global-dependency.toml",
        "",
        1,
        "412983f40ae94057",
        235933,
        "ea8cc72c921d93cb",
    ),
    (
        "scenarios/global-dependency.toml",
        "",
        2,
        "eb21ced697d42c81",
        235719,
        "cab4546059b5459c",
    ),
    (
        "scenarios/global-dependency.toml",
        "no-quotas",
        1,
        "68bc47ea79648559",
        237057,
        "0c742ad0e6aa840a",
    ),
    (
        "scenarios/global-dependency.toml",
        "daily-quota",
        1,
        "9654b3b84bdb9f07",
        235528,
        "4f3c0a42c8f41c74",
    ),
    (
        "scenarios/hot-tenant.toml",
        "",
        1,
        "2fa30ed5bc0518ea",
        765587,
        "9e0d1f53249f015d",
    ),
    (
        "scenarios/hot-tenant.toml",
        "",
        2,
        "0f3833c0a1c9affa",
        799248,
        "16f309c78a285b55",
    ),
    (
        "scenarios/hot-tenant.toml",
        "fifo-no-limits",
        1,
        "8bc1f8ca788cf534",
        747236,
        "f061f6522e323c64",
    ),
    (
        "scenarios/hot-tenant.toml",
        "limits-only",
        1,
        "79eaa14324794ee5",
        820299,
        "300b589779f94430",
    ),
    (
        "scenarios/hot-tenant.toml",
        "drr-only",
        1,
        "ed04bdc36f45afc6",
        753282,
        "e6726be39c19f771",
    ),
    (
        "scenarios/kms-key-disabled.toml",
        "",
        1,
        "4c3f0d0ed7d1721c",
        444830,
        "8cd11aa01db6373f",
    ),
    (
        "scenarios/kms-key-disabled.toml",
        "",
        2,
        "cd27e7ed8b1f5ca8",
        391826,
        "1aec480865898d28",
    ),
    (
        "scenarios/kms-key-disabled.toml",
        "global-breaker",
        1,
        "74dfc8f64a5cbee4",
        434795,
        "4596a99f1e68146d",
    ),
    (
        "scenarios/live-isolation.toml",
        "",
        1,
        "6cc5d10e5b457cb1",
        4418,
        "903e75b2a8f3d980",
    ),
    (
        "scenarios/live-isolation.toml",
        "",
        2,
        "1b402a7a29207a70",
        4348,
        "c8319fcfca8a46f4",
    ),
    (
        "scenarios/live-isolation.toml",
        "fifo-no-limits",
        1,
        "b5ff03f6681dfa01",
        5525,
        "fe423bc2c4d7ee24",
    ),
    (
        "scenarios/noisy-jobs.toml",
        "",
        1,
        "ec069943a4309c57",
        251458,
        "8c7bbd0e0ff5dec2",
    ),
    (
        "scenarios/noisy-jobs.toml",
        "",
        2,
        "6694406e215d3809",
        241641,
        "184a968703d69d84",
    ),
    (
        "scenarios/noisy-jobs.toml",
        "fifo",
        1,
        "63d92fb3cc6085b8",
        252338,
        "b9ee04c98b8b0a34",
    ),
    (
        "scenarios/noisy-jobs.toml",
        "drr-no-cap",
        1,
        "fd5e0d60384def6a",
        252338,
        "58b2271071dd9485",
    ),
    (
        "scenarios/partition.toml",
        "",
        1,
        "de158dbcc6f36a44",
        784673,
        "81f071dc743cf249",
    ),
    (
        "scenarios/partition.toml",
        "",
        2,
        "b920f5c3b2952142",
        820578,
        "65ad19c03639d1db",
    ),
    (
        "scenarios/partition.toml",
        "fail-closed",
        1,
        "2d22ea023c3dae1e",
        601878,
        "2d2745ef6457f87a",
    ),
    (
        "scenarios/placement-study.toml",
        "",
        1,
        "bc391bc04714d4e4",
        3938005,
        "88048cb33e2bcb57",
    ),
    (
        "scenarios/placement-study.toml",
        "",
        2,
        "3819eb2424242641",
        3869972,
        "bdc40639dca33ccd",
    ),
    (
        "scenarios/placement-study.toml",
        "least-utilised",
        1,
        "18eda5f84d91257e",
        3953224,
        "d730ab4311a4db74",
    ),
    (
        "scenarios/placement-study.toml",
        "no-dedicated-cell",
        1,
        "18eda5f84d91257e",
        3953224,
        "66f3616ec458721d",
    ),
    (
        "scenarios/quickstart.toml",
        "",
        1,
        "f632fb4b1916671f",
        243274,
        "9f7d2e3fb3e05395",
    ),
    (
        "scenarios/quickstart.toml",
        "",
        2,
        "edfe7c58c4f458f7",
        243121,
        "5035fab9f802a843",
    ),
    (
        "scenarios/rebalance-hot-tenant.toml",
        "",
        1,
        "1bb0a5bfd8483dcf",
        1798851,
        "3525128e10b9b16c",
    ),
    (
        "scenarios/rebalance-hot-tenant.toml",
        "",
        2,
        "5f847e32bf767cf1",
        1804675,
        "6a1ccd89a5714f92",
    ),
    (
        "scenarios/rebalance-hot-tenant.toml",
        "no-rebalance",
        1,
        "c0a4354c37fca514",
        1842493,
        "adb5f991db43e5e2",
    ),
    (
        "scenarios/rebalance-hot-tenant.toml",
        "verify-fails",
        1,
        "2a091e07108081e5",
        1853492,
        "6ccc742ac874e96c",
    ),
    (
        "scenarios/reconcile.toml",
        "",
        1,
        "5235393fc21c40d0",
        177438,
        "b7c244a414245371",
    ),
    (
        "scenarios/reconcile.toml",
        "",
        2,
        "24ff973a84e181cb",
        177851,
        "15f71e71ff0a2f4a",
    ),
    (
        "scenarios/reconcile.toml",
        "no-reconcile",
        1,
        "4290ce8068c8a383",
        140658,
        "c6e247a6da7ee939",
    ),
    (
        "scenarios/reconcile.toml",
        "slow-backoff",
        1,
        "2ec916e9feb82162",
        168727,
        "18a1c79a9423119c",
    ),
    (
        "scenarios/reports-bulkhead.toml",
        "",
        1,
        "622748fe35c6e92b",
        296932,
        "7d5f316c801fbd4f",
    ),
    (
        "scenarios/reports-bulkhead.toml",
        "",
        2,
        "3edea636d64df554",
        297052,
        "68f36a37f8334341",
    ),
    (
        "scenarios/reports-bulkhead.toml",
        "no-bulkhead",
        1,
        "1a15f5a19ae93d2b",
        280664,
        "6dfa3c9796f96d4d",
    ),
    (
        "scenarios/reports-bulkhead.toml",
        "bulkhead-on-primary",
        1,
        "d29a53a63403de13",
        303529,
        "01d1352ce168d3bc",
    ),
    (
        "scenarios/reports-bulkhead.toml",
        "lagging-replica",
        1,
        "55793fa7f2863f00",
        296613,
        "fbf8e17e6f40bb63",
    ),
    (
        "scenarios/retry-storm.toml",
        "",
        1,
        "f31d711d7d33f8d2",
        1155054,
        "c5722d213057f515",
    ),
    (
        "scenarios/retry-storm.toml",
        "",
        2,
        "46d86e7da063b404",
        1166337,
        "23ce6bfba7da7b47",
    ),
    (
        "scenarios/retry-storm.toml",
        "immediate-no-budget",
        1,
        "74c5b8d3be7534cb",
        2148752,
        "5e22a935d8a99340",
    ),
    (
        "scenarios/retry-storm.toml",
        "backoff-no-budget",
        1,
        "73c4b721941aa141",
        1828520,
        "381235fe60078d33",
    ),
    (
        "scenarios/tenant-move.toml",
        "",
        1,
        "e89fe0b238333664",
        1156247,
        "944b9029575fe117",
    ),
    (
        "scenarios/tenant-move.toml",
        "",
        2,
        "3ad70f673f95fb89",
        1293071,
        "2a378c5dbee89b73",
    ),
    (
        "scenarios/tenant-move.toml",
        "accept-misrouted",
        1,
        "4d07de9d9a2c5d71",
        1159637,
        "cb586d2d68995815",
    ),
    (
        "scenarios/tenant-move.toml",
        "stay",
        1,
        "be7ebd13a53a902d",
        1200503,
        "6e8825f567fca90f",
    ),
    // END PINS
];

const HOUR_PINS: &[Pin] = &[
    (
        "scenarios/acmedocs.toml",
        "",
        1,
        "f3ad2fe8167b38af",
        57043695,
        "34f611b4022c44a8",
    ),
    (
        "scenarios/platform-12k.toml",
        "",
        1,
        "f34844d3166b9a83",
        58500671,
        "4bf2e1026ac01951",
    ),
];

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Runs one pinned case and returns (digest, events, summary hash).
fn measure(file: &str, variant: &str, seed: u64) -> (String, u64, String) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("tenantsim-golden-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join(format!(
        "{}-{variant}-{seed}.json",
        file.replace(['/', '.'], "_")
    ));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenantsim"));
    cmd.current_dir(&root)
        .args(["run", file, "-q", "--seed", &seed.to_string(), "--json"])
        .arg(&json);
    if !variant.is_empty() {
        cmd.args(["--variant", variant]);
    }
    let o = cmd.output().unwrap();
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "{file} {variant} seed {seed}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&json).unwrap();
    let _ = std::fs::remove_file(&json);
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let digest = v["digest"].as_str().unwrap().to_string();
    let events = v["events"].as_u64().unwrap();
    if let Some(fp) = v.get_mut("fingerprint").and_then(|f| f.as_object_mut()) {
        // The build's commit, and the inputs digest that folds it in, change with every
        // commit, not with behaviour.
        fp.insert("commit".into(), serde_json::Value::String(String::new()));
        fp.insert(
            "inputs_digest".into(),
            serde_json::Value::String(String::new()),
        );
    }
    let bytes = serde_json::to_string_pretty(&v).unwrap();
    (digest, events, format!("{:016x}", fnv1a(bytes.as_bytes())))
}

/// Every case the pins should cover: shipped files at seeds 1 and 2, variants at seed 1.
fn cases(hour: bool) -> Vec<(String, String, u64)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(root.join("scenarios"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name()?.to_str()?.to_string();
            (p.extension()? == "toml").then(|| format!("scenarios/{name}"))
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let is_hour = f.ends_with("acmedocs.toml") || f.ends_with("platform-12k.toml");
        if is_hour != hour {
            continue;
        }
        let text = std::fs::read_to_string(root.join(&f)).unwrap();
        let doc: toml::Table = text.parse().unwrap();
        let seeds: &[u64] = if hour { &[1] } else { &[1, 2] };
        for s in seeds {
            out.push((f.clone(), String::new(), *s));
        }
        if !hour {
            if let Some(vs) = doc.get("variants").and_then(|v| v.as_array()) {
                for v in vs {
                    let name = v["name"].as_str().unwrap().to_string();
                    out.push((f.clone(), name, 1));
                }
            }
        }
    }
    out
}

fn check(pins: &[Pin], hour: bool) {
    let bless = std::env::var_os("TENANTSIM_BLESS").is_some();
    let mut failures = Vec::new();
    let mut table = String::new();
    let wanted = cases(hour);
    for (file, variant, seed) in &wanted {
        let (d, e, h) = measure(file, variant, *seed);
        table.push_str(&format!(
            "    (\"{file}\", \"{variant}\", {seed}, \"{d}\", {e}, \"{h}\"),\n"
        ));
        match pins
            .iter()
            .find(|p| p.0 == file && p.1 == variant && p.2 == *seed)
        {
            None => failures.push(format!("{file} {variant} seed {seed}: not pinned")),
            Some(p) => {
                if (p.3, p.4, p.5) != (d.as_str(), e, h.as_str()) {
                    failures.push(format!(
                        "{file} variant '{variant}' seed {seed}: pinned ({}, {} events, json {}), now ({d}, {e} events, json {h})",
                        p.3, p.4, p.5
                    ));
                }
            }
        }
    }
    for p in pins {
        if !wanted
            .iter()
            .any(|(f, v, s)| f == p.0 && v == p.1 && *s == p.2)
        {
            failures.push(format!(
                "{} '{}' seed {}: pinned but not shipped",
                p.0, p.1, p.2
            ));
        }
    }
    if bless {
        println!("{table}");
        return;
    }
    assert!(
        failures.is_empty(),
        "shipped behaviour changed (if on purpose, re-pin with TENANTSIM_BLESS=1 and say why in the commit):\n{}",
        failures.join("\n")
    );
}

#[test]
fn shipped_scenarios_are_byte_identical() {
    check(PINS, false);
}

#[test]
#[ignore = "two one-hour 12,000-tenant runs (~45 s each in release)"]
fn hour_scenarios_are_byte_identical() {
    check(HOUR_PINS, true);
}
