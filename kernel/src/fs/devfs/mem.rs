//! The memory devices (Linux's drivers/char/mem.c and the random
//! devices): `/dev/null` (reads end at once, writes vanish), `/dev/zero`
//! (reads zeroes, writes vanish), `/dev/full` (reads zeroes, writes fail
//! with ENOSPC), `/dev/urandom` and `/dev/random` (reads pseudo-random
//! bytes, writes are accepted and ignored).
//!
//! The random bytes come from a SplitMix64 generator seeded from RDRAND
//! when the CPU has it, else from the TSC: unpredictable enough for hash
//! seeds and test data, not for keys. (The kernel's entropy pool, when it
//! exists, replaces `next_random`.)

use crate::fs::uio::{IoFlags, Uio};
use crate::fs::vnode::VnodeOps;
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};
use ferrite_abi::{Errno, Stat};

/// Which memory device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemKind {
    Null,
    Zero,
    Full,
    Random,
}

/// A memory device node.
pub struct MemDev {
    kind: MemKind,
    rdev: u64,
}

impl MemDev {
    pub fn new(kind: MemKind, rdev: u64) -> MemDev {
        MemDev { kind, rdev }
    }
}

/// Chunk size for filling a reader's buffer.
const CHUNK: usize = 256;

static RANDOM_STATE: AtomicU64 = AtomicU64::new(0);

/// The next pseudo-random word (SplitMix64 over a shared counter).
pub fn next_random() -> u64 {
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
    if RANDOM_STATE.load(Ordering::Relaxed) == 0 {
        let seed = x86_64::instructions::random::RdRand::new()
            .and_then(|r| r.get_u64())
            .unwrap_or_else(crate::arch::x86_64::tsc::read)
            | 1;
        let _ = RANDOM_STATE.compare_exchange(0, seed, Ordering::Relaxed, Ordering::Relaxed);
    }
    let mut z = RANDOM_STATE
        .fetch_add(GAMMA, Ordering::Relaxed)
        .wrapping_add(GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Fill `uio` with bytes from `fill`, a chunk at a time.
fn fill_reader(uio: &mut Uio<'_>, mut fill: impl FnMut(&mut [u8])) -> Result<usize, Errno> {
    let mut chunk = [0u8; CHUNK];
    let mut total = 0;
    while uio.resid() > 0 {
        let n = uio.resid().min(CHUNK);
        fill(&mut chunk[..n]);
        let moved = uio.move_out(&chunk[..n])?;
        total += moved;
        if moved < n {
            break;
        }
    }
    Ok(total)
}

impl VnodeOps for MemDev {
    fn getattr(&self) -> Stat {
        super::chr_stat(0o666, self.rdev)
    }

    fn maps_anonymous(&self) -> bool {
        self.kind == MemKind::Zero
    }

    fn read(&self, _off: u64, uio: &mut Uio<'_>, _flags: IoFlags) -> Result<usize, Errno> {
        match self.kind {
            MemKind::Null => Ok(0),
            MemKind::Zero | MemKind::Full => fill_reader(uio, |b| b.fill(0)),
            MemKind::Random => fill_reader(uio, |b| {
                for c in b.chunks_mut(8) {
                    let w = next_random().to_le_bytes();
                    c.copy_from_slice(&w[..c.len()]);
                }
            }),
        }
    }

    fn write(&self, off: u64, uio: &mut Uio<'_>, _flags: IoFlags) -> Result<(usize, u64), Errno> {
        match self.kind {
            MemKind::Full => Err(Errno::ENOSPC),
            _ => {
                let n = uio.resid();
                uio.skip(n);
                Ok((n, off))
            }
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
