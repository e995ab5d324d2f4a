//! The kernel's random-number generator (Linux's crng, NetBSD's
//! kern_entropy.c + cprng, in miniature) and the getrandom system call.
//!
//! This module owns the generator's key and its seeding. It never blocks
//! (the generator is seeded at its first use) and never hands out seed
//! material directly. Kernel users call `random_bytes` (exec's AT_RANDOM,
//! anything else that needs unpredictable bytes); user programs call
//! getrandom(2).
//!
//! Construction: "fast key erasure" over ChaCha20 (`chacha20`). The pool
//! holds one 256-bit key. A request takes the pool lock, stirs fresh
//! inputs into the key (the TSC; RDRAND where the CPU has it), runs one
//! ChaCha20 block with it, and splits the 64 bytes: the first half replaces
//! the pool key, the second half becomes the request's own key, after
//! which the lock is dropped. The request's bytes are the ChaCha20
//! keystream of its own key (block counter 0, 1, ...), generated without
//! the lock, so a 32 MiB getrandom does not hold up anyone. Since the pool
//! key is overwritten at every request, a later compromise of the pool key
//! reveals nothing about bytes already handed out (forward secrecy).
//!
//! Seeding (the first request): RDRAND, 256 bits, when CPUID says the CPU
//! has it. QEMU's `qemu64` CPU model does not have it, and then the seed
//! comes from what the machine offers: the TSC now and at boot, the clock
//! tick count and the wall clock (the RTC at boot). These are predictable
//! to someone who knows the machine, and entirely deterministic under
//! QEMU's `-icount` (every boot then produces the same sequence: distinct
//! within a boot, e.g. AT_RANDOM of successive programs, but equal across
//! boots). The TSC read at every request adds timing jitter on real
//! hardware. Seeding never waits, so GRND_NONBLOCK never fails with EAGAIN
//! and GRND_RANDOM draws from the same generator (as Linux does since 5.6).

pub mod chacha20;
mod tests;

use crate::arch::x86_64::{apic, rdrand, tsc};
use crate::kern::sched::spinlock::SpinLock;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use crate::uvm::copy;
use core::sync::atomic::Ordering;
use ferrite_abi::random::{GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM};

struct Pool {
    key: [u32; 8],
    seeded: bool,
    /// Requests served (the block position of the key-update block).
    requests: u64,
}

static POOL: SpinLock<Pool> = SpinLock::new(
    "random",
    Pool {
        key: [0; 8],
        seeded: false,
        requests: 0,
    },
);

/// Where the seed came from (for the log and the tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedSource {
    /// RDRAND plus the machine's clocks.
    Rdrand,
    /// The machine's clocks only (no RDRAND).
    ClocksOnly,
}

/// XOR a 64-bit input into two key words.
fn mix(key: &mut [u32; 8], at: usize, v: u64) {
    key[at % 8] ^= v as u32;
    key[(at + 1) % 8] ^= (v >> 32) as u32;
}

/// Seed the pool key (the first request).
fn seed(p: &mut Pool) -> SeedSource {
    let mut source = SeedSource::ClocksOnly;
    if rdrand::available() {
        for i in 0..4 {
            if let Some(v) = rdrand::rdrand64() {
                mix(&mut p.key, 2 * i, v);
                source = SeedSource::Rdrand;
            }
        }
    }
    mix(&mut p.key, 0, tsc::read());
    mix(&mut p.key, 2, tsc::since_boot());
    mix(&mut p.key, 4, apic::ticks());
    mix(&mut p.key, 6, crate::kern::time::realtime_ns() as u64);
    p.seeded = true;
    source
}

fn log_seed(source: SeedSource) {
    log::info!(
        "random: generator seeded from {}",
        match source {
            SeedSource::Rdrand => "RDRAND and the clocks",
            SeedSource::ClocksOnly => "the TSC, the tick count and the RTC (no RDRAND on this CPU)",
        }
    );
}

/// How the generator was seeded (None: not yet).
pub fn seed_source() -> Option<SeedSource> {
    SEEDED_FROM.lock().as_ref().copied()
}

static SEEDED_FROM: SpinLock<Option<SeedSource>> = SpinLock::new("random-seed", None);

/// A request's private keystream.
pub struct Stream {
    key: [u32; 8],
    counter: u64,
}

impl Stream {
    /// A new stream: updates the pool key and takes a key of its own (see
    /// the module comment).
    pub fn new() -> Stream {
        let mut seeded_now = None;
        let key = {
            let mut p = POOL.lock();
            if !p.seeded {
                seeded_now = Some(seed(&mut p));
            }
            mix(&mut p.key, 0, tsc::read());
            if let Some(v) = rdrand::rdrand64() {
                mix(&mut p.key, 2, v);
            }
            let n = p.requests;
            p.requests = n.wrapping_add(1);
            let b = chacha20::block(&p.key, [n as u32, (n >> 32) as u32, 0, 0]);
            let (pool_half, own_half) = b.split_at(32);
            p.key = chacha20::key_from_bytes(pool_half.try_into().expect("32 bytes"));
            chacha20::key_from_bytes(own_half.try_into().expect("32 bytes"))
        };
        if let Some(source) = seeded_now {
            *SEEDED_FROM.lock() = Some(source);
            log_seed(source);
        }
        Stream { key, counter: 0 }
    }

    /// Fill `buf` with the next keystream bytes (a partly used block is
    /// not reused).
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(64) {
            let c = self.counter;
            self.counter += 1;
            let b = chacha20::block(&self.key, [c as u32, (c >> 32) as u32, 0, 0]);
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
    }
}

impl Default for Stream {
    fn default() -> Stream {
        Stream::new()
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.key = [0; 8];
    }
}

/// Fill `buf` with unpredictable bytes. Never blocks and never fails; may
/// be called with interrupts off (it takes a spin lock briefly).
pub fn random_bytes(buf: &mut [u8]) {
    Stream::new().fill(buf);
}

/// Linux's per-call cap on getrandom (before 5.18: `INT_MAX >> 6`, just
/// under 32 MiB); a larger request returns this many bytes.
pub const GETRANDOM_MAX: usize = (i32::MAX >> 6) as usize;

/// Bytes generated and copied out per step.
const CHUNK: usize = 256;
/// A signal is looked for after every this many bytes.
const SIGNAL_CHECK: usize = 4096;

/// getrandom(buf, len, flags): `len` bytes (at most `GETRANDOM_MAX`) of
/// the generator's output. EINVAL for unknown flags or GRND_RANDOM with
/// GRND_INSECURE; EFAULT if not a byte could be stored; fewer bytes than
/// asked if a later part of the buffer is bad or a signal arrives.
pub fn sys_getrandom(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (addr, len, flags) = (ctx.arg(0), ctx.arg(1) as usize, ctx.arg(2) as u32);
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_RANDOM | GRND_INSECURE) == GRND_RANDOM | GRND_INSECURE
    {
        return Err(Errno::EINVAL);
    }
    let len = len.min(GETRANDOM_MAX);
    if len == 0 {
        return Ok(0);
    }
    let mut stream = Stream::new();
    let mut buf = [0u8; CHUNK];
    let mut done = 0;
    let l = crate::kern::sched::curlwp();
    while done < len {
        let n = CHUNK.min(len - done);
        stream.fill(&mut buf[..n]);
        if copy::copyout(addr + done as u64, &buf[..n]).is_err() {
            break;
        }
        done += n;
        if done % SIGNAL_CHECK == 0 && l.interrupt_pending.load(Ordering::Relaxed) {
            break;
        }
    }
    buf.fill(0);
    if done == 0 {
        return Err(Errno::EFAULT);
    }
    Ok(done)
}

/// The random-number system calls.
pub const SYSCALLS: crate::kern::syscall::table::SysList = {
    use crate::kern::syscall::trace::Arg;
    &[crate::sys!(
        ferrite_abi::syscall::SYS_getrandom,
        "getrandom",
        sys_getrandom,
        [Arg::Hex, Arg::Int, Arg::Hex]
    )]
};
