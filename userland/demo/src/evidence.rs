//! The kernel's own evidence: counters from `/proc/vmstat` and
//! `getrusage`, the map entry of an address from `/proc/<pid>/uvm`
//! (Ferrite) and `/proc/<pid>/maps`, lines of `/proc/self/status`, and
//! residency from mincore.
//!
//! Counter deltas must count only the operation shown, so a [`Probe`]
//! reads `/proc/vmstat` into a buffer it allocated and wrote once, with
//! raw open/read/close: taking a snapshot touches no new page of the
//! process and allocates nothing (a fresh page would be a fault, a
//! copy-on-write copy after fork, and so show in the delta). Take one
//! snapshot to warm up after a fork before the one that counts.

use std::fmt::Write as _;

/// The `/proc/vmstat` counters the demo shows. The `uvm_*` ones are
/// Ferrite's; Linux has none of them.
pub const NAMES: [&str; 7] = [
    "uvm_faults",
    "uvm_cow_copies",
    "uvm_zero_fills",
    "uvm_fault_object",
    "uvm_fault_promote",
    "uvm_user_wired_pages",
    "uvm_forks",
];

/// One reading of the counters.
#[derive(Clone, Copy)]
pub struct Vm {
    values: [Option<u64>; NAMES.len()],
    /// Minor faults of this process (getrusage), which Linux counts too.
    minflt: u64,
}

impl Vm {
    pub fn get(&self, name: &str) -> Option<u64> {
        let i = NAMES.iter().position(|n| *n == name)?;
        self.values[i]
    }

    /// `name +N, name +M` for the counters among `names` this kernel has;
    /// where it has none of them, the process's minor faults.
    pub fn delta(&self, after: &Vm, names: &[&str]) -> String {
        let mut s = String::new();
        for name in names {
            if let (Some(a), Some(b)) = (self.get(name), after.get(name)) {
                if !s.is_empty() {
                    s.push_str(", ");
                }
                let _ = write!(s, "{name} {:+}", b as i64 - a as i64);
            }
        }
        if s.is_empty() {
            let _ = write!(
                s,
                "minor faults {:+} (getrusage)",
                after.minflt - self.minflt
            );
        }
        s
    }
}

/// A reader of `/proc` files that does not allocate or touch new memory.
pub struct Probe {
    buf: Vec<u8>,
}

impl Probe {
    pub fn new() -> Probe {
        // Written in full (vec! of a non-zero byte), so every page is
        // resident and private before the first snapshot.
        let mut p = Probe {
            buf: vec![0x20; 64 * 1024],
        };
        p.vm();
        p
    }

    /// Reads `path` into the buffer; the bytes read (empty if the file
    /// cannot be read).
    fn read(&mut self, path: &std::ffi::CStr) -> &[u8] {
        // SAFETY: a NUL-terminated path.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            return &[];
        }
        let mut n = 0;
        while n < self.buf.len() {
            // SAFETY: the buffer is valid for the remaining length.
            let r =
                unsafe { libc::read(fd, self.buf[n..].as_mut_ptr().cast(), self.buf.len() - n) };
            if r <= 0 {
                break;
            }
            n += r as usize;
        }
        // SAFETY: our descriptor.
        unsafe { libc::close(fd) };
        &self.buf[..n]
    }

    /// A snapshot of the counters.
    pub fn vm(&mut self) -> Vm {
        let mut values = [None; NAMES.len()];
        for line in self.read(c"/proc/vmstat").split(|b| *b == b'\n') {
            let mut words = line.split(|b| *b == b' ');
            let (Some(name), Some(value)) = (words.next(), words.next()) else {
                continue;
            };
            if let Some(i) = NAMES.iter().position(|n| n.as_bytes() == name) {
                values[i] = parse(value);
            }
        }
        // SAFETY: an all-zero rusage is valid; getrusage fills it.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: a valid out-pointer.
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
        Vm {
            values,
            minflt: ru.ru_minflt as u64,
        }
    }

    /// The line of a `/proc` file (`/proc/<pid>/maps` or `uvm`) for the
    /// map entry holding `addr`, as words.
    fn entry(&mut self, path: &str, addr: usize) -> Option<Vec<String>> {
        let path = std::ffi::CString::new(path).ok()?;
        let text = String::from_utf8_lossy(self.read(&path)).into_owned();
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .find(|l| {
                let mut range = l.split([' ', '-']);
                let start = range.next().and_then(|w| usize::from_str_radix(w, 16).ok());
                let end = range.next().and_then(|w| usize::from_str_radix(w, 16).ok());
                matches!((start, end), (Some(s), Some(e)) if s <= addr && addr < e)
            })
            .map(|l| l.split_whitespace().map(String::from).collect())
    }

    /// The `/proc/<pid>/uvm` entry holding `addr` (Ferrite only).
    pub fn uvm(&mut self, pid: &str, addr: usize) -> Option<UvmEntry> {
        let w = self.entry(&format!("/proc/{pid}/uvm"), addr)?;
        let num = |i: usize| w.get(i).and_then(|s| s.parse().ok());
        Some(UvmEntry {
            wired: num(5)?,
            amap_refs: num(9)?,
            anons: num(10)?,
            object: w.get(11)?.clone(),
            resident: num(14)?,
            flags: w.get(15)?.clone(),
        })
    }

    /// The `/proc/<pid>/maps` entry holding `addr`: `start-end perms
    /// [name]`.
    pub fn maps(&mut self, pid: &str, addr: usize) -> Option<String> {
        let w = self.entry(&format!("/proc/{pid}/maps"), addr)?;
        let mut s = format!("{} {}", w.first()?, w.get(1)?);
        if w.len() > 5 {
            s.push(' ');
            s.push_str(&w[5..].join(" "));
        }
        Some(s)
    }

    /// The value of a `/proc/self/status` line (`VmLck:   32 kB` ->
    /// `32 kB`).
    pub fn status(&mut self, key: &str) -> Option<String> {
        let text = String::from_utf8_lossy(self.read(c"/proc/self/status")).into_owned();
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .map(|v| v.trim().to_string())
    }
}

/// A `/proc/<pid>/uvm` line: the fields the demo shows.
pub struct UvmEntry {
    pub wired: u64,
    pub amap_refs: u64,
    pub anons: u64,
    pub object: String,
    pub resident: u64,
    pub flags: String,
}

fn parse(digits: &[u8]) -> Option<u64> {
    std::str::from_utf8(digits).ok()?.trim().parse().ok()
}

/// Pages of `[addr, addr + len)` resident, by mincore.
pub fn resident(addr: usize, len: usize) -> usize {
    let mut vec = vec![0u8; len.div_ceil(crate::PAGE)];
    // SAFETY: `vec` has one byte per page of the range.
    let r = unsafe { libc::mincore(addr as *mut libc::c_void, len, vec.as_mut_ptr()) };
    if r != 0 {
        return 0;
    }
    vec.iter().filter(|b| **b & 1 != 0).count()
}
