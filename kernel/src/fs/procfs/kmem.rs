//! The kernel-memory tables `vmstat -m` prints: `/proc/ferrite/pools`
//! (every pool, NetBSD's `vmstat -m` pool table with the page lists) and
//! `/proc/ferrite/malloc` (every malloc type). One header line starting
//! with `#` names the columns; then one line per pool or type, columns
//! separated by spaces (names never hold one).

use super::text::{Text, nomem};
use crate::kern::mem::{malloc, pool_registry};
use core::fmt::Write;
use ferrite_abi::Errno;

/// `/proc/ferrite/pools`.
pub fn pools(t: &mut Text) -> Result<(), Errno> {
    writeln!(
        t,
        "# name size perpage inuse pages hiwat gets puts fails pagealloc pagefree empty partial full backend"
    )
    .map_err(nomem)?;
    for p in pool_registry::pools() {
        let s = p.stats();
        writeln!(
            t,
            "{} {} {} {} {} {} {} {} {} {} {} {} {} {} {}",
            p.name(),
            p.size(),
            p.items_per_page(),
            s.in_use,
            s.pages,
            s.high_water,
            s.gets,
            s.puts,
            s.failures,
            s.page_allocs,
            s.page_frees,
            s.empty_pages,
            s.partial_pages,
            s.full_pages,
            p.allocator_name()
        )
        .map_err(nomem)?;
    }
    Ok(())
}

/// `/proc/ferrite/malloc`.
pub fn malloc(t: &mut Text) -> Result<(), Errno> {
    writeln!(t, "# type inuse highuse limit requests fails").map_err(nomem)?;
    for ty in malloc::types() {
        let s = ty.stats();
        writeln!(
            t,
            "{} {} {} {} {} {}",
            ty.name, s.in_use, s.high_water, s.limit, s.requests, s.failures
        )
        .map_err(nomem)?;
    }
    Ok(())
}
