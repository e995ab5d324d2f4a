//! The tracee's memory through PEEK/POKE: known values, a copy-on-write
//! page after fork written for the tracee alone, a breakpoint patched into
//! read-only text, the error cases, and a write next to a copy another
//! process has mlock()ed.

use super::*;
use ftest::proc::wait_pid;
use ftest::{CheckResult, check, ensure_eq, expect_errno};
use utests::fd::{close, pipe, read_some, write_all};
use utests::mem::{Mapping, PAGE, unmapped_page};

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;

pub fn peekdata_reads_known_values_across_a_page_boundary() -> CheckResult {
    let mut m = Mapping::anon(2 * PAGE, RW)?;
    let b = m.bytes_mut();
    b[..8].copy_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
    for (i, v) in b[PAGE - 4..PAGE + 4].iter_mut().enumerate() {
        *v = 0xa0 + i as u8;
    }
    let boxed = Box::new(0x0bad_cafe_f00d_beefu64);
    let boxed_addr = &*boxed as *const u64 as u64;
    let pid = traced_child(|| 0)?;
    // Our copies change; the tracee's stay as they were at the fork.
    m.bytes_mut()[0] = 0;
    ensure_eq!(peek(pid, m.addr as u64)?, 0x1122_3344_5566_7788);
    ensure_eq!(
        peek(pid, (m.addr + PAGE - 4) as u64)?,
        0xa7a6_a5a4_a3a2_a1a0,
        "a word across the page boundary"
    );
    ensure_eq!(peek(pid, boxed_addr)?, 0x0bad_cafe_f00d_beef);
    let mut text = 0u64;
    pt(
        PEEKTEXT,
        pid,
        boxed_addr + 1,
        &mut text as *mut u64 as u64,
        "PEEKTEXT",
    )?;
    ensure_eq!(
        text & 0x00ff_ffff_ffff_ffff,
        0x0bad_cafe_f00d_beef >> 8,
        "PEEKTEXT reads data too, unaligned"
    );
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(0));
    Ok(())
}

pub fn peek_and_poke_of_unmapped_addresses_are_eio() -> CheckResult {
    let hole = unmapped_page()? as u64;
    let pid = traced_child(|| 0)?;
    let mut w = 0u64;
    let out = &mut w as *mut u64 as u64;
    expect_errno(
        ptrace(PEEKDATA, pid, hole, out),
        libc::EIO,
        "PEEKDATA of a hole",
    )?;
    expect_errno(ptrace(PEEKDATA, pid, 0, out), libc::EIO, "PEEKDATA of 0")?;
    expect_errno(
        ptrace(PEEKTEXT, pid, 0xffff_8000_0000_0000, out),
        libc::EIO,
        "PEEKTEXT of a kernel address",
    )?;
    expect_errno(
        ptrace(PEEKDATA, pid, 0x7fff_ffff_fffc, out),
        libc::EIO,
        "PEEKDATA running off the user half",
    )?;
    expect_errno(
        ptrace(POKEDATA, pid, hole, 1),
        libc::EIO,
        "POKEDATA of a hole",
    )?;
    expect_errno(
        ptrace(POKETEXT, pid, 0xffff_8000_0000_0000, 1),
        libc::EIO,
        "POKETEXT of a kernel address",
    )?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(0));
    Ok(())
}

pub fn peek_and_poke_ignore_the_programs_protection() -> CheckResult {
    // A debugger reads PROT_NONE memory and writes read-only memory (the
    // maximum protection applies, as Linux's FOLL_FORCE).
    let mut m = Mapping::anon(2 * PAGE, RW)?;
    m.bytes_mut()[..8].copy_from_slice(&0x1111u64.to_le_bytes());
    m.bytes_mut()[PAGE..PAGE + 8].copy_from_slice(&0x2222u64.to_le_bytes());
    let (none, ro) = (m.addr, m.addr + PAGE);
    // SAFETY: our own mapping.
    sys(
        unsafe { libc::mprotect(none as *mut libc::c_void, PAGE, libc::PROT_NONE) },
        "mprotect(PROT_NONE)",
    )?;
    // SAFETY: as above.
    sys(
        unsafe { libc::mprotect(ro as *mut libc::c_void, PAGE, libc::PROT_READ) },
        "mprotect(PROT_READ)",
    )?;
    let pid = traced_child(move || {
        // SAFETY: the read-only page is readable.
        let v = unsafe { std::ptr::read_volatile(ro as *const u64) };
        if v == 0x3333 { 0 } else { 1 }
    })?;
    ensure_eq!(peek(pid, none as u64)?, 0x1111, "PEEKDATA of PROT_NONE");
    pt(POKEDATA, pid, ro as u64, 0x3333, "POKEDATA of PROT_READ")?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(
        run_to_end(pid)?,
        WaitStatus::Exited(0),
        "the tracee saw the write"
    );
    // SAFETY: back to read-write so the mapping can be dropped and read.
    sys(
        unsafe { libc::mprotect(m.addr as *mut libc::c_void, 2 * PAGE, RW) },
        "mprotect(RW)",
    )?;
    ensure_eq!(m.bytes()[PAGE], 0x22, "our own copy is untouched");
    Ok(())
}

pub fn peek_with_a_bad_data_pointer_is_efault() -> CheckResult {
    let value = Box::new(5u64);
    let pid = traced_child(|| 0)?;
    let addr = &*value as *const u64 as u64;
    expect_errno(
        ptrace(PEEKDATA, pid, addr, 8),
        libc::EFAULT,
        "PEEKDATA into 8",
    )?;
    let kernel = 0xffff_8000_0000_1000;
    expect_errno(
        ptrace(GETREGS, pid, 0, kernel),
        libc::EFAULT,
        "GETREGS into a kernel address",
    )?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(0));
    Ok(())
}

pub fn requests_to_a_process_not_traced_are_esrch() -> CheckResult {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        close(wr);
        let mut b = [0u8; 1];
        let _ = read_some(rd, &mut b);
        0
    })?;
    close(rd);
    let v = Box::new(0u64);
    let addr = &*v as *const u64 as u64;
    let mut w = 0u64;
    let out = &mut w as *mut u64 as u64;
    let mut r = Regs::default();
    expect_errno(ptrace(PEEKDATA, pid, addr, out), libc::ESRCH, "PEEKDATA")?;
    expect_errno(ptrace(POKEDATA, pid, addr, 1), libc::ESRCH, "POKEDATA")?;
    expect_errno(
        ptrace(GETREGS, pid, 0, &mut r as *mut Regs as u64),
        libc::ESRCH,
        "GETREGS",
    )?;
    expect_errno(ptrace(CONT, pid, 0, 0), libc::ESRCH, "CONT")?;
    expect_errno(ptrace(DETACH, pid, 0, 0), libc::ESRCH, "DETACH")?;
    expect_errno(ptrace(KILL, pid, 0, 0), libc::ESRCH, "KILL")?;
    close(wr);
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0));
    // A PID nobody has any more.
    expect_errno(
        ptrace(PEEKDATA, pid, addr, out),
        libc::ESRCH,
        "PEEKDATA of a reaped PID",
    )?;
    Ok(())
}

pub fn pokedata_into_a_cow_page_reaches_only_the_tracee() -> CheckResult {
    const OLD: u64 = 0x0101_0101_0101_0101;
    const NEW: u64 = 0x7e7e_7e7e_7e7e_7e7e;
    let mut m = Mapping::anon(PAGE, RW)?;
    m.bytes_mut()[8..16].copy_from_slice(&OLD.to_le_bytes());
    let addr = m.addr + 8;
    let read = move || {
        // SAFETY: the mapping lives in every process forked from here.
        unsafe { std::ptr::read_volatile(addr as *const u64) }
    };
    // A third process sharing the page copy-on-write.
    let (go_rd, go_wr) = pipe()?;
    let third = spawn(move || {
        close(go_wr);
        let mut b = [0u8; 1];
        let _ = read_some(go_rd, &mut b);
        if read() == OLD { 0 } else { 1 }
    })?;
    close(go_rd);
    let pid = traced_child(move || if read() == NEW { 0 } else { 1 })?;
    pt(POKEDATA, pid, addr as u64, NEW, "POKEDATA")?;
    ensure_eq!(peek(pid, addr as u64)?, NEW, "the tracee's copy");
    ensure_eq!(read(), OLD, "the tracer's own copy");
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(
        run_to_end(pid)?,
        WaitStatus::Exited(0),
        "the tracee saw the write"
    );
    write_all(go_wr, b"g")?;
    close(go_wr);
    ensure_eq!(
        wait_pid(third)?,
        WaitStatus::Exited(0),
        "the third process kept its copy"
    );
    Ok(())
}

/// The function a breakpoint is put on.
#[inline(never)]
extern "C" fn breakpoint_target(x: u64) -> u64 {
    std::hint::black_box(x) * 3 + 1
}

fn call_target() -> i32 {
    if breakpoint_target(std::hint::black_box(13)) == 40 {
        21
    } else {
        1
    }
}

pub fn poketext_breakpoint_in_read_only_text_traps_and_restores() -> CheckResult {
    let addr = breakpoint_target as *const () as usize as u64;
    // Another process running the same text, started now, calls the
    // function while the breakpoint is in the tracee's text.
    let (go_rd, go_wr) = pipe()?;
    let other = spawn(move || {
        close(go_wr);
        let mut b = [0u8; 1];
        let _ = read_some(go_rd, &mut b);
        call_target()
    })?;
    close(go_rd);
    let pid = traced_child(call_target)?;
    let orig = peek(pid, addr)?;
    pt(POKETEXT, pid, addr, (orig & !0xff) | 0xcc, "POKETEXT int3")?;
    ensure_eq!(peek(pid, addr)? & 0xff, 0xcc);
    // SAFETY: reading our own code bytes.
    let ours = unsafe { std::ptr::read_volatile(addr as *const u8) };
    ensure_eq!(ours as u64, orig & 0xff, "the tracer's text is untouched");
    write_all(go_wr, b"g")?;
    close(go_wr);
    ensure_eq!(
        wait_pid(other)?,
        WaitStatus::Exited(21),
        "another process runs the text unpatched"
    );
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    expect_stop(pid, libc::SIGTRAP)?;
    let mut r = get_regs(pid)?;
    ensure_eq!(r.rip, addr + 1, "rip is past the int3");
    pt(POKETEXT, pid, addr, orig, "POKETEXT restore")?;
    r.rip = addr;
    set_regs(pid, &r)?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(21));
    Ok(())
}

/// The seed's bug scenario: a private mapping that another process has
/// mlock()ed (its own copy, made when it locked it) is written through
/// ptrace in the tracee, and the locked copy through process_vm_writev;
/// then everything is unlocked, unmapped and exits. The suite's leak check
/// at the end covers the pages.
pub fn a_write_beside_an_mlocked_copy_keeps_it_and_leaks_nothing() -> CheckResult {
    const A: u64 = 0xa1a1_a1a1_a1a1_a1a1;
    const B: u64 = 0xb2b2_b2b2_b2b2_b2b2;
    const C: u64 = 0xc3c3_c3c3_c3c3_c3c3;
    let mut m = Mapping::anon(4 * PAGE, RW)?;
    for w in m.bytes_mut().chunks_exact_mut(8) {
        w.copy_from_slice(&A.to_le_bytes());
    }
    let (addr, len) = (m.addr, m.len);
    let word = move |i: usize| {
        // SAFETY: inside the mapping, in whichever process runs this.
        unsafe { std::ptr::read_volatile((addr + i * 8) as *const u64) }
    };
    let (ready_rd, ready_wr) = pipe()?;
    let (go_rd, go_wr) = pipe()?;
    let locker = spawn(move || {
        close(ready_rd);
        close(go_wr);
        // SAFETY: our own mapping.
        if unsafe { libc::mlock(addr as *const libc::c_void, len) } != 0 {
            return 10;
        }
        let _ = write_all(ready_wr, b"r");
        let mut b = [0u8; 1];
        let _ = read_some(go_rd, &mut b);
        // Everything A but the word written into our locked copy.
        let target = (2 * PAGE + 8) / 8;
        for i in 0..len / 8 {
            let want = if i == target { C } else { A };
            if word(i) != want {
                return 1;
            }
        }
        // SAFETY: our own mapping.
        if unsafe { libc::munlock(addr as *const libc::c_void, len) } != 0 {
            return 11;
        }
        // SAFETY: unmapping our own copy.
        if unsafe { libc::munmap(addr as *mut libc::c_void, len) } != 0 {
            return 12;
        }
        0
    })?;
    close(ready_wr);
    close(go_rd);
    check!(wait_byte(ready_rd)? == b'r', "the locker locked its copy");
    let tracee = traced_child(move || {
        for i in 0..len / 8 {
            let want = if i % (PAGE / 8) == 1 { B } else { A };
            if word(i) != want {
                return 1;
            }
        }
        // SAFETY: unmapping our own copy.
        unsafe { libc::munmap(addr as *mut libc::c_void, len) };
        0
    })?;
    for page in 0..4 {
        pt(
            POKEDATA,
            tracee,
            (addr + page * PAGE + 8) as u64,
            B,
            "POKEDATA",
        )?;
    }
    let data = C.to_le_bytes();
    let local = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: 8,
    };
    let remote = libc::iovec {
        iov_base: (addr + 2 * PAGE + 8) as *mut libc::c_void,
        iov_len: 8,
    };
    // SAFETY: valid iovecs over our buffer and the locker's address.
    let n = unsafe {
        libc::syscall(
            libc::SYS_process_vm_writev,
            locker as i64,
            &local as *const libc::iovec,
            1,
            &remote as *const libc::iovec,
            1,
            0,
        )
    };
    ensure_eq!(n, 8, "process_vm_writev into the locked copy");
    check!((0..len / 8).all(|i| word(i) == A), "our own copy changed");
    pt(CONT, tracee, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(
        run_to_end(tracee)?,
        WaitStatus::Exited(0),
        "the tracee saw B"
    );
    write_all(go_wr, b"g")?;
    close(go_wr);
    close(ready_rd);
    ensure_eq!(
        wait_pid(locker)?,
        WaitStatus::Exited(0),
        "the locked copy kept A (and C) and unlocked cleanly"
    );
    drop(m);
    Ok(())
}
