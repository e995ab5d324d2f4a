//! Stops and their life cycle: TRACEME and exec, signal-delivery stops,
//! siginfo, single-stepping, system-call stops, the fork/exec/exit
//! events, attaching and detaching, EXITKILL, SIGKILL and PTRACE_KILL,
//! and what a traced child's real parent sees.

use super::*;
use ftest::proc::{cstrings, wait_pid};
use ftest::{CheckResult, check, ensure_eq, expect_errno, self_path};
use utests::fd::{close, pipe, read_some, write_all};

/// In a child: exec this program's `exit_with CODE` helper (exit 127 if
/// the exec fails).
fn exec_exit_with(code: &str) -> i32 {
    let argv = match cstrings(&[self_path(), "--helper", "exit_with", code]) {
        Ok(a) => a,
        Err(_) => return 126,
    };
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let env: [*const libc::c_char; 1] = [std::ptr::null()];
    // SAFETY: NULL-terminated arrays of live C strings.
    unsafe { libc::execve(ptrs[0], ptrs.as_ptr(), env.as_ptr()) };
    127
}

pub fn traceme_then_exec_stops_with_sigtrap() -> CheckResult {
    let pid = spawn(|| {
        if ptrace(TRACEME, 0, 0, 0) != 0 {
            return 120;
        }
        exec_exit_with("7")
    })?;
    expect_stop(pid, libc::SIGTRAP)?;
    let r = get_regs(pid)?;
    ensure_eq!(r.orig_rax, libc::SYS_execve as u64, "stopped after execve");
    ensure_eq!(r.rax, 0, "execve returned 0");
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(7), "the new program ran");
    Ok(())
}

pub fn traceme_twice_is_eperm() -> CheckResult {
    ftest::proc::in_child(|| {
        sys(ptrace(TRACEME, 0, 0, 0), "first PTRACE_TRACEME")?;
        expect_errno(
            ptrace(TRACEME, 0, 0, 0),
            libc::EPERM,
            "second PTRACE_TRACEME",
        )
    })
}

/// A traced child that raises SIGUSR1 (its default action: death) and
/// exits 0 if it survives.
fn usr1_child() -> Result<libc::pid_t, String> {
    let pid = traced_child(|| {
        kill(getpid(), libc::SIGUSR1);
        0
    })?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    expect_stop(pid, libc::SIGUSR1)?;
    Ok(pid)
}

pub fn cont_with_a_signal_delivers_it() -> CheckResult {
    let pid = usr1_child()?;
    pt(CONT, pid, 0, libc::SIGUSR1 as u64, "PTRACE_CONT(SIGUSR1)")?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGUSR1));
    Ok(())
}

pub fn cont_with_zero_suppresses_the_signal() -> CheckResult {
    let pid = usr1_child()?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT(0)")?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0));
    Ok(())
}

pub fn cont_can_replace_the_signal() -> CheckResult {
    let pid = usr1_child()?;
    pt(CONT, pid, 0, libc::SIGTERM as u64, "PTRACE_CONT(SIGTERM)")?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGTERM));
    Ok(())
}

/// `siginfo_t` fields: signo, errno, code, then si_pid at 16, si_uid at 20.
fn siginfo(pid: libc::pid_t) -> Result<[u8; 128], String> {
    let mut si = [0u8; 128];
    pt(GETSIGINFO, pid, 0, si.as_mut_ptr() as u64, "GETSIGINFO")?;
    Ok(si)
}

fn int_at(b: &[u8], off: usize) -> i32 {
    i32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

pub fn getsiginfo_describes_the_signal_and_setsiginfo_replaces_it() -> CheckResult {
    let pid = usr1_child()?;
    let mut si = siginfo(pid)?;
    ensure_eq!(int_at(&si, 0), libc::SIGUSR1, "si_signo");
    ensure_eq!(int_at(&si, 8), 0, "si_code SI_USER (kill)");
    ensure_eq!(int_at(&si, 16), pid, "si_pid: the tracee sent it");
    si[8..12].copy_from_slice(&(-1i32).to_le_bytes()); // SI_QUEUE
    pt(SETSIGINFO, pid, 0, si.as_ptr() as u64, "SETSIGINFO")?;
    ensure_eq!(int_at(&siginfo(pid)?, 8), -1, "the new si_code");
    pt(CONT, pid, 0, 0, "PTRACE_CONT(0)")?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0));
    let mut buf = [0u8; 128];
    expect_errno(
        ptrace(GETSIGINFO, pid, 0, buf.as_mut_ptr() as u64),
        libc::ESRCH,
        "GETSIGINFO of a reaped tracee",
    )?;
    Ok(())
}

/// A known loop between two marks: `lea r12, [end]; int3; mov ecx, 100;
/// 2: dec ecx; jnz 2b; end: nop` (201 instructions from the int3 to end).
fn known_loop() -> i32 {
    // SAFETY: registers only; the int3 traps into the tracer.
    unsafe {
        std::arch::asm!(
            "lea r12, [rip + 3f]",
            "int3",
            "mov ecx, 100",
            "2:",
            "dec ecx",
            "jnz 2b",
            "3:",
            "nop",
            out("r12") _,
            out("ecx") _,
        );
    }
    0
}

/// Single-step `pid` once (expect the SIGTRAP) and return its registers.
fn step(pid: libc::pid_t) -> Result<Regs, String> {
    pt(SINGLESTEP, pid, 0, 0, "PTRACE_SINGLESTEP")?;
    expect_stop(pid, libc::SIGTRAP)?;
    get_regs(pid)
}

pub fn singlestep_counts_the_instructions_of_a_known_loop() -> CheckResult {
    let pid = traced_child(known_loop)?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    expect_stop(pid, libc::SIGTRAP)?;
    let start = get_regs(pid)?;
    let end = start.r12;
    check!(end > start.rip && end - start.rip < 64, "the end mark");
    let mut steps = 0;
    let mut rip = start.rip;
    while rip != end {
        rip = step(pid)?.rip;
        steps += 1;
        check!(steps <= 1000, "never reached the end mark");
    }
    ensure_eq!(steps, 201, "1 mov + 100 x (dec, jnz)");
    ensure_eq!(get_regs(pid)?.rcx & 0xffff_ffff, 0, "the loop ran out");
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(0));
    Ok(())
}

/// `lea r12, [end]; int3; mov eax, 39 (getpid); syscall; end: nop`.
fn getpid_by_hand() -> i32 {
    // SAFETY: a getpid system call; the int3 traps into the tracer.
    unsafe {
        std::arch::asm!(
            "lea r12, [rip + 3f]",
            "int3",
            "mov eax, 39",
            "syscall",
            "3:",
            "nop",
            out("r12") _,
            out("rax") _,
            out("rcx") _,
            out("r11") _,
        );
    }
    0
}

pub fn singlestep_over_syscall_stops_right_after_it() -> CheckResult {
    let pid = traced_child(getpid_by_hand)?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    expect_stop(pid, libc::SIGTRAP)?;
    let start = get_regs(pid)?;
    let at_syscall = step(pid)?;
    ensure_eq!(at_syscall.rax, 39, "one step: the mov");
    ensure_eq!(
        peek(pid, at_syscall.rip)? & 0xffff,
        0x050f,
        "at the syscall"
    );
    let after = step(pid)?;
    ensure_eq!(after.rip, start.r12, "the next step ends right after it");
    ensure_eq!(after.rax, pid as u64, "having run getpid");
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(0));
    Ok(())
}

pub fn ptrace_syscall_sees_a_known_sequence_of_calls() -> CheckResult {
    let me = getpid();
    let pid = traced_child(|| {
        // SAFETY: harmless calls, then exit_group.
        unsafe {
            libc::syscall(libc::SYS_getpid);
            libc::syscall(libc::SYS_getppid);
            libc::syscall(libc::SYS_lseek, -1i64, 0i64, 0i64);
            libc::syscall(libc::SYS_exit_group, 3i64);
        }
        99
    })?;
    // A mini strace: (number, result) of every call until the end.
    let mut calls: Vec<(u64, Option<i64>)> = Vec::new();
    let status = loop {
        pt(SYSCALL, pid, 0, 0, "PTRACE_SYSCALL")?;
        let st = wait_raw(pid)?;
        if stop_sig(st).is_none() {
            break WaitStatus::from_raw(st);
        }
        let r = get_regs(pid)?;
        match calls.last_mut() {
            Some((nr, ret @ None)) if *nr == r.orig_rax => *ret = Some(r.rax as i64),
            _ => calls.push((r.orig_rax, None)),
        }
        check!(calls.len() < 100, "too many calls");
    };
    ensure_eq!(status, WaitStatus::Exited(3));
    let want: [(u64, Option<i64>); 4] = [
        (libc::SYS_getpid as u64, Some(pid as i64)),
        (libc::SYS_getppid as u64, Some(me as i64)),
        (libc::SYS_lseek as u64, Some(-(libc::EBADF as i64))),
        (libc::SYS_exit_group as u64, None),
    ];
    check!(
        calls.windows(4).any(|w| w == want),
        "calls seen: {calls:?}, expected {want:?} in a row"
    );
    ensure_eq!(calls.last(), want.last(), "exit_group is the last call");
    Ok(())
}

pub fn tracesysgood_marks_system_call_stops() -> CheckResult {
    let pid = traced_child(|| {
        // SAFETY: harmless calls.
        unsafe {
            libc::syscall(libc::SYS_getpid);
            libc::syscall(libc::SYS_getpid);
        }
        0
    })?;
    pt(SYSCALL, pid, 0, 0, "PTRACE_SYSCALL")?;
    expect_stop(pid, libc::SIGTRAP)?;
    pt(SETOPTIONS, pid, 0, O_TRACESYSGOOD, "SETOPTIONS")?;
    pt(SYSCALL, pid, 0, 0, "PTRACE_SYSCALL")?;
    expect_stop(pid, libc::SIGTRAP | 0x80)?;
    let mut si = [0u8; 128];
    pt(GETSIGINFO, pid, 0, si.as_mut_ptr() as u64, "GETSIGINFO")?;
    ensure_eq!(
        int_at(&si, 0),
        libc::SIGTRAP,
        "a system-call stop's siginfo"
    );
    ensure_eq!(int_at(&si, 8), libc::SIGTRAP | 0x80, "its si_code");
    expect_errno(
        ptrace(SETOPTIONS, pid, 0, 0x8000_0000),
        libc::EINVAL,
        "an unknown option",
    )?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(0));
    Ok(())
}

pub fn tracefork_follows_the_child() -> CheckResult {
    let pid = traced_child(|| {
        // SAFETY: fork in a single-threaded child; the grandchild exits.
        let gc = unsafe { libc::fork() };
        if gc == 0 {
            // SAFETY: ends the grandchild.
            unsafe { libc::_exit(5) };
        }
        let mut st = 0;
        // SAFETY: status out-pointer.
        while unsafe { libc::waitpid(gc, &mut st, 0) } == -1 && errno() == libc::EINTR {}
        if libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 5 {
            0
        } else {
            1
        }
    })?;
    pt(SETOPTIONS, pid, 0, O_TRACEFORK, "SETOPTIONS")?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    let st = expect_stop(pid, libc::SIGTRAP)?;
    ensure_eq!(event_of(st), EVENT_FORK, "a fork event stop");
    let mut msg = 0u64;
    pt(
        GETEVENTMSG,
        pid,
        0,
        &mut msg as *mut u64 as u64,
        "GETEVENTMSG",
    )?;
    let gc = msg as libc::pid_t;
    check!(gc > 0 && gc != pid, "the grandchild's PID: {gc}");
    // The grandchild is traced by us too, and starts stopped.
    expect_stop(gc, libc::SIGSTOP)?;
    let r = get_regs(gc)?;
    ensure_eq!(r.rax, 0, "fork returns 0 in the grandchild");
    pt(CONT, gc, 0, 0, "PTRACE_CONT grandchild")?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT child")?;
    ensure_eq!(
        run_to_end(gc)?,
        WaitStatus::Exited(5),
        "the tracer hears of the grandchild's exit"
    );
    ensure_eq!(
        run_to_end(pid)?,
        WaitStatus::Exited(0),
        "its parent reaped it too"
    );
    Ok(())
}

pub fn traceexec_reports_the_event_and_no_sigtrap() -> CheckResult {
    let pid = traced_child(|| exec_exit_with("5"))?;
    pt(SETOPTIONS, pid, 0, O_TRACEEXEC, "SETOPTIONS")?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    let st = expect_stop(pid, libc::SIGTRAP)?;
    ensure_eq!(event_of(st), EVENT_EXEC, "an exec event stop");
    let mut msg = 0u64;
    pt(
        GETEVENTMSG,
        pid,
        0,
        &mut msg as *mut u64 as u64,
        "GETEVENTMSG",
    )?;
    ensure_eq!(msg, pid as u64, "the event message is the PID");
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(
        WaitStatus::from_raw(wait_raw(pid)?),
        WaitStatus::Exited(5),
        "no SIGTRAP stop after the event"
    );
    Ok(())
}

pub fn traceexit_stops_before_exit_with_the_status() -> CheckResult {
    let value = Box::new(0x5a5a_u64);
    let addr = &*value as *const u64 as u64;
    let pid = traced_child(|| 7)?;
    pt(SETOPTIONS, pid, 0, O_TRACEEXIT, "SETOPTIONS")?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    let st = expect_stop(pid, libc::SIGTRAP)?;
    ensure_eq!(event_of(st), EVENT_EXIT, "an exit event stop");
    let mut msg = 0u64;
    pt(
        GETEVENTMSG,
        pid,
        0,
        &mut msg as *mut u64 as u64,
        "GETEVENTMSG",
    )?;
    ensure_eq!(msg, 7 << 8, "the event message is the wait status");
    ensure_eq!(peek(pid, addr)?, 0x5a5a, "its memory is still there");
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(7));
    Ok(())
}

/// A child blocked reading a pipe: exits with `code` once a byte comes.
/// Returns (pid, write end).
fn reader_child(code: i32) -> Result<(libc::pid_t, i32), String> {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        close(wr);
        let mut b = [0u8; 1];
        match read_some(rd, &mut b) {
            Ok(1) => code,
            _ => 100,
        }
    })?;
    close(rd);
    Ok((pid, wr))
}

pub fn attach_stops_with_sigstop_and_detach_resumes() -> CheckResult {
    let value = Box::new(0x77u64);
    let addr = &*value as *const u64 as u64;
    let (pid, wr) = reader_child(3)?;
    pt(ATTACH, pid, 0, 0, "PTRACE_ATTACH")?;
    expect_stop(pid, libc::SIGSTOP)?;
    let mut si = [0u8; 128];
    pt(GETSIGINFO, pid, 0, si.as_mut_ptr() as u64, "GETSIGINFO")?;
    ensure_eq!(int_at(&si, 0), libc::SIGSTOP);
    ensure_eq!(
        int_at(&si, 8),
        0x80,
        "SI_KERNEL: sent by the kernel for the attach"
    );
    ensure_eq!(peek(pid, addr)?, 0x77);
    pt(DETACH, pid, 0, 0, "PTRACE_DETACH")?;
    expect_errno(ptrace(GETREGS, pid, 0, 0), libc::ESRCH, "no longer traced")?;
    write_all(wr, b"x")?;
    close(wr);
    ensure_eq!(
        wait_pid(pid)?,
        WaitStatus::Exited(3),
        "it went on reading after the detach"
    );
    Ok(())
}

pub fn attach_and_request_errors() -> CheckResult {
    expect_errno(
        ptrace(ATTACH, getpid(), 0, 0),
        libc::EPERM,
        "attach to oneself",
    )?;
    let init = ptrace(ATTACH, 1, 0, 0);
    if init == 0 {
        let _ = ptrace(DETACH, 1, 0, 0);
    }
    expect_errno(init, libc::EPERM, "attach to init")?;
    let (pid, wr) = reader_child(0)?;
    expect_errno(
        ptrace(SEIZE, pid, 0, 0x8000_0000),
        libc::EIO,
        "SEIZE with an unknown option (EIO: unlike SETOPTIONS)",
    )?;
    expect_errno(ptrace(SEIZE, pid, 1, 0), libc::EIO, "SEIZE with addr != 0")?;
    pt(ATTACH, pid, 0, 0, "PTRACE_ATTACH")?;
    expect_errno(ptrace(ATTACH, pid, 0, 0), libc::EPERM, "attach twice")?;
    expect_stop(pid, libc::SIGSTOP)?;
    expect_errno(ptrace(CONT, pid, 0, 65), libc::EIO, "CONT with signal 65")?;
    expect_errno(ptrace(0x7777, pid, 0, 0), libc::EIO, "an unknown request")?;
    pt(DETACH, pid, 0, 0, "PTRACE_DETACH")?;
    write_all(wr, b"x")?;
    close(wr);
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0));
    expect_errno(
        ptrace(ATTACH, pid, 0, 0),
        libc::ESRCH,
        "attach to a reaped PID",
    )?;
    Ok(())
}

pub fn seize_interrupt_stops_a_running_tracee() -> CheckResult {
    let (pid, wr) = reader_child(4)?;
    utests::clock::sleep_ms(50); // let it block in read
    pt(SEIZE, pid, 0, 0, "PTRACE_SEIZE")?;
    let mut r = Regs::default();
    let regs_ptr = &mut r as *mut Regs as u64;
    expect_errno(
        ptrace(GETREGS, pid, 0, regs_ptr),
        libc::ESRCH,
        "GETREGS of a running tracee",
    )?;
    pt(INTERRUPT, pid, 0, 0, "PTRACE_INTERRUPT")?;
    let st = expect_stop(pid, libc::SIGTRAP)?;
    ensure_eq!(event_of(st), EVENT_STOP, "an interrupt stop");
    pt(GETREGS, pid, 0, regs_ptr, "GETREGS when stopped")?;
    ensure_eq!(r.orig_rax, libc::SYS_read as u64, "stopped in read");
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    write_all(wr, b"x")?;
    close(wr);
    ensure_eq!(
        run_to_end(pid)?,
        WaitStatus::Exited(4),
        "the read went on after the stop"
    );
    Ok(())
}

pub fn exitkill_kills_the_tracee_when_the_tracer_exits() -> CheckResult {
    let (pid, wr) = reader_child(0)?;
    let tracer = spawn(move || {
        if ptrace(SEIZE, pid, 0, O_EXITKILL) != 0 {
            return 1;
        }
        0
    })?;
    ensure_eq!(
        wait_pid(tracer)?,
        WaitStatus::Exited(0),
        "the tracer seized it"
    );
    ensure_eq!(
        wait_pid(pid)?,
        WaitStatus::Signaled(libc::SIGKILL),
        "killed when its tracer exited"
    );
    close(wr);
    Ok(())
}

pub fn a_tracer_exit_without_exitkill_detaches() -> CheckResult {
    let (pid, wr) = reader_child(6)?;
    let tracer = spawn(move || {
        if ptrace(ATTACH, pid, 0, 0) != 0 {
            return 1;
        }
        match wait_raw(pid) {
            Ok(st) if stop_sig(st) == Some(libc::SIGSTOP) => {}
            _ => return 2,
        }
        if ptrace(CONT, pid, 0, 0) != 0 {
            return 3;
        }
        0
    })?;
    ensure_eq!(
        wait_pid(tracer)?,
        WaitStatus::Exited(0),
        "the tracer attached"
    );
    write_all(wr, b"x")?;
    close(wr);
    ensure_eq!(
        wait_pid(pid)?,
        WaitStatus::Exited(6),
        "detached and running when its tracer exited"
    );
    Ok(())
}

pub fn sigkill_ends_a_stopped_tracee() -> CheckResult {
    let pid = traced_child(|| 0)?;
    check!(kill(pid, libc::SIGKILL) == 0, "kill");
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGKILL));
    Ok(())
}

pub fn ptrace_kill_kills_the_tracee() -> CheckResult {
    let pid = traced_child(|| 0)?;
    pt(KILL, pid, 0, 0, "PTRACE_KILL")?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGKILL));
    Ok(())
}

pub fn a_traced_childs_real_parent_still_sees_its_exit() -> CheckResult {
    let (pid, wr) = reader_child(7)?;
    let tracer = spawn(move || {
        if ptrace(ATTACH, pid, 0, 0) != 0 {
            return 1;
        }
        match wait_raw(pid) {
            Ok(st) if stop_sig(st) == Some(libc::SIGSTOP) => {}
            _ => return 2,
        }
        if ptrace(CONT, pid, 0, 0) != 0 {
            return 3;
        }
        if write_all(wr, b"x").is_err() {
            return 4;
        }
        // The tracer hears of the exit first.
        match wait_raw(pid) {
            Ok(st) if libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 7 => 0,
            _ => 5,
        }
    })?;
    close(wr);
    ensure_eq!(
        wait_pid(tracer)?,
        WaitStatus::Exited(0),
        "the tracer saw the exit"
    );
    ensure_eq!(
        wait_pid(pid)?,
        WaitStatus::Exited(7),
        "and the parent reaps it with its real status"
    );
    Ok(())
}
