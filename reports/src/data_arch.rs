//! What a run's data architecture (`[data_architecture]`) did: its layout, the connections
//! it held and opened, the DB work its layout added, and what a schema migration would take
//! under it.
//!
//! Plain data recorded by a run whose scenario has the section (absent otherwise, so other
//! summaries are unchanged). The migration figures are computed from the layout, the
//! tenants and `migration_per_tenant`/`migration_parallelism`, not simulated: shared tables
//! migrate every tenant's rows in one statement (every tenant exposed for all of it);
//! per-tenant layouts migrate one schema or database at a time per slot, each tenant
//! exposed only for its own.

use serde::{Deserialize, Serialize};

/// A schema migration under the layout (computed, not simulated).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MigrationEstimate {
    /// Wall time of the whole migration, seconds.
    pub wall_seconds: f64,
    /// DB work it takes, seconds.
    pub db_seconds: f64,
    /// Tenants exposed to it at once (locked or slowed tables).
    pub tenants_exposed_at_once: u32,
    /// How long each tenant is exposed, seconds.
    pub exposed_seconds_per_tenant: f64,
}

/// A run's data architecture.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DataArchRow {
    /// `shared_tables`, `schema_per_tenant` or `db_per_tenant`.
    pub layout: String,
    /// Per cell: schemas (tenants placed there at the start).
    pub schemas: Vec<u32>,
    /// Per cell: the most DB connections open at once.
    pub connections_max: Vec<u32>,
    /// Connections opened during the run (after restarts, or to grow a pool).
    pub connects: u64,
    /// DB work spent opening them, seconds.
    pub connect_db_seconds: f64,
    /// DB work spent planning against a per-tenant catalogue, seconds.
    pub planning_db_seconds: f64,
    /// Queries that waited for their tenant's own pool.
    pub tenant_pool_waits: u64,
    /// Connection-hours held, all tenants.
    pub connection_hours: f64,
    /// A schema migration under this layout.
    pub migration: MigrationEstimate,
    /// Per cell and DB server (cell-major) when the cells have servers beyond their
    /// primary (shard groups, a tier's dedicated server); empty and absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<DbServerRow>,
}

/// What one DB server of a cell did (shard groups, a tier's dedicated server).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DbServerRow {
    /// Cell.
    pub cell: u32,
    /// `shard K`, `primary` or `tier NAME`.
    pub server: String,
    /// Cores.
    pub cores: u32,
    /// Connection pool size.
    pub connections: u32,
    /// Tenants at home in the cell routed to it.
    pub tenants: u32,
    /// Core-seconds of work it did.
    pub busy_core_seconds: f64,
    /// The longest its connection wait queue was.
    pub max_waiting: u32,
}
