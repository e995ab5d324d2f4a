//! mincore(2) (which pages are resident) and msync(2) (the RAM file
//! system has nothing to write back: msync only validates its flags and
//! range as Linux does), with Linux's errno values.

use super::mmap::{TASK_SIZE, round_len, vmspace};
use super::vmspace::PAGE;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use alloc::vec;
use ferrite_abi::mman as m;

/// Pages reported per round (one bounce buffer's worth).
const CHUNK: usize = 4096;

/// mincore(addr, len, vec): one byte per page, bit 0 set if resident.
/// EINVAL for an unaligned address; ENOMEM for a range outside user space
/// or at the first unmapped page (the pages before it are reported);
/// EFAULT for a vector outside user space or not writable.
pub fn sys_mincore(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (start, len, out) = (ctx.arg(0), ctx.arg(1), ctx.arg(2));
    if start % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    if len > TASK_SIZE || start > TASK_SIZE - len {
        return Err(Errno::ENOMEM);
    }
    let pages = len.div_ceil(PAGE);
    if pages > TASK_SIZE || out > TASK_SIZE - pages {
        return Err(Errno::EFAULT);
    }
    if pages == 0 {
        return Ok(0);
    }
    let vs = vmspace()?;
    let mut buf = vec![0u8; (pages as usize).min(CHUNK)];
    let mut done = 0u64;
    while done < pages {
        let k = (pages - done).min(buf.len() as u64);
        let s = start + done * PAGE;
        let got = vs.mincore(s, s + k * PAGE, &mut buf[..k as usize]);
        crate::uvm::copy::copyout(out + done, &buf[..got]).map_err(|_| Errno::EFAULT)?;
        if (got as u64) < k {
            return Err(Errno::ENOMEM);
        }
        done += k;
    }
    Ok(0)
}

/// msync(addr, len, flags)
pub fn sys_msync(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (start, len, flags) = (ctx.arg(0), ctx.arg(1), ctx.arg(2) as i32);
    if flags & !(m::MS_ASYNC | m::MS_SYNC | m::MS_INVALIDATE) != 0
        || start % PAGE != 0
        || (flags & m::MS_ASYNC != 0 && flags & m::MS_SYNC != 0)
    {
        return Err(Errno::EINVAL);
    }
    let end = round_len(len)
        .and_then(|l| start.checked_add(l))
        .ok_or(Errno::ENOMEM)?;
    if end == start {
        return Ok(0);
    }
    // Holes are skipped but make the call fail with ENOMEM; MS_SYNC alone
    // stops at the first one. MS_INVALIDATE of locked pages is EBUSY.
    let vs = vmspace()?;
    let mut at = start;
    let mut r = Ok(0);
    let mut unmapped = false;
    vs.map.read().entries_in(start, end, |e| {
        if e.start > at {
            unmapped = true;
            if flags == m::MS_SYNC {
                return false;
            }
        }
        if flags & m::MS_INVALIDATE != 0 && e.is_locked() {
            r = Err(Errno::EBUSY);
            return false;
        }
        at = e.end;
        true
    });
    r?;
    if unmapped || at < end {
        return Err(Errno::ENOMEM);
    }
    Ok(0)
}
