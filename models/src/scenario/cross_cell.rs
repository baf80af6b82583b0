//! Synchronous cross-cell calls (`cell_call` in `[classes.NAME]`): a request of the class,
//! after its CPU work and its dependency calls and before its own DB queries, calls another
//! cell and waits for the answer, holding its worker.
//!
//! ```toml
//! [classes.checkout]
//! cell_call = { cell = 1, db_time = "exp(5ms)" }   # the remote cell's DB work per call
//! ```
//!
//! The remote cell answers with a query of `db_time` on its primary DB (the work the remote
//! service does), so the caller waits for that DB's connections and cores and sees its
//! statement timeout; a dead remote cell (a `cell_outage`) fails the call (see
//! `platform::cross_cell`).
//!
//! What it guarantees: the cell exists (0-based, below `platform.cells`); `db_time` is a
//! duration distribution (default `exp(2ms)`); every mistake at its file:line:column.
//! Without the key a class makes no cross-cell call and the platform builds nothing.

use super::schema::ClassConfig;
use super::values::DurDist;
use super::{Checker, Class};
use serde::Deserialize;
use sim::Dist;
use std::collections::BTreeMap;
use toml::Spanned;

/// `cell_call = { … }`, as written.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct CellCallToml {
    /// The cell called (0-based).
    pub cell: Spanned<i64>,
    /// The remote cell's DB work per call (default `exp(2ms)`).
    pub db_time: Option<DurDist>,
}

/// A validated cross-cell call.
#[derive(Clone, Debug)]
pub struct CellCall {
    /// The cell called.
    pub cell: u32,
    /// The remote DB work per call (ns).
    pub db_time: Dist,
}

/// Validates every class's `cell_call` against the `cells` declared, into `classes`
/// (matched by name).
pub(super) fn check(
    c: &mut Checker,
    raw: &BTreeMap<String, ClassConfig>,
    classes: &mut [Class],
    cells: u32,
) {
    for (name, cc) in raw {
        let Some(call) = &cc.cell_call else {
            continue;
        };
        let n = *call.cell.get_ref();
        if n < 0 || n >= i64::from(cells) {
            c.err(
                call.cell.span(),
                format!(
                    "classes.{name}.cell_call.cell is {n}; cells are 0..{} (platform.cells = {cells})",
                    cells.saturating_sub(1)
                ),
            );
            continue;
        }
        let db_time = call
            .db_time
            .as_ref()
            .map(|d| d.0.clone())
            .unwrap_or(Dist::Exp { mean: 2e6 });
        if let Some(cl) = classes.iter_mut().find(|k| k.name == *name) {
            cl.cell_call = Some(CellCall {
                cell: n as u32,
                db_time,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    //! Goal: a cell call loads, `--set` reaches it, and a cell that does not exist is refused
    //! where it is written. Method: small scenarios.
    use crate::scenario::{load_str, Override};

    const BASE: &str = "version = 1\nduration = \"10s\"\n[platform]\ncells = 2\n[[tenants]]\nid = \"a\"\nrate = \"1/s\"\n[classes.checkout]\n";

    #[test]
    fn a_call_loads_and_set_reaches_it() {
        let text = format!("{BASE}cell_call = {{ cell = 1 }}\n");
        let sc = load_str("t.toml", &text, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sc.classes[0].cell_call.as_ref().map(|c| c.cell), Some(1));
        let set =
            [
                Override::parse(
                    "classes.checkout.cell_call={ cell = 0, db_time = \"const(1ms)\" }",
                )
                .expect("flag"),
            ];
        let sc = load_str("t.toml", &text, &set).unwrap_or_else(|e| panic!("{e}"));
        let call = sc.classes[0].cell_call.as_ref().expect("call");
        assert_eq!(call.cell, 0);
        assert_eq!(call.db_time, sim::Dist::Const(1e6));
    }

    #[test]
    fn a_cell_that_does_not_exist_is_refused_where_written() {
        let e = load_str(
            "t.toml",
            &format!("{BASE}cell_call = {{ cell = 2 }}\n"),
            &[],
        )
        .expect_err("refused");
        let e = &e.0[0];
        assert_eq!((e.line, e.column), (9, 22), "{}", e.message);
        assert!(e.message.contains("cells are 0..1"), "{}", e.message);
        let e = load_str(
            "t.toml",
            &format!("{BASE}cell_call = {{ cell = 1, db_tim = \"1ms\" }}\n"),
            &[],
        )
        .expect_err("refused");
        assert_eq!(e.0[0].line, 9, "{}", e.0[0].message);
    }
}
