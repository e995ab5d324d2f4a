//! Child processes for checks: forking a child that runs a closure, waiting
//! for it and decoding its status, and re-executing this program as a helper
//! with its standard output captured.
//!
//! Everything here uses the plain POSIX calls (fork, waitpid, pipe, execve)
//! that the checks themselves exercise elsewhere; a check about fork or exec
//! semantics calls the kernel directly instead.

use std::ffi::CString;
use std::fmt;
use std::os::unix::ffi::OsStrExt;

use crate::errno::{errname, errno, sys};
use crate::platform::self_path;
use crate::signame::signame;

/// How a child ended, decoded from a wait status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitStatus {
    /// Exited normally with this status (0-255).
    Exited(i32),
    /// Terminated by this signal.
    Signaled(i32),
    /// Anything else (stopped, continued): the raw status.
    Other(i32),
}

impl WaitStatus {
    /// Decodes the status word filled in by wait4/waitpid.
    pub fn from_raw(status: i32) -> Self {
        if libc::WIFEXITED(status) {
            WaitStatus::Exited(libc::WEXITSTATUS(status))
        } else if libc::WIFSIGNALED(status) {
            WaitStatus::Signaled(libc::WTERMSIG(status))
        } else {
            WaitStatus::Other(status)
        }
    }
}

impl fmt::Display for WaitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WaitStatus::Exited(code) => write!(f, "exited with status {code}"),
            WaitStatus::Signaled(sig) => write!(f, "killed by signal {sig} ({})", signame(sig)),
            WaitStatus::Other(raw) => write!(f, "wait status {raw:#x}"),
        }
    }
}

/// Ends the calling process at once (no exit handlers, no flushing).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit never returns and touches no Rust state.
    unsafe { libc::_exit(code) }
}

/// Forks; the child runs `body` and exits with the status it returns.
/// Returns the child's pid to the parent.
pub fn spawn(body: impl FnOnce() -> i32) -> Result<libc::pid_t, String> {
    // SAFETY: the program is single-threaded; the child only runs `body`
    // and then _exit.
    let pid = sys(unsafe { libc::fork() }, "fork")?;
    if pid == 0 {
        crate::runner::forget_reason_fd();
        exit_now(body());
    }
    Ok(pid)
}

/// Waits for one specific child (blocking, retrying on EINTR).
pub fn wait_pid(pid: libc::pid_t) -> Result<WaitStatus, String> {
    let mut status = 0;
    loop {
        // SAFETY: status is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            return Ok(WaitStatus::from_raw(status));
        }
        if r == -1 && errno() == libc::EINTR {
            continue;
        }
        return Err(format!(
            "waitpid({pid}) returned {r} ({})",
            if r == -1 { errname(errno()) } else { "?" }
        ));
    }
}

/// Runs `body` in a forked child and brings its verdict back: `Err(reason)`
/// if the child's check failed, crashed or exited otherwise than through
/// `body` returning. Lets a check verify things from inside another process
/// (three generations of fork each check their own memory).
pub fn in_child(body: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    let (rd, wr) = pipe_cloexec()?;
    let pid = spawn(|| {
        // SAFETY: closing our copy of the read end.
        unsafe { libc::close(rd) };
        match body() {
            Ok(()) => 0,
            Err(reason) => {
                write_all(wr, reason.as_bytes());
                1
            }
        }
    });
    // SAFETY: the parent keeps only the read end.
    unsafe { libc::close(wr) };
    // SAFETY: no child was made, so rd is ours alone and nothing reads it.
    let pid = pid.inspect_err(|_| unsafe {
        libc::close(rd);
    })?;
    let reason = read_to_end(rd);
    // SAFETY: rd is our read end, read to its end and used no more.
    unsafe { libc::close(rd) };
    let status = wait_pid(pid)?;
    let reason = String::from_utf8_lossy(&reason).into_owned();
    match status {
        WaitStatus::Exited(0) if reason.is_empty() => Ok(()),
        _ if !reason.is_empty() => Err(format!("in child {pid}: {reason}")),
        other => Err(format!("child {pid} {other}")),
    }
}

/// A pipe with both ends close-on-exec: `(read, write)`.
pub fn pipe_cloexec() -> Result<(i32, i32), String> {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid two-element array.
    sys(
        unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) },
        "pipe2",
    )?;
    Ok((fds[0], fds[1]))
}

/// Writes all of `buf` to `fd` (retrying short writes and EINTR); gives up
/// silently on any other error.
pub fn write_all(fd: i32, mut buf: &[u8]) {
    while !buf.is_empty() {
        // SAFETY: buf is valid for buf.len() bytes.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n > 0 {
            buf = &buf[n as usize..];
        } else if !(n == -1 && errno() == libc::EINTR) {
            return;
        }
    }
}

/// Reads `fd` until end of file (or an error other than EINTR).
pub fn read_to_end(fd: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: buf is valid for its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            out.extend_from_slice(&buf[..n as usize]);
        } else if !(n == -1 && errno() == libc::EINTR) {
            return out;
        }
    }
}

/// Converts strings for execve, refusing interior NULs.
pub fn cstrings<S: AsRef<[u8]>>(items: &[S]) -> Result<Vec<CString>, String> {
    items
        .iter()
        .map(|s| CString::new(s.as_ref()).map_err(|_| "argument with a NUL byte".to_string()))
        .collect()
}

/// The current environment as `KEY=VALUE` strings.
pub fn environ_strings() -> Vec<Vec<u8>> {
    std::env::vars_os()
        .map(|(k, v)| {
            let mut kv = k.as_bytes().to_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            kv
        })
        .collect()
}

/// What a program run by [`run_capture`] did.
#[derive(Debug)]
pub struct Captured {
    /// The child's pid (which the exec'd program keeps).
    pub pid: libc::pid_t,
    pub status: WaitStatus,
    pub stdout: Vec<u8>,
}

impl Captured {
    /// Standard output as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs `path` with exactly `argv` and `envp` in a forked child whose
/// standard output is captured; waits for it. If execve fails, the child
/// exits with status 127 after printing `execve failed: ENAME`.
pub fn run_capture<A: AsRef<[u8]>, E: AsRef<[u8]>>(
    path: &str,
    argv: &[A],
    envp: &[E],
) -> Result<Captured, String> {
    let cpath = CString::new(path).map_err(|_| "path with a NUL byte".to_string())?;
    let argv = cstrings(argv)?;
    let envp = cstrings(envp)?;
    let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|s| s.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let mut envp_ptrs: Vec<*const libc::c_char> = envp.iter().map(|s| s.as_ptr()).collect();
    envp_ptrs.push(std::ptr::null());
    let (rd, wr) = pipe_cloexec()?;
    let pid = spawn(|| {
        // SAFETY: fd juggling in the child, then execve with NULL-terminated
        // arrays of pointers to live CStrings.
        unsafe {
            libc::dup2(wr, 1);
            libc::execve(cpath.as_ptr(), argv_ptrs.as_ptr(), envp_ptrs.as_ptr());
        }
        let msg = format!("execve failed: {}\n", errname(errno()));
        write_all(1, msg.as_bytes());
        127
    });
    // SAFETY: the parent keeps only the read end.
    unsafe { libc::close(wr) };
    // SAFETY: no child was made, so rd is ours alone and nothing reads it.
    let pid = pid.inspect_err(|_| unsafe {
        libc::close(rd);
    })?;
    let stdout = read_to_end(rd);
    // SAFETY: rd is our read end, read to its end and used no more.
    unsafe { libc::close(rd) };
    Ok(Captured {
        pid,
        status: wait_pid(pid)?,
        stdout,
    })
}

/// Re-executes this program as `prog --helper NAME ARGS...` with the current
/// environment (or `env` if given) and captures its standard output.
pub fn run_helper(name: &str, args: &[&str], env: Option<&[&str]>) -> Result<Captured, String> {
    let mut argv: Vec<Vec<u8>> = vec![
        self_path().as_bytes().to_vec(),
        b"--helper".to_vec(),
        name.as_bytes().to_vec(),
    ];
    argv.extend(args.iter().map(|a| a.as_bytes().to_vec()));
    let envp: Vec<Vec<u8>> = match env {
        Some(env) => env.iter().map(|e| e.as_bytes().to_vec()).collect(),
        None => environ_strings(),
    };
    run_capture(self_path(), &argv, &envp)
}
