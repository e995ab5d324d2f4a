//! The memory accesses that are allowed to fault: the user copy routines
//! (copyin/copyout/copyinstr) and the kernel's probes, with their fault
//! recovery table (NetBSD's `onfault` / Linux's exception table).
//!
//! Each routine is a leaf in the assembly below. The instructions that may
//! fault are listed in the table with the address to continue at
//! (`fixup`); the page-fault handler (`trap`) consults the table: a fault at
//! a listed instruction is first offered to the VM fault routine (user
//! addresses, inside a `stac` window), and if that cannot resolve it, the
//! routine resumes at its fixup and returns an error. A fault anywhere
//! else stays a kernel bug.
//!
//! The copy routines open SMAP (`stac`) only for their own duration and
//! close it (`clac`) on both exits. They copy with `rep movsq`/`rep movsb`.
//!
//! This module knows nothing of address spaces: callers (`uvm::copy`) check
//! that user pointers lie in the user half before calling.

use core::sync::atomic::{AtomicBool, Ordering};

/// Set when the CPU has SMAP (so `stac`/`clac` exist); read by the asm.
pub(super) static FERRITE_SMAP: AtomicBool = AtomicBool::new(false);

pub fn set_smap(on: bool) {
    FERRITE_SMAP.store(on, Ordering::Relaxed);
}

/// The register pair a probe returns (rax, rdx in the C ABI): the value,
/// or after a fault `rax = FAULT_BIT | error code`, `rdx = address`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ProbeResult {
    pub rax: u64,
    pub rdx: u64,
}

/// Set in `rax` by the fault handler when it resumes a routine at its fixup.
pub const FAULT_BIT: u64 = 1 << 63;

core::arch::global_asm!(
    ".pushsection .text.ferrite_usercopy, \"ax\"",
    // u64 ferrite_copy_user(dst, src, len): 0, or 1 after a fault.
    ".globl ferrite_copy_user",
    "ferrite_copy_user:",
    "    cmp byte ptr [rip + {smap}], 0",
    "    je 1f",
    "    stac",
    "1:  mov rcx, rdx",
    "    shr rcx, 3",
    "20: rep movsq",
    "    mov rcx, rdx",
    "    and rcx, 7",
    "21: rep movsb",
    "    xor eax, eax",
    "    jmp 90f",
    "29: mov eax, 1",
    "90: cmp byte ptr [rip + {smap}], 0",
    "    je 2f",
    "    clac",
    "2:  ret",
    // i64 ferrite_copy_user_str(dst, src, max): length without the NUL,
    // -1 if no NUL within max bytes, -2 after a fault.
    ".globl ferrite_copy_user_str",
    "ferrite_copy_user_str:",
    "    cmp byte ptr [rip + {smap}], 0",
    "    je 1f",
    "    stac",
    "1:  xor eax, eax",
    "    test rdx, rdx",
    "    jz 4f",
    "3:",
    "30: mov cl, byte ptr [rsi + rax]",
    "    mov byte ptr [rdi + rax], cl",
    "    test cl, cl",
    "    jz 91f",
    "    inc rax",
    "    cmp rax, rdx",
    "    jb 3b",
    "4:  mov rax, -1",
    "    jmp 91f",
    "39: mov rax, -2",
    "91: cmp byte ptr [rip + {smap}], 0",
    "    je 2f",
    "    clac",
    "2:  ret",
    // ProbeResult ferrite_probe_read(addr): the byte, or the fault.
    ".globl ferrite_probe_read",
    "ferrite_probe_read:",
    "40: movzx eax, byte ptr [rdi]",
    "49: ret",
    // ProbeResult ferrite_probe_write(addr, value): 0, or the fault.
    ".globl ferrite_probe_write",
    "ferrite_probe_write:",
    "50: mov byte ptr [rdi], sil",
    "    xor eax, eax",
    "59: ret",
    // ProbeResult ferrite_probe_exec(addr): calls addr (which must be a
    // `ret`); a fault fetching it returns through the entry below.
    ".globl ferrite_probe_exec",
    "ferrite_probe_exec:",
    "    xor eax, eax",
    "    call rdi",
    ".globl ferrite_probe_exec_ret",
    "ferrite_probe_exec_ret:",
    "    ret",
    ".popsection",
    // The recovery table: (faulting instruction, fixup) pairs, each stored
    // relative to the field that holds it (the kernel is position
    // independent).
    ".pushsection .rodata.ferrite_extable, \"a\"",
    ".balign 8",
    ".globl ferrite_extable_start",
    "ferrite_extable_start:",
    ".long 20b - .", ".long 29b - .",
    ".long 21b - .", ".long 29b - .",
    ".long 30b - .", ".long 39b - .",
    ".long 40b - .", ".long 49b - .",
    ".long 50b - .", ".long 59b - .",
    ".globl ferrite_extable_end",
    "ferrite_extable_end:",
    ".popsection",
    smap = sym FERRITE_SMAP,
);

unsafe extern "C" {
    fn ferrite_copy_user(dst: *mut u8, src: *const u8, len: usize) -> u64;
    fn ferrite_copy_user_str(dst: *mut u8, src: *const u8, max: usize) -> i64;
    fn ferrite_probe_read(addr: u64) -> ProbeResult;
    fn ferrite_probe_write(addr: u64, value: u64) -> ProbeResult;
    fn ferrite_probe_exec(addr: u64) -> ProbeResult;
    static ferrite_probe_exec_ret: u8;
    static ferrite_extable_start: [ExEntry; 0];
    static ferrite_extable_end: [ExEntry; 0];
}

/// A table entry: each field is the distance from itself to its target.
#[repr(C)]
#[derive(Clone, Copy)]
struct ExEntry {
    insn: i32,
    fixup: i32,
}

fn table() -> &'static [ExEntry] {
    let start = (&raw const ferrite_extable_start).cast::<ExEntry>();
    let end = (&raw const ferrite_extable_end).cast::<ExEntry>();
    // SAFETY: the two symbols delimit the table assembled above: an array
    // of ExEntry in read-only data that lives forever.
    unsafe { core::slice::from_raw_parts(start, end.offset_from(start) as usize) }
}

/// The fixup address for a fault at `rip`, if `rip` is a listed instruction.
pub fn fixup_for(rip: u64) -> Option<u64> {
    table().iter().find_map(|e| {
        let base = e as *const ExEntry as u64;
        let insn = base.wrapping_add(e.insn as i64 as u64);
        let fixup = (base + 4).wrapping_add(e.fixup as i64 as u64);
        (insn == rip).then_some(fixup)
    })
}

/// The return address a faulting `ferrite_probe_exec` target leaves on the stack.
pub fn probe_exec_return() -> u64 {
    (&raw const ferrite_probe_exec_ret) as u64
}

/// True if `[addr, addr + len)` lies in the user half.
fn user_range(addr: u64, len: usize) -> bool {
    addr.checked_add(len as u64)
        .is_some_and(|end| end <= super::usermode::USER_END)
}

/// Copy `dst.len()` bytes from user address `src` into `dst`. `Err(())`
/// for a range outside the user half or after an unresolvable fault (part
/// may have been copied).
pub fn copy_from_user(dst: &mut [u8], src: u64) -> Result<(), ()> {
    if !user_range(src, dst.len()) {
        return Err(());
    }
    // Faults on the user side are recovered through the table.
    // SAFETY: `dst` is kernel memory valid for its length; `src` is in the user half: no overlap.
    match unsafe { ferrite_copy_user(dst.as_mut_ptr(), src as *const u8, dst.len()) } {
        0 => Ok(()),
        _ => Err(()),
    }
}

/// Copy `src` to user address `dst`; errors as `copy_from_user`.
pub fn copy_to_user(dst: u64, src: &[u8]) -> Result<(), ()> {
    if !user_range(dst, src.len()) {
        return Err(());
    }
    // SAFETY: `dst` lies in the user half, where no kernel object lives;
    // `src` is kernel memory valid for its length; faults are recovered.
    match unsafe { ferrite_copy_user(dst as *mut u8, src.as_ptr(), src.len()) } {
        0 => Ok(()),
        _ => Err(()),
    }
}

/// Result of a string copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrCopy {
    /// Copied this many bytes before the NUL (the NUL is copied too).
    Len(usize),
    /// No NUL within the limit.
    TooLong,
    Fault,
}

/// Copy a NUL-terminated string from user address `src`, at most
/// `dst.len()` bytes including the NUL; the window must lie in the user
/// half (else `Fault`).
pub fn copy_str_from_user(dst: &mut [u8], src: u64) -> StrCopy {
    if !user_range(src, dst.len()) {
        return StrCopy::Fault;
    }
    // SAFETY: `dst` is a kernel buffer of its length; the source window
    // lies in the user half; faults reading it are recovered.
    match unsafe { ferrite_copy_user_str(dst.as_mut_ptr(), src as *const u8, dst.len()) } {
        -1 => StrCopy::TooLong,
        -2 => StrCopy::Fault,
        n => StrCopy::Len(n as usize),
    }
}

/// Read one byte at `addr`, or the fault (see `ProbeResult`).
pub fn probe_read(addr: u64) -> ProbeResult {
    // SAFETY: reading a byte has no effect beyond the read; a fault is recovered.
    unsafe { ferrite_probe_read(addr) }
}

/// Write one byte at `addr`, or the fault.
///
/// # Safety
/// If `addr` is writable the byte is written: the caller owns it.
pub unsafe fn probe_write(addr: u64, value: u8) -> ProbeResult {
    // SAFETY: per the contract.
    unsafe { ferrite_probe_write(addr, value as u64) }
}

/// Call `addr`, or the fault fetching it raised.
///
/// # Safety
/// If `addr` is executable whatever is there runs: it must be a `ret`.
pub unsafe fn probe_exec(addr: u64) -> ProbeResult {
    // SAFETY: per the contract.
    unsafe { ferrite_probe_exec(addr) }
}
