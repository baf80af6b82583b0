//! The scenario's `[live]` table: how each request class becomes an HTTP request, which
//! header carries the tenant id, and the generator's bounds.
//!
//! ```toml
//! [live]
//! header = "x-tenant-id"        # default
//! max_in_flight = 2000          # bound on requests in flight (default 2000)
//! late_bound = "5ms"            # a send later than this counts as late (default 5ms)
//! max_requests = 1000000        # refuse runs that would send more (default 1,000,000)
//! [live.classes.api]            # default for a class not listed: GET /<class>
//! method = "GET"
//! path = "/api"
//! body = ""                     # optional
//! ```
//!
//! The model accepts the table and ignores it; this module reads it from the scenario's text
//! with its positions, so a mistake is reported as `file:line:column`.

use super::model::{parse_duration, Scenario};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// How one class is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassRequest {
    /// HTTP method.
    pub method: String,
    /// Path (with query), starting with `/`.
    pub path: String,
    /// Body, if any.
    pub body: Option<String>,
}

/// The validated `[live]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSpec {
    /// Header carrying the tenant id.
    pub header: String,
    /// Per class (scenario order).
    pub classes: Vec<ClassRequest>,
    /// Bound on requests in flight.
    pub max_in_flight: usize,
    /// A send later than this (ns) after its intended time is late.
    pub late_bound_ns: u64,
    /// Bound on logical requests in one run.
    pub max_requests: u64,
}

#[derive(Deserialize, Default)]
struct Root {
    #[serde(default)]
    live: Option<LiveToml>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LiveToml {
    header: Option<Spanned<String>>,
    max_in_flight: Option<Spanned<i64>>,
    late_bound: Option<Spanned<String>>,
    max_requests: Option<Spanned<i64>>,
    #[serde(default)]
    classes: BTreeMap<Spanned<String>, ClassToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassToml {
    method: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    body: Option<String>,
}

/// `file:line:column: error: message` for a byte offset of `text`.
fn located(file: &str, text: &str, at: usize, msg: &str) -> String {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{file}:{line}:{col}: error: [live]: {msg}")
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

impl LiveSpec {
    /// Reads and checks the `[live]` table of `sc` (defaults when absent).
    pub fn from_scenario(sc: &Scenario) -> Result<LiveSpec, String> {
        let file = sc.file.as_str();
        let text = sc.text.as_str();
        let root: Root = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            located(file, text, at, e.message())
        })?;
        let live = root.live.unwrap_or_default();
        let err = |at: usize, msg: String| located(file, text, at, &msg);
        let header = match &live.header {
            None => "x-tenant-id".to_string(),
            Some(h) => {
                let v = h.get_ref();
                let ok = !v.is_empty()
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !ok {
                    return Err(err(
                        h.span().start,
                        format!("`header = \"{v}\"` is not a valid HTTP header name (letters, digits, `-`, `_`)"),
                    ));
                }
                v.to_ascii_lowercase()
            }
        };
        let positive = |v: &Option<Spanned<i64>>, name: &str, default: i64, max: i64| match v {
            None => Ok(default),
            Some(x) if (1..=max).contains(x.get_ref()) => Ok(*x.get_ref()),
            Some(x) => Err(err(
                x.span().start,
                format!("`{name} = {}` must be between 1 and {max}", x.get_ref()),
            )),
        };
        let max_in_flight = positive(&live.max_in_flight, "max_in_flight", 2000, 100_000)? as usize;
        let max_requests =
            positive(&live.max_requests, "max_requests", 1_000_000, 100_000_000)? as u64;
        let late_bound_ns = match &live.late_bound {
            None => 5_000_000,
            Some(s) => match parse_duration(s.get_ref()) {
                Ok(d) if d.as_nanos() > 0 => d.as_nanos(),
                Ok(_) => return Err(err(s.span().start, "`late_bound` must be > 0".into())),
                Err(e) => return Err(err(s.span().start, format!("late_bound: {e}"))),
            },
        };
        let mut classes: Vec<ClassRequest> = sc
            .classes
            .iter()
            .map(|c| ClassRequest {
                method: "GET".into(),
                path: format!("/{}", c.name),
                body: None,
            })
            .collect();
        for (name, c) in &live.classes {
            let Some(i) = sc.classes.iter().position(|x| x.name == *name.get_ref()) else {
                let known: Vec<&str> = sc.classes.iter().map(|c| c.name.as_str()).collect();
                return Err(err(
                    name.span().start,
                    format!(
                        "no class `{}` in this scenario (classes: {})",
                        name.get_ref(),
                        known.join(", ")
                    ),
                ));
            };
            if let Some(m) = &c.method {
                let up = m.get_ref().to_ascii_uppercase();
                if !METHODS.contains(&up.as_str()) {
                    return Err(err(
                        m.span().start,
                        format!(
                            "method `{}` is not one of {}",
                            m.get_ref(),
                            METHODS.join(", ")
                        ),
                    ));
                }
                classes[i].method = up;
            }
            if let Some(p) = &c.path {
                let v = p.get_ref();
                if !v.starts_with('/') || v.chars().any(|ch| ch.is_whitespace() || ch.is_control())
                {
                    return Err(err(
                        p.span().start,
                        format!("path `{v}` must start with `/` and contain no spaces"),
                    ));
                }
                classes[i].path = v.clone();
            }
            classes[i].body = c.body.clone();
        }
        Ok(LiveSpec {
            header,
            classes,
            max_in_flight,
            late_bound_ns,
            max_requests,
        })
    }

    /// The class a request names by method and path, if any (the reference service's router).
    pub fn class_of(&self, method: &str, path: &str) -> Option<usize> {
        self.classes
            .iter()
            .position(|c| c.method == method && c.path == path)
    }
}
