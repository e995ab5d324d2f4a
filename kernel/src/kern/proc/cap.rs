//! Capabilities (Linux's, as far as Ferrite has them): every process runs
//! as root and starts with every capability; it may drop some with
//! capset(2) (a process that dropped CAP_IPC_LOCK is limited by
//! RLIMIT_MEMLOCK, as an unprivileged Linux process is). Only
//! CAP_IPC_LOCK is consulted by the kernel so far.
//!
//! The three sets (effective, permitted, inheritable) are per process
//! (Ferrite has one thread per process), copied by fork and given back in
//! full by exec (root's capabilities are recomputed at exec: permitted =
//! the bounding set, effective = permitted).
//!
//! capget/capset follow Linux: header versions 1 (one 32-bit word per
//! set) and 2/3 (two words); an unknown version is answered with version 3
//! written back and EINVAL (0 from capget without a data pointer, the way
//! programs probe the version); a negative pid is EINVAL, an unknown one
//! ESRCH; capset only changes the caller (EPERM for another pid) and never
//! raises: permitted may only shrink, effective must stay within permitted,
//! inheritable within the old inheritable plus permitted unless
//! CAP_SETPCAP is in effect (EPERM).

use super::proc::{Proc, curproc};
use super::ptable;
use crate::kern::syscall::trace::Arg;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use crate::uvm::copy;
use core::sync::atomic::{AtomicU64, Ordering};
use ferrite_abi::syscall as nr;

/// CAP_SETPCAP: set any inheritable capability.
const CAP_SETPCAP: u32 = 8;
/// CAP_IPC_LOCK: lock memory beyond RLIMIT_MEMLOCK.
pub const CAP_IPC_LOCK: u32 = 14;
/// The highest capability Linux defines (CAP_CHECKPOINT_RESTORE).
const CAP_LAST_CAP: u32 = 40;
/// Every capability.
const CAP_ALL: u64 = (1 << (CAP_LAST_CAP + 1)) - 1;

const VERSION_1: u32 = 0x1998_0330;
const VERSION_2: u32 = 0x2007_1026;
const VERSION_3: u32 = 0x2008_0522;

pub const SYSCALLS: crate::kern::syscall::table::SysList = &[
    crate::sys!(nr::SYS_capget, "capget", sys_capget, [Arg::Hex, Arg::Hex]),
    crate::sys!(nr::SYS_capset, "capset", sys_capset, [Arg::Hex, Arg::Hex]),
];

/// A process's capability sets (bit n: capability n).
pub struct Caps {
    effective: AtomicU64,
    permitted: AtomicU64,
    inheritable: AtomicU64,
}

impl Caps {
    /// Root's: everything effective and permitted, nothing inheritable.
    pub const fn root() -> Caps {
        Caps {
            effective: AtomicU64::new(CAP_ALL),
            permitted: AtomicU64::new(CAP_ALL),
            inheritable: AtomicU64::new(0),
        }
    }

    /// Copy `other`'s sets (fork).
    pub fn copy_from(&self, other: &Caps) {
        let (e, p, i) = other.get();
        self.set(e, p, i);
    }

    /// Root's sets again (exec).
    pub fn reset_for_exec(&self) {
        let i = self.inheritable.load(Ordering::Relaxed);
        self.set(CAP_ALL, CAP_ALL, i);
    }

    fn get(&self) -> (u64, u64, u64) {
        (
            self.effective.load(Ordering::Relaxed),
            self.permitted.load(Ordering::Relaxed),
            self.inheritable.load(Ordering::Relaxed),
        )
    }

    fn set(&self, e: u64, p: u64, i: u64) {
        self.effective.store(e, Ordering::Relaxed);
        self.permitted.store(p, Ordering::Relaxed);
        self.inheritable.store(i, Ordering::Relaxed);
    }
}

/// Whether the calling process has capability `cap` in effect (true for
/// kernel threads).
pub fn capable(cap: u32) -> bool {
    match super::proc::curproc_opt() {
        Some(p) => p.caps.effective.load(Ordering::Relaxed) & (1 << cap) != 0,
        None => true,
    }
}

/// Read and check the header's version: how many 32-bit words each set
/// takes. An unknown version is answered with version 3 and EINVAL.
fn words(header: u64) -> Result<usize, Errno> {
    let mut v = [0u8; 4];
    copy::copyin(&mut v, header).map_err(|_| Errno::EFAULT)?;
    match u32::from_le_bytes(v) {
        VERSION_1 => Ok(1),
        VERSION_2 | VERSION_3 => Ok(2),
        _ => {
            copy::copyout(header, &VERSION_3.to_le_bytes()).map_err(|_| Errno::EFAULT)?;
            Err(Errno::EINVAL)
        }
    }
}

fn header_pid(header: u64) -> Result<i32, Errno> {
    let mut b = [0u8; 4];
    copy::copyin(&mut b, header + 4).map_err(|_| Errno::EFAULT)?;
    Ok(i32::from_le_bytes(b))
}

/// capget(header, data)
pub fn sys_capget(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (header, data) = (ctx.arg(0), ctx.arg(1));
    let n = match words(header) {
        Ok(n) => n,
        Err(Errno::EINVAL) if data == 0 => return Ok(0),
        Err(e) => return Err(e),
    };
    if data == 0 {
        return Ok(0);
    }
    let pid = header_pid(header)?;
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let me = curproc();
    let (e, p, i) = if pid == 0 || pid as u32 == me.pid() {
        me.caps.get()
    } else {
        let target = ptable::lock().find(pid as u32).ok_or(Errno::ESRCH)?;
        target.caps.get()
    };
    let mut out = [0u8; 24];
    for w in 0..n {
        let word = |set: u64| ((set >> (32 * w)) as u32).to_le_bytes();
        out[w * 12..w * 12 + 4].copy_from_slice(&word(e));
        out[w * 12 + 4..w * 12 + 8].copy_from_slice(&word(p));
        out[w * 12 + 8..w * 12 + 12].copy_from_slice(&word(i));
    }
    copy::copyout(data, &out[..n * 12]).map_err(|_| Errno::EFAULT)?;
    Ok(0)
}

/// capset(header, data)
pub fn sys_capset(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (header, data) = (ctx.arg(0), ctx.arg(1));
    let n = words(header)?;
    let pid = header_pid(header)?;
    let me: &Proc = curproc();
    if pid != 0 && pid as u32 != me.pid() {
        return Err(Errno::EPERM);
    }
    let mut raw = [0u8; 24];
    copy::copyin(&mut raw[..n * 12], data).map_err(|_| Errno::EFAULT)?;
    let (mut e, mut p, mut i) = (0u64, 0u64, 0u64);
    for w in 0..n {
        let word = |k: usize| {
            u64::from(u32::from_le_bytes(
                raw[w * 12 + k..w * 12 + k + 4].try_into().expect("4 bytes"),
            )) << (32 * w)
        };
        e |= word(0);
        p |= word(4);
        i |= word(8);
    }
    let (e, p, i) = (e & CAP_ALL, p & CAP_ALL, i & CAP_ALL);
    let (old_e, old_p, old_i) = me.caps.get();
    let subset = |a: u64, b: u64| a & !b == 0;
    // Without CAP_SETPCAP, no inheritable capability beyond the permitted.
    let inheritable_ok = old_e & (1 << CAP_SETPCAP) != 0 || subset(i, old_i | old_p);
    if !inheritable_ok || !subset(p, old_p) || !subset(e, p) {
        return Err(Errno::EPERM);
    }
    me.caps.set(e, p, i);
    Ok(0)
}
