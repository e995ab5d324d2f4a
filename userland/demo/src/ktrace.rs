//! A mini strace: `/bin/ktrace` (PTRACE_SYSCALL) runs this program as
//! `demo --hello` (a few calls of its own after Rust's start-up) and the
//! demo shows how many calls it traced and the last few lines.

use std::ffi::CString;
use std::io::Read as _;
use std::os::fd::FromRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::sys::{self, fail};

/// Lines of ktrace's output shown.
const SHOWN: usize = 5;

/// `/bin/ktrace`, or on a host the ktrace built next to this program.
fn ktrace(exe: &std::path::Path) -> PathBuf {
    let beside = exe.with_file_name("ktrace");
    if beside.exists() {
        beside
    } else {
        PathBuf::from("/bin/ktrace")
    }
}

pub fn run() -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let tool = ktrace(&exe);
    let argv: Vec<CString> = [tool.as_os_str(), exe.as_os_str(), "--hello".as_ref()]
        .iter()
        .map(|a| CString::new(a.as_bytes()).map_err(|_| "a NUL in a path".to_string()))
        .collect::<Result<_, _>>()?;
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let mut fds = [0; 2];
    // SAFETY: a valid array of two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(fail("pipe2"));
    }
    let [rd, wr] = fds;
    // fork and exec (std's Command spawns with clone(CLONE_VM|CLONE_VFORK),
    // which Ferrite does not have yet).
    let child = sys::spawn(|| {
        // SAFETY: the pipe's write end becomes standard output and error
        // (dup2 clears close-on-exec); NULL-terminated argv of live strings.
        unsafe {
            libc::dup2(wr, 1);
            libc::dup2(wr, 2);
            libc::execv(ptrs[0], ptrs.as_ptr());
        }
        eprintln!(
            "demo: cannot run {}: {}",
            tool.display(),
            std::io::Error::last_os_error()
        );
        127
    })?;
    // SAFETY: our write end: EOF comes when ktrace and its child end.
    unsafe { libc::close(wr) };
    let mut out = String::new();
    // SAFETY: the read end is ours alone; the File closes it.
    let read = unsafe { std::fs::File::from_raw_fd(rd) }.read_to_string(&mut out);
    read.map_err(|e| format!("reading ktrace's output: {e}"))?;
    sys::reap(child)?;
    let lines: Vec<&str> = out.lines().collect();
    let calls = lines
        .iter()
        .filter(|l| l.starts_with('[') && l.contains(") = "))
        .count();
    println!(
        "  {} {} --hello: {calls} system calls (Rust's start-up included); the last lines:",
        tool.display(),
        exe.display()
    );
    for l in &lines[lines.len().saturating_sub(SHOWN)..] {
        println!("    {l}");
    }
    Ok(())
}

/// `demo --hello`: what ktrace traces.
pub fn hello() -> ! {
    let msg = b"hello from a traced child\n";
    // SAFETY: system calls with valid arguments; _exit leaves at once.
    unsafe {
        libc::getppid();
        libc::write(1, msg.as_ptr().cast(), msg.len());
        libc::_exit(0)
    }
}
