//! mremap(2) with Linux's semantics and errno values: shrinking (the tail
//! is unmapped), growing in place when the range after the mapping is
//! free, moving (MREMAP_MAYMOVE: the entries move with their amaps and
//! objects, no page is copied), to a given place (MREMAP_FIXED: whatever
//! is there is replaced), leaving the old range mapped and empty
//! (MREMAP_DONTUNMAP), and duplicating a shared mapping (an old length of
//! 0).
//!
//! "The mapping" at the old address is Linux's VMA: here the run of
//! entries from that address that agree in everything but their amaps
//! (Ferrite clips entries where Linux keeps one VMA, e.g. when a write
//! after fork copies a chunk of a large amap). The old range must lie in
//! one mapping (EFAULT). Every check, and finding the new place, comes
//! before the first change, so a failed call changes nothing (Linux may
//! already have unmapped the MREMAP_FIXED target or the tail).

use super::map::{Backing, EntryFlags, EntryInfo, MapRequest, ObjectRef};
use super::mmap::{TASK_SIZE, errno, round_len, vmspace};
use super::vmspace::{PAGE, Vmspace};
use super::wiring::Populate;
use super::{Vaddr, object};
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use alloc::vec::Vec;
use ferrite_abi::mman as m;

/// mremap(old, old_len, new_len, flags, new_addr)
pub fn sys_mremap(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (old, old_len, new_len, flags, new_addr) = (
        ctx.arg(0),
        ctx.arg(1),
        ctx.arg(2),
        ctx.arg(3) as i32,
        ctx.arg(4),
    );
    if flags & !(m::MREMAP_MAYMOVE | m::MREMAP_FIXED | m::MREMAP_DONTUNMAP) != 0 {
        return Err(Errno::EINVAL);
    }
    let may_move = flags & m::MREMAP_MAYMOVE != 0;
    let fixed = flags & m::MREMAP_FIXED != 0;
    let dontunmap = flags & m::MREMAP_DONTUNMAP != 0;
    if fixed && !may_move {
        return Err(Errno::EINVAL);
    }
    // DONTUNMAP always moves, and does not resize.
    if dontunmap && (!may_move || old_len != new_len) {
        return Err(Errno::EINVAL);
    }
    if old % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    let old_len = round_len(old_len).ok_or(Errno::EINVAL)?;
    let new_len = round_len(new_len).unwrap_or(0);
    if new_len == 0 || new_len > TASK_SIZE || old_len > TASK_SIZE {
        return Err(Errno::EINVAL);
    }
    if fixed {
        if new_addr % PAGE != 0 || new_addr > TASK_SIZE - new_len {
            return Err(Errno::EINVAL);
        }
        if old + old_len > new_addr && new_addr + new_len > old {
            return Err(Errno::EINVAL);
        }
    }
    let vs = vmspace()?;
    let first = vs.map.lookup(old).ok_or(Errno::EFAULT)?;
    if old_len == 0 {
        return duplicate(
            &vs,
            &first,
            old,
            new_len,
            fixed.then_some(new_addr),
            may_move,
        );
    }

    // The old range, which must lie within one mapping.
    let run = mapping_at(&vs, old);
    let run_end = run.last().map_or(old, |e| e.end);
    let old_end = old.checked_add(old_len).ok_or(Errno::EFAULT)?;

    // Shrinking in place (without FIXED or DONTUNMAP): just the tail goes.
    // Linux does not even ask that the tail be mapped.
    if !fixed && !dontunmap && new_len <= old_len {
        if new_len < old_len {
            vs.unmap(old + new_len, old_end).map_err(errno)?;
        }
        return Ok(old as usize);
    }
    let keep = old_len.min(new_len);
    if old + keep > run_end {
        return Err(Errno::EFAULT);
    }
    let last = *run
        .iter()
        .rfind(|e| e.start < old + keep)
        .ok_or(Errno::EFAULT)?;
    let grow = new_len.saturating_sub(old_len);
    if grow > 0 {
        if last.is_locked() {
            super::mlock::future_lock_ok(&vs, grow)?;
        }
        // Growing needs the old range to reach the end of the mapping.
        if old_len != run_end - old && !may_move {
            return Err(Errno::ENOMEM);
        }
    }

    // Growing in place, when the room after the mapping is free.
    if !fixed && !dontunmap && old_end == run_end && vs.is_free(old_end, old + new_len) {
        grow_after(&vs, &last, old_end, grow)?;
        return Ok(old as usize);
    }
    if !may_move {
        return Err(Errno::ENOMEM);
    }

    // Moving: find the place first, then change things.
    let dest = if fixed {
        new_addr
    } else {
        let layout = vs.map.layout().ok_or(Errno::EINVAL)?;
        vs.map
            .findspace(new_len, 0, Some(layout.default_addr(new_len, true)), true)
            .ok_or(Errno::ENOMEM)?
    };
    if fixed {
        vs.unmap(dest, dest + new_len).map_err(errno)?;
    }
    if keep < old_len {
        vs.unmap(old + keep, old_end).map_err(errno)?;
    }
    vs.move_range(old, keep, dest).map_err(errno)?;
    if dontunmap {
        leave_empty(&vs, &run, old, keep)?;
    }
    if grow > 0 {
        let moved = vs.map.lookup(dest + keep - PAGE).ok_or(Errno::EFAULT)?;
        grow_after(&vs, &moved, dest + keep, grow)?;
    }
    Ok(dest as usize)
}

/// The entries of the mapping containing `addr`, from the one containing
/// it on: a run of adjacent entries agreeing in everything but their
/// amaps (their objects, if any, continuing each other).
fn mapping_at(vs: &Vmspace, addr: Vaddr) -> Vec<EntryInfo> {
    let mut run: Vec<EntryInfo> = Vec::new();
    vs.map.read().entries_in(addr, super::mmap::TASK_SIZE, |e| {
        if let Some(p) = run.last()
            && !(p.end == e.start && continues(p, e))
        {
            return false;
        }
        run.push(*e);
        true
    });
    run
}

/// Whether `e` continues the mapping of `p` (the entry before it).
fn continues(p: &EntryInfo, e: &EntryInfo) -> bool {
    let same_obj = match (p.backing.object, e.backing.object) {
        (None, None) => true,
        (Some(a), Some(b)) => a.object == b.object && a.offset + p.len() == b.offset,
        _ => false,
    };
    let flags = |f: EntryFlags| f - EntryFlags::NEEDS_COPY;
    same_obj
        && p.prot == e.prot
        && p.max_prot == e.max_prot
        && p.inherit == e.inherit
        && p.is_locked() == e.is_locked()
        && flags(p.flags) == flags(e.flags)
}

/// Extend the mapping whose last entry is `e` by `more` bytes at `at`
/// (its end): anonymous memory gets more zero-fill, a file mapping maps
/// more of the file. Shared anonymous memory keeps its object's size, as
/// Linux keeps its shmem file's: the grown part faults with SIGBUS, like
/// a file mapping past the end of its file. A locked mapping's new part is
/// locked too.
fn grow_after(vs: &Vmspace, e: &EntryInfo, at: Vaddr, more: u64) -> Result<(), Errno> {
    let mut req = MapRequest::anon(more, e.prot).at(at);
    req.max_prot = e.max_prot;
    req.inherit = e.inherit;
    req.advice = e.advice;
    req.flags = e.flags - EntryFlags::NEEDS_COPY - EntryFlags::USER_WIRED;
    if let Some(o) = e.backing.object {
        req.merge = false;
        let offset = o.offset + (at - e.start);
        object::add_ref(o.object);
        req.backing = Backing {
            amap: None,
            object: Some(ObjectRef {
                object: o.object,
                offset,
            }),
        };
    }
    let r = vs.map(req);
    if r.is_err()
        && let Some(o) = req.backing.object
    {
        object::drop_ref(o.object);
    }
    r.map_err(errno)?;
    if e.is_locked() {
        // Like mm_populate after a locked mapping grew: failures are not
        // the call's.
        let _ = vs.mlock(at, at + more, Populate::Now, false);
    }
    Ok(())
}

/// MREMAP_DONTUNMAP: the old range `[old, old + len)` (whose entries were
/// `run`) is mapped again, empty: anonymous memory reads zeroes, a file
/// mapping shows the file. It is not locked any more.
fn leave_empty(vs: &Vmspace, run: &[EntryInfo], old: Vaddr, len: u64) -> Result<(), Errno> {
    for e in run {
        let s = e.start.max(old);
        let en = e.end.min(old + len);
        if s >= en {
            continue;
        }
        let mut req = MapRequest::anon(en - s, e.prot).at(s);
        req.max_prot = e.max_prot;
        req.inherit = e.inherit;
        req.advice = e.advice;
        req.flags = e.flags - EntryFlags::NEEDS_COPY - EntryFlags::USER_WIRED;
        req.merge = false;
        if let Some(o) = e.backing.object {
            object::add_ref(o.object);
            req.backing = Backing {
                amap: None,
                object: Some(ObjectRef {
                    object: o.object,
                    offset: o.offset + (s - e.start),
                }),
            };
        }
        if let Err(err) = vs.map(req) {
            if let Some(o) = req.backing.object {
                object::drop_ref(o.object);
            }
            return Err(errno(err));
        }
    }
    Ok(())
}

/// An old length of 0: a second mapping of the same shared pages (Linux
/// allows it for shared mappings only), placed like a move.
fn duplicate(
    vs: &Vmspace,
    e: &EntryInfo,
    old: Vaddr,
    new_len: u64,
    fixed: Option<Vaddr>,
    may_move: bool,
) -> SysResult {
    let Some(o) = e.backing.object.filter(|_| e.is_shared_mapping()) else {
        return Err(Errno::EINVAL);
    };
    if !may_move {
        return Err(Errno::ENOMEM);
    }
    let mut req = MapRequest::anon(new_len, e.prot);
    req.max_prot = e.max_prot;
    req.inherit = e.inherit;
    req.advice = e.advice;
    req.flags = e.flags - EntryFlags::USER_WIRED;
    req.merge = false;
    req.backing = Backing {
        amap: None,
        object: Some(ObjectRef {
            object: o.object,
            offset: o.offset + (old - e.start),
        }),
    };
    object::add_ref(o.object);
    let r = match fixed {
        Some(at) => {
            req.hint = Some(at);
            vs.map_replace(req)
        }
        None => vs.map(req),
    };
    match r {
        Ok(a) => Ok(a as usize),
        Err(err) => {
            object::drop_ref(o.object);
            Err(errno(err))
        }
    }
}
