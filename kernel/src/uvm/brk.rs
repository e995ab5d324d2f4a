//! brk(2): the program break, with Linux's raw-call semantics: the new
//! break, or the old one when it cannot move there (below the end of the
//! program, past the heap reservation, into the page below the next
//! mapping, or past RLIMIT_MEMLOCK under mlockall(MCL_FUTURE)). Released
//! pages are freed at once; regrown ones are zero. Under
//! mlockall(MCL_FUTURE) the growth is locked.

use super::mmap::vmspace;
use super::vmspace::{FUTURE_NONE, FUTURE_ONFAULT, PAGE};
use super::wiring::Populate;
use crate::kern::syscall::{SysResult, SyscallCtx};

/// brk(addr)
pub fn sys_brk(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let vs = vmspace()?;
    let want = ctx.arg(0);
    let old = vs.brk();
    let round = |v: u64| v.checked_add(PAGE - 1).map(|v| v & !(PAGE - 1));
    let (Some(old_top), Some(new_top)) = (round(old), round(want)) else {
        return Ok(old as usize);
    };
    let future = vs.future_lock();
    if new_top > old_top {
        // A page must stay free between the heap and the next mapping
        // (Linux keeps that guard page too).
        if new_top
            .checked_add(PAGE)
            .is_none_or(|guard| !vs.is_free(old_top, guard))
        {
            return Ok(old as usize);
        }
        if future != FUTURE_NONE && super::mlock::future_lock_ok(&vs, new_top - old_top).is_err() {
            return Ok(old as usize);
        }
    }
    match vs.set_brk(want) {
        Ok(b) => {
            if new_top > old_top && future != FUTURE_NONE {
                let how = if future == FUTURE_ONFAULT {
                    Populate::OnFault
                } else {
                    Populate::Now
                };
                let _ = vs.mlock(old_top, new_top, how, false);
            }
            Ok(b as usize)
        }
        Err(_) => Ok(old as usize),
    }
}
