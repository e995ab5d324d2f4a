//! Stacks that grow (NetBSD's uvm_grow, Linux's expand_stack): a map
//! entry flagged GROWS_DOWN (the main stack exec makes, mmap's
//! MAP_GROWSDOWN) grows down over a fault in the unmapped range just
//! below it, as long as
//! - it would stay within the stack limit (RLIMIT_STACK at the time of the
//!   fault, like Linux's acct_stack_growth), and
//! - it would stay at least the guard gap (256 pages, Linux's
//!   stack_guard_gap) above the entry below it, unless that one allows no
//!   access (a PROT_NONE guard) or is a stack itself.
//!
//! The new range takes the entry's attributes and merges with it (the
//! entry's amap is extended backwards: UVM's backward amap cases). Under
//! mlockall(MCL_FUTURE), or if the stack is locked, the new range is
//! locked too (its pages wired as they come in).

use super::map::{EntryFlags, MapRequest};
use super::vmspace::{FUTURE_NONE, PAGE, Vmspace};
use super::wiring::Populate;
use super::{Vaddr, VmProt};
use crate::kern::error::{KResult, KernError};

/// Unmapped room kept below a growing stack (Linux's stack_guard_gap).
pub const STACK_GUARD_GAP: u64 = 256 * PAGE;

/// The main stack's first size (Linux starts with 128 KiB plus the
/// arguments; a larger argument block grows it at once).
pub const STACK_INITIAL: u64 = 128 << 10;

impl Vmspace {
    /// Map the main stack below `top`: `STACK_INITIAL` (at most `max`)
    /// read-write bytes that grow down on demand.
    pub fn map_stack(&self, top: Vaddr, max: u64) -> KResult<Vaddr> {
        let size = STACK_INITIAL.min(max).max(PAGE);
        let mut req = MapRequest::anon(size, VmProt::READ | VmProt::WRITE).at(top - size);
        req.flags = EntryFlags::GROWS_DOWN;
        self.map(req)
    }

    /// Grow a stack down over the unmapped address `addr` if the entry
    /// just above it grows down and the rules allow it (see the module
    /// comment), `limit` being the stack size limit. True if it grew.
    pub fn grow_stack(&self, addr: Vaddr, limit: u64) -> KResult<bool> {
        let va = addr & !(PAGE - 1);
        let (below, above) = self.map.read().around(va);
        let Some(e) = above.filter(|e| e.flags.contains(EntryFlags::GROWS_DOWN) && e.start > va)
        else {
            return Ok(false);
        };
        // The stack's top: the end of the run of adjacent grow-down
        // entries it starts (Ferrite may have clipped what Linux keeps as
        // one area).
        let mut top = e.start;
        self.map
            .read()
            .entries_in(e.start, super::mmap::TASK_SIZE, |x| {
                if x.start != top || !x.flags.contains(EntryFlags::GROWS_DOWN) {
                    return false;
                }
                top = x.end;
                true
            });
        if top - va > limit {
            return Ok(false);
        }
        if let Some(b) = below
            && !b.flags.contains(EntryFlags::GROWS_DOWN)
            && !b.prot.is_empty()
            && va < b.end.saturating_add(STACK_GUARD_GAP)
        {
            return Ok(false);
        }
        let mut req = MapRequest::anon(e.start - va, e.prot).at(va);
        req.max_prot = e.max_prot;
        req.inherit = e.inherit;
        req.advice = e.advice;
        req.flags = EntryFlags::GROWS_DOWN;
        match self.map(req) {
            Ok(_) => {}
            // Mapped meanwhile: the fault is tried again.
            Err(KernError::NoSpace) => return Ok(true),
            Err(err) => return Err(err),
        }
        if e.is_locked() || self.future_lock() != FUTURE_NONE {
            let _ = self.mlock(va, e.start, Populate::OnFault, false);
        }
        Ok(true)
    }
}
