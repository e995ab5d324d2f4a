//! `ktrace PROG ARGS...`: run PROG with ARGS (found through PATH) and
//! print every system call it makes on standard error, strace-style:
//!
//! ```text
//! [7] 39 getpid() = 7
//! [7] 2 open(0x4012a0, 0x0, 0x0) = -1 ENOENT (No such file or directory)
//! [7] --- SIGUSR1 ---
//! [7] +++ exited with 0 +++
//! ```
//!
//! Each line: the PID, the call's number and name, its first three
//! arguments, and the result (an errno by name). A signal the program
//! receives is shown and passed on; ktrace exits with the program's status
//! (128 + N for a death by signal N).
//!
//! How: the child asks to be traced (PTRACE_TRACEME), stops itself, and
//! execs PROG; the tracer sets PTRACE_O_TRACESYSGOOD (system-call stops
//! report SIGTRAP | 0x80), PTRACE_O_TRACEEXEC (the exec is an event, not a
//! SIGTRAP) and PTRACE_O_EXITKILL, and resumes it with PTRACE_SYSCALL from
//! every stop: the stops at a call's entry and exit alternate, so the
//! entry's number and arguments (GETREGS: orig_rax, rdi, rsi, rdx) are
//! printed with the exit's rax. Only the program itself is traced (its
//! children run untraced).

use std::ffi::CString;
use std::fmt::Write as _;

use ferrite_abi::{Errno, signal::signal_name, syscall_name};

const PTRACE_TRACEME: i64 = 0;
const PTRACE_GETREGS: i64 = 12;
const PTRACE_SYSCALL: i64 = 24;
const PTRACE_SETOPTIONS: i64 = 0x4200;
const OPTIONS: u64 = 0x01 | 0x10 | 0x10_0000; // TRACESYSGOOD | TRACEEXEC | EXITKILL
const EVENT_EXEC: i32 = 4;

/// `struct user_regs_struct`: the words ktrace reads.
#[repr(C)]
#[derive(Default)]
struct Regs {
    r15_to_r8: [u64; 10],
    rax: u64,
    rcx: u64,
    rdx: u64,
    rsi: u64,
    rdi: u64,
    orig_rax: u64,
    rest: [u64; 11],
}

fn ptrace(req: i64, pid: libc::pid_t, addr: u64, data: u64) -> i64 {
    // SAFETY: the raw call; `data` is a valid pointer where one is needed.
    unsafe { libc::syscall(libc::SYS_ptrace, req, pid as i64, addr, data) }
}

fn say(line: &str) {
    let mut s = line.to_string();
    s.push('\n');
    // SAFETY: the buffer is valid for its length.
    unsafe { libc::write(2, s.as_ptr().cast(), s.len()) };
}

fn die(msg: &str) -> ! {
    say(&format!("ktrace: {msg}"));
    std::process::exit(127)
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// A result as strace shows it.
fn result(ret: u64) -> String {
    match Errno::from_ret(ret as i64) {
        Some(e) => format!("-1 {} ({})", e.name(), e.description()),
        None if ret > 0xffff => format!("{ret:#x}"),
        None => format!("{}", ret as i64),
    }
}

const HELP: &str = "usage: ktrace PROG ARGS...
  Run PROG under PTRACE_SYSCALL and print each system call it makes,
  strace-style: [pid] number name(args) = result or -1 ERRNO (text);
  signals it receives and its exit are shown too. The trace goes to
  standard error; PROG's own output is left alone. The exit status is
  PROG's (128 + the signal if a signal ended it).
";

fn main() {
    let args: Vec<CString> = std::env::args()
        .skip(1)
        .map(|a| CString::new(a).unwrap_or_else(|_| die("an argument has a NUL byte")))
        .collect();
    if args.is_empty() {
        die("usage: ktrace PROG ARGS... (ktrace --help for more)");
    }
    if args.len() == 1 && args[0].as_bytes() == b"--help" {
        print!("{HELP}");
        return;
    }
    // SAFETY: single-threaded; the child only asks to be traced and execs.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        die(&format!("fork failed (errno {})", errno()));
    }
    if pid == 0 {
        let mut argv: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
        argv.push(std::ptr::null());
        // SAFETY: the raw calls, then execvp with a NULL-terminated argv.
        unsafe {
            ptrace(PTRACE_TRACEME, 0, 0, 0);
            libc::raise(libc::SIGSTOP);
            libc::execvp(argv[0], argv.as_ptr());
        }
        say(&format!(
            "ktrace: cannot run {}: errno {}",
            args[0].to_string_lossy(),
            errno()
        ));
        // SAFETY: ends the child.
        unsafe { libc::_exit(127) };
    }
    std::process::exit(trace(pid));
}

/// Trace `pid` (stopped by its own SIGSTOP) to its end; its exit status.
fn trace(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    let mut first = true;
    let mut entry: Option<Regs> = None;
    loop {
        // SAFETY: status is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == -1 && errno() == libc::EINTR {
            continue;
        }
        if r != pid {
            die(&format!("waitpid failed (errno {})", errno()));
        }
        if libc::WIFEXITED(status) {
            say(&format!(
                "[{pid}] +++ exited with {} +++",
                libc::WEXITSTATUS(status)
            ));
            return libc::WEXITSTATUS(status);
        }
        if libc::WIFSIGNALED(status) {
            let sig = libc::WTERMSIG(status);
            say(&format!(
                "[{pid}] +++ killed by {} +++",
                signal_name(sig).unwrap_or("a signal")
            ));
            return 128 + sig;
        }
        let sig = libc::WSTOPSIG(status);
        let mut inject = 0;
        if first {
            // The child's own SIGSTOP: from here on, trace.
            first = false;
            if ptrace(PTRACE_SETOPTIONS, pid, 0, OPTIONS) != 0 {
                die(&format!("PTRACE_SETOPTIONS failed (errno {})", errno()));
            }
        } else if sig == libc::SIGTRAP | 0x80 {
            let mut regs = Regs::default();
            if ptrace(PTRACE_GETREGS, pid, 0, &mut regs as *mut Regs as u64) != 0 {
                die(&format!("PTRACE_GETREGS failed (errno {})", errno()));
            }
            match entry.take() {
                None => entry = Some(regs),
                Some(e) => print_call(pid, &e, regs.rax),
            }
        } else if sig == libc::SIGTRAP && status >> 16 == EVENT_EXEC {
            // The exec event: the execve call's exit stop follows.
        } else {
            say(&format!(
                "[{pid}] --- {} ---",
                signal_name(sig).unwrap_or("signal")
            ));
            inject = sig;
        }
        if ptrace(PTRACE_SYSCALL, pid, 0, inject as u64) != 0 {
            die(&format!("PTRACE_SYSCALL failed (errno {})", errno()));
        }
    }
}

fn print_call(pid: libc::pid_t, e: &Regs, ret: u64) {
    let nr = e.orig_rax;
    let mut line = format!("[{pid}] {nr} {}(", syscall_name(nr).unwrap_or("syscall"));
    let _ = write!(line, "{:#x}, {:#x}, {:#x}", e.rdi, e.rsi, e.rdx);
    let _ = write!(line, ") = {}", result(ret));
    say(&line);
}
