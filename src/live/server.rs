//! The reference service (`tenantsim serve-reference`): one cell of a scenario's platform as a
//! real HTTP service, so that live mode can be seen working without a platform of one's own.
//!
//! ```text
//!  HTTP/1.1 (tokio, one thread) ──▶ tenant header ──▶ token bucket per tenant ──429 + Retry-After
//!        │                              (the model's TokenBucket, on the wall clock)
//!        ▼
//!  cell queue (the model's CellQueue: FIFO, DRR, caps; queue_limit) ──full──▶ 503
//!        ▼
//!  N worker threads: service time as real CPU work (a busy loop for the class's sampled time)
//!        ▼
//!  P SQLite connections (bundled SQLite, one database file): per query, recursive-CTE
//!  statements of ~50 µs for the class's sampled DB time; no connection within
//!  `acquire_timeout` ──▶ 503
//! ```
//!
//! Guarantees: every admitted request gets exactly one answer (200, 503 or 500); the queue and
//! the pool are bounded by the scenario; the service stops on Ctrl-C or after `--for`, and
//! removes its database file. Tenants are the scenario's, all on this one cell; an unknown
//! tenant gets 404, a request without the tenant header 400.

// Live mode measures a real system: the wall clock is its clock (and the reference
// service's workers are threads). Neither ever enters a simulated run.
#![allow(clippy::disallowed_methods)]

use super::model::{CellQueue, Dist, Population, Scenario, SimTime, SplitMix, TokenBucket};
use super::spec::LiveSpec;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What the service was asked to be.
pub struct ServeOptions {
    /// Address to listen on (`127.0.0.1:0` picks a free port; the bound one is printed).
    pub listen: String,
    /// Stop after this long (None: until Ctrl-C).
    pub run_for: Option<Duration>,
    /// Seed for the service's own cost draws.
    pub seed: u64,
}

struct Job {
    class: usize,
    local: u32,
    service_ns: u64,
    costs: SplitMix,
    enqueued: Instant,
    reply: tokio::sync::oneshot::Sender<(StatusCode, &'static str)>,
}

struct ClassCost {
    service: Dist,
    db_queries: Dist,
    db_time: Dist,
}

struct Queue {
    q: CellQueue<Job>,
    stop: bool,
}

struct Shared {
    spec: LiveSpec,
    tenants: BTreeMap<String, u32>,
    buckets: Mutex<Vec<TokenBucket>>,
    queue: Mutex<Queue>,
    work: Condvar,
    classes: Vec<ClassCost>,
    queue_timeout: Option<Duration>,
    pool: Mutex<Vec<rusqlite::Connection>>,
    pool_free: Condvar,
    acquire_timeout: Duration,
    /// CTE rows per millisecond of SQLite work, measured at start.
    rows_per_ms: f64,
    start: Instant,
    seq: AtomicU64,
    seed: u64,
    stopping: AtomicBool,
}

/// Counters printed when the service stops.
#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    limited: AtomicU64,
    shed: AtomicU64,
    failed: AtomicU64,
}

fn sim_now(start: Instant) -> SimTime {
    SimTime(start.elapsed().as_nanos() as u64)
}

/// Busy CPU work for `ns` of wall time (the worker holds its core, as a service does).
fn burn(ns: u64) {
    let end = Instant::now() + Duration::from_nanos(ns);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while Instant::now() < end {
        for _ in 0..256 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
        }
        std::hint::black_box(x);
    }
}

const CTE: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?1) \
                   SELECT count(*) + (SELECT count(*) FROM tenants) FROM c";

fn query(conn: &rusqlite::Connection, rows: u64) -> Result<i64, rusqlite::Error> {
    let mut st = conn.prepare_cached(CTE)?;
    st.query_row([rows.max(1) as i64], |r| r.get(0))
}

/// Rows of the CTE per millisecond on this machine (best of a few short runs).
fn calibrate(conn: &rusqlite::Connection) -> Result<f64, rusqlite::Error> {
    let mut best = 0.0f64;
    for _ in 0..5 {
        let t = Instant::now();
        query(conn, 200_000)?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        best = best.max(200_000.0 / ms.max(1e-3));
    }
    Ok(best)
}

/// The database file and its connections.
fn open_pool(
    path: &std::path::Path,
    size: u32,
    tenants: &[String],
) -> Result<Vec<rusqlite::Connection>, rusqlite::Error> {
    let first = rusqlite::Connection::open(path)?;
    first.execute_batch(
        "PRAGMA journal_mode = WAL; DROP TABLE IF EXISTS tenants; \
         CREATE TABLE tenants (id TEXT PRIMARY KEY, requests INTEGER NOT NULL DEFAULT 0);",
    )?;
    {
        let mut ins = first.prepare("INSERT INTO tenants (id) VALUES (?1)")?;
        for t in tenants {
            ins.execute([t])?;
        }
    }
    let mut pool = vec![first];
    for _ in 1..size.max(1) {
        pool.push(rusqlite::Connection::open(path)?);
    }
    Ok(pool)
}

/// Runs the reference service for `sc` until Ctrl-C or `opts.run_for`. Returns a message on
/// an operating error (bad address, database), to print with exit 2.
pub fn serve(sc: &Scenario, spec: LiveSpec, opts: &ServeOptions) -> Result<(), String> {
    let pop = Population::build(sc, opts.seed);
    let kind = sc.platform.scheduler;
    let mut q = CellQueue::new(
        kind,
        sc.platform.quantum.as_nanos().max(1),
        sc.platform.queue_limit.max(1) as usize,
    );
    let mut tenants = BTreeMap::new();
    let mut buckets = Vec::with_capacity(pop.tenants.len());
    let cap = (sc.platform.tenant_cap > 0).then_some(sc.platform.tenant_cap);
    for (i, t) in pop.tenants.iter().enumerate() {
        tenants.insert(t.id.clone(), i as u32);
        buckets.push(match t.rate_limit {
            Some(r) => TokenBucket::new(r, t.burst),
            None => TokenBucket::unlimited(),
        });
        q.add_tenant(sc.tiers[t.tier].weight.max(1), cap);
    }
    let db_path =
        std::env::temp_dir().join(format!("tenantsim-reference-{}.sqlite", std::process::id()));
    let ids: Vec<String> = pop.tenants.iter().map(|t| t.id.clone()).collect();
    let pool = open_pool(&db_path, sc.platform.db.connections, &ids)
        .map_err(|e| format!("reference service: SQLite: {e}"))?;
    let rows_per_ms = calibrate(&pool[0]).map_err(|e| format!("reference service: SQLite: {e}"))?;
    let shared = Arc::new(Shared {
        spec,
        tenants,
        buckets: Mutex::new(buckets),
        queue: Mutex::new(Queue { q, stop: false }),
        work: Condvar::new(),
        classes: sc
            .classes
            .iter()
            .map(|c| ClassCost {
                service: c.service.clone(),
                db_queries: c.db_queries.clone(),
                db_time: c.db_time.clone(),
            })
            .collect(),
        queue_timeout: sc
            .platform
            .queue_timeout
            .map(|d| Duration::from_nanos(d.as_nanos())),
        pool: Mutex::new(pool),
        pool_free: Condvar::new(),
        acquire_timeout: Duration::from_nanos(
            sc.platform
                .db
                .acquire_timeout
                .map_or(1_000_000_000, |d| d.as_nanos()),
        ),
        rows_per_ms,
        start: Instant::now(),
        seq: AtomicU64::new(0),
        seed: opts.seed,
        stopping: AtomicBool::new(false),
    });
    let counts = Arc::new(Counts::default());
    let workers: Vec<_> = (0..sc.platform.workers.max(1))
        .map(|i| {
            let s = Arc::clone(&shared);
            let c = Arc::clone(&counts);
            std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(move || worker(&s, &c))
        })
        .collect::<Result<_, _>>()
        .map_err(|e| format!("reference service: cannot start workers: {e}"))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("reference service: tokio: {e}"))?;
    let result = rt.block_on(accept_loop(Arc::clone(&shared), Arc::clone(&counts), opts));
    {
        let mut g = shared.queue.lock().unwrap_or_else(|e| e.into_inner());
        g.stop = true;
        shared.stopping.store(true, Ordering::SeqCst);
    }
    shared.work.notify_all();
    for w in workers {
        let _ = w.join();
    }
    drop(rt);
    if let Ok(mut p) = shared.pool.lock() {
        p.clear();
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db_path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    eprintln!(
        "reference service stopped: {} ok, {} limited (429), {} shed (503), {} failed (500)",
        counts.ok.load(Ordering::Relaxed),
        counts.limited.load(Ordering::Relaxed),
        counts.shed.load(Ordering::Relaxed),
        counts.failed.load(Ordering::Relaxed)
    );
    result
}

async fn accept_loop(
    shared: Arc<Shared>,
    counts: Arc<Counts>,
    opts: &ServeOptions,
) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(&opts.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
    println!("listening on http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let deadline = async {
        match opts.run_for {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending::<()>().await,
        }
    };
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => return Ok(()),
            _ = tokio::signal::ctrl_c() => return Ok(()),
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let s = Arc::clone(&shared);
                let c = Arc::clone(&counts);
                tokio::task::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let svc = hyper::service::service_fn(move |req| {
                        let s = Arc::clone(&s);
                        let c = Arc::clone(&c);
                        async move { Ok::<_, std::convert::Infallible>(handle(&s, &c, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(io, svc)
                        .await;
                });
            }
        }
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r
}

async fn handle(
    s: &Shared,
    c: &Counts,
    req: Request<hyper::body::Incoming>,
) -> Response<Full<Bytes>> {
    let Some(tenant) = req
        .headers()
        .get(s.spec.header.as_str())
        .and_then(|v| v.to_str().ok())
    else {
        return text(StatusCode::BAD_REQUEST, "missing tenant header\n");
    };
    let Some(&t) = s.tenants.get(tenant) else {
        return text(StatusCode::NOT_FOUND, "unknown tenant\n");
    };
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let Some(class) = s.spec.class_of(req.method().as_str(), &path) else {
        return text(StatusCode::NOT_FOUND, "no such class\n");
    };
    let now = sim_now(s.start);
    let limited = {
        let mut b = s.buckets.lock().unwrap_or_else(|e| e.into_inner());
        b[t as usize].try_take(now).err()
    };
    if let Some(wait) = limited {
        c.limited.fetch_add(1, Ordering::Relaxed);
        let mut r = text(StatusCode::TOO_MANY_REQUESTS, "rate limited\n");
        let ns = wait.as_nanos();
        let secs = ns.div_ceil(1_000_000_000).max(1);
        let h = r.headers_mut();
        h.insert("retry-after", secs.into());
        // The exact wait (the model's Retry-After is not rounded to seconds).
        h.insert("x-retry-after-ms", ns.div_ceil(1_000_000).into());
        return r;
    }
    let n = s.seq.fetch_add(1, Ordering::Relaxed);
    let mut costs = SplitMix(s.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let service_ns = s.classes[class].service.sample(&mut costs).max(0.0) as u64;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job = Job {
        class,
        local: t,
        service_ns,
        costs,
        enqueued: Instant::now(),
        reply: tx,
    };
    let pushed = {
        let mut g = s.queue.lock().unwrap_or_else(|e| e.into_inner());
        g.q.push(t, service_ns, now, job).is_ok()
    };
    if !pushed {
        c.shed.fetch_add(1, Ordering::Relaxed);
        return text(StatusCode::SERVICE_UNAVAILABLE, "queue full\n");
    }
    s.work.notify_one();
    match rx.await {
        Ok((status, body)) => text(status, body),
        Err(_) => text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n"),
    }
}

fn worker(s: &Shared, c: &Counts) {
    loop {
        let popped = {
            let mut g = s.queue.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if g.stop {
                    return;
                }
                if let Some(p) = g.q.pop() {
                    break p;
                }
                g = s
                    .work
                    .wait_timeout(g, Duration::from_millis(100))
                    .map(|x| x.0)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
        };
        let job = popped.payload;
        let answer = serve_one(s, &job);
        {
            let mut g = s.queue.lock().unwrap_or_else(|e| e.into_inner());
            g.q.release(job.local);
        }
        // A freed in-service slot may make a capped tenant eligible.
        s.work.notify_one();
        match answer.0 {
            StatusCode::OK => &c.ok,
            StatusCode::SERVICE_UNAVAILABLE => &c.shed,
            _ => &c.failed,
        }
        .fetch_add(1, Ordering::Relaxed);
        let _ = job.reply.send(answer);
    }
}

fn serve_one(s: &Shared, job: &Job) -> (StatusCode, &'static str) {
    if let Some(limit) = s.queue_timeout {
        if job.enqueued.elapsed() > limit {
            return (StatusCode::SERVICE_UNAVAILABLE, "queue timeout\n");
        }
    }
    // A client that gave up still costs the work (wasted), as in the model's platform.
    burn(job.service_ns);
    let mut costs = job.costs;
    let cost = &s.classes[job.class];
    let queries = cost.db_queries.sample(&mut costs).max(0.0).round() as u64;
    let chunk_rows = ((s.rows_per_ms / 20.0) as u64).max(1);
    for _ in 0..queries {
        let db_ns = cost.db_time.sample(&mut costs).max(0.0);
        let rows = (db_ns / 1e6 * s.rows_per_ms) as u64;
        let conn = {
            let deadline = Instant::now() + s.acquire_timeout;
            let mut g = s.pool.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(conn) = g.pop() {
                    break conn;
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() || s.stopping.load(Ordering::Relaxed) {
                    return (StatusCode::SERVICE_UNAVAILABLE, "db pool timeout\n");
                }
                g = s
                    .pool_free
                    .wait_timeout(g, left)
                    .map(|x| x.0)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
        };
        // The query's cost is the sampled DB time of wall clock, spent in SQLite: statements
        // of ~50 µs each until it has passed (a single statement sized by the calibration
        // would take longer whenever the machine is busier than when it was calibrated).
        let until = Instant::now() + Duration::from_nanos(db_ns as u64);
        let mut r = query(&conn, rows.min(chunk_rows));
        while r.is_ok() && Instant::now() < until {
            r = query(&conn, chunk_rows);
        }
        s.pool.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
        s.pool_free.notify_one();
        if r.is_err() {
            return (StatusCode::INTERNAL_SERVER_ERROR, "db error\n");
        }
    }
    (StatusCode::OK, "ok\n")
}
