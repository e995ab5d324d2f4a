//! Kernel malloc types (malloc(9)'s `struct malloc_type`): named accounts
//! for allocations that are not of one fixed type. Each type counts its
//! bytes and requests and has a limit, settable where the type is defined
//! and at run time. An allocation that would pass the limit fails with
//! `NoMem` when the caller allows failure (`NOWAIT`); a `WAITOK` caller
//! has promised it cannot handle failure, so that is a kernel panic.
//!
//! ```ignore
//! malloc_type!(pub M_TEMP, "temp", 1 << 20);
//! let buf = M_TEMP.alloc(512, MallocFlags::NOWAIT | MallocFlags::ZERO)?;
//! ```

use crate::kern::error::{KResult, KernError};
use alloc::vec::Vec;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use spin::Mutex;

bitflags::bitflags! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct MallocFlags: u32 {
        /// The caller cannot handle failure.
        const WAITOK = 1;
        /// The caller handles failure (`Err(NoMem)`).
        const NOWAIT = 2;
        /// Zero the memory (it always is: memory is handed out zeroed).
        const ZERO = 4;
    }
}

/// A malloc type.
pub struct MallocType {
    pub name: &'static str,
    limit: AtomicUsize,
    in_use: AtomicUsize,
    high_water: AtomicUsize,
    requests: AtomicU64,
    failures: AtomicU64,
    registered: AtomicBool,
}

/// Counters of one malloc type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MallocStats {
    pub in_use: usize,
    pub high_water: usize,
    pub limit: usize,
    pub requests: u64,
    pub failures: u64,
}

/// Define a malloc type: `malloc_type!(pub M_NAME, "name", limit_bytes);`
#[macro_export]
macro_rules! malloc_type {
    ($vis:vis $ident:ident, $name:expr, $limit:expr) => {
        $vis static $ident: $crate::kern::mem::malloc::MallocType =
            $crate::kern::mem::malloc::MallocType::new($name, $limit);
    };
}

const MAX_TYPES: usize = 64;
static TYPES: Mutex<([Option<&'static MallocType>; MAX_TYPES], usize)> =
    Mutex::new(([None; MAX_TYPES], 0));

impl MallocType {
    pub const fn new(name: &'static str, limit: usize) -> Self {
        MallocType {
            name,
            limit: AtomicUsize::new(limit),
            in_use: AtomicUsize::new(0),
            high_water: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            registered: AtomicBool::new(false),
        }
    }

    /// Change the limit (bytes). Memory already in use stays.
    pub fn set_limit(&self, limit: usize) {
        self.limit.store(limit, Ordering::Relaxed);
    }

    pub fn stats(&self) -> MallocStats {
        MallocStats {
            in_use: self.in_use.load(Ordering::Relaxed),
            high_water: self.high_water.load(Ordering::Relaxed),
            limit: self.limit.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
        }
    }

    fn register(&'static self) {
        if !self.registered.swap(true, Ordering::AcqRel) {
            x86_64::instructions::interrupts::without_interrupts(|| {
                let mut t = TYPES.lock();
                let n = t.1;
                assert!(n < MAX_TYPES, "too many malloc types");
                t.0[n] = Some(self);
                t.1 += 1;
            });
        }
    }

    fn fail(&self, flags: MallocFlags, why: &str, size: usize) -> KernError {
        self.failures.fetch_add(1, Ordering::Relaxed);
        if !flags.contains(MallocFlags::NOWAIT) {
            panic!(
                "malloc: {size} bytes of type {}: {why} (and the caller cannot handle failure)",
                self.name
            );
        }
        KernError::NoMem
    }

    /// Allocate `size` bytes of this type (malloc(9)).
    pub fn alloc(&'static self, size: usize, flags: MallocFlags) -> KResult<MallocBox> {
        self.register();
        self.requests.fetch_add(1, Ordering::Relaxed);
        let limit = self.limit.load(Ordering::Relaxed);
        // Reserve the bytes against the limit first, so racing allocations
        // cannot pass it together.
        let mut cur = self.in_use.load(Ordering::Relaxed);
        loop {
            if cur.checked_add(size).is_none_or(|n| n > limit) {
                return Err(self.fail(flags, "over the type's limit", size));
            }
            match self
                .in_use
                .compare_exchange(cur, cur + size, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        self.high_water.fetch_max(cur + size, Ordering::Relaxed);
        let mut buf: Vec<u8> = Vec::new();
        if buf.try_reserve_exact(size).is_err() {
            self.in_use.fetch_sub(size, Ordering::Relaxed);
            return Err(self.fail(flags, "out of memory", size));
        }
        // Fresh memory is always handed out zeroed (ZERO is then free).
        buf.resize(size, 0);
        Ok(MallocBox { buf, mtype: self })
    }
}

/// Memory from a malloc type; freed (and the type credited) on drop.
pub struct MallocBox {
    buf: Vec<u8>,
    mtype: &'static MallocType,
}

impl Deref for MallocBox {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf
    }
}

impl DerefMut for MallocBox {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

impl Drop for MallocBox {
    fn drop(&mut self) {
        self.mtype
            .in_use
            .fetch_sub(self.buf.len(), Ordering::Relaxed);
    }
}

/// Write a table of every malloc type used so far (`vmstat -m`, second part).
pub fn report(out: &mut dyn core::fmt::Write) -> core::fmt::Result {
    writeln!(
        out,
        "{:<16} {:>10} {:>10} {:>10} {:>10} {:>6}",
        "Type", "InUse", "HighUse", "Limit", "Requests", "Fail"
    )?;
    for t in types() {
        let s = t.stats();
        writeln!(
            out,
            "{:<16} {:>10} {:>10} {:>10} {:>10} {:>6}",
            t.name, s.in_use, s.high_water, s.limit, s.requests, s.failures
        )?;
    }
    Ok(())
}

/// Every malloc type used so far.
pub fn types() -> impl Iterator<Item = &'static MallocType> {
    let (table, n) = x86_64::instructions::interrupts::without_interrupts(|| *TYPES.lock());
    (0..n).filter_map(move |i| table[i])
}
