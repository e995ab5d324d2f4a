//! mmap: anonymous memory filled with zeros on demand, a shared anonymous
//! page written by a child and read by the parent, a shared file mapping
//! coherent with read(2), munmap of the middle of a mapping and the
//! SIGSEGV of an access to the hole (its exact si_addr), and mprotect.

use std::io::Write as _;
use std::os::fd::AsRawFd;

use crate::PAGE;
use crate::evidence::{Probe, resident};
use crate::sys::{self, fail, segv_code};

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;

pub fn run(p: &mut Probe) -> Result<(), String> {
    zero_fill(p)?;
    shared_anon(p)?;
    file(p)?;
    hole(p)?;
    protect(p)
}

/// Pages appear at their first touch, each a zero-fill fault.
fn zero_fill(p: &mut Probe) -> Result<(), String> {
    const N: usize = 16;
    let a = sys::map_anon(N)?;
    let uvm = |p: &mut Probe| {
        p.uvm("self", a)
            .map(|e| format!(" [/proc/self/uvm: {} resident]", e.resident))
            .unwrap_or_default()
    };
    println!(
        "  mmap of {N} pages at {a:#x}: {} resident (mincore){}",
        resident(a, N * PAGE),
        uvm(p)
    );
    let before = p.vm();
    for i in 0..N {
        // SAFETY: within our mapping.
        unsafe { std::ptr::write_volatile((a + i * PAGE) as *mut u8, 1) };
    }
    let after = p.vm();
    println!(
        "  one byte written in each: {} resident [{}]{}",
        resident(a, N * PAGE),
        before.delta(&after, &["uvm_zero_fills"]),
        uvm(p)
    );
    sys::unmap(a, N * PAGE)
}

/// A MAP_SHARED anonymous page: the child's write is the parent's.
fn shared_anon(p: &mut Probe) -> Result<(), String> {
    let a = sys::map(PAGE, RW, libc::MAP_SHARED | libc::MAP_ANONYMOUS, -1)?;
    let perms = perms(p, a);
    let child = sys::spawn(|| {
        // SAFETY: getpid has no preconditions.
        let msg = format!("hello from child {}\0", unsafe { libc::getpid() });
        // SAFETY: the shared page is a page long; the message is shorter.
        unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), a as *mut u8, msg.len()) };
        0
    })?;
    sys::reap(child)?;
    // SAFETY: the page holds the NUL-terminated message.
    let got = unsafe { std::ffi::CStr::from_ptr(a as *const libc::c_char) };
    println!(
        "  MAP_SHARED|MAP_ANONYMOUS page{perms}: child {child} wrote, parent reads {:?}",
        got.to_string_lossy()
    );
    sys::unmap(a, PAGE)
}

/// A shared mapping of a file in /tmp: faults bring in the file's page,
/// and a write through the mapping is what read(2) returns.
fn file(p: &mut Probe) -> Result<(), String> {
    // SAFETY: getpid has no preconditions.
    let path = format!("/tmp/demo-{}.txt", unsafe { libc::getpid() });
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| format!("{path}: {e}"))?;
    let _ = std::fs::remove_file(&path); // the open file lives on
    f.write_all(b"ferrite maps files\n")
        .map_err(|e| format!("{path}: {e}"))?;
    let m = sys::map(PAGE, RW, libc::MAP_SHARED, f.as_raw_fd())?;
    let perms = perms(p, m);
    let object = p
        .uvm("self", m)
        .map(|e| format!(", object {}", e.object))
        .unwrap_or_default();
    let mut seen = [0u8; 18];
    let before = p.vm();
    // SAFETY: the mapping covers the file's first page.
    unsafe { std::ptr::copy_nonoverlapping(m as *const u8, seen.as_mut_ptr(), seen.len()) };
    let after = p.vm();
    println!(
        "  file {path} mapped MAP_SHARED{perms}{object}: reads {:?} [{}]",
        String::from_utf8_lossy(&seen),
        before.delta(&after, &["uvm_fault_object"])
    );
    // SAFETY: as above, and the mapping is writable.
    unsafe { std::ptr::copy_nonoverlapping(b"FERRITE".as_ptr(), m as *mut u8, 7) };
    let mut back = [0u8; 18];
    // SAFETY: a valid buffer of its length.
    let n = unsafe { libc::pread(f.as_raw_fd(), back.as_mut_ptr().cast(), back.len(), 0) };
    if n < 0 {
        return Err(fail("pread"));
    }
    println!(
        "  \"FERRITE\" written through the mapping: read(2) of the file returns {:?}",
        String::from_utf8_lossy(&back[..n as usize])
    );
    sys::unmap(m, PAGE)
}

/// munmap of the middle of a mapping leaves a hole; touching it raises
/// SIGSEGV with the exact address.
fn hole(p: &mut Probe) -> Result<(), String> {
    let a = sys::map_anon(4)?;
    for i in 0..4 {
        sys::poke(a + i * PAGE, 1);
    }
    sys::unmap(a + PAGE, 2 * PAGE)?;
    let state: Vec<&str> = (0..4)
        .map(|i| match p.maps("self", a + i * PAGE) {
            Some(_) => "mapped",
            None => "hole",
        })
        .collect();
    println!(
        "  munmap of pages 1-2 of 4 at {a:#x} [maps: pages 0-3 {}]",
        state.join(", ")
    );
    let target = a + PAGE + 0x123;
    match sys::poke(target, 7) {
        Some((addr, code)) => println!(
            "  write to {target:#x} in the hole: SIGSEGV caught, si_addr {addr:#x} ({}), {}",
            if addr == target { "exact" } else { "WRONG" },
            segv_code(code)
        ),
        None => println!("  write to {target:#x} in the hole: no SIGSEGV (WRONG)"),
    }
    sys::unmap(a, 4 * PAGE)
}

/// A read-only page reads but faults on a write.
fn protect(p: &mut Probe) -> Result<(), String> {
    let a = sys::map_anon(1)?;
    sys::poke(a, 1);
    // SAFETY: our own page.
    if unsafe { libc::mprotect(a as *mut libc::c_void, PAGE, libc::PROT_READ) } != 0 {
        return Err(fail("mprotect"));
    }
    let perms = perms(p, a);
    // SAFETY: readable.
    let v = unsafe { std::ptr::read_volatile(a as *const u8) };
    let target = a + 0x456;
    let fault = sys::poke(target, 2);
    let what = match fault {
        Some((addr, code)) => format!(
            "SIGSEGV, si_addr {addr:#x} ({}), {}",
            if addr == target { "exact" } else { "WRONG" },
            segv_code(code)
        ),
        None => "no SIGSEGV (WRONG)".to_string(),
    };
    println!("  mprotect(PROT_READ){perms}: read gives {v}, write to {target:#x}: {what}");
    sys::unmap(a, PAGE)
}

/// ` [maps: PERMS]` for the entry of `addr`.
fn perms(p: &mut Probe, addr: usize) -> String {
    p.maps("self", addr)
        .and_then(|l| l.split_whitespace().nth(1).map(|w| format!(" [maps: {w}]")))
        .unwrap_or_default()
}
