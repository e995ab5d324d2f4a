//! The VM system calls (NetBSD's uvm_mmap.c), with Linux's arguments,
//! semantics and errno values: this module has mmap, munmap and mprotect,
//! the table of all of them, and what they share (argument checks, errno
//! mapping); `brk`, `madvise` (and Ferrite's minherit), `mremap`, `mlock`
//! (the lock family and RLIMIT_MEMLOCK) and `mquery` (mincore, msync) have
//! the others.
//!
//! - mmap: anonymous private memory (zero-fill on demand, amaps created on
//!   first fault), shared anonymous memory (an anonymous object, inherited
//!   shared across fork), private file mappings (copy-on-write over the
//!   file's object) and shared ones (writes reach the file's pages, so
//!   read(2) and other mappings see them; a descriptor not open for
//!   writing gives a maximum protection without write). MAP_FIXED replaces
//!   what was there as one change (`Vmspace::map_replace`);
//!   MAP_FIXED_NOREPLACE fails with EEXIST instead; a hint (rounded down
//!   to its page, as x86 does) is honoured when its range is free and
//!   never clobbers; MAP_32BIT searches the second GiB bottom-up; without
//!   any, mappings go topdown below the stack. MAP_POPULATE faults the
//!   pages in, MAP_LOCKED (or mlockall(MCL_FUTURE)) locks them; MAP_STACK,
//!   MAP_GROWSDOWN, MAP_NORESERVE and the other legacy flags are accepted.
//!   Protection bits mmap does not know are ignored (as Linux does);
//!   mprotect refuses them.
//! - The checks are made in Linux's order (the offset, then the
//!   descriptor, then the length, placement, the mapping type and the
//!   file's modes), so a call with several bad arguments gets Linux's
//!   errno; every check comes before any change, so a failed call leaves
//!   the address space as it was (Linux's mprotect applies itself up to a
//!   hole or a refused entry; Ferrite's changes nothing then).

use super::map::{Backing, EntryFlags, Inherit, MapRequest, ObjectRef};
use super::vmspace::{FUTURE_NONE, FUTURE_ONFAULT, PAGE, Vmspace};
use super::wiring::{Inaccessible, Populate};
use super::{Vaddr, VmProt, object};
use crate::arch::x86_64::usermode::USER_END;
use crate::kern::error::KernError;
use crate::kern::syscall::trace::Arg;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use alloc::sync::Arc;
use ferrite_abi::mman as m;
use ferrite_abi::syscall as nr;

/// Linux's TASK_SIZE on x86_64 with 4-level paging: the user half less
/// its last page (the end of Ferrite's user maps too).
pub const TASK_SIZE: u64 = USER_END - PAGE;

/// Where MAP_32BIT mappings go on x86_64 (Linux's window: the second GiB,
/// searched bottom-up).
const MAP_32BIT_START: u64 = 0x4000_0000;
const MAP_32BIT_END: u64 = 0x8000_0000;

/// The flags MAP_SHARED_VALIDATE accepts for a file (Linux's
/// LEGACY_MAP_MASK: the RAM file system supports nothing more).
const LEGACY_MAP_MASK: i32 = m::MAP_SHARED
    | m::MAP_PRIVATE
    | m::MAP_FIXED
    | m::MAP_ANONYMOUS
    | m::MAP_DENYWRITE
    | m::MAP_EXECUTABLE
    | m::MAP_UNINITIALIZED
    | m::MAP_GROWSDOWN
    | m::MAP_LOCKED
    | m::MAP_NORESERVE
    | m::MAP_POPULATE
    | m::MAP_NONBLOCK
    | m::MAP_STACK
    | m::MAP_HUGETLB
    | m::MAP_32BIT
    | (21 << 26) // MAP_HUGE_2MB
    | (30 << 26); // MAP_HUGE_1GB

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
        super::madvise::sys_madvise,
        [Arg::Hex, Arg::Hex, Arg::Int]
    ),
    crate::sys!(
        super::madvise::SYS_FERRITE_MINHERIT,
        "minherit",
        super::madvise::sys_minherit,
        [Arg::Hex, Arg::Hex, Arg::Int]
    ),
    crate::sys!(nr::SYS_brk, "brk", super::brk::sys_brk, [Arg::Hex]),
    crate::sys!(
        nr::SYS_mremap,
        "mremap",
        super::mremap::sys_mremap,
        [Arg::Hex, Arg::Hex, Arg::Hex, Arg::Int, Arg::Hex]
    ),
    crate::sys!(
        nr::SYS_mlock,
        "mlock",
        super::mlock::sys_mlock,
        [Arg::Hex, Arg::Hex]
    ),
    crate::sys!(
        nr::SYS_mlock2,
        "mlock2",
        super::mlock::sys_mlock2,
        [Arg::Hex, Arg::Hex, Arg::Int]
    ),
    crate::sys!(
        nr::SYS_munlock,
        "munlock",
        super::mlock::sys_munlock,
        [Arg::Hex, Arg::Hex]
    ),
    crate::sys!(
        nr::SYS_mlockall,
        "mlockall",
        super::mlock::sys_mlockall,
        [Arg::Int]
    ),
    crate::sys!(
        nr::SYS_munlockall,
        "munlockall",
        super::mlock::sys_munlockall,
        []
    ),
    crate::sys!(
        nr::SYS_mincore,
        "mincore",
        super::mquery::sys_mincore,
        [Arg::Hex, Arg::Hex, Arg::Hex]
    ),
    crate::sys!(
        nr::SYS_msync,
        "msync",
        super::mquery::sys_msync,
        [Arg::Hex, Arg::Hex, Arg::Int]
    ),
];

/// The calling thread's address space.
pub(super) fn vmspace() -> Result<Arc<Vmspace>, Errno> {
    crate::kern::sched::curlwp().vmspace().ok_or(Errno::EINVAL)
}

/// A VM error as the program sees it.
pub(super) fn errno(e: KernError) -> Errno {
    match e {
        KernError::NoMem | KernError::NoSpace => Errno::ENOMEM,
        KernError::Access => Errno::EACCES,
        KernError::Fault => Errno::EFAULT,
        KernError::Io => Errno::EIO,
        KernError::Inval => Errno::EINVAL,
    }
}

/// PROT_READ/WRITE/EXEC as a VmProt, as asked (the MMU's implications are
/// the fault routine's business); other bits are dropped.
pub(super) fn vm_prot(prot: i32) -> VmProt {
    let mut p = VmProt::empty();
    if prot & m::PROT_READ != 0 {
        p |= VmProt::READ;
    }
    if prot & m::PROT_WRITE != 0 {
        p |= VmProt::WRITE;
    }
    if prot & m::PROT_EXEC != 0 {
        p |= VmProt::EXECUTE;
    }
    p
}

/// Page-align a length, or `None` if that wraps.
pub(super) fn round_len(len: u64) -> Option<u64> {
    len.checked_add(PAGE - 1).map(|l| l & !(PAGE - 1))
}

/// Visit the entries covering `[start, end)` in address order: `hole`
/// for the first unmapped page met (before any entry after it is
/// visited), or the first error `f` returns.
pub(super) fn scan(
    vs: &Vmspace,
    start: Vaddr,
    end: Vaddr,
    hole: Errno,
    mut f: impl FnMut(&super::map::EntryInfo) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let mut at = start;
    let mut r = Ok(());
    vs.map.read().entries_in(start, end, |e| {
        if e.start > at {
            r = Err(hole);
            return false;
        }
        if let Err(err) = f(e) {
            r = Err(err);
            return false;
        }
        at = e.end;
        true
    });
    r?;
    if at < end { Err(hole) } else { Ok(()) }
}

/// What a new mapping is backed by.
enum Source {
    Anon,
    SharedAnon,
    File {
        obj: object::ObjRef,
        offset: u64,
        writable: bool,
    },
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
    // x86's sys_mmap takes the offset in bytes: it must be page aligned.
    if off % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    let anonymous = flags & m::MAP_ANONYMOUS != 0;
    // The descriptor comes before any other argument.
    let file = if anonymous {
        None
    } else {
        Some(crate::kern::proc::curproc().files.lock().get(fd)?)
    };
    if flags & m::MAP_HUGETLB != 0 {
        // No huge pages are reserved (an anonymous request runs out of
        // them); no file here lives on hugetlbfs.
        return Err(if anonymous {
            Errno::ENOMEM
        } else {
            Errno::EINVAL
        });
    }
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    let len = round_len(len).ok_or(Errno::ENOMEM)?;
    if len > TASK_SIZE {
        return Err(Errno::ENOMEM);
    }
    let noreplace = flags & m::MAP_FIXED_NOREPLACE != 0;
    let fixed = flags & m::MAP_FIXED != 0 || noreplace;
    if fixed {
        if addr > TASK_SIZE - len {
            return Err(Errno::ENOMEM);
        }
        if addr % PAGE != 0 {
            return Err(Errno::EINVAL);
        }
    }
    let vs = vmspace()?;
    let layout = vs.map.layout().ok_or(Errno::EINVAL)?;
    if fixed && addr < layout.min {
        // Below mmap_min_addr (Ferrite keeps the first 64 KiB unmapped for
        // every process, as Linux does for unprivileged ones).
        return Err(Errno::EPERM);
    }
    if noreplace && !vs.is_free(addr, addr + len) {
        return Err(Errno::EEXIST);
    }

    // The mapping type, and for a file its modes.
    let kind = flags & m::MAP_TYPE;
    let vprot = vm_prot(prot);
    let (source, shared) = match file {
        None => match kind {
            m::MAP_SHARED if flags & m::MAP_GROWSDOWN != 0 => return Err(Errno::EINVAL),
            m::MAP_SHARED => (Source::SharedAnon, true),
            m::MAP_PRIVATE => (Source::Anon, false),
            _ => return Err(Errno::EINVAL),
        },
        Some(file) => {
            // The offset plus the length must stay within a file's
            // largest size (MAX_LFS_FILESIZE).
            if off.checked_add(len).is_none_or(|e| e > i64::MAX as u64) {
                return Err(Errno::EOVERFLOW);
            }
            let shared = match kind {
                m::MAP_SHARED => true,
                m::MAP_SHARED_VALIDATE if flags & !LEGACY_MAP_MASK != 0 => {
                    return Err(Errno::EOPNOTSUPP);
                }
                m::MAP_SHARED_VALIDATE => true,
                m::MAP_PRIVATE => false,
                _ => return Err(Errno::EINVAL),
            };
            if shared && vprot.contains(VmProt::WRITE) && !file.writable() {
                return Err(Errno::EACCES);
            }
            if !file.readable() {
                return Err(Errno::EACCES);
            }
            let vn = file.vnode().ok_or(Errno::ENODEV)?.clone();
            let source = match vn.object() {
                Some(obj) => Source::File {
                    obj,
                    offset: off,
                    writable: file.writable(),
                },
                // A device without pages (/dev/zero): anonymous memory.
                None if vn.is_zero_device() => {
                    if shared {
                        Source::SharedAnon
                    } else {
                        Source::Anon
                    }
                }
                None => return Err(Errno::ENODEV),
            };
            if flags & m::MAP_GROWSDOWN != 0 {
                return Err(Errno::EINVAL);
            }
            (source, shared)
        }
    };

    // Locking asked for (MAP_LOCKED, or mlockall(MCL_FUTURE)) must be
    // within RLIMIT_MEMLOCK before anything changes.
    let future = vs.future_lock();
    let lock = flags & m::MAP_LOCKED != 0 || future != FUTURE_NONE;
    if flags & m::MAP_LOCKED != 0 && !super::mlock::can_lock() {
        return Err(Errno::EPERM);
    }
    if lock {
        super::mlock::future_lock_ok(&vs, len)?;
    }

    let mut req = MapRequest::anon(len, vprot);
    req.max_prot = VmProt::ALL;
    req.merge = matches!(source, Source::Anon);
    if flags & m::MAP_GROWSDOWN != 0 {
        req.flags |= EntryFlags::GROWS_DOWN;
        req.merge = false;
    }
    match source {
        Source::Anon => {}
        Source::SharedAnon => {
            let obj = object::aobj_create_shared_memory(len).map_err(errno)?;
            req.backing = Backing {
                amap: None,
                object: Some(ObjectRef {
                    object: obj,
                    offset: 0,
                }),
            };
            req.inherit = Inherit::Share;
        }
        Source::File {
            obj,
            offset,
            writable,
        } => {
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
                if !writable {
                    // Never writable through this descriptor.
                    req.max_prot = VmProt::READ | VmProt::EXECUTE;
                }
            } else {
                req.flags |= EntryFlags::COPY_ON_WRITE;
            }
        }
    }
    let drop_backing = |req: &MapRequest| {
        if let Some(o) = req.backing.object {
            object::drop_ref(o.object);
        }
    };
    let result = if noreplace {
        vs.map(req.at(addr))
    } else if fixed {
        req.hint = Some(addr);
        vs.map_replace(req)
    } else {
        place(&vs, req, addr, flags)
    };
    let at = match result {
        Ok(a) => a,
        Err(e) => {
            drop_backing(&req);
            return Err(match e {
                // A request the map cannot hold anywhere.
                KernError::Inval | KernError::NoSpace => Errno::ENOMEM,
                e => errno(e),
            });
        }
    };
    // Lock or prefault; like Linux's mm_populate, failures here (memory,
    // a page past the end of a file) are not the call's.
    if lock {
        let how = if flags & m::MAP_LOCKED == 0 && future == FUTURE_ONFAULT {
            Populate::OnFault
        } else {
            Populate::Now
        };
        if let Err(e) = vs.mlock(at, at + len, how, false)
            && e == KernError::NoMem
        {
            log::debug!("mmap: locking {at:#x}+{len:#x}: out of memory");
        }
    } else if flags & (m::MAP_POPULATE | m::MAP_NONBLOCK) == m::MAP_POPULATE {
        let _ = vs.populate(at, at + len, false, Inaccessible::Skip);
    }
    Ok(at as usize)
}

/// Where an mmap without MAP_FIXED goes: at the hint (rounded down to
/// its page) if the range is free, else (MAP_32BIT) the lowest free range
/// of the second GiB, else topdown below the stack.
fn place(vs: &Vmspace, req: MapRequest, addr: u64, flags: i32) -> Result<Vaddr, KernError> {
    let len = req.len;
    let layout = vs.map.layout().ok_or(KernError::Inval)?;
    let hint = addr & !(PAGE - 1);
    // A hint below the lowest address becomes the lowest address.
    let hint = if hint != 0 && hint < layout.min {
        layout.min
    } else {
        hint
    };
    if hint != 0 && hint <= TASK_SIZE - len && vs.is_free(hint, hint + len) {
        return vs.map(req.at(hint));
    }
    if flags & m::MAP_32BIT != 0 {
        let at = vs
            .map
            .findspace(len, 0, Some(MAP_32BIT_START), false)
            .filter(|&a| a >= MAP_32BIT_START && a + len <= MAP_32BIT_END)
            .ok_or(KernError::NoMem)?;
        return vs.map(req.at(at));
    }
    vs.map(req)
}

/// munmap(addr, len)
pub fn sys_munmap(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (start, len) = (ctx.arg(0), ctx.arg(1));
    if start % PAGE != 0 || start > TASK_SIZE || len > TASK_SIZE - start {
        return Err(Errno::EINVAL);
    }
    let len = round_len(len).ok_or(Errno::EINVAL)?;
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    vmspace()?.unmap(start, start + len).map_err(errno)?;
    Ok(0)
}

/// mprotect(addr, len, prot)
pub fn sys_mprotect(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (start, len, prot) = (ctx.arg(0), ctx.arg(1), ctx.arg(2) as i32);
    if start % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let end = round_len(len)
        .and_then(|l| start.checked_add(l))
        .filter(|&e| e > start)
        .ok_or(Errno::ENOMEM)?;
    let grows = prot & (m::PROT_GROWSDOWN | m::PROT_GROWSUP);
    if grows == m::PROT_GROWSDOWN | m::PROT_GROWSUP {
        return Err(Errno::EINVAL);
    }
    let prot = prot & !grows;
    if prot & !(m::PROT_READ | m::PROT_WRITE | m::PROT_EXEC | m::PROT_SEM) != 0 {
        return Err(Errno::EINVAL);
    }
    let p = vm_prot(prot);
    let vs = vmspace()?;
    let mut start = start;
    if grows != 0 {
        // Only a grows-down mapping may be changed "down to its start".
        let e = vs
            .map
            .lookup(start)
            .filter(|e| e.start < end)
            .ok_or(Errno::ENOMEM)?;
        if grows == m::PROT_GROWSUP || !e.flags.contains(EntryFlags::GROWS_DOWN) {
            return Err(Errno::EINVAL);
        }
        start = e.start;
    }
    // In address order: a hole is ENOMEM, a protection beyond an entry's
    // maximum EACCES; nothing changes unless all is well.
    scan(&vs, start, end, Errno::ENOMEM, |e| {
        if e.max_prot.contains(p) {
            Ok(())
        } else {
            Err(Errno::EACCES)
        }
    })?;
    vs.protect(start, end, p).map_err(errno)?;
    Ok(0)
}
