//! Cells of different sizes: `[[platform.cell_sizes]]` as written ([`CellSizeConfig`]) and
//! checked ([`CellSize`], one per cell).
//!
//! ```toml
//! [[platform.cell_sizes]]
//! name = "dedicated"      # optional: lets `--set platform.cell_sizes.dedicated.workers=96` find it
//! cells = [3]             # the cells this size applies to
//! workers = 64            # default: platform.workers
//! db_cores = 32           # default: platform.db.cores
//! db_connections = 64     # default: platform.db.connections
//! ```
//!
//! Every cell not listed keeps the platform's size (`platform.workers`, `platform.db.*`).
//! A dedicated cell can so be sized for its tenant.
//!
//! Guarantees: without the table the list is empty and nothing about the run changes (the
//! cells are built exactly as before); with it, `sizes` gives one size per cell. A cell
//! listed by two entries, a cell index out of range, an empty `cells` list, a size out of
//! range and two entries with the same name are errors at their positions.

use super::Checker;
use serde::Deserialize;
use toml::Spanned;

/// One `[[platform.cell_sizes]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellSizeConfig {
    /// Optional name of the entry (for `--set platform.cell_sizes.NAME.KEY=...`).
    pub name: Option<Spanned<String>>,
    /// The cells of this size, by index (e.g. `[3]`).
    pub cells: Spanned<Vec<Spanned<i64>>>,
    /// Worker slots of these cells (default: `platform.workers`).
    pub workers: Option<Spanned<i64>>,
    /// DB cores of these cells (default: `platform.db.cores`).
    pub db_cores: Option<Spanned<i64>>,
    /// DB connection pool of these cells (default: `platform.db.connections`).
    pub db_connections: Option<Spanned<i64>>,
}

/// The resources of one cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellSize {
    /// Worker slots.
    pub workers: u32,
    /// DB connection pool size.
    pub db_connections: u32,
    /// DB cores.
    pub db_cores: u32,
}

/// Checks `[[platform.cell_sizes]]`: one [`CellSize`] per cell, or an empty list when the
/// scenario declares none (every cell has the platform's size).
pub(super) fn sizes(
    c: &mut Checker,
    entries: &[CellSizeConfig],
    cells: u32,
    default: CellSize,
) -> Vec<CellSize> {
    if entries.is_empty() {
        return Vec::new();
    }
    let mut out = vec![default; cells as usize];
    let mut set_by: Vec<Option<usize>> = vec![None; cells as usize];
    let mut names: Vec<&str> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let at = match &e.name {
            Some(n) => {
                if names.contains(&n.get_ref().as_str()) {
                    c.err(
                        n.span(),
                        format!(
                            "platform.cell_sizes: two entries are named `{}`; names must be unique",
                            n.get_ref()
                        ),
                    );
                }
                names.push(n.get_ref());
                format!("platform.cell_sizes.{}", n.get_ref())
            }
            None => format!("platform.cell_sizes.{i}"),
        };
        let size = entry_size(c, e, default, &at);
        if e.cells.get_ref().is_empty() {
            c.err(
                e.cells.span(),
                format!("{at}.cells is empty; list the cells of this size, e.g. [3]"),
            );
        }
        for cell in e.cells.get_ref() {
            let x = *cell.get_ref();
            if x < 0 || x >= i64::from(cells) {
                c.err(
                    cell.span(),
                    format!(
                        "{at}.cells names cell {x}; the platform has cells 0 to {}",
                        cells - 1
                    ),
                );
                continue;
            }
            if let Some(j) = set_by[x as usize] {
                c.err(
                    cell.span(),
                    format!(
                        "{at}.cells names cell {x}, which entry {j} of platform.cell_sizes already sizes; give each cell one size"
                    ),
                );
                continue;
            }
            set_by[x as usize] = Some(i);
            out[x as usize] = size;
        }
    }
    out
}

/// The size an entry gives its cells: each of `workers`, `db_connections` and `db_cores`
/// in range, or the platform's `default`.
fn entry_size(c: &mut Checker, e: &CellSizeConfig, default: CellSize, at: &str) -> CellSize {
    CellSize {
        workers: c.opt_count(
            &e.workers,
            default.workers,
            1,
            1_000_000,
            &format!("{at}.workers"),
        ),
        db_connections: c.opt_count(
            &e.db_connections,
            default.db_connections,
            1,
            1_000_000,
            &format!("{at}.db_connections"),
        ),
        db_cores: c.opt_count(
            &e.db_cores,
            default.db_cores,
            1,
            1_000_000,
            &format!("{at}.db_cores"),
        ),
    }
}
