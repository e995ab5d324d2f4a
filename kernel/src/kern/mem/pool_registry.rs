//! The list of every pool in use, for `vmstat -m`-style reports, leak
//! checks and draining. Pools register themselves on first use; the table
//! is fixed-size so registering never allocates.

use super::pool::{Pool, PoolStats};
use core::fmt::{self, Write};
use spin::Mutex;

const MAX_POOLS: usize = 128;

static POOLS: Mutex<([Option<&'static Pool>; MAX_POOLS], usize)> =
    Mutex::new(([None; MAX_POOLS], 0));

pub fn register(pool: &'static Pool) {
    x86_64::instructions::interrupts::without_interrupts(|| {
        let mut t = POOLS.lock();
        let n = t.1;
        assert!(n < MAX_POOLS, "too many pools");
        t.0[n] = Some(pool);
        t.1 += 1;
    });
}

/// Every registered pool, in registration order.
pub fn pools() -> impl Iterator<Item = &'static Pool> {
    let (table, n) = x86_64::instructions::interrupts::without_interrupts(|| *POOLS.lock());
    (0..n).filter_map(move |i| table[i])
}

/// Totals over all pools: (pages held, items in use). Items of the header
/// pool are not counted: they belong to pages other pools hold, cached
/// empty pages included, and come and go with them.
pub fn totals() -> (u64, u64) {
    let header_pool: *const Pool = &super::pool_allocator::HEADER_POOL;
    pools().fold((0, 0), |(pages, used), p| {
        let s = p.stats();
        let items = if core::ptr::eq(p, header_pool) {
            0
        } else {
            s.in_use
        };
        (pages + s.pages, used + items)
    })
}

/// Write a `vmstat -m`-like table of every pool.
pub fn report(out: &mut dyn Write) -> fmt::Result {
    writeln!(
        out,
        "{:<16} {:>6} {:>10} {:>6} {:>10} {:>6} {:>6} {:>8} {:>6}  Backend",
        "Name", "Size", "Requests", "Fail", "Releases", "Pages", "HiWat", "InUse", "Empty"
    )?;
    for p in pools() {
        let PoolStats {
            gets,
            puts,
            failures,
            pages,
            high_water,
            in_use,
            empty_pages,
            ..
        } = p.stats();
        writeln!(
            out,
            "{:<16} {:>6} {:>10} {:>6} {:>10} {:>6} {:>6} {:>8} {:>6}  {}",
            p.name(),
            p.size(),
            gets,
            failures,
            puts,
            pages,
            high_water,
            in_use,
            empty_pages,
            p.allocator_name()
        )?;
    }
    Ok(())
}
