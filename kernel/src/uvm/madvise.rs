//! madvise(2) with Linux's advice values, and Ferrite's minherit(2)
//! (NetBSD's, as private system call 1000).
//!
//! Advice and what it does here:
//! - NORMAL, RANDOM, SEQUENTIAL, WILLNEED: stored as the entries' advice
//!   (fault-around may use it; the pages are not read ahead).
//! - DONTNEED, FREE: the pages go (`Vmspace::dontneed`): private
//!   anonymous memory reads back as zeroes, a private file mapping shows
//!   the file again, shared memory keeps its data. FREE is done at once
//!   (Linux may keep the pages until memory is short; reading either
//!   the old data or zeroes is what a program may expect) and only
//!   applies to private anonymous memory. Locked ranges are refused
//!   (EINVAL), except with DONTNEED_LOCKED.
//! - REMOVE: frees shared anonymous memory's pages (they read back as
//!   zeroes in every mapping); EINVAL for private anonymous memory,
//!   EACCES for a mapping that is not shared and writable, EOPNOTSUPP
//!   for files (the RAM file system punches no holes).
//! - DONTFORK / DOFORK / WIPEONFORK / KEEPONFORK: the inheritance at fork,
//!   UVM's none / (back to) copy or share / zero / (back to) copy. WIPEONFORK
//!   applies to private anonymous memory only (EINVAL otherwise); DOFORK
//!   undoes DONTFORK only, KEEPONFORK undoes WIPEONFORK only.
//! - POPULATE_READ / POPULATE_WRITE: fault the pages in (EINVAL where the
//!   protection does not allow the access, EFAULT past the end of a file).
//! - COLD, PAGEOUT (EINVAL on locked ranges), MERGEABLE, UNMERGEABLE,
//!   HUGEPAGE, NOHUGEPAGE, DONTDUMP, DODUMP: accepted, nothing to do.
//! - Anything else (COLLAPSE: no transparent huge pages; HWPOISON and
//!   SOFT_OFFLINE: no memory-failure handling; unknown values): EINVAL.
//!
//! As in Linux, the advice is checked first, then the range; a hole in the
//! range does not stop the advice for the mapped parts, but the call then
//! fails with ENOMEM. Errors of one entry (a locked range, a wrong kind of
//! mapping) are found before anything changes.

use super::map::{Advice, EntryInfo, Inherit};
use super::mmap::{TASK_SIZE, errno, round_len, vmspace};
use super::vmspace::{PAGE, Vmspace};
use super::wiring::Inaccessible;
use super::{Vaddr, VmProt};
use crate::kern::error::KernError;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use alloc::vec::Vec;
use ferrite_abi::mman as m;

/// Ferrite's minherit(2): NetBSD's inheritance values directly.
pub const SYS_FERRITE_MINHERIT: u64 = 1000;
/// minherit values (NetBSD's).
pub const MAP_INHERIT_SHARE: i32 = 0;
pub const MAP_INHERIT_COPY: i32 = 1;
pub const MAP_INHERIT_NONE: i32 = 2;
pub const MAP_INHERIT_ZERO: i32 = 4;

/// The advice values madvise takes.
fn known(advice: i32) -> bool {
    matches!(
        advice,
        m::MADV_NORMAL
            | m::MADV_RANDOM
            | m::MADV_SEQUENTIAL
            | m::MADV_WILLNEED
            | m::MADV_DONTNEED
            | m::MADV_FREE
            | m::MADV_REMOVE
            | m::MADV_DONTFORK
            | m::MADV_DOFORK
            | m::MADV_MERGEABLE
            | m::MADV_UNMERGEABLE
            | m::MADV_HUGEPAGE
            | m::MADV_NOHUGEPAGE
            | m::MADV_DONTDUMP
            | m::MADV_DODUMP
            | m::MADV_WIPEONFORK
            | m::MADV_KEEPONFORK
            | m::MADV_COLD
            | m::MADV_PAGEOUT
            | m::MADV_POPULATE_READ
            | m::MADV_POPULATE_WRITE
            | m::MADV_DONTNEED_LOCKED
    )
}

/// madvise(addr, len, advice)
pub fn sys_madvise(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (start, len_in, advice) = (ctx.arg(0), ctx.arg(1), ctx.arg(2) as i32);
    if !known(advice) || start % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    let len = round_len(len_in).ok_or(Errno::EINVAL)?;
    let end = start.checked_add(len).ok_or(Errno::EINVAL)?;
    if end == start {
        return Ok(0);
    }
    if start >= TASK_SIZE {
        return Err(Errno::ENOMEM);
    }
    let end = end.min(TASK_SIZE);
    let vs = vmspace()?;

    // The mapped parts, and whether there was a hole.
    let mut parts: Vec<EntryInfo> = Vec::new();
    let mut at = start;
    let mut hole = false;
    vs.map.read().entries_in(start, end, |e| {
        hole |= e.start > at;
        parts.push(*e);
        at = e.end;
        true
    });
    hole |= at < end;

    // What each kind of advice refuses, before anything changes.
    for e in &parts {
        refuse(e, advice)?;
    }
    for e in &parts {
        let (s, en) = (e.start.max(start), e.end.min(end));
        apply(&vs, s, en, e, advice)?;
    }
    if hole { Err(Errno::ENOMEM) } else { Ok(0) }
}

/// The error `advice` gets for the entry `e`, if any.
fn refuse(e: &EntryInfo, advice: i32) -> Result<(), Errno> {
    let locked = e.wired_count > 0;
    match advice {
        m::MADV_DONTNEED | m::MADV_COLD | m::MADV_PAGEOUT if locked => Err(Errno::EINVAL),
        m::MADV_FREE if locked || !e.is_private_anon() => Err(Errno::EINVAL),
        m::MADV_WIPEONFORK if !e.is_private_anon() => Err(Errno::EINVAL),
        m::MADV_REMOVE if locked || e.is_private_anon() => Err(Errno::EINVAL),
        m::MADV_REMOVE if !e.is_shared_mapping() || !e.prot.contains(VmProt::WRITE) => {
            Err(Errno::EACCES)
        }
        m::MADV_REMOVE
            if !e
                .backing
                .object
                .is_some_and(|o| super::object::is_shared_memory(o.object)) =>
        {
            Err(Errno::EOPNOTSUPP)
        }
        m::MADV_POPULATE_READ if e.prot.effective().is_empty() => Err(Errno::EINVAL),
        m::MADV_POPULATE_WRITE if !e.prot.contains(VmProt::WRITE) => Err(Errno::EINVAL),
        _ => Ok(()),
    }
}

/// Apply `advice` to `[s, en)`, part of the entry `e`.
fn apply(vs: &Vmspace, s: Vaddr, en: Vaddr, e: &EntryInfo, advice: i32) -> Result<(), Errno> {
    let r = match advice {
        m::MADV_NORMAL => vs.map.advise(s, en, Advice::Normal),
        m::MADV_RANDOM => vs.map.advise(s, en, Advice::Random),
        m::MADV_SEQUENTIAL => vs.map.advise(s, en, Advice::Sequential),
        m::MADV_WILLNEED => vs.map.advise(s, en, Advice::WillNeed),
        m::MADV_DONTNEED | m::MADV_DONTNEED_LOCKED | m::MADV_FREE => vs.dontneed(s, en),
        m::MADV_REMOVE => vs.remove_shared_pages(s, en),
        m::MADV_DONTFORK => vs.map.inherit(s, en, Inherit::None),
        m::MADV_DOFORK if e.inherit == Inherit::None => vs.map.inherit(s, en, e.natural_inherit()),
        m::MADV_WIPEONFORK => vs.map.inherit(s, en, Inherit::Zero),
        m::MADV_KEEPONFORK if e.inherit == Inherit::Zero => {
            vs.map.inherit(s, en, e.natural_inherit())
        }
        m::MADV_POPULATE_READ | m::MADV_POPULATE_WRITE => {
            let access = if advice == m::MADV_POPULATE_WRITE {
                VmProt::WRITE
            } else {
                VmProt::READ
            };
            return populate(vs, s, en, access);
        }
        _ => Ok(()),
    };
    r.map_err(errno)
}

/// MADV_POPULATE_*: fault every page of `[s, en)` for `access`.
fn populate(vs: &Vmspace, s: Vaddr, en: Vaddr, access: VmProt) -> Result<(), Errno> {
    if access == VmProt::READ {
        return vs
            .populate(s, en, false, Inaccessible::Refuse)
            .map_err(populate_errno);
    }
    let mut va = s;
    while va < en {
        super::fault::fault(vs, va, access, false).map_err(populate_errno)?;
        va += PAGE;
    }
    Ok(())
}

fn populate_errno(e: KernError) -> Errno {
    match e {
        KernError::Io => Errno::EFAULT,
        KernError::Access => Errno::EINVAL,
        KernError::Fault => Errno::ENOMEM,
        e => errno(e),
    }
}

/// minherit(addr, len, inherit) (Ferrite only: NetBSD's values). EINVAL
/// for an unaligned address, an unknown value or a range not wholly mapped.
pub fn sys_minherit(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (start, len) = (ctx.arg(0), ctx.arg(1));
    if start % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    let end = round_len(len)
        .and_then(|l| start.checked_add(l))
        .filter(|&e| e <= TASK_SIZE)
        .ok_or(Errno::EINVAL)?;
    let inherit = match ctx.arg(2) as i32 {
        MAP_INHERIT_SHARE => Inherit::Share,
        MAP_INHERIT_COPY => Inherit::Copy,
        MAP_INHERIT_NONE => Inherit::None,
        MAP_INHERIT_ZERO => Inherit::Zero,
        _ => return Err(Errno::EINVAL),
    };
    if start == end {
        return Ok(0);
    }
    let vs = vmspace()?;
    if !vs.is_mapped(start, end) {
        return Err(Errno::EINVAL);
    }
    vs.map.inherit(start, end, inherit).map_err(errno)?;
    Ok(0)
}
