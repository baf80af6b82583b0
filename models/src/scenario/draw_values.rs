//! Values of `[[faults]]` keys that may be fixed or left to the seed.
//!
//! Each type deserialises from what people write: a fixed value (`at = "5m"`, `factor = 10`,
//! `cell = 2`, `cells = [0, 1]`) or a drawn one (`at = "uniform(5m, 20m)"`, `factor =
//! "uniform(5, 50)"`, `cell = "random"`, `cells = "count(2)"`). Distributions are those of
//! [`sim::Dist`] (our own samplers); selectors are parsed and checked by the fault checker
//! (`scenario/faults.rs`) with [`crate::fault::drawn::parse_selector`], so their errors carry the
//! value's position.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use sim::{Dist, Quantity, SimDuration};
use std::fmt;

/// A duration, fixed or drawn (`"5m"`, `"uniform(5m, 20m)"`, `"exp(2m)"`).
#[derive(Clone, Debug, PartialEq)]
pub enum DurOrDrawn {
    /// Written as a plain duration.
    Fixed(SimDuration),
    /// Written as a distribution (values in ns).
    Drawn(Dist),
}

/// A number, fixed or drawn (`10`, `"uniform(5, 50)"`).
#[derive(Clone, Debug, PartialEq)]
pub enum NumOrDrawn {
    /// Written as a number.
    Fixed(f64),
    /// Written as a distribution.
    Drawn(Dist),
}

/// A cell, or a selector of one (`2`, `"random"`, `"holding(tier=gold)"`).
#[derive(Clone, Debug, PartialEq)]
pub enum CellOrSelector {
    /// A cell number.
    Cell(i64),
    /// A selector, as written.
    Selector(String),
}

/// Cells, or a selector of some (`[0, 1]`, `"count(2)"`, `"percent(50)"`).
#[derive(Clone, Debug, PartialEq)]
pub enum CellsOrSelector {
    /// Cell numbers.
    List(Vec<i64>),
    /// A selector, as written.
    Selector(String),
}

struct Any(&'static str);

/// What a TOML scalar or array was, before interpretation.
enum Raw {
    Text(String),
    Int(i64),
    Float(f64),
    List(Vec<i64>),
}

impl<'de> Visitor<'de> for Any {
    type Value = Raw;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Text(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        i64::try_from(v)
            .map(Raw::Int)
            .map_err(|_| E::custom("number too large"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element::<i64>()? {
            v.push(x);
        }
        Ok(Raw::List(v))
    }
}

impl<'de> Deserialize<'de> for DurOrDrawn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const WHAT: &str = "a duration like \"5m\" or a distribution like \"uniform(5m, 20m)\"";
        let t = match d.deserialize_any(Any(WHAT))? {
            Raw::Text(t) => t,
            Raw::Int(i) => i.to_string(),
            Raw::Float(_) | Raw::List(_) => {
                return Err(de::Error::custom(format!("expected {WHAT}")))
            }
        };
        if let Ok(x) = SimDuration::parse(&t) {
            return Ok(DurOrDrawn::Fixed(x));
        }
        match Dist::parse(&t, Quantity::Duration) {
            Ok(Dist::Const(v)) => Ok(DurOrDrawn::Fixed(SimDuration(v.max(0.0) as u64))),
            Ok(dist) => Ok(DurOrDrawn::Drawn(dist)),
            Err(e) => Err(de::Error::custom(format!("{e} (expected {WHAT})"))),
        }
    }
}

impl<'de> Deserialize<'de> for NumOrDrawn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const WHAT: &str = "a number like 10 or a distribution like \"uniform(5, 50)\"";
        match d.deserialize_any(Any(WHAT))? {
            Raw::Int(i) => Ok(NumOrDrawn::Fixed(i as f64)),
            Raw::Float(x) => Ok(NumOrDrawn::Fixed(x)),
            Raw::Text(t) => match Dist::parse(&t, Quantity::Count) {
                Ok(Dist::Const(v)) => Ok(NumOrDrawn::Fixed(v)),
                Ok(dist) => Ok(NumOrDrawn::Drawn(dist)),
                Err(e) => Err(de::Error::custom(format!("{e} (expected {WHAT})"))),
            },
            Raw::List(_) => Err(de::Error::custom(format!("expected {WHAT}"))),
        }
    }
}

impl<'de> Deserialize<'de> for CellOrSelector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const WHAT: &str = "a cell number like 2 or a selector like \"random\"";
        match d.deserialize_any(Any(WHAT))? {
            Raw::Int(i) => Ok(CellOrSelector::Cell(i)),
            Raw::Text(t) => Ok(CellOrSelector::Selector(t)),
            Raw::Float(_) | Raw::List(_) => Err(de::Error::custom(format!("expected {WHAT}"))),
        }
    }
}

impl<'de> Deserialize<'de> for CellsOrSelector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const WHAT: &str = "a list of cells like [0, 1] or a selector like \"count(2)\"";
        match d.deserialize_any(Any(WHAT))? {
            Raw::List(v) => Ok(CellsOrSelector::List(v)),
            Raw::Text(t) => Ok(CellsOrSelector::Selector(t)),
            Raw::Int(_) | Raw::Float(_) => Err(de::Error::custom(format!("expected {WHAT}"))),
        }
    }
}
