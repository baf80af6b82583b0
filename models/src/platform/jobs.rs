//! The async plane: each cell's job queue and job workers, separate from request workers.
//!
//! A job (an export, a report) comes from a request class that submits one on success, from
//! a tenant's own job arrivals, or from a backlog queued at the start. A job worker runs it
//! as one long query on the cell's DB (competing with requests for connections and cores),
//! then writes its bytes to object storage. A failed job is retried with exponential backoff
//! (full jitter); after `max_attempts` it goes to the dead-letter queue. A poison job always
//! fails. The scheduler is `fifo` or fair (`drr` by tier weight), optionally with per-tenant
//! caps on jobs in service, so that one tenant's flood or poison does not block the others.
//!
//! **The part.** [`JobsRt`] owns the jobs (a slab), each cell's job queue and workers, the
//! tenants' own job arrivals and the retry arithmetic, and returns decisions; the
//! `Platform` glue below applies them (records waits and usage, submits the DB work,
//! schedules `JobStored` / `JobRetryDue` / `JobArrived`, holds calls on a `delay` cut):
//!
//! ```text
//!  create(now, t, cell, class) ─▶ Id          draws poison and bytes from the job's stream
//!  enqueue(now, id, stopped)   ─▶ Queued { cell } | Cancelled | Refused | Gone
//!  next_job(now, cell, stopped) ─▶ Start { job, tenant, wait_ns, work_ns } | Cancelled | Idle
//!  on_db_done(id, ok, stopped) ─▶ Store | Failed | Cancelled { cell } | Gone
//!  store(id)                   ─▶ Reached { latency, ok } | Unreachable { after } | Held
//!  on_stored(id, ok)           ─▶ Done | Retry { after } | DeadLettered | Gone
//! ```
//!
//! `stopped` says whether a tenant's jobs are stopped (its destroy, `jobs_stopped.rs`): the
//! part cancels such a job itself (and counts it) and says so.
//!
//! Guarantees: a cell runs at most `workers` jobs at once (`busy` counts the jobs started
//! by [`JobsRt::next_job`] and not yet ended by [`JobsRt::on_stored`] or a cancellation);
//! every draw of a job comes from its own sub-stream (run seed, tenant, the tenant's job
//! count), so one tenant's jobs never shift another's; a tenant's own arrivals draw from
//! the stream `jobs/TENANT`. Fault state (`poison`, `storage_cut`) is plain data the
//! platform's fault code sets. Built from plain settings by [`JobsRt::new`], no scenario
//! file needed (see the tests).

use super::jobs_stopped::jobs_stopped;
use super::{Ev, Platform};
use crate::component::link::{Call, Link};
use crate::component::scheduler::CellQueue;
use crate::component::slab::{Id, Slab};
use crate::scenario::{JobClass, JobPlane, ObjectStorage, TenantJobs};
use sim::{Bits, Dist, EventQueue, RngStream, SimDuration, SimTime, SplitMix};

/// One job.
pub(super) struct Job {
    tenant: u32,
    class: u16,
    cell: u32,
    enqueued: SimTime,
    attempts: u16,
    rng: SplitMix,
    poison: bool,
    bytes: f64,
}

/// A job class at run time.
struct JobClassRt {
    db_time: Dist,
    bytes: Dist,
    max_attempts: u32,
    backoff: SimDuration,
}

/// A cell's job queue and workers.
struct JobCell {
    queue: CellQueue<Id>,
    workers: u32,
    busy: u32,
}

/// A tenant's own job arrivals.
struct JobSource {
    rate: f64,
    class: u16,
    rng: RngStream,
}

/// The async plane's settings: job classes, the cells' job plane, object storage.
#[derive(Clone, Copy, Debug)]
pub struct JobsSettings<'a> {
    /// Job classes, indexed by class.
    pub classes: &'a [JobClass],
    /// Job workers, scheduler, per-tenant cap and queue limit of every cell.
    pub plane: &'a JobPlane,
    /// Where jobs write their output.
    pub storage: &'a ObjectStorage,
    /// Cells.
    pub cells: usize,
    /// Run seed (job sub-streams and arrival streams derive from it).
    pub seed: u64,
}

/// One tenant as the async plane sees it.
#[derive(Clone, Copy, Debug)]
pub struct JobTenant<'a> {
    /// Its id (names its arrival stream `jobs/ID`).
    pub id: &'a str,
    /// Its tier's weight in a fair job scheduler.
    pub weight: u32,
    /// Its own jobs (arrivals at a rate, a backlog), if any.
    pub jobs: Option<&'a TenantJobs>,
}

/// What [`JobsRt::enqueue`] did with a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// Queued in `cell`: its free workers may take it now.
    Queued {
        /// The job's cell.
        cell: u32,
    },
    /// Its tenant's jobs are stopped: dropped and counted as cancelled.
    Cancelled {
        /// The tenant.
        tenant: u32,
    },
    /// The cell's job queue is full: dropped and counted as refused.
    Refused,
    /// No such job.
    Gone,
}

/// What a free job worker of a cell does next ([`JobsRt::next_job`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextJob {
    /// Nothing: every worker is busy or nothing may be served.
    Idle,
    /// The job the scheduler picked belongs to a stopped tenant: dropped and counted as
    /// cancelled; ask again.
    Cancelled {
        /// The tenant.
        tenant: u32,
    },
    /// A worker starts this job's attempt: `work_ns` of DB work, after `wait_ns` queued.
    Start {
        /// The job.
        job: Id,
        /// Its tenant.
        tenant: u32,
        /// How long it waited in the queue.
        wait_ns: u64,
        /// Its DB work (drawn from the job's stream).
        work_ns: u64,
    },
}

/// What follows a job's DB work ([`JobsRt::on_db_done`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbDone {
    /// Write the output to object storage ([`JobsRt::store`]).
    Store,
    /// The attempt failed (DB error or a poison job): `JobStored { ok: false }` now.
    Failed,
    /// Its tenant's jobs are stopped: dropped, counted as cancelled, its worker freed.
    Cancelled {
        /// The tenant.
        tenant: u32,
        /// The cell whose worker is free.
        cell: u32,
    },
    /// No such job.
    Gone,
}

/// How a job's write crosses the cell → object storage link ([`JobsRt::store`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreCall {
    /// Held by a `delay` partition of `cell`: store again when the cut heals.
    Held {
        /// The job's cell.
        cell: u32,
    },
    /// Reached object storage: the write ends (`ok` or not) after `latency` plus the
    /// link's network round trip.
    Reached {
        /// Storage latency (drawn from the job's stream).
        latency: SimDuration,
        /// The write succeeded.
        ok: bool,
    },
    /// Did not reach it: the write fails after `after` (zero under `reject`, the storage
    /// timeout when the call hangs).
    Unreachable {
        /// When the worker gives up.
        after: SimDuration,
    },
    /// No such job.
    Gone,
}

/// How a job attempt ended ([`JobsRt::on_stored`]); its worker is free in every case but
/// `Gone`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Done: `bytes` written for `tenant`.
    Done {
        /// The tenant.
        tenant: u32,
        /// The job's cell.
        cell: u32,
        /// Bytes written.
        bytes: u64,
    },
    /// Failed, with attempts left: `JobRetryDue` after `after` (exponential backoff, full
    /// jitter, capped at 1 minute).
    Retry {
        /// The job's cell.
        cell: u32,
        /// The backoff drawn.
        after: SimDuration,
    },
    /// Failed its last attempt: dead-lettered.
    DeadLettered {
        /// The tenant.
        tenant: u32,
        /// The job's cell.
        cell: u32,
    },
    /// No such job.
    Gone,
}

/// Runtime state of the async plane and object storage.
pub struct JobsRt {
    classes: Vec<JobClassRt>,
    jobs: Slab<Job>,
    cells: Vec<JobCell>,
    /// Per tenant, its job arrivals if it has any (boxed: most tenants have none, and an
    /// inline stream would cost every tenant ~330 B).
    sources: Vec<Option<Box<JobSource>>>,
    /// Per tenant: the chance that a new job is poison. Fault state, set by `faults.rs`.
    pub(super) poison: Vec<f64>,
    storage_base: Dist,
    storage_per_mb: Dist,
    storage_errors: f64,
    storage_timeout: SimDuration,
    /// Per cell, the link cell → object storage. Fault state, set by `faults.rs`.
    pub(super) storage_cut: Vec<Link>,
    /// Run seed (mixed into every job's sub-stream).
    seq: u64,
    /// Jobs created so far per tenant.
    per_tenant_seq: Vec<u32>,
    /// Jobs completed.
    pub done: u64,
    /// Jobs dead-lettered.
    pub dlq: u64,
    /// Job attempts that failed.
    pub failed_attempts: u64,
    /// Jobs refused because a job queue was full.
    pub refused: u64,
    /// Jobs cancelled because their tenant was destroyed (`jobs_stopped.rs`).
    pub cancelled: u64,
}

impl JobsRt {
    /// An idle async plane: empty queues, free workers, one lane per tenant in every cell's
    /// queue (only when some job class is declared), and each tenant's own arrival stream
    /// `jobs/ID` if it submits jobs at a rate.
    pub fn new(s: &JobsSettings<'_>, tenants: &[JobTenant<'_>]) -> JobsRt {
        let jp = s.plane;
        let capped = jp.scheduler.honours_caps();
        let any_jobs = !s.classes.is_empty();
        let n = tenants.len();
        JobsRt {
            classes: s
                .classes
                .iter()
                .map(|j| JobClassRt {
                    db_time: j.db_time.clone(),
                    bytes: j.bytes.clone(),
                    max_attempts: j.max_attempts,
                    backoff: j.backoff,
                })
                .collect(),
            jobs: Slab::with_capacity(if any_jobs { 1024 } else { 0 }),
            cells: (0..s.cells)
                .map(|_| {
                    let mut queue =
                        CellQueue::new(jp.scheduler, 1_000_000, jp.queue_limit as usize);
                    if any_jobs {
                        for t in tenants {
                            queue.add_tenant(t.weight, capped.then_some(jp.tenant_cap));
                        }
                    }
                    JobCell {
                        queue,
                        workers: jp.workers,
                        busy: 0,
                    }
                })
                .collect(),
            sources: tenants
                .iter()
                .map(|t| {
                    t.jobs.filter(|j| j.rate > 0.0).map(|j| {
                        Box::new(JobSource {
                            rate: j.rate,
                            class: j.class as u16,
                            rng: RngStream::new(s.seed, &format!("jobs/{}", t.id), 0),
                        })
                    })
                })
                .collect(),
            poison: vec![0.0; n],
            storage_base: s.storage.latency_base.clone(),
            storage_per_mb: s.storage.latency_per_mb.clone(),
            storage_errors: s.storage.errors,
            storage_timeout: s.storage.timeout,
            storage_cut: vec![Link::Up; s.cells],
            seq: s.seed,
            per_tenant_seq: vec![0; n],
            done: 0,
            dlq: 0,
            failed_attempts: 0,
            refused: 0,
            cancelled: 0,
        }
    }

    /// The tenant and cell of a live job (for describing events).
    pub(super) fn job_place(&self, id: Id) -> Option<(u32, u32)> {
        self.jobs.get(id).map(|j| (j.tenant, j.cell))
    }

    /// Jobs still queued, running or waiting for a retry.
    #[inline]
    pub fn in_flight(&self) -> usize {
        self.jobs.len()
    }

    /// Whether `cell` has a job plane.
    #[inline]
    pub fn has_cell(&self, cell: u32) -> bool {
        (cell as usize) < self.cells.len()
    }

    /// Creates a job of `class` for tenant `t` in `cell` (not queued yet: [`JobsRt::enqueue`]).
    /// Each tenant's jobs draw from their own sub-stream: (run seed, tenant, its job
    /// count), so one tenant's jobs never shift another's (common random numbers).
    pub fn create(&mut self, now: SimTime, t: u32, cell: u32, class: u16) -> Id {
        let n = self.per_tenant_seq[t as usize];
        self.per_tenant_seq[t as usize] += 1;
        let seed = sim::digest::mix64(self.seq ^ sim::digest::mix64((t as u64) << 32 | n as u64));
        let mut rng = SplitMix(seed);
        let poison_p = self.poison[t as usize];
        let poison = poison_p > 0.0 && rng.next_f64() < poison_p;
        let bytes = self.classes[class as usize].bytes.sample(&mut rng).max(0.0);
        self.jobs.insert(Job {
            tenant: t,
            class,
            cell,
            enqueued: now,
            attempts: 0,
            rng,
            poison,
            bytes,
        })
    }

    /// Counts a cancelled job (and drops it, if it exists).
    pub fn cancel(&mut self, id: Option<Id>) {
        if let Some(id) = id {
            self.jobs.remove(id);
        }
        self.cancelled += 1;
    }

    /// Queues job `id` in its cell at `now` (`stopped(t)`: tenant `t`'s jobs are stopped).
    pub fn enqueue(&mut self, now: SimTime, id: Id, stopped: impl Fn(u32) -> bool) -> Enqueued {
        let Some(j) = self.jobs.get_mut(id) else {
            return Enqueued::Gone;
        };
        j.enqueued = now;
        let (cell, t) = (j.cell, j.tenant);
        if stopped(t) {
            self.cancel(Some(id));
            return Enqueued::Cancelled { tenant: t };
        }
        match self.cells[cell as usize].queue.push(t, 1_000_000, now, id) {
            Ok(()) => Enqueued::Queued { cell },
            Err(_) => {
                self.refused += 1;
                self.jobs.remove(id);
                Enqueued::Refused
            }
        }
    }

    /// What a free job worker of `cell` does at `now`: start the job the scheduler picks
    /// (its attempt counted, its DB work drawn), drop a stopped tenant's job, or nothing.
    pub fn next_job(&mut self, now: SimTime, cell: u32, stopped: impl Fn(u32) -> bool) -> NextJob {
        loop {
            let jc = &mut self.cells[cell as usize];
            if jc.busy >= jc.workers {
                return NextJob::Idle;
            }
            let Some(p) = jc.queue.pop() else {
                return NextJob::Idle;
            };
            if stopped(p.tenant) {
                jc.queue.release(p.tenant);
                self.cancel(Some(p.payload));
                return NextJob::Cancelled { tenant: p.tenant };
            }
            jc.busy += 1;
            let Some(j) = self.jobs.get_mut(p.payload) else {
                continue;
            };
            j.attempts += 1;
            let work = self.classes[j.class as usize]
                .db_time
                .sample(&mut j.rng)
                .max(0.0) as u64;
            return NextJob::Start {
                job: p.payload,
                tenant: j.tenant,
                wait_ns: now.since(p.enqueued_at).as_nanos(),
                work_ns: work,
            };
        }
    }

    /// Job `id`'s DB work ended (`db_ok`: it succeeded): store its output, fail the
    /// attempt (a poison job always fails), or cancel it if its tenant's jobs stopped.
    pub fn on_db_done(&mut self, id: Id, db_ok: bool, stopped: impl Fn(u32) -> bool) -> DbDone {
        let Some(j) = self.jobs.get(id) else {
            return DbDone::Gone;
        };
        let (t, cell, poison) = (j.tenant, j.cell, j.poison);
        if stopped(t) {
            let jc = &mut self.cells[cell as usize];
            jc.busy -= 1;
            jc.queue.release(t);
            self.cancel(Some(id));
            return DbDone::Cancelled { tenant: t, cell };
        }
        if !db_ok || poison {
            DbDone::Failed
        } else {
            DbDone::Store
        }
    }

    /// Job `id`'s write crosses its cell's link to object storage: its latency and error
    /// drawn from the job's stream when it reaches storage, nothing drawn otherwise.
    pub fn store(&mut self, id: Id) -> StoreCall {
        let Some(j) = self.jobs.get_mut(id) else {
            return StoreCall::Gone;
        };
        match self.storage_cut[j.cell as usize].call() {
            Call::Hold => StoreCall::Held { cell: j.cell },
            Call::Reject => StoreCall::Unreachable {
                after: SimDuration::ZERO,
            },
            Call::Hang => StoreCall::Unreachable {
                after: self.storage_timeout,
            },
            Call::Reach => {
                let mb = j.bytes / 1e6;
                let d = self.storage_base.sample(&mut j.rng)
                    + self.storage_per_mb.sample(&mut j.rng) * mb;
                let ok = !(self.storage_errors > 0.0 && j.rng.next_f64() < self.storage_errors);
                StoreCall::Reached {
                    latency: SimDuration::from_nanos_f64(d),
                    ok,
                }
            }
        }
    }

    /// Job `id`'s attempt ended (`ok`: stored): frees its worker; done, retried after a
    /// backoff, or dead-lettered after its class's `max_attempts`.
    pub fn on_stored(&mut self, id: Id, ok: bool) -> Stored {
        let Some(j) = self.jobs.get_mut(id) else {
            return Stored::Gone;
        };
        let (cell, t) = (j.cell, j.tenant);
        let jc = &mut self.cells[cell as usize];
        jc.busy -= 1;
        jc.queue.release(t);
        if ok {
            let bytes = j.bytes as u64;
            self.jobs.remove(id);
            self.done += 1;
            return Stored::Done {
                tenant: t,
                cell,
                bytes,
            };
        }
        self.failed_attempts += 1;
        let class = &self.classes[j.class as usize];
        if (j.attempts as u32) < class.max_attempts {
            // Exponential backoff with full jitter, capped at 1 minute.
            let exp = class
                .backoff
                .as_nanos()
                .saturating_mul(1u64 << (j.attempts.min(20) - 1));
            let ceiling = exp.clamp(1, 60_000_000_000);
            let after = SimDuration(j.rng.below(ceiling));
            Stored::Retry { cell, after }
        } else {
            self.jobs.remove(id);
            self.dlq += 1;
            Stored::DeadLettered { tenant: t, cell }
        }
    }

    /// Tenant `t`'s next own job arrival: the gap to it (drawn from `jobs/ID`) and the
    /// class it submits; `None` when the tenant submits no jobs at a rate.
    pub fn next_arrival(&mut self, t: u32) -> Option<(SimDuration, u16)> {
        let src = self.sources[t as usize].as_mut()?;
        let gap = -libm::log(src.rng.next_f64_open0()) / src.rate;
        Some((SimDuration::from_secs_f64(gap), src.class))
    }

    /// Empties every cell's job queue: each waiting job's (tenant, wait until `end` in ns).
    pub fn drain_waiting(&mut self, end: SimTime) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.cells.iter_mut().flat_map(move |c| {
            c.queue
                .drain_all()
                .into_iter()
                .map(move |p| (p.tenant, end.since(p.enqueued_at).as_nanos()))
        })
    }
}

impl Platform {
    /// Creates a job of `class` for tenant `t` in its current cell and queues it.
    pub(super) fn submit_job(&mut self, now: SimTime, t: u32, class: u16, q: &mut EventQueue<Ev>) {
        let cell = self.tenant_cell[t as usize];
        let id = self.jobs.create(now, t, cell, class);
        self.enqueue_job(now, id, q);
    }

    fn enqueue_job(&mut self, now: SimTime, id: Id, q: &mut EventQueue<Ev>) {
        let ctl = &self.ctl;
        match self.jobs.enqueue(now, id, |t| jobs_stopped(ctl, t)) {
            Enqueued::Queued { cell } => self.pull_jobs(now, cell, q),
            Enqueued::Cancelled { tenant } => self.job_cancelled(tenant),
            Enqueued::Refused | Enqueued::Gone => {}
        }
    }

    /// Starts queued jobs on free job workers of `cell`.
    pub(super) fn pull_jobs(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        if self.ctl.down[cell as usize] {
            // A dead cell runs no job; they wait for it to come up (`cell_down`).
            return;
        }
        loop {
            let ctl = &self.ctl;
            match self.jobs.next_job(now, cell, |t| jobs_stopped(ctl, t)) {
                NextJob::Idle => return,
                NextJob::Cancelled { tenant } => self.job_cancelled(tenant),
                NextJob::Start {
                    job,
                    tenant,
                    wait_ns,
                    work_ns,
                } => {
                    self.recorder.tenants[tenant as usize]
                        .run
                        .job_wait
                        .record(wait_ns);
                    self.recorder.meter(tenant, 0, work_ns, 0);
                    self.cells[cell as usize].db.submit(
                        now,
                        super::DbToken::Job(job).word(),
                        work_ns,
                    );
                    self.reschedule_db(now, cell, q);
                }
            }
        }
    }

    /// A job's DB work finished (the caller released the connection): store its output.
    pub(super) fn job_db_done(
        &mut self,
        now: SimTime,
        id: Id,
        db_ok: bool,
        q: &mut EventQueue<Ev>,
    ) {
        let ctl = &self.ctl;
        match self.jobs.on_db_done(id, db_ok, |t| jobs_stopped(ctl, t)) {
            DbDone::Gone => {}
            DbDone::Cancelled { tenant, cell } => {
                self.job_cancelled(tenant);
                self.pull_jobs(now, cell, q);
            }
            DbDone::Failed => q.schedule_at(now, Ev::JobStored { job: id, ok: false }),
            DbDone::Store => self.store_job(id, q),
        }
    }

    /// A job's write crosses the cell → object storage link: stored (or failed) after its
    /// latency and the link's network round trip, failed at once or at the timeout, or held
    /// by a `delay` partition.
    pub(super) fn store_job(&mut self, id: Id, q: &mut EventQueue<Ev>) {
        match self.jobs.store(id) {
            StoreCall::Gone => {}
            StoreCall::Held { cell } => self.hold_call(
                crate::fault::PartitionKind::CellObjectStorage,
                cell,
                id.word(),
                0,
            ),
            StoreCall::Unreachable { after } => {
                q.schedule_in(after, Ev::JobStored { job: id, ok: false })
            }
            StoreCall::Reached { latency, ok } => q.schedule_in(
                latency.saturating_add(self.net.cell_object_storage.round_trip()),
                Ev::JobStored { job: id, ok },
            ),
        }
    }

    /// A job attempt ended: done, retried later, or dead-lettered.
    pub(super) fn on_job_stored(&mut self, now: SimTime, id: Id, ok: bool, q: &mut EventQueue<Ev>) {
        let cell = match self.jobs.on_stored(id, ok) {
            Stored::Gone => return,
            Stored::Done {
                tenant,
                cell,
                bytes,
            } => {
                self.recorder.tenants[tenant as usize].run.jobs_done += 1;
                self.recorder.meter(tenant, 0, 0, bytes);
                cell
            }
            Stored::Retry { cell, after } => {
                q.schedule_in(after, Ev::JobRetryDue { job: id });
                cell
            }
            Stored::DeadLettered { tenant, cell } => {
                self.recorder.tenants[tenant as usize].run.jobs_dlq += 1;
                cell
            }
        };
        self.pull_jobs(now, cell, q);
    }

    /// A job's backoff elapsed: queue it again.
    pub(super) fn on_job_retry_due(&mut self, now: SimTime, id: Id, q: &mut EventQueue<Ev>) {
        self.enqueue_job(now, id, q);
    }

    /// A tenant's own job arrival.
    pub(super) fn on_job_arrived(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        let Some((gap, class)) = self.jobs.next_arrival(t) else {
            return;
        };
        let at = now.after(gap);
        if at < self.end {
            q.schedule_at(at, Ev::JobArrived { tenant: t });
        }
        if jobs_stopped(&self.ctl, t) {
            self.jobs.cancel(None);
            self.job_cancelled(t);
            return;
        }
        self.submit_job(now, t, class, q);
    }

    /// Jobs still queued or running (for the ledger of jobs).
    pub fn jobs_in_flight(&self) -> usize {
        self.jobs.in_flight()
    }

    /// At the end of the run, jobs still waiting count with their age so far: a starved
    /// tenant's job wait shows its starvation instead of "no data".
    pub fn record_waiting_jobs(&mut self, end: SimTime) {
        for (t, wait) in self.jobs.drain_waiting(end) {
            self.recorder.tenants[t as usize].run.job_wait.record(wait);
        }
    }
}

#[cfg(test)]
mod tests {
    //! Goal: the jobs part decides alone, from plain settings (no scenario file): workers,
    //! the queue bound, retries and the dead-letter queue, cancellation of a stopped
    //! tenant's jobs, the object-storage link, and per-tenant streams.
    //! Method: build a `JobsRt` directly (constant DB work, bytes and storage latency unless
    //! a test needs draws), drive a job through `enqueue` → `next_job` → `on_db_done` →
    //! `store` → `on_stored` by hand, and check each decision and counter.
    use super::*;
    use crate::component::link::CutMode;
    use crate::component::scheduler::SchedulerKind;

    const MS: u64 = 1_000_000;
    const S: u64 = 1_000 * MS;

    fn class(bytes: Dist, max_attempts: u32, backoff: SimDuration) -> JobClass {
        JobClass {
            name: "export".to_string(),
            db_time: Dist::Const((100 * MS) as f64),
            bytes,
            max_attempts,
            backoff,
        }
    }

    fn plane(workers: u32, scheduler: SchedulerKind, queue_limit: u32) -> JobPlane {
        JobPlane {
            workers,
            scheduler,
            tenant_cap: 1,
            queue_limit,
        }
    }

    fn storage() -> ObjectStorage {
        ObjectStorage {
            latency_per_mb: Dist::Const((5 * MS) as f64),
            latency_base: Dist::Const((10 * MS) as f64),
            errors: 0.0,
            timeout: SimDuration::from_secs(30),
        }
    }

    /// One cell, `tenants` tenants of weight 1 without own jobs.
    fn rt(classes: &[JobClass], plane: &JobPlane, tenants: usize, seed: u64) -> JobsRt {
        let st = storage();
        let s = JobsSettings {
            classes,
            plane,
            storage: &st,
            cells: 1,
            seed,
        };
        let ids: Vec<String> = (0..tenants).map(|t| format!("t{t}")).collect();
        let ts: Vec<JobTenant<'_>> = ids
            .iter()
            .map(|id| JobTenant {
                id,
                weight: 1,
                jobs: None,
            })
            .collect();
        JobsRt::new(&s, &ts)
    }

    fn go(_: u32) -> bool {
        false
    }

    #[test]
    fn one_worker_runs_jobs_in_arrival_order_and_frees_on_store() {
        // One worker: the second job waits until the first is stored; its wait is the
        // time it queued; storage latency is base + per-MB × MB (10 ms + 5 ms × 2).
        let classes = [class(Dist::Const(2e6), 3, SimDuration::from_secs(1))];
        let p = plane(1, SchedulerKind::Fifo, 100);
        let mut j = rt(&classes, &p, 2, 1);
        let a = j.create(SimTime::ZERO, 0, 0, 0);
        let b = j.create(SimTime::ZERO, 1, 0, 0);
        assert_eq!(
            j.enqueue(SimTime::ZERO, a, go),
            Enqueued::Queued { cell: 0 }
        );
        assert_eq!(
            j.enqueue(SimTime::ZERO, b, go),
            Enqueued::Queued { cell: 0 }
        );
        let start_a = NextJob::Start {
            job: a,
            tenant: 0,
            wait_ns: 0,
            work_ns: 100 * MS,
        };
        assert_eq!(j.next_job(SimTime::ZERO, 0, go), start_a);
        assert_eq!(j.next_job(SimTime::ZERO, 0, go), NextJob::Idle);
        assert_eq!(j.on_db_done(a, true, go), DbDone::Store);
        let reached = StoreCall::Reached {
            latency: SimDuration(20 * MS),
            ok: true,
        };
        assert_eq!(j.store(a), reached);
        let done = Stored::Done {
            tenant: 0,
            cell: 0,
            bytes: 2_000_000,
        };
        assert_eq!(j.on_stored(a, true), done);
        assert_eq!((j.done, j.in_flight()), (1, 1));
        assert_eq!(j.on_stored(a, true), Stored::Gone);
        let start_b = NextJob::Start {
            job: b,
            tenant: 1,
            wait_ns: S,
            work_ns: 100 * MS,
        };
        assert_eq!(j.next_job(SimTime(S), 0, go), start_b);
    }

    #[test]
    fn failed_attempts_back_off_then_dead_letter() {
        // A poison job fails every attempt: attempts 1 and 2 are retried after a jittered
        // backoff below backoff × 2^(attempt-1) (capped at 1 minute); the third goes to the
        // dead-letter queue. A DB error fails a healthy job's attempt the same way.
        for backoff in [SimDuration::from_secs(1), SimDuration::from_secs(50)] {
            let classes = [class(Dist::Const(1e6), 3, backoff)];
            let p = plane(1, SchedulerKind::Fifo, 100);
            let mut j = rt(&classes, &p, 1, 3);
            j.poison[0] = 1.0;
            let id = j.create(SimTime::ZERO, 0, 0, 0);
            for attempt in 1..=3u64 {
                assert_eq!(
                    j.enqueue(SimTime::ZERO, id, go),
                    Enqueued::Queued { cell: 0 }
                );
                assert!(matches!(
                    j.next_job(SimTime::ZERO, 0, go),
                    NextJob::Start { .. }
                ));
                assert_eq!(j.on_db_done(id, true, go), DbDone::Failed);
                match j.on_stored(id, false) {
                    Stored::Retry { cell: 0, after } if attempt < 3 => {
                        let ceiling = (backoff.as_nanos() << (attempt - 1)).min(60 * S);
                        assert!(after.as_nanos() < ceiling, "{attempt}: {after:?}");
                    }
                    Stored::DeadLettered { tenant: 0, cell: 0 } if attempt == 3 => {}
                    other => panic!("attempt {attempt}: {other:?}"),
                }
            }
            assert_eq!((j.failed_attempts, j.dlq, j.in_flight()), (3, 1, 0));
            j.poison[0] = 0.0;
            let healthy = j.create(SimTime::ZERO, 0, 0, 0);
            j.enqueue(SimTime::ZERO, healthy, go);
            assert!(matches!(
                j.next_job(SimTime::ZERO, 0, go),
                NextJob::Start { .. }
            ));
            assert_eq!(j.on_db_done(healthy, false, go), DbDone::Failed);
        }
    }

    #[test]
    fn a_full_job_queue_refuses() {
        // No workers and room for one: the second job is refused and dropped.
        let classes = [class(Dist::Const(1e6), 3, SimDuration::from_secs(1))];
        let p = plane(0, SchedulerKind::Fifo, 1);
        let mut j = rt(&classes, &p, 1, 1);
        let a = j.create(SimTime::ZERO, 0, 0, 0);
        let b = j.create(SimTime::ZERO, 0, 0, 0);
        assert_eq!(
            j.enqueue(SimTime::ZERO, a, go),
            Enqueued::Queued { cell: 0 }
        );
        assert_eq!(j.enqueue(SimTime::ZERO, b, go), Enqueued::Refused);
        assert_eq!(j.next_job(SimTime::ZERO, 0, go), NextJob::Idle);
        assert_eq!((j.refused, j.in_flight()), (1, 1));
        assert_eq!(
            j.drain_waiting(SimTime(S)).collect::<Vec<_>>(),
            vec![(0, S)]
        );
    }

    #[test]
    fn a_stopped_tenants_jobs_are_cancelled_at_each_step() {
        // Tenant 0 stopped: a new job is cancelled at enqueue; a queued one when the
        // scheduler reaches it (tenant 1's job starts next); a running one when its DB work
        // ends, which frees its worker.
        let classes = [class(Dist::Const(1e6), 3, SimDuration::from_secs(1))];
        let p = plane(1, SchedulerKind::Fifo, 100);
        let mut j = rt(&classes, &p, 2, 1);
        let stop0 = |t: u32| t == 0;
        let a = j.create(SimTime::ZERO, 0, 0, 0);
        assert_eq!(
            j.enqueue(SimTime::ZERO, a, stop0),
            Enqueued::Cancelled { tenant: 0 }
        );
        let b = j.create(SimTime::ZERO, 0, 0, 0);
        let c = j.create(SimTime::ZERO, 1, 0, 0);
        j.enqueue(SimTime::ZERO, b, go);
        j.enqueue(SimTime::ZERO, c, go);
        assert_eq!(
            j.next_job(SimTime::ZERO, 0, stop0),
            NextJob::Cancelled { tenant: 0 }
        );
        assert!(matches!(
            j.next_job(SimTime::ZERO, 0, stop0),
            NextJob::Start { job, tenant: 1, .. } if job == c
        ));
        assert_eq!(
            j.on_db_done(c, true, |t| t == 1),
            DbDone::Cancelled { tenant: 1, cell: 0 }
        );
        assert_eq!((j.cancelled, j.in_flight()), (3, 0));
        let d = j.create(SimTime::ZERO, 1, 0, 0);
        j.enqueue(SimTime::ZERO, d, go);
        assert!(matches!(
            j.next_job(SimTime::ZERO, 0, go),
            NextJob::Start { .. }
        ));
    }

    #[test]
    fn a_capped_scheduler_serves_other_tenants_first() {
        // `tenant_cap` with cap 1 and two workers: tenant 0's second job waits while it has
        // one in service, so tenant 1's job takes the second worker.
        let classes = [class(Dist::Const(1e6), 3, SimDuration::from_secs(1))];
        let p = plane(2, SchedulerKind::TenantCap, 100);
        let mut j = rt(&classes, &p, 2, 1);
        for t in [0, 0, 1] {
            let id = j.create(SimTime::ZERO, t, 0, 0);
            j.enqueue(SimTime::ZERO, id, go);
        }
        let tenant = |n: NextJob| match n {
            NextJob::Start { tenant, .. } => tenant,
            other => panic!("{other:?}"),
        };
        assert_eq!(tenant(j.next_job(SimTime::ZERO, 0, go)), 0);
        assert_eq!(tenant(j.next_job(SimTime::ZERO, 0, go)), 1);
        assert_eq!(j.next_job(SimTime::ZERO, 0, go), NextJob::Idle);
    }

    #[test]
    fn the_storage_link_fails_rejects_hangs_or_holds() {
        // A cut link: `reject` fails the write at once, `blackhole` at the storage timeout,
        // `delay` holds it; the link up, the write reaches storage.
        let classes = [class(Dist::Const(1e6), 3, SimDuration::from_secs(1))];
        let p = plane(1, SchedulerKind::Fifo, 100);
        let mut j = rt(&classes, &p, 1, 1);
        let id = j.create(SimTime::ZERO, 0, 0, 0);
        let cut = |m| Link::partitioned(true, m);
        j.storage_cut[0] = cut(CutMode::parse("reject").expect("a mode"));
        let at_once = StoreCall::Unreachable {
            after: SimDuration::ZERO,
        };
        assert_eq!(j.store(id), at_once);
        j.storage_cut[0] = cut(CutMode::Blackhole);
        let timeout = StoreCall::Unreachable {
            after: SimDuration::from_secs(30),
        };
        assert_eq!(j.store(id), timeout);
        j.storage_cut[0] = cut(CutMode::Delay);
        assert_eq!(j.store(id), StoreCall::Held { cell: 0 });
        j.storage_cut[0] = Link::Up;
        assert!(matches!(j.store(id), StoreCall::Reached { ok: true, .. }));
    }

    #[test]
    fn each_tenants_jobs_draw_from_their_own_stream() {
        // Tenant 1's first job has the same size whether tenant 0 made jobs before it or
        // not (common random numbers); another run seed gives another size.
        let classes = [class(Dist::Exp { mean: 5e6 }, 3, SimDuration::from_secs(1))];
        let p = plane(1, SchedulerKind::Fifo, 100);
        let bytes = |j: &JobsRt, id: Id| j.jobs.get(id).expect("a live job").bytes;
        let mut first = rt(&classes, &p, 2, 11);
        first.create(SimTime::ZERO, 0, 0, 0);
        first.create(SimTime::ZERO, 0, 0, 0);
        let a = first.create(SimTime::ZERO, 1, 0, 0);
        let mut second = rt(&classes, &p, 2, 11);
        let b = second.create(SimTime::ZERO, 1, 0, 0);
        assert_eq!(bytes(&first, a), bytes(&second, b));
        let mut other = rt(&classes, &p, 2, 12);
        let c = other.create(SimTime::ZERO, 1, 0, 0);
        assert_ne!(bytes(&first, a), bytes(&other, c));
    }

    #[test]
    fn own_arrivals_come_at_their_rate_from_their_stream() {
        // A tenant submitting 10 jobs/s gets exponential gaps of mean 100 ms (1,000 draws
        // within 10%) of its class; a tenant with no rate gets none.
        let classes = [class(Dist::Const(1e6), 3, SimDuration::from_secs(1))];
        let p = plane(1, SchedulerKind::Fifo, 100);
        let st = storage();
        let s = JobsSettings {
            classes: &classes,
            plane: &p,
            storage: &st,
            cells: 1,
            seed: 5,
        };
        let own = TenantJobs {
            class: 0,
            rate: 10.0,
            backlog: 0,
        };
        let ts = [
            JobTenant {
                id: "busy",
                weight: 1,
                jobs: Some(&own),
            },
            JobTenant {
                id: "idle",
                weight: 1,
                jobs: None,
            },
        ];
        let mut j = JobsRt::new(&s, &ts);
        assert_eq!(j.next_arrival(1), None);
        let mut total = 0u64;
        for _ in 0..1000 {
            let (gap, class) = j.next_arrival(0).expect("a source");
            assert_eq!(class, 0);
            total += gap.as_nanos();
        }
        let mean_ms = total as f64 / 1000.0 / MS as f64;
        assert!((90.0..110.0).contains(&mean_ms), "{mean_ms}");
    }
}
