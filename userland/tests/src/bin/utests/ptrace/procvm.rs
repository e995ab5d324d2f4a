//! process_vm_readv / process_vm_writev: another process's memory without
//! stopping it (the same kernel path as PEEK/POKE).

use super::*;
use ftest::proc::wait_pid;
use ftest::{CheckResult, ensure_eq, expect_errno};
use utests::fd::{close, pipe, read_some, write_all};
use utests::mem::{Mapping, PAGE, unmapped_page};

fn iov(addr: usize, len: usize) -> libc::iovec {
    libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: len,
    }
}

/// The raw call (`nr`: SYS_process_vm_readv or _writev).
fn process_vm(
    nr: i64,
    pid: libc::pid_t,
    local: &[libc::iovec],
    remote: &[libc::iovec],
    flags: u64,
) -> i64 {
    // SAFETY: the iovec arrays are valid for their lengths; the addresses
    // in them are the checks' business.
    unsafe {
        libc::syscall(
            nr,
            pid as i64,
            local.as_ptr(),
            local.len() as u64,
            remote.as_ptr(),
            remote.len() as u64,
            flags,
        )
    }
}

/// A child blocked reading a pipe that exits 0 if `ok()` then holds.
fn waiting_child(ok: impl FnOnce() -> bool) -> Result<(libc::pid_t, i32), String> {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        close(wr);
        let mut b = [0u8; 1];
        let _ = read_some(rd, &mut b);
        if ok() { 0 } else { 1 }
    })?;
    close(rd);
    Ok((pid, wr))
}

pub fn process_vm_readv_gathers_and_scatters() -> CheckResult {
    let mut src = Mapping::anon(3 * PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    let pattern: Vec<u8> = (0..3 * PAGE).map(|i| (i * 7 % 251) as u8).collect();
    src.bytes_mut().copy_from_slice(&pattern);
    let (pid, wr) = waiting_child(|| true)?;
    // Ours changes; the child's copy is what was there at the fork.
    src.bytes_mut().fill(0);
    let mut a = vec![0u8; 100];
    let mut b = vec![0u8; 2 * PAGE];
    let local = [
        iov(a.as_mut_ptr() as usize, a.len()),
        iov(b.as_mut_ptr() as usize, b.len()),
    ];
    // Remote: 50 bytes at the start, then a range across a page boundary.
    let remote = [iov(src.addr, 50), iov(src.addr + PAGE - 10, PAGE + 3000)];
    let n = process_vm(libc::SYS_process_vm_readv, pid, &local, &remote, 0);
    let total = 50 + PAGE + 3000; // the remote side runs out first
    ensure_eq!(n, total as i64, "bytes read");
    let mut expected = pattern[..50].to_vec();
    expected.extend_from_slice(&pattern[PAGE - 10..2 * PAGE + 2990]);
    let mut got = a.clone();
    got.extend_from_slice(&b[..total - 100]);
    ensure_eq!(got, expected);
    ensure_eq!(
        b[total - 100..].iter().filter(|&&x| x != 0).count(),
        0,
        "nothing more"
    );
    write_all(wr, b"x")?;
    close(wr);
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0));
    Ok(())
}

pub fn process_vm_writev_writes_only_the_target_copy() -> CheckResult {
    let mut m = Mapping::anon(2 * PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    m.bytes_mut().fill(0x11);
    let addr = m.addr;
    let (pid, wr) = waiting_child(move || {
        // SAFETY: the mapping lives in the child too.
        let b = unsafe { std::slice::from_raw_parts(addr as *const u8, 2 * PAGE) };
        b[..PAGE - 2].iter().all(|&x| x == 0x11)
            && b[PAGE - 2..PAGE + 2] == [0xaa, 0xbb, 0xcc, 0xdd]
            && b[PAGE + 2..].iter().all(|&x| x == 0x11)
    })?;
    let data = [0xaau8, 0xbb, 0xcc, 0xdd];
    let local = [
        iov(data.as_ptr() as usize, 1),
        iov(data.as_ptr() as usize + 1, 3),
    ];
    let remote = [iov(addr + PAGE - 2, 4)];
    let n = process_vm(libc::SYS_process_vm_writev, pid, &local, &remote, 0);
    ensure_eq!(n, 4, "bytes written");
    ensure_eq!(
        m.bytes().iter().filter(|&&x| x != 0x11).count(),
        0,
        "our own copy is untouched"
    );
    write_all(wr, b"x")?;
    close(wr);
    ensure_eq!(
        wait_pid(pid)?,
        WaitStatus::Exited(0),
        "the child saw the bytes across its page boundary"
    );
    Ok(())
}

pub fn process_vm_errors_and_partial_transfers() -> CheckResult {
    let m = Mapping::anon(PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    let ro = Mapping::anon(PAGE, libc::PROT_READ)?;
    let none = Mapping::anon(PAGE, libc::PROT_NONE)?;
    let hole = unmapped_page()?;
    let (pid, wr) = waiting_child(|| true)?;
    let mut buf = [0u8; 64];
    let local = [iov(buf.as_mut_ptr() as usize, 64)];
    let readv = libc::SYS_process_vm_readv;
    expect_errno(
        process_vm(readv, pid, &local, &[iov(hole, 8)], 0),
        libc::EFAULT,
        "reading an unmapped address",
    )?;
    ensure_eq!(
        process_vm(readv, pid, &local, &[iov(m.addr, 8), iov(hole, 8)], 0),
        8,
        "a partial read stops at the bad iovec"
    );
    expect_errno(
        process_vm(readv, pid, &local, &[iov(m.addr, 8)], 1),
        libc::EINVAL,
        "flags must be 0",
    )?;
    expect_errno(
        process_vm(readv, pid, &[iov(8, 8)], &[iov(m.addr, 8)], 0),
        libc::EFAULT,
        "a bad local buffer",
    )?;
    // SAFETY: a bad iovec array pointer on purpose.
    let bad_vec =
        unsafe { libc::syscall(readv, pid as i64, 8usize, 1u64, local.as_ptr(), 1u64, 0u64) };
    expect_errno(bad_vec, libc::EFAULT, "a bad local iovec array")?;
    let many = vec![iov(m.addr, 0); 1025];
    expect_errno(
        process_vm(readv, pid, &local, &many, 0),
        libc::EINVAL,
        "more than 1024 iovecs",
    )?;
    ensure_eq!(
        process_vm(readv, pid, &local, &[iov(m.addr, 0)], 0),
        0,
        "nothing asked, nothing read"
    );
    expect_errno(
        process_vm(libc::SYS_process_vm_writev, pid, &local, &[iov(hole, 8)], 0),
        libc::EFAULT,
        "writing an unmapped address",
    )?;
    expect_errno(
        process_vm(
            libc::SYS_process_vm_writev,
            pid,
            &local,
            &[iov(ro.addr, 8)],
            0,
        ),
        libc::EFAULT,
        "writing a read-only mapping (the program's protection applies)",
    )?;
    expect_errno(
        process_vm(readv, pid, &local, &[iov(none.addr, 8)], 0),
        libc::EFAULT,
        "reading a PROT_NONE mapping",
    )?;
    write_all(wr, b"x")?;
    close(wr);
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0));
    expect_errno(
        process_vm(readv, pid, &local, &[iov(m.addr, 8)], 0),
        libc::ESRCH,
        "a reaped PID",
    )?;
    Ok(())
}
