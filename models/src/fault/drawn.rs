//! The parts of a fault left to the seed, as data: selectors (`cell = "random"`,
//! `tenants = "percent(5, tier=gold)"`), a drawn or relative start, drawn length and
//! intensity, recurrence — and the parser of a selector's text.
//!
//! A [`crate::fault::Fault`] carries them as its `drawn`; the scenario checker fills them in;
//! `crate::fault_draw` resolves them for one seed before a run. They live here, beside the
//! fault, so that the fault catalogue and the scenario language need nothing from the
//! resolver (which itself reads the scenario and the population): the imports point one way.

use sim::{Dist, SimDuration};

/// How a selector picks from its candidates.
#[derive(Clone, Debug, PartialEq)]
pub enum Pick {
    /// One at random (`random`).
    Random,
    /// `n` distinct at random (`count(n)`).
    Count(u32),
    /// This percentage of the candidates at random, rounded up (`percent(5)`).
    Percent(f64),
    /// The `k` largest tenants by offered rate, ties in declaration order (`largest(k)`).
    Largest(u32),
    /// The cell of a tenant drawn at random among the candidates (`holding(tier=gold)`).
    Holding,
}

/// Which tenants a selector considers (every tenant when all are `None`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Only tenants of this tier.
    pub tier: Option<String>,
    /// Only members of this cohort.
    pub cohort: Option<String>,
    /// Only tenants placed on this cell at the start.
    pub cell: Option<u32>,
}

impl Filter {
    fn is_empty(&self) -> bool {
        self.tier.is_none() && self.cohort.is_none() && self.cell.is_none()
    }
}

/// A target chosen from the seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    /// How many, and how.
    pub pick: Pick,
    /// Among which tenants.
    pub filter: Filter,
    /// As written, for reports.
    pub text: String,
}

/// Where a selector is written: decides which picks and filters make sense.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectorSite {
    /// `cell = ...`: one cell.
    Cell,
    /// `cells = ...`: any number of cells.
    Cells,
    /// `tenant = ...`: one tenant.
    Tenant,
    /// `tenants = ...`: any number of tenants.
    Tenants,
}

/// Parses a selector (`random`, `count(2)`, `percent(5, tier=gold)`, `largest(3)`,
/// `holding(tier=gold)`, `random(cell=2)`); the error says what is accepted there.
pub fn parse_selector(text: &str, site: SelectorSite) -> Result<Selector, String> {
    let t = text.trim();
    let (name, args) = match t.find('(') {
        Some(open) if t.ends_with(')') => (t[..open].trim(), &t[open + 1..t.len() - 1]),
        Some(_) => return Err(format!("`{t}` is missing its closing `)`")),
        None => (t, ""),
    };
    let mut number: Option<f64> = None;
    let mut filter = Filter::default();
    for a in args.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        match a.split_once('=') {
            Some((k, v)) => {
                let v = v.trim().to_string();
                match k.trim() {
                    "tier" => filter.tier = Some(v),
                    "cohort" => filter.cohort = Some(v),
                    "cell" | "on_cell" => {
                        filter.cell = Some(v.parse().map_err(|_| {
                            format!("in `{t}`: cell `{v}` is not a cell number")
                        })?)
                    }
                    other => {
                        return Err(format!(
                            "in `{t}`: unknown filter `{other}`; filters are tier=NAME, cohort=NAME, cell=N"
                        ))
                    }
                }
            }
            None => {
                let n = a.trim_end_matches('%').trim();
                let v: f64 = n
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite())
                    .ok_or_else(|| format!("in `{t}`: `{a}` is not a number"))?;
                if number.replace(v).is_some() {
                    return Err(format!("in `{t}`: give one number"));
                }
            }
        }
    }
    let whole = |what: &str| -> Result<u32, String> {
        match number {
            Some(v) if v >= 1.0 && v.fract() == 0.0 && v <= 1e6 => Ok(v as u32),
            Some(v) => Err(format!(
                "in `{t}`: {what} is {v}; it must be a whole number ≥ 1 (an empty selection)"
            )),
            None => Err(format!("`{t}` needs a number: `{name}(2)`")),
        }
    };
    let pick = match name {
        "random" => {
            if number.is_some() {
                return Err(format!(
                    "`{t}`: random takes no number; use count(n) for several"
                ));
            }
            Pick::Random
        }
        "count" => Pick::Count(whole("the count")?),
        "percent" => match number {
            Some(p) if p > 0.0 && p <= 100.0 => Pick::Percent(p),
            Some(p) => {
                return Err(format!(
                    "in `{t}`: percent({p}) is outside (0, 100]; a selection is a share of the candidates"
                ))
            }
            None => return Err(format!("`{t}` needs a percentage: `percent(5)`")),
        },
        "largest" => Pick::Largest(if number.is_some() {
            whole("k")?
        } else {
            1
        }),
        "holding" => {
            if number.is_some() {
                return Err(format!("`{t}`: holding takes filters only, e.g. holding(tier=gold)"));
            }
            Pick::Holding
        }
        other => {
            return Err(format!(
                "unknown selector `{other}`; selectors are random, count(n), percent(p), largest(k), holding(FILTERS), with filters tier=NAME, cohort=NAME, cell=N"
            ))
        }
    };
    let tenant_site = matches!(site, SelectorSite::Tenant | SelectorSite::Tenants);
    match (&pick, site) {
        (Pick::Holding, SelectorSite::Cell) => {}
        (Pick::Holding, _) => {
            return Err(format!(
                "`{t}`: holding(...) picks a cell; write it as `cell = \"{t}\"`"
            ))
        }
        (Pick::Largest(_), SelectorSite::Cell | SelectorSite::Cells) => {
            return Err(format!(
                "`{t}`: largest(k) picks tenants; cells take random, count(n), percent(p), holding(FILTERS)"
            ))
        }
        (Pick::Count(n), SelectorSite::Cell | SelectorSite::Tenant) if *n > 1 => {
            return Err(format!(
                "`{t}` picks {n}; this key takes one: use the plural key (`cells`, `tenants`)"
            ))
        }
        (Pick::Largest(n), SelectorSite::Tenant) if *n > 1 => {
            return Err(format!(
                "`{t}` picks {n}; `tenant` takes one: use `tenants = \"{t}\"`"
            ))
        }
        (Pick::Percent(_), SelectorSite::Cell | SelectorSite::Tenant) => {
            return Err(format!(
                "`{t}` may pick several; use the plural key (`cells`, `tenants`)"
            ))
        }
        _ => {}
    }
    if !tenant_site && !matches!(pick, Pick::Holding) && !filter.is_empty() {
        return Err(format!(
            "`{t}`: filters choose tenants; for a cell holding such a tenant write `holding(...)`"
        ));
    }
    Ok(Selector {
        pick,
        filter,
        text: t.to_string(),
    })
}

/// When a fault starts, if not at a fixed time.
#[derive(Clone, Debug, PartialEq)]
pub enum Start {
    /// Drawn from a distribution of durations since the run's start (ns).
    Drawn(Dist),
    /// Relative to another fault: `after = "NAME.end + 30s"`.
    After {
        /// Index of the fault it follows.
        fault: usize,
        /// From its end (else from its start).
        from_end: bool,
        /// Offset added (ns; may be drawn).
        offset: Dist,
    },
}

/// A fault's parts left to the seed; see the module documentation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Drawn {
    /// Its start, when not fixed.
    pub start: Option<Start>,
    /// Its length (ns), when not fixed or when its start is not fixed.
    pub length: Option<Dist>,
    /// Its intensity (`factor` of a hot tenant), when drawn.
    pub factor: Option<Dist>,
    /// Its cells, when selected.
    pub cells: Option<Selector>,
    /// Its tenants, when selected.
    pub tenants: Option<Selector>,
    /// It recurs with this period until the run ends (with a drawn period: the smallest gap
    /// it can draw, see [`Drawn::every_drawn`]).
    pub every: Option<SimDuration>,
    /// The period drawn afresh for each gap (`every = "exp(10m)"`), each at least
    /// [`crate::scenario::explore_every::MIN_DRAWN_PERIOD`]; `None` for a fixed period.
    pub every_drawn: Option<Dist>,
    /// The drawn keys as written (`key = value`), for reports.
    pub written: Vec<String>,
}
