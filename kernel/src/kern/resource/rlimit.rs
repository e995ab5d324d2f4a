//! Resource limits (NetBSD's kern_resource.c dosetrlimit): getrlimit,
//! setrlimit and prlimit64, with Linux's checks.
//!
//! This module owns the rules for changing a limit (`apply`); the limits
//! themselves live in the process (`Proc::rlimits`, inherited at fork) and
//! are enforced where the resource is used (the descriptor table reads
//! RLIMIT_NOFILE, exec RLIMIT_STACK, ...), never here.
//!
//! The rules, in Linux's order: a resource number of RLIM_NLIMITS or more
//! is EINVAL; a soft limit above the hard limit is EINVAL; a hard limit of
//! open files above `fs.nr_open` (2^20) is EPERM, even for root; raising a
//! hard limit needs privilege (CAP_SYS_RESOURCE), which root has (Ferrite's
//! credentials are fixed at root), else EPERM. Every one of the sixteen
//! limits is stored; values are 64-bit with RLIM_INFINITY as all ones, so
//! `rlimit` and `rlimit64` are the same structure on x86_64.

use crate::kern::proc::proc::NLIMITS;
use crate::kern::proc::{Proc, curproc_opt};
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use crate::kern::ucopy::{copyin_plain, copyout_plain};
use ferrite_abi::Rlimit;
use ferrite_abi::resource::{RLIM_NLIMITS, RLIMIT_NOFILE};

/// Linux's default `fs.nr_open`: the highest hard limit of open files.
pub const NR_OPEN: u64 = 1 << 20;

/// Read and optionally replace limit `resource` in `limits`; returns the
/// limit before the change. `privileged`: may raise a hard limit.
pub fn apply(
    limits: &mut [Rlimit; NLIMITS],
    resource: u32,
    new: Option<Rlimit>,
    privileged: bool,
) -> Result<Rlimit, Errno> {
    if resource >= RLIM_NLIMITS || resource as usize >= NLIMITS {
        return Err(Errno::EINVAL);
    }
    let old = limits[resource as usize];
    if let Some(new) = new {
        if new.rlim_cur > new.rlim_max {
            return Err(Errno::EINVAL);
        }
        if resource == RLIMIT_NOFILE && new.rlim_max > NR_OPEN {
            return Err(Errno::EPERM);
        }
        if new.rlim_max > old.rlim_max && !privileged {
            return Err(Errno::EPERM);
        }
        limits[resource as usize] = new;
    }
    Ok(old)
}

/// The calling process may raise hard limits (root).
const PRIVILEGED: bool = true;

/// The process a pid argument names: 0 or the caller's own pid is the
/// caller. Other processes cannot be looked up yet: ESRCH.
fn target(pid: i32) -> Result<&'static Proc, Errno> {
    let me = curproc_opt().ok_or(Errno::ESRCH)?;
    if pid == 0 || pid as u32 == me.pid() {
        Ok(me)
    } else {
        Err(Errno::ESRCH)
    }
}

/// Read and optionally replace a limit of process `p`.
fn prlimit(p: &Proc, resource: u32, new: Option<Rlimit>) -> Result<Rlimit, Errno> {
    apply(&mut p.rlimits.lock(), resource, new, PRIVILEGED)
}

/// getrlimit(resource, rlim).
pub fn sys_getrlimit(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let p = target(0)?;
    let old = prlimit(p, ctx.arg(0) as u32, None)?;
    copyout_plain(ctx.arg(1), &old)?;
    Ok(0)
}

/// setrlimit(resource, rlim): the new limit is read first (EFAULT).
pub fn sys_setrlimit(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let new: Rlimit = copyin_plain(ctx.arg(1))?;
    let p = target(0)?;
    prlimit(p, ctx.arg(0) as u32, Some(new))?;
    Ok(0)
}

/// prlimit64(pid, resource, new, old): either pointer may be NULL. As on
/// Linux the new limit is read first (EFAULT), then the process is found
/// (ESRCH), then the limit changed, and the old one is written last (an
/// EFAULT there leaves the new limit in place).
pub fn sys_prlimit64(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let new: Option<Rlimit> = match ctx.arg(2) {
        0 => None,
        a => Some(copyin_plain(a)?),
    };
    let p = target(ctx.arg(0) as i32)?;
    let old = prlimit(p, ctx.arg(1) as u32, new)?;
    if ctx.arg(3) != 0 {
        copyout_plain(ctx.arg(3), &old)?;
    }
    Ok(0)
}
