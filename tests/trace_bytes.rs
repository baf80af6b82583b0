//! The bytes of `tenantsim trace`, pinned: the Perfetto JSON and the JSON lines written for
//! one small shipped scenario hash to the values below, so a refactor of the trace writers
//! (or of the tracer in the platform) that moves a single byte fails here.
//!
//! Goal: `tests/trace.rs` checks that the output is *valid* (spans tile, flows pair up) and
//! `tests/golden.rs` pins the run; neither notices a changed field order, number format or
//! track naming. Method: trace `retry-storm` (cell 0, the second before its slow DB
//! recovers: retries with flows, abandoned work, backoffs, counters, a fault instant) from the
//! repository root with a relative path, so the recorded `file` is the same on every machine; blank the one field that names the build (`version`, which
//! carries the commit); hash with FNV-1a and compare with the pin. The pins were taken with
//! the binary of main `874f7db`, before the trace writers were split into files (session 6).
//! When the output changes on purpose, the failure prints the new values; update the pin in a
//! commit that says why.

use std::path::PathBuf;
use std::process::Command;

/// (format flag, file name, FNV-1a of the normalised bytes, byte length).
const PINS: [(&str, &str, &str, usize); 2] = [
    ("perfetto", "r.json", "eea9098d4988c6c3", 660_982),
    ("jsonl", "r.jsonl", "2452d8e8e6c6f5c5", 588_556),
];

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// `text` with the value of every `"version":"…"` field replaced by `*`.
fn blank_version(text: &str) -> String {
    const KEY: &str = "\"version\":\"";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        let (head, tail) = rest.split_at(at + KEY.len());
        out.push_str(head);
        out.push('*');
        let end = tail.find('"').expect("a closed version string");
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn trace_output_bytes_are_pinned() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("tenantsim-trace-bytes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for (format, name, hash, len) in PINS {
        let out = dir.join(name);
        let o = Command::new(env!("CARGO_BIN_EXE_tenantsim"))
            .current_dir(&root)
            .args(["trace", "scenarios/retry-storm.toml", "--cell", "0"])
            .args(["--from", "1m58s", "--to", "1m59s"])
            .args(["--format", format, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains("\"version\":\""), "{format}: a version field");
        let norm = blank_version(&text);
        let got = format!("{:016x}", fnv1a(norm.as_bytes()));
        if got != hash || norm.len() != len {
            failures.push(format!(
                "(\"{format}\", \"{name}\", \"{got}\", {}),",
                norm.len()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "trace bytes changed; if on purpose, pin:\n{}",
        failures.join("\n")
    );
}

/// Goal: the normalisation blanks the build's name and nothing else (else the pin would
/// hide changes). Method: a text with two version fields and a look-alike key.
#[test]
fn blank_version_touches_only_version_values() {
    let t = r#"{"version":"tenantsim 0.1.0 (abc)","x":"version","v":{"version":"y"}}"#;
    assert_eq!(
        blank_version(t),
        r#"{"version":"*","x":"version","v":{"version":"*"}}"#
    );
}
