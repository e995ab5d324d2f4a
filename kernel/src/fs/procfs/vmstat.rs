//! The system-wide counters: `/proc/vmstat` (Linux's `name value` lines,
//! Linux's names for what Linux also counts, then UVM's own counters under
//! `uvm_` names) and `/proc/ferrite/uvmexp` (every counter Ferrite keeps,
//! NetBSD's uvmexp in spirit: what `vmstat -s` prints).
//!
//! The fault counters by UVM case (see `uvm/fault.rs`):
//!
//! | name | case |
//! |---|---|
//! | `uvm_fault_anon` | 1A: an anon's page mapped as it is |
//! | `uvm_fault_cow` | 1B and wiring's copy-now: an anon's page copied (copy-on-write) |
//! | `uvm_fault_object` | 2A: an object's page mapped |
//! | `uvm_fault_promote` | 2B: an object's page copied into a new anon |
//! | `uvm_fault_zero` | 2B: a new zero-filled anon |
//!
//! Everything is read without stopping the system: the figures of one
//! file are each exact but not taken at one instant.

use super::text::{Text, nomem};
use crate::kern::mem::pool_registry;
use crate::kern::proc::procinfo;
use crate::uvm::fault::STATS;
use crate::uvm::page::PageUse;
use crate::uvm::{amap, anon, physmem};
use core::fmt::Write;
use core::sync::atomic::Ordering;
use ferrite_abi::Errno;

/// The page and allocation figures, read once.
pub struct Counters {
    pub uvmexp: physmem::Uvmexp,
    pub managed: u64,
    pub free: u64,
    pub wired: u64,
    pub anon: u64,
    pub object: u64,
    pub page_tables: u64,
    pub pool_pages: u64,
    pub pool_empty: u64,
    pub pool_items: u64,
    pub kstack_pages: u64,
    pub kstack_cached: u64,
}

impl Counters {
    pub fn now() -> Counters {
        let u = physmem::stats();
        let (pool_pages, pool_items) = pool_registry::totals();
        let pool_empty = pool_registry::pools().map(|p| p.stats().empty_pages).sum();
        let kstack = crate::kern::sched::kstack::KSTACK_PAGES as u64;
        Counters {
            uvmexp: u,
            managed: u.managed(),
            free: u.free(),
            wired: u.wired(),
            anon: u.count(PageUse::Anon),
            object: u.count(PageUse::Object),
            page_tables: u.count(PageUse::PageTable),
            pool_pages,
            pool_empty,
            pool_items,
            kstack_pages: crate::kern::sched::sched::nlwps() as u64 * kstack,
            kstack_cached: crate::kern::sched::kstack::cached_pages(),
        }
    }

    /// Pages that could be had at once: free ones, empty pool pages and
    /// cached kernel stacks.
    pub fn available(&self) -> u64 {
        self.free + self.pool_empty + self.kstack_cached
    }
}

/// Wired mappings over all user address spaces (mlock'd pages).
pub fn user_wired_pages() -> u64 {
    let Ok(pids) = procinfo::pids() else {
        return 0;
    };
    pids.into_iter()
        .filter_map(procinfo::view)
        .filter_map(|v| v.vmspace)
        .map(|vs| vs.pmap.wired_count())
        .sum()
}

fn load(a: &core::sync::atomic::AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

/// `/proc/vmstat`.
pub fn generate(t: &mut Text) -> Result<(), Errno> {
    let c = Counters::now();
    let mlocked = user_wired_pages();
    let u = &c.uvmexp;
    let lines: &[(&str, u64)] = &[
        ("nr_free_pages", c.free),
        ("nr_zone_inactive_anon", 0),
        ("nr_zone_active_anon", c.anon),
        ("nr_zone_inactive_file", 0),
        ("nr_zone_active_file", c.object),
        ("nr_zone_unevictable", mlocked),
        ("nr_mlock", mlocked),
        ("nr_inactive_anon", 0),
        ("nr_active_anon", c.anon),
        ("nr_inactive_file", 0),
        ("nr_active_file", c.object),
        ("nr_unevictable", mlocked),
        ("nr_slab_reclaimable", c.pool_empty),
        (
            "nr_slab_unreclaimable",
            c.pool_pages - c.pool_empty.min(c.pool_pages),
        ),
        ("nr_anon_pages", c.anon),
        ("nr_file_pages", c.object),
        ("nr_kernel_stack", c.kstack_pages * 4),
        ("nr_page_table_pages", c.page_tables),
        ("pgpgin", 0),
        ("pgpgout", 0),
        ("pswpin", 0),
        ("pswpout", 0),
        ("pgalloc_normal", u.allocs),
        ("pgfree", u.frees),
        ("pgfault", load(&STATS.faults)),
        ("pgmajfault", 0),
        ("uvm_free_pages", c.free),
        ("uvm_wired_pages", c.wired),
        ("uvm_user_wired_pages", mlocked),
        ("uvm_faults", load(&STATS.faults)),
        ("uvm_fault_anon", load(&STATS.anon_maps)),
        ("uvm_fault_cow", load(&STATS.cow_copies)),
        ("uvm_fault_object", load(&STATS.object_maps)),
        ("uvm_fault_promote", load(&STATS.promotes)),
        ("uvm_fault_zero", load(&STATS.zero_fills)),
        ("uvm_cow_copies", load(&STATS.cow_copies)),
        ("uvm_zero_fills", load(&STATS.zero_fills)),
        ("uvm_forks", procinfo::forks()),
    ];
    for (name, v) in lines {
        writeln!(t, "{name} {v}").map_err(nomem)?;
    }
    Ok(())
}

/// `/proc/ferrite/uvmexp`: every counter, `name value`.
pub fn uvmexp(t: &mut Text) -> Result<(), Errno> {
    let c = Counters::now();
    let u = &c.uvmexp;
    let (pv_used, pv_pages) = crate::pmap::pv_stats();
    let nprocs = crate::kern::proc::ptable::lock().nprocs() as u64;
    let mut lines: alloc::vec::Vec<(&str, u64)> = alloc::vec::Vec::new();
    lines.try_reserve(64).map_err(|_| Errno::ENOMEM)?;
    lines.extend_from_slice(&[
        ("pagesize", crate::uvm::vmspace::PAGE),
        ("npages", u.npages),
        ("managed", c.managed),
        ("free", c.free),
        ("available", c.available()),
        ("wired", c.wired),
        ("pageable", u.pageable()),
        ("user_wired", user_wired_pages()),
    ]);
    // Pages by use but free (above), under their names ("kernel image" ->
    // pages_kernel_image).
    const USE_NAMES: [&str; PageUse::COUNT] = [
        "",
        "pages_reserved",
        "pages_kernel_image",
        "pages_boot",
        "pages_ramdisk",
        "pages_vm_page_array",
        "pages_heap",
        "pages_page_tables",
        "pages_pools",
        "pages_kernel",
        "pages_anon",
        "pages_object",
    ];
    for (usage, name) in PageUse::ALL.iter().zip(USE_NAMES) {
        if *usage != PageUse::Free {
            lines.push((name, u.count(*usage)));
        }
    }
    lines.extend_from_slice(&[
        ("page_allocs", u.allocs),
        ("page_frees", u.frees),
        ("page_alloc_failures", u.failures),
        ("page_waiters", physmem::page_waiters() as u64),
        ("faults", load(&STATS.faults)),
        ("fault_anon", load(&STATS.anon_maps)),
        ("fault_cow", load(&STATS.cow_copies)),
        ("fault_object", load(&STATS.object_maps)),
        ("fault_promote", load(&STATS.promotes)),
        ("fault_zero", load(&STATS.zero_fills)),
        ("fault_retries", load(&STATS.retries)),
        ("fault_refaults", load(&STATS.refaults)),
        ("needs_copy_shortcuts", load(&STATS.copy_shortcuts)),
        ("amap_chunk_copies", load(&STATS.chunked_copies)),
        ("forks", procinfo::forks()),
        ("procs", nprocs),
        ("lwps", crate::kern::sched::sched::nlwps() as u64),
        ("amaps", amap::count() as u64),
        ("anons", anon::count() as u64),
        ("pv_entries", pv_used),
        ("pv_pages", pv_pages as u64),
        ("pool_pages", c.pool_pages),
        ("pool_empty_pages", c.pool_empty),
        ("pool_items", c.pool_items),
        ("kstack_pages", c.kstack_pages),
        ("kstack_cached_pages", c.kstack_cached),
        ("page_table_pages", c.page_tables),
    ]);
    for (name, v) in lines {
        writeln!(t, "{name} {v}").map_err(nomem)?;
    }
    Ok(())
}
