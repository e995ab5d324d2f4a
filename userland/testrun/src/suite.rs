//! Running one test program: its own process group, its standard output
//! forwarded line by line (and tallied), a time limit, and a synthetic
//! `test user::<prog>::(program) ... FAILED` result when the program ends
//! badly without saying so itself.
//!
//! Algorithm:
//!   1. fork; the child takes a new process group, points fd 1 at a pipe,
//!      restores SIGPIPE to its default and execs `PROG [FILTER]`;
//!   2. the parent polls the pipe (100 ms at a time), forwards every whole
//!      line as soon as it has it and counts the result lines, and checks
//!      with waitpid(WNOHANG) whether the program has ended;
//!   3. once the program has ended it forwards what is left in the pipe
//!      without waiting for end of file (a process the program left behind
//!      may hold the write end), and kills what is left of its group;
//!   4. at the time limit it kills the group with SIGKILL and reaps it.

use std::ffi::CString;
use std::time::{Duration, Instant};

use ftest::proc::{WaitStatus, pipe_cloexec, write_all};

use crate::tally::{Tally, Verdict, classify};

/// How one program ended, as far as the synthetic result cares.
enum End {
    Status(WaitStatus),
    TimedOut,
}

/// Runs the program at `path` (short name `name`) with `filter`, forwards
/// and tallies its results into `tally`.
pub fn run_program(path: &str, name: &str, filter: &str, timeout: Duration, tally: &mut Tally) {
    let mut failed_lines = 0;
    let end = match run_and_forward(path, filter, timeout, tally, &mut failed_lines) {
        Ok(end) => end,
        Err(e) => {
            synthetic_failure(name, &format!("testrun: {e}"), tally);
            return;
        }
    };
    let reason = match end {
        End::TimedOut => Some(format!("timed out after {} s", timeout.as_secs())),
        End::Status(WaitStatus::Exited(0)) => None,
        End::Status(WaitStatus::Exited(code)) if failed_lines == 0 => Some(format!(
            "exited with status {code} without reporting a failed check"
        )),
        End::Status(WaitStatus::Exited(_)) => None,
        End::Status(other) => Some(other.to_string()),
    };
    if let Some(reason) = reason {
        synthetic_failure(name, &reason, tally);
    }
}

/// Prints and counts `test user::<prog>::(program) ... FAILED`.
fn synthetic_failure(name: &str, reason: &str, tally: &mut Tally) {
    let text = format!("test user::{name}::(program) ... FAILED\n  {reason}\n");
    write_all(1, text.as_bytes());
    tally.add(Verdict::Failed);
}

fn run_and_forward(
    path: &str,
    filter: &str,
    timeout: Duration,
    tally: &mut Tally,
    failed_lines: &mut u32,
) -> Result<End, String> {
    let cpath = CString::new(path).map_err(|_| "program path with a NUL byte".to_string())?;
    let cfilter = CString::new(filter).map_err(|_| "filter with a NUL byte".to_string())?;
    let mut argv = vec![cpath.as_ptr()];
    if !filter.is_empty() {
        argv.push(cfilter.as_ptr());
    }
    argv.push(std::ptr::null());
    let (rd, wr) = pipe_cloexec()?;
    // SAFETY: testrun is single-threaded; the child only rearranges
    // descriptors and execs.
    let pid = unsafe { libc::fork() };
    if pid == -1 {
        // SAFETY: fork failed, so both pipe ends are ours alone and unused.
        unsafe {
            libc::close(rd);
            libc::close(wr);
        }
        return Err(format!("fork failed: {}", ftest::errname(ftest::errno())));
    }
    if pid == 0 {
        // SAFETY: the child only rearranges descriptors and execs; argv is
        // NULL-terminated and points at live C strings.
        unsafe {
            libc::setpgid(0, 0);
            libc::dup2(wr, 1);
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            libc::execv(cpath.as_ptr(), argv.as_ptr());
        }
        let msg = format!(
            "testrun: cannot run {path}: {}\n",
            ftest::errname(ftest::errno())
        );
        write_all(2, msg.as_bytes());
        ftest::proc::exit_now(127);
    }
    // SAFETY: our child and our descriptors.
    unsafe {
        libc::setpgid(pid, pid);
        libc::close(wr);
    }
    let mut out = Forwarder::new(tally, failed_lines);
    let deadline = Instant::now() + timeout;
    let mut eof = false;
    let end = loop {
        if eof {
            std::thread::sleep(Duration::from_millis(10));
        } else {
            eof = out.pump(rd, 100);
        }
        let mut status = 0;
        // SAFETY: status is a valid out-pointer.
        if unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == pid {
            break End::Status(WaitStatus::from_raw(status));
        }
        if Instant::now() >= deadline {
            // SAFETY: the program and its group are ours.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            break End::TimedOut;
        }
    };
    // Whatever is still in the pipe, without waiting for end of file.
    if !eof {
        while !out.pump(rd, 0) && out.last_read > 0 {}
    }
    out.finish();
    // SAFETY: our descriptor; stragglers of the program's group.
    unsafe {
        libc::close(rd);
        libc::kill(-pid, libc::SIGKILL);
    }
    Ok(end)
}

/// Forwards whole lines from a program's output and counts its results.
struct Forwarder<'a> {
    pending: Vec<u8>,
    tally: &'a mut Tally,
    failed_lines: &'a mut u32,
    /// Bytes got by the last `pump` (0 if nothing was ready).
    last_read: usize,
}

impl<'a> Forwarder<'a> {
    fn new(tally: &'a mut Tally, failed_lines: &'a mut u32) -> Self {
        Forwarder {
            pending: Vec::with_capacity(64 * 1024),
            tally,
            failed_lines,
            last_read: 0,
        }
    }

    /// Waits up to `timeout_ms` for output, reads one chunk and forwards
    /// the whole lines it completes. Returns true at end of file.
    fn pump(&mut self, fd: i32, timeout_ms: i32) -> bool {
        self.last_read = 0;
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut pfd, 1, timeout_ms) } <= 0 {
            return false;
        }
        let mut buf = [0u8; 8192];
        // SAFETY: buf is valid for its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n == 0 {
            return true;
        }
        if n < 0 {
            return ftest::errno() != libc::EINTR;
        }
        self.last_read = n as usize;
        self.pending.extend_from_slice(&buf[..n as usize]);
        if let Some(last_nl) = self.pending.iter().rposition(|&b| b == b'\n') {
            let whole: Vec<u8> = self.pending.drain(..=last_nl).collect();
            self.forward(&whole);
        }
        false
    }

    /// Forwards an unterminated last line, newline added.
    fn finish(&mut self) {
        if !self.pending.is_empty() {
            let mut rest = std::mem::take(&mut self.pending);
            rest.push(b'\n');
            self.forward(&rest);
        }
    }

    fn forward(&mut self, text: &[u8]) {
        write_all(1, text);
        for line in text.split(|&b| b == b'\n') {
            if classify(line) == Some(Verdict::Failed) {
                *self.failed_lines += 1;
            }
        }
        self.tally.add_lines(text);
    }
}
