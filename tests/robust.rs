//! The binary under hostile input and interrupted output (issue 13, items 12, 15, 16): every
//! bad input ends in exit 2 with a bounded, located message; an `--out` folder is always
//! either a complete report or untouched.
//!
//! Method: run the built `tenantsim` on inputs a careless user or script produces (a device,
//! a FIFO, a non-UTF-8 file, a 6 MB one-line file, a multi-line `--set`, a scenario whose
//! fault factors multiply into an absurd load), and kill a run midway through writing its
//! outputs with the `TENANTSIM_INJECT_OUT_KILL` test hook (an abort, as `kill -9` would).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tenantsim"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tenantsim-robust-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn validate(path: &Path) -> Output {
    bin().arg("validate").arg(path).output().unwrap()
}

fn quickstart() -> String {
    std::fs::read_to_string(root().join("scenarios/quickstart.toml")).unwrap()
}

#[test]
fn unreadable_inputs_are_refused_not_read_forever() {
    // A device that never ends and a FIFO nobody writes to: refused at once (a read of
    // /dev/zero once ran to 2 GB; opening a FIFO blocked forever).
    let o = validate(Path::new("/dev/zero"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));

    let d = tmp_dir("fifo");
    let fifo = d.join("scenario.toml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let o = validate(&fifo);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    }

    // Too large: refused by size, before reading.
    let big = d.join("big.toml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(100 << 20).unwrap();
    let o = validate(&big);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the most tenantsim reads"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn non_utf8_files_say_where_the_bad_byte_is() {
    let d = tmp_dir("utf8");
    let f = d.join("latin1.toml");
    let mut bytes = quickstart().into_bytes();
    let at = bytes.windows(8).position(|w| w == b"\nname = ").unwrap() + 1;
    let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    bytes.splice(at..at, b"caf\xe9 ".iter().copied());
    std::fs::write(&f, &bytes).unwrap();
    let o = validate(&f);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("latin1.toml:{line}:4:")), "{err}");
    assert!(err.contains("not UTF-8") && err.contains("0xe9"), "{err}");
}

#[test]
fn error_output_is_bounded_for_a_huge_line() {
    // A 6 MB one-line file (under the 8 MiB cap) with an error in the middle once printed
    // the line twice over.
    let d = tmp_dir("long-line");
    let f = d.join("long.toml");
    let mut text = "version = 1\nduration = \"1m\"\ndescription = \"".to_string();
    text.push_str(&"x".repeat(3 << 20));
    text.push_str("\" bad = ");
    text.push_str(&"y".repeat(3 << 20));
    text.push('\n');
    std::fs::write(&f, text).unwrap();
    let o = validate(&f);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{}", &err[..err.len().min(500)]);
    assert!(err.len() < 4096, "stderr is {} bytes", err.len());
    assert!(err.contains("long.toml:3:"), "{err}");
}

#[test]
fn multi_line_set_is_an_error_not_a_truncation() {
    let o = bin()
        .current_dir(root())
        .args([
            "validate",
            "scenarios/quickstart.toml",
            "--set",
            "duration=1m\nseed=7",
        ])
        .output()
        .unwrap();
    // `validate` takes no --set: use run, which loads before running.
    let o = if o.status.code() == Some(2) && stderr(&o).contains("unexpected argument") {
        bin()
            .current_dir(root())
            .args([
                "run",
                "scenarios/quickstart.toml",
                "--set",
                "duration=1m\nseed=7",
            ])
            .output()
            .unwrap()
    } else {
        o
    };
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("several lines"), "{err}");
}

#[test]
fn absurd_work_is_refused_up_front_unless_allowed() {
    // Each factor is valid alone; together they ask for ~10^14 requests. Refused before
    // running, naming the tenant and the fault factors; `--allow-large` lets it load.
    let d = tmp_dir("large");
    let f = d.join("large.toml");
    let text = quickstart().replacen(
        "[[slos]]",
        "[[faults]]\nname = \"more\"\nkind = \"hot_tenant\"\ntenant = \"hot\"\nfactor = 1000000\nat = \"2m\"\nfor = \"30s\"\n\n[[slos]]",
        1,
    );
    assert!(text.contains("factor = 1000000"));
    std::fs::write(&f, text).unwrap();
    let o = validate(&f);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("tenant `hot`") && err.contains("--allow-large"),
        "{err}"
    );
    let o = bin()
        .args(["validate", "--allow-large"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

fn run_out(out: &Path, kill_after: Option<usize>, seed: &str) -> Output {
    let mut c = bin();
    c.current_dir(root()).args([
        "run",
        "scenarios/quickstart.toml",
        "-q",
        "--seed",
        seed,
        "--out",
    ]);
    c.arg(out);
    if let Some(n) = kill_after {
        c.env("TENANTSIM_INJECT_OUT_KILL", n.to_string());
    }
    c.output().unwrap()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn out_folder_is_complete_or_untouched_after_a_kill() {
    let d = tmp_dir("out-kill");
    let out = d.join("report");
    // A complete first run.
    let o = run_out(&out, None, "1");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = listing(&out);
    let summary_before = std::fs::read(out.join("summary.json")).unwrap();
    assert!(before.contains(&"charts".to_string()) && before.contains(&".tenantsim".into()));

    // A second run, with another seed, killed after its second file: the folder is the
    // first run's, whole; nothing of the second is in it.
    let o = run_out(&out, Some(2), "2");
    assert_ne!(o.status.code(), Some(0), "the hook kills the run");
    assert_eq!(listing(&out), before);
    assert_eq!(
        std::fs::read(out.join("summary.json")).unwrap(),
        summary_before
    );
    // A fresh folder killed midway does not appear at all.
    let fresh = d.join("fresh");
    let o = run_out(&fresh, Some(3), "1");
    assert_ne!(o.status.code(), Some(0));
    assert!(
        !fresh.exists(),
        "a partial report is never at the --out path"
    );

    // The next complete run replaces the folder and clears what the killed runs left.
    let o = run_out(&out, None, "2");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_ne!(
        std::fs::read(out.join("summary.json")).unwrap(),
        summary_before
    );
    let o = run_out(&fresh, None, "1");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let left: Vec<String> = listing(&d)
        .into_iter()
        .filter(|n| n.contains("tenantsim-tmp") || n.contains("tenantsim-old"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    for dir in [&out, &fresh] {
        assert!(
            listing(dir).iter().all(|n| !n.starts_with(".tmp-")),
            "{:?}",
            listing(dir)
        );
    }
}

#[test]
fn a_users_summary_json_is_not_overwritten() {
    // A folder holding only a `summary.json` the user saved: tenantsim's file name, but not
    // tenantsim's folder (no marker). Refused, untouched.
    let d = tmp_dir("out-user");
    let out = d.join("mine");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("summary.json"), "{\"mine\": true}").unwrap();
    let o = run_out(&out, None, "1");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("refusing") && err.contains("summary.json"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("summary.json")).unwrap(),
        "{\"mine\": true}"
    );
    assert_eq!(listing(&out), vec!["summary.json".to_string()]);
}

#[test]
fn merge_names_the_duplicated_and_the_missing_shard() {
    // A shard file copied into a second directory, or copied under another shard's name:
    // merge says which shard is doubled, which is missing, and which file lies.
    let d = tmp_dir("merge");
    let f = d.join("s.toml");
    std::fs::write(
        &f,
        "version = 1\nduration = \"10s\"\n[platform]\ncells = 1\nworkers = 4\n[classes.api]\nservice = \"exp(5ms)\"\ntimeout = \"1s\"\n[[tenants]]\nid = \"a\"\nrate = \"20/s\"\n[[slos]]\nname = \"lat\"\nobjective = \"p(99) < 1s\"\n",
    )
    .unwrap();
    for k in 1..=2 {
        let o = bin()
            .arg("compare")
            .arg(&f)
            .args(["--vary", "platform.scheduler=fifo,drr", "--seeds", "1..=2"])
            .args(["--shard", &format!("{k}/2"), "--out"])
            .arg(d.join(format!("p{k}")))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let one = d.join("p1/partial-1-of-2.json");
    std::fs::create_dir_all(d.join("copy")).unwrap();
    std::fs::copy(&one, d.join("copy/partial-1-of-2.json")).unwrap();
    let o = bin()
        .arg("merge")
        .arg(d.join("p1"))
        .arg(d.join("copy"))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("shard 1/2 is given twice") && err.contains("still missing: 2/2"),
        "{err}"
    );

    std::fs::create_dir_all(d.join("renamed")).unwrap();
    std::fs::copy(&one, d.join("renamed/partial-2-of-2.json")).unwrap();
    let o = bin()
        .arg("merge")
        .arg(d.join("p1"))
        .arg(d.join("renamed"))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("its name says shard 2/2 but it holds shard 1/2"),
        "{err}"
    );
}
