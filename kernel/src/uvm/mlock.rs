//! The memory-lock calls (mlock, mlock2, munlock, mlockall, munlockall)
//! and RLIMIT_MEMLOCK, with Linux's semantics and errno values, over the
//! wiring of `uvm::wiring`.
//!
//! RLIMIT_MEMLOCK is Linux's: a process holding CAP_IPC_LOCK (root, unless
//! it dropped the capability with capset) is not limited at all; for any
//! other, a limit of 0 refuses every lock (EPERM), and a lock that would
//! take the process's locked memory past the limit is refused with ENOMEM
//! (mlock, mlockall(MCL_CURRENT)) or EAGAIN (new mappings under MAP_LOCKED
//! or mlockall(MCL_FUTURE), and their growth by brk and mremap).
//!
//! Unlike Linux, a refused or failed lock changes nothing (Linux locks the
//! entries before a hole, or an inaccessible one, then fails).

use super::Vaddr;
use super::map::EntryInfo;
use super::mmap::{TASK_SIZE, errno, scan, vmspace};
use super::vmspace::{FUTURE_LOCK, FUTURE_NONE, FUTURE_ONFAULT, PAGE, Vmspace};
use super::wiring::Populate;
use crate::kern::error::KernError;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use alloc::vec::Vec;
use ferrite_abi::mman as m;
use ferrite_abi::resource::{RLIM_INFINITY, RLIMIT_MEMLOCK};

/// Whether the caller may lock memory beyond RLIMIT_MEMLOCK (Linux's
/// capable(CAP_IPC_LOCK)).
fn privileged() -> bool {
    crate::kern::proc::cap::capable(crate::kern::proc::cap::CAP_IPC_LOCK)
}

/// The caller's RLIMIT_MEMLOCK soft limit, in bytes.
fn limit() -> u64 {
    crate::kern::proc::curproc().rlimit(RLIMIT_MEMLOCK).rlim_cur
}

/// Whether the caller may lock memory at all (can_do_mlock).
pub(super) fn can_lock() -> bool {
    limit() != 0 || privileged()
}

/// Whether `more` bytes of new locked memory fit under the limit
/// (mlock_future_ok): EAGAIN if not.
pub(super) fn future_lock_ok(vs: &Vmspace, more: u64) -> Result<(), Errno> {
    let limit = limit();
    if limit == RLIM_INFINITY || privileged() {
        return Ok(());
    }
    if vs.locked_bytes().saturating_add(more) > limit {
        return Err(Errno::EAGAIN);
    }
    Ok(())
}

/// The range mlock and munlock work on: `addr` rounded down to its page,
/// `len` extended by as much; EINVAL if it wraps.
fn lock_range(addr: u64, len: u64) -> Result<(Vaddr, Vaddr), Errno> {
    let start = addr & !(PAGE - 1);
    let end = len
        .checked_add(addr % PAGE)
        .and_then(super::mmap::round_len)
        .and_then(|l| start.checked_add(l))
        .ok_or(Errno::EINVAL)?;
    Ok((start, end))
}

fn do_mlock(addr: u64, len: u64, how: Populate) -> SysResult {
    if !can_lock() {
        return Err(Errno::EPERM);
    }
    let (start, end) = lock_range(addr, len)?;
    if start == end {
        return Ok(0);
    }
    let vs = vmspace()?;
    let limit = limit();
    if limit != RLIM_INFINITY && !privileged() {
        let want = vs.locked_bytes() + vs.unlocked_bytes_in(start, end.min(TASK_SIZE));
        if want > limit {
            return Err(Errno::ENOMEM);
        }
    }
    // Every page mapped, and accessible (Linux cannot populate a
    // PROT_NONE range: ENOMEM).
    scan(&vs, start, end, Errno::ENOMEM, |e: &EntryInfo| {
        if e.prot.is_empty() {
            Err(Errno::ENOMEM)
        } else {
            Ok(())
        }
    })?;
    vs.mlock(start, end, how, true).map_err(|e| match e {
        // mm_populate's errors as mlock reports them.
        KernError::NoMem => Errno::EAGAIN,
        _ => Errno::ENOMEM,
    })?;
    Ok(0)
}

/// mlock(addr, len)
pub fn sys_mlock(ctx: &mut SyscallCtx<'_>) -> SysResult {
    do_mlock(ctx.arg(0), ctx.arg(1), Populate::Now)
}

/// mlock2(addr, len, flags): MLOCK_ONFAULT locks the pages as they come in.
pub fn sys_mlock2(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let flags = ctx.arg(2) as i32;
    if flags & !m::MLOCK_ONFAULT != 0 {
        return Err(Errno::EINVAL);
    }
    let how = if flags & m::MLOCK_ONFAULT != 0 {
        Populate::OnFault
    } else {
        Populate::Now
    };
    do_mlock(ctx.arg(0), ctx.arg(1), how)
}

/// munlock(addr, len)
pub fn sys_munlock(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (start, end) = lock_range(ctx.arg(0), ctx.arg(1))?;
    if start == end {
        return Ok(0);
    }
    let vs = vmspace()?;
    scan(&vs, start, end, Errno::ENOMEM, |_| Ok(()))?;
    vs.munlock(start, end).map_err(errno)?;
    Ok(0)
}

/// mlockall(flags): MCL_CURRENT locks every mapping now (pages in now, or
/// as they come in with MCL_ONFAULT; inaccessible mappings are locked
/// without pages), MCL_FUTURE every later one; a call without MCL_FUTURE
/// ends an earlier MCL_FUTURE.
pub fn sys_mlockall(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let flags = ctx.arg(0) as i32;
    let all = m::MCL_CURRENT | m::MCL_FUTURE | m::MCL_ONFAULT;
    if flags == 0 || flags & !all != 0 || flags == m::MCL_ONFAULT {
        return Err(Errno::EINVAL);
    }
    if !can_lock() {
        return Err(Errno::EPERM);
    }
    let vs = vmspace()?;
    let limit = limit();
    if flags & m::MCL_CURRENT != 0
        && limit != RLIM_INFINITY
        && !privileged()
        && vs.map.size() > limit
    {
        return Err(Errno::ENOMEM);
    }
    let onfault = flags & m::MCL_ONFAULT != 0;
    vs.set_future_lock(match (flags & m::MCL_FUTURE != 0, onfault) {
        (false, _) => FUTURE_NONE,
        (true, false) => FUTURE_LOCK,
        (true, true) => FUTURE_ONFAULT,
    });
    if flags & m::MCL_CURRENT != 0 {
        let how = if onfault {
            Populate::OnFault
        } else {
            Populate::Now
        };
        let (min, max) = vs.map.bounds();
        // Like mm_populate after mlockall: pages that cannot come in
        // (memory, a file's end) are not the call's failure.
        if let Err(e) = vs.mlock(min, max, how, false) {
            log::debug!("mlockall: {e:?}");
        }
    }
    Ok(0)
}

/// munlockall(): every lock goes, and MCL_FUTURE with them.
pub fn sys_munlockall(_: &mut SyscallCtx<'_>) -> SysResult {
    let vs = vmspace()?;
    vs.set_future_lock(FUTURE_NONE);
    let mut ranges: Vec<(Vaddr, Vaddr)> = Vec::new();
    vs.map.walk(|e| {
        if e.is_locked() && ranges.try_reserve(1).is_ok() {
            ranges.push((e.start, e.end));
        }
    });
    for (s, e) in ranges {
        vs.munlock(s, e).map_err(errno)?;
    }
    Ok(0)
}
