//! poll(2) and ppoll(2) (NetBSD's sys_select.c, Linux's do_poll).
//!
//! The algorithm:
//!
//! 1. Read the notification generation, then check every descriptor: a
//!    negative one is skipped (revents 0), one that is not open gets
//!    POLLNVAL, an open one the events that hold now (POLLERR and POLLHUP
//!    are reported even if not asked for).
//! 2. If any descriptor has events, or the timeout is zero, return how
//!    many have.
//! 3. Otherwise sleep, interruptibly and at most until the deadline,
//!    until the generation moves: every readiness change anywhere (a pipe
//!    read, write or close, console input) calls `notify`, which bumps it
//!    and wakes the pollers. Then check again (step 1).
//!
//! One channel for all readiness changes: a poller may wake for a change
//! that is not its own and goes back to sleep after its check; a change
//! costs only an atomic add when nobody polls. No wakeup is lost: the
//! generation is read before the check, and the sleep ends at once if it
//! moved since.
//!
//! A sleep broken by a signal is EINTR; the timeout expiring returns 0.
//! ppoll's signal mask replaces the caller's while it sleeps (the old one
//! returns with the call, or after the handler of a signal that broke
//! it); ppoll writes the time left back, as Linux does.

use super::descrip::FdTable;
use crate::arch::x86_64::apic;
use crate::kern::sched::sleepq::{self, SleepError};
use crate::kern::syscall::{SysResult, SyscallCtx};
use crate::uvm::copy;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use ferrite_abi::poll::POLLNVAL;
use ferrite_abi::{Errno, Plain, Pollfd, Timespec};

/// Bumped by every readiness change.
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// Threads sleeping in poll.
static POLLERS: AtomicU32 = AtomicU32::new(0);

fn chan() -> usize {
    sleepq::chan(&GENERATION)
}

/// Something became readable, writable or hung up: wake the pollers.
pub fn notify() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
    if POLLERS.load(Ordering::SeqCst) > 0 {
        sleepq::wakeup(chan());
    }
}

/// Step 1: fill in every `revents`; returns how many are non-zero.
pub fn scan(table: &FdTable, fds: &mut [Pollfd]) -> usize {
    let mut n = 0;
    for p in fds.iter_mut() {
        p.revents = if p.fd < 0 {
            0
        } else {
            match table.get(p.fd) {
                Ok(f) => f.poll(p.events),
                Err(_) => POLLNVAL,
            }
        };
        if p.revents != 0 {
            n += 1;
        }
    }
    n
}

/// Poll `fds` in `table` for at most `timeout` clock ticks (None:
/// forever); returns how many have events.
pub fn poll_table(
    table: &crate::kern::sched::mutex::Mutex<FdTable>,
    fds: &mut [Pollfd],
    timeout: Option<u64>,
) -> Result<usize, Errno> {
    // One tick more than asked: the current tick is partly over, and a
    // poll must wait at least its timeout.
    let deadline = timeout.map(|t| apic::ticks().saturating_add(t + 1));
    loop {
        let gen_before = GENERATION.load(Ordering::SeqCst);
        let n = scan(&table.lock(), fds);
        if n > 0 || timeout == Some(0) {
            return Ok(n);
        }
        let left = match deadline {
            Some(d) => {
                let now = apic::ticks();
                if now >= d {
                    return Ok(0);
                }
                Some(d - now)
            }
            None => None,
        };
        POLLERS.fetch_add(1, Ordering::SeqCst);
        let r = sleepq::sleep_until(chan(), true, left, || {
            GENERATION.load(Ordering::SeqCst) != gen_before
        });
        POLLERS.fetch_sub(1, Ordering::SeqCst);
        match r {
            Ok(()) => {}
            Err(SleepError::TimedOut) => return Ok(0),
            Err(SleepError::Interrupted) => return Err(Errno::EINTR),
        }
    }
}

/// Copy in `nfds` pollfds from `addr`.
fn copyin_fds(addr: u64, nfds: usize) -> Result<Vec<Pollfd>, Errno> {
    let mut bytes = Vec::new();
    let len = nfds.checked_mul(Pollfd::SIZE).ok_or(Errno::EINVAL)?;
    bytes.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
    bytes.resize(len, 0);
    copy::copyin(&mut bytes, addr).map_err(|_| Errno::EFAULT)?;
    let mut fds = Vec::new();
    fds.try_reserve_exact(nfds).map_err(|_| Errno::ENOMEM)?;
    fds.extend(bytes.chunks_exact(Pollfd::SIZE).map(Pollfd::get));
    Ok(fds)
}

/// Copy the `revents` back (Linux writes only that field of each entry).
fn copyout_revents(addr: u64, fds: &[Pollfd]) -> Result<(), Errno> {
    for (i, p) in fds.iter().enumerate() {
        let at = addr + (i * Pollfd::SIZE) as u64 + 6;
        copy::copyout(at, &p.revents.to_le_bytes()).map_err(|_| Errno::EFAULT)?;
    }
    Ok(())
}

fn do_poll(addr: u64, nfds: u64, timeout: Option<u64>) -> Result<usize, Errno> {
    let p = crate::kern::proc::curproc();
    let limit = super::sys_descrip::nofile_limit(p);
    if nfds > limit as u64 {
        return Err(Errno::EINVAL);
    }
    let mut fds = copyin_fds(addr, nfds as usize)?;
    let n = poll_table(&p.files, &mut fds, timeout)?;
    copyout_revents(addr, &fds)?;
    Ok(n)
}

/// Clock ticks for `ms` milliseconds.
fn ms_ticks(ms: u64) -> u64 {
    if ms == 0 { 0 } else { sleepq::ms_to_ticks(ms) }
}

/// poll(fds, nfds, timeout_ms): a negative timeout waits forever.
pub fn sys_poll(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let timeout = ctx.arg(2) as i32;
    let t = (timeout >= 0).then(|| ms_ticks(timeout as u64));
    do_poll(ctx.arg(0), ctx.arg(1), t)
}

/// ppoll(fds, nfds, tsp, sigmask, sigsetsize).
pub fn sys_ppoll(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (addr, nfds, tsp, mask, setsize) =
        (ctx.arg(0), ctx.arg(1), ctx.arg(2), ctx.arg(3), ctx.arg(4));
    if mask != 0 && setsize != 8 {
        return Err(Errno::EINVAL);
    }
    let timeout = if tsp == 0 {
        None
    } else {
        let mut b = [0u8; Timespec::SIZE];
        copy::copyin(&mut b, tsp).map_err(|_| Errno::EFAULT)?;
        let ts = Timespec::get(&b);
        if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
            return Err(Errno::EINVAL);
        }
        let ms = (ts.tv_sec as u64)
            .saturating_mul(1000)
            .saturating_add((ts.tv_nsec as u64).div_ceil(1_000_000));
        Some(ms_ticks(ms))
    };
    // The mask (read before anything changes, so a bad pointer is
    // EFAULT with no effect) is in force while the call sleeps.
    if mask != 0 {
        let set = copy::copyin_u64(mask).map_err(|_| Errno::EFAULT)?;
        crate::kern::sig::set_temporary_mask(ferrite_abi::signal::SigSet(set));
    }
    let start = apic::ticks();
    let r = do_poll(addr, nfds, timeout);
    if let Some(t) = timeout
        && t > 0
    {
        // The time left (Linux updates the caller's timespec; a failure
        // to write it is ignored, as there).
        let used = apic::ticks() - start;
        let left_ticks = t.saturating_sub(used);
        let hz = apic::timer_hz().max(1) as u64;
        let left_ns = left_ticks.saturating_mul(1_000_000_000) / hz;
        let ts = Timespec {
            tv_sec: (left_ns / 1_000_000_000) as i64,
            tv_nsec: (left_ns % 1_000_000_000) as i64,
        };
        let mut b = [0u8; Timespec::SIZE];
        ts.put(&mut b);
        let _ = copy::copyout(tsp, &b);
    }
    r
}

/// The poll system calls.
pub const SYSCALLS: crate::kern::syscall::table::SysList = {
    use crate::kern::syscall::trace::Arg;
    use ferrite_abi::syscall as nr;
    &[
        crate::sys!(
            nr::SYS_poll,
            "poll",
            sys_poll,
            [Arg::Hex, Arg::Int, Arg::Int]
        ),
        crate::sys!(
            nr::SYS_ppoll,
            "ppoll",
            sys_ppoll,
            [Arg::Hex, Arg::Int, Arg::Hex, Arg::Hex, Arg::Int]
        ),
    ]
};
