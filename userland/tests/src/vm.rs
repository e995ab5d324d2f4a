//! The VM system calls as tools for the VM checks: raw calls that return
//! the kernel's answer (the address, or the errno) instead of failing the
//! check, owned regions of any kind, free address ranges, residency
//! (mincore), and byte patterns.

use crate::mem::PAGE;

/// The raw mmap: the address, or the errno.
pub fn mmap(
    addr: usize,
    len: usize,
    prot: i32,
    flags: i32,
    fd: i32,
    off: i64,
) -> Result<usize, i32> {
    // SAFETY: the kernel validates everything; callers only pass MAP_FIXED
    // over ranges they own.
    let r = unsafe { libc::syscall(libc::SYS_mmap, addr, len, prot, flags, fd, off) };
    if r == -1 {
        Err(ftest::errno())
    } else {
        Ok(r as usize)
    }
}

/// Private anonymous memory of `len` bytes with `prot`, anywhere: the
/// address or a reason.
pub fn anon(len: usize, prot: i32) -> Result<usize, String> {
    mmap(0, len, prot, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
        .map_err(|e| format!("mmap({len}, prot {prot:#x}) failed: {}", ftest::errname(e)))
}

/// A raw system call with up to six arguments, as `libc::syscall` returns it.
pub fn sc(nr: libc::c_long, args: &[usize]) -> i64 {
    let a = |i: usize| args.get(i).copied().unwrap_or(0);
    // SAFETY: every VM call validates its arguments; the checks pass ranges
    // they own (or bad ones on purpose).
    unsafe { libc::syscall(nr, a(0), a(1), a(2), a(3), a(4), a(5)) }
}

pub fn munmap(addr: usize, len: usize) -> i64 {
    sc(libc::SYS_munmap, &[addr, len])
}

pub fn mprotect(addr: usize, len: usize, prot: i32) -> i64 {
    sc(libc::SYS_mprotect, &[addr, len, prot as usize])
}

pub fn madvise(addr: usize, len: usize, advice: i32) -> i64 {
    sc(libc::SYS_madvise, &[addr, len, advice as usize])
}

pub fn mlock(addr: usize, len: usize) -> i64 {
    sc(libc::SYS_mlock, &[addr, len])
}

pub fn munlock(addr: usize, len: usize) -> i64 {
    sc(libc::SYS_munlock, &[addr, len])
}

pub fn mremap(old: usize, old_len: usize, new_len: usize, flags: i32, new: usize) -> i64 {
    sc(
        libc::SYS_mremap,
        &[old, old_len, new_len, flags as usize, new],
    )
}

/// Residency of each page of `[addr, addr + len)`: bit 0 of mincore's
/// bytes.
pub fn resident(addr: usize, len: usize) -> Result<Vec<bool>, String> {
    let mut v = vec![0u8; len.div_ceil(PAGE)];
    let r = sc(libc::SYS_mincore, &[addr, len, v.as_mut_ptr() as usize]);
    ftest::sys(r, "mincore")?;
    Ok(v.iter().map(|b| b & 1 == 1).collect())
}

/// An owned mapping, unmapped on drop.
#[derive(Debug)]
pub struct Region {
    pub addr: usize,
    pub len: usize,
}

impl Region {
    /// mmap with these arguments (anywhere unless `addr` and MAP_FIXED).
    pub fn map(
        addr: usize,
        len: usize,
        prot: i32,
        flags: i32,
        fd: i32,
        off: i64,
    ) -> Result<Region, String> {
        let a = mmap(addr, len, prot, flags, fd, off).map_err(|e| {
            format!(
                "mmap({addr:#x}, {len}, prot {prot:#x}, flags {flags:#x}, fd {fd}) failed: {}",
                ftest::errname(e)
            )
        })?;
        Ok(Region { addr: a, len })
    }

    /// Private anonymous memory.
    pub fn anon(len: usize, prot: i32) -> Result<Region, String> {
        Self::map(0, len, prot, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
    }

    /// Shared anonymous memory, readable and writable.
    pub fn shared(len: usize) -> Result<Region, String> {
        Self::map(
            0,
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    }

    /// The address of page `i`.
    pub fn page(&self, i: usize) -> usize {
        self.addr + i * PAGE
    }

    pub fn end(&self) -> usize {
        self.addr + self.len
    }

    /// Byte `off` (the region must be readable there).
    pub fn get(&self, off: usize) -> u8 {
        assert!(off < self.len.next_multiple_of(PAGE));
        // SAFETY: inside the mapping, readable by the caller's contract.
        unsafe { std::ptr::read_volatile((self.addr + off) as *const u8) }
    }

    /// Writes byte `off` (the region must be writable there).
    pub fn set(&self, off: usize, v: u8) {
        assert!(off < self.len.next_multiple_of(PAGE));
        // SAFETY: inside the mapping, writable by the caller's contract.
        unsafe { std::ptr::write_volatile((self.addr + off) as *mut u8, v) }
    }

    /// Writes `v` to the first byte of every page.
    pub fn touch(&self, v: u8) {
        for p in 0..self.len.div_ceil(PAGE) {
            self.set(p * PAGE, v);
        }
    }

    /// Forgets the mapping (it was unmapped or moved by the check).
    pub fn forget(self) {
        std::mem::forget(self)
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        munmap(self.addr, self.len);
    }
}

/// Fills page `i` of a mapping with a pattern that names the page and a tag.
pub fn fill_page(addr: usize, tag: u8) {
    for k in 0..PAGE {
        // SAFETY: the caller's page, writable.
        unsafe { std::ptr::write_volatile((addr + k) as *mut u8, pattern(tag, k)) };
    }
}

/// Checks a page filled by [`fill_page`] with `tag`.
pub fn page_has(addr: usize, tag: u8) -> Result<(), String> {
    for k in 0..PAGE {
        // SAFETY: the caller's page, readable.
        let b = unsafe { std::ptr::read_volatile((addr + k) as *const u8) };
        if b != pattern(tag, k) {
            return Err(format!(
                "page {addr:#x} byte {k}: {b:#x}, expected {:#x} (tag {tag})",
                pattern(tag, k)
            ));
        }
    }
    Ok(())
}

/// Checks that a page reads as zeroes.
pub fn page_is_zero(addr: usize) -> Result<(), String> {
    for k in 0..PAGE {
        // SAFETY: the caller's page, readable.
        let b = unsafe { std::ptr::read_volatile((addr + k) as *const u8) };
        if b != 0 {
            return Err(format!("page {addr:#x} byte {k} is {b:#x}, expected 0"));
        }
    }
    Ok(())
}

fn pattern(tag: u8, k: usize) -> u8 {
    (k as u8).wrapping_mul(31).wrapping_add(tag) ^ ((k >> 8) as u8)
}

/// Where [`free_range`] looks: far from the program, its heap and the
/// top-down mappings, so the next allocation of the C library does not
/// land in the range.
const FREE_HINT: usize = 0x3000_0000_0000;

/// The start of `len` free bytes (mapped and unmapped again a moment ago)
/// for MAP_FIXED experiments.
pub fn free_range(len: usize) -> Result<usize, String> {
    let a = mmap(
        FREE_HINT,
        len,
        libc::PROT_NONE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
        -1,
        0,
    )
    .map_err(|e| format!("reserving {len} bytes: {}", ftest::errname(e)))?;
    ftest::sys(munmap(a, len), "munmap")?;
    Ok(a)
}

/// The current program break.
pub fn brk(addr: usize) -> usize {
    sc(libc::SYS_brk, &[addr]) as usize
}
