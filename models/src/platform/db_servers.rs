//! A cell's DB servers beyond its primary: shard groups with hash routing, and a dedicated
//! server for a tier (`[data_architecture]`, see `scenario::data_servers`).
//!
//! ```text
//!  shard_groups (N)   query of tenant t ─▶ shard_of(t's id) ─┬─ 0 ─▶ the cell's primary,
//!                                                            │      resized to one shard
//!                                                            └─ k ─▶ the cell's shard k
//!  dedicated tier     query of a tenant of the tier ─▶ the cell's server for that tier
//!  every server       a Db of its own (cores, pool, statement timeout) with one wake-up
//!                     event (`ServerDbWoke`); a tenant's query waits for and runs on its
//!                     server only, so a hot tenant slows its shard-mates and no one else
//! ```
//!
//! Server indices, the same in every cell: 0 is the cell's primary; 1..N−1 the shards
//! beyond it (shard_groups); then one per tier in `dedicated_db_tiers`, in their order.
//! A tenant's server depends on its id and tier only, so it is the same in every cell it
//! is served in (a moved tenant uses the same shard of its new cell).
//!
//! What the servers share with the primary, and what they do not: a cell outage, a
//! degraded-DB fault and every other factor on the cell's DB capacity (rollouts' and
//! moves' backfills) act on every server of the cell; connections are modelled per server
//! (`data_arch.rs`: a restart closes them, queries reopen them); governance and bulkhead
//! gates apply before the server is chosen. A DB partition, the DB breaker, added DB
//! latency or errors and the `cell_db` network link act on the primary's calls only, and
//! background jobs and a migration's dual writes use the primary; the control plane's view
//! of a cell's DB (placement capacity, rebalancing utilisation) is its primary's.
//!
//! Guarantees: every query submitted to a server ends exactly once through `query_done`
//! (so the ledger balances); a server's connection is released exactly once per query that
//! held one; nothing here draws a random number. Without the keys the runtime is inert
//! (nothing allocated) and checked behind the bulkheads' branch only.

use super::cell::Cell;
use super::{Ev, Platform};
use crate::component::db::{Db, Ended, QueryEnd};
use crate::component::outcome::Cause;
use crate::component::slab::Id;
use crate::population::Population;
use crate::scenario::data_servers::shard_of;
use crate::scenario::Scenario;
use reports::data_arch::DbServerRow;
use sim::{EventQueue, SimTime, TimerKey};

/// One server beyond a cell's primary.
pub struct Server {
    db: Db,
    timer: Option<(TimerKey, SimTime)>,
}

/// The servers of a run.
pub struct ServersRt {
    /// Whether any server beyond the primaries exists (the hooks' branch).
    pub on: bool,
    /// Per tenant: its server index (0: the primary).
    route: Vec<u16>,
    /// Servers per cell, the primary included.
    per_cell: u16,
    /// Per cell, servers 1.. (index k − 1).
    servers: Vec<Vec<Server>>,
    /// Per server index: its name in reports.
    labels: Vec<String>,
    poll: Vec<Ended>,
}

/// Per tenant, its server index, and the servers per cell (the primary included), for
/// `sc` and `pop` (see the module docs for the numbering).
pub fn routes(sc: &Scenario, pop: &Population) -> (Vec<u16>, u16) {
    let s = &sc.data_architecture.servers;
    if !s.any() {
        return (Vec::new(), 1);
    }
    let shards = s.shards.max(1);
    let route = pop
        .tenants
        .iter()
        .map(
            |t| match s.dedicated_tiers.iter().position(|&i| i == t.tier) {
                Some(j) => (shards as usize + j) as u16,
                None => shard_of(&t.id, shards) as u16,
            },
        )
        .collect();
    (route, (shards as usize + s.dedicated_tiers.len()) as u16)
}

/// The (cores, connections) of each server of a cell whose DB was `cores` and `pool` as
/// configured: index 0 is the primary's new size.
pub fn sizes(sc: &Scenario, cores: u32, pool: u32) -> Vec<(u32, u32)> {
    let s = &sc.data_architecture.servers;
    let shards = s.shards.max(1);
    let shard = if shards > 1 {
        (
            s.shard_cores.unwrap_or((cores / shards).max(1)),
            s.shard_connections.unwrap_or((pool / shards).max(1)),
        )
    } else {
        (cores, pool)
    };
    let mut out = vec![shard; shards as usize];
    out.extend(
        s.dedicated_tiers
            .iter()
            .map(|_| (s.dedicated_cores, s.dedicated_connections)),
    );
    out
}

impl ServersRt {
    /// The servers of `sc` for `pop`, resizing the primaries of `cells` to one shard (none:
    /// inert, nothing allocated).
    pub fn build(sc: &Scenario, pop: &Population, cells: &mut [Cell]) -> ServersRt {
        let (route, per_cell) = routes(sc, pop);
        if per_cell <= 1 {
            return ServersRt {
                on: false,
                route,
                per_cell: 1,
                servers: Vec::new(),
                labels: Vec::new(),
                poll: Vec::new(),
            };
        }
        let db = &sc.platform.db;
        let (st, at) = (db.statement_timeout, db.acquire_timeout);
        let mut servers = Vec::with_capacity(cells.len());
        for cell in cells.iter_mut() {
            let z = sizes(sc, cell.db.cores() as u32, cell.db.connections());
            cell.db = Db::new(z[0].1, z[0].0, st, at);
            servers.push(
                z[1..]
                    .iter()
                    .map(|&(cores, conns)| Server {
                        db: Db::new(conns, cores, st, at),
                        timer: None,
                    })
                    .collect(),
            );
        }
        let s = &sc.data_architecture.servers;
        let mut labels: Vec<String> = if s.shards > 1 {
            (0..s.shards).map(|k| format!("shard {k}")).collect()
        } else {
            vec!["primary".to_string()]
        };
        labels.extend(
            s.dedicated_tiers
                .iter()
                .map(|&i| format!("tier {}", sc.tiers[i].name)),
        );
        ServersRt {
            on: true,
            route,
            per_cell,
            servers,
            labels,
            poll: Vec::new(),
        }
    }

    /// Tenant `t`'s server (0: its cell's primary).
    #[inline]
    pub fn server_of(&self, t: u32) -> u16 {
        self.route.get(t as usize).copied().unwrap_or(0)
    }

    /// Servers per cell, the primary included (1 when inert).
    pub fn per_cell(&self) -> u16 {
        self.per_cell
    }

    /// Connections held on server `k ≥ 1` of `cell`.
    pub fn held(&self, cell: usize, k: u16) -> u32 {
        self.servers[cell][k as usize - 1].db.held()
    }

    /// Per cell and server (cell-major), what each server did, with the primary's figures
    /// from `cells` (empty when inert).
    pub(super) fn rows(&self, cells: &[Cell], route_tenants: &[u32]) -> Vec<DbServerRow> {
        if !self.on {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (c, cell) in cells.iter().enumerate() {
            for k in 0..self.per_cell as usize {
                let db = if k == 0 {
                    &cell.db
                } else {
                    &self.servers[c][k - 1].db
                };
                out.push(DbServerRow {
                    cell: c as u32,
                    server: self.labels[k].clone(),
                    cores: db.cores() as u32,
                    connections: db.connections(),
                    tenants: route_tenants
                        .get(c * self.per_cell as usize + k)
                        .copied()
                        .unwrap_or(0),
                    busy_core_seconds: db.busy_core_ns() / 1e9,
                    max_waiting: db.max_waiting() as u32,
                });
            }
        }
        out
    }
}

impl Platform {
    /// What the run's data architecture did, with its servers (`None`: no section).
    pub fn data_arch_row(
        &self,
        sc: &Scenario,
        end: SimTime,
    ) -> Option<reports::data_arch::DataArchRow> {
        let mut row = self.data.row(sc, end)?;
        row.servers = self.servers.rows(&self.cells, self.data.owner_tenants());
        Some(row)
    }

    /// Submits `att`'s query of `work` ns (tenant `t`, served in `cell`) to its server `k ≥
    /// 1`, under the tenant's statement timeout.
    pub(super) fn server_submit(
        &mut self,
        now: SimTime,
        att: Id,
        (cell, work, t, k): (usize, u64, u32, u16),
        q: &mut EventQueue<Ev>,
    ) {
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.phase(now, att, "db_wait");
        }
        let timeout = self.gov.timeout_of(t);
        self.servers.servers[cell][k as usize - 1]
            .db
            .submit_timed(now, att.word(), work, timeout);
        self.reschedule_server(now, cell as u32, k, q);
    }

    /// Keeps exactly one pending wake-up event per server.
    fn reschedule_server(&mut self, now: SimTime, cell: u32, server: u16, q: &mut EventQueue<Ev>) {
        let s = &mut self.servers.servers[cell as usize][server as usize - 1];
        let wake = s.db.next_wake(now);
        match (s.timer, wake) {
            (Some((_, at)), Some(w)) if at <= w => {}
            (old, w) => {
                if let Some((k, _)) = old {
                    q.cancel(k);
                }
                s.timer = w.map(|w| {
                    (
                        q.schedule_cancellable(w.since(now), Ev::ServerDbWoke { cell, server }),
                        w,
                    )
                });
            }
        }
    }

    /// A server's wake-up: queries that ended give back their connection and end their
    /// step (`db_timeout` past the statement timeout, `db_pool_timeout` past the acquire
    /// timeout).
    pub(super) fn on_server_db_woke(
        &mut self,
        now: SimTime,
        cell: u32,
        server: u16,
        q: &mut EventQueue<Ev>,
    ) {
        let (c, k) = (cell as usize, server as usize - 1);
        self.servers.servers[c][k].timer = None;
        let mut ended = std::mem::take(&mut self.servers.poll);
        ended.clear();
        self.servers.servers[c][k].db.poll(now, &mut ended);
        for &(tok, end, _, waited) in &ended {
            let att = Id::from_word(tok);
            if let Some(a) = self.attempts.get(att) {
                self.recorder.db_wait(a.tenant, cell, waited);
            }
            let result = match end {
                QueryEnd::Done => {
                    self.servers.servers[c][k].db.release(now);
                    Ok(())
                }
                QueryEnd::StatementTimeout => {
                    self.servers.servers[c][k].db.release(now);
                    Err(Cause::DbTimeout)
                }
                QueryEnd::AcquireTimeout => Err(Cause::DbPoolTimeout),
            };
            self.query_done(now, att, result, q);
        }
        self.servers.poll = ended;
        self.reschedule_server(now, cell, server, q);
    }

    /// `cell`'s DB capacity factor is now `capacity`: every server of the cell runs at it.
    pub(super) fn servers_set_capacity(
        &mut self,
        now: SimTime,
        cell: u32,
        capacity: f64,
        q: &mut EventQueue<Ev>,
    ) {
        for k in 1..self.servers.per_cell {
            self.servers.servers[cell as usize][k as usize - 1]
                .db
                .set_capacity(now, capacity);
            self.reschedule_server(now, cell, k, q);
        }
    }
}
