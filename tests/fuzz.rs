//! Fuzzing the scenario loader: no input, however mangled, may panic, abort or hang it.
//!
//! Goal: every byte string a user (or a careless script) can hand to `tenantsim` ends in a
//! located error or in a bounded run — never a panic, a stack overflow, an allocation of
//! terabytes or a loop that does not end.
//!
//! Method: a seeded mutation fuzzer on stable Rust, no extra crate. Each input is one of the
//! shipped scenarios with a few mutations stacked on it (byte flips, line deletion and
//! duplication, numbers and durations replaced by extremes, deep dotted keys, odd unicode,
//! truncation, variants with empty or hostile `set` tables). Each input is loaded (the base
//! and, when it validates, a variant and a `--set`), its work is estimated, and when it
//! validates it is run with the event count capped. Each input gets its own thread and a
//! wall-clock bound; a panic or a timeout fails the test and prints the input's seed and
//! where the input was saved. An abort (stack overflow, failed allocation) kills the test
//! process: the last input tried is always on disk at `fuzz-last.toml` (in cargo's
//! per-target temporary directory), so it can still be found.
//!
//! Inputs that once failed live in `tests/fixtures/fuzz/` and are replayed by
//! [`regressions_stay_fixed`]; a file there may start with `# expect-error: TEXT`, in which
//! case loading it must fail with a message containing TEXT.
//!
//! Budget: `TENANTSIM_FUZZ_SECS` (default 3 s) of fuzzing per `cargo test`; CI or a person
//! hunting for defects sets it higher. `TENANTSIM_FUZZ_SEED` picks the first seed (default 1),
//! so a run is reproducible input by input: input `k` is derived from seed + k alone.

use models::scenario::{load_variant, Override, Scenario};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Events a fuzzed run may process: enough to cross faults and windows, small enough that
/// a run takes milliseconds.
const FUZZ_MAX_EVENTS: u64 = 20_000;
/// Wall-clock bound on one input (load + estimate + capped run), in a test build.
const PER_INPUT: Duration = Duration::from_secs(20);

/// SplitMix64: a tiny, fixed, seedable generator (the fuzzer's own; the model's streams are
/// not involved).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped scenarios, (name, text), in name order.
fn corpus() -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/ is shipped")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("shipped scenarios are UTF-8");
            (p.file_name().unwrap().to_string_lossy().into_owned(), text)
        })
        .collect()
}

const EXTREME_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "1e308",
    "-1e308",
    "1e-308",
    "nan",
    "inf",
    "-inf",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "4294967296",
    "65536",
    "0.0",
    "1e9",
];

const EXTREME_STRINGS: &[&str] = &[
    "\"0s\"",
    "\"1ns\"",
    "\"100d\"",
    "\"1000000h\"",
    "\"18446744073709551615ns\"",
    "\"1e308s\"",
    "\"1e12/s\"",
    "\"1e308/s\"",
    "\"0/s\"",
    "\"-1/s\"",
    "\"pareto(0.01, 1/s)\"",
    "\"pareto(1.0001, 1000/s)\"",
    "\"lognormal(1000/s, 50)\"",
    "\"exp(0ns)\"",
    "\"const(0)\"",
    "\"const(1e9)\"",
    "\"during:\"",
    "\"0s..0s\"",
    "\"\"",
    "\"é🦀\u{202e}\"",
];

const ODD_UNICODE: &[&str] = &[
    "\u{feff}", "\u{202e}", "\u{0}", "\u{7f}", "é", "e\u{301}", "🦀", "\u{fffd}", "\r", "\t",
    "\u{2028}", "𝕏",
];

/// Keys that exist in the shipped scenarios, for hostile variants and `--set`s.
const KEYS: &[&str] = &[
    "duration",
    "window",
    "max_events",
    "platform.cells",
    "platform.workers",
    "platform.queue_limit",
    "platform.db.connections",
    "tenants.0.rate",
    "tenants.0.tier",
    "cohorts.0.count",
    "cohorts.0.rate",
    "faults.0.factor",
    "faults.0.at",
    "faults.0.for",
    "classes.api.timeout",
    "classes.api.service",
    "tiers.bronze.rate_limit",
    "variants.0.set",
    "variants",
    "name",
];

fn deep_key(rng: &mut Rng) -> String {
    let parts = 1 + rng.below(5000);
    let mut k = String::with_capacity(parts * 2);
    for i in 0..parts {
        if i > 0 {
            k.push('.');
        }
        k.push((b'a' + (i % 26) as u8) as char);
    }
    k
}

fn value(rng: &mut Rng) -> String {
    if rng.below(2) == 0 {
        rng.pick(EXTREME_NUMBERS).to_string()
    } else {
        rng.pick(EXTREME_STRINGS).to_string()
    }
}

/// One mutation of `text`.
fn mutate(rng: &mut Rng, text: &mut String) {
    let lines: Vec<&str> = text.split('\n').collect();
    let n = lines.len();
    match rng.below(12) {
        // Byte flip (may leave invalid UTF-8: replaced as a lossy reader would).
        0 => {
            let mut bytes = std::mem::take(text).into_bytes();
            if !bytes.is_empty() {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            *text = String::from_utf8_lossy(&bytes).into_owned();
        }
        // Delete, duplicate or swap lines.
        1 => {
            let i = rng.below(n);
            let mut v = lines.clone();
            v.remove(i);
            *text = v.join("\n");
        }
        2 => {
            let i = rng.below(n);
            let mut v = lines.clone();
            v.insert(i, lines[i]);
            *text = v.join("\n");
        }
        3 => {
            let (i, j) = (rng.below(n), rng.below(n));
            let mut v = lines.clone();
            v.swap(i, j);
            *text = v.join("\n");
        }
        // Replace a number by an extreme.
        4 => {
            let starts: Vec<usize> = text
                .char_indices()
                .filter(|&(i, c)| {
                    c.is_ascii_digit()
                        && (i == 0 || !text.as_bytes()[i - 1].is_ascii_alphanumeric())
                })
                .map(|(i, _)| i)
                .collect();
            if !starts.is_empty() {
                let s = *rng.pick(&starts);
                let e = text[s..]
                    .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .map_or(text.len(), |p| s + p);
                let v = rng.pick(EXTREME_NUMBERS);
                text.replace_range(s..e, v);
            }
        }
        // Replace a quoted value by an extreme string.
        5 => {
            let quotes: Vec<usize> = text.match_indices("= \"").map(|(i, _)| i + 2).collect();
            if !quotes.is_empty() {
                let s = *rng.pick(&quotes);
                if let Some(len) = text[s + 1..].find('"') {
                    let v = rng.pick(EXTREME_STRINGS);
                    text.replace_range(s..s + len + 2, v);
                }
            }
        }
        // A deep dotted key, at the top or in a table.
        6 => {
            let k = deep_key(rng);
            let i = rng.below(n);
            let mut v: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
            v.insert(i, format!("{k} = 1"));
            *text = v.join("\n");
        }
        // Odd unicode somewhere.
        7 => {
            let mut i = rng.below(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            let odd: &&str = rng.pick(ODD_UNICODE);
            text.insert_str(i, odd);
        }
        // Truncation.
        8 => {
            let mut i = rng.below(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            text.truncate(i);
        }
        // A variant with an empty, missing, repeated or self-referential `set`.
        9 => {
            let set = match rng.below(6) {
                0 => String::new(),
                1 => "set = {}\n".to_string(),
                2 => format!(
                    "set = {{ \"{k}\" = {v}, \"{k}\" = {v} }}\n",
                    k = rng.pick(KEYS),
                    v = value(rng)
                ),
                3 => "set = { \"tenants.0.rate\" = \"1/s\", \"tenants.hot.rate\" = \"2/s\" }\n"
                    .to_string(),
                4 => format!("set = {{ \"{}\" = 1 }}\n", deep_key(rng)),
                _ => format!("set = {{ \"{}\" = {} }}\n", rng.pick(KEYS), value(rng)),
            };
            text.push_str(&format!(
                "\n[[variants]]\nname = \"fz{}\"\n{set}",
                rng.below(3)
            ));
        }
        // A top-level key set to an extreme (TOML may refuse the duplicate: fine).
        10 => {
            let k = rng.pick(&["duration", "window", "max_events", "seed"]);
            let v = value(rng);
            *text = format!("{k} = {v}\n{text}");
        }
        // Repeat a whole block (a table header and what follows it).
        _ => {
            let headers: Vec<usize> = (0..n).filter(|&i| lines[i].starts_with('[')).collect();
            if !headers.is_empty() {
                let h = *rng.pick(&headers);
                let end = (h + 1..n).find(|&i| lines[i].starts_with('[')).unwrap_or(n);
                let block = lines[h..end].join("\n");
                text.push('\n');
                text.push_str(&block);
            }
        }
    }
}

/// What happened to one input (anything but a panic or a timeout is fine).
fn exercise(name: &str, text: &str, set: Option<Override>) -> String {
    let base = match load_variant(name, text, &[], None) {
        Ok(sc) => sc,
        Err(e) => return format!("invalid: {}", first_line(&e.to_string())),
    };
    let mut out = String::from("valid");
    let variant = base.variants.first().map(|v| v.name.clone());
    let sets: Vec<Override> = set.into_iter().collect();
    for (variant, sets) in [(variant.as_deref(), &[][..]), (None, &sets[..])] {
        if variant.is_none() && sets.is_empty() {
            continue;
        }
        match load_variant(name, text, sets, variant) {
            Ok(sc) => out.push_str(&bounded_run(&sc)),
            Err(e) => out.push_str(&format!(
                "; override invalid: {}",
                first_line(&e.to_string())
            )),
        }
    }
    out.push_str(&bounded_run(&base));
    out
}

fn bounded_run(sc: &Scenario) -> String {
    if let Err(e) = models::estimate::check(sc, false) {
        return format!("; refused: {}", first_line(&e));
    }
    let mut sc = sc.clone();
    sc.max_events = sc.max_events.min(FUZZ_MAX_EVENTS);
    match models::harness::run::run(&sc, sc.seed, None) {
        Ok(out) => format!("; ran: {:?}", out.stop),
        Err(e) => format!("; run error: {e}"),
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Runs `exercise` on a thread with a wall-clock bound; Err says what went wrong.
fn guarded(name: &str, text: &str, set: Option<Override>) -> Result<String, String> {
    let (tx, rx) = mpsc::channel();
    let (name2, text2) = (name.to_string(), text.to_string());
    let handle = std::thread::Builder::new()
        .name("fuzz-input".into())
        .stack_size(8 << 20)
        .spawn(move || {
            let r = std::panic::catch_unwind(|| exercise(&name2, &text2, set));
            let _ = tx.send(r);
        })
        .expect("spawn a fuzz thread");
    match rx.recv_timeout(PER_INPUT) {
        Ok(Ok(outcome)) => {
            let _ = handle.join();
            Ok(outcome)
        }
        Ok(Err(panic)) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("panicked: {msg}"))
        }
        Err(_) => Err(format!("took longer than {PER_INPUT:?} (hang?)")),
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Input `k` of the run seeded `seed`: (shipped file it came from, text, optional `--set`).
fn input(corpus: &[(String, String)], seed: u64, k: u64) -> (String, String, Option<Override>) {
    let mut rng = Rng(seed.wrapping_mul(0x1000_0000_01B3) ^ k);
    let (name, text) = rng.pick(corpus);
    let mut text = text.clone();
    // A quarter of the inputs keep the file intact and vary one key through `--set`, so
    // that extreme values reach the run, not only the parser.
    let mutations = if rng.below(4) == 0 {
        0
    } else {
        1 + rng.below(4)
    };
    for _ in 0..mutations {
        mutate(&mut rng, &mut text);
    }
    let set = (mutations == 0 || rng.below(3) == 0).then(|| {
        let key = if rng.below(4) == 0 {
            deep_key(&mut rng)
        } else {
            rng.pick(KEYS).to_string()
        };
        Override {
            key,
            value: value(&mut rng).trim_matches('"').to_string(),
        }
    });
    (name.clone(), text, set)
}

#[test]
fn mutated_scenarios_never_panic_or_hang() {
    let corpus = corpus();
    assert!(
        corpus.len() >= 5,
        "the shipped scenarios are the seed corpus"
    );
    let budget = Duration::from_secs(env_u64("TENANTSIM_FUZZ_SECS", 3));
    let seed = env_u64("TENANTSIM_FUZZ_SEED", 1);
    let last = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-last.toml");
    // The fuzzing budget is wall time (outside any run); inputs depend on the seed only.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let (mut tried, mut valid) = (0u64, 0u64);
    while started.elapsed() < budget {
        let (name, text, set) = input(&corpus, seed, tried);
        let set_line = set.as_ref().map(Override::flag).unwrap_or_default();
        let set_line: String = set_line.chars().take(200).collect();
        std::fs::write(&last, format!("# from {name} {set_line}\n{text}")).ok();
        match guarded(&name, &text, set) {
            Ok(outcome) => valid += u64::from(outcome.starts_with("valid")),
            Err(why) => panic!(
                "fuzz input {tried} (TENANTSIM_FUZZ_SEED={seed}, from {name} {set_line}) {why}; \
                 the input is at {} — keep it in tests/fixtures/fuzz/ once fixed",
                last.display()
            ),
        }
        tried += 1;
    }
    eprintln!("fuzz: {tried} inputs ({valid} valid) in {budget:?}, seed {seed}");
    assert!(tried > 0, "the budget allows at least one input");
}

/// Goal: inputs that once crashed, hung or misled stay fixed. Method: each file in
/// `tests/fixtures/fuzz/` goes through the same guarded path as a fuzz input; an
/// `# expect-error: TEXT` first line also demands a load error containing TEXT (and a
/// `# set: KEY=VALUE` line applies that `--set`).
#[test]
fn regressions_stay_fixed() {
    let dir = root().join("tests/fixtures/fuzz");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/fuzz exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the regression corpus is not empty");
    for path in files {
        replay(&path);
    }
}

fn replay(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let header = |tag: &str| {
        text.lines()
            .take_while(|l| l.starts_with('#'))
            .find_map(|l| l.strip_prefix(tag).map(|s| s.trim().to_string()))
    };
    let expect = header("# expect-error:");
    let set = header("# set:").map(|s| Override::parse(&s).expect("a well-formed # set: line"));
    let name = path.display().to_string();
    let outcome = guarded(&name, &text, set.clone()).unwrap_or_else(|why| panic!("{name}: {why}"));
    if let Some(want) = expect {
        let err = match load_variant(&name, &text, &set.into_iter().collect::<Vec<_>>(), None) {
            Ok(_) => panic!("{name}: loads, but must fail with `{want}` ({outcome})"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(&want), "{name}: error lacks `{want}`:\n{err}");
    }
}
