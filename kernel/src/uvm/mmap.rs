//! The VM system calls (NetBSD's uvm_mmap.c): mmap, munmap, mprotect,
//! madvise, minherit, brk, mremap, the mlock family, mincore and msync,
//! with Linux's arguments, semantics and errno values.
//!
//! - mmap: anonymous private memory (zero-fill on demand, amaps created on
//!   first fault), shared anonymous memory (an anonymous object, inherited
//!   shared across fork), private file mappings (copy-on-write over the
//!   file's object) and shared ones (writes reach the file's pages, so
//!   read(2) and other mappings see them). MAP_FIXED replaces what was
//!   there as one change (`Vmspace::map_replace`); MAP_FIXED_NOREPLACE
//!   fails with EEXIST instead; a hint is honoured when its range is free
//!   and never clobbers; without one, mappings go topdown below the stack.
//!   MAP_POPULATE faults the pages in, MAP_LOCKED locks them; MAP_STACK,
//!   MAP_GROWSDOWN, MAP_NORESERVE and friends are accepted. Write implies
//!   read on x86; execute is enforced through NX.
//! - Every call validates everything before it changes anything, so a
//!   failed call leaves the address space as it was.

use super::map::{Advice, Backing, EntryFlags, Inherit, MapRequest, ObjectRef};
use super::vmspace::{PAGE, Vmspace};
use super::{Vaddr, VmProt, object};
use crate::arch::x86_64::usermode::USER_END;
use crate::kern::error::KernError;
use crate::kern::syscall::trace::Arg;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use alloc::sync::Arc;
use alloc::vec;
use core::sync::atomic::Ordering;
use ferrite_abi::mman as m;
use ferrite_abi::resource::RLIMIT_MEMLOCK;
use ferrite_abi::syscall as nr;

/// Ferrite's minherit(2), NetBSD's inheritance values directly.
pub const SYS_FERRITE_MINHERIT: u64 = 1000;
/// minherit values (NetBSD's).
pub const MAP_INHERIT_SHARE: i32 = 0;
pub const MAP_INHERIT_COPY: i32 = 1;
pub const MAP_INHERIT_NONE: i32 = 2;
pub const MAP_INHERIT_ZERO: i32 = 4;

pub const SYSCALLS: crate::kern::syscall::table::SysList = &[
    crate::sys!(
        nr::SYS_mmap,
        "mmap",
        sys_mmap,
        [
            Arg::Hex,
            Arg::Hex,
            Arg::Prot,
            Arg::MapFlags,
            Arg::Fd,
            Arg::Hex
        ]
    ),
    crate::sys!(nr::SYS_munmap, "munmap", sys_munmap, [Arg::Hex, Arg::Hex]),
    crate::sys!(
        nr::SYS_mprotect,
        "mprotect",
        sys_mprotect,
        [Arg::Hex, Arg::Hex, Arg::Prot]
    ),
    crate::sys!(
        nr::SYS_madvise,
        "madvise",
        sys_madvise,
        [Arg::Hex, Arg::Hex, Arg::Int]
    ),
    crate::sys!(
        SYS_FERRITE_MINHERIT,
        "minherit",
        sys_minherit,
        [Arg::Hex, Arg::Hex, Arg::Int]
    ),
    crate::sys!(nr::SYS_brk, "brk", sys_brk, [Arg::Hex]),
    crate::sys!(
        nr::SYS_mremap,
        "mremap",
        sys_mremap,
        [Arg::Hex, Arg::Hex, Arg::Hex, Arg::Int, Arg::Hex]
    ),
    crate::sys!(nr::SYS_mlock, "mlock", sys_mlock, [Arg::Hex, Arg::Hex]),
    crate::sys!(
        nr::SYS_mlock2,
        "mlock2",
        sys_mlock2,
        [Arg::Hex, Arg::Hex, Arg::Int]
    ),
    crate::sys!(
        nr::SYS_munlock,
        "munlock",
        sys_munlock,
        [Arg::Hex, Arg::Hex]
    ),
    crate::sys!(nr::SYS_mlockall, "mlockall", sys_mlockall, [Arg::Int]),
    crate::sys!(nr::SYS_munlockall, "munlockall", sys_munlockall, []),
    crate::sys!(
        nr::SYS_mincore,
        "mincore",
        sys_mincore,
        [Arg::Hex, Arg::Hex, Arg::Hex]
    ),
    crate::sys!(
        nr::SYS_msync,
        "msync",
        sys_msync,
        [Arg::Hex, Arg::Hex, Arg::Int]
    ),
];

fn vmspace() -> Result<Arc<Vmspace>, Errno> {
    crate::kern::sched::curlwp().vmspace().ok_or(Errno::EINVAL)
}

fn errno(e: KernError) -> Errno {
    match e {
        KernError::NoMem | KernError::NoSpace => Errno::ENOMEM,
        KernError::Access => Errno::EACCES,
        KernError::Fault => Errno::EFAULT,
        KernError::Io => Errno::EIO,
        KernError::Inval => Errno::EINVAL,
    }
}

/// PROT_* to VmProt (write implies read on x86). EINVAL for unknown bits.
fn prot_of(prot: i32) -> Result<VmProt, Errno> {
    if prot & !(m::PROT_READ | m::PROT_WRITE | m::PROT_EXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let mut p = VmProt::empty();
    if prot & m::PROT_READ != 0 {
        p |= VmProt::READ;
    }
    if prot & m::PROT_WRITE != 0 {
        p |= VmProt::WRITE | VmProt::READ;
    }
    if prot & m::PROT_EXEC != 0 {
        p |= VmProt::EXECUTE;
    }
    Ok(p)
}

/// Page-align a length, or ENOMEM if it would wrap.
fn round_len(len: u64) -> Result<u64, Errno> {
    len.checked_add(PAGE - 1)
        .map(|l| l & !(PAGE - 1))
        .ok_or(Errno::ENOMEM)
}

/// A page-aligned user range `[addr, addr + len)` for munmap/mprotect/...:
/// EINVAL for an unaligned address, `out` for a range leaving the user half.
fn user_range(addr: u64, len: u64, out: Errno) -> Result<(Vaddr, Vaddr), Errno> {
    if addr % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    let len = round_len(len)?;
    let end = addr.checked_add(len).ok_or(out)?;
    if end > USER_END {
        return Err(out);
    }
    Ok((addr, end))
}

/// What a new mapping is backed by.
enum Source {
    Anon,
    SharedAnon,
    File { obj: object::ObjRef, offset: u64 },
}

/// mmap(addr, len, prot, flags, fd, offset)
pub fn sys_mmap(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (addr, len, prot, flags, fd, off) = (
        ctx.arg(0),
        ctx.arg(1),
        ctx.arg(2) as i32,
        ctx.arg(3) as i32,
        ctx.arg(4) as i32,
        ctx.arg(5),
    );
    let known = m::MAP_TYPE
        | m::MAP_FIXED
        | m::MAP_ANONYMOUS
        | m::MAP_32BIT
        | m::MAP_GROWSDOWN
        | m::MAP_DENYWRITE
        | m::MAP_EXECUTABLE
        | m::MAP_LOCKED
        | m::MAP_NORESERVE
        | m::MAP_POPULATE
        | m::MAP_NONBLOCK
        | m::MAP_STACK
        | m::MAP_HUGETLB
        | m::MAP_SYNC
        | m::MAP_FIXED_NOREPLACE
        | m::MAP_UNINITIALIZED;
    let kind = flags & m::MAP_TYPE;
    let shared = match kind {
        m::MAP_SHARED => true,
        m::MAP_PRIVATE => false,
        m::MAP_SHARED_VALIDATE => {
            if flags & !known != 0 {
                return Err(Errno::EOPNOTSUPP);
            }
            true
        }
        _ => return Err(Errno::EINVAL),
    };
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    let len = round_len(len)?;
    if len > USER_END {
        // More than the user half holds (Linux: TASK_SIZE).
        return Err(Errno::ENOMEM);
    }
    if off % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & m::MAP_HUGETLB != 0 {
        return Err(Errno::EINVAL);
    }
    let vprot = prot_of(prot)?;
    let fixed = flags & m::MAP_FIXED != 0;
    let noreplace = flags & m::MAP_FIXED_NOREPLACE != 0;
    if (fixed || noreplace) && addr % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    if (fixed || noreplace) && addr.checked_add(len).is_none_or(|e| e > USER_END) {
        return Err(Errno::ENOMEM);
    }

    let source = if flags & m::MAP_ANONYMOUS != 0 {
        if shared {
            Source::SharedAnon
        } else {
            Source::Anon
        }
    } else {
        let file = crate::kern::proc::curproc().files.lock().get(fd)?;
        let vn = file.vnode().ok_or(Errno::ENODEV)?.clone();
        if !file.readable() {
            return Err(Errno::EACCES);
        }
        if shared && prot & m::PROT_WRITE != 0 && !file.writable() {
            return Err(Errno::EACCES);
        }
        match vn.object() {
            Some(obj) => Source::File { obj, offset: off },
            // A device without pages (/dev/zero): anonymous memory.
            None if vn.is_zero_device() => {
                if shared {
                    Source::SharedAnon
                } else {
                    Source::Anon
                }
            }
            None => return Err(Errno::ENODEV),
        }
    };
    if let Source::File { offset, .. } = source
        && offset.checked_add(len).is_none()
    {
        return Err(Errno::EOVERFLOW);
    }

    let vs = vmspace()?;
    let mut req = MapRequest::anon(len, vprot);
    req.max_prot = VmProt::ALL;
    req.merge = matches!(source, Source::Anon);
    match source {
        Source::Anon => {}
        Source::SharedAnon => {
            let obj = object::aobj_create(len).map_err(errno)?;
            req.backing = Backing {
                amap: None,
                object: Some(ObjectRef {
                    object: obj,
                    offset: 0,
                }),
            };
            req.inherit = Inherit::Share;
        }
        Source::File { obj, offset } => {
            object::add_ref(obj);
            req.backing = Backing {
                amap: None,
                object: Some(ObjectRef {
                    object: obj,
                    offset,
                }),
            };
            if shared {
                req.inherit = Inherit::Share;
            } else {
                req.flags = EntryFlags::COPY_ON_WRITE;
            }
        }
    }
    let drop_backing = |req: &MapRequest| {
        if let Some(o) = req.backing.object {
            object::drop_ref(o.object);
        }
    };
    let result = if noreplace {
        if !vs.is_free(addr, addr + len) {
            drop_backing(&req);
            return Err(Errno::EEXIST);
        }
        vs.map(req.at(addr))
    } else if fixed {
        req.hint = Some(addr);
        vs.map_replace(req)
    } else {
        // A hint is taken only where the whole range is free.
        let hinted = addr != 0
            && addr % PAGE == 0
            && addr.checked_add(len).is_some_and(|e| e <= USER_END)
            && vs.is_free(addr, addr + len);
        if hinted {
            vs.map(req.at(addr))
        } else {
            vs.map(req)
        }
    };
    let at = match result {
        Ok(a) => a,
        Err(e) => {
            drop_backing(&req);
            return Err(errno(e));
        }
    };
    // Lock (MAP_LOCKED, mlockall(MCL_FUTURE)) or prefault (MAP_POPULATE).
    let lock = flags & m::MAP_LOCKED != 0 || vs.lock_future.load(Ordering::Relaxed);
    if lock {
        if let Err(e) = check_memlock(&vs, at, at + len) {
            if flags & m::MAP_LOCKED != 0 {
                let _ = vs.unmap(at, at + len);
                return Err(e);
            }
        } else {
            let _ = vs.mlock(at, at + len);
        }
    } else if flags & m::MAP_POPULATE != 0 && !vprot.is_empty() {
        let access = if vprot.contains(VmProt::WRITE) && !shared {
            VmProt::WRITE
        } else {
            VmProt::READ
        };
        let mut va = at;
        while va < at + len {
            if super::fault::fault(&vs, va, access, false).is_err() {
                break;
            }
            va += PAGE;
        }
    }
    Ok(at as usize)
}

/// munmap(addr, len)
pub fn sys_munmap(ctx: &mut SyscallCtx<'_>) -> SysResult {
    if ctx.arg(1) == 0 {
        return Err(Errno::EINVAL);
    }
    let (start, end) = user_range(ctx.arg(0), ctx.arg(1), Errno::EINVAL)?;
    vmspace()?.unmap(start, end).map_err(errno)?;
    Ok(0)
}

/// mprotect(addr, len, prot)
pub fn sys_mprotect(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let prot = ctx.arg(2) as i32;
    let (start, end) = user_range(ctx.arg(0), ctx.arg(1), Errno::ENOMEM)?;
    if prot & (m::PROT_GROWSDOWN | m::PROT_GROWSUP) != 0 {
        return Err(Errno::EINVAL);
    }
    let p = prot_of(prot)?;
    if start == end {
        return Ok(0);
    }
    let vs = vmspace()?;
    if !vs.is_mapped(start, end) {
        return Err(Errno::ENOMEM);
    }
    vs.protect(start, end, p).map_err(errno)?;
    Ok(0)
}

/// madvise(addr, len, advice)
pub fn sys_madvise(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let advice = ctx.arg(2) as i32;
    let (start, end) = user_range(ctx.arg(0), ctx.arg(1), Errno::EINVAL)?;
    let known = matches!(
        advice,
        m::MADV_NORMAL
            | m::MADV_RANDOM
            | m::MADV_SEQUENTIAL
            | m::MADV_WILLNEED
            | m::MADV_DONTNEED
            | m::MADV_FREE
            | m::MADV_DONTFORK
            | m::MADV_DOFORK
            | m::MADV_WIPEONFORK
            | m::MADV_KEEPONFORK
            | m::MADV_MERGEABLE
            | m::MADV_UNMERGEABLE
            | m::MADV_HUGEPAGE
            | m::MADV_NOHUGEPAGE
            | m::MADV_DONTDUMP
            | m::MADV_DODUMP
            | m::MADV_COLD
            | m::MADV_PAGEOUT
    );
    if !known {
        return Err(Errno::EINVAL);
    }
    if start == end {
        return Ok(0);
    }
    let vs = vmspace()?;
    if !vs.is_mapped(start, end) {
        return Err(Errno::ENOMEM);
    }
    let r = match advice {
        m::MADV_NORMAL => vs.map.advise(start, end, Advice::Normal),
        m::MADV_RANDOM => vs.map.advise(start, end, Advice::Random),
        m::MADV_SEQUENTIAL => vs.map.advise(start, end, Advice::Sequential),
        m::MADV_DONTNEED | m::MADV_FREE => vs.dontneed(start, end),
        m::MADV_DONTFORK => vs.map.inherit(start, end, Inherit::None),
        m::MADV_DOFORK | m::MADV_KEEPONFORK => vs.map.inherit(start, end, Inherit::Copy),
        m::MADV_WIPEONFORK => vs.map.inherit(start, end, Inherit::Zero),
        // WILLNEED and the hints without a meaning here are accepted.
        _ => Ok(()),
    };
    r.map_err(errno)?;
    Ok(0)
}

/// minherit(addr, len, inherit) (Ferrite only: NetBSD's values).
pub fn sys_minherit(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (start, end) = user_range(ctx.arg(0), ctx.arg(1), Errno::EINVAL)?;
    let inherit = match ctx.arg(2) as i32 {
        MAP_INHERIT_SHARE => Inherit::Share,
        MAP_INHERIT_COPY => Inherit::Copy,
        MAP_INHERIT_NONE => Inherit::None,
        MAP_INHERIT_ZERO => Inherit::Zero,
        _ => return Err(Errno::EINVAL),
    };
    let vs = vmspace()?;
    if !vs.is_mapped(start, end) {
        return Err(Errno::EINVAL);
    }
    vs.map.inherit(start, end, inherit).map_err(errno)?;
    Ok(0)
}

/// brk(addr): the new break, or the old one when it cannot move there
/// (the raw system call never fails).
pub fn sys_brk(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let vs = vmspace()?;
    let want = ctx.arg(0);
    let old = vs.brk();
    if want == 0 {
        return Ok(old as usize);
    }
    let grew = want > old;
    match vs.set_brk(want) {
        Ok(b) => {
            if grew && vs.lock_future.load(Ordering::Relaxed) {
                let lo = old.next_multiple_of(PAGE);
                let hi = b.next_multiple_of(PAGE);
                if hi > lo {
                    let _ = vs.mlock(lo, hi);
                }
            }
            Ok(b as usize)
        }
        Err(_) => Ok(old as usize),
    }
}

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
    let fixed = flags & m::MREMAP_FIXED != 0;
    let may_move = flags & m::MREMAP_MAYMOVE != 0;
    if (fixed && !may_move) || flags & m::MREMAP_DONTUNMAP != 0 || old % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    if new_len == 0 {
        return Err(Errno::EINVAL);
    }
    let old_len = round_len(old_len)?;
    let new_len = round_len(new_len)?;
    if old_len == 0 {
        return Err(Errno::EINVAL); // duplicating a shared mapping: not supported
    }
    let old_end = old.checked_add(old_len).ok_or(Errno::EINVAL)?;
    if old_end > USER_END {
        return Err(Errno::EINVAL);
    }
    let vs = vmspace()?;
    let e = vs.map.lookup(old).ok_or(Errno::EFAULT)?;
    if old_end > e.end {
        return Err(Errno::EFAULT);
    }
    if fixed {
        if new_addr % PAGE != 0 {
            return Err(Errno::EINVAL);
        }
        let new_end = new_addr.checked_add(new_len).ok_or(Errno::EINVAL)?;
        if new_end > USER_END {
            return Err(Errno::EINVAL);
        }
        if new_addr < old_end && old < new_end {
            return Err(Errno::EINVAL);
        }
    }
    // Shrinking in place.
    if !fixed && new_len <= old_len {
        if new_len < old_len {
            vs.unmap(old + new_len, old_end).map_err(errno)?;
        }
        return Ok(old as usize);
    }
    // Growing in place, when the room after is free.
    if !fixed && vs.is_free(old_end, old + new_len) && old + new_len <= USER_END {
        grow_after(&vs, &e, old, old_len, new_len)?;
        return Ok(old as usize);
    }
    if !may_move {
        return Err(Errno::ENOMEM);
    }
    // Move: the part being kept becomes its own entry, then moves whole.
    let keep = old_len.min(new_len);
    if e.start != old || e.end != old + keep {
        vs.map.modify(old, old + keep, |_| {}).map_err(errno)?;
    }
    if keep < old_len {
        vs.unmap(old + keep, old_end).map_err(errno)?;
    }
    let dest = if fixed {
        vs.unmap(new_addr, new_addr + new_len).map_err(errno)?;
        new_addr
    } else {
        let layout = vs.map.layout().ok_or(Errno::EINVAL)?;
        vs.map
            .findspace(new_len, 0, Some(layout.default_addr(new_len, true)), true)
            .ok_or(Errno::ENOMEM)?
    };
    vs.move_entry(old, keep, dest).map_err(errno)?;
    if new_len > keep {
        let moved = vs.map.lookup(dest).ok_or(Errno::EFAULT)?;
        grow_after(&vs, &moved, dest, keep, new_len)?;
    }
    Ok(dest as usize)
}

/// Extend the mapping `e` (ending at `start + len`) to `new_len` bytes:
/// anonymous memory gets more zero-fill, a file mapping maps more of the
/// file.
fn grow_after(
    vs: &Vmspace,
    e: &super::map::EntryInfo,
    start: Vaddr,
    len: u64,
    new_len: u64,
) -> Result<(), Errno> {
    let more = new_len - len;
    let at = start + len;
    let mut req = MapRequest::anon(more, e.prot).at(at);
    req.max_prot = e.max_prot;
    req.inherit = e.inherit;
    req.advice = e.advice;
    req.flags = e.flags - EntryFlags::NEEDS_COPY - EntryFlags::USER_WIRED;
    if let Some(o) = e.backing.object {
        req.merge = false;
        if e.inherit == Inherit::Share
            && e.backing.amap.is_none()
            && !e.flags.contains(EntryFlags::COPY_ON_WRITE)
            && object::pager_name(o.object) == "aobj"
        {
            // Growing shared anonymous memory: its object grows too.
            let size = o.offset + (start + new_len - e.start);
            if object::size(o.object) < size {
                object::set_size(o.object, size).map_err(errno)?;
            }
        }
        object::add_ref(o.object);
        req.backing = Backing {
            amap: None,
            object: Some(ObjectRef {
                object: o.object,
                offset: o.offset + (at - e.start),
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
    if e.flags.contains(EntryFlags::USER_WIRED) {
        let _ = vs.mlock(at, at + more);
    }
    Ok(())
}

/// The RLIMIT_MEMLOCK check for locking `[start, end)` more.
fn check_memlock(vs: &Vmspace, start: Vaddr, end: Vaddr) -> Result<(), Errno> {
    let limit = crate::kern::proc::curproc().rlimit(RLIMIT_MEMLOCK).rlim_cur;
    if limit == ferrite_abi::resource::RLIM_INFINITY {
        return Ok(());
    }
    let want = vs.locked_bytes() + vs.unlocked_bytes_in(start, end);
    if want > limit {
        return Err(if limit == 0 {
            Errno::EPERM
        } else {
            Errno::ENOMEM
        });
    }
    Ok(())
}

fn do_mlock(addr: u64, len: u64) -> SysResult {
    let (start, end) = user_range(addr & !(PAGE - 1), len + (addr % PAGE), Errno::ENOMEM)?;
    if start == end {
        return Ok(0);
    }
    let vs = vmspace()?;
    if !vs.is_mapped(start, end) {
        return Err(Errno::ENOMEM);
    }
    check_memlock(&vs, start, end)?;
    vs.mlock(start, end).map_err(|e| match e {
        KernError::Access | KernError::Fault => Errno::ENOMEM,
        e => errno(e),
    })?;
    Ok(0)
}

/// mlock(addr, len)
pub fn sys_mlock(ctx: &mut SyscallCtx<'_>) -> SysResult {
    do_mlock(ctx.arg(0), ctx.arg(1))
}

/// mlock2(addr, len, flags)
pub fn sys_mlock2(ctx: &mut SyscallCtx<'_>) -> SysResult {
    if ctx.arg(2) as i32 & !m::MLOCK_ONFAULT != 0 {
        return Err(Errno::EINVAL);
    }
    do_mlock(ctx.arg(0), ctx.arg(1))
}

/// munlock(addr, len)
pub fn sys_munlock(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (addr, len) = (ctx.arg(0), ctx.arg(1));
    let (start, end) = user_range(addr & !(PAGE - 1), len + (addr % PAGE), Errno::ENOMEM)?;
    if start == end {
        return Ok(0);
    }
    let vs = vmspace()?;
    if !vs.is_mapped(start, end) {
        return Err(Errno::ENOMEM);
    }
    vs.munlock(start, end).map_err(errno)?;
    Ok(0)
}

/// mlockall(flags)
pub fn sys_mlockall(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let flags = ctx.arg(0) as i32;
    let all = m::MCL_CURRENT | m::MCL_FUTURE | m::MCL_ONFAULT;
    if flags == 0 || flags & !all != 0 || flags == m::MCL_ONFAULT {
        return Err(Errno::EINVAL);
    }
    let vs = vmspace()?;
    if flags & m::MCL_CURRENT != 0 {
        let (min, max) = vs.map.bounds();
        let mut ranges = alloc::vec::Vec::new();
        vs.map.walk(|e| {
            if !e.max_prot.is_empty() && ranges.try_reserve(1).is_ok() {
                ranges.push((e.start, e.end));
            }
        });
        let _ = (min, max);
        let limit = crate::kern::proc::curproc().rlimit(RLIMIT_MEMLOCK).rlim_cur;
        let total: u64 = ranges.iter().map(|(s, e)| e - s).sum();
        if limit != ferrite_abi::resource::RLIM_INFINITY && total > limit {
            return Err(if limit == 0 {
                Errno::EPERM
            } else {
                Errno::ENOMEM
            });
        }
        for (s, e) in ranges {
            vs.mlock(s, e).map_err(errno)?;
        }
    }
    vs.lock_future
        .store(flags & m::MCL_FUTURE != 0, Ordering::Relaxed);
    Ok(0)
}

/// munlockall()
pub fn sys_munlockall(_: &mut SyscallCtx<'_>) -> SysResult {
    let vs = vmspace()?;
    vs.lock_future.store(false, Ordering::Relaxed);
    let (min, max) = vs.map.bounds();
    let mut ranges = alloc::vec::Vec::new();
    vs.map.walk(|e| {
        if e.flags.contains(EntryFlags::USER_WIRED) && ranges.try_reserve(1).is_ok() {
            ranges.push((e.start, e.end));
        }
    });
    let _ = (min, max);
    for (s, e) in ranges {
        vs.munlock(s, e).map_err(errno)?;
    }
    Ok(0)
}

/// mincore(addr, len, vec)
pub fn sys_mincore(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (addr, len, out) = (ctx.arg(0), ctx.arg(1), ctx.arg(2));
    let (start, end) = user_range(addr, len, Errno::ENOMEM)?;
    let n = ((end - start) / PAGE) as usize;
    let vs = vmspace()?;
    if !vs.is_mapped(start, end) {
        return Err(Errno::ENOMEM);
    }
    let mut buf = vec![0u8; n.min(4096)];
    let mut done = 0usize;
    while done < n {
        let k = (n - done).min(buf.len());
        let s = start + done as u64 * PAGE;
        vs.mincore(s, s + k as u64 * PAGE, &mut buf[..k])
            .map_err(errno)?;
        crate::uvm::copy::copyout(out + done as u64, &buf[..k]).map_err(|_| Errno::EFAULT)?;
        done += k;
    }
    Ok(0)
}

/// msync(addr, len, flags): the RAM file system has nothing to write back,
/// but the range and flags are checked as Linux does.
pub fn sys_msync(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let flags = ctx.arg(2) as i32;
    if flags & !(m::MS_ASYNC | m::MS_SYNC | m::MS_INVALIDATE) != 0
        || (flags & m::MS_ASYNC != 0 && flags & m::MS_SYNC != 0)
    {
        return Err(Errno::EINVAL);
    }
    let (start, end) = user_range(ctx.arg(0), ctx.arg(1), Errno::ENOMEM)?;
    if start == end {
        return Ok(0);
    }
    if !vmspace()?.is_mapped(start, end) {
        return Err(Errno::ENOMEM);
    }
    Ok(0)
}
