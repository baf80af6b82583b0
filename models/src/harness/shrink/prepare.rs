//! The document shrinking starts from: the scenario file with the variant and `--set` flags
//! folded in, the `[[variants]]` dropped, and whatever the seed drew written out literally.

use crate::harness::explore_literal::literal_doc;
use crate::scenario::{Override, Scenario};
use toml_edit::DocumentMut;

/// The starting document, and what was written out from draws.
#[derive(Debug)]
pub struct Prepared {
    /// The scenario file to shrink: flags folded in, no variants, no draws left.
    pub doc: DocumentMut,
    /// `Some` when the fault schedule the seed drew was written out literally.
    pub literal: Option<Drawn>,
}

/// What writing the drawn schedule out did (for the result file's header).
#[derive(Clone, Debug, PartialEq)]
pub struct Drawn {
    /// Faults written out from draws.
    pub drawn: usize,
    /// Faults left out because their selection was empty.
    pub dropped: Vec<String>,
}

/// Prepares `text` (the file `base` was loaded from, with `variant` and `sets`) for shrinking
/// on `seed`; with `explore`, the schedule `tenantsim explore` drew for the seed is written
/// out too. `Err` is the message (the caller prefixes the file name).
pub fn prepare(
    text: &str,
    base: &Scenario,
    variant: Option<&str>,
    sets: &[String],
    seed: u64,
    explore: bool,
) -> Result<Prepared, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("not valid TOML: {e}"))?;
    let mut folded: Vec<Override> = Vec::new();
    if let Some(v) = variant {
        if let Some(var) = base.variants.iter().find(|x| x.name == v) {
            folded.extend(var.overrides.iter().cloned());
        }
    }
    for s in sets {
        folded.push(Override::parse(s).map_err(|e| format!("`--set {s}`: {e}"))?);
    }
    for o in &folded {
        o.apply(&mut doc)
            .map_err(|e| format!("`{}`: {e}", o.flag()))?;
    }
    doc.remove("variants");
    // Drawn faults, and with `explore` the schedule `explore` drew for this seed, are
    // written out literally: shrinking must not draw them again (halving the cells would
    // move a `cell = "random"`), and the result has no draws left.
    if !(explore || base.faults.iter().any(|f| f.drawn.is_some())) {
        return Ok(Prepared { doc, literal: None });
    }
    let l = literal_doc(&doc, base, seed, explore)?;
    Ok(Prepared {
        doc: l.doc,
        literal: Some(Drawn {
            drawn: l.drawn,
            dropped: l.dropped,
        }),
    })
}
