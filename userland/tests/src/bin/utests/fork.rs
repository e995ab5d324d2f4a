//! `user::fork`: fork, vfork, clone with fork flags, exit and the wait
//! family. Exit statuses and deaths by signal as wait reports them, reaping
//! (every child exactly once, ECHILD, WNOHANG, by pid, any, own group,
//! another group), waitid, orphans, and the isolation of memory between
//! generations (.data, .bss, stack, heap, private and shared mappings).

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use ftest::proc::{WaitStatus, in_child, spawn, wait_pid};
use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, fail, sys};
use utests::clock::sleep_ms;
use utests::fd::{close, pipe, read_exact, read_some, write_all};
use utests::mem::{Mapping, PAGE};
use utests::sig;

const CHECKS: &[ftest::Check] = checks![
    exit_status_0_1_42_255,
    exit_status_263_is_7,
    raw_exit_and_exit_group_statuses,
    death_by_sigkill_is_in_the_status,
    death_by_sigterm_is_in_the_status,
    death_by_sigsegv_is_in_the_status,
    child_has_its_own_pid_and_our_pid_as_parent,
    hundred_children_each_reaped_exactly_once.timeout(120),
    wait_without_children_is_echild,
    wnohang_returns_0_while_the_child_runs,
    wait4_for_a_specific_pid,
    wait4_minus_1_takes_any_child,
    wait4_0_takes_only_our_group,
    wait4_minus_pgid_takes_only_that_group,
    waitid_reports_exits_and_signals,
    waitid_wnowait_leaves_the_child_waitable,
    orphan_is_reparented_away_from_its_dead_parent,
    orphan_is_reparented_to_init.ferrite_only(),
    three_generations_have_isolated_memory,
    private_mapping_is_copied_on_write,
    shared_mapping_is_shared_after_fork,
    child_mprotect_and_munmap_leave_the_parent_alone,
    fork_shares_open_file_offsets,
    vfork_child_exit_status_and_parent_memory,
    vfork_then_exec,
    clone_with_fork_flags_is_fork,
    std_command_spawns_through_clone_vm_vfork,
    std_command_output_is_captured,
    clone_vm_without_vfork_is_refused.ferrite_only(),
];

pub fn main() {
    ftest::main("fork", CHECKS)
}

/// Forks a child that exits at once with `code` (through _exit).
fn child_exiting(code: i32) -> Result<libc::pid_t, String> {
    spawn(move || code)
}

/// wait4(pid, &status, options): (returned pid, decoded status).
fn wait4(pid: libc::pid_t, options: i32) -> (i64, WaitStatus) {
    let mut status = 0;
    // SAFETY: status is a valid out-pointer; rusage is NULL.
    let r = unsafe {
        libc::syscall(
            libc::SYS_wait4,
            pid,
            &mut status,
            options,
            std::ptr::null_mut::<libc::rusage>(),
        )
    };
    (r, WaitStatus::from_raw(status))
}

fn getpid() -> libc::pid_t {
    // SAFETY: no preconditions.
    unsafe { libc::getpid() }
}

/// A child that blocks reading a pipe until the returned write end is
/// closed (or the child is killed); then exits `code`.
fn blocked_child(code: i32) -> Result<(libc::pid_t, i32), String> {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        close(wr);
        let mut b = [0u8; 1];
        let _ = read_some(rd, &mut b);
        code
    })?;
    close(rd);
    Ok((pid, wr))
}

fn exit_status_0_1_42_255() -> CheckResult {
    for code in [0, 1, 42, 255] {
        let pid = child_exiting(code)?;
        ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(code));
    }
    Ok(())
}

fn exit_status_263_is_7() -> CheckResult {
    let pid = child_exiting(263)?;
    ensure_eq!(
        wait_pid(pid)?,
        WaitStatus::Exited(7),
        "only the low 8 bits are kept"
    );
    Ok(())
}

fn raw_exit_and_exit_group_statuses() -> CheckResult {
    for (nr, code) in [(libc::SYS_exit, 5), (libc::SYS_exit_group, 6)] {
        let pid = spawn(move || {
            // SAFETY: ends this single-threaded child.
            unsafe { libc::syscall(nr, code) };
            100
        })?;
        ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(code), "system call {nr}");
    }
    Ok(())
}

fn death_by(sig_no: i32) -> CheckResult {
    let pid = spawn(move || {
        sig::default_fault_signals();
        sig::set_default(sig_no);
        // SAFETY: signals this process.
        unsafe { libc::kill(libc::getpid(), sig_no) };
        sleep_ms(1000);
        100
    })?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(sig_no));
    Ok(())
}

fn death_by_sigkill_is_in_the_status() -> CheckResult {
    death_by(libc::SIGKILL)
}

fn death_by_sigterm_is_in_the_status() -> CheckResult {
    death_by(libc::SIGTERM)
}

fn death_by_sigsegv_is_in_the_status() -> CheckResult {
    death_by(libc::SIGSEGV)
}

fn child_has_its_own_pid_and_our_pid_as_parent() -> CheckResult {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        // SAFETY: plain queries.
        let ids = unsafe { [libc::getpid(), libc::getppid(), libc::gettid()] };
        let bytes: Vec<u8> = ids.iter().flat_map(|i| i.to_le_bytes()).collect();
        i32::from(write_all(wr, &bytes).is_err())
    })?;
    close(wr);
    let mut buf = [0u8; 12];
    read_exact(rd, &mut buf)?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0));
    let id = |i: usize| i32::from_le_bytes(buf[i * 4..i * 4 + 4].try_into().unwrap());
    ensure_eq!(
        (id(0), id(1), id(2)),
        (pid, getpid(), pid),
        "child's (pid, ppid, tid)"
    );
    check!(pid != getpid());
    Ok(())
}

fn hundred_children_each_reaped_exactly_once() -> CheckResult {
    let mut expected = std::collections::HashMap::new();
    for i in 0..100 {
        let pid = child_exiting(i)?;
        expected.insert(pid, i);
    }
    for _ in 0..100 {
        let (r, status) = wait4(-1, 0);
        let pid = sys(r, "wait4(-1)")? as libc::pid_t;
        let Some(code) = expected.remove(&pid) else {
            fail!("wait4 returned {pid}: not a child, or reaped twice");
        };
        ensure_eq!(status, WaitStatus::Exited(code), "status of child {pid}");
    }
    let (r, _) = wait4(-1, 0);
    expect_errno(r, libc::ECHILD, "wait4(-1) after reaping all 100")
}

fn wait_without_children_is_echild() -> CheckResult {
    let (r, _) = wait4(-1, 0);
    expect_errno(r, libc::ECHILD, "wait4(-1) with no children")?;
    let (r, _) = wait4(-1, libc::WNOHANG);
    expect_errno(r, libc::ECHILD, "wait4(-1, WNOHANG) with no children")?;
    let (r, _) = wait4(getpid(), 0);
    expect_errno(r, libc::ECHILD, "wait4(own pid)")
}

fn wnohang_returns_0_while_the_child_runs() -> CheckResult {
    let (pid, wr) = blocked_child(3)?;
    let (r, _) = wait4(pid, libc::WNOHANG);
    ensure_eq!(r, 0, "wait4(pid, WNOHANG) on a running child");
    let (r, _) = wait4(-1, libc::WNOHANG);
    ensure_eq!(r, 0, "wait4(-1, WNOHANG) on a running child");
    close(wr);
    let (r, status) = wait4(pid, 0);
    ensure_eq!((r, status), (i64::from(pid), WaitStatus::Exited(3)));
    Ok(())
}

fn wait4_for_a_specific_pid() -> CheckResult {
    let first = child_exiting(11)?;
    let (second, wr) = blocked_child(12)?;
    let third = child_exiting(13)?;
    close(wr);
    // The second is waited for by pid although the others exited first.
    let (r, status) = wait4(second, 0);
    ensure_eq!((r, status), (i64::from(second), WaitStatus::Exited(12)));
    let (r, status) = wait4(third, 0);
    ensure_eq!((r, status), (i64::from(third), WaitStatus::Exited(13)));
    let (r, status) = wait4(first, 0);
    ensure_eq!((r, status), (i64::from(first), WaitStatus::Exited(11)));
    let (r, _) = wait4(first, 0);
    expect_errno(r, libc::ECHILD, "wait4 for an already reaped child")
}

fn wait4_minus_1_takes_any_child() -> CheckResult {
    let a = child_exiting(21)?;
    let b = child_exiting(22)?;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let (r, status) = wait4(-1, 0);
        seen.push((r, status));
    }
    seen.sort_by_key(|s| s.0);
    let mut want = vec![
        (i64::from(a), WaitStatus::Exited(21)),
        (i64::from(b), WaitStatus::Exited(22)),
    ];
    want.sort_by_key(|s| s.0);
    ensure_eq!(seen, want);
    Ok(())
}

/// A child moved into its own process group (set by both sides, so the
/// group exists whichever runs first); blocks until `wr` is closed.
fn child_in_new_group(code: i32) -> Result<(libc::pid_t, i32), String> {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        // SAFETY: setpgid on ourselves.
        unsafe { libc::setpgid(0, 0) };
        close(wr);
        let mut b = [0u8; 1];
        let _ = read_some(rd, &mut b);
        code
    })?;
    // SAFETY: setpgid on our child (EACCES once it has exec'd: it has not).
    sys(unsafe { libc::setpgid(pid, pid) }, "setpgid(child)")?;
    close(rd);
    Ok((pid, wr))
}

fn wait4_0_takes_only_our_group() -> CheckResult {
    let (other, wr_other) = child_in_new_group(31)?;
    let (ours, wr_ours) = blocked_child(32)?;
    close(wr_other);
    close(wr_ours);
    let (r, status) = wait4(0, 0);
    ensure_eq!(
        (r, status),
        (i64::from(ours), WaitStatus::Exited(32)),
        "wait4(0)"
    );
    // Only the other group's child is left: wait4(0) has nothing to wait
    // for, although a child exists.
    let (r, _) = wait4(0, 0);
    expect_errno(
        r,
        libc::ECHILD,
        "wait4(0) with children only in another group",
    )?;
    let (r, status) = wait4(other, 0);
    ensure_eq!((r, status), (i64::from(other), WaitStatus::Exited(31)));
    Ok(())
}

fn wait4_minus_pgid_takes_only_that_group() -> CheckResult {
    let (other, wr_other) = child_in_new_group(41)?;
    let (ours, wr_ours) = blocked_child(42)?;
    let (r, _) = wait4(-other, libc::WNOHANG);
    ensure_eq!(r, 0, "wait4(-pgid, WNOHANG) while its member runs");
    close(wr_ours);
    close(wr_other);
    let (r, status) = wait4(-other, 0);
    ensure_eq!(
        (r, status),
        (i64::from(other), WaitStatus::Exited(41)),
        "wait4(-pgid)"
    );
    let (r, _) = wait4(-other, 0);
    expect_errno(r, libc::ECHILD, "wait4(-pgid) once the group is empty")?;
    let (r, status) = wait4(ours, 0);
    ensure_eq!((r, status), (i64::from(ours), WaitStatus::Exited(42)));
    Ok(())
}

/// waitid(idtype, id, &info, options): (return value, info).
fn waitid(idtype: libc::idtype_t, id: libc::id_t, options: i32) -> (i64, libc::siginfo_t) {
    // SAFETY: info is a valid out-pointer; rusage is NULL.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::syscall(
            libc::SYS_waitid,
            idtype,
            id,
            &mut info,
            options,
            std::ptr::null_mut::<libc::rusage>(),
        );
        (r, info)
    }
}

/// (si_signo, si_code, si_pid, si_status) of a waitid result.
fn info_of(info: &libc::siginfo_t) -> (i32, i32, libc::pid_t, i32) {
    // SAFETY: the kernel filled in a SIGCHLD siginfo.
    unsafe { (info.si_signo, info.si_code, info.si_pid(), info.si_status()) }
}

fn waitid_reports_exits_and_signals() -> CheckResult {
    let a = child_exiting(51)?;
    let (r, info) = waitid(libc::P_PID, a as libc::id_t, libc::WEXITED);
    ensure_eq!(r, 0);
    ensure_eq!(
        info_of(&info),
        (libc::SIGCHLD, libc::CLD_EXITED, a, 51),
        "(signo, code, pid, status)"
    );
    let (b, wr) = blocked_child(0)?;
    // SAFETY: signals our own child.
    sys(unsafe { libc::kill(b, libc::SIGKILL) }, "kill")?;
    let (r, info) = waitid(libc::P_ALL, 0, libc::WEXITED);
    ensure_eq!(r, 0);
    ensure_eq!(
        info_of(&info),
        (libc::SIGCHLD, libc::CLD_KILLED, b, libc::SIGKILL)
    );
    close(wr);
    let (c, wr) = child_in_new_group(53)?;
    close(wr);
    let (r, info) = waitid(libc::P_PGID, c as libc::id_t, libc::WEXITED);
    ensure_eq!(r, 0);
    ensure_eq!(info_of(&info), (libc::SIGCHLD, libc::CLD_EXITED, c, 53));
    let (r, _) = waitid(libc::P_ALL, 0, libc::WEXITED);
    expect_errno(r, libc::ECHILD, "waitid(P_ALL) with no children")?;
    let (r, _) = waitid(libc::P_ALL, 0, 0);
    expect_errno(
        r,
        libc::EINVAL,
        "waitid without WEXITED/WSTOPPED/WCONTINUED",
    )
}

fn waitid_wnowait_leaves_the_child_waitable() -> CheckResult {
    let a = child_exiting(61)?;
    let (r, info) = waitid(libc::P_PID, a as libc::id_t, libc::WEXITED | libc::WNOWAIT);
    ensure_eq!(r, 0);
    ensure_eq!(info_of(&info), (libc::SIGCHLD, libc::CLD_EXITED, a, 61));
    let (r, status) = wait4(a, 0);
    ensure_eq!(
        (r, status),
        (i64::from(a), WaitStatus::Exited(61)),
        "wait4 after WNOWAIT"
    );
    Ok(())
}

/// Forks a child that forks a grandchild and exits; the grandchild waits
/// for its parent to die, then reports its new parent. Returns
/// (the dead parent's pid, the orphan's new ppid).
fn orphan_report() -> Result<(libc::pid_t, libc::pid_t), String> {
    let (rd, wr) = pipe()?;
    let parent = spawn(move || {
        close(rd);
        let me = getpid();
        match spawn(move || {
            // Wait (bounded) for the reparenting, then report.
            let mut ppid = me;
            for _ in 0..2000 {
                // SAFETY: no preconditions.
                ppid = unsafe { libc::getppid() };
                if ppid != me {
                    break;
                }
                sleep_ms(5);
            }
            i32::from(write_all(wr, &ppid.to_le_bytes()).is_err())
        }) {
            Ok(_) => 0,
            Err(_) => 1,
        }
    })?;
    close(wr);
    ensure_eq!(
        wait_pid(parent)?,
        WaitStatus::Exited(0),
        "the orphan's parent"
    );
    let mut buf = [0u8; 4];
    read_exact(rd, &mut buf)?;
    close(rd);
    Ok((parent, i32::from_le_bytes(buf)))
}

fn orphan_is_reparented_away_from_its_dead_parent() -> CheckResult {
    let (dead, new_ppid) = orphan_report()?;
    check!(
        new_ppid != dead,
        "the orphan's parent is still {dead}, which has exited"
    );
    check!(new_ppid > 0, "getppid of the orphan is {new_ppid}");
    Ok(())
}

fn orphan_is_reparented_to_init() -> CheckResult {
    let (_, new_ppid) = orphan_report()?;
    ensure_eq!(new_ppid, 1);
    Ok(())
}

// Memory of each kind, written by each generation.
static DATA: [AtomicU8; 3 * PAGE] = [const { AtomicU8::new(0xa5) }; 3 * PAGE];
static BSS: [AtomicU8; 3 * PAGE] = [const { AtomicU8::new(0) }; 3 * PAGE];
static DATA_WORD: AtomicU64 = AtomicU64::new(0x1234_5678);

/// Stack and heap memory shared by all generations: each inherits the
/// very same addresses from its parent and writes its own marks there.
struct Generation {
    stack: [u8; 2 * PAGE],
    heap: Vec<u8>,
}

fn fill(g: &mut Generation, mark: u8) {
    for b in DATA.iter().chain(BSS.iter()) {
        b.store(mark, Ordering::Relaxed);
    }
    DATA_WORD.store(u64::from(mark) << 32 | 0x1234_5678, Ordering::Relaxed);
    g.stack.fill(mark);
    g.heap.fill(mark);
}

fn verify(g: &Generation, mark: u8, who: &str) -> CheckResult {
    for (name, area) in [("data", &DATA), ("bss", &BSS)] {
        if let Some(i) = area.iter().position(|b| b.load(Ordering::Relaxed) != mark) {
            let got = area[i].load(Ordering::Relaxed);
            fail!("{who}: .{name} byte {i} is {got:#x}, expected {mark:#x}");
        }
    }
    ensure_eq!(
        DATA_WORD.load(Ordering::Relaxed) >> 32,
        u64::from(mark),
        "{who}: .data word"
    );
    check!(
        g.stack.iter().all(|&b| b == mark),
        "{who}: stack bytes changed"
    );
    check!(
        g.heap.iter().all(|&b| b == mark),
        "{who}: heap bytes changed"
    );
    Ok(())
}

fn three_generations_have_isolated_memory() -> CheckResult {
    // Unchanged memory is inherited: .bss starts zero, .data as linked.
    check!(
        BSS.iter().all(|b| b.load(Ordering::Relaxed) == 0),
        ".bss not zero at start"
    );
    check!(
        DATA.iter().all(|b| b.load(Ordering::Relaxed) == 0xa5),
        ".data not as linked"
    );
    let mut g = Generation {
        stack: [0; 2 * PAGE],
        heap: vec![0; 64 * 1024],
    };
    fill(&mut g, 1);
    in_child(|| {
        verify(&g, 1, "generation 1 at start")?;
        fill(&mut g, 2);
        in_child(|| {
            verify(&g, 2, "generation 2 at start")?;
            fill(&mut g, 3);
            verify(&g, 3, "generation 2 after writing")
        })?;
        verify(&g, 2, "generation 1 after its child wrote")
    })?;
    verify(&g, 1, "generation 0 after its descendants wrote")
}

fn private_mapping_is_copied_on_write() -> CheckResult {
    let mut m = Mapping::anon(4 * PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    m.bytes_mut().fill(7);
    let addr = m.addr;
    in_child(move || {
        // SAFETY: the inherited copy of the mapping.
        let bytes = unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, 4 * PAGE) };
        check!(
            bytes.iter().all(|&b| b == 7),
            "child does not see the parent's bytes"
        );
        bytes.fill(8);
        Ok(())
    })?;
    check!(
        m.bytes().iter().all(|&b| b == 7),
        "the child's writes reached the parent"
    );
    Ok(())
}

fn shared_mapping_is_shared_after_fork() -> CheckResult {
    let mut m = Mapping::shared(2 * PAGE)?;
    m.bytes_mut().fill(1);
    let addr = m.addr;
    in_child(move || {
        // SAFETY: the shared mapping, inherited.
        let bytes = unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, 2 * PAGE) };
        check!(bytes.iter().all(|&b| b == 1));
        bytes.fill(2);
        Ok(())
    })?;
    check!(
        m.bytes().iter().all(|&b| b == 2),
        "the child's writes to a MAP_SHARED page are not visible"
    );
    Ok(())
}

fn child_mprotect_and_munmap_leave_the_parent_alone() -> CheckResult {
    let mut a = Mapping::anon(2 * PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    let mut b = Mapping::anon(2 * PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    a.bytes_mut().fill(3);
    b.bytes_mut().fill(4);
    let (aa, ba) = (a.addr, b.addr);
    in_child(move || {
        // SAFETY: aa is the child's copy of mapping a, not touched after.
        sys(
            unsafe { libc::mprotect(aa as *mut _, 2 * PAGE, libc::PROT_NONE) },
            "mprotect",
        )?;
        // SAFETY: ba is the child's copy of mapping b, not touched after.
        sys(unsafe { libc::munmap(ba as *mut _, 2 * PAGE) }, "munmap")?;
        Ok(())
    })?;
    a.bytes_mut()[PAGE] = 9;
    check!(
        a.bytes()[0] == 3 && a.bytes()[PAGE] == 9,
        "parent's mapping changed"
    );
    check!(
        b.bytes().iter().all(|&x| x == 4),
        "parent's other mapping changed"
    );
    Ok(())
}

fn fork_shares_open_file_offsets() -> CheckResult {
    let f = utests::fd::make_file("offset", b"0123456789", 0o644)?;
    let fd = utests::fd::open(&f.c, libc::O_RDONLY)?;
    let mut buf = [0u8; 3];
    read_exact(fd, &mut buf)?;
    let pid = spawn(move || {
        let mut b = [0u8; 4];
        i32::from(read_exact(fd, &mut b).is_err() || &b != b"3456")
    })?;
    ensure_eq!(
        wait_pid(pid)?,
        WaitStatus::Exited(0),
        "child reads from the shared offset"
    );
    read_exact(fd, &mut buf)?;
    ensure_eq!(&buf, b"789", "the child's reads moved the parent's offset");
    Ok(())
}

static VFORK_MARK: AtomicU64 = AtomicU64::new(0xfeed);

/// vfork; the child execs `path` (unless it is NULL) and otherwise exits
/// with `code`. All in one asm block: the child shares the parent's stack
/// until it execs or exits, so it must not touch it (no call, no push);
/// the kernel preserves every register but rax, rcx and r11.
fn vfork_then(
    path: *const libc::c_char,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
    code: i32,
) -> i64 {
    let ret: i64;
    // SAFETY: see above; the parent resumes with rax = the child's pid or
    // -errno and every other register as it was.
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "test rdi, rdi",
            "jz 3f",
            "mov eax, {execve}",
            "syscall",
            "3:",
            "mov eax, {exit_group}",
            "mov rdi, r8",
            "syscall",
            "ud2",
            "2:",
            execve = const libc::SYS_execve,
            exit_group = const libc::SYS_exit_group,
            inlateout("rax") libc::SYS_vfork => ret,
            in("rdi") path,
            in("rsi") argv,
            in("rdx") envp,
            in("r8") i64::from(code),
            out("rcx") _,
            out("r11") _,
            options(nostack),
        );
    }
    ret
}

/// A raw system-call result as a pid, or the failure.
fn pid_of(ret: i64, what: &str) -> Result<libc::pid_t, String> {
    if ret < 0 {
        return Err(format!("{what} failed: {}", ftest::errname(-ret as i32)));
    }
    Ok(ret as libc::pid_t)
}

fn vfork_child_exit_status_and_parent_memory() -> CheckResult {
    let local = [0x77u8; 64];
    let pid = pid_of(
        vfork_then(std::ptr::null(), std::ptr::null(), std::ptr::null(), 42),
        "vfork",
    )?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(42));
    check!(
        local.iter().all(|&b| b == 0x77),
        "parent's stack changed across vfork"
    );
    ensure_eq!(VFORK_MARK.load(Ordering::Relaxed), 0xfeed);
    Ok(())
}

fn vfork_then_exec() -> CheckResult {
    // Everything the child needs is prepared before vfork.
    let argv = [c"vforked".as_ptr(), std::ptr::null()];
    let env = std::ffi::CString::new(format!("{}=1", ftest::PROBE_ENV)).unwrap();
    let envp = [env.as_ptr(), std::ptr::null()];
    let path = std::ffi::CString::new(ftest::self_path()).unwrap();
    let pid = pid_of(
        vfork_then(path.as_ptr(), argv.as_ptr(), envp.as_ptr(), 127),
        "vfork",
    )?;
    // The probe environment makes this program exit with status 99.
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(ftest::PROBE_EXIT_STATUS));
    Ok(())
}

fn clone_with_fork_flags_is_fork() -> CheckResult {
    let mut m = Mapping::anon(PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    m.bytes_mut().fill(5);
    let addr = m.addr;
    // SAFETY: clone without CLONE_VM copies the address space like fork;
    // the child touches its own copy and leaves by _exit.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone,
            libc::SIGCHLD as libc::c_ulong,
            0usize,
            0usize,
            0usize,
            0usize,
        )
    };
    if pid == 0 {
        // SAFETY: addr is the child's own writable copy of m's page; _exit
        // leaves without returning into frames shared with the parent.
        unsafe {
            *(addr as *mut u8) = 6;
            libc::_exit(if libc::getppid() > 0 { 17 } else { 1 });
        }
    }
    let pid = sys(pid, "clone(SIGCHLD)")? as libc::pid_t;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(17));
    ensure_eq!(
        m.bytes()[0],
        5,
        "the clone child's write reached the parent"
    );
    Ok(())
}

/// Rust's `Command` spawns with musl's posix_spawn:
/// clone(CLONE_VM|CLONE_VFORK|SIGCHLD) on a small stack of its own, in
/// the caller's address space, then execve.
fn std_command_spawns_through_clone_vm_vfork() -> CheckResult {
    let status = std::process::Command::new(ftest::self_path())
        .env(ftest::PROBE_ENV, "1")
        .status()
        .map_err(|e| format!("spawn: {e}"))?;
    ensure_eq!(status.code(), Some(ftest::PROBE_EXIT_STATUS));
    // A program that does not exist: the error comes back from the child
    // through the shared memory, and nothing is left to reap.
    let e = std::process::Command::new("/no/such/program")
        .status()
        .expect_err("spawning a missing program fails");
    ensure_eq!(e.raw_os_error(), Some(libc::ENOENT));
    expect_errno(
        // SAFETY: no out-pointers.
        unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) } as i64,
        libc::ECHILD,
        "no child left",
    )?;
    Ok(())
}

/// `Command::output` pipes the child's stdout back (here this program's
/// own list of checks, `--list`).
fn std_command_output_is_captured() -> CheckResult {
    let out = std::process::Command::new(ftest::self_path())
        .arg("--list")
        .output()
        .map_err(|e| format!("spawn: {e}"))?;
    ensure_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    check!(
        text.lines()
            .any(|l| l.trim() == "user::fork::std_command_output_is_captured"),
        "the list names this check: {text:?}"
    );
    Ok(())
}

/// Ferrite has no threads: CLONE_VM without CLONE_VFORK is EINVAL.
fn clone_vm_without_vfork_is_refused() -> CheckResult {
    expect_errno(
        // SAFETY: refused before anything is created.
        unsafe {
            libc::syscall(
                libc::SYS_clone,
                (libc::CLONE_VM | libc::SIGCHLD) as libc::c_ulong,
                0usize,
                0usize,
                0usize,
                0usize,
            )
        },
        libc::EINVAL,
        "clone(CLONE_VM|SIGCHLD)",
    )
}
