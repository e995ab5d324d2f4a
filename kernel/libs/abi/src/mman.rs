//! Memory-mapping vocabulary (asm-generic/mman-common.h, x86's mman.h):
//! `PROT_*`, `MAP_*`, `MADV_*`, `MCL_*`, `MLOCK_*`, `MREMAP_*`, msync's
//! `MS_*`.

use core::fmt;

use crate::flagfmt::{Flags, Named, names};

/// Page cannot be accessed.
pub const PROT_NONE: i32 = 0x0;
/// Page can be read.
pub const PROT_READ: i32 = 0x1;
/// Page can be written.
pub const PROT_WRITE: i32 = 0x2;
/// Page can be executed.
pub const PROT_EXEC: i32 = 0x4;
/// Page may be used for atomic operations (ignored).
pub const PROT_SEM: i32 = 0x8;
/// mprotect: extend the change down to the start of a grows-down mapping.
pub const PROT_GROWSDOWN: i32 = 0x0100_0000;
/// mprotect: extend the change up to the end of a grows-up mapping.
pub const PROT_GROWSUP: i32 = 0x0200_0000;

/// Share changes.
pub const MAP_SHARED: i32 = 0x01;
/// Changes are private (copy on write).
pub const MAP_PRIVATE: i32 = 0x02;
/// MAP_SHARED, and fail on unknown flags.
pub const MAP_SHARED_VALIDATE: i32 = 0x03;
/// Mask of the mapping type.
pub const MAP_TYPE: i32 = 0x0f;
/// Map exactly at the address, replacing what is there.
pub const MAP_FIXED: i32 = 0x10;
/// Not backed by a file.
pub const MAP_ANONYMOUS: i32 = 0x20;
/// Map in the first 2 GiB.
pub const MAP_32BIT: i32 = 0x40;
/// A stack-like segment that grows down.
pub const MAP_GROWSDOWN: i32 = 0x0100;
/// Ignored.
pub const MAP_DENYWRITE: i32 = 0x0800;
/// Ignored.
pub const MAP_EXECUTABLE: i32 = 0x1000;
/// Lock the pages (mlock).
pub const MAP_LOCKED: i32 = 0x2000;
/// Do not reserve swap space.
pub const MAP_NORESERVE: i32 = 0x4000;
/// Prefault the pages.
pub const MAP_POPULATE: i32 = 0x8000;
/// With MAP_POPULATE: do not block on I/O.
pub const MAP_NONBLOCK: i32 = 0x1_0000;
/// The mapping is a thread stack.
pub const MAP_STACK: i32 = 0x2_0000;
/// Use huge pages.
pub const MAP_HUGETLB: i32 = 0x4_0000;
/// Synchronous page faults for DAX files.
pub const MAP_SYNC: i32 = 0x8_0000;
/// MAP_FIXED that fails instead of replacing.
pub const MAP_FIXED_NOREPLACE: i32 = 0x10_0000;
/// Do not clear anonymous pages (embedded kernels only).
pub const MAP_UNINITIALIZED: i32 = 0x400_0000;

/// No special treatment.
pub const MADV_NORMAL: i32 = 0;
/// Expect random references.
pub const MADV_RANDOM: i32 = 1;
/// Expect sequential references.
pub const MADV_SEQUENTIAL: i32 = 2;
/// Will need these pages.
pub const MADV_WILLNEED: i32 = 3;
/// Do not need these pages: private anonymous pages read back as zero.
pub const MADV_DONTNEED: i32 = 4;
/// The pages may be freed lazily.
pub const MADV_FREE: i32 = 8;
/// Remove the pages and their backing store.
pub const MADV_REMOVE: i32 = 9;
/// Do not inherit across fork.
pub const MADV_DONTFORK: i32 = 10;
/// Inherit across fork (undo MADV_DONTFORK).
pub const MADV_DOFORK: i32 = 11;
/// KSM may merge these pages.
pub const MADV_MERGEABLE: i32 = 12;
/// KSM may not merge these pages.
pub const MADV_UNMERGEABLE: i32 = 13;
/// Worth backing with transparent huge pages.
pub const MADV_HUGEPAGE: i32 = 14;
/// Not worth backing with huge pages.
pub const MADV_NOHUGEPAGE: i32 = 15;
/// Exclude from core dumps.
pub const MADV_DONTDUMP: i32 = 16;
/// Include in core dumps.
pub const MADV_DODUMP: i32 = 17;
/// Zero-fill in the child after fork.
pub const MADV_WIPEONFORK: i32 = 18;
/// Undo MADV_WIPEONFORK.
pub const MADV_KEEPONFORK: i32 = 19;
/// Deactivate the pages.
pub const MADV_COLD: i32 = 20;
/// Reclaim the pages.
pub const MADV_PAGEOUT: i32 = 21;
/// Prefault readable.
pub const MADV_POPULATE_READ: i32 = 22;
/// Prefault writable.
pub const MADV_POPULATE_WRITE: i32 = 23;
/// MADV_DONTNEED that also applies to locked pages.
pub const MADV_DONTNEED_LOCKED: i32 = 24;
/// Collapse into huge pages synchronously.
pub const MADV_COLLAPSE: i32 = 25;
/// Poison the pages (testing).
pub const MADV_HWPOISON: i32 = 100;
/// Soft-offline the pages (testing).
pub const MADV_SOFT_OFFLINE: i32 = 101;

/// mlockall: lock the current mappings.
pub const MCL_CURRENT: i32 = 1;
/// mlockall: lock future mappings.
pub const MCL_FUTURE: i32 = 2;
/// mlockall: lock pages as they are faulted in.
pub const MCL_ONFAULT: i32 = 4;
/// mlock2: lock pages as they are faulted in.
pub const MLOCK_ONFAULT: i32 = 1;

/// mremap: the mapping may move.
pub const MREMAP_MAYMOVE: i32 = 1;
/// mremap: move to the given address.
pub const MREMAP_FIXED: i32 = 2;
/// mremap: leave the old range mapped (and empty).
pub const MREMAP_DONTUNMAP: i32 = 4;

/// msync: schedule the write-back.
pub const MS_ASYNC: i32 = 1;
/// msync: invalidate other mappings of the file.
pub const MS_INVALIDATE: i32 = 2;
/// msync: write back and wait.
pub const MS_SYNC: i32 = 4;

const PROT_NAMES: &[(u64, &str)] = names!(bits32;
    PROT_READ, PROT_WRITE, PROT_EXEC, PROT_SEM, PROT_GROWSDOWN, PROT_GROWSUP);

/// mmap/mprotect protection, e.g. `PROT_READ|PROT_WRITE` or `PROT_NONE`.
pub fn fmt_prot(prot: i32) -> Flags {
    Flags::new(prot as u32 as u64, PROT_NAMES, "PROT_NONE")
}

const MAP_NAMES: &[(u64, &str)] = names!(bits32;
    MAP_FIXED, MAP_ANONYMOUS, MAP_32BIT, MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE,
    MAP_LOCKED, MAP_NORESERVE, MAP_POPULATE, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB, MAP_SYNC,
    MAP_FIXED_NOREPLACE, MAP_UNINITIALIZED);

/// mmap flags as strace prints them: the type, then the flags
/// (`MAP_PRIVATE|MAP_ANONYMOUS`).
#[derive(Clone, Copy, Debug)]
pub struct MapFlags(pub i32);

impl fmt::Display for MapFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 & MAP_TYPE {
            MAP_SHARED => f.write_str("MAP_SHARED")?,
            MAP_PRIVATE => f.write_str("MAP_PRIVATE")?,
            MAP_SHARED_VALIDATE => f.write_str("MAP_SHARED_VALIDATE")?,
            // C's "%#x": no prefix for 0.
            0 => f.write_str("0 /* MAP_??? */")?,
            t => write!(f, "{t:#x} /* MAP_??? */")?,
        }
        let rest = (self.0 & !MAP_TYPE) as u32 as u64;
        Flags::new(rest, MAP_NAMES, "").write_parts(f, true)?;
        Ok(())
    }
}

/// mmap flags, e.g. `MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS`.
pub fn fmt_map_flags(flags: i32) -> MapFlags {
    MapFlags(flags)
}

const MADV_NAMES: &[(i64, &str)] = names!(i64;
    MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_FREE,
    MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK, MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE,
    MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD,
    MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_DONTNEED_LOCKED, MADV_COLLAPSE,
    MADV_HWPOISON, MADV_SOFT_OFFLINE);

/// madvise advice, e.g. `MADV_DONTNEED`.
pub fn fmt_madvise(advice: i32) -> Named {
    Named::new(advice as i64, MADV_NAMES)
}

const MCL_NAMES: &[(u64, &str)] = names!(bits32; MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT);

/// mlockall flags, e.g. `MCL_CURRENT|MCL_FUTURE`.
pub fn fmt_mlockall_flags(flags: i32) -> Flags {
    Flags::new(flags as u32 as u64, MCL_NAMES, "0")
}

const MREMAP_NAMES: &[(u64, &str)] = names!(bits32; MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP);

/// mremap flags, e.g. `MREMAP_MAYMOVE`.
pub fn fmt_mremap_flags(flags: i32) -> Flags {
    Flags::new(flags as u32 as u64, MREMAP_NAMES, "0")
}

const MS_NAMES: &[(u64, &str)] = names!(bits32; MS_ASYNC, MS_INVALIDATE, MS_SYNC);

/// msync flags, e.g. `MS_SYNC`.
pub fn fmt_msync_flags(flags: i32) -> Flags {
    Flags::new(flags as u32 as u64, MS_NAMES, "0")
}
