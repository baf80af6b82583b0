//! The async plane: each cell's job queue and job workers, separate from request workers.
//!
//! A job (an export, a report) comes from a request class that submits one on success, from
//! a tenant's own job arrivals, or from a backlog queued at the start. A job worker runs it
//! as one long query on the cell's DB (competing with requests for connections and cores),
//! then writes its bytes to object storage. A failed job is retried with exponential backoff
//! (full jitter); after `max_attempts` it goes to the dead-letter queue. A poison job always
//! fails. The scheduler is `fifo` or fair (`drr` by tier weight), optionally with per-tenant
//! caps on jobs in service, so that one tenant's flood or poison does not block the others.

use super::{Ev, Platform};
use crate::component::link::{Call, Link};
use crate::component::scheduler::CellQueue;
use crate::component::slab::{Id, Slab};
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
pub(super) struct JobClassRt {
    pub(super) db_time: Dist,
    pub(super) bytes: Dist,
    pub(super) max_attempts: u32,
    pub(super) backoff: SimDuration,
}

/// A cell's job queue and workers.
pub(super) struct JobCell {
    pub(super) queue: CellQueue<Id>,
    pub(super) workers: u32,
    pub(super) busy: u32,
}

/// A tenant's own job arrivals.
pub(super) struct JobSource {
    pub(super) rate: f64,
    pub(super) class: u16,
    pub(super) rng: RngStream,
}

/// Runtime state of the async plane and object storage.
pub struct JobsRt {
    pub(super) classes: Vec<JobClassRt>,
    pub(super) jobs: Slab<Job>,
    pub(super) cells: Vec<JobCell>,
    /// Per tenant, its job arrivals if it has any (boxed: most tenants have none, and an
    /// inline stream would cost every tenant ~330 B).
    pub(super) sources: Vec<Option<Box<JobSource>>>,
    pub(super) poison: Vec<f64>,
    pub(super) storage_base: Dist,
    pub(super) storage_per_mb: Dist,
    pub(super) storage_errors: f64,
    pub(super) storage_timeout: SimDuration,
    /// Per cell, the link cell → object storage.
    pub(super) storage_cut: Vec<Link>,
    /// Run seed (mixed into every job's sub-stream).
    pub(super) seq: u64,
    /// Jobs created so far per tenant.
    pub(super) per_tenant_seq: Vec<u32>,
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
    /// The tenant and cell of a live job (for describing events).
    pub(super) fn job_place(&self, id: Id) -> Option<(u32, u32)> {
        self.jobs.get(id).map(|j| (j.tenant, j.cell))
    }
}

impl Platform {
    /// Creates a job of `class` for tenant `t` in its current cell and queues it.
    pub(super) fn submit_job(&mut self, now: SimTime, t: u32, class: u16, q: &mut EventQueue<Ev>) {
        let cell = self.tenant_cell[t as usize];
        // Each tenant's jobs draw from their own sub-stream: (run seed, tenant, its job
        // count), so one tenant's jobs never shift another's (common random numbers).
        let n = self.jobs.per_tenant_seq[t as usize];
        self.jobs.per_tenant_seq[t as usize] += 1;
        let seed =
            sim::digest::mix64(self.jobs.seq ^ sim::digest::mix64((t as u64) << 32 | n as u64));
        let mut rng = SplitMix(seed);
        let poison_p = self.jobs.poison[t as usize];
        let poison = poison_p > 0.0 && rng.next_f64() < poison_p;
        let bytes = self.jobs.classes[class as usize]
            .bytes
            .sample(&mut rng)
            .max(0.0);
        let id = self.jobs.jobs.insert(Job {
            tenant: t,
            class,
            cell,
            enqueued: now,
            attempts: 0,
            rng,
            poison,
            bytes,
        });
        self.enqueue_job(now, id, q);
    }

    fn enqueue_job(&mut self, now: SimTime, id: Id, q: &mut EventQueue<Ev>) {
        let Some(j) = self.jobs.jobs.get_mut(id) else {
            return;
        };
        j.enqueued = now;
        let (cell, t) = (j.cell as usize, j.tenant);
        if self.jobs_stopped(t) {
            self.cancel_job(t, Some(id));
            return;
        }
        match self.jobs.cells[cell].queue.push(t, 1_000_000, now, id) {
            Ok(()) => self.pull_jobs(now, cell as u32, q),
            Err(_) => {
                self.jobs.refused += 1;
                self.jobs.jobs.remove(id);
            }
        }
    }

    /// Starts queued jobs on free job workers of `cell`.
    pub(super) fn pull_jobs(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        if self.ctl.down[cell as usize] {
            // A dead cell runs no job; they wait for it to come up (`cell_down`).
            return;
        }
        loop {
            let jc = &mut self.jobs.cells[cell as usize];
            if jc.busy >= jc.workers {
                return;
            }
            let Some(p) = jc.queue.pop() else { return };
            if self.jobs_stopped(p.tenant) {
                self.jobs.cells[cell as usize].queue.release(p.tenant);
                self.cancel_job(p.tenant, Some(p.payload));
                continue;
            }
            let jc = &mut self.jobs.cells[cell as usize];
            jc.busy += 1;
            let Some(j) = self.jobs.jobs.get_mut(p.payload) else {
                continue;
            };
            j.attempts += 1;
            let wait = now.since(p.enqueued_at).as_nanos();
            let t = j.tenant;
            let work = self.jobs.classes[j.class as usize]
                .db_time
                .sample(&mut j.rng)
                .max(0.0) as u64;
            let rec = &mut self.recorder.tenants[t as usize];
            rec.run.job_wait.record(wait);
            self.recorder.meter(t, 0, work, 0);
            self.cells[cell as usize]
                .db
                .submit(now, super::DbToken::Job(p.payload).word(), work);
            self.reschedule_db(now, cell, q);
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
        let Some(j) = self.jobs.jobs.get_mut(id) else {
            return;
        };
        let (t, cell) = (j.tenant, j.cell);
        if self.jobs_stopped(t) {
            let jc = &mut self.jobs.cells[cell as usize];
            jc.busy -= 1;
            jc.queue.release(t);
            self.cancel_job(t, Some(id));
            self.pull_jobs(now, cell, q);
            return;
        }
        let Some(j) = self.jobs.jobs.get_mut(id) else {
            return;
        };
        if !db_ok || j.poison {
            q.schedule_at(now, Ev::JobStored { job: id, ok: false });
            return;
        }
        self.store_job(id, q)
    }

    /// A job's write crosses the cell → object storage link: stored (or failed) after its
    /// latency, failed at once or at the timeout, or held by a `delay` partition.
    pub(super) fn store_job(&mut self, id: Id, q: &mut EventQueue<Ev>) {
        let Some(j) = self.jobs.jobs.get_mut(id) else {
            return;
        };
        let cell = j.cell as usize;
        match self.jobs.storage_cut[cell].call() {
            Call::Hold => self.hold_call(
                crate::fault::PartitionKind::CellObjectStorage,
                cell as u32,
                id.word(),
                0,
            ),
            call @ (Call::Reject | Call::Hang) => {
                let d = if call == Call::Reject {
                    SimDuration::ZERO
                } else {
                    self.jobs.storage_timeout
                };
                q.schedule_in(d, Ev::JobStored { job: id, ok: false });
            }
            Call::Reach => {
                let mb = j.bytes / 1e6;
                let d = self.jobs.storage_base.sample(&mut j.rng)
                    + self.jobs.storage_per_mb.sample(&mut j.rng) * mb;
                let ok = !(self.jobs.storage_errors > 0.0
                    && j.rng.next_f64() < self.jobs.storage_errors);
                q.schedule_in(
                    SimDuration::from_nanos_f64(d)
                        .saturating_add(self.net.cell_object_storage.round_trip()),
                    Ev::JobStored { job: id, ok },
                );
            }
        }
    }

    /// A job attempt ended: done, retried later, or dead-lettered.
    pub(super) fn on_job_stored(&mut self, now: SimTime, id: Id, ok: bool, q: &mut EventQueue<Ev>) {
        let Some(j) = self.jobs.jobs.get_mut(id) else {
            return;
        };
        let (cell, t) = (j.cell, j.tenant);
        let jc = &mut self.jobs.cells[cell as usize];
        jc.busy -= 1;
        jc.queue.release(t);
        if ok {
            let bytes = j.bytes as u64;
            self.jobs.jobs.remove(id);
            self.jobs.done += 1;
            self.recorder.tenants[t as usize].run.jobs_done += 1;
            self.recorder.meter(t, 0, 0, bytes);
        } else {
            self.jobs.failed_attempts += 1;
            let class = &self.jobs.classes[j.class as usize];
            if (j.attempts as u32) < class.max_attempts {
                // Exponential backoff with full jitter, capped at 1 minute.
                let exp = class
                    .backoff
                    .as_nanos()
                    .saturating_mul(1u64 << (j.attempts.min(20) - 1));
                let ceiling = exp.clamp(1, 60_000_000_000);
                let d = SimDuration(j.rng.below(ceiling));
                q.schedule_in(d, Ev::JobRetryDue { job: id });
            } else {
                self.jobs.jobs.remove(id);
                self.jobs.dlq += 1;
                self.recorder.tenants[t as usize].run.jobs_dlq += 1;
            }
        }
        self.pull_jobs(now, cell, q);
    }

    /// A job's backoff elapsed: queue it again.
    pub(super) fn on_job_retry_due(&mut self, now: SimTime, id: Id, q: &mut EventQueue<Ev>) {
        self.enqueue_job(now, id, q);
    }

    /// A tenant's own job arrival.
    pub(super) fn on_job_arrived(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        let Some(src) = self.jobs.sources[t as usize].as_mut() else {
            return;
        };
        let class = src.class;
        let gap = -libm::log(src.rng.next_f64_open0()) / src.rate;
        let at = now.after(SimDuration::from_secs_f64(gap));
        if at < self.end {
            q.schedule_at(at, Ev::JobArrived { tenant: t });
        }
        if self.jobs_stopped(t) {
            self.cancel_job(t, None);
            return;
        }
        self.submit_job(now, t, class, q);
    }

    /// Jobs still queued or running (for the ledger of jobs).
    pub fn jobs_in_flight(&self) -> usize {
        self.jobs.jobs.len()
    }

    /// At the end of the run, jobs still waiting count with their age so far: a starved
    /// tenant's job wait shows its starvation instead of "no data".
    pub fn record_waiting_jobs(&mut self, end: SimTime) {
        for c in 0..self.jobs.cells.len() {
            let waiting = self.jobs.cells[c].queue.drain_all();
            for p in waiting {
                let wait = end.since(p.enqueued_at).as_nanos();
                self.recorder.tenants[p.tenant as usize]
                    .run
                    .job_wait
                    .record(wait);
            }
        }
    }
}
