//! The bulkhead sections of the scenario language: `[[bulkheads]]` (per request class: its
//! own worker pool carved from each cell's workers, its own queue, a cap on the DB
//! connections its queries hold, and reads routed to a read replica) and `[replica]` (one
//! read replica per cell, with replication lag).
//!
//! What it guarantees: every class a bulkhead names is declared and in at most one
//! bulkhead; the bulkheads' workers leave the cell's own pool at least one worker (a
//! bulkhead is never larger than its cell); a DB connection share is at most the cell's
//! pool; a class that writes never reads from the replica; `reads = "replica"` needs a
//! `[replica]` section, whose lag can never draw a negative value and whose staleness bound
//! is above zero. Every mistake is reported at its file:line:column. A scenario without
//! these sections gets an empty [`BulkheadPlan`], and the platform builds nothing for it.

use super::values::{Dur, DurDist};
use super::Checker;
use serde::Deserialize;
use sim::{Dist, Quantity, SimDuration};
use toml::Spanned;

/// One `[[bulkheads]]` entry, as written.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct BulkheadConfig {
    /// Unique name (`--set bulkheads.NAME.workers=4`).
    pub name: Spanned<String>,
    /// Request classes behind this bulkhead.
    pub classes: Spanned<Vec<String>>,
    /// Workers of its own pool in every cell, taken from `platform.workers` (default: none;
    /// its requests share the cell's pool and queue).
    pub workers: Option<Spanned<i64>>,
    /// Most of its requests waiting while its pool's workers are busy (default 100; only
    /// with `workers`).
    pub queue_limit: Option<Spanned<i64>>,
    /// Most DB connections its queries hold at once in a cell; more wait in the bulkhead's
    /// own line, holding their worker (default: no cap).
    pub db_connections: Option<Spanned<i64>>,
    /// Where its queries run: `primary` (the cell's DB; default) or `replica`.
    pub reads: Option<Spanned<String>>,
}

/// `[replica]`, as written.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ReplicaConfig {
    /// CPU cores of each cell's replica (default 4).
    pub cores: Option<Spanned<i64>>,
    /// Its connection pool (default 16).
    pub connections: Option<Spanned<i64>>,
    /// Replication lag a read sees (default `exp(100ms)`).
    pub lag: Option<Spanned<DurDist>>,
    /// A read staler than this is answered as `stale_read` (default 1s).
    pub max_staleness: Option<Spanned<Dur>>,
}

/// A validated bulkhead.
#[derive(Clone, Debug, PartialEq)]
pub struct Bulkhead {
    /// Name.
    pub name: String,
    /// Class indices (into `Scenario::classes`).
    pub classes: Vec<u16>,
    /// Own worker pool per cell (`None`: shares the cell's).
    pub workers: Option<u32>,
    /// Most requests waiting for its pool.
    pub queue_limit: u32,
    /// Most DB connections its queries hold at once per cell.
    pub db_connections: Option<u32>,
    /// Its queries run on the cell's read replica.
    pub replica: bool,
}

/// A validated read replica (one per cell).
#[derive(Clone, Debug, PartialEq)]
pub struct Replica {
    /// Cores.
    pub cores: u32,
    /// Connections.
    pub connections: u32,
    /// Lag a read sees (ns).
    pub lag: Dist,
    /// The staleness bound.
    pub max_staleness: SimDuration,
}

/// The bulkheads and the replica of a scenario (empty: none).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct BulkheadPlan {
    /// `[[bulkheads]]` in file order.
    pub bulkheads: Vec<Bulkhead>,
    /// `[replica]`.
    pub replica: Option<Replica>,
}

impl BulkheadPlan {
    /// Whether the scenario uses any of it.
    pub fn any(&self) -> bool {
        !self.bulkheads.is_empty() || self.replica.is_some()
    }
}

/// The lowest value `d` can draw (−∞ for a normal).
fn lowest(d: &Dist) -> f64 {
    match d {
        Dist::Const(v) => *v,
        Dist::Uniform { lo, .. } => *lo,
        Dist::Normal { .. } => f64::NEG_INFINITY,
        Dist::Exp { .. } | Dist::LogNormal { .. } => 0.0,
        Dist::Pareto { scale, .. } => *scale,
        Dist::Empirical { values, .. } => values.iter().copied().fold(f64::INFINITY, f64::min),
    }
}

/// Validates `[[bulkheads]]` and `[replica]` against the classes (`(name, writes)` in
/// class order), the cell's workers and its DB pool.
pub(super) fn bulkheads(
    c: &mut Checker,
    raw: &[BulkheadConfig],
    replica: &Option<ReplicaConfig>,
    classes: &[(String, bool)],
    cell_workers: u32,
    db_connections: u32,
) -> BulkheadPlan {
    let replica = replica.as_ref().map(|r| check_replica(c, r));
    let mut out: Vec<Bulkhead> = Vec::with_capacity(raw.len());
    let mut carved: u64 = 0;
    for b in raw {
        let name = b.name.get_ref().clone();
        if name.is_empty() {
            c.err(b.name.span(), "a bulkhead needs a non-empty name");
        }
        if out.iter().any(|x| x.name == name) {
            c.err(
                b.name.span(),
                format!("bulkhead `{name}` is declared twice; names must be unique"),
            );
        }
        let who = format!("bulkheads.{name}");
        let ids = bulkhead_classes(c, b, &who, classes, &out);
        let (workers, queue_limit) = bulkhead_pool(c, b, &who, &mut carved, cell_workers);
        let db_conns = b.db_connections.as_ref().map(|d| {
            let n: u32 = c.count(d, 1, 1_000_000, &format!("{who}.db_connections"));
            n
        });
        let to_replica = reads_replica(c, b, &who);
        let pools = (replica.as_ref(), db_connections);
        check_reads(c, b, &who, (db_conns, to_replica), pools, (&ids, classes));
        out.push(Bulkhead {
            name,
            classes: ids,
            workers,
            queue_limit,
            db_connections: db_conns,
            replica: to_replica,
        });
    }
    BulkheadPlan {
        bulkheads: out,
        replica,
    }
}

/// `[replica]`: a lag that never draws a negative value and a staleness bound above zero.
fn check_replica(c: &mut Checker, r: &ReplicaConfig) -> Replica {
    let lag = match &r.lag {
        Some(l) => {
            let d = l.get_ref().0.clone();
            if lowest(&d) < 0.0 {
                c.err(
                    l.span(),
                    format!(
                        "replica.lag `{}` can draw a negative lag; use exp, lognormal, pareto or a uniform from 0",
                        d.to_text(Quantity::Duration)
                    ),
                );
            }
            d
        }
        None => Dist::Exp { mean: 100e6 },
    };
    let max_staleness = match &r.max_staleness {
        Some(m) => {
            if m.get_ref().0 == SimDuration::ZERO {
                c.err(
                    m.span(),
                    "replica.max_staleness is zero; every read would be stale — use e.g. \"1s\"",
                );
            }
            m.get_ref().0
        }
        None => SimDuration::from_secs(1),
    };
    Replica {
        cores: c.opt_count(&r.cores, 4, 1, 1_000_000, "replica.cores"),
        connections: c.opt_count(&r.connections, 16, 1, 1_000_000, "replica.connections"),
        lag,
        max_staleness,
    }
}

/// A bulkhead's classes as indices: each declared, named once, and behind no earlier
/// bulkhead (`out`).
fn bulkhead_classes(
    c: &mut Checker,
    b: &BulkheadConfig,
    who: &str,
    classes: &[(String, bool)],
    out: &[Bulkhead],
) -> Vec<u16> {
    let mut ids = Vec::new();
    if b.classes.get_ref().is_empty() {
        c.err(
            b.classes.span(),
            format!("{who}.classes is empty; name the request classes it isolates"),
        );
    }
    for cl in b.classes.get_ref() {
        match classes.iter().position(|(n, _)| n == cl) {
            Some(i) => {
                if let Some(other) = out.iter().find(|x| x.classes.contains(&(i as u16))) {
                    c.err(
                        b.classes.span(),
                        format!(
                            "class `{cl}` is already behind bulkhead `{}`; a class has one bulkhead",
                            other.name
                        ),
                    );
                } else if ids.contains(&(i as u16)) {
                    c.err(
                        b.classes.span(),
                        format!("{who}.classes names `{cl}` twice"),
                    );
                } else {
                    ids.push(i as u16);
                }
            }
            None => c.err(
                b.classes.span(),
                format!(
                    "{who}.classes names `{cl}`, which is not a declared class (declared: {})",
                    classes
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
    ids
}

/// A bulkhead's own pool (`workers`, added to the workers the bulkheads so far have
/// `carved` from a cell's `cell_workers`, which must keep one) and its queue limit (only
/// with a pool).
fn bulkhead_pool(
    c: &mut Checker,
    b: &BulkheadConfig,
    who: &str,
    carved: &mut u64,
    cell_workers: u32,
) -> (Option<u32>, u32) {
    let workers = b.workers.as_ref().map(|w| {
        let n: u32 = c.count(w, 1, 1_000_000, &format!("{who}.workers"));
        *carved += n as u64;
        if *carved >= cell_workers as u64 {
            c.err(
                w.span(),
                format!(
                    "{who}.workers: the bulkheads take {carved} of a cell's {cell_workers} workers; they must leave the cell's own pool at least one (raise platform.workers or shrink the bulkhead)"
                ),
            );
        }
        n
    });
    if b.queue_limit.is_some() && workers.is_none() {
        if let Some(q) = &b.queue_limit {
            c.err(
                q.span(),
                format!("{who}.queue_limit needs `workers`: without its own pool the bulkhead's requests wait in the cell's queue"),
            );
        }
    }
    let queue_limit = c.opt_count(
        &b.queue_limit,
        100,
        0,
        100_000_000,
        &format!("{who}.queue_limit"),
    );
    (workers, queue_limit)
}

/// Whether a bulkhead's queries go to the replica (`reads`: `primary` or `replica`).
fn reads_replica(c: &mut Checker, b: &BulkheadConfig, who: &str) -> bool {
    match &b.reads {
        None => false,
        Some(r) => match r.get_ref().as_str() {
            "primary" => false,
            "replica" => true,
            other => {
                c.err(
                    r.span(),
                    format!("{who}.reads is `{other}`; use `primary` or `replica`"),
                );
                false
            }
        },
    }
}

/// A bulkhead's DB share fits the pool its queries use (the replica's or the cell DB's),
/// and `reads = "replica"` has a `[replica]` and only read-only classes.
fn check_reads(
    c: &mut Checker,
    b: &BulkheadConfig,
    who: &str,
    (db_conns, to_replica): (Option<u32>, bool),
    (replica, db_connections): (Option<&Replica>, u32),
    (ids, classes): (&[u16], &[(String, bool)]),
) {
    if let (Some(d), Some(n)) = (&b.db_connections, db_conns) {
        let pool = match (replica, to_replica) {
            (Some(r), true) => r.connections,
            _ => db_connections,
        };
        if n > pool {
            c.err(
                d.span(),
                format!(
                    "{who}.db_connections is {n}, more than the {} pool of {pool}; a share cannot exceed the pool",
                    if to_replica { "replica's" } else { "cell DB's" }
                ),
            );
        }
    }
    if to_replica {
        if let Some(r) = &b.reads {
            if replica.is_none() {
                c.err(
                    r.span(),
                    format!("{who}.reads = \"replica\" needs a [replica] section (cores, connections, lag, max_staleness)"),
                );
            }
            for &i in ids {
                let (cl, writes) = &classes[i as usize];
                if *writes {
                    c.err(
                        r.span(),
                        format!("{who}.reads = \"replica\" but class `{cl}` writes; a replica only serves reads"),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Goal: every impossible bulkhead or replica setting is refused with its
    //! file:line:column, and a valid section loads as written. Method: load small scenarios
    //! with one mistake each and check the message and the line it points at.
    use crate::scenario::load_str;
    use sim::SimDuration;

    const BASE: &str = "version = 1\nduration = \"10s\"\n[platform]\nworkers = 8\n[platform.db]\nconnections = 6\n[classes.api]\n[classes.export]\n[classes.save]\nwrites = true\n[[tenants]]\nid = \"a\"\nrate = \"1/s\"\n";

    /// The first error for `extra` appended to `BASE`: (line, message).
    fn error(extra: &str) -> (usize, String) {
        let text = format!("{BASE}{extra}");
        let e = load_str("t.toml", &text, &[]).expect_err("refused");
        let e = &e.0[0];
        (e.line, e.message.clone())
    }

    #[test]
    fn a_valid_section_loads() {
        let text = format!(
            "{BASE}[[bulkheads]]\nname = \"heavy\"\nclasses = [\"export\"]\nworkers = 3\nqueue_limit = 20\ndb_connections = 2\nreads = \"replica\"\n[replica]\ncores = 2\nlag = \"exp(50ms)\"\nmax_staleness = \"500ms\"\n"
        );
        let sc = load_str("t.toml", &text, &[]).unwrap_or_else(|e| panic!("{e}"));
        let b = &sc.bulkheads.bulkheads[0];
        assert_eq!(b.classes, vec![1]);
        assert_eq!(
            (b.workers, b.queue_limit, b.db_connections, b.replica),
            (Some(3), 20, Some(2), true)
        );
        let r = sc.bulkheads.replica.as_ref().expect("replica");
        assert_eq!((r.cores, r.connections), (2, 16));
        assert_eq!(r.max_staleness, SimDuration::from_millis(500));
    }

    #[test]
    fn a_bulkhead_larger_than_its_cell() {
        let (line, msg) =
            error("[[bulkheads]]\nname = \"heavy\"\nclasses = [\"export\"]\nworkers = 8\n");
        assert_eq!(line, 17, "{msg}");
        assert!(msg.contains("at least one"), "{msg}");
        // Two bulkheads that together take every worker.
        let (line, msg) = error(
            "[[bulkheads]]\nname = \"a\"\nclasses = [\"export\"]\nworkers = 4\n[[bulkheads]]\nname = \"b\"\nclasses = [\"api\"]\nworkers = 4\n",
        );
        assert_eq!(line, 21, "{msg}");
        assert!(msg.contains("take 8 of a cell's 8"), "{msg}");
    }

    #[test]
    fn unknown_duplicate_and_doubly_bulkheaded_classes() {
        let (line, msg) = error("[[bulkheads]]\nname = \"h\"\nclasses = [\"exprot\"]\n");
        assert_eq!(line, 16, "{msg}");
        assert!(msg.contains("not a declared class"), "{msg}");
        let (line, msg) = error(
            "[[bulkheads]]\nname = \"a\"\nclasses = [\"export\"]\n[[bulkheads]]\nname = \"b\"\nclasses = [\"export\"]\n",
        );
        assert_eq!(line, 19, "{msg}");
        assert!(msg.contains("already behind bulkhead `a`"), "{msg}");
        let (line, msg) = error(
            "[[bulkheads]]\nname = \"a\"\nclasses = [\"api\"]\n[[bulkheads]]\nname = \"a\"\nclasses = [\"export\"]\n",
        );
        assert_eq!(line, 18, "{msg}");
        assert!(msg.contains("declared twice"), "{msg}");
    }

    #[test]
    fn db_share_and_replica_mistakes() {
        let (line, msg) =
            error("[[bulkheads]]\nname = \"h\"\nclasses = [\"export\"]\ndb_connections = 7\n");
        assert_eq!(line, 17, "{msg}");
        assert!(msg.contains("more than the cell DB's pool of 6"), "{msg}");
        let (line, msg) =
            error("[[bulkheads]]\nname = \"h\"\nclasses = [\"export\"]\nreads = \"replica\"\n");
        assert_eq!(line, 17, "{msg}");
        assert!(msg.contains("needs a [replica] section"), "{msg}");
        let (line, msg) = error(
            "[[bulkheads]]\nname = \"h\"\nclasses = [\"save\"]\nreads = \"replica\"\n[replica]\n",
        );
        assert_eq!(line, 17, "{msg}");
        assert!(msg.contains("`save` writes"), "{msg}");
        let (line, msg) =
            error("[[bulkheads]]\nname = \"h\"\nclasses = [\"export\"]\nreads = \"secondary\"\n");
        assert_eq!(line, 17, "{msg}");
        assert!(msg.contains("use `primary` or `replica`"), "{msg}");
        let (line, msg) =
            error("[[bulkheads]]\nname = \"h\"\nclasses = [\"export\"]\nqueue_limit = 5\n");
        assert_eq!(line, 17, "{msg}");
        assert!(msg.contains("needs `workers`"), "{msg}");
    }

    #[test]
    fn a_replica_with_negative_lag_or_no_staleness() {
        let (line, msg) = error("[replica]\nlag = \"normal(100ms, 50ms)\"\n");
        assert_eq!(line, 15, "{msg}");
        assert!(msg.contains("negative lag"), "{msg}");
        let (line, msg) = error("[replica]\nlag = \"uniform(-1s, 1s)\"\n");
        assert_eq!(line, 15, "{msg}");
        let _ = msg;
        let (line, msg) = error("[replica]\nmax_staleness = \"0s\"\n");
        assert_eq!(line, 15, "{msg}");
        assert!(msg.contains("max_staleness is zero"), "{msg}");
        let (line, msg) = error("[replica]\ncores = 0\n");
        assert_eq!(line, 15, "{msg}");
        assert!(msg.contains("replica.cores is 0"), "{msg}");
    }
}
