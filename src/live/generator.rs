//! The open-loop load generator: sends the simulation's requests, at the simulation's times,
//! to a real HTTP service, and measures what happens without coordinated omission.
//!
//! ```text
//!  arrivals (tenant, class, at) ──dispatcher: sleep until start+at──▶ permit (max_in_flight)
//!        ──▶ task: attempt → status → retry policy (backoff, jitter, budget, Retry-After) → …
//!  latency = time the client learnt the outcome − *intended* send time (as wrk2 measures)
//!  late send = a send that left more than `late_bound` after its intended time
//! ```
//!
//! Guarantees: it sends only to the given target; never more than the arrivals it is given
//! (bounded by the scenario's duration and `max_requests`) plus their retries (bounded by the
//! classes' `max_attempts`); never more than `max_in_flight` requests at once; on Ctrl-C it
//! stops sending, waits briefly for requests in flight, and returns what it has, marked
//! partial. One tokio runtime (current thread), one pooled HTTP/1.1 client.

// Live mode measures a real system: the wall clock is its clock (and the reference
// service's workers are threads). Neither ever enters a simulated run.
#![allow(clippy::disallowed_methods)]

use super::model::{
    combine_with_retry_after, retryable, Arrival, Cause, Outcome, RetryBudget, RetrySpec, Scenario,
    SimDuration, SimTime, SplitMix,
};
use super::spec::LiveSpec;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where requests go: `http://host:port` plus an optional path prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `host:port`.
    pub authority: String,
    /// Prefix put before each class's path (no trailing `/`).
    pub prefix: String,
}

impl Target {
    /// Parses `http://host[:port][/prefix]`. `https` is refused (live mode speaks plain
    /// HTTP/1.1; put a TLS-terminating proxy in front of a TLS service).
    pub fn parse(url: &str) -> Result<Target, String> {
        let rest = if let Some(r) = url.strip_prefix("http://") {
            r
        } else if url.starts_with("https://") {
            return Err(format!(
                "--target {url}: TLS is not supported by live mode's client; use an http:// URL \
                 (for a TLS service, through a local TLS-terminating proxy)"
            ));
        } else {
            return Err(format!(
                "--target {url}: expected an http:// URL, e.g. http://127.0.0.1:8080"
            ));
        };
        let (auth, prefix) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        if auth.is_empty() || auth.contains('@') || auth.chars().any(char::is_whitespace) {
            return Err(format!("--target {url}: no host in the URL"));
        }
        let authority = match auth.rsplit_once(':') {
            Some((_, port)) if port.parse::<u16>().is_ok() => auth.to_string(),
            Some(_) => return Err(format!("--target {url}: the port is not a number")),
            None => format!("{auth}:80"),
        };
        Ok(Target {
            authority,
            prefix: prefix.to_string(),
        })
    }

    /// Opens (and closes) one TCP connection: an unreachable target is an input error before
    /// anything is sent.
    pub fn check_reachable(&self) -> Result<(), String> {
        use std::net::ToSocketAddrs;
        let addrs: Vec<_> = self
            .authority
            .to_socket_addrs()
            .map_err(|e| format!("--target {}: cannot resolve: {e}", self.authority))?
            .collect();
        let mut last = String::from("no address");
        for a in addrs {
            match std::net::TcpStream::connect_timeout(&a, Duration::from_secs(2)) {
                Ok(_) => return Ok(()),
                Err(e) => last = e.to_string(),
            }
        }
        Err(format!(
            "--target {}: cannot connect ({last}); is the service running?",
            self.authority
        ))
    }
}

/// How one logical request ended, as measured.
#[derive(Clone, Copy, Debug)]
pub struct Done {
    /// From the intended send time to the outcome (ns).
    pub latency_ns: u64,
    /// Outcome, in the model's terms.
    pub outcome: Outcome,
    /// Attempts made.
    pub attempts: u16,
}

/// One logical request sent.
#[derive(Clone, Copy, Debug)]
pub struct Sent {
    /// The arrival it replays.
    pub arrival: Arrival,
    /// How late its first attempt left (ns after the intended time).
    pub late_ns: u64,
    /// Its outcome (`None`: still in flight when the run stopped).
    pub done: Option<Done>,
}

/// Everything the generator measured.
pub struct Measured {
    /// Requests sent, in send order.
    pub sent: Vec<Sent>,
    /// Arrivals not sent because the run was stopped.
    pub not_sent: u64,
    /// Stopped by Ctrl-C.
    pub partial: bool,
    /// Wall time from the first intended send to the last outcome (s).
    pub elapsed_s: f64,
    /// Intended span of the sends (s): the last arrival's time.
    pub intended_span_s: f64,
    /// Attempts by HTTP status (0 = no answer: connection error; 1 = client timeout).
    pub statuses: BTreeMap<u16, u64>,
}

struct Ctx {
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    uris: Vec<hyper::Uri>,
    methods: Vec<hyper::Method>,
    bodies: Vec<Bytes>,
    header: hyper::header::HeaderName,
    tenant_ids: Vec<hyper::header::HeaderValue>,
    timeouts: Vec<Duration>,
    retry: Vec<RetrySpec>,
    budgets: Mutex<BTreeMap<(u32, u16), RetryBudget>>,
    statuses: Mutex<BTreeMap<u16, u64>>,
    start: Instant,
    seed: u64,
}

/// Sends `arrivals` (in time order) to `target` in real time.
pub fn generate(
    sc: &Scenario,
    tenant_ids: &[String],
    spec: &LiveSpec,
    target: &Target,
    arrivals: &[Arrival],
    seed: u64,
) -> Result<Measured, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio: {e}"))?;
    let mut uris = Vec::new();
    let mut methods = Vec::new();
    for c in &spec.classes {
        let u = format!("http://{}{}{}", target.authority, target.prefix, c.path);
        uris.push(
            u.parse::<hyper::Uri>()
                .map_err(|e| format!("`{u}` is not a valid URL: {e}"))?,
        );
        methods.push(
            hyper::Method::from_bytes(c.method.as_bytes())
                .map_err(|e| format!("method {}: {e}", c.method))?,
        );
    }
    let header = hyper::header::HeaderName::from_bytes(spec.header.as_bytes())
        .map_err(|e| format!("[live] header `{}`: {e}", spec.header))?;
    let ids = tenant_ids
        .iter()
        .map(|t| {
            hyper::header::HeaderValue::from_str(t)
                .map_err(|_| format!("tenant id `{t}` cannot be sent in an HTTP header"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let _guard = rt.enter();
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.set_nodelay(true);
    http.set_connect_timeout(Some(Duration::from_secs(2)));
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(spec.max_in_flight)
        .pool_idle_timeout(Duration::from_secs(30))
        .build(http);
    let ctx = Arc::new(Ctx {
        client,
        uris,
        methods,
        bodies: spec
            .classes
            .iter()
            .map(|c| Bytes::from(c.body.clone().unwrap_or_default()))
            .collect(),
        header,
        tenant_ids: ids,
        timeouts: sc
            .classes
            .iter()
            .map(|c| Duration::from_nanos(c.timeout.as_nanos().max(1)))
            .collect(),
        retry: sc.classes.iter().map(|c| c.retry.clone()).collect(),
        budgets: Mutex::new(BTreeMap::new()),
        statuses: Mutex::new(BTreeMap::new()),
        start: Instant::now() + Duration::from_millis(200),
        seed,
    });
    let grace = ctx
        .timeouts
        .iter()
        .zip(&ctx.retry)
        .map(|(t, r)| *t * r.policy.max_attempts())
        .max()
        .unwrap_or(Duration::from_secs(1))
        + Duration::from_secs(2);
    let max_in_flight = spec.max_in_flight;
    rt.block_on(async move {
        let results: Arc<Mutex<Vec<Option<Done>>>> =
            Arc::new(Mutex::new(vec![None; arrivals.len()]));
        let mut late = Vec::with_capacity(arrivals.len());
        let sem = Arc::new(tokio::sync::Semaphore::new(max_in_flight));
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        let mut partial = false;
        for (i, a) in arrivals.iter().enumerate() {
            let intended = ctx.start + Duration::from_nanos(a.at_ns);
            tokio::select! {
                _ = tokio::time::sleep_until(intended.into()) => {}
                _ = &mut ctrl_c => { partial = true; break; }
            }
            let permit = tokio::select! {
                p = Arc::clone(&sem).acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                _ = &mut ctrl_c => { partial = true; break; }
            };
            late.push(
                Instant::now()
                    .saturating_duration_since(intended)
                    .as_nanos() as u64,
            );
            let ctx = Arc::clone(&ctx);
            let results = Arc::clone(&results);
            let a = *a;
            tokio::spawn(async move {
                let d = one(&ctx, i as u64, a, intended).await;
                if let Ok(mut r) = results.lock() {
                    r[i] = Some(d);
                }
                drop(permit);
            });
        }
        // Wait for the requests in flight (bounded: their timeouts and retries), or a
        // (second) Ctrl-C.
        let all = u32::try_from(max_in_flight).unwrap_or(u32::MAX);
        if partial {
            // (The Ctrl-C future has completed: it must not be polled again.)
            let _ = tokio::time::timeout(Duration::from_secs(2), sem.acquire_many(all)).await;
        } else {
            tokio::select! {
                _ = sem.acquire_many(all) => {}
                _ = tokio::time::sleep(grace) => {}
                _ = &mut ctrl_c => { partial = true; }
            }
        }
        let elapsed_s = ctx.start.elapsed().as_secs_f64();
        let results = results.lock().map(|r| r.clone()).unwrap_or_default();
        let sent: Vec<Sent> = late
            .iter()
            .enumerate()
            .map(|(i, &l)| Sent {
                arrival: arrivals[i],
                late_ns: l,
                done: results[i],
            })
            .collect();
        let statuses = ctx.statuses.lock().map(|s| s.clone()).unwrap_or_default();
        Ok(Measured {
            not_sent: (arrivals.len() - sent.len()) as u64,
            sent,
            partial,
            elapsed_s,
            intended_span_s: arrivals.last().map_or(0.0, |a| a.at_ns as f64 / 1e9),
            statuses,
        })
    })
}

fn now_sim(ctx: &Ctx) -> SimTime {
    SimTime(
        Instant::now()
            .saturating_duration_since(ctx.start)
            .as_nanos() as u64,
    )
}

/// One logical request: attempts and retries until an outcome.
async fn one(ctx: &Ctx, n: u64, a: Arrival, intended: Instant) -> Done {
    let class = a.class as usize;
    let spec = &ctx.retry[class];
    if let Some((ratio, window, min)) = spec.budget {
        if let Ok(mut b) = ctx.budgets.lock() {
            b.entry((a.tenant, a.class))
                .or_insert_with(|| RetryBudget::new(ratio, window, min))
                .record_first_attempt(now_sim(ctx));
        }
    }
    // The client's own draws (jitter): one stream per request, from the seed.
    let mut rng =
        SplitMix(ctx.seed ^ 0xC11E_4700_5EED_0001 ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut attempts: u16 = 0;
    let mut prev_delay = SimDuration::ZERO;
    loop {
        attempts = attempts.saturating_add(1);
        let (outcome, status, retry_after) = attempt(ctx, a, class).await;
        if let Ok(mut s) = ctx.statuses.lock() {
            *s.entry(status).or_insert(0) += 1;
        }
        let finish = |outcome| Done {
            latency_ns: Instant::now()
                .saturating_duration_since(intended)
                .as_nanos() as u64,
            outcome,
            attempts,
        };
        if outcome == Outcome::Ok || !retryable(spec, outcome) {
            return finish(outcome);
        }
        let Some(delay) =
            spec.policy
                .delay_before_attempt(attempts as u32 + 1, prev_delay, &mut rng)
        else {
            return finish(outcome);
        };
        let allowed = match spec.budget {
            None => true,
            Some(_) => ctx
                .budgets
                .lock()
                .ok()
                .and_then(|mut b| {
                    b.get_mut(&(a.tenant, a.class))
                        .map(|b| b.try_spend_retry(now_sim(ctx)))
                })
                .unwrap_or(true),
        };
        if !allowed {
            return finish(outcome);
        }
        let wait = if spec.honour_retry_after {
            combine_with_retry_after(delay, retry_after)
        } else {
            delay
        };
        prev_delay = delay;
        tokio::time::sleep(Duration::from_nanos(wait.as_nanos())).await;
    }
}

/// One attempt: (outcome, status, Retry-After). Status 0 = no answer, 1 = client timeout.
async fn attempt(ctx: &Ctx, a: Arrival, class: usize) -> (Outcome, u16, Option<SimDuration>) {
    let req = hyper::Request::builder()
        .method(ctx.methods[class].clone())
        .uri(ctx.uris[class].clone())
        .header(
            ctx.header.clone(),
            ctx.tenant_ids[a.tenant as usize].clone(),
        )
        .body(Full::new(ctx.bodies[class].clone()));
    let Ok(req) = req else {
        return (Outcome::Failed(Cause::Unreachable), 0, None);
    };
    let exchange = async {
        let resp = ctx.client.request(req).await?;
        let status = resp.status().as_u16();
        let h = resp.headers();
        let ra = h
            .get("x-retry-after-ms")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(SimDuration::from_millis)
            .or_else(|| {
                h.get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(SimDuration::from_secs)
            });
        resp.into_body()
            .collect()
            .await
            .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { Box::new(e) })?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>((status, ra))
    };
    match tokio::time::timeout(ctx.timeouts[class], exchange).await {
        Err(_) => (Outcome::TimedOut, 1, None),
        Ok(Err(_)) => (Outcome::Failed(Cause::Unreachable), 0, None),
        Ok(Ok((status, ra))) => {
            let outcome = match status {
                200..=299 => Outcome::Ok,
                429 => Outcome::Rejected,
                503 => Outcome::Failed(Cause::QueueFull),
                _ => Outcome::Failed(Cause::DependencyError),
            };
            (outcome, status, ra)
        }
    }
}
