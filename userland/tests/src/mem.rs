//! Anonymous mappings for checks: owned (unmapped on drop), with the
//! protection changes the checks need.

use ftest::sys;

/// The page size Ferrite and Linux x86_64 use.
pub const PAGE: usize = 4096;

/// An anonymous mapping, unmapped when dropped.
#[derive(Debug)]
pub struct Mapping {
    pub addr: usize,
    pub len: usize,
}

impl Mapping {
    /// Maps `len` bytes of private anonymous memory with `prot`.
    pub fn anon(len: usize, prot: i32) -> Result<Mapping, String> {
        Self::map(len, prot, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS)
    }

    /// Maps `len` bytes of shared anonymous memory, readable and writable.
    pub fn shared(len: usize) -> Result<Mapping, String> {
        Self::map(
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
        )
    }

    fn map(len: usize, prot: i32, flags: i32) -> Result<Mapping, String> {
        // SAFETY: a fresh anonymous mapping at an address the kernel picks.
        let p = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, flags, -1, 0) };
        if p == libc::MAP_FAILED {
            return Err(format!(
                "mmap({len}, prot {prot:#x}, flags {flags:#x}) failed: {}",
                ftest::errname(ftest::errno())
            ));
        }
        Ok(Mapping {
            addr: p as usize,
            len,
        })
    }

    pub fn ptr(&self) -> *mut u8 {
        self.addr as *mut u8
    }

    /// The mapping as bytes (it must be readable).
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping is live for `len` bytes while self is.
        unsafe { std::slice::from_raw_parts(self.ptr(), self.len) }
    }

    /// The mapping as mutable bytes (it must be writable).
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above, and we hold the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr(), self.len) }
    }

    /// Changes the protection of the whole mapping.
    pub fn protect(&self, prot: i32) -> Result<(), String> {
        // SAFETY: our own mapping.
        sys(
            unsafe { libc::mprotect(self.ptr().cast(), self.len, prot) },
            "mprotect",
        )?;
        Ok(())
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: our own mapping; nothing refers to it any more.
        unsafe { libc::munmap(self.ptr().cast(), self.len) };
    }
}

/// Where [`unmapped_page`] maps and unmaps its page: far below where Linux
/// and Ferrite put programs, the heap and top-down mappings, so that the
/// hole is not filled again by the next allocation (a hole next to recent
/// mappings would be: malloc maps pages of its own between the munmap and
/// the call that is meant to fault).
const UNMAPPED_HINT: usize = 0x2000_0000_0000;

/// The address of a page that was mapped a moment ago and is not any more.
pub fn unmapped_page() -> Result<usize, String> {
    // SAFETY: a hint, not MAP_FIXED: nothing mapped is replaced.
    let p = unsafe {
        libc::mmap(
            UNMAPPED_HINT as *mut libc::c_void,
            PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(format!("mmap failed: {}", ftest::errname(ftest::errno())));
    }
    drop(Mapping {
        addr: p as usize,
        len: PAGE,
    });
    Ok(p as usize)
}
