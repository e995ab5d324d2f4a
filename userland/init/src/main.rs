//! `init`: the first user process (packed as `/init`, PID 1 on Ferrite).
//!
//! `init` runs `/bin/demo`; `init PROG ARGS...` runs `PROG ARGS...` (the
//! kernel passes the words after `--` on its command line); `init --shell`
//! runs an interactive `/bin/sh` (`ferrite-boot run --shell`) as the
//! leader of a new session whose controlling terminal is the console, its
//! process group in the foreground, with a small environment of its own
//! (`PATH`, `HOME`, `TERM`, `SHELL`). The program runs
//! in a forked child; init reaps every child that reaches it (orphans are
//! reparented to PID 1) until the program itself exits, reports an abnormal
//! end on one line, and, when it is PID 1, kills and reaps whatever is left.
//! It exits with the program's status (128 + N for a death by signal N):
//! the kernel powers off when init exits and the host runner passes the
//! status on.
//!
//! The same init runs as PID 1 on a stock Linux kernel (the host tool's
//! Linux benchmark boot), where two things differ:
//! - Linux passes init the boot parameters it did not recognise (words
//!   without `=`, such as `nokaslr`) before the words after `--`: as PID 1
//!   on Linux, leading arguments that are not absolute paths are skipped
//!   (the program is always given by absolute path);
//! - PID 1 exiting makes Linux panic: init prints `init: exit status N`
//!   and powers the machine off with `reboot(RB_POWER_OFF)` instead.
//!
//! The program is `#![no_main]`: Rust's start-up code would replace closed
//! descriptors 0-2 with `/dev/null` (and abort if that is missing) and set
//! SIGPIPE to ignored, which children would inherit. Init instead opens
//! `/dev/console` for missing descriptors and leaves signal dispositions at
//! their defaults. It owns no test logic and never calls `kill(-1)` unless
//! it is PID 1 (on a host that would end the whole session).

#![no_main]

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};

unsafe extern "C" {
    /// The C runtime's environment (what the kernel passed to init).
    static environ: *const *const c_char;
}

/// The program run when init gets no arguments.
const DEFAULT_PROGRAM: &str = "/bin/demo";

/// The argument that asks for the interactive shell.
const SHELL_ARG: &str = "--shell";
/// The interactive shell and its arguments: a login shell (`-l`, so it
/// reads `/etc/profile`), interactive (`-i`).
const SHELL_ARGV: [&CStr; 3] = [c"/bin/sh", c"-l", c"-i"];
/// The shell's environment (a serial console is a VT100-like terminal).
const SHELL_ENV: [&CStr; 5] = [
    c"PATH=/bin:/sbin:/usr/bin:/usr/sbin",
    c"HOME=/",
    c"TERM=vt100",
    c"SHELL=/bin/sh",
    c"USER=root",
];

/// Entry point called by the C runtime.
///
/// # Safety
/// Called once by the C runtime with the process's `argc` and `argv`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    open_standard_fds();
    let mut args = collect_args(argc, argv);
    // SAFETY: getpid has no preconditions.
    let linux_pid1 = unsafe { libc::getpid() } == 1 && ftest::platform::sysname() == "Linux";
    if linux_pid1 {
        let first_path = args
            .iter()
            .position(|a| a.as_bytes().starts_with(b"/"))
            .unwrap_or(args.len());
        args.drain(..first_path);
    }
    let code = run(&args);
    if linux_pid1 {
        power_off(code);
    }
    code
}

/// Linux as PID 1: reports the status (nobody else will) and powers off.
/// Every other process has been killed and reaped by now; there is no
/// file system to sync (the root is the initramfs).
fn power_off(code: c_int) -> ! {
    say(&format!("init: exit status {code}\n"));
    // SAFETY: reboot with a command constant only; init is root.
    unsafe { libc::reboot(libc::RB_POWER_OFF) };
    say(&format!(
        "init: reboot(RB_POWER_OFF) failed: {}\n",
        std::io::Error::last_os_error()
    ));
    // Exiting as PID 1 panics Linux, which at least ends the boot.
    // SAFETY: leaves the process.
    unsafe { libc::_exit(code) }
}

/// Makes sure descriptors 0, 1 and 2 are open: each missing one becomes
/// `/dev/console` opened read-write (open returns the lowest free
/// descriptor, so opening in order fills the gaps).
fn open_standard_fds() {
    for fd in 0..3 {
        // SAFETY: F_GETFD only queries the descriptor.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1 {
            continue;
        }
        // Descriptors below `fd` are open by now, so this returns `fd`;
        // without a console there is nothing better to do than go on.
        // SAFETY: a NUL-terminated path literal.
        unsafe { libc::open(c"/dev/console".as_ptr(), libc::O_RDWR | libc::O_NOCTTY) };
    }
}

/// `argv[1..]` as C strings.
fn collect_args(argc: c_int, argv: *const *const c_char) -> Vec<CString> {
    (1..usize::try_from(argc).unwrap_or(0))
        .filter_map(|i| {
            // SAFETY: the C runtime passes argc valid, NUL-terminated strings.
            let p = unsafe { *argv.add(i) };
            (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_owned())
        })
        .collect()
}

/// Runs the program and returns init's exit status.
fn run(args: &[CString]) -> c_int {
    let shell = args.len() == 1 && args[0].as_bytes() == SHELL_ARG.as_bytes();
    let argv: Vec<CString> = if shell {
        say("init: starting an interactive /bin/sh; `exit` or ^D powers off\n");
        SHELL_ARGV.iter().map(|a| (*a).to_owned()).collect()
    } else if args.is_empty() {
        let demo = CString::new(DEFAULT_PROGRAM).expect("no NUL in a literal");
        // SAFETY: access only reads the path.
        if unsafe { libc::access(demo.as_ptr(), libc::F_OK) } != 0 {
            say(&format!(
                "init: no program given and {DEFAULT_PROGRAM} not found\n"
            ));
            return 0;
        }
        vec![demo]
    } else {
        args.to_vec()
    };
    let name = argv[0].to_string_lossy().into_owned();
    // SAFETY: getpid has no preconditions.
    let pid1 = unsafe { libc::getpid() } == 1;
    if !pid1 {
        // On a host, become the reaper of our orphans as PID 1 is, so the
        // reaping loop is exercised there too (Linux only; PID 1 needs it
        // not, and on Ferrite init is always PID 1).
        // SAFETY: prctl with integer arguments only.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    }
    let pid = match start(&argv, shell) {
        Ok(pid) => pid,
        Err(e) => {
            say(&format!("init: cannot fork for {name}: {e}\n"));
            return 1;
        }
    };
    let status = reap_until(pid);
    let code = report(&name, status);
    if pid1 {
        reap_everything_else();
    }
    code
}

/// Forks and execs the program; the child resets SIGPIPE (init may have
/// inherited it ignored) and exits 127 if execve fails. The interactive
/// shell (`shell`) gets its own session on the console (see
/// [`become_terminal_session`]) and [`SHELL_ENV`].
fn start(argv: &[CString], shell: bool) -> Result<libc::pid_t, String> {
    let mut ptrs: Vec<*const c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let mut shell_env: Vec<*const c_char> = SHELL_ENV.iter().map(|e| e.as_ptr()).collect();
    shell_env.push(std::ptr::null());
    // SAFETY: init is single-threaded; the child only execs or exits.
    let pid = unsafe { libc::fork() };
    if pid == -1 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    if pid == 0 {
        // SAFETY: resets a disposition to its default.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
        let env = if shell {
            become_terminal_session();
            shell_env.as_ptr()
        } else {
            // SAFETY: reads the C runtime's environment pointer (`environ`).
            unsafe { environ }
        };
        // SAFETY: NULL-terminated arrays of live C strings.
        unsafe { libc::execve(ptrs[0], ptrs.as_ptr(), env) };
        let e = std::io::Error::last_os_error();
        say(&format!(
            "init: cannot run {}: {e}\n",
            argv[0].to_string_lossy()
        ));
        // SAFETY: leave the forked child without running exit handlers.
        unsafe { libc::_exit(127) };
    }
    Ok(pid)
}

/// In the forked shell: a new session (so the shell is a session leader
/// with a process group of its own), the console on descriptor 0 as its
/// controlling terminal, and that group in the terminal's foreground, so
/// ^C and ^Z reach the shell's jobs and not init. A failure is reported
/// and the shell started anyway (it then runs without job control).
fn become_terminal_session() {
    // SAFETY: system calls with integer arguments only.
    unsafe {
        if libc::setsid() == -1 {
            say(&format!(
                "init: setsid: {}\n",
                std::io::Error::last_os_error()
            ));
        }
        if libc::ioctl(0, libc::TIOCSCTTY, 0) == -1 {
            say(&format!(
                "init: TIOCSCTTY on the console: {}\n",
                std::io::Error::last_os_error()
            ));
        }
        if libc::tcsetpgrp(0, libc::getpid()) == -1 {
            say(&format!(
                "init: tcsetpgrp on the console: {}\n",
                std::io::Error::last_os_error()
            ));
        }
    }
}

/// Reaps every child until `pid` itself has exited; returns its status.
/// Other children are orphans reparented to init, or (on a host) nothing.
fn reap_until(pid: libc::pid_t) -> c_int {
    loop {
        let mut status = 0;
        // SAFETY: status is a valid out-pointer.
        let r = unsafe { libc::waitpid(-1, &mut status, 0) };
        if r == pid {
            return status;
        }
        if r == -1 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EINTR) {
                say(&format!("init: waitpid failed: {e}\n"));
                return status_for_exit(1);
            }
        }
    }
}

/// A wait status meaning "exited with `code`".
fn status_for_exit(code: c_int) -> c_int {
    (code & 0xff) << 8
}

/// Prints the one-line report for an abnormal end; returns init's status.
fn report(name: &str, status: c_int) -> c_int {
    if libc::WIFEXITED(status) {
        let code = libc::WEXITSTATUS(status);
        if code != 0 {
            say(&format!("init: {name} exited with status {code}\n"));
        }
        code
    } else if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        say(&format!(
            "init: {name} killed by signal {sig} ({})\n",
            ftest::signame(sig)
        ));
        128 + sig
    } else {
        say(&format!(
            "init: {name} ended with wait status {status:#x}\n"
        ));
        1
    }
}

/// As PID 1: SIGKILL every other process and reap them all.
fn reap_everything_else() {
    // SAFETY: only reached as PID 1, where kill(-1) means "every process
    // but init".
    unsafe { libc::kill(-1, libc::SIGKILL) };
    loop {
        let mut status = 0;
        // SAFETY: status is a valid out-pointer.
        let r = unsafe { libc::waitpid(-1, &mut status, 0) };
        if r == -1 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

/// Writes a message to standard error in one write.
fn say(msg: &str) {
    // SAFETY: msg is valid for its length; a failed write is ignored.
    unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
}
