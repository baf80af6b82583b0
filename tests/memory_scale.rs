//! Memory that grows with the tenants a cell serves, not with tenants × cells (issue 13
//! item 17).
//!
//! Goal: a platform with many cells costs memory for the (tenant, cell) pairs that exist,
//! not for every pair. Before the fix each cell held a dense array over every tenant (and the
//! KMS a dense per-cell key cache): 20,000 tenants × 5,000 cells × 4 B = 400 MB for the lanes
//! alone, before anything ran.
//!
//! Method: a counting global allocator records the peak of live heap bytes while one
//! second of `platform-12k.toml`, rescaled to 20,000 tenants on 5,000 cells, is loaded and
//! run in this process (the only test in this file, so nothing else allocates meanwhile).
//! It peaks at 113 MB now (mostly the 5,000 cells' own preallocated queues, plus per-tenant
//! records, arrival streams and retry budgets); the dense arrays added 400 MB on top. The
//! bound, 250 MB, sits between the two.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counters only
// observe the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[test]
fn many_cells_cost_memory_per_pair_served_not_per_pair() {
    let sets = [
        "duration=1s",
        "faults.spike.at=0s",
        "faults.spike.for=1s",
        "cohorts.small.count=19000",
        "cohorts.mid.count=800",
        "cohorts.large.count=200",
        "platform.cells=5000",
    ];
    let overrides: Vec<models::scenario::Override> = sets
        .iter()
        .map(|s| models::scenario::Override::parse(s).expect("a valid --set"))
        .collect();
    let text = std::fs::read_to_string("scenarios/platform-12k.toml").expect("shipped scenario");
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let sc = models::scenario::load_str("scenarios/platform-12k.toml", &text, &overrides)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = models::harness::run::run(&sc, 1, None).expect("the run completes");
    assert!(out.summary.events > 10_000, "the run did work");
    let peak_mb = (PEAK.load(Ordering::Relaxed) - before) as f64 / 1e6;
    assert!(
        peak_mb < 250.0,
        "peak live heap {peak_mb:.0} MB for 20,000 tenants on 5,000 cells: per-cell state \
         is sized by all tenants again (the dense arrays took 400 MB)"
    );
}
