//! Data architectures on the request path (`[data_architecture]`): where tenants' data
//! lives in a cell's database, and what that does to connections, DB work and neighbours.
//!
//! ```text
//!  shared_tables       query ─▶ cell's pool (P connections, shared by all) ─▶ DB cores
//!  schema_per_tenant   query + planning_per_schema × schemas in the cell ─▶ cell's pool ─▶ cores
//!  db_per_tenant       query ─▶ its tenant's pool (tenant_pool connections; waits there)
//!                            ─▶ the cell's server (its cores shared by every tenant database)
//!  every layout        a connection not open yet is opened first: + `connect` of DB work
//!                      a cell outage closes the cell's connections (a restart): they reopen
//!                      on the queries that need them — with a pool per tenant, that is
//!                      tenants × tenant_pool opens at once (the connection storm)
//! ```
//!
//! Each tenant's database, schema or rows live in its home cell at the start of the run
//! (the cell it was placed in); its pool stays there (a moved tenant's queries count against
//! the same pool). Under `db_per_tenant` the cell's server accepts every tenant pool in full
//! (its connection limit is raised to Σ pools), and each connection open beyond the cell's
//! own pool size (`platform.db.connections`) costs `connection_overhead` of the server's
//! capacity (memory, snapshots, idle backends), idle or not; pools start open.
//!
//! Shard groups and a tier's dedicated server (`db_servers.rs`) give a cell several servers:
//! the shared-layout pools are then one per (cell, server), each with its server's pool
//! size, and a tenant's connections are those of the server it is routed to. A layout per
//! cell or tier (`scenario::data_layouts`) gives each tenant its own layout: the owners are
//! then the shared pools first and one pool per tenant after them (`tbase`), and a cell that
//! mixes both holds the shared pool and the tenant pools on its server (every tenant-pool
//! connection costing `connection_overhead` there). With one layout for all, the owners and
//! every number are as they were before overrides existed.
//!
//! What it guarantees: a tenant never holds more than its pool's connections; every slot
//! taken is given back exactly once (its query ends, or its attempt does); waiting queries
//! take freed slots in FIFO order per tenant; the work added (planning, connects) is
//! metered to the tenant whose query paid it. Nothing here draws a random number. A
//! scenario without the section builds an inert [`DataRt`] (no vector allocated), checked
//! only behind the bulkheads' branch.

use super::cell::Cell;
use super::{Ev, Platform};
use crate::component::slab::Id;
use crate::population::Population;
use crate::scenario::data_arch::Layout;
use crate::scenario::Scenario;
use reports::data_arch::{DataArchRow, MigrationEstimate};
use sim::{EventQueue, SimTime};
use std::collections::VecDeque;

/// The data architecture of a run.
pub struct DataRt {
    /// Whether the scenario has a `[data_architecture]` section.
    pub on: bool,
    layout: Layout,
    planning_ns: u64,
    connect_ns: u64,
    overhead: f64,
    /// Per tenant pool, connections (db_per_tenant).
    pool: u32,
    /// Per cell: schemas (tenants whose home it is).
    schemas: Vec<u32>,
    /// Per cell, or per (cell, server) with servers beyond the primary (`db_servers.rs`,
    /// cell-major): its own pool size as configured.
    cell_pool: Vec<u32>,
    /// Per owner (a cell — or a cell's server — under the shared layouts, a tenant under
    /// db_per_tenant): connections open now.
    open: Vec<u32>,
    /// Per tenant: its server in its cell (empty: every tenant on the primary).
    route: Vec<u16>,
    /// Servers per cell (1 without `db_servers`).
    per_cell: u16,
    /// Per shared-layout owner: tenants at home on it (to divide its connection-hours).
    owner_tenants: Vec<u32>,
    /// Per tenant: its layout (empty: the section's for everyone).
    lay: Vec<Layout>,
    /// Index of tenant `t`'s pool among the owners: `tbase + t` (0 without shared pools).
    tbase: usize,
    /// Per cell: tenants at home there with a shared layout (not db_per_tenant).
    shared_in_cell: Vec<u32>,
    /// Per tenant (db_per_tenant): its queries holding a pool slot.
    held: Vec<u32>,
    /// Per tenant (db_per_tenant): queries waiting for a slot (attempt, work ns).
    waiting: Vec<VecDeque<(Id, u64)>>,
    /// Per tenant: its home cell.
    home: Vec<u32>,
    /// Per cell (db_per_tenant): tenant connections open on its server.
    open_in_cell: Vec<u32>,
    /// Per owner: connection-ns accumulated, and when last brought up to date.
    conn_ns: Vec<f64>,
    conn_last: Vec<SimTime>,
    /// Connections opened during the run.
    pub connects: u64,
    /// DB work spent opening them (ns).
    pub connect_db_ns: u64,
    /// DB work spent planning against the catalogue (ns, schema_per_tenant).
    pub planning_db_ns: u64,
    /// Queries that waited for their tenant's pool.
    pub pool_waits: u64,
    /// Per cell: the most connections open at once.
    pub max_open: Vec<u32>,
}

impl DataRt {
    /// The data architecture of `sc` for `pop`, adjusting the servers of `cells` (none:
    /// inert, nothing allocated).
    pub fn build(sc: &Scenario, pop: &Population, cells: &mut [Cell]) -> DataRt {
        let d = &sc.data_architecture;
        let Some(layout) = d.layout else {
            return DataRt::off();
        };
        let home: Vec<u32> = pop.tenants.iter().map(|t| t.cell).collect();
        // Each tenant's layout: its tier's, its home cell's or the section's
        // (`scenario::data_layouts`); empty when nobody has one of their own.
        let lay: Vec<Layout> = if d.overrides.any() {
            pop.tenants
                .iter()
                .map(|t| d.overrides.of(layout, t.tier, t.cell))
                .collect()
        } else {
            Vec::new()
        };
        let of = |t: usize| lay.get(t).copied().unwrap_or(layout);
        let pooled = |t: usize| of(t) == Layout::DbPerTenant;
        let mut schemas = vec![0u32; cells.len()];
        let mut shared_in_cell = vec![0u32; cells.len()];
        for (t, &c) in home.iter().enumerate() {
            // Mixed layouts: a cell's schemas are those of its schema_per_tenant tenants.
            if lay.is_empty() || of(t) == Layout::SchemaPerTenant {
                if let Some(s) = schemas.get_mut(c as usize) {
                    *s += 1;
                }
            }
            if !pooled(t) {
                if let Some(s) = shared_in_cell.get_mut(c as usize) {
                    *s += 1;
                }
            }
        }
        let any_pooled = (0..home.len()).any(pooled);
        let any_shared = (0..home.len()).any(|t| !pooled(t)) || home.is_empty();
        // Shards and tier servers (db_servers.rs): one owner per (cell, server), each with
        // its server's pool. Without them one owner per cell, as before.
        let (route, per_cell) = super::db_servers::routes(sc, pop);
        let cell_pool: Vec<u32> = cells
            .iter()
            .flat_map(|c| {
                let z = super::db_servers::sizes(sc, c.db.cores() as u32, c.db.connections());
                z.into_iter()
                    .take(per_cell as usize)
                    .map(|(_, pool)| pool)
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut owner_tenants = vec![0u32; cell_pool.len()];
        for (t, &c) in home.iter().enumerate() {
            if pooled(t) {
                continue;
            }
            let o = c as usize * per_cell as usize + route.get(t).copied().unwrap_or(0) as usize;
            if let Some(n) = owner_tenants.get_mut(o) {
                *n += 1;
            }
        }
        // Owners: the shared pools (one per cell or cell's server) when any tenant uses a
        // shared layout, then one per tenant when any has a pool of its own.
        let tbase = if any_shared { cell_pool.len() } else { 0 };
        let mut open: Vec<u32> = if any_shared {
            cell_pool.clone()
        } else {
            Vec::new()
        };
        if any_pooled {
            open.extend((0..home.len()).map(|t| if pooled(t) { d.tenant_pool } else { 0 }));
        }
        let open_in_cell: Vec<u32> = if any_pooled {
            let mut v = vec![0u32; cells.len()];
            for (t, &c) in home.iter().enumerate() {
                if pooled(t) {
                    if let Some(n) = v.get_mut(c as usize) {
                        *n += d.tenant_pool;
                    }
                }
            }
            v
        } else {
            Vec::new()
        };
        let mut rt = DataRt {
            on: true,
            layout,
            planning_ns: d.planning_per_schema.as_nanos(),
            connect_ns: d.connect.as_nanos(),
            overhead: d.connection_overhead,
            pool: d.tenant_pool,
            max_open: if any_shared {
                cell_pool.clone()
            } else {
                open_in_cell.clone()
            },
            schemas,
            cell_pool,
            route,
            per_cell,
            owner_tenants,
            conn_ns: vec![0.0; open.len()],
            conn_last: vec![SimTime::ZERO; open.len()],
            open,
            tbase,
            shared_in_cell,
            held: if any_pooled {
                vec![0; home.len()]
            } else {
                Vec::new()
            },
            waiting: if any_pooled {
                (0..home.len()).map(|_| VecDeque::new()).collect()
            } else {
                Vec::new()
            },
            home,
            lay,
            open_in_cell,
            connects: 0,
            connect_db_ns: 0,
            planning_db_ns: 0,
            pool_waits: 0,
        };
        if any_pooled {
            rt.size_servers(cells);
        }
        rt
    }

    /// No `[data_architecture]`: inert, nothing allocated.
    fn off() -> DataRt {
        DataRt {
            on: false,
            layout: Layout::SharedTables,
            planning_ns: 0,
            connect_ns: 0,
            overhead: 0.0,
            pool: 0,
            schemas: Vec::new(),
            cell_pool: Vec::new(),
            open: Vec::new(),
            route: Vec::new(),
            per_cell: 1,
            owner_tenants: Vec::new(),
            lay: Vec::new(),
            tbase: 0,
            shared_in_cell: Vec::new(),
            held: Vec::new(),
            waiting: Vec::new(),
            home: Vec::new(),
            open_in_cell: Vec::new(),
            conn_ns: Vec::new(),
            conn_last: Vec::new(),
            connects: 0,
            connect_db_ns: 0,
            planning_db_ns: 0,
            pool_waits: 0,
            max_open: Vec::new(),
        }
    }

    /// Sizes the cells' servers for the tenant pools: the server takes every tenant pool in
    /// full (beside the shared pool when its cell mixes layouts); the tenant connections
    /// beyond its own pool size cost capacity from the start (pools start open).
    fn size_servers(&mut self, cells: &mut [Cell]) {
        for (c, cell) in cells.iter_mut().enumerate() {
            let shared = if self.shared_in_cell[c] > 0 {
                self.cell_pool[c]
            } else {
                0
            };
            let all = (self.open_in_cell[c] + shared).max(self.cell_pool[c]);
            cell.db.set_connections(SimTime::ZERO, all);
            cell.db
                .set_capacity(SimTime::ZERO, self.db_factor(c as u32));
            let total = self.cell_open(c);
            self.max_open[c] = self.max_open[c].max(total);
        }
    }

    /// Tenant `t`'s layout.
    #[inline]
    fn lay(&self, t: u32) -> Layout {
        self.lay.get(t as usize).copied().unwrap_or(self.layout)
    }

    /// Connections open on cell `c`'s primary server: its shared pool's (when tenants of a
    /// shared layout live there beside tenant pools) and its tenant pools'.
    fn cell_open(&self, c: usize) -> u32 {
        let shared = if self.tbase > 0 && !self.open_in_cell.is_empty() {
            self.open[c * self.per_cell as usize]
        } else {
            0
        };
        shared + self.open_in_cell.get(c).copied().unwrap_or(0)
    }

    /// The layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The factor the open connections put on `cell`'s DB capacity (1 unless some tenant
    /// has a pool of its own, db_per_tenant).
    pub fn db_factor(&self, cell: u32) -> f64 {
        // No tenant pool anywhere: nothing beyond the cells' own pools.
        if self.open_in_cell.is_empty() {
            return 1.0;
        }
        let c = cell as usize;
        // A cell whose tenants all have pools of their own leaves its own pool size free
        // for them; beside a shared pool, every tenant connection is extra.
        let free = if self.shared_in_cell[c] > 0 {
            0
        } else {
            self.cell_pool[c]
        };
        let extra = self.open_in_cell[c].saturating_sub(free);
        (1.0 - self.overhead * f64::from(extra)).max(0.05)
    }

    /// The shared-layout owner of tenant `t`'s connections in `cell`: the cell, or the
    /// cell's server the tenant is routed to.
    #[inline]
    fn owner(&self, cell: usize, t: u32) -> usize {
        cell * self.per_cell as usize + self.route.get(t as usize).copied().unwrap_or(0) as usize
    }

    /// Brings owner `o`'s connection time up to `now`.
    fn touch(&mut self, o: usize, now: SimTime) {
        let dt = now.since(self.conn_last[o]).as_nanos() as f64;
        self.conn_ns[o] += f64::from(self.open[o]) * dt;
        self.conn_last[o] = self.conn_last[o].max(now);
    }

    /// Per tenant: connection-hours held for it up to `end` (its own pool's under
    /// db_per_tenant; under the shared layouts, its cell's pool divided among the cell's
    /// tenants). Empty when the section is absent.
    pub fn connection_hours(&self, end: SimTime) -> Vec<f64> {
        if !self.on {
            return Vec::new();
        }
        let hour = 3600e9;
        // Owner `o`'s connection-ns up to `end` (without moving its clock).
        let upto = |o: usize| {
            self.conn_ns[o]
                + f64::from(self.open[o]) * end.since(self.conn_last[o]).as_nanos() as f64
        };
        self.home
            .iter()
            .enumerate()
            .map(|(t, &c)| match self.lay(t as u32) {
                Layout::DbPerTenant => upto(self.tbase + t) / hour,
                Layout::SharedTables | Layout::SchemaPerTenant | Layout::ShardGroups => {
                    let o = self.owner(c as usize, t as u32);
                    upto(o) / f64::from(self.owner_tenants[o].max(1)) / hour
                }
            })
            .collect()
    }

    /// What the run's data architecture did, for the summary (`None`: no section).
    pub fn row(&self, sc: &Scenario, end: SimTime) -> Option<DataArchRow> {
        if !self.on {
            return None;
        }
        let d = &sc.data_architecture;
        let n = self.home.len() as f64;
        let per = d.migration_per_tenant.as_secs_f64();
        let migration = match self.layout {
            // One statement over every tenant's rows: everyone exposed for all of it.
            Layout::SharedTables => MigrationEstimate {
                wall_seconds: n * per,
                db_seconds: n * per,
                tenants_exposed_at_once: self.home.len() as u32,
                exposed_seconds_per_tenant: n * per,
            },
            // One statement per shard, every shard at once: each tenant exposed for its
            // shard's statement, the whole as long as the fullest shard's.
            Layout::ShardGroups => {
                let most = f64::from(self.owner_tenants.iter().copied().max().unwrap_or(0));
                MigrationEstimate {
                    wall_seconds: most * per,
                    db_seconds: n * per,
                    tenants_exposed_at_once: self.home.len() as u32,
                    exposed_seconds_per_tenant: most * per,
                }
            }
            // One migration per schema or database, `migration_parallelism` at once; a
            // database per tenant also opens a connection to each.
            Layout::SchemaPerTenant | Layout::DbPerTenant => {
                let par = f64::from(d.migration_parallelism.max(1));
                let connect = if self.layout == Layout::DbPerTenant {
                    d.connect.as_secs_f64()
                } else {
                    0.0
                };
                MigrationEstimate {
                    wall_seconds: libm::ceil(n / par) * (per + connect),
                    db_seconds: n * (per + connect),
                    tenants_exposed_at_once: d.migration_parallelism.min(self.home.len() as u32),
                    exposed_seconds_per_tenant: per + connect,
                }
            }
        };
        Some(DataArchRow {
            layout: self.layout.name().to_string(),
            schemas: self.schemas.clone(),
            connections_max: self.max_open.clone(),
            connects: self.connects,
            connect_db_seconds: self.connect_db_ns as f64 / 1e9,
            planning_db_seconds: self.planning_db_ns as f64 / 1e9,
            tenant_pool_waits: self.pool_waits,
            connection_hours: self.connection_hours(end).iter().sum(),
            migration,
            servers: Vec::new(),
        })
    }

    /// Per shared-layout owner (a cell, or a cell's server, cell-major): tenants at home.
    pub fn owner_tenants(&self) -> &[u32] {
        &self.owner_tenants
    }

    /// Schemas (tenants at home) per cell.
    pub fn schemas(&self) -> &[u32] {
        &self.schemas
    }

    /// Connections per tenant pool (db_per_tenant).
    pub fn tenant_pool(&self) -> u32 {
        self.pool
    }
}

impl Platform {
    /// A query of `att` (tenant `t`, served in `cell`) under a data architecture: its
    /// planning work is added (schema_per_tenant), it takes a slot of its tenant's pool or
    /// waits for one (db_per_tenant), and pays for opening a connection if none is open for
    /// it. Returns whether the query goes on now (with `work` updated); `false`: it waits in
    /// its tenant's pool and resumes in [`Platform::tenant_pool_freed`].
    pub(super) fn data_query(
        &mut self,
        now: SimTime,
        att: Id,
        cell: usize,
        t: u32,
        work: &mut u64,
    ) -> bool {
        let mut extra = 0u64;
        match self.data.lay(t) {
            Layout::SharedTables | Layout::SchemaPerTenant | Layout::ShardGroups => {
                if self.data.lay(t) == Layout::SchemaPerTenant {
                    let plan = self.data.planning_ns
                        * u64::from(self.data.schemas.get(cell).copied().unwrap_or(0));
                    self.data.planning_db_ns += plan;
                    extra += plan;
                }
                // Every open connection of its server busy and the pool not full: this
                // query opens one.
                let o = self.data.owner(cell, t);
                let held = match self.servers.server_of(t) {
                    0 => self.cells[cell].db.held(),
                    k => self.servers.held(cell, k),
                };
                let d = &mut self.data;
                if held >= d.open[o] && d.open[o] < d.cell_pool[o] {
                    d.touch(o, now);
                    d.open[o] += 1;
                    let beside = d.open_in_cell.get(cell).copied().unwrap_or(0);
                    d.max_open[o] = d.max_open[o].max(d.open[o] + beside);
                    d.connects += 1;
                    d.connect_db_ns += d.connect_ns;
                    extra += d.connect_ns;
                }
            }
            Layout::DbPerTenant => {
                let d = &mut self.data;
                let i = t as usize;
                if d.held[i] >= d.pool {
                    d.waiting[i].push_back((att, *work));
                    d.pool_waits += 1;
                    if let Some(tr) = self.tracer.as_deref_mut() {
                        tr.phase(now, att, "tenant_pool_wait");
                    }
                    return false;
                }
                extra += self.take_pool_slot(now, t);
                if let Some(a) = self.attempts.get_mut(att) {
                    a.pooled = true;
                }
            }
        }
        if extra > 0 {
            *work += extra;
            if let Some(a) = self.attempts.get_mut(att) {
                a.db_ns += extra;
            }
        }
        true
    }

    /// Tenant `t` takes a slot of its pool; returns the connect work if it had to open a
    /// connection (its pool was closed by a restart), which also moves its server's capacity.
    fn take_pool_slot(&mut self, now: SimTime, t: u32) -> u64 {
        let d = &mut self.data;
        let i = t as usize;
        let o = d.tbase + i;
        d.held[i] += 1;
        if d.held[i] <= d.open[o] {
            return 0;
        }
        let c = d.home[i] as usize;
        let before = d.db_factor(c as u32);
        d.touch(o, now);
        d.open[o] += 1;
        d.open_in_cell[c] += 1;
        let total = d.cell_open(c);
        d.max_open[c] = d.max_open[c].max(total);
        d.connects += 1;
        d.connect_db_ns += d.connect_ns;
        let after = d.db_factor(c as u32);
        let connect = d.connect_ns;
        self.rescale_db(now, c, before, after);
        connect
    }

    /// `cell`'s DB capacity moves from factor `before` to `after` (the other factors kept).
    fn rescale_db(&mut self, now: SimTime, cell: usize, before: f64, after: f64) {
        if before != after {
            let db = &mut self.cells[cell].db;
            let k = db.capacity();
            db.set_capacity(now, k / before * after);
        }
    }

    /// A query of `att` ended (any way): if it held a slot of its tenant's pool, the slot
    /// goes to that tenant's next waiting query.
    pub(super) fn data_query_ended(&mut self, now: SimTime, att: Id, q: &mut EventQueue<Ev>) {
        let Some(a) = self.attempts.get_mut(att) else {
            return;
        };
        if !a.pooled {
            return;
        }
        a.pooled = false;
        let t = a.tenant;
        self.tenant_pool_freed(now, t, q);
    }

    /// A slot of tenant `t`'s pool is free: its next waiting query (whose attempt still
    /// exists) takes it and goes on to the bulkhead gate and the DB.
    pub(super) fn tenant_pool_freed(&mut self, now: SimTime, t: u32, q: &mut EventQueue<Ev>) {
        let i = t as usize;
        self.data.held[i] = self.data.held[i].saturating_sub(1);
        while let Some((next, work)) = self.data.waiting[i].pop_front() {
            let Some(a) = self.attempts.get(next) else {
                continue;
            };
            let (cell, class) = (a.cell as usize, a.class);
            let writes = self.classes[class as usize].writes;
            let extra = self.take_pool_slot(now, t);
            if let Some(a) = self.attempts.get_mut(next) {
                a.pooled = true;
                a.db_ns += extra;
            }
            self.gate_query(now, next, (cell, work + extra, t, writes, class), q);
            self.reschedule_db(now, cell as u32, q);
            return;
        }
    }

    /// A cell outage began: the cell's DB connections close (its pool's under the shared
    /// layouts, every home tenant's pool under db_per_tenant); they reopen on the queries
    /// that need them once the cell is back.
    pub(super) fn data_cell_restarted(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        let c = cell as usize;
        // The shared pools of the cell (its servers'), when any tenant uses one.
        if self.data.tbase > 0 || self.data.open_in_cell.is_empty() {
            let per = self.data.per_cell as usize;
            for o in c * per..(c + 1) * per {
                self.data.touch(o, now);
                self.data.open[o] = 0;
            }
        }
        // The pools of the tenants at home there, when any tenant has one.
        if !self.data.open_in_cell.is_empty() {
            let before = self.data.db_factor(cell);
            let tenants = self.data.home.len();
            for i in 0..tenants {
                if self.data.home[i] == cell && self.data.lay(i as u32) == Layout::DbPerTenant {
                    let o = self.data.tbase + i;
                    self.data.touch(o, now);
                    let n = self.data.open[o];
                    self.data.open[o] = 0;
                    self.data.open_in_cell[c] -= n;
                }
            }
            let after = self.data.db_factor(cell);
            self.rescale_db(now, c, before, after);
            self.reschedule_db(now, cell, q);
        }
    }
}

#[cfg(test)]
mod tests {
    //! Goal: the capacity factor of open connections follows the documented formula and is
    //! 1 for the shared layouts. Method: a runtime built by hand.
    use super::*;

    fn rt(layout: Layout, open_in_cell: u32) -> DataRt {
        DataRt {
            on: true,
            layout,
            planning_ns: 0,
            connect_ns: 0,
            overhead: 0.01,
            pool: 2,
            schemas: vec![10],
            cell_pool: vec![8],
            open: vec![],
            route: vec![],
            per_cell: 1,
            owner_tenants: vec![],
            lay: vec![],
            tbase: 0,
            shared_in_cell: vec![0],
            held: vec![],
            waiting: vec![],
            home: vec![],
            open_in_cell: if layout == Layout::DbPerTenant {
                vec![open_in_cell]
            } else {
                Vec::new()
            },
            conn_ns: vec![],
            conn_last: vec![],
            connects: 0,
            connect_db_ns: 0,
            planning_db_ns: 0,
            pool_waits: 0,
            max_open: vec![],
        }
    }

    #[test]
    fn open_connections_beyond_the_cells_pool_cost_capacity() {
        // 20 open on a server sized for 8: 12 extra × 1% = 12% less capacity.
        assert!((rt(Layout::DbPerTenant, 20).db_factor(0) - 0.88).abs() < 1e-12);
        assert_eq!(rt(Layout::DbPerTenant, 6).db_factor(0), 1.0);
        // Never below 5%.
        assert_eq!(rt(Layout::DbPerTenant, 1_000).db_factor(0), 0.05);
        assert_eq!(rt(Layout::SharedTables, 1_000).db_factor(0), 1.0);
    }
}
