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
        "87f55972c4fa5ed9",
    ),
    (
        "scenarios/autoscale-db-bottleneck.toml",
        "",
        2,
        "c96b48a3d33ba10f",
        997557,
        "555fa782763b6f94",
    ),
    (
        "scenarios/autoscale-db-bottleneck.toml",
        "uncapped",
        1,
        "8def374b20a76189",
        837823,
        "1c358bf03d30aeb5",
    ),
    (
        "scenarios/autoscale-db-bottleneck.toml",
        "no-autoscaler",
        1,
        "a7abb268eadc9c5d",
        1004545,
        "44b7bcbd6de25909",
    ),
    (
        "scenarios/bad-config-rollout.toml",
        "",
        1,
        "ae364425e5c36dd0",
        1092342,
        "723b33d9cc2592eb",
    ),
    (
        "scenarios/bad-config-rollout.toml",
        "",
        2,
        "472455851b19fa01",
        993116,
        "bc56a28b9dfff1b6",
    ),
    (
        "scenarios/bad-config-rollout.toml",
        "everyone-at-once",
        1,
        "e1d81722270e0372",
        595357,
        "d5eac161795310a0",
    ),
    (
        "scenarios/bad-migration.toml",
        "",
        1,
        "1ca1957d9aa29343",
        1230037,
        "de6b04581eac8fe2",
    ),
    (
        "scenarios/bad-migration.toml",
        "",
        2,
        "50062d057e0d25de",
        1158385,
        "c9d53331ae1df105",
    ),
    (
        "scenarios/bad-migration.toml",
        "no-gate",
        1,
        "5906010d73213a93",
        1213549,
        "8d7826e7e7a7d6cd",
    ),
    (
        "scenarios/bad-migration.toml",
        "burn-gate",
        1,
        "1ca1957d9aa29343",
        1230037,
        "d1a9849aba6fd0f6",
    ),
    (
        "scenarios/bad-migration.toml",
        "changed-only",
        1,
        "4358782b2ee05034",
        1230517,
        "d79d86f1d37b325a",
    ),
    (
        "scenarios/cell-outage.toml",
        "",
        1,
        "ef105ea8d6c9c877",
        541431,
        "d454d61d8125ede6",
    ),
    (
        "scenarios/cell-outage.toml",
        "",
        2,
        "e901f9cec3f79a67",
        542083,
        "2bffb02220f30b35",
    ),
    (
        "scenarios/cell-outage.toml",
        "no-evacuation",
        1,
        "fc6725c87b801afc",
        495845,
        "bb9ea0505dca5031",
    ),
    (
        "scenarios/cell-outage.toml",
        "over-eager",
        1,
        "c4a884dfe6e44d83",
        567932,
        "96d2a3fb2614ce46",
    ),
    (
        "scenarios/cell-outage.toml",
        "fail-back",
        1,
        "0241d92c717b24d5",
        545817,
        "f9e4774a4155a0b5",
    ),
    (
        "scenarios/cell-outage.toml",
        "repair-not-evacuation",
        1,
        "19e37ff946f85429",
        535074,
        "30735251df2269f6",
    ),
    (
        "scenarios/config-ttl-expiry.toml",
        "",
        1,
        "6c87885c5cc92925",
        1176009,
        "f4906f5085f45364",
    ),
    (
        "scenarios/config-ttl-expiry.toml",
        "",
        2,
        "8a0a33a3a37392cf",
        1205407,
        "766c00c39feb3f7b",
    ),
    (
        "scenarios/config-ttl-expiry.toml",
        "fall-back-to-defaults",
        1,
        "d9656e73f550a8d4",
        987453,
        "7354f9d5f5fdb33e",
    ),
    (
        "scenarios/config-ttl-expiry.toml",
        "ttl-outlasts-outage",
        1,
        "6c87885c5cc92925",
        1176009,
        "0197c71a377491e5",
    ),
    (
        "scenarios/config-ttl-expiry.toml",
        "cell-defaults",
        1,
        "62cedafe9498cb3d",
        1146485,
        "859814045e3b1e80",
    ),
    (
        "scenarios/config-ttl-expiry.toml",
        "cell-keep-last-known",
        1,
        "6c87885c5cc92925",
        1176009,
        "d87f556ffb9e933f",
    ),
    (
        "scenarios/control-plane-outage.toml",
        "",
        1,
        "01ea03ef0d1db21a",
        831489,
        "7797a92cb0672980",
    ),
    (
        "scenarios/control-plane-outage.toml",
        "",
        2,
        "57f7d434a32dec72",
        871806,
        "d422ed33a9af2481",
    ),
    (
        "scenarios/control-plane-outage.toml",
        "fail-closed",
        1,
        "4bf9950cdf3223a1",
        609576,
        "929a8b3a72a9a978",
    ),
    (
        "scenarios/control-plane-outage.toml",
        "fail-closed-long-ttl",
        1,
        "8eb7d468a1b4ba4f",
        804726,
        "9a0c09c54dc99123",
    ),
    (
        "scenarios/data-architectures.toml",
        "",
        1,
        "c6b8de560bb23398",
        233585,
        "4a9c5df01bfd37fb",
    ),
    (
        "scenarios/data-architectures.toml",
        "",
        2,
        "9a8cb9be5eface31",
        233403,
        "0a5f044af40e9354",
    ),
    (
        "scenarios/data-architectures.toml",
        "shared-tables",
        1,
        "5aed2b2be54cd1f5",
        220213,
        "dc60977e50b70eaa",
    ),
    (
        "scenarios/data-architectures.toml",
        "schema-per-tenant",
        1,
        "a7111f38f93c21db",
        220691,
        "f7f2c10ded7e057e",
    ),
    (
        "scenarios/data-architectures.toml",
        "db-per-tenant-no-pooler",
        1,
        "49cad44b09d24ebd",
        234668,
        "eb5efb922aed43f1",
    ),
    (
        "scenarios/data-architectures.toml",
        "shard-groups",
        1,
        "8cb438e1796a069f",
        233090,
        "4e3ff1f3560efcd3",
    ),
    (
        "scenarios/data-architectures.toml",
        "dedicated-db-gold",
        1,
        "a099870dc444c1e8",
        221565,
        "086858c4f7cb2bdf",
    ),
    (
        "scenarios/db-governance.toml",
        "",
        1,
        "9342a4e4ce8d955e",
        100374,
        "ae41076e33683102",
    ),
    (
        "scenarios/db-governance.toml",
        "",
        2,
        "12f8da448ff6b4a8",
        100805,
        "4bffcad4e503649e",
    ),
    (
        "scenarios/db-governance.toml",
        "no-governance",
        1,
        "9f664b1cf98987e9",
        73735,
        "1198c4163ba85b83",
    ),
    (
        "scenarios/db-governance.toml",
        "timeout-only",
        1,
        "20d6017f35bccab9",
        103316,
        "50d7fd9a961d3685",
    ),
    (
        "scenarios/db-governance.toml",
        "concurrency-only",
        1,
        "8977e4f6b782f3ed",
        100882,
        "7b208c77b02be826",
    ),
    (
        "scenarios/explore-gold-cell.toml",
        "",
        1,
        "20b3cf5755878060",
        628088,
        "5c01f54e8c1a8520",
    ),
    (
        "scenarios/explore-gold-cell.toml",
        "",
        2,
        "7c976264ad7be361",
        627857,
        "6478dddf1d6cfe0f",
    ),
    (
        "scenarios/explore-gold-cell.toml",
        "migration-on-gold",
        1,
        "19b3ff1852d0078b",
        610252,
        "82a11397c3f4a3aa",
    ),
    (
        "scenarios/fleet-migration.toml",
        "",
        1,
        "29acdbb63e7c6fe0",
        1327531,
        "435eed91b38a3815",
    ),
    (
        "scenarios/fleet-migration.toml",
        "",
        2,
        "e234b60dfa6890be",
        1320210,
        "b1f387e708d9d888",
    ),
    (
        "scenarios/fleet-migration.toml",
        "parallelism-1",
        1,
        "87babcd2a8338619",
        1321652,
        "ff65447837f3972f",
    ),
    (
        "scenarios/fleet-migration.toml",
        "parallelism-64",
        1,
        "723623cf19cebe6e",
        1322390,
        "c5666d49f8776005",
    ),
    (
        "scenarios/fleet-scale-out.toml",
        "",
        1,
        "55418ff7a25b8d99",
        427237,
        "018ed8dd79d5de30",
    ),
    (
        "scenarios/fleet-scale-out.toml",
        "",
        2,
        "85222491118396db",
        425821,
        "b5b181d633d82ebe",
    ),
    (
        "scenarios/fleet-scale-out.toml",
        "no-scale-out",
        1,
        "510250e3043a7fcb",
        436708,
        "ef99b2d4fded472a",
    ),
    (
        "scenarios/fleet-scale-out.toml",
        "new-cell",
        1,
        "a173f7e4748422fa",
        422325,
        "c473e143503635e0",
    ),
    (
        "scenarios/fleet-scale-out.toml",
        "new-cell-max-2",
        1,
        "f4d735de7c160c58",
        436720,
        "5f4ac6d58ff3c007",
    ),
    (
        "scenarios/global-dependency.toml",
        "",
        1,
        "412983f40ae94057",
        235933,
        "911c58e222a21af4",
    ),
    (
        "scenarios/global-dependency.toml",
        "",
        2,
        "eb21ced697d42c81",
        235719,
        "372bb862fdd76e5c",
    ),
    (
        "scenarios/global-dependency.toml",
        "no-quotas",
        1,
        "68bc47ea79648559",
        237057,
        "fe8948a435934aa0",
    ),
    (
        "scenarios/global-dependency.toml",
        "daily-quota",
        1,
        "9654b3b84bdb9f07",
        235528,
        "be5aed29fbea183a",
    ),
    (
        "scenarios/hot-tenant.toml",
        "",
        1,
        "2fa30ed5bc0518ea",
        765587,
        "6850eb3ad132ab93",
    ),
    (
        "scenarios/hot-tenant.toml",
        "",
        2,
        "0f3833c0a1c9affa",
        799248,
        "4e203f643bc6c874",
    ),
    (
        "scenarios/hot-tenant.toml",
        "fifo-no-limits",
        1,
        "8bc1f8ca788cf534",
        747236,
        "9f91187c3a746fd1",
    ),
    (
        "scenarios/hot-tenant.toml",
        "limits-only",
        1,
        "79eaa14324794ee5",
        820299,
        "4cac489fa8521e78",
    ),
    (
        "scenarios/hot-tenant.toml",
        "drr-only",
        1,
        "ed04bdc36f45afc6",
        753282,
        "ccac66024d931a8e",
    ),
    (
        "scenarios/kms-key-disabled.toml",
        "",
        1,
        "4c3f0d0ed7d1721c",
        444830,
        "cdd3c374412d2a25",
    ),
    (
        "scenarios/kms-key-disabled.toml",
        "",
        2,
        "cd27e7ed8b1f5ca8",
        391826,
        "c18f143fbf9c3c21",
    ),
    (
        "scenarios/kms-key-disabled.toml",
        "global-breaker",
        1,
        "74dfc8f64a5cbee4",
        434795,
        "4b78a07deeb24e77",
    ),
    (
        "scenarios/live-isolation.toml",
        "",
        1,
        "6cc5d10e5b457cb1",
        4418,
        "fe6b5f62ccfbf8e7",
    ),
    (
        "scenarios/live-isolation.toml",
        "",
        2,
        "1b402a7a29207a70",
        4348,
        "86d73182d7ecb95d",
    ),
    (
        "scenarios/live-isolation.toml",
        "fifo-no-limits",
        1,
        "b5ff03f6681dfa01",
        5525,
        "acfd544070b4ae48",
    ),
    (
        "scenarios/noisy-jobs.toml",
        "",
        1,
        "ec069943a4309c57",
        251458,
        "03c41547a70bf40f",
    ),
    (
        "scenarios/noisy-jobs.toml",
        "",
        2,
        "6694406e215d3809",
        241641,
        "9f6167775815aa28",
    ),
    (
        "scenarios/noisy-jobs.toml",
        "fifo",
        1,
        "63d92fb3cc6085b8",
        252338,
        "e7bb63988519dda9",
    ),
    (
        "scenarios/noisy-jobs.toml",
        "drr-no-cap",
        1,
        "fd5e0d60384def6a",
        252338,
        "8a41d8ff4335c050",
    ),
    (
        "scenarios/partition.toml",
        "",
        1,
        "de158dbcc6f36a44",
        784673,
        "583ecd4ce72c9f07",
    ),
    (
        "scenarios/partition.toml",
        "",
        2,
        "b920f5c3b2952142",
        820578,
        "40625fa2c0d3b2ad",
    ),
    (
        "scenarios/partition.toml",
        "fail-closed",
        1,
        "2d22ea023c3dae1e",
        601878,
        "78e2bda047bee140",
    ),
    (
        "scenarios/placement-study.toml",
        "",
        1,
        "bc391bc04714d4e4",
        3938005,
        "9f40260f87b0954a",
    ),
    (
        "scenarios/placement-study.toml",
        "",
        2,
        "3819eb2424242641",
        3869972,
        "ad67d2ed4366d6a0",
    ),
    (
        "scenarios/placement-study.toml",
        "least-utilised",
        1,
        "18eda5f84d91257e",
        3953224,
        "98a610f6549daf67",
    ),
    (
        "scenarios/placement-study.toml",
        "no-dedicated-cell",
        1,
        "18eda5f84d91257e",
        3953224,
        "80971942f252d48e",
    ),
    (
        "scenarios/quickstart.toml",
        "",
        1,
        "f632fb4b1916671f",
        243274,
        "a8b040f859005b04",
    ),
    (
        "scenarios/quickstart.toml",
        "",
        2,
        "edfe7c58c4f458f7",
        243121,
        "f70a7cc16a3519a2",
    ),
    (
        "scenarios/rebalance-hot-tenant.toml",
        "",
        1,
        "1bb0a5bfd8483dcf",
        1798851,
        "b891d302ee4a894c",
    ),
    (
        "scenarios/rebalance-hot-tenant.toml",
        "",
        2,
        "5f847e32bf767cf1",
        1804675,
        "9e0f3cc0392e9b3f",
    ),
    (
        "scenarios/rebalance-hot-tenant.toml",
        "no-rebalance",
        1,
        "c0a4354c37fca514",
        1842493,
        "23fe24d920dcb968",
    ),
    (
        "scenarios/rebalance-hot-tenant.toml",
        "verify-fails",
        1,
        "2a091e07108081e5",
        1853492,
        "0b8c157608716907",
    ),
    (
        "scenarios/reconcile.toml",
        "",
        1,
        "3f241900ef9f95ba",
        189734,
        "5f6b2cfae826267b",
    ),
    (
        "scenarios/reconcile.toml",
        "",
        2,
        "10373656506e8c22",
        189790,
        "c1aa52c03443b397",
    ),
    (
        "scenarios/reconcile.toml",
        "no-reconcile",
        1,
        "c469f95e7703de09",
        149324,
        "05fcc0cb78999d18",
    ),
    (
        "scenarios/reconcile.toml",
        "slow-backoff",
        1,
        "1edeeb7d8e4412d7",
        184050,
        "d9670374fb22271e",
    ),
    (
        "scenarios/reports-bulkhead.toml",
        "",
        1,
        "622748fe35c6e92b",
        296932,
        "f5f85c7f7f1580a1",
    ),
    (
        "scenarios/reports-bulkhead.toml",
        "",
        2,
        "3edea636d64df554",
        297052,
        "a7a1a84f59b5ac7f",
    ),
    (
        "scenarios/reports-bulkhead.toml",
        "no-bulkhead",
        1,
        "1a15f5a19ae93d2b",
        280664,
        "d38cc9b754db7f36",
    ),
    (
        "scenarios/reports-bulkhead.toml",
        "bulkhead-on-primary",
        1,
        "d29a53a63403de13",
        303529,
        "42e3035691dcd23c",
    ),
    (
        "scenarios/reports-bulkhead.toml",
        "lagging-replica",
        1,
        "55793fa7f2863f00",
        296613,
        "e37e437c13397f75",
    ),
    (
        "scenarios/retry-storm.toml",
        "",
        1,
        "f31d711d7d33f8d2",
        1155054,
        "b2deb9f20c080556",
    ),
    (
        "scenarios/retry-storm.toml",
        "",
        2,
        "46d86e7da063b404",
        1166337,
        "98e9b5414dc86f4f",
    ),
    (
        "scenarios/retry-storm.toml",
        "immediate-no-budget",
        1,
        "74c5b8d3be7534cb",
        2148752,
        "6a6fce132776ade7",
    ),
    (
        "scenarios/retry-storm.toml",
        "backoff-no-budget",
        1,
        "73c4b721941aa141",
        1828520,
        "a413bd3aeb7eb13d",
    ),
    (
        "scenarios/tenant-move.toml",
        "",
        1,
        "e89fe0b238333664",
        1156247,
        "dbc307570558f6a6",
    ),
    (
        "scenarios/tenant-move.toml",
        "",
        2,
        "3ad70f673f95fb89",
        1293071,
        "cec1037560583f6c",
    ),
    (
        "scenarios/tenant-move.toml",
        "accept-misrouted",
        1,
        "4d07de9d9a2c5d71",
        1159637,
        "ce66d9c00392a754",
    ),
    (
        "scenarios/tenant-move.toml",
        "stay",
        1,
        "be7ebd13a53a902d",
        1200503,
        "c9db1b8812cf20e4",
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
        "d9d7482eda1118f3",
    ),
    (
        "scenarios/platform-12k.toml",
        "",
        1,
        "f34844d3166b9a83",
        58500671,
        "5f2ceaa26ea1eb87",
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
